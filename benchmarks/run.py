"""The benchmark suite: microgradnet against micrograd, hand-written peers, PyTorch and itself.

    python benchmarks/run.py                  # the suite: a table, the targets, a JSON file
    python benchmarks/run.py --rounds 7       # more rounds (default 5, the protocol's minimum)
    python benchmarks/run.py --instructions   # also instruction counts under valgrind (slow)
    python benchmarks/run.py --profile        # cProfile of microgradnet's W1, W2, W3 instead
    python benchmarks/run.py --render         # also run bench_render.py and keep its output

Workloads (see benchmarks/README.md):
  W1  build and backprop y = Σ_i tanh(a_i·b_i + c_i), N = 50,000
  W2  one training step of MLP(2, [16, 16, 1]) on 100 two-moons samples: forward, MSE,
      backward, SGD update
  W3  the chain x <- 0.999·x + 0.001, depth 100,000 (and whether 1,000,000 works)
  W4  memory per interior node (tracemalloc) of W1 and W3, and the time to free a W1 graph
  W5  the compiled training step (replay.Tape, fit(compile=True)) for W2
  W6  Module.parameters() and zero_grad() of W2's MLP
  F   fit(compile=True) on moons, circles and digits (wall clock, accuracy)

Every microgradnet workload also runs on the baseline: the package as it was at an earlier
commit (565435e by default), extracted with ``git archive`` into a temporary directory and
imported as ``microgradnet_<commit>``, so every change is measured against it in the same run.
Where the engine has ``relaxed_gc`` (the collector's thresholds raised inside a context), W1,
W2 and W3 run inside it too.

Every engine's loss and gradients are checked against a reference (numpy, or the closed form)
to 1e-9 relative before any time counts; a mismatch stops the run. Engines are measured
interleaved, round after round, in one process; each figure is the median over the rounds of
the CPU time of this process (time.process_time) and of the wall time; ratios use CPU time,
which a shared machine disturbs less. A fast engine repeats its call within a round (at least
0.1 s) and the figure is per call. Each round makes an engine's data afresh (leaves, weights) and
drops it after the timed call, so no engine's collector traverses another engine's objects.
Untimed around each measurement: gc.collect() (one engine's garbage is not charged to the next),
a warm-up call for engines whose call takes under a second, and a settling allocation after it
(the first large allocation after a big graph is freed pays for the allocator's consolidation).
Inside a timed call the collector runs with Python's default settings, but the objects that
exist after setup (every engine's model, the modules) are moved out of its reach with
gc.freeze(): otherwise an engine's full collections traverse the other engines' objects too.
Numerics run single-threaded (OMP/OpenBLAS/MKL variables, torch.set_num_threads(1)). The load
average is recorded at the start and the end: compare ratios within one run.

With --instructions, each workload also runs once more, at a small fixed size, in a child
process under ``valgrind --tool=callgrind``, counting the instructions of exactly that call (the
child runs it through contextvars.Context.run, and callgrind collects only inside that C
function): a measure the machine's load does not move.
"""

from __future__ import annotations

import argparse
import atexit
import contextvars
import cProfile
import gc
import importlib
import importlib.metadata
import io
import json
import math
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
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

N_W1 = 50_000
DEPTH = 100_000
DEPTH_BIG = 1_000_000
RTOL = 1e-9
MIN_CALL_SECONDS = 0.1
MIN_ROUNDS = 5
MICROGRAD_MEMORY = 5_000  # the size of micrograd's graphs in W4's memory rows
BASELINE = "565435e"
TAG = {"baseline": BASELINE}  # the baseline's commit in this run (--baseline)
SMALL = {"W1": 2_000, "W2": 20, "W3": 2_000}  # sizes of the runs counted under callgrind
CURRENT = peers.library("microgradnet", "microgradnet")


# -- measuring ------------------------------------------------------------------------------------


@dataclass
class Case:
    """One engine on one workload: state = prepare() untimed, then run(state) timed.

    baseline: the engine of the baseline's row this one is compared with; relaxed: the row runs
    inside relaxed_gc (compared with micrograd under the default collector)."""

    workload: str
    engine: str
    run: Callable[[Any], Any]
    prepare: Callable[[], Any]
    note: str = ""
    first: float = 0.0  # seconds of one call, from the check or calibration run
    inner: int = 1
    baseline: str = ""
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """The median CPU time per call: what ratios are taken of."""
        return statistics.median(self.cpu)

    @property
    def median_wall(self) -> float:
        return statistics.median(self.wall)

    def measure(self) -> None:
        """One round: inner calls timed together, recorded per call. Untimed before: prepare,
        gc.collect(), and a warm-up call for calls under a second; after: the state is dropped
        and the process settled, so the next case starts clean."""
        state = self.prepare()
        gc.collect()
        if self.first < 1.0:
            self.run(state)
            gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(self.inner):
            result = self.run(state)
        cpu, elapsed = time.process_time() - cpu, time.perf_counter() - start
        del result, state  # graphs and leaves are freed after the clock stops
        settle()
        self.wall.append(elapsed / self.inner)
        self.cpu.append(cpu / self.inner)

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


def inside(context: Callable[[], Any] | None, run: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """run(state), inside ``with context():`` when a context is given."""
    if context is None:
        return run

    def within(state: Any) -> Any:
        with context():
            return run(state)

    return within


# -- the baseline: microgradnet at an earlier commit, extracted at run time ----------------------


def baseline_library(commit: str) -> tuple[peers.Library | None, str]:
    """microgradnet as it was at commit, imported as microgradnet_<commit> from a temporary
    directory (removed at exit); (None, why) when git or the commit is not available."""
    try:
        archive = subprocess.run(
            ["git", "archive", commit, "microgradnet"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        return None, f"git archive {commit} failed ({e})"
    where = Path(tempfile.mkdtemp(prefix="microgradnet-baseline-"))
    atexit.register(shutil.rmtree, where, True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    package = f"microgradnet_{commit}"
    (where / "microgradnet").rename(where / package)
    sys.path.insert(0, str(where))
    return peers.library(package, commit), str(where)


def libraries(commit: str | None) -> tuple[list[peers.Library], str]:
    """The tree under test, then the baseline (when there is one), and a note."""
    if commit is None:
        return [CURRENT], "baseline: left out (--no-baseline)"
    base, where = baseline_library(commit)
    if base is None:
        return [CURRENT], f"baseline: left out: {where}"
    return [CURRENT, base], f"baseline: microgradnet at {commit}, extracted to {where}"


# -- workloads ------------------------------------------------------------------------------------

Build = Callable[..., Any]


def w1_engines(libs: list[peers.Library], with_torch: bool) -> list[tuple[str, Any, Build, str]]:
    """(name, leaves kind, builder, note) of every W1 engine; the names of microgradnet's rows
    start with the library's tag, relaxed rows end with ", relaxed_gc"."""
    engines: list[tuple[str, Any, Build, str]] = [
        ("micrograd 0.1.0 (+ tanh)", "micrograd", peers.w1_sum, "tanh added; recursion limit"),
    ]
    for lib in libs:
        engines += [
            (f"{lib.tag}, Python sum()", lib, peers.w1_sum, "a chain of N + nodes"),
            (f"{lib.tag}, vsum", lib, peers.w1_vsum(lib), "one n-ary sum node"),
        ]
    if with_torch:
        engines += [
            ("PyTorch, 0-dim tensors", "torch-scalar", peers.w1_torch_scalar, "Python sum()"),
            ("PyTorch, vectorized", "torch-vectorized", peers.w1_torch_vectorized, ""),
        ]
    return engines


def w1_run(build: Build) -> Callable[[Any], Any]:
    def run(leaves: Any) -> Any:
        y = build(*leaves)
        y.backward()
        return y

    return run


def w1_cases(libs: list[peers.Library], with_torch: bool) -> list[Case]:
    """W1: leaves are made untimed (prepare); build + backward is timed."""
    expected_y, expected_grads = peers.w1_expected(N_W1)
    cases = []
    for name, kind, build, note in w1_engines(libs, with_torch):
        prepare, run = partial(peers.w1_leaves, kind, N_W1), w1_run(build)
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
        cases += variants(Case("W1", name, run, prepare, note, first), kind)
    return cases


def variants(case: Case, kind: Any) -> list[Case]:
    """A microgradnet case with its baseline set, and its relaxed_gc twin where there is one."""
    if not isinstance(kind, peers.Library):
        return [case]
    case.baseline = case.engine.replace(kind.tag, TAG["baseline"], 1)
    if kind is not CURRENT or CURRENT.relaxed_gc is None:
        return [case]
    twin = Case(
        case.workload, f"{case.engine}, relaxed_gc", inside(CURRENT.relaxed_gc, case.run),
        case.prepare, "inside relaxed_gc()", case.first, baseline=case.baseline,
    )  # fmt: skip
    return [case, twin]


Factory = Callable[[peers.Weights, np.ndarray, np.ndarray], peers.Engine]


def w2_specs(
    libs: list[peers.Library], with_torch: bool
) -> tuple[list[tuple[str, Factory]], list[tuple[str, Factory]]]:
    """(name, factory(weights, X, y)) of every W2 engine and every W5 engine."""

    def of(cls: Any, lib: peers.Library | None = None) -> tuple[str, Factory]:
        if lib is None:
            return cls.name, cls
        return f"{lib.tag}, {cls.title}", partial(cls, lib)

    w2 = [of(peers.Micrograd)]
    w5 = [of(peers.MicrogradnetTapeArrays, CURRENT)]
    for lib in libs:
        w2 += [of(peers.MicrogradnetMLP, lib), of(peers.MicrogradnetFine, lib)]
        w5 += [of(peers.MicrogradnetTape, lib), of(peers.MicrogradnetCompiledFit, lib)]
    w2.append(of(peers.MicrogradnetFineNoGC, CURRENT))
    if CURRENT.relaxed_gc is not None:
        w2.append(of(peers.MicrogradnetFineRelaxed, CURRENT))
    w2 += [of(peers.PurePython), of(peers.Numpy)]
    if with_torch:
        w2 += [of(peers.TorchScalar), of(peers.TorchVectorized)]
    return w2, w5


def w2_engines(
    libs: list[peers.Library], with_torch: bool
) -> tuple[list[peers.Engine], list[peers.Engine]]:
    """W2 engines and W5 engines, all made from the same weights and checked against numpy."""
    weights = peers.init_weights()
    X, y = peers.two_moons()
    specs2, specs5 = w2_specs(libs, with_torch)
    w2 = [make(weights, X, y) for _, make in specs2]
    w5 = [make(weights, X, y) for _, make in specs5]
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


# the baseline row each W5 row of the tree under test is compared with
W5_BASELINES = {
    "Tape, parameters as arrays": "Tape + SGD over Values",
    "Tape + SGD over Values": "Tape + SGD over Values",
    "fit(compile=True) step": "fit(compile=True) step",
}
W2_BASELINES = {
    "micrograd's shape, no_gc": "micrograd's graph shape",
    "micrograd's graph shape, relaxed_gc": "micrograd's graph shape",
}


def step_case(workload: str, engine: peers.Engine) -> Case:
    weights = peers.init_weights()

    def prepare() -> peers.Engine:
        engine.reset(weights)
        return engine

    case = Case(workload, engine.name, lambda e: e.step(), prepare, engine.note)
    lib = getattr(engine, "lib", None)
    if lib is not None:
        title = engine.name.split(", ", 1)[1]
        same = W5_BASELINES if workload == "W5" else W2_BASELINES
        case.baseline = f"{TAG['baseline']}, {same.get(title, title) if lib is CURRENT else title}"
        if title.endswith("relaxed_gc"):
            case.note = "inside relaxed_gc()"
    case.calibrate()
    return case


def w3_makers(
    libs: list[peers.Library], with_torch: bool
) -> list[tuple[str, Callable[[], Any], Any, str]]:
    """(name, make x0, library or None, note) of every W3 engine."""
    from micrograd.engine import Value as MValue  # type: ignore[import-untyped]

    makers: list[tuple[str, Callable[[], Any], Any, str]] = [
        (
            "micrograd 0.1.0",
            lambda: MValue(2.0),
            None,
            f"recursion limit {sys.getrecursionlimit()}",
        ),
    ]
    makers += [(lib.tag, partial(lib.Value, 2.0), lib, "") for lib in libs]
    if with_torch:
        torch = peers.torch_module()
        makers.append(
            (
                "PyTorch, 0-dim tensors",
                lambda: torch.tensor(2.0, dtype=torch.float64, requires_grad=True),
                None,
                "",
            )
        )
    return makers


def chain_run(depth: int) -> Callable[[Any], Any]:
    def run(x0: Any) -> Any:
        x = peers.chain(x0, depth)
        x.backward()
        return x

    return run


def w3_cases(libs: list[peers.Library], with_torch: bool) -> list[Case]:
    """W3: the chain from a fresh leaf x0 = 2; build + backward timed."""
    expected = peers.chain_expected(2.0, DEPTH)
    cases = []
    run = chain_run(DEPTH)
    for name, make, kind, note in w3_makers(libs, with_torch):
        x0 = make()
        x, first = timed(partial(run, x0))
        value = float(x.item() if hasattr(x, "item") else x.data)
        check_close(f"W3 {name}: value", value, expected[0])
        check_close(f"W3 {name}: gradient", float(x0.grad), expected[1])
        del x, x0
        settle()
        cases += variants(Case("W3", name, run, make, note, first), kind)
    return cases


def w6_cases(libs: list[peers.Library]) -> list[Case]:
    """W6: parameters() and zero_grad() of W2's MLP, and micrograd's parameters()."""
    from micrograd.nn import MLP as MMLP  # type: ignore[import-untyped]

    mm = MMLP(2, peers.SIZES[1:])
    cases = [Case("W6", "micrograd 0.1.0, parameters()", lambda m: m.parameters(), lambda: mm)]
    for lib in libs:
        model = lib.MLP(2, peers.SIZES[1:], seed=0)
        if len(model.parameters()) != len(mm.parameters()):
            sys.exit("CHECK FAILED: W6: the two MLPs differ in their number of parameters")
        for what, run in (
            ("parameters()", lambda m: m.parameters()),
            ("zero_grad()", lambda m: m.zero_grad()),
        ):
            case = Case("W6", f"{lib.tag}, {what}", run, partial(lambda m: m, model))
            case.baseline = f"{TAG['baseline']}, {what}"
            cases.append(case)
    for case in cases:
        case.calibrate()
    return cases


def w3_deep() -> dict[str, Any]:
    """Depth 1,000,000 for microgradnet: once, timed, checked against the closed form."""
    x0 = CURRENT.Value(2.0)
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


def memory_per_node(
    kind: Any, prepare: Callable[[], Any], build: Callable[[Any], Any]
) -> tuple[float, float, int]:
    """Bytes per interior node of build(prepare())'s graph (tracemalloc; the leaves are made
    before tracing), after building and after backward. The interior nodes are counted after
    tracing stops (reading children may create the Constants of number operands)."""
    leaves = prepare()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    root = build(leaves)
    built = tracemalloc.get_traced_memory()[0] - base
    root.backward()
    after = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    if isinstance(kind, peers.Library):
        interior = sum(1 for v in kind.topological_order(root) if v.children)
    else:
        interior = count_micrograd_interior(root)
    del root, leaves
    gc.collect()
    return built / interior, after / interior, interior


def w4_memory(libs: list[peers.Library]) -> list[dict[str, Any]]:
    """Bytes per interior node of a W1 graph and of the W3 chain. micrograd's graphs are
    measured at N = depth = MICROGRAD_MEMORY: tracemalloc makes the collections of its cyclic
    graphs grow quadratically (minutes at full size), and its bytes per node do not depend on
    the size (688.09 B at N = 2,000, 688.02 B at 8,000)."""
    jobs: list[tuple[str, str, Any, Callable[[], Any], Callable[[Any], Any]]] = []
    for name, kind, build, _ in w1_engines(libs, False):
        n = MICROGRAD_MEMORY if kind == "micrograd" else N_W1
        jobs.append(("W1", name, kind, partial(peers.w1_leaves, kind, n), partial(_star, build)))
    for name, make, kind, _ in w3_makers(libs, False):
        depth = DEPTH if kind else MICROGRAD_MEMORY
        jobs.append(("W3", name, kind or "micrograd", make, partial(peers.chain, depth=depth)))
    rows = []
    for workload, name, kind, prepare, build in jobs:
        built, after, interior = memory_per_node(kind, prepare, build)
        rows.append(
            {
                "workload": workload,
                "engine": name,
                "interior_nodes": interior,
                "bytes_per_node_built": built,
                "bytes_per_node_after_backward": after,
            }
        )
    return rows


def _star(build: Build, leaves: Any) -> Any:
    return build(*leaves)


def w4_free(libs: list[peers.Library]) -> list[dict[str, Any]]:
    """The time of `del root` for a W1 graph after backward, gc enabled, no gc.collect(); whether
    that freed it (a weak reference dies); for micrograd, the collection that frees it. Median of
    3 graphs (1 for micrograd)."""
    engines: list[tuple[str, Any, Build, int]] = [
        ("micrograd 0.1.0 (+ tanh)", "micrograd", peers.w1_sum, 1),
    ]
    for lib in libs:
        engines += [
            (f"{lib.tag}, Python sum()", lib, peers.w1_sum, 3),
            (f"{lib.tag}, vsum", lib, peers.w1_vsum(lib), 3),
        ]
    rows = []
    for name, kind, build, rounds in engines:
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


# -- instruction counts under callgrind -----------------------------------------------------------


def small_job(
    workload: str, name: str, libs: list[peers.Library]
) -> tuple[Callable[[], Any], Callable[[Any], Any]]:
    """(prepare, run) of one engine's workload at the small size SMALL (no checks: the timed
    run checked the same code at full size)."""
    relaxed = name.endswith(", relaxed_gc")
    base = name.removesuffix(", relaxed_gc")
    wrap = partial(inside, CURRENT.relaxed_gc if relaxed else None)
    if workload == "W1":
        spec = next(e for e in w1_engines(libs, False) if e[0] == base)
        return partial(peers.w1_leaves, spec[1], SMALL["W1"]), wrap(w1_run(spec[2]))
    if workload == "W3":
        maker = next(m for m in w3_makers(libs, False) if m[0] == base)
        return maker[1], wrap(chain_run(SMALL["W3"]))
    if workload == "W6":
        case = next(c for c in w6_cases(libs) if c.engine == name)
        return case.prepare, case.run
    specs2, specs5 = w2_specs(libs, False)
    make = next(f for n, f in (specs2 if workload == "W2" else specs5) if n == name)
    X, y = peers.two_moons(SMALL["W2"])
    engine = make(peers.init_weights(), X, y)
    return lambda: engine, lambda e: e.step()


def instructions_child(workload: str, name: str, baseline: str | None) -> None:
    """In the child under callgrind: prepare, a warm-up call, then the counted call."""
    needs_baseline = baseline is not None and name.startswith(baseline)
    libs, _ = libraries(baseline if needs_baseline else None)
    prepare, run = small_job(workload, name, libs)
    state = prepare()
    run(state)
    state = prepare()
    gc.collect()
    contextvars.copy_context().run(run, state)


def count_instructions(workload: str, name: str, baseline: str | None) -> int | None:
    """Instructions of one small call of the engine's workload, or None if callgrind failed."""
    command = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        "--collect-atstart=no", "--toggle-collect=context_run",
        sys.executable, __file__, "--instructions-child", workload, name,
        "--baseline", baseline or "none",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None or int(found.group(1)) == 0:
        return None
    return int(found.group(1))


def instructions(cases: list[Case], baseline: str | None) -> list[dict[str, Any]]:
    """Instruction counts of every engine that is not PyTorch, at the small sizes."""
    rows = []
    for case in cases:
        if case.engine.startswith("PyTorch"):
            continue
        print(f"  callgrind: {case.workload} {case.engine} ...", flush=True)
        n = count_instructions(case.workload, case.engine, baseline)
        rows.append({"workload": case.workload, "engine": case.engine, "instructions": n})
    return rows


# -- the report -----------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_ratio(r: float | None) -> str:
    if r is None or not math.isfinite(r):
        return "—"
    return f"{r:,.0f}×" if r >= 100 else f"{r:.3g}×" if r >= 0.01 else f"{r:.2g}×"


TITLES = {
    "W1": f"W1  build + backward of Σ tanh(a·b + c), N = {N_W1:,}",
    "W2": "W2  one training step: MLP(2, [16, 16, 1]), 100 moons, MSE, SGD",
    "W3": f"W3  chain x <- 0.999·x + 0.001, depth {DEPTH:,}, build + backward",
    "W5": "W5  the compiled training step for W2 (ratios against micrograd's W2 step)",
    "W6": "W6  parameters() and zero_grad() of W2's MLP (against micrograd's parameters())",
}


def ratios(cases: list[Case]) -> list[dict[str, Any]]:
    """Each case's medians and its speed-ups (CPU time) over micrograd and over the baseline."""
    median = {(c.workload, c.engine): c.median for c in cases}
    micrograd = {w: t for (w, e), t in median.items() if e.startswith("micrograd 0.1.0")}
    micrograd["W5"] = micrograd["W2"]
    rows = []
    for c in cases:
        base = median.get((c.workload, c.baseline))
        rows.append(
            {
                "workload": c.workload,
                "engine": c.engine,
                "cpu_median_s": c.median,
                "wall_median_s": c.median_wall,
                "cpu_s": c.cpu,
                "wall_s": c.wall,
                "calls_per_round": c.inner,
                "speedup_vs_micrograd": micrograd[c.workload] / c.median,
                "baseline": c.baseline or None,
                "speedup_vs_baseline": base / c.median if base else None,
                "note": c.note,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]], counts: dict[tuple[str, str], int | None]) -> None:
    numpy_step = next(r["cpu_median_s"] for r in rows if r["engine"] == peers.Numpy.name)
    print(f"{'':<46}{'CPU':>9}{'wall':>9}{'vs micrograd':>14}{'vs ' + TAG['baseline']:>12}   notes")
    for workload in TITLES:
        print(TITLES[workload])
        for r in (r for r in rows if r["workload"] == workload):
            notes = [r["note"]] if r["note"] else []
            if workload in ("W2", "W5") and "micrograd 0.1.0" not in r["engine"]:
                notes.append(f"{fmt_ratio(r['cpu_median_s'] / numpy_step)} numpy's time")
            n = counts.get((workload, r["engine"]))
            if n:
                count = f"{n / 1e6:,.1f} M" if n >= 1e6 else f"{n / 1e3:,.1f} k"
                notes.append(f"{count} instructions (small run)")
            print(
                f"  {r['engine']:<44}{fmt_time(r['cpu_median_s']):>9}"
                f"{fmt_time(r['wall_median_s']):>9}{fmt_ratio(r['speedup_vs_micrograd']):>14}"
                f"{fmt_ratio(r['speedup_vs_baseline']):>12}   {'; '.join(notes)}"
            )


def print_memory(
    deep: dict[str, Any], memory: list[dict[str, Any]], freeing: list[dict[str, Any]]
) -> None:
    print(f"W3  depth {DEPTH_BIG:,}, microgradnet: ", end="")
    if deep["works"]:
        print(
            f"works (build {deep['build_s']:.2f} s, backward {deep['backward_s']:.2f} s, "
            f"free {deep['free_s']:.2f} s; gradient {deep['gradient']:.3g} = 0.999^1e6 underflowed)"
        )
    else:
        print(f"FAILED: {deep.get('error')}")
    print("W4  memory per interior node (tracemalloc), W1's graph and W3's chain")
    for m in memory:
        print(
            f"  {m['workload']} {m['engine']:<41}{m['bytes_per_node_built']:>7.0f} B built, "
            f"{m['bytes_per_node_after_backward']:>4.0f} B after backward "
            f"({m['interior_nodes']:,} interior nodes)"
        )
    print("W4  freeing the W1 graph: `del root`, gc enabled, no gc.collect()")
    for f in freeing:
        extra = (
            ""
            if f["freed"]
            else " -> NOT freed (reference cycles); gc.collect() then took "
            + fmt_time(f["gc_collect_s"])
        )
        print(f"  {f['engine']:<44}{fmt_time(f['del_s']):>10}{extra}")


def print_fits(fits: list[dict[str, Any]]) -> None:
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


# -- the targets (the speed issue, round three) ---------------------------------------------------


def target(
    label: str, measured: float | None, op: str, limit: float, unit: str = "×"
) -> dict[str, Any]:
    if measured is None:
        return {"target": label, "measured": None, "op": op, "limit": limit, "unit": unit,
                "met": None}  # fmt: skip
    met = measured >= limit if op == ">=" else measured <= limit
    return {"target": label, "measured": measured, "op": op, "limit": limit, "unit": unit,
            "met": met}  # fmt: skip


def targets(
    rows: list[dict[str, Any]],
    deep: dict[str, Any],
    memory: list[dict[str, Any]],
    freeing: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    by = {(r["workload"], r["engine"]): r for r in rows}
    cpu = {k: r["cpu_median_s"] for k, r in by.items()}

    def vs(workload: str, engine: str, key: str) -> float | None:
        r = by.get((workload, engine))
        return None if r is None else r[key]

    out = []
    for workload, engine, mg, base, relaxed in [
        ("W1", "microgradnet, Python sum()", 7.5, 1.05, 13),
        ("W1", "microgradnet, vsum", 15, 1.25, 18),
        ("W2", "microgradnet, micrograd's graph shape", 9.5, 1.15, 12),
        ("W3", "microgradnet", 13, 2.5, 20),
    ]:
        out += [
            target(f"{workload} {engine} vs micrograd", vs(workload, engine, "speedup_vs_micrograd"), ">=", mg),  # noqa: E501
            target(f"{workload} {engine} vs {TAG['baseline']}", vs(workload, engine, "speedup_vs_baseline"), ">=", base),  # noqa: E501
            target(f"{workload} {engine}, relaxed_gc, vs micrograd",
                   vs(workload, f"{engine}, relaxed_gc", "speedup_vs_micrograd"), ">=", relaxed),
        ]  # fmt: skip
    out.append(target(f"W2 MLP (fused dot) vs {TAG['baseline']}",
                      vs("W2", "microgradnet, MLP (fused dot)", "speedup_vs_baseline"), ">=", 0.97))  # fmt: skip  # noqa: E501
    w3 = next((m for m in memory if m["workload"] == "W3" and m["engine"] == "microgradnet"), None)
    out.append(
        target("W3 bytes per interior node", w3 and w3["bytes_per_node_built"], "<=", 140, "B")
    )
    for f in freeing:
        if f["engine"].startswith("microgradnet"):
            free = f["del_s"] * 1e3 if f["freed"] else math.inf
            out.append(target(f"W4 free a W1 graph, {f['engine']}", free, "<=", 20, "ms"))
    params = cpu[("W6", "micrograd 0.1.0, parameters()")]
    for what in ("parameters()", "zero_grad()"):
        ours = cpu.get(("W6", f"microgradnet, {what}"))
        out.append(
            target(f"W6 {what} / micrograd's parameters()", ours and ours / params, "<=", 1.5)
        )
    out += compiled_targets(cpu)
    out.append(target(f"W3 depth {DEPTH_BIG:,} works", float(deep["works"]), ">=", 1, "bool"))
    return out


def compiled_targets(cpu: dict[tuple[str, str], float]) -> list[dict[str, Any]]:
    """W5 against hand-written numpy (and, for the array paths, against PyTorch vectorized)."""
    numpy_step = cpu[("W2", peers.Numpy.name)]
    torch_step = cpu.get(("W2", peers.TorchVectorized.name))
    out = []
    for what, limit in [
        ("Tape, parameters as arrays", 2),
        ("fit(compile=True) step", 2),
        ("Tape + SGD over Values", 3),
    ]:
        ours = cpu[("W5", f"microgradnet, {what}")]
        out.append(target(f"W5 {what} / numpy", ours / numpy_step, "<=", limit))
        if limit == 2:
            faster = torch_step and torch_step / ours
            out.append(target(f"W5 {what}: speed-up over PyTorch vectorized", faster, ">=", 1))
    return out


def print_targets(found: list[dict[str, Any]]) -> None:
    print("\nTargets (the speed issue, round three; CPU-time medians of this run)")
    for t in found:
        if t["measured"] is None:
            print(f"  n/a      {t['target']:<62} (not measured in this run)")
            continue
        if t["unit"] == "bool":
            value, limit = ("yes" if t["measured"] else "no"), ""
        else:
            number = t["measured"]
            value = f"{number:,.0f} {t['unit']}" if number >= 100 else f"{number:.3g} {t['unit']}"
            limit = f"  (target {t['op']} {t['limit']:g} {t['unit']})"
        print(f"  {'met    ' if t['met'] else 'NOT MET'}  {t['target']:<62} {value:>9}{limit}")


# -- the run --------------------------------------------------------------------------------------


def load() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (math.nan, math.nan, math.nan)


def all_cases(libs: list[peers.Library], with_torch: bool) -> list[Case]:
    w2, w5 = w2_engines(libs, with_torch)
    cases = w1_cases(libs, with_torch)
    cases += [step_case("W2", e) for e in w2]
    cases += w3_cases(libs, with_torch)
    cases += [step_case("W5", e) for e in w5]
    cases += w6_cases(libs)
    return cases


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds",
        type=int,
        default=MIN_ROUNDS,
        help=f"interleaved rounds (median; the protocol needs >= {MIN_ROUNDS})",
    )
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument(
        "--baseline",
        default=BASELINE,
        help=f"the commit measured beside the tree (default {BASELINE})",
    )
    parser.add_argument("--no-baseline", action="store_true", help="leave the baseline out")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions under valgrind's callgrind (slow)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile microgradnet instead")
    parser.add_argument("--render", action="store_true", help="also run bench_render.py")
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/DATE)")
    parser.add_argument("--instructions-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")
    return args  # fmt: skip


def main() -> None:
    args = parse()
    baseline = None if args.no_baseline or args.baseline == "none" else args.baseline
    TAG["baseline"] = baseline or BASELINE
    if args.instructions_child:
        instructions_child(*args.instructions_child, baseline)
        return
    if args.profile:
        profile()
        return
    load_start = load()
    with_torch = not args.no_torch and peers.torch_module() is not None
    libs, baseline_note = libraries(baseline)
    facts = machine()
    introduce(facts, args.rounds, with_torch, baseline_note, load_start)
    # micrograd's backward recurses once per node of the longest path: W1 with sum() and W3
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * max(DEPTH, N_W1) + 1000))
    cases = all_cases(libs, with_torch)
    print("  all engines agree on loss, values and gradients")
    gc.collect()
    gc.freeze()  # the setup's objects: no engine's collections traverse them (see the docstring)
    for r in range(args.rounds):
        for case in cases:
            case.measure()
        print(f"  round {r + 1}/{args.rounds} done (load {load()[0]:.2f})", flush=True)
    print(f"  W3 at depth {DEPTH_BIG:,} (microgradnet, once) ...", flush=True)
    deep = w3_deep()
    print("  W4 memory and freeing ...", flush=True)
    memory, freeing = w4_memory(libs), w4_free(libs)
    print("  fit(compile=True) ...", flush=True)
    fits = fit_runs()
    counts_rows = (
        instructions(cases, baseline if len(libs) > 1 else None) if args.instructions else []
    )
    render = run_render() if args.render else None
    load_end = load()
    rows = ratios(cases)
    counts = {(c["workload"], c["engine"]): c["instructions"] for c in counts_rows}
    print(f"\nload average: {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end\n")
    print_table(rows, counts)
    print_memory(deep, memory, freeing)
    print_fits(fits)
    found = targets(rows, deep, memory, freeing)
    print_targets(found)
    document = {
        "suite": "microgradnet benchmarks (the speed issue, round three)",
        "machine": facts,
        "settings": {"rounds": args.rounds, "rtol": RTOL, "n_w1": N_W1, "depth": DEPTH,
                     "baseline": baseline, "baseline_note": baseline_note,
                     "relaxed_gc": CURRENT.relaxed_gc is not None, "small_sizes": SMALL},
        "load_average": {"start": load_start, "end": load_end},
        "results": rows, "instructions": counts_rows, "w3_deep": deep, "w4_memory": memory,
        "w4_free": freeing, "fit": fits, "targets": found, "render": render,
    }  # fmt: skip
    write(document, args.out or ROOT / "benchmarks" / "results" / f"{facts['date'][:10]}.json")


def write(document: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def introduce(
    facts: dict[str, Any],
    rounds: int,
    with_torch: bool,
    baseline_note: str,
    load_start: tuple[float, float, float],
) -> None:
    print(f"microgradnet benchmark suite, {facts['date']}")
    print(f"  {facts['cpu']}, {facts['cores']} cores; {facts['platform']}")
    print(
        f"  Python {facts['python']}; "
        + ", ".join(f"{k} {v}" for k, v in facts["versions"].items() if v)
        + f"; commit {facts['commit']}"
    )
    print(f"  {baseline_note}")
    if CURRENT.relaxed_gc is None:
        print("  relaxed_gc: not in microgradnet.engine yet; its rows are left out")
    if not with_torch:
        print("  PyTorch: not installed (optional), left out")
    print(
        f"  load average at the start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}"
    )
    if rounds < MIN_ROUNDS:
        print(f"  {rounds} rounds: fewer than the protocol's {MIN_ROUNDS}; for a quick look only")
    print("  micrograd 0.1.0 has no tanh: W1 adds one to its Value class, in its closure style")
    print(f"checking every engine to {RTOL:g} relative, then {rounds} interleaved rounds ...")


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
    mlp = peers.MicrogradnetMLP(CURRENT, weights, X, y)
    fine = peers.MicrogradnetFine(CURRENT, weights, X, y)
    leaves = peers.w1_leaves(CURRENT, N_W1)

    def w1(build: Callable[..., Any]) -> Callable[[], Any]:
        def run() -> Any:
            root = build(*leaves)
            root.backward()
            return root

        return run

    def w3() -> Any:
        x = peers.chain(CURRENT.Value(2.0), DEPTH)
        x.backward()
        return x

    jobs = [
        ("W1 microgradnet, Python sum()", w1(peers.w1_sum)),
        ("W1 microgradnet, vsum", w1(peers.w1_vsum(CURRENT))),
        ("W2 microgradnet MLP (fused dot)", mlp.step),
        ("W2 microgradnet, micrograd's graph shape", fine.step),
        (f"W3 microgradnet, depth {DEPTH:,}", w3),
    ]
    for title, job in jobs:
        wall, in_gc = with_gc_time(job)
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
            f"== {title}: {fmt_time(wall)} wall, {fmt_time(in_gc)} of it in gc; "
            f"{fmt_time(no_gc)} with gc disabled"
        )
        print(body.replace(str(ROOT) + "/", ""))


def with_gc_time(job: Callable[[], Any]) -> tuple[float, float]:
    """The wall time of job() and the part of it spent in the cyclic collector."""
    collected, started = [0.0], [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
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
    return wall, collected[0]


if __name__ == "__main__":
    main()
