"""Plots: the class grid behind a decision boundary, and the figures drawn from a History."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import re

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from microgradnet import MLP, History, Layer
from microgradnet.plot import class_grid, decision_boundary, training_curves
from microgradnet.train import predict


def sign_of_first_feature() -> Layer:
    layer = Layer(2, 1, activation=None)
    (neuron,) = layer.neurons
    neuron.w[0].data, neuron.w[1].data = 1.0, 0.0
    assert neuron.b is not None
    neuron.b.data = -0.25
    return layer


def test_class_grid_follows_the_model() -> None:
    X = np.array([[-1.0, -1.0], [1.0, 1.0]])
    xx, yy, classes = class_grid(sign_of_first_feature(), X, resolution=5, pad=0.0)
    assert xx.shape == yy.shape == classes.shape == (5, 5)
    assert xx[0].tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert (classes == (xx > 0.25)).all()  # class 1 where x1 - 0.25 > 0


def test_class_grid_with_several_outputs_takes_the_argmax() -> None:
    model = MLP(2, [3], seed=0)
    X = np.array([[-2.0, -2.0], [2.0, 2.0]])
    xx, yy, classes = class_grid(model, X, resolution=4)
    layer = model.layers[0]
    W = np.array([[w.data for w in n.w] for n in layer.neurons])
    b = np.array([n.b.data for n in layer.neurons if n.b is not None])
    expected = (np.c_[xx.ravel(), yy.ravel()] @ W.T + b).argmax(axis=1).reshape(4, 4)
    assert (classes == expected).all()


def test_decision_boundary_draws_every_class() -> None:
    X = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 1.0], [2.0, 2.0]])
    y = np.array([0, 1, 1, 0])
    ax = decision_boundary(sign_of_first_feature(), X, y, ax=Figure().subplots(), title="t")
    assert ax.get_title() == "t"
    sizes = sorted(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets"))
    assert sizes[-2:] == [2, 2]  # two scatters of two points each
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]


def test_decision_boundary_errors() -> None:
    model = sign_of_first_feature()
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\), got \(2, 3\)"):
        decision_boundary(model, np.zeros((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="2 samples in X but 3 labels in y"):
        decision_boundary(model, np.zeros((2, 2)), [0, 1, 1])
    with pytest.raises(ValueError, match="resolution must be an int >= 2, got 1"):
        class_grid(model, np.zeros((2, 2)), resolution=1)


def test_training_curves_plot_loss_and_each_layer() -> None:
    history = History(
        loss=[1.0, 0.5, 0.25],
        val_loss=[1.1, 0.6, 0.4],
        grad_norms={"layers.0": [0.1, 0.2, 0.3], "layers.1": [1.0, 0.9, 0.8]},
    )
    left, right = training_curves(history, axes=Figure().subplots(1, 2))
    assert [line.get_ydata().tolist() for line in left.get_lines()] == [
        history.loss,
        history.val_loss,
    ]
    assert [line.get_label() for line in right.get_lines()] == ["layers.0", "layers.1"]
    assert right.get_lines()[1].get_ydata().tolist() == [1.0, 0.9, 0.8]
    assert left.get_yscale() == right.get_yscale() == "log"
    with pytest.raises(TypeError, match="expected a History, got dict"):
        training_curves({})  # type: ignore[arg-type]


def test_training_curves_have_plain_ticks_and_panels_clear_of_each_other() -> None:
    history = History(loss=[0.9, 0.7, 0.6], grad_norms={"layers.0": [0.3, 0.2, 0.15]})
    figure = Figure(figsize=(11, 4))
    FigureCanvasAgg(figure)
    left, right = training_curves(history, axes=figure.subplots(1, 2))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    for ax in (left, right):
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert ticks and all(re.fullmatch(r"[0-9.]+", t) for t in ticks), ticks
        assert not [t for t in ax.get_yticklabels(minor=True) if t.get_text()]
    left_box = left.get_tightbbox(renderer)
    right_box = right.get_tightbbox(renderer)
    assert left_box is not None and right_box is not None
    assert left_box.x1 <= right_box.x0  # the right panel's label does not touch the left one


def test_predict_replays_the_model_with_the_engines_numbers() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    X = np.random.default_rng(1).normal(size=(300, 2))
    by_value = np.array([model(row.tolist()).data for row in X])
    np.testing.assert_allclose(predict(model, X), by_value, rtol=1e-12, atol=1e-12)
    xx, yy, classes = class_grid(model, X)  # 200 × 200 by default, through the replay
    assert xx.shape == classes.shape == (200, 200)
    grid = np.c_[xx.ravel(), yy.ravel()][::997]
    expected = np.array([model(row.tolist()).data > 0 for row in grid]).astype(int)
    assert classes.ravel()[::997].tolist() == expected.tolist()
