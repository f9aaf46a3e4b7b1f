"""Where each number of a picture is written, so that each quantity is said once.

A value, a gradient, a local derivative and a use's share of a gradient each appear once:

- values in their boxes, or (``values="arrows"``) on the blue arrow leaving the op that computes
  them; a leaf's value on its arrow when it has one reader, in its box when it has several (a
  leaf drawn beside each use: on the first copy's arrow); a collapsed neuron's in its box;
- gradients in their boxes, or, when the red arrows are numbered, on the red arrow from a
  result back into its op (∂L/∂v, the whole gradient). A red arrow from a reader back to an
  operand carries that reader's share (local derivative × the reader's gradient) where it is
  not the whole gradient said elsewhere: into a leaf (one reader: its gradient; several: its
  share, the total in the leaf's box) and into a result read more than once;
- a leaf drawn beside each of its uses: the first copy holds its value and its total gradient,
  every copy the share of its use (on its red arrow when those are numbered);
- a local derivative on the blue arrow into its op; an operand read twice by one op (x·x)
  is one arrow with the sum (2·x).

``blanks`` draws chosen values or gradients as an empty line to fill in, wherever they would
be written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..engine import Constant, Value
from .options import DrawOptions
from .scene import Scene

BLANK = "______"  # a value or gradient left for the reader to fill in


@dataclass(frozen=True, eq=False)
class Numbers:
    """The rules above for one picture: how many readers each Value has as drawn, and whether
    values and gradients go on the arrows."""

    readers: Mapping[Value, int]  # distinct drawn readers (op nodes or groups) of each Value
    copies: frozenset[Value]
    values_on_arrows: bool
    grads_on_arrows: bool
    blank_values: frozenset[Value]
    blank_grads: frozenset[Value]

    def value_on_arrow(self, v: Value) -> bool:
        """v's value is written on an arrow (not in its box): a computed v on the arrow from
        its op, a leaf on its arrow when it has one reader or is drawn beside each."""
        if not self.values_on_arrows or type(v) is Constant:
            return False
        return bool(v.children) or v in self.copies or self.readers.get(v, 0) == 1

    def grad_in_box(self, v: Value) -> bool:
        """v's whole gradient is written in its box (its first copy's, for a leaf drawn beside
        each use): always when the red arrows are unnumbered; else only a leaf read more than
        once."""
        if not self.grads_on_arrows:
            return True
        return not v.children and (v in self.copies or self.readers.get(v, 0) > 1)

    def share_on_arrow(self, child: Value) -> bool:
        """The red arrow from a reader back to child carries that reader's share: into a leaf,
        or into a result read more than once (a single reader's share of a result is its whole
        gradient, already on the arrow from it back into its op)."""
        return self.grads_on_arrows and (not child.children or self.readers.get(child, 0) > 1)

    def share_in_box(self, v: Value) -> bool:
        """A copy of leaf v (drawn beside one use) says its use's share in its box: when the
        red arrows are unnumbered."""
        return v in self.copies and not self.grads_on_arrows


def numbers_for(
    s: Scene, options: DrawOptions, numbered_back: bool, copies: frozenset[Value]
) -> Numbers:
    """The Numbers of scene s drawn with options; numbered_back: the red arrows are drawn and
    numbered; copies: the leaves drawn beside each use."""
    readers: dict[Value, set[object]] = {}
    for v in s.order:
        if v in s.hidden or not v.children:
            continue
        group = s.group_of.get(v)
        reader: object = group if group is not None else v
        inside = set(group.members) | set(group.params) if group is not None else set()
        for _, child, _ in s.drawn_operands(v):
            if child not in inside and s.where(child) is not None:
                readers.setdefault(child, set()).add(reader)
    return Numbers(
        {v: len(r) for v, r in readers.items()},
        copies,
        options.values_on_arrows,
        numbered_back,
        s.blank_values,
        s.blank_grads,
    )
