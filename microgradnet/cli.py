"""The ``microgradnet`` command: check a gradient from the shell, and run the demo.

    microgradnet grad "(x*w + b)**2" x=2 w=3 b=1          f and df/dx, df/dw, df/db
    microgradnet grad "tanh(x*w)" x=0.5 w=-2 --hessian    with second derivatives
    microgradnet grad "(x*w + b)**2" x=2 w=3 b=1 --explain x --svg graph.svg
    microgradnet check "x**2*y" --wrt x --answer "2*x*y"   a derivative by hand, at 200 points
    microgradnet demo --out demo-output

The formula is parsed by ``microgradnet.expr`` (Python's ``ast``, never eval). Every user error
(a bad NAME=VALUE, a refused formula, log(-1), an unwritable file, no Graphviz) ends in one line
on stderr and exit status 2; ``main(argv)`` returns the status instead of exiting.

References: argparse; the backpropagation notebook of the lecture notes (the (x·w + b)² worked
example and its forward/backward graph).
"""

from __future__ import annotations

import argparse
import json
import keyword
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TextIO

from . import __version__
from ._format import json_number as _number
from ._format import number_format
from .chain_rule import Explanation, explain
from .check import MAX_POINTS, check_derivative
from .engine import Value, topological_order
from .expr import FUNCTIONS, MAX_LENGTH, ExpressionError, normalize_name, parse_expression
from .transforms import second_derivatives

MAX_VARIABLES = 1000  # grad: declared variables at most
MAX_HESSIAN_VARIABLES = 100  # grad --hessian: at most 100 variables, 5,050 second derivatives


EXAMPLES = f"""\
examples:
  microgradnet grad "(x*w + b)**2" x=2 w=3 b=1
  microgradnet grad "sigmoid(x*w1)*w2" x=1 w1=0.5 w2=-2 --hessian
  microgradnet grad "(x*w + b)**2" x=2 w=3 b=1 --explain x --svg graph.svg
  microgradnet grad "log(x) + leaky_relu(x - 3, 0.1)" x=2 --json
  microgradnet grad -- "-x**2" x=3        (put -- before a formula that starts with -)
  microgradnet check "x**2*y" --wrt x --answer "2*x*y"   (a derivative by hand: exit 0 if right)
  microgradnet demo --out demo-output

formulas: numbers, the declared names, + - * / ** and unary -, and the functions
  {", ".join(FUNCTIONS)} (leaky_relu(x) or leaky_relu(x, alpha));
  at most {MAX_LENGTH} characters. The formula is parsed, never run by Python.
variables: at most {MAX_VARIABLES}, or {MAX_HESSIAN_VARIABLES} with --hessian; one declared but
  not used in the formula gets a warning on stderr (a typo in its name is the usual cause).
--json writes inf and nan as the strings "inf", "-inf", "nan".
"""


class CliError(Exception):
    """A user error: main prints it on one line and returns 2."""

    def __init__(self, message: str, prog: str | None = None) -> None:
        super().__init__(message)
        self.prog = prog  # the (sub)command, when argparse knows it before main does


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one line and never calls sys.exit."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')", prog=self.prog)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with argv (default sys.argv[1:]); return the exit status."""
    parser = _parser()
    prog = parser.prog
    try:
        args, extra = parser.parse_known_args(argv)
        prog = args.prog
        if args.command in ("grad", "check"):  # NAME=VALUE given after an option lands in extra
            args.assignments = [*args.assignments, *(a for a in extra if a[:1] != "-")]
            extra = [a for a in extra if a[:1] == "-"]
        if extra:
            raise CliError(_unrecognized(extra, args.prog))
        with _escaping(sys.stdout):  # no codec error, no bytes that are not UTF-8
            if args.command == "grad":
                return _grad(args)
            if args.command == "check":
                return _check(args)
            demo(args.out, epochs=args.epochs)
            return 0
    except _Exit as e:
        return e.status
    except ExpressionError as e:
        _fail(prog, "refused", str(e))
    except CliError as e:
        _fail(e.prog or prog, "error", str(e))
    except (ArithmeticError, ValueError) as e:  # the engine's math domain errors
        _fail(prog, "error", str(e))
    except OSError as e:
        where = f" {_path_text(e.filename)}" if e.filename else ""
        _fail(prog, "error", f"cannot write{where}: {e.strerror or e}")
    return 2


def demo(out_dir: str | Path = "demo-output", *, epochs: int = 60) -> list[Path]:
    """Run the demo, print what it computes and return the files it wrote into out_dir.

    The worked example of the lecture notes' backpropagation notebook, L = (x·w + b)² at x = 2,
    w = 3, b = 1: its gradients, the chain rule for x and its graph with forward (blue) and
    backward (red dashed) arrows; then the notebook's classifier: an MLP trained on the two
    moons, its decision boundary, its loss and gradient-norm curves, and the graph of one
    sample's loss collapsed by neuron.
    """
    out = Path(out_dir)
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
    files.append(_write_graph(loss, sample, collapse="neuron", show_local=False))
    for path in files:
        print(f"wrote {path}")
    return files


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
    path = _write_graph(L, out / "seed001_graph.svg", show_backward=True)
    print(f"wrote {path}")
    return path


# -- grad ---------------------------------------------------------------------------------------


def _grad(args: argparse.Namespace) -> int:
    values = _assignments(args.assignments)
    _within_limits(len(values), args.hessian)
    variables = {name: Value(x, label=name) for name, x in values.items()}
    wrt = None
    if args.latex and args.explain is None:
        raise CliError("--latex writes the chain rule of --explain NAME; add --explain NAME")
    if args.explain is not None:
        wrt = variables.get(normalize_name(args.explain))
        if wrt is None:
            declared = ", ".join(variables) or "none"
            raise CliError(
                f"--explain {args.explain}: not a declared variable (declared: {declared})"
            )
    f = parse_expression(args.expr, variables)
    _warn_unused(args.prog, f, variables)
    if f.children and not f.label:
        f.label = "f"
    f.backward()  # fills .grad on every node, for the gradient and the drawing
    xs = list(variables.values())
    gradient = {name: v.grad for name, v in variables.items()}
    hessian = second_derivatives(f, xs) if args.hessian else None
    explanation = explain(f, wrt) if wrt is not None else None
    if args.svg is not None:
        _write_graph(f, Path(args.svg), dot_source_fallback=False, show_backward=True)
    if args.steps is not None:
        _write_stepper(f, Path(args.steps))
    if args.json:
        doc = _as_json(args, f, gradient, hessian, explanation)
        print(json.dumps(doc, ensure_ascii=not _unicode(sys.stdout)))
        return 0
    print(f"f = {_fmt(f.data)}")
    for name, g in gradient.items():
        print(f"df/d{name} = {_fmt(g)}")
    if hessian is not None:
        names = list(variables)
        for i, a in enumerate(names):
            for j in range(i, len(names)):
                print(f"d2f/d{a} d{names[j]} = {_fmt(hessian[i][j])}")
    if explanation is not None:
        print(explanation.to_latex() if args.latex else _explanation_text(explanation))
    if args.svg is not None:
        print(f"wrote {_path_text(args.svg)}")
    if args.steps is not None:
        print(f"wrote {_path_text(args.steps)}")
    return 0


def _write_stepper(root: Value, path: Path) -> None:
    """Save the step-through of root's forward and backward passes as one HTML page."""
    from . import viz
    from .stepper import Stepper

    try:
        Stepper(root).save_html(path, title=f"{root.label or 'f'}, step by step")
    except viz.GraphvizError as e:  # no dot, or dot failed: one line, exit 2
        raise CliError(f"cannot write {_path_text(path)}: {e}") from None
    except ValueError as e:  # a graph too large to step through
        raise CliError(f"cannot write {_path_text(path)}: {e}") from None
    except OSError as e:
        raise CliError(f"cannot write {_path_text(path)}: {e.strerror or e}") from None


def _explanation_text(explanation: Explanation) -> str:
    """The chain rule as text; for a formula that is the variable itself, dx/dx = 1."""
    if explanation.root is explanation.wrt:
        name = explanation.names.get(explanation.wrt, "x")
        return f"d{name}/d{name} = 1"
    return str(explanation)


def _within_limits(n: int, hessian: bool) -> None:
    """Refuse more variables than grad prints (the Hessian grows as their square)."""
    if n > MAX_VARIABLES:
        raise CliError(f"{n} variables declared; grad takes at most {MAX_VARIABLES}")
    if hessian and n > MAX_HESSIAN_VARIABLES:
        raise CliError(
            f"--hessian with {n} variables would print {n * (n + 1) // 2:,} second derivatives; "
            f"it takes at most {MAX_HESSIAN_VARIABLES} variables"
        )


def _warn_unused(prog: str, f: Value, variables: dict[str, Value]) -> None:
    """Warn on stderr about declared variables the formula does not use (often a typo)."""
    used = set(topological_order(f))
    unused = [name for name, v in variables.items() if v not in used]
    if not unused:
        return
    shown = ", ".join(unused[:10])
    if len(unused) > 10:
        shown += f", ... ({len(unused) - 10} more)"
    noun = "variables" if len(unused) > 1 else "variable"
    _fail(prog, "warning", f"{noun} {shown} not used in the formula (a typo in a name?)")


# -- check --------------------------------------------------------------------------------------

CHECK_EXAMPLES = """\
examples:
  microgradnet check "x**2*y" --wrt x --answer "2*x*y"
  microgradnet check "0.5*(y - w*x)**2" --wrt w --answer "(w*x - y)*x" x=1.5 y=0.2 w=0.8
  microgradnet check "log(x)*y" --wrt x --answer "y/x" --domain x=0.1:5 --json
  microgradnet check "x**3*y" --wrt x --wrt y --answer "3*x**2"     (d²f/dx dy)

Points are drawn within ±max(1, |VALUE|) of each NAME=VALUE (that point itself first), inside
--domain, or else in [-2, 2]. Exit status: 0 the answer matches, 1 it does not (the report says
where and, for the usual mistakes, what is wrong), 2 a usage or formula error.
Write --answer=-2*x (with =) for an answer that starts with -.
"""


def _check(args: argparse.Namespace) -> int:
    """Compare --answer with d EXPR / d --wrt at --points points; 0 match, 1 mismatch."""
    at = _assignments(args.assignments)
    domain = _domains(args.domain or [])
    if len(args.wrt) > 2:
        raise CliError("--wrt is given at most twice (--wrt x --wrt y: the second derivative)")
    names = [normalize_name(w) for w in args.wrt]
    report = check_derivative(
        args.expr,
        args.answer,
        names[0] if len(names) == 1 else (names[0], names[1]),
        at=at or None,
        domain=domain or None,
        points=args.points,
    )
    if args.json:
        doc = {"expression": args.expr, "answer": args.answer, **report.to_dict()}
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print(report)
    return 0 if report.matches else 1


def _domains(items: Sequence[str]) -> dict[str, tuple[float, float]]:
    """--domain NAME=LO:HI arguments as name -> (lo, hi), finite with lo < hi."""
    domains: dict[str, tuple[float, float]] = {}
    for item in items:
        name, sep, bounds = item.partition("=")
        lo_text, colon, hi_text = bounds.partition(":")
        shown = repr(item) if len(item) <= 60 else repr(item[:59] + "…")
        name = normalize_name(name.strip())
        if not (sep and colon and name.isidentifier()):
            raise CliError(f"--domain {shown} is not of the form NAME=LO:HI (such as x=0.1:5)")
        try:
            lo, hi = float(lo_text), float(hi_text)
        except ValueError:
            raise CliError(f"--domain {shown}: LO and HI must be numbers") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise CliError(f"--domain {shown}: need finite LO < HI")
        if name in domains:
            raise CliError(f"--domain {shown}: {name!r} is given twice")
        domains[name] = (lo, hi)
    return domains


def _points(text: str) -> int:
    n = _positive_int(text)
    if n > MAX_POINTS:
        raise argparse.ArgumentTypeError(f"{text!r} is more than {MAX_POINTS} points")
    return n


def _assignments(items: Sequence[str]) -> dict[str, float]:
    """NAME=VALUE arguments as an ordered dict, each name a fresh identifier, each value finite."""
    values: dict[str, float] = {}
    for item in items:
        raw_name, sep, raw_value = item.partition("=")
        shown = repr(item) if len(item) <= 60 else repr(item[:59] + "…")
        if not sep:
            raise CliError(f"{shown} is not of the form NAME=VALUE (such as x=2)")
        name = normalize_name(raw_name.strip())
        if not name.isidentifier() or keyword.iskeyword(name):
            raise CliError(f"{shown}: {raw_name!r} is not a valid variable name")
        if name in FUNCTIONS:
            raise CliError(f"{shown}: {name!r} is a function name; choose another variable name")
        if name in values:
            raise CliError(f"{shown}: {name!r} is declared twice")
        try:
            x = float(raw_value)
        except ValueError:
            raise CliError(f"{shown}: {raw_value!r} is not a number") from None
        if not math.isfinite(x):
            raise CliError(f"{shown}: the value must be a finite number")
        values[name] = x
    return values


def _as_json(
    args: argparse.Namespace,
    f: Value,
    gradient: dict[str, float],
    hessian: list[list[float]] | None,
    explanation: Explanation | None,
) -> dict[str, Any]:
    """Everything computed, with inf and nan as the strings "inf", "-inf", "nan"."""
    names = list(gradient)
    doc: dict[str, Any] = {
        "expression": args.expr,
        "variables": names,
        "value": _number(f.data),
        "gradient": {name: _number(g) for name, g in gradient.items()},
    }
    if hessian is not None:
        doc["hessian"] = {
            a: {b: _number(h) for b, h in zip(names, row)} for a, row in zip(names, hessian)
        }
    if explanation is not None:
        label = explanation.names.get
        doc["explanation"] = {
            "wrt": label(explanation.wrt, "wrt"),
            **({"latex": explanation.to_latex()} if args.latex else {}),
            "paths": [
                {
                    "nodes": [label(node, "?") for node in path.nodes],
                    "factors": [_number(d) for d in path.factors],
                    "product": _number(path.product),
                }
                for path in explanation.paths
            ],
            "n_paths": explanation.n_paths,
            "total": _number(explanation.total),
        }
    if args.svg is not None:
        doc["svg"] = args.svg  # a name that is not UTF-8 keeps its \udcXX escapes: os.fsencode
    return doc


# -- shared -------------------------------------------------------------------------------------


def _write_graph(root: Value, path: Path, *, dot_source_fallback: bool = True, **draw: Any) -> Path:
    """Save viz.draw(root, **draw) as SVG; return the file written.

    Without Graphviz's ``dot`` program, write the DOT source next to it (``.gv``) if
    dot_source_fallback, else raise CliError.
    """
    try:
        from graphviz import ExecutableNotFound

        from . import viz
    except ImportError as e:
        raise CliError(f"cannot draw the graph: {e}") from None
    try:
        viz.save_svg(root, path, **draw)
        return path
    except ExecutableNotFound:
        if not dot_source_fallback:
            raise CliError(
                f"cannot write {str(path)!r}: Graphviz's 'dot' program was not found on PATH; "
                "install Graphviz (https://graphviz.org/download/)"
            ) from None
    except viz.GraphvizError as e:  # dot failed or ran past its timeout: one line, exit 2
        raise CliError(f"cannot draw {_path_text(path)}: {e}") from None
    except OSError as e:  # a full disk or a bad folder: name the file, which the error may not
        raise CliError(f"cannot write {_path_text(path)}: {e.strerror or e}") from None
    source = path.with_suffix(".gv")
    source.write_text(viz.draw(root, **draw).source, encoding="utf-8")
    print(f"Graphviz's 'dot' program was not found: wrote the DOT source {source} instead of SVG")
    return source


def _unrecognized(extra: list[str], prog: str) -> str:
    message = f"unrecognized arguments: {' '.join(extra)} (see '{prog} --help')"
    if prog.endswith(("grad", "check")) and any(a[1:2] not in ("", "-") for a in extra):
        message += '; put -- before a formula that starts with -, as in: grad -- "-x" x=1'
    return message


_fmt = number_format(None)  # whole numbers without .0 (49), other floats in full (repr)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _fail(prog: str, kind: str, message: str) -> None:
    one_line = message.replace("\r", " ").replace("\n", " ")
    print(_printable(f"{prog}: {kind}: {one_line}", sys.stderr), file=sys.stderr)


def _path_text(path: object) -> str:
    """A file name as text: bytes that are not UTF-8 (os.fsdecode's escapes) shown as \\xNN."""
    text = str(path)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that no file name decodes to
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _printable(text: str, stream: TextIO) -> str:
    """text as stream can write it: escapes for what its encoding lacks, never a codec error."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return _path_text(text).encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        return _path_text(text)


def _unicode(stream: TextIO) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return encoding in ("utf8", "utf16", "utf32")


@contextmanager
def _escaping(stream: TextIO) -> Iterator[None]:
    """Within: write what stream's encoding lacks (such as a file name that is not UTF-8) as
    backslash escapes instead of raising, or of writing bytes that are not valid UTF-8."""
    reconfigure = getattr(stream, "reconfigure", None)
    errors = getattr(stream, "errors", None)
    if reconfigure is None or errors is None:
        yield
        return
    reconfigure(errors="backslashreplace")
    try:
        yield
    finally:
        reconfigure(errors=errors)


def _parser() -> _Parser:
    parser = _Parser(
        prog="microgradnet",
        description="A scalar autograd engine to learn, teach and check backpropagation.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(prog=parser.prog)
    parser.add_argument("--version", action="version", version=f"microgradnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    grad = commands.add_parser(
        "grad",
        help="value, gradient (and Hessian, chain rule, graph) of a formula",
        description="Print f and df/dNAME for each declared variable, in the order declared.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grad.set_defaults(prog=grad.prog)
    grad.add_argument("expr", metavar="EXPR", help='the formula, such as "(x*w + b)**2"')
    grad.add_argument(
        "assignments", metavar="NAME=VALUE", nargs="*", default=[], help="a variable and its value"
    )
    grad.add_argument("--svg", metavar="FILE", help="write the graph, forward and backward, as SVG")
    grad.add_argument(
        "--steps",
        metavar="FILE.html",
        help="write the forward and backward passes step by step as one self-contained HTML page",
    )
    grad.add_argument(
        "--explain", metavar="NAME", help="print the chain rule path by path for NAME"
    )
    grad.add_argument(
        "--latex", action="store_true", help="write the --explain chain rule as LaTeX"
    )
    grad.add_argument("--hessian", action="store_true", help="add the second derivatives")
    grad.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    check = commands.add_parser(
        "check",
        help="check a derivative derived by hand against backprop at many points",
        description=(
            "Compare FORMULA, your d EXPR / d NAME, with the engine's gradient at random\n"
            "points; print where they differ and name the usual mistake (sign, constant\n"
            "factor, wrong variable, a chain-rule path left out or counted twice)."
        ),
        epilog=CHECK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.set_defaults(prog=check.prog)
    check.add_argument("expr", metavar="EXPR", help='the function, such as "x**2*y"')
    check.add_argument(
        "assignments", metavar="NAME=VALUE", nargs="*", default=[], help="a centre for the points"
    )
    check.add_argument(
        "--wrt",
        metavar="NAME",
        required=True,
        action="append",
        help="the variable (twice, --wrt x --wrt y, for the second derivative d²f/dx dy)",
    )
    check.add_argument(
        "--answer", metavar="FORMULA", required=True, help='your derivative, such as "2*x*y"'
    )
    check.add_argument(
        "--domain", metavar="NAME=LO:HI", action="append", help="draw NAME in [LO, HI]"
    )
    check.add_argument(
        "--points", metavar="N", type=_points, default=200, help="how many points (default 200)"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    run_demo = commands.add_parser(
        "demo",
        help="the notes' worked example (x*w + b)**2, then an MLP trained on the two moons",
        description=(
            "Print the lecture notes' worked example L = (x*w + b)**2 and draw its graph, then "
            "train an MLP on the two moons; write the graphs (SVG) and plots (PNG) into DIR."
        ),
    )
    run_demo.set_defaults(prog=run_demo.prog)
    run_demo.add_argument(
        "--out", metavar="DIR", default="demo-output", help="output folder (default: demo-output)"
    )
    run_demo.add_argument(
        "--epochs", metavar="N", type=_positive_int, default=60, help="training epochs (default 60)"
    )
    return parser
