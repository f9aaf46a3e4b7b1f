"""The demo of ``microgradnet demo``: the notes' worked example, then a classifier on two moons.

    demo("demo-output")                 print what it computes, return the files it wrote
    write_graph(root, "graph.svg")      a graph as SVG (DOT source without Graphviz's dot)

References: the lecture notes' backpropagation notebook (the (x·w + b)² worked example and its
forward/backward graph) and their two-moons classifier.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ._format import number_format, path_text
from .chain_rule import explain
from .engine import Value


class FigureError(ValueError):
    """A graph could not be drawn: Graphviz is missing or failed (the message names the file)."""


def demo(out_dir: str | os.PathLike[str] = "demo-output", *, epochs: int = 60) -> list[Path]:
    """Run the demo, print what it computes and return the files it wrote into out_dir.

    The worked example of the lecture notes' backpropagation notebook, L = (x·w + b)² at x = 2,
    w = 3, b = 1: its gradients, the chain rule for x and its graph with forward (blue) and
    backward (red dashed) arrows; then the notebook's classifier: an MLP trained on the two
    moons, its decision boundary, its loss and gradient-norm curves, and the graph of one
    sample's loss collapsed by neuron.
    """
    out = Path(_folder(out_dir))
    if isinstance(epochs, bool) or not isinstance(epochs, int):
        raise TypeError(f"demo: epochs must be an int, got {type(epochs).__name__}")
    if epochs < 1:
        raise ValueError(f"demo: epochs must be at least 1, got {epochs}")
    out.mkdir(parents=True, exist_ok=True)
    files = [_seed001_example(out), *_moons(out, epochs)]
    sources = [f.name for f in files if f.suffix == ".gv"]
    if sources:  # one line that says what was not drawn and why
        print(
            f"drawings skipped: Graphviz's dot program is not on PATH, so {', '.join(sources)} "
            "hold the graphs' DOT source instead of SVG; install Graphviz "
            "(Debian/Ubuntu: apt-get install graphviz) and run the demo again"
        )
    return files


def write_graph(
    root: Value, path: str | os.PathLike[str], *, dot_source_fallback: bool = True, **draw: Any
) -> Path:
    """Save viz.draw(root, **draw) as SVG at path; return the file written.

    Without Graphviz's ``dot`` program, write the DOT source next to it (``.gv``) if
    dot_source_fallback, else raise FigureError; FigureError too when dot fails. An OSError
    (a full disk, a missing folder) names the file.
    """
    target = Path(path)
    try:
        from graphviz import ExecutableNotFound

        from . import viz
    except ImportError as e:
        raise FigureError(f"cannot draw the graph: {e}") from None
    try:
        viz.save_svg(root, target, **draw)
        return target
    except ExecutableNotFound:
        if not dot_source_fallback:
            raise FigureError(
                f"cannot write {path_text(target)}: Graphviz's 'dot' program was not found on "
                "PATH; install Graphviz (https://graphviz.org/download/)"
            ) from None
    except viz.GraphvizError as e:  # dot failed or ran past its timeout
        raise FigureError(f"cannot draw {path_text(target)}: {e}") from None
    except OSError as e:  # a full disk or a bad folder: name the file, which e may not
        if e.filename is not None:
            raise
        raise OSError(e.errno, e.strerror or str(e), os.fspath(target)) from None
    source = target.with_suffix(".gv")
    source.write_text(viz.draw(root, **draw).source, encoding="utf-8")
    print(f"Graphviz's 'dot' program was not found: wrote the DOT source {source} instead of SVG")
    return source


def _folder(out_dir: object) -> str | os.PathLike[str]:
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"demo: out_dir must be a str or a path, got {type(out_dir).__name__}")
    if "\0" in os.fsdecode(out_dir):
        raise ValueError("demo: out_dir contains a NUL byte, which no file name may hold")
    return out_dir


def _seed001_example(out: Path) -> Path:
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.label = "L"
    L.backward()
    print("The notes' worked example: L = (x·w + b)² at x = 2, w = 3, b = 1")
    print(f"L = {_fmt(L.data)}")
    for v in (x, w, b):
        print(f"dL/d{v.label} = {_fmt(v.grad)}")
    print(f"chain rule for x:\n{explain(L, x)}")
    path = write_graph(L, out / "seed001_graph.svg", show_backward=True)
    print(f"wrote {path}")
    return path


def _moons(out: Path, epochs: int) -> list[Path]:
    from matplotlib.figure import Figure

    from . import datasets, plot
    from .losses import bce_with_logits
    from .nn import MLP
    from .optim import Adam
    from .train import fit

    X, y = datasets.make_moons(300, noise=0.2, seed=42)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=42)
    model = MLP(2, [16, 16, 1], seed=0)
    print(
        "\nThe notes' classifier: MLP(2, [16, 16, 1]) learns the two moons (300 samples, noise 0.2)"
    )
    history = fit(
        model,
        X_train,
        y_train,
        loss="bce_with_logits",
        optimizer=Adam(model, lr=0.01),
        epochs=epochs,
        batch_size=32,
        seed=0,
        validation=(X_test, y_test),
    )
    print(
        f"accuracy: training {history.accuracy[-1]:.1%}, test {history.val_accuracy[-1]:.1%} "
        f"(final loss {history.loss[-1]:.4f})"
    )
    boundary = Figure(figsize=(6, 5))
    plot.decision_boundary(model, X_test, y_test, ax=boundary.subplots(), title="test set")
    curves = Figure(figsize=(11, 4))
    plot.training_curves(history, axes=curves.subplots(1, 2))
    files = [out / "moons_decision_boundary.png", out / "moons_training_curves.png"]
    boundary.savefig(files[0], dpi=100, bbox_inches="tight")
    curves.savefig(files[1], dpi=100, bbox_inches="tight")
    loss = bce_with_logits(model(X_test[0].tolist()), [float(y_test[0])])
    loss.label = "loss"
    loss.backward()
    sample = out / "moons_sample_graph.svg"  # one box per neuron; 16 × 16 edges: no edge labels
    files.append(write_graph(loss, sample, collapse="neuron", show_local=False))
    for path in files:
        print(f"wrote {path}")
    return files


_fmt = number_format(None)  # whole numbers without .0 (49), other floats in full (repr)
