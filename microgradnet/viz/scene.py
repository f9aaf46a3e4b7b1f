"""The scene: root's graph as it will be drawn, built once from the graph and the options.

Each Value gets a name (``steps.step_names``), a role (input, parameter, constant, computed,
root: its colour), and a place: its own box ``v<i>`` with its operation ``o<i>``, its group's
box ``g<i>`` when collapsed, or none when it is hidden (a constant exponent drawn inside its
op, "²"; a parameter only its neuron reads; a constant only the loss reads). Copies: leaves
drawn beside each use (a constant or parameter read more than once, a leaf read at levels two
or more apart), since long edges across many levels are what makes dot slow and a copy beside
each use reads as the notes write it. The scene also settles which numbers the edges carry
(local derivatives shown while there are at most AUTO_LABELS_UP_TO, the caption's notes).

Node ids come from the topological order (v<i>, o<i>, g<i>, v<i>_<j> for the copy of v<i>
beside node j), so the same graph gives the same DOT text on every run and step-through frames
share their ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from .. import ops
from ..engine import Constant, Value, topological_order
from ..nn import parameter_place
from ..steps import folded_operands, step_names
from .groups import Group, find_groups
from .options import DrawOptions

AUTO_LABELS_UP_TO = 40  # local derivatives shown by default while there are at most this many
AUTO_BACK_LABELS_UP_TO = 400  # backward arrows numbered by default while at most this many


@dataclass(frozen=True, eq=False)
class Scene:
    """What is drawn: the Values in topological order with their names, roles and places, the
    groups of a collapsed network, the copies, and which numbers the edges carry."""

    root: Value
    order: tuple[Value, ...]
    index: Mapping[Value, int]
    names: Mapping[Value, str]
    depth: Mapping[Value, int]  # longest path from a leaf
    params: frozenset[Value]
    hidden: frozenset[Value] = frozenset()
    groups: tuple[Group, ...] = ()
    group_of: Mapping[Value, Group] = field(default_factory=dict)
    copies: frozenset[Value] = frozenset()  # leaves drawn once beside each use
    roles: Mapping[Value, str] = field(default_factory=dict)  # its colour in COLORS
    show_local: bool = True  # the local derivative on each edge into an op
    edge_labels: bool = True  # numbers on the edges between collapsed nodes
    back_labels: bool = True  # the gradient's number on each red arrow
    notes: tuple[str, ...] = ()  # the caption's remarks
    blank_values: frozenset[Value] = frozenset()  # values drawn as a line to fill in
    blank_grads: frozenset[Value] = frozenset()  # gradients drawn so

    def drawn_operands(self, v: Value) -> Iterator[tuple[int, Value, float]]:
        """(operand index, operand, local derivative) of v's operands drawn as edges: all but
        a constant exponent, which is drawn inside its op."""
        folded = ops.constant_operands(v)
        for i, (child, d) in enumerate(zip(v.children, v.local_grads)):
            if i not in folded:
                yield i, child, d

    def where(self, v: Value) -> str | None:
        """The id of the node v is drawn in: its box, its group's box, or None (hidden)."""
        if v in self.hidden:
            return None
        group = self.group_of.get(v)
        return f"v{self.index[v]}" if group is None else f"g{self.index[group.outputs[-1]]}"

    @property
    def top(self) -> str:
        """The root's name (L), as in ∂L/∂w."""
        return self.names[self.root]


def build_scene(root: Value, options: DrawOptions) -> Scene:
    """The scene of root's graph drawn with options; ValueError past options.max_nodes."""
    scene = _base(root, options)
    if options.collapse is not None:
        loss = None if options.expand_loss else scene.names[root]
        found = find_groups(root, scene.order, scene.index, options.collapse, loss)
        scene = replace(
            scene,
            groups=found.groups,
            group_of=found.group_of,
            hidden=scene.hidden | found.hidden,
        )
    count = len(scene.order) - len(scene.hidden) - len(scene.group_of) + len(scene.groups)
    if options.max_nodes is not None and count > options.max_nodes:
        raise ValueError(_too_many(count, options.max_nodes, options.collapse))
    scene = replace(scene, copies=_copies(scene), roles=_roles(scene, options))
    values, grads = _blanked(scene, options)
    return _edge_numbers(replace(scene, blank_values=values, blank_grads=grads), options)


def _base(root: Value, options: DrawOptions) -> Scene:
    """Names, depths and parameters; constant exponents hidden (drawn inside their op)."""
    order = tuple(topological_order(root))
    depth: dict[Value, int] = {}
    for v in order:
        depth[v] = 1 + max((depth[c] for c in v.children), default=-1)
    if options.params is None:  # the leaves that nn modules hold as parameters
        params = {v for v in order if not v.children and parameter_place(v) is not None}
    else:
        params = set(options.params)
    return Scene(
        root,
        order,
        {v: i for i, v in enumerate(order)},
        step_names(root, list(order)),
        depth,
        frozenset(params),
        hidden=frozenset(folded_operands(list(order))),
    )


def _copies(s: Scene) -> frozenset[Value]:
    """Leaves drawn once beside each use: a leaf read by more than one operation (an input
    read by every neuron of a layer, a weight read by its neuron and by a penalty), so that
    no arrow from a shared leaf crosses the others and their numbers (and long edges across
    many levels, which make dot slow: x·x·…·x with one x would take minutes, are never
    drawn). In a network drawn by neuron only constants and parameters read more than once,
    or at levels two or more apart, are copied: its inputs feed every neuron of a layer."""
    uses: dict[Value, set[int]] = {}  # leaf -> depths of the drawn nodes that read it
    readers: dict[Value, set[Value]] = {}
    for v in s.order:
        if v in s.hidden:
            continue
        for _, c, _ in s.drawn_operands(v):
            if not c.children and c not in s.hidden and c not in s.group_of:
                uses.setdefault(c, set()).add(s.depth[v])
                readers.setdefault(c, set()).add(v)
    copies = set()
    for leaf, at in uses.items():
        many = len(readers[leaf]) > 1
        shared = (type(leaf) is Constant or leaf in s.params or not s.groups) and many
        if shared or max(at) - min(at) >= 2:
            copies.add(leaf)
    return frozenset(copies)


def _blanked(s: Scene, options: DrawOptions) -> tuple[frozenset[Value], frozenset[Value]]:
    """The Values whose value, and those whose gradient, options.blanks leaves blank (named
    by the Value or by its drawn name); ValueError for a name or node not in the drawing."""
    by_name: dict[str, list[Value]] = {}
    for v in s.order:
        if v not in s.hidden:
            by_name.setdefault(s.names[v], []).append(v)
    values: set[Value] = set()
    grads: set[Value] = set()
    for key, what in options.blank_pairs:
        if isinstance(key, str):
            found = by_name.get(key)
            if not found:
                names = sorted(by_name)
                known = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
                raise ValueError(f"draw: blanks: no node named {key!r} (the names: {known})")
        elif key in s.index and key not in s.hidden:
            found = [key]
        else:
            raise ValueError(f"draw: blanks: {key!r} is not in the drawn graph")
        if what in ("value", "both"):
            values.update(found)
        if what in ("grad", "both"):
            grads.update(found)
    return frozenset(values), frozenset(grads)


def _roles(s: Scene, options: DrawOptions) -> dict[Value, str]:
    """Each Value's role, which gives its colour: root, input, parameter, constant, interior;
    with colors="uniform" every box but the root's is a plain "value"."""

    def role(v: Value) -> str:
        if v is s.root:
            return "root"
        if options.uniform:
            return "value"
        if v.children:
            return "interior"
        if type(v) is Constant:
            return "constant"
        return "parameter" if v in s.params else "input"

    return {v: role(v) for v in s.order}


def _edge_numbers(s: Scene, options: DrawOptions) -> Scene:
    """Which numbers the edges carry. Collapsed networks: thin unnumbered edges unless asked
    (edge_labels, or show_local=True). Local derivatives shown while there are at most
    AUTO_LABELS_UP_TO (show_local=None); backward arrows numbered with values="arrows" or
    edge_labels, while there are at most AUTO_BACK_LABELS_UP_TO of them (edge_labels=None)."""
    asked = options.show_local
    edge_labels = bool(options.edge_labels if options.edge_labels is not None else asked)
    # a network by neuron keeps its gradients in its boxes unless asked: its many crossing
    # arrows cannot carry numbers legibly
    back_labels = (options.values_on_arrows and not s.groups) or bool(options.edge_labels)
    notes = []
    if asked is None and s.groups and not edge_labels:
        show_local = False  # the thin edges carry no numbers anyway
    elif asked is None:
        n_local = _local_label_count(s)
        show_local = n_local <= AUTO_LABELS_UP_TO
        if not show_local:
            notes.append(f"{n_local} local derivatives not shown (show_local=True shows them)")
    else:
        show_local = bool(asked)
    if back_labels and options.edge_labels is None and options.show_backward:
        n_back = _local_label_count(s) + len(s.order) - len(s.hidden)
        if n_back > AUTO_BACK_LABELS_UP_TO:  # long label lists are what makes dot slow
            back_labels = False
            notes.append(
                f"the gradients on {n_back} backward arrows not written (edge_labels=True "
                "writes them)"
            )
    return replace(
        s,
        show_local=show_local,
        edge_labels=edge_labels,
        back_labels=back_labels,
        notes=tuple(notes),
    )


def _local_label_count(s: Scene) -> int:
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
