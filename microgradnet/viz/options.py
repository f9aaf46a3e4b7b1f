"""DrawOptions: everything draw() is asked for, checked once, then read by every later layer.

One frozen object instead of twenty keyword arguments passed along: ``DrawOptions(**kwargs)``
refuses a bad value with an error naming the argument (TypeError for a wrong type, ValueError for
a wrong value) and normalizes the rest (``fmt``, the number format of ``precision``; ``marked``
and ``marked_edges``, the nodes and edges of ``highlight``; ``params`` as a tuple). Checks that
need the graph (``max_nodes``, the range of ``step`` and ``forward_step``) are made where the
graph is read (the scene and the marks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .._format import Format, number_format
from ..chain_rule import ChainPath, Explanation
from ..engine import Value

Highlight = Value | ChainPath | Explanation | Iterable[Value] | None
Blanks = Mapping[Value | str, str] | Iterable[Value | str] | None
BLANK_KINDS = ("value", "grad", "both")

_CHOICES = {
    "values": ("box", "arrows"),
    "derivatives": ("value", "formula"),
    "colors": ("kinds", "uniform"),
}
_FLAGS = ("show_data", "show_grad", "show_backward", "legend", "expand_loss")


@dataclass(frozen=True, eq=False)
class DrawOptions:
    """draw()'s options (its docstring says what each one does), checked and normalized."""

    rankdir: str | None = None
    show_data: bool = True
    show_grad: bool = True
    show_local: bool | None = None
    show_backward: bool = False
    highlight: Highlight = field(default=None, repr=False)
    precision: int = 4
    max_nodes: int | None = 1000
    collapse: str | None = None
    params: Iterable[Value] | None = field(default=None, repr=False)
    step: int | None = None
    forward_step: int | None = None
    values: str = "box"
    derivatives: str = "value"
    colors: str = "kinds"
    legend: bool = False
    title: str | None = None
    fontsize: float = 14
    edge_labels: bool | None = None
    expand_loss: bool = False
    blanks: Blanks = field(default=None, repr=False)
    fmt: Format = field(init=False, repr=False)
    blank_pairs: tuple[tuple[Value | str, str], ...] = field(init=False, repr=False)
    marked: frozenset[Value] = field(init=False, repr=False)
    marked_edges: frozenset[tuple[Value, Value]] = field(init=False, repr=False)  # (parent, child)

    def __post_init__(self) -> None:
        _check_choices(self)
        _check_sizes(self)
        if self.step is not None and self.forward_step is not None:
            raise ValueError("draw: give step (backward) or forward_step, not both")
        fix = object.__setattr__  # a frozen dataclass sets its derived fields once, here
        fix(self, "fmt", number_format(self.precision, "draw"))
        fix(self, "fontsize", float(self.fontsize))
        for name in _FLAGS:
            fix(self, name, bool(getattr(self, name)))
        if self.params is not None:
            fix(self, "params", _parameters(self.params))
        marked, marked_edges = _highlighted(self.highlight)
        fix(self, "marked", frozenset(marked))
        fix(self, "marked_edges", frozenset(marked_edges))
        fix(self, "blank_pairs", _blanks(self.blanks))

    @property
    def values_on_arrows(self) -> bool:
        return self.values == "arrows"

    @property
    def formulas(self) -> bool:
        return self.derivatives == "formula"

    @property
    def uniform(self) -> bool:
        return self.colors == "uniform"


def _check_choices(o: DrawOptions) -> None:
    if o.rankdir not in (None, "LR", "RL", "TB", "BT"):
        raise ValueError(f"draw: rankdir must be 'LR', 'RL', 'TB', 'BT' or None, got {o.rankdir!r}")
    if o.collapse not in (None, "neuron", "layer"):
        raise ValueError(f"draw: collapse must be None, 'neuron' or 'layer', got {o.collapse!r}")
    for name, allowed in _CHOICES.items():
        given = getattr(o, name)
        if given not in allowed:
            raise ValueError(f"draw: {name} must be one of {allowed}, got {given!r}")


def _check_sizes(o: DrawOptions) -> None:
    size = o.fontsize
    if isinstance(size, bool) or not isinstance(size, (int, float)):
        raise ValueError(f"draw: fontsize must be a number of points, got {size!r}")
    if not 4 <= size <= 72:
        raise ValueError(f"draw: fontsize must be from 4 to 72 points, got {size!r}")
    if o.title is not None and not isinstance(o.title, str):
        raise TypeError(f"draw: title must be a str, got {type(o.title).__name__}")
    n = o.max_nodes
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"draw: max_nodes must be a positive int or None, got {n!r}")


def _parameters(params: Iterable[Value]) -> tuple[Value, ...]:
    values = tuple(params)
    bad = [type(p).__name__ for p in values if not isinstance(p, Value)]
    if bad:
        raise TypeError(f"draw: params must be Values, got {bad[0]}")
    return values


def _blanks(blanks: Blanks) -> tuple[tuple[Value | str, str], ...]:
    """blanks as (node or name, "value" | "grad" | "both") pairs; a bare list blanks both."""
    if blanks is None:
        return ()
    if isinstance(blanks, (str, Value)) or not isinstance(blanks, Iterable):
        raise TypeError(
            "draw: blanks must be a dict {node or name: 'value', 'grad' or 'both'} or a list "
            f"of nodes or names, got {type(blanks).__name__}"
        )
    pairs = list(blanks.items()) if isinstance(blanks, Mapping) else [(b, "both") for b in blanks]
    for key, what in pairs:
        if not isinstance(key, (Value, str)):
            raise TypeError(f"draw: blanks takes Values or names, got {type(key).__name__}")
        if what not in BLANK_KINDS:
            raise ValueError(
                f"draw: blanks: what to blank must be one of {BLANK_KINDS}, got {what!r}"
            )
    return tuple(pairs)


def _highlighted(highlight: Highlight) -> tuple[set[Value], set[tuple[Value, Value]]]:
    """The nodes and the (parent, child) edges highlight names."""
    if highlight is None:
        return set(), set()
    if isinstance(highlight, Value):
        return {highlight}, set()
    paths: tuple[ChainPath, ...] = ()
    if isinstance(highlight, ChainPath):
        paths = (highlight,)
    elif isinstance(highlight, Explanation):
        paths = highlight.paths
    if paths:
        nodes = {v for p in paths for v in p.nodes}
        edges = {(a, b) for p in paths for a, b in zip(p.nodes, p.nodes[1:])}
        return nodes, edges
    if isinstance(highlight, Iterable):
        values = list(highlight)
        if all(isinstance(v, Value) for v in values):
            return set(values), set()
    raise TypeError(
        "draw: highlight must be a Value, an iterable of Values, or a Path or Explanation "
        f"from explain(), got {type(highlight).__name__}"
    )
