"""Marks: what one picture of a scene emphasises. A step-through frame is the scene with the
marks of its step; a still drawing has the marks of ``highlight``.

- highlight: the nodes and edges of a Value, Values, or a Path or Explanation (orange);
- after backward step k (``step=k``): the gradients of a fresh backward pass (seed 1) after k
  steps (``steps.grads_after``; "?" where none has arrived yet), the nodes reached so far, the
  current node (outlined red) and the nodes whose gradient it changed (outlined orange); the
  others are grey. Step 0 is the seed: the root outlined, holding d root / d root = 1;
- after forward step k (``forward_step=k``): the values computed so far (the others are "?"),
  the node just computed outlined red;
- the question of step k in a quiz (``asking``): the picture before the step with its node
  outlined red, what the step computes or sends still unknown.

The steps are those of ``steps.forward_steps`` and ``steps.backward_steps``: a picture and the
step texts talk about the same nodes. ``over_run`` marks a frame showing several steps at once
(the given leaves, the leaves reached): no current node, every node of the run outlined orange.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from ..engine import Value
from ..steps import grads_after, step_order
from .options import DrawOptions
from .scene import Scene


@dataclass(frozen=True, eq=False)
class Marks:
    """The state a picture shows: the values not computed yet (``pending``), the nodes the
    backward pass has not reached yet (``waiting``), their gradients (``grads``: None for each
    Value's ``.grad``; else a node missing from it has no gradient yet), the current node, the
    nodes whose gradient the step changed (``received``), the seeded root at backward step 0,
    and the highlighted nodes and (parent, child) edges."""

    pending: frozenset[Value] = frozenset()
    waiting: frozenset[Value] = frozenset()
    phase: str = ""  # "", "forward" or "backward"
    grads: Mapping[Value, float] | None = None
    current: Value | None = None
    received: frozenset[Value] = frozenset()
    seed: Value | None = None
    marked: frozenset[Value] = frozenset()
    marked_edges: frozenset[tuple[Value, Value]] = frozenset()

    def known(self, v: Value) -> bool:
        """v's value is computed (always, but in a forward step)."""
        return v not in self.pending

    def reached(self, v: Value) -> bool:
        """v holds its whole gradient (always, but in a step; a constant needs none)."""
        return v not in self.waiting

    def is_current(self, nodes: Iterable[Value]) -> bool:
        """One of nodes is the current node (by identity: Values compare by their data)."""
        return self.current is not None and any(v is self.current for v in nodes)

    def gradient(self, v: Value) -> float | None:
        """v's gradient as far as the pass has gone: None before any has arrived."""
        return v.grad if self.grads is None else self.grads.get(v)

    def grad_of(self, v: Value) -> float:
        """v's gradient as a number (0 before any has arrived), for arithmetic on the arrows
        of reached nodes."""
        g = self.gradient(v)
        return 0.0 if g is None else g


def marks_for(scene: Scene, options: DrawOptions) -> Marks:
    """The marks options ask for: highlight, and step or forward_step."""
    plain = Marks(marked=options.marked, marked_edges=options.marked_edges)
    if options.step is not None:
        return after_backward_step(scene, options.step, plain)
    if options.forward_step is not None:
        return after_forward_step(scene, options.forward_step, plain)
    return plain


def after_backward_step(scene: Scene, k: int, marks: Marks) -> Marks:
    """marks after k steps of a fresh backward pass; ValueError unless 0 <= k <= steps."""
    grads, steps = grads_after(scene.root, k)
    if k == 0:  # the seed: the root holds d root / d root = 1, nothing is reached yet
        current, received = scene.root, frozenset({scene.root})
    else:
        current, received = steps[k - 1].node, frozenset(p.child for p in steps[k - 1].pushes)
    return replace(
        marks,
        phase="backward",
        waiting=frozenset(s.node for s in steps[k:]),
        grads=grads,
        current=current,
        received=received,
        seed=scene.root if k == 0 else None,
    )


def after_forward_step(scene: Scene, k: int, marks: Marks) -> Marks:
    """marks after k forward steps; ValueError unless 0 <= k <= steps."""
    nodes = step_order(list(scene.order))
    n = len(nodes)
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= n:
        raise ValueError(f"forward_step must be an int from 0 to {n} (the steps), got {k!r}")
    return replace(
        marks,
        phase="forward",
        pending=frozenset(nodes[k:]),
        waiting=frozenset(scene.order),
        current=nodes[k - 1] if k else None,
    )


def asking(scene: Scene, phase: str, k: int, marks: Marks) -> Marks:
    """marks of the question of step k (1-based) of phase, in a quiz: the picture before the
    step, its node outlined as current. Forward, the node's value still "?"; backward, the
    node in full colour with its whole gradient (complete before its step), its operands'
    gradients as they were, nothing sent yet (no red arrow leaves it)."""
    forward = phase == "forward"
    nodes = (
        step_order(list(scene.order))
        if forward
        else [s.node for s in grads_after(scene.root, 0)[1]]
    )
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(nodes):
        raise ValueError(f"step must be an int from 1 to {len(nodes)} (the steps), got {k!r}")
    node = nodes[k - 1]
    if forward:
        return replace(after_forward_step(scene, k - 1, marks), current=node)
    before = after_backward_step(scene, k - 1, marks)
    return replace(before, current=node, received=frozenset({node}))


def over_run(marks: Marks, nodes: Iterable[Value]) -> Marks:
    """marks of a frame showing a run of steps at once (the given leaves, the leaves reached):
    no current node, each node of the run outlined."""
    return replace(marks, current=None, received=marks.received | frozenset(nodes))
