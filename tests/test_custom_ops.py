"""define_op as users of jax.custom_jvp and torch.autograd.Function meet it: rules over
constants, rules using the op itself or its output, more than two operands, checked numpy and
Value twins, versioned redefinition, thread safety, and refusals that name the op."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from microgradnet import MLP, Value, define_op, fit, gradients, ops, predict
from microgradnet.expr import parse_expression
from microgradnet.transforms import grad, hessian


@pytest.fixture
def cleanup() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        if name in ops.OPS:
            ops.undefine_op(name)


def test_a_value_rule_with_a_constant_operand(cleanup: list[str]) -> None:
    """The issue's case: t(0.3) inside a nested grad has a constant operand."""
    cleanup.append("t")
    t = define_op(
        "t",
        math.tan,
        lambda x: 1 / math.cos(x) ** 2,
        value_derivative=lambda x: 1 / x.cos() ** 2,
    )
    assert grad(grad(lambda x: x * t(0.3)))(2.0) == 0.0
    assert grad(lambda x: x * t(0.3))(2.0) == pytest.approx(math.tan(0.3))


def test_a_rule_may_use_the_op_being_defined_and_its_output(cleanup: list[str]) -> None:
    cleanup.append("exp2x")
    ln2 = math.log(2.0)
    exp2x = define_op(
        "exp2x",
        lambda x: 2.0**x,
        lambda x, out: out * ln2,  # the output, by keyword
        value_derivative=lambda x: ops.apply("exp2x", x) * ln2,  # the op itself, by name
    )
    x0 = 1.3
    assert grad(lambda x: exp2x(x))(x0) == pytest.approx(2**x0 * ln2, rel=1e-12)
    assert grad(grad(grad(lambda x: exp2x(x))))(x0) == pytest.approx(2**x0 * ln2**3, rel=1e-12)


def test_more_than_two_operands_with_templates(cleanup: list[str]) -> None:
    cleanup.append("fma3")
    fma3 = define_op(
        "fma3",
        lambda a, b, c: a * b + c,
        lambda a, b, c: (b, a, 1.0),
        arity=3,
        derivative_text=["{x1}", "{x0}", "1"],
        numpy_forward=lambda a, b, c: a * b + c,
        numpy_derivative=lambda a, b, c: (b, a, np.ones_like(c)),
    )
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    out = fma3(a, b, c)
    out.backward()
    assert (out.data, a.grad, b.grad, c.grad) == (10.0, 3.0, 2.0, 1.0)
    assert out.children == (a, b, c) and all(x is y for x, y in zip(out.children, (a, b, c)))
    assert [ops.derivative_text(out, i, ["a", "b", "c"], "o") for i in range(3)] == [
        "b",
        "a",
        "1",
    ]
    assert ops.text_form(out, ["a", "b", "c"]) == "fma3(a, b, c)"


def test_wrong_numpy_rules_are_refused_at_definition(cleanup: list[str]) -> None:
    """A wrong numpy pair would make predict and fit(compile=True) differ silently."""
    cleanup.append("soft")
    with pytest.raises(ValueError, match=r"define_op\('soft'\): numpy_derivative gives"):
        define_op(
            "soft",
            lambda x: x / (1 + abs(x)),
            lambda x: 1 / (1 + abs(x)) ** 2,
            numpy_forward=lambda x: x / (1 + np.abs(x)),
            numpy_derivative=lambda x: 1 / (1 + np.abs(x)) ** 3,
        )
    with pytest.raises(ValueError, match=r"numpy_forward gives"):
        define_op(
            "soft",
            lambda x: x / (1 + abs(x)),
            lambda x: 1 / (1 + abs(x)) ** 2,
            numpy_forward=lambda x: x / (2 + np.abs(x)),
            numpy_derivative=lambda x: 1 / (1 + np.abs(x)) ** 2,
        )
    assert "soft" not in ops.OPS  # a refused definition changes nothing


def test_a_redefinition_leaves_old_graphs_working(cleanup: list[str]) -> None:
    cleanup.append("f2")
    f2 = define_op(
        "f2",
        lambda x, y: x * y,
        lambda x, y: (y, x),
        arity=2,
        value_derivative=lambda x, y: (y, x),
        derivative_text=["{y}", "{x}"],
    )
    x, y = Value(2.0, "x"), Value(3.0, "y")
    old = f2(x, y)
    define_op("f2", lambda x: 2 * x, lambda x: 2.0, derivative_text="2")  # another arity
    new = f2(x)
    assert new.data == 4.0 and old.data == 6.0
    assert ops.derivative_text(old, 1, ["x", "y"], "o") == "x"  # its own definition
    assert [g.data for g in gradients(old, [x, y], create_graph=True)] == [3.0, 2.0]
    from microgradnet.chain_rule import explain

    assert "x" in explain(old, y).to_latex()


def test_derivative_rules_take_ieee_limits_inside_derivative_graphs() -> None:
    """sqrt'' and (x ** 0.5)'' at 0 are -inf, as PyTorch gives (and as 1e-300 shows)."""
    assert hessian(lambda x: x.sqrt())(0.0) == [[-math.inf]]
    assert grad(grad(lambda x: x**0.5))(0.0) == -math.inf
    assert grad(grad(lambda x: x.sqrt()))(1e-300) < -1e100
    assert grad(lambda x: x.sqrt())(0.0) == math.inf
    with pytest.raises(ZeroDivisionError):  # a user's own 1/0 still raises
        grad(lambda x: 1 / x)(0.0)


def test_defining_while_other_threads_parse_formulas(cleanup: list[str]) -> None:
    cleanup.extend(f"op{k}" for k in range(20))
    errors: list[BaseException] = []
    stop = threading.Event()

    def parse() -> None:
        try:
            while not stop.is_set():
                parse_expression("tanh(x) + sin(x)", {"x": Value(0.3)}, custom_ops=True)
        except BaseException as e:  # pragma: no cover - the failure being tested
            errors.append(e)

    threads = [threading.Thread(target=parse) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for k in range(20):
            define_op(f"op{k}", lambda x: 3 * x, lambda x: 3.0)
            ops.undefine_op(f"op{k}")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"name": "soft\n"}, ValueError, r"must be an identifier"),
        ({"name": "lambda"}, ValueError, r"not a Python keyword"),
        ({"name": 3}, TypeError, r"name must be a str"),
        ({"arity": True}, TypeError, r"arity must be an int"),
        ({"arity": 0}, ValueError, r"arity must be 1 to 16"),
        ({"check_points": ("a",)}, TypeError, r"define_op\('g'\): check_points must be"),
        ({"derivative": lambda x: (1.0, 2.0)}, TypeError, r"'g': derivative must return one"),
        ({"derivative": lambda x: complex(1, 1)}, TypeError, r"'g': derivative .* complex"),
        ({"derivative": lambda x: [1.0]}, TypeError, r"'g': derivative must return one number"),
        ({"domain": lambda x: 1 / 0}, TypeError, r"'g'.*domain function failed"),
        ({"glyph": 5}, TypeError, r"glyph must be a str"),
    ],
)
def test_bad_definitions_are_refused_naming_the_op(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    args: dict[str, Any] = {"name": "g", "forward": lambda x: 2 * x, "derivative": lambda x: 2.0}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        define_op(**args)
    assert "g" not in ops.OPS


def test_an_arity_two_derivative_giving_three_values_is_refused() -> None:
    with pytest.raises(TypeError, match=r"'h2': derivative must return 2 values"):
        define_op("h2", lambda x, y: x + y, lambda x, y: (1.0, 1.0, 1.0), arity=2)


def test_a_forward_failing_without_the_check_names_the_op(cleanup: list[str]) -> None:
    cleanup.append("inv")
    inv = define_op("inv", lambda x: 1 / x, lambda x: -1 / x**2, check=False)
    with pytest.raises(ZeroDivisionError, match=r"custom op 'inv' failed at \[0.0\]"):
        inv(Value(0.0))


def test_leaky_relu_parameters_are_checked() -> None:
    with pytest.raises(OverflowError, match=r"leaky_relu: alpha: an int of \d+ bits"):
        Value(1.0).leaky_relu(10**400)
    with pytest.raises(ValueError, match=r"leaky_relu: alpha must be a finite number, got nan"):
        Value(1.0).leaky_relu(math.nan)


def test_predict_and_fit_agree_with_the_engine_for_a_checked_custom_activation(
    cleanup: list[str],
) -> None:
    cleanup.append("softsign2")
    define_op(
        "softsign2",
        lambda x: x / (1 + abs(x)),
        lambda x: 1 / (1 + abs(x)) ** 2,
        numpy_forward=lambda x: x / (1 + np.abs(x)),
        numpy_derivative=lambda x: 1 / (1 + np.abs(x)) ** 2,
    )
    model = MLP(2, [4, 1], activation="softsign2", seed=0)
    X = np.array([[0.3, -0.2], [1.0, 0.5]])
    assert predict(model, X).tolist() == pytest.approx(
        [model(x.tolist()).data for x in X], rel=1e-12
    )
    h = fit(model, X, [0.0, 1.0], epochs=2, compile=True, progress=False)
    assert len(h.loss) == 2
