"""Losses: values against numpy, gradients, stability, reductions and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnet.engine import Value, gradients
from microgradnet.losses import (
    BCE_EPS,
    bce_loss,
    bce_with_logits,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
)
from microgradnet.nn import MLP
from microgradnet.transforms import gradcheck


def _values(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


def test_mse_values_reductions_and_shapes() -> None:
    p, y = [0.5, -1.0, 2.0], [1.0, 1.0, 1.0]
    assert mse_loss(_values(p), y).data == pytest.approx(np.mean((np.array(p) - 1) ** 2))
    assert mse_loss(_values(p), y, reduction="sum").data == pytest.approx(0.25 + 4 + 1)
    batch = [_values([1.0, 2.0]), _values([0.0, -1.0])]
    target = np.array([[0.0, 2.0], [1.0, 1.0]])
    assert mse_loss(batch, target).data == pytest.approx((1 + 0 + 1 + 4) / 4)
    # (n,) predictions against an (n, 1) column of targets, and a single Value
    assert mse_loss(_values(p), np.ones((3, 1))).data == pytest.approx(mse_loss(_values(p), y).data)
    assert mse_loss(Value(3.0), 1.0).data == 4.0
    with pytest.raises(ValueError, match=r"shape \(3,\) and targets of shape \(2,\)"):
        mse_loss(_values(p), [1.0, 2.0])
    with pytest.raises(ValueError, match="reduction"):
        mse_loss(_values(p), y, reduction="avg")
    with pytest.raises(TypeError, match="predictions must be Values"):
        mse_loss([[1.0, 2.0]], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="targets must be finite"):
        mse_loss(_values(p), [1.0, math.nan, 1.0])


def test_mse_gradient_is_pytorch_convention() -> None:
    p = _values([0.5, -1.0])
    grads = gradients(mse_loss(p, [1.0, 1.0]), p)
    assert grads == pytest.approx([2 * (0.5 - 1) / 2, 2 * (-1 - 1) / 2])


def test_bce_values_and_gradients() -> None:
    p, y = np.array([0.9, 0.2, 0.6, 0.5]), np.array([1.0, 0.0, 0.3, 1.0])
    ps = _values(p.tolist())
    loss = bce_loss(ps, y)
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert loss.data == pytest.approx(expected, rel=1e-12)
    assert gradients(loss, ps) == pytest.approx(((p - y) / (p * (1 - p)) / len(p)).tolist())
    assert bce_loss(ps, y, reduction="sum").data == pytest.approx(expected * 4)


def test_bce_clamps_and_keeps_the_gradient() -> None:
    p = Value(1.0)
    loss = bce_loss([p], [0.0])
    assert loss.data == pytest.approx(-math.log(BCE_EPS))
    (g,) = gradients(loss, [p])
    assert g == pytest.approx(1 / BCE_EPS)  # d/dp -log(1 - q) with q = 1 - eps
    assert bce_loss([Value(0.0)], [1.0], eps=1e-3).data == pytest.approx(-math.log(1e-3))
    with pytest.raises(ValueError, match="probabilities in"):
        bce_loss([Value(1.5)], [1.0])
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]"):
        bce_loss([Value(0.5)], [2.0])
    with pytest.raises(ValueError, match="eps"):
        bce_loss([Value(0.5)], [1.0], eps=0.0)


def test_bce_with_logits_matches_bce_of_sigmoid_and_is_stable() -> None:
    z, y = [-3.0, -0.5, 0.0, 0.7, 4.0], [0.0, 1.0, 0.25, 1.0, 0.0]
    zs = _values(z)
    probs = [Value(1 / (1 + math.exp(-v))) for v in z]
    assert bce_with_logits(zs, y).data == pytest.approx(bce_loss(probs, y).data, rel=1e-12)
    sig = 1 / (1 + np.exp(-np.array(z)))
    assert gradients(bce_with_logits(zs, y), zs) == pytest.approx(((sig - y) / 5).tolist())
    big = _values([1000.0, -1000.0, 1000.0, -1000.0])
    loss = bce_with_logits(big, [0.0, 1.0, 1.0, 0.0], reduction="sum")
    assert loss.data == pytest.approx(2000.0)
    assert gradients(loss, big) == pytest.approx([1.0, -1.0, 0.0, 0.0])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-30, 30), min_size=1, max_size=5),
    st.floats(0, 1),
)
def test_bce_with_logits_gradcheck(z: list[float], y: float) -> None:
    assert gradcheck(lambda *zs: bce_with_logits(list(zs), [y] * len(zs)), z, atol=1e-6)


def test_softmax_and_log_softmax() -> None:
    z = [1.0, 2.0, -0.5]
    s = [v.data for v in softmax(_values(z))]
    e = np.exp(z)
    assert s == pytest.approx((e / e.sum()).tolist())
    assert sum(s) == pytest.approx(1.0)
    assert [v.data for v in log_softmax(_values(z))] == pytest.approx(np.log(e / e.sum()).tolist())
    big = [v.data for v in softmax(_values([1000.0, -1000.0, 1000.0]))]
    assert big == pytest.approx([0.5, 0.0, 0.5])
    with pytest.raises(TypeError, match="non-empty list of Values"):
        softmax([])


def test_cross_entropy_values_gradients_and_stability() -> None:
    z = [1.0, 2.0, -0.5]
    zs = _values(z)
    loss = cross_entropy(zs, 1)
    p = np.exp(z) / np.exp(z).sum()
    assert loss.data == pytest.approx(-math.log(p[1]), rel=1e-12)
    assert gradients(loss, zs) == pytest.approx((p - np.eye(3)[1]).tolist())
    extreme = _values([1000.0, -1000.0, 0.0])
    assert cross_entropy(extreme, 0).data == pytest.approx(0.0, abs=1e-12)
    assert cross_entropy(extreme, 1).data == pytest.approx(2000.0)
    assert gradients(cross_entropy(extreme, 1), extreme) == pytest.approx([1.0, -1.0, 0.0])


def test_cross_entropy_batch_mean_and_sum() -> None:
    rows = [[0.2, 0.1, -1.0], [3.0, 0.0, 0.5]]
    batch = [_values(r) for r in rows]
    each = [cross_entropy(_values(r), t).data for r, t in zip(rows, [2, 0])]
    assert cross_entropy(batch, [2, 0]).data == pytest.approx(sum(each) / 2)
    assert cross_entropy(batch, np.array([2.0, 0.0]), reduction="sum").data == pytest.approx(
        sum(each)
    )
    with pytest.raises(ValueError, match=r"class index in \[0, 3\), got 3"):
        cross_entropy(batch, [3, 0])
    with pytest.raises(ValueError, match="one class index per sample"):
        cross_entropy(batch, [1])
    with pytest.raises(ValueError, match=r"got 0\.5"):
        cross_entropy(batch[0], 0.5)
    with pytest.raises(ValueError, match="one width"):
        cross_entropy([_values([1.0, 2.0]), _values([1.0])], [0, 0])


def test_hinge_loss() -> None:
    s, y = [2.0, 0.3, -0.5, -2.0], [1.0, 1.0, 1.0, -1.0]
    ss = _values(s)
    loss = hinge_loss(ss, y)
    assert loss.data == pytest.approx((0 + 0.7 + 1.5 + 0) / 4)
    assert gradients(loss, ss) == pytest.approx([0.0, -0.25, -0.25, 0.0])
    with pytest.raises(ValueError, match="labels must be -1 or"):
        hinge_loss(ss, [1.0, 0.0, 1.0, 1.0])


def test_l2_penalty_is_half_lambda_sum_of_squares() -> None:
    model = MLP(2, [3, 1], seed=0)
    params = model.parameters()
    penalty = l2_penalty(model, 0.1)
    assert penalty.data == pytest.approx(0.05 * sum(p.data**2 for p in params))
    assert gradients(penalty, params) == pytest.approx([0.1 * p.data for p in params])
    assert l2_penalty(params[:2], 2.0).data == pytest.approx(
        params[0].data ** 2 + params[1].data ** 2
    )
    with pytest.raises(ValueError, match="lam"):
        l2_penalty(model, -1.0)
    with pytest.raises(ValueError, match="no parameters"):
        l2_penalty([], 1.0)
    with pytest.raises(TypeError, match="item 0 is a float"):
        l2_penalty([1.0], 1.0)  # type: ignore[list-item]
