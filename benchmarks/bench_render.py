"""Rendering benchmark: how long draw() and Graphviz's dot take on graphs of realistic size.

    python benchmarks/bench_render.py [--repeat N] [--skip-deep]

Prints, as the best of N runs on this machine, the time draw() takes to build the DOT text (pure
Python) and the time dot takes to lay it out and write SVG, for:
  1. a 1,000-node graph: the mean squared error of a cubic a·x³ + b·x² + c·x + d over samples
     (wide and shallow, as losses over data are), with values and local derivatives
     (target: under 2 s on a 2-core machine); then with show_backward=True;
  2. an MLP(2, [16, 16, 1]) on one sample with its squared error, collapse="neuron"
     (target: well under 1 s), with show_backward, collapse="layer", and in full;
  3. an MLP(4, [24, 24, 1]) on one sample in full (about 850 nodes);
  4. deep chains (each op reads the previous result and one of the 30 before it) of 150 and
     300 nodes, run once: dot's worst case, as edges that span many levels grow its layout
     super-linearly (--skip-deep leaves them out).
The MLPs come from microgradnet.nn when that module exists, else they are built by hand with
engine.dot and the parameter names nn uses ("layers.0.neurons.3.w.1"). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable

from microgradnet.engine import Value, dot, topological_order, vsum
from microgradnet.viz import draw, svg_text


def cubic_mse(n_nodes: int = 1000, seed: int = 0) -> Value:
    """Mean squared error of a cubic over as many samples as fit in n_nodes Values, topped up
    to exactly n_nodes with negations."""
    rng = random.Random(seed)
    a, b, c, d = (Value(rng.gauss(0, 1), name) for name in "abcd")
    terms: list[Value] = []
    while True:
        x = Value(rng.uniform(-1, 1), f"x{len(terms)}")
        term = (a * x**3 + b * x**2 + c * x + d - rng.uniform(-1, 1)) ** 2
        loss = vsum([*terms, term]) / (len(terms) + 1)
        if len(topological_order(loss)) > n_nodes:
            break
        terms.append(term)
    loss = vsum(terms) / len(terms)
    while len(topological_order(loss)) < n_nodes:
        loss = -loss
    loss.label = "loss"
    loss.backward()
    return loss


def deep_chain(n_nodes: int, seed: int = 0) -> Value:
    """Exactly n_nodes Values: 10 leaves, then a chain of +, -, *, tanh, sigmoid and relu, each
    op reading the previous result and (binary ops) one of the 30 before it."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(0.5, 1.5), f"x{i}") for i in range(10)]
    binary: list[Callable[[Value, Value], Value]] = [
        lambda p, q: p + q,
        lambda p, q: p * q,
        lambda p, q: p - q,
    ]
    unary: list[Callable[[Value], Value]] = [Value.tanh, Value.sigmoid, Value.relu]
    nodes = [leaves[0]]
    for leaf in leaves[1:]:  # every leaf is used
        nodes.append(rng.choice(binary)(nodes[-1], leaf))
    while len(leaves) + len(nodes) - 1 < n_nodes:  # each op adds one Value, all reachable
        if rng.random() < 0.7:
            other = nodes[-1 - rng.randrange(min(30, len(nodes)))]
            nodes.append(rng.choice(binary)(nodes[-1], other))
        else:
            nodes.append(rng.choice(unary)(nodes[-1]))
    root = nodes[-1]
    root.backward()
    return root


def mlp_sample_loss(nin: int, widths: list[int]) -> tuple[Value, str]:
    """The squared error of MLP(nin, widths) (tanh hidden layers) on one sample, and where the
    MLP came from."""
    rng = random.Random(0)
    x = [Value(rng.uniform(-1, 1), f"x{i}") for i in range(nin)]
    try:
        from microgradnet.nn import MLP  # type: ignore[attr-defined]

        out = MLP(nin, widths, activation="tanh", seed=0)(x)
        source = "microgradnet.nn.MLP"
    except ImportError:
        out = _hand_built_mlp(x, widths, rng)
        source = "built by hand with engine.dot (no microgradnet.nn)"
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, source


def _hand_built_mlp(x: list[Value], widths: list[int], rng: random.Random) -> Value:
    for i, width in enumerate(widths):
        layer = []
        for j in range(width):
            name = f"layers.{i}.neurons.{j}"
            w = [Value(rng.gauss(0, 0.5), f"{name}.w.{k}") for k in range(len(x))]
            z = dot(w, x, Value(0.0, f"{name}.b"))
            layer.append(z.tanh() if i < len(widths) - 1 else z)
        x = layer
    return x[0]


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def report(title: str, root: Value, repeat: int, **kwargs: object) -> None:
    graph = draw(root, max_nodes=None, **kwargs)
    t_draw = best_of(repeat, lambda: draw(root, max_nodes=None, **kwargs))
    t_svg = best_of(repeat, lambda: svg_text(graph))
    boxes = graph.source.count("shape=box")
    edges = graph.source.count(" -> ")
    print(
        f"  {title:<44} {boxes:>5} boxes {edges:>5} edges | draw {t_draw * 1e3:7.1f} ms"
        f" | dot->SVG {t_svg * 1e3:7.1f} ms | total {(t_draw + t_svg) * 1e3:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    parser.add_argument("--skip-deep", action="store_true", help="leave out the deep chains")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; best of {args.repeat} runs")

    loss = cubic_mse(1000)
    print(f"cubic MSE: {len(topological_order(loss))} Values")
    report("values and local derivatives", loss, args.repeat)
    report("show_backward=True", loss, args.repeat, show_backward=True)

    loss, source = mlp_sample_loss(2, [16, 16, 1])
    print(f"MLP(2, [16, 16, 1]), one sample: {len(topological_order(loss))} Values ({source})")
    report("collapse='neuron'", loss, args.repeat, collapse="neuron")
    backward = {"show_backward": True}
    report(
        "collapse='neuron', show_backward=True", loss, args.repeat, collapse="neuron", **backward
    )
    report("collapse='layer', show_backward=True", loss, args.repeat, collapse="layer", **backward)
    report("in full", loss, args.repeat)

    loss, source = mlp_sample_loss(4, [24, 24, 1])
    print(f"MLP(4, [24, 24, 1]), one sample: {len(topological_order(loss))} Values ({source})")
    report("in full", loss, args.repeat)

    if not args.skip_deep:
        print("deep chains (dot's worst case; one run each)")
        for n in (150, 300):
            report(f"{n} nodes", deep_chain(n), 1)


if __name__ == "__main__":
    main()
