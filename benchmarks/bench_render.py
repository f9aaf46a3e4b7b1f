"""Rendering benchmark: draw() and Graphviz's dot on the graphs people draw, and the worst cases.

    python benchmarks/bench_render.py [--repeat N]

Prints, for each figure, the time draw() takes to build the DOT text (pure Python, best of N),
the time dot takes to lay it out and write SVG (best of N), and the picture's size in pixels
(SVG points at 96 dpi, as a browser shows it):
  seed 001's (x·w + b)², Masha's network (seed 002), the demo's MLP(2, [16, 16, 1]) on one moons
  sample collapsed by neuron, MLP(2, [4, 4, 1]) uncollapsed, x·x·…·x with 200 factors (one x
  reused by every product), a 300-op chain whose ops also read results up to 30 steps back,
  a 60-step chain z = tanh(0.9·z), and three 1,000-node graphs (x·x·…·x with 1,000 factors, a
  deep chain as above, a cubic's mean squared error over samples).
Then the step-through: Stepper(root).to_html() from scratch (the frames, one dot run for the
layout, the neato runs at fixed positions, the page), with its frames and the page's size.
The budget: any graph draw() accepts with its default max_nodes renders in at most 5 s on a
2-core machine. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Callable
from typing import Any

from microgradnet.engine import Value, topological_order, vsum
from microgradnet.losses import bce_with_logits
from microgradnet.nn import MLP
from microgradnet.stepper import Stepper
from microgradnet.viz import draw, svg_text


def seed001() -> Value:
    """L = (x·w + b)² at x=2, w=3, b=1 (seed 001)."""
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.label = "L"
    L.backward()
    return L


def masha() -> Value:
    """Seed 002: y_hat = σ(σ(x·w1)·w2)·w3, L = ½(y − y_hat)² at x=1, y=0.5."""
    w1, w2, w3 = Value(0.5, "w1"), Value(-0.3, "w2"), Value(0.8, "w3")
    o2 = ((1.0 * w1).sigmoid() * w2).sigmoid()
    L = 0.5 * (0.5 - o2 * w3) ** 2
    L.label = "L"
    L.backward()
    return L


def mlp_loss(widths: list[int], logits: bool) -> Value:
    """MLP(2, widths) (seed 0) on one sample, with the demo's logistic loss or a squared error."""
    model = MLP(2, widths, seed=0)
    out = model([0.5, -0.25])
    loss = bce_with_logits(out, [1.0]) if logits else (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss


def power_chain(factors: int = 200) -> Value:
    """x·x·…·x: one leaf x read by every product."""
    x = Value(1.0001, "x")
    y = x
    for _ in range(factors - 1):
        y = y * x
    y.backward()
    return y


def tanh_chain(steps: int = 60) -> Value:
    """z = 0.5, then steps times z = tanh(0.9·z): a long chain with a constant beside each step."""
    z = Value(0.5, "x")
    for _ in range(steps):
        z = (z * 0.9).tanh()
    z.backward()
    return z


def deep_chain(n_nodes: int = 310, seed: int = 0) -> Value:
    """10 leaves, then n_nodes − 10 ops (+, −, ×, tanh, σ, ReLU), each reading the previous result
    and (binary ops) one of the 30 before it."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(0.5, 1.5), f"x{i}") for i in range(10)]
    binary: list[Callable[[Value, Value], Value]] = [
        lambda p, q: p + q,
        lambda p, q: p * q,
        lambda p, q: p - q,
    ]
    unary: list[Callable[[Value], Value]] = [Value.tanh, Value.sigmoid, Value.relu]
    nodes = [leaves[0]]
    for leaf in leaves[1:]:
        nodes.append(rng.choice(binary)(nodes[-1], leaf))
    while len(leaves) + len(nodes) - 1 < n_nodes:
        if rng.random() < 0.7:
            other = nodes[-1 - rng.randrange(min(30, len(nodes)))]
            nodes.append(rng.choice(binary)(nodes[-1], other))
        else:
            nodes.append(rng.choice(unary)(nodes[-1]))
    root = nodes[-1]
    root.backward()
    return root


def cubic_mse(n_nodes: int = 1000, seed: int = 0) -> Value:
    """Mean squared error of a·x³ + b·x² + c·x + d over as many samples as fit in n_nodes Values,
    topped up to exactly n_nodes with negations."""
    rng = random.Random(seed)
    a, b, c, d = (Value(rng.gauss(0, 1), name) for name in "abcd")
    terms: list[Value] = []
    while True:
        x = Value(rng.uniform(-1, 1), f"x{len(terms)}")
        term = (a * x**3 + b * x**2 + c * x + d - rng.uniform(-1, 1)) ** 2
        if len(topological_order(vsum([*terms, term]))) + 2 > n_nodes:
            break
        terms.append(term)
    loss = vsum(terms) / len(terms)
    while len(topological_order(loss)) < n_nodes:
        loss = -loss
    loss.label = "loss"
    loss.backward()
    return loss


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def pixels(svg: str) -> tuple[int, int]:
    """The SVG's width and height in px (its pt sizes at 96 dpi)."""
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert m is not None
    return round(float(m[1]) * 96 / 72), round(float(m[2]) * 96 / 72)


def report(title: str, root: Value, repeat: int, **kwargs: Any) -> None:
    graph = draw(root, **kwargs)
    t_draw = best_of(repeat, lambda: draw(root, **kwargs))
    svg = svg_text(graph)
    t_svg = best_of(repeat, lambda: svg_text(graph))
    w, h = pixels(svg)
    values = len(topological_order(root))
    print(
        f"  {title:<40} {values:>5} Values | draw {t_draw * 1e3:7.1f} ms"
        f" | dot->SVG {t_svg * 1e3:7.1f} ms | {w:>5} × {h:<5} px"
    )


def report_stepper(title: str, root: Value, repeat: int) -> None:
    page = Stepper(root).to_html()
    t_html = best_of(repeat, lambda: Stepper(root).to_html())
    frames = len(Stepper(root))
    print(
        f"  {title:<40} {frames:>5} frames | to_html {t_html * 1e3:7.1f} ms"
        f" | {len(page.encode()) / 1000:7.1f} kB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    args = parser.parse_args()
    r = args.repeat
    print(f"Python {sys.version.split()[0]}; best of {r} runs; default draw() options")
    report("seed 001: (x·w + b)²", seed001(), r)
    report("seed 001, show_backward", seed001(), r, show_backward=True)
    report("Masha's network (seed 002)", masha(), r)
    report(
        "demo MLP(2,[16,16,1]), collapse='neuron'",
        mlp_loss([16, 16, 1], True),
        r,
        collapse="neuron",
    )
    report("MLP(2,[4,4,1]) uncollapsed", mlp_loss([4, 4, 1], False), r)
    report("MLP(2,[4,4,1]) collapse='neuron'", mlp_loss([4, 4, 1], False), r, collapse="neuron")
    report("x·x·…·x, 200 factors", power_chain(200), r)
    report("300-op chain (reads 30 back)", deep_chain(310), r)
    report("tanh chain, 60 steps", tanh_chain(60), r)
    report("x·x·…·x, 1,000 factors", power_chain(1000), r)
    report("1,000-node deep chain (reads 30 back)", deep_chain(1000), r)
    report("1,000-node cubic MSE", cubic_mse(1000), r)
    report("1,000-node cubic MSE, show_backward", cubic_mse(1000), r, show_backward=True)
    print("Stepper(root).to_html(), default options")
    report_stepper("seed 001: (x·w + b)²", seed001(), r)
    report_stepper("Masha's network (seed 002)", masha(), r)
    report_stepper("MLP(2,[4,4,1]) (collapsed by neuron)", mlp_loss([4, 4, 1], False), r)
    report_stepper("tanh chain, 12 steps", tanh_chain(12), r)


if __name__ == "__main__":
    main()
