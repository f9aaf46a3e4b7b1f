"""Plots of training with matplotlib: decision boundaries and the curves of a History.

    decision_boundary(model, X, y)   the model's classes over the plane and the data
    training_curves(history)         loss per epoch and the gradient norm of each layer (§7)

matplotlib is optional (the ``notebook`` extra) and imported only when a plot is drawn.

References: the backpropagation notebook of the lecture notes (its plot_decision_boundary and its
loss / gradient-norm figures).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .nn import Module
from .train import History, predict

INSTALL_NOTEBOOK = 'plotting needs matplotlib: pip install "microgradnet[notebook]"'


def decision_boundary(
    model: Module,
    X: Any,
    y: Any,
    *,
    ax: Any = None,
    resolution: int = 200,
    threshold: float = 0.0,
    title: str = "",
) -> Any:
    """Colour the plane by the model's class and scatter the 2-D data X with labels y.

    A one-output model is read as a score whose class is ``output > threshold`` (0 for logits;
    use 0.5 for probabilities); a model with several outputs by its largest output. The grid
    (resolution × resolution points) goes through train.predict, the batched replay where the
    model allows it: 200 × 200 points take well under a second. Returns the matplotlib Axes.
    """
    plt = _pyplot()
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"decision_boundary: {len(X)} samples in X but {len(y)} labels in y")
    xx, yy, classes = class_grid(model, X, resolution=resolution, threshold=threshold)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(xx, yy, classes, alpha=0.35, cmap="RdBu")
    labels = np.unique(y)
    for i, label in enumerate(labels):
        colour = ("red", "blue")[i] if len(labels) == 2 else plt.cm.tab10(i % 10)
        ax.scatter(
            *X[y == label].T,
            color=colour,
            marker="os^vD*"[i % 6],
            s=25,
            edgecolors="k",
            label=f"class {label}",
        )
    ax.set(xlabel="feature 1", ylabel="feature 2", title=title or "decision boundary")
    ax.legend(loc="best", fontsize="small")
    return ax


def class_grid(
    model: Module, X: Any, *, resolution: int = 200, threshold: float = 0.0, pad: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's class at each point of a resolution × resolution grid over X's box (± pad):
    (xx, yy, classes), each of shape (resolution, resolution)."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary: X must have shape (n, 2), got {X.shape}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"decision_boundary: resolution must be an int >= 2, got {resolution!r}")
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    xx, yy = np.meshgrid(xs, ys)
    out = predict(model, np.c_[xx.ravel(), yy.ravel()])
    classes = out.argmax(axis=1) if out.ndim == 2 else (out > threshold).astype(int)
    return xx, yy, classes.reshape(xx.shape)


def training_curves(history: History, *, axes: Any = None) -> Any:
    """Two panels: loss per epoch (and validation loss), and each layer's gradient norm.

    Both on a log scale, as in the notes' backpropagation notebook; returns the array of two Axes.
    """
    plt = _pyplot()
    if not isinstance(history, History):
        raise TypeError(f"training_curves: expected a History, got {type(history).__name__}")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4))
    epochs = np.arange(1, len(history.loss) + 1)
    axes[0].plot(epochs, history.loss, label="training loss")
    if history.val_loss:
        axes[0].plot(epochs, history.val_loss, label="validation loss")
    axes[0].set(xlabel="epoch", ylabel="loss", title="loss", yscale="log")
    for layer, norms in history.grad_norms.items():
        axes[1].plot(epochs, norms, label=layer)
    axes[1].set(
        xlabel="epoch",
        ylabel="L2 norm of the gradient",
        title="gradient norm per layer",
        yscale="log",
    )
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    plain = FuncFormatter(lambda value, _: f"{value:g}")  # 0.6, not 6×10⁻¹
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # 0.1 0.2 0.5 1 2 5 ...
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs
    axes[0].figure.tight_layout()  # the right panel's label clear of the left one
    return axes


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(INSTALL_NOTEBOOK) from e
    return plt
