"""Optimizers against their closed-form update rules over several steps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from microgradnet.engine import Constant, Value
from microgradnet.nn import MLP
from microgradnet.optim import SGD, Adam

GRADS = [[0.5, -2.0], [1.5, 0.25], [-1.0, 3.0], [0.2, -0.7]]  # per step, per parameter


def _run(opt_factory: object, grads: list[list[float]], start: list[float]) -> np.ndarray:
    params = [Value(x) for x in start]
    opt = opt_factory(params)  # type: ignore[operator]
    for g in grads:
        for p, gi in zip(params, g):
            p.grad = gi
        opt.step()
    return np.array([p.data for p in params])


def test_sgd_plain() -> None:
    G, p0 = np.array(GRADS), np.array([1.0, -1.0])
    got = _run(lambda ps: SGD(ps, lr=0.1), GRADS, p0.tolist())
    np.testing.assert_allclose(got, p0 - 0.1 * G.sum(axis=0), rtol=1e-14)


def test_sgd_momentum_closed_form() -> None:
    """b_t = Σ_{s<=t} mu^(t-s) g_s and p_T = p_0 - lr Σ_t b_t."""
    G, p0, lr, mu = np.array(GRADS), np.array([1.0, -1.0]), 0.05, 0.9
    T = len(G)
    b = [sum(mu ** (t - s) * G[s] for s in range(t + 1)) for t in range(T)]
    got = _run(lambda ps: SGD(ps, lr=lr, momentum=mu), GRADS, p0.tolist())
    np.testing.assert_allclose(got, p0 - lr * np.sum(b, axis=0), rtol=1e-13)


def test_sgd_nesterov_closed_form() -> None:
    """Nesterov (PyTorch): p <- p - lr (g_t + mu b_t)."""
    G, p0, lr, mu = np.array(GRADS), np.array([1.0, -1.0]), 0.05, 0.9
    T = len(G)
    b = [sum(mu ** (t - s) * G[s] for s in range(t + 1)) for t in range(T)]
    steps = [G[t] + mu * b[t] for t in range(T)]
    got = _run(lambda ps: SGD(ps, lr=lr, momentum=mu, nesterov=True), GRADS, p0.tolist())
    np.testing.assert_allclose(got, p0 - lr * np.sum(steps, axis=0), rtol=1e-13)


def test_sgd_weight_decay_is_geometric_decay_without_gradient() -> None:
    got = _run(lambda ps: SGD(ps, lr=0.1, weight_decay=0.5), [[0.0, 0.0]] * 5, [2.0, -4.0])
    np.testing.assert_allclose(got, np.array([2.0, -4.0]) * (1 - 0.1 * 0.5) ** 5, rtol=1e-14)


def test_adam_constant_gradient_moves_lr_per_step() -> None:
    """With a constant g the bias-corrected moments are g and g², so each step is
    lr·g/(|g| + eps)."""
    lr, eps, T = 0.01, 1e-8, 6
    got = _run(lambda ps: Adam(ps, lr=lr, eps=eps), [[0.5, -3.0]] * T, [1.0, 1.0])
    expected = np.array([1.0, 1.0]) - T * lr * np.array([0.5, -3.0]) / (np.array([0.5, 3.0]) + eps)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_adam_closed_form_moments() -> None:
    """m_t = (1 - b1) Σ b1^(t-s) g_s, v_t = (1 - b2) Σ b2^(t-s) g_s², and
    p_T = p_0 - lr Σ_t (m_t / (1 - b1^t)) / (sqrt(v_t / (1 - b2^t)) + eps)."""
    G, p0, lr, (b1, b2), eps = np.array(GRADS), np.array([1.0, -1.0]), 0.02, (0.8, 0.95), 1e-6
    total = np.zeros(2)
    for t in range(1, len(G) + 1):
        m = (1 - b1) * sum(b1 ** (t - s) * G[s - 1] for s in range(1, t + 1))
        v = (1 - b2) * sum(b2 ** (t - s) * G[s - 1] ** 2 for s in range(1, t + 1))
        total += (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    got = _run(lambda ps: Adam(ps, lr=lr, betas=(b1, b2), eps=eps), GRADS, p0.tolist())
    np.testing.assert_allclose(got, p0 - lr * total, rtol=1e-12)


def test_adam_weight_decay_adds_to_the_gradient() -> None:
    p = Value(2.0)
    opt = Adam([p], lr=0.1, weight_decay=0.5, eps=0.0)
    p.grad = 0.0
    opt.step()  # g = 0.5·2 = 1: the first step moves by lr·g/|g|
    assert p.data == pytest.approx(1.9, rel=1e-14)


def test_zero_grad_and_module_params() -> None:
    model = MLP(2, [3, 1], seed=0)
    opt = SGD(model, lr=0.1)
    assert opt.params == model.parameters()
    for p in opt.params:
        p.grad = 1.0
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_adam_minimizes_a_quadratic() -> None:
    x, y = Value(3.0), Value(-2.0)
    opt = Adam([x, y], lr=0.1)
    for _ in range(300):
        opt.zero_grad()
        loss = (x - 1) ** 2 + 10 * (y + 0.5) ** 2
        loss.backward()
        opt.step()
    assert x.data == pytest.approx(1.0, abs=1e-3) and y.data == pytest.approx(-0.5, abs=1e-3)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda ps: SGD(ps, lr=-0.1), r"SGD\(lr\)"),
        (lambda ps: SGD(ps, lr=math.nan), r"SGD\(lr\)"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "momentum"),
        (lambda ps: SGD(ps, lr=0.1, nesterov=True), "nesterov momentum needs momentum > 0"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), "weight_decay"),
        (lambda ps: Adam(ps, lr=-1), r"Adam\(lr\)"),
        (lambda ps: Adam(ps, betas=(1.0, 0.9)), r"betas\[0\]"),
        (lambda ps: Adam(ps, betas=(0.9, -0.1)), r"betas\[1\]"),
        (lambda ps: Adam(ps, betas=(0.9,)), "pair"),
        (lambda ps: Adam(ps, eps=-1e-8), "eps"),
        (lambda ps: Adam(ps, weight_decay=math.inf), "weight_decay"),
        (lambda ps: SGD([], lr=0.1), "empty"),
        (lambda ps: SGD([ps[0], ps[0]], lr=0.1), "more than once"),
        (lambda ps: SGD([ps[0] * 2], lr=0.1), "interior node"),
    ],
)
def test_invalid_hyper_parameters_raise(make: object, match: str) -> None:
    params = [Value(1.0), Value(2.0)]
    with pytest.raises(ValueError, match=match):
        make(params)  # type: ignore[operator]


def test_non_parameters_are_type_errors() -> None:
    with pytest.raises(TypeError, match="a Constant"):
        SGD([Constant(1.0)], lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 is a float"):
        SGD([Value(1.0), 2.0], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not one Value"):
        Adam(Value(1.0))  # type: ignore[arg-type]
