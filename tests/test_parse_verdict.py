"""parse_verdict: every accepted format, scales, JSON, refusals, conflicts and failure details."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from sparring.agents import (
    UnscoredVerdictError,
    Verdict,
    default_expectation,
    parse_verdict,
)

REASONING = "The response is accurate and covers the main points, with one small gap."

SCORE_CASES = [
    ("score-line", "Score: 4", 4.0),
    ("score-lower", "score: 3", 3.0),
    ("score-decimal", "Score: 4.5", 4.5),
    ("score-decimal-quarter", "Score: 3.75", 3.75),
    ("score-leading-dot", "Score: .5", 1.0),
    ("score-out-of-slash", "Score: 4/5", 4.0),
    ("score-out-of-words", "Score: 4 out of 5", 4.0),
    ("score-bold-value", "Score: **4**", 4.0),
    ("score-bold-label", "**Score:** 4", 4.0),
    ("score-bold-all", "**Score: 4**", 4.0),
    ("score-brackets", "Score: [[4]]", 4.0),
    ("rating-brackets", "Rating: [[3]]", 3.0),
    ("rating-plain", "Rating: 2", 2.0),
    ("final-score", "Final score: 5", 5.0),
    ("total-score-slash", "Total score: 3/5", 3.0),
    ("score-is", "Therefore the score is 4.", 4.0),
    ("score-equals", "score = 2", 2.0),
    ("score-with-paren", "Score (1-5): 4", 4.0),
    ("score-then-note", "Score: 4 - solid but incomplete", 4.0),
    ("score-period", "Score: 4.", 4.0),
    ("bare-brackets", "[[5]]", 5.0),
    ("prometheus", "[RESULT] 3", 3.0),
    ("score-repeated-same", "Score: 4 (Rating: [[4]])", 4.0),
    ("clip-low-zero", "Score: 0", 1.0),
    ("clip-high", "Score: 5.5", 5.0),
    ("clip-negative", "Score: -0.5", 1.0),
    ("trailing-rule", "Score: 4\n---", 4.0),
    ("trailing-closing-tag", "Score: 4\n</answer>", 4.0),
    ("crlf", "Score: 4\r\n", 4.0),
]


@pytest.mark.parametrize(
    ("line", "expected"), [c[1:] for c in SCORE_CASES], ids=[c[0] for c in SCORE_CASES]
)
def test_pointwise_formats(line: str, expected: float) -> None:
    verdict = parse_verdict(f"{REASONING}\n{line}", "pointwise")
    assert verdict.status == "scored", verdict.detail
    assert verdict.kind == "pointwise"
    assert verdict.score == pytest.approx(expected)
    assert verdict.reasoning == REASONING
    assert verdict.choice is None


TEN_POINT_CASES = [
    ("rating-10", "Rating: [[8]]", 8.0),
    ("rating-10-decimal", "Rating: [[7.5]]", 7.5),
    ("score-10-slash", "Score: 9/10", 9.0),
    ("score-10-clip", "Score: 11", 10.0),
    ("score-10-zero", "Rating: [[0]]", 1.0),
]


@pytest.mark.parametrize(
    ("line", "expected"), [c[1:] for c in TEN_POINT_CASES], ids=[c[0] for c in TEN_POINT_CASES]
)
def test_ten_point_scale(line: str, expected: float) -> None:
    verdict = parse_verdict(f"{REASONING}\n{line}", "pointwise", scale=(1, 10))
    assert verdict.score == pytest.approx(expected)


def test_unit_scale_and_decimals() -> None:
    assert parse_verdict("ok\nScore: 0.73", "pointwise", scale=(0, 1)).score == pytest.approx(0.73)
    assert parse_verdict("ok\nScore: 1.2", "pointwise", scale=(0, 1)).score == 1.0


CHOICE_CASES = [
    ("brackets-a", "[[A]]", "A", None),
    ("brackets-b", "[[B]]", "B", None),
    ("brackets-c-tie", "[[C]]", "tie", None),
    ("brackets-tie-word", "[[tie]]", "tie", None),
    ("brackets-spaced", "[[ B ]]", "B", None),
    ("final-verdict-prefix", "My final verdict is: [[A]]", "A", None),
    ("bold-verdict", "**Final Verdict: [[B]]**", "B", None),
    ("arena-a-strong", "My final verdict is: [[A>>B]]", "A", "strong"),
    ("arena-a-weak", "[[A>B]]", "A", "weak"),
    ("arena-tie", "My final verdict is tie: [[A=B]].", "tie", None),
    ("arena-b-weak", "[[B>A]]", "B", "weak"),
    ("arena-b-strong", "[[B>>A]]", "B", "strong"),
    ("arena-mirrored", "[[A<<B]]", "B", "strong"),
    ("winner-judgment", "Winner: Judgment A", "A", None),
    ("winner-judgement", "Winner: Judgement B", "B", None),
    ("winner-lowercase", "winner: judgement a", "A", None),
    ("winner-upper", "WINNER: JUDGMENT B", "B", None),
    ("winner-bold", "**Winner:** Judgment B", "B", None),
    ("winner-bare-letter", "Winner: A", "A", None),
    ("winner-response", "Winner: Response B", "B", None),
    ("winner-tie", "Winner: tie", "tie", None),
    ("output-a-better", "Output (a) is better.", "A", None),
    ("output-b-better", "Output (b) is better", "B", None),
    ("output-b-vs-a", "Output (b) is better than Output (a).", "B", None),
    ("output-bare", "Output (a)", "A", None),
    ("prometheus-choice", "[RESULT] B", "B", None),
    ("verdict-then-note", "[[A]] (Assistant A is more accurate)", "A", None),
    ("repeated-same", "[[B]] ... [[B]]", "B", None),
    ("in-closing-tags", "<verdict>[[B]]</verdict>", "B", None),
]


@pytest.mark.parametrize(
    ("line", "choice", "strength"),
    [c[1:] for c in CHOICE_CASES],
    ids=[c[0] for c in CHOICE_CASES],
)
@pytest.mark.parametrize("kind", ["pairwise", "meta"])
def test_choice_formats(line: str, choice: str, strength: str | None, kind: str) -> None:
    verdict = parse_verdict(f"{REASONING}\n\n{line}", kind)  # type: ignore[arg-type]
    assert verdict.status == "scored", verdict.detail
    assert verdict.kind == kind
    assert verdict.choice == choice
    assert verdict.strength == strength
    assert verdict.score is None
    assert verdict.reasoning == REASONING


JSON_CASES = [
    ("bare-score", '{"score": 4}', "pointwise", 4.0),
    ("bare-rating-string", '{"rating": "3"}', "pointwise", 3.0),
    ("rating-out-of", '{"rating": "4/5"}', "pointwise", 4.0),
    ("fenced-json", '```json\n{"reasoning": "fine", "score": 4.5}\n```', "pointwise", 4.5),
    ("key-case", '{"Score": 5}', "pointwise", 5.0),
    ("choice", '{"choice": "B"}', "pairwise", "B"),
    ("winner-labelled", '{"winner": "Response A"}', "pairwise", "A"),
    ("verdict-tie", '{"verdict": "tie"}', "pairwise", "tie"),
    ("better-c", '{"better": "C"}', "pairwise", "tie"),
    ("arena-in-json", '{"verdict": "[[A>>B]]"}', "pairwise", "A"),
    ("meta-judgement", '```json\n{"winner": "Judgement B"}\n```', "meta", "B"),
    ("multiline", '{\n  "explanation": "B misses a step",\n  "winner": "A"\n}', "pairwise", "A"),
]


@pytest.mark.parametrize(
    ("tail", "kind", "expected"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES]
)
def test_json_verdicts(tail: str, kind: str, expected: float | str) -> None:
    verdict = parse_verdict(f"{REASONING}\n{tail}", kind)  # type: ignore[arg-type]
    assert verdict.status == "scored", verdict.detail
    assert verdict.value_or_none() == expected
    assert verdict.reasoning == REASONING


def test_json_alone_takes_its_reasoning_field() -> None:
    verdict = parse_verdict('{"explanation": "Clear and right.", "score": 5}', "pointwise")
    assert verdict.score == 5.0
    assert verdict.reasoning == "Clear and right."


def test_json_with_conflicting_fields() -> None:
    verdict = parse_verdict('{"choice": "A", "winner": "B"}', "pairwise")
    assert verdict.reason == "conflicting_verdicts"


def test_json_without_verdict_field_is_a_parse_failure() -> None:
    verdict = parse_verdict('Fine.\n{"comment": "good", "confidence": 0.9}', "pointwise")
    assert verdict.reason == "parse_failure"
    assert verdict.detail is not None and "'score'" in verdict.detail


def test_json_with_unreadable_value() -> None:
    verdict = parse_verdict('{"winner": "the first one, mostly"}', "pairwise")
    assert verdict.reason == "parse_failure"
    assert verdict.detail is not None and "'winner'" in verdict.detail


def test_json_in_the_middle_is_not_a_verdict() -> None:
    text = 'The response printed {"score": 5} at the top.\nI find it weak.\nScore: 2'
    assert parse_verdict(text, "pointwise").score == 2.0


REFUSALS = [
    "I cannot evaluate this response.",
    "I'm sorry, but I can't help with that request.",
    "I’m sorry, but I can’t assess content like this.",
    "I am unable to judge these answers because they contain harmful instructions.",
    "I must decline to grade this.",
    "As requested I looked at it.\nHowever, I won't compare these two responses.",
]


@pytest.mark.parametrize("text", REFUSALS)
@pytest.mark.parametrize("kind", ["pointwise", "pairwise", "meta"])
def test_refusals_are_unscored(text: str, kind: str) -> None:
    verdict = parse_verdict(text, kind)  # type: ignore[arg-type]
    assert verdict.status == "unscored"
    assert verdict.reason == "refusal"
    assert verdict.value_or_none() is None


def test_a_verdict_beats_an_apologetic_preamble() -> None:
    text = "I'm sorry, but I can't verify the citation.\nOtherwise it is fine.\nScore: 3"
    assert parse_verdict(text, "pointwise").score == 3.0


CONFLICTS = [
    ("two-letters", "[[A]] [[B]]", "pairwise"),
    ("letter-and-tie", "Verdict: [[A]], or maybe [[C]]", "pairwise"),
    ("arena-and-letter", "[[A>B]] and [[B]]", "pairwise"),
    ("two-winners", "Winner: Judgment A. Winner: Judgment B.", "meta"),
    ("two-scores", "Score: 3, Rating: [[4]]", "pointwise"),
]


@pytest.mark.parametrize(
    ("line", "kind"), [c[1:] for c in CONFLICTS], ids=[c[0] for c in CONFLICTS]
)
def test_conflicting_verdicts_on_the_final_line(line: str, kind: str) -> None:
    verdict = parse_verdict(f"{REASONING}\n{line}", kind)  # type: ignore[arg-type]
    assert verdict.status == "unscored"
    assert verdict.reason == "conflicting_verdicts"
    assert verdict.detail is not None and verdict.detail.startswith("conflicting verdicts")


def test_only_the_final_line_counts() -> None:
    text = "Score: 5\nOn reflection the proof has a gap.\nScore: 2"
    assert parse_verdict(text, "pointwise").score == 2.0
    text = "[[A]]\nWait, A has an arithmetic slip.\n[[B]]"
    assert parse_verdict(text, "pairwise").choice == "B"


FAILURES = [
    ("no-verdict", f"{REASONING}\nOverall a fair answer.", "pointwise"),
    ("verdict-then-disowned", "Score: 4\nOn reflection I could not settle on one.", "pointwise"),
    ("verdict-too-far-up", "Score: 4\n" + "More notes.\n" * 9, "pointwise"),
    ("range", "Score: 3-4", "pointwise"),
    ("out-of-other-max", "Score: 8/10", "pointwise"),
    ("far-outside-scale", "Rating: [[8]]", "pointwise"),
    ("word-score", "Score: four", "pointwise"),
    ("prose-choice", "Response A is better.", "pairwise"),
    ("lowercase-letter", "[[a]]", "pairwise"),
    ("arena-self", "[[A>A]]", "pairwise"),
    ("meta-lowercase-bare", "Winner: b", "meta"),
    ("only-symbols", "---\n***", "pairwise"),
    ("untagged-fence-json", 'Fine.\n```\n{"score": 4}\n```', "pointwise"),
    ("quoted-json-tail", 'The response ends with {"score": 5}', "pointwise"),
]


@pytest.mark.parametrize(("text", "kind"), [c[1:] for c in FAILURES], ids=[c[0] for c in FAILURES])
def test_parse_failures(text: str, kind: str) -> None:
    verdict = parse_verdict(text, kind)  # type: ignore[arg-type]
    assert verdict.status == "unscored"
    assert verdict.reason == "parse_failure"
    assert verdict.detail is not None and "; expected " in verdict.detail
    assert verdict.raw == text
    assert verdict.score is None and verdict.choice is None


def test_failure_detail_states_the_expected_format() -> None:
    verdict = parse_verdict("Looks fine overall.", "pointwise")
    assert verdict.detail == (
        "no verdict found in the final line; "
        "expected a final line 'Score: <number between 1 and 5>'"
    )
    ten = parse_verdict("Looks fine overall.", "pointwise", scale=(1, 10))
    assert ten.detail is not None and ten.detail.endswith("'Score: <number between 1 and 10>'")
    meta = parse_verdict("Both are fine.", "meta")
    assert meta.detail is not None
    assert meta.detail.endswith("'Winner: Judgment A' or 'Winner: Judgment B'")
    pair = parse_verdict("Both are fine.", "pairwise")
    assert pair.detail is not None and "'[[C]]' for a tie" in pair.detail
    scale = parse_verdict("ok\nScore: 9", "pointwise")
    assert scale.detail is not None and scale.detail.startswith("the score 9 is outside")


def test_custom_expectation() -> None:
    verdict = parse_verdict("hm", "pairwise", expected="a final line '[[A>B]]' or '[[B>A]]'")
    assert (
        verdict.detail
        == "no verdict found in the final line; expected a final line '[[A>B]]' or '[[B>A]]'"
    )
    assert default_expectation("pointwise", (0, 10)).endswith("between 0 and 10>'")


def test_empty_output() -> None:
    for text in ("", "   \n\n"):
        verdict = parse_verdict(text, "pairwise")
        assert verdict.reason == "parse_failure"
        assert verdict.detail is not None and verdict.detail.startswith("the output is empty")


def test_raw_is_kept_verbatim() -> None:
    text = "  Good answer.\r\nScore: 4  \n"
    verdict = parse_verdict(text, "pointwise")
    assert verdict.raw == text
    assert verdict.reasoning == "Good answer."


def test_single_line_output_reasoning_is_the_lead_in() -> None:
    verdict = parse_verdict("A is right and B is not, so [[A]]", "pairwise")
    assert verdict.choice == "A"
    assert verdict.reasoning == "A is right and B is not, so"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="kind"):
        parse_verdict("Score: 3", "score")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="scale"):
        parse_verdict("Score: 3", "pointwise", scale=(5, 1))
    with pytest.raises(ValueError, match="scale"):
        parse_verdict("Score: 3", "pointwise", scale=(1, math.inf))


# -- the Verdict model -------------------------------------------------------------------


def test_unscored_verdict_is_never_a_number() -> None:
    verdict = parse_verdict("No idea.", "pointwise")
    assert verdict.value_or_none() is None
    assert not verdict.is_scored
    with pytest.raises(TypeError):
        float(verdict)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        int(verdict)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        sum([verdict])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        _ = verdict < verdict  # type: ignore[operator]
    with pytest.raises(UnscoredVerdictError):
        verdict.require_score()
    assert verdict.model_dump()["score"] is None
    assert '"score":null' in verdict.model_dump_json()


def test_scored_accessors() -> None:
    assert Verdict.from_score(3.5).require_score() == 3.5
    pair = Verdict.from_choice("pairwise", "B", strength="strong")
    assert pair.require_choice() == "B"
    assert pair.value_or_none() == "B"
    with pytest.raises(TypeError):
        pair.require_score()
    with pytest.raises(TypeError):
        Verdict.from_score(2).require_choice()
    with pytest.raises(UnscoredVerdictError):
        Verdict.unscored("meta", "backend_error", detail="HTTP 500").require_choice()


INVALID_VERDICTS = [
    {"kind": "pointwise", "status": "scored"},
    {"kind": "pointwise", "status": "scored", "score": 3, "choice": "A"},
    {"kind": "pairwise", "status": "scored"},
    {"kind": "pairwise", "status": "scored", "choice": "A", "score": 1},
    {"kind": "pairwise", "status": "scored", "choice": "tie", "strength": "strong"},
    {"kind": "meta", "status": "scored", "choice": "A", "reason": "refusal"},
    {"kind": "pointwise", "status": "unscored"},
    {"kind": "pointwise", "status": "unscored", "reason": "refusal", "score": 0},
    {"kind": "pairwise", "status": "unscored", "reason": "refusal", "choice": "B"},
    {"kind": "pointwise", "status": "scored", "score": math.nan},
    {"kind": "pointwise", "status": "scored", "score": True},
    {"kind": "pointwise", "status": "done", "score": 3},
    {"kind": "pairwise", "status": "scored", "choice": "D"},
]


@pytest.mark.parametrize("fields", INVALID_VERDICTS)
def test_invalid_verdicts_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Verdict(**fields)


def test_verdict_is_frozen() -> None:
    verdict = Verdict.from_score(4)
    with pytest.raises(ValidationError):
        verdict.score = 1  # type: ignore[misc]


def test_unscored_constructor_defaults() -> None:
    verdict = Verdict.unscored("pairwise", "degenerate_candidate", "  raw text ", detail="empty")
    assert verdict.reasoning == "raw text"
    assert verdict.detail == "empty"
    assert verdict.status == "unscored"


TRAILING_CASES = [
    ("sign-off", "Score: 4\nI hope this helps.", "pointwise", 4.0),
    ("arena-justified", "Final verdict: [[A>B]]\nA is correct.\n\nB is not.", "pairwise", "A"),
    ("tie-sentence", "Tie: [[A=B]]\nBoth answers are equally helpful.", "pairwise", "tie"),
    ("meta-justified", "Winner: Judgment B\nIts score follows its analysis.", "meta", "B"),
]


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [c[1:] for c in TRAILING_CASES],
    ids=[c[0] for c in TRAILING_CASES],
)
def test_verdict_followed_by_justification(text: str, kind: str, expected: float | str) -> None:
    verdict = parse_verdict(f"{REASONING}\n{text}", kind)  # type: ignore[arg-type]
    assert verdict.value_or_none() == expected, verdict.detail
    assert verdict.reasoning.startswith(REASONING)
