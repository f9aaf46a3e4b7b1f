"""Optimizers: SGD (with momentum, Nesterov, weight decay) and Adam, with PyTorch's semantics.

An optimizer holds a list of parameters (leaf Values) and updates their ``data`` from their
``grad`` on ``step()``; ``zero_grad()`` clears the grads before the next backward pass.
With g = grad + weight_decay·p (L2 regularization folded into the gradient):

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

from ._args import real as _real
from .engine import Constant, Value
from .nn import Module


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
        """Update every parameter from its grad."""
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
        self.buffers: list[float] | None = None  # the momentum buffers b, after the first step

    def step(self) -> None:
        lr, mu, wd, params = self.lr, self.momentum, self.weight_decay, self.params
        grads = [p.grad + wd * p.data for p in params] if wd else [p.grad for p in params]
        if mu:
            if self.buffers is None:
                self.buffers = grads
            else:
                self.buffers = [mu * b + g for b, g in zip(self.buffers, grads)]
            if self.nesterov:
                grads = [g + mu * b for g, b in zip(grads, self.buffers)]
            else:
                grads = self.buffers
        for p, g in zip(params, grads):
            p.data -= lr * g

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
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        (b1, b2), eps, wd, params = self.betas, self.eps, self.weight_decay, self.params
        self.t += 1
        step_size = self.lr / (1 - b1**self.t)
        v_scale = 1 / (1 - b2**self.t)
        m, v = self.m, self.v
        for i, p in enumerate(params):
            g = p.grad + wd * p.data if wd else p.grad
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i] * v_scale) + eps)

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
