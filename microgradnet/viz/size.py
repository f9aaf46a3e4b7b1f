"""About how large dot draws a DotGraph, without running dot: the shape chosen for a still
drawing (its direction, rows and stretch) is made from this estimate, so draw() needs no dot.

The estimate follows dot's own steps roughly: each node's size from its label (character
widths of a Helvetica-like font; dot's box margins and minimum sizes), ranks by the longest
path (leaves pulled next to their readers; rank=same groups kept together), twice as many ranks
at half the spacing when edges are labelled (dot's label ranks, each as wide as its widest
label), the rank axis as the sum of the ranks' thickness and the other axis as the widest rank
(nodes, labels and edges passing through, with dot's spacing), plus the caption. It is within
about a quarter of dot's size on the drawings of the tests; its callers keep that margin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .dot_graph import DotGraph, EdgeStmt, NodeStmt, SameRank

_EM = {  # character widths as a fraction of the font size (this machine's dot, rounded)
    **dict.fromkeys(" ,.:;'|!iljtf·()[]/\\-r`", 0.33),
    **dict.fromkeys("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹⁻", 0.4),
    **dict.fromkeys("+=<>×÷−~^#∇", 0.84),
    **dict.fromkeys("mwMW@%…⟶", 1.0),
}
_DEFAULT_EM = 0.63
_TAG = re.compile(r"<[^<>]*>")
_SIZE = re.compile(r'POINT-SIZE="([\d.]+)"')
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|\w+);")


def text_width(text: str, size: float, bold: bool = False) -> float:
    """About how wide dot sets text at size points."""
    width = sum(_EM.get(ch, _DEFAULT_EM) for ch in text) * size
    return width * 1.1 if bold else width


def label_size(label: str, size: float) -> tuple[float, float]:
    """(width, height) of a label's text: an HTML-like label (<...>) or a DOT string whose
    lines are joined by \\n."""
    lines = label[1:-1].split("<BR/>") if label.startswith("<") else label.split("\\n")
    width, height = 0.0, 0.0
    for line in lines:
        sizes = [float(s) for s in _SIZE.findall(line)] or [size]
        text = _ENTITY.sub("x", _TAG.sub("", line)).replace("\\\\", "\\")
        width = max(width, text_width(text, max(sizes), "<B>" in line))
        height += max(sizes) * 1.2
    return width, height


@dataclass(frozen=True)
class Box:
    """A node's drawn size in points (along x and y of the picture as drawn top to bottom)."""

    width: float
    height: float


def node_box(attrs: Mapping[str, str], size: float) -> Box:
    """The size dot gives a node: its label and margin, at least 0.75 × 0.5 inches (a circle:
    its label's larger side, at least 0.5 inches)."""
    w, h = label_size(attrs.get("label", ""), float(attrs.get("fontsize", size)))
    shape = attrs.get("shape", "ellipse")
    if shape == "circle":
        side = max(36.0, max(w, h) * 1.2 + 6)
        return Box(side, side)
    if shape == "ellipse":
        return Box(max(54.0, (w + 3) * 1.15), max(36.0, h * 1.3))
    return Box(max(54.0, w + 12), max(36.0, h / 1.2 + 6))


@dataclass(frozen=True)
class Profile:
    """A graph's ranks as dot would make them, each as (widest node, highest node, sum of the
    widths, sum of the heights), with dot's spacing; the spacing between ranks; the caption's
    (width, height). The sizes of the graph drawn left to right, top to bottom, or in rows
    left to right come from it."""

    ranks: tuple[tuple[float, float, float, float], ...]
    sep: float
    caption: tuple[float, float]

    def size(self, direction: str) -> tuple[float, float]:
        """About the (width, height) in points of the graph drawn in direction."""
        lr = direction in ("LR", "RL")
        length, breadth = self._extent(self.ranks, lr)
        return self._captioned(*((length, breadth) if lr else (breadth, length)))

    def rows(self, count: int) -> tuple[float, float]:
        """About the (width, height) in points of the graph drawn left to right in count
        rows of about as many ranks each, under each other."""
        n = len(self.ranks)
        pieces = [self.ranks[n * i // count : n * (i + 1) // count] for i in range(count)]
        extents = [self._extent(p, True) for p in pieces if p]
        width = max(length for length, _ in extents) + 60.0  # a row starts with a reference
        height = sum(breadth for _, breadth in extents) + 20.0 * (len(extents) - 1)
        return self._captioned(width, height)

    def _extent(
        self, ranks: tuple[tuple[float, float, float, float], ...], lr: bool
    ) -> tuple[float, float]:
        if not ranks:
            return 0.0, 0.0
        along = sum(r[0] if lr else r[1] for r in ranks) + self.sep * (len(ranks) - 1)
        across = max(r[3] if lr else r[2] for r in ranks) * 1.2  # dot rarely packs tightly
        return along, across

    def _captioned(self, width: float, height: float) -> tuple[float, float]:
        return max(width, self.caption[0]) + 8, height + self.caption[1] + 8


def estimate(graph: DotGraph) -> tuple[float, float]:
    """About the (width, height) in points of graph as dot draws it."""
    return profile(graph).size(dict(graph.graph_attr).get("rankdir", "TB"))


def profile(graph: DotGraph) -> Profile:
    """The Profile of graph: its nodes' sizes from their labels, its ranks from its edges."""
    graph_attr = dict(graph.graph_attr)
    size = float(dict(graph.node_attr).get("fontsize", 14))
    edge_size = float(dict(graph.edge_attr).get("fontsize", size - 2))
    boxes: dict[str, Box] = {}
    for stmt in graph.body:
        if isinstance(stmt, NodeStmt):
            boxes[stmt.name] = node_box(dict(stmt.attrs), size)
    edges = [s for s in graph.body if isinstance(s, EdgeStmt)]
    labelled = any(dict(e.attrs).get("label") for e in edges)
    rank = _ranks(graph, boxes, edges, 2 if labelled else 1)
    nodesep = float(graph_attr.get("nodesep", "0.25")) * 72
    ranksep = float(graph_attr.get("ranksep", "0.5")) * 72
    stats: dict[int, list[float]] = {}

    def put(r: int, box: Box) -> None:
        st = stats.setdefault(r, [0.0, 0.0, -nodesep, -nodesep])
        st[0], st[1] = max(st[0], box.width), max(st[1], box.height)
        st[2] += box.width + nodesep
        st[3] += box.height + nodesep

    for name, box in boxes.items():
        put(rank[name], box)
    for e in edges:
        attrs = dict(e.attrs)
        if attrs.get("style") == "invis":
            continue
        a, b = sorted((rank[e.tail], rank[e.head]))
        text = attrs.get("label")
        w, h = label_size(text, edge_size) if text else (0.0, 0.0)
        for r in range(a + 1, b):  # dot's virtual nodes: the label at the middle rank
            put(r, Box(w, h) if text and r == (a + b) // 2 else Box(4.0, 4.0))
    ranks = tuple((st[0], st[1], st[2], st[3]) for _, st in sorted(stats.items()))
    sep = ranksep / 2 if labelled else ranksep
    return Profile(ranks, sep, _caption_size(graph, size))


def _ranks(
    graph: DotGraph, boxes: Mapping[str, Box], edges: list[EdgeStmt], scale: int
) -> dict[str, int]:
    """dot's ranks, about: the longest path from the sources (minlen × scale per edge), then
    every node moved as late as its readers allow (a side branch next to where it joins, as
    dot's network simplex puts the branches of a tree), rank=same groups on their highest
    rank."""
    preds: dict[str, list[tuple[str, int]]] = {n: [] for n in boxes}
    succs: dict[str, list[tuple[str, int]]] = {n: [] for n in boxes}
    for e in edges:
        attrs = dict(e.attrs)
        if attrs.get("constraint") == "false" or e.tail not in boxes or e.head not in boxes:
            continue
        length = int(attrs.get("minlen", "1")) * scale
        preds[e.head].append((e.tail, length))
        succs[e.tail].append((e.head, length))
    rank, order = _longest_paths(boxes, preds, succs)
    for name in reversed(order):
        if succs[name]:
            rank[name] = min(rank[h] - n for h, n in succs[name])
    for stmt in graph.body:
        if isinstance(stmt, SameRank):
            top = max(rank.get(i, 0) for i in stmt.ids)
            for i in stmt.ids:
                rank[i] = top
    return rank


def _longest_paths(
    boxes: Mapping[str, Box],
    preds: Mapping[str, list[tuple[str, int]]],
    succs: Mapping[str, list[tuple[str, int]]],
) -> tuple[dict[str, int], list[str]]:
    """Each node's longest path from a source, and a topological order (Kahn's; nodes on a
    cycle keep rank 0 and come last)."""
    waiting = {n: len(p) for n, p in preds.items()}
    ready = [n for n, k in waiting.items() if k == 0]
    rank = dict.fromkeys(boxes, 0)
    order: list[str] = []
    while ready:
        n = ready.pop()
        order.append(n)
        for h, length in succs[n]:
            rank[h] = max(rank[h], rank[n] + length)
            waiting[h] -= 1
            if waiting[h] == 0:
                ready.append(h)
    order += [n for n in boxes if waiting[n] > 0]
    return rank, order


def _caption_size(graph: DotGraph, size: float) -> tuple[float, float]:
    """The (width, height) of the caption (title, legend, notes) above the picture."""
    caption = dict(graph.caption).get("label", "")
    width, height = 0.0, 0.0
    for row in caption.split("<TR>")[1:]:
        cells = row.split("<TD")[1:]
        texts = [_TAG.sub("", "<TD" + c) for c in cells]
        w = sum(text_width(_ENTITY.sub("x", t), size) + 14 for t in texts)
        sizes = [float(s) for s in _SIZE.findall(row)] or [size]
        width, height = max(width, w), height + max(sizes) * 1.2 + 10
    return width, height
