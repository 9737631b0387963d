"""The offline simulator: a seeded world with ground truth and simulated roles of tunable skill.

It is a *simulator*, not a language model: it writes realistic text in the formats sparring's
prompts ask for, and its roles make mistakes at rates you set, so tests and benchmarks can check
that algorithms do what the papers claim. It knows nothing beyond its own world and the hidden
ground truth it is given: the gold ``answer`` (or ``reference``) of a data item, which graphs
hand it with ``remember_item`` when the item starts (never in a prompt). On prompts it was told
nothing about, its roles still behave by their skills over a hidden rubric drawn from the
prompt's own words.

Use it as ``sim/<role>`` through LiteLLM (registered when sparring is imported), in process with
``SimEngine``, or over HTTP with ``sparring serve-sim``.
"""

from sparring.sim._arith import ArithmeticTask, GoldStep, make_problem, parse_problem
from sparring.sim._context import SimContext
from sparring.sim._engine import SimEngine, detect_purpose, register_behaviour
from sparring.sim._external import ExternalItem, forget_items, remember_item
from sparring.sim._faults import Fault, FaultConfig, FaultInjector, FaultStats
from sparring.sim._grade import StepTruth, check_steps, quality
from sparring.sim._open import KeyPoint, OpenTask, make_instruction, parse_instruction
from sparring.sim._profile import (
    ActorSkill,
    CriticSkill,
    JudgeSkill,
    MetaJudgeSkill,
    PlannerSkill,
    SimProfile,
    SneakySkill,
)
from sparring.sim._provider import register_provider, request_from_params
from sparring.sim._server import PERSONAS, SimServer, serve
from sparring.sim._types import SimChoice, SimRequest, SimResponse
from sparring.sim._world import SimWorld

__all__ = [
    "PERSONAS",
    "ActorSkill",
    "ArithmeticTask",
    "CriticSkill",
    "ExternalItem",
    "Fault",
    "FaultConfig",
    "FaultInjector",
    "FaultStats",
    "GoldStep",
    "JudgeSkill",
    "KeyPoint",
    "MetaJudgeSkill",
    "OpenTask",
    "PlannerSkill",
    "SimChoice",
    "SimContext",
    "SimEngine",
    "SimProfile",
    "SimRequest",
    "SimResponse",
    "SimServer",
    "SimWorld",
    "SneakySkill",
    "StepTruth",
    "check_steps",
    "detect_purpose",
    "forget_items",
    "make_instruction",
    "make_problem",
    "parse_instruction",
    "parse_problem",
    "quality",
    "register_behaviour",
    "register_provider",
    "remember_item",
    "request_from_params",
    "serve",
]
