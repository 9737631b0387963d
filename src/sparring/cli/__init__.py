"""The ``sparring`` command line: a thin layer, and the only code that reads env vars and files.

Subcommands are imported when invoked, so ``sparring --help`` stays fast.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

__all__ = ["main"]

# name -> (module, attribute, one-line help); modules load only when the command runs.
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": (
        "sparring.cli._demo",
        "demo",
        "Run every role once over a few problems (simulator by default).",
    ),
    "doctor": (
        "sparring.cli._doctor",
        "doctor",
        "Check each role's model, its key (by name) and one tiny request.",
    ),
    "eval-critic": (
        "sparring.cli._eval_critic",
        "eval_critic",
        "Score a step critic on traces with a labelled first wrong step.",
    ),
    "export": (
        "sparring.cli._export",
        "export",
        "Write a run's records in a trainer's format (TRL, OpenRLHF, ...).",
    ),
    "graphs": ("sparring.cli._graphs", "graphs", "List the technique graphs."),
    "iterate": (
        "sparring.cli._iterate",
        "iterate",
        "Iterate self-improvement (bstar): exploration/exploitation per iteration.",
    ),
    "play": (
        "sparring.cli._play",
        "play",
        "Play a self-play game (spc, deceptive, prover-verifier), live scoreboard.",
    ),
    "resume": ("sparring.cli._resume", "resume", "Continue a killed or stopped run."),
    "run": ("sparring.cli._run", "run", "Run a graph over a data set (or one prompt)."),
    "view": ("sparring.cli._view", "view", "Show a run's summary and items."),
    "serve-reward": (
        "sparring.cli._serve_reward",
        "serve_reward",
        "Serve rewards to OpenRLHF over HTTP (its --reward.remote_url protocol).",
    ),
    "serve-sim": (
        "sparring.cli._serve",
        "serve_sim",
        "Serve the simulator as an OpenAI-compatible API on loopback.",
    ),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        # Only commands whose module is present in this installation.
        return sorted(n for n, (mod, _, _) in _COMMANDS.items() if importlib.util.find_spec(mod))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.list_commands(ctx):
            return None
        module, attr, _ = _COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        # One line and an exit code for every failure; tracebacks go to errors.log.
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise SystemExit(130) from None
        except Exception as err:
            from sparring.cli._errors import as_click_error

            raise as_click_error(err) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _version() -> str:
    from sparring import __version__

    return __version__


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(_version(), "-V", "--version", prog_name="sparring")
def cli() -> None:
    """sparring: LangGraph graphs for self-improving LLM loops.

    Roles (actor, judge, meta_judge, critic, sneaky, planner) are bound to models with
    --actor/--judge/... or --roles FILE. Any LiteLLM model string works: openai/...,
    anthropic/..., hosted_vllm/... (with --api-base), ollama/..., or sim/<role>.

    With no model named, every role runs on the built-in offline SIMULATOR: a seeded world
    with known answers and simulated roles of tunable skill, not a language model.

    Exit codes: 0 done; 1 error; 2 bad usage or option; 3 some items failed; 4 stopped on the
    budget; 5 a model cannot be used (preflight, key, unknown model); 6 nothing to export;
    130 interrupted. A run that exits 3, 4, 5 or 130 continues with 'sparring resume RUN_DIR'.
    """


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``sparring`` script."""
    return cli.main(args=argv, prog_name="sparring")
