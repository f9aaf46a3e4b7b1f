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
from .numbers import BLANK, numbers_for
from .options import DrawOptions
from .scene import Scene

FULL_LAYOUT_UP_TO = 60  # Values; larger drawings bound dot's iterations (DOT_LIMITS)
DOT_LIMITS = {"nslimit": "1", "nslimit1": "1", "mclimit": "0.3", "searchsize": "5"}
# The space after a bold or coloured run (x = 2): dot writes each run as its own SVG <text>,
# and a browser drops a plain leading space there; a no-break space stays.
JOIN = "&#160;"
ROW_LIMITS = {"nslimit1": "1", "mclimit": "0.3"}  # a drawing in rows: ranks and crossings only
LONG_EDGE = 3  # levels; a result read further on is drawn again (dashed) beside its reader
NOT_PROPAGATED = "(not propagated)"  # below a local derivative into a constant
SMALL_GLYPHS = frozenset("·⁰¹²³⁴⁵⁶⁷⁸⁹⁻")  # op glyphs drawn larger, to be seen on a slide
Sources = dict[str, tuple[Value, list[tuple[int, float]]]]  # drawn source -> (operand, slots)


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
        self.copies = self.s.copies | self.layout.split  # leaves drawn beside each use
        numbered = self.o.show_backward and self.s.back_labels
        self.n = numbers_for(self.s, self.o, numbered, self.copies)
        self.body: list[Statement] = []
        self.emitted: set[str] = set()  # copies drawn so far
        self.first_copy: dict[Value, str] = {}  # a leaf drawn beside each use: its first copy
        self.kinds: set[str] = set()  # the colours used, for the legend
        self.drew_back = False  # a red arrow was drawn, for the legend
        self.drew_reference = False  # a result drawn again (dashed), for the legend
        self.drew_unpropagated = False  # a local derivative into a constant, for the legend

    def write(self) -> DotGraph:
        s = self.s
        for v in s.order:
            group = s.group_of.get(v)
            if group is None and v not in s.hidden and v not in self.copies:
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
        if len(s.order) > FULL_LAYOUT_UP_TO:  # rows keep dot's placing whole: straight rows
            graph_attr.update(ROW_LIMITS if self.layout.wrapped else DOT_LIMITS)
        if self.layout.ratio is not None:
            graph_attr["ratio"] = f"{self.layout.ratio:.4g}"
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

    def value_box(self, v: Value, vid: str, kind: str = "own", share: str | None = None) -> None:
        """v's box: kind "own" (its node), "first" or "copy" (a leaf drawn beside each use),
        "reference" (a result drawn again beside a far reader, dashed, its name only)."""
        role = self.s.roles[v]
        self.kinds.add(role)
        look = node_look(self.marks, [v], COLORS[role])
        if vid in self.layout.straight:  # dot keeps a group's nodes in line: the spine
            look["group"] = self.spine_group(v)
        style = "rounded,filled,dashed" if kind == "reference" else "rounded,filled"
        lines = self.box_lines(v, kind, share)
        self.node(vid, lines, shape="box", style=style, margin="0.08,0.04", **look)

    def spine_group(self, v: Value) -> str:
        """dot's group of a spine node: one line per row."""
        row = self.layout.rows.get(v)
        return "spine" if row is None else f"spine{row}"

    def box_lines(self, v: Value, kind: str = "own", share: str | None = None) -> list[str]:
        """v's box: its name, value and gradient where they are written in boxes (Numbers);
        a copy of a leaf says its use's share."""
        s, o, n = self.s, self.o, self.n
        if type(v) is Constant:
            return [html.escape(self.value_text(v))]
        tag = "B" if v.label else "I"
        lines = [
            f"<{tag}>{line}</{tag}>" if line.strip() else line
            for line in labels.escape_lines(s.names[v])
        ]
        if kind == "reference":
            return lines
        if o.show_data and kind != "copy" and not n.value_on_arrow(v):
            value = html.escape(self.value_text(v))
            if len(lines) == 1 and len(s.names[v]) <= labels.SHORT_NAME:
                lines[0] += f"{JOIN}= {value}"
            else:
                lines.append(f"= {value}")
        if o.show_grad and self.marks.phase != "forward":
            if kind != "copy" and n.grad_in_box(v):
                total = f"{labels.partial(s.top, s.names[v])} = {self.grad_text(v)}"
                if kind == "first":
                    total += f" (sum of {n.readers.get(v, 0)} uses)"
                lines.append(labels.one_line(total))
            if share is not None and n.share_in_box(v):
                lines.append(html.escape(f"this use adds {share}"))
        return lines

    def value_text(self, v: Value) -> str:
        """v's value as written: its number, "?" before it is computed, or a blank."""
        if v in self.s.blank_values:
            return BLANK
        return self.fmt(v.data) if self.marks.known(v) else "?"

    def grad_text(self, v: Value, share: float | None = None) -> str:
        """v's gradient (or a share of it) as written: its number, or a blank."""
        if v in self.s.blank_grads:
            return BLANK
        if share is not None:
            return self.fmt(share)
        return labels.gradient(self.fmt, self.marks.gradient(v), seed=v is self.marks.seed)

    def value(self, v: Value) -> None:
        """v's box, and for a computed v its op node and the edges into and out of it: the
        operands' edges in operand order (dot keeps the order of an op's in-edges), each
        with its red arrow back beside it."""
        vid = f"v{self.s.index[v]}"
        self.value_box(v, vid)
        if not v.children:
            return
        oid = f"o{self.s.index[v]}"
        look = node_look(self.marks, [v], COLORS["op"], mark=False)
        if oid in self.layout.straight:
            look["group"] = self.spine_group(v)
        symbol = ops.glyph(v)
        shape = "circle" if len(symbol) <= 2 else "ellipse"
        lines = self.op_lines(symbol)
        self.node(oid, lines, shape=shape, style="filled", margin="0.02", ordering="in", **look)
        back = self.o.show_backward and self.marks.reached(v)
        self.out_edges(v, vid, oid, back)
        for src, (child, slots) in self.sources(v).items():
            self.operand_edges(v, oid, src, child, slots, back)

    def op_lines(self, symbol: str) -> list[str]:
        """An op's glyph; a thin one (the dot product's ·, a power's ²) drawn larger."""
        lines = labels.escape_lines(symbol)
        if symbol and all(ch in SMALL_GLYPHS for ch in symbol):
            bold = symbol == "·"  # the dot product's point, bold; a power's digits as they are
            size = self.o.fontsize * (1.8 if bold else 1.4)
            lines = [f"<B>{line}</B>" for line in lines] if bold else lines
            return [f'<FONT POINT-SIZE="{size:g}">{line}</FONT>' for line in lines]
        return lines

    def sources(self, v: Value) -> Sources:
        """The drawn nodes v's operands come from, each with the operand slots it fills (x·x
        reads one node twice: one arrow)."""
        out: Sources = {}
        for j, child, d in self.s.drawn_operands(v):
            src = self.source(child, v)
            if src is not None:
                out.setdefault(src, (child, []))[1].append((j, d))
        return out

    def out_edges(self, v: Value, vid: str, oid: str, back: bool) -> None:
        """op -> result: blue (the value with values="arrows"), and red back (∂L/∂v when the
        red arrows are numbered)."""
        marks = self.marks
        path_in = any((v, child) in marks.marked_edges for child in v.children)
        value = [self.value_text(v)] if self.n.value_on_arrow(v) and marks.known(v) else []
        self.edge(oid, vid, value, forward_look(marks, v), path_in)
        if back:
            self.drew_back = True
            grad = [self.grad_text(v)] if self.n.grads_on_arrows else []
            self.edge(oid, vid, grad, backward_look(marks, v), back=True)

    def operand_edges(
        self,
        v: Value,
        oid: str,
        src: str,
        child: Value,
        slots: list[tuple[int, float]],
        back: bool,
    ) -> None:
        """operand -> op: blue (a leaf's value with values="arrows", and the local
        derivative summed over the slots it fills; into a constant only where local
        derivatives are asked for, in grey, "not propagated"), and red back but into a
        constant (the share of this use, where Numbers writes it)."""
        s, marks = self.s, self.marks
        d = math.fsum(d for _, d in slots)
        lines = []
        look = forward_look(marks, v)
        if self.leaf_value_here(child, src) and marks.known(child):
            lines.append(self.value_text(child))
        constant = type(child) is Constant
        asked = self.o.show_local is True or self.o.formulas
        if s.show_local and marks.known(v) and (asked or not constant):
            names = ([s.names[c] for c in v.children], s.names[v])
            js = [j for j, _ in slots]
            lines.append(labels.local_text(self.fmt, self.o.formulas, v, js, names, d))
            if constant:  # a constant is never differentiated: nothing flows back along it
                lines.append(NOT_PROPAGATED)
                look = dict(look, fontcolor=COLORS["grey_text"])
                self.drew_unpropagated = True
        self.edge(src, oid, lines, look, (v, child) in marks.marked_edges)
        if back and type(child) is not Constant:
            share = d * marks.grad_of(v)
            flow = [self.grad_text(child, share)] if self.n.share_on_arrow(child) else []
            self.edge(src, oid, flow, backward_look(marks, v), back=True)

    def leaf_value_here(self, child: Value, src: str) -> bool:
        """The leaf child's value goes on the arrow from src (its only arrow, or its first
        copy's)."""
        if child.children or not self.n.value_on_arrow(child):
            return False
        return child not in self.copies or self.first_copy.get(child) == src

    def source(self, child: Value, user: Value) -> str | None:
        """The drawn node an edge from child to user starts at: child's own node, its group's,
        or the copy of child beside user (drawn here the first time): for a copied leaf; for a
        result read in a later row; and in a large drawing for a result read more than
        LONG_EDGE levels later (drawn dashed: a reference to the original; long edges are what
        makes dot slow)."""
        s, rows = self.s, self.layout.rows
        far = child.children and (
            (rows and rows[child] != rows[user])
            or (s.depth[user] - s.depth[child] > LONG_EDGE and len(s.order) > FULL_LAYOUT_UP_TO)
        )
        if child not in self.copies and not (far and child not in s.group_of):
            return s.where(child)
        group = s.group_of.get(user)
        at = s.index[group.outputs[-1]] if group is not None else s.index[user]
        cid = f"v{s.index[child]}_{at}"
        if cid not in self.emitted:
            self.emitted.add(cid)
            if child.children:
                self.drew_reference = True
                self.value_box(child, cid, "reference")
            else:
                kind = "copy" if child in self.first_copy else "first"
                self.first_copy.setdefault(child, cid)
                self.value_box(child, cid, kind, self.use_share(child, user))
        return cid

    def use_share(self, child: Value, user: Value) -> str | None:
        """The share of child's gradient that its use by user (or user's group) adds; None
        before the backward pass reaches the user."""
        group = self.s.group_of.get(user)
        members = group.members if group is not None else (user,)
        if not all(self.marks.reached(m) for m in members if type(m) is not Constant):
            return None
        share = math.fsum(
            d * self.marks.grad_of(m)
            for m in members
            for _, c, d in self.s.drawn_operands(m)
            if c is child
        )
        return self.grad_text(child, share)

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
        kind = "root" if any(v is s.root for v in out) else "group"  # Values compare by data
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
            if one is not None and self.leaf_value_here(one, src) and marks.known(one):
                lines.append(self.value_text(one))
            if one is not None and numbered:
                lines.append(f"∂={self.fmt(group_derivative(group, one))}")
            on_path = any((m, c) in marks.marked_edges for c, m, _ in cs)
            self.edge(src, gid, lines, look, on_path)

    def group_backward(
        self, group: Group, gid: str, conns: dict[str, list[tuple[Value, Value, float]]]
    ) -> None:
        self.drew_back = True
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
            lines = []
            if len(flows) > 1 and self.n.grads_on_arrows:
                lines = [f"‖∇‖={self.fmt(math.hypot(*flows.values()))}"]
            elif len(flows) == 1 and self.n.share_on_arrow(next(iter(flows))):
                child, flow = next(iter(flows.items()))
                lines = [self.grad_text(child, flow)]
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
            if lines:  # a numbered arrow back pulls on nothing: the line of the spine stays
                attrs["weight"] = "0"
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
        """Rows under each other, the first on top: each row is laid out on its own (no edge
        joins two rows), and dot stacks such pieces in the order their first nodes are named,
        the first named lowest; so each row's first node (the value carried over from the row
        before, drawn again) is named at the top of the graph, the last row's first."""
        rows, spine = self.layout.rows, self.layout.spine
        if not rows or not spine:
            return
        values = [int(n[1:]) for n in spine if n[0] == "v"]
        starts = [spine[0]]
        for a, b in itertools.pairwise(values):
            row = rows.get(self.s.order[a])
            if row is not None and row != rows[self.s.order[b]]:
                starts.append(f"v{a}_{b}")
        self.body[:0] = [NodeStmt(nid, ()) for nid in reversed(starts)]

    def legend(self) -> list[str]:
        """The key: the colours of the boxes used, and the arrows: blue forward with the local
        derivatives (and values), red dashed backward with the gradients."""
        has_ops = any(v.children for v in self.s.order) and not self.s.groups
        cells = "".join(
            f'<TD BGCOLOR="{COLORS[k]}" BORDER="1">{LEGEND[k]}</TD>'
            for k in LEGEND
            if k in self.kinds or (k == "op" and has_ops)
        )
        forward = "forward: the value" if self.o.values_on_arrows else "forward"
        if self.s.show_local:
            forward += (", " if self.o.values_on_arrows else ": ") + "∂ local derivative"
        rows = [
            f'<TR><TD BORDER="0">key:</TD>{cells}</TR>',
            self.arrow_row(COLORS["forward"], "⟶", forward),
        ]
        if self.drew_back:
            top = labels.wrap(self.s.top)
            numbers = f"∂{top}/∂· or a use's share" if self.n.grads_on_arrows else "the gradient"
            rows.append(self.arrow_row(COLORS["backward"], "⇠", f"backward (dashed): {numbers}"))
        if self.drew_reference:
            rows.append(self.arrow_row("black", "▭", "dashed: drawn again where it is read"))
        if self.drew_unpropagated:
            text = f"{NOT_PROPAGATED}: into a constant, which gets no gradient"
            rows.append(self.arrow_row(COLORS["grey_text"], "∂", text))
        return rows

    @staticmethod
    def arrow_row(color: str, arrow: str, text: str) -> str:
        return (
            f'<TR><TD COLSPAN="9" ALIGN="LEFT"><FONT COLOR="{color}">{arrow}</FONT>{JOIN}'
            f"{html.escape(text)}</TD></TR>"
        )

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
            rows += self.legend()
        for note in self.s.notes:
            rows.append(
                f'<TR><TD COLSPAN="9"><FONT POINT-SIZE="{size - 2:g}">{html.escape(note)}</FONT>'
                "</TD></TR>"
            )
        if not rows:
            return ()
        table = '<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3">' + "".join(rows) + "</TABLE>"
        return (("label", f"<{table}>"), ("labelloc", "t"), ("labeljust", "c"))
