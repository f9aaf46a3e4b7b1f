"""The worked examples of the lecture notes in ../shared/seeds, with their own numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from networks import masha

from microgradnet import Value, dot, explain, gradcheck, vsum


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


@pytest.mark.parametrize(
    ("x", "y", "w"), [(1.5, 2.0, (0.4, -0.7, 1.3)), (-0.8, 0.1, (2.0, 0.5, -1.1))]
)
def test_seed002_mashas_network_against_the_hand_formulas(
    x: float, y: float, w: tuple[float, ...]
) -> None:
    # y_hat = f(f(x·w1)·w2)·w3, f = sigmoid, L = ½(y - y_hat)²
    w1, w2, w3 = Value(w[0], "w1"), Value(w[1], "w2"), Value(w[2], "w3")
    L = 0.5 * (y - ((x * w1).sigmoid() * w2).sigmoid() * w3) ** 2
    L.backward()

    h1 = x * w[0]
    o1 = sigmoid(h1)
    h2 = o1 * w[1]
    o2 = sigmoid(h2)
    y_hat = o2 * w[2]
    assert L.data == pytest.approx(0.5 * (y - y_hat) ** 2)
    # The seed writes dL/dy_hat as (y - y_hat); the derivative of ½(y - y_hat)² is (y_hat - y).
    # The seed's formulas with the sign corrected:
    d = y_hat - y
    assert w3.grad == pytest.approx(d * o2)
    assert w2.grad == pytest.approx(d * w[2] * o2 * (1 - o2) * o1)
    assert w1.grad == pytest.approx(d * w[2] * o2 * (1 - o2) * w[1] * o1 * (1 - o1) * x)
    # ... and the seed's own sign gives exactly the negatives:
    seed_w1 = (y - y_hat) * w[2] * o2 * (1 - o2) * w[1] * o1 * (1 - o1) * x
    assert w1.grad == pytest.approx(-seed_w1)


def test_seed002_backprop_reuses_d_as_the_notes_describe() -> None:
    # d = dL/dy_hat; dL/dw3 = d·o2; d *= dy_hat/do2 · do2/dh2; dL/dw2 = d·o1;
    # d *= dh2/do1 · do1/dh1; dL/dw1 = d·x
    x, y = 1.5, 2.0
    g = masha(x, y, (0.4, -0.7, 1.3))
    w1, w2, w3, h1, o1, h2, o2, y_hat, L = g.values()
    L.backward()
    d = y_hat.data - y
    assert w3.grad == pytest.approx(d * o2.data)
    d *= w3.data * o2.data * (1 - o2.data)
    assert h2.grad == pytest.approx(d) and w2.grad == pytest.approx(d * o1.data)
    d *= w2.data * o1.data * (1 - o1.data)
    assert h1.grad == pytest.approx(d) and w1.grad == pytest.approx(d * x)
    # explain() multiplies the same local derivatives along the one path
    assert explain(L, w1).total == pytest.approx(w1.grad, rel=1e-12)


def test_seed004_l2_term_and_its_gradient() -> None:
    # s = λ/2 (‖W1‖² + ‖W2‖²), ∂s/∂W = λW; J = L + s, so ∂J/∂L = ∂J/∂s = 1
    lam = 0.1
    rng = np.random.default_rng(4)
    W1, W2 = rng.normal(size=(3, 2)), rng.normal(size=(1, 3))
    p1 = [[Value(float(v)) for v in row] for row in W1]
    p2 = [[Value(float(v)) for v in row] for row in W2]
    params = [p for row in p1 + p2 for p in row]
    s = lam / 2 * vsum(p * p for p in params)
    assert s.data == pytest.approx(lam / 2 * ((W1**2).sum() + (W2**2).sum()))
    s.backward()
    assert np.array([[p.grad for p in row] for row in p1]) == pytest.approx(lam * W1)
    assert np.array([[p.grad for p in row] for row in p2]) == pytest.approx(lam * W2)


def test_seed004_one_hidden_layer_without_bias_plus_l2() -> None:
    # z = W1 x, h = φ(z), o = W2 h, L = ½‖o - y‖², J = L + λ/2 (‖W1‖² + ‖W2‖²)
    # ∂J/∂W2 = (∂J/∂o) hᵀ + λW2,  ∂J/∂W1 = (∂J/∂z) xᵀ + λW1,  ∂J/∂z = W2ᵀ ∂J/∂o ⊙ φ'(z)
    lam, rng = 0.05, np.random.default_rng(40)
    x, y = rng.normal(size=3), rng.normal(size=2)
    W1, W2 = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    V1 = [[Value(float(v)) for v in row] for row in W1]
    V2 = [[Value(float(v)) for v in row] for row in W2]
    h = [dot(row, x.tolist()).tanh() for row in V1]
    o = [dot(row, h) for row in V2]
    L = 0.5 * vsum((oi - float(yi)) ** 2 for oi, yi in zip(o, y))
    J = L + lam / 2 * vsum(p * p for row in V1 + V2 for p in row)
    J.backward()

    z = W1 @ x
    hn = np.tanh(z)
    dJ_do = W2 @ hn - y
    dJ_dz = (W2.T @ dJ_do) * (1 - hn**2)
    assert np.array([[p.grad for p in r] for r in V2]) == pytest.approx(
        np.outer(dJ_do, hn) + lam * W2
    )
    assert np.array([[p.grad for p in r] for r in V1]) == pytest.approx(
        np.outer(dJ_dz, x) + lam * W1
    )


def test_seed001_gradient_checking_of_the_verbose_network() -> None:
    # Section 5–6: X = [[0.5, 0.3]], y = 1, a 2-3-1 sigmoid network, loss mean((a2 - y)²);
    # backprop's dL/dW1 = Xᵀ dL/dz1, dL/dW2 = a1ᵀ dL/dz2, checked numerically with ε = 1e-7.
    rng = np.random.default_rng(42)
    X, y = np.array([0.5, 0.3]), 1.0
    W1, W2 = rng.normal(size=(2, 3)) * 0.5, rng.normal(size=(3, 1)) * 0.5
    V1 = [[Value(float(v)) for v in row] for row in W1]
    V2 = [[Value(float(v)) for v in row] for row in W2]
    params = [p for row in V1 + V2 for p in row]

    def loss(*_: Value) -> Value:
        a1 = [dot([V1[k][j] for k in range(2)], X.tolist()).sigmoid() for j in range(3)]
        a2 = dot([V2[j][0] for j in range(3)], a1).sigmoid()
        return (a2 - y) ** 2

    loss().backward()
    z1 = X @ W1
    a1 = 1 / (1 + np.exp(-z1))
    z2 = a1 @ W2
    a2 = 1 / (1 + np.exp(-z2))
    dz2 = 2 * (a2 - y) * a2 * (1 - a2)
    dz1 = (dz2 @ W2.T) * a1 * (1 - a1)
    assert np.array([[p.grad for p in r] for r in V1]) == pytest.approx(np.outer(X, dz1))
    assert np.array([[p.grad for p in r] for r in V2]) == pytest.approx(np.outer(a1, dz2))
    assert gradcheck(loss, params, eps=1e-7, atol=1e-7, rtol=1e-5)
