"""The Value engine: each op's value and local derivatives, backward semantics, errors, memory."""

from __future__ import annotations

import gc
import math
import weakref
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

from microgradnet import Constant, Value, dot, gradients, linear, ops, topological_order, vsum
from microgradnet.losses import l2_penalty
from microgradnet.replay import Tape


def leaf(x: float, label: str = "") -> Value:
    return Value(x, label)


# -- construction ---------------------------------------------------------------------------


def test_leaf_attributes() -> None:
    x = Value(3, "x")
    assert (x.data, x.grad, x.label, x.op, x.children, x.local_grads) == (3.0, 0.0, "x", "", (), ())
    assert type(x.data) is float


@pytest.mark.parametrize(("bad", "name"), [("abc", "str"), (None, "NoneType"), ([1.0], "list")])
def test_value_rejects_non_numbers(bad: object, name: str) -> None:
    with pytest.raises(TypeError, match=rf"Value\(data\) must be a real number, got {name}"):
        Value(bad)  # type: ignore[arg-type]


def test_value_rejects_non_string_label() -> None:
    with pytest.raises(TypeError, match=r"Value\(label\) must be a str, got int"):
        Value(1.0, 5)  # type: ignore[arg-type]


def test_numpy_and_other_reals_are_accepted() -> None:
    assert Value(np.float32(1.5)).data == 1.5
    assert Value(np.int64(7)).data == 7.0
    y = np.float64(2.0) * Value(3.0)
    assert isinstance(y, Value) and y.data == 6.0


def test_repr_and_identity_hashing() -> None:
    a, b = Value(1.0, "a"), Value(1.0)
    assert repr(a) == "Value(data=1.0, grad=0.0, label='a')"
    assert repr(b) == "Value(data=1.0, grad=0.0)"
    assert a == b and a is not b and len({a, b, a}) == 2  # == by value, hashing by identity
    assert {a: 1, b: 2}[b] == 2 and b not in {a}


def test_comparisons_and_truth_read_the_data_as_pytorch_scalars_do() -> None:
    x, y, nan = Value(0.0), Value(2.0), Value(math.nan)
    assert x < y and x <= 0 and y > 1.5 and y >= 2 and y < 3 and x != y and x == 0
    assert (nan == nan) is False and nan != nan and not (nan < 1) and not (nan >= 1)
    assert not x and bool(y) and float(y) == 2.0 and bool(nan)
    f = lambda v: v if v > 0 else 0.1 * v  # noqa: E731  (piecewise code takes the right branch)
    assert f(Value(-2.0)).data == -0.2 and f(y) is y
    assert (x == "x") is False and (x != None) is True  # noqa: E711  (other types: identity)
    for bad in (True, np.array([1.0])):
        with pytest.raises(TypeError, match=r"bool|arrays|scalars"):
            _ = x < bad


# -- each op: value, children in operand order, local derivatives ------------------------------


@pytest.mark.parametrize(
    ("build", "value", "local"),
    [
        (lambda a, b: a + b, 5.0, (1.0, 1.0)),
        (lambda a, b: a - b, -1.0, (1.0, -1.0)),
        (lambda a, b: a * b, 6.0, (3.0, 2.0)),
        (lambda a, b: a / b, 2 / 3, (1 / 3, -2 / 9)),
        (lambda a, b: a**b, 8.0, (3 * 2.0**2, 8 * math.log(2))),
    ],
)
def test_binary_ops(build, value, local) -> None:  # type: ignore[no-untyped-def]
    a, b = leaf(2.0), leaf(3.0)
    out = build(a, b)
    assert out.data == pytest.approx(value)
    assert out.children == (a, b)
    assert out.local_grads == pytest.approx(local)


def test_numbers_on_either_side_become_constants() -> None:
    x = leaf(2.0)
    cases = [(x + 1, 3.0), (1 + x, 3.0), (x - 1, 1.0), (1 - x, -1.0), (3 * x, 6.0),
             (x * 3, 6.0), (x / 4, 0.5), (4 / x, 2.0), (x**2, 4.0), (2**x, 4.0)]  # fmt: skip
    for out, data in cases:
        assert out.data == data
        consts = [c for c in out.children if c is not x]
        assert len(consts) == 1 and type(consts[0]) is Constant and consts[0].label == ""
    assert (1 - x).children[1] is x and (1 - x).local_grads == (1.0, -1.0)
    assert (4 / x).local_grads == pytest.approx((0.5, -1.0))


@pytest.mark.parametrize(
    ("method", "x", "value", "derivative"),
    [
        ("exp", 0.5, math.exp(0.5), math.exp(0.5)),
        ("log", 2.0, math.log(2.0), 0.5),
        ("sqrt", 4.0, 2.0, 0.25),
        ("tanh", 0.5, math.tanh(0.5), 1 - math.tanh(0.5) ** 2),
        ("sigmoid", 0.5, 1 / (1 + math.exp(-0.5)), 0.2350037122015945),
        ("relu", 1.5, 1.5, 1.0),
        ("relu", -1.5, 0.0, 0.0),
        ("relu", 0.0, 0.0, 0.0),  # convention: relu'(0) = 0
        ("__neg__", 2.0, -2.0, -1.0),
    ],
)
def test_unary_ops(method: str, x: float, value: float, derivative: float) -> None:
    v = leaf(x)
    out = getattr(v, method)()
    assert out.data == pytest.approx(value)
    assert out.children == (v,)
    assert out.local_grads == pytest.approx((derivative,))


@pytest.mark.parametrize(("x", "d"), [(2.0, 1.0), (-2.0, 0.1), (0.0, 0.1)])
def test_leaky_relu_derivative_and_alpha_at_zero(x: float, d: float) -> None:
    v = leaf(x)
    out = v.leaky_relu(0.1)
    assert out.data == pytest.approx(x if x > 0 else 0.1 * x)
    assert out.children == (v,)  # alpha is a parameter of the op, not a child node
    assert ops.parameters(out) == (0.1,)
    assert out.local_grads == (d,)  # convention: leaky_relu'(0) = alpha


def test_leaky_relu_rejects_non_number_alpha() -> None:
    with pytest.raises(TypeError, match="leaky_relu: alpha must be a number, got Value"):
        leaf(1.0).leaky_relu(Value(0.1))  # type: ignore[arg-type]


def test_sigmoid_never_overflows() -> None:
    for x in (-1e308, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e308):
        s = leaf(x).sigmoid()
        assert 0.0 <= s.data <= 1.0 and s.local_grads[0] == pytest.approx(s.data * (1 - s.data))
    assert leaf(-1000.0).sigmoid().data == 0.0 and leaf(1000.0).sigmoid().data == 1.0


def test_seed000_activation_identities() -> None:
    # seed 000, 2.2: tanh'(z) = 4 σ(2z)(1 - σ(2z)) = 1 - tanh²(z); 2.1: σ' = σ(1 - σ)
    for z in (-3.0, -0.4, 0.0, 0.7, 2.5):
        s2 = 1 / (1 + math.exp(-2 * z))
        t = leaf(z).tanh()
        assert t.local_grads[0] == pytest.approx(4 * s2 * (1 - s2))
        assert t.local_grads[0] == pytest.approx(1 - math.tanh(z) ** 2)
        s = leaf(z).sigmoid()
        assert s.local_grads[0] == pytest.approx(s.data * (1 - s.data))


def test_dot_and_vsum_are_single_fused_nodes() -> None:
    w = [leaf(0.5), leaf(-2.0), leaf(3.0)]
    x = [leaf(1.0), leaf(4.0), 2.0]
    b = leaf(0.25)
    z = dot(w, x, b)
    assert z.op == "dot" and len(z.children) == 7
    assert z.data == 0.5 - 8.0 + 6.0 + 0.25
    assert z.local_grads == (1.0, 4.0, 2.0, 0.5, -2.0, 3.0, 1.0)
    z.backward()
    assert [v.grad for v in w] == [1.0, 4.0, 2.0] and x[0].grad == 0.5 and b.grad == 1.0
    s = vsum([w[0], w[1], 5])
    assert s.op == "sum" and s.data == 3.5 and s.local_grads == (1.0, 1.0, 1.0)
    assert dot(w[:1], x[:1]).children == (w[0], x[0])


def test_dot_and_vsum_errors() -> None:
    with pytest.raises(
        ValueError, match="dot: needs as many weights as inputs, at least one; got 2 and 1"
    ):
        dot([1.0, 2.0], [1.0])
    with pytest.raises(
        ValueError, match="dot: needs as many weights as inputs, at least one; got 0 and 0"
    ):
        dot([], [])
    with pytest.raises(ValueError, match="linear: rows of weights differ in length, 2 and 1"):
        linear([[1.0, 2.0], [3.0]], [1.0, 1.0])
    with pytest.raises(ValueError, match="linear: got 2 rows of weights but 1 biases"):
        linear([[1.0], [2.0]], [1.0], [0.5])
    with pytest.raises(ValueError, match="vsum: needs at least one value"):
        vsum([])
    with pytest.raises(TypeError, match="dot\\(inputs\\): expected Values or numbers, got str"):
        dot([1.0], ["a"])  # type: ignore[list-item]


# -- errors name the operation, the value and the label ------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda x: x.log(), ValueError, r"log: input must be > 0, got 0.0 \(label 'x'\)"),
        (lambda x: (x - 1).log(), ValueError, r"log: input must be > 0, got -1.0"),
        (lambda x: (x - 1).sqrt(), ValueError, r"sqrt: input must be >= 0, got -1.0"),
        (lambda x: 1 / x, ZeroDivisionError, r"/: division by zero, 1.0 / 0.0 \(label 'x'\)"),
        (lambda x: x / 0, ZeroDivisionError, r"/: division by zero, 0.0 / 0.0"),
        (
            lambda x: x**-1,
            ZeroDivisionError,
            r"\*\*: 0 raised to the negative power -1.0 \(label 'x'\)",
        ),
        (
            lambda x: (x - 2) ** 0.5,
            ValueError,
            r"\*\*: negative base -2.0 with non-integer exponent 0.5",
        ),
        (
            lambda x: (x - 2) ** Value(2.0, "n"),
            ValueError,
            r"negative base -2.0 with a Value exponent \(label 'n'\)",
        ),
    ],
)
def test_domain_errors(build, error, message) -> None:  # type: ignore[no-untyped-def]
    x = Value(0.0, "x")
    with pytest.raises(error, match=message):
        build(x)
    assert (x.data, x.grad, x.children) == (0.0, 0.0, ())


def test_unsupported_operand_types() -> None:
    with pytest.raises(TypeError, match="unsupported operand"):
        _ = Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match="backward\\(grad\\) must be a real number, got str"):
        Value(1.0).backward("1")  # type: ignore[arg-type]


def test_negative_base_with_integer_number_exponent() -> None:
    x = leaf(-2.0)
    y = x**3
    assert y.data == -8.0 and y.local_grads == (12.0, 0.0)  # d/d exponent of a constant: 0
    y.backward()
    assert x.grad == 12.0


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda x: x + 10**400, r"^\+: the operand: an int of 1329 bits is too large for a float"),
        (lambda x: 10**400 * x, r"^\*: the operand: an int of 1329 bits is too large"),
        (lambda x: x ** Fraction(10**400, 3), r"^\*\*: the operand: a Fraction is too large"),
        (lambda x: x.leaky_relu(2.0) - 2**1024, r"^-: the operand: an int of 1025 bits"),
        (lambda x: vsum([x, 10**400]), r"^vsum: the operand: an int of 1329 bits"),
        (lambda x: Value(10**400), r"^Value\(data\): an int of 1329 bits is too large"),
    ],
)
def test_numbers_beyond_the_float_range_name_the_operation(build, message) -> None:  # type: ignore[no-untyped-def]
    x = leaf(2.0, "x")
    with pytest.raises(OverflowError, match=message):
        build(x)
    assert (x.data, x.grad) == (2.0, 0.0)


def test_ieee_nan_and_inf_propagate() -> None:
    nan = leaf(math.nan)
    assert (
        math.isnan((nan * 2).data) and math.isnan(nan.relu().data) and math.isnan(nan.tanh().data)
    )
    assert leaf(1000.0).exp().data == math.inf
    assert (leaf(10.0) ** 400).data == math.inf
    assert (leaf(-10.0) ** 401).data == -math.inf
    assert leaf(0.0).sqrt().local_grads == (math.inf,)  # sqrt'(0) = inf
    assert leaf(math.inf).log().data == math.inf


# -- backward ---------------------------------------------------------------------------------


def test_seed001_graph_forward_and_backward() -> None:
    # seed 001, section 3: f = (x*w + b)^2 at x=2, w=3, b=1;
    # the red arrows carry 1, 14, 14, 42, 28, 14
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    xw = x * w
    u = xw + b
    L = u**2
    L.backward()
    assert (xw.data, u.data, L.data) == (6.0, 7.0, 49.0)
    assert (L.grad, u.grad, xw.grad) == (1.0, 14.0, 14.0)
    assert (x.grad, w.grad, b.grad) == (42.0, 28.0, 14.0)


def test_seed001_chain_rule_example() -> None:
    # seed 001, section 2: f = (3x + 2)^2 at x = 2: u = 8, f = 64, df/du = 16, df/dx = 48
    x = Value(2.0, "x")
    u = 3 * x + 2
    f = u**2
    f.backward()
    assert (u.data, f.data, u.grad, x.grad) == (8.0, 64.0, 16.0, 48.0)


def test_reused_nodes_accumulate_over_every_edge() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    a = Value(2.0)
    (a + a + a).backward()
    assert a.grad == 3.0
    y = Value(1.5)
    (y * y * y).backward()
    assert y.grad == pytest.approx(3 * 1.5**2)


def test_leaves_accumulate_interior_nodes_hold_latest_pass() -> None:
    x = Value(2.0, "x")
    h = x * x
    L = h * 3
    L.backward()
    L.backward()
    assert x.grad == 24.0  # 2 × 12: leaves accumulate like PyTorch's
    assert h.grad == 3.0 and L.grad == 1.0  # interior: the latest pass only
    L.backward(2.0)
    assert x.grad == 48.0 and h.grad == 6.0 and L.grad == 2.0
    L.zero_grad()
    assert (x.grad, h.grad, L.grad) == (0.0, 0.0, 0.0)


def test_backward_on_a_leaf_accumulates_the_seed() -> None:
    x = Value(1.0)
    x.backward()
    x.backward(2.0)
    assert x.grad == 3.0


def test_shared_subgraph_between_two_losses() -> None:
    x = Value(1.0)
    h = x * 2
    (h * 3).backward()
    (h * 5).backward()
    assert x.grad == 16.0 and h.grad == 5.0


def test_topological_order_puts_children_first() -> None:
    x, w = Value(2.0), Value(3.0)
    y = (x * w + x).tanh()
    order = topological_order(y)
    assert order[-1] is y and len(order) == len(set(order)) == 5
    pos = {v: i for i, v in enumerate(order)}
    assert all(pos[c] < pos[v] for v in order for c in v.children)


def test_million_op_chain_backprops_without_recursion() -> None:
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert y.data == 1_000_000.5 and x.grad == 1.0
    assert len(topological_order(y)) == 2_000_001  # every + has a constant leaf


def test_chain_gradient_is_product_of_local_derivatives() -> None:
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 0.999 + 0.001
    y.backward()
    assert x.grad == pytest.approx(0.999**100_000, rel=1e-9)


def test_batch_loss_summed_with_python_sum() -> None:
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=1000), rng.normal(size=1000)
    w, b = Value(0.3, "w"), Value(-0.2, "b")
    loss = sum((w * float(x) + b - float(y)) ** 2 for x, y in zip(xs, ys)) / 1000
    assert isinstance(loss, Value)
    loss.backward()
    r = 0.3 * xs - 0.2 - ys
    assert w.grad == pytest.approx(2 * np.mean(r * xs), rel=1e-12)
    assert b.grad == pytest.approx(2 * np.mean(r), rel=1e-12)


def test_dropped_graph_is_freed_by_reference_counting() -> None:
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(1000):
            y = (y * 1.001).tanh() + x
        y.backward()
        refs = [weakref.ref(v) for v in topological_order(y) if v is not x]
        del y
        assert all(r() is None for r in refs)  # no cycles: freed at once, without gc.collect()
        assert x.grad != 0.0
    finally:
        gc.enable()


def test_gradients_is_side_effect_free_and_matches_backward() -> None:
    x, w = Value(0.7, "x"), Value(-1.3, "w")
    L = (x * w).tanh() * x + w.exp()
    gx, gw = gradients(L, [x, w])
    assert (x.grad, w.grad) == (0.0, 0.0)
    L.backward()
    assert (gx, gw) == (x.grad, w.grad)
    assert gradients(L, [Value(1.0)]) == [0.0]


def test_gradients_with_create_graph_are_values() -> None:
    x = Value(2.0)
    (g,) = gradients(x**3, [x], create_graph=True)
    assert isinstance(g, Value) and g.data == 12.0
    (h,) = gradients(g, [x])
    assert h == 12.0  # d²(x³)/dx² = 6x


def test_topological_order_of_several_roots_lists_each_node_once() -> None:
    x, w = Value(2.0, "x"), Value(3.0, "w")
    a, b = x * w, x + w
    order = topological_order([a, b])
    assert len(order) == len(set(order)) == 4
    assert all(order.index(c) < order.index(n) for n in order for c in n.children)
    with pytest.raises(TypeError, match="a Value or a non-empty list of Values"):
        topological_order([])


def test_compile_module_is_a_deprecated_alias_of_the_new_homes() -> None:
    from microgradnet import compile as old
    from microgradnet import losses, replay, train

    with pytest.warns(DeprecationWarning, match="import Tape from microgradnet.replay"):
        assert old.Tape is replay.Tape
    with pytest.warns(DeprecationWarning):
        assert old.CompiledStep is train.CompiledStep
    with pytest.warns(DeprecationWarning):
        assert old.numpy_loss is losses.numpy_loss
    with pytest.warns(DeprecationWarning, match="read the op table"):
        rules = replay.NUMPY_RULES
    assert set(rules) == {n for n, op in ops.OPS.items() if op.numpy_forward}
    with pytest.warns(DeprecationWarning, match="engine.RULES is deprecated"):
        from microgradnet.engine import RULES  # noqa: F401


# -- contexts: no_grad, relaxed_gc; Constants; threads ----------------------------------------


def test_no_grad_records_nothing_in_this_thread_only() -> None:
    import threading

    from microgradnet.engine import no_grad

    x = Value(2.0, "x")
    with no_grad():
        y = (x * 3 + 1).tanh()
        with no_grad():  # re-entrant
            z = x.exp()
        assert (y.op, y.children, z.op) == ("", (), "")
        other: list[Value] = []
        t = threading.Thread(target=lambda: other.append(x * 3))
        t.start()
        t.join()
        assert other[0].op == "*"  # another thread keeps recording
    assert y.data == math.tanh(7.0) and (x * 3).op == "*"


def test_relaxed_gc_raises_the_thresholds_and_restores_them() -> None:
    from microgradnet.engine import RELAXED_THRESHOLDS, relaxed_gc

    before = gc.get_threshold()
    with relaxed_gc():
        inside = gc.get_threshold()
        with relaxed_gc():
            assert gc.get_threshold() == inside
        assert gc.get_threshold() == inside and gc.isenabled()
    assert inside == tuple(map(max, before, RELAXED_THRESHOLDS))
    assert gc.get_threshold() == before
    with pytest.raises(KeyError), relaxed_gc():
        raise KeyError("x")
    assert gc.get_threshold() == before


def test_a_constant_never_accumulates_a_gradient() -> None:
    x = Value(3.0, "x")
    y = x**2 * 2.0 + Constant(5.0)
    y.backward()
    two = y.children[0].children[1]
    exponent = y.children[0].children[0].children[1]
    assert type(two) is Constant and type(exponent) is Constant
    assert (two.grad, exponent.grad, x.grad) == (0.0, 0.0, 12.0)
    assert y.children[0].children[0].local_grads[1] == pytest.approx(9 * math.log(3))  # drawn
    assert y.children[0].children[1] is two  # the same Constant on every read


def test_number_operands_are_read_as_the_same_constant_from_every_thread() -> None:
    import threading

    y = Value(2.0) * 3.0
    seen: list[Value] = []
    threads = [threading.Thread(target=lambda: seen.append(y.children[1])) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(c is seen[0] for c in seen) and type(seen[0]) is Constant


def test_threads_backpropagating_graphs_that_share_leaves() -> None:
    import threading

    w = [Value(0.1 * k, f"w{k}") for k in range(20)]

    def run(out: list[float]) -> None:
        for _ in range(50):
            root = vsum([(wi * wi).tanh() * 2 for wi in w])
            g = gradients(root, w)
            out.append(sum(g))

    results: list[list[float]] = [[] for _ in range(4)]
    threads = [threading.Thread(target=run, args=(r,)) for r in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = sum(2 * 2 * x.data * (1 - math.tanh(x.data**2) ** 2) for x in w)
    assert all(r == pytest.approx([expected] * 50, rel=1e-12) for r in results)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda x: gradients(x * x, x), r"gradients\(wrt\) must be a list of Values, got Value"),
        (lambda x: gradients(x * x, [x, 2.0]), r"gradients\(wrt\): item 1 is a float, not a"),
        (lambda x: Tape(x * x, x, []), r"Tape\(inputs\) must be a list of Values, got Value"),
        (lambda x: Tape(5, [x], []), r"Tape\(outputs\) must be a Value or a list of Values"),
        (lambda x: l2_penalty([x, "a"], 0.1), r"l2_penalty\(params\): item 1 is a str, not a"),
    ],
)
def test_one_check_of_lists_of_values_names_the_call_and_the_item(
    call: Callable[[Value], object], message: str
) -> None:
    """engine.value_list serves gradients, Tape and l2_penalty alike."""
    with pytest.raises(TypeError, match=message):
        call(Value(1.0, "x"))
