# ruff: noqa: F401  (the names under TYPE_CHECKING are re-exported through __all__)
"""microgradnet: a scalar autograd engine to learn, teach and check backpropagation.

    from microgradnet import Value, explain
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.backward()          # x.grad = 42, w.grad = 28, b.grad = 14
    print(explain(L, x))  # dL/dx as the chain rule, path by path

Modules: ops (the op table, define_op), engine (Value, backprop), transforms (grad, jvp, vjp,
hessian, gradcheck), chain_rule (explain), check (check_derivative), nn, losses, optim, train (fit),
replay (the numpy replay), datasets, viz (draw), steps and stepper (step-through), cli.

The names below are loaded on first use (PEP 562), so ``import microgradnet`` stays light:
drawing (Graphviz), training and the checker are imported only when one of their names is read.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_HOMES = {
    "engine": "Constant Value dot gradients linear linear_batch no_gc no_grad relaxed_gc "
    "tangents topological_order vsum",
    "ops": "define_op undefine_op",
    "transforms": "GradcheckError grad gradcheck hessian hvp jacfwd jacobian jacrev jvp "
    "numerical_grad second_derivatives stop_gradient value_and_grad vjp",
    "chain_rule": "ChainPath Explanation Path explain",
    "check": "DerivativeCheck DerivativeCheckError check_derivative",
    "losses": "bce_loss bce_with_logits cross_entropy hinge_loss l2_penalty log_softmax "
    "mse_loss softmax",
    "nn": "MLP BatchNorm1d Dropout Layer LoadResult Module Neuron Sequential",
    "optim": "SGD Adam Optimizer",
    "replay": "Tape",
    "stepper": "Frame Stepper",
    "steps": "BackwardStep ForwardStep Push backward_steps forward_steps",
    "train": "History check_replayable evaluate fit gradient_norms predict",
    "viz": "Drawing GraphvizError GraphvizNotFoundError draw save_pdf save_png save_svg to_svg",
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names.split()}
_MODULES = ("datasets", "math", "ops")

__all__ = sorted([*(n for n in _HOME_OF if n != "Path"), *_MODULES, "__version__"])


def __getattr__(name: str) -> Any:
    """Load a public name (or the datasets and ops modules) from its module on first use."""
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'microgradnet' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    if name != "Path":  # the deprecated alias warns on every use
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # what type checkers and editors see: the same names, imported eagerly
    from . import datasets, math, ops
    from .chain_rule import ChainPath, Explanation, explain
    from .check import DerivativeCheck, DerivativeCheckError, check_derivative
    from .engine import (
        Constant,
        Value,
        dot,
        gradients,
        linear,
        linear_batch,
        no_gc,
        no_grad,
        relaxed_gc,
        tangents,
        topological_order,
        vsum,
    )
    from .losses import (
        bce_loss,
        bce_with_logits,
        cross_entropy,
        hinge_loss,
        l2_penalty,
        log_softmax,
        mse_loss,
        softmax,
    )
    from .nn import MLP, BatchNorm1d, Dropout, Layer, LoadResult, Module, Neuron, Sequential
    from .ops import define_op, undefine_op
    from .optim import SGD, Adam, Optimizer
    from .replay import Tape
    from .stepper import Frame, Stepper
    from .steps import BackwardStep, ForwardStep, Push, backward_steps, forward_steps
    from .train import History, check_replayable, evaluate, fit, gradient_norms, predict
    from .transforms import (
        GradcheckError,
        grad,
        gradcheck,
        hessian,
        hvp,
        jacfwd,
        jacobian,
        jacrev,
        jvp,
        numerical_grad,
        second_derivatives,
        stop_gradient,
        value_and_grad,
        vjp,
    )
    from .viz import (
        Drawing,
        GraphvizError,
        GraphvizNotFoundError,
        draw,
        save_pdf,
        save_png,
        save_svg,
        to_svg,
    )
