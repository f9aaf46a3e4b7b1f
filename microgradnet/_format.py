"""Numbers as the package writes them, one definition each.

``number_format(precision)`` is the formatter of the drawings, the step texts, ``explain`` and
the command line: ``precision`` significant digits (1 to 17), or ``None`` for the shortest text
that reads back as the same float (``repr``) with whole numbers written without ".0" (49, not
49.0); -0 prints as 0 and inf/nan as themselves. ``json_number(x)`` is x for JSON: the float
itself, or "inf", "-inf", "nan" as strings (JSON has no such numbers).
"""

from __future__ import annotations

import math


class Format:
    """Numbers to text with a given number of significant digits (None: shortest round trip)."""

    def __init__(self, precision: int | None) -> None:
        self.spec = "" if precision is None else f".{precision}g"

    def __call__(self, x: float) -> str:
        if x == 0:
            return "0"
        if not math.isfinite(x):
            return str(x)
        if self.spec:
            return format(x, self.spec)
        return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def number_format(precision: int | None, where: str = "") -> Format:
    """A formatter to ``precision`` significant digits (1 to 17, or None for the shortest
    round trip); where names the caller in the error for a bad precision."""
    if precision is not None and (
        isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17
    ):
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}precision must be an int from 1 to 17, got {precision!r}")
    return Format(precision)


def json_number(x: float) -> float | str:
    """x for JSON: the float itself if finite, else its repr ("inf", "-inf", "nan")."""
    return x if math.isfinite(x) else repr(x)
