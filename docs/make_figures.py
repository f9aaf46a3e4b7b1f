"""Render the README's figures to docs/: seed 001's graph and the demo's network by neuron.

    python docs/make_figures.py        (or: make docs)

The SVG files are committed so the README shows them; rerun this after changing the drawings.
"""

from __future__ import annotations

from pathlib import Path

from microgradnet import Value
from microgradnet.losses import bce_with_logits
from microgradnet.nn import MLP
from microgradnet.viz import save_svg

HERE = Path(__file__).resolve().parent


def seed001_graph() -> Path:
    """L = (x·w + b)² at x = 2, w = 3, b = 1, with the gradients flowing back (seed 001)."""
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.label = "L"
    L.backward()
    return save_svg(
        L,
        HERE / "seed001_graph.svg",
        show_backward=True,
        params=[w, b],
        legend=True,
        title="L = (x·w + b)² at x = 2, w = 3, b = 1",
    )


def demo_network() -> Path:
    """The demo's MLP(2, [16, 16, 1]) on one sample with its logistic loss, one box per neuron."""
    model = MLP(2, [16, 16, 1], seed=0)
    loss = bce_with_logits(model([0.5, -0.25]), [1.0])
    loss.label = "loss"
    loss.backward()
    return save_svg(
        loss,
        HERE / "demo_network.svg",
        collapse="neuron",
        legend=True,
        title="MLP(2, [16, 16, 1]) on one sample, one box per neuron",
    )


if __name__ == "__main__":
    for path in (seed001_graph(), demo_network()):
        print(f"wrote {path.relative_to(HERE.parent)}")
