r"""Roles and their typed outputs: verdicts, their parsers, and both-order combination.

``Verdict`` is the three-outcome result of every judge call (scored, or unscored with a
reason); ``parse_verdict`` reads one from a judge's output, taking the verdict only from the
judge's own final line or trailing JSON; ``is_degenerate_candidate`` rejects empty or
content-free responses before they reach a judge; ``combine_orders`` merges the verdicts of
both presentation orders of a pair.

Example:
    >>> from sparring.agents import combine_orders, parse_verdict
    >>> first = parse_verdict("A is right, B is not.\n[[A]]", "pairwise")
    >>> swapped = parse_verdict("B is right, A is not.\n[[B]]", "pairwise")
    >>> combine_orders(first, swapped).choice
    'A'
"""

from sparring.agents._ask import VerdictParser, ask_verdicts, reask_once, verdict_counts
from sparring.agents._judges import (
    Judge,
    MetaJudge,
    PairJudgment,
    PairwiseJudge,
    Planner,
    parse_plan,
    rubric_text,
)
from sparring.agents._orders import PairOutcome, combine_orders, swap_choice
from sparring.agents._parse import default_expectation, parse_verdict
from sparring.agents._parse_degenerate import is_degenerate_candidate
from sparring.agents._parse_step import STEP_EXPECTATION, parse_step_verdict
from sparring.agents._verdict import (
    Choice,
    Strength,
    UnscoredReason,
    UnscoredVerdictError,
    Verdict,
    VerdictKind,
    VerdictStatus,
)
from sparring.agents._workers import (
    GSM8K_FORMAT,
    OPEN_FORMAT,
    Actor,
    Corruption,
    Critic,
    SneakyGenerator,
    StepCritique,
    StepMark,
    parse_corruption,
    parse_step_critique,
)

__all__ = [
    "GSM8K_FORMAT",
    "OPEN_FORMAT",
    "STEP_EXPECTATION",
    "Actor",
    "Choice",
    "Corruption",
    "Critic",
    "Judge",
    "MetaJudge",
    "PairJudgment",
    "PairOutcome",
    "PairwiseJudge",
    "Planner",
    "SneakyGenerator",
    "StepCritique",
    "StepMark",
    "Strength",
    "UnscoredReason",
    "UnscoredVerdictError",
    "Verdict",
    "VerdictKind",
    "VerdictParser",
    "VerdictStatus",
    "ask_verdicts",
    "combine_orders",
    "default_expectation",
    "is_degenerate_candidate",
    "parse_corruption",
    "parse_plan",
    "parse_step_critique",
    "parse_step_verdict",
    "parse_verdict",
    "reask_once",
    "rubric_text",
    "swap_choice",
    "verdict_counts",
]
