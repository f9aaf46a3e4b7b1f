"""Forward and backward passes one node at a time, each step with its arithmetic written out.

    forward_steps(root)    every node in topological order, as its value is computed
    backward_steps(root)   every node in reverse topological order: the gradient it holds when
                           reached and, for each child, local derivative × gradient = contribution

Nothing here reads or writes ``.grad``: the steps carry their own numbers, made in the same
order and by the same float operations as ``Value.backward`` (interior gradients start at 0, the
root at the seed, then ``child.grad += local * grad``), so the last ``Push.total`` of every node
equals what backward() leaves in its ``.grad``, bit for bit. ``viz.draw(root, step=k)`` draws the
graph after k backward steps and ``viz.Stepper`` plays the steps in Jupyter.

References: the lecture notes in ../shared/seeds (001: the chain rule on (x*w + b)**2; 002: the
accumulated derivative d carried back through Masha's network), karpathy's "spelled-out intro
to neural networks and backpropagation" (micrograd's backward, one node at a time).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from numbers import Real

from .autodiff import expression_names, wrap_name
from .engine import Constant, Value, topological_order


@dataclass(frozen=True)
class Push:
    """What a backward step sends to one child: ``contribution = local × grad`` of the node, and
    ``total``, the child's gradient once the contribution is added."""

    child: Value
    local: float
    contribution: float
    total: float


@dataclass(frozen=True)
class BackwardStep:
    """Step k (1-based) of the backward pass: ``node`` is reached holding ``grad`` = d root / d
    node, complete by then, and sends one Push per child. ``draw(root, step=k)`` shows the graph
    just after it."""

    k: int
    node: Value
    grad: float
    pushes: tuple[Push, ...]
    names: Mapping[Value, str] = field(repr=False, compare=False)
    top: str = field(default="L", repr=False, compare=False)  # the root's name in dL/d...

    def text(self, precision: int = 6) -> str:
        """The step's arithmetic, such as ``dL/dw += 2 × 14 = 28``, one line per child that is
        not a constant."""
        fmt = number_format(precision)
        top, name = self.top, self.names[self.node]
        if type(self.node) is Constant:  # its gradient is computed but means nothing
            return f"step {self.k}: {name} is a constant: not differentiated"
        head = f"step {self.k}: {name} is reached with d{top}/d{wrap_name(name)} = {fmt(self.grad)}"
        pushes = [p for p in self.pushes if type(p.child) is not Constant]
        if not pushes:  # a constant's share is computed but of no use: not shown
            kind = "only constants below" if self.pushes else "a leaf"
            return f"{head} ({kind}: nothing to pass on)"
        lines = [head]
        for p in pushes:
            child = f"d{top}/d{wrap_name(self.names[p.child])}"
            line = f"  {child} += {fmt(p.local)} × {fmt(self.grad)} = {fmt(p.contribution)}"
            if p.total != p.contribution:  # the child already held a gradient: it accumulates
                line += f", so {child} = {fmt(p.total)}"
            lines.append(line)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class ForwardStep:
    """Step k (1-based) of the forward pass: ``node`` gets its value ``data`` from its children's
    (a leaf is simply given). ``draw(root, forward_step=k)`` shows the graph just after it."""

    k: int
    node: Value
    data: float
    names: Mapping[Value, str] = field(repr=False, compare=False)

    def text(self, precision: int = 6) -> str:
        """The step's arithmetic, such as ``x*w = 2 × 3 = 6``."""
        fmt = number_format(precision)
        node, name = self.node, self.names[self.node]
        if type(node) is Constant:
            return f"step {self.k}: the constant {fmt(node.data)}"
        if not node.children:
            return f"step {self.k}: {name} = {fmt(node.data)} (given)"
        return f"step {self.k}: {name} = {_formula(node, fmt)} = {fmt(node.data)}"

    def __str__(self) -> str:
        return self.text()


def backward_steps(
    root: Value, *, grad: float = 1.0, accumulate: bool = False
) -> Iterator[BackwardStep]:
    """The backward pass from root, one BackwardStep per node in reverse topological order.

    ``grad`` seeds d root / d root. Leaves start from 0 (a fresh pass, as after zero_grad), or
    with ``accumulate`` from their current ``.grad``, exactly as backward() would add to them.
    No ``.grad`` is read (except with accumulate) or written.
    """
    _check_root(root, "backward_steps")
    order = topological_order(root)
    seed = _real(grad, "backward_steps(grad)")
    return _backward(root, order, seed, bool(accumulate), step_names(root, order))


def forward_steps(root: Value) -> Iterator[ForwardStep]:
    """The forward pass up to root, one ForwardStep per node in topological order (leaves too)."""
    _check_root(root, "forward_steps")
    order = topological_order(root)
    names = step_names(root, order)
    return (ForwardStep(k, node, node.data, names) for k, node in enumerate(order, 1))


def grads_after(root: Value, k: int) -> tuple[dict[Value, float], list[BackwardStep]]:
    """The gradients of a fresh backward pass (seed 1) after its first k steps, and all the
    steps; nodes not in the dict hold 0."""
    steps = list(backward_steps(root))
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= len(steps):
        raise ValueError(f"step must be an int from 0 to {len(steps)} (the nodes), got {k!r}")
    grads = {root: 1.0}
    for step in steps[:k]:
        for p in step.pushes:
            grads[p.child] = p.total
    return grads, steps


def step_names(root: Value, order: list[Value]) -> dict[Value, str]:
    """Readable names for the step texts: labels or expressions (autodiff.expression_names);
    an unlabelled root is called L."""
    names: dict[Value, str] = dict(expression_names(order))
    if not root.label:
        names[root] = "L"
    return names


# -- internals ---------------------------------------------------------------------------------


def _backward(
    root: Value, order: list[Value], seed: float, accumulate: bool, names: dict[Value, str]
) -> Iterator[BackwardStep]:
    grads = {v: v.grad if accumulate and not v.children else 0.0 for v in order}
    grads[root] = grads[root] + seed if not root.children else seed  # as Value.backward does
    top = wrap_name(names[root])
    for k, node in enumerate(reversed(order), 1):
        g = grads[node]
        pushes = []
        for child, d in zip(node.children, node.local_grads):
            contribution = d * g
            total = grads[child] + contribution
            grads[child] = total
            pushes.append(Push(child, d, contribution, total))
        yield BackwardStep(k, node, g, tuple(pushes), names, top)


_CALLS = {
    "exp": "exp",
    "log": "log",
    "sqrt": "√",
    "tanh": "tanh",
    "sigmoid": "σ",
    "relu": "ReLU",
}
_INFIX = {"+": "+", "-": "-", "*": "×", "/": "/", "**": "^"}


def _formula(node: Value, fmt: _Format) -> str:
    """node's operation on its children's numbers: ``2 × 3``, ``tanh(0.5)``, ``1×2 + 3×4 + 1``."""
    xs = [fmt(c.data) for c in node.children]
    args = [f"({x})" if x.startswith("-") else x for x in xs]
    op = node.op
    if op in _INFIX and len(args) == 2:
        return f"{args[0]} {_INFIX[op]} {args[1]}"
    if op in _CALLS:
        return f"{_CALLS[op]}({xs[0]})"
    if op == "neg":
        return f"-{args[0]}"
    if op == "leaky_relu":
        return f"LeakyReLU({xs[0]}, α={xs[1]})"
    if op == "sum":
        return _join_terms(args)
    if op == "dot":
        n = len(args) // 2
        terms = [f"{w}×{x}" for w, x in zip(args[:n], args[n : 2 * n])]
        return _join_terms(terms + args[2 * n :])
    return f"{op}({', '.join(xs)})"


def _join_terms(terms: list[str], keep: int = 3) -> str:
    if len(terms) > 2 * keep + 1:
        hidden = len(terms) - 2 * keep
        terms = [*terms[:keep], f"…({hidden} more terms)…", *terms[-keep:]]
    return " + ".join(terms)


class _Format:
    """Numbers to text with a given number of significant digits; -0 prints as 0."""

    def __init__(self, precision: int) -> None:
        self.spec = f".{precision}g"

    def __call__(self, x: float) -> str:
        if x == 0:
            return "0"
        return format(x, self.spec) if math.isfinite(x) else str(x)


def number_format(precision: int, where: str = "") -> _Format:
    """A formatter to ``precision`` significant digits (1 to 17); where names the caller."""
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}precision must be an int from 1 to 17, got {precision!r}")
    return _Format(precision)


def _real(x: object, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{where} must be a real number, got {type(x).__name__}")
    return float(x)


def _check_root(root: object, where: str) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"{where}: root must be a Value, got {type(root).__name__}")
