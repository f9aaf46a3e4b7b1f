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


def _same_rank(dot: Drawing, stmt: SameRank) -> None:
    with dot.subgraph() as column:
        column.attr(rank="same")
        if stmt.edges:
            for a, b in itertools.pairwise(stmt.ids):
                column.edge(a, b, style="invis")
        else:
            for nid in stmt.ids:
                column.node(nid)
