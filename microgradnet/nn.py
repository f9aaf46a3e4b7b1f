"""Neural networks built from Values: Module, Neuron, Layer, MLP, Sequential, BatchNorm1d, Dropout.

A Neuron computes its pre-activation z = Σ w_i·x_i + b as ONE fused ``dot`` node of the engine,
then its activation (relu, tanh, sigmoid, leaky_relu or none), so a network's graph has about
two nodes per neuron and every gradient of the lecture notes can be read off it: ``z.grad`` is
the error delta_j of the notes' derivation of the layer formulas, ``w.grad`` is
dJ/dW_jk = delta_j·a_k.

Calling conventions
- Per-sample modules (Neuron, Layer, MLP, Dropout, Sequential) take one sample: a list (or numpy
  row, or for one input a number) of numbers or Values. ``forward(x)`` always returns a list of
  Values; ``module(x)`` returns the same list, or a single Value when the output width is 1 (as
  micrograd does), so ``loss = (mlp(x) - y) ** 2`` works for a one-output network.
- ``forward_batch(X)`` takes a batch (a list of samples) and returns one output list per sample.
  Per-sample modules map ``forward`` over the batch; BatchNorm1d needs the whole batch, so
  Sequential.forward_batch hands the batch to each module in turn: per-sample modules see each
  sample, BatchNorm1d sees them all. ``BatchNorm1d(batch)`` itself takes a batch. Called on one
  sample (``Sequential(...)(x)``), BatchNorm1d works in eval mode only (running estimates).
- Parameters are named as in PyTorch, by attribute path: ``layers.0.neurons.3.w.1`` is weight 1
  of neuron 3 of layer 0, ``layers.0.neurons.3.b`` its bias; every parameter's ``label`` is its
  name (set when a module is constructed), so a drawn graph reads by these names.
- state_dict() holds parameters and buffers (BatchNorm1d's running estimates) as name -> float;
  save / load write and read it as JSON, atomically, never with pickle.

References: karpathy/micrograd nn.py (Neuron, Layer, MLP; init "uniform"), PyTorch torch.nn
(Module, named_parameters, state_dict, BatchNorm1d, Dropout, Sequential), He et al. 2015 and
Glorot & Bengio 2010 (init "he", "xavier"); the notes' detailed derivation of the layer
formulas (layers and batch norm).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import reprlib
import stat
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from numbers import Real
from typing import Any, NamedTuple

import numpy as np

from . import ops
from ._args import positive_int as _positive_int
from ._args import real as _real
from ._args import seed as _seed
from ._files import file_kind, replace_file
from .engine import Constant, Value, dot, linear_batch, vsum

# the built-in activations; any other one-operand op of the table (ops.OPS), a custom op from
# define_op included, is accepted by name too
ACTIVATIONS = (*(op.name for op in ops.OPS.values() if op.activation), "linear")
INITS = ("he", "xavier", "uniform")
STATE_FORMAT = "microgradnet.state_dict"
STATE_VERSION = 1
MAX_STATE_BYTES = 256 * 2**20  # load refuses larger files (some 5 million numbers)
MAX_INT_DIGITS = 400  # load refuses longer integers: no float has more than 309 digits

Seed = int | np.random.Generator | None
Activation = Callable[[Value], Value] | None


class LoadResult(NamedTuple):
    """What load_state_dict(strict=False) skipped: keys the model has and keys it does not."""

    missing_keys: list[str]
    unexpected_keys: list[str]


# -- the structure cache ------------------------------------------------------------------------
# named_modules(), named_parameters() and parameters() are cached per module. Every change to
# the structure of any module gives _structure a fresh number, which invalidates every cache:
# assigning or deleting a public attribute that holds (or held) a Module, a Value, a list or a
# tuple; changing a list held in such an attribute (append, item assignment, ...); load and
# load_state_dict. Lists assigned to public attributes are kept as _TrackedList for that.

_VERSIONS = itertools.count(1)
_structure = 0


def _structure_changed() -> None:
    global _structure
    _structure = next(_VERSIONS)


def _changing(method: str) -> Callable[..., Any]:
    base = getattr(list, method)

    def changed(self: list[Any], *args: Any, **kwargs: Any) -> Any:
        _structure_changed()
        return base(self, *args, **kwargs)

    changed.__name__ = method
    return changed


class _TrackedList(list):  # type: ignore[type-arg]
    """A list held by a module: any change to it invalidates the modules' structure caches."""


for _method in (
    "__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert", "pop",
    "remove", "clear", "sort", "reverse",
):  # fmt: skip
    setattr(_TrackedList, _method, _changing(_method))


_Structure = tuple[int, int, list[tuple[str, "Module"]], list[tuple[str, Value]], list[Value]]


def _structural(x: object) -> bool:
    return isinstance(x, Module | Value | list | tuple)


class _Labelled(type):
    """Metaclass: once any module is constructed, label its parameters by their names."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        module = super().__call__(*args, **kwargs)
        module.label_parameters()
        return module


class Module(metaclass=_Labelled):
    """Base class: parameters, names, train/eval mode, state_dict, save and load.

    A subclass stores parameters (Values) and submodules as attributes, alone or in lists, and
    defines ``forward(x) -> list[Value]``. Attributes whose names start with "_" are private and
    not walked. Buffers (non-trained numbers in the state) are lists of floats named in
    ``_buffer_names``.

    The structure (named_modules, named_parameters, parameters) is cached. The cache is
    invalidated by assigning or deleting a public attribute that holds or held a Module, a
    Value, a list or a tuple; by changing such a list in place (``layers.append(m)``,
    ``w[0] = Value(1.0)``: lists assigned to attributes are kept as a list subclass that
    notices); and by load and load_state_dict. Writing ``vars(module)`` directly, or changing
    a list nested inside another list, is not noticed.
    """

    training: bool = True
    _buffer_names: tuple[str, ...] = ()
    _nonnegative_buffers: tuple[str, ...] = ()
    _cache: _Structure

    def __setattr__(self, name: str, value: Any) -> None:
        """Set an attribute; a structural one (a Module, Value, list or tuple) invalidates the
        structure caches, and a list is kept as a list that invalidates them when changed."""
        if not name.startswith("_") and name not in self._buffer_names:
            if type(value) is list:
                value = _TrackedList(value)
            if _structural(value) or _structural(vars(self).get(name)):
                _structure_changed()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if not name.startswith("_") and _structural(vars(self).get(name)):
            _structure_changed()
        object.__delattr__(self, name)

    def __call__(self, x: Any) -> Any:
        """Run forward on one sample; a single Value when the output width is 1."""
        return _unwrap(self.forward(x))

    def forward(self, x: Any) -> list[Value]:
        """One sample in, the list of output Values out."""
        if type(self).__call__ is not Module.__call__:
            return _as_list(self(x))
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    def forward_batch(self, batch: Sequence[Any]) -> list[list[Value]]:
        """A batch (a list of samples) in, one output list per sample out."""
        return [self.forward(x) for x in _samples(batch, self)]

    # -- parameters and names ------------------------------------------------------------------

    def named_modules(self) -> list[tuple[str, Module]]:
        """Every module once, self first (name ""), depth first in attribute order."""
        return list(self._structure()[2])

    def _structure(self) -> _Structure:
        """(version, id, named modules, named parameters, parameters), cached until the
        structure of any module changes (the class docstring says what invalidates it)."""
        cache: _Structure | None = vars(self).get("_cache")
        if cache is not None and cache[0] == _structure and cache[1] == id(self):
            return cache
        version = _structure  # read first: a change during the walk leaves the cache stale
        modules = self._walk_modules()
        named = self._walk_parameters(modules)
        cache = (version, id(self), modules, named, [p for _, p in named])
        self._cache = cache
        return cache

    def _walk_modules(self) -> list[tuple[str, Module]]:
        out: list[tuple[str, Module]] = []
        seen: set[Module] = set()
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            name, module = stack.pop()
            if module in seen:
                continue
            seen.add(module)
            out.append((name, module))
            children = [
                (f"{name}.{key}" if name else key, obj)
                for key, obj in module._members()
                if isinstance(obj, Module)
            ]
            stack.extend(reversed(children))
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(dotted name, parameter) pairs, each parameter once: a module's own, then its
        children's, as in PyTorch. Parameters are the leaf Values held in attributes
        (Constants and computed nodes are not trained)."""
        return list(self._structure()[3])

    @staticmethod
    def _walk_parameters(modules: list[tuple[str, Module]]) -> list[tuple[str, Value]]:
        out: list[tuple[str, Value]] = []
        seen: set[Value] = set()
        for prefix, module in modules:
            for key, obj in module._members():
                if (
                    isinstance(obj, Value)
                    and type(obj) is not Constant
                    and not obj.children
                    and obj not in seen
                ):
                    seen.add(obj)
                    out.append((f"{prefix}.{key}" if prefix else key, obj))
        return out

    def parameters(self) -> list[Value]:
        """The trainable leaf Values, in named_parameters order (a new list each call)."""
        return list(self._structure()[4])

    def label_parameters(self) -> None:
        """Set every parameter's label to its dotted name (done on construction) and record
        where each parameter lives in self (parameter_place)."""
        for name, p in self.named_parameters():
            p.label = name
        places = {id(m): i for i, (_, m) in enumerate(self.named_modules())}
        model = next(_MODELS)
        for p, path in self.parameter_owners().items():
            modules = tuple(
                ModulePlace(n, places[id(m)], type(m).__name__, str(getattr(m, "activation", "")))
                for n, m in path
            )
            _PLACES[p] = ParameterPlace(model, modules)

    def parameter_owners(self) -> dict[Value, list[tuple[str, Module]]]:
        """Each parameter -> the modules holding it, self first (name ""), each with its dotted
        name: for an MLP's weight, [("", mlp), ("layers.0", layer), ("layers.0.neurons.3",
        neuron)]. Readers of the graph (drawings, step texts) use it instead of labels."""
        owners: dict[Value, list[tuple[str, Module]]] = {}
        stack: list[list[tuple[str, Module]]] = [[("", self)]]
        while stack:
            path = stack.pop()
            name, module = path[-1]
            for key, obj in reversed(list(module._members())):
                full = f"{name}.{key}" if name else key
                if isinstance(obj, Module):
                    if all(obj is not m for _, m in path):
                        stack.append([*path, (full, obj)])
                elif isinstance(obj, Value) and type(obj) is not Constant and not obj.children:
                    owners.setdefault(obj, path)
        return owners

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0."""
        for p in self._structure()[4]:
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Set training mode (batch statistics, dropout on) on self and all submodules."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) must be a bool, got {type(mode).__name__}")
        for _, module in self.named_modules():
            module.training = mode
        return self

    def replay_problem(self, training: bool) -> str | None:
        """Why this module's graph cannot be recorded once and replayed for every sample (the
        compiled path), in the given mode; None if it can. Modules that take Python decisions
        from the data while building the graph override it."""
        return None

    def eval(self) -> Module:
        """Set evaluation mode (running statistics, dropout off); same as train(False)."""
        return self.train(False)

    # -- state -----------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """Parameters and buffers by name, as plain floats."""
        state = {name: p.data for name, p in self.named_parameters()}
        for name, (values, k, _) in self._named_buffer_slots():
            state[name] = values[k]
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy values from state into the parameters and buffers.

        Every value must be a finite number (running variances also >= 0). With strict, the
        keys must match exactly. Any error is raised before anything is written, and names the
        keys at fault, so a failed load changes nothing.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state).__name__}")
        _structure_changed()
        params = dict(self.named_parameters())
        buffers = dict(self._named_buffer_slots())
        expected = params.keys() | buffers.keys()
        missing = sorted(expected - state.keys(), key=_natural)
        unexpected = sorted((str(k) for k in state.keys() - expected), key=_natural)
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {_listing(missing)}")
            if unexpected:
                parts.append(f"unexpected keys {_listing(unexpected)}")
            raise ValueError(f"load_state_dict: {' and '.join(parts)} for {type(self).__name__}")
        values: dict[str, float] = {}
        bad = []
        for key in sorted(expected & state.keys(), key=_natural):
            value = state[key]
            if isinstance(value, bool) or not isinstance(value, Real) or not _finite(value):
                bad.append(f"{key}={_describe(value)}")
            elif key in buffers and buffers[key][2] and value < 0:
                bad.append(f"{key}={value!r} (must be >= 0)")
            else:
                values[key] = float(value)
        if bad:
            raise ValueError(
                f"load_state_dict: values must be finite numbers; bad entries: {_listing(bad)}"
            )
        for key, value in values.items():
            if key in params:
                params[key].data = value
            else:
                slot, k, _ = buffers[key]
                slot[k] = value
        return LoadResult(missing, unexpected)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write state_dict() to path as JSON, atomically (a temporary file beside it, a rename).

        A new file gets the usual mode (0o666 less the umask), an existing one keeps its mode,
        and a symlink is written through to the file it points to (the link stays a link).
        Anything else that is not a regular file (a directory, device, FIFO or socket) is
        refused with a ValueError before anything is written. A failed write raises OSError
        naming path and leaves the old file as it was.
        """
        state = self.state_dict()
        bad = [k for k, v in state.items() if not math.isfinite(v)]
        if bad:
            raise ValueError(f"save: non-finite values cannot be saved: {_listing(bad)}")
        document = {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "model": type(self).__name__,
            "state": state,
        }
        replace_file(path, json.dumps(document, indent=1))

    def load(self, path: str | os.PathLike[str], strict: bool = True) -> LoadResult:
        """Read a file written by save() into this model; a bad file changes nothing.

        Every bad file raises ValueError naming path and what is wrong: not a regular file,
        larger than MAX_STATE_BYTES, not UTF-8 JSON, nested too deeply, an integer longer than
        MAX_INT_DIGITS, not a state file of this version, or keys and values load_state_dict
        refuses. A file that cannot be opened raises OSError (FileNotFoundError, ...).
        """
        shown = repr(os.fspath(path))
        document = _read_json(path, shown)
        if not (
            isinstance(document, dict)
            and document.get("format") == STATE_FORMAT
            and isinstance(document.get("state"), dict)
        ):
            raise ValueError(
                f"load: {shown} is not a microgradnet state file "
                f"(expected a JSON object with format {STATE_FORMAT!r} and a 'state' object)"
            )
        version = document.get("version")
        if type(version) is not int or version != STATE_VERSION:
            raise ValueError(
                f"load: {shown} has version {_describe(version)}; "
                f"this microgradnet reads version {STATE_VERSION}"
            )
        try:
            return self.load_state_dict(document["state"], strict=strict)
        except ValueError as e:
            raise ValueError(f"load: {shown}: {str(e).removeprefix('load_state_dict: ')}") from None

    # -- internals -------------------------------------------------------------------------------

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(name, object) for public attributes, list items named attr.i."""
        for attr, obj in vars(self).items():
            if attr.startswith("_") or attr in self._buffer_names:
                continue
            if isinstance(obj, list | tuple):
                for i, item in enumerate(obj):
                    yield f"{attr}.{i}", item
            else:
                yield attr, obj

    def _named_buffer_slots(self) -> list[tuple[str, tuple[list[float], int, bool]]]:
        """(name, (the buffer list, index, must be >= 0)) for every buffer entry."""
        out = []
        for prefix, module in self.named_modules():
            for attr in module._buffer_names:
                values = getattr(module, attr)
                base = f"{prefix}.{attr}" if prefix else attr
                nonneg = attr in module._nonnegative_buffers
                out += [(f"{base}.{k}", (values, k, nonneg)) for k in range(len(values))]
        return out

    def _where(self) -> str:
        """The module's type and, inside a model, its name there (read off its labels)."""
        named = self.named_parameters()
        name = ""
        if named:
            relative, p = named[0]
            if p.label.endswith("." + relative):
                name = p.label[: -len(relative) - 1]
        return f"{type(self).__name__} {name!r}" if name else type(self).__name__


class Neuron(Module):
    """z = Σ w_i·x_i + b (one ``dot`` node), then the activation: a = f(z).

    init: "he" N(0, 2/nin) (as the lecture notes use it), "xavier" U(±sqrt(6/(nin + fan_out))),
    "uniform" U(-1, 1) (micrograd); the bias starts at 0. alpha is leaky_relu's negative slope.
    """

    def __init__(
        self,
        nin: int,
        activation: str | None = "relu",
        bias: bool = True,
        *,
        init: str = "he",
        seed: Seed = None,
        alpha: float = 0.01,
        fan_out: int = 1,
    ) -> None:
        nin = _positive_int(nin, "Neuron(nin)")
        self.activation = _activation_name(activation, "Neuron")
        self.alpha = _alpha(alpha, "Neuron")
        weights = _init_weights(_rng(seed, "Neuron"), nin, _positive_int(fan_out, "fan_out"), init)
        self.w = [Value(w) for w in weights]
        self.b = Value(0.0) if bias else None
        self._act = _activation(self.activation, self.alpha)

    def forward(self, x: Any) -> list[Value]:
        xs = _inputs(x, len(self.w), self)
        z = dot(self.w, xs, self.b)
        return [z if self._act is None else self._act(z)]

    def __repr__(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        return f"Neuron({len(self.w)}, {self.activation}{bias})"


class Layer(Module):
    """nout neurons reading the same nin inputs: a = f(W x + b)."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "relu",
        bias: bool = True,
        *,
        init: str = "he",
        seed: Seed = None,
        alpha: float = 0.01,
    ) -> None:
        self.nin = _positive_int(nin, "Layer(nin)")
        self.nout = _positive_int(nout, "Layer(nout)")
        self.activation = _activation_name(activation, "Layer")
        self.alpha = _alpha(alpha, "Layer")
        rng = _rng(seed, "Layer")
        self.neurons = [
            Neuron(nin, self.activation, bias, init=init, seed=rng, alpha=alpha, fan_out=nout)
            for _ in range(self.nout)
        ]
        self._act = _activation(self.activation, self.alpha)

    def forward(self, x: Any) -> list[Value]:
        return self._forward([_inputs(x, self.nin, self)])[0]

    def forward_batch(self, batch: Sequence[Any]) -> list[list[Value]]:
        return self._forward([_inputs(x, self.nin, self) for x in _samples(batch, self)])

    def _forward(self, rows: list[list[Value]]) -> list[list[Value]]:
        """Samples already Values of the right width: one dot node per neuron each, then f."""
        neurons = self.neurons
        biases = [n.b for n in neurons if n.b is not None] or None
        zs = linear_batch([n.w for n in neurons], rows, biases)
        act = self._act
        return zs if act is None else [[act(z) for z in row] for row in zs]

    def __repr__(self) -> str:
        bias = "" if self.neurons[0].b is not None else ", bias=False"
        return f"Layer({self.nin}, {self.nout}, {self.activation}{bias})"


class MLP(Module):
    """A multilayer perceptron: Layer(nin, nouts[0]), Layer(nouts[0], nouts[1]), ...

    Hidden layers use ``activation`` (one name, or one per hidden layer), the last layer
    ``output_activation`` (None: linear, as in micrograd, for logits or regression).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Sequence[str | None] | None = "relu",
        output_activation: str | None = None,
        bias: bool = True,
        *,
        init: str = "he",
        seed: Seed = None,
        alpha: float = 0.01,
    ) -> None:
        nin = _positive_int(nin, "MLP(nin)")
        if isinstance(nouts, int | str) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP(nouts) must be a non-empty list of layer widths, got {nouts!r}")
        sizes = [nin] + [_positive_int(n, "MLP(nouts)") for n in nouts]
        hidden = len(nouts) - 1
        if activation is None or isinstance(activation, str):
            acts: list[str | None] = [activation] * hidden
        else:
            acts = list(activation)
            if len(acts) != hidden:
                raise ValueError(
                    f"MLP(activation): needs one activation per hidden layer ({hidden}), "
                    f"got {len(acts)}"
                )
        acts.append(output_activation)
        rng = _rng(seed, "MLP")
        self.layers = [
            Layer(sizes[i], sizes[i + 1], acts[i], bias, init=init, seed=rng, alpha=alpha)
            for i in range(len(nouts))
        ]

    def forward(self, x: Any) -> list[Value]:
        return self._forward([_inputs(x, self.layers[0].nin, self)])[0]

    def forward_batch(self, batch: Sequence[Any]) -> list[list[Value]]:
        nin = self.layers[0].nin
        return self._forward([_inputs(x, nin, self) for x in _samples(batch, self)])

    def _forward(self, rows: list[list[Value]]) -> list[list[Value]]:
        for layer in self.layers:
            rows = layer._forward(rows)
        return rows

    def __repr__(self) -> str:
        acts = [layer.activation for layer in self.layers]
        widths = [layer.nout for layer in self.layers]
        return f"MLP({self.layers[0].nin}, {widths}, activations={acts})"


class Dropout(Module):
    """Inverted dropout: in training each input is zeroed with probability p and the others are
    scaled by 1/(1 - p) (one ``*`` node each, so the mask shows in the graph); identity in eval.
    """

    def __init__(self, p: float = 0.5, *, seed: Seed = None) -> None:
        self.p = _real(p, "Dropout(p)", lambda v: 0 <= v <= 1, "a probability in [0, 1]")
        self._rng = _rng(seed, "Dropout")

    def forward(self, x: Any) -> list[Value]:
        xs = _inputs(x, None, self)
        if not self.training or self.p == 0:
            return xs
        keep = 0.0 if self.p == 1 else 1 / (1 - self.p)
        dropped = self._rng.random(len(xs)) < self.p
        return [v * (0.0 if d else keep) for v, d in zip(xs, dropped.tolist())]

    def replay_problem(self, training: bool) -> str | None:
        if training and self.p > 0:
            return (
                "draws a dropout mask while the graph is built, and a replay would reuse that "
                "one mask for every sample"
            )
        return None

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class BatchNorm1d(Module):
    """Batch normalization over a batch of samples with num_features values each (as in the notes'
    derivation of the layer formulas).

    Training: per feature k, mu = mean over the batch, var = biased batch variance,
    z_hat = (z - mu) / sqrt(var + eps), out = gamma_k·z_hat + beta_k, all in the graph (so
    gradients flow through mu and var); the running estimates move by ``momentum`` toward mu and
    the unbiased variance (PyTorch's convention). Eval: mu and var are the running estimates.
    """

    _buffer_names = ("running_mean", "running_var")
    _nonnegative_buffers = ("running_var",)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        self.num_features = _positive_int(num_features, "BatchNorm1d(num_features)")
        self.eps = _real(eps, "BatchNorm1d(eps)", lambda v: 0 < v < math.inf, "a finite number > 0")
        self.momentum = _real(momentum, "BatchNorm1d(momentum)", lambda v: 0 <= v <= 1, "in [0, 1]")
        self.gamma = [Value(1.0) for _ in range(self.num_features)]
        self.beta = [Value(0.0) for _ in range(self.num_features)]
        self.running_mean = [0.0] * self.num_features
        self.running_var = [1.0] * self.num_features

    def __call__(self, batch: Any) -> list[list[Value]]:
        """Normalize a batch (a list of samples): the module works on whole batches."""
        return self.forward_batch(batch)

    def forward(self, x: Any) -> list[Value]:
        """One sample, with the running estimates: eval mode only."""
        if self.training:
            raise ValueError(
                f"{self._where()}: in training mode batch norm needs the whole batch; call "
                "forward_batch(batch) (Sequential.forward_batch does) or switch to eval()"
            )
        return self._normalize_eval([_inputs(x, self.num_features, self)])[0]

    def forward_batch(self, batch: Sequence[Any]) -> list[list[Value]]:
        rows = [_inputs(x, self.num_features, self) for x in _samples(batch, self)]
        if not self.training:
            return self._normalize_eval(rows)
        m = len(rows)
        if m < 2:
            raise ValueError(
                f"{self._where()}: training needs a batch of at least 2 samples, got {m} "
                "(the batch variance of one sample is 0)"
            )
        out: list[list[Value]] = [[] for _ in rows]
        for k in range(self.num_features):
            column = [row[k] for row in rows]
            mu = vsum(column) / m
            centred = [z - mu for z in column]
            var = dot(centred, centred) / m  # biased: (1/m) Σ (z - mu)^2
            inv_std = (var + self.eps) ** -0.5
            gamma, beta = self.gamma[k], self.beta[k]
            for row_out, c in zip(out, centred):
                row_out.append(gamma * (c * inv_std) + beta)
            r = self.momentum
            self.running_mean[k] = (1 - r) * self.running_mean[k] + r * mu.data
            self.running_var[k] = (1 - r) * self.running_var[k] + r * var.data * m / (m - 1)
        return out

    def _normalize_eval(self, rows: list[list[Value]]) -> list[list[Value]]:
        scale = [1 / math.sqrt(v + self.eps) for v in self.running_var]
        mean, gamma, beta = self.running_mean, self.gamma, self.beta
        return [
            [gamma[k] * ((z - mean[k]) * scale[k]) + beta[k] for k, z in enumerate(row)]
            for row in rows
        ]

    def replay_problem(self, training: bool) -> str | None:
        if training:
            return (
                "normalizes with batch statistics in training mode, which a graph replayed "
                "sample by sample cannot compute"
            )
        return None

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps}, momentum={self.momentum})"


class Sequential(Module):
    """Modules applied in order; stored in ``layers``, so names read ``layers.2.neurons.0.w.1``.

    ``forward(x)`` runs one sample through every module (BatchNorm1d then needs eval mode);
    ``forward_batch(X)`` runs a batch, each per-sample module on every sample and BatchNorm1d
    on the whole batch, which is what training with batch norm needs.
    """

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
        if not modules:
            raise ValueError("Sequential: needs at least one module")
        self.layers = list(modules)

    def forward(self, x: Any) -> list[Value]:
        xs: Any = x
        for module in self.layers:
            xs = module.forward(xs)
        return list(xs)

    def forward_batch(self, batch: Sequence[Any]) -> list[list[Value]]:
        rows: Any = _samples(batch, self)
        for module in self.layers:
            rows = module.forward_batch(rows)
        return list(rows)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self.layers))
        return f"Sequential({inner}\n)"


# -- helpers ------------------------------------------------------------------------------------


class ModulePlace(NamedTuple):
    """A module inside its model: dotted name ("" for the model), place in named_modules()
    order (neurons of a layer in index order), class name, activation (if it has one)."""

    name: str
    place: int
    kind: str
    activation: str = ""  # a Neuron's or Layer's activation ("linear": none)


class ParameterPlace(NamedTuple):
    """Where a parameter lives: its model (a number unique per constructed model) and the
    modules holding it, the model first: an MLP weight's ends in its Layer and Neuron."""

    model: int
    modules: tuple[ModulePlace, ...]


_PLACES: weakref.WeakKeyDictionary[Value, ParameterPlace] = weakref.WeakKeyDictionary()
_MODELS = itertools.count()


def parameter_place(p: Value) -> ParameterPlace | None:
    """Where p lives in the nn model it was made a parameter of (None for any other Value).
    Readers of a graph (drawings, step texts) use this, never labels; it outlives the model."""
    return _PLACES.get(p)


def _activation(name: str, alpha: float) -> Activation:
    """The activation as a function of z, or None for linear (no extra node): the op's Value
    method for a built-in (leaky_relu with the layer's alpha, its one parameter), else the op
    by name, looked up when applied, so redefining a custom op (a re-run notebook cell) takes
    effect in models made before."""
    if name == "linear":
        return None
    op = ops.OPS[name]
    if not op.builtin:
        return lambda z: ops.apply(name, z)
    method: Callable[..., Value] = getattr(Value, op.methods[0])
    if op.param_names == ("alpha",):
        return lambda z: method(z, alpha)
    return method


def _activation_name(activation: str | None, where: str) -> str:
    """The activation's name: a built-in, "linear" (None), or a one-operand op of the table."""
    name = "linear" if activation is None else activation
    if name in ACTIVATIONS:
        return name
    op = ops.OPS.get(name) if isinstance(name, str) else None
    if op is not None and op.arity == 1 and name != "neg":
        return name
    if isinstance(name, str) and op is None and name.isidentifier():
        raise ValueError(
            f"{where}: unknown activation {activation!r}: no op of that name is defined; define "
            f"it with microgradnet.define_op before making or loading the model, or choose one "
            f"of {', '.join(ACTIVATIONS)} or None"
        )
    raise ValueError(
        f"{where}: unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
        " or None (or a one-operand op defined with microgradnet.define_op)"
    )


def _alpha(alpha: object, where: str) -> float:
    return _real(alpha, f"{where}(alpha)", math.isfinite, "a finite number")


def _init_weights(rng: np.random.Generator, nin: int, fan_out: int, init: str) -> list[float]:
    if init == "he":
        weights = rng.normal(0.0, math.sqrt(2.0 / nin), nin)
    elif init == "xavier":
        a = math.sqrt(6.0 / (nin + fan_out))
        weights = rng.uniform(-a, a, nin)
    elif init == "uniform":
        weights = rng.uniform(-1.0, 1.0, nin)
    else:
        raise ValueError(f"init: unknown scheme {init!r}; choose one of {', '.join(INITS)}")
    result: list[float] = weights.tolist()
    return result


def _rng(seed: Seed, where: str) -> np.random.Generator:
    """A numpy Generator from seed: a Generator itself, an int >= 0 or None (TypeError for
    another type, ValueError for a negative int)."""
    if isinstance(seed, np.random.Generator):
        return seed
    accepted = "an int >= 0, a numpy Generator or None"
    return np.random.default_rng(_seed(seed, f"{where}: seed", accepted))


def _inputs(x: Any, width: int | None, module: Module) -> list[Value]:
    """One sample as a list of Values (numbers become input leaves once per call)."""
    if isinstance(x, Value):
        xs: list[Any] = [x]
    elif isinstance(x, Real):
        xs = [x]
    elif isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise ValueError(f"{module._where()}: a sample must be 1-D, got shape {x.shape}")
        xs = x.tolist()
    elif isinstance(x, Sequence) and not isinstance(x, str):
        xs = list(x)
    else:
        raise TypeError(
            f"{module._where()}: a sample must be a list of numbers or Values, "
            f"got {type(x).__name__}"
        )
    if width is not None and len(xs) != width:
        raise ValueError(f"{module._where()}: expected {width} inputs, got {len(xs)}")
    try:
        return [v if isinstance(v, Value) else Value(v) for v in xs]
    except TypeError as e:
        raise TypeError(f"{module._where()}: bad input: {e}") from None


def _samples(batch: Any, module: Module) -> list[Any]:
    """A batch as a list of samples (a 2-D numpy array becomes rows of floats)."""
    if isinstance(batch, np.ndarray):
        if batch.ndim != 2:
            raise ValueError(
                f"{module._where()}: a batch must be 2-D (samples × features), got {batch.shape}"
            )
        result: list[Any] = batch.tolist()
        return result
    if isinstance(batch, Sequence) and not isinstance(batch, str):
        return list(batch)
    raise TypeError(
        f"{module._where()}: a batch must be a list of samples, got {type(batch).__name__}"
    )


def _unwrap(out: list[Value]) -> Value | list[Value]:
    return out[0] if len(out) == 1 else out


def _as_list(out: Any) -> list[Value]:
    if isinstance(out, Value):
        return [out]
    return list(out)


def _finite(x: Real) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:  # an int too large for a float
        return False


def _natural(key: str) -> list[Any]:
    """Sort key with numbers compared as numbers: w.2 before w.10. A segment of ASCII digits
    compares by its length without leading zeros, then its text (never int(): a key read from
    a file may hold a superscript digit or thousands of digits)."""
    out: list[Any] = []
    for part in key.split("."):
        if part.isascii() and part.isdigit():
            digits = part.lstrip("0")
            out.append((0, len(digits), digits, part))
        else:
            out.append((1, 0, part, ""))
    return out


def _listing(keys: list[str], limit: int = 10) -> str:
    """The first keys, each cut to 60 characters; one that is empty or holds a line break or
    another unprintable character (a key read from a file) shown as a quoted repr."""
    cut = [k if len(k) <= 60 else k[:59] + "…" for k in keys[:limit]]
    shown = ", ".join(k if k.isprintable() and k else repr(k) for k in cut)
    return shown + (f", ... ({len(keys) - limit} more)" if len(keys) > limit else "")


# -- save and load: files ------------------------------------------------------------------------

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict = 2, 40, 40, 3, 3


def _describe(value: object) -> str:
    """A short repr, safe for any JSON value (deep nesting, an int too long for repr)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"
    return _SHORT.repr(value)


def _json_int(digits: str) -> int:
    n = len(digits.lstrip("-"))
    if n > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {n} digits, more than the {MAX_INT_DIGITS} load reads")
    return int(digits)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key that appears twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _read_json(path: str | os.PathLike[str], shown: str) -> Any:
    """The JSON document in path; ValueError naming path for anything that is not one."""
    nonblocking = getattr(os, "O_NONBLOCK", 0)  # POSIX: a FIFO must not block; it is refused
    fd = os.open(path, os.O_RDONLY | nonblocking)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ValueError(f"load: {shown} is {file_kind(mode)}, not a state file")
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_STATE_BYTES + 1)
    if len(data) > MAX_STATE_BYTES:
        raise ValueError(f"load: {shown} is larger than {MAX_STATE_BYTES // 2**20} MiB")
    try:
        return json.loads(data.decode("utf-8"), parse_int=_json_int, object_pairs_hook=_unique)
    except _DuplicateKey as e:
        raise ValueError(
            f"load: {shown} names the key {_listing([e.key])} more than once (which value "
            "is meant is unclear); a state file names each key once"
        ) from None
    except RecursionError:
        reason = "nested too deeply"
    except ValueError as e:  # also UnicodeDecodeError and JSONDecodeError
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
    raise ValueError(f"load: {shown} is not a JSON state file ({reason})")
