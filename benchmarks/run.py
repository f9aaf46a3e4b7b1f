"""The benchmark suite: microgradnet against micrograd, hand-written peers and PyTorch.

    python benchmarks/run.py                # the suite: a table, the targets, a JSON file
    python benchmarks/run.py --rounds 3     # fewer rounds (default 5)
    python benchmarks/run.py --profile      # cProfile of microgradnet's W1, W2, W3 instead
    python benchmarks/run.py --render       # also run bench_render.py and keep its output

Workloads (see benchmarks/README.md):
  W1  build and backprop y = Σ_i tanh(a_i·b_i + c_i), N = 50,000
  W2  one training step of MLP(2, [16, 16, 1]) on 100 two-moons samples: forward, MSE,
      backward, SGD update
  W3  the chain x <- 0.999·x + 0.001, depth 100,000 (and whether 1,000,000 works)
  W4  memory per interior node (tracemalloc) and the time to free a W1 graph (del, gc enabled)
  W5  the compiled training step (compile.Tape) for W2
  F   fit(compile=True) on moons, circles and digits (wall clock, accuracy)

Every engine's loss and gradients are checked against a reference (numpy, or the closed form)
to 1e-9 relative before any time counts; a mismatch stops the run. Engines are measured
interleaved, round after round, in one process, and each figure is the median over the rounds;
a fast engine repeats its call within a round (at least 0.1 s) and the figure is per call.
Each round makes an engine's data afresh (leaves, weights) and drops it after the timed call, so
no engine's collector traverses another engine's objects. Untimed around each measurement:
gc.collect() (one engine's garbage is not charged to the next), a warm-up call for engines whose
call takes under a second, and a settling allocation after it (the first large allocation after
a big graph is freed pays for the allocator's consolidation). Inside a timed call the collector
runs with Python's default settings, but the objects that exist after setup (every engine's
model, the modules) are moved out of its reach with gc.freeze(): otherwise an engine's full
collections traverse the other engines' objects too (microgradnet's W2 step took 31 ms with 175k
such objects alive, 17 ms alone). Numerics run single-threaded (OMP/OpenBLAS/MKL variables,
torch.set_num_threads(1)): the workloads are too small to gain from threads, and spinning worker
threads on a shared 2-core machine made PyTorch's vectorized step swing from 0.13 to 18 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.metadata
import io
import json
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
import tracemalloc
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

# single-threaded numerics: the workloads are far too small to gain from threads, and on a shared
# machine spinning worker threads (OpenMP, OpenBLAS) make the timings erratic
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import peers  # noqa: E402

from microgradnet.engine import Value, topological_order  # noqa: E402

N_W1 = 50_000
DEPTH = 100_000
DEPTH_BIG = 1_000_000
RTOL = 1e-9
MIN_CALL_SECONDS = 0.1


# -- measuring ------------------------------------------------------------------------------------


@dataclass
class Case:
    """One engine on one workload: state = prepare() untimed, then run(state) timed."""

    workload: str
    engine: str
    run: Callable[[Any], Any]
    prepare: Callable[[], Any]
    note: str = ""
    first: float = 0.0  # seconds of one call, from the check or calibration run
    inner: int = 1
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def measure(self) -> None:
        """One round: inner calls timed together, recorded per call. Untimed before: prepare,
        gc.collect(), and a warm-up call for calls under a second; after: the state is dropped
        and the process settled, so the next case starts clean."""
        state = self.prepare()
        gc.collect()
        if self.first < 1.0:
            self.run(state)
            gc.collect()
        start = time.perf_counter()
        for _ in range(self.inner):
            result = self.run(state)
        elapsed = time.perf_counter() - start
        del result, state  # graphs and leaves are freed after the clock stops
        settle()
        self.times.append(elapsed / self.inner)

    def calibrate(self) -> None:
        """Repeat fast calls within a round so that a round takes at least MIN_CALL_SECONDS."""
        state = self.prepare()
        self.run(state)
        gc.collect()
        start = time.perf_counter()
        self.run(state)
        seconds = time.perf_counter() - start
        del state
        settle()
        self.first = seconds
        self.inner = max(1, math.ceil(MIN_CALL_SECONDS / max(seconds, 1e-7)))


def settle() -> None:
    """Collect garbage, then allocate and free a few megabytes: after a big graph is freed, the
    first large allocation pays for the allocator's consolidation of the freed chunks (over
    0.1 s after PyTorch frees 100,000 nodes), and it should not be the next engine's."""
    gc.collect()
    np.zeros(1 << 20).sum()
    list(map(float, range(100_000)))


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def check_close(what: str, actual: Any, expected: Any) -> None:
    """Elementwise relative 1e-9 with a floor of 1e-9 × the largest magnitude; stop if not."""
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    scale = float(np.abs(e).max(initial=0.0))
    if a.shape != e.shape or not np.allclose(a, e, rtol=RTOL, atol=RTOL * scale):
        worst = float(np.abs(a - e).max()) if a.shape == e.shape else math.nan
        sys.exit(f"CHECK FAILED: {what}: differs from the reference (max abs difference {worst})")


# -- workloads ------------------------------------------------------------------------------------


def w1_cases(with_torch: bool) -> list[Case]:
    """W1: leaves are made untimed (prepare); build + backward is timed."""
    expected_y, expected_grads = peers.w1_expected(N_W1)
    engines: list[tuple[str, str, Callable[..., Any], str]] = [
        ("micrograd 0.1.0 (+ tanh)", "micrograd", peers.w1_sum, "tanh added; recursion limit"),
        ("microgradnet, Python sum()", "microgradnet", peers.w1_sum, "a chain of N + nodes"),
        ("microgradnet, vsum", "microgradnet", peers.w1_vsum, "one n-ary sum node"),
    ]
    if with_torch:
        engines += [
            ("PyTorch, 0-dim tensors", "torch-scalar", peers.w1_torch_scalar, "Python sum()"),
            ("PyTorch, vectorized", "torch-vectorized", peers.w1_torch_vectorized, ""),
        ]
    cases = []
    for name, kind, build, note in engines:

        def prepare(kind: str = kind) -> Any:
            return peers.w1_leaves(kind, N_W1)

        def run(leaves: Any, build: Callable[..., Any] = build) -> Any:
            y = build(*leaves)
            y.backward()
            return y

        leaves = prepare()
        y, first = timed(partial(run, leaves))
        if kind == "torch-vectorized":
            grads = np.concatenate([group[0].grad.numpy() for group in leaves])
        else:
            grads = np.array([float(v.grad) for group in leaves for v in group])
        value = float(y.item() if hasattr(y, "item") else y.data)
        check_close(f"W1 {name}: y", value, expected_y)
        check_close(f"W1 {name}: gradients", grads, expected_grads)
        del y, leaves
        settle()
        cases.append(Case("W1", name, run, prepare, note, first))
    return cases


def w2_engines(with_torch: bool) -> tuple[list[peers.Engine], list[peers.Engine]]:
    """W2 engines and W5 engines, all made from the same weights and checked against numpy."""
    weights = peers.init_weights()
    X, y = peers.two_moons()
    classes: list[type[peers.Engine]] = [
        peers.Micrograd,
        peers.MicrogradnetMLP,
        peers.MicrogradnetFine,
        peers.MicrogradnetFineNoGC,
        peers.PurePython,
        peers.Numpy,
    ]
    if with_torch:
        classes += [peers.TorchScalar, peers.TorchVectorized]
    w2 = [cls(weights, X, y) for cls in classes]
    w5: list[peers.Engine] = [
        peers.MicrogradnetTape(weights, X, y),
        peers.MicrogradnetCompiledFit(weights, X, y),
    ]
    reference = next(e for e in w2 if isinstance(e, peers.Numpy))
    ref_loss = reference.step()
    ref_grads = reference.grads()
    for engine in w2 + w5:
        engine.reset(weights)
        loss = engine.step()
        check_close(f"W2 {engine.name}: loss", loss, ref_loss)
        check_close(f"W2 {engine.name}: gradients", engine.grads(), ref_grads)
        engine.reset(weights)
    return w2, w5


def step_case(workload: str, engine: peers.Engine, note: str = "") -> Case:
    weights = peers.init_weights()

    def prepare() -> peers.Engine:
        engine.reset(weights)
        return engine

    case = Case(workload, engine.name, lambda e: e.step(), prepare, note)
    case.calibrate()
    return case


def w3_cases(with_torch: bool) -> list[Case]:
    """W3: the chain from a fresh leaf x0 = 2; build + backward timed."""
    from micrograd.engine import Value as MValue  # type: ignore[import-untyped]

    expected = peers.chain_expected(2.0, DEPTH)
    makers: list[tuple[str, Callable[[], Any], str]] = [
        ("micrograd 0.1.0", lambda: MValue(2.0), f"recursion limit {sys.getrecursionlimit()}"),
        ("microgradnet", lambda: Value(2.0), ""),
    ]
    if with_torch:
        torch = peers.torch_module()
        makers.append(
            (
                "PyTorch, 0-dim tensors",
                lambda: torch.tensor(2.0, dtype=torch.float64, requires_grad=True),
                "",
            )
        )
    cases = []
    for name, make, note in makers:

        def run(x0: Any) -> Any:
            x = peers.chain(x0, DEPTH)
            x.backward()
            return x

        x0 = make()
        x, first = timed(partial(run, x0))
        value = float(x.item() if hasattr(x, "item") else x.data)
        check_close(f"W3 {name}: value", value, expected[0])
        check_close(f"W3 {name}: gradient", float(x0.grad), expected[1])
        del x, x0
        settle()
        cases.append(Case("W3", name, run, make, note, first))
    return cases


def w3_deep() -> dict[str, Any]:
    """Depth 1,000,000 for microgradnet: once, timed, checked against the closed form."""
    x0 = Value(2.0)
    try:
        start = time.perf_counter()
        x = peers.chain(x0, DEPTH_BIG)
        built = time.perf_counter()
        x.backward()
        done = time.perf_counter()
        del x
        freed = time.perf_counter()
    except (RecursionError, MemoryError) as e:
        return {"works": False, "error": repr(e)}
    _, expected_grad = peers.chain_expected(2.0, DEPTH_BIG)
    # 0.999**1e6 underflows: the backward product ends in a subnormal number, the closed form at 0
    works = math.isclose(x0.grad, expected_grad, abs_tol=1e-300)
    return {
        "works": works,
        "build_s": built - start,
        "backward_s": done - built,
        "free_s": freed - done,
        "gradient": x0.grad,
        "expected_gradient": expected_grad,
    }


def count_micrograd_interior(root: Any) -> int:
    seen, stack = {id(root)}, [root]
    interior = 0
    while stack:
        v = stack.pop()
        interior += bool(v._prev)
        for c in v._prev:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return interior


def w4_memory() -> list[dict[str, Any]]:
    """Bytes per interior node of a W1 graph (tracemalloc), after building and after backward."""
    rows = []
    for name, kind, build in [
        ("micrograd 0.1.0 (+ tanh)", "micrograd", peers.w1_sum),
        ("microgradnet, Python sum()", "microgradnet", peers.w1_sum),
        ("microgradnet, vsum", "microgradnet", peers.w1_vsum),
    ]:
        leaves = peers.w1_leaves(kind, N_W1)
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        root = build(*leaves)
        built = tracemalloc.get_traced_memory()[0] - base
        root.backward()
        after = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        if kind == "micrograd":
            interior = count_micrograd_interior(root)
        else:
            interior = sum(1 for v in topological_order(root) if v.children)
        rows.append(
            {
                "engine": name,
                "interior_nodes": interior,
                "bytes_per_node_built": built / interior,
                "bytes_per_node_after_backward": after / interior,
            }
        )
        del root
        gc.collect()
    return rows


def w4_free() -> list[dict[str, Any]]:
    """The time of `del root` for a W1 graph after backward, gc enabled, no gc.collect(); whether
    that freed it (a weak reference dies); for micrograd, the collection that frees it. Median of
    3 graphs (1 for micrograd)."""
    rows = []
    for name, kind, build, rounds in [
        ("micrograd 0.1.0 (+ tanh)", "micrograd", peers.w1_sum, 1),
        ("microgradnet, Python sum()", "microgradnet", peers.w1_sum, 3),
        ("microgradnet, vsum", "microgradnet", peers.w1_vsum, 3),
    ]:
        times, collects, freed = [], [], True
        for _ in range(rounds):
            leaves = peers.w1_leaves(kind, N_W1)
            root = build(*leaves)
            root.backward()
            alive = weakref.ref(root)
            gc.collect()
            start = time.perf_counter()
            del root
            times.append(time.perf_counter() - start)
            if alive() is not None:
                freed = False
                start = time.perf_counter()
                gc.collect()
                collects.append(time.perf_counter() - start)
            del leaves
            settle()
        row: dict[str, Any] = {"engine": name, "del_s": statistics.median(times), "freed": freed}
        if collects:
            row["gc_collect_s"] = statistics.median(collects)
        rows.append(row)
    return rows


def fit_runs() -> list[dict[str, Any]]:
    """fit(compile=True) on moons, circles and digits: seconds and training accuracy; one Value
    path epoch on moons for comparison."""
    try:
        from microgradnet import datasets
        from microgradnet.nn import MLP
        from microgradnet.optim import Adam
        from microgradnet.train import fit

        data = {
            "moons": datasets.make_moons(1000, noise=0.1, seed=0),
            "circles": datasets.make_circles(1000, noise=0.1, factor=0.5, seed=0),
            "digits": datasets.load_digits(),
        }
    except ImportError as e:
        return [{"skipped": str(e)}]
    configs = [
        ("moons", [16, 16, 1], "bce_with_logits", 100, 32, True),
        ("circles", [16, 16, 1], "bce_with_logits", 100, 32, True),
        ("digits", [32, 10], "cross_entropy", 30, 64, True),
        ("moons", [16, 16, 1], "bce_with_logits", 1, 32, False),
    ]
    rows = []
    for name, widths, loss, epochs, batch, compiled in configs:
        X, y = data[name]
        model = MLP(X.shape[1], widths, seed=0)
        train = partial(
            fit,
            model,
            X,
            y,
            loss=loss,
            optimizer=Adam(model, lr=0.01),
            epochs=epochs,
            batch_size=batch,
            seed=0,
            progress=False,
            compile=compiled,
        )
        history, seconds = timed(train)
        rows.append(
            {
                "dataset": name,
                "samples": len(X),
                "model": f"MLP({X.shape[1]}, {widths})",
                "loss": loss,
                "epochs": epochs,
                "batch_size": batch,
                "compile": compiled,
                "seconds": seconds,
                "train_accuracy": history.accuracy[-1],
            }
        )
    return rows


# -- the run --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for package in ("microgradnet", "numpy", "micrograd", "torch"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    torch = peers.torch_module()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "versions": versions,
        "torch_threads": torch.get_num_threads() if torch else None,
        "thread_variables": {
            v: os.environ.get(v)
            for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        },
        "gc_thresholds": gc.get_threshold(),
        "commit": commit,
    }


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_ratio(r: float) -> str:
    return f"{r:,.0f}×" if r >= 100 else f"{r:.3g}×" if r >= 0.01 else f"{r:.2g}×"


def target(label: str, measured: float, op: str, limit: float, unit: str = "×") -> dict[str, Any]:
    met = measured >= limit if op == ">=" else measured <= limit
    return {
        "target": label,
        "measured": measured,
        "op": op,
        "limit": limit,
        "unit": unit,
        "met": met,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--profile", action="store_true", help="cProfile microgradnet instead")
    parser.add_argument("--render", action="store_true", help="also run bench_render.py")
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/DATE)")
    args = parser.parse_args()
    if args.profile:
        profile()
        return
    with_torch = not args.no_torch and peers.torch_module() is not None
    facts = machine()
    print(f"microgradnet benchmark suite, {facts['date']}")
    print(f"  {facts['cpu']}, {facts['cores']} cores; {facts['platform']}")
    print(
        f"  Python {facts['python']}; "
        + ", ".join(f"{k} {v}" for k, v in facts["versions"].items() if v)
        + f"; commit {facts['commit']}"
    )
    if not with_torch:
        print("  PyTorch: not installed (optional), left out")
    print("  micrograd 0.1.0 has no tanh: W1 adds one to its Value class, in its closure style")
    print(f"checking every engine to {RTOL:g} relative, then {args.rounds} interleaved rounds ...")

    # micrograd's backward recurses once per node of the longest path: W1 with sum() and W3
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * max(DEPTH, N_W1) + 1000))
    print(f"  sys.setrecursionlimit({sys.getrecursionlimit():,}) so that micrograd can run W1, W3")
    w2, w5 = w2_engines(with_torch)
    cases = w1_cases(with_torch)
    cases += [step_case("W2", e) for e in w2]
    cases += w3_cases(with_torch)
    cases += [step_case("W5", e) for e in w5]
    print("  all engines agree on loss, values and gradients")
    gc.collect()
    gc.freeze()  # the setup's objects: no engine's collections traverse them (see the docstring)
    for r in range(args.rounds):
        for case in cases:
            case.measure()
        print(f"  round {r + 1}/{args.rounds} done", flush=True)
    print(f"  W3 at depth {DEPTH_BIG:,} (microgradnet, once) ...", flush=True)
    deep = w3_deep()
    print("  W4 memory and freeing ...", flush=True)
    memory = w4_memory()
    freeing = w4_free()
    print("  fit(compile=True) ...", flush=True)
    fits = fit_runs()
    render = run_render() if args.render else None

    median = {(c.workload, c.engine): c.median for c in cases}
    micrograd = {w: median[(w, e)] for w, e in median if e.startswith("micrograd 0.1.0")}
    micrograd["W5"] = micrograd["W2"]
    pure = median[("W2", peers.PurePython.name)]
    numpy_step = median[("W2", peers.Numpy.name)]
    titles = {
        "W1": f"W1  build + backward of Σ tanh(a·b + c), N = {N_W1:,}",
        "W2": "W2  one training step: MLP(2, [16, 16, 1]), 100 moons, MSE, SGD",
        "W3": f"W3  chain x <- 0.999·x + 0.001, depth {DEPTH:,}, build + backward",
        "W5": "W5  the compiled training step for W2 (ratios against micrograd's W2 step)",
    }
    print()
    print(f"{'':<44}{'median':>10}{'min':>10}{'max':>10}{'vs micrograd':>14}   notes")
    rows = []
    for workload in ("W1", "W2", "W3", "W5"):
        print(titles[workload])
        for c in (c for c in cases if c.workload == workload):
            speedup = micrograd[workload] / c.median
            notes = [c.note] if c.note else []
            if workload in ("W2", "W5") and "microgradnet" in c.engine:
                notes.append(f"{fmt_ratio(c.median / pure)} pure Python's time")
                notes.append(f"{fmt_ratio(c.median / numpy_step)} numpy's")
            print(
                f"  {c.engine:<42}{fmt_time(c.median):>10}{fmt_time(min(c.times)):>10}"
                f"{fmt_time(max(c.times)):>10}{fmt_ratio(speedup):>14}   {'; '.join(notes)}"
            )
            rows.append(
                {
                    "workload": workload,
                    "engine": c.engine,
                    "median_s": c.median,
                    "times_s": c.times,
                    "calls_per_round": c.inner,
                    "speedup_vs_micrograd": speedup,
                    "note": c.note,
                }
            )
    print(f"W3  depth {DEPTH_BIG:,}, microgradnet: ", end="")
    if deep["works"]:
        print(
            f"works (build {deep['build_s']:.2f} s, backward {deep['backward_s']:.2f} s, "
            f"free {deep['free_s']:.2f} s; gradient {deep['gradient']:.3g} = 0.999^1e6 underflowed)"
        )
    else:
        print(f"FAILED: {deep.get('error')}")
    print("W4  memory per interior node of the W1 graph (tracemalloc)")
    for m in memory:
        print(
            f"  {m['engine']:<42}{m['bytes_per_node_built']:>7.0f} B built, "
            f"{m['bytes_per_node_after_backward']:>4.0f} B after backward "
            f"({m['interior_nodes']:,} interior nodes)"
        )
    print("W4  freeing the W1 graph: `del root`, gc enabled, no gc.collect()")
    for f in freeing:
        extra = (
            ""
            if f["freed"]
            else (
                " -> NOT freed (reference cycles); gc.collect() then took "
                + fmt_time(f["gc_collect_s"])
            )
        )
        print(f"  {f['engine']:<42}{fmt_time(f['del_s']):>10}{extra}")
    print("F   fit on the seeds' datasets")
    for f in fits:
        if "skipped" in f:
            print(f"  skipped: {f['skipped']}")
            continue
        how = "compile=True " if f["compile"] else "Value path   "
        print(
            f"  {f['dataset']:<8} {f['samples']:>5} samples {f['model']:<20} {f['loss']:<16} "
            f"{how}{f['epochs']:>4} epochs × batch {f['batch_size']:<3} {f['seconds']:6.2f} s  "
            f"train accuracy {f['train_accuracy']:.3f}"
        )

    fused = median[("W2", peers.MicrogradnetMLP.name)]
    fine = median[("W2", peers.MicrogradnetFine.name)]
    tape = median[("W5", peers.MicrogradnetTape.name)]
    fine_no_gc = median[("W2", peers.MicrogradnetFineNoGC.name)]
    targets = [
        target("W1 (vsum) vs micrograd", micrograd["W1"] / median[("W1", "microgradnet, vsum")],
               ">=", 12),
        target("W1 (Python sum()) vs micrograd",
               micrograd["W1"] / median[("W1", "microgradnet, Python sum()")], ">=", 7.5),
        target("W2 micrograd's graph shape vs micrograd", micrograd["W2"] / fine, ">=", 8.5),
        target("W2 micrograd's graph shape in no_gc vs micrograd", micrograd["W2"] / fine_no_gc,
               ">=", 12),
        target("W2 microgradnet MLP (fused) vs micrograd", micrograd["W2"] / fused, ">=", 90),
        target("W2 microgradnet MLP / pure-Python loop", fused / pure, "<=", 4),
        target("W3 depth 100,000 vs micrograd", micrograd["W3"] / median[("W3", "microgradnet")],
               ">=", 8),
        target(f"W3 depth {DEPTH_BIG:,} works", float(deep["works"]), ">=", 1, "bool"),
    ]  # fmt: skip
    for m in memory[1:]:
        targets.append(
            target(
                f"W4 bytes per interior node, {m['engine']}",
                m["bytes_per_node_built"],
                "<=",
                200,
                "B",
            )
        )
    for f in freeing[1:]:
        targets.append(
            target(
                f"W4 free a W1 graph, {f['engine']}",
                f["del_s"] * 1e3 if f["freed"] else math.inf,
                "<=",
                20,
                "ms",
            )
        )
    targets += [
        target("W5 Tape step vs micrograd's W2 step", micrograd["W2"] / tape, ">=", 2000),
        target("W5 Tape step / hand-written numpy step", tape / numpy_step, "<=", 10),
    ]
    print()
    print("Targets (the op-table issue; W5 from the earlier benchmark issue)")
    for t in targets:
        if t["unit"] == "bool":
            value, limit = ("yes" if t["measured"] else "no"), ""
        else:
            number = t["measured"]
            value = f"{number:,.0f} {t['unit']}" if number >= 100 else f"{number:.3g} {t['unit']}"
            limit = f"  (target {t['op']} {t['limit']:g} {t['unit']})"
        print(f"  {'met    ' if t['met'] else 'NOT MET'}  {t['target']:<56} {value:>9}{limit}")

    document = {
        "suite": "microgradnet benchmarks (issue 6)",
        "machine": facts,
        "settings": {"rounds": args.rounds, "rtol": RTOL, "n_w1": N_W1, "depth": DEPTH},
        "results": rows,
        "w3_deep": deep,
        "w4_memory": memory,
        "w4_free": freeing,
        "fit": fits,
        "targets": targets,
        "render": render,
    }
    out = args.out or ROOT / "benchmarks" / "results" / f"{facts['date'][:10]}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def run_render() -> dict[str, Any]:
    """bench_render.py (by the renderer's helper), run as is; its output is kept verbatim."""
    script = ROOT / "benchmarks" / "bench_render.py"
    if not script.exists():
        return {"skipped": "bench_render.py not present"}
    done = subprocess.run(
        [sys.executable, str(script), "--repeat", "3"], capture_output=True, text=True, cwd=ROOT
    )
    print("\nbench_render.py:\n" + done.stdout + done.stderr)
    return {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


# -- profiles -------------------------------------------------------------------------------------


def profile() -> None:
    """cProfile of microgradnet's W1 (sum() and vsum), W2 and W3, with the time spent in the
    cyclic garbage collector (gc.callbacks) beside the wall clock."""
    weights = peers.init_weights()
    X, y = peers.two_moons()
    mlp, fine = peers.MicrogradnetMLP(weights, X, y), peers.MicrogradnetFine(weights, X, y)
    leaves = peers.w1_leaves("microgradnet", N_W1)

    def w1(build: Callable[..., Any]) -> Callable[[], Any]:
        def run() -> Any:
            root = build(*leaves)
            root.backward()
            return root

        return run

    def w3() -> Any:
        x = peers.chain(Value(2.0), DEPTH)
        x.backward()
        return x

    jobs = [
        ("W1 microgradnet, Python sum()", w1(peers.w1_sum)),
        ("W1 microgradnet, vsum", w1(peers.w1_vsum)),
        ("W2 microgradnet MLP (fused dot)", mlp.step),
        ("W2 microgradnet, micrograd's graph shape", fine.step),
        (f"W3 microgradnet, depth {DEPTH:,}", w3),
    ]
    for title, job in jobs:
        collected, started = [0.0], [0.0]

        def on_gc(
            phase: str,
            info: dict[str, Any],
            collected: list[float] = collected,
            started: list[float] = started,
        ) -> None:
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                collected[0] += time.perf_counter() - started[0]

        gc.collect()
        gc.callbacks.append(on_gc)
        start = time.perf_counter()
        result = job()
        wall = time.perf_counter() - start
        gc.callbacks.remove(on_gc)
        del result
        gc.collect()
        gc.disable()
        _, no_gc = timed(job)
        gc.enable()
        profiler = cProfile.Profile()
        profiler.enable()
        result = job()
        profiler.disable()
        del result
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(10)
        body = text.getvalue()
        body = body[body.index("ncalls") :] if "ncalls" in body else body
        print(
            f"== {title}: {fmt_time(wall)} wall, {fmt_time(collected[0])} of it in gc; "
            f"{fmt_time(no_gc)} with gc disabled"
        )
        print(body.replace(str(ROOT) + "/", ""))


if __name__ == "__main__":
    main()
