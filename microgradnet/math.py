"""The scalar math library for numbers and Values alike, in the spirit of ``autograd.numpy``.

    from microgradnet import math as mm
    mm.tan(0.5)              # 0.5463...: numbers in, a float out
    mm.tan(Value(0.5))       # a Value: the node of the op table's tan
    mm.atan2(1.0, x)         # a number and a Value: a Value

Each function is an op of the op table (``microgradnet.ops.OPS``), made here from its record:
the public face of the table's own function namespace (``ops.fn``), not a second copy. On
numbers it computes as the engine does, with the same domain errors (naming the op and the
value), parameter checks and IEEE limits (an overflow gives inf); on Values it builds the node.
Ints are accepted as the floats they equal; bools, numpy arrays and other types are refused
with a TypeError (for arrays of samples use the batch helpers). The functions, from the table:
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import TYPE_CHECKING, Any

from .engine import Value, apply
from .optable import Op, fn, ops_snapshot


def _checked(x: object, where: str) -> None:
    """Nothing for a Value or a real number (numpy scalars included); a TypeError naming where
    for a bool, an array or anything else."""
    if isinstance(x, bool) or type(x).__name__ in ("bool_", "bool"):
        raise TypeError(
            f"{where} must be a number or a Value, got the bool {x!r} (bools are refused, as "
            "PyTorch and JAX refuse bool gradients; convert it with float() on purpose)"
        )
    if isinstance(x, (Value, Real)):
        return
    if hasattr(x, "__array__") or hasattr(x, "shape"):
        raise TypeError(
            f"{where} must be a number or a Value, got a {type(x).__name__}; for arrays of "
            "samples use the batch helpers: linear_batch(weights, batch) or "
            "Layer.forward_batch(batch)"
        )
    raise TypeError(f"{where} must be a number or a Value, got {type(x).__name__}")


def _public(op: Op, name: str) -> Callable[..., Any]:
    """The function name of op: numbers in, a float out; a Value among the operands, a Value."""
    node = getattr(fn, name)
    arity, most = op.arity, op.arity + len(op.params)

    def function(*args: Any) -> Any:
        if not arity <= len(args) <= most:
            takes = f"{arity} to {most}" if most > arity else str(arity)
            raise TypeError(f"{name}: takes {takes} argument(s), got {len(args)}")
        for i, x in enumerate(args):
            _checked(x, f"{name}: argument {i + 1}")
        if any(isinstance(x, Value) for x in args[:arity]):
            return node(*args)
        return apply(op, args[:arity], args[arity:]).data

    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    signature = ", ".join(["x", "y"][:arity] + [p.name for p in op.params])
    function.__doc__ = f"{name}({signature}): {op.doc or f'the op {op.name!r}'}"
    return function


def _functions() -> dict[str, Callable[..., Any]]:
    """Every named function of the built-in ops (their methods that are not operators)."""
    return {
        name: _public(op, name)
        for op in ops_snapshot()
        if op.builtin and not op.hidden
        for name in op.methods
        if not name.startswith("__")
    }


_FUNCTIONS = _functions()
globals().update(_FUNCTIONS)
__all__ = sorted(_FUNCTIONS)
__doc__ = (__doc__ or "") + "\n" + "\n".join(f"- {f.__doc__}" for f in _FUNCTIONS.values())

if TYPE_CHECKING:

    def __getattr__(name: str) -> Callable[..., Any]: ...
