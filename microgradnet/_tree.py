"""Small pytrees of scalars, as JAX calls them: the containers the transforms see through.

A pytree is a scalar (a leaf) or a tuple, list, dict or namedtuple of pytrees, nested. The
transforms flatten an argument into its leaves, differentiate with respect to each, and put the
gradients back into the same structure:

    leaves, structure = flatten({"w": (1.0, 2.0), "b": 0.5}, "params")
    unflatten(structure, [g1, g2, g3])     # {"b": g1, "w": (g2, g3)}

Dict keys are visited in sorted order when they can be sorted (as JAX does), so two dicts with the
same keys have the same structure whatever their insertion order. Any other object (a number, a
Value, a string, an array, a subclass of list) is a leaf; the caller decides which leaves it
accepts. Walks use explicit stacks; a structure that contains itself, or one of more than
``MAX_NODES`` nodes, is refused with a ValueError naming ``where``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

MAX_NODES = 1_000_000  # containers and leaves in one pytree; past it flatten fails fast

_LEAF = "*"
_EXIT = object()  # stack marker: the container below it has been walked


@dataclass(frozen=True)
class Structure:
    """A pytree's shape: in depth-first order, each node as (kind, keys), with kind one of
    "*" (a leaf), tuple, list, dict, OrderedDict or a namedtuple class; keys are a dict's keys
    or a sequence's length. Two pytrees have the same structure when these are equal."""

    nodes: tuple[tuple[Any, Any], ...]

    @property
    def n_leaves(self) -> int:
        return sum(1 for kind, _ in self.nodes if kind == _LEAF)

    @property
    def is_leaf(self) -> bool:
        return self.nodes == ((_LEAF, None),)

    def __str__(self) -> str:
        return describe(self)


def _kind(node: object) -> Any:
    """The container kind of node, or None for a leaf."""
    t = type(node)
    if t is tuple or t is list or t is dict or t is OrderedDict:
        return t
    if isinstance(node, tuple) and hasattr(t, "_fields"):
        return t  # a namedtuple (or a subclass of one)
    return None


def _items(node: Any, kind: Any) -> list[tuple[Any, Any]]:
    """(key, child) pairs of a container: sorted keys for a dict when they sort, else in order;
    indices for a sequence."""
    if kind is dict or kind is OrderedDict:
        keys = list(node)
        with suppress(TypeError):  # keys that do not sort keep their order
            keys = sorted(keys)
        return [(k, node[k]) for k in keys]
    return list(enumerate(node))


def _child_path(path: str, kind: Any, key: Any) -> str:
    if kind is dict or kind is OrderedDict:
        return f"{path}[{key!r}]"
    if kind is tuple or kind is list:
        return f"{path}[{key}]"
    return f"{path}.{kind._fields[key]}"


def flatten(tree: Any, where: str = "") -> tuple[list[Any], Structure, list[str]]:
    """(leaves in depth-first order, the structure, each leaf's path from ``where``)."""
    leaves: list[Any] = []
    paths: list[str] = []
    nodes: list[tuple[Any, Any]] = []
    open_ids: set[int] = set()  # containers on the path from the root: a cycle comes back
    stack: list[Any] = [(tree, where)]
    while stack:
        item = stack.pop()
        if item[0] is _EXIT:
            open_ids.discard(item[1])
            continue
        node, path = item
        if len(nodes) >= MAX_NODES:
            raise ValueError(f"{where or 'pytree'}: more than {MAX_NODES:,} nodes (the bound)")
        kind = _kind(node)
        if kind is None:
            nodes.append((_LEAF, None))
            leaves.append(node)
            paths.append(path)
            continue
        if id(node) in open_ids:
            raise ValueError(f"{where or 'pytree'}: {path or 'the pytree'} contains itself")
        items = _items(node, kind)
        keys = tuple(k for k, _ in items) if kind is dict or kind is OrderedDict else len(items)
        nodes.append((kind, keys))
        open_ids.add(id(node))
        stack.append((_EXIT, id(node)))
        stack.extend((child, _child_path(path, kind, k)) for k, child in reversed(items))
    return leaves, Structure(tuple(nodes)), paths


def unflatten(structure: Structure, leaves: Any) -> Any:
    """The pytree of the given structure with these leaves, in depth-first order."""
    supply: Iterator[Any] = iter(leaves)
    open_: list[tuple[Any, Any, list[Any]]] = []  # containers being filled: kind, keys, children
    done: Any = None
    for kind, keys in structure.nodes:
        if kind == _LEAF:
            done = next(supply)
        else:
            open_.append((kind, keys, []))
            if _size(keys):
                continue
            done = _build(*open_.pop())
        while True:  # hand the finished node up, closing every container it completes
            if not open_:
                break
            _, keys_, kids = open_[-1]
            kids.append(done)
            if len(kids) < _size(keys_):
                break
            done = _build(*open_.pop())
    return done


def _size(keys: Any) -> int:
    return keys if isinstance(keys, int) else len(keys)


def _build(kind: Any, keys: Any, kids: list[Any]) -> Any:
    if kind is dict or kind is OrderedDict:
        return kind(zip(keys, kids))
    if kind is tuple or kind is list:
        return kind(kids)
    return kind(*kids)  # a namedtuple


def map_leaves(fn: Callable[[Any], Any], tree: Any, where: str = "") -> Any:
    """The pytree with fn applied to each leaf."""
    leaves, structure, _ = flatten(tree, where)
    return unflatten(structure, [fn(x) for x in leaves])


def describe(structure: Structure) -> str:
    """A structure as text: ``*`` for a leaf, ``(*, *)``, ``[*]``, ``{'a': *}``, ``Point(*, *)``."""
    parts: list[str] = []
    open_: list[list[Any]] = []  # kind, keys, number of children written so far

    def opened(kind: Any, keys: Any) -> str:
        if kind is tuple:
            return "("
        if kind is list:
            return "["
        if kind is dict or kind is OrderedDict:
            return "{"
        return f"{kind.__name__}("

    closing = {tuple: ")", list: "]", dict: "}", OrderedDict: "}"}
    for kind, keys in structure.nodes:
        if open_:
            top = open_[-1]
            if top[2]:
                parts.append(", ")
            if top[0] is dict or top[0] is OrderedDict:
                parts.append(f"{top[1][top[2]]!r}: ")
            top[2] += 1
        if kind == _LEAF:
            parts.append("*")
        else:
            parts.append(opened(kind, keys))
            open_.append([kind, keys, 0])
        while open_ and open_[-1][2] == _size(open_[-1][1]):
            k = open_.pop()[0]
            parts.append(closing.get(k, ")"))
    return "".join(parts)
