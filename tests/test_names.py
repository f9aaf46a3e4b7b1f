"""Names of unlabelled results: the expression while it is short, else a symbol a reader of
the notes knows (z₁ for a sum, a₁ for an activation, u₁ otherwise), never an op#k tag."""

from __future__ import annotations

import re

from microgradnet import Value, nn
from microgradnet.chain_rule import explain, expression_names
from microgradnet.engine import dot, topological_order
from microgradnet.steps import backward_steps, step_names
from microgradnet.viz import draw


def test_a_long_product_is_named_by_a_symbol_and_read_on_from_it() -> None:
    x = Value(1.0001, "x")
    root = x
    for _ in range(15):
        root = root * x
    order = topological_order(root)
    names = [step_names(root, order)[v] for v in order]
    assert names[1:4] == ["x·x", "x·x·x", "x·x·x·x"]
    assert names[12:16] == ["u₁", "u₁·x", "u₁·x·x", "L"]  # 12 factors pass 24 characters
    assert [expression_names(order)[v] for v in order][12:14] == ["u₁", "u₁·x"]


def test_a_long_sum_is_z_and_its_activation_a() -> None:
    ws = [Value(0.1 * i, f"weight{i}") for i in range(4)]
    xs = [Value(1.0 + i, f"input{i}") for i in range(4)]
    z = dot(ws, xs)
    a = (z * 1.5 + dot(ws[:2], xs[:2]) * z + z * 0.25).tanh()  # tanh of a long expression
    root = a * 2.0
    order = topological_order(root)
    names = step_names(root, order)
    assert names[z] == "z₁" and names[z.children[0]] == "weight0"
    assert names[a.children[0]] == "z₁·1.5 + z₂·z₁ + z₁·0.25"  # symbols: no parentheses
    assert names[a] == "a₁" and names[root] == "L"
    text = str(explain(root, ws[0]))
    assert "z₁" in text and "#" not in text


def test_a_symbol_a_label_already_uses_is_skipped() -> None:
    ws = [Value(0.1 * i, f"weight{i}") for i in range(4)]
    xs = [Value(1.0 + i, f"input{i}") for i in range(4)]
    taken = Value(2.0, "z₁")
    root = dot(ws, xs) * taken
    names = step_names(root, topological_order(root))
    assert names[root.children[0]] == "z₂"


def test_no_op_tags_in_drawings_or_step_texts_of_a_network() -> None:
    model = nn.MLP(6, [6, 1], seed=0)
    loss = (model([0.5] * 6) - 1.0) ** 2 + sum((p * p for p in model.parameters()), Value(0.0))
    loss.backward()
    source = draw(loss, max_nodes=None).source
    assert not re.findall(r"label=<[^>]*#", source)  # no name like dot#1 in a box
    assert all("#" not in step.text() for step in backward_steps(loss))
