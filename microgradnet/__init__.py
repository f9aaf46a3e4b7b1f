"""microgradnet: a scalar autograd engine to learn, teach and check backpropagation.

    from microgradnet import Value, explain
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.backward()          # x.grad = 42, w.grad = 28, b.grad = 14
    print(explain(L, x))  # dL/dx as the chain rule, path by path

Modules: ops (the op table, define_op), engine (Value, backprop, no_gc), autodiff (grad,
gradcheck, explain), nn, losses, optim, train (fit), datasets, viz (draw, SVG, step-through),
replay (numpy replay; compile is its
deprecated alias), cli.
"""

from . import datasets, ops
from .autodiff import (
    ChainPath,
    Explanation,
    GradcheckError,
    Path,  # deprecated alias of ChainPath
    explain,
    grad,
    gradcheck,
    hessian,
    numerical_grad,
    second_derivatives,
    value_and_grad,
)
from .check import DerivativeCheck, DerivativeCheckError, check_derivative
from .engine import (
    Constant,
    Value,
    dot,
    gradients,
    linear,
    linear_batch,
    no_gc,
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

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "BackwardStep",
    "BatchNorm1d",
    "ChainPath",
    "Constant",
    "DerivativeCheck",
    "DerivativeCheckError",
    "Drawing",
    "Dropout",
    "Explanation",
    "ForwardStep",
    "Frame",
    "GradcheckError",
    "GraphvizError",
    "GraphvizNotFoundError",
    "History",
    "Layer",
    "LoadResult",
    "Module",
    "Neuron",
    "Optimizer",
    "Path",
    "Push",
    "Sequential",
    "Stepper",
    "Tape",
    "Value",
    "__version__",
    "backward_steps",
    "bce_loss",
    "bce_with_logits",
    "check_derivative",
    "check_replayable",
    "cross_entropy",
    "datasets",
    "define_op",
    "dot",
    "draw",
    "evaluate",
    "explain",
    "fit",
    "forward_steps",
    "grad",
    "gradcheck",
    "gradient_norms",
    "gradients",
    "hessian",
    "hinge_loss",
    "l2_penalty",
    "linear",
    "linear_batch",
    "log_softmax",
    "mse_loss",
    "no_gc",
    "numerical_grad",
    "ops",
    "predict",
    "save_pdf",
    "save_png",
    "save_svg",
    "second_derivatives",
    "softmax",
    "to_svg",
    "topological_order",
    "undefine_op",
    "value_and_grad",
    "vsum",
]
