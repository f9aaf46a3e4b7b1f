"""The op table walked op by op: every rule against central differences and against its twins
(Values, numpy, the engine's inline hot path), the text forms, and custom ops from user code."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microgradnet import MLP, Constant, Value, define_op, explain, fit, gradients, no_gc, ops
from microgradnet import math as mm
from microgradnet.expr import FUNCTIONS, parse_expression
from microgradnet.latex import latex_text
from microgradnet.replay import Tape
from microgradnet.steps import forward_steps
from microgradnet.transforms import grad, gradcheck

H = 1e-6
TABLE = [op for op in ops.OPS.values() if op.builtin]  # every per-op list below is read here
CALLED = [op for op in TABLE if not op.hidden]  # the ops users call (identity is hidden)


def split(op: ops.Op, point: tuple[float, ...]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """A record's test point as (operands, params): the params come last."""
    k = len(point) - len(op.params)
    return point[:k], point[k:]


def undefined_derivative(op: ops.Op, xs: tuple[float, ...], i: int) -> bool:
    """Operand i's derivative is a convention here (the exponent of a negative base)."""
    return any(j == i and bad(*xs) for j, (bad, _, _) in op.derivative_domain)


def central_differences(op: ops.Op, xs: tuple[float, ...], ps: tuple[float, ...]) -> list[float]:
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += H
        down[i] -= H
        out.append((op.forward(*up, *ps) - op.forward(*down, *ps)) / (2 * H))
    return out


CASES = [(op.name, point) for op in TABLE for point in op.points]


@pytest.mark.parametrize(("name", "point"), CASES)
def test_float_rule_matches_central_differences(name: str, point: tuple[float, ...]) -> None:
    op = ops.OPS[name]
    xs, ps = split(op, point)
    out = op.forward(*xs, *ps)
    rule = list(map(float, op.derivative(out, *xs, *ps)))
    numeric = central_differences(op, xs, ps)
    for i, (r, n) in enumerate(zip(rule, numeric)):
        if undefined_derivative(op, xs, i):
            assert r == 0.0  # the convention: d x**y / dy = 0 where x < 0
        else:
            assert r == pytest.approx(n, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(("name", "point"), CASES)
def test_value_rule_matches_float_rule(name: str, point: tuple[float, ...]) -> None:
    op = ops.OPS[name]
    assert op.value_derivative is not None
    xs, ps = split(op, point)
    out = op.forward(*xs, *ps)
    values: list[Any] = [
        x if undefined_derivative(op, xs, i) else Value(x) for i, x in enumerate(xs)
    ]  # a number where a Value would be refused (the exponent of a negative base)
    got = [
        d.data if isinstance(d, Value) else d for d in op.value_derivative(Value(out), *values, *ps)
    ]
    assert got == pytest.approx(list(op.derivative(out, *xs, *ps)), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", [op.name for op in TABLE])
def test_numpy_rule_matches_float_rule_elementwise(name: str) -> None:
    op = ops.OPS[name]
    assert op.numpy_forward is not None and op.numpy_derivative is not None
    if op.arity == ops.NARY:
        for xs in op.points:
            stacked = np.array(xs, dtype=float).reshape(1, len(xs), 1)
            out = op.numpy_forward(stacked)
            assert float(out[0, 0]) == pytest.approx(op.forward(*xs), rel=1e-14)
            d = np.broadcast_to(op.numpy_derivative(out, stacked), stacked.shape)
            expected = op.derivative(float(out[0, 0]), *xs)
            assert d[0, :, 0].tolist() == pytest.approx(list(expected))
        return
    splits = [split(op, point) for point in op.points]
    columns = [np.array(c, dtype=float)[:, None] for c in zip(*(xs for xs, _ in splits))]
    params = [np.array(c, dtype=float)[:, None] for c in zip(*(ps for _, ps in splits))]
    out = op.numpy_forward(*columns, *params)
    ds = op.numpy_derivative(out, *columns, *params)
    for k, (xs, ps) in enumerate(splits):
        expected_out = op.forward(*xs, *ps)
        assert float(out[k, 0]) == pytest.approx(expected_out, rel=1e-13, abs=1e-300)
        expected = op.derivative(expected_out, *xs, *ps)
        for j in range(op.arity):
            d = np.broadcast_to(ds[j], out.shape)
            assert float(d[k, 0]) == pytest.approx(float(expected[j]), rel=1e-12, abs=1e-15)


def make(op: ops.Op, point: tuple[float, ...]) -> tuple[Value, list[Value]]:
    """The node of op on leaves with data point's operands, built the way users build it: by
    the op's first method (an operator for + - * / **), else by ops.apply."""
    xs, ps = split(op, point)
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    operands: list[Any] = [
        x.data if undefined_derivative(op, xs, i) else x for i, x in enumerate(leaves)
    ]
    if not op.methods:
        return ops.apply(op.name, *operands, *ps), leaves
    return getattr(operands[0], op.methods[0])(*operands[1:], *ps), leaves


@pytest.mark.parametrize(("name", "point"), [(n, p) for n, p in CASES if not ops.OPS[n].hidden])
def test_methods_build_the_tables_node(name: str, point: tuple[float, ...]) -> None:
    """Each method and operator builds its node from the record: its data and local
    derivatives are the table's, for every name the op is called by."""
    op = ops.OPS[name]
    node, _ = make(op, point)
    assert node.op == name
    data = [c.data for c in node.children]
    ps = ops.parameters(node)
    assert node.data == op.forward(*data, *ps)
    assert list(node.local_grads) == pytest.approx(list(op.derivative(node.data, *data, *ps)))
    for method in op.methods[1:]:  # the other names build the same node
        xs, ps2 = split(op, point)
        again = getattr(Value(xs[0]), method)(*xs[1:], *ps2)
        assert (again.op, again.data) == (name, node.data)


@pytest.mark.parametrize("name", [op.name for op in CALLED])
def test_text_glyph_latex_and_cli_forms_exist(name: str) -> None:
    op = ops.OPS[name]
    node, _ = make(op, op.points[0])
    names = [v.label or f"{v.data:g}" for v in node.children]
    text = ops.text_form(node, names)
    assert all(n in text for n in names if node.op != "**" or n == "x0")
    assert ops.glyph(node)
    texts = [ops.derivative_text(node, i, names, "o") for i in range(len(node.children))]
    assert all(t for t in texts)
    if op.notation in ("call", "abs") and op.cli:
        assert name in FUNCTIONS
    if op.latex:
        assert op.latex.startswith("\\")


@pytest.mark.parametrize(
    ("build", "names", "text"),
    [
        (lambda x, w, b: x * w + b, ["x·w", "b"], "x·w + b"),
        (lambda x, w, b: (-x).__neg__(), ["-x"], "-(-x)"),
        (lambda x, w, b: (x + w) ** 2, ["x + w", "2"], "(x + w)²"),
        (lambda x, w, b: x - (w - b), ["x", "w - b"], "x - (w - b)"),
        (lambda x, w, b: x / (w * b), ["x", "w·b"], "x/(w·b)"),
        (lambda x, w, b: x.tanh(), ["h"], "tanh(h)"),
        (lambda x, w, b: x.leaky_relu(0.1), ["z"], "leaky_relu(z, 0.1)"),
        (lambda x, w, b: abs(x), ["x"], "|x|"),
        (lambda x, w, b: x**w, ["x", "w"], "x^w"),
    ],
)
def test_text_form_parenthesizes_by_precedence(
    build: Callable[[Value, Value, Value], Value], names: list[str], text: str
) -> None:
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    node = build(x, w, b)
    if node.op == "neg":
        node.children[0].label = ""  # -(-x): the operand is the unlabelled node -x
    assert ops.text_form(node, names) == text


def test_derivative_texts_in_the_notes_notation() -> None:
    o1, w2, h = Value(0.5, "o₁"), Value(2.0, "w₂"), Value(0.3, "h")
    assert ops.derivative_text(o1 * w2, 1, ["o₁", "w₂"], "h₂") == "o₁"
    assert ops.derivative_text(h.sigmoid(), 0, ["h"], "o") == "o·(1 − o)"
    assert ops.derivative_text(h.tanh(), 0, ["h"], "t") == "1 − t²"
    assert ops.derivative_text(h**3, 0, ["x", "3"], "y") == "3·x²"
    assert ops.derivative_text(h.relu(), 0, ["h"], "r") == "1"
    assert ops.derivative_text((-h).relu(), 0, ["h"], "r") == "0"  # relu'(x <= 0) = 0
    assert ops.derivative_text(h.sin(), 0, ["h"], "s") == "cos(h)"


def test_glyphs_and_constant_operands() -> None:
    x, y = Value(2.0, "x"), Value(3.0, "y")
    assert [ops.glyph(v) for v in (x + y, x * y, x**2, x**3, x**y, x.tanh())] == [
        "+",
        "×",
        "²",
        "^",
        "^",
        "tanh",
    ]
    assert ops.constant_operands(x**2) == (1,)
    assert ops.constant_operands(x**y) == ()
    assert ops.constant_operands(x.leaky_relu(0.2)) == ()
    assert ops.parameters(x.leaky_relu(0.2)) == (0.2,)


@pytest.mark.parametrize(("name", "point"), [(n, p) for n, p in CASES if not ops.OPS[n].hidden])
def test_the_compiled_replay_of_every_op_matches_the_engine(
    name: str, point: tuple[float, ...]
) -> None:
    """op(x_i·p_i) on a tape (the numpy forms, batched) against the engine: the values at the
    record's point and at a nearby one, and d/dp_i = x_i·∂op/∂x_i summed over both."""
    op = ops.OPS[name]
    xs, ps = split(op, point)
    free = [i for i in range(len(xs)) if not undefined_derivative(op, xs, i)]
    rows = [list(xs), [x * (1 + 1e-3) if i in free else x for i, x in enumerate(xs)]]

    def build(data: list[float], weights: list[Value]) -> tuple[Value, list[Value]]:
        inputs = [Value(data[i], f"x{i}") for i in free]
        operands: list[Any] = list(data)
        for k, i in enumerate(free):
            operands[i] = inputs[k] * weights[k]
        if op.methods:
            return getattr(operands[0], op.methods[0])(*operands[1:], *ps), inputs
        return ops.apply(name, *operands, *ps), inputs

    weights = [Value(1.0, f"p{i}") for i in free]
    expected = []
    for row in rows:
        root, _ = build(row, weights)
        root.backward()
        expected.append(root.data)
    engine_grads = [w.grad for w in weights]
    for w in weights:
        w.grad = 0.0
    root, inputs = build(rows[0], weights)
    tape = Tape(root, inputs, weights)
    X = np.array([[row[i] for i in free] for row in rows])
    assert tape.forward(X).tolist() == pytest.approx(expected, rel=1e-12, abs=1e-300)
    tape.backward([1.0, 1.0])
    assert [w.grad for w in weights] == pytest.approx(engine_grads, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", [op.name for op in CALLED if op.arity != ops.NARY])
def test_the_step_texts_and_explain_write_every_op(name: str) -> None:
    """The forward step writes the op on its numbers, and explain's chain rule, in text and
    LaTeX, carries each local derivative as the record writes it, and its number."""
    op = ops.OPS[name]
    node, _ = make(op, op.points[0])
    node.label = "o"
    step = str(list(forward_steps(node))[-1])
    assert step.endswith(f" = {node.data:.6g}")
    if op.notation == "call":
        assert f" = {op.name}(" in step
    i = next(k for k, c in enumerate(node.children) if c.label)
    names = [c.label or f"{c.data:g}" for c in node.children]
    formula = ops.derivative_text(node, i, names, "o")
    assert formula is not None
    explanation = explain(node, node.children[i])
    assert f"{float(node.local_grads[i]):.6g}" in str(explanation)
    assert latex_text(formula) in explanation.to_latex()


# -- the third derivative of every op: nested gradients against differences and PyTorch ------

TORCH_REASON = "PyTorch is not installed (the optional `torch` extra): the float64 comparison"
HAS_TORCH = importlib.util.find_spec("torch") is not None


def partials(op: ops.Op, point: tuple[float, ...], order: int) -> dict[tuple[int, ...], float]:
    """Every partial derivative of op's node at point of the given order, by index tuple
    ((0, 1, 1): d³/dx0 dx1 dx1), by nested gradients(create_graph=True). Operands whose
    derivative is a convention (the exponent of a negative base) are held fixed."""
    xs, _ = split(op, point)
    node, leaves = make(op, point)
    free = [i for i in range(len(xs)) if not undefined_derivative(op, xs, i)]
    level: dict[tuple[int, ...], Any] = {(): node}
    for k in range(order):
        deeper: dict[tuple[int, ...], Any] = {}
        for index, f in level.items():
            grads: list[Any] = [0.0] * len(free)
            if isinstance(f, Value):
                grads = gradients(f, [leaves[i] for i in free], create_graph=k < order - 1)
            deeper.update({(*index, i): g for i, g in zip(free, grads)})
        level = deeper
    return {index: float(g) for index, g in level.items()}


def shifted(op: ops.Op, point: tuple[float, ...], k: int, h: float) -> tuple[float, ...]:
    moved = list(point)
    moved[k] += h
    return tuple(moved)


THIRD_H = 1e-4  # the step of the central differences of the second derivative


@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize(("name", "point"), CASES)
def test_derivatives_match_differences_of_the_order_below(
    name: str, point: tuple[float, ...], order: int
) -> None:
    """d³/dx_i dx_j dx_k by three nested gradients against central differences, along x_k, of
    d²/dx_i dx_j by two nested gradients (rtol 1e-5); and the second derivative so against
    the first, which the float rule test checks against the forward: a chain to the third."""
    op = ops.OPS[name]
    for (*below, k), d in partials(op, point, order).items():
        up = partials(op, shifted(op, point, k, THIRD_H), order - 1)[tuple(below)]
        down = partials(op, shifted(op, point, k, -THIRD_H), order - 1)[tuple(below)]
        assert d == pytest.approx((up - down) / (2 * THIRD_H), rel=1e-5, abs=1e-6), (*below, k)


def torch_partials(
    op: ops.Op, point: tuple[float, ...], order: int
) -> dict[tuple[int, ...], float]:
    """The same partials by torch.autograd.grad in float64, calling the function the record
    names: torch.<op.torch>(*operands, *params, **op.torch_kwargs)."""
    import torch

    assert op.torch is not None
    function: Any = torch
    for part in op.torch.split("."):
        function = getattr(function, part)
    xs, ps = split(op, point)
    free = [i for i in range(len(xs)) if not undefined_derivative(op, xs, i)]
    args: list[Any] = [
        torch.tensor(x, dtype=torch.float64, requires_grad=True) if i in free else x
        for i, x in enumerate(xs)
    ]
    level: dict[tuple[int, ...], Any] = {(): function(*args, *ps, **op.torch_kwargs)}
    for _ in range(order):
        deeper: dict[tuple[int, ...], Any] = {}
        for index, f in level.items():
            grads: Any = [None] * len(free)
            if isinstance(f, torch.Tensor) and f.requires_grad:
                wrt = [args[i] for i in free]
                grads = torch.autograd.grad(f, wrt, create_graph=True, allow_unused=True)
            deeper.update({(*index, i): 0.0 if g is None else g for i, g in zip(free, grads)})
        level = deeper
    return {index: float(g.detach() if torch.is_tensor(g) else g) for index, g in level.items()}


@pytest.mark.skipif(not HAS_TORCH, reason=TORCH_REASON)
@pytest.mark.parametrize(("name", "point"), [(n, p) for n, p in CASES if ops.OPS[n].torch])
def test_derivatives_to_the_third_match_pytorch(name: str, point: tuple[float, ...]) -> None:
    """The first, second and third derivatives against PyTorch's in float64 (rtol 1e-9), with
    the function each record names as its PyTorch counterpart."""
    op = ops.OPS[name]
    for order in (1, 2, 3):
        ours, theirs = partials(op, point, order), torch_partials(op, point, order)
        assert ours.keys() == theirs.keys()
        for index, d in ours.items():
            assert d == pytest.approx(theirs[index], rel=1e-9, abs=1e-12), (order, index)


def test_every_op_with_a_pytorch_counterpart_is_compared() -> None:
    """Only the n-ary ops (sum, dot) and the hidden identity lack one."""
    assert {op.name for op in TABLE if not op.torch} == {"sum", "dot", "identity"}


# -- kinks, stability, higher derivatives ---------------------------------------------------


@pytest.mark.parametrize(
    ("build", "d"),
    [
        (lambda x: x.relu(), 0.0),
        (lambda x: x.leaky_relu(0.3), 0.3),
        (lambda x: x.abs(), 0.0),
        (lambda x: abs(x), 0.0),
    ],
)
def test_conventions_at_kinks(build: Callable[[Value], Value], d: float) -> None:
    x = Value(0.0)
    y = build(x)
    y.backward()
    assert x.grad == d


def test_softplus_is_stable_for_large_inputs() -> None:
    assert Value(1000.0).softplus().data == 1000.0
    assert Value(-1000.0).softplus().data == 0.0
    assert Value(-50.0).softplus().data == pytest.approx(math.exp(-50.0), rel=1e-12)
    x = Value(800.0)
    x.softplus().backward()
    assert x.grad == 1.0
    X = np.array([[-1000.0], [0.0], [1000.0]])
    t = Value(0.0, "t")
    tape = Tape(t.softplus(), [t], [])
    assert tape.forward(X).tolist() == pytest.approx([0.0, math.log(2), 1000.0])


def test_gelu_matches_the_erf_form_and_silu_its_definition() -> None:
    for x in (-3.0, -0.5, 0.0, 0.7, 4.0):
        assert Value(x).gelu().data == pytest.approx(0.5 * x * (1 + math.erf(x / math.sqrt(2))))
        assert Value(x).silu().data == pytest.approx(x / (1 + math.exp(-x)))


@pytest.mark.parametrize("name", ["sin", "cos", "abs", "softplus", "silu", "gelu", "normal_cdf"])
@pytest.mark.parametrize("x0", [-1.1, 0.6])
def test_second_derivative_of_new_ops_matches_differences(name: str, x0: float) -> None:
    def f(x: Value) -> Value:
        return ops.apply(name, x)

    d1 = grad(f)
    d2 = grad(d1)
    numeric = (d1(x0 + 1e-5) - d1(x0 - 1e-5)) / 2e-5
    assert float(d2(x0)) == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_new_ops_pass_gradcheck_and_replay() -> None:
    a, b = Value(0.4, "a"), Value(-0.7, "b")

    def f(a: Value, b: Value) -> Value:
        return (a.sin() * b.cos() + (a - b).abs() + b.softplus() + a.silu() * b.gelu()).tanh()

    assert gradcheck(f, [a, b])
    X = np.array([[0.4, -0.7], [1.2, 0.3], [-2.0, 1.5]])
    tape = Tape(f(a, b), [a, b], [])
    expected = []
    for row in X.tolist():
        expected.append(f(Value(row[0]), Value(row[1])).data)
    assert tape.forward(X).tolist() == pytest.approx(expected, rel=1e-12)


# -- the math functions: worked values and conventions ----------------------------------------


def test_tan_and_atan2_worked_values() -> None:
    x = Value(math.pi / 4, "x")
    t = x.tan()
    t.backward()
    assert (t.data, x.grad) == (pytest.approx(1.0), pytest.approx(2.0))  # tan' = 1 + tan²
    assert ops.derivative_text(t, 0, ["x"], "t") == "1 + t²"
    y, x = Value(-1.0, "y"), Value(-1.0, "x")
    a = y.atan2(x)  # the third quadrant: −3π/4
    a.backward()
    assert a.data == pytest.approx(-3 * math.pi / 4, rel=1e-15)
    assert (y.grad, x.grad) == (pytest.approx(-0.5), pytest.approx(0.5))  # x/r², −y/r²
    assert ops.text_form(a, ["y", "x"]) == "atan2(y, x)"
    assert [ops.derivative_text(a, i, ["y", "x"], "a") for i in (0, 1)] == [
        "x/(y² + x²)",
        "−y/(y² + x²)",
    ]
    assert ops.fn.atan2(1.0, Value(0.0)).data == pytest.approx(math.pi / 2)  # a number first
    assert parse_expression("atan2(y, x)", {"x": x, "y": y}).data == a.data


def test_atan2_at_the_origin_follows_pytorch() -> None:
    """No limit exists at (0, 0): the derivatives are (0, 0), as torch.atan2's."""
    y, x = Value(0.0), Value(0.0)
    a = y.atan2(x)
    assert (a.data, a.local_grads) == (0.0, (0.0, 0.0))
    dy, dx = gradients(a, [y, x], create_graph=True)
    assert (dy, dx) == (0.0, 0.0)
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    u, v = Value(0.5, "u"), Value(0.5, "v")
    tape = Tape(u.atan2(v), [u, v], [])
    assert tape.forward(X).tolist() == pytest.approx([0.0, math.pi / 4])


INF = math.inf


@pytest.mark.parametrize(
    ("build", "data", "local"),
    [
        (lambda: Value(1.0).asin(), math.pi / 2, (INF,)),  # the limits at the domain's edges
        (lambda: Value(-1.0).asin(), -math.pi / 2, (INF,)),
        (lambda: Value(1.0).acos(), 0.0, (-INF,)),
        (lambda: Value(-1.0).acos(), math.pi, (-INF,)),
        (lambda: Value(1.0).acosh(), 0.0, (INF,)),
        (lambda: Value(0.0).hypot(Value(0.0)), 0.0, (0.0, 0.0)),  # as abs'(0) = 0
        (lambda: Value(0.0).atan2(Value(0.0)), 0.0, (0.0, 0.0)),  # as PyTorch
        (lambda: Value(1.0).maximum(Value(1.0)), 1.0, (0.5, 0.5)),  # a tie splits the gradient
        (lambda: Value(1.0).minimum(Value(1.0)), 1.0, (0.5, 0.5)),
        (lambda: Value(2.0).maximum(Value(1.0)), 2.0, (1.0, 0.0)),
        (lambda: Value(2.0).minimum(Value(1.0)), 1.0, (0.0, 1.0)),
        (lambda: Value(-1.0).clamp(-1, 1), -1.0, (1.0,)),  # the ends pass the gradient
        (lambda: Value(1.0).clamp(-1, 1), 1.0, (1.0,)),
        (lambda: Value(1.5).clamp(2, 1), 1.0, (0.0,)),  # lo > hi gives hi, as torch.clamp
        (lambda: Value(0.0).sign(), 0.0, (0.0,)),
        (lambda: Value(2.0).floor(), 2.0, (0.0,)),  # at a jump
        (lambda: Value(2.5).round(), 2.0, (0.0,)),  # halves to even
        (lambda: Value(4.0) % Value(2.0), 0.0, (1.0, -2.0)),  # at a jump: -floor(4/2)
        (lambda: Value(-4.0).fmod(Value(2.0)), -0.0, (1.0, 2.0)),  # -trunc(-4/2)
        (lambda: Value(4.0) // Value(2.0), 2.0, (0.0, 0.0)),
    ],
)
def test_conventions_at_domain_edges_and_jumps(
    build: Callable[[], Value], data: float, local: tuple[float, ...]
) -> None:
    node = build()
    assert (node.data, node.local_grads) == (pytest.approx(data, abs=1e-15), local)
    assert ops.OPS[node.op].kink  # each convention is written in its record (and the README)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda z: z.atanh(),
            ValueError,
            r"atanh: input must be in \(-1, 1\), got 1.0 \(label 'z'\)",
        ),
        (lambda z: (-z).log1p(), ValueError, r"log1p: input must be > -1, got -1.0"),
        (lambda z: (z * 2).asin(), ValueError, r"asin: input must be in \[-1, 1\], got 2.0"),
        (lambda z: (z - 2).acosh(), ValueError, r"acosh: input must be >= 1, got -1.0"),
        (lambda z: (z - 1).log2(), ValueError, r"log2: input must be > 0, got 0.0"),
        (lambda z: (-z).log10(), ValueError, r"log10: input must be > 0, got -1.0"),
        (lambda z: z % 0, ZeroDivisionError, r"%: modulo by zero, 1.0 % 0.0"),
        (lambda z: 3 // (z - 1), ZeroDivisionError, r"//: division by zero, 3.0 // 0.0"),
        (lambda z: z.fmod(z - 1), ValueError, r"fmod: the divisor is 0, fmod\(1.0, 0.0\)"),
        (lambda z: z.clamp(math.nan), ValueError, r"clamp: lo must be a number \(not NaN\)"),
    ],
)
def test_domain_errors_name_the_op_and_the_value(
    build: Callable[[Value], Value], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build(Value(1.0, "z"))


def test_log1p_and_expm1_keep_full_precision_for_tiny_x() -> None:
    for x in (1e-20, -3e-17, 1e-300):
        assert math.log(1 + x) in (0.0, -4.440892098500626e-16)  # the naive form loses x
        y, z = Value(x), Value(x)
        assert (y.log1p().data, z.expm1().data) == (x, x)  # exact: log1p(x) = x - x²/2 + ...
        assert y.log1p().local_grads == (pytest.approx(1.0, abs=1e-15),)
        assert z.expm1().local_grads == (pytest.approx(1.0, abs=1e-15),)
    t = Value(0.0, "t")
    tape = Tape(t.log1p() + t.expm1(), [t], [])
    assert tape.forward(np.array([[1e-20], [-3e-17]])).tolist() == [2e-20, -6e-17]
    assert Value(-40.0).expm1().local_grads == (pytest.approx(math.exp(-40.0), rel=1e-15),)


def test_floor_ceil_trunc_round_through_pythons_own_functions() -> None:
    x = Value(-2.5, "x")
    made = [math.floor(x), math.ceil(x), math.trunc(x), round(x), round(Value(3.5))]
    assert [(v.op, v.data) for v in made] == [
        ("floor", -3.0),
        ("ceil", -2.0),
        ("trunc", -2.0),
        ("round", -2.0),  # halves to even, as Python's round and torch.round
        ("round", 4.0),
    ]
    assert all(v.local_grads == (0.0,) for v in made)
    assert (Value(math.inf).floor().data, math.isnan(Value(math.nan).round().data)) == (INF, True)
    with pytest.raises(TypeError, match=r"__round__\(\) takes 1 positional argument"):
        round(x, 2)  # type: ignore[call-overload]


def test_builtin_max_compares_while_maximum_splits_ties() -> None:
    """Python's max(x, y) works through the comparisons and returns one operand whole, so the
    whole gradient reaches it; maximum is an op that splits a tie ½/½, as torch.maximum."""
    x, y = Value(1.0, "x"), Value(1.0, "y")
    assert max(x, y) is x  # the first of equal operands
    (max(x, y) * 3).backward()
    assert (x.grad, y.grad) == (3.0, 0.0)
    x.grad = y.grad = 0.0
    (x.maximum(y) * 3).backward()
    assert (x.grad, y.grad) == (1.5, 1.5)


def test_ieee_limits_where_python_raises() -> None:
    """inf and NaN data propagate (math.sin(inf) raises; here it is NaN, as numpy and torch)."""
    assert math.isnan(Value(INF).sin().data) and math.isnan(Value(INF).tan().data)
    assert Value(1000.0).sinh().data == INF and Value(1000.0).cosh().local_grads == (INF,)
    assert (Value(2000.0).exp2().data, Value(-INF).floor().data) == (INF, -INF)
    assert math.isnan(Value(INF).fmod(2.0).data)


README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_kink_convention_is_in_the_readme() -> None:
    missing = [op.name for op in TABLE if op.kink and op.kink not in README]
    assert missing == []


def test_the_readmes_functions_table_names_each_function_and_its_pytorch_counterpart() -> None:
    """One row per function of microgradnet.math: its JAX name, and the PyTorch function its
    record names (the one the tests compare derivatives with)."""
    rows = {
        line.split("`")[1].split("(")[0]: line
        for line in README.splitlines()
        if line.startswith("| `") and "| `torch." in line
    }
    for name, op in NAMED.items():
        assert name in rows, name
        assert f"`torch.{op.torch}" in rows[name].split(" | ")[-1], name


def test_latex_names_come_from_the_records() -> None:
    for op in CALLED:
        if op.notation == "call":
            expected = op.latex or rf"\operatorname{{{op.name.replace('_', chr(92) + '_')}}}"
            assert latex_text(f"{op.name}(x)") == f"{expected}(x)"
    assert latex_text("x // y % z") == r"x \mathbin{//} y \% z"


# -- microgradnet.math: the table's functions for numbers and Values alike -------------------

NAMED = {name: op for op in CALLED for name in op.methods if not name.startswith("__")}


def test_the_math_namespace_is_the_tables_functions() -> None:
    assert sorted(mm.__all__) == sorted(NAMED)
    assert all(f"- {name}(" in (mm.__doc__ or "") for name in mm.__all__)
    assert {"tan", "atan2", "hypot", "remainder", "floor_divide", "clamp", "erf"} <= set(NAMED)


@pytest.mark.parametrize("name", sorted(NAMED))
def test_math_functions_take_numbers_and_values_alike(name: str) -> None:
    op = NAMED[name]
    f = getattr(mm, name)
    xs, ps = split(op, op.points[0])
    out = f(*xs, *ps)
    assert type(out) is float and out == op.forward(*xs, *ps)
    node = f(Value(xs[0]), *xs[1:], *ps)
    assert isinstance(node, Value) and (node.op, node.data) == (op.name, out)
    with pytest.raises(
        TypeError, match=rf"{name}: argument 1 must be a number or a Value, got the bool"
    ):
        f(True, *xs[1:], *ps)
    with pytest.raises(TypeError, match=r"got a ndarray; for arrays of samples use the batch"):
        f(np.array(xs), *xs[1:], *ps)


def test_math_functions_raise_the_engines_domain_errors() -> None:
    with pytest.raises(ValueError, match=r"^log: input must be > 0, got -1.0$"):
        mm.log(-1)
    with pytest.raises(ValueError, match=r"^acosh: input must be >= 1, got 0.5$"):
        mm.acosh(0.5)
    with pytest.raises(TypeError, match=r"clamp: lo must be a number, got Value"):
        mm.clamp(1.0, Value(0.0))
    with pytest.raises(TypeError, match=r"atan2: takes 2 argument\(s\), got 1"):
        mm.atan2(1.0)
    assert (mm.exp(1000), mm.atan2(1, 0), mm.clamp(3, 0)) == (INF, math.pi / 2, 3.0)
    assert (mm.hypot(3, 4), mm.remainder(-7, 2), mm.floor_divide(7, 2)) == (5.0, 1.0, 3.0)
    assert type(mm.sqrt(np.float32(4.0))) is float  # numpy scalars are numbers
    assert mm.atan2(1.0, Value(0.0)).data == math.pi / 2  # a number, then a Value


# -- custom ops --------------------------------------------------------------------------------


@pytest.fixture
def softsign() -> Iterator[Any]:
    op = define_op(
        "softsign",
        lambda x: x / (1 + abs(x)),
        lambda x: 1 / (1 + abs(x)) ** 2,
        derivative_text="1/(1 + |{x}|)²",
    )
    yield op
    ops.undefine_op("softsign")


def test_custom_op_forward_backward_and_texts(softsign: Any) -> None:
    x = Value(0.5, "x")
    y = softsign(x)
    assert (y.op, y.data, y.children) == ("softsign", 0.5 / 1.5, (x,))
    (y * 2).backward()
    assert x.grad == pytest.approx(2 / 1.5**2)
    assert ops.text_form(y, ["x"]) == "softsign(x)"
    assert ops.glyph(y) == "softsign"
    assert ops.derivative_text(y, 0, ["x"], "s") == "1/(1 + |x|)²"
    assert ops.derivative_text(softsign(x * 2), 0, ["2·x"], "s") == "1/(1 + |(2·x)|)²"
    assert ops.apply("softsign", 1.0).data == 0.5
    assert gradcheck(lambda x: softsign(x) * x, [Value(0.3)])


def test_readers_keep_working_after_a_custom_op_is_undefined() -> None:
    cube = define_op("cube", lambda t: t**3, lambda t: 3 * t**2, derivative_text="3·{x}²")
    x = Value(2.0, "x")
    y = cube(x)
    assert ops.derivative_text(y, 0, ["x"], "y") == "3·x²"
    ops.undefine_op("cube")
    assert (ops.glyph(y), ops.text_form(y, ["x"])) == ("cube", "cube(x)")
    assert ops.derivative_text(y, 0, ["x"], "y") == "3·x²"  # the node keeps its definition
    y.backward()  # the numbers are on the node
    assert x.grad == 12.0


def test_custom_op_wrong_derivative_is_refused_naming_op_and_point() -> None:
    with pytest.raises(
        ValueError, match=r"define_op\('bad'\): the derivative is wrong at x = -1.3"
    ):
        define_op("bad", lambda x: x**3, lambda x: 2 * x**2)
    assert "bad" not in ops.OPS
    define_op("bad", lambda x: x**3, lambda x: 2 * x**2, check=False)  # opt-out
    ops.undefine_op("bad")


def test_custom_op_names_builtins_and_redefinition(softsign: Any) -> None:
    with pytest.raises(ValueError, match="'tanh' is a built-in op"):
        define_op("tanh", math.tanh, lambda x: 1 - math.tanh(x) ** 2)
    with pytest.raises(ValueError, match="must be an identifier"):
        define_op("soft sign", math.tanh, lambda x: 1 - math.tanh(x) ** 2)
    again = define_op("softsign", lambda x: 2 * x, lambda x: 2.0)  # a re-run cell replaces it
    assert again(Value(1.0)).data == 2.0
    assert softsign(Value(1.0)).data == 2.0  # the old handle uses the current definition


def test_custom_op_domain_and_two_operands() -> None:
    hyp = define_op(
        "hypot2",
        math.hypot,
        lambda x, y: (x / math.hypot(x, y), y / math.hypot(x, y)),
        arity=2,
    )
    root = define_op(
        "root4",
        lambda x: x**0.25,
        lambda x: 0.25 * x**-0.75,
        domain=lambda x: x > 0,
        domain_message="input must be > 0",
    )
    try:
        x, y = Value(3.0, "x"), Value(4.0, "y")
        h = hyp(x, y)
        h.backward()
        assert (h.data, x.grad, y.grad) == (5.0, 0.6, 0.8)
        with pytest.raises(ValueError, match=r"root4: input must be > 0, got -1.0 \(label 'z'\)"):
            root(Value(-1.0, "z"))
    finally:
        ops.undefine_op("hypot2")
        ops.undefine_op("root4")


def test_custom_op_higher_derivatives_need_a_value_rule(softsign: Any) -> None:
    x = Value(0.5)
    with pytest.raises(ValueError, match=r"op 'softsign' has a derivative for floats only"):
        gradients(softsign(x), [x], create_graph=True)
    capable = define_op(
        "softsign",
        lambda x: x / (1 + abs(x)),
        lambda x: 1 / (1 + abs(x)) ** 2,
        value_derivative=lambda x: 1 / (1 + abs(x)) ** 2,
    )
    (d,) = gradients(capable(x), [x], create_graph=True)
    (dd,) = gradients(d, [x])
    assert dd == pytest.approx(-2 / 1.5**3)


def test_custom_op_in_fit_compile_needs_numpy_rules(softsign: Any) -> None:
    X = [[0.1, 0.2], [0.5, -0.3], [-0.4, 0.9], [0.8, 0.8]]
    Y = [0.0, 1.0, 1.0, 0.0]
    model = MLP(2, [3, 1], activation="softsign", seed=0)
    with pytest.raises(ValueError, match=r"op 'softsign' .* has no numpy rule; give define_op"):
        fit(model, X, Y, epochs=1, compile=True, progress=False)
    define_op(
        "softsign",
        lambda x: x / (1 + abs(x)),
        lambda x: 1 / (1 + abs(x)) ** 2,
        numpy_forward=lambda x: x / (1 + np.abs(x)),
        numpy_derivative=lambda x: 1 / (1 + np.abs(x)) ** 2,
    )
    fast = MLP(2, [3, 1], activation="softsign", seed=0)
    slow = MLP(2, [3, 1], activation="softsign", seed=0)
    h1 = fit(fast, X, Y, epochs=3, compile=True, progress=False, shuffle=False)
    h2 = fit(slow, X, Y, epochs=3, compile=False, progress=False, shuffle=False)
    assert h1.loss == pytest.approx(h2.loss, rel=1e-10)


def test_model_with_a_custom_activation_saves_it_by_name(softsign: Any) -> None:
    model = MLP(2, [3, 1], activation="softsign", seed=1)
    state = model.state_dict()
    again = MLP(2, [3, 1], activation="softsign", seed=2)
    again.load_state_dict(state)
    assert again([0.3, 0.4]).data == model([0.3, 0.4]).data
    ops.undefine_op("softsign")
    with pytest.raises(
        ValueError, match=r"unknown activation 'softsign': no op of that name is defined; define it"
    ):
        MLP(2, [3, 1], activation="softsign")
    define_op("softsign", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2)


def test_formula_strings_reach_custom_ops_only_when_asked(softsign: Any) -> None:
    x = Value(0.5)
    assert parse_expression("softsign(x)", {"x": x}, custom_ops=True).data == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="not allowed"):
        parse_expression("softsign(x)", {"x": x})


# -- hostile operands, no_gc ---------------------------------------------------------------------


def test_bools_are_refused_with_a_hint() -> None:
    with pytest.raises(TypeError, match=r"bool True; convert it with float\(\)"):
        Value(True)
    x = Value(1.0)
    yes: Any = np.bool_(1)
    for make_it in (lambda: x + True, lambda: False * x, lambda: x**True, lambda: yes - x):
        with pytest.raises(TypeError, match=r"convert it with float\(\) on purpose"):
            make_it()


def test_arrays_are_refused_pointing_to_the_batch_helpers() -> None:
    x, a = Value(1.0), np.array([1.0, 2.0])
    makers: list[Callable[[], object]] = [
        lambda: a + x,
        lambda: x + a,
        lambda: a * x,
        lambda: x / a,
        lambda: a - x,
        lambda: x**a,
        lambda: a**x,
    ]
    for make_it in makers:
        with pytest.raises(
            TypeError, match=r"combines with scalars .* linear_batch.*forward_batch"
        ):
            make_it()
    two: Any = np.float64(2.0)
    assert (two * x).data == 2.0  # numpy scalars are numbers
    assert type((x * two).children[1]) is Constant


def test_no_gc_pauses_and_restores_the_collector() -> None:
    import gc

    assert gc.isenabled()
    with no_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), no_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with no_gc():
            pass
        assert not gc.isenabled()  # a paused collector stays paused
    finally:
        gc.enable()


@pytest.mark.parametrize("name", [op.name for op in TABLE if op.numpy_partials])
def test_numpy_partials_are_the_numpy_rule_operand_by_operand(name: str) -> None:
    op = ops.OPS[name]
    assert op.numpy_partials is not None and op.numpy_derivative is not None
    points = [p for p in op.points if not any(b(*p) for _, (b, _, _) in op.derivative_domain)]
    columns = [np.array(c, dtype=float)[:, None] for c in zip(*points)]
    with np.errstate(all="ignore"):
        out = op.numpy_forward(*columns)  # type: ignore[misc]
        whole = op.numpy_derivative(out, *columns)
        for j, partial in enumerate(op.numpy_partials):
            np.testing.assert_array_equal(
                np.broadcast_to(partial(out, *columns), out.shape), whole[j]
            )
