r"""Answer extraction and equivalence for verifiable math tasks.

``extract_answer`` recovers the final answer from a solution (GSM8K ``####``, ``\boxed{}``,
"The answer is ...", PRM800K ``# Answer`` sections, ``Answer:`` lines; the last number only
when asked for with ``last_number_fallback=True`` or, for a whole run, with
``use_answer_extraction("last_number_fallback")``; see ``answer_extraction_config``), and
``is_equiv`` decides whether two answers mean the same. Plain answers are compared exactly and
quickly; only the rest goes to math-verify (imported lazily: importing this package does not
import sympy).

Example:
    >>> from sparring.verify import extract_answer, is_equiv
    >>> answer = extract_answer("So she earns 9 * 2 = $18 a day.\n#### 18")
    >>> answer
    '18'
    >>> is_equiv(answer, "18.00")
    True
"""

from sparring.verify._equiv import is_equiv
from sparring.verify._extract import (
    AnswerExtraction,
    answer_extraction,
    answer_extraction_config,
    extract_answer,
    use_answer_extraction,
)
from sparring.verify._numbers import normalize_number

__all__ = [
    "AnswerExtraction",
    "answer_extraction",
    "answer_extraction_config",
    "extract_answer",
    "is_equiv",
    "normalize_number",
    "use_answer_extraction",
]
