"""The layout decisions made before dot runs: the direction, the spine, rows, and stretch.

The longest path into the root (the spine) is kept straight (dot's ``group``), operands beside
it. A still drawing left to the library gets its shape from ``viz.shape`` (left to right when
that fits a 1280×720 slide at 100 %, else whichever of left to right, top to bottom or rows
shows the text largest on a slide, stretched by dot's ``ratio`` to stay within MAX_ASPECT).
Rows: a long chain drawn like lines of text, each row left to right, the rows under each
other; an edge from one row to the next is cut, its value drawn again (dashed, its name only)
at the start of the next row, so that every row is laid out on its own (no edge labels on
edges between rows, no long edges back across the picture). Collapsed networks are drawn a
column per layer, left to right unless asked otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from ..engine import Constant, Value
from .options import DrawOptions
from .scene import Scene

MAX_ASPECT = 3.0  # a drawing whose direction is left to the library stays within 3:1
WRAP_ASPECT = 16 / 9  # width : height of the slide (1280×720) the automatic shape aims for


@dataclass(frozen=True, eq=False)
class Layout:
    """The direction (LR, TB, ...), the spine's drawn ids from the first leaf on, the row of
    each computed Value when the picture is drawn in rows (empty: one piece), the leaves read
    in more than one row (drawn beside each use), and dot's ``ratio`` stretching the picture
    (None: as dot lays it out)."""

    direction: str
    spine: tuple[str, ...] = ()
    rows: Mapping[Value, int] = field(default_factory=dict)
    split: frozenset[Value] = frozenset()
    ratio: float | None = None

    @property
    def wrapped(self) -> bool:
        """The picture is drawn in rows: long edges are then drawn as copies."""
        return bool(self.rows)

    @cached_property
    def straight(self) -> frozenset[str]:
        """The ids dot keeps in one line (group=spine): a spine of 3 or more."""
        return frozenset() if len(self.spine) < 3 else frozenset(self.spine)


def plan_layout(s: Scene, options: DrawOptions) -> Layout:
    """The layout of scene s in the direction options ask for (left to right if none: a
    still drawing's shape is chosen by ``viz.shape``)."""
    return Layout(options.rankdir or "LR", spine_of(s))


def in_rows(s: Scene, spine: tuple[str, ...], count: int) -> Layout:
    """s drawn left to right in count rows, top to bottom: the spine cut into count pieces of
    about equal depth, every other result in the row of its first reader (a side branch
    stays where it joins the spine)."""
    on_spine = {s.order[int(n[1:])] for n in spine if n[0] == "v"}
    deepest = max((s.depth[v] for v in on_spine), default=1)
    rows: dict[Value, int] = {}
    readers: dict[Value, list[Value]] = {}
    for v in reversed(s.order):  # readers first
        if not v.children or v in s.hidden:
            continue
        if v in on_spine or not readers.get(v):
            rows[v] = min(count - 1, (s.depth[v] - 1) * count // deepest)
        else:
            rows[v] = min(rows[u] for u in readers[v])
        for _, c, _ in s.drawn_operands(v):
            readers.setdefault(c, []).append(v)
    split = frozenset(
        c for c, us in readers.items() if not c.children and len({rows[u] for u in us}) > 1
    )
    return Layout("LR", spine, rows, split)


def spine_of(s: Scene) -> tuple[str, ...]:
    """The spine of scene s (none for a collapsed network)."""
    return () if s.groups else _spine(s)


def _spine(s: Scene) -> tuple[str, ...]:
    """The drawn nodes of the longest path into the root, first op first: value boxes and
    their op nodes (v<i>, o<i>); it stops before a leaf (the first op's operands then sit on
    either side of the line, in operand order) and at a node drawn as copies or hidden."""
    path: list[str] = []
    v: Value | None = s.root
    while v is not None and v.children and v not in s.hidden and v not in s.copies:
        i = s.index[v]
        path += [f"v{i}", f"o{i}"] if v.children else [f"v{i}"]
        drawn = [
            (s.depth[c], type(c) is not Constant, -j, c)
            for j, c, _ in s.drawn_operands(v)
            if c not in s.hidden and c not in s.copies
        ]  # the deepest operand, not a constant, the first of equals (x of x·w)
        v = max(drawn, key=lambda t: t[:3], default=(0, False, 0, None))[3]
    return tuple(path[::-1])
