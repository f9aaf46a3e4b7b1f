"""Shared argument checks and node naming for error messages, used across the modules.

One definition each: ``real`` (a real number, not a bool, passing a rule; else ValueError),
``real_number`` (any real number as a float; TypeError for other types and bools),
``too_large`` (the OverflowError for a number beyond the float range, naming where),
``positive_int`` (an int or numpy integer >= 1, not a bool), ``seed`` (None or an int >= 0:
TypeError for another type, ValueError for a negative int), ``named`` (the " (label 'x')"
suffix of messages) and ``node_name`` (a node as messages name it: "node '*' (data 2.0)").
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real
from typing import Any


def real(x: object, where: str, ok: Callable[[float], bool], rule: str) -> float:
    """x as a float if it is a real number (not a bool) with ok(x), else a ValueError."""
    if isinstance(x, bool) or not isinstance(x, Real) or not ok(float(x)):
        raise ValueError(f"{where} must be {rule}, got {x!r:.60}")
    return float(x)


def real_number(x: object, where: str) -> float:
    """x as a float if it is a real number (not a bool), else a TypeError naming where; an
    OverflowError naming where for a number beyond the float range (such as 10**400)."""
    if type(x) is float:
        return x
    if isinstance(x, bool):
        raise TypeError(
            f"{where} must be a real number, got the bool {x!r}; convert it with float() if you "
            "mean 1.0 or 0.0 (bools are refused, as PyTorch and JAX refuse bool gradients)"
        )
    if isinstance(x, Real):
        try:
            return float(x)
        except OverflowError:
            raise too_large(x, where) from None
    raise TypeError(f"{where} must be a real number, got {type(x).__name__}: {x!r:.60}")


def too_large(x: object, where: str) -> OverflowError:
    """The error for a real number beyond the float range, naming where and what x is (by
    size, not digits: the repr of such a number is hundreds of digits long)."""
    what = f"an int of {x.bit_length()} bits" if isinstance(x, int) else f"a {type(x).__name__}"
    return OverflowError(f"{where}: {what} is too large for a float (largest about 1.8e308)")


def positive_int(n: object, where: str) -> int:
    """n as an int if it is an int or numpy integer >= 1 (not a bool), else a ValueError."""
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"{where} must be a positive int, got {n!r:.60}")
    return int(n)


def seed(x: object, where: str, accepted: str = "an int >= 0 or None") -> int | None:
    """x if it is None or an int (or numpy integer) >= 0, not a bool: a random seed. A
    TypeError naming where for another type, a ValueError for a negative int."""
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, Integral):
        raise TypeError(f"{where} must be {accepted}, got {type(x).__name__}: {x!r:.60}")
    if x < 0:
        raise ValueError(f"{where} must be {accepted}, got {x!r:.60}")
    return int(x)


def named(v: Any) -> str:
    """ " (label 'x')" for a labelled node, "" otherwise: the suffix of error messages."""
    return f" (label {v.label!r})" if v.label else ""


def node_name(v: Any) -> str:
    """A node as error messages name it: its op or kind, then its label or data."""
    kind = "Constant" if type(v).__name__ == "Constant" else "Value"
    what = f"node {v.op!r}" if v.op else kind
    return f"{what} {v.label!r}" if v.label else f"{what} (data {v.data!r})"
