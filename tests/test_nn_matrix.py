"""The engine's parameter gradients against the matrix formulas of seeds 000, 003 and 004.

For a batch of m column vectors (A^0 = X, n_0 × m):
    Z^l = W^l A^(l-1) + b^l,   A^l = f(Z^l)
    delta^L = dJ/dZ^L,   delta^l = ((W^(l+1))^T delta^(l+1)) ⊙ f'(Z^l)
    dJ/dW^l = delta^l (A^(l-1))^T,   dJ/db^l = delta^l summed over the batch
and for seed 004, with J = L + lambda/2 (||W1||² + ||W2||²): dJ/dW = delta h^T + lambda W.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from microgradnet.engine import Value, vsum
from microgradnet.losses import cross_entropy, l2_penalty, mse_loss
from microgradnet.nn import MLP

ALPHA = 0.1
Fn = Callable[[np.ndarray], np.ndarray]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# f and f' as functions of z (seed 000, section 2)
ACTIVATIONS: dict[str, tuple[Fn, Fn]] = {
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (
        lambda z: np.where(z > 0, z, ALPHA * z),
        lambda z: np.where(z > 0, 1.0, ALPHA),
    ),
    "linear": (lambda z: z, np.ones_like),
}


def _fixed_mlp(nin: int, nouts: list[int], act: str, out_act: str | None, bias: bool) -> MLP:
    """An MLP whose parameters are fixed numbers (set through load_state_dict)."""
    model = MLP(nin, nouts, act, out_act, bias, alpha=ALPHA, seed=0)
    rng = np.random.default_rng(42)
    state = {name: float(v) for name, v in zip(model.state_dict(), rng.normal(0, 0.8, 10**4))}
    model.load_state_dict(state)
    return model


def _matrices(model: MLP, attr: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per layer, from data or grad: W[j, k] is weight k of neuron j."""
    out = []
    for layer in model.layers:
        W = np.array([[getattr(w, attr) for w in n.w] for n in layer.neurons])
        b = np.array([getattr(n.b, attr) if n.b is not None else 0.0 for n in layer.neurons])
        out.append((W, b))
    return out


def _numpy_backprop(
    params: list[tuple[np.ndarray, np.ndarray]],
    acts: list[str],
    X: np.ndarray,
    delta_out: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seed 000's forward pass and delta recursion; delta_out(A^L, Z^L) gives delta^L."""
    A, Zs, As = X, [], [X]
    for (W, b), act in zip(params, acts):
        Z = W @ A + b[:, None]
        A = ACTIVATIONS[act][0](Z)
        Zs.append(Z)
        As.append(A)
    delta = delta_out(A, Zs[-1])
    grads: list[tuple[np.ndarray, np.ndarray]] = []
    for layer in reversed(range(len(params))):
        grads.insert(0, (delta @ As[layer].T, delta.sum(axis=1)))
        if layer:
            f_prime = ACTIVATIONS[acts[layer - 1]][1]
            delta = (params[layer][0].T @ delta) * f_prime(Zs[layer - 1])
    return grads


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("out_act", [None, "same"])
def test_three_layer_gradients_match_delta_recursion(act: str, out_act: str | None) -> None:
    """J = (1/m) Σ_samples Σ_j ½ (a_j - y_j)² (seed 000); with out_act="same" every layer
    uses f, as seed 003 writes it, so delta^L = (A - Y)/m ⊙ f'(Z^L)."""
    m, nin, nouts = 5, 3, [4, 3, 2]
    out_name = "linear" if out_act is None else act
    model = _fixed_mlp(nin, nouts, act, None if out_act is None else act, bias=True)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(m, nin)), rng.normal(size=(m, nouts[-1]))

    preds = [model(list(x)) for x in X]
    J = 0.5 * mse_loss(preds, Y, reduction="sum") / m
    J.backward()

    f_prime = ACTIVATIONS[out_name][1]
    expected = _numpy_backprop(
        _matrices(model, "data"),
        [act, act, out_name],
        X.T,
        lambda A, Z: (A - Y.T) / m * f_prime(Z),
    )
    for (dW, db), (gW, gb) in zip(expected, _matrices(model, "grad")):
        np.testing.assert_allclose(gW, dW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(gb, db, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_seed_004_no_bias_with_l2(act: str) -> None:
    """One hidden layer without bias, softmax cross-entropy and lambda/2 ||W||²:
    dJ/dW2 = delta_o h^T + lambda W2,  dJ/dW1 = ((W2^T delta_o) ⊙ f'(z)) x^T + lambda W1."""
    m, d, h, q, lam = 4, 3, 5, 3, 0.3
    model = _fixed_mlp(d, [h, q], act, None, bias=False)
    rng = np.random.default_rng(2)
    X, classes = rng.normal(size=(m, d)), np.array([0, 2, 1, 2])

    logits = [model.forward(list(x)) for x in X]
    J = cross_entropy(logits, classes) + l2_penalty(model, lam)
    J.backward()

    params = _matrices(model, "data")
    onehot = np.eye(q)[classes].T

    def delta_o(logits: np.ndarray, Z: np.ndarray) -> np.ndarray:
        e = np.exp(logits - logits.max(axis=0))
        P = e / e.sum(axis=0)
        return (P - onehot) / m  # seed 000: CE + softmax gives (a - y)/m

    expected = _numpy_backprop(params, [act, "linear"], X.T, delta_o)
    for (dW, _), (W, _), (gW, gb) in zip(expected, params, _matrices(model, "grad")):
        np.testing.assert_allclose(gW, dW + lam * W, rtol=1e-9, atol=1e-12)
        assert not gb.any()


def _output_pre_activations(preds: list[Value]) -> list[Value]:
    return [p if p.op == "dot" else p.children[0] for p in preds]


def test_delta_L_mse_with_linear_output() -> None:
    """J = ½·mse_loss (seed 000's ½·mean) with a linear output: delta^L = (a - y)/m."""
    m = 6
    model = _fixed_mlp(2, [3, 1], "tanh", None, bias=True)
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(m, 2)), rng.normal(size=m)
    preds = [model(list(x)) for x in X]
    (0.5 * mse_loss(preds, y)).backward()
    a = np.array([p.data for p in preds])
    z_grads = [z.grad for z in _output_pre_activations(preds)]
    np.testing.assert_allclose(z_grads, (a - y) / m, rtol=1e-12)
    # PyTorch's convention, mse_loss itself, doubles it
    model.zero_grad()
    preds = [model(list(x)) for x in X]
    mse_loss(preds, y).backward()
    np.testing.assert_allclose([p.grad for p in preds], 2 * (a - y) / m, rtol=1e-12)


def test_delta_L_bce_with_sigmoid_output() -> None:
    from microgradnet.losses import bce_loss, bce_with_logits

    m = 6
    model = _fixed_mlp(2, [3, 1], "relu", "sigmoid", bias=True)
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(m, 2)), np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.3])
    preds = [model(list(x)) for x in X]
    bce_loss(preds, y).backward()
    a = np.array([p.data for p in preds])
    zs = _output_pre_activations(preds)
    np.testing.assert_allclose([z.grad for z in zs], (a - y) / m, rtol=1e-10)
    # the same delta from the logits directly
    logits = [Value(z.data) for z in zs]
    bce_with_logits(logits, y).backward()
    np.testing.assert_allclose([z.grad for z in logits], (a - y) / m, rtol=1e-10)


def test_delta_L_cross_entropy_with_softmax() -> None:
    m, k = 5, 4
    model = _fixed_mlp(3, [4, k], "sigmoid", None, bias=True)
    rng = np.random.default_rng(5)
    X, classes = rng.normal(size=(m, 3)), np.array([0, 3, 1, 1, 2])
    logits = [model.forward(list(x)) for x in X]
    cross_entropy(logits, classes).backward()
    Z = np.array([[z.data for z in row] for row in logits])
    A = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    Y = np.eye(k)[classes]
    np.testing.assert_allclose([[z.grad for z in row] for row in logits], (A - Y) / m, rtol=1e-10)


def test_sum_of_losses_builds_one_sum_node() -> None:
    preds = [Value(0.5), Value(1.5)]
    loss = mse_loss(preds, [0.0, 1.0])
    assert loss.op == "/" and loss.children[0].op == "sum"
    assert loss.data == pytest.approx(((0.5) ** 2 + 0.5**2) / 2)
    assert vsum(preds).data == 2.0
