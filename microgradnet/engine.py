"""The scalar autograd engine: Value, its operations, and reverse-mode backpropagation.

A Value holds a number and remembers how it was made: ``children`` are its operands, in operand
order, and ``local_grads`` the local derivatives d self / d child, computed in the forward pass.
The graph thus carries a number on every edge, as the figures of the lecture notes draw it, and
backward is one generic loop over a topological order::

    for node in reversed(order):
        for child, d in zip(node.children, node.local_grads):
            child.grad += d * node.grad

Every operation is declared once, in the op table (``microgradnet.ops.OPS``): its forward, its
derivative rule for floats, Values and numpy arrays, its domain and how it is written. The
operators below build their nodes inline for speed; a test checks them against the table. With
``gradients(..., create_graph=True)`` the table's rules are applied to Values, giving gradients
that are graphs themselves, for derivatives of any order. No node holds a closure, so a graph
has no reference cycles and is freed by reference counting as soon as it is dropped; nothing
recurses.

A node keeps one or two operands and their local derivatives in its own slots (a tuple only for
the n-ary ``dot`` and ``sum``), so CPython's cyclic collector tracks one object per node;
``children`` and ``local_grads`` read them as tuples.

Conventions: relu'(0) = 0, leaky_relu'(0) = alpha, abs'(0) = 0, sqrt'(0) = inf; NaN and inf data
propagate by IEEE rules, and an overflowing exp or ** gives inf instead of raising.

References: karpathy/micrograd (the Value API), HIPS autograd (a derivative rule beside each op),
PyTorch autograd (gradient accumulation, torch.autograd.grad).
"""

from __future__ import annotations

import gc
import math
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from itertools import repeat
from numbers import Real
from operator import mul
from typing import Any

from . import ops
from ._args import named as _named
from ._args import real_number as _to_float
from ._args import too_large as _too_large
from .ops import Op, _exp, _pow, _sigmoid

Rule = Callable[..., tuple[Any, ...]]


class _Nary:
    """The marker in a node's second-operand slot when its operands are a tuple (dot, sum)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<n-ary>"


_NARY: Any = _Nary()


class Value:
    """A scalar in a computation graph: ``data``, ``grad`` and how it was computed.

    Leaves (inputs, parameters) have ``op == ""`` and no children; every operation makes a new
    node with ``op`` set, ``children`` its operands and ``local_grads`` d self / d child.
    Comparisons and truth read the data, as PyTorch's 0-dim tensors do (``x < 0``, ``x == y``
    and ``bool(x)`` compare ``x.data``; NaN compares False) and ``float(x)`` is ``x.data``; Values
    hash by identity, so they go in sets and dicts as distinct keys. Use ``is`` for identity.
    Values combine with Python numbers (a number becomes a Constant leaf), not with arrays or
    bools.
    """

    __slots__ = ("__weakref__", "_a", "_b", "_da", "_db", "data", "grad", "label", "op")
    __array_ufunc__ = None  # numpy defers to our reflected operators, which explain the error

    data: float
    grad: float
    label: str
    op: str
    _a: Any  # None (leaf), the operand, or the tuple of operands (n-ary)
    _b: Any  # None (one operand), the second operand, or _NARY
    _da: Any  # d self / d _a, or the tuple of local derivatives (n-ary)
    _db: Any  # d self / d _b, or the op's parameter for a one-operand op (leaky_relu's alpha)

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _to_float(data, "Value(data)")
        if not isinstance(label, str):
            raise TypeError(f"Value(label) must be a str, got {type(label).__name__}")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self._a = self._b = self._da = self._db = None

    @property
    def children(self) -> tuple[Value, ...]:
        """The operands, in operand order (empty for a leaf); a transform's own variable
        (``variable``) is seen through, to the Value it stands for."""
        kids = _raw_children(self)
        if any(type(k) is _Variable for k in kids):
            kids = tuple(_seen_through(k) for k in kids)
        return kids

    @property
    def local_grads(self) -> tuple[Any, ...]:
        """d self / d child for each child, computed in the forward pass."""
        a, b = self._a, self._b
        if b is None:
            return () if a is None else (self._da,)
        return self._da if b is _NARY else (self._da, self._db)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- comparisons and truth: by value, as PyTorch's 0-dim tensors; hashing by identity ----

    def __eq__(self, other: object) -> bool:
        y = _compared(other, "==")
        return NotImplemented if y is None else self.data == y

    def __ne__(self, other: object) -> bool:
        y = _compared(other, "!=")
        return NotImplemented if y is None else self.data != y

    def __lt__(self, other: Value | float) -> bool:
        y = _compared(other, "<")
        return NotImplemented if y is None else self.data < y

    def __le__(self, other: Value | float) -> bool:
        y = _compared(other, "<=")
        return NotImplemented if y is None else self.data <= y

    def __gt__(self, other: Value | float) -> bool:
        y = _compared(other, ">")
        return NotImplemented if y is None else self.data > y

    def __ge__(self, other: Value | float) -> bool:
        y = _compared(other, ">=")
        return NotImplemented if y is None else self.data >= y

    __hash__ = object.__hash__  # identity: Values stay usable as dict keys and in sets

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return self.data

    # -- arithmetic: a plain number operand becomes a Constant leaf ------------------------
    # Each operator builds its node inline (the hot path); tests check it against ops.OPS.

    def __add__(self, other: Value | float) -> Value:
        o = other if type(other) is Value else _operand(other, "+")
        if o is None:
            return NotImplemented
        n = _new(Value)
        n.data, n.grad, n.label, n.op = self.data + o.data, 0.0, "", "+"
        n._a, n._b, n._da, n._db = self, o, 1.0, 1.0
        return n

    def __radd__(self, other: float) -> Value:
        o = _operand(other, "+")
        if o is None:
            return NotImplemented
        n = _new(Value)
        n.data, n.grad, n.label, n.op = o.data + self.data, 0.0, "", "+"
        n._a, n._b, n._da, n._db = o, self, 1.0, 1.0
        return n

    def __sub__(self, other: Value | float) -> Value:
        o = other if type(other) is Value else _operand(other, "-")
        if o is None:
            return NotImplemented
        n = _new(Value)
        n.data, n.grad, n.label, n.op = self.data - o.data, 0.0, "", "-"
        n._a, n._b, n._da, n._db = self, o, 1.0, -1.0
        return n

    def __rsub__(self, other: float) -> Value:
        o = _operand(other, "-")
        if o is None:
            return NotImplemented
        n = _new(Value)
        n.data, n.grad, n.label, n.op = o.data - self.data, 0.0, "", "-"
        n._a, n._b, n._da, n._db = o, self, 1.0, -1.0
        return n

    def __mul__(self, other: Value | float) -> Value:
        o = other if type(other) is Value else _operand(other, "*")
        if o is None:
            return NotImplemented
        n = _new(Value)
        x, y = self.data, o.data
        n.data, n.grad, n.label, n.op = x * y, 0.0, "", "*"
        n._a, n._b, n._da, n._db = self, o, y, x
        return n

    def __rmul__(self, other: float) -> Value:
        o = _operand(other, "*")
        if o is None:
            return NotImplemented
        n = _new(Value)
        x, y = o.data, self.data
        n.data, n.grad, n.label, n.op = x * y, 0.0, "", "*"
        n._a, n._b, n._da, n._db = o, self, y, x
        return n

    def __truediv__(self, other: Value | float) -> Value:
        o = other if type(other) is Value else _operand(other, "/")
        return NotImplemented if o is None else _divide(self, o)

    def __rtruediv__(self, other: float) -> Value:
        o = _operand(other, "/")
        return NotImplemented if o is None else _divide(o, self)

    def __pow__(self, other: Value | float) -> Value:
        o = other if type(other) is Value else _operand(other, "**")
        return NotImplemented if o is None else _power(self, o)

    def __rpow__(self, other: float) -> Value:
        o = _operand(other, "**")
        return NotImplemented if o is None else _power(o, self)

    def __neg__(self) -> Value:
        return _unary("neg", -self.data, self, -1.0)

    def __abs__(self) -> Value:
        return self.abs()

    # -- functions ---------------------------------------------------------------------------

    def exp(self) -> Value:
        """e**x; overflows to inf."""
        out = _exp(self.data)
        return _unary("exp", out, self, out)

    def log(self) -> Value:
        """Natural logarithm, for x > 0."""
        x = self.data
        if x <= 0:
            raise ValueError(f"log: input must be > 0, got {x}{_named(self)}")
        return _unary("log", math.log(x), self, 1 / x)

    def sqrt(self) -> Value:
        """Square root, for x >= 0 (its derivative at 0 is inf)."""
        x = self.data
        if x < 0:
            raise ValueError(f"sqrt: input must be >= 0, got {x}{_named(self)}")
        out = math.sqrt(x)
        return _unary("sqrt", out, self, 0.5 / out if out else math.inf)

    def tanh(self) -> Value:
        """Hyperbolic tangent; tanh' = 1 - tanh**2."""
        t = math.tanh(self.data)
        n: Value = _new(Value)
        n.data, n.grad, n.label, n.op = t, 0.0, "", "tanh"
        n._a, n._b, n._da, n._db = self, None, 1 - t * t, None
        return n

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e**-x), without overflow for any x; s' = s(1 - s)."""
        s = _sigmoid(self.data)
        return _unary("sigmoid", s, self, s * (1 - s))

    def relu(self) -> Value:
        """max(0, x), with relu'(0) = 0 (NaN stays NaN)."""
        x = self.data
        n: Value = _new(Value)
        n.data, n.grad, n.label, n.op = 0.0 if x <= 0 else x, 0.0, "", "relu"  # NaN stays NaN
        n._a, n._b, n._da, n._db = self, None, 1.0 if x > 0 else 0.0, None
        return n

    def leaky_relu(self, alpha: float = 0.01) -> Value:
        """x for x > 0, else alpha·x; leaky_relu'(0) = alpha. alpha is a parameter of the op
        (read it with ``microgradnet.ops.parameters(node)``), not a child node."""
        a, x = _parameter(alpha, "leaky_relu: alpha"), self.data
        n = _unary("leaky_relu", x if x > 0 else a * x, self, 1.0 if x > 0 else a)
        n._db = a
        return n

    def sin(self) -> Value:
        """Sine (radians); sin' = cos."""
        return _apply_op(_SIN, (self,))

    def cos(self) -> Value:
        """Cosine (radians); cos' = -sin."""
        return _apply_op(_COS, (self,))

    def abs(self) -> Value:
        """|x|, with abs'(0) = 0 (also ``abs(x)``)."""
        return _apply_op(_ABS, (self,))

    def softplus(self) -> Value:
        """log(1 + e**x), without overflow for large |x|; softplus' = sigmoid."""
        return _apply_op(_SOFTPLUS, (self,))

    def silu(self) -> Value:
        """x·sigmoid(x) (swish); silu' = s·(1 + x·(1 - s)), s = sigmoid(x)."""
        return _apply_op(_SILU, (self,))

    def gelu(self) -> Value:
        """x·Φ(x), Φ the standard normal CDF (the exact erf form); gelu' = Φ(x) + x·φ(x)."""
        return _apply_op(_GELU, (self,))

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
        nary = _NARY
        for node in reversed(order):
            g = node.grad
            a, b = node._a, node._b
            if b is None:
                a.grad += node._da * g
            elif b is nary:
                for child, d in zip(a, node._da):
                    child.grad += d * g
            else:
                a.grad += node._da * g
                b.grad += node._db * g

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on self and every node below it."""
        for node in topological_order(self):
            node.grad = 0.0

    def draw(self, **kwargs: Any) -> Any:
        """The graph below self as a graphviz.Digraph: ``microgradnet.viz.draw(self, **kwargs)``.

        The engine's one upward hook, for convenience; it imports the drawing module on use."""
        from .viz import draw

        return draw(self, **kwargs)


class Constant(Value):
    """A leaf made from a plain number operand, as the 2 in ``2 * x``: drawn, never trained."""

    __slots__ = ()


class _Variable(Value):
    """A transform's own variable standing for an outer Value (d self / d source = 1): the
    differentiation of one call is taken with respect to it, never to the outer Value, while
    outer transforms still see the dependence on the source. Readers of the graph never see it:
    ``children`` looks through it and ``topological_order`` leaves it out."""

    __slots__ = ()


def variable(source: Value | float, label: str = "") -> Value:
    """A fresh variable for one differentiation, with source's value.

    A number gives a new leaf. A Value gives a hidden node that stands for it: gradients with
    respect to the variable count only the paths through it, while the graph stays connected
    to source for an outer transform (the perturbation of nested differentiation stays apart).
    """
    if not isinstance(source, Value):
        return Value(source, label)
    n: Value = _new(_Variable)
    n.data, n.grad, n.label, n.op = source.data, 0.0, label, "identity"
    n._a, n._b, n._da, n._db = source, None, 1.0, None
    return n


def _seen_through(v: Value) -> Value:
    while type(v) is _Variable:
        v = v._a
    return v


def tangents(
    roots: Sequence[Value],
    seeds: Mapping[Value, Any],
    *,
    create_graph: bool = False,
) -> list[Any]:
    """Forward mode: d root / d t for each root, where t moves every seeded node by its seed
    (a jvp): tangents are pushed along the local derivatives in topological order, one pass
    for all roots. With ``create_graph`` the tangents are Values (differentiable again)."""
    tangent: dict[Value, Any] = dict(seeds)
    stop = tangent.keys()  # a seeded node's tangent is its seed: nothing below it is needed
    order = _postorder(roots[0], leaves=False, more=roots[1:], stop=stop) if roots else []
    for node in order:
        if node in seeds:
            continue
        local = _local_grads_as_values(node) if create_graph else _raw_local_grads(node)
        total: Any = None
        for child, d in zip(_raw_children(node), local):
            t = tangent.get(child)
            if t is not None:
                total = d * t if total is None else total + d * t
        if total is not None:
            tangent[node] = total
    return [tangent.get(r, 0.0) for r in roots]


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
    plan_t = [(ws, wd, tuple(wd), b) for ws, wd, b in plan]
    out = []
    for inputs in batch:
        xs = tuple(_operands(inputs, f"{name}(inputs)"))
        if len(xs) != n or not n:
            raise ValueError(
                f"{name}: needs as many weights as inputs, at least one; got {n} and {len(xs)}"
            )
        xd = [x.data for x in xs]
        xt = tuple(xd)
        zs = []
        for ws, wd, wt, b in plan_t:  # each dot node built inline (the hot path)
            node: Value = _new(Value)
            z = sum(map(mul, wd, xd))
            if b is None:
                node.data, node._a, node._da = z, ws + xs, xt + wt
            else:
                node.data, node._a, node._da = z + b.data, (*ws, *xs, b), (*xt, *wt, 1.0)
            node.grad, node.label, node.op, node._b, node._db = 0.0, "", "dot", _NARY, None
            zs.append(node)
        out.append(zs)
    return out


def vsum(values: Iterable[Value | float]) -> Value:
    """Σ values as one node whose local derivatives are all 1."""
    children = tuple(_operands(values, "vsum"))
    if not children:
        raise ValueError("vsum: needs at least one value")
    return _nary("sum", sum([c.data for c in children]), children, (1.0,) * len(children))


def topological_order(root: Value | Sequence[Value]) -> list[Value]:
    """Every node of root's graph once, each after all of its children; root may also be a
    list of roots (the nodes of all their graphs, each once)."""
    if isinstance(root, Value):
        order = _postorder(root, leaves=True)
    else:
        roots = list(root)
        if not roots or not all(isinstance(r, Value) for r in roots):
            raise TypeError("topological_order: expected a Value or a non-empty list of Values")
        order = _postorder(roots[0], leaves=True, more=roots[1:])
    return [v for v in order if type(v) is not _Variable]


def gradients(
    root: Value,
    wrt: Sequence[Value],
    *,
    grad: Value | float = 1.0,
    create_graph: bool = False,
    stop_at_wrt: bool = False,
) -> list[Any]:
    """d root / d w for each w in wrt, touching no ``.grad`` (like torch.autograd.grad).

    With ``create_graph`` the gradients are Values built from the op table's derivative rules,
    so they can be differentiated again (a gradient that does not depend on any Value stays a
    float); otherwise they are floats. A w that root does not depend on gets 0.0.
    ``stop_at_wrt`` promises that no w lies below another (as a transform's own variables
    never do): the walk then stops at them instead of visiting the graphs below.
    """
    grads: dict[Value, Any] = {root: grad}
    stop = set(wrt) if stop_at_wrt else _NONE
    for node in reversed(_postorder(root, leaves=False, stop=stop)):
        g = grads.get(node)
        if g is None:
            continue
        local = _local_grads_as_values(node) if create_graph else _raw_local_grads(node)
        for child, d in zip(_raw_children(node), local):
            prev = grads.get(child)
            grads[child] = d * g if prev is None else prev + d * g
    return [grads.get(w, 0.0) for w in wrt]


@contextmanager
def no_gc() -> Iterator[None]:
    """``with no_gc():`` pauses Python's cyclic garbage collector, restoring it afterwards.

    Graphs of Values have no reference cycles and are freed by reference counting, so the
    collector only costs time while a graph is built (it traverses every live node again and
    again); pausing it makes building and backpropagating a large graph faster. The previous
    state is restored in ``finally``, even on an error; nothing is frozen, and importing
    microgradnet changes nothing. ``fit`` uses it around its steps.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def no_grad() -> Iterator[None]:
    """``with no_grad():`` inference (interim: records as usual; the recording-free version
    lands with the engine's node rewrite)."""
    yield


class _RulesView(Mapping[str, Rule]):
    """Deprecated: ``RULES[op]`` is ``ops.OPS[op].derivative``; read the op table instead."""

    def __getitem__(self, name: str) -> Rule:
        return ops.OPS[name].derivative

    def __iter__(self) -> Iterator[str]:
        return iter(list(ops.OPS))

    def __len__(self) -> int:
        return len(ops.OPS)


RULES: Mapping[str, Rule] = _RulesView()
ops._ENGINE[:] = [sys.modules[__name__]]  # ops reaches Value and Constant through this binding

# -- internals ---------------------------------------------------------------------------------

_new = object.__new__
_SIN, _COS, _ABS = ops.OPS["sin"], ops.OPS["cos"], ops.OPS["abs"]
_SOFTPLUS, _SILU, _GELU = ops.OPS["softplus"], ops.OPS["silu"], ops.OPS["gelu"]


def _unary(op: str, out: float, x: Value, d: Any) -> Value:
    """A new one-operand node."""
    n: Value = _new(Value)
    n.data, n.grad, n.label, n.op = out, 0.0, "", op
    n._a, n._b, n._da, n._db = x, None, d, None
    return n


def _nary(op: str, out: float, children: tuple[Value, ...], local: tuple[Any, ...]) -> Value:
    """A new node with a tuple of operands (dot, sum)."""
    n: Value = _new(Value)
    n.data, n.grad, n.label, n.op = out, 0.0, "", op
    n._a, n._b, n._da, n._db = children, _NARY, local, None
    return n


def _apply_op(op: Op, operands: Sequence[Any]) -> Value:
    """A node of any one- or two-operand op of the table, by its forward, rule and domain."""
    if len(operands) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} operand(s), got {len(operands)}")
    xs = []
    for x in operands:
        v = _operand(x, op.name)
        if v is None:
            raise TypeError(f"{op.name}: operands must be Values or numbers, got {_kind(x)}")
        xs.append(v)
    data = [x.data for x in xs]
    for bad, error, message in op.domain:
        if bad(*data):
            got = ", ".join(f"{d!r}{_named(x)}" for d, x in zip(data, xs))
            raise error(f"{op.name}: {message}, got {got}")
    try:
        out = float(op.forward(*data))
        local = op.derivative(out, *data)
        ds = tuple(float(d) for d in local)
    except (TypeError, ValueError) as e:
        if op.builtin:
            raise
        raise TypeError(f"custom op {op.name!r} failed at {data}: {e}") from e
    if len(ds) != op.arity:
        raise ValueError(f"{op.name}: its derivative gave {len(ds)} values for {op.arity} operands")
    n: Value = _new(Value)
    n.data, n.grad, n.label, n.op = out, 0.0, "", op.name
    if op.arity == 1:
        n._a, n._b, n._da, n._db = xs[0], None, ds[0], None
    else:
        n._a, n._b, n._da, n._db = xs[0], xs[1], ds[0], ds[1]
    return n


def _local_grads_as_values(node: Value) -> tuple[Any, ...]:
    """node's local derivatives as graph nodes: the table's Value rule on the operand Values.

    Constant operands enter as plain numbers, so x**3 differentiates to 3·x**2 with a number
    exponent (defined for negative x) and constants add no nodes.
    """
    if type(node) is _Variable:
        return (1.0,)
    op = ops.op_of(node)
    rule = op.value_derivative
    if rule is None:
        raise ValueError(
            f"create_graph: op {op.name!r} has a derivative for floats only, so it cannot be "
            "differentiated again; give define_op a value_derivative (a rule written with Value "
            "methods or microgradnet.ops.fn)"
        )
    operands = [c.data if type(c) is Constant else c for c in _raw_children(node)]
    return tuple(rule(node, *operands, *ops.parameters(node)))


def _raw_children(node: Value) -> tuple[Value, ...]:
    a, b = node._a, node._b
    if b is None:
        return () if a is None else (a,)
    return a if b is _NARY else (a, b)


def _raw_local_grads(node: Value) -> tuple[Any, ...]:
    a, b = node._a, node._b
    if b is None:
        return () if a is None else (node._da,)
    return node._da if b is _NARY else (node._da, node._db)


_EXIT = object()  # stack marker: the node below it has had all its children visited
_NONE: AbstractSet[Any] = frozenset()


def _postorder(
    root: Value, *, leaves: bool, more: Sequence[Value] = (), stop: AbstractSet[Value] = _NONE
) -> list[Value]:
    """The graph below root (and the roots in more) children-first, by iterative depth-first
    search; leaves only if asked; the nodes in stop, and what lies only below them, are left
    out (the walk never enters them)."""
    roots = [root, *more]
    if not more and root._a is None:
        return [root] if leaves else []
    order: list[Value] = []
    seen: set[Value] = set(stop)
    stack: list[Any] = [r for r in reversed(roots) if leaves or r._a is not None]
    push, pop, visit, emit = stack.append, stack.pop, seen.add, order.append
    nary = _NARY
    while stack:
        node = pop()
        if node is _EXIT:
            emit(pop())
        elif node not in seen:
            visit(node)
            push(node)
            push(_EXIT)
            a, b = node._a, node._b
            if a is None:
                continue
            kids = (a,) if b is None else a if b is nary else (a, b)
            for child in kids:
                if (leaves or child._a is not None) and child not in seen:
                    push(child)
    return order


def _divide(a: Value, b: Value) -> Value:
    y = b.data
    if y == 0:
        raise ZeroDivisionError(f"/: division by zero, {a.data} / {y}{_named(b)}")
    out = a.data / y
    n: Value = _new(Value)
    n.data, n.grad, n.label, n.op = out, 0.0, "", "/"
    n._a, n._b, n._da, n._db = a, b, 1 / y, -out / y
    return n


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
    out = _pow(x, y)
    dx = (0.0 if y == 0 else math.inf) if x == 0 and y < 1 else y * _pow(x, y - 1)
    n: Value = _new(Value)
    n.data, n.grad, n.label, n.op = out, 0.0, "", "**"
    n._a, n._b, n._da, n._db = base, exponent, dx, out * math.log(x) if x > 0 else 0.0
    return n


def _data(x: Any) -> float:
    return float(x.data if isinstance(x, Value) else x)


def _parameter(x: object, where: str) -> float:
    """An op's parameter: a real number (not a bool, not a Value), as a float."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{where} must be a number, got {type(x).__name__}")
    return float(x)


def _kind(x: object) -> str:
    return f"{type(x).__name__} {x!r:.40}"


def _operand(x: object, op: str) -> Value | None:
    """x as a Value (a number becomes a Constant); None for a type that may handle the
    operator itself. Bools and arrays are refused with a TypeError that says what to do, a
    number beyond the float range with an OverflowError naming op (the operation)."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int:
        try:
            data = float(x)
        except OverflowError:
            raise _too_large(x, f"{op}: the operand") from None
        c = _new(Constant)
        c.data, c.grad, c.label, c.op = data, 0.0, "", ""
        c._a = c._b = c._da = c._db = None
        return c
    if isinstance(x, bool) or type(x).__name__ in ("bool_", "bool"):
        raise TypeError(
            f"a Value cannot combine with the bool {x!r}; convert it with float() on purpose "
            "(bools are refused, as PyTorch and JAX refuse bool gradients)"
        )
    if isinstance(x, Real):
        return Constant(_to_float(x, f"{op}: the operand"))
    if hasattr(x, "__array__") or hasattr(x, "shape") or isinstance(x, (list, tuple)):
        raise TypeError(
            f"a Value combines with scalars (Values or numbers), not with a "
            f"{type(x).__name__}; for arrays of samples use the batch helpers: "
            "linear_batch(weights, batch) or Layer.forward_batch(batch)"
        )
    return None


def _compared(x: object, op: str) -> float | None:
    """The number a Value is compared with (a Value's data, or a real number); None for other
    types (Python then falls back, to identity for == and a TypeError for <); bools and arrays
    are refused as operands are."""
    if isinstance(x, Value):
        return x.data
    v = _operand(x, op)  # a Constant for a number; raises for bools and arrays
    return None if v is None else v.data


def _operands(xs: Iterable[Value | float], where: str) -> Sequence[Value]:
    """xs as Values (numbers become Constants); a list or tuple of Values comes back as is."""
    if type(xs) in (list, tuple) and all(map(isinstance, xs, repeat(Value))):
        return xs  # type: ignore[return-value]
    out = []
    for x in xs:
        v = _operand(x, where)
        if v is None:
            raise TypeError(f"{where}: expected Values or numbers, got {type(x).__name__}")
        out.append(v)
    return out
