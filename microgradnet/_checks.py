"""Shared argument checks and node naming for error messages, used across the modules.

One definition each: ``real`` (a real number, not a bool, passing a rule; else ValueError),
``positive_int`` (an int >= 1, not a bool), ``named`` (the " (label 'x')" suffix of messages)
and ``node_name`` (a node as messages name it: "node '*' (data 2.0)", "Constant 'c'").
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import Any


def real(x: object, where: str, ok: Callable[[float], bool], rule: str) -> float:
    """x as a float if it is a real number (not a bool) with ok(x), else a ValueError."""
    if isinstance(x, bool) or not isinstance(x, Real) or not ok(float(x)):
        raise ValueError(f"{where} must be {rule}, got {x!r:.60}")
    return float(x)


def positive_int(n: object, where: str) -> int:
    """n if it is an int >= 1 (not a bool), else a ValueError naming where."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{where} must be a positive int, got {n!r:.60}")
    return n


def named(v: Any) -> str:
    """ " (label 'x')" for a labelled node, "" otherwise: the suffix of error messages."""
    return f" (label {v.label!r})" if v.label else ""


def node_name(v: Any) -> str:
    """A node as error messages name it: its op or kind, then its label or data."""
    kind = "Constant" if type(v).__name__ == "Constant" else "Value"
    what = f"node {v.op!r}" if v.op else kind
    return f"{what} {v.label!r}" if v.label else f"{what} (data {v.data!r})"
