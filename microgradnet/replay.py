"""A batched replay: a graph recorded once for one sample, replayed with numpy over a batch.

    x = [Value(0.0, "x0"), Value(0.0, "x1")]
    y = Value(0.0, "y")
    loss = (model(x) - y) ** 2                       # the graph of ONE sample
    tape = Tape(loss, inputs=[*x, y], params=model)  # placeholders, then the parameters
    model.zero_grad()
    batch_loss = tape.loss_backward(np.column_stack([X, Y]))  # mean over the batch; fills p.grad

A Tape reads the graph once. Every node becomes a row of a (nodes × batch) array: one number per
sample. Nodes with the same op, depth and arity form a group that runs as one numpy call: the
children's rows are gathered by an index array, the op's forward computes the group's rows, and
in reverse the group's gradient rows times the op's local derivatives are scatter-added into the
children's gradient rows. The numpy forward and rule of each op come from the op table
(``microgradnet.ops``), so an op defined with numpy rules, custom ones included, replays. A
group of ``dot`` nodes whose weights are parameters (or Constants) and whose inputs are one
shared list is a dense layer and runs in the lecture notes' matrix form: Z = W·A + b forward,
dW = dZ·Aᵀ and dA = Wᵀ·dZ backward.

Parameters and Constants are scalars broadcast over the batch (parameters are read on every
forward, Constants once, when the tape is made). Gradients follow ``Value.backward``: a
parameter's gradient, summed over the batch, is ADDED to ``p.grad``. ``backward(seed)`` weights
sample i's outputs by ``seed[i]``; ``loss_backward(X)`` takes the MEAN of a one-output graph over
the batch (seed 1/batch), which is what fit's Value path computes with the losses' default
``reduction="mean"``: a per-sample loss of mean-reduced terms averages to the batch loss.

What can be replayed: a graph that depends on the sample only through the placeholders. The
Tape refuses an op without numpy rules and a leaf that is neither a placeholder, a parameter nor
a Constant, and raises the engine's errors (log of x <= 0, division by zero, ...) naming the
sample. It cannot see Python decisions taken while the graph was built (a Dropout mask,
BatchNorm1d's batch statistics, an ``if x.data > 0``): models say whether they are replayable
(``Module.replay_problem``), and fit's compiled step checks that. This module knows nothing of
nn: it replays graphs of the engine. Placeholders the outputs do not depend on are allowed
(their columns are ignored).

References: the lecture notes on a layer as Z = W·A + b over a batch, JAX's jit and vmap (trace
once, replay vectorized), HIPS autograd (a derivative rule beside each op).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from operator import attrgetter
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from . import ops
from ._args import node_name as _name
from .engine import Constant, Value, topological_order
from .optable import domain_text

Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]
Rule = Callable[..., Any]


class HasParameters(Protocol):
    """What Tape accepts as params besides a list: an object with ``parameters()``."""

    def parameters(self) -> list[Value]: ...


# -- the numpy rules come from the op table ---------------------------------------------------


class _NumpyRulesView(Mapping[str, tuple[Rule, Rule]]):
    """Deprecated: ``NUMPY_RULES[op]`` is ``(op.numpy_forward, op.numpy_derivative)`` of
    ``ops.OPS[op]``, for the ops that have numpy rules; read the op table instead."""

    def __getitem__(self, name: str) -> tuple[Rule, Rule]:
        op = ops.OPS[name]
        if op.numpy_forward is None or op.numpy_derivative is None:
            raise KeyError(name)
        return op.numpy_forward, op.numpy_derivative

    def __iter__(self) -> Iterator[str]:
        return iter([n for n, op in ops.OPS.items() if op.numpy_forward is not None])

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _DomainsView(Mapping[str, list[tuple[Rule, type[Exception], str]]]):
    """Deprecated: ``DOMAINS[op]`` is ``list(ops.OPS[op].domain)`` for ops with a domain."""

    def __getitem__(self, name: str) -> list[tuple[Rule, type[Exception], str]]:
        op = ops.OPS.get(name)
        if op is None or not op.domain:
            raise KeyError(name)
        return list(op.domain)

    def __iter__(self) -> Iterator[str]:
        return iter([n for n, op in ops.OPS.items() if op.domain])

    def __len__(self) -> int:
        return sum(1 for _ in self)


NUMPY_RULES: Mapping[str, tuple[Rule, Rule]] = _NumpyRulesView()
DOMAINS: Mapping[str, list[tuple[Rule, type[Exception], str]]] = _DomainsView()
ONE = ops.ONE


# -- the tape ------------------------------------------------------------------------------------


class Tape:
    """A graph of one sample, replayed forward and backward with numpy over a batch.

    outputs: the root (e.g. the per-sample loss) or a list of output Values; inputs: the
    placeholder leaves whose values each sample supplies (the columns of X, in order); params:
    the parameters (a list of leaf Values, or anything with a ``parameters()`` method such as a
    Module), whose grads backward accumulates.
    Every other leaf of the graph must be a Constant.
    """

    def __init__(
        self,
        outputs: Value | Sequence[Value],
        inputs: Sequence[Value],
        params: Sequence[Value] | HasParameters,
    ) -> None:
        self._single = isinstance(outputs, Value)
        outs = [outputs] if isinstance(outputs, Value) else _values(outputs, "outputs")
        if not outs:
            raise ValueError("Tape: needs at least one output")
        self.inputs = _leaves(inputs, "inputs")
        self.params = _leaves(
            params.parameters() if hasattr(params, "parameters") else params, "params"
        )
        both = set(self.inputs) & set(self.params)
        if both:
            raise ValueError(f"Tape: {_name(next(iter(both)))} is both an input and a parameter")
        self.outputs = outs
        self._build(outs)
        self._V: Array | None = None

    # -- running -----------------------------------------------------------------------------

    def forward(self, X: Any) -> Array:
        """The outputs for every sample of X (batch × len(inputs)): shape (batch,) for a single
        root, (batch, len(outputs)) for a list. Reads the parameters' current data."""
        X = self._batch(X)
        V = np.empty((self._n_rows, len(X)))
        s = self._static
        s[: len(self.params)] = list(map(attrgetter("data"), self.params))
        V[: len(self._bcast)] = s[self._bcast, None]
        V[self._input_rows] = X.T
        with np.errstate(all="ignore"):
            for group in self._groups:
                group.forward(V, s)
        self._V = V
        out: Array = V[self._output_rows].T.copy()
        return out[:, 0] if self._single else out

    def backward(self, seed: Any) -> None:
        """Add Σ over samples and outputs of seed · d output / d p to each p.grad, for the batch
        of the latest forward; seed has forward's shape (for a loss: 1/batch each, the mean)."""
        V = self._V
        if V is None:
            raise RuntimeError("Tape.backward: call forward(X) first")
        shape = (V.shape[1],) if self._single else (V.shape[1], len(self.outputs))
        g = np.asarray(seed, dtype=float)
        if g.shape != shape:
            raise ValueError(f"Tape.backward: seed must have shape {shape}, got {g.shape}")
        G = np.zeros_like(V)
        np.add.at(G, self._output_rows, g.reshape(len(V[0]), -1).T)
        gs = np.zeros_like(self._static)
        with np.errstate(all="ignore"):
            for group in reversed(self._groups):
                if group.needs_grad:
                    group.backward(V, G, gs)
        gs[self._bcast] += G[: len(self._bcast)].sum(axis=1)
        for p, d in zip(self.params, gs[: len(self.params)].tolist()):
            p.grad += d

    def loss_backward(self, X: Any) -> float:
        """For a one-output graph (a per-sample loss): forward over X, then backward of the
        mean over the batch. Returns that mean; the parameters' grads accumulate."""
        if not self._single and len(self.outputs) != 1:
            raise ValueError(
                f"Tape.loss_backward: needs a graph with one output, this one has "
                f"{len(self.outputs)}; use forward and backward(seed)"
            )
        out = self.forward(X)
        n = len(out)
        self.backward(np.full(out.shape, 1.0 / n))
        return float(out.sum() / n)

    def summary(self) -> str:
        """The groups, one per line, in forward order: depth, op, how many nodes, how run."""
        lines = [
            f"Tape: {self._n_nodes} nodes ({len(self.params)} parameters, {len(self.inputs)} "
            f"inputs), {len(self._groups)} numpy groups"
        ]
        lines += [f"  depth {g.depth:>3}  {g.describe()}" for g in self._groups]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Tape({self._n_nodes} nodes, {len(self._groups)} groups, "
            f"{len(self.inputs)} inputs, {len(self.params)} parameters)"
        )

    # -- building ------------------------------------------------------------------------------

    def _build(self, outs: list[Value]) -> None:
        order = topological_order(outs)  # children first, each node once
        self._n_nodes = len(order)
        inputs, params = set(self.inputs), set(self.params)
        constants = []
        depth: dict[Value, int] = {}
        needs: dict[Value, bool] = {}
        for node in order:
            if node.children:
                op = ops.OPS.get(node.op)
                if op is None or op.numpy_forward is None:
                    why = "is not defined" if op is None else "has no numpy rule"
                    hint = (
                        "; give define_op a numpy_forward and numpy_derivative"
                        if op is not None and not op.builtin
                        else ""
                    )
                    raise ValueError(
                        f"Tape: cannot replay op {node.op!r} of {_name(node)}: it {why}{hint}"
                    )
                _check_arity(node)
                depth[node] = 1 + max(depth[c] for c in node.children)
                needs[node] = any(needs[c] for c in node.children)
            else:
                if node not in inputs and node not in params:
                    if type(node) is not Constant:
                        raise ValueError(
                            f"Tape: the leaf {_name(node)} is neither an input placeholder, a "
                            "parameter nor a Constant; pass it in inputs= or params="
                        )
                    constants.append(node)
                depth[node] = 0
                needs[node] = node in params
        # static leaves (parameters, then Constants) live in the vector s; rows of V are given
        # to the static leaves that some group reads as a broadcast row, then inputs, interior
        self._static = np.array([p.data for p in self.params] + [c.data for c in constants])
        static_index = {v: i for i, v in enumerate([*self.params, *constants])}
        keyed: dict[tuple[Any, ...], list[Value]] = {}
        for node in order:
            if node.children:
                keyed.setdefault(_group_key(node, depth[node], static_index), []).append(node)
        plans = sorted(keyed.items(), key=lambda item: item[0][0])
        reads: set[Value] = set(outs)
        for key, nodes in plans:
            reads.update(_row_reads(key, nodes))
        bcast = [v for v in [*self.params, *constants] if v in reads]
        row: dict[Value, int] = {v: i for i, v in enumerate(bcast)}
        self._bcast = np.array([static_index[v] for v in bcast], dtype=np.intp)
        start = len(row)
        for i, v in enumerate(self.inputs):
            row[v] = start + i
        self._input_rows = slice(start, start + len(self.inputs))
        start += len(self.inputs)
        self._groups: list[_OpGroup] = []
        for key, nodes in plans:
            for node in nodes:
                row[node] = start
                start += 1
            self._groups.append(_make_group(key, nodes, row, static_index, needs))
        self._n_rows = start
        self._output_rows = np.array([row[v] for v in outs], dtype=np.intp)

    def _batch(self, X: Any) -> Array:
        try:
            array = np.asarray(X, dtype=float)
        except (TypeError, ValueError):
            raise TypeError("Tape.forward: X must be a 2-D array of numbers") from None
        if array.ndim == 1 and len(self.inputs) == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2 or array.shape[1] != len(self.inputs) or len(array) == 0:
            raise ValueError(
                f"Tape.forward: X must have shape (batch, {len(self.inputs)}) (one column per "
                f"input placeholder), got {array.shape}"
            )
        return array


# -- groups: one numpy call per op, depth and arity -----------------------------------------------


class _Rows:
    """Row indices of V, as a slice when consecutive (a view, not a copy)."""

    def __init__(self, rows: Sequence[int]) -> None:
        self.array = np.array(rows, dtype=np.intp)
        n = len(rows)
        consecutive = (
            n > 0 and rows[-1] - rows[0] == n - 1 and bool((np.diff(self.array) == 1).all())
        )
        self.key: Any = slice(rows[0], rows[0] + n) if consecutive else self.array
        self.unique = consecutive or len(set(rows)) == n

    def take(self, A: Array) -> Array:
        taken: Array = A[self.key]
        return taken

    def add(self, A: Array, values: Array) -> None:
        """A[rows] += values, repeated rows adding up."""
        if self.unique:
            A[self.key] += values
        else:
            np.add.at(A, self.array, values)


class _OpGroup:
    """Nodes with one op at one depth (and arity): rows start..stop of V."""

    depth: int
    op: str
    needs_grad: bool
    start: int
    stop: int

    def __init__(self, key: tuple[Any, ...], nodes: list[Value], row: dict[Value, int]) -> None:
        self.depth, self.op = key[0], key[1]
        self.start, self.stop = row[nodes[0]], row[nodes[-1]] + 1
        self.names = [_name(v) for v in nodes]

    def forward(self, V: Array, s: Array) -> None:
        raise NotImplementedError

    def backward(self, V: Array, G: Array, gs: Array) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.op} ×{self.stop - self.start}"


def _numpy_rules(op: ops.Op) -> tuple[Rule, Rule]:
    """op's numpy forward and derivative (the tape admits only ops that have both)."""
    assert op.numpy_forward is not None and op.numpy_derivative is not None
    return op.numpy_forward, op.numpy_derivative


class _Elementwise(_OpGroup):
    """A fixed-arity op: operand j of every node gathered as one (group × batch) array."""

    def __init__(
        self,
        key: tuple[Any, ...],
        nodes: list[Value],
        row: dict[Value, int],
        needs: dict[Value, bool],
    ) -> None:
        super().__init__(key, nodes, row)
        arity = len(nodes[0].children)
        self.columns = [_Rows([row[v.children[j]] for v in nodes]) for j in range(arity)]
        self.grad_columns = [j for j in range(arity) if any(needs[v.children[j]] for v in nodes)]
        self.needs_grad = bool(self.grad_columns)
        op = ops.OPS[self.op]
        self.f, self.d = _numpy_rules(op)
        # the op's parameters (leaky_relu's alpha), one column per parameter, per node
        self.params = [
            np.array([ops.parameters(v)[k] for v in nodes])[:, None] for k in range(len(op.params))
        ]
        self.checks = _domain_checks(self.op, nodes)
        self.xs: list[Array] = []

    def forward(self, V: Array, s: Array) -> None:
        xs = [c.take(V) for c in self.columns]
        for bad, error, message in self.checks:
            _raise_where(bad(*xs), error, ops.OPS[self.op], message, xs, self.names)
        V[self.start : self.stop] = self.f(*xs, *self.params)
        self.xs = xs

    def backward(self, V: Array, G: Array, gs: Array) -> None:
        g, out, xs = G[self.start : self.stop], V[self.start : self.stop], self.xs
        ds = self.d(out, *xs, *self.params)
        for j in self.grad_columns:
            d = ds[j]
            self.columns[j].add(G, g if d is ONE else d * g)


class _Nary(_OpGroup):
    """sum, or dot nodes that are not a dense layer: operands stacked (group × arity × batch)."""

    def __init__(
        self,
        key: tuple[Any, ...],
        nodes: list[Value],
        row: dict[Value, int],
        needs: dict[Value, bool],
    ) -> None:
        super().__init__(key, nodes, row)
        self.arity = len(nodes[0].children)
        flat = [row[c] for v in nodes for c in v.children]
        self.operands = _Rows(flat)
        keep = [needs[c] for v in nodes for c in v.children]
        self.needs_grad = any(keep)
        self.keep = None if all(keep) else np.flatnonzero(keep)
        self.grad_rows = (
            self.operands if self.keep is None else _Rows([flat[i] for i in self.keep.tolist()])
        )
        self.f, self.d = _numpy_rules(ops.OPS[self.op])
        self.xs: Array = np.empty(0)

    def forward(self, V: Array, s: Array) -> None:
        g = self.stop - self.start
        self.xs = self.operands.take(V).reshape(g, self.arity, V.shape[1])
        V[self.start : self.stop] = self.f(self.xs)

    def backward(self, V: Array, G: Array, gs: Array) -> None:
        g = G[self.start : self.stop][:, None, :]
        d = self.d(V[self.start : self.stop], self.xs)
        contributions = np.broadcast_to(g if d is ONE else d * g, self.xs.shape).reshape(
            -1, V.shape[1]
        )
        if self.keep is not None:
            contributions = contributions[self.keep]
        self.grad_rows.add(G, contributions)

    def describe(self) -> str:
        return f"{self.op} ×{self.stop - self.start}, {self.arity} operands each"


class _Dense(_OpGroup):
    """dot nodes sharing one input list, with parameter or Constant weights: Z = W·A (+ b).

    W (group × n) is read from the static vector s; A (n × batch) is the shared inputs' rows.
    Backward: dW = dZ·Aᵀ (summed over the batch by the product), dA = Wᵀ·dZ, db = Σ_batch dZ.
    """

    def __init__(
        self,
        key: tuple[Any, ...],
        nodes: list[Value],
        row: dict[Value, int],
        static_index: dict[Value, int],
        needs: dict[Value, bool],
    ) -> None:
        super().__init__(key, nodes, row)
        arity, swapped = len(nodes[0].children), key[4]
        n = arity // 2
        w_at, x_at = (slice(n, 2 * n), slice(0, n)) if swapped else (slice(0, n), slice(n, 2 * n))
        weights = [v.children[w_at] for v in nodes]
        inputs = nodes[0].children[x_at]
        self.n = n
        self.W = np.array([[static_index[w] for w in ws] for ws in weights], dtype=np.intp)
        self.w_flat = _Rows(self.W.ravel().tolist())
        self.A = _Rows([row[x] for x in inputs])
        self.weights_need_grad = any(needs[w] for ws in weights for w in ws)
        self.inputs_need_grad = any(needs[x] for x in inputs)
        self.bias: _Rows | None = None
        self.bias_static: _Rows | None = None
        if arity % 2:
            biases = [v.children[-1] for v in nodes]
            if all(b in static_index for b in biases):
                self.bias_static = _Rows([static_index[b] for b in biases])
            else:
                self.bias = _Rows([row[b] for b in biases])
        self.bias_needs_grad = arity % 2 == 1 and any(needs[v.children[-1]] for v in nodes)
        self.needs_grad = self.weights_need_grad or self.inputs_need_grad or self.bias_needs_grad
        self.w: Array = np.empty(0)
        self.a: Array = np.empty(0)

    def forward(self, V: Array, s: Array) -> None:
        self.w, self.a = s[self.W], self.A.take(V)
        z = self.w @ self.a
        if self.bias_static is not None:
            z += self.bias_static.take(s)[:, None]
        elif self.bias is not None:
            z += self.bias.take(V)
        V[self.start : self.stop] = z

    def backward(self, V: Array, G: Array, gs: Array) -> None:
        dz = G[self.start : self.stop]
        if self.weights_need_grad:
            self.w_flat.add(gs, (dz @ self.a.T).ravel())
        if self.inputs_need_grad:
            self.A.add(G, self.w.T @ dz)
        if self.bias_static is not None and self.bias_needs_grad:
            self.bias_static.add(gs, dz.sum(axis=1))
        elif self.bias is not None and self.bias_needs_grad:
            self.bias.add(G, dz)

    def describe(self) -> str:
        g = self.stop - self.start
        return f"dot ×{g} as a dense layer: W ({g}×{self.n}) @ A ({self.n}×batch)"


def _group_key(node: Value, depth: int, static_index: dict[Value, int]) -> tuple[Any, ...]:
    """(depth, op, arity, detail): nodes with one key run as one group.

    detail: for dot, the shared inputs of a dense layer (the half that is not all static) and
    which half holds the weights; for **, whether the exponent is a Constant (the engine's
    errors differ); else None.
    """
    op, children = node.op, node.children
    arity = len(children)
    if op == "dot":
        n = arity // 2
        first, second = children[:n], children[n : 2 * n]
        if all(w in static_index for w in first):
            return (depth, op, arity, second, False)
        if all(w in static_index for w in second):
            return (depth, op, arity, first, True)
        return (depth, op, arity, None, None)
    if op == "**":
        return (depth, op, arity, type(children[1]) is Constant, None)
    return (depth, op, arity, None, None)


def _make_group(
    key: tuple[Any, ...],
    nodes: list[Value],
    row: dict[Value, int],
    static_index: dict[Value, int],
    needs: dict[Value, bool],
) -> _OpGroup:
    if key[1] == "dot" and key[3] is not None:
        return _Dense(key, nodes, row, static_index, needs)
    if ops.OPS[key[1]].arity == ops.NARY:
        return _Nary(key, nodes, row, needs)
    return _Elementwise(key, nodes, row, needs)


def _row_reads(key: tuple[Any, ...], nodes: list[Value]) -> list[Value]:
    """The operands a group reads as rows of V (a dense layer reads its weights from s)."""
    if key[1] == "dot" and key[3] is not None:
        return list(key[3]) + [v.children[-1] for v in nodes if len(v.children) % 2]
    return [c for v in nodes for c in v.children]


def _domain_checks(op: str, nodes: list[Value]) -> list[tuple[Rule, type[Exception], str]]:
    """The engine's forward errors that samples could trigger in this group: the op's domain,
    and its derivative's where that operand is a Value (the exponent of a negative base)."""
    if op == "**":
        exps = [v.children[1] for v in nodes]
        if all(type(e) is Constant and e.data >= 0 and e.data == int(e.data) for e in exps):
            return []
    if op == "/" and all(type(v.children[1]) is Constant and v.children[1].data for v in nodes):
        return []
    record = ops.OPS[op]
    differentiated = [
        check
        for i, check in record.derivative_domain
        if any(type(v.children[i]) is not Constant for v in nodes)
    ]
    return list(record.domain) + differentiated


def _raise_where(
    mask: Array,
    error: type[Exception],
    op: ops.Op,
    message: str,
    xs: list[Array],
    names: list[str],
) -> None:
    if mask.any():
        r, b = (int(i) for i in np.argwhere(mask)[0])
        text = domain_text(op, message, [float(x[r, b]) for x in xs])
        raise error(f"Tape.forward: {text}; in sample {b} at {names[r]}")


def _check_arity(node: Value) -> None:
    n, op = len(node.children), node.op
    expected = ops.OPS[op].arity
    ok = n >= 1 if op == "sum" else n >= 2 if op == "dot" else n == expected
    if not ok:
        raise ValueError(f"Tape: {_name(node)} has {n} children, which op {op!r} does not take")


def _values(items: Sequence[Value], where: str) -> list[Value]:
    if not isinstance(items, Sequence):
        raise TypeError(f"Tape({where}) must be a Value or a list of Values")
    out = list(items)
    for i, v in enumerate(out):
        if not isinstance(v, Value):
            raise TypeError(f"Tape({where}): item {i} is a {type(v).__name__}, not a Value")
    return out


def _leaves(items: Sequence[Value], where: str) -> list[Value]:
    """Distinct leaf Values that are not Constants."""
    out = _values(items, where)
    seen: set[Value] = set()
    for i, v in enumerate(out):
        if v.children:
            raise ValueError(
                f"Tape({where}): item {i} ({_name(v)}) is an interior node, not a leaf"
            )
        if type(v) is Constant:
            raise ValueError(f"Tape({where}): item {i} is a Constant; it needs no placeholder")
        if v in seen:
            raise ValueError(f"Tape({where}): item {i} ({_name(v)}) appears more than once")
        seen.add(v)
    return out
