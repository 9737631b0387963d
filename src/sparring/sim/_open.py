"""Open-ended instructions with a hidden rubric of key points.

Each instruction names an invented topic ("the Velmora rotation schedule"). The key points of
the topic are derived from its name, so anyone holding the name holds the rubric, and no
prompt ever shows it. A key point is a fact with one number in it; stating the number wrong
is a wrong fact, leaving it out is a miss.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache

from sparring.sim._rng import rng_for

__all__ = [
    "FILLER",
    "KeyPoint",
    "OpenTask",
    "make_instruction",
    "parse_instruction",
    "point_label",
    "split_sentences",
]

NOUNS = (
    "method",
    "protocol",
    "festival",
    "garden layout",
    "filing system",
    "rotation schedule",
    "tasting ritual",
    "repair technique",
    "study routine",
    "market custom",
    "rowing drill",
    "weaving pattern",
)
AUDIENCES = (
    "a new volunteer",
    "a curious teenager",
    "a busy manager",
    "a first-year student",
    "a visiting journalist",
    "a retired engineer",
)
_SYLLABLES = (
    "ka",
    "lo",
    "ven",
    "mir",
    "tas",
    "dor",
    "quel",
    "bri",
    "sen",
    "to",
    "vel",
    "ran",
    "zu",
    "pel",
    "mo",
    "rin",
    "sa",
    "thel",
    "or",
    "nim",
)
_SHAPES = (
    "Explain the {topic} to {audience}.",
    "Write a short guide to the {topic} for {audience}.",
    "Describe how the {topic} works, for {audience}.",
)
# (text before the number, text after it, lowest and highest value)
_FACTS = (
    ("is repeated every ", " days", 2, 40),
    ("needs exactly ", " people to run", 2, 30),
    ("was first recorded in the year ", "", 1300, 1990),
    ("uses ", " separate stages", 3, 12),
    ("keeps its records for ", " months", 2, 60),
    ("works best at about ", " degrees", 5, 35),
    ("is named after a village of ", " houses", 20, 400),
    ("limits each session to ", " minutes", 10, 90),
    ("asks every newcomer to wait ", " weeks", 1, 12),
    ("was refined by ", " different teachers", 2, 9),
)
FILLER = (
    "Many people find this approach helpful in daily life.",
    "It is worth taking the time to understand it properly.",
    "There are several ways to think about it.",
    "This is a topic that comes up surprisingly often.",
    "Different communities have their own views on it.",
    "It can seem complicated at first, but it becomes familiar with practice.",
    "Experts often stress how much the details matter.",
    "In short, it rewards patience and attention.",
    "Some people enjoy learning about its history.",
    "It is easy to underestimate how much thought went into it.",
    "Overall, it is a good example of careful planning.",
    "Questions about it are always welcome.",
)


@dataclass(frozen=True, slots=True)
class KeyPoint:
    """One hidden fact: ``prefix`` + ``value`` + ``suffix``."""

    prefix: str
    value: int
    suffix: str

    @property
    def phrase(self) -> str:
        """The fact as a response should state it."""
        return f"{self.prefix}{self.value}{self.suffix}"

    def status(self, text: str) -> str:
        """``"hit"`` if stated right, ``"wrong"`` if stated with another number, else ``"miss"``."""
        if self.phrase in text:
            return "hit"
        pattern = re.escape(self.prefix) + r"(\d+)" + re.escape(self.suffix)
        return "wrong" if re.search(pattern, text) else "miss"


@dataclass(frozen=True, slots=True)
class OpenTask:
    """An instruction with its hidden rubric."""

    question: str
    topic: str
    audience: str
    key_points: tuple[KeyPoint, ...]

    @property
    def expected_words(self) -> int:
        """A typical length for a complete answer without filler."""
        return 12 * len(self.key_points) + 14


def _topic(rng: random.Random) -> str:
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    return f"{word.capitalize()} {rng.choice(NOUNS)}"


def _rubric(topic: str) -> tuple[KeyPoint, ...]:
    rng = rng_for("rubric", topic)
    facts = rng.sample(_FACTS, rng.randint(4, 6))
    return tuple(KeyPoint(pre, rng.randint(lo, hi), post) for pre, post, lo, hi in facts)


def make_instruction(rng: random.Random) -> OpenTask:
    """Write a new instruction about an invented topic."""
    topic, audience = _topic(rng), rng.choice(AUDIENCES)
    question = rng.choice(_SHAPES).format(topic=topic, audience=audience)
    return OpenTask(question, topic, audience, _rubric(topic))


_FIND_RE = re.compile(
    r"(?:Explain|Write a short guide to|Describe how) the (?P<topic>[A-Z][a-z]+ (?:"
    + "|".join(NOUNS)
    + r"))(?: works,)? (?:to|for) (?P<aud>"
    + "|".join(AUDIENCES)
    + r")\."
)


@lru_cache(maxsize=4096)
def parse_instruction(text: str) -> OpenTask | None:
    """Find an instruction written by ``make_instruction`` in ``text``; None if there is none."""
    m = _FIND_RE.search(text)
    if m is None:
        return None
    return OpenTask(m.group(0), m["topic"], m["aud"], _rubric(m["topic"]))


def point_label(point: KeyPoint) -> str:
    """How feedback names a key point without giving its value (``needs exactly … people``)."""
    return f"{point.prefix.strip()} …{point.suffix}".rstrip()


_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


def split_sentences(text: str) -> list[str]:
    """The sentences of a simulated answer (they each end with a period)."""
    return [s for s in _SENTENCE_RE.split(text.strip()) if s]
