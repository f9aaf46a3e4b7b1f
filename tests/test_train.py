"""fit, evaluate, predict and the datasets: accuracy on moons and circles, History, stopping."""

from __future__ import annotations

import gc
import math
import os
import re
import signal
from typing import Any

import numpy as np
import pytest

from microgradnet import datasets
from microgradnet.engine import Value
from microgradnet.losses import mse_loss
from microgradnet.nn import MLP, BatchNorm1d, Dropout, Layer, Module, Sequential
from microgradnet.optim import SGD, Adam
from microgradnet.train import (
    History,
    evaluate,
    fit,
    forward_backward,
    gradient_norms,
    layer_name,
    predict,
)


def test_moons_reaches_95_percent() -> None:
    X, y = datasets.make_moons(200, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=Adam(model, lr=0.05),
        epochs=20,
        batch_size=32,
        seed=0,
        progress=False,
    )
    loss, accuracy = evaluate(model, X, y, loss="bce_with_logits")
    assert accuracy is not None and accuracy >= 0.95
    assert loss < history.loss[0] / 5
    assert history.epochs == 20 and history.loss[-1] < history.loss[0] / 5
    assert ((predict(model, X) > 0) == y).mean() == accuracy


def test_circles_reaches_95_percent() -> None:
    X, y = datasets.make_circles(200, noise=0.1, factor=0.5, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    fit(
        model,
        X.tolist(),
        y.tolist(),
        loss="bce_with_logits",
        optimizer=Adam(model, lr=0.05),
        epochs=15,
        batch_size=32,
        seed=0,
        progress=False,
    )
    _, accuracy = evaluate(model, X, y, loss="bce_with_logits")
    assert accuracy is not None and accuracy >= 0.95


def _small_data() -> tuple[np.ndarray, np.ndarray]:
    return datasets.make_moons(40, noise=0.1, seed=1)


def test_history_records_loss_accuracy_and_layer_gradient_norms() -> None:
    X, y = _small_data()
    model = MLP(2, [4, 3, 1], output_activation="sigmoid", seed=0)
    history = fit(model, X, y, loss="bce", optimizer=SGD(model, lr=0.0), epochs=2, progress=False)
    assert list(history.grad_norms) == ["layers.0", "layers.1", "layers.2"]
    # with lr = 0 and the full batch, each epoch sees the same gradients: check them by hand
    model.zero_grad()
    from microgradnet.losses import bce_loss

    bce_loss([model(list(x)) for x in X], y).backward()
    for i, layer in enumerate(model.layers):
        norm = math.sqrt(sum(p.grad**2 for p in layer.parameters()))
        assert history.grad_norms[f"layers.{i}"] == pytest.approx([norm, norm], rel=1e-12)
    assert len(history.loss) == len(history.accuracy) == 2
    assert history.val_loss == [] and not history.interrupted
    assert history.loss[0] == pytest.approx(history.loss[1])
    assert "History(epochs=2" in repr(history)


def test_lists_and_numpy_arrays_give_the_same_training() -> None:
    X, y = _small_data()
    runs = []
    for data in [(X, y), (X.tolist(), y.tolist())]:
        model = MLP(2, [4, 1], seed=3)
        h = fit(
            model,
            *data,
            optimizer=SGD(model, lr=0.1),
            epochs=3,
            batch_size=8,
            seed=5,
            progress=False,
        )
        runs.append((h.loss, model.state_dict()))
    assert runs[0] == runs[1]


def test_mse_on_zero_one_targets_reports_accuracy_and_validation() -> None:
    X, y = _small_data()
    model = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
    h = fit(model, X[:30], y[:30], epochs=3, validation=(X[30:], y[30:]), progress=False)
    assert len(h.accuracy) == len(h.val_loss) == len(h.val_accuracy) == 3
    val_loss, val_acc = evaluate(model, X[30:], y[30:])
    assert h.val_loss[-1] == pytest.approx(val_loss) and h.val_accuracy[-1] == val_acc
    regression = fit(MLP(2, [3, 1], seed=0), X, X[:, 0] * 0.3, epochs=1, progress=False)
    assert regression.accuracy == []


def test_cross_entropy_multiclass_and_custom_loss() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    y = np.repeat([0, 1, 2], 10)
    X = centres[y] + 0.3 * rng.normal(size=(30, 2))
    model = MLP(2, [8, 3], seed=0)
    h = fit(
        model, X, y, loss="cross_entropy", optimizer=Adam(model, lr=0.1), epochs=15, progress=False
    )
    assert h.accuracy[-1] == 1.0
    assert predict(model, X).shape == (30, 3)
    assert (predict(model, X).argmax(axis=1) == y).all()

    calls = []

    def half_mse(pred: Any, target: np.ndarray) -> Value:
        calls.append(len(target))
        return 0.5 * mse_loss(pred, target)

    h = fit(MLP(2, [3, 1], seed=0), X, y, loss=half_mse, epochs=2, batch_size=16, progress=False)
    assert calls == [16, 14, 16, 14] and h.accuracy == []


def test_sequential_with_batchnorm_and_dropout_trains_and_mode_is_restored() -> None:
    X, y = _small_data()
    model = Sequential(
        Layer(2, 8, seed=0), BatchNorm1d(8), Dropout(0.1, seed=0), Layer(8, 1, None, seed=1)
    )
    model.eval()
    h = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=Adam(model, lr=0.05),
        epochs=10,
        batch_size=10,
        seed=0,
        progress=False,
    )
    assert not model.training  # put back in the mode it had
    assert h.loss[-1] < h.loss[0]
    assert model.layers[1].running_mean != [0.0] * 8  # type: ignore[attr-defined]
    assert predict(model, X).shape == (40,)


def test_ctrl_c_returns_the_history_so_far() -> None:
    X, y = _small_data()
    calls = 0

    def interrupting(pred: Any, target: np.ndarray) -> Value:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return mse_loss(pred, target)

    h = fit(MLP(2, [3, 1], seed=0), X, y, loss=interrupting, epochs=10, progress=False)
    assert h.interrupted and h.epochs == 2 and "interrupted after 2 epochs" in h.stop_reason


def test_sigint_stops_after_the_current_batch() -> None:
    X, y = _small_data()
    model = MLP(2, [3, 1], seed=0)
    before = signal.getsignal(signal.SIGINT)
    calls = 0

    def sigint_in_epoch_3(pred: Any, target: np.ndarray) -> Value:
        nonlocal calls
        calls += 1
        if calls == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return mse_loss(pred, target)

    h = fit(model, X, y, loss=sigint_in_epoch_3, epochs=10, progress=False)
    assert h.interrupted and h.epochs == 3  # the full-batch epoch finished, then it stopped
    assert calls == 3
    assert signal.getsignal(signal.SIGINT) is before
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_divergence_stops_before_the_update_with_a_warning() -> None:
    X, y = _small_data()
    model = MLP(2, [8, 1], seed=0)
    with pytest.warns(RuntimeWarning, match="non-finite"):
        h = fit(model, X * 1e3, y * 1e3, optimizer=SGD(model, lr=1e3), epochs=50, progress=False)
    assert "non-finite" in h.stop_reason and h.epochs < 50
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_progress_bar_runs(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = _small_data()
    h = fit(MLP(2, [3, 1], seed=0), X, y, epochs=2, progress=True)
    assert h.epochs == 2
    assert "2/2" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y": [0, 1]}, ValueError, "X has 40 samples, y has shape"),
        ({"loss": "l1"}, ValueError, "unknown loss 'l1'"),
        ({"epochs": 0}, ValueError, r"fit\(epochs\)"),
        ({"batch_size": -1}, ValueError, r"fit\(batch_size\)"),
        ({"X": [[1.0, math.nan]] * 40}, ValueError, "NaN or inf"),
        ({"X": [[1.0, 2.0], [1.0]] * 20}, TypeError, "rectangular"),
        ({"loss": "cross_entropy", "y": np.full(40, 0.5)}, ValueError, "class indices"),
        ({"validation": ([[1.0, 2.0]],)}, ValueError, "pair"),
        ({"optimizer": "adam"}, TypeError, "Optimizer"),
        ({"X": np.zeros((0, 2)), "y": []}, ValueError, r"fit: X has no samples \(shape \(0, 2\)\)"),
        ({"X": [], "y": []}, ValueError, r"fit: X has no samples \(shape \(0,\)\)"),
        ({"X": [["1", "2"]] * 40}, TypeError, r"fit: X must be numbers, got strings"),
        ({"y": ["1"] * 40}, TypeError, r"fit: y must be numbers, got strings"),
        ({"X": np.ones((40, 2)) + 1j}, TypeError, "X must be numbers, got complex numbers"),
        ({"X": [[1, None]] * 40}, TypeError, "X must be numbers, got NoneType: None"),
        ({"X": None}, TypeError, "X must be numbers, got NoneType"),
        ({"X": [[10**400, 1]] * 40}, ValueError, "X has a number too large for a float"),
        ({"loss": "cross_entropy", "y": np.full(40, 1e300)}, ValueError, "class indices"),
        ({"loss": "cross_entropy", "y": np.full(40, -1)}, ValueError, r"whole numbers >= 0"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs: dict[str, Any], error: type, match: str) -> None:
    X, y = _small_data()
    args = {"X": X, "y": y, **kwargs}
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(error, match=match):
        fit(model, args.pop("X"), args.pop("y"), progress=False, **args)
    assert model.state_dict() == before


def test_no_samples_is_said_by_fit_evaluate_and_predict() -> None:
    model = MLP(2, [3, 1], seed=0)
    for X, shape in [(np.zeros((0, 2)), "(0, 2)"), ([], "(0,)")]:
        with pytest.raises(
            ValueError, match=re.escape(f"evaluate: X has no samples (shape {shape})")
        ):
            evaluate(model, X, [])
        with pytest.raises(
            ValueError, match=re.escape(f"predict: X has no samples (shape {shape})")
        ):
            predict(model, X)


def test_bools_and_small_dtypes_train_as_numbers() -> None:
    X, y = _small_data()
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=0)
    fit(a, X > 0, y, epochs=2, seed=0, progress=False)
    fit(b, (X > 0).astype(np.float16), y.astype(bool), epochs=2, seed=0, progress=False)
    assert a.state_dict() == b.state_dict()


def test_forward_backward_fills_grads_and_returns_outputs() -> None:
    model = MLP(2, [3, 2], seed=0)
    xb = [[0.5, 1.0], [1.0, -1.0]]
    yb = np.array([[1.0, 0.0], [0.0, 1.0]])
    loss, out = forward_backward(model, mse_loss, xb, yb)
    assert out.shape == (2, 2)
    assert out.tolist() == [[v.data for v in model.forward(x)] for x in xb]
    assert loss == pytest.approx(((out - yb) ** 2).mean())
    assert any(p.grad != 0 for p in model.parameters())


def test_the_step_relaxes_the_cyclic_collector_and_restores_it() -> None:
    from microgradnet.engine import RELAXED_THRESHOLDS

    seen = []
    before = gc.get_threshold()

    def loss(pred: Any, target: Any) -> Value:
        seen.append((gc.isenabled(), gc.get_threshold()))
        return mse_loss(pred, target)

    model, X, y = MLP(2, [2, 1], seed=0), [[0.0, 1.0], [1.0, 0.0]], [0.0, 1.0]
    fit(model, X, y, loss=loss, epochs=2, progress=False)
    relaxed = tuple(map(max, before, RELAXED_THRESHOLDS))
    assert seen == [(True, relaxed)] * 2  # collecting, less often: cycles are still freed
    assert gc.isenabled() and gc.get_threshold() == before
    gc.disable()
    try:
        forward_backward(model, loss, X, np.array(y))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_gradient_norms_per_layer() -> None:
    model = MLP(2, [3, 1], seed=0)
    model.zero_grad()
    assert gradient_norms(model) == {"layers.0": 0.0, "layers.1": 0.0}
    forward_backward(model, mse_loss, [[0.5, -1.0]], np.array([2.0]))
    norms = gradient_norms(model)
    first = [p.grad for name, p in model.named_parameters() if name.startswith("layers.0.")]
    assert norms["layers.0"] == pytest.approx(math.sqrt(sum(g * g for g in first)))
    assert norms["layers.1"] > 0


def test_gradient_norms_name_layers_by_the_module_structure() -> None:
    """A neuron's parameters count to the module holding the neuron, other parameters to
    their own module, a model's own parameters to "model"."""
    assert list(gradient_norms(MLP(2, [3, 2, 1], seed=0))) == ["layers.0", "layers.1", "layers.2"]
    with_norm = Sequential(Layer(2, 3, seed=0), BatchNorm1d(3), Layer(3, 1, seed=0))
    assert list(gradient_norms(with_norm)) == ["layers.0", "layers.1", "layers.2"]
    assert list(gradient_norms(Layer(2, 2, seed=0))) == ["model"]

    class Net(Module):
        def __init__(self) -> None:
            self.body = MLP(2, [2, 1], seed=0)
            self.head = Layer(1, 1, seed=0)

    assert list(gradient_norms(Net())) == ["body.layers.0", "body.layers.1", "head"]


def test_layer_name_is_deprecated_and_unchanged() -> None:
    with pytest.deprecated_call():
        assert layer_name("layers.0.neurons.3.w.1") == "layers.0"
    with pytest.deprecated_call():
        assert layer_name("layers.2.neurons.0.b") == "layers.2"
    with pytest.deprecated_call():
        assert layer_name("layers.1.gamma.3") == "layers.1"
    with pytest.deprecated_call():
        assert layer_name("neurons.0.w.1") == ""
    with pytest.deprecated_call():
        assert layer_name("body.layers.1.neurons.0.b") == "body.layers.1"


def test_history_defaults() -> None:
    assert History().epochs == 0 and History().grad_norms == {}


# -- datasets ---------------------------------------------------------------------------------


def test_datasets_shapes_and_seeds() -> None:
    X, y = datasets.make_moons(50, noise=0.1, seed=3)
    assert X.shape == (50, 2) and set(y.tolist()) == {0, 1}
    assert np.array_equal(X, datasets.make_moons(50, noise=0.1, seed=3)[0])
    Xc, yc = datasets.make_circles(60, noise=0.05, factor=0.3, seed=0)
    radius = np.hypot(Xc[:, 0], Xc[:, 1])
    assert radius[yc == 1].mean() < radius[yc == 0].mean()
    Xd, yd = datasets.load_digits(n_class=3)
    assert Xd.shape[1] == 64 and Xd.min() >= 0 and Xd.max() == 1.0
    assert set(yd.tolist()) == {0, 1, 2}
    assert datasets.load_digits(scale=False)[0].max() == 16.0
    Xtr, Xte, ytr, yte = datasets.train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    assert len(Xtr) == len(ytr) == 40 and len(Xte) == 10 and yte.sum() == 5


def test_datasets_without_sklearn_say_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def missing(name: str, *args: Any) -> Any:
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(ImportError, match=r'pip install "microgradnet\[notebook\]"'):
        datasets.make_moons(10)
