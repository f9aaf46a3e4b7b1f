"""From microgradnet to PyTorch and back: the same network, the same numbers, checked.

    to_torch(model)                  an equivalent torch.nn.Sequential (float64, same weights)
    from_torch(torch_model, model)   copy the weights back into the microgradnet model
    compare_with_torch(f, inputs)    f and its gradients by both engines, side by side

Layers map to ``torch.nn.Linear`` (weight[j, i] is neuron j's w[i], bias[j] its b) followed by
the activation: a ``TorchOp`` module calling the PyTorch function its op record names
(``torch.tanh``, ``torch.nn.functional.gelu``, ``leaky_relu`` with the layer's alpha; a custom
op's ``define_op(..., torch=...)``); a model whose activation has no PyTorch counterpart is
refused, naming the op. ``Dropout`` maps to ``torch.nn.Dropout``. Both engines agree at the
kinks: relu'(0) = 0, leaky_relu'(0) = alpha.

PyTorch is optional: install it with the ``torch`` extra (``pip install microgradnet[torch]``;
on Linux prefer the CPU-only wheel). Nothing here imports it until a function is called.

References: torch.nn.Linear, torch.nn.Sequential, torch.autograd.grad.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ._args import real_number
from ._format import markdown_text
from .engine import Value, gradients
from .nn import MLP, Dropout, Layer, Module, Sequential
from .optable import OPS, Op

# (microgradnet parameter, torch parameter, index into it): one row per number
Pairs = list[tuple[Value, Any, tuple[int, ...]]]


def to_torch(model: Module) -> Any:
    """The equivalent ``torch.nn.Sequential`` in float64, holding a copy of model's weights."""
    return _export(_module(model, "to_torch: model"))[0]


def from_torch(torch_model: Any, model: Module) -> Module:
    """Copy torch_model's weights (as made by to_torch, perhaps trained since) into model.

    The two must have the same layers and shapes; the error names the first that differs.
    Every weight must be a finite number, as ``Module.load_state_dict`` requires: a NaN or an
    infinity is refused, naming the parameters, and model is left unchanged. Returns model.
    """
    torch = _torch()
    _module(model, "from_torch: model")
    if not isinstance(torch_model, torch.nn.Module):
        raise TypeError(
            "from_torch: torch_model must be a torch.nn.Module (such as to_torch(model) "
            f"returns), got {type(torch_model).__name__}"
        )
    template, pairs = _export(model)
    mine = list(template.named_parameters())
    theirs = list(torch_model.named_parameters())
    if [(n, tuple(p.shape)) for n, p in mine] != [(n, tuple(p.shape)) for n, p in theirs]:
        expected = ", ".join(f"{n} {tuple(p.shape)}" for n, p in mine)
        got = ", ".join(f"{n} {tuple(p.shape)}" for n, p in theirs)
        raise ValueError(
            f"from_torch: the torch model has parameters [{got}], model needs [{expected}]"
        )
    by_template = {id(p): q.detach() for (_, p), (_, q) in zip(mine, theirs)}
    names = {id(v): name for name, v in model.named_parameters()}
    state = {names[id(v)]: by_template[id(p)][index].item() for v, p, index in pairs}
    try:
        model.load_state_dict(state)  # checks every value first: all or nothing
    except ValueError as e:
        raise ValueError(f"from_torch: {str(e).removeprefix('load_state_dict: ')}") from None
    return model


@dataclass(frozen=True)
class TorchComparison:
    """f and its gradients by microgradnet and by torch.autograd, side by side.

    ``rows`` holds (name, microgradnet, torch) for the value and each gradient;
    ``largest_difference`` the largest |microgradnet − torch| among them.
    """

    rows: tuple[tuple[str, float, float], ...]
    largest_difference: float

    def __str__(self) -> str:
        width = max(len(name) for name, _, _ in self.rows)
        lines = [f"{'':{width}}  {'microgradnet':>22}  {'torch':>22}  {'difference':>10}"]
        lines += [
            f"{name:{width}}  {a:22.16g}  {b:22.16g}  {_difference(a, b):10.2g}"
            for name, a, b in self.rows
        ]
        lines.append(f"largest difference: {self.largest_difference:.3g}")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        body = "\n".join(
            f"| {markdown_text(name)} | {a!r} | {b!r} | {_difference(a, b):.2g} |"
            for name, a, b in self.rows
        )
        return (
            "| | microgradnet | torch | difference |\n|---|---|---|---|\n"
            f"{body}\n\nlargest difference: {self.largest_difference:.3g}\n"
        )


def compare_with_torch(
    f: Callable[..., Any],
    inputs: Sequence[float] | Module,
    torch_f: Callable[..., Any] | None = None,
) -> TorchComparison:
    """Compute f and its gradients with microgradnet and with torch.autograd (float64).

    With numbers as inputs, f gets Values and then torch tensors (torch_f, if given, gets the
    tensors instead: for code that calls functions torch tensors lack as methods). With a
    model, f(model) gives the loss, torch_f(to_torch(model)) the torch loss, and the gradients
    are compared parameter by parameter, under the model's parameter names.
    """
    torch = _torch()
    for name, g in (("f", f), ("torch_f", torch_f)):
        if not (callable(g) or (g is None and name == "torch_f")):
            raise TypeError(
                f"compare_with_torch: {name} must be a function, got {type(g).__name__}"
            )
    tf = f if torch_f is None else torch_f
    if isinstance(inputs, Module):
        if torch_f is None:
            raise TypeError(
                "compare_with_torch: with a model, pass torch_f, the same loss for the "
                "torch.nn.Sequential (f(model) builds Values, torch_f(net) tensors)"
            )
        net, pairs = _export(inputs)
        loss = f(inputs)
        names = {id(v): n for n, v in inputs.named_parameters()}
        values = [v for v, _, _ in pairs]
        ours = gradients(_value(loss, "f(model)"), values)
        torch_loss = tf(net)
        torch_loss.backward()
        theirs = [float(p.grad[index]) for _, p, index in pairs]
        labels = [f"∂f/∂{names.get(id(v), v.label or '?')}" for v in values]
        value, torch_value = loss.data, float(torch_loss.detach())
    else:
        numbers = _numbers(inputs)
        xs = [Value(x) for x in numbers]
        loss = _value(f(*xs), "f")
        ours = gradients(loss, xs)
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in numbers]
        torch_loss = tf(*ts)
        grads = torch.autograd.grad(torch_loss, ts, allow_unused=True)
        theirs = [0.0 if g is None else float(g) for g in grads]
        labels = [f"∂f/∂{n}" for n in _argument_names(f, len(xs))]
        value, torch_value = loss.data, float(torch_loss.detach())
    rows = [("f", value, torch_value), *zip(labels, map(float, ours), theirs)]
    largest = max((_difference(a, b) for _, a, b in rows), key=lambda d: (math.isnan(d), d))
    return TorchComparison(tuple(rows), largest)


def _difference(a: float, b: float) -> float:
    """|a − b|, with 0 where both engines give the same number, inf or nan (inf − inf is nan,
    but inf against inf is agreement)."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    return abs(a - b)


def _numbers(inputs: object) -> list[float]:
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(
            "compare_with_torch: inputs must be a sequence of numbers or a microgradnet model, "
            f"got {type(inputs).__name__}"
        )
    return [real_number(x, f"compare_with_torch: inputs[{i}]") for i, x in enumerate(inputs)]


def _module(model: object, where: str) -> Module:
    if not isinstance(model, Module):
        raise TypeError(f"{where} must be a microgradnet Module, got {type(model).__name__}")
    return model


# -- building the torch model -------------------------------------------------------------------


def _export(model: Module) -> tuple[Any, Pairs]:
    """The torch.nn.Sequential for model and which torch number each parameter became."""
    torch = _torch()
    modules: list[Any] = []
    pairs: Pairs = []
    stack: list[Module] = [model]
    while stack:  # depth-first over nested Sequential and MLP, in order
        m = stack.pop()
        if isinstance(m, (Sequential, MLP)):
            stack.extend(reversed(m.layers))
        elif isinstance(m, Layer):
            modules += _linear(torch, m, pairs)
        elif isinstance(m, Dropout):
            modules.append(torch.nn.Dropout(m.p))
        else:
            raise TypeError(
                f"to_torch: {type(m).__name__} has no torch counterpart here; "
                "supported: Layer, MLP, Dropout and Sequential of them"
            )
    return torch.nn.Sequential(*modules), pairs


def _linear(torch: Any, layer: Layer, pairs: Pairs) -> list[Any]:
    neurons, f64 = layer.neurons, torch.float64
    bias = neurons[0].b is not None
    linear = torch.nn.Linear(layer.nin, layer.nout, bias=bias, dtype=f64)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=f64))
        if bias:
            biases = [n.b.data for n in neurons if n.b is not None]
            linear.bias.copy_(torch.tensor(biases, dtype=f64))
    for j, neuron in enumerate(neurons):
        pairs += [(w, linear.weight, (j, i)) for i, w in enumerate(neuron.w)]
        if neuron.b is not None:
            pairs.append((neuron.b, linear.bias, (j,)))
    if layer.activation == "linear":
        return [linear]
    return [linear, _activation(torch, layer)]


def _activation(torch: Any, layer: Layer) -> Any:
    """The layer's activation as a TorchOp: the function its op record names, with the op's
    parameters read from the layer's attributes of the same names (leaky_relu's alpha)."""
    op: Op | None = OPS.get(layer.activation)
    if op is None or not op.torch:
        raise ValueError(
            f"to_torch: the activation {layer.activation!r} has no PyTorch counterpart; give "
            f"define_op the torch= name of the PyTorch function that computes it (such as "
            f"torch='nn.functional.softsign')"
        )
    function: Any = torch
    for part in op.torch.split("."):
        function = getattr(function, part, None)
    if not callable(function):
        raise ValueError(
            f"to_torch: the activation {layer.activation!r} names torch.{op.torch}, which this "
            f"PyTorch ({torch.__version__}) does not have"
        )
    params = []
    for p in op.params:
        value = getattr(layer, p.name, p.default)
        if value is None:
            raise ValueError(
                f"to_torch: the activation {layer.activation!r} needs its parameter {p.name}, "
                "which the layer does not hold"
            )
        params.append(float(value))
    return _torch_op_class(torch)(function, op.torch, tuple(params), dict(op.torch_kwargs))


@functools.cache
def _torch_op_class(torch: Any) -> Any:
    """TorchOp, a torch.nn.Module applying torch.<path>(x, *params, **kwargs) (made when torch
    is first needed, so importing this module does not import torch)."""

    class TorchOp(torch.nn.Module):  # type: ignore[misc]
        """An op of microgradnet's op table as a PyTorch module: torch.<path>(x, *params)."""

        def __init__(
            self, function: Any, path: str, params: tuple[float, ...], kwargs: dict[str, Any]
        ) -> None:
            super().__init__()
            self.function, self.path, self.params, self.kwargs = function, path, params, kwargs

        def forward(self, x: Any) -> Any:
            return self.function(x, *self.params, **self.kwargs)

        def extra_repr(self) -> str:
            extra = [repr(p) for p in self.params] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
            return ", ".join([f"torch.{self.path}", *extra])

    return TorchOp


def _value(out: Any, where: str) -> Value:
    if not isinstance(out, Value):
        raise TypeError(
            f"compare_with_torch: {where} must return a Value, got {type(out).__name__}"
        )
    return out


def _argument_names(f: Callable[..., Any], n: int) -> list[str]:
    from .transforms import argument_name, parameter_names

    names = parameter_names(f)
    return [argument_name(names, i, n) for i in range(n)]


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "microgradnet.torch_bridge needs PyTorch: pip install 'microgradnet[torch]' "
            "(on Linux, the CPU-only wheel from PyTorch's CPU index is enough)"
        ) from None
    return torch
