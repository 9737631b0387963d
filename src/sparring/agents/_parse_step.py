"""Step verdicts (SPC style): ``<Answer>Correct</Answer>`` or ``<Answer>Incorrect</Answer>``.

Read as a pointwise verdict on a 0-1 scale: Correct is 1, Incorrect is 0. Only tags on the
judge's last non-empty line count; quoted earlier tags (e.g. a step that contains one) decide
nothing, and two different tags on that line are conflicting.
"""

from __future__ import annotations

import re

from sparring.agents._verdict import Verdict

__all__ = ["STEP_EXPECTATION", "parse_step_verdict"]

STEP_EXPECTATION = (
    "expected a last line ending with <Answer>Correct</Answer> or <Answer>Incorrect</Answer>"
)
_TAG_RE = re.compile(r"<answer>\s*(correct|incorrect)\s*</answer>", re.IGNORECASE)


def parse_step_verdict(text: str) -> Verdict:
    """Parse a step critic's output: score 1.0 (correct), 0.0 (incorrect), or unscored."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    found = {m.group(1).lower() for m in _TAG_RE.finditer(last)}
    reasoning = "\n".join(lines[:-1]).strip()
    if len(found) > 1:
        return Verdict.unscored(
            "pointwise",
            "conflicting_verdicts",
            text,
            detail=f"both Correct and Incorrect on the last line; {STEP_EXPECTATION}",
        )
    if not found:
        return Verdict.unscored(
            "pointwise",
            "parse_failure",
            text,
            detail=f"no <Answer> tag on the last line; {STEP_EXPECTATION}",
        )
    score = 1.0 if found == {"correct"} else 0.0
    return Verdict.from_score(score, reasoning=reasoning, raw=text)
