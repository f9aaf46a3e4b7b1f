"""The layout decisions made before dot runs: the direction, the spine, and rows.

The longest path into the root (the spine) is kept straight (dot's ``group``), operands beside
it. rankdir=None picks LR or TB, whichever keeps the picture nearer square (within MAX_ASPECT),
and a chain too long for MAX_ASPECT either way is wrapped like lines of text: its spine cut into
about sqrt(length / (WRAP_ASPECT · row height)) rows, each one rank, top to bottom, with the
operands in a free rank above each row, so the picture comes out between 1:1 and 2:1 (the size
is estimated from the labels, so an unwrapped chain of 6 or 7 steps can come out up to 3.5:1).
Collapsed networks are drawn a column per layer, left to right unless asked otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..engine import Constant, Value
from .labels import MAX_LABEL, partial
from .options import DrawOptions
from .scene import Scene

MAX_ASPECT = 3.0  # the automatic direction keeps a picture within 3:1 where it can
WRAP_ASPECT = 1.2  # width : height aimed at when a long chain is wrapped into rows
_NARROW = frozenset("·.,:;!|iljtfr1()[]' -")


@dataclass(frozen=True)
class Layout:
    """The direction (LR, TB, ...), the spine's drawn ids from the first leaf on, and the nodes
    per row when the spine is wrapped into rows (0: not wrapped)."""

    direction: str
    spine: tuple[str, ...] = ()
    row: int = 0

    @property
    def wrapped(self) -> bool:
        """The spine drawn in rows: long edges are then drawn as copies."""
        return self.row > 0

    @property
    def straight(self) -> frozenset[str]:
        """The ids dot keeps in one line (group=spine): a spine of 3 or more, not wrapped."""
        return frozenset() if self.row or len(self.spine) < 3 else frozenset(self.spine)


def plan_layout(s: Scene, options: DrawOptions) -> Layout:
    """The layout of scene s drawn with options."""
    spine = () if s.groups else _spine(s)
    if options.rankdir is not None or s.groups:
        return Layout(options.rankdir or fitting_direction(s), spine)
    direction, row = _rows(s, spine, options)
    return Layout(direction, spine, row)


def fitting_direction(s: Scene) -> str:
    """LR, unless top to bottom keeps the picture much nearer square and within MAX_ASPECT
    (short chains such as the notes' (x·w + b)²; a chain too long for either stays LR)."""
    per_level: dict[int, int] = {}
    for v in s.order:
        if v not in s.hidden and (v not in s.group_of or v is s.group_of[v].members[-1]):
            d = s.depth[v]
            per_level[d] = per_level.get(d, 0) + 1
    levels, wide = len(per_level), max(per_level.values(), default=1)
    step = 1.0 if s.groups else 2.0  # inches per level: a box and its op circle
    lr = (levels * step) / (wide * 0.8)
    tb = (levels * step * 0.6) / (wide * 1.6)
    lr_off, tb_off = max(lr, 1 / lr), max(tb, 1 / tb)
    return "TB" if tb_off <= MAX_ASPECT and tb_off * 1.5 < lr_off else "LR"


def _spine(s: Scene) -> tuple[str, ...]:
    """The drawn nodes of the longest path into the root, first leaf first: value boxes and
    their op nodes (v<i>, o<i>); it stops at a node drawn as copies or hidden."""
    path: list[str] = []
    v: Value | None = s.root
    while v is not None and v not in s.hidden and v not in s.copies:
        i = s.index[v]
        path += [f"v{i}", f"o{i}"] if v.children else [f"v{i}"]
        drawn = [
            (s.depth[c], type(c) is not Constant, -j, c)
            for j, c, _ in s.drawn_operands(v)
            if c not in s.hidden and c not in s.copies
        ]  # the deepest operand, not a constant, the first of equals (x of x·w)
        v = max(drawn, key=lambda t: t[:3], default=(0, False, 0, None))[3]
    return tuple(path[::-1])


def _rows(s: Scene, spine: tuple[str, ...], options: DrawOptions) -> tuple[str, int]:
    """The direction, and the nodes per row when the picture is a chain too long for MAX_ASPECT
    either way (0: no wrapping). The spine's size is estimated from its labels; a wrapped
    spine is cut into about sqrt(width / (WRAP_ASPECT · row height)) rows, drawn top to bottom
    like lines of text."""
    direction = fitting_direction(s)
    if len(spine) < 8:
        return direction, 0
    per_level: dict[int, int] = {}
    for v in s.order:  # leaves are drawn beside their ops: count the computed values
        if v.children and v not in s.hidden:
            per_level[s.depth[v]] = per_level.get(s.depth[v], 0) + 1
    wide = max(per_level.values(), default=1)
    width, across = _spine_size(s, spine, options)
    scale = options.fontsize / 14
    row_h = 1.6 * scale * (1 + 0.3 * min(wide - 1, 3))  # a row and its operands above it
    lr = width / (wide * row_h)
    tb = len(spine) * 1.0 * scale / (wide * across)
    # the estimate is rough: a margin, and short chains (the notes' figures) stay one line
    fits = MAX_ASPECT * (0.85 if len(spine) >= 24 else 1.1)
    if (lr if direction == "LR" else tb) <= fits:
        return direction, 0
    if min(lr, tb) <= fits:
        return ("LR" if lr <= tb else "TB"), 0
    rows = max(2, round(math.sqrt(width / (WRAP_ASPECT * row_h))))
    return "TB", math.ceil(len(spine) / rows)


def _spine_size(s: Scene, spine: tuple[str, ...], options: DrawOptions) -> tuple[float, float]:
    """About how long the spine is drawn in a line (inches), and how wide it is across (its
    widest box and the widest operand beside it)."""
    fontsize = options.fontsize
    label = 7 * fontsize * 0.5 / 72 if s.show_local else 0.0  # the ∂ on each edge into an op
    width, widest, side_widest = 0.0, 0.0, 0.0
    on_spine = set(spine)
    for nid in spine:
        v = s.order[int(nid[1:])]
        if nid[0] == "v":
            box = _box_width(s, v, options)
            width, widest = width + box, max(widest, box)
            continue
        width += 0.6 + label
        for _, c, _ in s.drawn_operands(v):
            if c not in s.hidden and (c in s.copies or f"v{s.index[c]}" not in on_spine):
                side_widest = max(side_widest, _box_width(s, c, options) + label)
    return width, widest + side_widest


def _box_width(s: Scene, v: Value, options: DrawOptions) -> float:
    """About how wide v's box is drawn, in inches (from its longest line)."""
    char = options.fontsize * 0.55 / 72  # inches per character, narrow ones (·, 1, ()) half
    if type(v) is Constant:
        return 0.3 + char * max(_text_width(options.fmt(v.data)), 3)
    name = _text_width(s.names[v][:MAX_LABEL])
    grad = _text_width(partial(s.top, s.names[v])) + 5 if options.show_grad else 0
    return 0.3 + char * max(min(name + 6, 40) if options.show_data else name, grad, 4)


def _text_width(text: str) -> float:
    return len(text) - 0.5 * sum(ch in _NARROW for ch in text)
