"""The scalar autograd engine: Value, its operations, and reverse-mode backpropagation.

A Value holds a number and remembers how it was made: ``children`` are its operands, in operand
order, and ``local_grads`` the local derivatives d self / d child, computed in the forward pass.
The graph thus carries a number on every edge, as the figures of the lecture notes draw it, and
backward is one generic loop over a topological order::

    for node in reversed(order):
        for child, d in zip(node.children, node.local_grads):
            child.grad += d * node.grad

Each operation's derivative rule is written once, in ``RULES``, in a form that works on floats
(first derivatives, fast) and on Values (``gradients(..., create_graph=True)``: gradients that
are graphs themselves, for derivatives of any order). No node holds a closure, so a graph has no
reference cycles and is freed by reference counting as soon as it is dropped; nothing recurses.

Conventions: relu'(0) = 0, leaky_relu'(0) = alpha, sqrt'(0) = inf; NaN and inf data propagate by
IEEE rules, and an overflowing exp or ** gives inf instead of raising.

References: karpathy/micrograd (the Value API), HIPS autograd (a derivative rule beside each op),
PyTorch autograd (gradient accumulation, torch.autograd.grad).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from numbers import Real
from operator import mul
from typing import Any

Rule = Callable[..., tuple[Any, ...]]


class Value:
    """A scalar in a computation graph: ``data``, ``grad`` and how it was computed.

    Leaves (inputs, parameters) have ``op == ""`` and no children; every operation makes a new
    node with ``op`` set, ``children`` its operands and ``local_grads`` d self / d child.
    Values hash by identity, so they go in sets and dicts; comparisons are not overloaded.
    """

    __slots__ = ("__weakref__", "children", "data", "grad", "label", "local_grads", "op")
    __array_ufunc__ = None  # numpy scalars defer to our reflected operators

    data: float
    grad: float
    label: str
    op: str
    children: tuple[Value, ...]
    local_grads: tuple[float, ...]

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _to_float(data, "Value(data)")
        if not isinstance(label, str):
            raise TypeError(f"Value(label) must be a str, got {type(label).__name__}")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.children = ()
        self.local_grads = ()

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- arithmetic: a plain number operand becomes a Constant leaf ------------------------

    def __add__(self, other: Value | float) -> Value:
        o = other if isinstance(other, Value) else _operand(other)
        return NotImplemented if o is None else _make2("+", self.data + o.data, self, o)

    def __radd__(self, other: float) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _make2("+", o.data + self.data, o, self)

    def __sub__(self, other: Value | float) -> Value:
        o = other if isinstance(other, Value) else _operand(other)
        return NotImplemented if o is None else _make2("-", self.data - o.data, self, o)

    def __rsub__(self, other: float) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _make2("-", o.data - self.data, o, self)

    def __mul__(self, other: Value | float) -> Value:
        o = other if isinstance(other, Value) else _operand(other)
        return NotImplemented if o is None else _make2("*", self.data * o.data, self, o)

    def __rmul__(self, other: float) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _make2("*", o.data * self.data, o, self)

    def __truediv__(self, other: Value | float) -> Value:
        o = other if isinstance(other, Value) else _operand(other)
        return NotImplemented if o is None else _divide(self, o)

    def __rtruediv__(self, other: float) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _divide(o, self)

    def __pow__(self, other: Value | float) -> Value:
        o = other if isinstance(other, Value) else _operand(other)
        return NotImplemented if o is None else _power(self, o)

    def __rpow__(self, other: float) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _power(o, self)

    def __neg__(self) -> Value:
        return _make1("neg", -self.data, self)

    # -- functions ---------------------------------------------------------------------------

    def exp(self) -> Value:
        """e**x; overflows to inf."""
        return _make1("exp", _exp(self.data), self)

    def log(self) -> Value:
        """Natural logarithm, for x > 0."""
        x = self.data
        if x <= 0:
            raise ValueError(f"log: input must be > 0, got {x}{_named(self)}")
        return _make1("log", math.log(x), self)

    def sqrt(self) -> Value:
        """Square root, for x >= 0 (its derivative at 0 is inf)."""
        x = self.data
        if x < 0:
            raise ValueError(f"sqrt: input must be >= 0, got {x}{_named(self)}")
        return _make1("sqrt", math.sqrt(x), self)

    def tanh(self) -> Value:
        """Hyperbolic tangent; tanh' = 1 - tanh**2."""
        return _make1("tanh", math.tanh(self.data), self)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e**-x), without overflow for any x; s' = s(1 - s)."""
        return _make1("sigmoid", _sigmoid(self.data), self)

    def relu(self) -> Value:
        """max(0, x), with relu'(0) = 0 (NaN stays NaN)."""
        x = self.data
        return _make1("relu", 0.0 if x <= 0 else x, self)

    def leaky_relu(self, alpha: float = 0.01) -> Value:
        """x for x > 0, else alpha·x; leaky_relu'(0) = alpha; alpha becomes a Constant child."""
        a = _operand(alpha)
        if a is None or type(a) is not Constant:
            raise TypeError(f"leaky_relu: alpha must be a number, got {type(alpha).__name__}")
        x = self.data
        return _make2("leaky_relu", x if x > 0 else a.data * x, self, a)

    # -- backpropagation ---------------------------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every node below self with d self / d node (reverse mode).

        ``grad`` seeds d self / d self. Leaves accumulate across calls until zeroed; interior
        nodes hold the gradient of the latest call only (PyTorch's semantics). For gradients
        that can be differentiated again, use ``gradients(..., create_graph=True)``.
        """
        seed = _to_float(grad, "backward(grad)")
        order = _postorder(self, leaves=False)
        if not order:  # a leaf: d self / d self
            self.grad += seed
            return
        for node in order:
            node.grad = 0.0
        self.grad = seed
        for node in reversed(order):
            g = node.grad
            for child, d in zip(node.children, node.local_grads):
                child.grad += d * g

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on self and every node below it."""
        for node in topological_order(self):
            node.grad = 0.0

    def draw(self, **kwargs: Any) -> Any:
        """The graph below self as a graphviz.Digraph: ``microgradnet.viz.draw(self, **kwargs)``."""
        from .viz import draw

        return draw(self, **kwargs)


class Constant(Value):
    """A leaf made from a plain number operand, as the 2 in ``2 * x``: drawn, never trained."""

    __slots__ = ()


def dot(
    weights: Sequence[Value | float],
    inputs: Sequence[Value | float],
    bias: Value | float | None = None,
) -> Value:
    """Σ w_i·x_i (+ bias) as one node with children (w_1..w_n, x_1..x_n[, bias]).

    A neuron's pre-activation in a single node: the local derivatives are x_i for w_i, w_i for
    x_i and 1 for the bias, so the graph of a network has a node per neuron, not per multiply.
    """
    return _linear([weights], [inputs], None if bias is None else [bias], "dot")[0][0]


def linear(
    weights: Sequence[Sequence[Value | float]],
    inputs: Sequence[Value | float],
    biases: Sequence[Value | float] | None = None,
) -> list[Value]:
    """z = W x (+ b): one ``dot`` node per row of W, a layer's pre-activations for one sample.

    ``dot(w, x, b)`` is the one-row case; ``linear_batch`` does a batch of samples at once.
    """
    return _linear(weights, [inputs], biases, "linear")[0]


def linear_batch(
    weights: Sequence[Sequence[Value | float]],
    batch: Sequence[Sequence[Value | float]],
    biases: Sequence[Value | float] | None = None,
) -> list[list[Value]]:
    """linear(weights, x, biases) for each sample x of batch, the weights checked and read once."""
    return _linear(weights, batch, biases, "linear_batch")


def _linear(
    weights: Sequence[Sequence[Value | float]],
    batch: Sequence[Sequence[Value | float]],
    biases: Sequence[Value | float] | None,
    name: str,
) -> list[list[Value]]:
    """The dot nodes of W x (+ b) for each x in batch; errors name the public function."""
    rows = [_operands(row, f"{name}(weights)") for row in weights]
    bs = [None] * len(rows) if biases is None else _operands(biases, f"{name}(biases)")
    if len(bs) != len(rows):
        raise ValueError(f"{name}: got {len(rows)} rows of weights but {len(bs)} biases")
    n = len(rows[0]) if rows else 0
    for ws in rows:
        if len(ws) != n:
            raise ValueError(f"{name}: rows of weights differ in length, {n} and {len(ws)}")
    plan = [(tuple(ws), [w.data for w in ws], b) for ws, b in zip(rows, bs)]
    out = []
    for inputs in batch:
        xs = tuple(_operands(inputs, f"{name}(inputs)"))
        if len(xs) != n or not n:
            raise ValueError(
                f"{name}: needs as many weights as inputs, at least one; got {n} and {len(xs)}"
            )
        xd = [x.data for x in xs]
        zs = []
        for ws, wd, b in plan:
            z = sum(map(mul, wd, xd))
            if b is None:
                zs.append(_node("dot", z, ws + xs, _dot_locals(wd, xd, False)))
            else:
                zs.append(_node("dot", z + b.data, (*ws, *xs, b), _dot_locals(wd, xd, True)))
        out.append(zs)
    return out


def vsum(values: Iterable[Value | float]) -> Value:
    """Σ values as one node whose local derivatives are all 1."""
    children = tuple(_operands(values, "vsum"))
    if not children:
        raise ValueError("vsum: needs at least one value")
    out = sum([c.data for c in children])
    return _node("sum", out, children, RULES["sum"](out, *children))


def topological_order(root: Value) -> list[Value]:
    """Every node of root's graph once, each after all of its children."""
    return _postorder(root, leaves=True)


def gradients(
    root: Value,
    wrt: Sequence[Value],
    *,
    grad: Value | float = 1.0,
    create_graph: bool = False,
) -> list[Any]:
    """d root / d w for each w in wrt, touching no ``.grad`` (like torch.autograd.grad).

    With ``create_graph`` the gradients are Values built from the derivative rules, so they can
    be differentiated again (a gradient that does not depend on any Value stays a float);
    otherwise they are floats. A w that root does not depend on gets 0.0.
    """
    grads: dict[Value, Any] = {root: grad}
    for node in reversed(_postorder(root, leaves=False)):
        g = grads.get(node)
        if g is None:
            continue
        local = _local_grads_as_values(node) if create_graph else node.local_grads
        for child, d in zip(node.children, local):
            prev = grads.get(child)
            grads[child] = d * g if prev is None else prev + d * g
    return [grads.get(w, 0.0) for w in wrt]


# -- derivative rules: (out, *operands) -> d out / d operand, for floats and Values alike -------


def _d_pow(out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """d x**y / dx = y·x**(y-1); d x**y / dy = x**y·ln x, or 0 where x <= 0 (see _power).

    At x = 0 (where y >= 0, as _power checks): d/dx is 0 for y = 0 and inf for 0 < y < 1.
    """
    xd, yd = _data(x), _data(y)
    if xd == 0 and yd < 1:
        dx: Any = 0.0 if yd == 0 else math.inf
    else:
        dx = y * (
            x ** (y - 1) if isinstance(x, Value) or isinstance(y, Value) else _pow(xd, yd - 1)
        )
    dy = out * (x.log() if isinstance(x, Value) else math.log(x)) if xd > 0 else 0.0
    return dx, dy


def _dot_locals(ws: Sequence[Any], xs: Sequence[Any], bias: bool) -> tuple[Any, ...]:
    """z = Σ w_i·x_i (+ b): dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1."""
    return (*xs, *ws, 1.0) if bias else (*xs, *ws)


def _d_dot(out: Any, *operands: Any) -> tuple[Any, ...]:
    """_dot_locals for operands (w_1..w_n, x_1..x_n[, b])."""
    n = len(operands) // 2
    return _dot_locals(operands[:n], operands[n : 2 * n], len(operands) % 2 == 1)


RULES: dict[str, Rule] = {
    "+": lambda out, a, b: (1.0, 1.0),
    "-": lambda out, a, b: (1.0, -1.0),
    "*": lambda out, a, b: (b, a),
    "/": lambda out, a, b: (1 / b, -out / b),
    "**": _d_pow,
    "neg": lambda out, a: (-1.0,),
    "exp": lambda out, a: (out,),
    "log": lambda out, a: (1 / a,),
    "sqrt": lambda out, a: (0.5 / out if _data(out) else math.inf,),
    "tanh": lambda out, a: (1 - out * out,),
    "sigmoid": lambda out, a: (out * (1 - out),),
    "relu": lambda out, a: (1.0 if _data(a) > 0 else 0.0,),
    "leaky_relu": lambda out, a, alpha: (
        1.0 if _data(a) > 0 else alpha,
        a if _data(a) < 0 else 0.0,
    ),
    "sum": lambda out, *xs: (1.0,) * len(xs),
    "dot": _d_dot,
}


# -- internals ---------------------------------------------------------------------------------

_new = object.__new__


def _node(op: str, out: float, children: tuple[Value, ...], local_grads: tuple[Any, ...]) -> Value:
    """A new interior node; every operation ends here."""
    node: Value = _new(Value)
    node.data = out
    node.grad = 0.0
    node.label = ""
    node.op = op
    node.children = children
    node.local_grads = local_grads
    return node


def _make1(op: str, out: float, x: Value) -> Value:
    """A node for a one-operand op, its local derivative from RULES."""
    return _node(op, out, (x,), RULES[op](out, x.data))


def _make2(op: str, out: float, x: Value, y: Value) -> Value:
    """A node for a two-operand op, its local derivatives from RULES."""
    return _node(op, out, (x, y), RULES[op](out, x.data, y.data))


def _local_grads_as_values(node: Value) -> tuple[Any, ...]:
    """node's local derivatives as graph nodes: RULES applied to the operand Values.

    Constant operands enter as plain numbers, so x**3 differentiates to 3·x**2 with a number
    exponent (defined for negative x) and constants add no nodes.
    """
    operands = [c.data if type(c) is Constant else c for c in node.children]
    return RULES[node.op](node, *operands)


_EXIT = object()  # stack marker: the node below it has had all its children visited


def _postorder(root: Value, *, leaves: bool) -> list[Value]:
    """root's graph children-first, by iterative depth-first search; leaves only if asked."""
    if not (leaves or root.children):
        return []
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Any] = [root]
    push, pop, visit, emit = stack.append, stack.pop, seen.add, order.append
    while stack:
        node = pop()
        if node is _EXIT:
            emit(pop())
        elif node not in seen:
            visit(node)
            push(node)
            push(_EXIT)
            for child in node.children:
                if (leaves or child.children) and child not in seen:
                    push(child)
    return order


def _divide(a: Value, b: Value) -> Value:
    if b.data == 0:
        raise ZeroDivisionError(f"/: division by zero, {a.data} / {b.data}{_named(b)}")
    return _make2("/", a.data / b.data, a, b)


def _power(base: Value, exponent: Value) -> Value:
    """base ** exponent. With a negative base the exponent must be an integer number: the
    derivative x**y·ln x with respect to a Value exponent would be undefined there."""
    x, y = base.data, exponent.data
    if x == 0 and y < 0:
        raise ZeroDivisionError(f"**: 0 raised to the negative power {y}{_named(base)}")
    if x < 0 and not float(y).is_integer():
        raise ValueError(f"**: negative base {x}{_named(base)} with non-integer exponent {y}")
    if x < 0 and type(exponent) is not Constant:
        raise ValueError(
            f"**: negative base {x}{_named(base)} with a Value exponent{_named(exponent)}: "
            "d/d exponent = x**y·ln(x) is undefined for x < 0; use a number exponent"
        )
    return _make2("**", _pow(x, y), base, exponent)


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except OverflowError:
        return -math.inf if x < 0 and y % 2 == 1 else math.inf


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _data(x: Any) -> float:
    return float(x.data if isinstance(x, Value) else x)


def _named(v: Value) -> str:
    return f" (label {v.label!r})" if v.label else ""


def _to_float(x: object, where: str) -> float:
    if type(x) is float:
        return x
    if isinstance(x, Real):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{where}: {x!r} is too large for a float") from None
    raise TypeError(f"{where} must be a real number, got {type(x).__name__}: {x!r:.60}")


def _operand(x: object) -> Value | None:
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int:
        c = _new(Constant)
        c.data, c.grad, c.label, c.op, c.children, c.local_grads = float(x), 0.0, "", "", (), ()
        return c
    if isinstance(x, Real):
        return Constant(float(x))
    return None


def _operands(xs: Iterable[Value | float], where: str) -> Sequence[Value]:
    """xs as Values (numbers become Constants); a list or tuple of Values comes back as is."""
    if type(xs) in (list, tuple) and all(map(isinstance, xs, repeat(Value))):
        return xs  # type: ignore[return-value]
    out = []
    for x in xs:
        v = _operand(x)
        if v is None:
            raise TypeError(f"{where}: expected Values or numbers, got {type(x).__name__}")
        out.append(v)
    return out
