"""The figures of sheets and keys: the graph drawn by microgradnet.viz, as inline SVG.

    sheet_figure(variant)   the graph with the asked values and the gradients blank (a Figure:
                            DOT text, and whether draw drew the blanks itself)
    key_figure(variant)     DOT text of the filled graph: values, gradients, local derivatives
    inline_svg(dot, prefix) the SVG of dot text, ready to sit inside an HTML page: no XML prolog
                            or comments, every id prefixed (several figures share one page)

``draw_blanks`` is the one call that draws a sheet's figure. It asks ``viz.draw`` for
``blanks={node: "value" | "grad" | "both"}``; while draw has no such option (a TypeError naming
the keyword), it draws the forward graph without gradients instead and writes the asked values
as blanks in the label text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import viz
from ..engine import Constant, Value, topological_order
from .variants import Variant

BLANK = viz.BLANK  # what a blank looks like on the sheet
FIGURE_PRECISION = 4  # draw's default: the numbers of the figures, as the sheets show them

_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)
_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_ID = re.compile(r'\b(id|href|xlink:href)="(#?)([^"]*)"')


@dataclass(frozen=True)
class Figure:
    """A sheet's figure: its DOT text (the graph drawn with its blanks)."""

    dot: str


def sheet_figure(variant: Variant) -> Figure:
    """The sheet's figure: blank the asked values and every value computed from them (which
    would give them away: y − ŷ gives ŷ), and every gradient but the root's."""
    graph = variant.graph
    hidden = {id(graph.nodes[b.of]) for b in variant.setup.blanks if b.kind == "value"}
    blanks: dict[Value, str] = {}
    for node in topological_order(graph.root):  # operands first: hidden spreads downstream
        if any(id(c) in hidden for c in node.children):
            hidden.add(id(node))
        if type(node) is Constant:
            continue
        value = id(node) in hidden
        grad = node is not graph.root
        if value or grad:
            blanks[node] = "both" if value and grad else "value" if value else "grad"
    return draw_blanks(graph.root, blanks, variant.template.rankdir)


def key_figure(variant: Variant) -> str:
    """The key's figure: every value, gradient and local derivative."""
    return str(viz.draw(variant.graph.root, rankdir=variant.template.rankdir).source)


def draw_blanks(root: Value, blanks: dict[Value, str], rankdir: str | None = None) -> Figure:
    """root's graph with blanks: node -> "value", "grad" or "both" (local derivatives left
    out: they would give the answers away)."""
    return Figure(str(viz.draw(root, blanks=blanks, show_local=False, rankdir=rankdir).source))


def inline_svg(dot: str, prefix: str) -> str:
    """dot rendered to SVG for an HTML page: prolog and comments dropped, ids prefixed."""
    svg = viz.run_dot(dot, "svg").decode("utf-8")
    svg = _COMMENT.sub("", _PROLOG.sub("", svg, count=1))
    svg = _ID.sub(lambda m: f'{m[1]}="{m[2]}{prefix}-{m[3]}"', svg)
    return svg.replace("<svg ", '<svg role="img" ', 1).strip()


def svg_file(dot: str) -> str:
    """dot rendered to a standalone SVG file's text (for the Markdown pages)."""
    return viz.run_dot(dot, "svg").decode("utf-8")
