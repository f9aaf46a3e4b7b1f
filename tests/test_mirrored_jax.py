"""JAX's tests/api_test.py grad, argnums, has_aux, pytree, Jacobian and custom-rule cases,
written again for microgradnet (listed in docs/mirrored_tests.md). Each test names the JAX test
it mirrors. Where this library chooses differently (ints accepted; a structure mismatch is a
ValueError, a wrong value; hessian's default), the test says so.
"""

from __future__ import annotations

import collections
import math
from functools import partial
from typing import Any

import numpy as np
import pytest

from microgradnet import (
    Value,
    define_op,
    grad,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    undefine_op,
    value_and_grad,
    vjp,
)
from microgradnet.ops import fn


def _f(x: Any, y: Any, z: Any, flag: bool = False) -> Any:
    assert flag
    return 1.0 * x + 2.0 * y + 3.0 * z


def test_grad_argnums() -> None:
    """Mirrors api_test.py::test_grad_argnums (a keyword argument passed through)."""
    assert grad(_f)(1.0, 1.0, 1.0, flag=True) == 1.0
    assert grad(_f, argnums=1)(1.0, 1.0, 1.0, flag=True) == 2.0
    assert grad(_f, argnums=(2, 0))(1.0, 1.0, 1.0, flag=True) == (3.0, 1.0)


def test_value_and_grad_argnums() -> None:
    """Mirrors api_test.py::test_value_and_grad_argnums."""
    y = 6.0
    assert value_and_grad(_f)(1.0, 1.0, 1.0, flag=True) == (y, 1.0)
    assert value_and_grad(_f, argnums=1)(1.0, 1.0, 1.0, flag=True) == (y, 2.0)
    assert value_and_grad(_f, argnums=(2, 0))(1.0, 1.0, 1.0, flag=True) == (y, (3.0, 1.0))


def test_bad_input() -> None:
    """Mirrors api_test.py::test_bad_input: a string argument is a TypeError naming it."""
    with pytest.raises(TypeError, match="argument 0 \\(x\\) must be a real number, got str: 'foo'"):
        grad(lambda x: x)("foo")


def test_grad_tuple_and_unit_output() -> None:
    """Mirrors api_test.py::test_grad_tuple_output, ::test_grad_unit_output and
    ::test_grad_nonscalar_output: grad needs a scalar output."""
    with pytest.raises(TypeError, match=r"return a scalar .* got a tuple of 2 item\(s\)"):
        grad(lambda x: (x, x))(1.0)
    with pytest.raises(TypeError, match=r"return a scalar .* got a tuple of 0 item\(s\)"):
        grad(lambda x: ())(1.0)
    with pytest.raises(TypeError, match=r"numpy array of shape \(3,\)"):
        grad(lambda x: x)(np.zeros(3))


def test_unwrapped_numpy() -> None:
    """Mirrors api_test.py::test_unwrapped_numpy: numpy's exp of a Value is refused."""
    with pytest.raises(TypeError):
        grad(lambda x: np.exp(x))(1.0)


def test_switch_value() -> None:
    """Mirrors api_test.py::test_switch_value_jit (without jit): Python control flow on a
    comparison of the traced value."""

    def f(x: Any) -> Any:
        if x > 0:
            return x
        return -x

    assert grad(f)(1.0) == 1.0
    assert grad(f)(-1.0) == -1.0


def test_jacobian() -> None:
    """Mirrors api_test.py::test_jacobian: A·x (A 4×3) has Jacobian A by both modes; for
    tanh(A·x) the two modes agree."""
    rng = np.random.RandomState(0)
    A, x = rng.randn(4, 3), tuple(rng.randn(3))

    def f(x: Any) -> tuple[Any, ...]:
        return tuple(sum(A[i, j] * x[j] for j in range(3)) for i in range(4))

    np.testing.assert_allclose(jacfwd(f)(x), A, rtol=1e-15)
    np.testing.assert_allclose(jacrev(f)(x), A, rtol=1e-15)
    g = lambda x: tuple(v.tanh() for v in f(x))  # noqa: E731
    np.testing.assert_allclose(jacfwd(g)(x), jacrev(g)(x), rtol=1e-14)


def test_hessian() -> None:
    """Mirrors api_test.py::test_hessian: x·A·x has Hessian A + Aᵀ (A 4×4)."""
    rng = np.random.RandomState(0)
    A, x = rng.randn(4, 4), tuple(rng.randn(4))
    f = lambda x: sum(x[i] * A[i, j] * x[j] for i in range(4) for j in range(4))  # noqa: E731
    np.testing.assert_allclose(hessian(f, argnums=0)(x), A + A.T, rtol=1e-13)


def test_jacobian_on_pytrees() -> None:
    """Mirrors api_test.py::test_jacobian_on_pytrees, for jacfwd and jacrev."""
    rng = np.random.RandomState(0)
    x, y = tuple(rng.randn(2)), tuple(rng.randn(3))

    def outer(x: Any, y: Any) -> dict[str, Any]:
        return {"x": x, "xy": tuple(tuple(a * b for b in y) for a in x)}

    for jacfun in (jacfwd, jacrev):
        assert jacfun(lambda x, y: (x, y))(0.0, 1.0) == (1.0, 0.0)
        assert jacfun(lambda x, y: (x, y), 1)(0.0, 1.0) == (0.0, 1.0)
        assert jacfun(lambda x, y: (x, y), (0, 1))(0.0, 1.0) == ((1.0, 0.0), (0.0, 1.0))
        assert jacfun(lambda x: x[:2])((1.0, 2.0, 3.0)) == ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
        ans = jacfun(outer)(x, y)
        np.testing.assert_allclose(ans["x"], np.eye(2))
        expected = np.kron(np.eye(2), np.array(y)[:, None]).reshape(2, 3, 2)
        np.testing.assert_allclose(ans["xy"], expected, rtol=1e-15)


def test_hessian_on_pytrees() -> None:
    """Mirrors api_test.py::test_hessian_on_pytrees: the Hessian of (x0², x1²) in (x0, x1).
    JAX's output is an array leaf, so its index comes last; here the output is a tuple, whose
    index comes first (for this function the numbers are in the same places)."""
    ans = hessian(lambda x: (x[0] ** 2, x[1] ** 2), argnums=0)((1.0, 2.0))
    assert ans == (((2.0, 0.0), (0.0, 0.0)), ((0.0, 0.0), (0.0, 2.0)))


def test_issue1372() -> None:
    """Mirrors api_test.py::test_issue1372: every nesting of jacrev and jacfwd over a function
    of x (5) and u (2) gives blocks of the right shape, and the right numbers (2·I, 0)."""

    def f(x: Any, u: Any) -> Any:
        return sum(v * v for v in x) + sum(v * v for v in u)

    x, u = (1.0,) * 5, (1.0,) * 2
    for outer in (jacrev, jacfwd):
        for inner in (jacrev, jacfwd):
            for a, b in ((0, 0), (1, 1), (1, 0), (0, 1)):
                block = np.array(outer(inner(f, a), b)(x, u))
                n, m = len((x, u)[a]), len((x, u)[b])
                assert block.shape == (n, m)
                np.testing.assert_array_equal(block, 2 * np.eye(n) if a == b else np.zeros((n, m)))


def test_grad_and_aux_basic() -> None:
    """Mirrors api_test.py::test_grad_and_aux_basic."""
    g, aux = grad(lambda x: (x**3, [x**2]), has_aux=True)(3.0)
    assert g == grad(lambda x: x**3)(3.0) == 27.0
    assert aux == [9.0]


def test_grad_and_aux_nested() -> None:
    """Mirrors api_test.py::test_grad_and_aux_nested (without jit): the aux of an inner grad
    is differentiable by the outer one."""

    def f(x: Any) -> Any:
        _, aux = grad(lambda x: (x**3, [x**3]), has_aux=True)(x)
        return aux[0]

    assert grad(f)(4.0) == grad(lambda x: x**3)(4.0) == 48.0

    def f2(x: Any) -> Any:
        _, aux = grad(lambda x: (x**3, [x**3]), has_aux=True)(x)
        return aux[0] * x.sin()

    expected = grad(lambda x: x**3 * x.sin())(4.0)
    assert grad(f2)(4.0) == pytest.approx(expected, rel=1e-15)
    assert expected == pytest.approx(48 * math.sin(4) + 64 * math.cos(4), rel=1e-14)


def test_grad_and_aux_constant() -> None:
    """Mirrors api_test.py::test_grad_and_aux_constant."""
    g, aux = grad(lambda x: (x**3, [4.0]), has_aux=True)(4.0)
    assert g == 48.0 and aux == [4.0]
    g, aux = grad(lambda x: (x**3, [x**2, 4.0]), has_aux=True)(4.0)
    assert g == 48.0 and aux == [16.0, 4.0]


def test_grad_and_aux_no_tracers() -> None:
    """Mirrors api_test.py::test_grad_and_aux_no_tracers: the aux comes back as numbers."""
    _, aux = grad(lambda x: (x**2, {"identity": x, "p1": x + 1}), has_aux=True)(3.0)
    assert aux == {"identity": 3.0, "p1": 4.0}
    assert all(type(v) is float for v in aux.values())


def test_jvp_mismatched_arguments() -> None:
    """Mirrors api_test.py::test_jvp_mismatched_arguments and ::test_jvp_non_tuple_arguments.
    A different structure is a ValueError here (a wrong value; JAX raises TypeError); a primal
    that is not a tuple or list is a TypeError, as in JAX."""
    with pytest.raises(ValueError, match="got 1 primals but 0 tangents"):
        jvp(lambda x, y: x * y, (2.0,), ())
    with pytest.raises(ValueError, match=r"tangents\[0\] must have the structure of primals"):
        jvp(lambda x: x[0], ((2.0, 1.0),), ((1.0,),))
    with pytest.raises(TypeError, match=r"primals must be a tuple or list .* got a float"):
        jvp(lambda x, y: x + y, 0.0, (1.0,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"tangents must be a tuple or list .* numpy array"):
        jvp(lambda x, y: x + y, (0.0,), np.array([1.0, 2.0]))  # type: ignore[arg-type]


def test_vjp_mismatched_arguments() -> None:
    """Mirrors api_test.py::test_vjp_mismatched_arguments: a cotangent of another structure."""
    _, pullback = vjp(lambda x, y: x * y, 3.0, 4.0)
    with pytest.raises(ValueError, match="the cotangent must have the structure of f's output"):
        pullback((7.0, 100.0))
    assert pullback(1.0) == (4.0, 3.0)


def test_jvp_closure() -> None:
    """Mirrors api_test.py::test_jvp_jit_cached (without jit): an inner function closing over
    x, called twice."""

    def func(x: Any) -> Any:
        def inner(y: Any) -> Any:
            return y * x

        return inner(4.0) + inner(5.0)

    assert jvp(func, (5.0,), (1.0,)) == (45.0, 9.0)


def test_complex_refused() -> None:
    """Mirrors api_test.py::test_complex_grad_raises_error, ::test_grad_complex_result_errors,
    ::test_complex_output_jacrev_raises_error and ::test_complex_input_jacfwd_raises_error."""
    with pytest.raises(TypeError, match="must be a real number, got complex"):
        grad(lambda x: x.sin())(1 + 2j)
    with pytest.raises(TypeError):
        grad(lambda x: x**2 + 1j)(3.0)
    with pytest.raises(TypeError, match="must be a real number, got complex"):
        jacrev(lambda x: x.sin())(1 + 2j)
    with pytest.raises(TypeError, match="must be a real number, got complex"):
        jacfwd(lambda x: x.sin())(1 + 2j)


Point = collections.namedtuple("Point", ["x", "y"])


def test_namedtuple_transparency() -> None:
    """Mirrors api_test.py::test_namedtuple_transparency: the gradient is a Point."""
    g = grad(lambda pt: (pt.x**2 + pt.y**2).sqrt())(Point(1.0, 2.0))
    assert isinstance(g, Point)
    assert g == pytest.approx(Point(1 / math.sqrt(5), 2 / math.sqrt(5)), rel=1e-15)


def test_namedtuple_subclass_transparency() -> None:
    """Mirrors api_test.py::test_namedtuple_subclass_transparency: a subclass with a method,
    whose f returns the number 0. at the origin (autograd's 0.0 and warning)."""

    class ZeroPoint(Point):
        def is_zero(self) -> bool:
            return bool(self.x == 0 and self.y == 0)

    def f(pt: Any) -> Any:
        return 0.0 if pt.is_zero() else (pt.x**2 + pt.y**2).sqrt()

    with pytest.warns(UserWarning, match="returned the number 0.0"):
        g = grad(f)(ZeroPoint(0.0, 0.0))
    assert isinstance(g, ZeroPoint) and g == (0.0, 0.0)
    assert grad(f)(ZeroPoint(3.0, 4.0)) == pytest.approx((0.6, 0.8), rel=1e-15)


def test_grad_of_int() -> None:
    """Mirrors api_test.py::test_grad_of_int_errors. This library differs on purpose: ints
    are accepted as the floats they equal (README, conventions); bools are refused."""
    assert grad(lambda x: x**2)(3) == 6.0
    with pytest.raises(TypeError, match="got the bool True"):
        grad(lambda x: x**2)(True)


def test_grad_without_enough_args_error_message() -> None:
    """Mirrors api_test.py::test_grad_without_enough_args_error_message: argnums=0 with no
    positional argument (a ValueError here, naming why)."""

    def f(x: Any, y: Any) -> Any:
        return x + y

    df = grad(f, argnums=0)
    with pytest.raises(ValueError, match=r"argnums 0 is out of range for 0 positional argument"):
        partial(df, x=0.0)(y=1.0)


# -- custom rules (define_op), as JAX's CustomJVPTest and CustomVJPTest -----------------------


@pytest.fixture
def custom() -> Any:
    names: list[str] = []

    def make(name: str, *args: Any, **kwargs: Any) -> Any:
        names.append(name)
        return define_op(name, *args, check=False, **kwargs)

    yield make
    for name in names:
        undefine_op(name)


def test_custom_rule_basic(custom: Any) -> None:
    """Mirrors CustomJVPTest::test_basic and CustomVJPTest::test_basic: sin with the rule
    2·cos, used by jvp, grad and value_and_grad."""
    f = custom("mirror_sin2", math.sin, lambda x: 2 * math.cos(x))
    x = 3.0
    assert f(Value(x)).data == math.sin(x)
    assert jvp(f, (x,), (1.0,)) == (math.sin(x), 2 * math.cos(x))
    assert grad(f)(x) == 2 * math.cos(x)
    assert value_and_grad(f)(x) == (math.sin(x), 2 * math.cos(x))


def test_custom_rule_invariance(custom: Any) -> None:
    """Mirrors CustomJVPTest::test_invariance and CustomVJPTest::test_invariance: cos(2x)/2
    with the rule 3, seen through one and two levels of jvp and value_and_grad."""
    f = custom(
        "mirror_c2",
        lambda x: math.cos(2 * x) / 2.0,
        lambda x: 3.0,
        value_derivative=lambda x: 3.0 + 0 * x,
    )
    f2 = lambda x: jvp(f, (x,), (x,))[0]  # noqa: E731
    f3 = lambda x: jvp(f2, (x,), (x,))[0]  # noqa: E731
    x = 1.0
    assert (
        jvp(f, (x,), (x,)) == jvp(f2, (x,), (x,)) == jvp(f3, (x,), (x,)) == (f(Value(x)).data, 3.0)
    )
    v2 = lambda x: value_and_grad(f)(x)[0]  # noqa: E731
    v3 = lambda x: value_and_grad(v2)(x)[0]  # noqa: E731
    assert grad(f)(x) == grad(v2)(x) == grad(v3)(x) == 3.0


def test_custom_rule_python_control_flow(custom: Any) -> None:
    """Mirrors CustomJVPTest::test_python_control_flow: sin for x > 0 else cos, with the rules
    2 and 3 chosen by the same comparison."""
    f = custom(
        "mirror_branch",
        lambda x: math.sin(x) if x > 0 else math.cos(x),
        lambda x: 2.0 if x > 0 else 3.0,
    )
    x = 2.0
    assert jvp(f, (x,), (1.0,)) == (math.sin(x), 2.0)
    assert jvp(f, (-x,), (1.0,)) == (math.cos(-x), 3.0)
    assert grad(f)(x) == 2.0 and grad(f)(-x) == 3.0


def test_custom_rule_second_operand_only(custom: Any) -> None:
    """Mirrors CustomJVPTest::test_custom_jvps_first_rule_is_none: x²·y with a rule for y
    only (2·x·y, JAX's test rule) and none (zero) for x."""
    f = custom("mirror_x2y", lambda x, y: x**2 * y, lambda x, y: (0.0, 2 * x * y), arity=2)
    assert grad(f, 1)(2.0, 3.0) == 12.0
    assert grad(f, 0)(2.0, 3.0) == 0.0


def test_custom_rule_nested(custom: Any) -> None:
    """Mirrors CustomJVPTest::test_initial_style (without scan): grad of 3x with the rule 2
    is 2, and its grad 0; the Value rule written with ops.fn."""
    f = custom(
        "mirror_3x", lambda x: 3 * x, lambda x: 2.0, value_derivative=lambda x: 2.0 + 0 * fn.data(x)
    )
    assert grad(f)(3.0) == 2.0
    assert grad(grad(f))(3.0) == 0.0
