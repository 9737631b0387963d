"""Multi-step arithmetic word problems with gold steps, written so their text can be read back.

A problem is a start quantity and a few operations, each in one fixed sentence shape. Because
the shapes are fixed, ``parse_problem`` recovers the gold steps from the question text alone,
so a separate ``serve-sim`` process knows the ground truth of any problem the world wrote.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

__all__ = [
    "ArithmeticTask",
    "GoldStep",
    "Operand",
    "apply_op",
    "fmt_num",
    "make_problem",
    "parse_problem",
]

Op = Literal["+", "-", "*", "/"]
# "calc" is a step read from a data set's annotated solution (no world sentence behind it).
StepKind = Literal["add", "sub", "group_mul", "group_add", "mul", "div", "calc"]

NAMES = (
    "Mia",
    "Omar",
    "Lena",
    "Ravi",
    "Sofia",
    "Tariq",
    "Ines",
    "Noah",
    "Priya",
    "Jonas",
    "Amara",
    "Felix",
    "Yuki",
    "Diego",
    "Hana",
    "Lucas",
    "Zara",
    "Elias",
    "Nadia",
    "Kofi",
    "Maya",
    "Arjun",
    "Clara",
    "Mateo",
    "Leila",
    "Theo",
    "Ana",
    "Samir",
    "Greta",
    "Ivan",
)
ITEMS = (
    "apples",
    "marbles",
    "stickers",
    "pencils",
    "cookies",
    "stamps",
    "shells",
    "books",
    "coins",
    "buttons",
    "seeds",
    "candles",
    "beads",
    "cards",
    "eggs",
    "plums",
    "nails",
    "ribbons",
    "tickets",
    "bottles",
)
_MULT = {2: "doubles", 3: "triples", 4: "quadruples"}
_MULT_INV = {v: k for k, v in _MULT.items()}


@dataclass(frozen=True, slots=True)
class Operand:
    """A constant from the question, or the result of an earlier step."""

    kind: Literal["const", "ref"]
    value: int


@dataclass(frozen=True, slots=True)
class GoldStep:
    """One correct computation: ``a op b = result``."""

    kind: StepKind
    op: Op
    a: Operand
    b: Operand
    result: float


@dataclass(frozen=True, slots=True)
class ArithmeticTask:
    """A word problem with its gold steps and answer."""

    question: str
    name: str
    items: str
    steps: tuple[GoldStep, ...]

    @property
    def answer(self) -> float:
        """The gold final answer."""
        return self.steps[-1].result

    @property
    def answer_text(self) -> str:
        """The gold final answer as written."""
        return fmt_num(self.answer)


def fmt_num(x: float) -> str:
    """An integer without decimals, otherwise at most two decimals."""
    if abs(x - round(x)) < 1e-9:
        return str(round(x))
    return f"{x:.2f}".rstrip("0").rstrip(".")


def apply_op(op: str, a: float, b: float) -> float:
    """Evaluate ``a op b`` (division by zero gives nan)."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op in ("*", "×", "x"):
        return a * b
    if op in ("/", "÷"):
        return a / b if b else float("nan")
    raise ValueError(f"unknown operator {op!r}")


def _sentences(name: str, items: str, rng: random.Random) -> list[str]:
    x = rng.randint(12, 60)
    out = [f"{name} has {x} {items}."]
    for _ in range(rng.randint(2, 4)):
        choices = ["add", "sub", "group", "mul", "div"]
        kind = rng.choice(choices)
        if kind == "sub" and x > 4:
            b = rng.randint(2, x - 2)
            out.append(f"{name} gives {b} {items} to a neighbour.")
            x -= b
        elif kind == "group":
            c, d = rng.randint(2, 6), rng.randint(2, 12)
            out.append(f"{name} buys {c} boxes with {d} {items} in each box.")
            x += c * d
        elif kind == "mul" and x <= 150:
            k = rng.choice((2, 3))
            out.append(f"{name} then {_MULT[k]} the number of {items}.")
            x *= k
        elif kind == "div" and (ks := [k for k in (2, 3, 4, 5) if x % k == 0 and x >= 2 * k]):
            k = rng.choice(ks)
            out.append(f"{name} splits the {items} into {k} equal groups and keeps one group.")
            x //= k
        else:
            b = rng.randint(2, 30)
            out.append(f"{name} finds {b} more {items}.")
            x += b
    out.append(f"How many {items} does {name} have now?")
    return out


def make_problem(rng: random.Random) -> ArithmeticTask:
    """Write a new problem; its gold steps come from reading it back."""
    text = " ".join(_sentences(rng.choice(NAMES), rng.choice(ITEMS), rng))
    task = parse_problem(text)
    if task is None:  # pragma: no cover - the writer and the reader share their shapes
        raise AssertionError(f"the simulator cannot read its own problem: {text}")
    return task


_W = r"(?P<name>[A-Z][a-z]+)"
_I = r"(?P<items>[a-z]+)"
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("start", re.compile(rf"^{_W} has (?P<a>\d+) {_I}$")),
    ("add", re.compile(rf"^{_W} finds (?P<b>\d+) more {_I}$")),
    ("sub", re.compile(rf"^{_W} gives (?P<b>\d+) {_I} to a neighbour$")),
    ("group", re.compile(rf"^{_W} buys (?P<c>\d+) boxes with (?P<d>\d+) {_I} in each box$")),
    ("mul", re.compile(rf"^{_W} then (?P<m>doubles|triples|quadruples) the number of {_I}$")),
    (
        "div",
        re.compile(rf"^{_W} splits the {_I} into (?P<k>\d+) equal groups and keeps one group$"),
    ),
    ("ask", re.compile(rf"^How many {_I} does {_W} have now$")),
)
_SPLIT_RE = re.compile(r"(?<=[.?])\s+")
_FIND_RE = re.compile(
    r"[A-Z][a-z]+ has \d+ [a-z]+\..*?How many [a-z]+ does [A-Z][a-z]+ have now\?", re.DOTALL
)


def _match(sentence: str) -> tuple[str, re.Match[str]] | None:
    s = sentence.strip().rstrip(".?")
    for kind, pattern in _SHAPES:
        if m := pattern.match(s):
            return kind, m
    return None


class _Builder:
    def __init__(self, start: int) -> None:
        self.steps: list[GoldStep] = []
        self.cur = Operand("const", start)
        self.value = float(start)

    def push(
        self, kind: StepKind, op: Op, a: Operand, b: Operand, a_val: float, b_val: float
    ) -> None:
        result = apply_op(op, a_val, b_val)
        self.steps.append(GoldStep(kind, op, a, b, result))
        self.cur = Operand("ref", len(self.steps) - 1)
        self.value = result


def _const(value: str | int) -> Operand:
    return Operand("const", int(value))


def _apply_sentence(builder: _Builder, kind: str, m: re.Match[str]) -> None:
    c = _const
    if kind == "add":
        builder.push("add", "+", builder.cur, c(m["b"]), builder.value, int(m["b"]))
    elif kind == "sub":
        builder.push("sub", "-", builder.cur, c(m["b"]), builder.value, int(m["b"]))
    elif kind == "group":
        before, value = builder.cur, builder.value
        builder.push("group_mul", "*", c(m["c"]), c(m["d"]), int(m["c"]), int(m["d"]))
        boxes = builder.cur
        builder.push("group_add", "+", before, boxes, value, builder.value)
    elif kind == "mul":
        k = _MULT_INV[m["m"]]
        builder.push("mul", "*", builder.cur, c(k), builder.value, k)
    elif kind == "div":
        builder.push("div", "/", builder.cur, c(m["k"]), builder.value, int(m["k"]))


@lru_cache(maxsize=4096)
def parse_problem(text: str) -> ArithmeticTask | None:
    """Read a problem written by ``make_problem`` anywhere in ``text``; None if there is none."""
    found = _FIND_RE.search(text)
    if found is None:
        return None
    question = found.group(0)
    parts = [p for p in _SPLIT_RE.split(question) if p.strip()]
    first = _match(parts[0])
    if first is None or first[0] != "start":
        return None
    name, items = first[1]["name"], first[1]["items"]
    builder = _Builder(int(first[1]["a"]))
    for sentence in parts[1:-1]:
        matched = _match(sentence)
        if matched is None or matched[0] in ("start", "ask"):
            return None
        _apply_sentence(builder, *matched)
    if not builder.steps:
        return None
    return ArithmeticTask(question=question, name=name, items=items, steps=tuple(builder.steps))
