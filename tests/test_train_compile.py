"""fit(compile=True): the same training as the Value path, faster; refusals name the module."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from microgradnet import datasets
from microgradnet.engine import Value
from microgradnet.losses import bce_with_logits, mse_loss
from microgradnet.nn import MLP, BatchNorm1d, Dropout, Layer, Module, Sequential
from microgradnet.optim import SGD, Adam
from microgradnet.train import History, evaluate, fit


def _data(loss: str, n: int = 24) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    if loss == "cross_entropy":
        return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5), 3
    if loss == "hinge":
        return X, np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0), 1
    if loss == "mse":
        return X, np.column_stack([X[:, 0] ** 2, X[:, 1] - X[:, 0]]), 2
    return X, (X[:, 0] ** 2 + X[:, 1] ** 2 < 1).astype(float), 1


def _custom(pred: Any, target: np.ndarray) -> Value:
    return mse_loss(pred, target) + 0.1 * bce_with_logits(pred, target)


def _train(loss: Any, compile: bool, **kwargs: Any) -> tuple[History, list[float]]:
    name = "bce" if loss is _custom else loss
    X, y, width = _data(name)
    output = "sigmoid" if loss == "bce" else None
    model = MLP(2, [5, width], activation="tanh", output_activation=output, seed=1)
    history = fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=SGD(model, lr=0.2, momentum=0.5, weight_decay=0.01),
        epochs=3,
        batch_size=8,
        seed=0,
        progress=False,
        compile=compile,
        **kwargs,
    )
    return history, [p.data for p in model.parameters()]


@pytest.mark.parametrize(
    "loss", ["mse", "bce", "bce_with_logits", "cross_entropy", "hinge", _custom]
)
def test_compiled_fit_equals_the_value_path(loss: Any) -> None:
    plain, params = _train(loss, compile=False)
    compiled, compiled_params = _train(loss, compile=True)
    np.testing.assert_allclose(compiled.loss, plain.loss, rtol=1e-9)
    assert compiled.accuracy == plain.accuracy
    for layer, norms in plain.grad_norms.items():
        np.testing.assert_allclose(compiled.grad_norms[layer], norms, rtol=1e-9)
    np.testing.assert_allclose(compiled_params, params, rtol=1e-9, atol=1e-12)


def test_compiled_fit_with_validation_and_eval_mode_restored() -> None:
    X, y, _ = _data("bce_with_logits", 40)
    model = MLP(2, [8, 1], seed=0)
    model.eval()
    history = fit(
        model,
        X[:30],
        y[:30],
        loss="bce_with_logits",
        epochs=2,
        validation=(X[30:], y[30:]),
        progress=False,
        compile=True,
    )
    assert len(history.val_loss) == 2 and len(history.val_accuracy) == 2
    assert model.training is False


def test_moons_and_digits_train_with_compile() -> None:
    X, y = datasets.make_moons(300, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=Adam(model, lr=0.02),
        epochs=40,
        batch_size=32,
        seed=0,
        progress=False,
        compile=True,
    )
    _, accuracy = evaluate(model, X, y, loss="bce_with_logits")
    assert accuracy is not None and accuracy >= 0.97

    X, y = datasets.load_digits()
    X, y = X[:600], y[:600]
    model = MLP(64, [16, 10], seed=0)
    history = fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=Adam(model, lr=0.01),
        epochs=8,
        batch_size=32,
        seed=0,
        progress=False,
        compile=True,
    )
    assert history.accuracy[-1] >= 0.9 and history.loss[-1] < history.loss[0] / 4


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (
            Sequential(Layer(2, 4, seed=0), BatchNorm1d(4), Layer(4, 1, activation=None, seed=1)),
            r"BatchNorm1d 'layers.1' normalizes with batch statistics",
        ),
        (
            Sequential(Layer(2, 4, seed=0), Dropout(0.3, seed=0), Layer(4, 1, seed=1)),
            r"Dropout 'layers.1' draws a dropout mask",
        ),
    ],
)
def test_compile_refuses_sample_dependent_graphs_and_changes_nothing(
    model: Module, match: str
) -> None:
    X, y, _ = _data("mse")
    model.eval()
    before = model.state_dict()
    with pytest.raises(ValueError, match=match):
        fit(model, X, y[:, 0], epochs=1, progress=False, compile=True)
    assert model.state_dict() == before and model.training is False
    fit(model, X, y[:, 0], epochs=1, progress=False)  # the Value path trains it


def test_dropout_zero_is_replayable() -> None:
    X, y, _ = _data("mse")
    model = Sequential(Layer(2, 4, seed=0), Dropout(0.0), Layer(4, 1, activation=None, seed=1))
    history = fit(model, X, y[:, 0], epochs=2, progress=False, compile=True)
    assert history.epochs == 2 and history.loss[1] < history.loss[0]


def test_compile_must_be_a_bool() -> None:
    X, y, _ = _data("mse")
    with pytest.raises(TypeError, match=r"fit\(compile\) must be a bool, got str"):
        fit(MLP(2, [1], seed=0), X, y[:, 0], progress=False, compile="yes")  # type: ignore[arg-type]


def test_a_loss_of_the_users_that_reads_the_parameters_trains_the_same_compiled() -> None:
    """An L2 penalty inside the loss function reads the weights' Values and puts its gradient
    into their .grad: the compiled path keeps them up to date (no arrays for such a loss)."""
    from microgradnet import Adam, l2_penalty
    from microgradnet.losses import bce_with_logits

    X = np.random.default_rng(0).uniform(-1, 1, (30, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)

    def run(compile: bool) -> list[float]:
        net = MLP(2, [8, 1], seed=0)
        weights = [p for name, p in net.named_parameters() if ".w." in name]

        def loss(logits: Any, targets: Any) -> Any:
            return bce_with_logits(logits, targets) + l2_penalty(weights, 0.05)

        opt = Adam(net, lr=0.05)
        h = fit(
            net, X, y, loss=loss, optimizer=opt, epochs=4, seed=0, progress=False, compile=compile
        )
        return h.loss

    assert run(True) == pytest.approx(run(False), rel=1e-12)
