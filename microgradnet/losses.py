"""Loss functions as Value graphs: MSE, binary and softmax cross-entropy, hinge, L2 penalty.

Each loss is defined once, for Values, with its numpy form beside it (``_mse_numpy``, ...;
``NUMPY_LOSSES`` and ``numpy_loss``), which the batched replay of ``fit(compile=True)`` uses.

Every loss takes the model's outputs (a Value, a list of Values, or a batch: a list of lists of
Values) and targets (numbers, lists or numpy arrays of the same shape; a (n,) target matches
(n, 1) outputs) and returns one Value to call ``backward()`` on. ``reduction="mean"`` averages
over the elements (over the samples for cross_entropy), ``"sum"`` adds them up.

Conventions
- mse_loss is PyTorch's mean((a - y)^2), so dJ/da = 2(a - y)/m. The notes' detailed derivation
  of the layer formulas (and the backpropagation notebook's summary) write
  J = ½·mean((a - y)^2), whose output error is delta^L = (a - y)/m: that is
  ``0.5 * mse_loss(a, y)``.
- With the mean reduction, each pair of that derivation gives delta^L = dJ/dz^L = (a - y)/m:
  0.5 * mse_loss with a linear output, bce_loss after a sigmoid (or bce_with_logits on z), and
  cross_entropy on the logits z (a = softmax(z), y one-hot).
- bce_loss clamps probabilities into [eps, 1 - eps] before the logarithms (eps = 1e-7): the
  clamp shifts the value by a constant, so the gradient still flows and a saturated output can
  recover. bce_with_logits and cross_entropy are exact and stable for any logit (log-sum-exp
  with the maximum subtracted, softplus written to never overflow).

References: PyTorch torch.nn.functional (mse_loss, binary_cross_entropy(_with_logits),
cross_entropy), karpathy/micrograd demo (max-margin hinge loss); the notes' detailed
derivation of the layer formulas and their notes on forward propagation and L2 regularization.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ._args import named as _named
from ._args import real as _real
from .engine import Value, dot, value_list, vsum
from .nn import Module
from .ops import OPS

REDUCTIONS = ("mean", "sum")
BCE_EPS = 1e-7

Outputs = Value | Sequence[Value] | Sequence[Sequence[Value]]
Array = npt.NDArray[np.float64]


def mse_loss(pred: Outputs, target: Any, reduction: str = "mean") -> Value:
    """Mean (or sum) of (pred - target)^2 over all elements (PyTorch's convention)."""
    preds, ys = _pairs(pred, target, "mse_loss")
    return _reduce([(p - y) ** 2 for p, y in zip(preds, ys)], reduction, "mse_loss")


def _mse_numpy(p: Array, y: Array) -> tuple[Array, Array]:
    """mse_loss in numpy: the terms (p - y)^2 and their derivatives d term / d p."""
    return (p - y) ** 2, 2 * (p - y)


def bce_loss(pred: Outputs, target: Any, reduction: str = "mean", eps: float = BCE_EPS) -> Value:
    """Binary cross-entropy -(y·log p + (1 - y)·log(1 - p)) of probabilities p, targets in
    [0, 1]; p is clamped into [eps, 1 - eps] with the gradient passed through."""
    eps = _real(eps, "bce_loss(eps)", lambda e: 0 < e < 0.5, "a number in (0, 0.5)")
    preds, ys = _pairs(pred, target, "bce_loss")
    _check_range(ys, 0.0, 1.0, "bce_loss", "targets must be in [0, 1]")
    terms = []  # y·log p + (1 - y)·log(1 - p), negated by the reduction
    for p, y in zip(preds, ys):
        if not 0 <= p.data <= 1:
            raise ValueError(
                f"bce_loss: predictions must be probabilities in [0, 1], got {p.data!r}"
                f"{_named(p)} (for logits use bce_with_logits)"
            )
        q = p
        if not eps <= p.data <= 1 - eps:  # clamp the value, keep d q / d p = 1
            q = p + (min(max(p.data, eps), 1 - eps) - p.data)
        if y == 1:
            terms.append(q.log())
        elif y == 0:
            terms.append((1 - q).log())
        else:
            terms.append(y * q.log() + (1 - y) * (1 - q).log())
    return -_reduce(terms, reduction, "bce_loss")


def _bce_numpy(p: Array, y: Array) -> tuple[Array, Array]:
    """bce_loss in numpy: the clamp with d q / d p = 1, the same three target branches."""
    q = p + (np.clip(p, BCE_EPS, 1 - BCE_EPS) - p)
    log_q, log_1q = np.log(q), np.log(1 - q)
    term = np.where(y == 1, log_q, np.where(y == 0, log_1q, y * log_q + (1 - y) * log_1q))
    return -term, -(y / q - (1 - y) / (1 - q))


def bce_with_logits(pred: Outputs, target: Any, reduction: str = "mean") -> Value:
    """Binary cross-entropy of sigmoid(z) computed from the logits z, stable for any z:
    softplus(z) - y·z, with softplus(z) = log(1 + e^z) = max(z, 0) + log(1 + e^-|z|)."""
    preds, ys = _pairs(pred, target, "bce_with_logits")
    _check_range(ys, 0.0, 1.0, "bce_with_logits", "targets must be in [0, 1]")
    terms = []
    for z, y in zip(preds, ys):
        if y == 1:
            terms.append((-z).softplus())  # softplus(z) - z
        elif y == 0:
            terms.append(z.softplus())
        else:
            terms.append(z.softplus() - y * z)
    return _reduce(terms, reduction, "bce_with_logits")


def _softplus_numpy(z: Array) -> tuple[Array, Array]:
    """log(1 + e^z) and its derivative sigmoid(z), by the op table's softplus rules."""
    op = OPS["softplus"]
    assert op.numpy_forward is not None and op.numpy_derivative is not None
    out = op.numpy_forward(z)
    return out, op.numpy_derivative(out, z)[0]


def _bce_with_logits_numpy(z: Array, y: Array) -> tuple[Array, Array]:
    """bce_with_logits in numpy: softplus(z) - y·z by the same branches."""
    sp_neg, d_neg = _softplus_numpy(-z)
    sp, d = _softplus_numpy(z)
    term = np.where(y == 1, sp_neg, np.where(y == 0, sp, sp - y * z))
    return term, np.where(y == 1, -d_neg, np.where(y == 0, d, d - y))


def log_softmax(logits: Sequence[Value]) -> list[Value]:
    """log softmax(z)_i = z_i - log Σ_j e^z_j, with max(z) subtracted first (no overflow)."""
    shifted = _shifted(logits, "log_softmax")
    lse = vsum([s.exp() for s in shifted]).log()
    return [s - lse for s in shifted]


def softmax(logits: Sequence[Value]) -> list[Value]:
    """softmax(z)_i = e^(z_i - max z) / Σ_j e^(z_j - max z)."""
    exps = [s.exp() for s in _shifted(logits, "softmax")]
    total = vsum(exps)
    return [e / total for e in exps]


def cross_entropy(logits: Sequence[Any], target: Any, reduction: str = "mean") -> Value:
    """-log softmax(z)[target] through log-sum-exp; z one sample's logits with an int target,
    or a batch (a list of logit lists) with one class index per sample. d/dz = softmax(z) -
    onehot(target), divided by the number of samples with the mean reduction."""
    rows, single = _logit_rows(logits)
    classes = np.asarray(target)
    if single and classes.size > 1 and classes.size == len(rows[0]):
        raise ValueError(_one_output_per_class(1, len(rows[0])))
    if single:
        classes = classes.reshape(1) if classes.ndim == 0 else classes
    if classes.ndim != 1 or len(classes) != len(rows):
        raise ValueError(
            f"cross_entropy: needs one class index per sample: {len(rows)} samples, "
            f"targets of shape {np.shape(target)}"
        )
    terms = []
    for i, (row, t) in enumerate(zip(rows, classes.tolist())):
        k = _class_index(t, len(row), i)
        shifted = _shifted(row, "cross_entropy")
        terms.append(vsum([s.exp() for s in shifted]).log() - shifted[k])
    return _reduce(terms, reduction, "cross_entropy")


def _cross_entropy_numpy(z: Array, y: Array) -> tuple[Array, Array]:
    """cross_entropy in numpy, per sample: log-sum-exp minus the target's shifted logit."""
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1)
    rows = np.arange(len(z))
    k = y.astype(np.intp)
    d = e / total[:, None]
    d[rows, k] -= 1
    return np.log(total) - shifted[rows, k], d


def _one_output_per_class(width: int, samples: int) -> str:
    return (
        f"cross_entropy: needs predictions with one output per class (2 or more), got {width} "
        f"per sample for {samples} samples: give the model's last layer one output per class"
    )


def _check_classes(out: Array, y: Array) -> None:
    """The numpy cross_entropy's targets: one class index in [0, width) per row of out."""
    n, k = out.shape
    if k < 2:
        raise ValueError(_one_output_per_class(k, n))
    if y.shape != (n,):
        raise ValueError(
            f"cross_entropy: needs one class index per sample: {n} samples, targets of shape "
            f"{y.shape}"
        )
    bad = np.flatnonzero((y != np.round(y)) | (y < 0) | (y >= k))
    if bad.size:
        i = int(bad[0])
        t = float(y[i])
        shown = int(t) if t.is_integer() else t
        raise ValueError(
            f"cross_entropy: target {i} must be a class index in [0, {k}), got {shown!r}"
        )


def hinge_loss(pred: Outputs, target: Any, reduction: str = "mean") -> Value:
    """Max-margin loss max(0, 1 - y·s) of scores s for labels y in {-1, +1} (micrograd's demo)."""
    preds, ys = _pairs(pred, target, "hinge_loss")
    if any(y not in (-1.0, 1.0) for y in ys):
        bad = next(y for y in ys if y not in (-1.0, 1.0))
        raise ValueError(f"hinge_loss: labels must be -1 or +1, got {bad!r}")
    terms = [(1 - s).relu() if y > 0 else (1 + s).relu() for s, y in zip(preds, ys)]
    return _reduce(terms, reduction, "hinge_loss")


def _hinge_numpy(s: Array, y: Array) -> tuple[Array, Array]:
    """hinge_loss in numpy, with relu'(0) = 0 at the margin."""
    margin = np.where(y > 0, 1 - s, 1 + s)
    return np.where(margin <= 0, 0.0, margin), np.where(margin > 0, np.where(y > 0, -1.0, 1.0), 0.0)


def l2_penalty(params: Module | Iterable[Value], lam: float) -> Value:
    """lam/2 · Σ p^2 (the notes on L2 regularization), as one dot node: its gradient is lam·p
    for each p."""
    lam = _real(lam, "l2_penalty(lam)", lambda v: 0 <= v < math.inf, "a finite number >= 0")
    ps = params.parameters() if isinstance(params, Module) else list(params)
    if not ps:
        raise ValueError("l2_penalty: no parameters given")
    ps = value_list(ps, "l2_penalty(params)", "a Module or a list of Values")
    return dot(ps, ps) * (lam / 2)


# -- the losses in numpy, for the batched replay: (outputs, targets) -> (terms, d term / d out) ---

NUMPY_LOSSES: dict[str, Callable[[Array, Array], tuple[Array, Array]]] = {
    "mse": _mse_numpy,
    "bce": _bce_numpy,
    "bce_with_logits": _bce_with_logits_numpy,
    "hinge": _hinge_numpy,
    "cross_entropy": _cross_entropy_numpy,
}


def numpy_loss(name: str, out: Array, target: Any) -> tuple[float, Array]:
    """A named loss (mean reduction) of outputs out (batch × width) against targets, and its
    gradient with respect to out: the numbers the Value losses above compute, with their checks."""
    where = f"{name}_loss" if name in ("mse", "bce", "hinge") else name
    y = np.asarray(target, dtype=float)
    if name == "cross_entropy":
        _check_classes(out, y)
        if not np.isfinite(out).all():
            raise ValueError("cross_entropy: logits must be finite")
        terms, d = _cross_entropy_numpy(out, y)
        return float(terms.sum() / len(out)), d / len(out)
    pred = out[:, 0] if out.shape[1] == 1 else out
    if tuple(n for n in y.shape if n != 1) != tuple(n for n in pred.shape if n != 1):
        raise ValueError(
            f"{where}: predictions of shape {pred.shape} and targets of shape {y.shape} "
            "do not match"
        )
    y = y.reshape(pred.shape)
    if name in ("bce", "bce_with_logits") and ((y < 0) | (y > 1)).any():
        raise ValueError(f"{where}: targets must be in [0, 1]")
    if name == "bce" and not ((pred >= 0) & (pred <= 1)).all():
        bad = pred[~((pred >= 0) & (pred <= 1))][0]
        raise ValueError(
            f"bce_loss: predictions must be probabilities in [0, 1], got {float(bad)!r} "
            "(for logits use bce_with_logits)"
        )
    if name == "hinge" and not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError("hinge_loss: labels must be -1 or +1")
    with np.errstate(all="ignore"):
        terms, d = NUMPY_LOSSES[name](pred, y)
    m = terms.size
    return float(terms.sum() / m), (d / m).reshape(out.shape)


# -- helpers ------------------------------------------------------------------------------------


def _pairs(pred: Outputs, target: Any, where: str) -> tuple[list[Value], list[float]]:
    """Flatten outputs and targets into aligned lists, checking that their shapes agree."""
    preds, shape = _flatten(pred, where)
    try:
        ys = np.asarray(target, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: targets must be numbers or a (nested) list of numbers") from None
    if _squeezed(ys.shape) != _squeezed(shape):
        raise ValueError(
            f"{where}: predictions of shape {shape} and targets of shape {ys.shape} do not match"
        )
    if not np.isfinite(ys).all():
        raise ValueError(f"{where}: targets must be finite")
    values: list[float] = ys.ravel().tolist()
    return preds, values


def _flatten(pred: Any, where: str) -> tuple[list[Value], tuple[int, ...]]:
    if isinstance(pred, Value):
        return [pred], ()
    if isinstance(pred, str) or not isinstance(pred, Sequence):
        raise TypeError(f"{where}: predictions must be Values, got {type(pred).__name__}")
    items = list(pred)
    if not items:
        raise ValueError(f"{where}: no predictions given")
    if all(isinstance(v, Value) for v in items):
        return items, (len(items),)
    flat: list[Value] = []
    width = None
    for i, row in enumerate(items):
        if isinstance(row, str) or not isinstance(row, Sequence):
            raise TypeError(
                f"{where}: predictions must be Values or lists of Values; item {i} is a "
                f"{type(row).__name__}"
            )
        if width is None:
            width = len(row)
        if not all(isinstance(v, Value) for v in row):
            raise TypeError(f"{where}: predictions must be Values; row {i} holds something else")
        if len(row) != width:
            raise ValueError(
                f"{where}: a batch of predictions must be rows of one width; row {i} has "
                f"{len(row)}, row 0 has {width}"
            )
        flat += row
    return flat, (len(items), width or 0)


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(d for d in shape if d != 1)


def _logit_rows(logits: Sequence[Any]) -> tuple[list[list[Value]], bool]:
    if isinstance(logits, Value | str) or not isinstance(logits, Sequence):
        raise TypeError("cross_entropy: logits must be a list of Values or a list of such lists")
    if logits and all(isinstance(v, Value) for v in logits):
        return [list(logits)], True
    _flatten(logits, "cross_entropy")  # checks that the batch is rectangular
    return [list(row) for row in logits], False


def _class_index(t: Any, k: int, i: int) -> int:
    if isinstance(t, float) and t.is_integer():
        t = int(t)
    if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < k:
        raise ValueError(f"cross_entropy: target {i} must be a class index in [0, {k}), got {t!r}")
    return t


def _shifted(logits: Sequence[Value], where: str) -> list[Value]:
    """z - max(z): the same gradients, and exp never overflows."""
    zs = list(logits)
    if not zs or not all(isinstance(z, Value) for z in zs):
        raise TypeError(f"{where}: logits must be a non-empty list of Values")
    top = max(z.data for z in zs)
    if not math.isfinite(top):
        raise ValueError(f"{where}: logits must be finite, max is {top}")
    return [z - top for z in zs]


def _reduce(terms: list[Value], reduction: str, where: str) -> Value:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'mean' or 'sum', got {reduction!r}")
    total = terms[0] if len(terms) == 1 else vsum(terms)
    return total / len(terms) if reduction == "mean" and len(terms) > 1 else total


def _check_range(ys: list[float], lo: float, hi: float, where: str, rule: str) -> None:
    for y in ys:
        if not lo <= y <= hi:
            raise ValueError(f"{where}: {rule}, got {y!r}")
