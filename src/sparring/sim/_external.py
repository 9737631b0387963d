"""Items from a user's own data: the simulator's ground truth for prompts it did not write.

The world's own problems carry their truth in their text (``parse_problem``). A user's data
item does not, so the item's gold ``answer`` (or its ``reference``) is remembered here, keyed
by the question text, when the item enters a graph (``remember_item``). The simulated roles
look a request's question up in this book; nothing in it is ever written into a prompt.

What the book turns into ground truth:

- a GSM8K-style solution with calculator annotations (``<<48/2=24>>``) becomes gold steps, an
  ``ArithmeticTask``: the actor makes step errors by its skill, critics check steps against it;
- any other answer is a gold final answer: right with the actor's accuracy, else a near miss;
- with neither, the item gets a hidden rubric of aspects drawn from the question's own words,
  so open prompts still have better and worse answers (see ``aspects_for``).
"""

from __future__ import annotations

import ast
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sparring.sim._arith import ArithmeticTask, GoldStep, Op, Operand, fmt_num
from sparring.sim._rng import rng_for

__all__ = [
    "ExternalItem",
    "aspect_quality",
    "aspect_sentence",
    "aspects_for",
    "forget_items",
    "gold_steps",
    "lookup_item",
    "near_miss",
    "remember_item",
]

_ANNOTATION_RE = re.compile(r"<<([^<>=]+)=([^<>]+)>>")
_HASH_RE = re.compile(r"####\s*(.+?)\s*$", re.MULTILINE)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z-]{4,}")
_SPACE_RE = re.compile(r"\s+")
_OPS: dict[type[ast.operator], Op] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
# Instruction words say what to do, not what to cover: they never become rubric aspects.
# fmt: off
_STOPWORDS = frozenset((
    "about", "above", "after", "again", "against", "among", "because", "before", "being", "below",
    "between", "could", "every", "first", "their", "there", "these", "thing", "those", "three",
    "through", "under", "until", "where", "which", "while", "would", "write", "rewrite", "explain",
    "describe", "please", "answer", "question", "should", "other", "given", "using", "short",
    "compose", "draft", "create", "provide", "discuss", "imagine", "suggest", "consider",
    "include", "respond", "pretend", "following", "engaging", "detailed",
))
# fmt: on
_GENERIC_ASPECTS = ("the main request", "a concrete example", "the limits", "a short summary")
# A run over a large file remembers its items as they start; the oldest are forgotten first.
_CAPACITY = 20_000
_FLOOR = 0.25


@dataclass(frozen=True, slots=True)
class ExternalItem:
    """A data item the simulator was told about.

    Attributes:
        question: The prompt as the item gives it.
        gold: The final answer (``#### N`` of a GSM8K solution, else the answer as given).
        reference: A reference answer, when the item has one.
        task: Gold steps read from the answer's calculator annotations, when it has them.
        aspects: The hidden rubric of an item without a checkable answer.
    """

    question: str
    gold: str | None = None
    reference: str | None = None
    task: ArithmeticTask | None = None
    aspects: tuple[str, ...] = field(default=())


def _norm(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def _final(answer: str) -> str:
    found = _HASH_RE.findall(answer)
    return found[-1].strip() if found else answer.strip()


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").replace("$", "").strip())
    except ValueError:
        return None


class _StepReader:
    """Turns annotation expressions into binary gold steps, resolving earlier results."""

    def __init__(self) -> None:
        self.steps: list[GoldStep] = []

    def operand(self, node: ast.expr) -> tuple[Operand, float]:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            value = float(node.value)
            # A constant equal to an earlier result is that result carried forward.
            for i in range(len(self.steps) - 1, -1, -1):
                if abs(self.steps[i].result - value) < 1e-9:
                    return Operand("ref", i), value
            if value != int(value) or value < 0:
                raise ValueError("only whole, non-negative constants can be gold operands")
            return Operand("const", int(value)), value
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        raise ValueError(f"cannot read {ast.dump(node)}")

    def binop(self, node: ast.BinOp) -> tuple[Operand, float]:
        op = _OPS.get(type(node.op))
        if op is None:
            raise ValueError("unsupported operator")
        a, a_val = self.operand(node.left)
        b, b_val = self.operand(node.right)
        result = {"+": a_val + b_val, "-": a_val - b_val, "*": a_val * b_val}.get(op)
        if result is None:
            if b_val == 0:
                raise ValueError("division by zero")
            result = a_val / b_val
        self.steps.append(GoldStep("calc", op, a, b, round(result, 6)))
        return Operand("ref", len(self.steps) - 1), result


def gold_steps(question: str, answer: str) -> ArithmeticTask | None:
    """Gold steps from a solution's ``<<expr=result>>`` annotations; None if it has none.

    The steps must end at the solution's final answer; otherwise (annotations that skip a
    step, or a final answer never computed) the item keeps only its final answer as truth.
    """
    reader = _StepReader()
    found = _ANNOTATION_RE.findall(answer)
    if not found:
        return None
    try:
        for expr, _ in found:
            tree = ast.parse(expr.replace(",", "").replace("x", "*"), mode="eval").body
            if not isinstance(tree, ast.BinOp):
                return None
            reader.binop(tree)
    except (SyntaxError, ValueError, RecursionError):
        return None
    final = _number(_final(answer))
    if not reader.steps or final is None or abs(reader.steps[-1].result - final) > 1e-6:
        return None
    return ArithmeticTask(question=question, name="", items="", steps=tuple(reader.steps))


def aspects_for(question: str) -> tuple[str, ...]:
    """The hidden rubric of an open prompt: 3 to 5 of its own content words (seeded by it).

    A good answer addresses every aspect; the simulated actor covers each with its
    ``coverage`` skill and judges see how many are covered, so quality varies honestly.
    """
    words = list(dict.fromkeys(w.lower() for w in _WORD_RE.findall(question)))
    words = [w for w in words if w not in _STOPWORDS]
    rng = rng_for("aspects", _norm(question))
    k = min(len(words), rng.randint(3, 5))
    picked = rng.sample(words, k) if k else []
    return tuple(picked) + _GENERIC_ASPECTS[: max(0, 3 - len(picked))]


# Sentences an answer uses for one aspect of an open prompt: sound ones, and ones that get it
# wrong. The simulator's judges read them back to know the answer's true quality.
_SOUND = (
    "On {a}, the answer gives a specific, checkable detail.",
    "As for {a}, it explains what matters and why.",
    "Regarding {a}, it works through a concrete case.",
    "When it comes to {a}, the essentials are stated plainly.",
)
_UNSOUND = (
    "On {a}, the answer makes a confident claim that does not hold.",
    "As for {a}, it repeats a common misconception.",
)


def aspect_sentence(aspect: str, sound: bool, pick: int) -> str:
    """One sentence of an answer about ``aspect`` (``pick`` chooses the wording)."""
    shapes = _SOUND if sound else _UNSOUND
    return shapes[pick % len(shapes)].format(a=aspect)


def _status(aspect: str, text: str) -> str:
    if any(shape.format(a=aspect) in text for shape in _SOUND):
        return "hit"
    if any(shape.format(a=aspect) in text for shape in _UNSOUND):
        return "wrong"
    return "miss"


def aspect_quality(aspects: tuple[str, ...], text: str) -> float:
    """Quality in [0, 1]: a floor, plus the share of aspects covered soundly less wrong ones.

    The floor is there because an on-topic answer is never worthless, as judges agree.
    """
    if not text.strip():
        return 0.0
    if not aspects:
        return 0.5
    statuses = [_status(a, text) for a in aspects]
    share = max(0.0, (statuses.count("hit") - statuses.count("wrong")) / len(aspects))
    return _FLOOR + (1.0 - _FLOOR) * share


def _make_item(question: str, answer: str | None, reference: str | None) -> ExternalItem:
    gold = _final(answer) if answer else None
    if gold is None and reference and _number(_final(reference)) is not None:
        gold = _final(reference)  # a numeric reference is as good as an answer
    task = gold_steps(question, answer) if answer else None
    aspects = () if gold is not None else aspects_for(question)
    return ExternalItem(_norm(question), gold, reference, task, aspects)


# question -> (answer and reference as given, the item built from them)
_BOOK: OrderedDict[str, tuple[tuple[str | None, str | None], ExternalItem]] = OrderedDict()
_LOCK = threading.Lock()


def remember_item(question: str, answer: str | None = None, reference: str | None = None) -> None:
    """Tell the in-process simulator the ground truth of a data item (never shown in prompts).

    Graphs call this for every item they start, whatever the roles are bound to; only the
    simulator reads it.
    """
    key = _norm(question)
    if not key:
        return
    with _LOCK:
        known = _BOOK.get(key)
        if known is not None:
            # A node that sees only the prompt (a fanned-out judge) must not erase the truth
            # an earlier node of the same item brought.
            answer = known[0][0] if answer is None else answer
            reference = known[0][1] if reference is None else reference
            if known[0] == (answer, reference):
                _BOOK.move_to_end(key)
                return
        _BOOK[key] = ((answer, reference), _make_item(question, answer, reference))
        while len(_BOOK) > _CAPACITY:
            _BOOK.popitem(last=False)


def forget_items() -> None:
    """Empty the book (tests)."""
    with _LOCK:
        _BOOK.clear()


def _candidates(text: str) -> list[str]:
    paras = [p for p in text.split("\n\n") if p.strip()]
    runs = [text]
    for i in range(len(paras)):
        for j in range(i + 1, min(len(paras), i + 8) + 1):
            runs.append("\n\n".join(paras[i:j]))
    return runs


def lookup_item(sources: list[str]) -> ExternalItem | None:
    """The remembered item whose question is one of ``sources`` or a run of their paragraphs.

    A prompt quotes its question verbatim, either as a fenced block (pass the block's body) or
    as paragraphs of a message (pass the message), so exact lookups find it.
    """
    if not _BOOK:
        return None
    for source in sources:
        for run in _candidates(source):
            found = _BOOK.get(_norm(run))
            if found is not None:
                return found[1]
    return None


def near_miss(gold: str, rng_value: float, pick: int) -> str:
    """A plausible wrong final answer for ``gold`` (numbers drift; other answers get a slip)."""
    value = _number(gold)
    if value is not None:
        deltas = (
            value + 1,
            value - 1,
            value * 2,
            value + 10,
            value / 2 if value else 2.0,
            value - 2,
            round(value * 1.5),
            value + 3,
        )
        return fmt_num(deltas[pick % len(deltas)])
    digits = [i for i, ch in enumerate(gold) if ch.isdigit()]
    if digits:
        i = digits[pick % len(digits)]
        return gold[:i] + str((int(gold[i]) + 1 + pick % 8) % 10) + gold[i + 1 :]
    return f"not {gold}" if rng_value < 0.5 else "it cannot be determined"
