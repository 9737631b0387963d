"""Hand-made edge cases for sparring.verify: extraction, equivalence, normalization, guards."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import pytest

from sparring.verify import _symbolic, extract_answer, is_equiv, normalize_number

EXTRACT_CASES = [
    ("gsm8k", "She makes 9 * 2 = $<<9*2=18>>18.\n#### 18", "18"),
    ("gsm8k-commas", "So the total is 1,000.\n#### 1,000", "1,000"),
    ("gsm8k-last-marker", "#### 3\nOops, recount.\n#### 4", "4"),
    ("gsm8k-negative", "The change is -3 degrees.\n#### -3", "-3"),
    ("markdown-heading-not-answer", "$\\boxed{3}$\n#### Verification\nAll good.", "3"),
    ("markdown-step-heading", "#### Step 1: add\n2 + 1 = 3, so $\\boxed{3}$.", "3"),
    ("boxed", r"So $x = \boxed{7}$.", "7"),
    ("boxed-nested", r"Thus $\boxed{\frac{1}{\sqrt{2}}}$.", r"\frac{1}{\sqrt{2}}"),
    ("boxed-last-of-many", r"First $\boxed{1}$, then $\boxed{2}$.", "2"),
    ("fbox", r"Hence \fbox{x+1}.", "x+1"),
    ("boxed-escaped-braces", r"$\boxed{\{1\pm\sqrt{5},-2\}}$", r"\{1\pm\sqrt{5},-2\}"),
    ("boxed-truncated-last", r"$\boxed{12}$ and later \boxed{\frac{1}{", "12"),
    ("boxed-space-form", r"so \boxed 5", "5"),
    ("boxed-text-choice", r"The answer is $\boxed{\text{(B)}}$.", "(B)"),
    (
        "boxed-matrix",
        r"$\boxed{\begin{pmatrix} 1 \\ 2 \end{pmatrix}}$",
        r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}",
    ),
    ("answer-is-dollars", "Adding up, the answer is $5$.", "5"),
    (
        "answer-is-minerva",
        r"Final Answer: The final answer is $\frac{3}{4}$. I hope it is correct.",
        r"\frac{3}{4}",
    ),
    ("answer-is-boxed", r"The final answer is $\boxed{3}$. I hope it is correct.", "3"),
    ("answer-is-decimal-unit", "So the answer is 3.5 meters. Done.", "3.5 meters"),
    ("answer-is-bold", "The answer is **12**.", "12"),
    ("answer-is-paren-math", r"The answer is \(\frac{3}{4}\).", r"\frac{3}{4}"),
    ("answer-is-display", "The answer is $$x^2$$", "x^2"),
    ("answer-is-next-line", "The answer is:\n\n42", "42"),
    ("answer-is-last", "The answer is 4. No wait, the answer is 5.", "5"),
    ("answer-is-verdict-skipped", "The answer is $6$. Our answer is correct.", "6"),
    ("boxed-beats-prose-check", r"Hence $\boxed{44}$. We check: our answer is correct.", "44"),
    ("prm800k-section", "So a pencil costs 29 cents.\n\n# Answer\n\n29", "29"),
    ("prm800k-section-base", "No conversion needed.\n\n# Answer\n\n40_9", "40_9"),
    ("markdown-answer-heading", "#### Final Answer\n\\(42\\)", "42"),
    ("answer-line", "Work...\nAnswer: 42", "42"),
    ("answer-line-bold", "Work...\n**Final Answer:** 7", "7"),
    ("answer-line-latex", "Answer: $\\frac{1}{2}$", r"\frac{1}{2}"),
    ("text-wrapper", r"The answer is $\text{Evelyn}$.", "Evelyn"),
    ("gsm8k-calculator-annotation", "so 32 * 0.25 = <<32*0.25=8>>8.\nThe answer is <<8=8>>8.", "8"),
    ("answer-is-filler-word", "Since 3>2, he buys B.\nThe answer is therefore 3.", "3"),
    ("answer-is-calculation", "the final answer is 15 gal * 8 pt / gal = 120 pints", "120 pints"),
    ("boxed-equation-kept", r"$\boxed{5x - 7y + 11z + 4 = 0}$", "5x - 7y + 11z + 4 = 0"),
    ("boxed-assignment-kept", r"$\boxed{x = 5}$", "x = 5"),
    ("fallback-last-number", "I think it's 3.5 or 4.", "4"),
    ("fallback-negative", "so it is -5", "-5"),
    ("fallback-subtraction", "we get 10-5", "5"),
    ("fallback-fraction", "the ratio is 3/4.", "3/4"),
    ("fallback-thousands", "That costs 12,500 dollars in total.", "12,500"),
]


_FALLBACK = {text: want for name, text, want in EXTRACT_CASES if name.startswith("fallback-")}


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in EXTRACT_CASES], ids=[c[0] for c in EXTRACT_CASES]
)
def test_extract_answer(text: str, expected: str) -> None:
    fallback = expected == _FALLBACK.get(text)
    assert extract_answer(text, last_number_fallback=fallback) == expected


@pytest.mark.parametrize(
    "text",
    ["There is no answer here.", "", "   ", r"\boxed{}", "the answer is"],
    ids=["prose", "empty", "blank", "empty-box", "dangling-phrase"],
)
def test_extract_answer_none_without_fallback(text: str) -> None:
    assert extract_answer(text, last_number_fallback=False) is None


def test_fallback_only_when_asked() -> None:
    text = "We computed 12 apples and 7 pears."
    assert extract_answer(text) is None
    assert extract_answer(text, last_number_fallback=True) == "7"
    unsure = "I cannot tell. Step 2 is unclear."
    assert extract_answer(unsure) is None
    assert extract_answer(unsure, last_number_fallback=True) == "2"
    for text, want in _FALLBACK.items():
        assert extract_answer(text) is None, (text, want)


EQUIV_CASES = [
    ("thousands", "1,000", "1000"),
    ("thousands-latex", r"10,\!080", "10080"),
    ("thousands-braces", "1{,}000", "1000"),
    ("thousands-space", "1 000 000", "1000000"),
    ("sign-plus", "+5", "5"),
    ("negative-decimal", "-5", "-5.0"),
    ("decimal-leading-dot", "0.50", ".5"),
    ("fraction-decimal", "3/4", "0.75"),
    ("latex-frac-decimal", r"\frac{1}{2}", "0.5"),
    ("dfrac-shorthand", r"\dfrac12", "1/2"),
    ("tfrac", r"\tfrac{3}{4}", r"\frac34"),
    ("negative-frac", r"-\frac{3}{8}", "-0.375"),
    ("frac-signed-numerator", r"\frac{-3}{8}", r"-\frac{3}{8}"),
    ("mixed-number", r"1\frac{4}{5}", "1.8"),
    ("percent-vs-plain", "25%", "25"),
    ("percent-latex", r"25\%", "25"),
    ("percent-vs-fraction", "25%", "0.25"),
    ("percent-word", "25 percent", "25%"),
    ("dollar-sign", "$18", "18"),
    ("latex-dollar", r"\$18.90", "18.9"),
    ("dollars-word", "18 dollars", "18"),
    ("text-unit", r"18 \text{ cm}", "18"),
    ("mbox-unit-squared", r"15\mbox{ cm}^2", "15"),
    ("degrees", r"90^\circ", "90"),
    ("assignment", "x = 5", "5"),
    ("exponent", "1.5e3", "1500"),
    ("times-ten", r"3 \times 10^{2}", "300"),
    ("rounded-repeating", "0.333", r"\frac{1}{3}"),
    ("math-delimiters", "$5$", "5"),
    ("left-right-tuple", r"\left( 3, \frac{\pi}{2} \right)", r"(3,\frac{\pi}{2})"),
    ("tuple-numbers", r"(\frac{1}{2}, 3)", "(0.5, 3)"),
    ("interval-same", r"(2,\infty)", r"(2, \infty)"),
    ("text-answer-case", r"\text{East}", "east"),
    ("choice-letter", r"\text{(B)}", "B"),
    ("base-subscript", "40_9", "40_{9}"),
    ("symbolic-nested-root", r"\frac{1}{\sqrt{2}}", r"\frac{\sqrt{2}}{2}"),
    ("symbolic-root", r"\sqrt{8}", r"2\sqrt{2}"),
    ("symbolic-polynomial", "(x+1)^2", "x^2+2x+1"),
    ("symbolic-set-order", r"\{1\pm\sqrt{5},-2\}", r"-2, 1+\sqrt5, 1-\sqrt5"),
    ("symbolic-list-order", "3, 5, 7", "7, 5, 3"),
    ("symbolic-pi", r"\frac{\pi}{2}", r"\pi/2"),
    ("symbolic-complex", "1 - 12i", "1-12i"),
    ("symbolic-decimal-root", "1.414214", r"\sqrt{2}"),
]


@pytest.mark.parametrize(
    ("pred", "gold"), [c[1:] for c in EQUIV_CASES], ids=[c[0] for c in EQUIV_CASES]
)
def test_equivalent(pred: str, gold: str) -> None:
    assert is_equiv(pred, gold)


NOT_EQUIV_CASES = [
    ("digits-swapped", "12", "21"),
    ("half-vs-two", "1/2", "2"),
    ("decimal-precision", "0.3", "0.33"),
    ("short-rounding", "0.33", "1/3"),
    ("plain-vs-hundredth", "25", "0.25"),
    ("thousands-vs-decimal", "1,000", "1.000"),
    ("sign", "-5", "5"),
    ("variable-coefficient", "18x", "18"),
    ("imaginary", "2i", "2"),
    ("factorial", "5!", "5"),
    ("two-numbers", "3 5", "35"),
    ("tuple-order", "(1,2)", "(2,1)"),
    ("open-vs-closed", r"(2,\infty)", r"[2,\infty)"),
    ("different-words", "Evelyn", "Evlyne"),
    ("word-vs-number", "five", "4"),
    ("symbolic-different", r"\sqrt{2}", r"\sqrt{3}"),
    ("polynomial-different", "(x+1)^2", "x^2+1"),
    ("empty-pred", "", "5"),
]


@pytest.mark.parametrize(
    ("pred", "gold"), [c[1:] for c in NOT_EQUIV_CASES], ids=[c[0] for c in NOT_EQUIV_CASES]
)
def test_not_equivalent(pred: str, gold: str) -> None:
    assert not is_equiv(pred, gold)


@pytest.mark.parametrize(("pred", "gold"), [(None, "1"), ("1", None), (None, None)])
def test_none_is_never_equivalent(pred: str | None, gold: str | None) -> None:
    assert is_equiv(pred, gold) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,000", "1000"),
        ("0.750", "3/4"),
        (r"\dfrac{3}{4}", "3/4"),
        (r"\$18", "18"),
        ("25%", "25%"),
        ("-.5", "-1/2"),
        (r"137 \frac{1}{2}", "275/2"),
        ("x + 1", None),
        ("3/0", None),
        ("", None),
    ],
)
def test_normalize_number(text: str, expected: str | None) -> None:
    assert normalize_number(text) == expected


def test_extract_then_compare_round_trip() -> None:
    answer = extract_answer("Total: 1,000 + 250 = 1,250.\n#### 1,250")
    assert is_equiv(answer, "1250")
    assert not is_equiv(answer, "1205")


def test_import_does_not_load_sympy() -> None:
    code = (
        "import sys, sparring.verify; print('sympy' in sys.modules, 'math_verify' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_plain_numbers_do_not_load_math_verify() -> None:
    code = (
        "import sys; from sparring.verify import is_equiv\n"
        "assert is_equiv('1,000', '1000') and not is_equiv('0.3', '0.33')\n"
        "print('math_verify' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _in_thread(pred: str, gold: str) -> bool:
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(is_equiv(pred, gold)))
    thread.start()
    thread.join()
    return result[0]


def test_symbolic_works_off_the_main_thread() -> None:
    # math-verify's signal-based timeouts cannot run here; the guard turns them off.
    assert _in_thread(r"\frac{1}{\sqrt{3}}", r"\frac{\sqrt{3}}{3}")
    assert not _in_thread(r"\frac{1}{\sqrt{3}}", r"\frac{\sqrt{2}}{3}")


def test_hazardous_input_is_refused_off_the_main_thread() -> None:
    # Without a timeout, a tower of powers could run sympy for ever: it is refused (False).
    assert not _in_thread("9^{9^{9}}", "7")
    assert not _in_thread("(10^{100000})!", "7")


def test_timeout_in_main_thread_gives_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_symbolic, "VERIFY_TIMEOUT_S", 1)
    monkeypatch.setattr(_symbolic, "PARSE_TIMEOUT_S", 1)
    assert not is_equiv("2^{2^{99}}", "3")


def test_math_verify_errors_never_escape(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(_symbolic, "_load", lambda: (boom, boom, TimeoutError))
    _symbolic._cached_verify.cache_clear()
    try:
        assert not is_equiv(r"\sqrt{5}", r"\sqrt{5} + 0")
    finally:
        _symbolic._cached_verify.cache_clear()


def test_oversized_input_is_refused() -> None:
    long_expression = "+".join(["x"] * 400)
    assert not is_equiv(long_expression, "400x")


def test_garbage_never_raises() -> None:
    samples = ["{", "}", r"\boxed{", r"\frac{", "$", "$$", "\\", "(", "((1,2)", r"\left(", "%", "#"]
    for pred in samples:
        for gold in samples:
            assert isinstance(is_equiv(pred, gold), bool)
        extract_answer(pred)
