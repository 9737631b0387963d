"""``sparring serve-reward``: rewards over OpenRLHF's remote reward-model HTTP protocol."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from sparring.cli._console import err_console, simulator_banner
from sparring.cli._roles import role_options, roles_from_options
from sparring.models import Gateway
from sparring.rewards import RewardServer, judge_reward, verifiable_reward
from sparring.rewards._server import WeightedReward
from sparring.run import preflight

__all__ = ["serve_reward"]

_EPILOG = """\b
Examples:
  sparring serve-reward --port 5000
  sparring serve-reward --reward judge --judge hosted_vllm/Qwen2.5-7B-Instruct \\
      --api-base http://127.0.0.1:8000/v1
  sparring serve-reward --reward verifiable --reward judge --judge-weight 0.5
Then: openrlhf.cli.train_ppo_ray ... --reward.remote_url http://127.0.0.1:5000/get_reward
      --data.label_key answer

\b
Exit codes: 0 stopped with Ctrl-C; 1 the port cannot be bound; 2 bad usage or option;
5 the judge's model cannot be used (preflight, key, unknown model).
"""


def _rewards(options: dict[str, Any]) -> list[WeightedReward]:
    chosen: list[WeightedReward] = []
    if "verifiable" in options["reward"]:
        try:
            reward = verifiable_reward(
                correct_weight=options["correct_weight"],
                format_weight=options["format_weight"],
                answer_format=options["answer_format"],
                last_number_fallback=options["last_number_fallback"],
            )
        except ValueError as err:
            raise click.UsageError(str(err)) from None
        chosen.append(WeightedReward(reward, 1.0))
    if "judge" in options["reward"]:
        from sparring.agents import Judge

        roles = roles_from_options(options, gateway=Gateway())
        if (banner := simulator_banner(roles, ("judge",))) is not None:
            err_console.print(banner)
        if not options["no_preflight"]:
            asyncio.run(preflight(roles, ["judge"]))
        judge = Judge(roles)
        column = "reference" if options["labels_as_reference"] else None
        reward = judge_reward(judge, n=options["judge_n"], reference_column=column)
        chosen.append(WeightedReward(reward, options["judge_weight"]))
    return chosen


@click.command("serve-reward", epilog=_EPILOG)
@click.option(
    "--reward",
    type=click.Choice(["verifiable", "judge"]),
    multiple=True,
    default=("verifiable",),
    show_default=True,
    help="Reward to serve; repeat for a weighted sum (verifiable: gold from OpenRLHF's labels).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help="Port (0: any free port).",
)
@click.option(
    "--missing",
    type=float,
    default=None,
    metavar="FLOAT",
    help="Reward for a query nothing could score (counted in extra_logs.unscored). "
    "Default: answer 503 naming the cause, so training never counts it as 0.",
)
@click.option(
    "--correct-weight",
    type=float,
    default=1.0,
    show_default=True,
    help="verifiable: weight of a correct answer.",
)
@click.option(
    "--format-weight",
    type=float,
    default=0.2,
    show_default=True,
    help="verifiable: weight of an answer stated in the expected form.",
)
@click.option(
    "--answer-format",
    type=click.Choice(["any", "gsm8k", "boxed", "think"]),
    default="any",
    show_default=True,
    help="verifiable: the expected final-answer form.",
)
@click.option(
    "--last-number-fallback",
    is_flag=True,
    help="verifiable: grade a completion stating no answer by its last number.",
)
@click.option(
    "--judge-weight",
    type=float,
    default=1.0,
    show_default=True,
    help="judge: weight of the judge's reward (scale mapped to [0, 1]).",
)
@click.option(
    "--judge-n",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="judge: verdicts per query (their scored mean).",
)
@click.option(
    "--labels-as-reference",
    is_flag=True,
    help="judge: show the judge OpenRLHF's label as a reference answer.",
)
@click.option("--no-preflight", is_flag=True, help="Skip the check that the judge's model answers.")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow binding a non-loopback interface (the server has no authentication).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
@role_options
def serve_reward(**options: Any) -> None:
    """Serve rewards to OpenRLHF over HTTP (its --reward.remote_url protocol).

    POST /get_reward takes {"query": [...], "prompts": [...], "labels": [...]} and answers
    {"rewards": [...], "scores": [...], "extra_logs": {...}}. Chat templates and end tokens
    are stripped from the queries first. 'verifiable' checks the answer against the label
    (the gold answer) with sparring's verifier, plus a format term; 'judge' asks the judge
    role (--judge MODEL, --api-base URL or --roles FILE; the simulator by default).
    """
    rewards = _rewards(options)
    try:
        server = RewardServer(
            rewards,
            options["host"],
            options["port"],
            missing=options["missing"],
            allow_remote=options["allow_remote"],
            verbose=options["verbose"],
        )
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--host") from None
    except OSError as err:
        raise click.ClickException(
            f"cannot listen on {options['host']}:{options['port']}: {err.strerror or err}"
        ) from None
    names = " + ".join(f"{r.weight:g}*{r.reward.__name__}" for r in rewards)
    # Plain text on one line: scripts read the URL back (with --port 0 it is chosen here).
    click.echo(f"serving {names} at {server.url}  (Ctrl-C to stop)")
    server.serve_forever()
