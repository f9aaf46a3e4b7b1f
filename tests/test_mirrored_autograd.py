"""HIPS/autograd's scalar tests, written again for microgradnet (listed in
docs/mirrored_tests.md): the same functions, points, derivative orders and tolerances. Each test
names the autograd test it mirrors. ``check_grads`` (tests/mirrored.py) is autograd's: orders 1
and 2 by reverse and forward mode against central differences, EPS = 1e-6, TOL = RTOL = 1e-6;
``check_grads`` of a derivative reaches the third order. The functions are
``microgradnet.math``'s (numbers or Values alike, as ``autograd.numpy``'s).
"""

from __future__ import annotations

import math
import warnings
from functools import partial
from typing import Any

import numpy as np
import pytest
from mirrored import RAND, RANDN, check_grads, evaluate

from microgradnet import (
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from microgradnet import math as mm

# -- tests/test_scalar_ops.py: 3·f(x), checked to order 2, and its derivative to order 2 -------


def _check_unary(f: Any, x: float, dx: float) -> None:
    """autograd's pattern: check_grads(fun, x) and check_grads(grad(fun), dx)."""
    check_grads(f, x)
    check_grads(grad(f), dx)


def test_abs() -> None:
    """Mirrors test_scalar_ops.py::test_abs (at 0 only the first order: abs has a kink)."""
    fun = lambda x: 3.0 * abs(x)  # noqa: E731
    for x in (1.1, -1.1):
        check_grads(fun, x)
        check_grads(grad(fun), x)
    check_grads(fun, 0.0, order=1)
    assert grad(fun)(0.0) == 0.0  # abs'(0) = 0, the library's convention


def test_sin() -> None:
    """Mirrors test_scalar_ops.py::test_sin."""
    _check_unary(lambda x: 3.0 * x.sin(), RANDN[0], RANDN[1])


def test_cos() -> None:
    """Mirrors test_scalar_ops.py::test_cos."""
    _check_unary(lambda x: 3.0 * x.cos(), RANDN[0], RANDN[1])


def test_exp() -> None:
    """Mirrors test_scalar_ops.py::test_exp."""
    _check_unary(lambda x: 3.0 * x.exp(), RANDN[0], RANDN[1])


def test_log() -> None:
    """Mirrors test_scalar_ops.py::test_log (at |randn|)."""
    _check_unary(lambda x: 3.0 * x.log(), abs(RANDN[0]), abs(RANDN[1]))


def test_neg() -> None:
    """Mirrors test_scalar_ops.py::test_neg and ::test_negative."""
    _check_unary(lambda x: 3.0 * -x, RANDN[0], RANDN[1])
    _check_unary(lambda x: -x, RAND[0], RAND[1])


def test_tanh() -> None:
    """Mirrors test_scalar_ops.py::test_tanh."""
    _check_unary(lambda x: 3.0 * x.tanh(), RANDN[0], RANDN[1])


def test_sqrt() -> None:
    """Mirrors test_scalar_ops.py::test_sqrt (at 10·rand)."""
    _check_unary(lambda x: 3.0 * x.sqrt(), 10 * RAND[0], 10 * RAND[1])


def test_reciprocal() -> None:
    """Mirrors test_scalar_ops.py::test_reciprocal (1/x at rand)."""
    _check_unary(lambda x: 1 / x, RAND[0], RAND[1])


@pytest.mark.parametrize(
    ("name", "x", "dx"),
    [
        ("tan", RANDN[0], RANDN[1]),
        ("sinh", RANDN[0], RANDN[1]),
        ("cosh", RANDN[0], RANDN[1]),
        ("acos", 0.1, 0.2),
        ("asin", 0.1, 0.2),
        ("atan", 0.2, 0.3),
        ("acosh", RANDN[0] ** 2 + 1, RANDN[1] ** 2 + 1),
        ("asinh", RANDN[0], RANDN[1]),
        ("atanh", 0.2, 0.3),
        ("log2", abs(RANDN[0]), abs(RANDN[1])),
        ("log10", abs(RANDN[0]), abs(RANDN[1])),
        ("log1p", abs(RANDN[0]), abs(RANDN[1])),
        ("expm1", abs(RANDN[0]), abs(RANDN[1])),
        ("exp2", abs(RANDN[0]), abs(RANDN[1])),
        ("degrees", 10 * RAND[0], 10 * RAND[1]),
        ("radians", 10 * RAND[0], 10 * RAND[1]),
    ],
)
def test_unary(name: str, x: float, dx: float) -> None:
    """Mirrors test_scalar_ops.py::test_{tan, sinh, cosh, arccos, arcsin, arctan, arccosh,
    arcsinh, arctanh, log2, log10, log1p, expm1, exp2, degrees, rad2deg, radians, deg2rad}
    (autograd's points; numpy's arc- names are microgradnet.math's a- names)."""
    f = getattr(mm, name)
    _check_unary(lambda v: 3.0 * f(v), x, dx)


def test_sign() -> None:
    """Mirrors test_scalar_ops.py::test_sign: a step, derivative 0 away from 0."""
    fun = lambda x: 3.0 * mm.sign(x)  # noqa: E731
    for x in (1.1, -1.1):
        check_grads(fun, x)
        check_grads(grad(fun), x)
        assert grad(fun)(x) == 0.0


def test_power_arg0() -> None:
    """Mirrors test_scalar_ops.py::test_power_arg0, with its special case y = 0 (autograd
    issue 116): d/dx x**0 at 0 is 0, and so is the second derivative."""
    y = RANDN[0] ** 2 + 1.0
    fun = lambda x: x**y  # noqa: E731
    _check_unary(fun, RAND[0] ** 2 + 1.0, RAND[1] ** 2 + 1.0)
    assert grad(lambda x: x**0.0)(0.0) == 0.0
    assert grad(grad(lambda x: x**0.0))(0.0) == 0.0


def test_power_arg1() -> None:
    """Mirrors test_scalar_ops.py::test_power_arg1 (x = randn², the exponent differentiated)."""
    x = RANDN[0] ** 2
    _check_unary(lambda y: x**y, RAND[0] ** 2, RAND[1] ** 2)


def test_power_arg1_zero() -> None:
    """Mirrors test_scalar_ops.py::test_power_arg1_zero: 0**y, with d/dy = 0 (0**y·ln 0 taken
    as 0, the library's convention for a base of 0)."""
    _check_unary(lambda y: 0.0**y, RAND[0] ** 2, RAND[1] ** 2)


@pytest.mark.parametrize("argnum", [0, 1])
def test_divide_multiply(argnum: int) -> None:
    """Mirrors test_scalar_ops.py::test_{divide, true_divide, multiply}_arg{0, 1} (at rand)."""
    for fun in (lambda x, y: x / y, lambda x, y: x * y):
        check_grads(fun, RAND[0], RAND[1])
        check_grads(grad(fun, argnum), RAND[0], RAND[1])


@pytest.mark.parametrize("argnum", [0, 1])
def test_mod(argnum: int) -> None:
    """Mirrors test_scalar_ops.py::test_mod_arg{0, 1} (Python's %, as numpy's mod)."""
    fun = lambda x, y: x % y  # noqa: E731
    check_grads(fun, RAND[0], RAND[1])
    check_grads(grad(fun, argnum), RAND[0], RAND[1])


# -- tests/test_core.py: binary operators, grad against central differences -----------------


def _check_binary(fun: Any) -> None:
    """autograd's check_binary_func: x, y = 0.7, 1.8; nd with eps 1e-4; atol = rtol = 1e-4."""
    x, y, eps = 0.7, 1.8, 1e-4
    pairs = [
        (
            grad(fun)(x, y),
            (evaluate(fun, [x + eps / 2, y]) - evaluate(fun, [x - eps / 2, y])) / eps,
        ),
        (
            grad(fun, 1)(x, y),
            (evaluate(fun, [x, y + eps / 2]) - evaluate(fun, [x, y - eps / 2])) / eps,
        ),
    ]
    for a, b in pairs:
        assert abs(a - b) < 1e-4 + 1e-4 * abs(b)


@pytest.mark.parametrize(
    "fun",
    [
        lambda x, y: x + y,
        lambda x, y: x - y,
        lambda x, y: x / y,
        lambda x, y: x * y,
        lambda x, y: x**y,
    ],
    ids=["add", "sub", "div", "mul", "pow"],
)
def test_core_binary(fun: Any) -> None:
    """Mirrors test_core.py::test_{add, sub, div, mul, pow}."""
    _check_binary(fun)


def test_core_mod() -> None:
    """Mirrors test_core.py::test_mod."""
    _check_binary(lambda x, y: x % y)


@pytest.mark.parametrize(
    "compare",
    [
        lambda x, y: x == y,
        lambda x, y: x != y,
        lambda x, y: x <= y,
        lambda x, y: x >= y,
        lambda x, y: x < y,
        lambda x, y: x > y,
    ],
    ids=["eq", "neq", "leq", "geq", "lt", "gt"],
)
def test_core_comparisons(compare: Any) -> None:
    """Mirrors test_core.py::test_{eq, neq, leq, geq, lt, gt}. autograd returns 0 with a
    warning for a bool result; here (as JAX) a bool result is a TypeError saying so, and the
    comparison made a number on purpose gets autograd's 0.0 and warning."""
    with pytest.raises(TypeError, match="got the bool"):
        grad(compare)(0.7, 1.8)
    for argnum in (0, 1):
        with pytest.warns(UserWarning, match="does not depend on its arguments"):
            assert grad(lambda x, y: float(compare(x, y)), argnum)(0.7, 1.8) == 0.0


# -- tests/test_wrappers.py ------------------------------------------------------------------


def test_return_both() -> None:
    """Mirrors test_wrappers.py::test_return_both: value_and_grad equals (f, grad f) exactly."""
    fun = lambda x: 3.0 * x**3.2  # noqa: E731
    f, d = value_and_grad(fun)(1.7)
    assert f == evaluate(fun, [1.7])
    assert d == grad(fun)(1.7)


def test_value_and_grad() -> None:
    """Mirrors test_wrappers.py::test_value_and_grad on a tuple of 5 (autograd: an array): the
    value is a float, not a Value, and the value inside a transform is differentiable."""
    fun = lambda x: sum(xi.sin() ** 2 for xi in x)  # noqa: E731
    x = tuple(float(v) for v in np.random.RandomState(1).randn(5))
    value, g = value_and_grad(fun)(x)
    assert type(value) is float and value == pytest.approx(sum(math.sin(v) ** 2 for v in x))
    assert g == grad(fun)(x)
    assert g == pytest.approx(tuple(2 * math.sin(v) * math.cos(v) for v in x), rel=1e-12)
    check_grads(lambda x: value_and_grad(fun)(x)[0], x)


def _quadratic(H: np.ndarray) -> Any:
    return lambda x: sum(x[i] * H[i, j] * x[j] for i in range(len(x)) for j in range(len(x)))


def test_hessian() -> None:
    """Mirrors test_wrappers.py::test_hessian: the Hessian of x·H·x is H + Hᵀ (D = 5)."""
    rng = np.random.RandomState(1)
    H = rng.randn(5, 5)
    x = tuple(float(v) for v in rng.randn(5))
    np.testing.assert_allclose(hessian(_quadratic(H), argnums=0)(x), H + H.T, rtol=1e-12)


def _complicated_fun(a: Any, b: Any, c: Any, d: Any, e: Any, f: float = 1.1, g: float = 9.0) -> Any:
    """autograd's test_wrappers.py::complicated_fun."""
    return a + mm.sin(b) + mm.cosh(c) + mm.cos(d) + mm.tan(e) + f + g


def test_multigrad_with_keywords() -> None:
    """Mirrors test_wrappers.py::test_multigrad and ::test_value_and_multigrad: argnums [3, 1]
    with keyword arguments f=, g= passed through (in the explicit function a, c and e are
    floats: microgradnet.math takes them as numpy does)."""
    fun = _complicated_fun
    A, B, C, D, E, F, G = 0.5, -0.3, 0.2, -1.1, 0.7, 0.6, -0.1
    wrapped = grad(fun, argnums=[3, 1])(A, B, C, D, E, f=F, g=G)
    explicit = grad(lambda db: fun(A, db[1], C, db[0], E, f=F, g=G))((D, B))
    assert wrapped == pytest.approx(explicit, rel=1e-15) == (-math.sin(D), math.cos(B))
    value, both = value_and_grad(fun, argnums=[3, 1])(A, B, C, D, E, f=F, g=G)
    assert both == wrapped
    exact = math.fsum([A, math.sin(B), math.cosh(C), math.cos(D), math.tan(E), F, G])
    assert value == pytest.approx(exact, rel=1e-15)
    assert value == pytest.approx(evaluate(lambda *v: fun(*v, f=F, g=G), [A, B, C, D, E]))
    assert grad(fun, argnums=[2, 4])(A, B, C, D, E) == pytest.approx(
        (math.sinh(C), 1 + math.tan(E) ** 2), rel=1e-15
    )


def test_multigrad_onearg() -> None:
    """Mirrors test_wrappers.py::test_multigrad_onearg (scalars for autograd's arrays)."""
    fun = lambda x, y: x + y.sin()  # noqa: E731
    packed = lambda xy: xy[0] + xy[1].sin()  # noqa: E731
    a, b = RANDN[0], RANDN[1]
    assert grad(fun, argnums=[0])(a, b) == (grad(packed)((a, b))[0],)


def test_hvp() -> None:
    """Mirrors test_wrappers.py::test_hvp and ::test_hessian_tensor_product: H·v of
    Σ sin(a) (a and v tuples of 5) against the full Hessian."""
    fun = lambda a: sum(ai.sin() for ai in a)  # noqa: E731
    rng = np.random.RandomState(1)
    a, v = tuple(rng.randn(5)), tuple(rng.randn(5))
    H = np.array(hessian(fun, argnums=0)(a))
    np.testing.assert_allclose(hvp(fun, (a,), (v,)), H @ np.array(v), rtol=1e-12)
    np.testing.assert_allclose(np.diag(H), -np.sin(a), rtol=1e-12)


def test_hessian_matrix_product() -> None:
    """Mirrors test_wrappers.py::test_hessian_matrix_product: a is 5×4 (nested tuples)."""
    fun = lambda a: sum(x.sin() for row in a for x in row)  # noqa: E731
    rng = np.random.RandomState(1)
    A, V = rng.randn(5, 4), rng.randn(5, 4)
    a, v = tuple(map(tuple, A)), tuple(map(tuple, V))
    H = np.array(hessian(fun, argnums=0)(a))  # shape (5, 4, 5, 4)
    np.testing.assert_allclose(hvp(fun, (a,), (v,)), np.tensordot(H, V), rtol=1e-12)


def _rolled_sin(a: Any) -> tuple[Any, ...]:
    """np.roll(np.sin(a), 1) on a tuple: an asymmetric Jacobian."""
    s = [x.sin() for x in a]
    return tuple(s[-1:] + s[:-1])


def test_vector_jacobian_product() -> None:
    """Mirrors test_wrappers.py::test_tensor_jacobian_product (vector case): vjp is Vᵀ·J."""
    rng = np.random.RandomState(1)
    a, V = tuple(rng.randn(5)), tuple(rng.randn(5))
    J = np.array(jacobian(_rolled_sin)(a))
    _, pullback = vjp(_rolled_sin, a)
    (g,) = pullback(V)
    np.testing.assert_allclose(g, np.array(V) @ J, rtol=1e-12)


def test_matrix_jacobian_product() -> None:
    """Mirrors test_wrappers.py::test_matrix_jacobian_product: a and V are 5×4."""

    def fun(a: Any) -> Any:  # np.roll of the flattened 5×4 array, back in shape
        flat = [x.sin() for row in a for x in row]
        flat = flat[-1:] + flat[:-1]
        return tuple(tuple(flat[4 * i : 4 * i + 4]) for i in range(5))

    rng = np.random.RandomState(1)
    A, V = rng.randn(5, 4), rng.randn(5, 4)
    a, v = tuple(map(tuple, A)), tuple(map(tuple, V))
    J = np.array(jacobian(fun)(a))  # shape (5, 4, 5, 4)
    (g,) = vjp(fun, a)[1](v)
    np.testing.assert_allclose(g, np.tensordot(V, J), rtol=1e-12)


def test_partial() -> None:
    """Mirrors test_wrappers.py::test_partial: grad of a functools.partial."""

    def f(x: Any, y: Any) -> Any:
        return x

    assert grad(partial(f, y=1))(2.0) == 1.0


def test_make_jvp() -> None:
    """Mirrors test_wrappers.py::test_make_jvp: jvp of tanh(A·x) is J·v (A is 3×5)."""
    rng = np.random.RandomState(1)
    A, x, v = rng.randn(3, 5), tuple(rng.randn(5)), tuple(rng.randn(5))

    def fun(x: Any) -> tuple[Any, ...]:
        return tuple(sum(A[i, j] * x[j] for j in range(5)).tanh() for i in range(3))

    J = np.array(jacobian(fun)(x))
    np.testing.assert_allclose(jvp(fun, (x,), (v,))[1], J @ np.array(v), rtol=1e-12)


def test_grad_and_aux() -> None:
    """Mirrors test_wrappers.py::test_grad_and_aux: (Σ A·x, x**2) with has_aux."""
    rng = np.random.RandomState(1)
    A, x = rng.randn(5, 4), tuple(float(v) for v in rng.randn(4))
    f = lambda x: (sum(A[i, j] * x[j] for i in range(5) for j in range(4)), [xi**2 for xi in x])  # noqa: E731
    g = lambda x: sum(A[i, j] * x[j] for i in range(5) for j in range(4))  # noqa: E731
    result = grad(f, has_aux=True)(x)
    assert len(result) == 2
    np.testing.assert_allclose(result[0], grad(g)(x), rtol=1e-15)
    np.testing.assert_allclose(result[0], A.sum(axis=0), rtol=1e-12)
    assert result[1] == [v**2 for v in x]


def test_wrapped_name_and_docs() -> None:
    """Mirrors test_wrappers.py::test_wrapped_name_and_docs. As JAX (not autograd, which
    renames to grad_of_foo_wrt_argnum_1), the wrapper keeps foo's name and signature and its
    docstring says what it computes."""

    def foo(x: Any, y: Any) -> Any:
        """foo's own text."""
        return x * y

    assert grad.__name__ == "grad" and grad.__doc__ is not None
    g = grad(foo, 1)
    assert g.__name__ == "foo"
    assert (
        g.__doc__
        == "Gradient of foo with respect to positional argument(s) (1,).\n\nfoo's own text."
    )
    assert list(__import__("inspect").signature(g).parameters) == ["x", "y"]


# -- tests/test_graphs.py ----------------------------------------------------------------------


def test_grad_fanout() -> None:
    """Mirrors test_graphs.py::test_grad_fanout: sin(sin x + sin x)."""
    fun = lambda x: (x.sin() + x.sin()).sin()  # noqa: E731
    check_grads(fun, RANDN[0])
    check_grads(grad(fun), RAND[0])


def test_grad_const() -> None:
    """Mirrors test_graphs.py::test_grad_const: a constant function, gradient 0 (warned)."""
    with pytest.warns(UserWarning, match="returned the number 1.0"):
        assert grad(lambda x: 1.0)(2.0) == 0.0


def test_grad_identity() -> None:
    """Mirrors test_graphs.py::test_grad_identity: d x/dx = 1, d²x/dx² = 0."""
    df = grad(lambda x: x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the inner grad returns a Value: no warning
        assert df(2.0) == 1.0
        assert grad(df)(2.0) == 0.0


def test_hess_vector_prod() -> None:
    """Mirrors test_graphs.py::test_hess_vector_prod: sin(x·r) and sin(v·∇f(x)) (vectors of
    10 as tuples), each checked to order 2."""
    rng = np.random.RandomState(1)
    randv = tuple(float(v) for v in rng.randn(10))

    def fun(x: Any) -> Any:
        return sum(xi * ri for xi, ri in zip(x, randv)).sin()

    df = grad(fun)

    def vector_product(x: Any, v: Any) -> Any:
        return sum(vi * gi for vi, gi in zip(v, df(x))).sin()

    A, B = tuple(float(v) for v in rng.randn(10)), tuple(float(v) for v in rng.randn(10))
    check_grads(fun, A)
    check_grads(vector_product, A, B)


def test_enclosing_scope_ref() -> None:
    """Mirrors test_graphs.py::test_enclosing_scope_ref and _2: x·d(x·y)/dy = x², checked to
    order 2, and against the closed form 2x, 2."""
    for inner in (lambda x: lambda y: x * y, lambda x: lambda y: y * x):

        def fun(x: Any, inner: Any = inner) -> Any:
            return x * grad(inner(x))(2.0)

        check_grads(fun, 1.0)
        assert grad(fun)(1.0) == 2.0 and grad(grad(fun))(1.0) == 2.0


def test_mutating_outgrad() -> None:
    """Mirrors test_graphs.py::test_mutating_outgrad and _from_indexing (a tuple of 5)."""

    def fun(a: Any) -> Any:
        b = [x + 1.0 for x in a]
        c = [x + 1.5 for x in b]
        d = [x + y for x, y in zip(a, b)]
        return sum(x + y for x, y in zip(d, c))

    def fun_indexing(a: Any) -> Any:
        b = [x + 1.0 for x in a]
        c = b[0] + 1.5
        d = [x + y for x, y in zip(a, b)]
        return sum(x + c for x in d)

    A = tuple(float(v) for v in np.random.RandomState(1).randn(5))
    check_grads(fun, A)
    check_grads(fun_indexing, A)
    assert grad(fun)(A) == (3.0,) * 5
    assert grad(fun_indexing)(A) == (7.0, 2.0, 2.0, 2.0, 2.0)


def test_third_derivative() -> None:
    """Mirrors test_graphs.py::test_third_derivative: f = sin(sin x + sin x) and its first three
    derivatives, each checked to order 2, the third against its closed form."""
    fun = lambda x: (x.sin() + x.sin()).sin()  # noqa: E731
    df, ddf = grad(fun), grad(grad(fun))
    dddf = grad(ddf)
    for f in (fun, df, ddf, dddf):
        check_grads(f, RAND[0])
    x = RAND[0]
    u, du = 2 * math.sin(x), 2 * math.cos(x)  # f = sin(u)
    d2u, d3u = -u, -du
    third = -math.cos(u) * du**3 - 3 * math.sin(u) * du * d2u + math.cos(u) * d3u
    assert dddf(x) == pytest.approx(third, rel=1e-12)


@pytest.mark.parametrize("order", [(0, 1, 0), (1, 0, 1)])
def test_third_derivative_other_args(order: tuple[int, int, int]) -> None:
    """Mirrors test_graphs.py::test_third_derivative_other_args and _args2: sin(sin x + sin y),
    differentiated by x, y, x (and y, x, y), each level checked to order 2."""
    fun = lambda x, y: (x.sin() + y.sin()).sin()  # noqa: E731
    fs = [fun]
    for argnum in order:
        fs.append(grad(fs[-1], argnum))
    for f in fs:
        check_grads(f, RANDN[0], RANDN[1])
    x, y = RANDN[0], RANDN[1]
    s = math.sin(x) + math.sin(y)
    a, b = (math.cos(x), math.cos(y)) if order[0] == 0 else (math.cos(y), math.cos(x))
    c = -math.sin(x) if order[0] == 0 else -math.sin(y)  # the twice-differentiated sine
    expected = -math.cos(s) * a * a * b - math.sin(s) * c * b
    assert fs[3](x, y) == pytest.approx(expected, rel=1e-12)


def test_nonscalar_output() -> None:
    """Mirrors test_graphs.py::test_nonscalar_output_1 and _2: a TypeError. An array argument
    is refused with a pointer to the batch helpers; a tuple result is not a scalar."""
    with pytest.raises(TypeError, match=r"numpy array of shape \(2,\).*batch helpers"):
        grad(lambda x: x * 2)(np.zeros(2))
    with pytest.raises(TypeError, match=r"to return a scalar .* got a tuple of 2"):
        grad(lambda x: (x[0] * 2, x[1] * 2))((0.0, 0.0))
