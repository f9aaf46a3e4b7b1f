"""explain and to_latex on hostile graphs and labels: huge path counts, long chains, labels that
would break LaTeX, and the argument checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradnet import Value, explain
from microgradnet.chain_rule import EXACT_BELOW, ChainPath, count_text
from microgradnet.latex import latex_number_text, latex_text


def doubling(n: int) -> tuple[Value, Value]:
    """x, then y = y + y n times: 2**n paths from y down to x, dy/dx = 2**n."""
    x = Value(1.0, "x")
    y = x
    for _ in range(n):
        y = y + y
    return y, x


def test_astronomically_many_paths_are_counted_in_exponent_form() -> None:
    y, x = doubling(15_000)  # 2**15000 paths: 4,516 digits, past int -> str's limit
    e = explain(y, x, max_paths=2)
    assert e.n_paths == 2**15_000 and len(e.paths) == 2
    assert f"{Decimal(2**15_000):.2e}" == "2.82e+4515"  # the count, worked out by Decimal
    text = str(e)
    assert "= sum over 2.82e+4515 paths of the product" in text
    assert "  ... and 2.82e+4515 more paths not shown" in text
    assert "…(14988 more)…" in text  # each path has 15,000 edges, 12 of them written
    latex = e.to_latex()
    assert r"\sum_{k=1}^{2.82 \times 10^{4515}}" in latex
    assert r"\text{and 2.82 \times 10^{4515} more paths not shown}" in latex
    assert r"\cdots_{\text{(14988 more)}}" in latex


def test_count_text_is_exact_below_the_bound() -> None:
    assert count_text(0) == "0" and count_text(4096) == "4096"
    assert count_text(EXACT_BELOW - 1) == "999999999999999"
    assert count_text(EXACT_BELOW) == "1e+15"
    assert count_text(10**18 - 1) == "1e+18"  # 9.995e17 rounds up a decade
    with pytest.raises(TypeError, match="count_text: n must be an int, got float"):
        count_text(1e20)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count_text: n must be >= 0, got -1"):
        count_text(-1)


@given(st.integers(15, 6000).flatmap(lambda d: st.integers(10**d, 10 ** (d + 1) - 1)))
def test_count_text_is_within_its_three_digits(n: int) -> None:
    mantissa, _, exponent = count_text(n).partition("e+")
    assert 1 <= Decimal(mantissa) < 10
    approx = Decimal(mantissa) * Decimal(10) ** int(exponent)
    assert abs(approx - Decimal(n)) <= Decimal("0.0051") * Decimal(n)


def test_max_paths_is_an_int_at_least_zero() -> None:
    a = Value(1.5, "a")
    f = a * a
    with pytest.raises(TypeError, match=r"explain: max_paths must be an int >= 0.*got NoneType"):
        explain(f, a, max_paths=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got bool"):
        explain(f, a, max_paths=True)
    with pytest.raises(ValueError, match=r"max_paths must be an int >= 0 .*got -1"):
        explain(f, a, max_paths=-1)
    none_listed = explain(f, a, max_paths=0)
    assert (none_listed.paths, none_listed.n_paths, none_listed.total) == ((), 2, 3.0)
    with pytest.raises(TypeError, match="explain: wrt must be a Value, got float"):
        explain(f, 1.5)  # type: ignore[arg-type]


def test_paths_compare_by_identity_not_by_the_data_of_their_values() -> None:
    """Values compare by data; a ChainPath holding Values must not (two different graphs with
    equal numbers are two different paths)."""
    first = explain(Value(2.0, "x") * 3.0, Value(0.0)).paths  # () : x is not the wrt
    assert first == ()
    x1, x2 = Value(2.0, "x"), Value(2.0, "x")
    p1 = explain(x1 * 3.0, x1).paths[0]
    p2 = explain(x2 * 3.0, x2).paths[0]
    assert isinstance(p1, ChainPath) and p1.factors == p2.factors
    assert p1 != p2 and p1 == p1
    assert p2 not in [p1] and [p1].index(p1) == 0
    e1, e2 = explain(x1 * 3.0, x1), explain(x1 * 3.0, x1)
    assert e1 != e2


def test_a_label_with_a_five_thousand_digit_exponent_is_written() -> None:
    label = "1e" + "9" * 5000  # int("9" * 5000) exceeds int -> str's limit
    x = Value(2.0, "x")
    y = x * 3.0
    y.label = label
    latex = explain(y, x).to_latex()
    assert f"1 \\times 10^{{{'9' * 5000}}}" in latex
    assert latex_number_text("1.5e-07") == r"1.5 \times 10^{-7}"
    assert latex_number_text("2e+0005") == r"2 \times 10^{5}"
    assert latex_number_text("3e-000") == r"3 \times 10^{0}"


@pytest.mark.parametrize(
    "label", ["a\n\nb", "a\r\n\r\nb", "a\n \n b", "a\x0c\x0cb", "a\u2028\u2029b"]
)
def test_a_label_with_blank_lines_stays_inside_the_math(label: str) -> None:
    x = Value(2.0, "x")
    y = (x * 3.0).tanh()
    y.label = label
    for latex in (explain(y, x).to_latex(), explain(y + x, x).to_latex()):
        lines = latex.splitlines()
        assert lines[0] == r"\begin{aligned}" and lines[-1] == r"\end{aligned}"
        assert all(line.strip() for line in lines)  # no blank line: no \par in the block
        assert not any(ch in latex for ch in "\r\x0c\u2028\u2029")


def test_control_characters_are_shown_not_passed_to_latex() -> None:
    assert latex_text("a\x01b\x7f") == r"a\backslash x01b\backslash x7f"
    assert latex_text("a\tb") == "a b"
    with pytest.raises(TypeError, match="latex_text: text must be a str, got int"):
        latex_text(5)  # type: ignore[arg-type]


def test_deeply_nested_exponents_need_no_recursion() -> None:
    text = "a^(" * 3000 + "b" + ")" * 3000
    out = latex_text(text)
    assert out.startswith("a^{(a^{(a^{(") and out.endswith(")}" * 3000)
    assert out.count("{") == out.count("}") == 3000
    unclosed = latex_text("a^(" * 3000)  # never closed: each group runs to the end
    assert unclosed.count("{") == unclosed.count("}") == 3000
