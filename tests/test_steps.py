"""Step-through of forward and backward: each step's numbers and text, and that replaying the
steps gives exactly backward()'s gradients (seed 001, reused nodes, random graphs)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnet import ops
from microgradnet.engine import Constant, Value, dot, topological_order, vsum
from microgradnet.steps import (
    BackwardStep,
    backward_steps,
    folded_operands,
    forward_steps,
    grads_after,
    step_order,
)


def seed001() -> tuple[Value, Value, Value, Value]:
    """L = (x*w + b)**2 at x=2, w=3, b=1 (seed 001, section 3)."""
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    return x, w, b, (x * w + b) ** 2


def replay(steps: list[BackwardStep], root: Value, start: dict[Value, float]) -> dict[Value, float]:
    """Apply the steps as backward() does: child.grad += local * grad, in step order."""
    grads = dict(start)
    grads[root] = 1.0 if root.children else grads.get(root, 0.0) + 1.0
    for step in steps:
        assert step.grad == grads.get(step.node, 0.0)  # the gradient held when reached
        for p in step.pushes:
            assert p.contribution == p.local * step.grad
            grads[p.child] = grads.get(p.child, 0.0) + p.contribution
            assert p.total == grads[p.child]
    return grads


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def assert_steps_match_backward(root: Value) -> None:
    """Replaying a fresh pass's steps gives, bit for bit, zero_grad() + backward(); the steps
    are the forward steps reversed, without constants, and no push goes to a constant."""
    steps = list(backward_steps(root))
    order = topological_order(root)
    forward = [s.node for s in forward_steps(root)]
    assert_same_nodes(
        [s.node for s in steps], [v for v in forward[::-1] if type(v) is not Constant]
    )
    assert [s.k for s in steps] == list(range(1, len(steps) + 1))
    interior = [s.node for s in steps if s.node.children]
    assert_same_nodes(interior, [v for v in order[::-1] if v.children])  # backward()'s order
    assert all(type(p.child) is not Constant for s in steps for p in s.pushes)
    replayed = replay(steps, root, {})
    root.zero_grad()
    root.backward()
    for v in order:
        assert same(replayed.get(v, 0.0), v.grad), (v, replayed.get(v), v.grad)


def assert_same_nodes(a: list[Value], b: list[Value]) -> None:
    """The same Values in the same order, by identity (Values compare by their data)."""
    assert len(a) == len(b) and all(x is y for x, y in zip(a, b)), (a, b)


# -- backward ------------------------------------------------------------------------------------


def test_seed001_backward_steps() -> None:
    x, w, b, L = seed001()
    steps = list(backward_steps(L))
    assert len(steps) == 6  # L, x·w + b, x·w, b, w, x: the forward steps reversed
    assert_same_nodes([s.node for s in steps][3:], [b, w, x])
    first = steps[0]
    assert first.node is L and first.grad == 1.0
    to_sum = first.pushes[0]
    assert (to_sum.child.data, to_sum.local, to_sum.contribution) == (7.0, 14.0, 14.0)
    by_node = {s.node: s for s in steps}
    xw = L.children[0].children[0]
    assert by_node[xw].grad == 14.0
    assert {p.child: p.contribution for p in by_node[xw].pushes} == {x: 42.0, w: 28.0}
    assert {p.child: p.local for p in by_node[xw].pushes} == {x: 3.0, w: 2.0}
    assert (by_node[x].grad, by_node[w].grad, by_node[b].grad) == (42.0, 28.0, 14.0)
    assert by_node[x].pushes == ()
    assert_steps_match_backward(L)


def test_steps_touch_no_grad() -> None:
    L = seed001()[3]
    nodes = [v for v in topological_order(L) if type(v) is not Constant]  # always 0
    for v in nodes:
        v.grad = -5.0
    list(backward_steps(L))
    list(forward_steps(L))
    assert all(v.grad == -5.0 for v in nodes)


def test_seed001_step_text() -> None:
    L = seed001()[3]
    texts = [s.text() for s in backward_steps(L)]
    assert texts[0] == "step 1: L is reached with dL/dL = 1\n  dL/d(x·w + b) += 14 × 1 = 14"
    assert texts[1] == (  # the exponent 2 is part of "²": no step, no push
        "step 2: x·w + b is reached with dL/d(x·w + b) = 14\n"
        "  dL/d(x·w) += 1 × 14 = 14\n  dL/db += 1 × 14 = 14"
    )
    assert "  dL/dx += 3 × 14 = 42\n  dL/dw += 2 × 14 = 28" in texts[2]
    assert texts[3] == "step 4: b is reached with dL/db = 14 (a leaf: nothing to pass on)"
    assert texts[-1] == "step 6: x is reached with dL/dx = 42 (a leaf: nothing to pass on)"
    assert str(list(backward_steps(L))[1]) == texts[1]
    assert not any("constant" in t for t in texts)
    L.label = "loss"
    assert next(iter(backward_steps(L))).text().startswith("step 1: loss is reached with dloss")


def test_reused_node_accumulates() -> None:
    """y = x*x: x receives two pushes of x·1 each; the second says the total."""
    x = Value(3.0, "x")
    y = x * x
    (step, leaf) = list(backward_steps(y))
    assert [(p.child, p.local, p.contribution, p.total) for p in step.pushes] == [
        (x, 3.0, 3.0, 3.0),
        (x, 3.0, 3.0, 6.0),
    ]
    assert leaf.node is x and leaf.grad == 6.0
    assert step.text().splitlines()[1:] == [
        "  dL/dx += 3 × 1 = 3",
        "  dL/dx += 3 × 1 = 3, so dL/dx = 6",
    ]
    assert_steps_match_backward(y)


def test_leaf_shared_by_several_parents() -> None:
    """A leaf used by three ops, one of them reused deeper: the order of the += matters for
    bit-exactness, and the steps follow backward()'s."""
    a, b = Value(0.1, "a"), Value(0.7, "b")
    u = a * b + a.tanh()
    v = (u * a).sigmoid() + u / b - a
    assert_steps_match_backward(v * v + u)


def test_fused_nodes_and_constants() -> None:
    ws = [Value(0.3, "w.0"), Value(-0.2, "w.1")]
    xs = [Value(1.5, "x0"), Value(2.0, "x1")]
    z = dot(ws, xs, Value(0.1, "b"))
    loss = vsum([z.leaky_relu(0.1), z**3, 2.0 * z]) - 1.0
    assert_steps_match_backward(loss)


def test_seed_and_accumulate_match_backward_semantics() -> None:
    x, w, b, L = seed001()
    L.backward()  # leaves now hold 42, 28, 14
    start = {v: v.grad for v in (x, w, b)}
    steps = list(backward_steps(L, grad=2.5, accumulate=True))
    final = {}
    for s in steps:
        for p in s.pushes:
            final[p.child] = p.total
    L.backward(2.5)  # leaves accumulate: 42 + 2.5·42, ...
    assert [final[v] for v in (x, w, b)] == [x.grad, w.grad, b.grad] == [147.0, 98.0, 49.0]
    fresh = {p.child: p.total for s in backward_steps(L, grad=2.5) for p in s.pushes}
    assert [fresh[v] for v in (x, w, b)] == [105.0, 70.0, 35.0]
    assert start == {x: 42.0, w: 28.0, b: 14.0}


def test_leaf_root() -> None:
    x = Value(4.0, "x")
    x.grad = 1.5
    (step,) = list(backward_steps(x))
    assert (step.node, step.grad, step.pushes) == (x, 1.0, ())
    (step,) = list(backward_steps(x, accumulate=True))
    assert step.grad == 2.5
    x.backward()
    assert x.grad == 2.5


def test_grads_after() -> None:
    x, w, b, L = seed001()
    grads, steps = grads_after(L, 0)
    assert list(grads) == [L] and grads[L] == 1.0 and len(steps) == 6
    grads, _ = grads_after(L, 2)  # L, x·w + b: b has its gradient, x none yet (not 0: none)
    assert grads[b] == 14.0 and x not in grads and w not in grads
    grads, _ = grads_after(L, 3)
    assert (grads[x], grads[w], grads[b]) == (42.0, 28.0, 14.0)
    assert all(type(v) is not Constant for v in grads)  # a constant never gets one
    for bad in (-1, 7, 1.0, True, "2"):
        with pytest.raises(ValueError, match=r"step must be an int from 0 to 6"):
            grads_after(L, bad)  # type: ignore[arg-type]


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"backward_steps: root must be a Value, got float"):
        backward_steps(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"forward_steps: root must be a Value, got list"):
        forward_steps([])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"backward_steps\(grad\) must be a real number, got str"):
        backward_steps(Value(1.0), grad="1")  # type: ignore[arg-type]
    step = next(iter(backward_steps(Value(1.0))))
    with pytest.raises(ValueError, match=r"precision must be an int from 1 to 17, got 0"):
        step.text(0)


# -- forward -------------------------------------------------------------------------------------


def test_seed001_forward_steps() -> None:
    """The given leaves first, in the order the expression reads them, then each computed
    value in the expression's order; the exponent 2, part of "²", is no step."""
    x, w, b, L = seed001()
    steps = list(forward_steps(L))
    order = topological_order(L)
    assert_same_nodes([s.node for s in steps], [x, w, b, *(v for v in order if v.children)])
    assert [s.data for s in steps] == [2, 3, 1, 6, 7, 49]
    assert [s.text() for s in steps] == [
        "step 1: x = 2 (given)",
        "step 2: w = 3 (given)",
        "step 3: b = 1 (given)",
        "step 4: x·w = 2·3 = 6",
        "step 5: x·w + b = 6 + 1 = 7",
        "step 6: L = 7² = 49",
    ]


def test_only_the_drawn_nodes_are_steps() -> None:
    """A constant folded into its op (the exponent of x**3) is no step; a constant drawn as a
    node (the 2 of 2·x, read as an operand) is a given forward step and never a backward one;
    a constant both folded and read elsewhere is drawn, so it is a step."""
    x = Value(1.5, "x")
    two = Constant(2.0)
    y = 2.0 * x**3 + x**two * two
    order = topological_order(y)
    folded = folded_operands(order)
    exponents = [v.children[1] for v in order if v.children and ops.constant_operands(v)]
    assert len(exponents) == 2 and exponents[1] is two
    assert exponents[0] in folded and two not in folded  # `two` is also a factor: drawn
    forward = [s.node for s in forward_steps(y)]
    assert not any(v is exponents[0] for v in forward)
    assert sum(1 for v in forward if type(v) is Constant) == 2  # the factors 2.0 and `two`
    assert [s.text() for s in forward_steps(y)][:3] == [
        "step 1: x = 1.5 (given)",
        "step 2: the constant 2",
        "step 3: the constant 2",
    ]
    assert not any(type(s.node) is Constant for s in backward_steps(y))
    assert_same_nodes(forward, step_order(order))
    assert_steps_match_backward(y)


def test_a_constant_root_has_no_backward_step() -> None:
    c = Constant(3.0)
    assert list(backward_steps(c)) == []
    assert [s.text() for s in forward_steps(c)] == ["step 1: the constant 3"]


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (lambda x: x - 5.0, "L = 1 - 5 = -4"),
        (lambda x: -x, "L = -1 = -1"),
        (lambda x: (x * 0.0 - 2.0).relu(), "relu(-2) = 0"),
        (lambda x: x.tanh(), "L = tanh(1) = 0.761594"),
        (lambda x: (-x).leaky_relu(0.5), "leaky_relu(-1, 0.5) = -0.5"),
        (lambda x: x / -4.0, "L = 1/(-4) = -0.25"),
        (lambda x: vsum([x, x, 2.0]), "L = 1 + 1 + 2 = 4"),
    ],
)
def test_forward_formulas(make: Callable[[Value], Value], text: str) -> None:
    """An unlabelled root is called L, as in dL/dx."""
    root = make(Value(1.0, "x"))
    assert list(forward_steps(root))[-1].text().endswith(text)


def test_long_dot_is_elided() -> None:
    ws = [Value(float(i), f"w.{i}") for i in range(10)]
    z = dot(ws, [1.0] * 10, 0.5)
    assert (
        list(forward_steps(z))[-1]
        .text(3)
        .endswith("L = 0·1 + 1·1 + 2·1 + 3·1 + 4·1 + 5·1 + 6·1 + 7·1 + 8·1 + 9·1 + 0.5 = 45.5")
    )
    wide = dot([Value(float(i), f"w.{i}") for i in range(30)], [1.0] * 30)
    text = list(forward_steps(wide))[-1].text(3)
    assert text.startswith("step 61: L = 0·1 + 1·1 + 2·1 ") and " … " in text  # 60 leaves
    assert text.endswith("27·1 + 28·1 + 29·1 = 435") and len(text) < 110


# -- property: any graph -------------------------------------------------------------------------

OPS: list[Callable[[Value, Value], Value]] = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a * 0.5 + b.tanh(),
    lambda a, b: (a - b).sigmoid(),
    lambda a, b: a.relu() * b,
    lambda a, b: vsum([a, b, a]),
    lambda a, b: dot([a, b], [b, b], a),
    lambda a, b: a.leaky_relu(0.2) - b**2,
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-2, 2), min_size=1, max_size=4),
    st.lists(
        st.tuples(st.integers(0, len(OPS) - 1), st.integers(0, 99), st.integers(0, 99)),
        min_size=1,
        max_size=25,
    ),
)
def test_steps_reproduce_backward_on_random_graphs(
    leaves: list[float], ops: list[tuple[int, int, int]]
) -> None:
    nodes = [Value(x, f"x{i}") for i, x in enumerate(leaves)]
    for op, i, j in ops:
        nodes.append(OPS[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
    assert_steps_match_backward(vsum(nodes[-3:]))


def test_mlp_steps_name_inputs_and_parameters_from_the_model() -> None:
    """Inputs are x₁, x₂ (not their values); neurons and parameters by their nn names."""
    from microgradnet.nn import MLP

    model = MLP(2, [2, 1], activation="tanh", seed=0)
    loss = (model([0.5, -0.25]) - 1.0) ** 2
    loss.label = "loss"
    texts = "\n".join(step.text() for step in backward_steps(loss))
    assert "dloss/dx₁ += " in texts and "dloss/dx₂ += " in texts
    assert "d(0.5)" not in texts and "d(-0.25)" not in texts
    assert "dloss/d(layers.0.neurons.1.w.0) += " in texts
    assert "layers.0.neurons.1 is reached" in texts  # the neuron's output (its tanh)
    assert "layers.0.neurons.1.z is reached" in texts  # its sum, before the activation
    forward = [step.text() for step in forward_steps(loss)]
    assert sum(t.endswith(": x₁ = 0.5 (given)") for t in forward) == 1
