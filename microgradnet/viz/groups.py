"""Collapse: the neurons of nn models (and their layers, and the loss after them) as one node.

``find_groups(...)`` reads nn's structure, never labels: a neuron is a dot node whose weights one
nn module holds (``nn.parameter_place``), with the activation that follows it; with
how="layer" the neurons of one layer applied to one sample form one group; what follows the
network up to the root becomes one group named after the root (the loss) unless expand_loss.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ..engine import Constant, Value
from ..nn import parameter_place


@dataclass(frozen=True, eq=False)
class Group:
    """Nodes drawn as one: a neuron (its dot node and activation), a layer of neurons, or the
    loss."""

    name: str
    kind: str  # "neuron", "layer" or "loss"
    members: tuple[Value, ...]  # computed nodes in topological order
    params: tuple[Value, ...]
    inputs: tuple[Value, ...]
    activation: str  # op of the activation node, "" for a linear neuron, "mixed" in a layer
    size: int = 1  # neurons
    outputs: tuple[Value, ...] = ()  # members read outside the group (or the root)
    position: int = 0  # the module's place in its model: neurons drawn in index order
    layer: tuple[int, int] | None = None  # (model, place) of its layer: one column per layer
    layer_name: str = ""


@dataclass(frozen=True)
class Collapsed:
    """The groups found, the group of each member, and the Values they hide (parameters only
    their group reads, constants only the loss reads)."""

    groups: tuple[Group, ...]
    group_of: Mapping[Value, Group]
    hidden: frozenset[Value]


def find_groups(
    root: Value,
    order: Sequence[Value],
    index: Mapping[Value, int],
    how: str,
    loss_name: str | None,
) -> Collapsed:
    """The groups of root's graph: neurons (how="neuron") or layers (how="layer"), and the loss
    after them as one group named loss_name (None: its operations are drawn)."""
    consumers: dict[Value, list[Value]] = {}
    for node in order:
        for child in node.children:
            consumers.setdefault(child, []).append(node)
    neurons = [g for g in (_neuron(root, node, consumers) for node in order) if g is not None]
    groups = neurons if how == "neuron" else _layers(neurons, index)
    hidden: set[Value] = set()
    if groups and loss_name is not None:
        loss = _loss_group(root, order, groups, consumers, loss_name)
        if loss is not None:
            groups.append(loss[0])
            hidden |= loss[1]
    groups = [replace(g, outputs=_outputs(root, g, consumers)) for g in groups]
    group_of = {m: g for g in groups for m in g.members}
    for g in groups:
        for p in g.params:
            users = consumers.get(p, ())
            owned = all(c in group_of and p in group_of[c].params for c in users)
            if owned and p is not root:
                hidden.add(p)
    return Collapsed(tuple(groups), group_of, frozenset(hidden))


def group_derivative(group: Group, x: Value) -> float:
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


def _outputs(root: Value, g: Group, consumers: Mapping[Value, list[Value]]) -> tuple[Value, ...]:
    inside = set(g.members)
    return tuple(
        m for m in g.members if m is root or any(c not in inside for c in consumers.get(m, ()))
    )


def _neuron(root: Value, node: Value, consumers: Mapping[Value, list[Value]]) -> Group | None:
    """The neuron whose dot node is node: its weights held by one nn module (nn's
    parameter_place, never labels)."""
    if node.op != "dot":
        return None
    n = len(node.children) // 2
    weights, inputs = node.children[:n], node.children[n : 2 * n]
    places = [parameter_place(w) for w in weights]
    holders = {(p.model, p.modules[-1]) for p in places if p is not None}
    first = places[0] if places else None
    if first is None or None in places or len(holders) != 1:
        return None
    holder = first.modules[-1]
    params = list(weights)
    if len(node.children) % 2:
        b = node.children[-1]
        b_place = parameter_place(b)
        if b_place is not None and (b_place.model, b_place.modules[-1]) in holders:
            params.append(b)
        else:
            inputs += (b,)  # a bias from elsewhere is an input like any other
    members, activation = [node], ""
    up = consumers.get(node, [])
    if node is not root and len(up) == 1 and up[0].op == holder.activation:
        members.append(up[0])
        activation = up[0].op
    layer, layer_name = None, ""
    if len(first.modules) >= 2:
        layer, layer_name = (first.model, first.modules[-2].place), first.modules[-2].name
    return Group(
        holder.name or "neuron",
        "neuron",
        tuple(members),
        tuple(params),
        tuple(inputs),
        activation,
        position=holder.place,
        layer=layer,
        layer_name=layer_name,
    )


def _loss_group(
    root: Value,
    order: Sequence[Value],
    groups: list[Group],
    consumers: Mapping[Value, list[Value]],
    name: str,
) -> tuple[Group, set[Value]] | None:
    """The operations after the network, from its outputs to the root, as one node named name,
    and the constants only they read (the 1 of log(1 + e)); None when the root is a neuron's
    output or nothing follows."""
    grouped = {m for g in groups for m in g.members}
    feeds_network: set[Value] = set()  # computed nodes that a neuron reads, directly or not
    for v in reversed(order):
        if v in grouped or v in feeds_network:
            feeds_network.update(c for c in v.children if c.children and c not in grouped)
    members = [v for v in order if v.children and v not in grouped and v not in feeds_network]
    if root in grouped or root not in members or len(members) < 2:
        return None
    inside = set(members)
    constants: set[Value] = {
        c
        for v in members
        for c in v.children
        if type(c) is Constant and all(u in inside for u in consumers.get(c, ()))
    }
    inputs = tuple(
        dict.fromkeys(
            c for v in members for c in v.children if c not in inside and type(c) is not Constant
        )
    )
    return Group(name, "loss", tuple(members), (), inputs, ""), constants


def _layers(neurons: list[Group], index: Mapping[Value, int]) -> list[Group]:
    """Neurons of one nn layer that share their inputs (one sample) form a layer."""
    parts: dict[tuple[tuple[int, int], tuple[int, ...]], list[Group]] = {}
    order: list[Group | tuple[tuple[int, int], tuple[int, ...]]] = []
    for g in sorted(neurons, key=lambda g: index[g.members[-1]]):
        if g.layer is None:
            order.append(g)
            continue
        key = (g.layer, tuple(index[x] for x in g.inputs))
        if key not in parts:
            parts[key] = []
            order.append(key)
        parts[key].append(g)
    return [item if isinstance(item, Group) else _layer(parts[item], index) for item in order]


def _layer(neurons: list[Group], index: Mapping[Value, int]) -> Group:
    first = neurons[0]
    activations = {g.activation for g in neurons}
    return Group(
        first.layer_name or "layer",
        "layer",
        tuple(sorted((m for g in neurons for m in g.members), key=index.__getitem__)),
        tuple(p for g in neurons for p in g.params),
        first.inputs,
        first.activation if len(activations) == 1 else "mixed",
        size=len(neurons),
    )
