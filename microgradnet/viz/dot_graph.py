"""DOT as data: the statements the writer makes, turned into DOT text (a Drawing) in one place.

A DotGraph is the graph's attributes and its body: node and edge statements (attributes as
(name, value) pairs, the label among them), and same-rank groups. Being data, a picture can be
compared, pinned to fixed positions or merged with others (``viz.fixed``) before it is written.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .runner import Drawing

Attrs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class NodeStmt:
    name: str
    attrs: Attrs


@dataclass(frozen=True)
class EdgeStmt:
    tail: str
    head: str
    attrs: Attrs


@dataclass(frozen=True)
class SameRank:
    """ids on one rank (a column in LR, a row in TB), in this order: kept by invisible edges,
    or (edges=False) by the drawing's own edges."""

    ids: tuple[str, ...]
    edges: bool = True


Statement = NodeStmt | EdgeStmt | SameRank


@dataclass(frozen=True)
class DotGraph:
    """A whole DOT graph: attributes of the graph, its nodes and edges, the body, and the
    graph's own label (the caption), written after the body."""

    graph_attr: Attrs
    node_attr: Attrs
    edge_attr: Attrs
    body: tuple[Statement, ...]
    caption: Attrs = ()

    def drawing(self) -> Drawing:
        """The DOT text, as a Drawing (a graphviz.Digraph)."""
        dot = Drawing(
            name="computation_graph",
            graph_attr=dict(self.graph_attr),
            node_attr=dict(self.node_attr),
            edge_attr=dict(self.edge_attr),
        )
        for stmt in self.body:
            if isinstance(stmt, NodeStmt):
                dot.node(stmt.name, **dict(stmt.attrs))
            elif isinstance(stmt, EdgeStmt):
                dot.edge(stmt.tail, stmt.head, **dict(stmt.attrs))
            elif len(stmt.ids) >= 2:
                _same_rank(dot, stmt)
        if self.caption:
            dot.attr(**dict(self.caption))
        return dot

    def text(self) -> str:
        """The same graph as DOT text written directly, every value quoted: the input of
        Graphviz's programs for graphs no user reads (frames at fixed positions), faster than
        the graphviz package's quoting. Values are DOT-safe as the writer makes them (labels
        through labels.dot_escape); node ids are words."""
        lines = [
            "digraph computation_graph {",
            f"\tgraph [{_attrs(self.graph_attr)}]",
            f"\tnode [{_attrs(self.node_attr)}]",
            f"\tedge [{_attrs(self.edge_attr)}]",
        ]
        for stmt in self.body:
            if isinstance(stmt, NodeStmt):
                lines.append(f"\t{stmt.name} [{_attrs(stmt.attrs)}]")
            elif isinstance(stmt, EdgeStmt):
                lines.append(f"\t{stmt.tail} -> {stmt.head} [{_attrs(stmt.attrs)}]")
            elif len(stmt.ids) >= 2:
                lines.append(_same_rank_text(stmt))
        if self.caption:
            lines.append(f"\tgraph [{_attrs(self.caption)}]")
        return "\n".join([*lines, "}\n"])


def _attrs(attrs: Attrs) -> str:
    return " ".join(f"{k}={v}" if v[:1] == "<" else f'{k}="{v}"' for k, v in attrs)


def _same_rank_text(stmt: SameRank) -> str:
    if stmt.edges:
        inside = [f"\t\t{a} -> {b} [style=invis]" for a, b in itertools.pairwise(stmt.ids)]
    else:
        inside = [f"\t\t{nid}" for nid in stmt.ids]
    return "\n".join(["\t{", "\t\trank=same", *inside, "\t}"])


def _same_rank(dot: Drawing, stmt: SameRank) -> None:
    with dot.subgraph() as column:
        column.attr(rank="same")
        if stmt.edges:
            for a, b in itertools.pairwise(stmt.ids):
                column.edge(a, b, style="invis")
        else:
            for nid in stmt.ids:
                column.node(nid)
