"""Constants in the drawings: the local derivative on an edge into a drawn constant is drawn
where local derivatives are asked for, in grey and "not propagated" (a constant gets no
gradient); a folded exponent has no edge; the folded operands are one definition
(steps.folded_operands); and the root's box is found by identity (Values compare by data)."""

from __future__ import annotations

import pytest
from browsers import notes_example

from microgradnet import MLP, Value
from microgradnet.engine import topological_order
from microgradnet.steps import folded_operands
from microgradnet.viz import DrawOptions, draw
from microgradnet.viz.looks import COLORS
from microgradnet.viz.scene import build_scene
from microgradnet.viz.writer import NOT_PROPAGATED


def three_x_squared() -> tuple[Value, Value]:
    """L = (3·x)² at x = 2: the 3 is a drawn Constant, the 2 of "²" is folded."""
    x = Value(2.0, "x")
    y = 3 * x
    y.label = "y"
    L = y**2
    L.label = "L"
    L.backward()
    return L, x


def edge_lines(source: str, tail_label: str) -> list[str]:
    """The DOT statements of the edges leaving the node whose label starts with tail_label."""
    node = next(
        line.split()[0]
        for line in source.splitlines()
        if "[label=<" in line and line.split("[label=<", 1)[1].startswith(tail_label)
    )
    return [line for line in source.splitlines() if line.strip().startswith(f"{node} ->")]


@pytest.mark.parametrize(
    "asked", [{"derivatives": "formula"}, {"show_local": True}], ids=["formula", "show_local"]
)
def test_the_edge_into_a_constant_carries_its_local_derivative_not_propagated(
    asked: dict[str, object],
) -> None:
    L, _ = three_x_squared()
    source = draw(L, rankdir="LR", **asked).source  # type: ignore[arg-type]
    (edge,) = edge_lines(source, "3")
    text = "∂y/∂3 = x = 2" if asked.get("derivatives") == "formula" else "∂=2"
    assert f'label="{text}\\n{NOT_PROPAGATED}"' in edge
    assert f"fontcolor={COLORS['grey_text']}" in edge
    (from_x,) = edge_lines(source, "<B>x</B>")
    assert "not propagated" not in from_x and "fontcolor=blue" in from_x


def test_the_legend_says_what_not_propagated_means_and_defaults_are_unchanged() -> None:
    L, _ = three_x_squared()
    legend = draw(L, derivatives="formula", legend=True).source
    assert "(not propagated): into a constant, which gets no gradient" in legend
    plain = draw(L).source  # local derivatives shown by default, not asked for
    assert NOT_PROPAGATED not in plain
    (edge,) = edge_lines(plain, "3")
    assert "label=" not in edge
    assert "into a constant" not in draw(L, show_local=True).source  # the legend only if asked


def test_a_folded_exponent_has_no_edge_and_one_definition() -> None:
    L = notes_example()
    order = topological_order(L)
    two = next(v for v in order if not v.children and v.data == 2.0 and not v.label)
    scene = build_scene(L, DrawOptions())
    assert scene.hidden == folded_operands(order) == {two}
    source = draw(L, derivatives="formula", rankdir="LR").source
    assert NOT_PROPAGATED not in source  # the exponent is inside "²": no edge, no label


def test_the_root_box_is_found_by_identity_not_by_an_equal_value() -> None:
    """L = out·1 has the value of the last neuron's output: by neuron, that neuron's box is
    a neuron (green), not the result (coral); only L's own box is the result."""
    net = MLP(2, [2, 1], activation="tanh", seed=0)
    out = net([Value(0.5, "x1"), Value(-1.0, "x2")])
    assert isinstance(out, Value)
    L = out * 1.0
    L.label = "L"
    L.backward()
    assert out == L  # equal values, different nodes
    source = draw(L, collapse="neuron").source
    coral = [line.split()[0] for line in source.splitlines() if COLORS["root"] in line]
    assert len(coral) == 1 and "<B>L</B>" in next(
        line for line in source.splitlines() if line.split() and line.split()[0] == coral[0]
    )
