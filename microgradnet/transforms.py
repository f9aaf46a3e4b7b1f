"""Function transforms in JAX's names: grad, value_and_grad, hessian, and numerical checks.

For anyone checking a gradient derived by hand:

    grad(f, argnums)(*numbers)        d f / d args, as floats
    value_and_grad(f, argnums)        (f, d f / d args)
    hessian(f)(*numbers)              the matrix of second derivatives
    second_derivatives(root, xs)      the same for a graph already built
    numerical_grad(f, inputs, eps)    central differences (f(x + eps) - f(x - eps)) / 2eps
    gradcheck(f, inputs, ...)         analytical against numerical, raising GradcheckError

``f`` takes Values and returns a Value; numbers it is not differentiated by arrive as Constants.
``grad`` nests to any order: given Values instead of numbers (as when an outer ``grad`` calls
it), the returned function builds its gradient as a graph (``gradients(..., create_graph=True)``)
so it can be differentiated again. The chain rule written out path by path is
``microgradnet.explain``; a whole hand-derived formula is checked by ``check.check_derivative``.

References: JAX's grad / value_and_grad (argnums), torch.autograd.gradcheck (eps, atol, rtol).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from ._args import real_number as _number
from .engine import Constant, Value, gradients

Function = Callable[..., Value]


def value_and_grad(f: Function, argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """Return a function computing (f(*args), d f / d args[argnums]).

    With numbers in, floats come out; a sequence argnums gives a tuple of gradients. With Values
    in (a nested call), the value and gradients are Values, differentiable again. Numbers that
    are not differentiated reach f as Constants (so ``x.exp()`` works on every argument); other
    arguments (lists, models) pass through unchanged.
    """
    nums, single = _argnums(argnums)
    names = parameter_names(f)

    @functools.wraps(f)
    def value_and_grad_f(*args: Any) -> tuple[Any, Any]:
        for i in nums:
            if not -len(args) <= i < len(args):
                raise IndexError(
                    f"argnums {i} is out of range for {len(args)} positional arguments"
                )
        nested = any(isinstance(a, Value) for a in args)
        xs = list(args)
        for i in nums:
            if not isinstance(xs[i], Value):
                xs[i] = Value(
                    _number(xs[i], f"argument {i}"), label=argument_name(names, i, len(args))
                )
        differentiated = {i % len(args) for i in nums}
        for i, a in enumerate(xs):  # the other numbers: constants with the same methods
            if i not in differentiated and _is_number(a):
                xs[i] = Constant(float(a), label=argument_name(names, i, len(args)))
        out = _call(f, xs)
        wrt = [xs[i] for i in nums]
        gs = gradients(out, wrt, create_graph=nested)
        if nested:
            value: Any = out
            gs = [g if isinstance(g, Value) else Constant(g) for g in gs]
        else:
            value = out.data
        return value, gs[0] if single else tuple(gs)

    return value_and_grad_f


def grad(f: Function, argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing d f / d args[argnums]; ``grad(grad(f))`` gives f''."""
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def grad_f(*args: Any) -> Any:
        return vg(*args)[1]

    return grad_f


def hessian(f: Function) -> Callable[..., list[list[float]]]:
    """Return a function computing the matrix H[i][j] = d²f / d args[i] d args[j]."""
    names = parameter_names(f)

    @functools.wraps(f)
    def hessian_f(*args: float) -> list[list[float]]:
        xs = [
            Value(_number(a, f"argument {i}"), label=argument_name(names, i, len(args)))
            for i, a in enumerate(args)
        ]
        return second_derivatives(_call(f, xs), xs)

    return hessian_f


def second_derivatives(root: Value, wrt: Sequence[Value]) -> list[list[float]]:
    """H[i][j] = d²root / d wrt[i] d wrt[j]: the gradients of the gradient graph."""
    first = gradients(root, wrt, create_graph=True)
    return [gradients(g, wrt) if isinstance(g, Value) else [0.0] * len(wrt) for g in first]


def numerical_grad(f: Function, inputs: Sequence[Value | float], eps: float = 1e-6) -> list[float]:
    """Central differences (f(x_i + eps) - f(x_i - eps)) / 2eps for each input.

    inputs are numbers (f gets fresh leaves) or leaf Values such as a model's parameters (their
    data is nudged in place and restored, so a loss that reads them directly works too).
    """
    if not eps > 0:
        raise ValueError(f"numerical_grad: eps must be > 0, got {eps}")
    points = _inputs(inputs, "numerical_grad")
    result = []
    for p in points:
        saved = p.data
        try:
            p.data = saved + eps
            plus = _evaluate(f, points)
            p.data = saved - eps
            minus = _evaluate(f, points)
        finally:
            p.data = saved
        result.append((plus - minus) / (2 * eps))
    return result


class GradcheckError(RuntimeError):
    """Raised by gradcheck; ``mismatches`` holds (index, label, analytical, numerical) rows."""

    def __init__(
        self, mismatches: list[tuple[int, str, float, float]], atol: float, rtol: float
    ) -> None:
        self.mismatches = mismatches
        rows = "\n".join(
            f"  input {i}{f' ({label})' if label else ''}: analytical {a!r}, numerical {n!r}, "
            f"difference {abs(a - n):.3g}"
            for i, label, a, n in mismatches
        )
        super().__init__(
            f"gradcheck: {len(mismatches)} gradient(s) differ by more than "
            f"atol + rtol·|numerical| (atol={atol}, rtol={rtol}):\n{rows}"
        )


def gradcheck(
    f: Function,
    inputs: Sequence[Value | float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check backprop's gradients of f at inputs against central differences.

    Passes when |analytical - numerical| <= atol + rtol·|numerical| for every input; otherwise
    raises GradcheckError naming each mismatch, or returns False if raise_exception is False.
    """
    points = _inputs(inputs, "gradcheck")
    analytical = gradients(_call(f, points), points)
    numerical = numerical_grad(f, inputs, eps)
    mismatches = [
        (i, p.label, a, n)
        for i, (p, a, n) in enumerate(zip(points, analytical, numerical))
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if mismatches and raise_exception:
        raise GradcheckError(mismatches, atol, rtol)
    return not mismatches


def _call(f: Function, args: Sequence[Any]) -> Value:
    out = f(*args)
    if not isinstance(out, Value):
        raise TypeError(
            f"{getattr(f, '__name__', 'f')} must return a single Value, got {type(out).__name__}"
        )
    return out


def _evaluate(f: Function, points: Sequence[Value]) -> float:
    return _call(f, points).data


def _inputs(inputs: Sequence[Value | float], where: str) -> list[Value]:
    """Fresh leaves for numbers; leaf Values as they are (an interior node cannot be nudged)."""
    points = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            if x.children:
                raise ValueError(
                    f"{where}: input {i} is an interior node (op {x.op!r}); "
                    "pass numbers or leaf Values"
                )
            points.append(x)
        else:
            points.append(Value(_number(x, f"{where}: input {i}")))
    return points


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, (bool, Value))


def _argnums(argnums: int | Sequence[int]) -> tuple[list[int], bool]:
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        return [argnums], True
    if isinstance(argnums, Sequence) and argnums and all(isinstance(i, int) for i in argnums):
        return list(argnums), False
    raise TypeError(f"argnums must be an int or a non-empty sequence of ints, got {argnums!r}")


def parameter_names(f: Callable[..., Any]) -> list[str]:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def argument_name(names: list[str], i: int, n: int) -> str:
    i %= n
    return names[i] if i < len(names) else f"x{i}"
