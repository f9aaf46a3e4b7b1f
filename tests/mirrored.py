"""Helpers of the tests that mirror HIPS/autograd's and JAX's suites (docs/mirrored_tests.md).

``check_grads(f, *args, order=2)`` is this library's version of autograd's ``check_grads``
(``autograd.test_util``: modes "fwd" and "rev", order 2, EPS = 1e-6, TOL = RTOL = 1e-6): at each
order the directional derivative of the order below, along a random direction u, is computed by
reverse mode (``grad``) and by forward mode (``jvp``) and compared with central differences
(g(x + u·eps/2) − g(x − u·eps/2)) / eps. Arguments are numbers or tuples of numbers; f returns a
scalar. The functions of autograd's scalar tests (``tan``, ``arcsinh``, ...) are
``microgradnet.math``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from microgradnet import Value, grad, jvp

EPS = 1e-6  # autograd.test_util's step and tolerances
TOL = 1e-6
RTOL = 1e-6

# the points autograd's suites draw: numpy's generator seeded with 1, first draws
RANDN = tuple(float(v) for v in np.random.RandomState(1).randn(3))
RAND = tuple(float(v) for v in np.random.RandomState(1).rand(3))

Arg = Any  # a number or a tuple of numbers


def scalar_close(a: float, b: float, tol: float = TOL, rtol: float = RTOL) -> bool:
    """autograd's test: |a − b| < TOL or |a − b| / |a + b| < RTOL."""
    return bool(abs(a - b) < tol or abs(a - b) / abs(a + b) < rtol)


def _shift(args: Sequence[Arg], u: Sequence[Arg], step: float) -> list[Arg]:
    out: list[Arg] = []
    for a, d in zip(args, u):
        if isinstance(a, tuple):
            out.append(tuple(x + step * dx for x, dx in zip(a, d)))
        else:
            out.append(a + step * d)
    return out


def _dot(gs: Sequence[Any], u: Sequence[Arg]) -> Any:
    """Σ g·u over the arguments (g, u numbers or tuples of them)."""
    total: Any = 0.0
    for g, d in zip(gs, u):
        if isinstance(d, tuple):
            for gi, di in zip(g, d):
                total = total + gi * di
        else:
            total = total + g * d
    return total


def _as_values(args: Sequence[Arg]) -> list[Any]:
    return [tuple(Value(x) for x in a) if isinstance(a, tuple) else Value(a) for a in args]


def evaluate(f: Callable[..., Any], args: Sequence[Arg]) -> float:
    """f at numbers, given Values (f may call Value methods on its arguments)."""
    return float(f(*_as_values(args)))


def direction(args: Sequence[Arg], seed: int = 0) -> list[Arg]:
    rng = np.random.RandomState(seed)
    return [
        tuple(float(v) for v in rng.randn(len(a))) if isinstance(a, tuple) else float(rng.randn())
        for a in args
    ]


def check_grads(f: Callable[..., Any], *args: Arg, order: int = 2, seed: int = 0) -> None:
    """autograd's check_grads for a scalar f: orders 1..order, by grad and by jvp."""
    u = direction(args, seed)
    everything = tuple(range(len(args)))
    g: Callable[..., Any] = f
    for k in range(1, order + 1):
        plus, minus = evaluate(g, _shift(args, u, EPS / 2)), evaluate(g, _shift(args, u, -EPS / 2))
        numeric = (plus - minus) / EPS
        by_rev = float(_dot(grad(g, everything)(*args), u))
        by_fwd = float(jvp(g, tuple(args), tuple(u))[1])
        for mode, exact in (("rev", by_rev), ("fwd", by_fwd)):
            assert scalar_close(exact, numeric), (
                f"order {k} ({mode}) at {args}: analytic {exact!r}, numeric {numeric!r}"
            )
        g = _directional(g, u, everything)


def _directional(g: Callable[..., Any], u: Sequence[Arg], nums: tuple[int, ...]) -> Any:
    """x ↦ ∇g(x)·u, built with a nested grad (so it can be differentiated again)."""

    def dg(*xs: Any) -> Any:
        return _dot(grad(g, nums)(*xs), u)

    return dg
