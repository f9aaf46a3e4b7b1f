"""The DOT writer: a scene, its layout and its marks written as a DotGraph.

Each Value is drawn once, as a box with its name, its value and its gradient in the notes'
notation (``w = 3``, ``∂L/∂w = 28``); each operation is its own small node (the op table's
glyph: ×, +, tanh, ², Σ, ·) and edges run operand -> op -> result. With ``show_local`` each
operand -> op edge carries the local derivative; constants are never differentiated. With
``show_backward`` red dashed arrows show the gradient flowing back along each edge (laid out as
the forward edge, drawn pointing back, so their labels stay beside them). ``values="arrows"``
moves the values onto the blue arrows and the gradients onto the red ones, as the notes' figure
does: each number still appears once. A group (a collapsed neuron, layer or loss) is one box;
the edges between groups are thin and unlabelled unless the scene numbers them.

In drawings of more than FULL_LAYOUT_UP_TO Values (and in wrapped ones) a result read more than
LONG_EDGE levels later is drawn again (dashed) beside its reader, and dot's iterations are capped
(DOT_LIMITS): long edges across many levels are what makes dot slow.
"""

from __future__ import annotations

import html
import itertools
import math
from dataclasses import dataclass
from functools import cached_property

from .. import ops
from ..engine import Constant, Value
from ..nn import parameter_place
from . import labels
from .dot_graph import Attrs, DotGraph, EdgeStmt, NodeStmt, SameRank, Statement
from .groups import Group, group_derivative
from .layout import Layout
from .looks import (
    COLORS,
    FONT,
    LEGEND,
    MARKED,
    backward_look,
    forward_look,
    group_reached,
    node_look,
)
from .marks import Marks
from .options import DrawOptions
from .scene import Scene

FULL_LAYOUT_UP_TO = 60  # Values; larger drawings bound dot's iterations (DOT_LIMITS)
DOT_LIMITS = {"nslimit": "1", "nslimit1": "1", "mclimit": "0.3", "searchsize": "5"}
LONG_EDGE = 3  # levels; a result read further on is drawn again (dashed) beside its reader


@dataclass(frozen=True, eq=False)
class Picture:
    """One picture: a scene laid out, with its marks, and the options it was drawn with."""

    scene: Scene
    layout: Layout
    marks: Marks
    options: DrawOptions

    @cached_property
    def dot_graph(self) -> DotGraph:
        """The picture's DOT statements (written once)."""
        return _Writer(self).write()


class _Writer:
    """Writes one Picture's statements in order: each Value's box, op and edges (or its
    group's), copies where first used, then the columns, the rows and the caption."""

    def __init__(self, picture: Picture) -> None:
        self.s, self.layout = picture.scene, picture.layout
        self.marks, self.o = picture.marks, picture.options
        self.fmt = self.o.fmt
        self.body: list[Statement] = []
        self.emitted: set[str] = set()  # copies drawn so far
        self.kinds: set[str] = set()  # the colours used, for the legend

    def write(self) -> DotGraph:
        s = self.s
        for v in s.order:
            group = s.group_of.get(v)
            if group is None and v not in s.hidden and v not in s.copies:
                self.value(v)
            elif group is not None and v is group.members[-1]:
                self.group(group)
        self.columns()
        self.rows()
        size = self.o.fontsize
        graph_attr = {
            "rankdir": self.layout.direction,
            "fontname": FONT,
            "nodesep": "0.3",
            "ranksep": "1.5" if s.groups else "0.35",
        }
        if len(s.order) > FULL_LAYOUT_UP_TO:
            graph_attr.update(DOT_LIMITS)
        return DotGraph(
            tuple(graph_attr.items()),
            (("fontsize", f"{size:g}"), ("fontname", FONT)),
            (("fontsize", f"{size - 2:g}"), ("fontname", FONT), ("arrowsize", "0.7")),
            tuple(self.body),
            self.caption(),
        )

    # -- nodes -----------------------------------------------------------------------------------

    def node(self, name: str, label: list[str], **attrs: str) -> None:
        self.body.append(NodeStmt(name, (("label", labels.html_label(label)), *attrs.items())))

    def value_box(self, v: Value, vid: str, *, copy: bool = False) -> None:
        kind = self.s.roles[v]
        self.kinds.add(kind)
        look = node_look(self.marks, [v], COLORS[kind])
        if vid in self.layout.straight:  # dot keeps a group's nodes in line: the spine
            look["group"] = "spine"
        style = "rounded,filled,dashed" if copy else "rounded,filled"
        self.node(vid, self.box_lines(v), shape="box", style=style, margin="0.08,0.04", **look)

    def box_lines(self, v: Value) -> list[str]:
        """v's box: its name, value and gradient (or "?" where not known yet)."""
        s, o, fmt, known = self.s, self.o, self.fmt, self.marks.known(v)
        if type(v) is Constant:
            return [html.escape(fmt(v.data)) if known else "?"]
        tag = "B" if v.label else "I"
        lines = [
            f"<{tag}>{line}</{tag}>" if line.strip() else line
            for line in labels.escape_lines(s.names[v])
        ]
        if o.show_data and not o.values_on_arrows:
            value = fmt(v.data) if known else "?"
            if len(lines) == 1 and len(s.names[v]) <= labels.SHORT_NAME:
                lines[0] += f" = {value}"
            else:
                lines.append(f"= {value}")
        grad_on_arrows = o.values_on_arrows and o.show_backward and s.back_labels
        if o.show_grad and self.marks.phase != "forward" and not grad_on_arrows:
            grad = labels.gradient(fmt, self.marks.gradient(v), seed=v is self.marks.seed)
            lines.append(labels.one_line(f"{labels.partial(s.top, s.names[v])} = {grad}"))
        return lines

    def value(self, v: Value) -> None:
        """v's box, and for a computed v its op node and the edges into and out of it."""
        vid = f"v{self.s.index[v]}"
        self.value_box(v, vid)
        if not v.children:
            return
        oid = f"o{self.s.index[v]}"
        symbol = ops.glyph(v)
        look = node_look(self.marks, [v], COLORS["op"], mark=False)
        if oid in self.layout.straight:
            look["group"] = "spine"
        shape = "circle" if len(symbol) <= 2 else "ellipse"
        self.node(
            oid, labels.escape_lines(symbol), shape=shape, style="filled", margin="0.02", **look
        )
        self.forward_edges(v, vid, oid)
        if self.o.show_backward and self.marks.reached(v):
            self.backward_edges(v, vid, oid)

    def forward_edges(self, v: Value, vid: str, oid: str) -> None:
        """op -> result (the value on it with values="arrows"), operand -> op (the operand's
        value and the local derivative)."""
        s, o, marks, fmt = self.s, self.o, self.marks, self.fmt
        look = forward_look(marks, v)
        path_in = any((v, child) in marks.marked_edges for child in v.children)
        out_value = [fmt(v.data)] if o.values_on_arrows and marks.known(v) else []
        self.edge(oid, vid, out_value, look, path_in)
        names = ([s.names[c] for c in v.children], s.names[v])
        for j, child, d in s.drawn_operands(v):
            src = self.source(child, v)
            if src is None:
                continue
            lines = []
            if o.values_on_arrows and marks.known(child):
                lines.append(fmt(child.data))
            if s.show_local and marks.known(v) and type(child) is not Constant:
                lines.append(labels.local_text(fmt, o.formulas, v, j, names, d))
            self.edge(src, oid, lines, look, (v, child) in marks.marked_edges)

    def backward_edges(self, v: Value, vid: str, oid: str) -> None:
        """The gradient flowing back: result -> op, op -> each operand but constants."""
        g = self.marks.grad_of(v)
        look = backward_look(self.marks, v)
        numbered = self.s.back_labels
        self.edge(oid, vid, [self.fmt(g)] if numbered else [], look, back=True)
        for _, child, d in self.s.drawn_operands(v):
            src = self.source(child, v)
            if src is not None and type(child) is not Constant:
                flow = [self.fmt(d * g)] if numbered else []
                self.edge(src, oid, flow, look, back=True)

    def source(self, child: Value, user: Value) -> str | None:
        """The drawn node an edge from child to user starts at: child's own node, its group's,
        or the copy of child beside user (drawn here the first time): for a copied leaf, and in
        a large or wrapped drawing for a result read more than LONG_EDGE levels later (drawn
        dashed: a reference to the original; long edges are what makes dot slow)."""
        s = self.s
        far = (
            child.children
            and s.depth[user] - s.depth[child] > LONG_EDGE
            and (len(s.order) > FULL_LAYOUT_UP_TO or self.layout.wrapped)
        )
        if child not in s.copies and not (far and child not in s.group_of):
            return s.where(child)
        group = s.group_of.get(user)
        at = s.index[group.outputs[-1]] if group is not None else s.index[user]
        cid = f"v{s.index[child]}_{at}"
        if cid not in self.emitted:
            self.emitted.add(cid)
            self.value_box(child, cid, copy=bool(child.children))
        return cid

    # -- groups ----------------------------------------------------------------------------------

    def group(self, group: Group) -> None:
        """A collapsed neuron, layer or loss: one box, and one edge from each source it reads
        (forward, and backward once reached)."""
        gid = self.s.where(group.outputs[-1])
        assert gid is not None
        self.group_box(group, gid)
        inside = set(group.members) | set(group.params)
        conns: dict[str, list[tuple[Value, Value, float]]] = {}  # source -> (child, member, ∂)
        for m in group.members:
            for _, child, d in self.s.drawn_operands(m):
                src = self.source(child, m) if child not in inside else None
                if src is not None:
                    conns.setdefault(src, []).append((child, m, d))
        self.group_forward(group, gid, conns)
        if self.o.show_backward and group_reached(self.marks, group):
            self.group_backward(group, gid, conns)

    def group_box(self, group: Group, gid: str) -> None:
        s, marks = self.s, self.marks
        out = group.outputs
        kind = "root" if s.root in out else "group"
        self.kinds.add(kind)
        known = all(marks.known(v) for v in out)
        grey = not known if marks.phase == "forward" else not group_reached(marks, group)
        if marks.phase == "backward" and (
            marks.received.intersection(out) or marks.is_current(group.members)
        ):
            grey = False
        look = node_look(marks, group.members + group.params, COLORS[kind], grey=grey)
        self.node(gid, self.group_lines(group, known), shape="box", style="rounded,filled", **look)

    def group_lines(self, group: Group, known: bool) -> list[str]:
        """The group's name, what it computes, its output and the gradient at its output."""
        fmt, out = self.fmt, group.outputs
        lines = [f"<B>{line}</B>" for line in labels.escape_lines(group.name)]
        act = ops.OPS[group.activation].glyph if group.activation in ops.OPS else group.activation
        act = act if isinstance(act, str) else group.activation
        if group.kind == "neuron":
            bias = " + b" if len(group.params) > len(group.inputs) else ""
            lines.append(html.escape(f"{act}(Σw·x{bias})" if act else f"Σw·x{bias}"))
        elif group.kind == "layer":
            size = f"{group.size} neuron{'s' if group.size != 1 else ''}"
            lines.append(html.escape(size + (f", {act}" if act else "")))
        if self.o.show_data:
            lines.append("= " + (labels.vector(fmt, [v.data for v in out]) if known else "?"))
        if self.o.show_grad and self.marks.phase != "forward":
            top = labels.wrap(self.s.top)
            seed = any(v is self.marks.seed for v in out)
            grads = labels.gradients(fmt, [self.marks.gradient(v) for v in out], seed=seed)
            at = "out" if group.kind != "loss" else top
            lines.append(labels.one_line(f"∂{top}/∂{at} = {grads}"))
        return lines

    def group_forward(
        self, group: Group, gid: str, conns: dict[str, list[tuple[Value, Value, float]]]
    ) -> None:
        s, marks, out = self.s, self.marks, group.outputs
        known = all(marks.known(v) for v in out)
        look = forward_look(marks, out[-1])
        if not s.edge_labels:
            look = dict(look, penwidth="0.6", arrowsize="0.4")
            if marks.known(out[-1]):
                look.update(color=COLORS["thin"])
        numbered = s.edge_labels and len(out) == 1 and s.show_local and known
        for src, cs in conns.items():
            children = list(dict.fromkeys(c for c, _, _ in cs))
            one = children[0] if s.edge_labels and len(children) == 1 else None
            lines = []
            if one is not None and self.o.values_on_arrows and marks.known(one):
                lines.append(self.fmt(one.data))
            if one is not None and numbered:
                lines.append(f"∂={self.fmt(group_derivative(group, one))}")
            on_path = any((m, c) in marks.marked_edges for c, m, _ in cs)
            self.edge(src, gid, lines, look, on_path)

    def group_backward(
        self, group: Group, gid: str, conns: dict[str, list[tuple[Value, Value, float]]]
    ) -> None:
        look = backward_look(self.marks, *group.members)
        if not self.s.edge_labels:
            look.update(penwidth=look.get("penwidth", "0.6"), arrowsize="0.4")
            if not self.marks.is_current(group.members):
                look.update(color=COLORS["thin_back"])
        for src, cs in conns.items():
            flows: dict[Value, float] = {}
            for child, m, d in cs:
                if type(child) is not Constant:
                    flows[child] = flows.get(child, 0.0) + d * self.marks.grad_of(m)
            if not flows:
                continue
            if not self.s.back_labels:
                lines = []
            elif len(flows) == 1:
                lines = [self.fmt(*flows.values())]
            else:
                lines = [f"‖∇‖={self.fmt(math.hypot(*flows.values()))}"]
            self.edge(src, gid, lines, look, back=True)

    # -- edges, columns, rows, caption -----------------------------------------------------------

    def edge(
        self,
        tail: str,
        head: str,
        lines: list[str],
        look: dict[str, str],
        marked: bool = False,
        *,
        back: bool = False,
    ) -> None:
        """An edge labelled with our own text, one line each (escaped for DOT). A backward arrow
        is laid out as the forward edge it follows, drawn pointing back (dir=back): its label
        stays beside it and it does not disturb the layout."""
        attrs = dict(look, **MARKED) if marked else dict(look)
        if back:
            attrs["dir"] = "back"
        if lines:
            attrs["label"] = "\\n".join(labels.dot_escape(line) for line in lines)
        self.body.append(EdgeStmt(tail, head, tuple(attrs.items())))

    def columns(self) -> None:
        """Neurons of one layer in one column, in index order; a network's inputs likewise."""
        s = self.s
        columns: dict[tuple[tuple[int, int], int], list[Group]] = {}
        for g in s.groups:
            if g.layer is not None:
                key = (g.layer, min((s.index[x] for x in g.inputs), default=0))
                columns.setdefault(key, []).append(g)
        firsts = [c for c in columns.values() if all(not x.children for x in c[0].inputs)]
        for column in columns.values():
            ids = [s.where(g.outputs[-1]) for g in sorted(column, key=lambda g: g.position)]
            self.same_rank([i for i in ids if i is not None])
        for column in firsts:
            inputs = [x for x in column[0].inputs if x not in s.copies and s.where(x) is not None]
            self.same_rank([s.where(x) or "" for x in inputs])
        if not s.groups:
            self.sum_columns()

    def sum_columns(self) -> None:
        """Uncollapsed: each layer's sums (dot nodes) in neuron order, and a network's inputs."""
        s = self.s
        sums: dict[tuple[int, int, int], list[tuple[int, str]]] = {}
        first_inputs: dict[tuple[int, int, int], list[str]] = {}  # a network's inputs, in order
        for v in s.order:
            place = parameter_place(v.children[0]) if v.op == "dot" else None
            if place is None or len(place.modules) < 2 or v in s.copies:
                continue
            n = len(v.children) // 2
            xs = v.children[n : 2 * n]
            where = (place.model, place.modules[-2].place, min((s.index[x] for x in xs), default=0))
            sums.setdefault(where, []).append((place.modules[-1].place, f"v{s.index[v]}"))
            if all(not x.children and x not in s.copies for x in xs):
                first_inputs[where] = [f"v{s.index[x]}" for x in xs]
        for row in sums.values():
            self.same_rank([vid for _, vid in sorted(row)])
        for names in first_inputs.values():
            self.same_rank(names)

    def same_rank(self, ids: list[str], *, edges: bool = True) -> None:
        if len(ids) >= 2:
            self.body.append(SameRank(tuple(ids), edges))

    def rows(self) -> None:
        """A wrapped spine in rows of about layout.row nodes, each its own rank, the rows
        starting under each other with a free rank above each for the operands. A row ends
        with an op, so the edge to the next row is op -> result, which carries no label."""
        spine, row = self.layout.spine, self.layout.row
        if self.s.groups or len(spine) < 3 or not row:
            return
        starts, i = [], 0
        while i < len(spine):
            j = min(i + row, len(spine))
            if j < len(spine) and spine[j - 1][0] == "v" and spine[j][0] == "o":
                j += 1
            starts.append(spine[i])
            self.same_rank(list(spine[i:j]), edges=False)
            i = j
        for a, b in itertools.pairwise(starts):  # rows start under each other, as lines of text
            attrs = (("style", "invis"), ("weight", "100"), ("minlen", "2"))  # a rank for operands
            self.body.append(EdgeStmt(a, b, attrs))

    def caption(self) -> Attrs:
        """The title above the picture, the legend and the caption's notes below it."""
        size, rows = self.o.fontsize, []
        if self.o.title:
            text = "<BR/>".join(labels.escape_lines(self.o.title))
            rows.append(
                f'<TR><TD COLSPAN="9"><FONT POINT-SIZE="{size * 1.3:g}"><B>{text}</B></FONT>'
                "</TD></TR>"
            )
        if self.o.legend:
            has_ops = any(v.children for v in self.s.order) and not self.s.groups
            cells = "".join(
                f'<TD BGCOLOR="{COLORS[k]}" BORDER="1">{LEGEND[k]}</TD>'
                for k in LEGEND
                if k in self.kinds or (k == "op" and has_ops)
            )
            rows.append(f'<TR><TD BORDER="0">key:</TD>{cells}</TR>')
        for note in self.s.notes:
            rows.append(
                f'<TR><TD COLSPAN="9"><FONT POINT-SIZE="{size - 2:g}">{html.escape(note)}</FONT>'
                "</TD></TR>"
            )
        if not rows:
            return ()
        table = '<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3">' + "".join(rows) + "</TABLE>"
        return (("label", f"<{table}>"), ("labelloc", "t"), ("labeljust", "c"))
