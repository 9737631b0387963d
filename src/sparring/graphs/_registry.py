"""The catalogue of graphs, by CLI name; a graph's module loads only when it is used."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sparring.errors import ConfigError, OptionError

__all__ = ["REGISTRY", "GraphSpec", "Registry"]

# Factory parameters that are wiring, not options a user sets with ``-o``.
_WIRING = frozenset({"roles", "checkpointer", "store", "name"})

Family = Literal["judging", "reasoning", "game", "search"]


@dataclass(frozen=True, slots=True)
class GraphSpec:
    """What the CLI and the runner need to know about a graph.

    Attributes:
        name: The CLI name (``meta-rewarding``).
        module: The module holding the factory.
        factory: The factory's name (``create_meta_rewarding_graph``).
        summary: One line for ``sparring graphs``.
        family: judging, reasoning, game or search.
        roles: The roles it calls.
        needs_answer: Whether items must carry a gold answer.
        recursion_limit: LangGraph supersteps allowed per item (rounds included).
        inputs: Input fields each item needs besides ``prompt`` (e.g. two responses).
        compares: The role whose both-order comparisons the ``swaps`` counters count.
        numbered: Role families a graph may call one by one (``debater`` for ``debater_1``,
            ``debater_2``, ... in debate), each falling back to a role of ``roles``.
    """

    name: str
    module: str
    factory: str
    summary: str
    family: Family
    roles: tuple[str, ...]
    needs_answer: bool = False
    recursion_limit: int = 100
    inputs: tuple[str, ...] = ()
    compares: str | None = None
    numbered: tuple[str, ...] = ()

    def roles_bound(self, bound: Iterable[str]) -> tuple[str, ...]:
        """The roles a run calls, given the roles bound: ``roles`` plus bound numbered ones.

        Preflight checks these, so a ``[debater_2]`` table in a roles file is checked too.
        """
        extra = sorted(
            name
            for name in bound
            if any(
                name.startswith(f"{p}_") and name[len(p) + 1 :].isdigit() for p in self.numbered
            )
        )
        return (*self.roles, *extra)

    @property
    def available(self) -> bool:
        """Whether the graph's module is present in this installation."""
        return importlib.util.find_spec(self.module) is not None

    def load(self) -> Callable[..., Any]:
        """Import the module and return the factory."""
        factory: Callable[..., Any] = getattr(importlib.import_module(self.module), self.factory)
        return factory

    def options(self) -> dict[str, Any]:
        """The factory's options and their defaults (imports the graph's module)."""
        params = inspect.signature(self.load()).parameters.values()
        return {
            p.name: p.default
            for p in params
            if p.name not in _WIRING and p.default is not inspect.Parameter.empty
        }

    def check_options(self, roles: Any, options: Mapping[str, Any]) -> None:
        """Build the graph once with ``options`` (no model is called), so a bad one fails early.

        Raises:
            OptionError: An option is unknown (the message lists the valid ones) or its value
                is refused by the factory.
        """
        valid = self.options()
        unknown = sorted(set(options) - set(valid))
        if unknown:
            names = ", ".join(map(repr, unknown))
            raise OptionError(
                f"{self.name}: unknown option{'s' if len(unknown) > 1 else ''} {names}; "
                f"valid options: {', '.join(valid) or 'none'}"
            )
        try:
            self.load()(roles, **options)
        except ConfigError as err:
            raise OptionError(f"{self.name}: {err}") from None
        except (TypeError, ValueError) as err:
            raise OptionError(f"{self.name}: bad option value: {err}") from None


def _spec(name: str, summary: str, family: Family, roles: tuple[str, ...], **kw: Any) -> GraphSpec:
    stem = name.replace("-", "_")
    return GraphSpec(
        name, f"sparring.graphs.{stem}", f"create_{stem}_graph", summary, family, roles, **kw
    )


_CATALOGUE = (
    _spec(
        "self-rewarding",
        "K responses, N judgments each; best vs worst pair (Yuan et al.)",
        "judging",
        ("actor", "judge"),
    ),
    _spec(
        "meta-rewarding",
        "Self-Rewarding plus meta-judged judgment pairs, length-controlled",
        "judging",
        ("actor", "judge", "meta_judge"),
        compares="meta_judge",
    ),
    _spec(
        "pairwise-judge",
        "Compare two responses in both orders, optional reference",
        "judging",
        ("judge",),
        inputs=("response_a", "response_b"),
        compares="judge",
    ),
    _spec(
        "eval-planner",
        "Plan, execute, verdict in both orders; synthetic pairs (EvalPlanner)",
        "judging",
        ("planner", "actor"),
        compares="planner",
    ),
    _spec(
        "tpo",
        "Thought preference optimisation: judge sees the response only",
        "judging",
        ("actor", "judge"),
        compares="judge",
    ),
    _spec(
        "branch-solve-merge",
        "Branch into criteria, solve each in parallel, merge",
        "judging",
        ("judge",),
        inputs=("response_a", "response_b"),
        compares="judge",
    ),
    _spec(
        "self-consistency",
        "N samples; majority vote, judge, verifier or self-certainty",
        "reasoning",
        ("actor", "judge"),
    ),
    _spec(
        "irpo",
        "Iterative RPO data: verified correct vs incorrect chains + NLL target",
        "reasoning",
        ("actor",),
        needs_answer=True,
    ),
    _spec(
        "refine",
        "Critique-in-the-loop: solutions, step-level critic, refine until approved; "
        "-o feedback=criteria: Self-Refine on open-ended prompts",
        "reasoning",
        ("actor", "critic"),
        recursion_limit=200,
    ),
    _spec(
        "reflexion",
        "Failed attempts leave lessons that later attempts retrieve",
        "reasoning",
        ("actor",),
        needs_answer=True,
        recursion_limit=200,
    ),
    _spec(
        "cove",
        "Chain-of-Verification: draft, verify independently, revise",
        "reasoning",
        ("actor",),
    ),
    _spec("s2a", "System 2 Attention: rewrite the context, then answer", "reasoning", ("actor",)),
    _spec("fobar", "Forward-backward verification of candidate answers", "reasoning", ("actor",)),
    _spec(
        "spc-game",
        "Self-Play Critic: sneaky generator vs step critic, rewards by the rules",
        "game",
        ("actor", "sneaky", "critic"),
        needs_answer=True,
    ),
    GraphSpec(
        "deceptive-feedback",
        "sparring.graphs.games.deceptive",
        "create_deceptive_feedback_graph",
        "Deceptive feedback: a critic argues against the answer; flips measured (WAFER-QA)",
        "game",
        ("actor", "critic", "judge"),
        needs_answer=True,
        recursion_limit=200,
    ),
    GraphSpec(
        "prover-verifier",
        "sparring.graphs.games.prover_verifier",
        "create_prover_verifier_graph",
        "Prover-verifier game: helpful and sneaky provers, a step-checking verifier",
        "game",
        ("actor", "sneaky", "critic"),
        needs_answer=True,
    ),
    GraphSpec(
        "debate",
        "sparring.graphs.games.debate",
        "create_debate_graph",
        "Multi-agent debate: N solvers revise over R rounds; vote or judge (Du et al.)",
        "game",
        ("actor", "judge"),
        numbered=("debater",),
    ),
    _spec(
        "try-again",
        "Multi-turn self-correction with unary feedback: 'try again' until right (SCoRe)",
        "reasoning",
        ("actor",),
        needs_answer=True,
    ),
    _spec(
        "principle-critique",
        "Critique and revise against written principles; original vs revision pairs (CAI)",
        "judging",
        ("actor", "judge"),
        compares="judge",
    ),    GraphSpec(
        "critic-search",
        "sparring.graphs.search.critic_search",
        "create_critic_search_graph",
        "Critic-guided tree search over steps (UCT or beam), call budget (SPC, AlphaLLM)",
        "search",
        ("actor", "critic"),
        recursion_limit=1000,
    ),
    _spec(
        "p-true",
        "P(True) self-evaluation: rate own answer, abstain below a threshold (Kadavath)",
        "reasoning",
        ("actor",),
    ),

)


class Registry(Mapping[str, GraphSpec]):
    """Name to ``GraphSpec``, for the graphs present in this installation."""

    def __init__(self, specs: tuple[GraphSpec, ...]) -> None:
        self._specs = {s.name: s for s in specs}

    def __getitem__(self, name: str) -> GraphSpec:
        spec = self._specs.get(name)
        if spec is None or not spec.available:
            known = ", ".join(self)
            raise KeyError(f"no graph named {name!r}; available: {known or 'none'}")
        return spec

    def __iter__(self) -> Iterator[str]:
        return (name for name, spec in self._specs.items() if spec.available)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def register(self, spec: GraphSpec, *, replace: bool = False) -> None:
        """Add a graph of your own (its module must be importable), e.g. from a plugin.

        Raises:
            ValueError: The name is taken and ``replace`` is False.
        """
        if spec.name in self._specs and not replace:
            raise ValueError(f"a graph named {spec.name!r} is already registered")
        self._specs[spec.name] = spec

    def unregister(self, name: str) -> None:
        """Remove a graph you registered."""
        self._specs.pop(name, None)

    def planned(self) -> list[GraphSpec]:
        """Every catalogued graph, present or not."""
        return list(self._specs.values())


REGISTRY = Registry(_CATALOGUE)
