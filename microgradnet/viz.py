"""Computation graphs drawn with Graphviz: DOT text, SVG, Jupyter display, backprop step by step.

    draw(root, ...)         a graphviz.Digraph of root's graph; its DOT text is .source (no dot
                            program needed); Jupyter shows it inline as SVG
    to_svg(root, ...)       the drawing rendered to SVG text by Graphviz's dot program
    save_svg(root, path)    the same, written to a file

The picture is that of the lecture notes (../shared/seeds). Each Value is a box with its label,
data and grad; each operation is its own small node (×, +, tanh, Σw·x, ...) and edges run
child -> op -> result. With ``show_local`` each child -> op edge carries the local derivative
d result / d child, "∂=3" (seed 002), except edges from constants, which are never
differentiated. With ``show_backward`` (seed 001) the blue forward arrows carry the numbers they
transport and red dashed arrows run back carrying the gradient that flows
along them: result -> op carries d root / d result, op -> child carries local × that, the
child's share of its gradient (constants get no backward arrow).

Colours: inputs and constants light blue (a constant is drawn as its number), parameters khaki,
interior nodes white, the root light coral, operations light green; ``highlight`` is orange; in
step-through pictures the current node is outlined red and nodes not reached yet are grey.
A leaf is a parameter if it is in ``params``; without ``params``, if its label is a parameter
name: w, b, W, B with an optional index (w1, b_2), weight, bias, gamma or beta, or a dotted name
whose last word is one of those, as Module.named_parameters() gives (layers.0.neurons.3.w.1).

``collapse`` reads the naming convention of nn.py: a neuron computes one ``dot(w, x, b)`` node
with parameters labelled "<neuron>.w.<i>" and "<neuron>.b", usually followed by one activation
node, and its name is "<layer>.neurons.<j>". collapse="neuron" draws each such neuron as one node
(name, output data and grad) fed straight by its inputs; collapse="layer" draws each layer applied
to one sample as one node. Their parameters live inside them (a parameter also used outside,
as by an L2 penalty, is drawn on its own too). Edges from a collapsed node carry the gradient it
sends back to each input (the norm ‖∇‖ when the input is itself a layer).

Edge labels sit on their edges while a drawing has at most 100 Value boxes
(INLINE_LABELS_UP_TO); beyond that they are xlabels, placed beside the edges after layout: dot
lays out a labelled edge as two ranks, which makes large (above all deep) graphs many times
slower. Wide graphs such as networks and losses over samples render to SVG in about a second at
1,000 nodes; deep ones whose edges span many levels (long chains with skip connections, a
parameter shared by every step of an unrolled recurrence) are dot's worst case: collapse them
or draw a smaller piece.

Stable output: node ids come from the topological order (v<i> for Values, o<i> for their
operation, g<i> for collapsed groups), so the same graph gives the same DOT text on every run.
Labels are HTML-escaped, so any text (< > { } | \\ " & newlines) shows as written.

References: micrograd's draw_dot (trace_graph.ipynb); Graphviz's HTML-like labels
(graphviz.org/doc/info/shapes.html#html); the graphviz Python package (graphviz.readthedocs.io).
"""

from __future__ import annotations

import html
import math
import re
import shutil
import subprocess
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import graphviz

from .autodiff import Explanation, Path
from .engine import Constant, Value, topological_order
from .steps import grads_after, number_format, step_names

INSTALL_GRAPHVIZ = (
    "rendering needs Graphviz's `dot` program, which was not found on PATH. Install it with "
    "`apt-get install graphviz` (Debian, Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or `make graphviz` in the microgradnet checkout. "
    "The DOT text needs no program: draw(...).source"
)
INLINE_LABELS_UP_TO = 100  # drawn Values; larger drawings put edge labels beside the edges
FULL_LAYOUT_UP_TO = 60  # Values; larger drawings bound dot's iterations (DOT_LIMITS)
DOT_LIMITS = {"nslimit": "1", "nslimit1": "1", "mclimit": "0.3", "searchsize": "5"}
DOT_TIMEOUT = 10.0  # seconds dot may run before it is stopped (GraphvizError)

COLORS = {
    "input": "lightblue",
    "constant": "lightblue",
    "parameter": "khaki",
    "interior": "white",
    "root": "lightcoral",
    "op": "lightgreen",
    "group": "lightgreen",
    "forward": "blue",
    "backward": "red",
    "highlight": "darkorange",
    "current": "red",
    "grey": "gray90",
    "grey_text": "gray50",
}

SYMBOLS = {
    "+": "+",
    "-": "−",
    "*": "×",
    "/": "÷",
    "**": "xʸ",
    "neg": "neg",
    "exp": "exp",
    "log": "log",
    "sqrt": "√",
    "tanh": "tanh",
    "sigmoid": "σ",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "sum": "Σ",
    "dot": "Σw·x",
}

Highlight = Value | Path | Explanation | Iterable[Value] | None


class GraphvizError(RuntimeError):
    """Graphviz's dot program is missing, failed, or took longer than its timeout."""


class GraphvizNotFoundError(GraphvizError, graphviz.ExecutableNotFound):  # type: ignore[misc]
    """Graphviz's dot program is missing; the message says how to install it."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, INSTALL_GRAPHVIZ)


SMALLER = "draw it with collapse='neuron', show_local=False or a smaller max_nodes"


def run_dot(source: str, fmt: str = "svg", *, timeout: float = DOT_TIMEOUT) -> bytes:
    """Lay out DOT text with Graphviz's dot and return the output in format fmt (svg, png, pdf,
    json, ...). Raises GraphvizNotFoundError without dot, GraphvizError when dot fails or runs
    longer than timeout seconds (it is then killed)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError()
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(
            f"dot did not finish within {timeout:g} s and was stopped; {SMALLER}, "
            "or pass a larger timeout"
        ) from None
    except OSError as e:
        raise GraphvizError(f"dot could not be run: {e}") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = reason[0] if reason else "no message"
        raise GraphvizError(f"dot failed (exit status {done.returncode}): {first}; {SMALLER}")
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
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    show_local: bool = True,
    show_backward: bool = False,
    highlight: Highlight = None,
    precision: int = 4,
    max_nodes: int | None = 1000,
    collapse: str | None = None,
    params: Iterable[Value] | None = None,
    step: int | None = None,
    forward_step: int | None = None,
) -> Drawing:
    """Draw root's computation graph; returns a graphviz.Digraph (DOT text in ``.source``).

    ``highlight``: a Value, Values, or a Path or Explanation from explain() (its nodes and
    edges). ``precision``: significant digits. ``max_nodes``: more Values than this (after
    collapsing) raise ValueError; None draws any size. ``collapse``: None, "neuron" or "layer".
    ``params``: the leaves to colour as parameters (default: by label, see the module notes).
    ``step=k``: the graph after k steps of a fresh backward pass (seed 1), gradients from the
    steps, not from ``.grad``, which is neither read nor changed; the current node outlined red,
    nodes not reached yet grey. ``forward_step=k``: after k forward steps, unknown values "?".
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw: root must be a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if collapse not in (None, "neuron", "layer"):
        raise ValueError(f"draw: collapse must be None, 'neuron' or 'layer', got {collapse!r}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(f"draw: max_nodes must be a positive int or None, got {max_nodes!r}")
    if step is not None and forward_step is not None:
        raise ValueError("draw: give step (backward) or forward_step, not both")
    fmt = number_format(precision, "draw")
    order = topological_order(root)
    scene = _Scene(root, order, fmt, bool(show_data), bool(show_grad), bool(show_local))
    scene.show_backward, scene.params = bool(show_backward), _parameter_set(params)
    scene.marked, scene.marked_edges = _highlighted(highlight)
    if collapse is not None:
        _collapse(scene, collapse)
    count = len(order) - len(scene.hidden) - len(scene.group_of) + len(scene.groups)
    if max_nodes is not None and count > max_nodes:
        raise ValueError(_too_many(count, max_nodes, collapse))
    if count > INLINE_LABELS_UP_TO:
        scene.label_attr = "xlabel"
    if step is not None:
        _at_backward_step(scene, step)
    elif forward_step is not None:
        _at_forward_step(scene, forward_step)
    return _emit(scene, rankdir)


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
    """Write draw(root, **kwargs) as a PNG of dpi dots per inch (96 is screen size)."""
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 24 <= dpi <= 600:
        raise ValueError(f"save_png: dpi must be an int from 24 to 600, got {dpi!r}")
    return _save(root, path, "png", timeout, kwargs, {"dpi": str(dpi)})


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
    members: list[Value]  # computed nodes (and an activation's constant) in topological order
    params: list[Value]
    inputs: tuple[Value, ...]
    activation: str  # op of the activation node, "" for a linear neuron
    size: int = 1  # neurons
    outputs: list[Value] = field(default_factory=list)


@dataclass
class _Scene:
    root: Value
    order: list[Value]
    fmt: Callable[[float], str]
    show_data: bool
    show_grad: bool
    show_local: bool
    show_backward: bool = False
    params: set[Value] | None = None
    marked: set[Value] = field(default_factory=set)
    marked_edges: set[tuple[Value, Value]] = field(default_factory=set)  # (parent, child)
    groups: list[_Group] = field(default_factory=list)
    group_of: dict[Value, _Group] = field(default_factory=dict)
    hidden: set[Value] = field(default_factory=set)
    # step-through: which values and gradients exist yet
    phase: str = ""  # "", "forward" or "backward"
    known: Callable[[Value], bool] = lambda v: True
    reached: Callable[[Value], bool] = lambda v: True
    grad_of: Callable[[Value], float] = lambda v: v.grad
    current: Value | None = None
    index: dict[Value, int] = field(default_factory=dict)
    where: dict[Value, str | None] = field(default_factory=dict)
    names: dict[Value, str] = field(default_factory=dict)
    label_attr: str = "label"  # "xlabel" for large drawings: placed after layout, much faster
    copies: set[Value] = field(default_factory=set)  # leaves drawn once beside each use
    emitted: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.index = {v: i for i, v in enumerate(self.order)}
        self.names = step_names(self.root, self.order)


def _at_backward_step(scene: _Scene, k: int) -> None:
    grads, steps = grads_after(scene.root, k)
    n = len(scene.order)
    index = scene.index
    scene.phase = "backward"
    scene.reached = lambda v: n - 1 - index[v] < k
    scene.grad_of = lambda v: grads.get(v, 0.0)
    scene.current = steps[k - 1].node if k else None


def _at_forward_step(scene: _Scene, k: int) -> None:
    n = len(scene.order)
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= n:
        raise ValueError(f"forward_step must be an int from 0 to {n} (the nodes), got {k!r}")
    index = scene.index
    scene.phase = "forward"
    scene.known = lambda v: index[v] < k
    scene.reached = lambda v: False
    scene.current = scene.order[k - 1] if k else None


def _emit(scene: _Scene, rankdir: str) -> Drawing:
    dot = Drawing(
        name="computation_graph",
        graph_attr={"rankdir": rankdir},
        node_attr={"fontsize": "11"},
        edge_attr={"fontsize": "10", "arrowsize": "0.7"},
    )
    for v in scene.order:  # the drawn node of each Value: its own box, its group's, or none
        group = scene.group_of.get(v)
        if v in scene.hidden:
            scene.where[v] = None
        elif group is not None:
            scene.where[v] = f"g{scene.index[group.outputs[-1]]}"
        else:
            scene.where[v] = f"v{scene.index[v]}"
    _plan_copies(scene)
    if len(scene.order) > FULL_LAYOUT_UP_TO:
        dot.graph_attr.update(DOT_LIMITS)
    for v in scene.order:
        group = scene.group_of.get(v)
        if group is None and v not in scene.hidden and v not in scene.copies:
            _emit_value(dot, scene, v)
        elif group is not None and v is group.members[-1]:
            _emit_group(dot, scene, group)
    return dot


def _plan_copies(s: _Scene) -> None:
    """Leaves drawn once beside each use: a constant used more than once, and a leaf whose uses
    lie two or more levels apart. Long edges across many levels are what makes dot slow (x·x·…·x
    with one x would take minutes), and a copy beside each use reads as the notes write it."""
    depth: dict[Value, int] = {}
    uses: dict[Value, set[int]] = {}  # leaf -> depths of the drawn nodes that read it
    for v in s.order:
        depth[v] = 1 + max((depth[c] for c in v.children), default=-1)
        if v in s.hidden:
            continue
        for c in v.children:
            if not c.children and c not in s.hidden and c not in s.group_of:
                uses.setdefault(c, set()).add(depth[v])
    for leaf, at in uses.items():
        if (type(leaf) is Constant and len(at) > 1) or max(at) - min(at) >= 2:
            s.copies.add(leaf)


def _source(dot: Drawing, s: _Scene, child: Value, user: Value) -> str | None:
    """The drawn node an edge from child to user starts at: child's own node, its group's, or
    the copy of child beside user (drawn here the first time)."""
    if child not in s.copies:
        return s.where[child]
    group = s.group_of.get(user)
    at = s.index[group.outputs[-1]] if group is not None else s.index[user]
    cid = f"v{s.index[child]}_{at}"
    if cid not in s.emitted:
        s.emitted.add(cid)
        _value_box(dot, s, child, cid)
    return cid


def _value_box(dot: Drawing, s: _Scene, v: Value, vid: str) -> None:
    fmt, known = s.fmt, s.known(v)
    if type(v) is Constant:
        lines = [html.escape(fmt(v.data)) if known else "?"]
    else:
        if v.label:
            lines = [f"<B>{line}</B>" for line in _escape_lines(v.label)]
        elif v.children and not s.groups:  # the step texts' name (x*w); may name hidden nodes
            lines = [f"<I>{line}</I>" for line in _escape_lines(s.names[v])]
        else:
            lines = []
        if s.show_data:
            lines.append(f"data {fmt(v.data)}" if known else "data ?")
        if s.show_grad and s.phase != "forward":
            lines.append(f"grad {fmt(s.grad_of(v))}")
    fill = COLORS[_kind(s, v)]
    dot.node(vid, _html_label(lines), shape="box", style="rounded,filled", **_look(s, [v], fill))


def _emit_value(dot: Drawing, s: _Scene, v: Value) -> None:
    i, fmt = s.index[v], s.fmt
    vid, known = f"v{i}", s.known(v)
    _value_box(dot, s, v, vid)
    if not v.children:
        return
    oid = f"o{i}"
    symbol = _symbol(v)
    shape = "circle" if len(symbol) <= 2 else "ellipse"
    look = _look(s, [v], COLORS["op"], mark=False)
    dot.node(
        oid, _html_label([html.escape(symbol)]), shape=shape, style="filled", margin="0.02", **look
    )
    forward = _forward_look(s, v)
    path_in = any((v, child) in s.marked_edges for child in v.children)
    _edge(dot, s, oid, vid, [fmt(v.data)] if s.show_backward and known else [], forward, path_in)
    for child, d in zip(v.children, v.local_grads):
        src = _source(dot, s, child, v)
        if src is None:
            continue
        lines = []
        if s.show_backward and s.known(child):
            lines.append(fmt(child.data))
        if s.show_local and known and type(child) is not Constant:  # constants: no derivative
            lines.append(f"∂={fmt(d)}")
        _edge(dot, s, src, oid, lines, forward, (v, child) in s.marked_edges)
    if s.show_backward and s.reached(v):
        g = s.grad_of(v)
        back = _backward_look(s, v)
        _edge(dot, s, vid, oid, [fmt(g)], back)
        for child, d in zip(v.children, v.local_grads):
            src = _source(dot, s, child, v)
            if src is not None and type(child) is not Constant:
                _edge(dot, s, oid, src, [fmt(d * g)], back)


def _emit_group(dot: Drawing, s: _Scene, group: _Group) -> None:
    gid, fmt = s.where[group.outputs[-1]], s.fmt
    assert gid is not None
    out = group.outputs
    lines = [f"<B>{line}</B>" for line in _escape_lines(group.name)]
    act = SYMBOLS.get(group.activation, group.activation)
    if group.kind == "neuron":
        bias = "+b" if len(group.params) > len(group.inputs) else ""
        lines.append(html.escape(f"{act}(Σw·x{bias})" if act else f"Σw·x{bias}"))
    else:
        size = f"{group.size} neuron{'s' if group.size != 1 else ''}"
        lines.append(html.escape(size + (f", {act}" if act else "")))
    known = all(s.known(v) for v in out)
    if s.show_data:
        lines.append("data " + (_vector(fmt, [v.data for v in out]) if known else "?"))
    if s.show_grad and s.phase != "forward":
        lines.append("grad " + _vector(fmt, [s.grad_of(v) for v in out]))
    fill = COLORS["root"] if s.root in out else COLORS["group"]
    anchors = group.members + group.params
    grey = not known if s.phase == "forward" else not _group_reached(s, group)
    look = _look(s, anchors, fill, grey=grey)
    dot.node(gid, _html_label(lines), shape="box", style="rounded,filled", **look)
    inside = set(group.members) | set(group.params)
    conns: dict[str, list[tuple[Value, Value, float]]] = {}  # source -> (child, member, local)
    for m in group.members:
        for child, d in zip(m.children, m.local_grads):
            src = _source(dot, s, child, m) if child not in inside else None
            if src is not None:
                conns.setdefault(src, []).append((child, m, d))
    forward = _forward_look(s, out[-1])
    for src, cs in conns.items():
        children = list(dict.fromkeys(c for c, _, _ in cs))
        lines = []
        if len(children) == 1 and s.show_backward and s.known(children[0]):
            lines.append(fmt(children[0].data))
        if len(children) == 1 and len(out) == 1 and s.show_local and known:
            lines.append(f"∂={fmt(_group_derivative(group, children[0]))}")
        on_path = any((m, c) in s.marked_edges for c, m, _ in cs)
        _edge(dot, s, src, gid, lines, forward, on_path)
    if not (s.show_backward and _group_reached(s, group)):
        return
    back = _backward_look(s, *group.members)
    for src, cs in conns.items():
        flows: dict[Value, float] = {}
        for child, m, d in cs:
            if type(child) is not Constant:
                flows[child] = flows.get(child, 0.0) + d * s.grad_of(m)
        if len(flows) == 1:
            _edge(dot, s, gid, src, [fmt(*flows.values())], back)
        elif flows:
            _edge(dot, s, gid, src, [f"‖∇‖={fmt(math.hypot(*flows.values()))}"], back)


_MARKED = {"color": COLORS["highlight"], "fontcolor": COLORS["highlight"], "penwidth": "3"}


def _edge(
    dot: Drawing,
    s: _Scene,
    tail: str,
    head: str,
    lines: list[str],
    look: dict[str, str],
    marked: bool = False,
) -> None:
    """An edge labelled with our own formatted numbers (never user text), one per line."""
    attrs = dict(look, **_MARKED) if marked else look
    if lines:
        attrs = dict(attrs, **{s.label_attr: "\\n".join(lines)})
    dot.edge(tail, head, **attrs)


def _forward_look(s: _Scene, v: Value) -> dict[str, str]:
    color = COLORS["forward"] if s.known(v) else "gray70"
    return {"color": color, "fontcolor": color}


def _backward_look(s: _Scene, *nodes: Value) -> dict[str, str]:
    look = {"color": COLORS["backward"], "fontcolor": COLORS["backward"], "style": "dashed"}
    look["constraint"] = "false"
    if s.current is not None and s.current in nodes:
        look["penwidth"] = "2.5"
    return look


def _look(
    s: _Scene, anchors: Collection[Value], fill: str, *, mark: bool = True, grey: bool | None = None
) -> dict[str, str]:
    """Fill and outline of a drawn node: greyed before it is computed or reached, red outline
    for the current step, orange for highlight."""
    if grey is None:
        grey = not all(s.known(v) for v in anchors) or (
            s.phase == "backward" and not all(s.reached(v) for v in anchors)
        )
    look = {"fillcolor": COLORS["grey"] if grey else fill}
    if grey:
        look["fontcolor"] = look["color"] = COLORS["grey_text"]
    if s.current is not None and s.current in anchors:
        look.update(color=COLORS["current"], penwidth="3")
    elif mark and s.marked and not s.marked.isdisjoint(anchors):
        look.update(color=COLORS["highlight"], penwidth="3")
    return look


def _group_reached(s: _Scene, group: _Group) -> bool:
    return all(s.reached(v) for v in group.members if type(v) is not Constant)


def _kind(s: _Scene, v: Value) -> str:
    if v is s.root:
        return "root"
    if v.children:
        return "interior"
    if type(v) is Constant:
        return "constant"
    is_param = v in s.params if s.params is not None else _looks_like_parameter(v.label)
    return "parameter" if is_param else "input"


_PARAMETER_WORD = re.compile(r"[wWbB](?:_?\d+)*|weight|bias|gamma|beta")


def _looks_like_parameter(label: str) -> bool:
    """w, b3, W_1, bias, or a dotted name such as layers.0.neurons.3.w.1 (trailing indices
    dropped: its last word is w)."""
    words = label.split(".")
    while len(words) > 1 and words[-1].isdigit():
        words.pop()
    return bool(_PARAMETER_WORD.fullmatch(words[-1]))


def _symbol(v: Value) -> str:
    if v.op == "**" and type(v.children[1]) is Constant:
        y = v.children[1].data
        if y.is_integer() and -9 <= y <= 9:
            return "x" + str(int(y)).translate(_SUPERSCRIPTS)
    return SYMBOLS.get(v.op, v.op)


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


# -- collapse: neurons and layers as single nodes ------------------------------------------------

_WEIGHT = re.compile(r"(?:(?P<name>.+)\.)?w\.\d+")
_LAYER = re.compile(r"(?:(?P<layer>.+)\.)?neurons\.\d+")
_ACTIVATIONS = {"tanh", "sigmoid", "relu", "leaky_relu"}


def _collapse(s: _Scene, how: str) -> None:
    """Find the neurons (and with how == "layer", group them by layer and sample)."""
    consumers: dict[Value, list[Value]] = {}
    for node in s.order:
        for child in node.children:
            consumers.setdefault(child, []).append(node)
    neurons = [n for n in (_neuron(s, node, consumers) for node in s.order) if n is not None]
    groups = neurons if how == "neuron" else _layers(s, neurons)
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
            if all(c in s.group_of for c in consumers.get(p, ())) and p is not s.root:
                s.hidden.add(p)
    s.groups = groups


def _neuron(s: _Scene, node: Value, consumers: dict[Value, list[Value]]) -> _Group | None:
    """The neuron whose dot node is node, if its weights are labelled <name>.w.<i>."""
    if node.op != "dot":
        return None
    n = len(node.children) // 2
    weights, inputs = node.children[:n], node.children[n : 2 * n]
    names = set()
    for w in weights:
        match = _WEIGHT.fullmatch(w.label)
        if w.children or type(w) is Constant or match is None:
            return None
        names.add(match["name"] or "")
    if len(names) != 1:
        return None
    name = names.pop()
    params = list(weights)
    if len(node.children) % 2:
        b = node.children[-1]
        if b.label == (f"{name}.b" if name else "b") and not b.children:
            params.append(b)
        else:
            inputs += (b,)  # an unnamed bias is an input like any other
    members, activation = [node], ""
    up = consumers.get(node, [])
    if node is not s.root and len(up) == 1 and up[0].op in _ACTIVATIONS:
        act = up[0]
        members.append(act)
        activation = act.op
        for c in act.children[1:]:  # leaky_relu's alpha
            if type(c) is Constant and consumers.get(c) == [act]:
                members.insert(-1, c)
    return _Group(name or "neuron", "neuron", members, params, inputs, activation)


def _layers(s: _Scene, neurons: list[_Group]) -> list[_Group]:
    """Neurons named <layer>.neurons.<j> that share their inputs (one sample) form a layer."""
    layers: dict[tuple[str, tuple[int, ...]], _Group] = {}
    groups: list[_Group] = []
    for g in neurons:
        match = _LAYER.fullmatch(g.name)
        if match is None:
            groups.append(g)
            continue
        key = (match["layer"] or "layer", tuple(s.index[x] for x in g.inputs))
        layer = layers.get(key)
        if layer is None:
            layer = layers[key] = _Group(key[0], "layer", [], [], g.inputs, g.activation, 0)
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
    paths: tuple[Path, ...] = ()
    if isinstance(highlight, Path):
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


def _parameter_set(params: Iterable[Value] | None) -> set[Value] | None:
    if params is None:
        return None
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


_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _escape_lines(text: str) -> list[str]:
    """text as HTML-label lines: split at line breaks, markup characters escaped, characters
    XML cannot hold (control characters, lone surrogates) shown as \\xNN escapes."""
    lines = text.splitlines() or [""]
    return [
        html.escape(_UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}", line), quote=True)
        for line in lines
    ]


def _html_label(lines: list[str]) -> str:
    """Already escaped lines joined as a Graphviz HTML-like label."""
    return "<" + ("<BR/>".join(lines) or " ") + ">"
