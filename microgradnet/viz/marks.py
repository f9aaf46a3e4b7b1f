"""Marks: what one picture of a scene emphasises. A step-through frame is the scene with the
marks of its step; a still drawing has the marks of ``highlight``.

- highlight: the nodes and edges of a Value, Values, or a Path or Explanation (orange);
- after backward step k (``step=k``): the gradients of a fresh backward pass (seed 1) after k
  steps (``steps.grads_after``), the nodes reached so far, the current node (outlined red) and
  the nodes it just sent gradient to (outlined orange); the others are grey;
- after forward step k (``forward_step=k``): the values computed so far; the others are "?".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..engine import Value
from ..steps import grads_after
from .options import DrawOptions
from .scene import Scene


@dataclass(frozen=True, eq=False)
class Marks:
    """The state a picture shows: which values are known (forward: index < known_below), which
    nodes the backward pass has reached (index >= reached_from), their gradients (``grads``;
    None: each Value's ``.grad``), the current node, the nodes it just sent gradient to, and
    the highlighted nodes and (parent, child) edges."""

    index: Mapping[Value, int]
    known_below: int
    reached_from: int = 0
    phase: str = ""  # "", "forward" or "backward"
    grads: Mapping[Value, float] | None = None
    current: Value | None = None
    received: frozenset[Value] = frozenset()
    marked: frozenset[Value] = frozenset()
    marked_edges: frozenset[tuple[Value, Value]] = frozenset()

    def known(self, v: Value) -> bool:
        """v's value is computed (always, but in a forward step)."""
        return self.index[v] < self.known_below

    def reached(self, v: Value) -> bool:
        """v holds its whole gradient (always, but in a step)."""
        return self.index[v] >= self.reached_from

    def grad_of(self, v: Value) -> float:
        return v.grad if self.grads is None else self.grads.get(v, 0.0)


def marks_for(scene: Scene, options: DrawOptions) -> Marks:
    """The marks options ask for: highlight, and step or forward_step."""
    plain = Marks(
        scene.index,
        len(scene.order),
        marked=options.marked,
        marked_edges=options.marked_edges,
    )
    if options.step is not None:
        return after_backward_step(scene, options.step, plain)
    if options.forward_step is not None:
        return after_forward_step(scene, options.forward_step, plain)
    return plain


def after_backward_step(scene: Scene, k: int, marks: Marks) -> Marks:
    """marks after k steps of a fresh backward pass; ValueError unless 0 <= k <= nodes."""
    grads, steps = grads_after(scene.root, k)
    return replace(
        marks,
        phase="backward",
        reached_from=len(scene.order) - k,
        grads=grads,
        current=steps[k - 1].node if k else None,
        received=frozenset(p.child for p in steps[k - 1].pushes) if k else frozenset(),
    )


def after_forward_step(scene: Scene, k: int, marks: Marks) -> Marks:
    """marks after k forward steps; ValueError unless 0 <= k <= nodes."""
    n = len(scene.order)
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= n:
        raise ValueError(f"forward_step must be an int from 0 to {n} (the nodes), got {k!r}")
    return replace(
        marks,
        phase="forward",
        known_below=k,
        reached_from=n,
        current=scene.order[k - 1] if k else None,
    )
