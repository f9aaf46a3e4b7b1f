"""Modules: construction, names and labels, calling conventions, init, modes, state and files."""

from __future__ import annotations

import errno
import json
import math
import os
import socket
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microgradnet import nn
from microgradnet.engine import Constant, Value
from microgradnet.nn import (
    MLP,
    BatchNorm1d,
    Dropout,
    Layer,
    LoadResult,
    Module,
    Neuron,
    Sequential,
)


def test_mlp_parameter_count_names_and_labels() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    named = model.named_parameters()
    assert len(named) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1) == 337
    names = [n for n, _ in named]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.2.neurons.0.b"
    assert len(set(names)) == 337
    for name, p in named:
        assert p.label == name
    w = model.layers[0].neurons[3].w[1]
    assert w.label == "layers.0.neurons.3.w.1"
    assert model.layers[0].neurons[3].b.label == "layers.0.neurons.3.b"  # type: ignore[union-attr]
    assert model.parameters() == [p for _, p in named]


def test_standalone_modules_are_labelled_relative_to_themselves() -> None:
    neuron = Neuron(3, seed=0)
    assert [p.label for p in neuron.parameters()] == ["w.0", "w.1", "w.2", "b"]
    layer = Layer(2, 2, seed=0)
    assert [p.label for p in layer.parameters()][-3:] == [
        "neurons.1.w.0",
        "neurons.1.w.1",
        "neurons.1.b",
    ]


def test_sequential_names_and_batchnorm_parameters() -> None:
    model = Sequential(
        Layer(2, 3, seed=0), BatchNorm1d(3), Dropout(0.2, seed=0), Layer(3, 1, seed=1)
    )
    names = [n for n, _ in model.named_parameters()]
    assert "layers.0.neurons.2.w.1" in names
    assert "layers.1.gamma.2" in names and "layers.1.beta.0" in names
    assert names[-1] == "layers.3.neurons.0.b"
    assert model.layers[1].gamma[2].label == "layers.1.gamma.2"  # type: ignore[attr-defined]
    state = model.state_dict()
    assert state["layers.1.running_var.2"] == 1.0 and state["layers.1.running_mean.0"] == 0.0
    assert len(state) == len(names) + 6


def test_no_bias_neurons_have_b_none_and_no_bias_names() -> None:
    model = MLP(3, [4, 2], bias=False, seed=0)
    assert all(n.b is None for layer in model.layers for n in layer.neurons)
    assert not any(name.endswith(".b") for name, _ in model.named_parameters())
    assert len(model.parameters()) == 3 * 4 + 4 * 2


def test_custom_module_subclass_gets_labels_and_forward() -> None:
    class Scaled(Module):
        def __init__(self) -> None:
            self.body = MLP(2, [3, 1], seed=0)
            self.scale = Value(2.0)
            self.offset = Constant(1.0)  # not trained: not a parameter
            self.cached = self.scale * 2  # a computed node: not a parameter

        def forward(self, x: list[float]) -> list[Value]:
            return [self.scale * v for v in self.body.forward(x)]

    model = Scaled()
    names = [n for n, _ in model.named_parameters()]
    assert names[0] == "scale" and names[1] == "body.layers.0.neurons.0.w.0"
    assert len(names) == 1 + 13 and model.offset.label == ""
    assert model.body.layers[1].neurons[0].b.label == "body.layers.1.neurons.0.b"  # type: ignore[union-attr]
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    assert out.data == pytest.approx(2 * model.body([1.0, 2.0]).data)


def test_layer_returns_list_and_single_value_for_width_one() -> None:
    assert isinstance(Layer(2, 3, seed=0)([1.0, 2.0]), list)
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert isinstance(MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    # forward always gives a list; a hidden layer of width 1 still chains
    assert len(MLP(2, [1, 1, 2], seed=0).forward([1.0, 2.0])) == 2
    assert isinstance(Neuron(1, seed=0)(3.0), Value)  # a single input may be a number


def test_neuron_uses_one_dot_node_and_the_activation() -> None:
    n = Neuron(3, activation="tanh", seed=0)
    out = n([1.0, -2.0, 0.5])
    assert out.op == "tanh"
    (z,) = out.children
    assert z.op == "dot"
    assert z.children[:3] == tuple(n.w) and z.children[-1] is n.b
    assert len(z.children) == 7
    linear = Neuron(2, activation=None, seed=0)([1.0, 1.0])
    assert linear.op == "dot"


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("leaky_relu", lambda z: z if z > 0 else 0.2 * z),
        ("linear", lambda z: z),
    ],
)
def test_neuron_activation_values(activation: str, expected: object) -> None:
    n = Neuron(2, activation=activation, alpha=0.2, seed=0)
    n.load_state_dict({"w.0": 0.5, "w.1": -1.5, "b": 0.25})
    for x in ([1.0, 2.0], [2.0, -1.0]):
        z = 0.5 * x[0] - 1.5 * x[1] + 0.25
        assert n(x).data == pytest.approx(expected(z))  # type: ignore[operator]


def test_layers_share_input_values_once_per_call() -> None:
    layer = Layer(2, 3, seed=0)
    outs = layer([1.0, 2.0])
    dots = [o.children[0] for o in outs]
    inputs = [d.children[2:4] for d in dots]
    assert inputs[0] == inputs[1] == inputs[2]  # the same two input leaves for every neuron
    assert type(inputs[0][0]) is Value


def test_wrong_input_width_names_expected_and_given() -> None:
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"Layer.*expected 4 inputs, got 2"):
        Layer(4, 2, seed=0)([1.0, 2.0])
    with pytest.raises(ValueError, match="expected 3 inputs, got 1"):
        Neuron(3, seed=0)(1.0)
    inner = Sequential(Layer(2, 3, seed=0), Layer(4, 1, seed=0))
    with pytest.raises(ValueError, match=r"Layer 'layers\.1': expected 4 inputs, got 3"):
        inner([1.0, 2.0])
    with pytest.raises(TypeError, match="bad input"):
        model(["a", 1.0])


def test_seed_makes_construction_reproducible() -> None:
    a, b, c = MLP(3, [4, 2], seed=7), MLP(3, [4, 2], seed=7), MLP(3, [4, 2], seed=8)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != c.state_dict()
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    assert Layer(3, 3, seed=g1).state_dict() == Layer(3, 3, seed=g2).state_dict()
    # neurons of one layer differ from each other
    layer = Layer(3, 2, seed=0)
    assert [w.data for w in layer.neurons[0].w] != [w.data for w in layer.neurons[1].w]


def test_init_schemes() -> None:
    nin, nout = 400, 50
    he = np.array([p.data for p in Layer(nin, nout, init="he", seed=0).parameters()])
    weights = he.reshape(nout, nin + 1)[:, :-1]
    assert np.std(weights) == pytest.approx(math.sqrt(2 / nin), rel=0.03)
    assert (he.reshape(nout, nin + 1)[:, -1] == 0).all()  # biases start at 0
    bound = math.sqrt(6 / (nin + nout))
    xavier = Layer(nin, nout, init="xavier", seed=0)
    xw = np.array([w.data for n in xavier.neurons for w in n.w])
    assert np.abs(xw).max() <= bound and np.abs(xw).max() > 0.99 * bound
    uniform = np.array(
        [w.data for n in Layer(nin, nout, init="uniform", seed=0).neurons for w in n.w]
    )
    assert uniform.min() >= -1 and uniform.max() <= 1 and uniform.max() > 0.99


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: MLP(2, [3, 1], activation="swish"), "unknown activation 'swish'"),
        (lambda: MLP(2, [3, 1], init="normal"), "unknown scheme 'normal'"),
        (lambda: MLP(0, [3]), r"MLP\(nin\) must be a positive int"),
        (lambda: MLP(2, []), "non-empty list"),
        (lambda: MLP(2, [3, 0]), r"MLP\(nouts\) must be a positive int"),
        (lambda: MLP(2, [3, 3, 1], activation=["relu"]), "one activation per hidden layer"),
        (lambda: Layer(2, 3, seed=-1), "seed must be"),
        (lambda: Neuron(2, activation="leaky_relu", alpha=math.nan), "alpha"),
        (lambda: Dropout(1.5), "probability"),
        (lambda: BatchNorm1d(3, eps=0), "eps"),
        (lambda: BatchNorm1d(3, momentum=2), "momentum"),
    ],
)
def test_invalid_construction_raises(make: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()  # type: ignore[operator]


def test_per_layer_activations_and_reprs() -> None:
    model = MLP(2, [3, 3, 1], activation=["tanh", "sigmoid"], output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "sigmoid", "sigmoid"]
    assert model([0.1, 0.2]).op == "sigmoid"
    assert "MLP(2, [3, 3, 1]" in repr(model)
    assert repr(Neuron(2, bias=False)) == "Neuron(2, relu, bias=False)"


def test_zero_grad_train_and_eval() -> None:
    model = Sequential(Layer(2, 2, seed=0), Dropout(0.5, seed=0), BatchNorm1d(2))
    for p in model.parameters():
        p.grad = 3.0
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert model.eval() is model
    assert all(not m.training for _, m in model.named_modules())
    model.train()
    assert all(m.training for _, m in model.named_modules())
    with pytest.raises(TypeError):
        model.train("no")  # type: ignore[arg-type]


# -- state_dict, save, load -------------------------------------------------------------------


def _outputs(model: Module, xs: list[list[float]]) -> list[float]:
    return [model(x).data for x in xs]


def test_state_dict_round_trip() -> None:
    a, b = MLP(2, [5, 1], seed=0), MLP(2, [5, 1], seed=1)
    xs = [[0.3, -1.2], [2.0, 0.5]]
    assert _outputs(a, xs) != _outputs(b, xs)
    result = b.load_state_dict(a.state_dict())
    assert result == LoadResult([], [])
    assert _outputs(a, xs) == _outputs(b, xs)
    assert b.state_dict() == a.state_dict()


def test_strict_load_errors_name_keys_and_change_nothing() -> None:
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    state = dict(before)
    del state["layers.0.neurons.1.w.0"]
    state["layers.9.neurons.0.b"] = 1.0
    state["layers.0.neurons.0.b"] = 42.0
    with pytest.raises(ValueError) as err:
        model.load_state_dict(state)
    assert "missing keys layers.0.neurons.1.w.0" in str(err.value)
    assert "unexpected keys layers.9.neurons.0.b" in str(err.value)
    assert model.state_dict() == before
    bad = dict(before, **{"layers.1.neurons.0.w.1": math.nan, "layers.0.neurons.0.b": 42.0})
    with pytest.raises(ValueError, match=r"layers\.1\.neurons\.0\.w\.1=nan"):
        model.load_state_dict(bad)
    assert model.state_dict() == before
    with pytest.raises(ValueError, match=r"w.0='1.0'"):
        model.load_state_dict(dict(before, **{"layers.0.neurons.0.w.0": "1.0"}))
    with pytest.raises(ValueError, match="must be >= 0"):
        bn = BatchNorm1d(2)
        bn.load_state_dict(dict(bn.state_dict(), **{"running_var.1": -1.0}))
    with pytest.raises(TypeError):
        model.load_state_dict([1.0])  # type: ignore[arg-type]


def test_non_strict_load_reports_missing_and_unexpected() -> None:
    model = MLP(2, [2, 1], seed=0)
    result = model.load_state_dict({"layers.0.neurons.0.b": 5.0, "extra": 1.0}, strict=False)
    assert model.layers[0].neurons[0].b.data == 5.0  # type: ignore[union-attr]
    assert result.unexpected_keys == ["extra"]
    assert "layers.1.neurons.0.b" in result.missing_keys and len(result.missing_keys) == 8


def test_save_and_load_json(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "model.json"
    a = Sequential(Layer(2, 3, seed=0), BatchNorm1d(3), Layer(3, 1, seed=1))
    a.forward_batch([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])  # moves the running estimates
    a.save(path)
    document = json.loads(path.read_text())
    assert document["format"] == "microgradnet.state_dict" and document["model"] == "Sequential"
    assert document["state"] == a.state_dict()
    b = Sequential(Layer(2, 3, seed=5), BatchNorm1d(3), Layer(3, 1, seed=6))
    b.load(path)
    assert b.state_dict() == a.state_dict()
    assert [p.name for p in Path(str(tmp_path)).iterdir()] == ["model.json"]  # no temp file left
    a.layers[0].neurons[0].b.data = 9.0  # type: ignore[attr-defined]
    a.save(path)  # replaces the file
    assert json.loads(path.read_text())["state"]["layers.0.neurons.0.b"] == 9.0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"format": "microgradnet.state_dict", "version": 1, "state": {"w.0": 1', "not a JSON"),
        ('{"weights": [1, 2, 3]}', "not a microgradnet state file"),
        ("[1, 2]", "not a microgradnet state file"),
        ('{"format": "microgradnet.state_dict", "version": 99, "state": {}}', "version 99"),
        ('{"format": "microgradnet.state_dict", "version": 1, "state": {"w.0": 1}}', "missing"),
    ],
)
def test_corrupt_or_foreign_file_leaves_model_unchanged(
    tmp_path: object, text: str, match: str
) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bad.json"
    path.write_text(text)
    model = Neuron(2, seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=match):
        model.load(path)
    assert model.state_dict() == before
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match="not a JSON"):
        model.load(path)
    assert model.state_dict() == before


def test_save_refuses_non_finite_and_keeps_the_old_file(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "m.json"
    model = Neuron(2, seed=0)
    model.save(path)
    old = path.read_text()
    model.w[0].data = math.inf
    with pytest.raises(ValueError, match=r"w\.0"):
        model.save(path)
    assert path.read_text() == old
    assert len(list(Path(str(tmp_path)).iterdir())) == 1


# -- save and load: hostile files ---------------------------------------------------------------


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_save_gives_a_new_file_the_umask_mode(tmp_path: Path, mask: int, mode: int) -> None:
    old = os.umask(mask)
    try:
        Neuron(2, seed=0).save(tmp_path / "m.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.json").st_mode) == mode


def test_save_keeps_an_existing_files_mode(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("old")
    path.chmod(0o640)
    old = os.umask(0o077)
    try:
        Neuron(2, seed=0).save(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert json.loads(path.read_text())["model"] == "Neuron"


def test_save_writes_through_a_symlink_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    model = Neuron(2, seed=0)
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["state"] == model.state_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def _no_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make any file creation or rename in save fail loudly, and record the attempt."""
    calls: list[str] = []

    def refuse(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"save called os.{name} {args!r}")

        return call

    monkeypatch.setattr(os, "open", refuse("open"))
    monkeypatch.setattr(os, "replace", refuse("replace"))
    return calls


def test_save_refuses_a_device_before_any_write(monkeypatch: pytest.MonkeyPatch) -> None:
    device = next(p for p in ("/dev/null", "/dev/zero", "/dev/full") if os.path.exists(p))
    assert stat.S_ISCHR(os.stat(device).st_mode)
    calls = _no_writes(monkeypatch)
    with pytest.raises(ValueError, match=f"save: '{device}' is a character device"):
        Neuron(2, seed=0).save(device)
    assert calls == []


def test_save_refuses_a_fifo_a_socket_and_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "s"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(sock_path))
        link = tmp_path / "link"
        link.symlink_to(fifo)
        calls = _no_writes(monkeypatch)
        cases = [
            (fifo, "a FIFO"),
            (link, "a FIFO"),
            (sock_path, "a socket"),
            (tmp_path, "a directory"),
        ]
        for path, kind in cases:
            with pytest.raises(ValueError, match=f"save: '{path}' is {kind}"):
                Neuron(2, seed=0).save(path)
        assert calls == []
    finally:
        sock.close()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink()


def test_save_errors_name_the_users_path_not_the_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "m.json"
    with pytest.raises(FileNotFoundError) as error:
        Neuron(2, seed=0).save(path)
    assert error.value.filename == str(path) and ".tmp" not in str(error.value)
    assert str(path) in str(error.value)


def test_save_refuses_a_read_only_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.json"
    path.write_text("old")
    path.chmod(0o444)
    if os.geteuid() == 0:  # root may write anything: ask as a user would be answered
        monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(PermissionError) as error:
        Neuron(2, seed=0).save(path)
    assert error.value.filename == str(path) and path.read_text() == "old"


def test_save_full_disk_names_the_path_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.json"
    path.write_text("old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left on device") as error:
        Neuron(2, seed=0).save(path)
    assert error.value.errno == errno.ENOSPC and error.value.filename == str(path)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["m.json"]


STATE_HEAD = '{"format": "microgradnet.state_dict", "version": 1, "state": '


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[" * 100_000 + "]" * 100_000, r"is not a JSON state file \(nested too deeply\)"),
        (STATE_HEAD + '{"w.0": ' + "9" * 5000 + "}}", "an integer of 5000 digits"),
        (STATE_HEAD + '{"w.0": -' + "9" * 401 + "}}", "an integer of 401 digits"),
        (STATE_HEAD + '{"w.0": 1e999, "w.1": 0, "b": 0}}', r"bad entries: w\.0=inf"),
        (STATE_HEAD + '{"w.0": NaN, "w.1": 0, "b": 0}}', r"bad entries: w\.0=nan"),
        (STATE_HEAD + '{"w.0": ' + "[" * 900 + "]" * 900 + ', "w.1": 0, "b": 0}}', r"w\.0=\[\["),
        (STATE_HEAD + '{"w.0": true, "w.1": 0, "b": 0}}', r"w\.0=True"),
        (STATE_HEAD + '{"w.0": 1, "w.1": 0, "b": 0, "' + "k" * 500 + '": 1}}', "k…"),
        (STATE_HEAD + '{"w.0": 1, "w.1": 0, "b": 0, "a\\nb": 1, "": 2}}', r"keys '', 'a\\nb'"),
        ('{"format": "microgradnet.state_dict", "version": true, "state": {}}', "version True"),
        ('{"format": "microgradnet.state_dict", "version": 1.0, "state": {}}', "version 1.0"),
    ],
)
def test_every_bad_file_is_one_value_error_naming_the_file(
    tmp_path: Path, text: str, match: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    model = Neuron(2, seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=match) as error:
        model.load(path)
    assert str(error.value).startswith(f"load: {str(path)!r}")
    assert len(str(error.value)) < 1000 and "\n" not in str(error.value)
    assert model.state_dict() == before


def test_load_refuses_what_is_not_a_regular_file_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # reading it would block: load must not wait for a writer
    model = Neuron(2, seed=0)
    cases: list[tuple[str | Path, str]] = [(fifo, "a FIFO"), (tmp_path, "a directory")]
    for path, kind in [*cases, ("/dev/zero", "a character")]:
        with pytest.raises(ValueError, match=f"load: '{path}' is {kind}"):
            model.load(path)


def test_load_refuses_a_file_over_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.json"
    Neuron(2, seed=0).save(path)
    monkeypatch.setattr(nn, "MAX_STATE_BYTES", path.stat().st_size - 1)
    with pytest.raises(ValueError, match="is larger than"):
        Neuron(2, seed=1).load(path)
    monkeypatch.setattr(nn, "MAX_STATE_BYTES", path.stat().st_size)
    Neuron(2, seed=1).load(path)


def test_load_state_dict_describes_a_huge_integer_without_failing() -> None:
    model = Neuron(2, seed=0)
    with pytest.raises(ValueError, match=r"w\.0=an integer of \d+ bits"):
        model.load_state_dict({"w.0": 10**5000, "w.1": 0.0, "b": 0.0})


# -- BatchNorm1d and Dropout --------------------------------------------------------------------


def _batch(rows: np.ndarray) -> list[list[Value]]:
    return [[Value(float(v)) for v in row] for row in rows]


def test_batchnorm_training_uses_biased_batch_statistics() -> None:
    rng = np.random.default_rng(0)
    Z = rng.normal(3.0, 2.0, size=(6, 3))
    bn = BatchNorm1d(3, eps=1e-5, momentum=0.1)
    bn.load_state_dict(dict(bn.state_dict(), **{"gamma.1": 2.0, "beta.1": -1.0}))
    out = np.array([[v.data for v in row] for row in bn(_batch(Z))])
    mu, var = Z.mean(axis=0), Z.var(axis=0)  # numpy's var is the biased one
    gamma, beta = np.array([1.0, 2.0, 1.0]), np.array([0.0, -1.0, 0.0])
    np.testing.assert_allclose(out, gamma * (Z - mu) / np.sqrt(var + 1e-5) + beta, rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean, 0.1 * mu, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * Z.var(axis=0, ddof=1), rtol=1e-12)


def test_batchnorm_eval_uses_running_estimates() -> None:
    bn = BatchNorm1d(2)
    bn.load_state_dict(
        {
            "gamma.0": 2.0,
            "gamma.1": 1.0,
            "beta.0": 0.5,
            "beta.1": 0.0,
            "running_mean.0": 1.0,
            "running_mean.1": -2.0,
            "running_var.0": 4.0,
            "running_var.1": 0.25,
        }
    )
    bn.eval()
    out = bn([[3.0, -1.0]])
    expected = [
        2.0 * (3.0 - 1.0) / math.sqrt(4.0 + 1e-5) + 0.5,
        (-1.0 + 2.0) / math.sqrt(0.25 + 1e-5),
    ]
    assert [v.data for v in out[0]] == pytest.approx(expected, rel=1e-12)
    assert [v.data for v in bn.forward([3.0, -1.0])] == pytest.approx(expected, rel=1e-12)
    assert bn.running_mean == [1.0, -2.0]  # eval does not update the estimates


def test_batchnorm_needs_a_batch_in_training() -> None:
    bn = BatchNorm1d(2)
    with pytest.raises(ValueError, match="at least 2 samples"):
        bn([[1.0, 2.0]])
    with pytest.raises(ValueError, match="needs the whole batch"):
        Sequential(Layer(2, 2, seed=0), bn)([1.0, 2.0])
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        bn([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])


def test_batchnorm_gradients_pass_gradcheck() -> None:
    from microgradnet.transforms import gradcheck

    rng = np.random.default_rng(1)
    m, k = 4, 2
    bn = BatchNorm1d(k)
    bn.load_state_dict(
        dict(bn.state_dict(), **{"gamma.0": 1.5, "gamma.1": 0.7, "beta.0": 0.2, "beta.1": -0.3})
    )
    xs = [Value(float(v)) for v in rng.normal(size=m * k)]
    c = rng.normal(size=(m, k))  # a weighted sum, so the loss depends on every normalized value

    def loss(*leaves: Value) -> Value:
        rows = [list(leaves[i * k : (i + 1) * k]) for i in range(m)]
        out = bn.forward_batch(rows)
        return sum((float(c[i, j]) * out[i][j] for i in range(m) for j in range(k)), Value(0.0))

    assert gradcheck(loss, [*xs, *bn.parameters()], eps=1e-6, atol=1e-7, rtol=1e-5)


def test_dropout_train_and_eval() -> None:
    xs = [Value(1.0) for _ in range(4000)]
    drop = Dropout(0.25, seed=0)
    out = drop(xs)
    kept = [o for o in out if o.data != 0]
    assert len(kept) / len(xs) == pytest.approx(0.75, abs=0.03)
    assert all(o.data == pytest.approx(1 / 0.75) for o in kept)
    assert all(o.op == "*" and o.children[0] is x for o, x in zip(out, xs))
    again = Dropout(0.25, seed=0)(xs)
    assert [o.data for o in again] == [o.data for o in out]  # seeded
    out[0].backward()
    assert xs[0].grad == (1 / 0.75 if out[0].data else 0.0)
    drop.eval()
    assert drop.forward(xs) == xs  # identity: the same Values, no nodes
    assert Dropout(0.0).forward(xs[:3]) == xs[:3]
    assert all(o.data == 0 for o in Dropout(1.0, seed=0).forward(xs[:10]))
