"""The compiled path: Tape replays a one-sample graph over a batch and equals the Value engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from microgradnet import ops
from microgradnet.engine import Constant, Value, dot, vsum
from microgradnet.losses import (
    NUMPY_LOSSES,
    bce_loss,
    bce_with_logits,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    mse_loss,
    numpy_loss,
)
from microgradnet.nn import MLP, BatchNorm1d, Dropout, Layer, Sequential
from microgradnet.replay import Tape
from microgradnet.train import LOSSES, CompiledStep, check_replayable, forward_backward

RTOL = 1e-9
Build = Callable[[list[Value], list[Value]], Value]


def assert_close(actual: Any, expected: Any) -> None:
    """Elementwise relative 1e-9, with a floor of 1e-9 × the largest magnitude (for zeros)."""
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert a.shape == e.shape
    scale = max(float(np.abs(e).max(initial=0.0)), 1e-300)
    np.testing.assert_allclose(a, e, rtol=RTOL, atol=RTOL * scale)


def reference(
    build: Build, params: list[Value], X: np.ndarray, seed: np.ndarray
) -> tuple[list[float], list[float]]:
    """The Value engine, one graph per sample: root values and Σ_i seed_i · d root_i / d p."""
    for p in params:
        p.grad = 0.0
    values = []
    for row, s in zip(X.tolist(), seed.tolist()):
        root = build([Value(x) for x in row], params)
        values.append(root.data)
        root.backward(s)
    return values, [p.grad for p in params]


def check_against_engine(build: Build, n_inputs: int, params: list[Value], X: np.ndarray) -> Tape:
    """Tape forward and backward (random seed per sample) equal the Value engine to 1e-9."""
    seed = np.random.default_rng(1).uniform(-1, 1, len(X))
    expected_values, expected_grads = reference(build, params, X, seed)
    placeholders = [Value(x, f"x{k}") for k, x in enumerate(X[0].tolist())]
    tape = Tape(build(placeholders, params), placeholders, params)
    assert len(placeholders) == n_inputs
    for p in params:
        p.grad = 0.0
    assert_close(tape.forward(X), expected_values)
    tape.backward(seed)
    assert_close([p.grad for p in params], expected_grads)
    return tape


def uniform(lo: float, hi: float, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, shape)


# -- every op of the engine against the Value engine ---------------------------------------------

OPS: dict[str, Build] = {
    "+": lambda x, p: x[0] * p[0] + x[1],
    "-": lambda x, p: x[0] * p[0] - x[1] * p[1],
    "*": lambda x, p: x[0] * p[0] * x[1],
    "/": lambda x, p: (x[0] * p[0]) / (x[1] * p[1]),
    "** number": lambda x, p: (x[0] * p[0]) ** 3 + (x[1] * p[1]) ** -1.5,
    "** Value": lambda x, p: (x[0] * p[0]) ** (x[1] * p[1]),
    "** Value base": lambda x, p: p[0] ** x[1],
    "neg": lambda x, p: -(x[0] * p[0]),
    "exp": lambda x, p: (x[0] * p[0]).exp(),
    "log": lambda x, p: (x[0] * p[0]).log(),
    "sqrt": lambda x, p: (x[0] * p[0]).sqrt(),
    "tanh": lambda x, p: (x[0] * p[0] - 1).tanh(),
    "sigmoid": lambda x, p: (x[0] * p[0] * 20 - 30).sigmoid() + (x[1] * p[1] * 3 - 5).sigmoid(),
    "relu": lambda x, p: (x[0] * p[0] - 1).relu() * x[1],
    "leaky_relu": lambda x, p: (x[0] * p[0] - 1).leaky_relu(0.1) * (x[1] - 1).leaky_relu(0.2),
    "sum": lambda x, p: vsum([x[0] * p[0], x[1], p[1], 2.0]),
    "dot dense": lambda x, p: dot(p, x, 0.5),
    "dot swapped": lambda x, p: dot(x, p),
    "dot generic": lambda x, p: dot([x[0] * p[0], x[1]], [p[1], x[0] * x[1]], x[1]),
    "dot constant weights": lambda x, p: dot([2.0, -3.0], [x[0] * p[0], x[1] * p[1]]),
    "sin": lambda x, p: (x[0] * p[0]).sin() * (x[1] - 1).sin(),
    "cos": lambda x, p: (x[0] * p[0]).cos() + (x[1] * p[1]).cos(),
    "abs": lambda x, p: (x[0] * p[0] - 1).abs() * abs(x[1] - 1),
    "softplus": lambda x, p: (x[0] * p[0] * 40 - 30).softplus() + (x[1] * p[1] - 1).softplus(),
    "silu": lambda x, p: (x[0] * p[0] - 1).silu() * x[1],
    "gelu": lambda x, p: (x[0] * p[0] - 1).gelu() + (x[1] * p[1]).gelu(),
    "normal_cdf": lambda x, p: ops.apply("normal_cdf", x[0] * p[0] - 1) * x[1],
}


@pytest.mark.parametrize("name", list(OPS))
def test_op_matches_the_value_engine(name: str) -> None:
    params = [Value(0.7, "p0"), Value(1.3, "p1")]
    X = uniform(0.2, 2.0, (25, 2), seed=len(name))
    check_against_engine(OPS[name], 2, params, X)


def test_relu_and_leaky_relu_at_zero_follow_the_engine_conventions() -> None:
    # relu'(0) = 0, leaky_relu'(0) = alpha: samples exactly at the kink
    params = [Value(1.0, "p")]
    X = np.array([[0.0], [1.0], [-1.0], [0.0]])
    check_against_engine(lambda x, p: (x[0] * p[0]).relu() * 3, 1, params, X)
    check_against_engine(lambda x, p: (x[0] * p[0]).leaky_relu(0.3) * 3, 1, params, X)


def test_pow_conventions_at_zero() -> None:
    # d x**y / dx at x = 0: y = 0 gives 0, 0 < y < 1 gives inf; d/dy is 0 for x <= 0
    w = Value(1.0, "w")
    x = Value(0.0, "x")
    tape = Tape((x + w) ** 0.5, [x], [w])
    assert tape.forward([[-1.0], [3.0]]).tolist() == [0.0, 2.0]
    tape.backward([1.0, 0.0])
    assert w.grad == np.inf
    engine = (Value(-1.0) + Value(1.0)) ** 0.5
    engine.backward()
    assert engine.children[0].grad == np.inf
    y = Value(2.0, "y")
    root = x ** (y * w)
    w.grad = 0.0
    tape = Tape(root, [x, y], [w])
    assert tape.forward([[0.0, 2.0], [3.0, 2.0]]).tolist() == [0.0, 9.0]
    tape.backward([1.0, 0.0])
    assert w.grad == 0.0


# -- networks and losses, against the Value engine's batch loss ---------------------------------


def _batch(n: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, width))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "linear"])
@pytest.mark.parametrize("loss", ["mse", "bce", "cross_entropy"])
@pytest.mark.parametrize("lam", [0.0, 0.05])
def test_mlp_per_sample_loss_equals_the_batch_loss(activation: str, loss: str, lam: float) -> None:
    """A per-sample loss with the target as placeholders, averaged by loss_backward, equals the
    Value engine's mean-reduced batch loss (plus an L2 term) in value and every gradient."""
    classes = 3
    X = _batch(30, 3)
    labels = np.random.default_rng(1).integers(0, classes, 30)
    nout = classes if loss == "cross_entropy" else 1
    out_act = "sigmoid" if loss == "bce" else None
    model = MLP(3, [5, 4, nout], activation=activation, output_activation=out_act, seed=2)
    params = model.parameters()
    targets = labels % 2 if loss == "bce" else labels * 0.5 - 0.3

    # the Value engine over the whole batch, as fit computes it
    out = model.forward_batch(X.tolist())
    if loss == "mse":
        batch_loss = mse_loss([row[0] for row in out], targets)
    elif loss == "bce":
        batch_loss = bce_loss([row[0] for row in out], targets)
    else:
        batch_loss = cross_entropy(out, labels)
    if lam:
        batch_loss = batch_loss + l2_penalty(model, lam)
    model.zero_grad()
    batch_loss.backward()
    expected = [p.grad for p in params]

    # one sample's graph, the target as placeholders (one-hot for cross-entropy)
    x = [Value(0.0, f"x{k}") for k in range(3)]
    if loss == "cross_entropy":
        t = [Value(0.0, f"t{k}") for k in range(classes)]
        z = model.forward(x)
        lse = vsum([zk.exp() for zk in z]).log()
        sample = lse - dot(t, z)  # -log softmax(z)[k] for a one-hot t
        columns = np.eye(classes)[labels]
    else:
        t = [Value(0.0, "y")]
        (a,) = model.forward(x)
        y = t[0]
        sample = (a - y) ** 2 if loss == "mse" else -(y * a.log() + (1 - y) * (1 - a).log())
        columns = np.asarray(targets, dtype=float).reshape(-1, 1)
    if lam:
        sample = sample + l2_penalty(model, lam)
    tape = Tape(sample, [*x, *t], model)
    model.zero_grad()
    value = tape.loss_backward(np.column_stack([X, columns]))
    assert_close([value], [batch_loss.data])
    assert_close([p.grad for p in params], expected)


def test_dense_layers_run_as_matrix_products_and_match_the_generic_path() -> None:
    model = MLP(2, [8, 8, 1], activation="tanh", seed=0)
    x = [Value(0.0, "x0"), Value(0.0, "x1")]
    (out,) = model.forward(x)
    dense = Tape(out, x, model)
    assert dense.summary().count("dense layer") == 3
    # the same network with every weight routed through a "*1" node: no dense layer
    w1 = {p: p * 1.0 for p in model.parameters()}
    h: list[Value] = x
    for layer in model.layers:
        zs = [dot([w1[w] for w in n.w], h, n.b) for n in layer.neurons]
        h = zs if layer.activation == "linear" else [z.tanh() for z in zs]
    generic = Tape(h[0], x, model)
    assert "dense" not in generic.summary()
    X, seed = _batch(40, 2), np.linspace(-1, 1, 40)
    assert_close(dense.forward(X), generic.forward(X))
    model.zero_grad()
    dense.backward(seed)
    by_dense = [p.grad for p in model.parameters()]
    model.zero_grad()
    generic.backward(seed)
    assert_close([p.grad for p in model.parameters()], by_dense)


def test_shared_weights_and_repeated_inputs_add_up() -> None:
    def build(x: list[Value], p: list[Value]) -> Value:
        return dot([p[0], p[0], p[1]], [x[0], x[0], x[1]]) * dot([p[1], p[0]], [x[1], x[1]])

    w, v = Value(0.5, "w"), Value(-1.5, "v")
    check_against_engine(build, 2, [w, v], _batch(10, 2))


def test_several_outputs_and_outputs_that_are_leaves() -> None:
    layer = Layer(2, 3, activation="sigmoid", seed=0)
    x = [Value(0.0, "x0"), Value(0.0, "x1")]
    outs = layer.forward(x)
    p0 = layer.parameters()[0]
    tape = Tape([*outs, p0, x[1]], x, layer)
    X = _batch(6, 2)
    result = tape.forward(X)
    assert result.shape == (6, 5)
    expected = [[v.data for v in layer.forward(row)] for row in X.tolist()]
    assert_close(result[:, :3], expected)
    assert (result[:, 3] == p0.data).all() and (result[:, 4] == X[:, 1]).all()
    seed = _batch(6, 5, seed=3)
    layer.zero_grad()
    tape.backward(seed)
    got = [p.grad for p in layer.parameters()]
    layer.zero_grad()
    for row, s in zip(X.tolist(), seed.tolist()):
        for v, g in zip(layer.forward(row), s[:3]):
            v.backward(g)
    p0.grad += sum(s[3] for s in seed.tolist())
    assert_close(got, [p.grad for p in layer.parameters()])


def test_grads_accumulate_like_backward_and_forward_reads_current_parameters() -> None:
    w = Value(2.0, "w")
    x = Value(0.0, "x")
    tape = Tape((x * w) ** 2, [x], [w])
    X = np.array([[1.0], [2.0], [3.0]])
    assert tape.loss_backward(X) == pytest.approx((4 + 16 + 36) / 3, rel=1e-15)
    first = w.grad
    assert first == pytest.approx(2 * 2.0 * (1 + 4 + 9) / 3, rel=1e-15)  # d/dw mean (x w)^2
    tape.loss_backward(X)
    assert w.grad == pytest.approx(2 * first, rel=1e-15)
    w.data = 1.0
    assert tape.forward(X).tolist() == [1.0, 4.0, 9.0]


def test_unused_placeholders_and_parameters_are_allowed() -> None:
    x, unused, w, idle = Value(1.0, "x"), Value(0.0, "unused"), Value(3.0, "w"), Value(5.0, "idle")
    tape = Tape(x * w, [x, unused], [w, idle])
    assert tape.forward([[1.0, 100.0], [2.0, -100.0]]).tolist() == [3.0, 6.0]
    tape.backward([1.0, 1.0])
    assert (w.grad, idle.grad) == (3.0, 0.0)


def test_summary_and_repr() -> None:
    model = MLP(2, [4, 1], seed=0)
    x = [Value(0.0), Value(0.0)]
    tape = Tape(model(x), x, model)
    assert repr(tape) == "Tape(28 nodes, 3 groups, 2 inputs, 17 parameters)"
    assert tape.summary().splitlines()[1:] == [
        "  depth   1  dot ×4 as a dense layer: W (4×2) @ A (2×batch)",
        "  depth   2  relu ×4",
        "  depth   3  dot ×1 as a dense layer: W (1×4) @ A (4×batch)",
    ]


# -- refusals and errors ---------------------------------------------------------------------------


def test_refuses_an_op_without_a_rule() -> None:
    x = Value(1.0, "x")
    odd = x * 2
    odd.op = "mystery"
    with pytest.raises(ValueError, match=r"cannot replay op 'mystery' .*: it is not defined"):
        Tape(odd, [x], [])
    cube = ops.define_op("cube_no_numpy", lambda t: t**3, lambda t: 3 * t**2)
    try:
        with pytest.raises(ValueError, match=r"op 'cube_no_numpy' .* has no numpy rule; give"):
            Tape(cube(x), [x], [])
    finally:
        ops.undefine_op("cube_no_numpy")


def test_refuses_a_stray_leaf() -> None:
    x, w, stray = Value(1.0, "x"), Value(2.0, "w"), Value(3.0, "stray")
    with pytest.raises(ValueError, match=r"leaf Value 'stray' is neither an input placeholder"):
        Tape(x * w + stray, [x], [w])


@pytest.mark.parametrize(
    ("inputs", "params", "match"),
    [
        ("interior", "w", r"Tape\(inputs\): item 0 .* is an interior node"),
        ("const", "w", r"Tape\(inputs\): item 0 is a Constant"),
        ("x x", "w", r"Tape\(inputs\): item 1 .* appears more than once"),
        ("x", "x", r"Value 'x' is both an input and a parameter"),
        ("x", "number", r"Tape\(params\): item 0 is a float, not a Value"),
    ],
)
def test_refuses_bad_inputs_and_params(inputs: str, params: str, match: str) -> None:
    x, w = Value(1.0, "x"), Value(2.0, "w")
    root = x * w
    pool: dict[str, object] = {
        "x": x,
        "w": w,
        "interior": root,
        "const": Constant(1.0),
        "number": 1.0,
    }
    with pytest.raises((ValueError, TypeError), match=match):
        Tape(root, [pool[k] for k in inputs.split()], [pool[k] for k in params.split()])  # type: ignore[misc]


def test_malformed_node_and_batch_shapes_are_refused() -> None:
    x, w = Value(1.0, "x"), Value(2.0, "w")
    bad = vsum([x, w, x])
    bad.op = "*"
    with pytest.raises(ValueError, match=r"has 3 children, which op '\*' does not take"):
        Tape(bad, [x], [w])
    tape = Tape(x * w, [x], [w])
    with pytest.raises(ValueError, match=r"X must have shape \(batch, 1\)"):
        tape.forward(np.ones((3, 2)))
    with pytest.raises(RuntimeError, match=r"call forward\(X\) first"):
        tape.backward([1.0])
    tape.forward([[1.0], [2.0]])
    with pytest.raises(ValueError, match=r"seed must have shape \(2,\)"):
        tape.backward([1.0, 2.0, 3.0])
    two = Tape([x * w, x + w], [x], [w])
    two.forward([[1.0]])
    with pytest.raises(ValueError, match=r"needs a graph with one output, this one has 2"):
        two.loss_backward([[1.0]])


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda x, w: (x * w).log(), ValueError, r"log: input must be > 0, got -2.0; in sample"),
        (lambda x, w: (x * w).sqrt(), ValueError, r"sqrt: input must be >= 0"),
        (lambda x, w: w / x, ZeroDivisionError, r"/: division by zero"),
        (lambda x, w: x**-1.0, ZeroDivisionError, r"0 raised to the negative power -1.0; in"),
        (lambda x, w: (x - 1) ** 0.5, ValueError, r"negative base -1.0 with non-integer exponent"),
        (lambda x, w: (x - 1) ** w, ValueError, r"negative base -1.0 with a Value exponent"),
    ],
)
def test_the_engines_domain_errors_name_the_sample(
    build: Callable[[Value, Value], Value], error: type[Exception], match: str
) -> None:
    x, w = Value(1.0, "x"), Value(1.0, "w")
    tape = Tape(build(x, w), [x], [w])
    tape.forward([[1.0], [2.0]])  # fine
    with pytest.raises(error, match=match) as info:
        tape.forward([[1.0], [-2.0 if "input" in match else 0.0]])
    assert "in sample 1" in str(info.value)
    with pytest.raises(error):  # the engine agrees on the sample
        build(Value(-2.0 if "input" in match else 0.0), w)


def test_check_replayable_names_the_module() -> None:
    model = Sequential(Layer(2, 3, seed=0), BatchNorm1d(3), Dropout(0.5), Layer(3, 1, seed=1))
    with pytest.raises(ValueError, match=r"BatchNorm1d 'layers.1' normalizes with batch"):
        check_replayable(model)
    model.eval()
    check_replayable(model)  # eval mode: running estimates, no mask
    with pytest.raises(ValueError, match=r"Dropout 'layers.1' draws a dropout mask"):
        check_replayable(Sequential(Layer(2, 3, seed=0), Dropout(0.5)), training=True)
    check_replayable(Sequential(Layer(2, 3, seed=0), Dropout(0.0)))
    with pytest.raises(ValueError, match=r"the model \(BatchNorm1d\)"):
        CompiledStep(BatchNorm1d(2), mse_loss, "mse")


def test_batchnorm_in_eval_mode_replays_its_running_estimates() -> None:
    model = Sequential(Layer(2, 3, seed=0), BatchNorm1d(3), Layer(3, 1, activation=None, seed=1))
    model.forward_batch(_batch(16, 2).tolist())  # move the running estimates
    model.eval()
    build: Build = lambda x, p: model.forward(x)[0]  # noqa: E731
    check_against_engine(build, 2, model.parameters(), _batch(12, 2, seed=5))


# -- fit's compiled step: the numpy losses equal microgradnet.losses ------------------------------


def _targets(name: str, n: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(4)
    if name == "cross_entropy":
        return rng.integers(0, width, n)
    if name == "hinge":
        return rng.choice([-1.0, 1.0], (n, width))
    if name in ("bce", "bce_with_logits"):  # hard and soft labels
        return np.where(
            rng.random((n, width)) < 0.3, rng.random((n, width)), rng.integers(0, 2, (n, width))
        )
    return rng.normal(size=(n, width))


@pytest.mark.parametrize(
    ("name", "width"),
    [
        (name, w)
        for name in sorted(NUMPY_LOSSES)
        for w in (1, 3)
        if (name, w) != ("cross_entropy", 1)
    ],
)
def test_numpy_losses_equal_the_value_losses(name: str, width: int) -> None:
    rng = np.random.default_rng(0)
    n = 20
    out = rng.normal(scale=4.0, size=(n, width))
    if name == "bce":  # probabilities, some saturated beyond the clamp
        out = 1 / (1 + np.exp(-out))
        out[0, 0], out[1, 0] = 1e-9, 1.0
    if name in ("bce_with_logits", "hinge"):
        out[0, 0], out[1, 0] = 40.0, -1.0  # far saturated; exactly on the hinge
    y = _targets(name, n, width)
    if name == "hinge":
        y[1, 0] = 1.0
    if width == 1 and name != "cross_entropy":
        y = y[:, 0]
    leaves = [[Value(v) for v in row] for row in out.tolist()]
    preds = [row[0] for row in leaves] if width == 1 else leaves
    value = LOSSES[name](preds, y)
    value.backward()
    got_value, got_grad = numpy_loss(name, out, y)
    assert_close([got_value], [value.data])
    assert_close(got_grad, [[v.grad for v in row] for row in leaves])


@pytest.mark.parametrize(
    ("name", "out", "y", "match"),
    [
        (
            "bce",
            [[1.5]],
            [1.0],
            r"bce_loss: predictions must be probabilities in \[0, 1\], got 1.5",
        ),
        ("bce", [[0.5]], [2.0], r"bce_loss: targets must be in \[0, 1\]"),
        ("hinge", [[0.5]], [0.0], r"hinge_loss: labels must be -1 or \+1"),
        ("mse", [[0.5, 1.0]], [1.0], r"mse_loss: predictions of shape \(1, 2\) and targets"),
        ("cross_entropy", [[0.5, 1.0]], [2], r"target 0 must be a class index in \[0, 2\), got 2$"),
        ("cross_entropy", [[0.5, 1.0], [0.1, 0.2]], [1, 1.5], r"target 1 must .* got 1.5$"),
        (
            "cross_entropy",
            [[0.5, 1.0]],
            [[1]],
            r"one class index per sample: 1 samples, .* \(1, 1\)",
        ),
        ("cross_entropy", [[0.5]], [0], r"one output per class"),
    ],
)
def test_numpy_losses_check_like_the_value_losses(
    name: str, out: list[list[float]], y: list[float], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        numpy_loss(name, np.array(out), y)


@pytest.mark.parametrize("name", ["mse", "bce_with_logits", "hinge", "custom"])
def test_compiled_step_equals_forward_backward(name: str) -> None:
    model = MLP(2, [6, 2], activation="tanh", seed=3)
    X = _batch(15, 2)
    y = _targets("hinge" if name == "hinge" else "bce" if name != "mse" else "mse", 15, 2)

    def custom(pred: Any, target: np.ndarray) -> Value:
        return hinge_loss(pred, np.where(target > 0.5, 1.0, -1.0)) + bce_with_logits(pred, target)

    loss = custom if name == "custom" else LOSSES[name]
    model.zero_grad()
    value, out = forward_backward(model, loss, X.tolist(), y)
    expected = [p.grad for p in model.parameters()]
    step = CompiledStep(model, loss, "" if name == "custom" else name)
    model.zero_grad()
    got_value, got_out = step(model, loss, X.tolist(), y)
    assert_close([got_value], [value])
    assert_close(got_out, out)
    assert_close([p.grad for p in model.parameters()], expected)
    assert step.tape is not None and "dense layer" in step.tape.summary()
