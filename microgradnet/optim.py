"""Optimizers: SGD (with momentum, Nesterov, weight decay) and Adam, with PyTorch's semantics.

An optimizer holds a list of parameters (leaf Values) and updates their ``data`` from their
``grad`` on ``step()``; ``zero_grad()`` clears the grads before the next backward pass.
``update(data, grad)`` applies the same rule, with the same state, to flat float64 arrays in
place (parameter i at index i, in ``params`` order): the form a Tape with ``arrays=True`` and
``fit(compile=True)`` use, where the parameters live in numpy during training. Each rule is
written twice, as PyTorch writes its optimizers (a loop over scalars and a "foreach" form over
whole tensors): a float loop for ``step()`` and numpy for ``update()``, the same operations in
the same order, so both give the same floats (a test checks them bit for bit). With
g = grad + weight_decay·p (L2 regularization folded into the gradient):

    SGD:   b <- g on the first step, then b <- momentum·b + g
           p <- p - lr·(g + momentum·b)  (nesterov)   or   p <- p - lr·b   (or lr·g if momentum 0)
    Adam:  m <- b1·m + (1 - b1)·g,   v <- b2·v + (1 - b2)·g²,   t <- t + 1
           p <- p - lr · (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

References: PyTorch torch.optim.SGD and torch.optim.Adam (the update rules above, dampening 0);
Kingma & Ba 2015 (Adam); the backpropagation notebook of the lecture notes (momentum, Adam); the
notes on forward propagation and L2 regularization (dJ/dW = ... + lambda·W).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from ._args import real as _real
from .engine import Constant, Value
from .nn import Module

Array = npt.NDArray[np.float64]


class Optimizer:
    """Base class: the parameter list, zero_grad, and the learning rate ``lr``."""

    def __init__(self, params: Module | Iterable[Value], lr: float, where: str) -> None:
        self.lr = _real(lr, f"{where}(lr)", lambda v: 0 <= v < math.inf, "a finite number >= 0")
        self.params = _parameters(params, where)

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter's data from its grad."""
        raise NotImplementedError

    def update(self, data: Array, grad: Array) -> None:
        """The update of step() on arrays, in place: data[i] and grad[i] are the value and the
        gradient of parameter i (in ``params`` order); data is overwritten, grad only read."""
        n = len(self.params)
        for name, a in (("data", data), ("grad", grad)):
            if not isinstance(a, np.ndarray) or a.dtype != np.float64 or a.shape != (n,):
                shape = getattr(a, "shape", None)
                kind = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
                raise TypeError(
                    f"{type(self).__name__}.update({name}) must be a float64 array of shape "
                    f"({n},) (one number per parameter), got {kind} of shape {shape}"
                )
        if not data.flags.writeable:
            raise ValueError(f"{type(self).__name__}.update(data) must be writeable")
        self._update(data, grad)

    def _update(self, data: Array, grad: Array) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay."""

    def __init__(
        self,
        params: Module | Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, "SGD")
        self.momentum = _real(momentum, "SGD(momentum)", lambda v: 0 <= v < math.inf, ">= 0")
        self.weight_decay = _real(
            weight_decay, "SGD(weight_decay)", lambda v: 0 <= v < math.inf, ">= 0"
        )
        if not isinstance(nesterov, bool):
            raise ValueError(f"SGD(nesterov) must be a bool, got {nesterov!r}")
        if nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov momentum needs momentum > 0")
        self.nesterov = nesterov
        self.buffers: Array | None = None  # the momentum buffers b, after the first step

    def step(self) -> None:
        lr, mu, wd, params = self.lr, self.momentum, self.weight_decay, self.params
        if not (mu or wd):
            for p in params:
                p.data -= lr * p.grad
            return
        grads = [p.grad + wd * p.data for p in params] if wd else [p.grad for p in params]
        if mu:
            if self.buffers is None:
                self.buffers = np.array(grads)
            else:
                self.buffers = np.array([mu * b + g for b, g in zip(self.buffers.tolist(), grads)])
            b = self.buffers.tolist()
            grads = [g + mu * bi for g, bi in zip(grads, b)] if self.nesterov else b
        for p, g in zip(params, grads):
            p.data -= lr * g

    def _update(self, data: Array, grad: Array) -> None:
        mu, wd = self.momentum, self.weight_decay
        g = grad + wd * data if wd else grad
        if mu:
            if self.buffers is None:
                self.buffers = g.copy()
            else:
                self.buffers *= mu
                self.buffers += g
            g = g + mu * self.buffers if self.nesterov else self.buffers
        data -= self.lr * g

    def __repr__(self) -> str:
        return (
            f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov}, "
            f"weight_decay={self.weight_decay}, {len(self.params)} parameters)"
        )


class Adam(Optimizer):
    """Adam: per-parameter steps scaled by bias-corrected running moments of the gradient."""

    def __init__(
        self,
        params: Module | Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, "Adam")
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Adam(betas) must be a pair (beta1, beta2), got {betas!r}")
        in_01 = lambda v: 0 <= v < 1  # noqa: E731
        self.betas = (
            _real(betas[0], "Adam(betas[0])", in_01, "in [0, 1)"),
            _real(betas[1], "Adam(betas[1])", in_01, "in [0, 1)"),
        )
        self.eps = _real(eps, "Adam(eps)", lambda v: 0 <= v < math.inf, "a finite number >= 0")
        self.weight_decay = _real(
            weight_decay, "Adam(weight_decay)", lambda v: 0 <= v < math.inf, ">= 0"
        )
        self.t = 0
        self.m = np.zeros(len(self.params))  # the running moments, per parameter
        self.v = np.zeros(len(self.params))

    def step(self) -> None:
        (b1, b2), eps, wd, params = self.betas, self.eps, self.weight_decay, self.params
        self.t += 1
        step_size = self.lr / (1 - b1**self.t)
        v_scale = 1 / (1 - b2**self.t)
        m, v = self.m.tolist(), self.v.tolist()
        for i, p in enumerate(params):
            g = p.grad + wd * p.data if wd else p.grad
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i] * v_scale) + eps)
        self.m[:], self.v[:] = m, v

    def _update(self, data: Array, grad: Array) -> None:
        (b1, b2), wd, m, v = self.betas, self.weight_decay, self.m, self.v
        self.t += 1
        step_size = self.lr / (1 - b1**self.t)
        v_scale = 1 / (1 - b2**self.t)
        g = grad + wd * data if wd else grad
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        data -= step_size * m / (np.sqrt(v * v_scale) + self.eps)

    def __repr__(self) -> str:
        return (
            f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay}, {len(self.params)} parameters)"
        )


def _parameters(params: Module | Iterable[Value], where: str) -> list[Value]:
    """The parameters as a list of distinct leaf Values (a Module gives its parameters())."""
    if isinstance(params, Module):
        items: list[object] = list(params.parameters())
    elif isinstance(params, Value):
        raise TypeError(f"{where}: params must be a list of Values or a Module, not one Value")
    else:
        try:
            items = list(params)
        except TypeError:
            raise TypeError(
                f"{where}: params must be a list of Values or a Module, got {type(params).__name__}"
            ) from None
    if not items:
        raise ValueError(f"{where}: got an empty parameter list")
    out: list[Value] = []
    seen: set[Value] = set()
    for i, p in enumerate(items):
        if not isinstance(p, Value) or isinstance(p, Constant):
            kind = "a Constant" if isinstance(p, Constant) else f"a {type(p).__name__}"
            raise TypeError(f"{where}: parameter {i} is {kind}, not a trainable Value")
        if p.children:
            raise ValueError(
                f"{where}: parameter {i}{f' ({p.label!r})' if p.label else ''} is an interior "
                f"node (op {p.op!r}); only leaf Values can be optimized"
            )
        if p in seen:
            raise ValueError(f"{where}: parameter {i} {p.label!r} appears more than once")
        seen.add(p)
        out.append(p)
    return out
