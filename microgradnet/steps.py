"""Forward and backward passes one node at a time, each step with its arithmetic written out.

    forward_steps(root)    the given leaves, then every computed node in topological order
                           (the expression's order: x before w in x·w), as its value is computed
    backward_steps(root)   the forward steps in reverse, from the root down: the gradient a node
                           holds when reached and, for each child, local derivative × gradient
                           = contribution

The steps are the nodes a drawing shows: a constant folded into its op (the exponent of "²",
``ops.constant_operands``) is no step, and a Constant is never differentiated (as a PyTorch
tensor without ``requires_grad``): no gradient is sent to it and the backward pass has no step
for it.

Nothing here reads or writes ``.grad``: the steps carry their own numbers, made in the same
order and by the same float operations as ``Value.backward`` (interior gradients start at 0, the
root at the seed, then ``child.grad += local * grad``; the leaves, which send nothing, come last),
so the last ``Push.total`` of every node equals what backward() leaves in its ``.grad``, bit for
bit. ``viz.draw(root, step=k)`` draws the graph after k backward steps and ``stepper.Stepper``
plays the steps in Jupyter.

References: the backpropagation notebook of the lecture notes (the chain rule on (x*w + b)**2),
the problem set "Inventing backprop" (the accumulated derivative d carried back through Masha's
network), karpathy's "spelled-out intro to neural networks and backpropagation" (micrograd's
backward, one node at a time).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import ops
from ._args import real_number as _real
from ._format import Format, number_format
from .chain_rule import ShortNames, wrap_name
from .engine import Constant, Value, topological_order
from .nn import ModulePlace, parameter_place


@dataclass(frozen=True, eq=False)
class Push:
    """What a backward step sends to one child: ``contribution = local × grad`` of the node, and
    ``total``, the child's gradient once the contribution is added."""

    child: Value
    local: float
    contribution: float
    total: float


@dataclass(frozen=True, eq=False)
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
        head = f"step {self.k}: {name} is reached with d{top}/d{wrap_name(name)} = {fmt(self.grad)}"
        if not self.pushes:
            kind = "only constants below" if self.node.children else "a leaf"
            return f"{head} ({kind}: nothing to pass on)"
        lines = [head]
        for p in self.pushes:
            child = f"d{top}/d{wrap_name(self.names[p.child])}"
            line = f"  {child} += {fmt(p.local)} × {fmt(self.grad)} = {fmt(p.contribution)}"
            if p.total != p.contribution:  # the child already held a gradient: it accumulates
                line += f", so {child} = {fmt(p.total)}"
            lines.append(line)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True, eq=False)
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

    def formula(self, precision: int = 6) -> str:
        """The operation on the operands' numbers, without its result: ``2·3`` for x·w (a
        quiz's hint); a leaf's own number."""
        fmt = number_format(precision)
        return _formula(self.node, fmt) if self.node.children else fmt(self.node.data)

    def __str__(self) -> str:
        return self.text()


def backward_steps(
    root: Value, *, grad: float = 1.0, accumulate: bool = False
) -> Iterator[BackwardStep]:
    """The backward pass from root, one BackwardStep per node of forward_steps(root) but the
    constants, in reverse: each computed node in reverse topological order, then the leaves.

    ``grad`` seeds d root / d root. Leaves start from 0 (a fresh pass, as after zero_grad), or
    with ``accumulate`` from their current ``.grad``, exactly as backward() would add to them.
    No ``.grad`` is read (except with accumulate) or written.
    """
    _check_root(root, "backward_steps")
    order = topological_order(root)
    seed = _real(grad, "backward_steps(grad)")
    return _backward(root, order, seed, bool(accumulate), step_names(root, order))


def forward_steps(root: Value) -> Iterator[ForwardStep]:
    """The forward pass up to root, one ForwardStep per node drawn: first the given leaves
    (inputs, parameters, constants) in the order the computation first reads them, then each
    computed node in topological order. A constant folded into its op (the 2 of "²") is no
    step."""
    _check_root(root, "forward_steps")
    order = topological_order(root)
    names = step_names(root, order)
    return (ForwardStep(k, v, v.data, names) for k, v in enumerate(step_order(order), 1))


def step_order(order: list[Value]) -> list[Value]:
    """The nodes of the forward steps, from a topological order: the leaves (but the folded
    operands) in the order the computation first reads them (operand by operand: x, w, then b
    in x·w + b; a network's first neuron's before the next layer's), then the computed nodes
    in the order given."""
    folded = folded_operands(order)
    computed = [v for v in order if v.children]
    reads = [c for v in computed for c in v.children if not c.children]
    leaves = dict.fromkeys(c for c in [*reads, *order] if not c.children and c not in folded)
    return [*leaves, *computed]


def folded_operands(order: list[Value]) -> set[Value]:
    """The operands drawn inside the op that reads them (a constant exponent: "²") and read
    nowhere else: no drawing shows them as nodes, so they are no steps."""
    folded: set[Value] = set()
    unfolded: set[Value] = set()
    for v in order:
        inside = ops.constant_operands(v) if v.children else ()
        for i, child in enumerate(v.children):
            (folded if i in inside else unfolded).add(child)
    return folded - unfolded


def grads_after(root: Value, k: int) -> tuple[dict[Value, float], list[BackwardStep]]:
    """The gradients of a fresh backward pass (seed 1) after its first k steps, and all the
    steps; a node not in the dict has received no gradient yet (the root holds the seed)."""
    steps = list(backward_steps(root))
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= len(steps):
        raise ValueError(f"step must be an int from 0 to {len(steps)} (the steps), got {k!r}")
    grads = {root: 1.0}
    for step in steps[:k]:
        for p in step.pushes:
            grads[p.child] = p.total
    return grads, steps


def step_names(root: Value, order: list[Value], max_len: int = 24) -> dict[Value, str]:
    """Readable names for step texts and drawings: labels; constants by their value; other
    unlabelled leaves x₁, x₂, ... in the order the graph first reads them (a network's inputs
    in input order); an nn neuron's sum and output by the neuron (``layers.0.neurons.3`` for its
    output, ``layers.0.neurons.3.z`` for the sum before the activation); other results by
    their expression (ops.text_form: ``x·w + b``, ``-(-z)``) while it has at most max_len
    characters, else a symbol (chain_rule.ShortNames: z₁ for a sum, a₁ for an activation, u₁
    otherwise). An unlabelled root is called L."""
    neurons = _neuron_names(root, order)
    names: dict[Value, str] = {}
    leaves, short = 0, ShortNames(max_len, taken=(v.label for v in order if v.label))
    for node in order:  # children come first: each name is made from its operands' names
        for child in node.children:
            if child not in names and not child.label and type(child) is not Constant:
                leaves += 1
                names[child] = "x" + str(leaves).translate(_SUBSCRIPTS)
        if node.label:
            names[node] = node.label
        elif node in names or (not node.children and type(node) is not Constant):
            continue  # an unlabelled leaf is named x₁, x₂, ... where it is first read
        elif type(node) is Constant:
            names[node] = number_format(6)(node.data)
        else:
            names[node] = neurons.get(node) or short(node, names)
    if not root.label:
        names[root] = "L"
    for node in order:  # leaves that nothing reads (only a root can be one)
        names.setdefault(node, number_format(6)(node.data))
    return names


def _neuron_names(root: Value, order: list[Value]) -> dict[Value, str]:
    """An nn neuron's sum and output by the neuron: ``layers.0.neurons.3.z`` for the sum
    before the activation, ``layers.0.neurons.3`` for its output (or its sum when it has no
    activation, or when the sum is the root)."""
    readers: dict[Value, list[Value]] = {}
    for node in order:
        for child in node.children:
            readers.setdefault(child, []).append(node)
    neurons: dict[Value, str] = {}
    for node in order:
        holder = neuron_of(node)
        if holder is None:
            continue
        neuron = holder.name or "neuron"
        after = readers.get(node, [])
        act = after[0] if len(after) == 1 and after[0].op == holder.activation else None
        if act is not None and node is not root:
            neurons[node], neurons[act] = f"{neuron}.z", neuron
        else:
            neurons[node] = neuron
    return neurons


def neuron_of(node: Value) -> ModulePlace | None:
    """The nn module (a Neuron) whose weights node sums, for a dot node; else None."""
    if node.op != "dot" or len(node.children) < 2:
        return None
    weights = node.children[: len(node.children) // 2]
    places = [parameter_place(w) for w in weights]
    holders = {(p.model, p.modules[-1]) for p in places if p is not None}
    if None in places or len(holders) != 1:
        return None
    return holders.pop()[1]


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


# -- internals ---------------------------------------------------------------------------------


def _backward(
    root: Value, order: list[Value], seed: float, accumulate: bool, names: dict[Value, str]
) -> Iterator[BackwardStep]:
    grads = {v: v.grad if accumulate and not v.children else 0.0 for v in order}
    grads[root] = grads[root] + seed if not root.children else seed  # as Value.backward does
    top = wrap_name(names[root])
    # the forward steps reversed: interior nodes in reverse topological order as backward()
    # visits them, then the leaves, which send nothing (so every += happens in backward's order)
    nodes = [v for v in reversed(step_order(order)) if type(v) is not Constant]
    for k, node in enumerate(nodes, 1):
        g = grads[node]
        pushes = []
        for child, d in zip(node.children, node.local_grads):
            if type(child) is Constant:  # a Constant is never differentiated
                continue
            contribution = d * g
            total = grads[child] + contribution
            grads[child] = total
            pushes.append(Push(child, d, contribution, total))
        yield BackwardStep(k, node, g, tuple(pushes), names, top)


MAX_FORMULA = 80  # characters; a longer formula (a wide sum) keeps its two ends
_BARE = re.compile(
    r"(?<![\w)])\((\d[\w.+]*|inf|nan)\)"
)  # (7) -> 7; e+ and e- exponents stay inside
_DOUBLE = re.compile(r"\(\((-[^()]*)\)\)")  # ((-4)) -> (-4)


def _formula(node: Value, fmt: Format) -> str:
    """node's operation on its children's numbers, written by the op table (ops.text_form):
    ``2·3``, ``tanh(0.5)``, ``1·2 + 3·4 + 1``; negative numbers in parentheses where an
    operator would touch them (``1/(-4)``)."""
    op = ops.op_of(node)
    texts = [fmt(c.data) for c in node.children]
    if op.notation in ("infix", "prefix", "power", "dot", "sum"):
        texts = [f"({t})" if t.startswith("-") else t for t in texts]
    # text_form parenthesizes compound operands; around a bare number that is noise: (7)² -> 7²
    text = _DOUBLE.sub(r"(\1)", _BARE.sub(r"\1", ops.text_form(node, texts)))
    if len(text) > MAX_FORMULA:
        keep = (MAX_FORMULA - 3) // 2
        text = f"{text[:keep]} … {text[-keep:]}"
    return text


def _check_root(root: object, where: str) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"{where}: root must be a Value, got {type(root).__name__}")


def __getattr__(name: str) -> Any:
    """``number_format``: the deprecated old home of ``microgradnet._format``'s formatter."""
    if name == "number_format":
        import warnings

        warnings.warn(
            "steps.number_format is deprecated: step texts format numbers with "
            "BackwardStep.text(precision)",
            DeprecationWarning,
            stacklevel=2,
        )
        return number_format
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
