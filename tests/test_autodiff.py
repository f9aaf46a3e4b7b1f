"""The verification kit: grad, value_and_grad, hessian, numerical checks, explain."""

from __future__ import annotations

import math

import pytest
from networks import masha

from microgradnet import (
    ChainPath,
    Constant,
    GradcheckError,
    Value,
    explain,
    grad,
    gradcheck,
    hessian,
    numerical_grad,
    value_and_grad,
)


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# -- grad and value_and_grad -------------------------------------------------------------------


def test_grad_returns_floats_for_numbers() -> None:
    def f(x: Value, w: Value, b: Value) -> Value:
        return (x * w + b) ** 2

    assert grad(f)(2, 3, 1) == 42.0
    assert grad(f, argnums=(0, 1, 2))(2.0, 3.0, 1.0) == (42.0, 28.0, 14.0)
    assert grad(f, argnums=[2, 0])(2.0, 3.0, 1.0) == (14.0, 42.0)
    assert grad(f, argnums=-1)(2.0, 3.0, 1.0) == 14.0
    value, g = value_and_grad(f, (1,))(2.0, 3.0, 1.0)
    assert value == 49.0 and g == (28.0,)
    assert isinstance(value, float)


def test_non_differentiated_arguments_pass_through() -> None:
    def f(x: Value, scale: float) -> Value:
        return x * x * scale

    assert grad(f)(3.0, 2.0) == 12.0


def test_numbers_not_differentiated_become_constants() -> None:
    # the example: y is differentiated, x is not, yet f calls x.exp()
    assert grad(lambda x, y: x * y + x.exp(), argnums=1)(1.5, 2.0) == 1.5
    seen: list[object] = []

    def f(x: Value, data: list[float], scale: Value) -> Value:
        seen.extend([data, scale])
        return x * scale * sum(data)

    data = [1.0, 2.0]
    assert grad(f)(3.0, data, 0.5) == 1.5
    assert seen[0] is data  # lists pass through unchanged
    assert isinstance(seen[1], Constant) and seen[1].label == "scale"


def test_grad_of_a_constant_function_is_zero() -> None:
    assert grad(lambda x, y: y * 2, argnums=(0, 1))(1.0, 5.0) == (0.0, 2.0)


def test_f_must_return_a_scalar() -> None:
    with pytest.warns(UserWarning, match="returned the number 3.0, not a Value"):
        assert grad(lambda x: 3.0)(1.0) == 0.0  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match=r"needs <lambda> to return a scalar .* got a list of 2"):
        grad(lambda x: [x, x])(1.0)  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="got the bool True \\(a comparison has no derivative"):
        grad(lambda x: x > 0)(1.0)  # type: ignore[arg-type, return-value]


def test_bad_arguments_are_named() -> None:
    with pytest.raises(TypeError, match="grad: argument 0 \\(x\\) must be a real number, got str"):
        grad(lambda x: x)("2")
    with pytest.raises(ValueError, match="argnums 2 is out of range for 2 positional argument"):
        grad(lambda x, y: x, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple or list"):
        grad(lambda x: x, argnums=())


def test_leaves_are_labelled_with_parameter_names() -> None:
    seen = {}

    def f(alpha: Value, beta: Value) -> Value:
        seen["labels"] = (alpha.label, beta.label)
        return alpha * beta

    grad(f, (0, 1))(1.0, 2.0)
    assert seen["labels"] == ("alpha", "beta")


# -- higher derivatives ------------------------------------------------------------------------


def test_second_derivatives() -> None:
    assert grad(grad(lambda x: x**3))(2.0) == 12.0
    t = math.tanh(0.5)
    assert grad(grad(lambda x: x.tanh()))(0.5) == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


def test_third_and_fourth_derivatives() -> None:
    s = sigmoid(0.3)
    third = grad(grad(grad(lambda x: x.sigmoid())))(0.3)
    assert third == pytest.approx(s * (1 - s) * (1 - 6 * s + 6 * s * s), rel=1e-12)
    assert grad(grad(grad(grad(lambda x: x**4))))(1.7) == pytest.approx(24.0)
    assert grad(grad(grad(lambda x: x.exp() * x)))(0.5) == pytest.approx(math.exp(0.5) * 3.5)


def test_higher_derivatives_of_every_op() -> None:
    cases = [
        (lambda x: x.log(), lambda x: -1 / x**2),
        (lambda x: x.sqrt(), lambda x: -0.25 * x**-1.5),
        (lambda x: 1 / x, lambda x: 2 / x**3),
        (lambda x: 2**x, lambda x: math.log(2) ** 2 * 2**x),
        (lambda x: x**x, lambda x: x**x * ((math.log(x) + 1) ** 2 + 1 / x)),
        (lambda x: (-x).exp() - x, lambda x: math.exp(-x)),
        (lambda x: x.relu() * x, lambda x: 2.0),
        (lambda x: x.leaky_relu(0.2) * x, lambda x: 2.0),
    ]
    for x in (0.7, 1.9):
        for f, f2 in cases:
            assert grad(grad(f))(x) == pytest.approx(f2(x), rel=1e-9)
    assert grad(grad(lambda x: x.leaky_relu(0.2) * x))(-1.0) == pytest.approx(0.4)


def test_second_derivative_of_number_power_at_negative_base() -> None:
    assert grad(grad(lambda x: x**3))(-2.0) == -12.0


def test_hessian_matches_hand_derivation() -> None:
    def f(x: Value, y: Value) -> Value:
        return x * x * y + y.exp() + (x * y).tanh()

    x, y = 0.4, -0.8
    t = math.tanh(x * y)
    s = 1 - t * t  # tanh'
    dd = -2 * t * s  # tanh''
    expected = [
        [2 * y + y * y * dd, 2 * x + s + x * y * dd],
        [2 * x + s + x * y * dd, math.exp(y) + x * x * dd],
    ]
    H = hessian(f)(x, y)
    for row, want in zip(H, expected):
        assert row == pytest.approx(want, rel=1e-12)


def test_hessian_of_a_power_at_exponent_zero() -> None:
    # d²(x**y)/dx dy = x**(y-1)·(1 + y·ln x): 1/x at y = 0, although d/dx itself is 0 there
    (dxx, dxy), (dyx, dyy) = hessian(lambda x, y: x**y)(2.0, 0.0)
    assert (dxx, dxy, dyx) == (0.0, 0.5, 0.5)
    assert dyy == pytest.approx(math.log(2) ** 2)


def test_hessian_of_a_linear_function_is_zero() -> None:
    assert hessian(lambda x, y: 3 * x + y)(1.0, 2.0) == [[0.0, 0.0], [0.0, 0.0]]


# -- numerical checks --------------------------------------------------------------------------


def test_numerical_grad_central_differences() -> None:
    g = numerical_grad(lambda x, w, b: (x * w + b) ** 2, [2.0, 3.0, 1.0])
    assert g == pytest.approx([42.0, 28.0, 14.0], rel=1e-8)


def test_numerical_grad_on_leaf_values_restores_them() -> None:
    w = Value(0.3, "w")
    b = Value(-0.1, "b")

    def loss(*_: Value) -> Value:
        return (w * 2.0 + b).tanh()

    g = numerical_grad(loss, [w, b], eps=1e-5)
    assert (w.data, b.data) == (0.3, -0.1)
    d = 1 - math.tanh(0.5) ** 2
    assert g == pytest.approx([2 * d, d], rel=1e-8)


def test_numerical_grad_validation() -> None:
    with pytest.raises(ValueError, match="numerical_grad: eps must be a finite number > 0, got 0"):
        numerical_grad(lambda x: x, [1.0], eps=0)
    x = Value(1.0)
    with pytest.raises(ValueError, match="input 0 is an interior node \\(op '\\*'\\)"):
        numerical_grad(lambda v: v, [x * 2])
    with pytest.raises(TypeError, match="numerical_grad: input 1 must be a real number, got str"):
        numerical_grad(lambda a, b: a, [1.0, "b"])  # type: ignore[list-item]


def test_gradcheck_passes_on_correct_gradients() -> None:
    assert gradcheck(lambda x, y: (x * y).sigmoid() * x.exp() / (y * y + 1), [0.3, -1.2])


def test_gradcheck_reports_a_wrong_gradient() -> None:
    def detached(x: Value) -> Value:  # a classic bug: part of the function leaves the graph
        return Value(x.data**2) + x

    with pytest.raises(GradcheckError) as err:
        gradcheck(detached, [3.0])
    assert err.value.mismatches == [(0, "", 1.0, pytest.approx(7.0))]
    assert "input 0: analytical 1.0, numerical 7.0" in str(err.value)
    assert isinstance(err.value, RuntimeError)
    assert gradcheck(detached, [3.0], raise_exception=False) is False


def test_gradcheck_tolerances() -> None:
    f = lambda x: x * x  # noqa: E731
    assert gradcheck(f, [1e3], eps=1e-3)
    # numerical 2.0 is exact for x² by central differences; a shifted function is not:
    g = lambda x: x * x * x  # noqa: E731
    assert not gradcheck(g, [1.0], eps=0.1, atol=0.0, rtol=1e-6, raise_exception=False)
    assert gradcheck(g, [1.0], eps=0.1, atol=0.011, rtol=0.0)


# -- explain -----------------------------------------------------------------------------------


def test_explain_writes_the_seed002_chain() -> None:
    g = masha(1.5, 2.0, (0.4, -0.7, 1.3))
    g["L"].backward()
    e = explain(g["L"], g["w1"])
    assert e.n_paths == 1 and e.total == g["w1"].grad
    (path,) = e.paths
    assert [v.label for v in path.nodes] == ["L", "", "", "y_hat", "o2", "h2", "o1", "h1", "w1"]
    text = str(e)
    assert text.splitlines()[0] == (
        "dL/dw1 = dL/d((2 - y_hat)²) · d((2 - y_hat)²)/d(2 - y_hat) · d(2 - y_hat)/dy_hat"
        " · dy_hat/do2 · do2/dh2 · dh2/do1 · do1/dh1 · dh1/dw1"
    )
    assert text.splitlines()[1].startswith("       = (0.5) · (2.98887) · (-1) · (1.3) · ")
    assert text.splitlines()[-1].strip() == f"= {g['w1'].grad:.6g}"
    assert math.prod(path.factors) == pytest.approx(path.product) == pytest.approx(e.total)


def test_explain_sums_over_paths_and_caps_them() -> None:
    x = Value(1.1, "x")
    y = x
    for _ in range(12):
        y = y * y * 1.0  # every level doubles the number of paths
    y.label = "y"
    y.backward()
    e = explain(y, x, max_paths=5)
    assert e.n_paths == 2**12 and len(e.paths) == 5
    assert e.total == pytest.approx(x.grad, rel=1e-9)
    assert "... and 4091 more paths not shown" in str(e)


def test_explain_when_wrt_is_not_in_the_graph() -> None:
    x, z = Value(1.0, "x"), Value(2.0, "z")
    e = explain(x * 3, z)
    assert (e.n_paths, e.total, e.paths) == (0, 0.0, ())
    assert str(e).startswith("d(x·3)/dz = 0  (z does not reach x·3)")


def test_explain_on_a_long_chain_is_linear_and_elided() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    e = explain(y, x)
    assert e.n_paths == 1 and len(e.paths[0].nodes) == 20_001
    assert e.total == pytest.approx(1.0001**20_000)
    assert "…(19988 more)…" in str(e)


def test_explain_total_equals_grad_bit_for_bit() -> None:
    # many paths summed in different orders round differently; total uses backward's order
    x = Value(0.7, "x")
    terms = [((x * (0.1 * k)).tanh() * x).sigmoid() * (1.0 / k) for k in range(1, 40)]
    y = terms[0]
    for t in terms[1:]:
        y = y + t * x
    y.backward()
    e = explain(y, x)
    assert e.n_paths > 20 and e.total == x.grad  # exact, not approx
    forward = sum(p.product for p in explain(y, x, max_paths=10_000).paths)
    assert forward == pytest.approx(x.grad, rel=1e-12)


def test_the_two_operands_of_a_times_a_are_told_apart() -> None:
    a = Value(1.5, "a")
    f = (a * a).tanh()
    f.label = "f"
    e = explain(f, a)
    lines = str(e).splitlines()
    assert lines[1] == "  path 1: df/d(a·a) · d(a·a)/da (first operand)"
    assert lines[3] == "  path 2: df/d(a·a) · d(a·a)/da (second operand)"
    assert [p.operands for p in e.paths] == [(0, 0), (0, 1)]
    assert isinstance(e.paths[0], ChainPath)
    assert e.factor_names(e.paths[1], d="∂") == ["∂f/∂(a·a)", "∂(a·a)/∂a (second operand)"]


def test_explain_to_latex_for_one_path() -> None:
    g = masha(1.5, 0.2, (0.8, -1.2, 1.5))
    g["L"].backward()
    latex = explain(g["L"], g["w3"]).to_latex()
    lines = latex.splitlines()
    assert lines[0] == r"\begin{aligned}" and lines[-1] == r"\end{aligned}"
    assert lines[1].startswith(r"\frac{\partial L}{\partial w_{3}} &= \frac{\partial L}")
    assert r"\frac{\partial \hat{y}}{\partial w_{3}}" in lines[1]
    # the local derivatives from the op table: ∂ŷ/∂w₃ = o₂ for ŷ = o₂·w₃
    assert lines[2].startswith("&= ") and lines[2].endswith(r"\cdot \left(o_{2}\right) \\")
    assert lines[3].endswith(f"= {g['w3'].grad:.6g}")
    assert explain(g["L"], g["w3"])._repr_latex_() == f"$$\n{latex}\n$$"


def test_explain_to_latex_for_several_paths_and_none() -> None:
    a = Value(1.5, "a")
    f = a * a + a**3
    f.label = "f"
    latex = explain(f, a).to_latex()
    assert r"\sum_{k=1}^{3}" in latex
    assert r"\big|_{\text{second operand}}" in latex
    assert r"\left(3 \cdot a^{2}\right)" in latex  # d(a³)/da from the op table
    assert latex.splitlines()[-2] == r"\frac{\partial f}{\partial a} &= 9.75"
    z = Value(2.0, "z")
    assert explain(f, z).to_latex() == (
        r"\frac{\partial f}{\partial z} = 0 \quad (z \text{ does not reach } f)"
    )


def test_path_is_a_deprecated_alias_of_chain_path() -> None:
    with pytest.warns(DeprecationWarning, match="use ChainPath"):
        from microgradnet import Path

    assert Path is ChainPath


def test_explain_of_a_variable_by_itself_is_one() -> None:
    """d x / d x: one path with no edges, printed as 1, not as empty product lines."""
    x = Value(1.5, "x")
    e = explain(x, x)
    assert e.total == 1.0
    assert str(e) == "dx/dx = 1"
    assert e.to_latex() == r"\frac{\partial x}{\partial x} = 1"
