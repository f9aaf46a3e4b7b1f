"""The cached module structure (parameters(), named_modules()) and what invalidates it; state
files with odd keys; seeds."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from microgradnet.engine import Value
from microgradnet.nn import MLP, Layer, Module, Neuron, Sequential
from microgradnet.train import fit


def _names(model: Module) -> list[str]:
    return [name for name, _ in model.named_parameters()]


def test_parameters_is_a_fresh_list_of_the_same_values() -> None:
    model = MLP(2, [3, 1], seed=0)
    first, second = model.parameters(), model.parameters()
    assert first is not second and len(first) == 13
    assert all(a is b for a, b in zip(first, second))
    first.clear()  # a caller's list is its own
    assert len(model.parameters()) == 13


def _add_module(m: MLP) -> None:
    m.extra = Neuron(1, seed=0)  # type: ignore[attr-defined]


def _replace_bias(m: MLP) -> None:
    m.layers[1].neurons[0].b = Value(0.5)


def _drop_bias(m: MLP) -> None:
    m.layers[1].neurons[0].b = None


def _delete_attribute(m: MLP) -> None:
    del m.layers[1].neurons[0].b


def _append_layer(m: MLP) -> None:
    m.layers.append(Layer(1, 2, seed=0))


def _set_weight(m: MLP) -> None:
    m.layers[1].neurons[0].w[0] = Value(7.0)


def _pop_layer(m: MLP) -> None:
    m.layers.pop()


def _extend_weights(m: MLP) -> None:
    m.layers[1].neurons[0].w += [Value(1.0)]


def _delete_neuron(m: MLP) -> None:
    del m.layers[0].neurons[2]


def _reverse_layers(m: MLP) -> None:
    m.layers.reverse()


def _new_list(m: MLP) -> None:
    m.layers = [m.layers[1]]


CHANGES: dict[str, tuple[Callable[[MLP], None], int]] = {
    # change -> the number of parameters after it (MLP(2, [3, 1]) has 13)
    "assign a module": (_add_module, 15),
    "assign a parameter": (_replace_bias, 13),
    "assign None over a parameter": (_drop_bias, 12),
    "delete a parameter attribute": (_delete_attribute, 12),
    "append to a list of modules": (_append_layer, 17),
    "replace an item of a list of parameters": (_set_weight, 13),
    "pop from a list of modules": (_pop_layer, 9),
    "+= on a list of parameters": (_extend_weights, 14),
    "del an item of a nested list": (_delete_neuron, 10),
    "reverse a list": (_reverse_layers, 13),
    "assign a new list": (_new_list, 4),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_to_the_structure_invalidates_every_cache(change: str) -> None:
    model = MLP(2, [3, 1], seed=0)
    before = model.parameters()
    first = model.layers[0]
    first.parameters()  # a submodule's cache too
    apply, count = CHANGES[change]
    apply(model)
    after = model.parameters()
    assert len(after) == count
    # the walk from scratch: a fresh module of the same structure names the same parameters
    walked = [p for _, m in model.named_modules() for _, p in _own(m)]
    assert [id(p) for p in after] == [id(p) for p in walked]
    if change == "replace an item of a list of parameters":
        assert after[9].data == 7.0 and all(p is not after[9] for p in before)
    if change == "assign a parameter":
        assert after[-1].data == 0.5 and after[-1] is not before[-1]
    inner = [p for _, m in first.named_modules() for _, p in _own(m)]
    assert [id(p) for p in first.parameters()] == [id(p) for p in inner]
    model.zero_grad()  # covers the new parameters
    for p in after:
        p.grad = 1.0
    model.zero_grad()
    assert all(p.grad == 0.0 for p in after)


def _own(module: Module) -> list[tuple[str, Value]]:
    """A module's own parameters, walked directly from its attributes."""
    out = []
    for key, obj in vars(module).items():
        items = obj if isinstance(obj, list | tuple) else [obj]
        for item in items:
            if isinstance(item, Value) and not item.children and not key.startswith("_"):
                out.append((key, item))
    return out


def test_a_copy_has_its_own_parameters() -> None:
    model = MLP(2, [3, 1], seed=0)
    model.parameters()  # cached before the copy
    twin = copy.deepcopy(model)
    assert all(a is not b for a, b in zip(model.parameters(), twin.parameters()))
    assert [p.data for p in twin.parameters()] == [p.data for p in model.parameters()]


def test_load_state_dict_invalidates_the_cache() -> None:
    model = MLP(2, [3, 1], seed=0)
    params = model.parameters()
    model.layers[0].neurons[0].w[0] = Value(0.0)  # noticed
    model.load_state_dict(model.state_dict())
    assert model.parameters()[0] is not params[0]


def test_label_and_repr_of_a_zero_bias() -> None:
    """A bias of 0.0 is a bias (Values compare and test true by their data)."""
    assert repr(Neuron(2, seed=0)) == "Neuron(2, relu)"
    assert repr(Layer(2, 3, seed=0)) == "Layer(2, 3, relu)"
    assert repr(Neuron(2, bias=False, seed=0)) == "Neuron(2, relu, bias=False)"


# -- state files: keys that are not names of this model --------------------------------------


@pytest.mark.parametrize("extra", ["w.²", "w." + "9" * 5000, "layers.007.x", "١٢.w"])
def test_non_strict_load_takes_harmless_extra_keys(tmp_path: Path, extra: str) -> None:
    model = MLP(2, [3, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    document = json.loads(path.read_text())
    document["state"][extra] = 1.0
    document["state"]["layers.0.neurons.0.b"] = 2.5
    path.write_text(json.dumps(document))
    result = model.load(path, strict=False)
    assert result.unexpected_keys == [extra] and result.missing_keys == []
    assert model.layers[0].neurons[0].b is not None
    assert model.layers[0].neurons[0].b.data == 2.5
    with pytest.raises(ValueError, match="unexpected keys"):
        model.load(path)


def test_natural_order_of_missing_keys_with_long_numbers() -> None:
    model = Sequential(*[Neuron(1, seed=0) for _ in range(12)])
    result = model.load_state_dict({}, strict=False)
    assert result.missing_keys[:4] == ["layers.0.b", "layers.0.w.0", "layers.1.b", "layers.1.w.0"]
    assert result.missing_keys[-4:] == [
        "layers.10.b",
        "layers.10.w.0",
        "layers.11.b",
        "layers.11.w.0",
    ]


def test_a_state_file_with_a_key_twice_is_refused_naming_it(tmp_path: Path) -> None:
    model = Neuron(2, seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    text = path.read_text().replace('"b": 0.0', '"b": 0.0, "b": 3.0')
    assert text.count('"b"') == 2
    path.write_text(text)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"names the key b more than once"):
        model.load(path)
    assert model.state_dict() == before


def test_a_duplicate_key_anywhere_in_the_document_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    Neuron(1, seed=0).save(path)
    path.write_text(path.read_text().replace('"version": 1', '"version": 1, "version": 1'))
    with pytest.raises(ValueError, match="names the key version more than once"):
        Neuron(1, seed=0).load(path)


# -- seeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "error", "match"),
    [
        (-1, ValueError, r"fit\(seed\) must be an int >= 0 or None, got -1"),
        ("a", TypeError, r"fit\(seed\) must be an int >= 0 or None, got str: 'a'"),
        (1.5, TypeError, r"fit\(seed\) must be .* got float: 1.5"),
        (True, TypeError, r"fit\(seed\) must be .* got bool: True"),
    ],
)
def test_fit_refuses_a_bad_seed_naming_it(seed: object, error: type[Exception], match: str) -> None:
    model = MLP(2, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(error, match=match):
        fit(model, [[0.0, 1.0], [1.0, 0.0]], [0.0, 1.0], epochs=1, progress=False, seed=seed)  # type: ignore[arg-type]
    assert model.state_dict() == before


@pytest.mark.parametrize(
    ("seed", "error"), [(-1, ValueError), ("a", TypeError), (2.0, TypeError), (False, TypeError)]
)
def test_modules_refuse_a_bad_seed(seed: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"MLP: seed must be an int >= 0, a numpy Generator or None"):
        MLP(2, [1], seed=seed)  # type: ignore[arg-type]
