"""microgradnet: a scalar autograd engine to learn, teach and check backpropagation.

from microgradnet import Value
x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
L = (x * w + b) ** 2
L.backward()          # x.grad = 42, w.grad = 28, b.grad = 14
"""

from .autodiff import (
    Explanation,
    GradcheckError,
    Path,
    explain,
    grad,
    gradcheck,
    hessian,
    numerical_grad,
    value_and_grad,
)
from .engine import Constant, Value, dot, gradients, linear, topological_order, vsum

__version__ = "0.1.0"

__all__ = [
    "Constant",
    "Explanation",
    "GradcheckError",
    "Path",
    "Value",
    "__version__",
    "dot",
    "explain",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "linear",
    "numerical_grad",
    "topological_order",
    "value_and_grad",
    "vsum",
]
