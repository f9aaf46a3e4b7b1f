"""Hypothesis properties: random expression graphs over every op against numerical derivatives."""

from __future__ import annotations

import math
from collections.abc import Callable

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from microgradnet import Value, dot, grad, gradients, numerical_grad, topological_order, vsum

# Every op, with operands kept inside its domain (log, sqrt, / and ** of a Value exponent get a
# positive argument) and its output kept moderate (exp of a tanh).
OPS: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: 1.5 - a,
    "mul": lambda a, b: a * b,
    "rmul": lambda a, b: 0.5 * a,
    "div": lambda a, b: a / (b * b + 1),
    "rdiv": lambda a, b: 1 / (a * a + 0.5),
    "square": lambda a, b: a**2,
    "cube": lambda a, b: a**3,
    "pow": lambda a, b: (a * a + 0.5) ** b.tanh(),
    "rpow": lambda a, b: 2 ** a.tanh(),
    "neg": lambda a, b: -a,
    "exp": lambda a, b: a.tanh().exp(),
    "log": lambda a, b: (a * a + 0.5).log(),
    "sqrt": lambda a, b: (a * a + 0.5).sqrt(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: a.relu(),
    "leaky_relu": lambda a, b: a.leaky_relu(0.1),
    "dot": lambda a, b: dot([a, b], [b, 0.5], bias=a),
    "vsum": lambda a, b: vsum([a, b, a]),
    "sin": lambda a, b: a.sin(),
    "cos": lambda a, b: a.cos(),
    "abs": lambda a, b: abs(a),
    "softplus": lambda a, b: a.softplus(),
    "silu": lambda a, b: a.silu(),
    "gelu": lambda a, b: a.gelu(),
}
KINKED = {"relu", "leaky_relu", "abs"}
N_INPUTS = 3


@st.composite
def programs(draw: st.DrawFn) -> list[tuple[str, int, int]]:
    steps = []
    for k in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(sorted(OPS)))
        i, j = draw(st.integers(0, N_INPUTS + k - 1)), draw(st.integers(0, N_INPUTS + k - 1))
        steps.append((op, i, j))
    return steps


inputs = st.lists(st.floats(-2.0, 2.0), min_size=N_INPUTS, max_size=N_INPUTS)


def run(program: list[tuple[str, int, int]], xs: tuple[Value, ...]) -> Value:
    nodes = list(xs)
    for op, i, j in program:
        if op in KINKED:
            assume(abs(nodes[i].data) > 1e-3)  # away from the kink, where no derivative exists
        nodes.append(OPS[op](nodes[i], nodes[j]))
    assume(all(abs(n.data) < 100 for n in nodes))
    return nodes[-1]


def close(a: float, b: float, rel: float = 1e-4, abs_: float = 1e-5) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


@settings(max_examples=300, deadline=None)
@given(programs(), inputs)
def test_backprop_matches_central_differences(
    program: list[tuple[str, int, int]], xs: list[float]
) -> None:
    points = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    out = run(program, tuple(points))
    analytical = gradients(out, points)
    numerical = numerical_grad(lambda *v: run(program, v), xs)
    assert all(close(a, n) for a, n in zip(analytical, numerical)), (analytical, numerical)


@settings(max_examples=200, deadline=None)
@given(programs(), inputs)
def test_backward_twice_doubles_leaves_and_keeps_interior_grads(
    program: list[tuple[str, int, int]], xs: list[float]
) -> None:
    points = [Value(x) for x in xs]
    out = run(program, tuple(points))
    out.backward()
    interior = {v: v.grad for v in topological_order(out) if v.children}
    leaves = {v: v.grad for v in topological_order(out) if not v.children}
    out.backward()
    assert all(v.grad == g for v, g in interior.items())
    # leaves accumulate: the second pass adds its terms one by one onto the first's sum
    assert all(close(v.grad, 2 * g, rel=1e-12, abs_=1e-300) for v, g in leaves.items())
    assert all(
        close(p.grad, 2 * g, rel=1e-12, abs_=1e-300) for p, g in zip(points, gradients(out, points))
    )


@settings(max_examples=150, deadline=None)
@given(programs(), st.floats(-2.0, 2.0))
@example(program=[("pow", 1, 0)], x=0.0)  # a Value exponent at 0: d/dx = y·x**(y-1) is a graph
def test_second_derivatives_match_differences_of_the_first(
    program: list[tuple[str, int, int]], x: float
) -> None:
    def f(v: Value) -> Value:
        return run(program, (v, v * 0.5 + 0.25, -v))

    h = 1e-5
    first = grad(f)
    for point in (x - h, x, x + h):  # keep every probe away from kinks
        f(Value(point))
    second = grad(grad(f))(x)
    numerical = (first(x + h) - first(x - h)) / (2 * h)
    assert close(second, numerical, rel=1e-3, abs_=1e-4), (second, numerical)
