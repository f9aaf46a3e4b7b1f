"""Step-through frames drawn at one fixed layout, all of one size.

The frames of a stepper are pictures of one scene with different marks. They are laid out once,
by dot, as the last one looks (it shows every node and edge): ``Positions`` holds where dot put
each node, edge and edge label. Every frame is then written with those positions pinned
(``pin``: ``pos="x,y!"``, the node's size, the edge's spline and label position) and all frames
are drawn by one run of Graphviz's ``neato -n2``, which keeps given positions: nodes never move.

One size for all: a frame may need more room than the last one (a gradient's partial sum can be
wider than its total, the seed's "1 (seed)" wider than 1), or less (edges not drawn yet). So
each node is laid out at the largest size any frame gives it (``node_sizes``: one dot run over
every variant of every node), and the frames are all drawn in one box, the smallest that holds
every frame: one neato run over ``envelope(...)``, a graph with every frame's distinct nodes and
edges at their positions, gives it, and Graphviz's ``viewport`` attribute draws each frame in
that box.

``node_boxes(svg)`` reads where a rendered frame has its nodes (for the view that follows the
step) and ``focus(picture)`` says which nodes a frame is about: the current node, then the
nodes whose gradient it changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from xml.etree import ElementTree

from .dot_graph import Attrs, DotGraph, EdgeStmt, NodeStmt, SameRank, Statement
from .runner import DOT_TIMEOUT, GraphvizError, run_dot
from .writer import Picture

PAD = 4.0  # points Graphviz leaves around an SVG drawing (its default pad)


@dataclass(frozen=True)
class Positions:
    """Where dot puts the nodes and edges of a graph: a node's pin attributes by name, each
    edge's (in DOT order for each tail and head), and the bounding box."""

    nodes: Mapping[str, Attrs]
    edges: Mapping[tuple[str, str], tuple[Attrs, ...]]
    bb: str

    @classmethod
    def of(cls, source: str, timeout: float = DOT_TIMEOUT) -> Positions:
        """The DOT text source laid out by dot (one run, its JSON output)."""
        out = json.loads(run_dot(source, "json", timeout=timeout))
        objects = out.get("objects", [])
        names = {o["_gvid"]: o["name"] for o in objects}
        nodes = {
            o["name"]: (
                ("pos", f"{o['pos']}!"),
                ("width", o["width"]),
                ("height", o["height"]),
                ("fixedsize", "shape"),
            )
            for o in objects
            if "pos" in o
        }
        edges: dict[tuple[str, str], list[Attrs]] = {}
        for e in out.get("edges", []):
            pinned = tuple((a, e[a]) for a in ("pos", "lp", "xlp") if a in e)
            edges.setdefault((names[e["tail"]], names[e["head"]]), []).append(pinned)
        return cls(nodes, {k: tuple(v) for k, v in edges.items()}, out["bb"])


def pin(graph: DotGraph, at: Positions) -> DotGraph:
    """graph with every node and edge where at has it (an edge at has not is left to neato),
    in at's coordinates."""
    seen: dict[tuple[str, str], int] = {}
    body: list[Statement] = []
    for stmt in graph.body:
        if isinstance(stmt, NodeStmt) and stmt.name in at.nodes:
            stmt = NodeStmt(stmt.name, stmt.attrs + at.nodes[stmt.name])
        elif isinstance(stmt, EdgeStmt):
            key = (stmt.tail, stmt.head)
            i = seen[key] = seen.get(key, -1) + 1
            places = at.edges.get(key, ())
            if i < len(places):
                stmt = EdgeStmt(stmt.tail, stmt.head, stmt.attrs + places[i])
        body.append(stmt)
    fixed = (("bb", at.bb), ("notranslate", "true"))
    return replace(graph, graph_attr=graph.graph_attr + fixed, body=tuple(body))


def in_viewport(graph: DotGraph, viewport: str) -> DotGraph:
    """graph drawn in Graphviz's viewport ("W,H,zoom,x,y"): that size, that centre."""
    return replace(graph, graph_attr=(*graph.graph_attr, ("viewport", viewport)))


def envelope(graphs: Sequence[DotGraph]) -> DotGraph:
    """One graph holding the distinct nodes and edges of all graphs (pinned ones: each where
    it is drawn), whose bounding box is the smallest holding each of them. A node drawn with
    different attributes in different graphs appears once per variant, renamed."""
    nodes: dict[NodeStmt, None] = {}
    edges: dict[EdgeStmt, None] = {}
    for graph in graphs:
        for stmt in graph.body:
            if isinstance(stmt, NodeStmt):
                nodes.setdefault(stmt)
            elif isinstance(stmt, EdgeStmt):
                edges.setdefault(stmt)
    named: set[str] = set()
    body: list[Statement] = []
    for k, node in enumerate(nodes):
        body.append(node if node.name not in named else replace(node, name=f"alt{k}_{node.name}"))
        named.add(node.name)
    body += edges
    body += [stmt for stmt in graphs[-1].body if isinstance(stmt, SameRank)]
    return replace(graphs[-1], body=tuple(body))


def viewport_of(graphs: Sequence[DotGraph], timeout: float = DOT_TIMEOUT) -> str:
    """Graphviz's viewport ("W,H,1,x,y") holding every one of the pinned graphs."""
    source = envelope(graphs).text()
    out = run_dot(source, "json0", timeout=timeout, layout="neato", options=["-n2"])
    llx, lly, urx, ury = (float(x) for x in json.loads(out)["bb"].split(","))
    w, h = urx - llx + 2 * PAD, ury - lly + 2 * PAD
    return f"{w:.10g},{h:.10g},1,{(llx + urx) / 2:.10g},{(lly + ury) / 2:.10g}"


def node_sizes(graphs: Sequence[DotGraph], timeout: float = DOT_TIMEOUT) -> dict[str, Attrs]:
    """Each node's largest width and height (inches, as dot measures its label) over all the
    graphs: one dot run over a graph of every distinct node statement, without edges."""
    variants = list(dict.fromkeys(s for g in graphs for s in g.body if isinstance(s, NodeStmt)))
    body = tuple(NodeStmt(f"n{k}", stmt.attrs) for k, stmt in enumerate(variants))
    plain = replace(graphs[-1], body=body, caption=())
    out = json.loads(run_dot(plain.text(), "json", timeout=timeout))
    size: dict[str, tuple[float, float]] = {}
    for o in out.get("objects", []):
        name = variants[int(o["name"][1:])].name
        w, h = size.get(name, (0.0, 0.0))
        size[name] = (max(w, float(o["width"])), max(h, float(o["height"])))
    return {name: (("width", f"{w:.4f}"), ("height", f"{h:.4f}")) for name, (w, h) in size.items()}


def at_least(graph: DotGraph, sizes: Mapping[str, Attrs]) -> DotGraph:
    """graph with each node at least as large as sizes says (dot's width and height are
    minimums: a label never outgrows its box)."""
    body = tuple(
        NodeStmt(s.name, s.attrs + sizes.get(s.name, ())) if isinstance(s, NodeStmt) else s
        for s in graph.body
    )
    return replace(graph, body=body)


Box = tuple[float, float, float, float]  # left, top, right, bottom


def node_boxes(svg: str) -> tuple[tuple[float, float], dict[str, Box]]:
    """The size (width, height) of an SVG of Graphviz, in its own units, and the box of each
    node (its outline) in those units from the top left, by node name."""
    root = ElementTree.fromstring(svg[svg.find("<svg") :])
    ns = "{http://www.w3.org/2000/svg}"
    x0, y0, width, height = (float(v) for v in root.get("viewBox", "0 0 0 0").split())
    graph = root.find(f"{ns}g")
    scale, shift = _transform(graph.get("transform", "") if graph is not None else "")
    boxes: dict[str, Box] = {}
    for g in root.iter(f"{ns}g"):
        title = g.find(f"{ns}title")
        if g.get("class") != "node" or title is None or not title.text:
            continue
        points = [
            (float(a), float(b))
            for shape in g
            if shape.tag in (f"{ns}polygon", f"{ns}path")
            for a, b in _POINT.findall(shape.get("points") or shape.get("d") or "")
        ]
        for e in g.iter(f"{ns}ellipse"):
            cx, cy, rx, ry = (float(e.get(a, "0")) for a in ("cx", "cy", "rx", "ry"))
            points += [(cx - rx, cy - ry), (cx + rx, cy + ry)]
        if points:
            xs = [scale * (x + shift[0]) - x0 for x, _ in points]
            ys = [scale * (y + shift[1]) - y0 for _, y in points]
            boxes[title.text] = (min(xs), min(ys), max(xs), max(ys))
    return (width, height), boxes


_POINT = re.compile(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")
_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")


def _transform(text: str) -> tuple[float, tuple[float, float]]:
    """Graphviz's "scale(s s) rotate(0) translate(x y)" as (s, (x, y))."""
    scale = re.search(r"scale\(([^)]*)\)", text)
    shift = re.search(r"translate\(([^)]*)\)", text)
    s = float(_NUMBERS.findall(scale[1])[0]) if scale else 1.0
    x, y = (float(n) for n in _NUMBERS.findall(shift[1])[:2]) if shift else (0.0, 0.0)
    return s, (x, y)


def focus(picture: Picture) -> tuple[str, ...]:
    """The drawn nodes a frame is about, first first: the current node, then the nodes whose
    gradient the step changed (or, in a frame of several steps, the nodes of those steps) in
    topological order; a copied leaf by its copy beside the current node where it has one."""
    marks, scene = picture.marks, picture.scene
    drawn = [s.name for s in picture.dot_graph.body if isinstance(s, NodeStmt)]
    near = scene.where(marks.current) if marks.current is not None else None
    values = [marks.current] if marks.current is not None else []
    values += sorted(marks.received, key=lambda v: scene.index[v])
    ids: list[str] = []
    for v in values:
        own = scene.where(v)
        copies = [n for n in drawn if n.startswith(f"v{scene.index[v]}_")]
        beside = [n for n in copies if near is not None and n == f"{own}_{near[1:]}"]
        for name in beside or ([own] if own in drawn else copies):
            if name not in ids:
                ids.append(name)
    return tuple(ids)


class FixedFrames:
    """Pictures of one scene rendered to SVG at the layout of the last one, one size for all,
    by one neato -n2 run (rendered when first asked for)."""

    def __init__(self, pictures: Sequence[Picture], timeout: float = DOT_TIMEOUT) -> None:
        """pictures, laid out as the last one (which shows every node and edge)."""
        self.pictures = list(pictures)
        self.timeout = timeout
        self._svgs: dict[int, str] | None = None

    def svg(self, picture: Picture) -> str:
        """picture (one of the frames') as SVG text."""
        if self._svgs is None:
            svgs = self.render()
            self._svgs = {id(p): svg for p, svg in zip(self.pictures, svgs)}
        return self._svgs[id(picture)]

    def render(self) -> list[str]:
        """Every picture as SVG text, in order."""
        graphs = [p.dot_graph for p in self.pictures]
        last = at_least(graphs[-1], node_sizes(graphs, self.timeout)).drawing().source
        at = Positions.of(last, self.timeout)
        pinned = [pin(g, at) for g in graphs]
        viewport = viewport_of(pinned, self.timeout)
        sources = "\n".join(in_viewport(g, viewport).text() for g in pinned)
        timeout = self.timeout * max(1.0, len(graphs) / 10)
        out = run_dot(sources, timeout=timeout, layout="neato", options=["-n2"]).decode("utf-8")
        svgs = ["<?xml" + part for part in out.split("<?xml")[1:]]  # one document per frame
        if len(svgs) != len(graphs):
            raise GraphvizError(f"neato -n2 drew {len(svgs)} of {len(graphs)} frames")
        return svgs
