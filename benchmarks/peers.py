"""The benchmark's engines: microgradnet's variants and its peers, for workloads W1 to W6.

Peers: micrograd 0.1.0 (karpathy/micrograd from the package index; it has no tanh, so
``micrograd_with_tanh`` adds one to its Value class in micrograd's own closure style), a
hand-written pure-Python W2 step (floats and lists, no objects), a hand-written numpy W2 step,
PyTorch when importable (0-dim tensors with one autograd node per op, and vectorized), always in
float64 so every engine can be checked against the others to 1e-9, and microgradnet itself at
an earlier commit (the baseline, extracted by run.py at run time and imported under another
name): every microgradnet engine takes a ``Library``, the package under test or the baseline.

W2 is one training step of MLP(2, [16, 16, 1]) (relu hidden, linear output) on 100 two-moons
samples: forward, MSE loss, backward, SGD update. Every W2 engine is made from the same weights
(``init_weights``) and reports its loss and its gradients (before the update) in one canonical
order: layer by layer, neuron by neuron, the neuron's weights then its bias, which is the order of
microgradnet's and micrograd's parameters().
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

SIZES = [2, 16, 16, 1]
LR = 0.05
Weights = list[tuple[np.ndarray, np.ndarray]]  # per layer: W (nout × nin), b (nout)


@dataclass(frozen=True)
class Library:
    """One version of microgradnet: what the engines below use from it. relaxed_gc is None
    where that version has no relaxed-collector context."""

    tag: str  # "microgradnet" (the tree under test) or the baseline's commit
    Value: Any
    vsum: Any
    no_gc: Callable[[], AbstractContextManager[None]]
    relaxed_gc: Callable[[], AbstractContextManager[None]] | None
    MLP: Any
    mse_loss: Any
    SGD: Any
    Tape: Any
    CompiledStep: Any
    topological_order: Any


def library(package: str, tag: str) -> Library:
    """The Library of an importable microgradnet package (its name may differ: the baseline is
    imported as microgradnet_<commit>)."""
    engine = importlib.import_module(f"{package}.engine")
    nn, losses = (
        importlib.import_module(f"{package}.nn"),
        importlib.import_module(f"{package}.losses"),
    )
    optim, replay = (
        importlib.import_module(f"{package}.optim"),
        importlib.import_module(f"{package}.replay"),
    )
    train = importlib.import_module(f"{package}.train")
    return Library(
        tag, engine.Value, engine.vsum, engine.no_gc, getattr(engine, "relaxed_gc", None), nn.MLP,
        losses.mse_loss, optim.SGD, replay.Tape, train.CompiledStep, engine.topological_order,
    )  # fmt: skip


# -- the shared W2 setup -------------------------------------------------------------------------


def two_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's make_moons, written out (no dependency): X (n, 2), y in {-1, +1}."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    X = np.vstack(
        [
            np.column_stack([np.cos(t_out), np.sin(t_out)]),
            np.column_stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5]),
        ]
    )
    X += rng.normal(scale=noise, size=X.shape)
    y = np.hstack([-np.ones(n_out), np.ones(n - n_out)])
    order = rng.permutation(n)
    return X[order], y[order]


def init_weights(seed: int = 0) -> Weights:
    """He-initialized weights and small random biases (nonzero, so bias gradients are tested)."""
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(0, math.sqrt(2 / nin), (nout, nin)), rng.normal(0, 0.1, nout))
        for nin, nout in pairwise(SIZES)
    ]


def flat(layers: Sequence[tuple[Any, Any]]) -> np.ndarray:
    """Per-layer (W, b) pairs of arrays or nested lists, in the canonical parameter order."""
    return np.concatenate(
        [np.column_stack([np.asarray(W, float), np.asarray(b, float)]).ravel() for W, b in layers]
    )


class Engine:
    """A W2 engine: step() is one timed training step; loss and grads are those of the last step
    (grads before the update); reset(weights) copies weights in, untimed."""

    name = ""
    note = ""

    def __init__(self, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def reset(self, weights: Weights) -> None:
        raise NotImplementedError

    def step(self) -> float:
        raise NotImplementedError

    def grads(self) -> np.ndarray:
        raise NotImplementedError


class ValueParams(Engine):
    """Engines whose parameters are Value-like objects with .data and .grad (neuron by neuron)."""

    neurons: list[list[tuple[list[Any], Any]]]  # per layer, per neuron: (weights, bias)

    def reset(self, weights: Weights) -> None:
        for layer, (W, b) in zip(self.neurons, weights):
            for (ws, bias), row, bj in zip(layer, W.tolist(), b.tolist()):
                for w, v in zip(ws, row):
                    w.data = v
                bias.data = bj

    def params(self) -> list[Any]:
        return [p for layer in self.neurons for ws, b in layer for p in [*ws, b]]

    def grads(self) -> np.ndarray:
        return np.array([float(p.grad) for p in self.params()])


# -- microgradnet ----------------------------------------------------------------------------------


class LibraryEngine(ValueParams):
    """An engine made from one version of microgradnet; its name starts with the version's tag."""

    title = ""

    def __init__(self, lib: Library, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        self.lib = lib
        self.name = f"{lib.tag}, {self.title}"


class MicrogradnetMLP(LibraryEngine):
    """microgradnet's MLP (one fused dot node per neuron), mse_loss and SGD: the library's path."""

    title = "MLP (fused dot)"

    def __init__(self, lib: Library, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        super().__init__(lib, weights, X, y)
        self.model = lib.MLP(2, SIZES[1:], activation="relu", seed=0)
        self.neurons = [[(n.w, n.b) for n in layer.neurons] for layer in self.model.layers]
        self.reset(weights)
        self.optimizer = lib.SGD(self.model, lr=LR)
        self.X, self.y = X.tolist(), y.tolist()

    def step(self) -> float:
        self.optimizer.zero_grad()
        loss = self.lib.mse_loss([z for (z,) in self.model.forward_batch(self.X)], self.y)
        loss.backward()
        self.optimizer.step()
        return float(loss.data)


def _fine_grained_forward(
    neurons: list[list[tuple[list[Any], Any]]], x: list[float], relu: Callable[[Any], Any]
) -> Any:
    """micrograd's Neuron: act = b + w_1·x_1 + w_2·x_2 + ... (one * and one + node per weight)."""
    act: list[Any] = list(x)
    last = len(neurons) - 1
    for i, layer in enumerate(neurons):
        out = []
        for ws, b in layer:
            z = sum((w * a for w, a in zip(ws, act)), b)
            out.append(relu(z) if i < last else z)
        act = out
    return act[0]


class MicrogradnetFine(LibraryEngine):
    """microgradnet Values in micrograd's graph shape: one * and one + node per weight, the loss
    summed with Python's sum(); built by hand, as micrograd's MLP and demo build it."""

    title = "micrograd's graph shape"

    def __init__(self, lib: Library, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        super().__init__(lib, weights, X, y)
        V = lib.Value
        self.neurons = [
            [([V(0.0) for _ in range(nin)], V(0.0)) for _ in range(nout)]
            for nin, nout in pairwise(SIZES)
        ]
        self.reset(weights)
        self.all = self.params()
        self.X, self.y = X.tolist(), y.tolist()

    def step(self) -> float:
        params = self.all
        for p in params:
            p.grad = 0.0
        preds = [_fine_grained_forward(self.neurons, x, self.lib.Value.relu) for x in self.X]
        loss = sum((p - t) ** 2 for p, t in zip(preds, self.y)) * (1.0 / len(preds))
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return float(loss.data)


class MicrogradnetFineNoGC(MicrogradnetFine):
    """MicrogradnetFine inside ``with microgradnet.no_gc():`` (the cyclic collector paused)."""

    title = "micrograd's shape, no_gc"

    def step(self) -> float:
        with self.lib.no_gc():
            return super().step()


class MicrogradnetFineRelaxed(MicrogradnetFine):
    """MicrogradnetFine inside ``with microgradnet.relaxed_gc():`` (thresholds raised)."""

    title = "micrograd's graph shape, relaxed_gc"

    def step(self) -> float:
        assert self.lib.relaxed_gc is not None
        with self.lib.relaxed_gc():
            return super().step()


class MicrogradnetTape(LibraryEngine):
    """W5, a hand-written loop over a Tape: the graph of one sample's loss (x0, x1, y
    placeholders) replayed with numpy over the batch, its grads added into the Values' grad,
    then SGD's step over the Values."""

    title = "Tape + SGD over Values"

    def __init__(self, lib: Library, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        super().__init__(lib, weights, X, y)
        self.mlp = MicrogradnetMLP(lib, weights, X, y)
        model = self.mlp.model
        x = [lib.Value(0.0, "x0"), lib.Value(0.0, "x1")]
        target = lib.Value(0.0, "y")
        self.loss = (model(x) - target) ** 2
        self.tape = lib.Tape(self.loss, [*x, target], model)
        self.XY = np.column_stack([X, y])
        self.optimizer = lib.SGD(model, lr=LR)

    def reset(self, weights: Weights) -> None:
        self.mlp.reset(weights)

    def grads(self) -> np.ndarray:
        return self.mlp.grads()

    def step(self) -> float:
        self.optimizer.zero_grad()
        loss = self.tape.loss_backward(self.XY)
        self.optimizer.step()
        return float(loss)


class MicrogradnetTapeArrays(MicrogradnetTape):
    """W5: the same Tape with its parameters as arrays (``arrays=True``): backward fills
    tape.grad, SGD.update(tape.data, tape.grad) updates in place; the Values are written
    (write_values) only to read the result."""

    title = "Tape, parameters as arrays"

    def __init__(self, lib: Library, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        super().__init__(lib, weights, X, y)
        x = [self.tape.inputs[0], self.tape.inputs[1], self.tape.inputs[2]]
        self.tape = lib.Tape(self.loss, x, self.mlp.model, arrays=True)

    def reset(self, weights: Weights) -> None:
        self.mlp.reset(weights)
        self.tape.read_values()

    def grads(self) -> np.ndarray:
        self.tape.write_values()
        return self.mlp.grads()

    def step(self) -> float:
        tape = self.tape
        tape.zero_grad()
        loss = tape.loss_backward(self.XY)
        self.optimizer.update(tape.data, tape.grad)
        return float(loss)


class MicrogradnetCompiledFit(MicrogradnetTape):
    """W5: fit(compile=True)'s step: the model's tape and the MSE in numpy (CompiledStep); with
    arrays=True (the current tree: what fit does with SGD over the model's parameters) the
    parameters stay in the tape's arrays, else (the baseline) they go through the Values."""

    title = "fit(compile=True) step"

    def __init__(self, lib: Library, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        super().__init__(lib, weights, X, y)
        self.arrays = hasattr(lib.Tape, "write_values")
        model = self.mlp.model
        if self.arrays:
            self.compiled = lib.CompiledStep(model, lib.mse_loss, "mse", arrays=True, example=X[0])
            self.Xs: Any = X
        else:
            self.compiled = lib.CompiledStep(model, lib.mse_loss, "mse")
            self.Xs = X.tolist()
        self.y = y

    def reset(self, weights: Weights) -> None:
        self.mlp.reset(weights)
        if self.arrays:
            self.compiled.tape.read_values()

    def grads(self) -> np.ndarray:
        if self.arrays:
            self.compiled.tape.write_values()
        return self.mlp.grads()

    def step(self) -> float:
        model = self.mlp.model
        if not self.arrays:
            self.optimizer.zero_grad()
            loss, _ = self.compiled(model, self.lib.mse_loss, self.Xs, self.y)
            self.optimizer.step()
            return float(loss)
        tape = self.compiled.tape
        tape.zero_grad()
        loss, _ = self.compiled(model, self.lib.mse_loss, self.Xs, self.y)
        self.optimizer.update(tape.data, tape.grad)
        return float(loss)


# -- micrograd -------------------------------------------------------------------------------------


def micrograd_with_tanh() -> Any:
    """micrograd's Value with a tanh method added, written in micrograd's closure style."""
    from micrograd.engine import Value as MValue  # type: ignore[import-untyped]

    if not hasattr(MValue, "tanh"):

        def tanh(self: Any) -> Any:
            t = math.tanh(self.data)
            out = MValue(t, (self,), "tanh")

            def _backward() -> None:
                self.grad += (1 - t**2) * out.grad

            out._backward = _backward
            return out

        MValue.tanh = tanh
    return MValue


class Micrograd(ValueParams):
    """micrograd's own MLP (relu hidden, linear output), its demo's loss, a plain SGD loop."""

    name = "micrograd 0.1.0"

    def __init__(self, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        from micrograd.nn import MLP as MMLP  # type: ignore[import-untyped]

        self.model = MMLP(2, SIZES[1:])
        self.neurons = [[(n.w, n.b) for n in layer.neurons] for layer in self.model.layers]
        self.reset(weights)
        self.all = self.model.parameters()
        self.X, self.y = X.tolist(), y.tolist()

    def step(self) -> float:
        params = self.all
        for p in params:
            p.grad = 0
        preds = [self.model(x) for x in self.X]
        loss = sum((p - t) ** 2 for p, t in zip(preds, self.y)) * (1.0 / len(preds))
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return float(loss.data)


# -- hand-written peers ----------------------------------------------------------------------------


class PurePython(Engine):
    """Floats and lists, no objects: forward, MSE, backward and SGD written out by hand."""

    name = "pure Python (floats, lists)"

    def __init__(self, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        self.reset(weights)
        self.X, self.y = X.tolist(), y.tolist()
        self.last: list[tuple[list[list[float]], list[float]]] = []

    def reset(self, weights: Weights) -> None:
        self.layers = [(W.tolist(), b.tolist()) for W, b in weights]

    def grads(self) -> np.ndarray:
        return flat(self.last)

    def step(self) -> float:
        (W1, b1), (W2, b2), (W3, b3) = self.layers
        gW1 = [[0.0, 0.0] for _ in W1]
        gb1 = [0.0] * len(b1)
        gW2 = [[0.0] * len(W2[0]) for _ in W2]
        gb2 = [0.0] * len(b2)
        gW3 = [0.0] * len(W3[0])
        gb3 = 0.0
        w3 = W3[0]
        n = len(self.X)
        loss = 0.0
        for (x0, x1), t in zip(self.X, self.y):
            z1 = [w[0] * x0 + w[1] * x1 + b for w, b in zip(W1, b1)]
            a1 = [z if z > 0 else 0.0 for z in z1]
            z2 = [sum([w * a for w, a in zip(row, a1)]) + b for row, b in zip(W2, b2)]
            a2 = [z if z > 0 else 0.0 for z in z2]
            out = sum([w * a for w, a in zip(w3, a2)]) + b3[0]
            d = out - t
            loss += d * d
            g = 2 * d / n
            gb3 += g
            gW3 = [gw + g * a for gw, a in zip(gW3, a2)]
            dz2 = [g * w if z > 0 else 0.0 for w, z in zip(w3, z2)]
            for j, dz in enumerate(dz2):
                if dz:
                    gb2[j] += dz
                    gW2[j] = [gw + dz * a for gw, a in zip(gW2[j], a1)]
            da1 = [sum([dz * row[k] for dz, row in zip(dz2, W2)]) for k in range(len(a1))]
            for k, (da, z) in enumerate(zip(da1, z1)):
                if z > 0:
                    gb1[k] += da
                    gW1[k][0] += da * x0
                    gW1[k][1] += da * x1
        self.last = [(gW1, gb1), (gW2, gb2), ([gW3], [gb3])]
        for (W, b), (gW, gb) in zip(self.layers, self.last):
            for row, grow in zip(W, gW):
                for k, gw in enumerate(grow):
                    row[k] -= LR * gw
            for j, gbj in enumerate(gb):
                b[j] -= LR * gbj
        return loss / n


class Numpy(Engine):
    """The batch in matrices (seed 000's Z = W·A + b): forward, MSE, backward, SGD by hand."""

    name = "numpy (hand-written)"

    def __init__(self, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        self.reset(weights)
        self.X, self.y = X, y
        self.last: list[tuple[np.ndarray, np.ndarray]] = []

    def reset(self, weights: Weights) -> None:
        self.layers = [(W.copy(), b.copy()) for W, b in weights]

    def grads(self) -> np.ndarray:
        return flat(self.last)

    def step(self) -> float:
        (W1, b1), (W2, b2), (W3, b3) = self.layers
        X, n = self.X, len(self.X)
        z1 = X @ W1.T + b1
        a1 = np.maximum(z1, 0.0)
        z2 = a1 @ W2.T + b2
        a2 = np.maximum(z2, 0.0)
        d = (a2 @ W3.T + b3)[:, 0] - self.y
        dout = (2 / n) * d[:, None]
        dz2 = (dout @ W3) * (z2 > 0)
        dz1 = (dz2 @ W2) * (z1 > 0)
        self.last = [
            (dz1.T @ X, dz1.sum(axis=0)),
            (dz2.T @ a1, dz2.sum(axis=0)),
            (dout.T @ a2, dout.sum(axis=0)),
        ]
        for (W, b), (gW, gb) in zip(self.layers, self.last):
            W -= LR * gW
            b -= LR * gb
        return float(d @ d / n)


# -- PyTorch (optional) ----------------------------------------------------------------------------


def torch_module() -> Any:
    """torch with one thread, or None when it is not installed (it is never a requirement)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


class TorchScalar(ValueParams):
    """PyTorch with 0-dim float64 tensors: one autograd node per op, micrograd's graph shape."""

    name = "PyTorch, 0-dim tensors"

    def __init__(self, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        torch = torch_module()
        self.torch = torch

        def scalar() -> Any:
            return torch.zeros((), dtype=torch.float64, requires_grad=True)

        self.neurons = [
            [([scalar() for _ in range(nin)], scalar()) for _ in range(nout)]
            for nin, nout in pairwise(SIZES)
        ]
        self.reset(weights)
        self.all = self.params()
        self.X, self.y = X.tolist(), y.tolist()

    def reset(self, weights: Weights) -> None:
        with self.torch.no_grad():
            for layer, (W, b) in zip(self.neurons, weights):
                for (ws, bias), row, bj in zip(layer, W.tolist(), b.tolist()):
                    for w, v in zip(ws, row):
                        w.fill_(v)
                    bias.fill_(bj)

    def grads(self) -> np.ndarray:
        return np.array([p.grad.item() for p in self.all])

    def step(self) -> float:
        torch = self.torch
        for p in self.all:
            p.grad = None
        preds = [_fine_grained_forward(self.neurons, x, torch.relu) for x in self.X]
        loss = sum((p - t) ** 2 for p, t in zip(preds, self.y)) * (1.0 / len(preds))
        loss.backward()
        with torch.no_grad():
            for p in self.all:
                p -= LR * p.grad
        return float(loss.item())


class TorchVectorized(Engine):
    """PyTorch on the whole batch: float64 matrices, autograd, SGD by hand."""

    name = "PyTorch, vectorized"

    def __init__(self, weights: Weights, X: np.ndarray, y: np.ndarray) -> None:
        torch = torch_module()
        self.torch = torch
        self.layers = [
            (
                torch.zeros(W.shape, dtype=torch.float64, requires_grad=True),
                torch.zeros(b.shape, dtype=torch.float64, requires_grad=True),
            )
            for W, b in weights
        ]
        self.reset(weights)
        self.X = torch.tensor(X, dtype=torch.float64)
        self.y = torch.tensor(y, dtype=torch.float64)

    def reset(self, weights: Weights) -> None:
        with self.torch.no_grad():
            for (W, b), (W0, b0) in zip(self.layers, weights):
                W.copy_(self.torch.from_numpy(W0))
                b.copy_(self.torch.from_numpy(b0))

    def grads(self) -> np.ndarray:
        return flat([(W.grad.numpy(), b.grad.numpy()) for W, b in self.layers])

    def step(self) -> float:
        torch = self.torch
        (W1, b1), (W2, b2), (W3, b3) = self.layers
        for p in (W1, b1, W2, b2, W3, b3):
            p.grad = None
        a1 = torch.relu(self.X @ W1.T + b1)
        a2 = torch.relu(a1 @ W2.T + b2)
        loss = (((a2 @ W3.T + b3)[:, 0] - self.y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in (W1, b1, W2, b2, W3, b3):
                p -= LR * p.grad
        return float(loss.item())


# -- W1 and W3 builders: (leaves) -> root, per engine ----------------------------------------


def w1_leaves(kind: Any, n: int, seed: int = 0) -> tuple[list[Any], list[Any], list[Any]]:
    """The leaves a_i, b_i, c_i of W1 as Values of the given engine (a Library, "micrograd",
    "torch-scalar" or "torch-vectorized"), uniform in (-1, 1)."""
    data = np.random.default_rng(seed).uniform(-1, 1, (3, n)).tolist()
    if isinstance(kind, Library):
        V = kind.Value
        return tuple([V(v) for v in row] for row in data)  # type: ignore[return-value]
    if kind == "micrograd":
        MValue = micrograd_with_tanh()
        return tuple([MValue(v) for v in row] for row in data)  # type: ignore[return-value]
    torch = torch_module()
    if kind == "torch-scalar":
        return tuple(  # type: ignore[return-value]
            [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in row] for row in data
        )
    return tuple(  # type: ignore[return-value]
        [torch.tensor(row, dtype=torch.float64, requires_grad=True)] for row in data
    )


def w1_sum(a: list[Any], b: list[Any], c: list[Any]) -> Any:
    """y = Σ tanh(a_i·b_i + c_i) with Python's sum(): a chain of N + nodes."""
    return sum((ai * bi + ci).tanh() for ai, bi, ci in zip(a, b, c))


def w1_vsum(lib: Library) -> Callable[[list[Any], list[Any], list[Any]], Any]:
    """y = Σ tanh(a_i·b_i + c_i) with that version's vsum: one n-ary sum node."""

    def build(a: list[Any], b: list[Any], c: list[Any]) -> Any:
        return lib.vsum([(ai * bi + ci).tanh() for ai, bi, ci in zip(a, b, c)])

    return build


def w1_torch_scalar(a: list[Any], b: list[Any], c: list[Any]) -> Any:
    torch = torch_module()
    return sum(torch.tanh(ai * bi + ci) for ai, bi, ci in zip(a, b, c))


def w1_torch_vectorized(a: list[Any], b: list[Any], c: list[Any]) -> Any:
    torch = torch_module()
    return torch.tanh(a[0] * b[0] + c[0]).sum()


def w1_expected(n: int, seed: int = 0) -> tuple[float, np.ndarray]:
    """y and (dy/da, dy/db, dy/dc) stacked, in numpy."""
    a, b, c = np.random.default_rng(seed).uniform(-1, 1, (3, n))
    t = np.tanh(a * b + c)
    d = 1 - t * t
    return float(t.sum()), np.concatenate([d * b, d * a, d])


def chain(x: Any, depth: int) -> Any:
    """W3: x <- 0.999·x + 0.001, depth times (a graph 2·depth nodes deep)."""
    for _ in range(depth):
        x = x * 0.999 + 0.001
    return x


def chain_expected(x0: float, depth: int) -> tuple[float, float]:
    """x_depth = 1 + (x0 - 1)·0.999^depth and d x_depth / d x0 = 0.999^depth."""
    g = math.pow(0.999, depth)
    return 1 + (x0 - 1) * g, g
