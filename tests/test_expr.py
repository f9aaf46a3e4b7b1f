"""Tests of the safe formula parser: the grammar, its refusals, and that it never runs text."""

from __future__ import annotations

import ast
import builtins
import math

import pytest
from guards import Executed, nothing_runs
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnet import ops
from microgradnet.engine import Constant, Value
from microgradnet.expr import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    OPERATORS,
    ExpressionError,
    normalize_name,
    parse_expression,
)
from microgradnet.transforms import gradcheck


def leaves(**values: float) -> dict[str, Value]:
    return {name: Value(x, label=name) for name, x in values.items()}


def test_seed001_example_value_and_gradients() -> None:
    v = leaves(x=2, w=3, b=1)
    f = parse_expression("(x*w + b)**2", v)
    f.backward()
    assert f.data == 49
    assert (v["x"].grad, v["w"].grad, v["b"].grad) == (42, 28, 14)  # 2(xw+b)·w, ·x, ·1


def test_variables_are_the_leaves_passed_in() -> None:
    v = leaves(x=1.5)
    f = parse_expression("x*x", v)
    assert f.children == (v["x"], v["x"])


def sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t))


# formula in x, its value and its derivative by hand
FUNCTION_CASES = [
    ("exp(2*x)", 0.3, math.exp(0.6), 2 * math.exp(0.6)),
    ("log(2*x)", 0.3, math.log(0.6), 1 / 0.3),
    ("sqrt(2*x)", 0.3, math.sqrt(0.6), 1 / math.sqrt(0.6)),
    ("tanh(2*x)", 0.3, math.tanh(0.6), 2 * (1 - math.tanh(0.6) ** 2)),
    ("sigmoid(2*x)", 0.3, sigmoid(0.6), 2 * sigmoid(0.6) * (1 - sigmoid(0.6))),
    ("relu(2*x)", 0.3, 0.6, 2.0),
    ("relu(2*x)", -0.3, 0.0, 0.0),
    ("leaky_relu(2*x)", -0.3, -0.006, 0.02),
    ("leaky_relu(2*x, 0.1)", -0.3, -0.06, 0.2),
    ("leaky_relu(2*x, 0.1)", 0.3, 0.6, 2.0),
    ("sin(2*x)", 0.3, math.sin(0.6), 2 * math.cos(0.6)),
    ("cos(2*x)", 0.3, math.cos(0.6), -2 * math.sin(0.6)),
    ("abs(2*x)", -0.3, 0.6, -2.0),
    ("abs(0*x)", 0.3, 0.0, 0.0),  # abs'(0) = 0
    ("softplus(2*x)", 0.3, math.log1p(math.exp(0.6)), 2 * sigmoid(0.6)),
    ("silu(2*x)", 0.3, 0.6 * sigmoid(0.6), 2 * sigmoid(0.6) * (1 + 0.6 * (1 - sigmoid(0.6)))),
    (
        "gelu(2*x)",
        0.3,
        0.3 * (1 + math.erf(0.6 / math.sqrt(2))),
        2
        * (
            0.5 * (1 + math.erf(0.6 / math.sqrt(2)))
            + 0.6 * math.exp(-0.18) / math.sqrt(2 * math.pi)
        ),
    ),
    (
        "normal_cdf(2*x)",
        0.3,
        0.5 * (1 + math.erf(0.6 / math.sqrt(2))),
        2 * math.exp(-0.18) / math.sqrt(2 * math.pi),
    ),
    ("tan(2*x)", 0.3, math.tan(0.6), 2 * (1 + math.tan(0.6) ** 2)),
    ("atan2(2*x, 1 - x)", 0.3, math.atan2(0.6, 0.7), (2 * 0.7 + 0.6) / (0.7**2 + 0.6**2)),
    ("sinh(2*x)", 0.3, math.sinh(0.6), 2 * math.cosh(0.6)),
    ("cosh(2*x)", 0.3, math.cosh(0.6), 2 * math.sinh(0.6)),
    ("asin(2*x)", 0.3, math.asin(0.6), 2 / 0.8),  # sqrt(1 - 0.36) = 0.8
    ("acos(2*x)", 0.3, math.acos(0.6), -2 / 0.8),
    ("atan(2*x)", 0.3, math.atan(0.6), 2 / 1.36),
    ("asinh(2*x)", 0.3, math.asinh(0.6), 2 / math.sqrt(1.36)),
    ("acosh(2*x)", 0.75, math.acosh(1.5), 2 / math.sqrt(1.25)),
    ("atanh(2*x)", 0.3, math.atanh(0.6), 2 / 0.64),
    ("log2(2*x)", 0.3, math.log2(0.6), 2 / (0.6 * math.log(2))),
    ("log10(2*x)", 0.3, math.log10(0.6), 2 / (0.6 * math.log(10))),
    ("log1p(2*x)", 0.3, math.log1p(0.6), 2 / 1.6),
    ("expm1(2*x)", 0.3, math.expm1(0.6), 2 * math.exp(0.6)),
    ("exp2(2*x)", 0.3, 2**0.6, 2 * 2**0.6 * math.log(2)),
    ("erf(2*x)", 0.3, math.erf(0.6), 4 / math.sqrt(math.pi) * math.exp(-0.36)),
    ("erfc(2*x)", 0.3, math.erfc(0.6), -4 / math.sqrt(math.pi) * math.exp(-0.36)),
    ("degrees(2*x)", 0.3, math.degrees(0.6), 360 / math.pi),
    ("radians(2*x)", 0.3, math.radians(0.6), math.pi / 90),
    ("hypot(2*x, 3)", 0.3, math.hypot(0.6, 3), 2 * 0.6 / math.hypot(0.6, 3)),
    ("fmod(1.5, x)", 0.4, math.fmod(1.5, 0.4), -3.0),  # -trunc(3.75)
    ("fmod(-1.5, x)", 0.4, math.fmod(-1.5, 0.4), 3.0),  # -trunc(-3.75)
    ("1.5 % x", 0.4, 1.5 % 0.4, -3.0),  # -floor(3.75)
    ("-1.5 % x", 0.4, -1.5 % 0.4, 4.0),  # -floor(-3.75)
    ("x % 0.25 + x", 0.3, 0.05 + 0.3, 2.0),
    ("7 // x + x", 2.0, 5.0, 1.0),  # d(7 // x)/dx = 0
    ("sign(2*x)", -0.3, -1.0, 0.0),
    ("floor(2*x)", 0.3, 0.0, 0.0),
    ("ceil(2*x)", 0.3, 1.0, 0.0),
    ("trunc(2*x)", -0.3, 0.0, 0.0),
    ("round(2*x)", 0.3, 1.0, 0.0),
    ("maximum(2*x, 1)", 0.75, 1.5, 2.0),
    ("maximum(2*x, 1)", 0.5, 1.0, 1.0),  # a tie: ½ of d(2x)/dx
    ("minimum(2*x, 1)", 0.3, 0.6, 2.0),
    ("clamp(2*x, -1, 1)", 0.3, 0.6, 2.0),
    ("clamp(2*x, -1, 1)", 0.6, 1.0, 0.0),
    ("clamp(2*x, 0)", -0.3, 0.0, 0.0),  # hi defaults to inf
    ("-x / (1 + x**2)", 0.5, -0.4, -(1 - 0.25) / 1.25**2),
    ("+x - 3**x", 2.0, -7.0, 1 - 9 * math.log(3)),
]


@pytest.mark.parametrize(("text", "x", "value", "derivative"), FUNCTION_CASES)
def test_functions_and_operators_match_hand_derivatives(
    text: str, x: float, value: float, derivative: float
) -> None:
    v = leaves(x=x)
    f = parse_expression(text, v)
    f.backward()
    assert f.data == pytest.approx(value, rel=1e-12)
    assert v["x"].grad == pytest.approx(derivative, rel=1e-12)


def test_every_function_is_covered() -> None:
    assert {t.split("(")[0] for t, *_ in FUNCTION_CASES} >= set(FUNCTIONS)


def test_the_operators_are_those_of_the_op_table() -> None:
    """% and // are ops of the table (Python's floor-mod and floor division), so formulas take
    them, with Python's precedence and signs; 0 as a divisor is the engine's error."""
    assert set(OPERATORS) == {"+", "-", "*", "/", "**", "%", "//"}
    v = leaves(x=-7.5, w=2.0)
    assert parse_expression("x % w * 3", v).data == (-7.5 % 2.0) * 3 == 1.5
    assert parse_expression("x // w ** 2", v).data == -7.5 // 4.0 == -2.0
    f = parse_expression("x % w", v)
    assert ops.text_form(f, ["x", "w"]) == "x % w"
    with pytest.raises(ZeroDivisionError, match=r"%: modulo by zero, -7.5 % 0.0"):
        parse_expression("x % (w - 2)", v)
    with pytest.raises(ZeroDivisionError, match=r"//: division by zero, 1.0 // 0.0"):
        parse_expression("1 // 0", v)


def test_custom_ops_only_when_the_caller_opts_in() -> None:
    ops.define_op("cube", lambda t: t**3, lambda t: 3 * t**2)
    try:
        v = leaves(x=2.0)
        with pytest.raises(ExpressionError, match=r"call of 'cube' is not allowed \(a custom op"):
            parse_expression("cube(x) + 1", v)
        f = parse_expression("cube(x) + 1", v, custom_ops=True)
        f.backward()
        assert (f.data, v["x"].grad) == (9.0, 12.0)
        with pytest.raises(ExpressionError, match="cube takes 1 argument, got 2"):
            parse_expression("cube(x, x)", v, custom_ops=True)
        assert parse_expression("cube(2)", {}, custom_ops=True).data == 8.0
    finally:
        ops.undefine_op("cube")


def test_number_subexpressions_fold_into_one_constant() -> None:
    v = leaves(x=-2)
    f = parse_expression("x ** -1", v)  # a number exponent: defined for negative x
    assert type(f.children[1]) is Constant and f.children[1].data == -1
    f.backward()
    assert (f.data, v["x"].grad) == (-0.5, -0.25)
    g = parse_expression("(2*3 - 1/4) * x", v)
    assert type(g.children[0]) is Constant and g.children[0].data == 5.75


def test_numbers_alone_give_a_constant() -> None:
    f = parse_expression("1 + 2**3", {})
    assert type(f) is Constant and f.data == 9


def test_huge_powers_overflow_to_inf_at_once() -> None:
    assert parse_expression("9**9**9**9", {}).data == math.inf
    f = parse_expression("x * 9**9**9**9", leaves(x=2))
    assert f.data == math.inf


def test_leading_and_trailing_blanks_are_ignored() -> None:
    assert parse_expression("  x*2\n", leaves(x=3)).data == 6


def test_names_match_after_unicode_normalization() -> None:
    assert normalize_name("ｘ") == "x"
    assert parse_expression("ｘ*2", leaves(x=3)).data == 6  # ast reads ｘ as x


REFUSED = [
    ("x.__class__", "attribute access 'x.__class__' is not allowed"),
    ("().__class__", "attribute access '().__class__'"),
    ("__import__('os').system('x')", "call of \"__import__('os').system\" is not allowed"),
    ("__import__('os')", "call of '__import__' is not allowed"),
    ("print(x)", "call of 'print' is not allowed"),
    ("x[0]", "subscript 'x[0]'"),
    ("[1]*10**9", "list '[1]'"),
    ("(x, x)", "tuple"),
    ("{1: 2}", "dict"),
    ("lambda: 0", "lambda 'lambda: 0'"),
    ("f'{x}'", "f-string"),
    ("'abc'", "string \"'abc'\""),
    ("b'abc'", "bytes"),
    ("True", "boolean 'True'"),
    ("None", "constant 'None'"),
    ("1j", "complex number '1j'"),
    ("[x for x in (1,)]", "comprehension"),
    ("sum(x for x in (1,))", "call of 'sum'"),
    ("x < 1", "comparison 'x < 1'"),
    ("x and 1", "boolean operator"),
    ("x if x else 1", "conditional expression"),
    ("(y := 1)", "assignment expression"),
    ("x << 2", "operator '<<' is not allowed"),
    ("x & 2", "operator '&'"),
    ("x @ x", "operator '@'"),
    ("~x", "operator '~'"),
    ("not x", "operator 'not'"),
    ("z * x", "name 'z' is not declared; give it a value as z=VALUE"),
    ("exp", "function 'exp' must be called"),
    ("exp(x, 2)", "exp takes 1 argument, got 2"),
    ("leaky_relu()", "leaky_relu takes 1 or 2 arguments, got 0"),
    ("leaky_relu(x, alpha=0.1)", "keyword argument"),
    ("leaky_relu(x, x)", "alpha must be a number"),
    ("tanh(*x)", "starred expression"),
    ("1" * 400, "too large for a float"),
    ("1e999", "number '1e999' is too large for a float"),
    ("", "not a valid expression"),
    ("x = 1", "not a valid expression"),
    ("import os", "not a valid expression"),
    ("x\0", "not a valid expression"),
    ("(" * 300 + "x" + ")" * 300, "too many nested parentheses"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refusals_name_what_was_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, leaves(x=1))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_length_limit() -> None:
    at_limit = "(x" + " " * (MAX_LENGTH - 3) + ")"
    assert parse_expression(at_limit, leaves(x=2)).data == 2
    with pytest.raises(ExpressionError, match=f"{MAX_LENGTH + 1} characters long"):
        parse_expression(at_limit + " ", leaves(x=2))


def test_depth_limit() -> None:
    v = leaves(x=0.5)
    ok = "tanh(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1)  # the name is level MAX_DEPTH
    y = 0.5
    for _ in range(MAX_DEPTH - 1):
        y = math.tanh(y)
    assert parse_expression(ok, v).data == pytest.approx(y, rel=1e-12)
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_DEPTH}"):
        parse_expression("tanh(" + ok + ")", v)
    with pytest.raises(ExpressionError, match="nested more than"):
        parse_expression("x" + "+x" * MAX_DEPTH, v)
    with pytest.raises(ExpressionError, match="nested more than"):
        parse_expression("-" * 1000 + "x", v)


@pytest.mark.parametrize("error", [RecursionError, MemoryError])
def test_parser_exhaustion_is_reported_as_too_deep(
    monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> None:
    def exhausted(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(ast, "parse", exhausted)
    with pytest.raises(ExpressionError, match="too deeply nested"):
        parse_expression("x", leaves(x=1))


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("log(x)", ValueError, "log: input must be > 0, got -1.0"),
        ("log(-1)", ValueError, "log: input must be > 0, got -1.0"),
        ("sqrt(x)", ValueError, "sqrt: input must be >= 0"),
        ("1/(x + 1)", ZeroDivisionError, "division by zero"),
        ("1/0", ZeroDivisionError, "division by zero"),
        (
            "x ** 0.5",
            ValueError,
            "negative base -1.0 \\(label 'x'\\) with non-integer exponent 0.5",
        ),
    ],
)
def test_math_domain_errors_are_the_engines(
    text: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as info:
        parse_expression(text, leaves(x=-1))
    assert not isinstance(info.value, ExpressionError)


def test_a_variable_named_like_a_function_is_refused() -> None:
    with pytest.raises(ExpressionError, match="'exp' is a function name"):
        parse_expression("x", leaves(x=1, exp=2))


# -- properties ----------------------------------------------------------------------------------

SMOOTH = st.recursive(
    st.sampled_from(["x", "w", "0.5", "2", "-1.5"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({' '.join(t)})"),
        st.tuples(st.sampled_from(["tanh", "sigmoid", "-"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
        inner.map(lambda a: f"({a})**2"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]} / (2 + tanh({t[1]}))"),
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(SMOOTH, st.floats(-2, 2), st.floats(-2, 2))
def test_parsed_gradients_match_finite_differences(text: str, x: float, w: float) -> None:
    def f(x: Value, w: Value) -> Value:
        return parse_expression(text, {"x": x, "w": w})

    assert gradcheck(f, [x, w], eps=1e-6, atol=1e-4, rtol=1e-3)


HOSTILE_ALPHABET = st.sampled_from(
    [
        *"xw()[]{}+-*/%.,:'\"_ 0123456789ejJ=<>!~@^&|\\\n\t#",
        "exp",
        "log",
        "leaky_relu",
        "__import__",
        "__class__",
        "lambda",
        "os",
        "for",
        " in ",
        "**",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(HOSTILE_ALPHABET, max_size=60).map("".join)))
def test_random_text_is_refused_or_evaluated_never_run(text: str) -> None:
    variables = leaves(x=1.5, w=-0.5)
    with nothing_runs() as calls:
        try:
            f = parse_expression(text, variables)
        except (ValueError, ArithmeticError) as e:  # ExpressionError or a math domain error
            assert "\n" not in str(e)
        else:
            assert isinstance(f, Value)
    assert calls == []


def test_the_guards_catch_execution() -> None:
    with nothing_runs() as calls, pytest.raises(Executed):
        builtins.eval("1")  # the harness itself must be able to fail
    assert calls == ["eval"]
