"""The scalar autograd engine: Value, its nodes built from the op table, and backpropagation.

A Value holds a number and remembers how it was made: ``children`` are its operands, in operand
order, and ``local_grads`` the local derivatives d self / d child, computed in the forward pass.
The graph thus carries a number on every edge, as the figures of the lecture notes draw it, and
backward is one generic loop over a topological order::

    for node in reversed(order):
        for child, d in zip(node.children, node.local_grads):
            child.grad += d * node.grad

Every operation is declared once, in the op table (``microgradnet.optable``): its forward, its
derivative rule for floats, Values and numpy arrays, its domain and how it is written. At import,
each record gives the Value methods and operators that build its nodes (one closure per op,
specialised by arity: no per-op code here). With ``gradients(..., create_graph=True)`` the
table's rules are applied to Values, giving gradients that are graphs themselves, for
derivatives of any order. No node holds a closure, so a graph has no reference cycles and is
freed by reference counting as soon as it is dropped; nothing recurses.

A node keeps one or two operands and their local derivatives in its own slots (a tuple only for
the n-ary ``dot`` and ``sum``). A plain number operand (the 2 in ``2 * x``) is kept as a float;
``children`` shows it as a ``Constant`` leaf, made on the first read and kept. A Constant never
accumulates a gradient (as a PyTorch tensor without ``requires_grad``): backward skips it.

Conventions: where a derivative does not exist, each op's record says the value used (its
``kink``: relu'(0) = 0, abs'(0) = 0, ...); derivative rules take IEEE limits (±inf where they
divide by zero: sqrt'(0) = inf); NaN and inf data propagate by IEEE rules, and an overflowing exp
or ** gives inf instead of raising.

References: karpathy/micrograd (the Value API), HIPS autograd (a derivative rule beside each op),
PyTorch autograd (gradient accumulation, torch.autograd.grad, no_grad).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from numbers import Real
from operator import mul
from typing import TYPE_CHECKING, Any

from . import optable
from ._args import named as _named
from ._args import real_number as _to_float
from ._args import too_large as _too_large
from .optable import NARY, Op, domain_text, each_the_other, ieee

_ARITHMETIC = (ZeroDivisionError, OverflowError, ValueError)


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
    Values combine with Python numbers (kept as numbers, shown as Constant leaves), not with
    arrays or bools. The methods (``exp``, ``tanh``, ``sin``, ...) are the ops of the table.
    """

    __slots__ = ("__weakref__", "_a", "_b", "_da", "_db", "_mark", "data", "grad", "label", "op")
    __array_ufunc__ = None  # numpy defers to our reflected operators, which explain the error

    data: float
    grad: float
    label: str
    op: str
    _a: Any  # None (leaf), the operand (a Value or a float), or the tuple of operands (n-ary)
    _b: Any  # None (one operand), the second operand (a Value or a float), or _NARY
    _da: Any  # d self / d _a, or the tuple of local derivatives (n-ary)
    _db: Any  # d self / d _b; for a one-operand op its parameter(s) (leaky_relu's alpha)
    _mark: Any  # the token of the last traversal that visited this node

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _to_float(data, "Value(data)")
        if not isinstance(label, str):
            raise TypeError(f"Value(label) must be a str, got {type(label).__name__}")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self._a = self._b = self._da = self._db = self._mark = None

    @property
    def children(self) -> tuple[Value, ...]:
        """The operands, in operand order (empty for a leaf); a number operand is shown as a
        Constant, the same object on every read; a transform's own variable is seen through."""
        a, b = self._a, self._b
        kids: tuple[Any, ...]
        if b is None:
            kids = () if a is None else (a,)
        elif b is _NARY:
            kids = a
        else:
            if type(a) is float or type(b) is float:
                a, b = _constants(self)
            kids = (a, b)
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

    @property
    def op_params(self) -> tuple[float, ...]:
        """The op's parameters on this node, in the record's order: (alpha,) for leaky_relu."""
        if self._b is not None or self._a is None:
            return ()
        p = self._db
        return () if p is None else p if type(p) is tuple else (p,)

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

    def __int__(self) -> int:
        return int(self.data)

    def detach(self) -> Constant:
        """A Constant with this value: the graph stops here (JAX's stop_gradient)."""
        return Constant(self.data, self.label)

    # -- backpropagation ---------------------------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every node below self with d self / d node (reverse mode).

        ``grad`` seeds d self / d self. Leaves accumulate across calls until zeroed; interior
        nodes hold the gradient of the latest call only (PyTorch's semantics); Constants never
        accumulate. For gradients that can be differentiated again, use
        ``gradients(..., create_graph=True)``.
        """
        seed = _to_float(grad, "backward(grad)")
        order = _interior_postorder((self,))  # zeroes each interior node's grad on the way
        if not order:  # a leaf: d self / d self
            self.grad += seed
            return
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
                if type(a) is not float:
                    a.grad += node._da * g
                if type(b) is not float:
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

    if TYPE_CHECKING:  # the methods and operators made from the op table, for type checkers

        def __getattr__(self, name: str) -> Callable[..., Value]: ...
        def __add__(self, other: Value | float) -> Value: ...
        def __radd__(self, other: float) -> Value: ...
        def __sub__(self, other: Value | float) -> Value: ...
        def __rsub__(self, other: float) -> Value: ...
        def __mul__(self, other: Value | float) -> Value: ...
        def __rmul__(self, other: float) -> Value: ...
        def __truediv__(self, other: Value | float) -> Value: ...
        def __rtruediv__(self, other: float) -> Value: ...
        def __floordiv__(self, other: Value | float) -> Value: ...
        def __rfloordiv__(self, other: float) -> Value: ...
        def __mod__(self, other: Value | float) -> Value: ...
        def __rmod__(self, other: float) -> Value: ...
        def __pow__(self, other: Value | float) -> Value: ...
        def __rpow__(self, other: float) -> Value: ...
        def __neg__(self) -> Value: ...
        def __pos__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def __floor__(self) -> Value: ...
        def __ceil__(self) -> Value: ...
        def __trunc__(self) -> Value: ...
        def __round__(self, ndigits: int | None = None) -> Value: ...


class Constant(Value):
    """A leaf made from a plain number, as the 2 in ``2 * x``: drawn, never differentiated.

    Its ``grad`` is always 0.0 (writes are ignored), as a PyTorch tensor without
    ``requires_grad``; the local derivative on an edge into it is still computed and drawn.
    """

    __slots__ = ()

    @property
    def grad(self) -> float:
        return 0.0

    @grad.setter
    def grad(self, value: float) -> None:
        pass


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
    n.data, n.grad, n.label, n.op, n._mark = source.data, 0.0, label, "identity", None
    n._a, n._b, n._da, n._db = source, None, 1.0, None
    return n


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


def vsum(values: Iterable[Value | float]) -> Value:
    """Σ values as one node whose local derivatives are all 1."""
    children = tuple(_operands(values, "vsum"))
    if not children:
        raise ValueError("vsum: needs at least one value")
    return _nary_node("sum", sum([c.data for c in children]), children, (1.0,) * len(children))


def topological_order(root: Value | Sequence[Value]) -> list[Value]:
    """Every node of root's graph once, each after all of its children, and operands in operand
    order (x before w in x·w, the first neuron before the second): the order of the forward
    steps, reversed for backward's. root may also be a list of roots (their graphs, each node
    once)."""
    if isinstance(root, Value):
        roots: Sequence[Value] = (root,)
    else:
        roots = list(root)
        if not roots or not all(isinstance(r, Value) for r in roots):
            raise TypeError("topological_order: expected a Value or a non-empty list of Values")
    return [v for v in _postorder(roots) if type(v) is not _Variable]


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
    float); otherwise they are floats. A w that root does not depend on gets 0.0, and so does a
    Constant. ``stop_at_wrt`` promises that no w lies below another (as a transform's own
    variables never do): the walk then stops at them instead of visiting the graphs below.
    """
    if not isinstance(root, Value):
        raise TypeError(f"gradients: root must be a Value, got {type(root).__name__}")
    wrt = value_list(wrt, "gradients(wrt)")
    if not isinstance(grad, Value):
        grad = _to_float(grad, "gradients(grad)")
    grads: dict[Value, Any] = {root: grad}
    stop = wrt if stop_at_wrt else ()
    for node in reversed(_interior_postorder((root,), zero=False, stop=stop)):
        g = grads.get(node)
        if g is None:
            continue
        local = _local_grads_as_values(node) if create_graph else _raw_local_grads(node)
        for child, d in zip(_raw_children(node), local):
            if type(child) is float or type(child) is Constant:
                continue
            prev = grads.get(child)
            grads[child] = d * g if prev is None else prev + d * g
    return [0.0 if type(w) is Constant else grads.get(w, 0.0) for w in wrt]


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
    order = _interior_postorder(tuple(roots), zero=False, stop=tuple(seeds)) if roots else []
    for node in order:  # a seeded node's tangent is its seed: nothing below it is needed
        if node in seeds:
            continue
        local = _local_grads_as_values(node) if create_graph else _raw_local_grads(node)
        total: Any = None
        for child, d in zip(_raw_children(node), local):
            t = None if type(child) is float else tangent.get(child)
            if t is not None:
                total = d * t if total is None else total + d * t
        if total is not None:
            tangent[node] = total
    return [tangent.get(r, 0.0) for r in roots]


# -- contexts: recording, the collector --------------------------------------------------------

_NO_GRAD_THREADS: set[int] = set()  # threads inside no_grad(); empty almost always


@contextmanager
def no_grad() -> Iterator[None]:
    """``with no_grad():`` operations in this thread give plain leaves: no graph is recorded
    (inference, as PyTorch's torch.no_grad), so memory does not grow with the work done.

    Thread-local and re-entrant; other threads keep recording. ``predict`` and ``evaluate``
    use it.
    """
    me = threading.get_ident()
    outer = me in _NO_GRAD_THREADS
    _NO_GRAD_THREADS.add(me)
    try:
        yield
    finally:
        if not outer:
            _NO_GRAD_THREADS.discard(me)


@contextmanager
def no_gc() -> Iterator[None]:
    """``with no_gc():`` pauses Python's cyclic garbage collector, restoring it afterwards.

    Graphs of Values have no reference cycles and are freed by reference counting, so the
    collector only costs time while a graph is built (it traverses every live node again and
    again); pausing it makes building and backpropagating a large graph faster. The previous
    state is restored in ``finally``, even on an error; nothing is frozen, and importing
    microgradnet changes nothing. Process-wide, as the collector is; ``relaxed_gc`` keeps
    collecting cycles, only less often.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


RELAXED_THRESHOLDS = (100_000, 50, 100)  # gc thresholds inside relaxed_gc (defaults 700, 10, 10)
_RELAXED = threading.Lock()
_relaxed_depth: list[Any] = [0, None]  # entries into relaxed_gc, thresholds before the first


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """``with relaxed_gc():`` the cyclic collector runs less often (its thresholds raised to at
    least ``RELAXED_THRESHOLDS``); cycles are still collected, and the previous thresholds come
    back when the last of nested or concurrent blocks exits, even on an error.

    Building a large graph allocates hundreds of thousands of nodes, and each full collection
    traverses them all; a graph of Values has no cycles, so collecting less often only saves
    time. Process-wide, as the collector's thresholds are. ``fit`` uses it.
    """
    with _RELAXED:
        if _relaxed_depth[0] == 0:
            _relaxed_depth[1] = gc.get_threshold()
            gc.set_threshold(*map(max, _relaxed_depth[1], RELAXED_THRESHOLDS))
        _relaxed_depth[0] += 1
    try:
        yield
    finally:
        with _RELAXED:
            _relaxed_depth[0] -= 1
            if _relaxed_depth[0] == 0:
                gc.set_threshold(*_relaxed_depth[1])


# -- nodes from the op table --------------------------------------------------------------------

_new = object.__new__
_IEEE = threading.local()  # depth > 0 while a derivative rule is evaluated on Values


def _ieee_mode() -> bool:
    return getattr(_IEEE, "depth", 0) > 0


def _leaf(data: float) -> Value:
    """The result of an op under no_grad: a plain leaf."""
    v: Value = _new(Value)
    v.data, v.grad, v.label, v.op = data, 0.0, "", ""
    v._a = v._b = v._da = v._db = v._mark = None
    return v


def _evaluate(op: Op, xs: Sequence[float], params: Sequence[float]) -> tuple[float, Any]:
    """op's value and local derivatives at xs (numbers), the domain checked; the IEEE limits
    where a derivative rule divides by zero or overflows (and, while a derivative rule is
    itself evaluated on Values, where the op's domain is left: 1/0 = inf, log(0) = -inf)."""
    for bad, error, message in op.domain:
        if bad(*xs):
            if not _ieee_mode():
                raise error(domain_text(op, message, xs))
            out = ieee(op.forward, *xs, *params)
            return out, ieee(op.derivative, out, *xs, *params)
    try:
        out = op.forward(*xs, *params)
    except _ARITHMETIC:
        if not op.builtin:  # a custom op's own failure is reported, naming it
            raise
        out = ieee(op.forward, *xs, *params)
    try:
        return out, op.derivative(out, *xs, *params)
    except _ARITHMETIC:
        return out, ieee(op.derivative, out, *xs, *params)


def _unary_method(op: Op) -> Callable[..., Value]:
    """The Value method of a one-operand op: x.tanh(), x.leaky_relu(alpha), -x."""
    name, forward, rule = op.name, op.forward, op.derivative
    params = op.params
    if op.domain or params:

        def checked(self: Value, *args: Any) -> Value:
            ps = _op_params(op, args)
            if _NO_GRAD_THREADS and threading.get_ident() in _NO_GRAD_THREADS:
                return _leaf(_evaluate(op, (self.data,), ps)[0])
            _check_domain(op, (self,), (self.data,))
            out, (d,) = _evaluate(op, (self.data,), ps)
            n: Value = _new(Value)
            n.data = out
            n.grad = 0.0
            n.label = ""
            n.op = name
            n._mark = None
            n._a = self
            n._b = None
            n._da = d
            n._db = None if not ps else ps[0] if len(ps) == 1 else ps
            return n

        return checked

    def method(self: Value) -> Value:
        x = self.data
        if _NO_GRAD_THREADS and threading.get_ident() in _NO_GRAD_THREADS:
            return _leaf(_evaluate(op, (x,), ())[0])
        try:
            out = forward(x)
            (d,) = rule(out, x)
        except _ARITHMETIC:
            out, (d,) = _evaluate(op, (x,), ())
        n: Value = _new(Value)
        n.data = out
        n.grad = 0.0
        n.label = ""
        n.op = name
        n._mark = None
        n._a = self
        n._b = None
        n._da = d
        n._db = None
        return n

    return method


def _binary_methods(op: Op) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The operator and its reflected form (x + y, 2 + x); named methods (x.atan2(y)) wrap the
    operator so that a number may come first.

    The hot path of the engine: each node is built in the closure itself (one call per node),
    with a constant rule's derivatives (+, -) and a product's (each the other factor) taken
    as they are."""
    return _operator_method(op), _reflected_method(op)


def _operator_method(op: Op) -> Callable[..., Any]:
    """self op other, self a Value."""
    name, forward, rule, domain = op.name, op.forward, op.derivative, op.domain or None
    const, swap = getattr(rule, "constants", None), rule is each_the_other

    def method(self: Value, other: Any) -> Any:
        if type(other) is Value:
            y = other.data
        elif type(other) is float:
            y = other
        else:
            other = _number_operand(other, name)
            if other is None:
                return NotImplemented
            y = other if type(other) is float else other.data
        x = self.data
        if _NO_GRAD_THREADS and threading.get_ident() in _NO_GRAD_THREADS:
            return _leaf(_evaluate(op, (x, y), ())[0])
        if domain:
            _check_domain(op, (self, other), (x, y))
        try:
            out = forward(x, y)
            if swap:
                da, db = y, x
            else:
                da, db = const or rule(out, x, y)
        except _ARITHMETIC:
            out, (da, db) = _evaluate(op, (x, y), ())
        n: Value = _new(Value)
        n.data = out
        n.grad = 0.0
        n.label = ""
        n.op = name
        n._mark = None
        n._a = self
        n._b = other
        n._da = da
        n._db = db
        return n

    return method


def _reflected_method(op: Op) -> Callable[..., Any]:
    """other op self, other a number (2 + x): the number is the first operand."""
    name, forward, rule, domain = op.name, op.forward, op.derivative, op.domain or None
    const, swap = getattr(rule, "constants", None), rule is each_the_other

    def reflected(self: Value, other: Any) -> Any:
        if type(other) is not float:
            other = _number_operand(other, name)
            if other is None:
                return NotImplemented
        x = other if type(other) is float else other.data
        y = self.data
        if _NO_GRAD_THREADS and threading.get_ident() in _NO_GRAD_THREADS:
            return _leaf(_evaluate(op, (x, y), ())[0])
        if domain:
            _check_domain(op, (other, self), (x, y))
        try:
            out = forward(x, y)
            if swap:
                da, db = y, x
            else:
                da, db = const or rule(out, x, y)
        except _ARITHMETIC:
            out, (da, db) = _evaluate(op, (x, y), ())
        n: Value = _new(Value)
        n.data = out
        n.grad = 0.0
        n.label = ""
        n.op = name
        n._mark = None
        n._a = other
        n._b = self
        n._da = da
        n._db = db
        return n

    return reflected


def _number_first(
    method: Callable[..., Any], reflected: Callable[..., Any], name: str
) -> Callable[..., Any]:
    """A named binary method that also takes a number first, as fn calls it: Value.atan2(2, x)."""

    def named(self: Any, other: Any) -> Any:
        if isinstance(self, Value):
            return method(self, other)
        if not isinstance(other, Value):
            raise TypeError(f"{name}: one operand must be a Value, got two {type(other).__name__}")
        return reflected(other, self)

    return named


def _check_domain(op: Op, operands: Sequence[Any], xs: Sequence[float]) -> None:
    """Raise op's domain error for xs (unless a derivative rule is being evaluated: then the
    IEEE limits hold), naming the operands' labels; also where operand i is a Value whose
    derivative would be undefined (the exponent of a negative base)."""
    for bad, error, message in op.domain:
        if bad(*xs) and not _ieee_mode():
            raise error(domain_text(op, message, xs, _labels(operands)))
    for i, (bad, error, message) in op.derivative_domain:
        v = operands[i]
        if type(v) is not float and type(v) is not Constant and bad(*xs) and not _ieee_mode():
            raise error(domain_text(op, message, xs, _labels(operands)))


def _labels(operands: Sequence[Any]) -> list[str]:
    return [_named(v) if isinstance(v, Value) else "" for v in operands]


def _op_params(op: Op, args: Sequence[Any]) -> tuple[float, ...]:
    """The parameters of a call x.op(*args): defaults filled in, each checked."""
    if len(args) > len(op.params):
        raise TypeError(f"{op.name}: takes {len(op.params)} parameter(s), got {len(args)}")
    out = []
    for k, p in enumerate(op.params):
        if k < len(args):
            x = args[k]
        elif p.default is None:
            raise TypeError(f"{op.name}: missing the parameter {p.name}")
        else:
            x = p.default
        where = f"{op.name}: {p.name}"
        if isinstance(x, Value):
            raise TypeError(
                f"{where} must be a number, got Value (parameters are not differentiated)"
            )
        value = _to_float(x, where)
        if not p.ok(value):
            raise ValueError(f"{where} must be {p.rule}, got {value!r}")
        out.append(value)
    return tuple(out)


def apply(op: Op, operands: Sequence[Any], params: Sequence[Any] = ()) -> Value:
    """The node of op on operands (Values or numbers) with params: the generic path, for ops
    without a method (custom ops) and n-ary ops. Errors from a custom op's own functions name
    the op."""
    n_ops = len(operands)
    if op.arity != NARY and n_ops != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} operand(s), got {n_ops}")
    if op.arity == NARY and n_ops == 0:
        raise ValueError(f"{op.name}: needs at least one operand")
    xs = [_operand(x, op.name) for x in operands]
    for x, raw in zip(xs, operands):
        if x is None:
            raise TypeError(f"{op.name}: operands must be Values or numbers, got {_kind(raw)}")
    values: list[Value] = xs  # type: ignore[assignment]
    ps = _op_params(op, params)
    data = tuple(x.data for x in values)
    _check_domain(op, values, data)
    try:
        out, ds = _evaluate(op, data, ps)
        ds = tuple(float(d) for d in ds)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError) as e:
        if op.builtin:
            raise type(e)(f"{e}{''.join(_named(v) for v in values)}") from None
        raise type(e)(f"custom op {op.name!r} failed at {list(data)}: {e}") from e
    if len(ds) != n_ops:
        raise ValueError(f"{op.name}: its derivative gave {len(ds)} values for {n_ops} operands")
    if _NO_GRAD_THREADS and threading.get_ident() in _NO_GRAD_THREADS:
        return _leaf(float(out))
    if op.arity == NARY or op.arity > 2:
        return _nary_node(op.name, float(out), tuple(values), ds)
    n: Value = _new(Value)
    n.data, n.grad, n.label, n.op, n._mark = float(out), 0.0, "", op.name, None
    if op.arity == 1:
        n._a, n._b, n._da = values[0], None, ds[0]
        n._db = None if not ps else ps[0] if len(ps) == 1 else ps
    else:
        n._a, n._b, n._da, n._db = values[0], values[1], ds[0], ds[1]
    return n


def install(op: Op) -> None:
    """Give Value the methods and operators of op (at import, for the ops of the table)."""
    made: list[tuple[str, Callable[..., Any]]] = []
    if op.arity == 1:
        made = [(attr, _unary_method(op)) for attr in op.methods]
    elif op.arity == 2:
        forward, reflected = _binary_methods(op)
        named = _number_first(forward, reflected, op.name)  # x.atan2(y), also fn.atan2(2, x)
        made = [(attr, forward if attr.startswith("__") else named) for attr in op.methods]
        made += [(op.reflected, reflected)] if op.reflected else []
    for attr, f in made:
        f.__name__ = f.__qualname__ = attr
        f.__doc__ = op.doc or f"The op {op.name!r} of the op table (``ops.OPS[{op.name!r}]``)."
        setattr(Value, attr, f)


def _nary_node(op: str, out: float, children: tuple[Value, ...], local: tuple[Any, ...]) -> Value:
    """A new node with a tuple of operands (dot, sum)."""
    if _NO_GRAD_THREADS and threading.get_ident() in _NO_GRAD_THREADS:
        return _leaf(out)
    n: Value = _new(Value)
    n.data = out
    n.grad = 0.0
    n.label = ""
    n.op = op
    n._mark = None
    n._a = children
    n._b = _NARY
    n._da = local
    n._db = None
    return n


def _linear(
    weights: Sequence[Sequence[Value | float]],
    batch: Sequence[Sequence[Value | float]],
    biases: Sequence[Value | float] | None,
    name: str,
) -> list[list[Value]]:
    """The dot nodes of W x (+ b) for each x in batch; errors name the public function.

    dot's rule (dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1) applied with the weights' half of the
    local derivatives prepared once per layer (the n-ary hot path; a test checks it against the
    table)."""
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
        for ws, wd, wt, b in plan_t:  # each node built inline: the n-ary hot path
            node: Value = _new(Value)
            z = sum(map(mul, wd, xd))
            if b is None:
                node.data = z
                node._a = ws + xs
                node._da = xt + wt
            else:
                node.data = z + b.data
                node._a = (*ws, *xs, b)
                node._da = (*xt, *wt, 1.0)
            node.grad = 0.0
            node.label = ""
            node.op = "dot"
            node._mark = None
            node._b = _NARY
            node._db = None
            zs.append(node)
        out.append(zs)
    if _NO_GRAD_THREADS and threading.get_ident() in _NO_GRAD_THREADS:
        return [[_leaf(z.data) for z in zs] for zs in out]
    return out


def _local_grads_as_values(node: Value) -> tuple[Any, ...]:
    """node's local derivatives as graph nodes: the table's Value rule on the operand Values,
    evaluated by IEEE limits (sqrt'' at 0 is -inf, as PyTorch gives).

    Number operands enter as plain numbers, so x**3 differentiates to 3·x**2 with a number
    exponent (defined for negative x) and constants add no nodes.
    """
    op = op_of(node)
    rule = op.value_derivative
    if rule is None:
        raise ValueError(
            f"create_graph: op {op.name!r} has a derivative for floats only, so it cannot be "
            "differentiated again; give define_op a value_derivative (a rule written with Value "
            "methods or microgradnet.ops.fn)"
        )
    if op.builtin:  # numbers as numbers: x**3 differentiates to 3·x**2, no Constant nodes
        operands = [c.data if type(c) is Constant else c for c in _raw_children(node)]
    else:  # a user's rule may call Value methods on any operand
        operands = [Constant(c) if type(c) is float else c for c in _raw_children(node)]
    _IEEE.depth = getattr(_IEEE, "depth", 0) + 1
    try:
        return tuple(rule(node, *operands, *node.op_params))
    finally:
        _IEEE.depth -= 1


def op_of(node: Value) -> Op:
    """The Op record of an interior node: the definition it was made with (a custom op
    redefined since keeps its old definition); a clear error for a leaf or an undefined op."""
    record: Op | None = getattr(node.op, "record", None)  # a custom op's versioned name
    if record is not None:
        return record
    op = optable.OPS.get(node.op)
    if op is None:
        if not node.op:
            raise ValueError("a leaf has no op")
        raise ValueError(
            f"op {node.op!r} is not defined (was it a custom op that has not been defined with "
            "define_op in this session?)"
        )
    return op


# -- the post-order ------------------------------------------------------------------------------

_EXIT = object()  # stack marker: the node below it has had all its children visited


def _interior_postorder(
    roots: Sequence[Value], *, zero: bool = True, stop: Sequence[Value] = ()
) -> list[Value]:
    """The interior nodes below roots, children first, each once: an iterative depth-first
    search marking each node with this traversal's own tokens, first ``open`` (its operands
    are being visited), then ``done`` (emitted). A node's second copy on the stack is its exit,
    and a copy pushed by another parent before it was opened lies below that exit, so it is
    met only when the node is done. No shared flag is left meaningful, so threads on graphs
    that share leaves do not interfere (leaves are never marked). With zero, each node's
    grad is set to 0 on the way (backward). The nodes in stop, and what lies only below them,
    are left out."""
    opened, done = object(), object()
    for node in stop:
        node._mark = done
    order: list[Value] = []
    stack: list[Any] = [r for r in reversed(roots) if r._a is not None]
    push, pop, emit = stack.append, stack.pop, order.append
    nary = _NARY
    while stack:
        node = pop()
        mark = node._mark
        if mark is opened:
            node._mark = done
            emit(node)
            continue
        if mark is done:
            continue
        node._mark = opened
        if zero:
            node.grad = 0.0
        push(node)
        a, b = node._a, node._b
        if b is None:
            if a._a is not None:
                push(a)
        elif b is nary:  # many operands, often shared: those done are not pushed again
            for child in reversed(a):
                if child._a is not None and child._mark is not done:
                    push(child)
        else:  # the first operand on top: its graph comes first (x before w in x·w)
            if type(b) is not float and b._a is not None:
                push(b)
            if type(a) is not float and a._a is not None:
                push(a)
    return order


def _postorder(roots: Sequence[Value]) -> list[Value]:
    """Every node below roots (leaves too, number operands as their Constants), children first,
    each once. Leaves are deduplicated with a set of this call's own, so
    concurrent walks of graphs that share leaves stay correct."""
    token = object()
    order: list[Value] = []
    leaves: set[int] = set()
    stack: list[Any] = list(reversed(roots))
    while stack:
        node = stack.pop()
        if node is _EXIT:
            order.append(stack.pop())
        elif node._a is None:
            if id(node) not in leaves:
                leaves.add(id(node))
                order.append(node)
        elif node._mark is not token:
            node._mark = token
            stack += (node, _EXIT)
            stack.extend(reversed(node.children))
    return order


def _raw_children(node: Value) -> tuple[Any, ...]:
    """The operands as stored: Values, or floats for number operands."""
    a, b = node._a, node._b
    if b is None:
        return () if a is None else (a,)
    return a if b is _NARY else (a, b)


def _raw_local_grads(node: Value) -> tuple[Any, ...]:
    a, b = node._a, node._b
    if b is None:
        return () if a is None else (node._da,)
    return node._da if b is _NARY else (node._da, node._db)


_CONSTANTS = threading.Lock()  # the first reads of a node's number operands make its Constants


def _constants(node: Value) -> tuple[Value, Value]:
    """The two operands of node as Values: a number operand becomes a Constant, stored back in
    the node so that every later read (and every thread) sees the same object."""
    with _CONSTANTS:
        a, b = node._a, node._b
        if type(a) is float:
            node._a = a = Constant(a)
        if type(b) is float:
            node._b = b = Constant(b)
    return a, b


def _seen_through(v: Value) -> Value:
    while type(v) is _Variable:
        v = v._a
    return v


# -- operands ------------------------------------------------------------------------------------


def _kind(x: object) -> str:
    return f"{type(x).__name__} {x!r:.40}"


def _number_operand(x: object, op: str) -> Any:
    """x for a binary operator's hot path: a Value as it is, a number as a float (kept in the
    node), None for a type that may handle the operator itself; bools and arrays refused."""
    if isinstance(x, Value):
        return x
    if type(x) is int:
        try:
            return float(x)
        except OverflowError:
            raise _too_large(x, f"{op}: the operand") from None
    v = _operand(x, op)
    return None if v is None else v.data if type(v) is Constant else v


def _operand(x: object, op: str) -> Value | None:
    """x as a Value (a number becomes a Constant); None for a type that may handle the
    operator itself. Bools and arrays are refused with a TypeError that says what to do, a
    number beyond the float range with an OverflowError naming op (the operation)."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int:
        try:
            return Constant(float(x))
        except OverflowError:
            raise _too_large(x, f"{op}: the operand") from None
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


def value_list(xs: object, where: str, expected: str = "a list of Values") -> list[Value]:
    """xs as a list of Values; a TypeError naming where and the first item that is not one."""
    if isinstance(xs, Value) or not isinstance(xs, Sequence):
        raise TypeError(f"{where} must be {expected}, got {type(xs).__name__}")
    out = list(xs)
    for i, v in enumerate(out):
        if not isinstance(v, Value):
            raise TypeError(f"{where}: item {i} is a {type(v).__name__}, not a Value")
    return out


for _op in optable.OPS.values():
    install(_op)


def __getattr__(name: str) -> Any:
    """``RULES``: the deprecated view of the op table's derivative rules by name."""
    if name == "RULES":
        import warnings

        warnings.warn(
            "engine.RULES is deprecated: read ops.OPS[name].derivative",
            DeprecationWarning,
            stacklevel=2,
        )
        return {op.name: op.derivative for op in optable.ops_snapshot()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
