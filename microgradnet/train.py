"""Training loop: fit a model with mini-batches, recording loss, accuracy and gradient norms.

    history = fit(model, X, y, loss="bce_with_logits", optimizer=Adam(model, lr=0.05),
                  epochs=50, batch_size=32, seed=0, validation=(X_val, y_val))
    history.loss, history.accuracy, history.grad_norms["layers.0"], history.val_accuracy

One step of a mini-batch is ``forward_backward``: the graph of the batch is built, the loss
back-propagated, and the parameters' ``grad`` filled; fit then records the gradient norm of each
layer (the lecture notes' study of vanishing and exploding gradients) and lets the optimizer update.
Losses are named ("mse", "bce", "bce_with_logits", "cross_entropy", "hinge") or any callable
loss(predictions, targets) -> Value; predictions are one Value per sample for a one-output
model, else one list of Values per sample.

Ctrl-C stops cleanly: the first interrupt ends training after the current batch (an epoch cut
short is not recorded) and fit returns the History so far with ``interrupted`` set; a second
Ctrl-C stops at once. A loss or gradient that is not finite stops training before the update,
with a warning and ``stop_reason`` set, so the parameters stay finite.

References: Keras Model.fit / History (per-epoch metrics, validation), PyTorch training loops
(zero_grad, backward, step), the backpropagation notebook of the lecture notes (mini-batches,
gradient norms, accuracy).
"""

from __future__ import annotations

import math
import reprlib
import signal
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from numbers import Real
from types import FrameType
from typing import Any

import numpy as np

from ._args import positive_int as _positive_int
from ._args import seed as _seed
from .engine import Value, no_grad, relaxed_gc
from .losses import (
    NUMPY_LOSSES,
    bce_loss,
    bce_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
    numpy_loss,
)
from .nn import Module, Neuron
from .optim import SGD, Adam, Optimizer
from .replay import Tape

LossFn = Callable[[Any, np.ndarray], Value]
AccuracyFn = Callable[[np.ndarray, np.ndarray], float]
StepFn = Callable[[Module, LossFn, Any, np.ndarray], tuple[float, np.ndarray]]

LOSSES: dict[str, LossFn] = {
    "mse": mse_loss,
    "bce": bce_loss,
    "bce_with_logits": bce_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge_loss,
}


@dataclass
class History:
    """Per-epoch training record.

    loss / accuracy: the mean over the epoch's batches, measured during training (accuracy is
    empty when the task has none); val_loss / val_accuracy: on the validation data, in eval
    mode; grad_norms: layer name -> the mean over the epoch's batches of the L2 norm of that
    layer's parameter gradients (layers named as in named_parameters, e.g. "layers.0").
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    grad_norms: dict[str, list[float]] = field(default_factory=dict)
    interrupted: bool = False
    stop_reason: str = ""

    @property
    def epochs(self) -> int:
        """The number of completed epochs."""
        return len(self.loss)

    def __repr__(self) -> str:
        last = f", loss={self.loss[-1]:.4g}" if self.loss else ""
        acc = f", accuracy={self.accuracy[-1]:.4g}" if self.accuracy else ""
        flags = ", interrupted" if self.interrupted else ""
        stop = f", stopped: {self.stop_reason}" if self.stop_reason else ""
        return f"History(epochs={self.epochs}{last}{acc}{flags}{stop})"


def forward_backward(
    model: Module, loss: LossFn, xb: Any, yb: np.ndarray
) -> tuple[float, np.ndarray]:
    """One mini-batch (samples × features) through the Value graph: forward, loss, backward
    (filling p.grad).

    Returns the loss and the outputs as an array (batch × output width). Parameters' grads
    accumulate, so zero them first. This is the step that a compiled path can replace.
    Python's cyclic garbage collector runs less often meanwhile (``relaxed_gc``): the graph has
    no cycles, so the collector could only walk it, again and again, as it grows.
    """
    with relaxed_gc():
        out = model.forward_batch(xb)
        value = loss(_predictions(out), yb)
        if not isinstance(value, Value):
            raise TypeError(f"fit: the loss must return a Value, got {type(value).__name__}")
        value.backward()
        return value.data, np.array([[v.data for v in row] for row in out])


# -- the compiled step: fit(compile=True) replays the model's graph with numpy ---------------


def check_replayable(model: Module, *, training: bool | None = None) -> None:
    """Refuse a model whose graph depends on the sample beyond its inputs: each module says so
    with ``replay_problem(training)`` (BatchNorm1d and Dropout in training mode do).
    training=None reads each module's mode; fit passes True, since it trains in training mode."""
    if not isinstance(model, Module):
        raise TypeError(f"expected a Module, got {type(model).__name__}")
    for name, module in model.named_modules():
        mode = module.training if training is None else training
        problem = module.replay_problem(mode)
        if problem:
            where = (
                f"{type(module).__name__} {name!r}"
                if name
                else f"the model ({type(module).__name__})"
            )
            raise ValueError(f"compile: {where} {problem}; use compile=False")


class CompiledStep:
    """fit's forward_backward on the compiled path (``fit(..., compile=True)``).

    The model's graph is built once, for one sample (``example``, else the first sample it
    sees), with the features as placeholders, and replayed by a Tape over each mini-batch. The
    loss and its gradient with respect to the outputs are computed in numpy
    (losses.numpy_loss) for the named losses, and for any other loss by the Value engine on the
    outputs; the tape then back-propagates them into the parameters' grads. Same loss, outputs
    and grads as forward_backward (to rounding). With arrays=True the tape keeps the
    parameters in arrays (``Tape(..., arrays=True)``): the grads go into ``self.tape.grad``,
    and ``self.tape.data`` is what the model computes with until ``self.tape.write_values()``.
    """

    def __init__(
        self,
        model: Module,
        loss: LossFn,
        name: str = "",
        *,
        arrays: bool = False,
        example: Any = None,
    ) -> None:
        check_replayable(model, training=True)
        self.model, self.loss, self.name, self.arrays = model, loss, name, arrays
        self.tape: Tape | None = None
        if example is not None:
            self.tape = self._record(model, np.asarray(example, dtype=float).reshape(-1))

    def _record(self, model: Module, x: np.ndarray) -> Tape:
        placeholders = [Value(v, f"x{k}") for k, v in enumerate(x.tolist())]
        return Tape(model.forward(placeholders), placeholders, model, arrays=self.arrays)

    def __call__(
        self, model: Module, loss: LossFn, xb: Any, yb: np.ndarray
    ) -> tuple[float, np.ndarray]:
        X = np.asarray(xb, dtype=float)
        tape = self.tape
        if tape is None or model is not self.model:
            tape = self.tape = self._record(model, X[0])
            self.model = model
        out = tape.forward(X)
        if self.name in NUMPY_LOSSES:
            value, d_out = numpy_loss(self.name, out, yb)
        else:
            value, d_out = _value_loss(loss, out, yb)
        tape.backward(d_out)
        return value, out


def _value_loss(loss: LossFn, out: np.ndarray, target: Any) -> tuple[float, np.ndarray]:
    """Any loss, through the Value engine on the outputs as leaves: value and d loss / d out."""
    leaves = [[Value(v) for v in row] for row in out.tolist()]
    value = loss([row[0] for row in leaves] if out.shape[1] == 1 else leaves, target)
    if not isinstance(value, Value):
        raise TypeError(f"fit: the loss must return a Value, got {type(value).__name__}")
    value.backward()
    return value.data, np.array([[v.grad for v in row] for row in leaves])


def fit(
    model: Module,
    X: Any,
    y: Any,
    *,
    loss: str | LossFn = "mse",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    seed: int | None = None,
    shuffle: bool = True,
    validation: tuple[Any, Any] | None = None,
    accuracy: AccuracyFn | None = None,
    progress: bool = True,
    compile: bool = False,
) -> History:
    """Train model on (X, y) for some epochs of mini-batches and return the History.

    X: samples × features (a list of lists or a numpy array); y: one target per sample (class
    indices for cross_entropy). optimizer defaults to SGD(lr=0.1) over model's parameters;
    batch_size None means the full batch; seed (an int >= 0 or None) fixes the shuffling.
    accuracy(outputs, targets) overrides the built-in rule (argmax for cross_entropy, threshold
    for bce, bce_with_logits, hinge, and mse with 0/1 or ±1 targets). The model trains in
    training mode, then is put back in its previous mode. progress shows a tqdm bar.

    compile replays the model's graph, built once for one sample, with numpy over each batch
    (CompiledStep): the same losses and gradients, many times faster; models whose graph depends
    on the sample (BatchNorm1d, Dropout with p > 0) are refused with a ValueError. With a named
    loss and an SGD or Adam over exactly the model's parameters (in their order) the parameters
    stay in numpy arrays while training (Tape's arrays=True, the optimizer's update()), written
    back to the Values before each validation and at the end.
    """
    loss_fn, name = _loss(loss)
    Xs, ys = _dataset(X, y, name, "fit")
    epochs = _positive_int(epochs, "fit(epochs)")
    rng = np.random.default_rng(_seed(seed, "fit(seed)"))
    size = _batch_size(batch_size, len(Xs))
    acc_fn = accuracy if accuracy is not None else _accuracy_rule(name, ys)
    val = _validation(validation, name)
    run = _Run(model, loss_fn, acc_fn, _optimizer(optimizer, model), Xs, ys, size)
    _check_compile(compile, model)
    bar = _progress_bar(epochs) if progress else None
    history = History(grad_norms={layer: [] for layer in run.layer_names})
    was_training = model.training
    model.train()
    try:
        if compile:
            run.compile(name)
        with _stop_on_interrupt() as interrupt:
            run.train(epochs, rng, shuffle, val, bar, interrupt, history)
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        run.write_values()
        model.train(was_training)
        if bar is not None:
            bar.close()
    if history.interrupted and not history.stop_reason:
        history.stop_reason = f"interrupted after {history.epochs} epochs"
    return history


def _batch_size(batch_size: int | None, n: int) -> int:
    return n if batch_size is None else min(_positive_int(batch_size, "fit(batch_size)"), n)


def _check_compile(compile: bool, model: Module) -> None:
    if not isinstance(compile, bool):
        raise TypeError(f"fit(compile) must be a bool, got {type(compile).__name__}")
    if compile:
        check_replayable(model, training=True)


def _validation(validation: Any, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    if validation is None:
        return None
    if not isinstance(validation, tuple | list) or len(validation) != 2:
        raise ValueError("fit(validation) must be a pair (X_val, y_val)")
    return _dataset(validation[0], validation[1], name, "fit(validation)")


def _optimizer(optimizer: Optimizer | None, model: Module) -> Optimizer:
    if optimizer is None:
        return SGD(model, lr=0.1)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit(optimizer) must be an Optimizer, got {type(optimizer).__name__}")
    return optimizer


class _Run:
    """The state of one fit: what to train, on what, and how to measure it."""

    def __init__(
        self,
        model: Module,
        loss_fn: LossFn,
        acc_fn: AccuracyFn | None,
        optimizer: Optimizer,
        X: np.ndarray,
        ys: np.ndarray,
        size: int,
    ) -> None:
        self.model, self.loss_fn, self.acc_fn, self.optimizer = model, loss_fn, acc_fn, optimizer
        self.X, self.ys, self.size = X, ys, size
        self.params = model.parameters()
        known = set(self.params)  # the optimizer may also hold parameters outside the model
        self.to_zero = self.params + [p for p in optimizer.params if p not in known]
        self.layer_names, self.layer_of = _layers(model)
        self.step: StepFn = forward_backward
        self.tape: Tape | None = None  # the compiled step's tape, when it keeps arrays

    def compile(self, name: str) -> None:
        """Train by the compiled step; keep the parameters in arrays when the optimizer can
        update arrays and holds exactly the model's parameters, and the loss is a named one
        (a loss function of the user's may read the parameters, as an L2 penalty does: it
        needs their Values up to date and puts its gradients into their .grad)."""
        opt, params = self.optimizer, self.params
        arrays = (
            name in NUMPY_LOSSES
            and type(opt).step in (SGD.step, Adam.step)
            and len(opt.params) == len(params)
            and all(p is q for p, q in zip(opt.params, params))
        )
        step = CompiledStep(self.model, self.loss_fn, name, arrays=arrays, example=self.X[0])
        self.step = step
        self.tape = step.tape if arrays else None

    def write_values(self) -> None:
        """Bring the Values up to date with the arrays (when training keeps arrays)."""
        if self.tape is not None:
            self.tape.write_values()

    def train(
        self,
        epochs: int,
        rng: np.random.Generator,
        shuffle: bool,
        val: tuple[np.ndarray, np.ndarray] | None,
        bar: Any,
        interrupt: _Interrupt,
        history: History,
    ) -> None:
        """The epochs, each followed by the validation and the progress bar; stops early on a
        non-finite value or an interrupt (history says which)."""
        n = len(self.X)
        for _ in range(epochs):
            order = rng.permutation(n) if shuffle else np.arange(n)
            if not self.epoch(order, interrupt, history):
                history.interrupted = interrupt.requested
                return
            if val is not None:
                self.write_values()
                val_loss, val_acc = _evaluate(self.model, *val, self.loss_fn, self.acc_fn, 256)
                history.val_loss.append(val_loss)
                if val_acc is not None:
                    history.val_accuracy.append(val_acc)
            if bar is not None:
                bar.set_postfix(_postfix(history), refresh=False)
                bar.update(1)
            if interrupt.requested:
                history.interrupted = True
                return

    def epoch(self, order: np.ndarray, interrupt: _Interrupt, history: History) -> bool:
        """One pass over the data in the given order; record it and return True, or return
        False (recording nothing) when stopped by a non-finite value or an interrupt."""
        n, size, ys = len(order), self.size, self.ys
        total = correct = 0.0
        norms = np.zeros(len(self.layer_names))
        for start in range(0, n, size):
            idx = order[start : start + size]
            value, out, grads = self.batch(idx)
            batch_norms = _layer_norms(grads, self.layer_of, len(norms))
            if not (math.isfinite(value) and np.isfinite(batch_norms).all()):
                what = "a gradient norm" if math.isfinite(value) else "the loss"
                history.stop_reason = (
                    f"{what} became non-finite in epoch {history.epochs + 1} (the update was "
                    "not applied); try a smaller learning rate"
                )
                warnings.warn(f"fit stopped: {history.stop_reason}", RuntimeWarning, 3)
                return False
            self.update()
            total += value * len(idx)
            if self.acc_fn is not None:
                correct += self.acc_fn(out, ys[idx]) * len(idx)
            norms += batch_norms
            if interrupt.requested and start + size < n:
                return False
        history.loss.append(total / n)
        if self.acc_fn is not None:
            history.accuracy.append(correct / n)
        batches = -(-n // size)
        for layer, norm in zip(self.layer_names, (norms / batches).tolist()):
            history.grad_norms[layer].append(norm)
        return True

    def batch(self, idx: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Zero the grads, then one step on the samples idx: loss, outputs, the parameters'
        gradients (an array in parameter order)."""
        tape = self.tape
        if tape is not None:
            tape.zero_grad()
        else:
            for p in self.to_zero:
                p.grad = 0.0
        xb = self.X[idx]  # the compiled step takes the array, the Value path rows of floats
        samples = xb if isinstance(self.step, CompiledStep) else xb.tolist()
        value, out = self.step(self.model, self.loss_fn, samples, self.ys[idx])
        if tape is not None:
            return value, out, tape.grad
        params = self.params
        return value, out, np.array([p.grad for p in params], dtype=float)

    def update(self) -> None:
        if self.tape is not None:
            self.optimizer.update(self.tape.data, self.tape.grad)
        else:
            self.optimizer.step()


def evaluate(
    model: Module,
    X: Any,
    y: Any,
    *,
    loss: str | LossFn = "mse",
    accuracy: AccuracyFn | None = None,
    batch_size: int = 256,
) -> tuple[float, float | None]:
    """(mean loss, accuracy or None) of model on (X, y) in eval mode, without training: batch
    by batch under ``no_grad()``, so memory is bounded by batch_size, not by len(X)."""
    loss_fn, name = _loss(loss)
    Xs, ys = _dataset(X, y, name, "evaluate")
    acc_fn = accuracy if accuracy is not None else _accuracy_rule(name, ys)
    return _evaluate(
        model, Xs, ys, loss_fn, acc_fn, _positive_int(batch_size, "evaluate(batch_size)")
    )


def _evaluate(
    model: Module,
    X: np.ndarray,
    ys: np.ndarray,
    loss_fn: LossFn,
    acc_fn: AccuracyFn | None,
    size: int,
) -> tuple[float, float | None]:
    was_training = model.training
    model.eval()
    try:
        total = correct = 0.0
        for start in range(0, len(X), size):
            xb, yb = X[start : start + size].tolist(), ys[start : start + size]
            with no_grad():
                out = model.forward_batch(xb)
                total += loss_fn(_predictions(out), yb).data * len(xb)
                outputs = np.array([[v.data for v in row] for row in out])
            if acc_fn is not None:
                correct += acc_fn(outputs, yb) * len(xb)
    finally:
        model.train(was_training)
    return total / len(X), (correct / len(X) if acc_fn is not None else None)


def predict(model: Module, X: Any, *, batch_size: int = 1024) -> np.ndarray:
    """The model's outputs on X in eval mode: shape (n,) for one output, else (n, width).

    A model whose graph can be replayed (check_replayable) runs through the batched replay
    (a Tape, batch_size samples at a time: a 200 × 200 grid in milliseconds); any other
    through the Value engine under ``no_grad()``, batch_size samples at a time, each batch's
    outputs kept as floats and its graph dropped. Both give the same numbers up to rounding,
    and memory is bounded by batch_size, not by len(X)."""
    Xs = _features(X, "predict")
    size = _positive_int(batch_size, "predict(batch_size)")
    was_training = model.training
    model.eval()
    try:
        tape = _replay_tape(model, Xs[0])
        parts = []
        for start in range(0, len(Xs), size):
            xb = Xs[start : start + size]
            if tape is not None:
                parts.append(tape.forward(xb))
                continue
            with no_grad():
                out = model.forward_batch(xb.tolist())
                parts.append(np.array([[v.data for v in row] for row in out]))
                del out
    finally:
        model.train(was_training)
    result = np.concatenate(parts)
    return result[:, 0] if result.shape[1] == 1 else result


def _replay_tape(model: Module, example: np.ndarray) -> Tape | None:
    """A Tape of model's outputs for one sample, or None where it cannot replay."""
    try:
        check_replayable(model, training=False)
        placeholders = [Value(x) for x in example.tolist()]
        return Tape(model.forward(placeholders), inputs=placeholders, params=model)
    except (TypeError, ValueError, ArithmeticError):  # not replayable, no numpy rules, ...
        return None


# -- accuracy rules -----------------------------------------------------------------------------


def _accuracy_rule(name: str, ys: np.ndarray) -> AccuracyFn | None:
    """How to count correct predictions for a named loss (None: a regression, no accuracy)."""
    if name == "cross_entropy":
        return _argmax_accuracy
    if name == "bce":
        return _threshold_accuracy(0.5, 0.5)
    if name in ("bce_with_logits", "hinge"):
        return _threshold_accuracy(0.0, 0.5 if name == "bce_with_logits" else 0.0)
    if name == "mse":
        labels = set(np.unique(ys).tolist())
        if labels <= {0.0, 1.0}:
            if ys.ndim == 2 and ys.shape[1] > 1 and (ys.sum(axis=1) == 1).all():
                return _onehot_accuracy
            return _threshold_accuracy(0.5, 0.5)
        if labels <= {-1.0, 1.0}:
            return _threshold_accuracy(0.0, 0.0)
    return None


def _argmax_accuracy(out: np.ndarray, y: np.ndarray) -> float:
    return float((out.argmax(axis=1) == y).mean())


def _onehot_accuracy(out: np.ndarray, y: np.ndarray) -> float:
    return float((out.argmax(axis=1) == y.argmax(axis=1)).mean())


def _threshold_accuracy(output_cut: float, target_cut: float) -> AccuracyFn:
    def accuracy(out: np.ndarray, y: np.ndarray) -> float:
        return float(((out.reshape(y.shape) > output_cut) == (y > target_cut)).mean())

    return accuracy


# -- helpers ------------------------------------------------------------------------------------


def _loss(loss: str | LossFn) -> tuple[LossFn, str]:
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        return LOSSES[loss], loss
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable, got {type(loss).__name__}")
    name = next((k for k, f in LOSSES.items() if f is loss), "")
    return loss, name


def _dataset(X: Any, y: Any, loss: str, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Samples (samples × features) and targets as arrays, checked to match."""
    Xs = _features(X, where)
    ys = _numbers(y, "y", where)
    if ys.ndim == 0 or ys.ndim > 2 or len(ys) != len(Xs):
        raise ValueError(
            f"{where}: needs one target per sample: X has {len(Xs)} samples, y has shape {ys.shape}"
        )
    if loss == "cross_entropy":
        if ys.ndim != 1 or not ((ys == np.round(ys)) & (ys >= 0) & (ys < 2**31)).all():
            raise ValueError(
                f"{where}: cross_entropy needs y as a 1-D array of class indices "
                "(whole numbers >= 0)"
            )
        return Xs, ys.astype(int)
    return Xs, ys


def _features(X: Any, where: str) -> np.ndarray:
    """X as a float array of samples × features (a 1-D X is one feature per sample), at least
    one sample."""
    array = _numbers(X, "X", where)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(f"{where}: X must be 2-D (samples × features), got shape {array.shape}")
    if len(array) == 0:
        shape = np.shape(X) if isinstance(X, np.ndarray) else array.shape[:1]
        raise ValueError(f"{where}: X has no samples (shape {shape}); give at least one")
    return array


_NOT_NUMBERS = {"U": "strings", "S": "bytes", "c": "complex numbers", "M": "dates", "m": "times"}


def _numbers(data: Any, name: str, where: str) -> np.ndarray:
    """data as a float array of real numbers (bools count as 0 and 1), none NaN or inf.

    Strings, complex numbers, dates and other objects are refused with a TypeError rather than
    converted: numpy would parse "1.5" and drop an imaginary part without a word.
    """
    try:
        raw = np.asarray(data)
    except (TypeError, ValueError, RecursionError):  # ragged or too deeply nested
        raise TypeError(
            f"{where}: {name} must be a rectangular list of numbers or a numpy array"
        ) from None
    if raw.dtype.kind == "O":
        for v in raw.flat:
            if not isinstance(v, Real | np.bool_):
                shown = reprlib.repr(v)
                raise TypeError(f"{where}: {name} must be numbers, got {type(v).__name__}: {shown}")
    elif raw.dtype.kind not in "biuf":
        kind = _NOT_NUMBERS.get(raw.dtype.kind, "values")
        raise TypeError(f"{where}: {name} must be numbers, got {kind} (dtype {raw.dtype})")
    try:
        array = raw.astype(float)
    except OverflowError:
        raise ValueError(f"{where}: {name} has a number too large for a float") from None
    if not np.isfinite(array).all():
        raise ValueError(f"{where}: {name} contains NaN or inf")
    return array


def _predictions(out: list[list[Value]]) -> Any:
    """One Value per sample for a one-output model, else the rows."""
    return [row[0] for row in out] if len(out[0]) == 1 else out


def layer_name(parameter_name: str) -> str:
    """Deprecated (gradient norms read the module structure now): the layer a parameter name
    belongs to, the part before ".neurons." ("layers.0" for "layers.0.neurons.3.w.1"), else
    its module ("layers.1" for "layers.1.gamma.3")."""
    warnings.warn(
        "train.layer_name is deprecated: Module.parameter_owners() tells which modules hold a "
        "parameter",
        DeprecationWarning,
        stacklevel=2,
    )
    head, sep, _ = parameter_name.partition(".neurons.")
    if sep:
        return head
    if parameter_name.startswith("neurons."):
        return ""
    parts = parameter_name.split(".")
    if len(parts) > 1 and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


def gradient_norms(model: Module) -> dict[str, float]:
    """The L2 norm of each layer's parameter gradients as they stand now, by layer name (the
    names of History.grad_norms): the lecture notes' look at vanishing and exploding gradients."""
    names, layer_of = _layers(model)
    grads = np.fromiter((p.grad for p in model.parameters()), float)
    return dict(zip(names, _layer_norms(grads, layer_of, len(names)).tolist()))


def _layer_norms(grads: np.ndarray, layer_of: np.ndarray, layers: int) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        norms: np.ndarray = np.sqrt(np.bincount(layer_of, grads * grads, layers))
    return norms


def _layers(model: Module) -> tuple[list[str], np.ndarray]:
    """Layer names in order and, for each parameter, the index of its layer: the module that
    holds its Neuron ("layers.0"), else the module that holds it ("layers.1" for a batch norm's
    gamma), "model" for the model itself. Read from the module structure, never from names."""
    owners = model.parameter_owners()
    names: dict[str, int] = {}
    ids = []
    for p in model.parameters():
        path = owners[p]
        neuron = next((k for k, (_, m) in enumerate(path) if isinstance(m, Neuron)), None)
        if neuron is None:
            layer = path[-1][0]  # the module holding it
        elif neuron:
            layer = path[neuron - 1][0]  # the module holding its neuron
        else:
            layer = ""  # the model is a Neuron
        ids.append(names.setdefault(layer or "model", len(names)))
    return list(names), np.array(ids, dtype=int)


def _postfix(history: History) -> dict[str, str]:
    post = {"loss": f"{history.loss[-1]:.4f}"}
    if history.accuracy:
        post["acc"] = f"{history.accuracy[-1]:.3f}"
    if history.val_loss:
        post["val_loss"] = f"{history.val_loss[-1]:.4f}"
    if history.val_accuracy:
        post["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
    return post


def _progress_bar(epochs: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError(
            'fit(progress=True) needs tqdm: pip install "microgradnet[notebook]" '
            "(or pass progress=False)"
        ) from None
    return tqdm(total=epochs, desc="fit", unit="epoch")


class _Interrupt:
    requested = False


@contextmanager
def _stop_on_interrupt() -> Iterator[_Interrupt]:
    """Turn the first Ctrl-C (SIGINT) into a request to stop after the current batch; the
    previous handler is back for a second Ctrl-C. Outside the main thread, nothing changes."""
    state = _Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # installed from C: the default is the closest Python equivalent
        previous = signal.SIG_DFL

    def request_stop(signum: int, frame: FrameType | None) -> None:
        state.requested = True
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, request_stop)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)
