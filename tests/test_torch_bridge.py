"""to_torch / from_torch / compare_with_torch against PyTorch itself (skipped without torch)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from networks import masha

from microgradnet import MLP, Dropout, Layer, Sequential, Value
from microgradnet.losses import mse_loss

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed (the optional `torch` extra); bridge tests skipped"
)

from microgradnet.torch_bridge import (  # noqa: E402
    TorchComparison,
    compare_with_torch,
    from_torch,
    to_torch,
)

F64 = torch.float64


def test_to_torch_copies_weights_and_activations() -> None:
    model = MLP(3, [4, 5, 2], activation=["tanh", "leaky_relu"], seed=1, alpha=0.2)
    net = to_torch(model)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "TorchOp", "Linear", "TorchOp", "Linear"]
    assert (net[1].function, net[3].function) == (torch.tanh, torch.nn.functional.leaky_relu)
    assert net[3].params == (0.2,)  # the layer's alpha
    assert repr(net[3]) == "TorchOp(torch.nn.functional.leaky_relu, 0.2)"
    assert all(p.dtype == F64 for p in net.parameters())
    first = model.layers[0].neurons[2]
    assert net[0].weight[2].tolist() == [w.data for w in first.w]
    assert net[0].bias[2].item() == first.b.data  # type: ignore[union-attr]
    x = [0.5, -1.5, 2.0]
    ours = [v.data for v in model(x)]
    theirs = net(torch.tensor([x], dtype=F64))[0].tolist()
    assert max(abs(a - b) for a, b in zip(ours, theirs)) < 1e-14


def test_sequential_layers_without_bias_and_dropout() -> None:
    model = Sequential(
        Layer(2, 3, "sigmoid", bias=False, seed=0), Dropout(0.3), Layer(3, 1, None, seed=1)
    )
    net = to_torch(model)
    assert [type(m).__name__ for m in net] == ["Linear", "TorchOp", "Dropout", "Linear"]
    assert net[1].function is torch.sigmoid
    assert net[0].bias is None and net[2].p == 0.3


@pytest.mark.parametrize(
    ("activation", "function"),
    [
        ("gelu", "nn.functional.gelu"),
        ("softplus", "nn.functional.softplus"),
        ("silu", "nn.functional.silu"),
        ("relu", "relu"),
        ("sigmoid", "sigmoid"),
        ("sin", "sin"),
        ("atan", "atan"),
    ],
)
def test_every_activation_becomes_the_function_its_record_names(
    activation: str, function: str
) -> None:
    """Issue 18: to_torch used to drop gelu, softplus, silu and every custom op silently."""
    model = MLP(2, [4, 3, 1], activation=activation, seed=2)
    net = to_torch(model)
    assert [type(m).__name__ for m in net] == ["Linear", "TorchOp"] * 2 + ["Linear"]
    assert net[1].path == function
    xs = [[0.5, -1.5], [2.0, 0.3], [-0.7, -0.2]]
    theirs = net(torch.tensor(xs, dtype=F64))[:, 0].tolist()
    assert theirs == pytest.approx([model(x).data for x in xs], rel=1e-13, abs=1e-15)


def test_custom_activations_need_a_torch_counterpart() -> None:
    from microgradnet import define_op, ops

    try:
        define_op("softsign", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2)
        model = MLP(2, [3, 1], activation="softsign", seed=0)
        with pytest.raises(
            ValueError, match=r"the activation 'softsign' has no PyTorch counterpart"
        ):
            to_torch(model)
        define_op(
            "softsign",
            lambda x: x / (1 + abs(x)),
            lambda x: 1 / (1 + abs(x)) ** 2,
            torch="nn.functional.softsign",
        )
        net = to_torch(model)
        x = [0.9, -2.0]
        assert net(torch.tensor([x], dtype=F64))[0, 0].item() == pytest.approx(model(x).data)
        define_op("softsign", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2,
                  torch="nn.functional.no_such_function")  # fmt: skip
        with pytest.raises(ValueError, match=r"names torch.nn.functional.no_such_function"):
            to_torch(model)
    finally:
        ops.undefine_op("softsign")


def test_from_torch_loads_trained_weights_back() -> None:
    model = MLP(2, [3, 1], seed=0)
    net = to_torch(model)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(2.0).add_(0.25)
    expected = [2 * v.data + 0.25 for v in model.parameters()]
    assert from_torch(net, model) is model
    assert [v.data for v in model.parameters()] == expected


def test_from_torch_refuses_another_shape() -> None:
    with pytest.raises(ValueError, match=r"the torch model has parameters \[0.weight \(3, 2\)"):
        from_torch(to_torch(MLP(2, [3, 1], seed=0)), MLP(2, [4, 1], seed=0))


def test_unsupported_modules_are_named() -> None:
    from microgradnet import BatchNorm1d

    with pytest.raises(TypeError, match="BatchNorm1d has no torch counterpart"):
        to_torch(Sequential(Layer(2, 2), BatchNorm1d(2)))


def test_compare_a_function_of_numbers() -> None:
    def f(x: Value, w: Value) -> Value:
        return (x * w).sigmoid().log() + x**3 / w

    c = compare_with_torch(f, [0.7, -1.3])
    assert isinstance(c, TorchComparison)
    assert [name for name, _, _ in c.rows] == ["f", "∂f/∂x", "∂f/∂w"]
    s = 1 / (1 + math.exp(0.91))  # σ(x·w) at x·w = −0.91
    assert c.rows[1][1] == pytest.approx((1 - s) * -1.3 + 3 * 0.49 / -1.3, rel=1e-14)
    assert c.largest_difference < 1e-14
    assert "largest difference" in str(c)


def test_compare_masha_s_network_gradients_match_to_1e_12() -> None:
    x, y = 1.5, 0.2

    def loss(w1: Value, w2: Value, w3: Value) -> Value:
        return 0.5 * (y - ((x * w1).sigmoid() * w2).sigmoid() * w3) ** 2

    c = compare_with_torch(loss, [0.8, -1.2, 1.5])
    g = masha(x, y, (0.8, -1.2, 1.5))
    g["L"].backward()
    assert [r[1] for r in c.rows[1:]] == [g["w1"].grad, g["w2"].grad, g["w3"].grad]
    assert c.largest_difference < 1e-12


def test_compare_a_model_parameter_by_parameter() -> None:
    model = MLP(2, [8, 8, 1], activation="tanh", seed=3)
    X = [[0.2, -0.4], [1.0, 0.5], [-0.7, 0.1]]
    Y = [0.3, -0.2, 0.8]
    tX, tY = torch.tensor(X, dtype=F64), torch.tensor(Y, dtype=F64)
    c = compare_with_torch(
        lambda m: mse_loss([m(x) for x in X], Y),
        model,
        lambda net: ((net(tX)[:, 0] - tY) ** 2).mean(),
    )
    assert len(c.rows) == 1 + len(model.parameters())
    assert c.rows[1][0] == "∂f/∂layers.0.neurons.0.w.0"
    assert c.largest_difference < 1e-12


def test_a_model_needs_the_torch_loss() -> None:
    with pytest.raises(TypeError, match="with a model, pass torch_f"):
        compare_with_torch(lambda m: m([1.0, 2.0]), MLP(2, [1], seed=0))


def test_torch_is_not_imported_until_used() -> None:
    code = "import sys, microgradnet.torch_bridge; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_torch_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'microgradnet\[torch\]'"):
        to_torch(MLP(2, [1], seed=0))


def test_from_torch_refuses_a_non_finite_weight_as_load_state_dict_does() -> None:
    model = MLP(2, [3, 1], seed=0)
    net = to_torch(model)
    with torch.no_grad():
        net[0].weight[1, 0] = float("nan")
        net[2].bias[0] = float("inf")
    before = [v.data for v in model.parameters()]
    with pytest.raises(ValueError) as info:
        from_torch(net, model)
    assert str(info.value) == (
        "from_torch: values must be finite numbers; bad entries: "
        "layers.0.neurons.1.w.0=nan, layers.1.neurons.0.b=inf"
    )
    assert [v.data for v in model.parameters()] == before  # nothing written
    with pytest.raises(ValueError, match=r"layers\.0\.neurons\.1\.w\.0=nan"):
        model.load_state_dict({**model.state_dict(), "layers.0.neurons.1.w.0": float("nan")})


def test_the_bridge_names_a_wrong_type() -> None:
    model = MLP(2, [1], seed=0)
    with pytest.raises(
        TypeError, match=r"from_torch: torch_model must be a torch.nn.Module .*got object"
    ):
        from_torch(object(), model)
    with pytest.raises(
        TypeError, match="from_torch: model must be a microgradnet Module, got object"
    ):
        from_torch(to_torch(model), object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="to_torch: model must be a microgradnet Module, got list"):
        to_torch([model])  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"compare_with_torch: inputs\[0\] must be a real number, got str"
    ):
        compare_with_torch(lambda x: x, ["a"])  # type: ignore[list-item]
    with pytest.raises(
        TypeError, match="inputs must be a sequence of numbers or a microgradnet model, got int"
    ):
        compare_with_torch(lambda x: x, 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="compare_with_torch: f must be a function, got str"):
        compare_with_torch("x", [1.0])  # type: ignore[arg-type]


def test_both_engines_giving_inf_is_agreement_not_a_nan_difference() -> None:
    c = compare_with_torch(lambda x: x.sqrt(), [0.0])  # sqrt'(0) = inf in both engines
    assert c.rows == (("f", 0.0, 0.0), ("∂f/∂x", math.inf, math.inf))
    assert c.largest_difference == 0.0
    assert str(c).splitlines()[2].split() == ["∂f/∂x", "inf", "inf", "0"]
    assert "| ∂f/∂x | inf | inf | 0 |" in c._repr_markdown_()
    differ = compare_with_torch(lambda x: x.sqrt(), [0.0], lambda x: x * 0.0)
    assert differ.largest_difference == math.inf  # inf against 0 is a difference
