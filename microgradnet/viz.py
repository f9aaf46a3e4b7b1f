"""Computation graphs drawn with Graphviz, for slides and step-through: DOT text, SVG, PNG, PDF.

    draw(root, ...)             a graphviz.Digraph of root's graph; its DOT text is .source (no
                                dot program needed); Jupyter shows it inline as SVG
    to_svg(root, ...)           the drawing rendered to SVG text by Graphviz's dot program
    save_svg / save_png / save_pdf(root, path, ...)   the same, written to a file
    run_dot(source, fmt)        dot under a timeout; GraphvizError when it is missing, fails or
                                runs past DOT_TIMEOUT (GraphvizNotFoundError when missing)

The picture is that of the lecture notes on the chain rule and on Masha's network. Each Value is
drawn once, as a box with its name, its value and its gradient in the notes' notation
(``w = 3``, ``∂L/∂w = 28``); each operation is its own small node (the op table's glyph: ×, +,
tanh, ², Σ, ·) and edges run operand -> op -> result. A constant exponent is part of its op
(``ops.constant_operands``): x² is one node "²" with no "2" beside it. With ``show_local`` each
operand -> op edge carries the local derivative, "∂=3", or with ``derivatives="formula"``
"∂o₂/∂h₂ = o₂·(1 − o₂) = 0.24" (``ops.derivative_text``); constants are never differentiated.
With ``show_backward`` red dashed arrows show the gradient flowing back along each edge (laid
out as the forward edge, drawn pointing back, so their labels stay beside them); its number is
in the box. ``values="arrows"`` moves the values onto the blue arrows and the gradients onto the
red ones, as the notes' figure does: each number still appears once.

Names: labels; unlabelled leaves x₁, x₂, ... in the order the graph first reads them; an nn
neuron's nodes by the neuron; other results by their expression (``steps.step_names``).
Colours (``colors="kinds"``): inputs light blue, parameters khaki, constants lavender, computed
values white, the root light coral, operations pale green; ``colors="uniform"`` draws every value
box alike. Parameters are the leaves nn models hold (``nn.parameter_place``) or ``params=``;
labels are never parsed. ``highlight`` is orange; in step-through pictures the current node is
outlined red, the nodes it just sent gradient to orange and in full colour, nodes not reached
yet grey.

``collapse`` reads nn's structure: collapse="neuron" draws each neuron (its dot node and
activation) as one box, a column per layer in index order, and what follows the network as one
node named after the loss (``expand_loss=True`` draws its operations); collapse="layer" draws
each layer applied to one sample as one node. Edges between collapsed nodes are thin and
unlabelled; with ``edge_labels=True`` they carry the local derivative and, backward, the
gradient sent back (the norm ‖∇‖ when the input is itself a layer).

Time: dot is fast on wide graphs and slow on deep ones with long edges, which it routes through
every level they cross (and labelled edges count twice). So a leaf read by several ops far
apart, or a parameter or constant read more than once, is drawn beside each use; in drawings of
more than FULL_LAYOUT_UP_TO Values a result read more than LONG_EDGE levels later is drawn again
(dashed) beside its reader, and dot's iterations are capped (DOT_LIMITS). ``show_local`` left at
None shows at most AUTO_LABELS_UP_TO local derivatives (the caption says when they are hidden);
no xlabels are used. With these, every graph draw accepts at its default max_nodes renders in a
few seconds (benchmarks/bench_render.py); dot is stopped after DOT_TIMEOUT seconds anyway.

Layout: the longest path into the root (the spine) is kept straight (dot's ``group``), operands
beside it. A chain too long for MAX_ASPECT in either direction (rankdir=None only) is wrapped like
lines of text: its spine cut into about sqrt(length / (WRAP_ASPECT · row height)) rows, each one
rank, top to bottom, with the operands in a free rank above each row, so the picture comes out
between 1:1 and 2:1 (the size is estimated from the labels, so an unwrapped chain of 6 or 7
steps can come out up to 3.5:1). In wrapped drawings results read more than LONG_EDGE levels
later are drawn again beside their reader, as in large ones. Collapsed networks are drawn a
column per layer.

Stable output: node ids come from the topological order (v<i> for Values, o<i> for their
operation, g<i> for collapsed groups, v<i>_<j> for the copy of v<i> beside node j), so the same
graph gives the same DOT text on every run and step-through frames share their ids. Labels of
any content are shown as written: markup escaped, line breaks kept, control characters as \\xNN,
and a word joiner after each backslash so dot does not expand \\N, \\G, \\L.

References: micrograd's draw_dot (trace_graph.ipynb); Graphviz's HTML-like labels
(graphviz.org/doc/info/shapes.html#html) and attributes (nslimit, mclimit, searchsize); the
graphviz Python package (graphviz.readthedocs.io).
"""

from __future__ import annotations

import html
import itertools
import math
import re
import shutil
import subprocess
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import graphviz

from . import ops
from .chain_rule import ChainPath, Explanation
from .engine import Constant, Value, topological_order
from .nn import parameter_place
from .steps import grads_after, number_format, step_names

INSTALL_GRAPHVIZ = (
    "rendering needs Graphviz's `dot` program, which was not found on PATH. Install it with "
    "`apt-get install graphviz` (Debian, Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or `make graphviz` in the microgradnet checkout. "
    "The DOT text needs no program: draw(...).source"
)
AUTO_LABELS_UP_TO = 40  # local derivatives shown by default while there are at most this many
AUTO_BACK_LABELS_UP_TO = 400  # backward arrows numbered by default while at most this many
FULL_LAYOUT_UP_TO = 60  # Values; larger drawings bound dot's iterations (DOT_LIMITS)
DOT_LIMITS = {"nslimit": "1", "nslimit1": "1", "mclimit": "0.3", "searchsize": "5"}
LONG_EDGE = 3  # levels; a result read further on is drawn again (dashed) beside its reader
DOT_TIMEOUT = 20.0  # seconds dot may run before it is stopped (GraphvizError)
MAX_ASPECT = 3.0  # the automatic direction keeps a picture within 3:1 where it can
WRAP_ASPECT = 1.2  # width : height aimed at when a long chain is wrapped into rows
MAX_PNG_SIDE = 4000  # pixels: save_png scales larger pictures down to this
SHORT_NAME = 12  # characters; a longer name gets its value on a line of its own
MAX_FORMULA = 40  # characters of a derivative formula on an edge; longer ones give the value
FONT = "Helvetica"

COLORS = {
    "input": "lightblue",
    "parameter": "khaki",
    "constant": "lavender",
    "interior": "white",
    "value": "white",
    "root": "lightcoral",
    "op": "palegreen",
    "group": "palegreen",
    "forward": "blue",
    "thin": "#7f9fd8",
    "backward": "red",
    "thin_back": "#e07070",
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

Highlight = Value | ChainPath | Explanation | Iterable[Value] | None


class GraphvizError(RuntimeError):
    """Graphviz's dot program is missing, failed, or took longer than its timeout."""


class GraphvizNotFoundError(GraphvizError, graphviz.ExecutableNotFound):  # type: ignore[misc]
    """Graphviz's dot program is missing; the message says how to install it."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, INSTALL_GRAPHVIZ)


SMALLER = "draw it with collapse='neuron', show_local=False or a smaller max_nodes"


def run_dot(
    source: str,
    fmt: str = "svg",
    *,
    timeout: float = DOT_TIMEOUT,
    layout: str = "dot",
    options: Sequence[str] = (),
) -> bytes:
    """Lay out DOT text with Graphviz's dot (or another of its layout programs, e.g. "neato"
    with options ["-n2"] to keep given positions) and return the output in format fmt (svg, png,
    pdf, json, ...). Raises GraphvizNotFoundError without the program, GraphvizError when it
    fails or runs longer than timeout seconds (it is then killed)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    program = shutil.which(layout)
    if program is None:
        raise GraphvizNotFoundError()
    dot = " ".join([layout, *options])
    try:
        done = subprocess.run(
            [program, *options, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(
            f"{dot} did not finish within {timeout:g} s and was stopped; {SMALLER}, "
            "or pass a larger timeout"
        ) from None
    except OSError as e:
        raise GraphvizError(f"{dot} could not be run: {e}") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = reason[0] if reason else "no message"
        raise GraphvizError(f"{dot} failed (exit status {done.returncode}): {first}; {SMALLER}")
    return done.stdout


class Drawing(graphviz.Digraph):  # type: ignore[misc]
    """A graphviz.Digraph rendered by dot under a timeout (``.timeout`` seconds, default
    DOT_TIMEOUT); failures raise GraphvizError (GraphvizNotFoundError when dot is missing)."""

    timeout: float = DOT_TIMEOUT

    def pipe(
        self, format: str | None = None, *args: Any, encoding: str | None = None, **kwargs: Any
    ) -> Any:
        """The drawing rendered by dot in format (default svg): bytes, or text with encoding."""
        out = run_dot(self.source, format or "svg", timeout=self.timeout)
        return out.decode(encoding) if encoding else out

    def render(
        self,
        filename: str | FilePath | None = None,
        *args: Any,
        format: str | None = None,
        **kwargs: Any,
    ) -> str:
        """Write the drawing rendered by dot to filename + "." + format; returns that path."""
        fmt = format or "svg"
        target = FilePath(f"{filename or self.name}.{fmt}")
        target.write_bytes(run_dot(self.source, fmt, timeout=self.timeout))
        return str(target)

    def _repr_svg_(self) -> str:
        return svg_text(self)


def draw(
    root: Value,
    *,
    rankdir: str | None = None,
    show_data: bool = True,
    show_grad: bool = True,
    show_local: bool | None = None,
    show_backward: bool = False,
    highlight: Highlight = None,
    precision: int = 4,
    max_nodes: int | None = 1000,
    collapse: str | None = None,
    params: Iterable[Value] | None = None,
    step: int | None = None,
    forward_step: int | None = None,
    values: str = "box",
    derivatives: str = "value",
    colors: str = "kinds",
    legend: bool = False,
    title: str | None = None,
    fontsize: float = 14,
    edge_labels: bool | None = None,
    expand_loss: bool = False,
) -> Drawing:
    """Draw root's computation graph; returns a graphviz.Digraph (DOT text in ``.source``).

    ``rankdir``: "LR", "TB", "RL" or "BT"; None picks LR or TB, whichever keeps the picture
    nearer square, and wraps a chain too long for 3:1 either way into rows (lines of text).
    ``show_local``: the local derivative on each edge into an op; None shows them
    while there are at most AUTO_LABELS_UP_TO of them (the caption says when they are hidden).
    ``derivatives``: "value" (∂=0.24) or "formula" (∂o₂/∂h₂ = o₂·(1 − o₂) = 0.24).
    ``values``: "box" (each value and gradient once, in its box; the red arrows of
    ``show_backward`` unnumbered) or "arrows" (values on the blue arrows leaving them, gradients
    on the red ones, as the notes' figure does).
    ``colors``: "kinds" (inputs, parameters, constants, interior nodes and the root apart) or
    "uniform" (every value box alike, as the lecture notes draw them). ``legend``: a key to the
    colours; ``title``: a heading; ``fontsize``: points for the node text.
    ``highlight``: a Value, Values, or a Path or Explanation from explain() (its nodes and
    edges). ``precision``: significant digits. ``max_nodes``: more Values than this (after
    collapsing) raise ValueError; None draws any size (dot's time grows faster than the size:
    about 1 s per 1,000 Values on a wide graph, far more on a deep one). ``collapse``: None,
    "neuron" or "layer" (neurons of nn models; what follows the network is drawn as one node
    named after the loss unless ``expand_loss``). ``params``: the leaves to colour as parameters
    (default: the parameters of nn modules). ``edge_labels``: True numbers the edges between
    collapsed neurons (thin and unnumbered otherwise) and every backward arrow; None numbers
    backward arrows only with values="arrows" and at most AUTO_BACK_LABELS_UP_TO of them (the
    caption says when they are left out). ``step=k``: the graph after k steps of
    a fresh backward pass (seed 1), gradients from the steps, not from ``.grad``; the current
    node outlined red, the nodes it just sent gradient to outlined orange, nodes not reached yet
    grey. ``forward_step=k``: after k forward steps, unknown values "?".
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw: root must be a Value, got {type(root).__name__}")
    if rankdir not in (None, "LR", "RL", "TB", "BT"):
        raise ValueError(f"draw: rankdir must be 'LR', 'RL', 'TB', 'BT' or None, got {rankdir!r}")
    if collapse not in (None, "neuron", "layer"):
        raise ValueError(f"draw: collapse must be None, 'neuron' or 'layer', got {collapse!r}")
    for name, given, allowed in (
        ("values", values, ("box", "arrows")),
        ("derivatives", derivatives, ("value", "formula")),
        ("colors", colors, ("kinds", "uniform")),
    ):
        if given not in allowed:
            raise ValueError(f"draw: {name} must be one of {allowed}, got {given!r}")
    if isinstance(fontsize, bool) or not isinstance(fontsize, (int, float)):
        raise ValueError(f"draw: fontsize must be a number of points, got {fontsize!r}")
    if not 4 <= fontsize <= 72:
        raise ValueError(f"draw: fontsize must be from 4 to 72 points, got {fontsize!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"draw: title must be a str, got {type(title).__name__}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(f"draw: max_nodes must be a positive int or None, got {max_nodes!r}")
    if step is not None and forward_step is not None:
        raise ValueError("draw: give step (backward) or forward_step, not both")
    fmt = number_format(precision, "draw")
    order = topological_order(root)
    scene = _Scene(root, order, fmt, bool(show_data), bool(show_grad), True)
    scene.show_backward, scene.params = bool(show_backward), _parameter_set(params, order)
    scene.marked, scene.marked_edges = _highlighted(highlight)
    scene.values_on_arrows, scene.formulas = values == "arrows", derivatives == "formula"
    scene.uniform, scene.expand_loss = colors == "uniform", bool(expand_loss)
    if collapse is not None:
        _collapse(scene, collapse)
    count = len(order) - len(scene.hidden) - len(scene.group_of) + len(scene.groups)
    if max_nodes is not None and count > max_nodes:
        raise ValueError(_too_many(count, max_nodes, collapse))
    # collapsed networks: thin unnumbered edges, unless asked (show_local=True asks for them)
    scene.edge_labels = bool(edge_labels if edge_labels is not None else show_local)
    scene.back_labels = scene.values_on_arrows or bool(edge_labels)
    _plan_copies(scene)
    if show_local is None and scene.groups and not scene.edge_labels:
        scene.show_local = False  # the thin edges carry no numbers anyway
    elif show_local is None:
        n_local = _local_label_count(scene)
        scene.show_local = n_local <= AUTO_LABELS_UP_TO
        if not scene.show_local:
            scene.notes.append(
                f"{n_local} local derivatives not shown (show_local=True shows them)"
            )
    else:
        scene.show_local = bool(show_local)
    if scene.back_labels and edge_labels is None and show_backward:
        n_back = _local_label_count(scene) + len(scene.order) - len(scene.hidden)
        if n_back > AUTO_BACK_LABELS_UP_TO:  # long label lists are what makes dot slow
            scene.back_labels = False
            scene.notes.append(
                f"the gradients on {n_back} backward arrows not written (edge_labels=True "
                "writes them)"
            )
    if step is not None:
        _at_backward_step(scene, step)
    elif forward_step is not None:
        _at_forward_step(scene, forward_step)
    scene.spine = [] if scene.groups else _spine(scene)
    if rankdir is not None or scene.groups:
        direction, row = rankdir or _fitting_direction(scene), 0
    else:
        direction, row = _layout(scene, float(fontsize))
    scene.spine_ids = set() if row or len(scene.spine) < 3 else set(scene.spine)
    scene.wrapped = row > 0
    graph = _emit(scene, direction, float(fontsize))
    _wrap_rows(graph, scene, row)
    _frame(graph, scene, title, legend, float(fontsize))
    return graph


def to_svg(root: Value, *, timeout: float = DOT_TIMEOUT, **kwargs: Any) -> str:
    """draw(root, **kwargs) rendered to SVG text by dot (stopped after timeout seconds)."""
    return svg_text(draw(root, **kwargs), timeout=timeout)


def save_svg(
    root: Value, path: str | FilePath, *, timeout: float = DOT_TIMEOUT, **kwargs: Any
) -> FilePath:
    """Write draw(root, **kwargs) as SVG to path (needs Graphviz's dot program); returns it."""
    return _save(root, path, "svg", timeout, kwargs)


def save_png(
    root: Value,
    path: str | FilePath,
    *,
    dpi: int = 150,
    timeout: float = DOT_TIMEOUT,
    **kwargs: Any,
) -> FilePath:
    """Write draw(root, **kwargs) as a PNG of dpi dots per inch (96 is screen size). A picture
    whose longer side would pass MAX_PNG_SIDE pixels is scaled down to that (rasterizing a
    huge canvas is what takes dot long; save_svg or save_pdf keep every detail)."""
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 24 <= dpi <= 600:
        raise ValueError(f"save_png: dpi must be an int from 24 to 600, got {dpi!r}")
    side = f"{MAX_PNG_SIDE / dpi:.4g}"  # inches: dot scales a larger drawing down to fit
    return _save(root, path, "png", timeout, kwargs, {"dpi": str(dpi), "size": f"{side},{side}"})


def save_pdf(
    root: Value, path: str | FilePath, *, timeout: float = DOT_TIMEOUT, **kwargs: Any
) -> FilePath:
    """Write draw(root, **kwargs) as a PDF (vector, for slides and print)."""
    return _save(root, path, "pdf", timeout, kwargs)


def _save(
    root: Value,
    path: str | FilePath,
    fmt: str,
    timeout: float,
    kwargs: dict[str, Any],
    graph_attr: dict[str, str] | None = None,
) -> FilePath:
    target = FilePath(path)
    graph = draw(root, **kwargs)
    if graph_attr:
        graph.graph_attr.update(graph_attr)
    data = run_dot(graph.source, fmt, timeout=timeout)  # first: a failure leaves no file
    target.write_bytes(data)
    return target


def svg_text(graph: graphviz.Graph | graphviz.Digraph, *, timeout: float | None = None) -> str:
    """Render any graphviz graph to SVG text with dot, stopped after timeout seconds (default:
    the drawing's ``.timeout``, else DOT_TIMEOUT)."""
    limit = timeout if timeout is not None else getattr(graph, "timeout", DOT_TIMEOUT)
    return run_dot(graph.source, "svg", timeout=limit).decode("utf-8")


def __getattr__(name: str) -> Any:
    """viz.Stepper and viz.Frame moved to microgradnet.stepper; the old names still work."""
    if name in ("Stepper", "Frame"):
        import warnings

        from . import stepper

        warnings.warn(
            f"microgradnet.viz.{name} moved to microgradnet.stepper.{name} "
            f"(or import it from microgradnet)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(stepper, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- the scene: what to draw and how -------------------------------------------------------------


@dataclass
class _Group:
    """Nodes drawn as one: a neuron (its dot node and activation) or a layer of neurons."""

    name: str
    kind: str  # "neuron" or "layer"
    members: list[Value]  # computed nodes in topological order
    params: list[Value]
    inputs: tuple[Value, ...]
    activation: str  # op of the activation node, "" for a linear neuron
    size: int = 1  # neurons
    outputs: list[Value] = field(default_factory=list)
    position: int = 0  # the module's place in its model: neurons drawn in index order
    layer: tuple[int, int] | None = None  # (model, place) of its layer: one column per layer
    layer_name: str = ""


@dataclass
class _Scene:
    root: Value
    order: list[Value]
    fmt: Callable[[float], str]
    show_data: bool
    show_grad: bool
    show_local: bool
    show_backward: bool = False
    params: set[Value] = field(default_factory=set)
    marked: set[Value] = field(default_factory=set)
    marked_edges: set[tuple[Value, Value]] = field(default_factory=set)  # (parent, child)
    groups: list[_Group] = field(default_factory=list)
    group_of: dict[Value, _Group] = field(default_factory=dict)
    hidden: set[Value] = field(default_factory=set)
    values_on_arrows: bool = False
    formulas: bool = False
    uniform: bool = False
    edge_labels: bool = True
    back_labels: bool = True  # the gradient's number on each red arrow
    expand_loss: bool = False
    notes: list[str] = field(default_factory=list)  # the caption's remarks
    # step-through: which values and gradients exist yet
    phase: str = ""  # "", "forward" or "backward"
    known: Callable[[Value], bool] = lambda v: True
    reached: Callable[[Value], bool] = lambda v: True
    grad_of: Callable[[Value], float] = lambda v: v.grad
    current: Value | None = None
    received: set[Value] = field(default_factory=set)  # just sent gradient by the current step
    index: dict[Value, int] = field(default_factory=dict)
    where: dict[Value, str | None] = field(default_factory=dict)
    names: dict[Value, str] = field(default_factory=dict)
    copies: set[Value] = field(default_factory=set)  # leaves drawn once beside each use
    spine: list[str] = field(default_factory=list)  # drawn ids of the longest path (_spine)
    depth: dict[Value, int] = field(default_factory=dict)  # longest path from a leaf
    wrapped: bool = False  # the spine drawn in rows (_layout): long edges drawn as copies
    spine_ids: set[str] = field(default_factory=set)  # those of a spine dot keeps straight
    emitted: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)  # the colours used, for the legend

    def __post_init__(self) -> None:
        self.index = {v: i for i, v in enumerate(self.order)}
        self.names = step_names(self.root, self.order)
        for v in self.order:
            self.depth[v] = 1 + max((self.depth[c] for c in v.children), default=-1)
        for v in self.order:  # a constant exponent is drawn inside its op ("²")
            for i in ops.constant_operands(v) if v.children else ():
                self.hidden.add(v.children[i])
        for v in self.order:
            if v.children:
                folded = set(ops.constant_operands(v))
                self.hidden.difference_update(
                    c for i, c in enumerate(v.children) if i not in folded
                )

    def drawn_operands(self, v: Value) -> Iterator[tuple[int, Value, float]]:
        """(operand index, operand, local derivative) of v's operands drawn as edges."""
        folded = ops.constant_operands(v)
        for i, (child, d) in enumerate(zip(v.children, v.local_grads)):
            if i not in folded:
                yield i, child, d


def _at_backward_step(scene: _Scene, k: int) -> None:
    grads, steps = grads_after(scene.root, k)
    n = len(scene.order)
    index = scene.index
    scene.phase = "backward"
    scene.reached = lambda v: n - 1 - index[v] < k
    scene.grad_of = lambda v: grads.get(v, 0.0)
    scene.current = steps[k - 1].node if k else None
    if k:
        scene.received = {p.child for p in steps[k - 1].pushes}


def _at_forward_step(scene: _Scene, k: int) -> None:
    n = len(scene.order)
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= n:
        raise ValueError(f"forward_step must be an int from 0 to {n} (the nodes), got {k!r}")
    index = scene.index
    scene.phase = "forward"
    scene.known = lambda v: index[v] < k
    scene.reached = lambda v: False
    scene.current = scene.order[k - 1] if k else None


def _emit(scene: _Scene, rankdir: str, fontsize: float) -> Drawing:
    ranksep = "1.5" if scene.groups else "0.35"
    dot = Drawing(
        name="computation_graph",
        graph_attr={"rankdir": rankdir, "fontname": FONT, "nodesep": "0.3", "ranksep": ranksep},
        node_attr={"fontsize": f"{fontsize:g}", "fontname": FONT},
        edge_attr={"fontsize": f"{fontsize - 2:g}", "fontname": FONT, "arrowsize": "0.7"},
    )
    if len(scene.order) > FULL_LAYOUT_UP_TO:
        dot.graph_attr.update(DOT_LIMITS)
    for v in scene.order:  # the drawn node of each Value: its own box, its group's, or none
        group = scene.group_of.get(v)
        if v in scene.hidden:
            scene.where[v] = None
        elif group is not None:
            scene.where[v] = f"g{scene.index[group.outputs[-1]]}"
        else:
            scene.where[v] = f"v{scene.index[v]}"
    for v in scene.order:
        group = scene.group_of.get(v)
        if group is None and v not in scene.hidden and v not in scene.copies:
            _emit_value(dot, scene, v)
        elif group is not None and v is group.members[-1]:
            _emit_group(dot, scene, group)
    _order_columns(dot, scene)
    return dot


def _plan_copies(s: _Scene) -> None:
    """Leaves drawn once beside each use: a constant or parameter used more than once (as a
    weight in its layer and in a penalty), and a leaf whose uses lie two or more levels apart.
    Long edges across many levels are what makes dot slow (x·x·…·x with one x would take
    minutes), and a copy beside each use reads as the notes write it."""
    uses: dict[Value, set[int]] = {}  # leaf -> depths of the drawn nodes that read it
    readers: dict[Value, set[Value]] = {}
    for v in s.order:
        if v in s.hidden:
            continue
        for _, c, _ in s.drawn_operands(v):
            if not c.children and c not in s.hidden and c not in s.group_of:
                uses.setdefault(c, set()).add(s.depth[v])
                readers.setdefault(c, set()).add(v)
    for leaf, at in uses.items():
        shared = (type(leaf) is Constant or leaf in s.params) and len(readers[leaf]) > 1
        if shared or max(at) - min(at) >= 2:
            s.copies.add(leaf)


def _local_label_count(s: _Scene) -> int:
    """How many local-derivative labels show_local=True would draw."""
    if s.groups:
        return sum(1 for g in s.groups for c in g.inputs if type(c) is not Constant)
    return sum(
        1
        for v in s.order
        if v.children and v not in s.hidden and v not in s.group_of
        for _, c, _ in s.drawn_operands(v)
        if type(c) is not Constant
    )


def _fitting_direction(s: _Scene) -> str:
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


def _spine(s: _Scene) -> list[str]:
    """The drawn nodes of the longest path into the root, first leaf first: value boxes and
    their op nodes (v<i>, o<i>); it stops at a node drawn as copies or hidden."""
    path: list[str] = []
    v: Value | None = s.root
    while v is not None and v not in s.hidden and v not in s.copies:
        i = s.index[v]
        path += [f"v{i}", f"o{i}"] if v.children else [f"v{i}"]
        drawn = [c for _, c, _ in s.drawn_operands(v) if c not in s.hidden and c not in s.copies]
        v = max(drawn, key=lambda c: (s.depth[c], s.index[c]), default=None)
    return path[::-1]


def _layout(s: _Scene, fontsize: float) -> tuple[str, int]:
    """The direction, and the nodes per row when the picture is a chain too long for MAX_ASPECT
    either way (0: no wrapping). The spine's size is estimated from its labels; a wrapped
    spine is cut into about sqrt(width / (WRAP_ASPECT · row height)) rows, drawn top to bottom
    like lines of text."""
    direction = _fitting_direction(s)
    spine = s.spine
    if len(spine) < 8:
        return direction, 0
    per_level: dict[int, int] = {}
    for v in s.order:  # leaves are drawn beside their ops: count the computed values
        if v.children and v not in s.hidden:
            per_level[s.depth[v]] = per_level.get(s.depth[v], 0) + 1
    wide = max(per_level.values(), default=1)
    scale = fontsize / 14
    label = 7 * fontsize * 0.5 / 72 if s.show_local else 0.0  # the ∂ on each edge into an op
    width, widest, side_widest = 0.0, 0.0, 0.0  # the spine's length; its widest boxes
    on_spine = set(spine)
    for nid in spine:
        v = s.order[int(nid[1:])]
        if nid[0] == "v":
            box = _box_width(s, v, fontsize)
            width, widest = width + box, max(widest, box)
            continue
        width += 0.6 + label
        for _, c, _ in s.drawn_operands(v):
            if c not in s.hidden and (c in s.copies or f"v{s.index[c]}" not in on_spine):
                side_widest = max(side_widest, _box_width(s, c, fontsize) + label)
    across = widest + side_widest  # top to bottom: the spine's line, operands beside it
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


def _box_width(s: _Scene, v: Value, fontsize: float) -> float:
    """About how wide v's box is drawn, in inches (from its longest line)."""
    char = fontsize * 0.55 / 72  # inches per character, narrow ones (·, 1, parentheses) half
    if type(v) is Constant:
        return 0.3 + char * max(_text_width(s.fmt(v.data)), 3)
    name = _text_width(s.names[v][:MAX_LABEL])
    grad = _text_width(_partial(s, v)) + 5 if s.show_grad else 0
    return 0.3 + char * max(min(name + 6, 40) if s.show_data else name, grad, 4)


def _text_width(text: str) -> float:
    return len(text) - 0.5 * sum(ch in _NARROW for ch in text)


_NARROW = frozenset("·.,:;!|iljtfr1()[]' -")


def _wrap_rows(dot: Drawing, s: _Scene, row: int) -> None:
    """With row > 0, wrap the spine into rows of about row nodes, each its own rank, the rows
    starting under each other with a free rank above each for the operands. A row ends with an
    op, so the edge to the next row is op -> result, which carries no label."""
    spine = s.spine
    if s.groups or len(spine) < 3 or not row:
        return
    starts, i = [], 0
    while i < len(spine):
        j = min(i + row, len(spine))
        if j < len(spine) and spine[j - 1][0] == "v" and spine[j][0] == "o":
            j += 1
        starts.append(spine[i])
        _same_rank(dot, spine[i:j], edges=False)
        i = j
    for a, b in itertools.pairwise(starts):  # rows start under each other, as lines of text
        dot.edge(a, b, style="invis", weight="100", minlen="2")  # a rank for operands


def _source(dot: Drawing, s: _Scene, child: Value, user: Value) -> str | None:
    """The drawn node an edge from child to user starts at: child's own node, its group's, or
    the copy of child beside user (drawn here the first time): for a copied leaf, and in a
    large or wrapped drawing for a result read more than LONG_EDGE levels later (drawn dashed:
    a reference to the original; long edges are what makes dot slow)."""
    far = (
        child.children
        and s.depth[user] - s.depth[child] > LONG_EDGE
        and (len(s.order) > FULL_LAYOUT_UP_TO or s.wrapped)
    )
    if child not in s.copies and not (far and child not in s.group_of):
        return s.where[child]
    group = s.group_of.get(user)
    at = s.index[group.outputs[-1]] if group is not None else s.index[user]
    cid = f"v{s.index[child]}_{at}"
    if cid not in s.emitted:
        s.emitted.add(cid)
        _value_box(dot, s, child, cid, copy=bool(child.children))
    return cid


def _value_box(dot: Drawing, s: _Scene, v: Value, vid: str, *, copy: bool = False) -> None:
    fmt, known = s.fmt, s.known(v)
    if type(v) is Constant:
        lines = [html.escape(fmt(v.data)) if known else "?"]
    else:
        name = _escape_lines(s.names[v])
        tag = "B" if v.label else "I"
        lines = [f"<{tag}>{line}</{tag}>" if line.strip() else line for line in name]
        if s.show_data and not s.values_on_arrows:
            value = fmt(v.data) if known else "?"
            if len(lines) == 1 and len(s.names[v]) <= SHORT_NAME:
                lines[0] += f" = {value}"
            else:
                lines.append(f"= {value}")
        grad_on_arrows = s.values_on_arrows and s.show_backward and s.back_labels
        if s.show_grad and s.phase != "forward" and not grad_on_arrows:
            lines.append(_one_line(f"{_partial(s, v)} = {fmt(s.grad_of(v))}"))
    kind = _kind(s, v)
    s.kinds.add(kind)
    style = "rounded,filled,dashed" if copy else "rounded,filled"
    look = _look(s, [v], COLORS[kind])
    if vid in s.spine_ids:  # dot keeps a group's nodes in line: the spine stays straight
        look["group"] = "spine"
    dot.node(vid, _html_label(lines), shape="box", style=style, margin="0.08,0.04", **look)


def _partial(s: _Scene, v: Value) -> str:
    """∂L/∂w in the notes' notation, names wrapped in parentheses when they are expressions."""
    return f"∂{_wrap(s.names[s.root])}/∂{_wrap(s.names[v])}"


def _emit_value(dot: Drawing, s: _Scene, v: Value) -> None:
    i, fmt = s.index[v], s.fmt
    vid, known = f"v{i}", s.known(v)
    _value_box(dot, s, v, vid)
    if not v.children:
        return
    oid = f"o{i}"
    symbol = ops.glyph(v)
    shape = "circle" if len(symbol) <= 2 else "ellipse"
    look = _look(s, [v], COLORS["op"], mark=False)
    if oid in s.spine_ids:
        look["group"] = "spine"
    dot.node(
        oid, _html_label(_escape_lines(symbol)), shape=shape, style="filled", margin="0.02", **look
    )
    forward = _forward_look(s, v)
    path_in = any((v, child) in s.marked_edges for child in v.children)
    out_value = [fmt(v.data)] if s.values_on_arrows and known else []
    _edge(dot, s, oid, vid, out_value, forward, path_in)
    names = [s.names[c] for c in v.children]
    for j, child, d in s.drawn_operands(v):
        src = _source(dot, s, child, v)
        if src is None:
            continue
        lines = []
        if s.values_on_arrows and s.known(child):
            lines.append(fmt(child.data))
        if s.show_local and known and type(child) is not Constant:  # constants: no derivative
            lines.append(_local_text(s, v, j, names, d))
        _edge(dot, s, src, oid, lines, forward, (v, child) in s.marked_edges)
    if s.show_backward and s.reached(v):
        g = s.grad_of(v)
        back = _backward_look(s, v)
        _edge(dot, s, oid, vid, [fmt(g)] if s.back_labels else [], back, back=True)
        for _, child, d in s.drawn_operands(v):
            src = _source(dot, s, child, v)
            if src is not None and type(child) is not Constant:
                flow = [fmt(d * g)] if s.back_labels else []
                _edge(dot, s, src, oid, flow, back, back=True)


def _local_text(s: _Scene, v: Value, j: int, names: list[str], d: float) -> str:
    """The local derivative on the edge from operand j into v: ∂=0.24, or with formulas
    ∂o₂/∂h₂ = o₂·(1 − o₂) = 0.24 (the formula from the op table)."""
    value = s.fmt(d)
    if not s.formulas:
        return f"∂={value}"
    out, child = _wrap(s.names[v]), _wrap(names[j])
    text = ops.derivative_text(v, j, [_wrap(n) for n in names], out)
    partial = f"∂{out}/∂{child}"
    if len(partial) > MAX_FORMULA:  # long expression names: the value alone reads better
        return f"∂={value}"
    if text is None or text == value or len(partial) + len(text) > MAX_FORMULA:
        return f"{partial} = {value}"
    return f"{partial} = {text} = {value}"


def _emit_group(dot: Drawing, s: _Scene, group: _Group) -> None:
    gid, fmt = s.where[group.outputs[-1]], s.fmt
    assert gid is not None
    out = group.outputs
    lines = [f"<B>{line}</B>" for line in _escape_lines(group.name)]
    act = ops.OPS[group.activation].glyph if group.activation in ops.OPS else group.activation
    act = act if isinstance(act, str) else group.activation
    if group.kind == "loss":
        pass
    elif group.kind == "neuron":
        bias = " + b" if len(group.params) > len(group.inputs) else ""
        lines.append(html.escape(f"{act}(Σw·x{bias})" if act else f"Σw·x{bias}"))
    else:
        size = f"{group.size} neuron{'s' if group.size != 1 else ''}"
        lines.append(html.escape(size + (f", {act}" if act else "")))
    known = all(s.known(v) for v in out)
    if s.show_data:
        lines.append("= " + (_vector(fmt, [v.data for v in out]) if known else "?"))
    if s.show_grad and s.phase != "forward":
        top = _wrap(s.names[s.root])
        grads = _vector(fmt, [s.grad_of(v) for v in out])
        lines.append(_one_line(f"∂{top}/∂{'out' if group.kind != 'loss' else top} = {grads}"))
    kind = "root" if s.root in out else "group"
    s.kinds.add(kind)
    anchors = group.members + group.params
    grey = not known if s.phase == "forward" else not _group_reached(s, group)
    if s.phase == "backward" and s.received.intersection(out):
        grey = False
    look = _look(s, anchors, COLORS[kind], grey=grey)
    dot.node(gid, _html_label(lines), shape="box", style="rounded,filled", **look)
    inside = set(group.members) | set(group.params)
    conns: dict[str, list[tuple[Value, Value, float]]] = {}  # source -> (child, member, local)
    for m in group.members:
        for _, child, d in s.drawn_operands(m):
            src = _source(dot, s, child, m) if child not in inside else None
            if src is not None:
                conns.setdefault(src, []).append((child, m, d))
    forward = _forward_look(s, out[-1])
    if not s.edge_labels:
        forward = dict(forward, penwidth="0.6", arrowsize="0.4")
        if s.known(out[-1]):
            forward.update(color=COLORS["thin"])
    for src, cs in conns.items():
        children = list(dict.fromkeys(c for c, _, _ in cs))
        lines = []
        if s.edge_labels and len(children) == 1 and s.values_on_arrows and s.known(children[0]):
            lines.append(fmt(children[0].data))
        if s.edge_labels and len(children) == 1 and len(out) == 1 and s.show_local and known:
            lines.append(f"∂={fmt(_group_derivative(group, children[0]))}")
        on_path = any((m, c) in s.marked_edges for c, m, _ in cs)
        _edge(dot, s, src, gid, lines, forward, on_path)
    if not (s.show_backward and _group_reached(s, group)):
        return
    back = _backward_look(s, *group.members)
    if not s.edge_labels:
        back.update(penwidth=back.get("penwidth", "0.6"), arrowsize="0.4")
        if s.current is None or s.current not in group.members:
            back.update(color=COLORS["thin_back"])
    for src, cs in conns.items():
        flows: dict[Value, float] = {}
        for child, m, d in cs:
            if type(child) is not Constant:
                flows[child] = flows.get(child, 0.0) + d * s.grad_of(m)
        if not flows:
            continue
        if not s.back_labels:
            _edge(dot, s, src, gid, [], back, back=True)
        elif len(flows) == 1:
            _edge(dot, s, src, gid, [fmt(*flows.values())], back, back=True)
        else:
            _edge(dot, s, src, gid, [f"‖∇‖={fmt(math.hypot(*flows.values()))}"], back, back=True)


def _order_columns(dot: Drawing, s: _Scene) -> None:
    """Neurons of one layer in one column, in index order; a network's inputs likewise."""
    columns: dict[tuple[tuple[int, int], int], list[_Group]] = {}
    for g in s.groups:
        if g.layer is not None:
            key = (g.layer, min((s.index[x] for x in g.inputs), default=0))
            columns.setdefault(key, []).append(g)
    firsts = [c for c in columns.values() if all(not x.children for x in c[0].inputs)]
    for column in columns.values():
        ids = [s.where[g.outputs[-1]] for g in sorted(column, key=lambda g: g.position)]
        _same_rank(dot, [i for i in ids if i is not None])
    for column in firsts:
        inputs = [x for x in column[0].inputs if x not in s.copies and s.where[x] is not None]
        _same_rank(dot, [s.where[x] or "" for x in inputs])
    if not s.groups:  # uncollapsed: each layer's sums (dot nodes) in neuron order
        sums: dict[tuple[int, int, int], list[tuple[int, str]]] = {}
        first_inputs: dict[tuple[int, int, int], list[str]] = {}  # a network's inputs, in order
        for v in s.order:
            place = parameter_place(v.children[0]) if v.op == "dot" else None
            if place is not None and len(place.modules) >= 2 and v not in s.copies:
                n = len(v.children) // 2
                reads = min((s.index[x] for x in v.children[n : 2 * n]), default=0)
                where = (place.model, place.modules[-2].place, reads)
                sums.setdefault(where, []).append((place.modules[-1].place, f"v{s.index[v]}"))
                xs = v.children[n : 2 * n]
                if all(not x.children and x not in s.copies for x in xs):
                    first_inputs[where] = [f"v{s.index[x]}" for x in xs]
        for row in sums.values():
            _same_rank(dot, [vid for _, vid in sorted(row)])
        for names in first_inputs.values():
            _same_rank(dot, names)


def _same_rank(dot: Drawing, ids: list[str], *, edges: bool = True) -> None:
    """ids on one rank (a column in LR, a row in TB), in this order (invisible edges, unless
    the drawing's own edges already order them)."""
    if len(ids) < 2:
        return
    with dot.subgraph() as column:
        column.attr(rank="same")
        if edges:
            for a, b in itertools.pairwise(ids):
                column.edge(a, b, style="invis")
        else:
            for nid in ids:
                column.node(nid)


_MARKED = {"color": COLORS["highlight"], "fontcolor": COLORS["highlight"], "penwidth": "3"}


def _edge(
    dot: Drawing,
    s: _Scene,
    tail: str,
    head: str,
    lines: list[str],
    look: dict[str, str],
    marked: bool = False,
    *,
    back: bool = False,
) -> None:
    """An edge labelled with our own text, one line each (escaped for DOT). A backward arrow is
    laid out as the forward edge it follows, drawn pointing back (dir=back): its label stays
    beside it and it does not disturb the layout."""
    attrs = dict(look, **_MARKED) if marked else dict(look)
    if back:
        attrs["dir"] = "back"
    if lines:
        attrs["label"] = "\\n".join(_dot_escape(line) for line in lines)
    dot.edge(tail, head, **attrs)


def _dot_escape(text: str) -> str:
    """text inside a quoted DOT string, on one line: backslashes kept (a word joiner stops dot
    reading \\N, \\G, ... as escapes), quotes escaped, line breaks as spaces, unprintable
    characters as \\xNN."""
    text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}", _BREAKS.sub(" ", text))
    return text.replace("\\", "\\\\\u2060").replace('"', '\\"')


def _forward_look(s: _Scene, v: Value) -> dict[str, str]:
    color = COLORS["forward"] if s.known(v) else "gray70"
    return {"color": color, "fontcolor": color}


def _backward_look(s: _Scene, *nodes: Value) -> dict[str, str]:
    look = {"color": COLORS["backward"], "fontcolor": COLORS["backward"], "style": "dashed"}
    if s.current is not None and s.current in nodes:
        look["penwidth"] = "2.5"
    return look


def _look(
    s: _Scene, anchors: Collection[Value], fill: str, *, mark: bool = True, grey: bool | None = None
) -> dict[str, str]:
    """Fill and outline of a drawn node: greyed before it is computed or reached (unless it
    just received gradient), red outline for the current step, orange for the nodes it sent
    gradient to and for highlight."""
    if grey is None:
        grey = not all(s.known(v) for v in anchors) or (
            s.phase == "backward"
            and not all(s.reached(v) for v in anchors)
            and s.received.isdisjoint(anchors)
        )
    look = {"fillcolor": COLORS["grey"] if grey else fill}
    if grey:
        look["fontcolor"] = look["color"] = COLORS["grey_text"]
    if s.current is not None and s.current in anchors:
        look.update(color=COLORS["current"], penwidth="3")
    elif mark and not s.received.isdisjoint(anchors):
        look.update(color=COLORS["highlight"], penwidth="2.5")
    elif mark and s.marked and not s.marked.isdisjoint(anchors):
        look.update(color=COLORS["highlight"], penwidth="3")
    return look


def _group_reached(s: _Scene, group: _Group) -> bool:
    return all(s.reached(v) for v in group.members if type(v) is not Constant)


def _kind(s: _Scene, v: Value) -> str:
    if v is s.root:
        return "root"
    if s.uniform:
        return "value"
    if v.children:
        return "interior"
    if type(v) is Constant:
        return "constant"
    return "parameter" if v in s.params else "input"


def _frame(graph: Drawing, s: _Scene, title: str | None, legend: bool, fontsize: float) -> None:
    """The title above the picture, the legend and the caption's remarks below it."""
    rows = []
    if title:
        size = f"{fontsize * 1.3:g}"
        text = "<BR/>".join(_escape_lines(title))
        rows.append(f'<TR><TD COLSPAN="9"><FONT POINT-SIZE="{size}"><B>{text}</B></FONT></TD></TR>')
    if legend:
        cells = "".join(
            f'<TD BGCOLOR="{COLORS[k]}" BORDER="1">{LEGEND[k]}</TD>'
            for k in LEGEND
            if k in s.kinds or (k == "op" and any(v.children for v in s.order) and not s.groups)
        )
        rows.append(f'<TR><TD BORDER="0">key:</TD>{cells}</TR>')
    for note in s.notes:
        size = f"{fontsize - 2:g}"
        rows.append(
            f'<TR><TD COLSPAN="9"><FONT POINT-SIZE="{size}">{html.escape(note)}</FONT></TD></TR>'
        )
    if rows:
        table = '<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3">' + "".join(rows) + "</TABLE>"
        graph.attr(label=f"<{table}>", labelloc="t", labeljust="c")


# -- collapse: neurons and layers as single nodes ------------------------------------------------


def _collapse(s: _Scene, how: str) -> None:
    """Find the neurons of nn models (and with how == "layer", group them by layer and sample)."""
    consumers: dict[Value, list[Value]] = {}
    for node in s.order:
        for child in node.children:
            consumers.setdefault(child, []).append(node)
    neurons = [_neuron(s, node, consumers) for node in s.order]
    found = [n for n in neurons if n is not None]
    groups = found if how == "neuron" else _layers(s, found)
    if groups and not s.expand_loss:
        groups += _loss_group(s, groups, consumers)
    for g in groups:
        for m in g.members:
            s.group_of[m] = g
    for g in groups:
        inside = set(g.members)
        g.outputs = [
            m
            for m in g.members
            if m is s.root or any(c not in inside for c in consumers.get(m, ()))
        ]
        for p in g.params:
            owned = all(p in s.group_of[c].params for c in consumers.get(p, ()) if c in s.group_of)
            if owned and all(c in s.group_of for c in consumers.get(p, ())) and p is not s.root:
                s.hidden.add(p)
    s.groups = groups


def _neuron(s: _Scene, node: Value, consumers: dict[Value, list[Value]]) -> _Group | None:
    """The neuron whose dot node is node: its weights held by one nn module (nn's
    parameter_place, never labels)."""
    if node.op != "dot":
        return None
    n = len(node.children) // 2
    weights, inputs = node.children[:n], node.children[n : 2 * n]
    places = [parameter_place(w) for w in weights]
    holders = {(p.model, p.modules[-1]) for p in places if p is not None}
    first = places[0] if places else None
    if first is None or None in places or len(holders) != 1:
        return None
    holder = first.modules[-1]
    params = list(weights)
    if len(node.children) % 2:
        b = node.children[-1]
        b_place = parameter_place(b)
        if b_place is not None and (b_place.model, b_place.modules[-1]) in holders:
            params.append(b)
        else:
            inputs += (b,)  # a bias from elsewhere is an input like any other
    members, activation = [node], ""
    up = consumers.get(node, [])
    if node is not s.root and len(up) == 1 and up[0].op == holder.activation:
        members.append(up[0])
        activation = up[0].op
    group = _Group(holder.name or "neuron", "neuron", members, params, inputs, activation)
    group.position = holder.place
    if len(first.modules) >= 2:
        layer = first.modules[-2]
        group.layer, group.layer_name = (first.model, layer.place), layer.name
    return group


def _loss_group(
    s: _Scene, groups: list[_Group], consumers: dict[Value, list[Value]]
) -> list[_Group]:
    """The operations after the network, from its outputs to the root, as one node named after
    the root (the loss); [] when the root is a neuron's output or nothing follows."""
    grouped = {m for g in groups for m in g.members}
    feeds_network: set[Value] = set()  # computed nodes that a neuron reads, directly or not
    for v in reversed(s.order):
        if v in grouped or v in feeds_network:
            feeds_network.update(c for c in v.children if c.children and c not in grouped)
    members = [v for v in s.order if v.children and v not in grouped and v not in feeds_network]
    if s.root in grouped or s.root not in members or len(members) < 2:
        return []
    inside = set(members)
    for v in members:  # constants only the loss reads are part of it (the 1 of log(1 + e))
        for c in v.children:
            if type(c) is Constant and all(u in inside for u in consumers.get(c, ())):
                s.hidden.add(c)
    inputs = tuple(
        dict.fromkeys(
            c for v in members for c in v.children if c not in inside and type(c) is not Constant
        )
    )
    name = s.names[s.root]
    return [_Group(name, "loss", members, [], inputs, "")]


def _layers(s: _Scene, neurons: list[_Group]) -> list[_Group]:
    """Neurons of one nn layer that share their inputs (one sample) form a layer."""
    layers: dict[tuple[tuple[int, int], tuple[int, ...]], _Group] = {}
    groups: list[_Group] = []
    for g in sorted(neurons, key=lambda g: s.index[g.members[-1]]):
        if g.layer is None:
            groups.append(g)
            continue
        key = (g.layer, tuple(s.index[x] for x in g.inputs))
        layer = layers.get(key)
        if layer is None:
            name = g.layer_name or "layer"
            layer = layers[key] = _Group(name, "layer", [], [], g.inputs, g.activation, 0)
            groups.append(layer)
        layer.members += g.members
        layer.params += g.params
        layer.size += 1
        if layer.activation != g.activation:
            layer.activation = "mixed"
    for layer in layers.values():
        layer.members.sort(key=s.index.__getitem__)
    return groups


def _group_derivative(group: _Group, x: Value) -> float:
    """d output / d x through the group's nodes (forward mode over its few members)."""
    deriv = {x: 1.0}
    for m in group.members:
        total, hit = 0.0, False
        for child, d in zip(m.children, m.local_grads):
            if child in deriv:
                total += d * deriv[child]
                hit = True
        if hit:
            deriv[m] = total
    return deriv.get(group.outputs[-1], 0.0)


# -- small helpers -------------------------------------------------------------------------------


def _too_many(count: int, max_nodes: int, collapse: str | None) -> str:
    if collapse is None:
        hint = "draw it with collapse='neuron' (one node per neuron) or collapse='layer'"
    elif collapse == "neuron":
        hint = "draw it with collapse='layer'"
    else:
        hint = "draw a smaller graph (one sample)"
    return (
        f"draw: the graph has {count} nodes, more than max_nodes={max_nodes}; {hint}, "
        "or pass a larger max_nodes (None for no limit; dot slows down past a few thousand)"
    )


def _highlighted(highlight: Highlight) -> tuple[set[Value], set[tuple[Value, Value]]]:
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


def _parameter_set(params: Iterable[Value] | None, order: list[Value]) -> set[Value]:
    """The given params, or else the leaves that nn modules hold as parameters."""
    if params is None:
        return {v for v in order if not v.children and parameter_place(v) is not None}
    values = list(params)
    bad = [type(p).__name__ for p in values if not isinstance(p, Value)]
    if bad:
        raise TypeError(f"draw: params must be Values, got {bad[0]}")
    return set(values)


def _vector(fmt: Callable[[float], str], xs: list[float]) -> str:
    if len(xs) == 1:
        return fmt(xs[0])
    if len(xs) <= 3:
        return "[" + ", ".join(fmt(x) for x in xs) + "]"
    return f"‖·‖ {fmt(math.hypot(*xs))}"


_UNPRINTABLE = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
MAX_LABEL = 200  # characters of a label drawn; longer ones end in "…"
MAX_LINES = 8


def _escape_lines(text: str) -> list[str]:
    """text as HTML-label lines: line breaks (\\n, \\r, \\u2028, ...) break lines, markup
    characters are escaped, characters XML cannot hold (control characters, lone surrogates)
    show as \\xNN escapes, tabs as four spaces, "]" as a character reference (dot's parser
    fails on a line that starts with it), a word joiner after each backslash keeps dot from
    expanding \\N, \\G, \\L, ...; empty lines stay (a space); very long labels end in
    "…"."""
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    lines = _BREAKS.split(text)
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], "…"]
    out = []
    for line in lines:
        visible = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}", line)
        escaped = html.escape(visible.replace("\t", "    "), quote=True)
        escaped = escaped.replace("\\", "\\\u2060").replace("]", "&#93;")  # dot rejects ">]"
        out.append(escaped if escaped.strip() else " ")
    return out


def _wrap(name: str) -> str:
    """name after a ∂ (∂L/∂w, ∂L/∂layers.0.neurons.1.b), parenthesized if it is an expression."""
    return name if _SYMBOL.fullmatch(name) else f"({name})"


_SYMBOL = re.compile(r"[^\W\d][\w.₀-₉]*|\d[\d.]*(?:e[+-]?\d+)?")  # a name or a number ≥ 0


def _one_line(text: str) -> str:
    """text escaped as _escape_lines does, its lines joined by spaces (for ∂L/∂name lines)."""
    return " ".join(_escape_lines(text))


def _html_label(lines: list[str]) -> str:
    """Already escaped lines joined as a Graphviz HTML-like label."""
    return "<" + ("<BR/>".join(lines) or " ") + ">"
