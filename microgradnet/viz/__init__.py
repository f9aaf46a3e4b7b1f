"""Computation graphs drawn with Graphviz, for slides and step-through: DOT text, SVG, PNG, PDF.

    draw(root, ...)             a graphviz.Digraph of root's graph; its DOT text is .source (no
                                dot program needed); Jupyter shows it inline as SVG
    to_svg(root, ...)           the drawing rendered to SVG text by Graphviz's dot program
    save_svg / save_png / save_pdf(root, path, ...)   the same, written to a file
    run_dot(source, fmt)        dot under a timeout; GraphvizError when it is missing, fails or
                                runs past DOT_TIMEOUT (GraphvizNotFoundError when missing)
    save_frames(frame_sources(pictures, last), directory, format="png")
                                step-through frames one file each (PNG, PDF, SVG), for slides

The picture is that of the lecture notes on the chain rule and on Masha's network: each Value
once, as a box with its name, value and gradient (``w = 3``, ``∂L/∂w = 28``), each operation its
own small node, edges operand -> op -> result carrying the local derivatives, red dashed arrows
for the gradient flowing back; every number said once (``viz.numbers``). Names: labels;
unlabelled leaves x₁, x₂, ... in the order the graph first reads them; an nn neuron's nodes by
the neuron; other results by their expression, or z₁, a₁, u₁ when it is long.

The pipeline, one module per step, read in this order:

    options   DrawOptions: draw()'s arguments, checked once (a frozen dataclass)
    scene     the graph as drawn: names, roles, places, hidden operands, copies, edge numbers
              (groups: collapsed neurons, layers and the loss), blanks
    layout    the direction, the spine kept straight, rows
    marks     what a picture emphasises: highlight, a step's current and reached nodes
    numbers   where each number is written, so that each is said once
    writer    scene + layout + marks -> DotGraph (dot_graph: DOT as data -> DOT text),
              with the text of labels (labels) and the colours (looks)
    size      about how large dot draws a DotGraph, without dot
    shape     a still drawing's direction, rows and stretch, chosen for a 1280×720 slide
    runner    Graphviz's programs under a timeout: DOT text -> SVG, PNG, PDF, JSON
    fixed     step-through frames drawn at one fixed layout, all of one size
    export    step-through frames saved one file each

Time: dot is fast on wide graphs and slow on deep ones with long edges, which it routes through
every level they cross (and labelled edges count twice). So a leaf read by several ops is drawn
beside each use; in drawings of more than FULL_LAYOUT_UP_TO Values a result read more than
LONG_EDGE levels later is drawn again (dashed) beside its reader (in a drawing in rows, every
result read in a later row), and dot's iterations are capped (DOT_LIMITS; ROW_LIMITS in rows).
``show_local`` left at None shows at most AUTO_LABELS_UP_TO local derivatives (the caption
says when they are hidden); no xlabels are used. With these, every graph draw accepts at its
default max_nodes renders in a few seconds (benchmarks/bench_render.py); dot is stopped after
DOT_TIMEOUT seconds anyway.

Stable output: node ids come from the topological order, so the same graph gives the same DOT
text on every run. Labels of any content are shown as written (markup escaped, line breaks
kept, control characters as \\xNN).

References: micrograd's draw_dot (trace_graph.ipynb); Graphviz's HTML-like labels
(graphviz.org/doc/info/shapes.html#html) and attributes (nslimit, mclimit, searchsize,
viewport); the graphviz Python package (graphviz.readthedocs.io).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path as FilePath
from typing import Any

from .._files import replace_file
from ..engine import Value
from .dot_graph import DotGraph
from .export import frame_sources, save_frames
from .labels import MAX_FORMULA, MAX_LABEL, MAX_LINES, SHORT_NAME, escape_lines
from .layout import MAX_ASPECT, WRAP_ASPECT
from .looks import COLORS, FONT, LEGEND
from .marks import marks_for
from .numbers import BLANK
from .options import Blanks, DrawOptions, Highlight
from .runner import (
    DOT_TIMEOUT,
    INSTALL_GRAPHVIZ,
    SMALLER,
    Drawing,
    GraphvizError,
    GraphvizNotFoundError,
    run_dot,
    svg_text,
)
from .scene import AUTO_BACK_LABELS_UP_TO, AUTO_LABELS_UP_TO, build_scene
from .shape import SLIDE, choose_layout
from .writer import DOT_LIMITS, FULL_LAYOUT_UP_TO, LONG_EDGE, Picture

__all__ = [
    "AUTO_BACK_LABELS_UP_TO",
    "AUTO_LABELS_UP_TO",
    "BLANK",
    "COLORS",
    "DOT_LIMITS",
    "DOT_TIMEOUT",
    "FONT",
    "FULL_LAYOUT_UP_TO",
    "INSTALL_GRAPHVIZ",
    "LEGEND",
    "LONG_EDGE",
    "MAX_ASPECT",
    "MAX_FORMULA",
    "MAX_LABEL",
    "MAX_LINES",
    "MAX_PNG_SIDE",
    "SHORT_NAME",
    "SLIDE",
    "SMALLER",
    "WRAP_ASPECT",
    "DotGraph",
    "DrawOptions",
    "Drawing",
    "GraphvizError",
    "GraphvizNotFoundError",
    "Highlight",
    "Picture",
    "draw",
    "frame_sources",
    "picture",
    "run_dot",
    "save_frames",
    "save_pdf",
    "save_png",
    "save_svg",
    "svg_text",
    "to_svg",
]

MAX_PNG_SIDE = 4000  # pixels: save_png scales larger pictures down to this
_escape_lines = escape_lines  # the name the label tests know


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
    blanks: Blanks = None,
) -> Drawing:
    """Draw root's computation graph; returns a graphviz.Digraph (DOT text in ``.source``).

    ``rankdir``: "LR", "TB", "RL" or "BT"; None shapes the picture for a 1280×720 slide, within
    3:1 (viz.shape). ``show_local``: the local derivative on each edge into an op; None shows
    them while there are at most AUTO_LABELS_UP_TO of them (the caption says when not).
    ``derivatives``: "value" (∂=0.24) or "formula" (∂o₂/∂h₂ = o₂·(1 − o₂) = 0.24).
    ``values``: "box" (each value and gradient once, in its box; the red arrows of
    ``show_backward`` unnumbered) or "arrows" (each number once on an arrow, as the notes'
    figure: viz.numbers says on which; a network by neuron keeps its numbers in its boxes).
    A leaf read by several ops is drawn beside each use, with each use's share of its gradient.
    ``colors``: "kinds" (the notes' colours, extended: viz.looks) or "uniform" (every value
    box white but the result's). ``legend``: a key to the boxes and the arrows; ``title``: a
    heading; ``fontsize``: points for the node text.
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
    ``blanks``: numbers drawn as a line to fill in, ``{node or name: "value", "grad" or
    "both"}`` or a list of nodes or names (both), wherever they would be written.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw: root must be a Value, got {type(root).__name__}")
    options = DrawOptions(**{k: v for k, v in locals().items() if k != "root"})  # the arguments
    return picture(root, options).dot_graph.drawing()


def picture(root: Value, options: DrawOptions) -> Picture:
    """root's graph drawn with options, before it is written: graph -> scene -> layout, with
    the marks options ask for."""
    scene = build_scene(root, options)
    marks = marks_for(scene, options)
    return Picture(scene, choose_layout(scene, options, marks), marks, options)


def to_svg(root: Value, *, timeout: float = DOT_TIMEOUT, **kwargs: Any) -> str:
    """draw(root, **kwargs) rendered to SVG text by dot (stopped after timeout seconds)."""
    return svg_text(draw(root, **kwargs), timeout=timeout)


def save_svg(
    root: Value, path: str | os.PathLike[str], *, timeout: float = DOT_TIMEOUT, **kwargs: Any
) -> FilePath:
    """Write draw(root, **kwargs) as SVG to path (needs Graphviz's dot program); returns it.
    The file is written whole or not at all: a failure leaves any old file as it was."""
    text = run_dot(draw(root, **kwargs).source, "svg", timeout=timeout).decode("utf-8")
    replace_file(path, text, "save_svg")
    return FilePath(path)


def save_png(
    root: Value,
    path: str | os.PathLike[str],
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
    graph = draw(root, **kwargs)
    graph.graph_attr.update(dpi=str(dpi), size=f"{side},{side}")
    replace_file(path, run_dot(graph.source, "png", timeout=timeout), "save_png")
    return FilePath(path)


def save_pdf(
    root: Value, path: str | os.PathLike[str], *, timeout: float = DOT_TIMEOUT, **kwargs: Any
) -> FilePath:
    """Write draw(root, **kwargs) as a PDF (vector, for slides and print), whole or not at
    all."""
    replace_file(path, run_dot(draw(root, **kwargs).source, "pdf", timeout=timeout), "save_pdf")
    return FilePath(path)


def __getattr__(name: str) -> Any:
    """viz.Stepper and viz.Frame moved to microgradnet.stepper; the old names still work."""
    if name in ("Stepper", "Frame"):
        import warnings

        from .. import stepper

        warnings.warn(
            f"microgradnet.viz.{name} moved to microgradnet.stepper.{name} "
            f"(or import it from microgradnet)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(stepper, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
