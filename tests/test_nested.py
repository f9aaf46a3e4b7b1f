"""Nested transforms: the standard cases of perturbation confusion from the literature, third-
order nestings and mixed modes, each against its closed form (issue 18's first bullet).

The confusion (Siskind and Pearlmutter, "Perturbation confusion and referential transparency",
2005, and "Nesting forward-mode AD in a functional framework", 2008): an inner derivative that
closes over the outer variable must treat it as a constant of its own differentiation while the
outer one still sees the dependence. Each transform call here differentiates with respect to
its own variables, and inside an outer transform returns Values connected to the graph.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnet import (
    Value,
    explain,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacrev,
    jvp,
    topological_order,
    value_and_grad,
    vjp,
)


def d_fwd(f: Callable[..., Any]) -> Callable[..., Any]:
    """f' by forward mode: the jvp along 1."""
    return lambda x: jvp(f, (x,), (1.0,))[1]


def d_rev(f: Callable[..., Any]) -> Callable[..., Any]:
    """f' by reverse mode."""
    return grad(f)


MODES = [d_fwd, d_rev]
MODE_IDS = ["fwd", "rev"]


# -- the three cases of the issue ----------------------------------------------------------------


def test_issue_case_closed_over_outer_variable() -> None:
    """x·(d/dy x·y at 2) = x², whose derivative at 1 is 2 (the issue's first case)."""
    assert grad(lambda x: x * grad(lambda y: x * y)(2.0))(1.0) == 2.0


def test_issue_case_outer_variable_passed_in() -> None:
    """x·(d/dy (x + y) at y = x) = x, derivative 1 (the issue's second case)."""
    assert grad(lambda x: x * grad(lambda y: x + y)(x))(1.0) == 1.0


def test_issue_case_partial_then_total() -> None:
    """∂(a·b)/∂a at (x, 2x) = 2x, whose derivative is 2 (the issue's third case)."""
    assert grad(lambda x: grad(lambda a, b: a * b, argnums=0)(x, 2 * x))(3.0) == 2.0


# -- the literature's cases, in every combination of forward and reverse mode -----------------


@pytest.mark.parametrize("outer", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("inner", MODES, ids=MODE_IDS)
def test_siskind_pearlmutter_2005(outer: Any, inner: Any) -> None:
    """D(λx. x·D(λy. x + y)(1))(1) = 1 (Siskind and Pearlmutter 2005; ForwardDiff.jl issue 83),
    2 when the inner derivative confuses y with x."""
    assert outer(lambda x: x * inner(lambda y: x + y)(1.0))(1.0) == 1.0


@pytest.mark.parametrize("outer", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("inner", MODES, ids=MODE_IDS)
def test_siskind_pearlmutter_2008_page_4(outer: Any, inner: Any) -> None:
    """D(λx. x·D(λy. x·y)(2))(1) = 2 (Siskind and Pearlmutter 2008, p. 4; DiffSharp's
    TestDerivativesNestedPerturbationConfusion), and at every x the closed form 2x."""
    f = lambda x: x * inner(lambda y: x * y)(2.0)  # noqa: E731
    assert outer(f)(1.0) == 2.0
    assert outer(f)(-1.75) == -3.5


@pytest.mark.parametrize("outer", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("inner", MODES, ids=MODE_IDS)
def test_forwarddiff_confusion_cases(outer: Any, inner: Any) -> None:
    """ForwardDiff.jl's ConfusionTest: D(x -> x·D(y -> y², 1), 1) = 2, and the gradient of
    v -> Σv·D(y -> y·‖v‖, 1) equals that of v -> Σv·‖v‖ (here at v = [1] and [1, 2])."""
    assert outer(lambda x: x * inner(lambda y: y * y)(1.0))(1.0) == 2.0
    for v in ([1.0], [1.0, 2.0]):

        def norm(v: Any) -> Any:
            return sum(vi * vi for vi in v) ** 0.5

        nested = grad(lambda v: sum(v) * inner(lambda y: y * norm(v))(1.0))(v)
        direct = grad(lambda v: sum(v) * norm(v))(v)
        assert nested == pytest.approx(direct, rel=1e-15)
        n = math.sqrt(sum(t * t for t in v))
        assert direct == pytest.approx([n + sum(v) * t / n for t in v], rel=1e-15)


@pytest.mark.parametrize("outer", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("inner", MODES, ids=MODE_IDS)
def test_argument_and_closure_together(outer: Any, inner: Any) -> None:
    """x arrives both as the argument and closed over: d/dy (x·y²) at y = x is 2x², so the
    outer derivative is 4x (not 6x, the derivative of x³ when the two are confused)."""
    f = lambda x: inner(lambda y: x * y * y)(x)  # noqa: E731
    assert outer(f)(3.0) == 12.0
    assert f(3.0) == 18.0  # at the top level the inner derivative is a float


# -- third order -------------------------------------------------------------------------------


@pytest.mark.parametrize("d1", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("d2", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("d3", MODES, ids=MODE_IDS)
def test_three_levels_of_closures(d1: Any, d2: Any, d3: Any) -> None:
    """x·D_y(x·y·D_z(x·y·z)(3))(2): D_z = x·y, D_y(x²y²) = 2x²y = 4x² at y = 2, so f = 4x³
    and f'(x) = 12x² (every mix of modes)."""
    f = lambda x: x * d2(lambda y: x * y * d3(lambda z: x * y * z)(3.0))(2.0)  # noqa: E731
    assert d1(f)(1.0) == 12.0
    assert d1(f)(0.5) == 3.0


def test_third_derivative_through_nested_arguments() -> None:
    """h(x) = D_y(D_z(x·y·z²)(x))(x): D_z = 2xyz → 2x²y at z = x; D_y → 2x² at y = x; so
    h' = 4x, h'' = 4 and h''' = 0, by grad of grad of grad."""
    h = lambda x: grad(lambda y: grad(lambda z: x * y * z * z)(x))(x)  # noqa: E731
    assert h(1.5) == 4.5
    assert grad(h)(1.5) == 6.0
    assert grad(grad(h))(1.5) == 4.0
    assert grad(grad(grad(h)))(1.5) == 0.0


def test_third_order_tower_of_a_closure() -> None:
    """f(x) = D_y(sin(x·y))(1) = x·cos(x): its first three derivatives by the closed forms
    cos x − x sin x, −2 sin x − x cos x, −3 cos x + x sin x."""
    f = lambda x: grad(lambda y: (x * y).sin())(1.0)  # noqa: E731
    x = 0.8
    assert f(x) == pytest.approx(x * math.cos(x), rel=1e-15)
    assert grad(f)(x) == pytest.approx(math.cos(x) - x * math.sin(x), rel=1e-14)
    assert grad(grad(f))(x) == pytest.approx(-2 * math.sin(x) - x * math.cos(x), rel=1e-14)
    assert d_fwd(grad(grad(f)))(x) == pytest.approx(-3 * math.cos(x) + x * math.sin(x), rel=1e-14)


def test_charged_particle() -> None:
    """Siskind and Pearlmutter 2008, p. 13 (DiffSharp's TestDerivativesNestedChargedParticle):
    a particle starts at (0, 8) with velocity (0.75, 0), pulled by charges at (10, 10 − w) and
    (10, 0); naive Euler (dt = 0.1, the force by an inner grad) until it crosses the x axis;
    Newton's method (D f / D D f, forward mode on forward mode on reverse) finds the w that puts
    the crossing at x = 0. Published: 4 iterations, w ≈ −0.266521 (tolerance 0.01)."""

    def norm(a: Any, b: Any) -> Any:
        return (a * a + b * b).sqrt()

    def naive_euler(w: Any) -> Any:
        def potential(p: Any) -> Any:
            return 1 / norm(p[0] - 10.0, p[1] - (10.0 - w)) + 1 / norm(p[0] - 10.0, p[1])

        x, v = (0.0, 8.0), (0.75, 0.0)
        while x[1] > 0:
            force = grad(potential)(x)
            x = (x[0] + 0.1 * v[0], x[1] + 0.1 * v[1])
            v = (v[0] - 0.1 * force[0], v[1] - 0.1 * force[1])
        final = x[0] + (0 - x[1]) / v[1] * v[0]
        return final * final

    w, iterations = 0.0, 0
    while True:
        slope, curvature = jvp(d_fwd(naive_euler), (w,), (1.0,))  # f'(w) and f''(w) at once
        w = w - slope / curvature
        iterations += 1
        if abs(slope) < 0.1:
            break
    assert iterations == 4
    assert w == pytest.approx(-0.266521, abs=0.01)
    assert w == pytest.approx(-0.2665235215055097, rel=1e-9)  # this library's float64 result


def test_rosenbrock_hessian_vector_products() -> None:
    """DiffSharp's TestDerivativesNestedHessian: H·v of Rosenbrock's function by reverse on
    forward (vjp of a jvp), reverse on reverse (vjp of a grad) and forward on reverse (hvp),
    against the analytic Hessian [[2 + 1200x² − 400y, −400x], [−400x, 200]]."""

    def rosenbrock(x: Any, y: Any) -> Any:
        return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2

    x, y, v = 0.3, -0.7, (1.5, -0.4)
    H = [[2 + 1200 * x * x - 400 * y, -400 * x], [-400 * x, 200.0]]
    expected = [H[0][0] * v[0] + H[0][1] * v[1], H[1][0] * v[0] + H[1][1] * v[1]]

    def directional(a: Any, b: Any) -> Any:  # ∇f·v by forward mode
        return jvp(rosenbrock, (a, b), v)[1]

    rev_on_fwd = vjp(directional, x, y)[1](1.0)
    rev_on_rev = vjp(lambda a, b: grad(rosenbrock, (0, 1))(a, b), x, y)[1](v)
    fwd_on_rev = hvp(rosenbrock, (x, y), v)
    for got in (rev_on_fwd, rev_on_rev, fwd_on_rev):
        assert got == pytest.approx(tuple(expected), rel=1e-13)
    np.testing.assert_allclose(hessian(rosenbrock)(x, y), H, rtol=1e-13)


# -- the other transforms, nested ------------------------------------------------------------


def test_nested_jacobians_and_hessian_of_a_closure() -> None:
    """jacfwd/jacrev/hessian inside grad: d/dx of the Hessian of y ↦ x·y³ at y = 2 (6xy, so
    12) and of the Jacobian of y ↦ (x·y, x²·y) at 1 ((1, 2x), so 2)."""
    assert grad(lambda x: hessian(lambda y: x * y**3, argnums=0)(2.0))(5.0) == 12.0
    assert grad(lambda x: jacfwd(lambda y: (x * y, x * x * y))(1.0)[1])(3.0) == 6.0
    assert grad(lambda x: jacrev(lambda y: (x * y, x * x * y))(1.0)[1])(3.0) == 6.0


def test_nested_value_and_grad_and_vjp() -> None:
    """Both results of value_and_grad, and vjp's, stay differentiable inside grad."""

    def f(x: Any) -> Any:
        value, slope = value_and_grad(lambda y: x * y * y)(x)  # x³ and 2x²
        return value + slope

    assert grad(f)(2.0) == 3 * 4.0 + 4 * 2.0

    def g(x: Any) -> Any:
        out, pullback = vjp(lambda y: x * y * y, x)  # pullback(1) = 2x²
        return out + pullback(1.0)[0]

    assert grad(g)(2.0) == 20.0


def test_inner_results_are_values_inside_a_transform() -> None:
    """Inside an outer transform even an inner call with numbers returns Values; outside, the
    same call returns floats."""
    seen: list[Any] = []

    def f(x: Any) -> Any:
        seen.append(grad(lambda y: y**3)(2.0))
        return x * seen[-1]

    assert grad(f)(1.0) == 12.0
    assert isinstance(seen[0], Value) and seen[0].data == 12.0
    assert type(grad(lambda y: y**3)(2.0)) is float


def test_depth_is_restored_after_an_error() -> None:
    """An exception inside f leaves no transform marked as running."""

    def failing(x: Any) -> Any:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        grad(lambda x: x * grad(failing)(x))(1.0)
    assert type(grad(lambda y: y * y)(3.0)) is float


def test_threads_nest_independently() -> None:
    """The depth is context-local: threads nesting transforms at once get right numbers, and
    a top-level call in one thread returns floats while another thread is nested."""
    results: dict[int, Any] = {}

    def work(k: int) -> None:
        for _ in range(20):
            f = lambda x: x * grad(lambda y: x * y * k)(2.0)  # noqa: E731
            results[k] = (grad(f)(1.5), type(grad(lambda y: y * y)(1.0)))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: (2 * 1.5 * k, float) for k in range(1, 5)}


def test_helper_nodes_are_invisible() -> None:
    """A gradient built from Values given by the user: its graph, children, explain and
    backward see the user's Values, never the transform's own variables."""
    x = Value(1.5, "x")
    g = grad(lambda y: y * y * x)(x)  # 2·y·x at y = x: 4.5, a graph in x
    assert isinstance(g, Value) and g.data == 4.5
    order = topological_order(g)
    assert x in order and all(n.op != "identity" for n in order)
    assert all(all(c.op != "identity" for c in n.children) for n in order)
    assert explain(g, x).total == 6.0  # g = 2x², so dg/dx = 4x = 6 at x = 1.5
    g.backward()
    assert x.grad == 6.0


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(0, 3),
    k=st.integers(0, 3),
    n=st.integers(1, 3),
    c=st.floats(-2, 2, allow_nan=False).filter(lambda v: abs(v) > 0.1),
    x=st.floats(-2, 2, allow_nan=False).filter(lambda v: abs(v) > 0.1),
    outer=st.sampled_from(MODES),
    inner=st.sampled_from(MODES),
)
def test_nested_monomials(
    m: int, k: int, n: int, c: float, x: float, outer: Any, inner: Any
) -> None:
    """f(x) = x^m · D_y(x^k · y^n)(c) = n·c^(n−1)·x^(m+k), so f'(x) = (m+k)·n·c^(n−1)·x^(m+k−1),
    for random powers, points and modes."""
    f = lambda x: x**m * inner(lambda y: x**k * y**n)(c)  # noqa: E731
    expected = (m + k) * n * c ** (n - 1) * x ** (m + k - 1) if m + k else 0.0
    assert outer(f)(x) == pytest.approx(expected, rel=1e-12, abs=1e-12)
