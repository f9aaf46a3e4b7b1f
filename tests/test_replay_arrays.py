"""Parameters as arrays: Tape(arrays=True), Optimizer.update, fit's compiled path keeping
arrays; the replay's layouts (strided blocks, the bias as a column) against the Value engine;
predict and evaluate in memory bounded by the batch size."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from microgradnet.engine import Value, dot
from microgradnet.losses import cross_entropy
from microgradnet.nn import MLP, Module
from microgradnet.optim import SGD, Adam, Optimizer
from microgradnet.replay import Tape
from microgradnet.train import evaluate, fit, predict

OPTIMIZERS: dict[str, Callable[[list[Value]], Optimizer]] = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9),
    "nesterov": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda ps: Adam(ps, lr=0.01),
    "adam decay": lambda ps: Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_update_on_arrays_equals_step_on_values_bit_for_bit(name: str) -> None:
    rng = np.random.default_rng(0)
    start = rng.normal(size=7)
    values = [Value(x) for x in start.tolist()]
    on_values = OPTIMIZERS[name](values)
    on_arrays = OPTIMIZERS[name]([Value(x) for x in start.tolist()])
    data = start.copy()
    for _ in range(6):
        grad = rng.normal(size=7) * 3
        for p, g in zip(values, grad.tolist()):
            p.grad = g
        on_values.step()
        on_arrays.update(data, grad)
    assert [p.data for p in values] == data.tolist()


@pytest.mark.parametrize(
    ("data", "grad", "error", "match"),
    [
        (
            np.zeros(3),
            np.zeros(2),
            TypeError,
            r"update\(grad\) must be a float64 array of shape \(3,\)",
        ),
        ([0.0, 0.0, 0.0], np.zeros(3), TypeError, r"update\(data\) must be .* got list"),
        (np.zeros(3, dtype=np.float32), np.zeros(3), TypeError, r"got float32"),
        (np.zeros(3)[::-1].copy(), np.zeros((3, 1)), TypeError, r"shape \(3, 1\)"),
    ],
)
def test_update_refuses_arrays_of_another_shape_or_type(
    data: Any, grad: Any, error: type[Exception], match: str
) -> None:
    opt = SGD([Value(1.0), Value(2.0), Value(3.0)], lr=0.1)
    with pytest.raises(error, match=match):
        opt.update(data, grad)


def test_update_refuses_a_read_only_array() -> None:
    data = np.zeros(2)
    data.flags.writeable = False
    with pytest.raises(ValueError, match=r"update\(data\) must be writeable"):
        SGD([Value(1.0), Value(2.0)], lr=0.1).update(data, np.zeros(2))


# -- Tape(arrays=True) ---------------------------------------------------------------------------


def _model_and_tape(arrays: bool) -> tuple[MLP, Tape, np.ndarray]:
    model = MLP(2, [5, 4, 1], activation="tanh", seed=1)
    x = [Value(0.3, "x0"), Value(-0.2, "x1")]
    y = Value(0.0, "y")
    tape = Tape((model(x) - y) ** 2, [*x, y], model, arrays=arrays)
    rng = np.random.default_rng(2)
    XY = np.column_stack([rng.normal(size=(30, 2)), rng.normal(size=30)])
    return model, tape, XY


def test_arrays_hold_the_parameters_and_leave_the_values_alone() -> None:
    model, tape, XY = _model_and_tape(arrays=True)
    params = model.parameters()
    assert tape.data.tolist() == [p.data for p in params] and (tape.grad == 0).all()
    before = [p.data for p in params]
    params[0].data += 1.0  # the tape computes with its array, not the Value
    out = tape.forward(XY)
    params[0].data -= 1.0
    assert np.array_equal(out, tape.forward(XY))
    tape.loss_backward(XY)
    assert all(p.grad == 0.0 for p in params) and np.abs(tape.grad).sum() > 0
    first = tape.grad.copy()
    tape.loss_backward(XY)
    assert np.array_equal(tape.grad, 2 * first)  # accumulates, as p.grad does
    tape.zero_grad()
    assert (tape.grad == 0).all()
    tape.data[0] = 5.0
    tape.loss_backward(XY)
    tape.write_values()
    assert params[0].data == 5.0 and [p.data for p in params[1:]] == before[1:]
    assert [p.grad for p in params] == tape.grad.tolist()
    params[1].data = -3.0
    tape.read_values()
    assert tape.data[1] == -3.0


def test_a_training_loop_on_arrays_equals_the_loop_on_values() -> None:
    model_a, tape_a, XY = _model_and_tape(arrays=True)
    model_v, tape_v, _ = _model_and_tape(arrays=False)
    opt_a, opt_v = Adam(model_a, lr=0.01), Adam(model_v, lr=0.01)
    for _ in range(5):
        tape_a.zero_grad()
        loss_a = tape_a.loss_backward(XY)
        opt_a.update(tape_a.data, tape_a.grad)
        tape_v.zero_grad()
        loss_v = tape_v.loss_backward(XY)
        opt_v.step()
        assert loss_a == loss_v
        assert tape_a.grad.tolist() == [p.grad for p in model_v.parameters()]
    tape_a.write_values()
    assert [p.data for p in model_a.parameters()] == [p.data for p in model_v.parameters()]


def test_a_values_tape_has_no_arrays() -> None:
    _, tape, _ = _model_and_tape(arrays=False)
    for what in ("data", "grad"):
        with pytest.raises(AttributeError, match=rf"Tape.{what}: this tape reads its parameters"):
            getattr(tape, what)
    with pytest.raises(AttributeError, match="arrays=True"):
        tape.write_values()
    with pytest.raises(TypeError, match=r"Tape\(arrays\) must be a bool"):
        Tape(Value(1.0) * 2, [], [], arrays=1)  # type: ignore[arg-type]


# -- layouts of the replay, against the Value engine ----------------------------------------------


def _engine_grads(
    build: Callable[[list[Value]], Value], params: list[Value], X: np.ndarray
) -> tuple[list[float], list[float]]:
    for p in params:
        p.grad = 0.0
    outs = []
    for row in X.tolist():
        out = build([Value(v) for v in row])
        outs.append(out.data)
        out.backward(1.0 / len(X))
    return outs, [p.grad for p in params]


@pytest.mark.parametrize("order", ["model", "reversed", "shuffled"])
def test_any_parameter_order_gives_the_engines_numbers(order: str) -> None:
    """In the model's order the layers read strided views of the parameters and take the bias
    as a column; in any other order they gather; the numbers are the engine's either way."""
    model = MLP(3, [6, 5, 2], activation="relu", seed=4)
    params = model.parameters()
    if order == "reversed":
        params = params[::-1]
    elif order == "shuffled":
        params = [params[i] for i in np.random.default_rng(0).permutation(len(params))]

    def build(x: list[Value]) -> Value:
        a, b = model.forward(x)
        return a * a + (b - 1.0) ** 2 + b**3

    X = np.random.default_rng(5).normal(size=(25, 3))
    expected_out, expected = _engine_grads(build, params, X)
    x = [Value(v) for v in X[0].tolist()]
    tape = Tape(build(x), x, params)
    for p in params:
        p.grad = 0.0
    out = tape.forward(X)
    tape.backward(np.full(len(X), 1.0 / len(X)))
    np.testing.assert_allclose(out, expected_out, rtol=1e-12)
    np.testing.assert_allclose([p.grad for p in params], expected, rtol=1e-9, atol=1e-15)
    assert tape.summary().count("dense layer") == 3


def test_powers_with_constant_exponents_follow_the_engine() -> None:
    """x**2 needs no ln x for its exponent; x**0.5 at 0 has the derivative inf, x**0 the
    derivative 0: the replay's cheaper rule agrees with the engine's everywhere."""
    w = Value(1.0, "w")

    def build(x: list[Value]) -> Value:
        z = x[0] * w
        return z**2 + z**3 + z**0 + (z * z) ** 0.5 + z**1

    X = np.array([[0.0], [1.5], [-2.0], [3.0]])
    for row in X.tolist():
        w.grad = 0.0
        out = build([Value(row[0])])
        out.backward()
        expected = w.grad
        x = [Value(row[0])]
        tape = Tape(build(x), x, [w])
        w.grad = 0.0
        assert tape.forward([row])[0] == out.data
        tape.backward([1.0])
        assert w.grad == expected or (np.isnan(w.grad) and np.isnan(expected))


def test_a_dense_layer_with_a_bias_that_is_not_a_parameter() -> None:
    w = [Value(0.5), Value(-1.0)]

    def build(x: list[Value]) -> Value:
        return dot(w, x, x[0] * x[1]).tanh()

    X = np.random.default_rng(1).normal(size=(9, 2))
    expected_out, expected = _engine_grads(build, w, X)
    x = [Value(1.0), Value(2.0)]
    tape = Tape(build(x), x, w)
    for p in w:
        p.grad = 0.0
    np.testing.assert_allclose(tape.forward(X), expected_out, rtol=1e-12)
    tape.backward(np.full(9, 1 / 9))
    np.testing.assert_allclose([p.grad for p in w], expected, rtol=1e-12)


# -- fit keeps the parameters in arrays --------------------------------------------------------


class StepOnValues(SGD):
    """SGD with its own step(): fit cannot use update() and trains through the Values."""

    def step(self) -> None:
        super().step()


def _moons() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(float)


def test_fit_on_arrays_equals_fit_through_the_values() -> None:
    X, y = _moons()
    runs = []
    for make in (SGD, StepOnValues):
        model = MLP(2, [8, 1], seed=0)
        opt = make(model, lr=0.1, momentum=0.5)
        history = fit(
            model, X, y, loss="bce_with_logits", optimizer=opt, epochs=4, batch_size=16,
            seed=0, progress=False, compile=True, validation=(X[:20], y[:20]),
        )  # fmt: skip
        runs.append((history, model))
    (h_a, m_a), (h_v, m_v) = runs
    assert h_a.loss == h_v.loss and h_a.val_loss == h_v.val_loss
    assert h_a.grad_norms == h_v.grad_norms
    assert [p.data for p in m_a.parameters()] == [p.data for p in m_v.parameters()]
    assert [p.grad for p in m_a.parameters()] == [p.grad for p in m_v.parameters()]


def test_fit_on_arrays_writes_the_values_back_when_stopped() -> None:
    X, y = _moons()
    model = MLP(2, [8, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.warns(RuntimeWarning, match="non-finite"):
        history = fit(
            model, X, y, loss="mse", optimizer=SGD(model, lr=1e200), epochs=3,
            batch_size=20, progress=False, compile=True,
        )  # fmt: skip
    assert history.stop_reason
    after = [p.data for p in model.parameters()]
    assert all(np.isfinite(after)) and after != before  # the first update, then the stop


def test_cross_entropy_errors_name_the_target_and_the_width() -> None:
    X = np.random.default_rng(0).normal(size=(4, 2))
    with pytest.raises(ValueError, match=r"target \d must be a class index in \[0, 3\), got 5"):
        fit(MLP(2, [3]), X, [0, 1, 2, 5], loss="cross_entropy", epochs=1, progress=False,
            compile=True)  # fmt: skip
    for compiled in (False, True):
        with pytest.raises(ValueError, match=r"one output per class .* got 1 per sample for 4"):
            fit(MLP(2, [1]), X, [0, 1, 0, 0], loss="cross_entropy", epochs=1, progress=False,
                compile=compiled, shuffle=False)  # fmt: skip
    value = cross_entropy([Value(0.5), Value(1.5)], 1)  # one sample of two logits still works
    assert value.data == pytest.approx(np.log1p(np.exp(-1.0)))


# -- predict and evaluate: memory bounded by the batch size --------------------------------------


class NotReplayable(MLP):
    """An MLP that says it cannot be replayed: predict takes the Value engine's path."""

    def replay_problem(self, training: bool) -> str | None:
        return "takes a Python decision while the graph is built"


def _peak(run: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_predict_without_replay_keeps_one_batch_of_graph() -> None:
    model = NotReplayable(2, [16, 16, 1], seed=0)
    X = np.random.default_rng(0).normal(size=(1200, 2))
    small, peak_small = _peak(lambda: predict(model, X[:300], batch_size=100))
    large, peak_large = _peak(lambda: predict(model, X, batch_size=100))
    assert peak_large < 1.3 * peak_small  # 4x the samples, not 4x the memory
    expected = [model(row).data for row in X[:5].tolist()]
    np.testing.assert_allclose(large[:5], expected, rtol=1e-12)
    np.testing.assert_array_equal(small, large[:300])
    one_batch, peak_one = _peak(lambda: predict(model, X[:300], batch_size=300))
    assert peak_one > 2 * peak_small  # the graph of a batch is what the peak holds
    np.testing.assert_array_equal(one_batch, small)


def test_predict_by_replay_keeps_one_batch_of_rows() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    X = np.random.default_rng(0).normal(size=(40_000, 2))
    _, peak_small = _peak(lambda: predict(model, X[:10_000], batch_size=1000))
    out, peak_large = _peak(lambda: predict(model, X, batch_size=1000))
    inputs_and_outputs = 30_000 * (2 + 1) * 8 * 3  # X copied, outputs joined
    assert peak_large - peak_small < inputs_and_outputs
    np.testing.assert_allclose(out[-3:], [model(r).data for r in X[-3:].tolist()], rtol=1e-12)


def test_evaluate_keeps_one_batch_of_graph() -> None:
    model = NotReplayable(2, [16, 16, 1], seed=0)
    X = np.random.default_rng(1).normal(size=(1200, 2))
    y = (X[:, 0] > 0).astype(float)
    _, peak_small = _peak(lambda: evaluate(model, X[:300], y[:300], batch_size=100))
    (loss_large, acc), peak_large = _peak(lambda: evaluate(model, X, y, batch_size=100))
    assert peak_large < 1.3 * peak_small
    expected = np.mean([(model(r).data - t) ** 2 for r, t in zip(X.tolist(), y.tolist())])
    assert loss_large == pytest.approx(expected, rel=1e-12) and acc is not None


def test_predict_refuses_a_bad_batch_size() -> None:
    with pytest.raises(ValueError, match=r"predict\(batch_size\) must be a positive int"):
        predict(MLP(2, [1], seed=0), [[0.0, 1.0]], batch_size=0)


def test_a_module_that_cannot_replay_by_its_ops_is_predicted_by_values() -> None:
    from microgradnet import ops

    cube = ops.define_op("cube_for_predict", lambda t: t**3, lambda t: 3 * t**2)
    try:

        class Cubic(Module):
            def __init__(self) -> None:
                self.w = Value(0.5)

            def forward(self, x: Any) -> list[Value]:
                return [cube(self.w * x[0])]

        out = predict(Cubic(), [[1.0], [2.0]], batch_size=1)
        np.testing.assert_allclose(out, [0.125, 1.0])
    finally:
        ops.undefine_op("cube_for_predict")


def test_a_dense_layer_reading_inputs_in_the_middle() -> None:
    """Placeholders (s, x0, x1, t): the layer reads x0, x1, so a row of ones goes between x1
    and t; the numbers are the engine's."""
    model = MLP(2, [4, 1], activation="sigmoid", seed=2)
    params = model.parameters()

    def build(v: list[Value]) -> Value:
        return (model.forward(v[1:3])[0] * v[0] - v[3]) ** 2

    X = np.random.default_rng(6).normal(size=(11, 4))
    expected_out, expected = _engine_grads(build, params, X)
    v = [Value(x) for x in X[0].tolist()]
    tape = Tape(build(v), v, model)
    model.zero_grad()
    np.testing.assert_allclose(tape.forward(X), expected_out, rtol=1e-12)
    tape.backward(np.full(11, 1 / 11))
    np.testing.assert_allclose([p.grad for p in params], expected, rtol=1e-9, atol=1e-15)
