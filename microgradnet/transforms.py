"""Function transforms in JAX's names, and numerical checks, for derivatives checked by hand.

    grad(f, argnums, has_aux)(*args)        d f / d args[argnums]
    value_and_grad(f, argnums, has_aux)     (f, d f / d args[argnums])
    jvp(f, primals, tangents)               (f, J·t): forward mode, one pass per direction
    vjp(f, *primals)                        (f, c ↦ cᵀ·J): reverse mode, one pass per output
    jacrev(f) / jacobian(f), jacfwd(f)      the Jacobian, row by row / column by column
    hessian(f, argnums)                     second derivatives (forward over reverse)
    hvp(f, primals, tangents)               H·t without building H (forward over reverse)
    stop_gradient(x)                        x as a constant: no derivative flows through it
    numerical_grad(f, inputs, eps)          central differences (f(x + eps) - f(x - eps)) / 2eps
    gradcheck(f, inputs, ...)               backprop against central differences

``f`` takes Values and returns a Value. Arguments are numbers (int or float), Values, or small
pytrees of them (tuples, lists, dicts, namedtuples, nested; gradients come back in the same
structure); numbers not differentiated reach ``f`` as Constants, keyword arguments and other
objects pass through unchanged. Called with numbers, a transform returns floats.

Transforms nest to any order. While one is running ``f``, every transform called inside it
builds its results as Values connected to the graph (so the outer one differentiates them), and
each call differentiates with respect to its own variables (``engine.variable``), never an outer
one's, whether the variables arrive as arguments, as closed-over Values or both: the
perturbation confusion of Siskind and Pearlmutter cannot happen.

References: JAX's grad, jvp, vjp, jacfwd/jacrev, hessian and its autodiff cookbook's hvp;
HIPS autograd (nested grad, the warning for a constant function); torch.autograd.gradcheck.
"""

from __future__ import annotations

import functools
import inspect
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from . import engine
from ._args import real_number as _number
from ._tree import Structure, flatten, map_leaves, unflatten
from .engine import Constant, Value, gradients, variable, vsum

Function = Callable[..., Any]

_DEPTH: ContextVar[int] = ContextVar("microgradnet_transform_depth", default=0)
_ARRAYS = (
    "for arrays of samples use the batch helpers: linear_batch(weights, batch) or "
    "Layer.forward_batch(batch); for a few scalars pass tuple(array)"
)


@contextmanager
def _inside_transform() -> Iterator[None]:
    """Mark f's run: transforms called inside build connected Values (a context-local depth)."""
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        yield
    finally:
        _DEPTH.reset(token)


def _run(f: Function, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    with _inside_transform():
        return f(*args, **kwargs)


# -- the arguments: which are differentiated, as variables of this call ------------------------


@dataclass(eq=False)
class _Inputs:
    """What f receives, and the variables of this call for the differentiated arguments."""

    args: list[Any]
    nums: tuple[int, ...]  # argnums as positions (0 <= i < number of arguments)
    single: bool  # argnums was an int: one gradient, not a tuple
    wrt: list[Value]  # every differentiated leaf, argument by argument
    spans: dict[int, tuple[int, Structure]]  # position -> (first leaf in wrt, structure)
    nested: bool  # results must stay Values: inside an outer transform, or Values given

    def regroup(self, flat: Sequence[Any]) -> Any:
        """Per-leaf results (in wrt's order) in the structure of the arguments."""
        trees = []
        for i in self.nums:
            start, structure = self.spans[i]
            trees.append(unflatten(structure, flat[start : start + structure.n_leaves]))
        return trees[0] if self.single else tuple(trees)


def _prepare(
    f: Function, args: Sequence[Any], argnums: tuple[int, ...], single: bool, where: str
) -> _Inputs:
    """Wrap the differentiated arguments' leaves with fresh variables; other numbers become
    Constants (so f may call ``.exp()`` on any argument); everything else passes unchanged."""
    n = len(args)
    for i in argnums:
        if not -n <= i < n:
            raise ValueError(
                f"{where}: argnums {i} is out of range for {n} positional argument(s) "
                "(keyword arguments are passed to f, never differentiated)"
            )
    names = parameter_names(f)
    nums = tuple(i % n for i in argnums)
    xs = list(args)
    wrt: list[Value] = []
    spans: dict[int, tuple[int, Structure]] = {}
    nested = _DEPTH.get() > 0
    for i in dict.fromkeys(nums):
        name = argument_name(names, i, n)
        leaves, structure, paths = flatten(args[i], name)
        spans[i] = (len(wrt), structure)
        wrt.extend(_variable(x, p, f"{where}: argument {i} ({p})") for x, p in zip(leaves, paths))
        nested = nested or any(isinstance(x, Value) for x in leaves)
        xs[i] = unflatten(structure, wrt[spans[i][0] :])
    for i, a in enumerate(xs):
        if i in spans:
            continue
        if _is_number(a):
            xs[i] = Constant(float(a), label=argument_name(names, i, n))
        nested = nested or isinstance(a, Value)
    return _Inputs(xs, nums, single, wrt, spans, nested)


def _variable(x: Any, label: str, where: str) -> Value:
    """This call's variable for one leaf: a fresh leaf for a number, a hidden node standing
    for a Value (the perturbation of this call stays apart from outer ones)."""
    if isinstance(x, Value):
        return variable(x, label)
    return variable(_scalar(x, where), label)


def _scalar(x: Any, where: str) -> float:
    if _is_array(x):
        raise TypeError(f"{where} is {_what(x)}: the transforms take scalars; {_ARRAYS}")
    if isinstance(x, (tuple, list, dict)):  # a subclass the pytrees do not see through
        raise TypeError(
            f"{where} is {_what(x)}: expected a number or a Value (containers: tuple, list, "
            "dict, OrderedDict, namedtuple)"
        )
    return _number(x, where)


def _argnums(argnums: Any, where: str) -> tuple[tuple[int, ...], bool]:
    """argnums as a tuple of ints, and whether it was a single int."""
    if _is_index(argnums):
        return (int(argnums),), True
    if (
        isinstance(argnums, Sequence)
        and not isinstance(argnums, str)
        and argnums
        and all(_is_index(i) for i in argnums)
    ):
        return tuple(int(i) for i in argnums), False
    raise TypeError(
        f"{where}: argnums must be an int or a non-empty tuple or list of ints (not bools), "
        f"got {argnums!r:.60}"
    )


def _has_aux(has_aux: Any, where: str) -> bool:
    if not isinstance(has_aux, bool):
        raise TypeError(f"{where}: has_aux must be True or False, got {has_aux!r:.60}")
    return has_aux


# -- the outputs -------------------------------------------------------------------------------


def _split_aux(result: Any, has_aux: bool, where: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(
            f"{where}: with has_aux=True, f must return a pair (output, aux), got {_what(result)}"
        )
    return result[0], result[1]


def _scalar_output(out: Any, f: Function, where: str) -> Value | None:
    """f's result for grad: a Value, or None for a plain number (its gradient is 0)."""
    if isinstance(out, Value):
        return out
    if _is_number(out):
        warnings.warn(
            f"{where}: {_name(f)} returned the number {out!r}, not a Value: it does not depend "
            "on its arguments, so its gradient is 0.0 (as autograd does)",
            UserWarning,
            stacklevel=4,
        )
        return None
    hint = (
        "; for several outputs use jacrev (or jacobian), or has_aux=True to return extra data"
        if isinstance(out, (tuple, list, dict)) or _is_array(out)
        else ""
    )
    raise TypeError(
        f"{where} needs {_name(f)} to return a scalar (a Value or a number), got {_what(out)}{hint}"
    )


def _output_leaves(out: Any, f: Function, where: str) -> tuple[list[Any], Structure]:
    """The leaves of f's result for jvp, vjp and the Jacobians: Values or numbers."""
    leaves, structure, paths = flatten(out, "output")
    for x, path in zip(leaves, paths):
        if not (isinstance(x, Value) or _is_number(x)):
            raise TypeError(
                f"{where}: {_name(f)} must return Values or numbers (or tuples, lists, dicts of "
                f"them), but {path} is {_what(x)}" + (f"; {_ARRAYS}" if _is_array(x) else "")
            )
    return leaves, structure


def _finish(x: Any, nested: bool) -> Any:
    """A result as the caller gets it: floats at the top level; inside an outer transform
    Values (a number becomes a Constant), so the outer one can differentiate them."""
    if nested:
        return x if isinstance(x, Value) else Constant(float(x))
    return x.data if isinstance(x, Value) else float(x)


def _finish_aux(aux: Any, nested: bool) -> Any:
    if nested:
        return aux
    return map_leaves(lambda x: x.data if isinstance(x, Value) else x, aux, "aux")


# -- grad and value_and_grad -------------------------------------------------------------------


def value_and_grad(
    f: Function, argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., tuple[Any, Any]]:
    """Return a function computing (f(*args, **kwargs), d f / d args[argnums]).

    A tuple argnums gives a tuple of gradients; a pytree argument (tuple, list, dict,
    namedtuple of numbers) gets its gradient in the same structure. With ``has_aux=True`` f
    returns (output, aux) and the result is ((value, aux), gradient). f may return a plain number
    (a constant: gradient 0.0, with a warning); anything else that is not a scalar is a
    TypeError. Inside another transform (or with Values in), the results are Values.
    """
    nums, single = _argnums(argnums, "value_and_grad")
    aux_wanted = _has_aux(has_aux, "value_and_grad")

    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        value, g, aux = _value_and_grad(f, args, kwargs, nums, single, aux_wanted)
        return ((value, aux), g) if aux_wanted else (value, g)

    return _wraps(value_and_grad_f, f, "Value and gradient", nums)


def grad(
    f: Function, argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Return a function computing d f / d args[argnums]; ``grad(grad(f))`` gives f''.

    As ``value_and_grad`` without the value: with ``has_aux=True`` the result is
    (gradient, aux).
    """
    nums, single = _argnums(argnums, "grad")
    aux_wanted = _has_aux(has_aux, "grad")

    def grad_f(*args: Any, **kwargs: Any) -> Any:
        _, g, aux = _value_and_grad(f, args, kwargs, nums, single, aux_wanted, "grad")
        return (g, aux) if aux_wanted else g

    return _wraps(grad_f, f, "Gradient", nums)


def _value_and_grad(
    f: Function,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    nums: tuple[int, ...],
    single: bool,
    has_aux: bool,
    where: str = "value_and_grad",
) -> tuple[Any, Any, Any]:
    """(value, gradient, aux) of f at args: one forward run, one backward pass."""
    inputs = _prepare(f, args, nums, single, where)
    out, aux = _split_aux(_run(f, inputs.args, kwargs), has_aux, where)
    root = _scalar_output(out, f, where)
    nested = inputs.nested
    flat = (
        [0.0] * len(inputs.wrt)
        if root is None
        else gradients(root, inputs.wrt, create_graph=nested, stop_at_wrt=True)
    )
    g = inputs.regroup([_finish(x, nested) for x in flat])
    value = _finish(out if root is None else root, nested)
    return value, g, _finish_aux(aux, nested) if has_aux else None


# -- forward and reverse mode: jvp, vjp ----------------------------------------------------------


def jvp(
    f: Function, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False
) -> tuple[Any, ...]:
    """(f(*primals), the directional derivative of f along tangents): forward mode.

    primals and tangents are tuples or lists with one entry per positional argument of f, each a
    number or a pytree of numbers, tangents in the structure of primals. The tangents are pushed
    forward along the local derivatives of the recorded graph in topological order, one pass for
    every output: a full Jacobian takes one pass per input (``jacfwd``). With ``has_aux=True``
    the result is (output, tangent, aux).
    """
    aux_wanted = _has_aux(has_aux, "jvp")
    for what, seq in (("primals", primals), ("tangents", tangents)):
        if not isinstance(seq, (tuple, list)):
            raise TypeError(
                f"jvp: {what} must be a tuple or list with one entry per argument of f, "
                f"got {_what(seq)}"
            )
    inputs = _prepare(f, primals, tuple(range(len(primals))), False, "jvp")
    seeds = _seeds(inputs, tangents)
    nested = inputs.nested or any(isinstance(t, Value) for t in seeds.values())
    out, aux = _split_aux(_run(f, inputs.args, {}), aux_wanted, "jvp")
    leaves, structure = _output_leaves(out, f, "jvp")
    values = [x for x in leaves if isinstance(x, Value)]
    pushed = iter(engine.tangents(values, seeds, create_graph=nested))
    out_tangents = [next(pushed) if isinstance(x, Value) else 0.0 for x in leaves]
    primal_out = unflatten(structure, [_finish(x, nested) for x in leaves])
    tangent_out = unflatten(structure, [_finish(t, nested) for t in out_tangents])
    if aux_wanted:
        return primal_out, tangent_out, _finish_aux(aux, nested)
    return primal_out, tangent_out


def _seeds(inputs: _Inputs, tangents: Sequence[Any]) -> dict[Value, Any]:
    """The tangent of each variable, checked against the structure of its primal."""
    if len(tangents) != len(inputs.nums):
        raise ValueError(
            f"jvp: got {len(inputs.nums)} primals but {len(tangents)} tangents; "
            "give one tangent per primal"
        )
    seeds: dict[Value, Any] = {}
    for i, t in enumerate(tangents):
        start, structure = inputs.spans[i]
        leaves, t_structure, paths = flatten(t, f"tangents[{i}]")
        if t_structure != structure:
            raise ValueError(
                f"jvp: tangents[{i}] must have the structure of primals[{i}], "
                f"{structure} (got {t_structure})"
            )
        for k, (x, p) in enumerate(zip(leaves, paths)):
            seeds[inputs.wrt[start + k]] = x if isinstance(x, Value) else _scalar(x, f"jvp: {p}")
    return seeds


def vjp(f: Function, *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """(f(*primals), vjp_fun): vjp_fun(cotangent) is cᵀ·J, a tuple with one gradient per
    primal in its structure; the cotangent has the structure of f's output. Reverse mode: one
    backward pass per call of vjp_fun, however many inputs. With ``has_aux=True`` the result is
    (output, vjp_fun, aux)."""
    aux_wanted = _has_aux(has_aux, "vjp")
    inputs = _prepare(f, primals, tuple(range(len(primals))), False, "vjp")
    out, aux = _split_aux(_run(f, inputs.args, {}), aux_wanted, "vjp")
    leaves, structure = _output_leaves(out, f, "vjp")

    def vjp_fun(cotangent: Any) -> tuple[Any, ...]:
        cs, c_structure, paths = flatten(cotangent, "cotangent")
        if c_structure != structure:
            raise ValueError(
                f"vjp: the cotangent must have the structure of f's output, {structure} "
                f"(got {c_structure})"
            )
        cs = [c if isinstance(c, Value) else _scalar(c, f"vjp: {p}") for c, p in zip(cs, paths)]
        nested = inputs.nested or _DEPTH.get() > 0 or any(isinstance(c, Value) for c in cs)
        pairs = [(x, c) for x, c in zip(leaves, cs) if isinstance(x, Value)]
        if not pairs:
            flat: list[Any] = [0.0] * len(inputs.wrt)
        elif len(pairs) == 1:
            flat = gradients(
                pairs[0][0], inputs.wrt, grad=pairs[0][1], create_graph=nested, stop_at_wrt=True
            )
        else:  # Σ c_i·out_i: one backward pass for all outputs
            root = vsum([x * c for x, c in pairs])
            flat = gradients(root, inputs.wrt, create_graph=nested, stop_at_wrt=True)
        g = inputs.regroup([_finish(x, nested) for x in flat])
        return g if isinstance(g, tuple) else (g,)

    primal_out = unflatten(structure, [_finish(x, inputs.nested) for x in leaves])
    if aux_wanted:
        return primal_out, vjp_fun, _finish_aux(aux, inputs.nested)
    return primal_out, vjp_fun


# -- Jacobians and Hessians --------------------------------------------------------------------


def jacrev(
    f: Function, argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Return a function computing the Jacobian of f by reverse mode, one backward pass per
    output: for each output leaf, the gradient in the structure of args[argnums] (a tuple over
    argnums when argnums is a tuple). With ``has_aux=True`` the result is (jacobian, aux)."""
    return _jacobian(f, argnums, has_aux, "jacrev")


def jacfwd(
    f: Function, argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Return a function computing the Jacobian of f by forward mode, one tangent pass per
    input; the same numbers, in the same structure, as ``jacrev``."""
    return _jacobian(f, argnums, has_aux, "jacfwd")


jacobian = jacrev


def _jacobian(f: Function, argnums: Any, has_aux: Any, mode: str) -> Callable[..., Any]:
    nums, single = _argnums(argnums, mode)
    aux_wanted = _has_aux(has_aux, mode)

    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        inputs = _prepare(f, args, nums, single, mode)
        out, aux = _split_aux(_run(f, inputs.args, kwargs), aux_wanted, mode)
        leaves, structure = _output_leaves(out, f, mode)
        nested = inputs.nested
        rows = _rows(leaves, inputs.wrt, nested) if mode == "jacrev" else _columns(leaves, inputs)
        jac = unflatten(structure, [inputs.regroup([_finish(x, nested) for x in r]) for r in rows])
        return (jac, _finish_aux(aux, nested)) if aux_wanted else jac

    return _wraps(jacobian_f, f, f"Jacobian ({mode})", nums)


def _rows(leaves: Sequence[Any], wrt: list[Value], nested: bool) -> list[list[Any]]:
    """d out_i / d wrt for each output leaf: one backward pass per output."""
    return [
        gradients(x, wrt, create_graph=nested, stop_at_wrt=True)
        if isinstance(x, Value)
        else [0.0] * len(wrt)
        for x in leaves
    ]


def _columns(leaves: Sequence[Any], inputs: _Inputs) -> list[list[Any]]:
    """The same matrix by forward mode: one tangent pass per input, then transposed."""
    values = [x for x in leaves if isinstance(x, Value)]
    columns = []
    for v in inputs.wrt:
        pushed = iter(engine.tangents(values, {v: 1.0}, create_graph=inputs.nested))
        columns.append([next(pushed) if isinstance(x, Value) else 0.0 for x in leaves])
    return [[column[i] for column in columns] for i in range(len(leaves))]


def hessian(f: Function, argnums: int | Sequence[int] | None = None) -> Callable[..., Any]:
    """Return a function computing the second derivatives of a scalar f (forward over reverse).

    By default every positional argument is differentiated and must be a number or a Value;
    the result is the matrix H[i][j] = d²f / d args[i] d args[j] as a list of lists. With
    ``argnums`` (as JAX's hessian), the result has JAX's structure: d²f/dx² for one scalar
    argument, a tuple of tuples for a tuple argnums, nested in the structure of pytree arguments.
    """
    if argnums is not None:
        nums, _ = _argnums(argnums, "hessian")
        return _wraps(jacfwd(jacrev(f, argnums), argnums), f, "Hessian", nums)

    def hessian_f(*args: Any, **kwargs: Any) -> list[list[Any]]:
        if not args:
            raise ValueError("hessian: f needs at least one positional argument to differentiate")
        for i, a in enumerate(args):
            if not isinstance(a, Value):
                _scalar(a, f"hessian: argument {i} (pass argnums= for pytree arguments)")
        everything = tuple(range(len(args)))
        rows = jacfwd(jacrev(f, everything), everything)(*args, **kwargs)
        return [list(row) for row in rows]

    return _wraps(hessian_f, f, "Hessian", None)


def hvp(f: Function, primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    """H·t, the Hessian of a scalar f at primals times tangents, without building H: the jvp
    of the gradient (forward over reverse, as in JAX's autodiff cookbook). One primal gives one
    result in its structure; several give a tuple (the Hessian over all of them)."""
    if not isinstance(primals, (tuple, list)) or not primals:
        raise TypeError(
            f"hvp: primals must be a non-empty tuple or list, one entry per argument of f, "
            f"got {_what(primals)}"
        )
    argnums: int | tuple[int, ...] = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return jvp(grad(f, argnums), primals, tangents)[1]


def stop_gradient(x: Any) -> Any:
    """x with no derivative flowing through it (PyTorch's ``detach``): each Value becomes a
    Constant of the same data, numbers stay as they are; works on pytrees."""

    def stop(leaf: Any) -> Any:
        if isinstance(leaf, Value):
            return Constant(leaf.data)
        _scalar(leaf, "stop_gradient: x")
        return leaf

    return map_leaves(stop, x, "x")


def second_derivatives(root: Value, wrt: Sequence[Value]) -> list[list[float]]:
    """H[i][j] = d²root / d wrt[i] d wrt[j] for a graph already built: the gradients of the
    gradient graph (reverse over reverse)."""
    first = gradients(root, wrt, create_graph=True)
    return [gradients(g, wrt) if isinstance(g, Value) else [0.0] * len(wrt) for g in first]


# -- numerical checks --------------------------------------------------------------------------


def numerical_grad(f: Function, inputs: Sequence[Value | float], eps: float = 1e-6) -> list[float]:
    """Central differences (f(x_i + eps) - f(x_i - eps)) / 2eps for each input.

    inputs are numbers (f gets fresh leaves) or leaf Values such as a model's parameters (their
    data is nudged in place and restored, so a loss that reads them directly works too). eps is
    a finite number > 0.
    """
    step = _positive(eps, "numerical_grad: eps")
    points = _inputs(inputs, "numerical_grad")
    result = []
    for p in points:
        saved = p.data
        try:
            p.data = saved + step
            plus = _evaluate(f, points)
            p.data = saved - step
            minus = _evaluate(f, points)
        finally:
            p.data = saved
        result.append((plus - minus) / (2 * step))
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
    eps is a finite number > 0, atol and rtol finite numbers >= 0.
    """
    step = _positive(eps, "gradcheck: eps")
    atol = _tolerance(atol, "gradcheck: atol")
    rtol = _tolerance(rtol, "gradcheck: rtol")
    if not isinstance(raise_exception, bool):
        raise TypeError(
            f"gradcheck: raise_exception must be True or False, got {raise_exception!r}"
        )
    points = _inputs(inputs, "gradcheck")
    analytical = gradients(_call(f, points), points)
    numerical = numerical_grad(f, inputs, step)
    mismatches = [
        (i, p.label, a, n)
        for i, (p, a, n) in enumerate(zip(points, analytical, numerical))
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if mismatches and raise_exception:
        raise GradcheckError(mismatches, atol, rtol)
    return not mismatches


def _positive(x: object, where: str) -> float:
    v = _number(x, where)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{where} must be a finite number > 0, got {x!r}")
    return v


def _tolerance(x: object, where: str) -> float:
    v = _number(x, where)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{where} must be a finite number >= 0, got {x!r}")
    return v


def _call(f: Function, args: Sequence[Any]) -> Value:
    out = f(*args)
    if not isinstance(out, Value):
        raise TypeError(f"{_name(f)} must return a single Value, got {_what(out)}")
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


# -- small helpers -----------------------------------------------------------------------------


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, (bool, Value))


def _is_index(i: object) -> bool:
    return isinstance(i, Integral) and not isinstance(i, bool)


def _is_array(x: object) -> bool:
    return isinstance(x, np.ndarray)


def _what(x: object) -> str:
    """x as messages describe it: its kind, and its size or value."""
    if isinstance(x, bool) or type(x).__name__ == "bool_":
        return f"the bool {x!r} (a comparison has no derivative; use float() for a step)"
    if _is_array(x):
        return f"a numpy array of shape {getattr(x, 'shape', '?')}"
    if isinstance(x, (tuple, list, dict)):
        return f"a {type(x).__name__} of {len(x)} item(s)"
    if x is None:
        return "None"
    return f"a {type(x).__name__} ({x!r:.40})"


def _name(f: Function) -> str:
    return getattr(f, "__name__", None) or "f"


def _wraps(wrapper: Function, f: Function, what: str, nums: tuple[int, ...] | None) -> Function:
    """wrapper with f's name, signature and a docstring saying what it computes."""
    functools.update_wrapper(wrapper, f)  # skips attributes f lacks
    which = "every positional argument" if nums is None else f"positional argument(s) {nums}"
    doc = f"{what} of {_name(f)} with respect to {which}."
    wrapper.__doc__ = f"{doc}\n\n{f.__doc__}" if getattr(f, "__doc__", None) else doc
    return wrapper


def parameter_names(f: Callable[..., Any]) -> list[str]:
    """The names of f's positional parameters ([] when they cannot be read)."""
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def argument_name(names: list[str], i: int, n: int) -> str:
    """The name of positional argument i of n: its parameter's name, else x0, x1, ..."""
    i %= n
    return names[i] if i < len(names) else f"x{i}"
