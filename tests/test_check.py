"""check_derivative: a hand derivation compared at many points, and the usual mistakes named."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnet import Value
from microgradnet.check import (
    MAX_PATHS,
    DerivativeCheck,
    DerivativeCheckError,
    check_derivative,
)
from microgradnet.expr import ExpressionError

# Masha's network from the lecture notes: y_hat = w3·σ(w2·σ(w1·x)), L = ½(y − y_hat)².
MASHA = "0.5*(y - w3*sigmoid(w2*sigmoid(w1*x)))**2"
Y_HAT = "w3*sigmoid(w2*sigmoid(w1*x))"
O1, O2 = "sigmoid(w1*x)", "sigmoid(w2*sigmoid(w1*x))"
MASHA_AT = {"x": 1.5, "y": 0.2, "w1": 0.8, "w2": -1.2, "w3": 1.5}


def masha_answers(first: str) -> dict[str, str]:
    """The notes' three formulas with first factor `first` (ŷ − y correct, y − ŷ the slip)."""
    return {
        "w3": f"({first})*{O2}",
        "w2": f"({first})*w3*{O2}*(1 - {O2})*{O1}",
        "w1": f"({first})*w3*{O2}*(1 - {O2})*w2*{O1}*(1 - {O1})*x",
    }


# -- matches ------------------------------------------------------------------------------------


@pytest.mark.parametrize("w", ["w1", "w2", "w3"])
def test_the_corrected_masha_formulas_match(w: str) -> None:
    report = check_derivative(MASHA, masha_answers(f"{Y_HAT} - y")[w], w, at=MASHA_AT)
    assert report.matches and bool(report)
    assert report.points_checked == 200 and report.skipped == 0
    assert report.largest_error < 1e-14
    assert report.first_difference is None and report.diagnosis is None
    assert str(report).startswith(f"the answer matches ∂f/∂{w} at 200 points")


def test_functions_of_values_and_of_numbers_both_work() -> None:
    def f(x: Value, w: Value) -> Value:
        return (x * w).exp()

    assert check_derivative(f, lambda x, w: x * math.exp(x * w), "w")
    assert check_derivative(f, lambda x, w: x * (x * w).exp(), wrt=1)  # Values: .exp()
    assert check_derivative(f, "x*exp(x*w)", "w", points=5)


# -- the usual mistakes, each by hand -----------------------------------------------------------


@pytest.mark.parametrize("w", ["w1", "w2", "w3"])
def test_the_notes_sign_slip_is_named(w: str) -> None:
    report = check_derivative(MASHA, masha_answers(f"y - {Y_HAT}")[w], w, at=MASHA_AT)
    assert not report.matches
    assert report.diagnosis == f"the answer has the opposite sign: it is −∂f/∂{w}"
    diff = report.first_difference
    assert diff is not None and diff.point == MASHA_AT  # at is the first point checked
    assert diff.answer == pytest.approx(-diff.derivative, rel=1e-12)


def test_a_constant_factor_is_named() -> None:
    # d/dx of x²·y is 2xy: forgetting the 2 gives ½, doubling it gives 2
    half = check_derivative("x**2*y", "x*y", "x")
    assert half.diagnosis == "the answer is off by a constant factor: it is ½ × ∂f/∂x"
    double = check_derivative("x**2*y", "4*x*y", "x")
    assert double.diagnosis == "the answer is off by a constant factor: it is 2 × ∂f/∂x"
    three_quarters = check_derivative("x**2*y", "1.5*x*y", "x")
    assert three_quarters.diagnosis.endswith("it is ¾ × ∂f/∂x")  # type: ignore[union-attr]
    assert check_derivative("x**2*y", "-6*x*y", "x").diagnosis.endswith("−3 × ∂f/∂x")  # type: ignore[union-attr]


def test_the_derivative_by_another_variable_is_named() -> None:
    report = check_derivative("x**2*y", "x**2", "x")
    assert report.diagnosis == "the answer is ∂f/∂y, the derivative with respect to y, not x"


def test_a_missing_chain_rule_path_is_named() -> None:
    # f = x·y + x: ∂f/∂x = y + 1 is the sum of two paths, y through x·y and 1 straight to x
    report = check_derivative("x*y + x", "y", "x")
    assert report.diagnosis == "your answer leaves out path 2: ∂f/∂x"
    report = check_derivative("x*y + x", "1", "x")
    assert report.diagnosis is not None
    assert report.diagnosis.startswith("your answer leaves out path 1: ∂f/∂(x")


def test_a_path_counted_twice_is_named() -> None:
    report = check_derivative("x*y + x", "y + 2", "x")
    assert report.diagnosis == "your answer counts twice path 2: ∂f/∂x"


def test_the_two_operands_of_a_times_a_are_told_apart() -> None:
    # tanh(a·a) + a·b: ∂/∂a = 2a·(1 − tanh²(a²)) + b; the product rule's second term left out
    report = check_derivative("tanh(a*a) + a*b", "a*(1 - tanh(a*a)**2) + b", "a")
    assert report.diagnosis is not None
    text = report.diagnosis
    assert text.startswith("your answer leaves out path 2: ∂f/∂(tanh(a")
    assert "/∂a (second operand) — or path 1, whose term is the same" in text


def test_an_answer_that_ignores_the_variable_is_named() -> None:
    report = check_derivative("x**2*y", "2*y + 1", "x")
    assert report.diagnosis is not None
    assert report.diagnosis.startswith("your answer does not depend on x; the derivative does: ")
    constant = check_derivative("x**3", "3", "x")
    assert constant.diagnosis is not None
    assert constant.diagnosis.startswith("your answer does not depend on x")


def test_no_diagnosis_when_none_holds() -> None:
    report = check_derivative(lambda x, y: (x * y).exp(), lambda x, y: y * math.exp(x), "x")
    assert not report.matches and report.diagnosis is None
    assert "none of the usual mistakes explains the difference" in str(report)


def test_the_path_check_is_bounded() -> None:
    def f(x: Value) -> Value:
        y = x
        for _ in range(5):  # 2**5 = 32 paths, over MAX_PATHS
            y = y * y * 0.5
        return y + x

    report = check_derivative(f, lambda x: 0.0, "x", domain={"x": (0.5, 1.0)}, points=10)
    assert MAX_PATHS < 2**5
    assert report.notes == (
        f"the path check was not tried: ∂f/∂x is a sum over 33 paths, more than {MAX_PATHS}",
    )
    assert "note: the path check was not tried" in str(report)


def test_second_derivatives_by_a_pair() -> None:
    # f = x³·y: ∂²f/∂x² = 6xy, ∂²f/∂x∂y = 3x²; tanh: (tanh u)'' = −2·tanh u·(1 − tanh² u)
    assert check_derivative("x**3*y", "6*x*y", ("x", "x"))
    assert check_derivative("x**3*y", "3*x**2", ("x", "y"))
    assert check_derivative("x**3*y", "3*x**2", (1, 0))  # ∂²f/∂y∂x, by position
    assert check_derivative("tanh(x)", "-2*tanh(x)*(1 - tanh(x)**2)", ("x", "x"))
    sign = check_derivative("x**3*y", "-6*x*y", ("x", "x"))
    assert sign.derivative == "∂²f/∂x²"
    assert sign.diagnosis == "the answer has the opposite sign: it is −∂²f/∂x²"
    other = check_derivative("x**3*y", "6*x*y", ("x", "y"))
    assert other.diagnosis == "the answer is ∂²f/∂x², the derivative with respect to x, not y"
    assert str(other).startswith("the answer does not match ∂²f/∂x∂y at 200 points")
    with pytest.raises(ValueError, match="first or second derivatives only"):
        check_derivative("x**3*y", "0", ("x", "x", "y"))  # type: ignore[arg-type]


# -- points, domains, skipping ------------------------------------------------------------------


def test_points_outside_an_ops_domain_are_skipped_and_counted() -> None:
    report = check_derivative("log(x)*y", "y/x", "x", points=100)
    assert report.matches and report.skipped + report.points_checked == 100
    assert 30 < report.skipped < 70  # x uniform in [−2, 2]: about half are <= 0
    assert report.skip_reasons == {"f: log: input must be > 0": report.skipped}
    assert f"skipped {report.skipped} point(s)" in str(report)


def test_the_domain_and_the_centre_set_where_points_are_drawn() -> None:
    seen: list[float] = []

    def answer(x: float) -> float:
        seen.append(x)
        return 2 * x

    check_derivative("x**2", answer, "x", domain={"x": (3.0, 4.0)}, points=50)
    assert len(seen) == 50 and all(3.0 <= x <= 4.0 for x in seen)
    seen.clear()
    check_derivative("x**2", answer, "x", at={"x": 10.0}, points=50)
    assert seen[0] == 10.0 and all(0.0 <= x <= 20.0 for x in seen)  # ±max(1, |10|)
    seen.clear()
    check_derivative("x**2", answer, "x", at={"x": 0.25}, points=50)
    assert all(-0.75 <= x <= 1.25 for x in seen)  # ±max(1, |0.25|) = ±1
    seen.clear()
    check_derivative("x**2", answer, "x", points=50, seed=3)
    again = list(seen)
    seen.clear()
    check_derivative("x**2", answer, "x", points=50, seed=3)
    assert seen == again and all(-2 <= x <= 2 for x in seen)


def test_tolerances_and_raise_exception() -> None:
    # |error| = 1e-5 against atol + rtol·|2x| with 2x in [2, 4]
    assert not check_derivative("x**2", "2*x + 1e-5", "x", domain={"x": (1, 2)})
    assert check_derivative("x**2", "2*x + 1e-5", "x", domain={"x": (1, 2)}, atol=1e-5)
    assert check_derivative("x**2", "2*x + 1e-5", "x", domain={"x": (1, 2)}, rtol=5e-6, atol=0)
    assert not check_derivative("x**2", "2*x + 1e-5", "x", domain={"x": (1, 2)}, rtol=4e-6)
    with pytest.raises(DerivativeCheckError, match="opposite sign") as info:
        check_derivative("x**2", "-2*x", "x", raise_exception=True)
    assert isinstance(info.value, AssertionError)
    assert isinstance(info.value.report, DerivativeCheck)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="wrt='z' is not a variable of f \\(variables: x\\)"):
        check_derivative("x**2", "2*x", "z")
    with pytest.raises(ValueError, match="wrt=3 is out of range"):
        check_derivative("x**2", "2*x", 3)
    with pytest.raises(ValueError, match="points must be a whole number"):
        check_derivative("x**2", "2*x", "x", points=0)
    with pytest.raises(ValueError, match="lo < hi"):
        check_derivative("x**2", "2*x", "x", domain={"x": (1, 1)})
    with pytest.raises(ValueError, match="undefined at all 20 points"):
        check_derivative("log(x)", "1/x", "x", domain={"x": (-2, -1)}, points=20)
    with pytest.raises(ExpressionError, match="name 'q' is not declared"):
        check_derivative("x**2", "2*q", "x")
    with pytest.raises(ExpressionError, match="attribute access"):
        check_derivative("x.__class__", "1", "x")
    with pytest.raises(ValueError, match="rtol must be a finite number"):
        check_derivative("x**2", "2*x", "x", rtol=-1)


def test_report_as_dict_and_markdown() -> None:
    report = check_derivative("x**2*y", "-2*x*y", "x", at={"x": 1.0, "y": 2.0}, points=3)
    d = report.to_dict()
    assert d["matches"] is False and d["points_checked"] == 3 and d["derivative"] == "∂f/∂x"
    assert d["first_difference"] == {
        "point": {"x": 1.0, "y": 2.0},
        "answer": -4.0,
        "derivative": 4.0,
    }
    assert report._repr_markdown_().startswith("❌ **the answer does not match ∂f/∂x at 3 points**")


# -- properties ---------------------------------------------------------------------------------

coefficients = st.floats(0.25, 4.0)
factors = st.sampled_from([2.0, 0.5, 3.0, 1 / 3, -2.0, 0.25, -0.5, 5.0])


@settings(max_examples=25, deadline=None)
@given(c=coefficients, n=st.integers(2, 4), k=factors)
def test_property_a_scaled_answer_names_its_factor(c: float, n: int, k: float) -> None:
    f = f"{c!r}*x**{n}*y"
    correct = f"{c * n!r}*x**{n - 1}*y"
    assert check_derivative(f, correct, "x", points=20)
    report = check_derivative(f, f"{k!r}*({correct})", "x", points=20)
    assert report.diagnosis is not None and " × ∂f/∂x" in report.diagnosis
    assert check_derivative(f, f"-({correct})", "x", points=20).diagnosis == (
        "the answer has the opposite sign: it is −∂f/∂x"
    )


@settings(max_examples=25, deadline=None)
@given(c=coefficients, d=coefficients)
def test_property_each_left_out_path_is_found(c: float, d: float) -> None:
    # f = c·x·y + d·tanh(x): path 1 through c·x·y gives c·y, path 2 through tanh d·(1 − tanh²x)
    f = f"{c!r}*x*y + {d!r}*tanh(x)"
    without_second = f"{c!r}*y"
    report = check_derivative(f, without_second, "x", points=20)
    assert report.diagnosis is not None
    assert report.diagnosis.startswith("your answer leaves out path 2: ")
    without_first = f"{d!r}*(1 - tanh(x)**2)"
    report = check_derivative(f, without_first, "x", points=20)
    assert report.diagnosis is not None
    assert report.diagnosis.startswith("your answer leaves out path 1: ")


formulas = st.recursive(
    st.sampled_from(["x", "y", "1.5", "0.5"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" + ", " - ", "*"]), inner).map("".join),
        st.tuples(st.sampled_from(["tanh", "sigmoid", "exp"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
        inner.map(lambda a: f"({a})**2"),
    ),
    max_leaves=6,
)


@settings(max_examples=30, deadline=None)
@given(formulas)
def test_property_the_engines_own_derivative_matches_and_its_negative_is_named(f: str) -> None:
    from microgradnet import grad
    from microgradnet.expr import parse_expression

    def derivative(x: float, y: float) -> float:
        g: float = grad(lambda x, y: parse_expression(f, {"x": x, "y": y}))(x, y)
        return g

    if "x" not in f:
        return
    report = check_derivative(f, derivative, "x", at={"x": 0.3, "y": -0.4}, points=20)
    assert report.matches and report.largest_error == 0.0
    flipped = check_derivative(
        f, lambda x, y: -derivative(x, y), "x", at={"x": 1, "y": 1}, points=20
    )
    if not flipped.matches:  # unless ∂f/∂x is 0 at every point (x - x)
        assert flipped.diagnosis == "the answer has the opposite sign: it is −∂f/∂x"


# -- hostile input: the review's cases ------------------------------------------------------------


def test_an_invalid_or_too_long_formula_is_named_not_called_variable_free() -> None:
    for text in ("x +", "(x", "x*"):
        with pytest.raises(ExpressionError, match="not a valid expression"):
            check_derivative(text, "1", "x")
    with pytest.raises(ExpressionError, match=r"expression is 10000000 characters long, over"):
        check_derivative("x+" * 5_000_000, "1", "x")
    with pytest.raises(ValueError, match="f has no variables to differentiate by"):
        check_derivative("2 + 3", "0", "x")  # valid, and truly without variables


def test_points_are_drawn_within_the_finite_floats() -> None:
    seen: list[float] = []

    def answer(x: float) -> float:
        seen.append(x)
        return 1.0

    report = check_derivative("x", answer, "x", domain={"x": (-1e308, 1e308)})
    assert report.matches and (report.points_checked, report.skipped) == (200, 0)
    assert all(-1e308 <= x <= 1e308 for x in seen) and max(seen) > 1e306 > -1e306 > min(seen)
    for at in (1e308, -1e308, 1.7976931348623157e308):
        seen.clear()
        report = check_derivative("x", answer, "x", at={"x": at})
        assert report.matches and (report.points_checked, report.skipped) == (200, 0)
        assert seen[0] == at and all(abs(x) <= 1.7976931348623157e308 for x in seen)


@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(0, 2**32),
)
def test_property_a_domain_of_any_finite_floats_gives_points_inside_it(
    a: float, b: float, seed: int
) -> None:
    if not a < b:
        return
    seen: list[float] = []

    def answer(x: float) -> float:
        seen.append(x)
        return 1.0

    report = check_derivative("x", answer, "x", domain={"x": (a, b)}, points=5, seed=seed)
    assert report.matches and report.skipped == 0
    assert all(a <= x <= b for x in seen)


def test_the_work_is_bounded_before_it_is_done() -> None:
    from microgradnet.check import MAX_WORK

    calls: list[float] = []

    def answer(x: float, y: float) -> float:
        calls.append(x)
        return 0.0

    long_f = "+".join(
        "(" + "+".join(f"tanh(x*{k})*y" for k in range(g, g + 10)) + ")" for g in range(0, 60, 10)
    )
    with pytest.raises(
        ValueError,
        match=r"100,000 points × \d+ nodes .* more than MAX_WORK = 10,000,000; ask for at most",
    ):
        check_derivative(long_f, answer, "x", points=100_000)
    assert len(calls) <= 1  # refused at the first point, not after the work
    assert MAX_WORK == 10**7


def test_many_paths_are_counted_in_the_note() -> None:
    def f(x: Value) -> Value:
        y = x
        for _ in range(15_000):  # 2**15000 paths, each term 2**-15000 · ... : y stays x
            y = (y + y) * 0.5
        return y

    report = check_derivative(f, lambda x: math.sin(x), "x", points=3)
    assert not report.matches
    assert report.notes == (
        "the path check was not tried: ∂f/∂x is a sum over 2.82e+4515 paths, more than 20",
    )


def test_markdown_shows_labels_as_written() -> None:
    def f(x: Value, y: Value) -> Value:
        u = x * y
        u.label = "![a](//e.co/p) <img src=x onerror=alert(1)>\n\n# *b* `c` $d$"
        return u + x

    report = check_derivative(f, lambda x, y: 1.0, "x", points=5)  # leaves out path 1
    assert report.diagnosis is not None and report.diagnosis.startswith(
        "your answer leaves out path 1: ∂f/∂(![a](//e.co/p) <img"
    )
    md = report._repr_markdown_()
    assert r"\!\[a\]\(//e\.co/p\) \<img src=x onerror=alert\(1\)\>  \# \*b\* \`c\` \$d\$" in md
    mistune = pytest.importorskip("mistune", reason="mistune renders the Markdown (notebook extra)")
    html = mistune.html(md)
    assert "<img" not in html and "<a " not in html and "<h1" not in html and "<em>" not in html
    assert "![a](//e.co/p) &lt;img src=x onerror=alert(1)&gt;" in html


def test_argument_kinds_type_and_value_errors() -> None:
    one = lambda x: x * 2.0  # noqa: E731
    with pytest.raises(ValueError, match=r"wrt=\(\): first or second derivatives only"):
        check_derivative("x**2", "2*x", ())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="wrt must be a variable's name or position"):
        check_derivative("x**2", "2*x", 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="at must be a dict of name -> value or a sequence"):
        check_derivative(one, "2", at=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"at gives 2 values, but f takes 1 argument\(s\) \(x\)"):
        check_derivative(one, lambda x: 2.0, at=[1, 2])
    report = check_derivative(lambda *xs: xs[0] * xs[1], lambda *xs: xs[1], at=[1.0, 2.0])
    assert report.matches and report.variables == ("x0", "x1")  # *args: as many as given
    for bad in ("2", False, None, [2.0]):
        with pytest.raises(TypeError, match="answer must return a number or a Value, got"):
            check_derivative(one, lambda x, bad=bad: bad)
    np = pytest.importorskip("numpy")
    assert check_derivative(one, lambda x: np.float32(2.0))
    with pytest.raises(TypeError, match="answer must return"):
        check_derivative(one, lambda x: np.bool_(True))
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"points": 2.0}, TypeError, "points must be an int, got float"),
        ({"points": True}, TypeError, "points must be an int, got bool"),
        ({"points": 0}, ValueError, "points must be a whole number 1..100000"),
        ({"seed": "a"}, TypeError, "seed must be an int, got str"),
        ({"rtol": "a"}, TypeError, "rtol must be a finite number >= 0, got str"),
        ({"atol": float("nan")}, ValueError, "atol must be a finite number >= 0, got nan"),
        ({"raise_exception": 1}, TypeError, "raise_exception must be True or False, got int"),
        ({"domain": {"x": 5}}, TypeError, r"domain\['x'\] must be a pair \(lo, hi\), got int"),
        ({"domain": {"x": (1, 2, 3)}}, ValueError, r"domain\['x'\] must be a pair"),
        ({"domain": "x"}, TypeError, "domain must be a dict of name -> value or a sequence"),
        ({"at": {1: 2.0}}, TypeError, "at's names must be str, got int"),
        ({"at": {"x": "a"}}, TypeError, r"at\['x'\] must be a real number"),
    ]
    for kwargs, kind, message in cases:
        with pytest.raises(kind, match=message):
            check_derivative("x**2", "2*x", "x", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="f must be a formula string or a function, got int"):
        check_derivative(5, "1")  # type: ignore[arg-type]


def test_a_huge_name_is_cut_in_the_message() -> None:
    with pytest.raises(ValueError, match="is not a variable of f") as info:
        check_derivative("x**2", "2*x", "y" * 10_000_000)
    assert len(str(info.value)) < 200 and "…" in str(info.value)
