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
forward, Constants once, when the tape is made). They live in one vector s, parameters first in
``params`` order: a dense layer whose weights are laid out evenly there (a model's own order: a
neuron's weights, then its bias) reads them as a strided view of s, with the bias as one more
column against a row of ones after its inputs (Z = [W b]·[A; 1]); any other layout is gathered.
A column of operands that are all Constants (the 2 of x ** 2) is fixed when the tape is made, and
``**`` computes only the derivatives it needs (no x**y·ln x for a constant exponent).
``Tape(..., arrays=True)`` exposes the parameters' part of s and of its gradient as
``tape.data`` and ``tape.grad``: an optimizer updates them in place (``update``) and no Value is
read or written until ``write_values()``. Gradients follow ``Value.backward``: a
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

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

from . import ops
from ._args import node_name as _name
from .engine import Constant, Value, topological_order, value_list
from .optable import domain_text

Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]
Rule = Callable[..., Any]


class HasParameters(Protocol):
    """What Tape accepts as params besides a list: an object with ``parameters()``."""

    def parameters(self) -> list[Value]: ...


ONE = ops.ONE


# -- the tape ------------------------------------------------------------------------------------


class Tape:
    """A graph of one sample, replayed forward and backward with numpy over a batch.

    outputs: the root (e.g. the per-sample loss) or a list of output Values; inputs: the
    placeholder leaves whose values each sample supplies (the columns of X, in order); params:
    the parameters (a list of leaf Values, or anything with a ``parameters()`` method such as a
    Module), whose grads backward accumulates.
    Every other leaf of the graph must be a Constant.

    arrays=False (the default): forward reads the parameters' ``data`` on every call and
    backward adds into their ``grad``, as ``Value.backward`` does. arrays=True keeps the
    parameters in numpy instead: ``tape.data`` and ``tape.grad`` are float64 arrays, one entry
    per parameter in ``tape.params`` order; ``data`` is read from the Values when the tape is
    made (and by ``read_values()``), forward reads ``data``, backward adds into ``grad``, and
    no Value is touched until ``write_values()`` copies both back. An optimizer updates them in
    place with ``optimizer.update(tape.data, tape.grad)``; ``zero_grad()`` clears the grads.
    A Tape keeps buffers between calls: use one Tape from one thread at a time.
    """

    def __init__(
        self,
        outputs: Value | Sequence[Value],
        inputs: Sequence[Value],
        params: Sequence[Value] | HasParameters,
        *,
        arrays: bool = False,
    ) -> None:
        if not isinstance(arrays, bool):
            raise TypeError(f"Tape(arrays) must be a bool, got {type(arrays).__name__}")
        self._single = isinstance(outputs, Value)
        outs = (
            [outputs]
            if isinstance(outputs, Value)
            else value_list(outputs, "Tape(outputs)", "a Value or a list of Values")
        )
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
        self.arrays = arrays
        self._build(outs)
        self._V: Array | None = None  # the latest forward's rows
        self._G: Array = np.empty((0, 0))

    # -- parameters as arrays ------------------------------------------------------------------

    @property
    def data(self) -> Array:
        """The parameters' values the tape computes with (arrays=True): a float64 array in
        ``params`` order, updated in place (an optimizer's ``update``)."""
        self._need_arrays("data")
        return self._s[: len(self.params)]

    @property
    def grad(self) -> Array:
        """The parameters' gradients (arrays=True): backward adds into this array."""
        self._need_arrays("grad")
        return self._gs[: len(self.params)]

    def read_values(self) -> None:
        """Copy the parameters' ``data`` from the Values into ``tape.data`` (arrays=True)."""
        self._need_arrays("read_values")
        self._s[: len(self.params)] = [p.data for p in self.params]

    def write_values(self) -> None:
        """Copy ``tape.data`` into the parameters' ``data`` and ``tape.grad`` into their
        ``grad`` (arrays=True): the Values then hold what the arrays hold."""
        self._need_arrays("write_values")
        for p, x, g in zip(self.params, self.data.tolist(), self.grad.tolist()):
            p.data, p.grad = x, g

    def zero_grad(self) -> None:
        """Set the gradients backward adds into to 0: ``tape.grad`` with arrays=True, else
        each parameter's ``grad``."""
        if self.arrays:
            self._gs.fill(0.0)
        else:
            for p in self.params:
                p.grad = 0.0

    def _need_arrays(self, what: str) -> None:
        if not self.arrays:
            raise AttributeError(
                f"Tape.{what}: this tape reads its parameters from the Values; make it with "
                "Tape(..., arrays=True) to keep them in arrays"
            )

    # -- running -----------------------------------------------------------------------------

    def forward(self, X: Any) -> Array:
        """The outputs for every sample of X (batch × len(inputs)): shape (batch,) for a single
        root, (batch, len(outputs)) for a list. Reads the parameters' current data (with
        arrays=True, ``tape.data``)."""
        X = self._batch(X)
        self._V = None
        V = self._rows(len(X))
        if not self.arrays:
            self._s[: len(self.params)] = [p.data for p in self.params]
        if len(self._bcast):
            V[: len(self._bcast)] = self._s[self._bcast, None]
        V[self._input_rows] = X.T
        with np.errstate(all="ignore"):
            for group in self._groups:
                group.forward(V)
        self._V = V
        out: Array = V[self._output_rows].T.copy()
        return out[:, 0] if self._single else out

    def backward(self, seed: Any) -> None:
        """Add Σ over samples and outputs of seed · d output / d p to each parameter's grad
        (with arrays=True, to ``tape.grad``), for the batch of the latest forward; seed has
        forward's shape (for a loss: 1/batch each, the mean)."""
        V = self._V
        if V is None:
            raise RuntimeError("Tape.backward: call forward(X) first")
        shape = (V.shape[1],) if self._single else (V.shape[1], len(self.outputs))
        g = np.asarray(seed, dtype=float)
        if g.shape != shape:
            raise ValueError(f"Tape.backward: seed must have shape {shape}, got {g.shape}")
        G, gs = self._G, self._gs
        G.fill(0.0)
        self._output_rows_of.add(G, g.reshape(V.shape[1], -1).T)
        if not self.arrays:
            gs.fill(0.0)
        with np.errstate(all="ignore"):
            for group in self._backward_groups:
                group.backward(V, G)
        if len(self._bcast):
            gs[self._bcast] += G[: len(self._bcast)].sum(axis=1)
        if not self.arrays:
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
        constants, depth, needs = self._classify(order)
        # static leaves (parameters, then Constants) live in the vector s, their gradients in gs
        # (both kept for the tape's life: groups hold views of them); rows of V are given to the
        # static leaves that some group reads as a row, then the inputs, then interior nodes
        static = [*self.params, *constants]
        self._s = np.array([v.data for v in static], dtype=float)
        self._gs = np.zeros(len(static))
        static_index = {v: i for i, v in enumerate(static)}
        keyed: dict[tuple[Any, ...], list[Value]] = {}
        for node in order:
            if node.children:
                keyed.setdefault(_group_key(node, depth[node], static_index), []).append(node)
        plans = sorted(keyed.items(), key=lambda item: item[0][0])
        reads: set[Value] = set(outs)
        for key, nodes in plans:
            reads.update(_row_reads(key, nodes, static_index))
        bcast = [v for v in static if v in reads]
        row: dict[Value, int] = {v: i for i, v in enumerate(bcast)}
        self._bcast = np.array([static_index[v] for v in bcast], dtype=np.intp)
        # a row of ones after the inputs a dense layer reads last, after the inputs and after
        # each group's rows: a dense layer reading them takes its bias as one more column of W
        # (Z = [W b]·[A; 1])
        start, ones = self._input_rows_and_ones(len(row), row, _dense_input_ends(plans))
        context = _Context(row, static_index, needs, self._s, self._gs, set(ones))
        self._groups: list[_OpGroup] = []
        for key, nodes in plans:
            # in operand order, so that operands are runs of rows (views) and a dense layer's
            # weights a strided block of s
            nodes.sort(key=partial(_node_order, key, row=row, static_index=static_index))
            for node in nodes:
                row[node] = start
                start += 1
            ones.append(start)
            context.ones.add(start)
            start += 1
            self._groups.append(_make_group(key, nodes, context))
        self._ones = np.array(ones, dtype=np.intp)
        self._backward_groups = [g for g in reversed(self._groups) if g.needs_grad]
        self._n_rows = start
        self._output_rows = np.array([row[v] for v in outs], dtype=np.intp)
        self._output_rows_of = _Rows(self._output_rows.tolist())

    def _input_rows_and_ones(
        self, start: int, row: dict[Value, int], ends: set[int]
    ) -> tuple[int, list[int]]:
        """Rows for the inputs from start on, a row of ones after each input in ends (by id)
        and after the last; the next free row and the rows of ones."""
        ones, rows = [], []
        for i, v in enumerate(self.inputs):
            row[v] = start
            rows.append(start)
            start += 1
            if id(v) in ends and i < len(self.inputs) - 1:
                ones.append(start)
                start += 1
        ones.append(start)
        consecutive = not ones[:-1]
        self._input_rows: Any = (
            slice(rows[0], start) if consecutive and rows else np.array(rows, dtype=np.intp)
        )
        return start + 1, ones

    def _classify(
        self, order: list[Value]
    ) -> tuple[list[Value], dict[Value, int], dict[Value, bool]]:
        """The Constants, each node's depth and whether a parameter lies below it; refuses
        ops without numpy rules and stray leaves."""
        inputs, params = set(self.inputs), set(self.params)
        constants: list[Value] = []
        depth: dict[Value, int] = {}
        needs: dict[Value, bool] = {}
        for node in order:
            if node.children:
                _check_replayable_op(node)
                depth[node] = 1 + max(depth[c] for c in node.children)
                needs[node] = any(needs[c] for c in node.children)
                continue
            if node not in inputs and node not in params:
                if type(node) is not Constant:
                    raise ValueError(
                        f"Tape: the leaf {_name(node)} is neither an input placeholder, a "
                        "parameter nor a Constant; pass it in inputs= or params="
                    )
                constants.append(node)
            depth[node] = 0
            needs[node] = node in params
        return constants, depth, needs

    def _rows(self, batch: int) -> Array:
        """The (rows × batch) buffer of values, and G's of gradients, kept between calls."""
        V = self._V_buffer if self._G.shape == (self._n_rows, batch) else None
        if V is None:
            V = self._V_buffer = np.empty((self._n_rows, batch))
            V[self._ones] = 1.0
            self._G = np.empty((self._n_rows, batch))
        return V

    _V_buffer: Array

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


# -- where a group's operands come from -----------------------------------------------------------


class _Context:
    """What every group needs to find its operands: rows of V, places in s (and gs), and which
    nodes have a parameter below them."""

    def __init__(
        self,
        row: dict[Value, int],
        static_index: dict[Value, int],
        needs: dict[Value, bool],
        s: Array,
        gs: Array,
        ones: set[int],
    ) -> None:
        self.row, self.static_index, self.needs, self.s, self.gs = row, static_index, needs, s, gs
        self.ones = ones  # rows of V that hold 1.0


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


class _Block:
    """Entries of the static vector s at an index matrix (g × n), and the same entries of its
    gradient gs: a strided view when the indices are laid out evenly (a model's parameters in
    its own order: a neuron's weights, then its bias), else gathered and scattered."""

    def __init__(self, index: Index, s: Array, gs: Array) -> None:
        self.index, self.s, self.gs = index, s, gs
        self.unique = len(set(index.ravel().tolist())) == index.size
        stride = _even_stride(index)
        self.view: Array | None = None
        self.grad_view: Array = gs
        if stride is not None:
            at, step = int(index[0, 0]), s.strides[0]
            self.view = as_strided(s[at:], index.shape, (stride * step, step), writeable=False)
            self.grad_view = as_strided(gs[at:], index.shape, (stride * step, step))

    def read(self) -> Array:
        values: Array = self.s[self.index] if self.view is None else self.view
        return values

    def add(self, d: Array) -> None:
        """gs[index] += d, repeated indices adding up."""
        if self.view is not None:
            self.grad_view += d
        elif self.unique:
            self.gs[self.index] += d
        else:
            np.add.at(self.gs, self.index, d)


def _even_stride(index: Index) -> int | None:
    """The row stride r if index[i, j] = index[0, 0] + i·r + j with r >= the row length (rows
    that do not overlap), else None."""
    g, n = index.shape
    stride = int(index[1, 0] - index[0, 0]) if g > 1 else n
    if stride < n:
        return None
    expected = index[0, 0] + stride * np.arange(g)[:, None] + np.arange(n)
    return stride if bool((index == expected).all()) else None


class _Fixed:
    """A column of Constants, fixed when the tape is made: one float for the whole group when
    the op is built in (its rules take numbers too), else a (group × 1) column."""

    def __init__(self, values: list[float], scalar: bool) -> None:
        same = all(v == values[0] for v in values)
        self.value: Any = values[0] if scalar and same else np.array(values)[:, None]

    def take(self, V: Array) -> Any:
        return self.value

    def add(self, G: Array, values: Array) -> None:
        raise AssertionError("a Constant has no gradient")


class _Static:
    """A column of parameters (or parameters and Constants): a (group × 1) column of s,
    broadcast over the batch; its gradient is summed over the batch into gs."""

    def __init__(self, index: list[int], s: Array, gs: Array) -> None:
        self.block = _Block(np.array(index, dtype=np.intp)[:, None], s, gs)

    def take(self, V: Array) -> Array:
        return self.block.read()

    def add(self, G: Array, values: Array) -> None:
        self.block.add(values.sum(axis=1, keepdims=True))


Column = _Rows | _Fixed | _Static


def _column_kind(operands: list[Value], static_index: dict[Value, int]) -> str:
    """ "fixed" (all Constants), "static" (all parameters or Constants) or "rows" (read from V,
    static leaves among them broadcast into rows of their own)."""
    if all(type(v) is Constant for v in operands):
        return "fixed"
    if all(v in static_index for v in operands):
        return "static"
    return "rows"


def _column(operands: list[Value], context: _Context, scalar: bool) -> Column:
    kind = _column_kind(operands, context.static_index)
    if kind == "fixed":
        return _Fixed([v.data for v in operands], scalar)
    if kind == "static":
        return _Static([context.static_index[v] for v in operands], context.s, context.gs)
    return _Rows([context.row[v] for v in operands])


# -- groups: one numpy call per op, depth and arity -----------------------------------------------


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

    def forward(self, V: Array) -> None:
        raise NotImplementedError

    def backward(self, V: Array, G: Array) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.op} ×{self.stop - self.start}"


def _numpy_rules(op: ops.Op) -> tuple[Rule, Rule]:
    """op's numpy forward and derivative (the tape admits only ops that have both)."""
    assert op.numpy_forward is not None and op.numpy_derivative is not None
    return op.numpy_forward, op.numpy_derivative


class _Elementwise(_OpGroup):
    """A fixed-arity op: operand j of every node gathered as one (group × batch) array (or a
    (group × 1) column, or one number, for operands that are parameters or Constants)."""

    def __init__(self, key: tuple[Any, ...], nodes: list[Value], context: _Context) -> None:
        super().__init__(key, nodes, context.row)
        arity = len(nodes[0].children)
        op = ops.OPS[self.op]
        needs = context.needs
        self.columns = [
            _column([v.children[j] for v in nodes], context, op.builtin) for j in range(arity)
        ]
        self.grad_columns = [j for j in range(arity) if any(needs[v.children[j]] for v in nodes)]
        self.needs_grad = bool(self.grad_columns)
        self.f, self.d = _numpy_rules(op)
        self.partials = op.numpy_partials
        # the op's parameters (leaky_relu's alpha), one column per parameter, per node
        self.params = [
            np.array([ops.parameters(v)[k] for v in nodes])[:, None] for k in range(len(op.params))
        ]
        self.checks = _domain_checks(self.op, nodes)
        self.xs: list[Any] = []

    def forward(self, V: Array) -> None:
        xs = [c.take(V) for c in self.columns]
        out = V[self.start : self.stop]
        for bad, error, message in self.checks:
            _raise_where(bad(*xs), out.shape, error, ops.OPS[self.op], message, xs, self.names)
        out[...] = self.f(*xs, *self.params)
        self.xs = xs

    def backward(self, V: Array, G: Array) -> None:
        g, out, xs = G[self.start : self.stop], V[self.start : self.stop], self.xs
        partials = self.partials
        if partials is None:
            ds = self.d(out, *xs, *self.params)
        else:  # only the derivatives needed
            ds = [partials[j](out, *xs) if j in self.grad_columns else None for j in range(2)]
        for j in self.grad_columns:
            d = ds[j]
            self.columns[j].add(G, g if d is ONE else d * g)


class _Nary(_OpGroup):
    """sum, or dot nodes that are not a dense layer: operands stacked (group × arity × batch)."""

    def __init__(self, key: tuple[Any, ...], nodes: list[Value], context: _Context) -> None:
        super().__init__(key, nodes, context.row)
        self.arity = len(nodes[0].children)
        flat = [context.row[c] for v in nodes for c in v.children]
        self.operands = _Rows(flat)
        keep = [context.needs[c] for v in nodes for c in v.children]
        self.needs_grad = any(keep)
        self.keep = None if all(keep) else np.flatnonzero(keep)
        self.grad_rows = (
            self.operands if self.keep is None else _Rows([flat[i] for i in self.keep.tolist()])
        )
        self.f, self.d = _numpy_rules(ops.OPS[self.op])
        self.xs: Array = np.empty(0)

    def forward(self, V: Array) -> None:
        g = self.stop - self.start
        self.xs = self.operands.take(V).reshape(g, self.arity, V.shape[1])
        V[self.start : self.stop] = self.f(self.xs)

    def backward(self, V: Array, G: Array) -> None:
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

    W (group × n) is a block of the static vector s; A (n × batch) is the shared inputs' rows.
    Backward: dW = dZ·Aᵀ (summed over the batch by the product), dA = Wᵀ·dZ, db = Σ_batch dZ.
    Where each bias follows its weights in s (a model's own order) and a row of ones follows
    the inputs in V, the bias is one more column: Z = [W b]·[A; 1] and d[W b] = dZ·[A; 1]ᵀ.
    """

    def __init__(self, key: tuple[Any, ...], nodes: list[Value], context: _Context) -> None:
        super().__init__(key, nodes, context.row)
        arity, swapped = len(nodes[0].children), key[4]
        n = arity // 2
        w_at, x_at = _dense_halves(n, swapped)
        weights = [v.children[w_at] for v in nodes]
        inputs = nodes[0].children[x_at]
        needs, static_index, row = context.needs, context.static_index, context.row
        self.n = n
        index = np.array([[static_index[w] for w in ws] for ws in weights], dtype=np.intp)
        self.A = _Rows([row[x] for x in inputs])
        self.weights_need_grad = any(needs[w] for ws in weights for w in ws)
        self.inputs_need_grad = any(needs[x] for x in inputs)
        self.bias: _Rows | _Static | None = None
        self.bias_needs_grad = False
        self.A1: slice | None = None  # the input rows and the row of ones after them
        if arity % 2:
            biases = [v.children[-1] for v in nodes]
            self.bias_needs_grad = any(needs[b] for b in biases)
            if all(b in static_index for b in biases):
                with_bias = np.column_stack([index, [static_index[b] for b in biases]])
                a = self.A.key
                if (
                    isinstance(a, slice)
                    and a.stop in context.ones
                    and _even_stride(with_bias) is not None
                    and self.weights_need_grad == self.bias_needs_grad
                ):
                    index, self.A1 = with_bias, slice(a.start, a.stop + 1)
                else:
                    self.bias = _Static([static_index[b] for b in biases], context.s, context.gs)
            else:
                self.bias = _Rows([row[b] for b in biases])
        self.W = _Block(index, context.s, context.gs)
        self.needs_grad = self.weights_need_grad or self.inputs_need_grad or self.bias_needs_grad
        self.a: Array = np.empty(0)

    def forward(self, V: Array) -> None:
        self.a = V[self.A1] if self.A1 is not None else self.A.take(V)
        z = V[self.start : self.stop]
        np.matmul(self.W.read(), self.a, out=z)
        if self.bias is not None:
            z += self.bias.take(V)

    def backward(self, V: Array, G: Array) -> None:
        dz = G[self.start : self.stop]
        if self.weights_need_grad:
            self.W.add(dz @ self.a.T)
        if self.inputs_need_grad:
            self.A.add(G, self.W.read()[:, : self.n].T @ dz)
        if self.bias is not None and self.bias_needs_grad:
            self.bias.add(G, dz)

    def describe(self) -> str:
        g = self.stop - self.start
        return f"dot ×{g} as a dense layer: W ({g}×{self.n}) @ A ({self.n}×batch)"


def _dense_halves(n: int, swapped: bool) -> tuple[slice, slice]:
    """Where a dense dot node's weights and inputs are among its children."""
    return (slice(n, 2 * n), slice(0, n)) if swapped else (slice(0, n), slice(n, 2 * n))


def _group_key(node: Value, depth: int, static_index: dict[Value, int]) -> tuple[Any, ...]:
    """(depth, op, arity, detail, swapped): nodes with one key run as one group.

    detail: for dot, the identities of the shared inputs of a dense layer (the half that is not
    all static), with swapped saying which half holds the weights; for **, whether the exponent
    is a Constant (the engine's errors differ); else None.
    """
    op, children = node.op, node.children
    arity = len(children)
    if op == "dot":
        n = arity // 2
        first, second = children[:n], children[n : 2 * n]
        if all(w in static_index for w in first):
            return (depth, op, arity, tuple(map(id, second)), False)
        if all(w in static_index for w in second):
            return (depth, op, arity, tuple(map(id, first)), True)
        return (depth, op, arity, None, None)
    if op == "**":
        return (depth, op, arity, type(children[1]) is Constant, None)
    return (depth, op, arity, None, None)


def _dense_input_ends(plans: list[tuple[tuple[Any, ...], list[Value]]]) -> set[int]:
    """The identities of the last input of every dense layer's run of inputs."""
    ends = set()
    for key, nodes in plans:
        if _is_dense(key):
            n = len(nodes[0].children) // 2
            ends.add(id(nodes[0].children[_dense_halves(n, key[4])[1]][-1]))
    return ends


def _node_order(
    key: tuple[Any, ...], node: Value, *, row: dict[Value, int], static_index: dict[Value, int]
) -> int:
    """Where a node goes in its group: by its first weight's place in s for a dense layer, else
    by its first operand's row (or place in s)."""
    children = node.children
    if _is_dense(key):
        return static_index[children[_dense_halves(len(children) // 2, key[4])[0]][0]]
    first = children[0]
    return row[first] if first in row else static_index.get(first, -1)


def _is_dense(key: tuple[Any, ...]) -> bool:
    return key[1] == "dot" and key[3] is not None


def _make_group(key: tuple[Any, ...], nodes: list[Value], context: _Context) -> _OpGroup:
    if _is_dense(key):
        return _Dense(key, nodes, context)
    if ops.OPS[key[1]].arity == ops.NARY:
        return _Nary(key, nodes, context)
    return _Elementwise(key, nodes, context)


def _row_reads(
    key: tuple[Any, ...], nodes: list[Value], static_index: dict[Value, int]
) -> list[Value]:
    """The operands a group reads as rows of V (a dense layer reads its weights from s, an
    elementwise op its columns of parameters or Constants)."""
    if _is_dense(key):
        n = len(nodes[0].children) // 2
        reads = list(nodes[0].children[_dense_halves(n, key[4])[1]])
        biases = [v.children[-1] for v in nodes if len(v.children) % 2]
        if not all(b in static_index for b in biases):
            reads += biases
        return reads
    if ops.OPS[key[1]].arity == ops.NARY:
        return [c for v in nodes for c in v.children]
    reads = []
    for j in range(len(nodes[0].children)):
        column = [v.children[j] for v in nodes]
        if _column_kind(column, static_index) == "rows":
            reads += column
    return reads


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
    mask: Any,
    shape: tuple[int, ...],
    error: type[Exception],
    op: ops.Op,
    message: str,
    xs: list[Any],
    names: list[str],
) -> None:
    if np.any(mask):
        r, b = (int(i) for i in np.argwhere(np.broadcast_to(mask, shape))[0])
        operands = [float(np.broadcast_to(x, shape)[r, b]) for x in xs]
        raise error(
            f"Tape.forward: {domain_text(op, message, operands)}; in sample {b} at {names[r]}"
        )


def _check_replayable_op(node: Value) -> None:
    """The op of an interior node has numpy rules and the node its number of operands."""
    op = ops.OPS.get(node.op)
    if op is None or op.numpy_forward is None:
        why = "is not defined" if op is None else "has no numpy rule"
        hint = (
            "; give define_op a numpy_forward and numpy_derivative"
            if op is not None and not op.builtin
            else ""
        )
        raise ValueError(f"Tape: cannot replay op {node.op!r} of {_name(node)}: it {why}{hint}")
    n = len(node.children)
    ok = n >= 1 if node.op == "sum" else n >= 2 if node.op == "dot" else n == op.arity
    if not ok:
        raise ValueError(
            f"Tape: {_name(node)} has {n} children, which op {node.op!r} does not take"
        )


def _leaves(items: Sequence[Value], where: str) -> list[Value]:
    """Distinct leaf Values that are not Constants."""
    out = value_list(items, f"Tape({where})")
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


def __getattr__(name: str) -> Any:
    """``NUMPY_RULES`` and ``DOMAINS``: deprecated snapshots of the op table (read ops.OPS)."""
    import warnings

    if name == "NUMPY_RULES":
        view: Any = {
            op.name: (op.numpy_forward, op.numpy_derivative)
            for op in ops.OPS.values()
            if op.numpy_forward is not None and op.numpy_derivative is not None
        }
    elif name == "DOMAINS":
        view = {op.name: list(op.domain) for op in ops.OPS.values() if op.domain}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"replay.{name} is deprecated: read the op table, ops.OPS[name]",
        DeprecationWarning,
        stacklevel=2,
    )
    return view
