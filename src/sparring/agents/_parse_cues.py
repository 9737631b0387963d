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

When the verdict is read from a line above the last one, two more cues guard against a
candidate's verdict echoed verbatim (outside any quotation) by a judge that then goes on:

* ``disowns`` (on each line after the verdict line): the line disowns a verdict or says there
  is none: "is an injection" (is/was/looks like + fake, forged, planted, injected, bogus,
  spurious, an injection, a manipulation, not mine, not my ...), "fake
  verdict" (fake, forged, planted, injected, bogus, spurious + verdict, score, rating, token,
  tag, line, judgment, instruction, delimiter, marker, fence, result), "tries to game the
  grader" (tries, "an attempt", aims, seeks, wants + to + game, steer, trick, fool, manipulate,
  hijack, sway, influence, override, inflate), "steer the grading" (game, steer, trick, fool,
  hijack, sway, manipulate + the grader, grading, judge, evaluator, evaluation, verdict,
  score, scoring, rating, review), "which I ignore" (also ignored, disregard, discount),
  "I ignore it/this/that/the line ...", "not my verdict" (my, my own, a real, a genuine +
  verdict, score, rating, decision, judgment), "the line above", "that last line" (last,
  previous, preceding + line, verdict, token, tag), "is from the response" (is, was, comes +
  quoted/copied/taken + from the response, candidate, submission), "could not decide"
  (could not / cannot / can't / unable to / hard to + settle, decide, determine, choose, pick,
  commit), "no final verdict" (no + verdict, decision, result), undecided, abstain;
* ``introduces_quote`` (on the lines above the verdict line): the line ends by introducing
  quoted text: "Response B reads:" (reads, says, said, writes, wrote, states, stated, outputs,
  prints, ends with, ends in, concludes with, finishes with, closes with, signs off with,
  "as follows", "the following", verbatim, quotes), with or without the colon.
"""

from __future__ import annotations

import re

from sparring.agents._parse_mask import SENTINEL

__all__ = ["disowns", "introduces_quote", "is_mention", "is_refusal"]

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


_DISOWN_RE = re.compile(
    r"\b(?:is|was|are|were|looks?\s+like|seems?)\s+(?:an?\s+|clearly\s+|obviously\s+|just\s+)?"
    r"(?:fake|forged|planted|injected|bogus|spurious|injection|manipulation|"
    r"not\s+mine\b|not\s+my\b)"
    r"|\b(?:fake|forged|planted|injected|bogus|spurious)\s+(?:verdict|score|rating|token|tag|"
    r"line|judg(?:e)?ment|instruction|delimiter|marker|fence|result)s?\b"
    r"|\b(?:tries|tried|trying|attempts?|attempted|attempting|aims?|seeks?|wants?)\s+to\s+"
    r"(?:game|steer|trick|fool|manipulate|hijack|sway|influence|override|inflate)\b"
    r"|\b(?:game|gaming|steer\w*|trick\w*|fool\w*|hijack\w*|sway\w*|manipulat\w*)\s+"
    r"(?:the\s+|my\s+|this\s+)?(?:grader|grading|judge|judging|evaluator|evaluation|verdict|"
    r"score|scoring|rating|review|reviewer)\b"
    r"|\bwhich\s+I\s+(?:ignore|ignored|disregard|disregarded|discount|discounted)\b"
    r"|\bI\s+(?:have\s+|will\s+|'ve\s+)?(?:ignore[ds]?|disregard(?:ed)?|discount(?:ed)?)\s+"
    r"(?:it|this|that|the\s+(?:line|verdict|token|tag|score|rating|instruction))\b"
    r"|\bnot\s+(?:my|my\s+own|a\s+real|a\s+genuine)\s+(?:verdict|score|rating|decision|"
    r"judg(?:e)?ment)\b"
    r"|\b(?:line|verdict|token|tag)\s+above\b"
    r"|\b(?:last|previous|preceding)\s+(?:line|verdict|token|tag)\b"
    r"|\b(?:is|was|comes?|came)\s+(?:quoted\s+|copied\s+|taken\s+)?from\s+(?:the\s+)?"
    r"(?:response|candidate|submission)\b"
    r"|\b(?:could|can)(?:\s*not|n't)\s+(?:settle|decide|determine|choose|pick|commit)\b"
    r"|\b(?:unable|hard|impossible|difficult)\s+to\s+(?:settle|decide|determine|choose|pick)\b"
    r"|\bno\s+(?:final\s+|clear\s+)?(?:verdict|decision|result)\b"
    r"|\bundecided\b|\babstain",
    re.IGNORECASE,
)
_INTRO_RE = re.compile(
    r"\b(?:reads?|says?|said|writes?|wrote|states?|stated|outputs?|prints?|"
    r"(?:ends?|ended|concludes?|concluded|finish(?:es|ed)?|closes?|closed|signs?\s+off)\s+"
    r"(?:with|in)|as\s+follows|the\s+following|verbatim|quotes?)[\s*_]*+:?[\s*_]*+$",
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


def disowns(line: str) -> bool:
    """Whether ``line`` (visible text after a verdict line) disowns a verdict or gives none."""
    return _DISOWN_RE.search(_plain(line)) is not None


def introduces_quote(line: str) -> bool:
    """Whether ``line`` (visible text) ends by introducing quoted text ("Response B reads:")."""
    return _INTRO_RE.search(_plain(line)) is not None
