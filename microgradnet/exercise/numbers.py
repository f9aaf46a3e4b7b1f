"""The numbers of a sheet: stated ranges, seeded draws, and how the text writes them.

    Range(-3, 3)            a whole number from −3 to 3
    Range(-2, 2, 0.1)       a number with one decimal from −2.0 to 2.0
    Range.parse("-1.5:1.5") the same from text (LO:HI, or one number for a fixed value)
    number_text(-1.5)       "−1.5": whole numbers without ".0", a typographic minus

A draw takes the next number of a ``random.Random`` seeded with the text "TEMPLATE:SEED", so a
seed always gives the same numbers on every machine and Python version (string seeds are hashed
with SHA-512).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .._format import number_format

LARGEST = 1000  # the ranges' bounds, at most this in size: sheets hold small numbers


@dataclass(frozen=True)
class Range:
    """Numbers from lo to hi in steps of ``step``: 1 (whole numbers) or 0.1 (one decimal)."""

    lo: float
    hi: float
    step: float = 1.0

    def __post_init__(self) -> None:
        for name in ("lo", "hi"):
            x = getattr(self, name)
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise TypeError(f"Range: {name} must be a finite number, got {x!r:.40}")
            if abs(x) > LARGEST:
                raise ValueError(f"Range: {name} must be within ±{LARGEST}, got {x!r:.40}")
        if self.step not in (1.0, 0.1):
            raise ValueError(f"Range: step must be 1 or 0.1, got {self.step!r:.40}")
        if self.lo > self.hi:
            raise ValueError(f"Range: need lo <= hi, got {self.lo} > {self.hi}")
        for name in ("lo", "hi"):
            x = getattr(self, name)
            if abs(x / self.step - round(x / self.step)) > 1e-9:
                raise ValueError(
                    f"Range: {name} = {x} is not a multiple of the step {number_text(self.step)}"
                )

    @property
    def fixed(self) -> bool:
        return self.lo == self.hi

    def draw(self, rng: random.Random) -> float:
        """One number of the range (a fixed value draws nothing)."""
        if self.fixed:
            return float(self.lo)
        k = rng.randint(round(self.lo / self.step), round(self.hi / self.step))
        return round(k * self.step, 1)

    def text(self) -> str:
        """The range in words: "a whole number from −3 to 3", "fixed at 2"."""
        if self.fixed:
            return f"fixed at {number_text(self.lo)}"
        kind = "a whole number" if self.step == 1 else "a number with one decimal"
        return f"{kind} from {number_text(self.lo)} to {number_text(self.hi)}"

    def spec(self) -> str:
        """The range as Range.parse reads it: "-3:3", "-1.5:1.5", "2"."""
        lo, hi = plain(self.lo), plain(self.hi)
        if self.step == 0.1 and "." not in lo + hi:
            lo += ".0"
        return lo if self.fixed else f"{lo}:{hi}"

    @classmethod
    def parse(cls, text: str, where: str = "range") -> Range:
        """LO:HI (whole numbers, or one decimal if either bound has one) or one fixed number."""
        if not isinstance(text, str):
            raise TypeError(f"{where} must be a str such as '-3:3', got {type(text).__name__}")
        parts = text.strip().split(":")
        if len(parts) > 2 or len(text) > 40:
            raise ValueError(f"{where} {text!r:.60} is not LO:HI (such as -3:3) or a number")
        decimal = any("." in p for p in parts)
        bounds = []
        for p in parts:
            try:
                x = float(p)
            except ValueError:
                raise ValueError(f"{where} {text!r:.60}: {p!r:.30} is not a number") from None
            if "e" in p.lower() or (decimal and len(p.strip().partition(".")[2]) > 1):
                raise ValueError(f"{where} {text!r:.60}: use whole numbers or one decimal")
            bounds.append(x)
        lo, hi = bounds[0], bounds[-1]
        try:
            return cls(lo, hi, 0.1 if decimal else 1.0)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where} {text!r:.60}: {str(e).removeprefix('Range: ')}") from None


def number_text(x: float) -> str:
    """x as the sheets write it: whole numbers without ".0", a typographic minus."""
    text = plain(x)
    return "−" + text[1:] if text.startswith("-") else text


def plain(x: float) -> str:
    """x in the shortest form that reads back, whole numbers without ".0", an ASCII minus."""
    x = float(x)
    return _shortest(round(x, 10) if abs(x) < 1e15 else x)


_shortest = number_format(None)
