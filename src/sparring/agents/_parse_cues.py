"""Cues that a verdict token on the final line is quoted, and refusals.

A judge that discusses an injected verdict often names it without quotation marks, on its
last line: "Response A ends with [[A]], which I ignore." Such a token is *mentioned*, not
*used*. ``is_mention`` recognises the common shapes from the words right around the token:

* before it (ignoring masked quotes, markdown emphasis and punctuation), a quoting verb or
  descriptor, optionally followed by up to three fillers such as "the", "text", "verdict":
  says/said, claims, writes/wrote, reads, prints, outputs, contains, includes, quotes,
  mentions, suggests, demands, requests, asks for, "ends with" (and ends in / finishes /
  closes / concludes / signs off / responds / replies / answers with), appends, injects,
  inserts, embeds, plants, pretends, "to output" (print, write, say, give, declare, answer,
  return, emit, award, assign, respond with, reply with), fake, forged, bogus, spurious,
  literal, counterfeit;
* after it: "appears in", "occurs in", "is written in" (placed / found / embedded / quoted,
  also with inside / within / at the end of), "is fake" (forged, injected, planted,
  embedded, inserted, appended, an injection, a manipulation, an attempt, a trick,
  "not my" / "not a real" / "not a genuine"), "in the response" (candidate, answer, output,
  assistant, submission, text), "from the response", inside, within, "at the end of",
  "written by", "that the response ...", "which the candidate ...".

``is_refusal`` recognises a judge declining to evaluate ("I cannot evaluate ...", "I'm sorry,
but I can't ...", "I must decline").
"""

from __future__ import annotations

import re

from sparring.agents._parse_mask import SENTINEL

__all__ = ["is_mention", "is_refusal"]

_QUOTING_VERB = (
    r"says?|said|claims?|claimed|writes?|wrote|written|reads?|prints?|printed|outputs|"
    r"outputted|contains?|contained|includes?|included|quotes?|quoted|mentions?|mentioned|"
    r"suggests?|suggested|demands?|demanded|requests?|requested|asks?\s+for|asked\s+for|"
    r"(?:ends?|ending|ended|finish(?:es|ed)?|closes?|closed|concludes?|concluded|signs?\s+off|"
    r"signed\s+off|responds?|responded|replies|replied|answers|answered)\s+(?:with|in)|"
    r"appends?|appended|injects?|injected|inserts?|inserted|embeds?|embedded|plants?|planted|"
    r"pretends?|to\s+(?:output|print|write|say|give|declare|answer|return|emit|award|assign|"
    r"respond\s+with|reply\s+with)|fake|forged|bogus|spurious|literal|counterfeit"
)
_FILLER = (
    r"the|a|an|this|that|its|their|own|following|text|string|line|token|tag|marker|phrase|"
    r"verdict|score|rating|label|words?"
)
_LEAD_CUE_RE = re.compile(
    r"\b(?:" + _QUOTING_VERB + r")(?:\s+(?:" + _FILLER + r")\b){0,3}[\s:,\-–—*_]*$",
    re.IGNORECASE,
)
_PLACE = r"(?:in|inside|within|at\s+the\s+end\s+of)\b"
_CANDIDATE = r"(?:response|candidate|answer|output|assistant|submission|text)\b"
_TAIL_CUE_RE = re.compile(
    r"[\s,:;.\-–—*_]*(?:"
    r"(?:appears?|appeared|occurs?|occurred)\s+" + _PLACE + r"|"
    r"(?:is|was)\s+(?:written|placed|found|embedded|quoted)\s+" + _PLACE + r"|"
    r"(?:is|was)\s+(?:an?\s+)?(?:fake|forged|injected|planted|embedded|inserted|appended|"
    r"injection|manipulation|attempt|trick|not\s+(?:my|a\s+real|a\s+genuine))\b|"
    r"(?:in|from)\s+(?:the\s+)?" + _CANDIDATE + r"|"
    r"inside\b|within\b|at\s+the\s+end\s+of\b|written\s+by\b|"
    r"(?:that|which)\s+(?:the\s+)?(?:response|candidate|answer|assistant|submission|model)\b"
    r")",
    re.IGNORECASE,
)
_REFUSAL_RE = re.compile(
    r"\bI(?:'m|\s+am)\s+(?:sorry|afraid)\b[^.\n]{0,60}?\b(?:can(?:'t|not|\s+not)|unable|"
    r"won't|will\s+not|must\s+decline)"
    r"|\bI\s+(?:can(?:'t|not|\s+not)|am\s+unable\s+to|'m\s+unable\s+to|am\s+not\s+able\s+to|"
    r"won't|will\s+not|must\s+decline\s+to|have\s+to\s+decline\s+to|decline\s+to|refuse\s+to)"
    r"\s+(?:\w+\s+){0,2}?(?:evaluate|assess|judge|grade|rate|score|compare|review|help|assist|"
    r"comply|provide|fulfil+|complete|answer|do\s+(?:that|this))\b"
    r"|\bI\s+must\s+(?:decline|refuse)\b",
    re.IGNORECASE,
)


_NEAR = 160  # characters around a token that can hold a cue


def _plain(text: str) -> str:
    return text.replace(SENTINEL, "").replace("\u2019", "'")


def is_mention(before: str, after: str) -> bool:
    """Whether the words around a token (``before``/``after`` it) show it is being quoted."""
    before, after = _plain(before)[-_NEAR:], _plain(after)[:_NEAR]
    return _LEAD_CUE_RE.search(before) is not None or _TAIL_CUE_RE.match(after) is not None


def is_refusal(lines: list[str]) -> bool:
    """Whether any of ``lines`` (visible text) declines to evaluate."""
    return any(_REFUSAL_RE.search(_plain(line)) for line in lines)
