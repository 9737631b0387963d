r"""Degenerate candidates: responses with no content, unscored before any judge call.

"One Token to Fool LLM-as-a-Judge" (Zhao et al. 2025) shows that judges give positive
rewards to responses with no solution at all: a blank, ``"."``, ``":"``, or a bare opener
such as ``"Solution"``, ``"Let's solve this problem step by step."``, ``"解"``. Such a
response is never sent to a judge. The check is deliberately conservative: any response
with real content, however short (``"42"``, ``"Paris."``, ``"B"``, ``"x = 3"``), passes.

A response is degenerate when it is

* empty or whitespace;
* only punctuation or symbols (no letter or digit once LaTeX commands are removed, so
  ``\boxed{}`` counts);
* fewer than ``min_word_chars`` letters or digits (default 1, i.e. the rule above);
* a bare opener: after lower-casing and dropping punctuation and markdown, the whole text is
  one of a fixed list of openers in several languages ("solution", "answer", "final answer",
  "thought process", "step 1", "here is the solution", "解", "答案", "かいせつ",
  "respuesta", "réponse", "lösung", "ответ", ...) or a bare "let's/let me solve/think ...
  step by step" sentence.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["is_degenerate_candidate"]

_OPENERS = frozenset(
    {
        # English
        "solution", "solutions", "answer", "answers", "the answer", "the answer is",
        "final answer", "the final answer", "the final answer is", "my answer", "my answer is",
        "response", "reply", "result", "output", "thought process", "thoughts", "thinking",
        "reasoning", "explanation", "analysis", "proof", "working", "calculation",
        "step 1", "step one", "steps", "step by step", "here is the solution",
        "here's the solution", "here is my solution", "here's my solution",
        "here is the answer", "here's the answer", "here is my answer", "here's my answer",
        "to solve this problem", "to solve this", "let me think", "let me see",
        "let's see", "let us see", "hmm",
        # Chinese, Japanese, Korean
        "解", "解答", "解析", "答", "答案", "回答", "解题过程", "思考过程", "思路", "过程",
        "解説", "かいせつ", "こたえ", "答え", "考え方", "해설", "풀이", "정답", "답",
        # Spanish, Portuguese, French, Italian, German, Russian
        "respuesta", "la respuesta", "la respuesta es", "solución", "solucion", "la solución",
        "resposta", "a resposta", "solução", "solucao", "réponse", "reponse", "la réponse",
        "la solution", "risposta", "soluzione", "lösung", "losung", "antwort", "die antwort",
        "die lösung", "ответ", "решение",
    }
)  # fmt: skip
_LETS_RE = re.compile(
    r"(?:let's|let us|let me|i will|i'll|we will|we'll|now|ok|okay|alright|sure|first)?\s*"
    r"(?:solve|think|work|go|break|tackle|figure|reason|approach|start|begin|analy[sz]e)"
    r"(?:\s+(?:this|the|it|through|out|about|down|on|with))*"
    r"(?:\s+(?:problem|question|task|one|carefully|together|first|now))*"
    r"(?:\s+step\s+by\s+step)?"
)
_LATEX_COMMAND_RE = re.compile(r"\\[A-Za-z]+")
_WORD_CHAR_RE = re.compile(r"[^\W_]")
_NON_TEXT_RE = re.compile(r"[^\w\s']|_")


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    return " ".join(_NON_TEXT_RE.sub(" ", text).split())


def _is_opener(text: str) -> bool:
    normal = _normalize(text)
    if normal in _OPENERS:
        return True
    lets = normal.startswith(("let's ", "let us ", "let me ")) or "step by step" in normal
    return lets and _LETS_RE.fullmatch(normal) is not None


def is_degenerate_candidate(text: str, *, min_word_chars: int = 1) -> str | None:
    """Why a candidate response is degenerate and must not be judged, or ``None``.

    Args:
        text: The candidate response.
        min_word_chars: The fewest letters or digits a real response has.

    Returns:
        A short reason ("empty response", "only punctuation or symbols", "a bare opener
        with no content ('Solution')", ...), or ``None`` when the response may be judged.

    Example:
        >>> is_degenerate_candidate("Solution:")
        "a bare opener with no content ('Solution:')"
        >>> is_degenerate_candidate("Paris.") is None
        True
    """
    stripped = text.strip()
    if not stripped:
        return "empty response"
    word_chars = len(_WORD_CHAR_RE.findall(_LATEX_COMMAND_RE.sub(" ", stripped)))
    if word_chars == 0:
        return "only punctuation or symbols"
    if word_chars < min_word_chars:
        return f"fewer than {min_word_chars} letters or digits"
    if _is_opener(stripped):
        shown = stripped if len(stripped) <= 60 else stripped[:57] + "..."
        return f"a bare opener with no content ({shown!r})"
    return None
