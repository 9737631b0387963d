"""P(True) self-evaluation: informative but imperfect confidence, abstention, calibration."""

from __future__ import annotations

import asyncio
import json
import math
import random
from pathlib import Path
from typing import Any, cast

import openai
import pytest
from click.testing import CliRunner
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from openai.types.chat import ChatCompletionMessageParam

from sparring import Roles
from sparring.cli import cli
from sparring.errors import ConfigError, LogprobsUnavailableError, ModelCallError
from sparring.graphs._p_true_read import p_true_from_logprobs, parse_verbal_confidence
from sparring.graphs.p_true import create_p_true_graph
from sparring.models import (
    BackendRequest,
    BackendResult,
    Completion,
    Gateway,
    Model,
    RetryPolicy,
    TokenLogprob,
    TopLogprob,
    backend_for,
)
from sparring.prompts import Untrusted, load_prompt
from sparring.run._calibration import auroc, calibration_counters, calibration_metrics, ece
from sparring.sim import SimEngine, SimServer, SimWorld
from tests._snapshots import assert_topology

N_ITEMS = 60


def _items(n: int = N_ITEMS, seed: int = 0) -> list[dict[str, Any]]:
    world = SimWorld(seed)
    return [
        {"prompt": t.question, "answer": t.answer_text, "item_id": f"p{i}"}
        for i, t in enumerate(world.problem(i) for i in range(n))
    ]


async def _outs(graph: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(graph.ainvoke(it) for it in items)))


def _pairs(outs: list[dict[str, Any]]) -> list[tuple[float, bool]]:
    return [(o["confidence"], bool(o["correct"])) for o in outs if o["confidence"] is not None]


def test_topology() -> None:
    assert_topology(create_p_true_graph(Roles.sim(seed=0)), "p-true")


@pytest.mark.parametrize(
    ("option", "value"),
    [("source", "tokens"), ("threshold", 1.5), ("rating_samples", 0), ("temperature", -1.0)],
)
def test_options_are_checked(option: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=option):
        create_p_true_graph(Roles.sim(seed=0), **{option: value})


@pytest.mark.parametrize("source", ["logprobs", "verbal"])
async def test_confidence_is_informative_and_abstaining_raises_accuracy(source: str) -> None:
    graph = create_p_true_graph(Roles.sim(seed=1), source=source, threshold=0.5)  # type: ignore[arg-type]
    outs = await _outs(graph, _items())
    assert all(o["rating"]["source"] == source for o in outs)
    pairs = _pairs(outs)
    assert len(pairs) >= N_ITEMS - 3  # unreadable ratings are rare and never guessed
    area = auroc(pairs)
    assert area is not None and area > 0.7  # clearly above chance ...
    assert area < 0.99  # ... and not an oracle: the actor's self-knowledge is imperfect
    accuracy = sum(ok for _, ok in pairs) / len(pairs)
    answered = [o for o in outs if not o["abstained"]]
    assert 0 < len(answered) < len(outs)
    answered_accuracy = sum(bool(o["correct"]) for o in answered) / len(answered)
    assert answered_accuracy > accuracy + 0.1
    assert all(o["final_answer"] is None for o in outs if o["abstained"])


async def test_no_self_knowledge_gives_chance_level_confidence() -> None:
    # The signal comes from the actor's skill, not from the gold leaking into the rating.
    roles = Roles.sim(seed=2, profile={"actor": {"self_knowledge": 0.0}})
    outs = await _outs(create_p_true_graph(roles, source="logprobs"), _items(80))
    area = auroc(_pairs(outs))
    assert area is not None and abs(area - 0.5) < 0.2


async def test_overconfidence_shows_up_as_calibration_error() -> None:
    errors = {}
    for bias in (0.0, 3.0):
        roles = Roles.sim(seed=3, profile={"actor": {"overconfidence": bias}})
        errors[bias] = ece(_pairs(await _outs(create_p_true_graph(roles), _items())))
    assert errors[0.0] is not None and errors[3.0] is not None
    assert errors[3.0] > errors[0.0] + 0.1


async def test_unreadable_rating_is_unscored_and_never_abstains() -> None:
    chat = FakeListChatModel(responses=["Step 1: 2 + 2 = 4.\n#### 4", "I am not sure.", "No idea."])
    roles = Roles({"actor": Model(name="fake/actor", chat_model=chat)})
    graph = create_p_true_graph(roles, threshold=0.9)  # auto: no log probabilities here
    out = await graph.ainvoke({"prompt": "What is 2 + 2?", "answer": "4"})
    assert out["rating"]["source"] == "verbal" and out["rating"]["fallback"] == "no_logprobs"
    assert out["confidence"] is None and out["rating"]["reason"].startswith("parse_failure")
    assert out["abstained"] is False and out["final_answer"] == "4"
    assert out["judged"] == {"actor": 1} and out["unscored"] == {"actor": 1}


def test_logprobs_source_refuses_a_chat_model() -> None:
    roles = Roles(
        {"actor": Model(name="fake/actor", chat_model=FakeListChatModel(responses=["x"]))}
    )
    with pytest.raises(LogprobsUnavailableError, match="logprobs"):
        create_p_true_graph(roles, source="logprobs")


class _Failing:
    """A simulator backend whose calls fail when they quote ``marker`` (or always)."""

    def __init__(self, model: Model, marker: str | None) -> None:
        self.inner, self.marker = backend_for(model), marker

    async def generate(self, request: BackendRequest) -> BackendResult:
        text = "\n".join(str(m.get("content") or "") for m in request.messages)
        if self.marker is None or self.marker in text:
            raise RuntimeError("backend is down")
        return await self.inner.generate(request)


def _failing_roles(marker: str | None) -> Roles:
    gateway = Gateway(
        retry=RetryPolicy(max_attempts=1), backend_factory=lambda m: _Failing(m, marker)
    )
    return Roles.sim(seed=0, gateway=gateway)


async def test_a_failed_answer_raises() -> None:
    with pytest.raises(ModelCallError):
        await create_p_true_graph(_failing_roles(None)).ainvoke(_items(1)[0])


async def test_a_failed_rating_is_unscored_not_low() -> None:
    graph = create_p_true_graph(_failing_roles("PROPOSED ANSWER"), threshold=0.5)
    out = await graph.ainvoke(_items(1)[0])
    assert out["confidence"] is None and out["abstained"] is False
    assert out["rating"]["reason"].startswith("backend_error")
    assert out["unscored"] == {"actor": 1}


def test_reading_p_true_from_token_logprobs() -> None:
    def completion(token: str, lp: float, tops: dict[str, float]) -> Completion:
        alts = [TopLogprob(token=t, logprob=v) for t, v in tops.items()]
        return Completion(
            text=token, logprobs=[TokenLogprob(token=token, logprob=lp, top_logprobs=alts)]
        )

    both = completion("True", math.log(0.6), {"True": math.log(0.6), " False": math.log(0.2)})
    assert p_true_from_logprobs(both).value == pytest.approx(0.75)  # renormalised over the two
    alone = completion("False", math.log(0.9), {})
    assert p_true_from_logprobs(alone).value == pytest.approx(0.1)
    assert p_true_from_logprobs(completion("Maybe", -0.1, {})).value is None
    assert p_true_from_logprobs(Completion(text="True")).reason == "no_logprobs"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Looks right.\nConfidence: 85%", 0.85),
        ("confidence = 0.3", 0.3),
        ("Confidence: 7", 0.07),
        ("I think so.", None),
        ("Confidence: 140%", None),
    ],
)
def test_reading_a_verbal_confidence(text: str, value: float | None) -> None:
    assert parse_verbal_confidence(text).value == (None if value is None else pytest.approx(value))


def test_binned_calibration_matches_the_exact_figures() -> None:
    rng = random.Random(5)
    pairs = [(p, rng.random() < p) for p in (rng.random() for _ in range(400))]
    totals: dict[str, int] = {}
    for p, ok in pairs:
        row = calibration_counters({"confidence": p, "correct": ok, "abstained": p < 0.3})
        for key, value in row.items():
            totals[key] = totals.get(key, 0) + value
    metrics = calibration_metrics(totals)
    assert metrics["ece"] == pytest.approx(ece(pairs), abs=1e-6)
    assert metrics["auroc"] == pytest.approx(auroc(pairs), abs=0.01)  # 1% bins
    answered = [ok for p, ok in pairs if p >= 0.3]
    assert metrics["abstention_rate"] == pytest.approx(1 - len(answered) / len(pairs))
    assert metrics["answered_accuracy"] == pytest.approx(sum(answered) / len(answered))
    assert calibration_counters({"confidence": None, "correct": True}) == {}


def test_sparring_run_reports_calibration_and_exports(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    args = ["run", "p-true", "--sim-tasks", "30", "--out", str(run_dir), "-o", "threshold=0.5"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "confidence AUROC" in result.output and "abstention rate" in result.output
    shown = CliRunner().invoke(cli, ["view", str(run_dir), "--json"], catch_exceptions=False)
    calibration = json.loads(shown.output)["calibration"]
    assert calibration["calibrated_items"] >= 28 and calibration["auroc"] > 0.6
    assert calibration["answered_accuracy"] > calibration["accuracy"]
    exported = CliRunner().invoke(cli, ["export", str(run_dir), "--format", "sft"])
    assert exported.exit_code == 0 and "wrote 30 rows" in exported.output


async def test_serve_sim_returns_true_false_alternatives() -> None:
    question = SimWorld(0).problem(0).question
    messages = load_prompt("actor/p_true").render(
        question=Untrusted(question, "QUESTION"),
        proposed_answer=Untrusted("#### 1", "PROPOSED ANSWER"),
    )
    with SimServer(engine=SimEngine(seed=0)) as srv:
        async with openai.AsyncOpenAI(base_url=srv.base_url, api_key="sk-test") as client:
            reply = await client.chat.completions.create(
                model="actor",
                messages=cast(list[ChatCompletionMessageParam], messages),
                logprobs=True,
                top_logprobs=5,
            )
    content = reply.choices[0].logprobs.content  # type: ignore[union-attr]
    assert content is not None and content[0].token in ("True", "False")
    tops = {t.token: math.exp(t.logprob) for t in content[0].top_logprobs}
    assert set(tops) == {"True", "False"} and sum(tops.values()) == pytest.approx(1.0)
