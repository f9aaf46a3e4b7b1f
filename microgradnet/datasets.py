"""Toy datasets of the lecture notes, as thin wrappers over scikit-learn (an optional dependency).

make_moons and make_circles (the classifiers of the notes' backpropagation notebook) and
load_digits (the offline 8×8 digits, for its "try it on MNIST") return (X, y) numpy arrays:
X float samples × features, y integer labels. ``seed`` is scikit-learn's random_state.
train_test_split splits them reproducibly.
Nothing is downloaded: all of these ship with scikit-learn.

References: scikit-learn's sklearn.datasets and sklearn.model_selection.train_test_split.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np

_INSTALL = 'pip install "microgradnet[notebook]"'


def make_moons(
    n_samples: int = 100, *, noise: float | None = None, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X (n_samples, 2), y in {0, 1}."""
    X, y = _sklearn("datasets").make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return X, y


def make_circles(
    n_samples: int = 100,
    *,
    noise: float | None = None,
    factor: float = 0.5,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one (radius ratio factor): X (n_samples, 2), y in {0, 1}."""
    X, y = _sklearn("datasets").make_circles(
        n_samples=n_samples, noise=noise, factor=factor, random_state=seed
    )
    return X, y


def load_digits(*, n_class: int = 10, scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten 8×8 digits: X (n, 64) pixel values, divided by 16 into [0, 1]
    when scale is True (they range over 0..16), y the digit 0..n_class-1."""
    X, y = _sklearn("datasets").load_digits(n_class=n_class, return_X_y=True)
    return (X / 16.0 if scale else X.astype(float)), y


def train_test_split(
    X: Any, y: Any, *, test_size: float = 0.25, seed: int | None = None, stratify: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test), shuffled with seed; stratify keeps class ratios."""
    X, y = np.asarray(X), np.asarray(y)
    parts = _sklearn("model_selection").train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y if stratify else None
    )
    X_train, X_test, y_train, y_test = parts
    return X_train, X_test, y_train, y_test


def _sklearn(submodule: str) -> ModuleType:
    """Import sklearn.<submodule> on first use, with an error that says how to install it."""
    try:
        return importlib.import_module(f"sklearn.{submodule}")
    except ImportError:
        raise ImportError(
            f"microgradnet.datasets needs scikit-learn: {_INSTALL} (or pip install scikit-learn)"
        ) from None
