"""Colours and line styles of the drawn nodes and edges, from their roles and the marks.

Colours (``colors="kinds"``, the notes' scheme extended): inputs light blue, operations pale
green and the result coral, as the notes' figure colours them, plus parameters gold,
constants lavender grey and computed values white; ``colors="uniform"`` draws every value box
white but the result (for print, or when the kinds do not matter). The fills are told apart in
greyscale and under protanopia, deuteranopia and tritanopia (each pair of value-box colours at
least 8 apart in CIELAB, a ladder of lightness from white to the result's coral; the
operations and a network's neurons by their shape and against the inputs, parameters and the
result), as tests/test_palette.py checks. ``highlight`` is orange; in step-through pictures the
current node is outlined red, the nodes it just sent gradient to orange and in full colour,
nodes not reached yet grey. Forward edges are blue (grey before their value is known),
backward ones red and dashed.
"""

from __future__ import annotations

from collections.abc import Collection

from ..engine import Constant, Value
from .groups import Group
from .marks import Marks

FONT = "Arial"
COLORS = {
    "input": "#99d2e6",
    "parameter": "#dda73c",
    "constant": "#e4e4f1",
    "interior": "white",
    "value": "white",
    "root": "#d86464",
    "op": "palegreen",
    "group": "palegreen",
    "forward": "blue",
    "thin": "#7f9fd8",
    "backward": "red",
    "thin_back": "#d05a5a",
    "highlight": "darkorange",
    "current": "red",
    "grey": "gray92",
    "grey_text": "gray55",
}
LEGEND = {
    "input": "input",
    "parameter": "parameter",
    "constant": "constant",
    "interior": "computed",
    "value": "value",
    "group": "neuron",
    "op": "operation",
    "root": "result",
}
MARKED = {"color": COLORS["highlight"], "fontcolor": COLORS["highlight"], "penwidth": "3"}


def node_look(
    marks: Marks,
    anchors: Collection[Value],
    fill: str,
    *,
    mark: bool = True,
    grey: bool | None = None,
) -> dict[str, str]:
    """Fill and outline of a drawn node standing for the Values anchors: greyed before it is
    computed or reached (unless it just received gradient), red outline for the current step,
    orange for the nodes it sent gradient to and for highlight (with mark)."""
    if grey is None:
        grey = not all(marks.known(v) for v in anchors) or (
            marks.phase == "backward"
            and not all(marks.reached(v) for v in anchors)
            and marks.received.isdisjoint(anchors)
        )
    look = {"fillcolor": COLORS["grey"] if grey else fill}
    if grey:
        look["fontcolor"] = look["color"] = COLORS["grey_text"]
    if marks.is_current(anchors):
        look.update(color=COLORS["current"], penwidth="3")
    elif mark and not marks.received.isdisjoint(anchors):
        look.update(color=COLORS["highlight"], penwidth="2.5")
    elif mark and marks.marked and not marks.marked.isdisjoint(anchors):
        look.update(color=COLORS["highlight"], penwidth="3")
    return look


def forward_look(marks: Marks, v: Value) -> dict[str, str]:
    """A forward edge into v's op: blue, grey while v is not computed."""
    color = COLORS["forward"] if marks.known(v) else "gray70"
    return {"color": color, "fontcolor": color}


def backward_look(marks: Marks, *nodes: Value) -> dict[str, str]:
    """A backward edge: red and dashed, thicker when it leaves the current node."""
    look = {"color": COLORS["backward"], "fontcolor": COLORS["backward"], "style": "dashed"}
    if marks.is_current(nodes):
        look["penwidth"] = "2.5"
    return look


def group_reached(marks: Marks, group: Group) -> bool:
    """Every member of group (but constants) holds its whole gradient."""
    return all(marks.reached(v) for v in group.members if type(v) is not Constant)
