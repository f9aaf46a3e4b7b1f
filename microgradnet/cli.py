"""The ``microgradnet`` command: check a gradient from the shell, and run the demo.

    microgradnet grad "(x*w + b)**2" x=2 w=3 b=1          f and df/dx, df/dw, df/db
    microgradnet grad "tanh(x*w)" x=0.5 w=-2 --hessian    with second derivatives
    microgradnet grad "(x*w + b)**2" x=2 w=3 b=1 --explain x --svg graph.svg
    microgradnet check "x**2*y" --wrt x --answer "2*x*y"   a derivative by hand, at 200 points
    microgradnet demo --out demo-output

The formula is parsed by ``microgradnet.expr`` (Python's ``ast``, never eval). Every user error
(a bad NAME=VALUE, a refused formula, log(-1), an unwritable file, no Graphviz, a closed or full
standard output) ends in one line on stderr and exit status 2; ``main(argv)`` returns the status
instead of exiting. An option that takes a value takes the next word as it is, even one that
starts with - (``--answer -2*x``); any other word that is not an option is a positional, so a
formula may start with - too (``grad -x**2 x=3``); after ``--`` every word is a positional.

References: argparse; the backpropagation notebook of the lecture notes (the (x·w + b)² worked
example and its forward/backward graph).
"""

from __future__ import annotations

import argparse
import json
import keyword
import math
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, TextIO

from . import __version__
from ._files import replace_file
from ._format import cut, number_format, path_text
from ._format import json_number as _number
from .chain_rule import Explanation, explain
from .check import MAX_POINTS, check_derivative
from .demo import demo, write_graph
from .engine import Value, topological_order
from .expr import FUNCTIONS, MAX_LENGTH, ExpressionError, normalize_name, parse_expression
from .transforms import second_derivatives

__all__ = ["MAX_HESSIAN_VARIABLES", "MAX_VARIABLES", "CliError", "demo", "main"]

MAX_VARIABLES = 1000  # grad: declared variables at most
MAX_HESSIAN_VARIABLES = 100  # grad --hessian: at most 100 variables, 5,050 second derivatives
MAX_MESSAGE = 500  # characters of a one-line error at most (values in it are cut shorter)


EXAMPLES = f"""\
examples:
  microgradnet grad "(x*w + b)**2" x=2 w=3 b=1
  microgradnet grad "sigmoid(x*w1)*w2" x=1 w1=0.5 w2=-2 --hessian
  microgradnet grad "(x*w + b)**2" x=2 w=3 b=1 --explain x --svg graph.svg
  microgradnet grad "log(x) + leaky_relu(x - 3, 0.1)" x=2 --json
  microgradnet grad "-x**2" x=3
  microgradnet check "x**2*y" --wrt x --answer "2*x*y"   (a derivative by hand: exit 0 if right)
  microgradnet exercise sheet masha --seed 7      (a practice sheet, its key, its answer file)
  microgradnet exercise check masha-7-answers.json
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


Options = dict[str, dict[str, bool]]  # command -> option string -> takes a value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with argv (default sys.argv[1:]); return the exit status."""
    words = _words(argv)
    parser, options = _parser()
    prog = parser.prog
    try:
        if sys.stdout is None:  # started with stdout closed (>&-): nowhere to write, as cat
            raise CliError("cannot write to standard output: it is closed")
        args, extra = parser.parse_known_args(_arranged(words, options))
        prog = args.prog
        if extra:
            raise CliError(_unrecognized(extra, args.prog))
        with _escaping(sys.stdout):  # no codec error, no bytes that are not UTF-8
            status, text = _run(args)
            _write_out(text)
        return status
    except _Exit as e:
        return e.status
    except ExpressionError as e:
        _fail(prog, "refused", str(e))
    except CliError as e:
        _fail(e.prog or prog, "error", str(e))
    except (ArithmeticError, ValueError) as e:  # the engine's math domain errors
        _fail(prog, "error", str(e))
    except OSError as e:
        where = f" {path_text(e.filename, 200)}" if e.filename else ""
        _fail(prog, "error", f"cannot write{where}: {e.strerror or e}")
    return 2


def _run(args: argparse.Namespace) -> tuple[int, str]:
    """The command's exit status and what it prints on standard output."""
    if args.command == "grad":
        return 0, _grad(args)
    if args.command == "check":
        return _check(args)
    if args.command == "exercise":
        return _exercise(args)
    demo(args.out, epochs=args.epochs)  # prints as it goes: the training takes a while
    return 0, ""


def _words(argv: Sequence[str] | None) -> list[str]:
    if argv is None:
        return sys.argv[1:]
    if isinstance(argv, (str, bytes)) or not all(isinstance(a, str) for a in argv):
        raise TypeError(
            "main: argv must be a list of str (the words after the program name), "
            f"got {type(argv).__name__}"
        )
    return list(argv)


def _write_out(text: str) -> None:
    """Write text to standard output and flush it; a failure (a closed, full or broken
    output) is a one-line error and exit status 2, never a silent exit 0."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as e:
        _discard_stdout()
        raise CliError(f"cannot write to standard output: {e.strerror or e}") from None


def _discard_stdout() -> None:
    """Point the process's stdout at the null device, so that Python's final flush of what is
    left cannot fail a second time (as Python's documentation advises for a broken pipe)."""
    stream = sys.stdout
    if stream is not sys.__stdout__ or stream is None:
        return
    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        return
    os.dup2(null, fd)
    os.close(null)


# -- grad ---------------------------------------------------------------------------------------


def _grad(args: argparse.Namespace) -> str:
    """f, its gradient, and what the options ask for, as the text grad prints."""
    values = _assignments(args.assignments)
    _within_limits(len(values), args.hessian)
    variables = {name: Value(x, label=name) for name, x in values.items()}
    if args.latex and args.explain is None:
        raise CliError("--latex writes the chain rule of --explain NAME; add --explain NAME")
    wrt = None if args.explain is None else _declared(args.explain, variables)
    f = parse_expression(args.expr, variables)
    if args.steps is not None:
        _within_frames(f)
    elif args.quiz:
        raise CliError("--quiz asks the questions in the --steps page; add --steps FILE.html")
    _warn_unused(args.prog, f, variables)
    if f.children and not f.label:
        f.label = "f"
    f.backward()  # fills .grad on every node, for the gradient and the drawing
    gradient = {name: v.grad for name, v in variables.items()}
    hessian = second_derivatives(f, list(variables.values())) if args.hessian else None
    explanation = explain(f, wrt) if wrt is not None else None
    drawing = {"collapse": args.collapse} if args.collapse else {}
    if args.svg is not None:
        write_graph(f, args.svg, dot_source_fallback=False, show_backward=True, **drawing)
    if args.steps is not None:
        _write_stepper(f, args.steps, drawing, args.quiz)
    if args.json:
        return _json_text(_as_json(args, f, gradient, hessian, explanation))
    lines = [f"f = {_fmt(f.data)}", *(f"df/d{name} = {_fmt(g)}" for name, g in gradient.items())]
    if hessian is not None:
        names = list(variables)
        lines += [
            f"d2f/d{a} d{names[j]} = {_fmt(hessian[i][j])}"
            for i, a in enumerate(names)
            for j in range(i, len(names))
        ]
    if explanation is not None:
        lines.append(explanation.to_latex() if args.latex else _explanation_text(explanation))
    lines += [f"wrote {path_text(p)}" for p in (args.svg, args.steps) if p is not None]
    return "\n".join(lines) + "\n"


def _declared(name: str, variables: dict[str, Value]) -> Value:
    """The variable --explain names."""
    wrt = variables.get(normalize_name(name))
    if wrt is None:
        declared = cut(", ".join(variables) or "none", 200)
        raise CliError(f"--explain {cut(name)}: not a declared variable (declared: {declared})")
    return wrt


def _within_frames(f: Value) -> None:
    """Refuse --steps before drawing anything when the step-through has more frames than the
    stepper draws: each operation is at least one frame forward and one backward."""
    from .stepper import MAX_FRAMES

    n = sum(1 for v in topological_order(f) if v.children)
    if 2 * n + 1 > MAX_FRAMES:
        raise CliError(
            f"--steps: the formula has {n} operations, so stepping through it takes at least "
            f"{2 * n + 1} frames, more than the {MAX_FRAMES} the stepper draws; step through a "
            "smaller formula, or draw the whole graph at once with --svg FILE"
        )


def _write_stepper(root: Value, path: str, drawing: dict[str, Any], quiz: bool = False) -> None:
    """Save the step-through of root's forward and backward passes as one HTML page (with
    quiz, each number asked before it is shown)."""
    from . import viz
    from .stepper import Stepper

    shown = path_text(path, 200)
    title = f"{root.label or 'f'}, step by step" + (": predict, then check" if quiz else "")
    try:
        options = {**drawing, "quiz": True} if quiz else drawing
        Stepper(root, **options).save_html(path, title=title)
    except viz.GraphvizError as e:  # no dot, or dot failed: one line, exit 2
        raise CliError(f"cannot write {shown}: {e}") from None
    except ValueError as e:  # a graph too large to step through
        raise CliError(f"cannot write {shown}: {e}") from None
    except OSError as e:
        raise CliError(f"cannot write {shown}: {e.strerror or e}") from None


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
    used = {id(v) for v in topological_order(f)}
    unused = [name for name, v in variables.items() if id(v) not in used]
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
  microgradnet check "(x*w + b)**2" --wrt w --answer "-2*(x*w + b)*x" x=2 w=3 b=1
  microgradnet check "log(x)*y" --wrt x --answer "y/x" --domain x=0.1:5 --json
  microgradnet check "x**3*y" --wrt x --wrt y --answer "3*x**2"     (d²f/dx dy)

Points are drawn within ±max(1, |VALUE|) of each NAME=VALUE (that point itself first), inside
--domain, or else in [-2, 2]. --points times the size of the formulas is bounded (the error
says how many points fit). Exit status: 0 the answer matches, 1 it does not (the report says
where and, for the usual mistakes, what is wrong), 2 a usage or formula error.
"""


def _check(args: argparse.Namespace) -> tuple[int, str]:
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
    status = 0 if report.matches else 1
    if args.json:
        return status, _json_text(
            {"expression": args.expr, "answer": args.answer, **report.to_dict()}
        )
    return status, f"{report}\n"


def _domains(items: Sequence[str]) -> dict[str, tuple[float, float]]:
    """--domain NAME=LO:HI arguments as name -> (lo, hi), finite with lo < hi."""
    domains: dict[str, tuple[float, float]] = {}
    for item in items:
        name, sep, bounds = item.partition("=")
        lo_text, colon, hi_text = bounds.partition(":")
        shown = cut(repr(item))
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
            raise CliError(f"--domain {shown}: {cut(repr(name))} is given twice")
        domains[name] = (lo, hi)
    return domains


def _assignments(items: Sequence[str]) -> dict[str, float]:
    """NAME=VALUE arguments as an ordered dict, each name a fresh identifier, each value finite."""
    values: dict[str, float] = {}
    for item in items:
        raw_name, sep, raw_value = item.partition("=")
        shown = cut(repr(item))
        if not sep:
            raise CliError(f"{shown} is not of the form NAME=VALUE (such as x=2)")
        name = normalize_name(raw_name.strip())
        quoted = cut(repr(name))
        if not name.isidentifier() or keyword.iskeyword(name):
            raise CliError(f"{shown}: {cut(repr(raw_name))} is not a valid variable name")
        if name in FUNCTIONS:
            raise CliError(f"{shown}: {quoted} is a function name; choose another variable name")
        if name in values:
            raise CliError(f"{shown}: {quoted} is declared twice")
        try:
            x = float(raw_value)
        except ValueError:
            raise CliError(f"{shown}: {cut(repr(raw_value))} is not a number") from None
        if not math.isfinite(x):
            raise CliError(f"{shown}: the value must be a finite number")
        values[name] = x
    return values


# -- exercise -----------------------------------------------------------------------------------

EXERCISE_EXAMPLES = """\
examples:
  microgradnet exercise list
  microgradnet exercise sheet chain --seed 7        chain-7-sheet.html, -key.html, -answers.json
  microgradnet exercise sheet masha --seed 3 --format html,md,pdf --paper letter
  microgradnet exercise sheet custom "tanh(x*w + b)" x=-2:2 w=-1.5:1.5 b=0.5 --seed 1
  microgradnet exercise check chain-7-answers.json           exit 0: all right, 1: not, 2: refused
  microgradnet exercise class l2 --class-seed 2024 --roster names.txt --out week3
  microgradnet exercise check week3/answers --gradebook week3/grades.csv

A seed always gives the same sheet, byte for byte. The answer file names its sheet; fill in
numbers, or formulas in quotes (parsed, never run). Ranges: NAME=LO:HI (whole numbers, or one
decimal when a bound has one) or NAME=VALUE. PDF needs headless Chromium. This is practice, not
an exam: the answers live in the files.
"""
_EXERCISE_ACTIONS = ("list", "sheet", "class", "check")
_ONLY = {  # option -> the actions it is for
    "seed": ("sheet",),
    "class_seed": ("class",),
    "roster": ("class",),
    "count": ("class",),
    "out": ("sheet", "class"),
    "format": ("sheet", "class"),
    "paper": ("sheet", "class"),
    "reveal": ("check",),
    "gradebook": ("check",),
    "json": ("check",),
}


def _exercise(args: argparse.Namespace) -> tuple[int, str]:
    """exercise list | sheet | class | check: the practice sheets and their grader."""
    from . import exercise
    from .viz import GraphvizError

    given = [k for k, actions in _ONLY.items() if _given(args, k) and args.action not in actions]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise CliError(
            f"{option} is for exercise {' or '.join(_ONLY[given[0]])}, not {args.action}"
        )
    try:
        if args.action == "list":
            width = max(map(len, exercise.templates()))
            rows = [f"{name.ljust(width)}  {text}" for name, text in exercise.templates().items()]
            return 0, "\n".join(rows) + "\n"
        if args.action == "check":
            return _exercise_check(exercise, args)
        return 0, _exercise_write(exercise, args)
    except TypeError as e:  # a wrong type from a file, said as the user error it is
        raise CliError(str(e)) from None
    except GraphvizError as e:  # no dot, or dot failed: the figures need it
        raise CliError(str(e)) from None


def _given(args: argparse.Namespace, key: str) -> bool:
    value = getattr(args, key)
    return value not in (None, False)


def _exercise_write(exercise: Any, args: argparse.Namespace) -> str:
    """exercise sheet / class: write the pages; the lines saying what was written."""
    if not args.words:
        raise CliError(
            f"exercise {args.action}: name a template (see 'microgradnet exercise list')"
        )
    template, *rest = args.words
    custom = _custom_words(template, rest)
    formats, paper = args.format or "html", args.paper or "a4"
    if "pdf" in formats.split(",") and exercise.chromium() is None:
        raise CliError(exercise.INSTALL_CHROMIUM)
    if args.action == "sheet":
        sheet = exercise.make(template, args.seed or 0, **custom)
        saved = sheet.save(args.out or ".", formats=formats, paper=paper)
    else:
        if (args.roster is None) == (args.count is None):
            raise CliError("exercise class: give --roster FILE or --count N (one of them)")
        if args.class_seed is None:
            raise CliError("exercise class: give --class-seed N")
        roster = args.count if args.roster is None else args.roster
        group = exercise.class_set(template, args.class_seed, roster, **custom)
        saved = group.save(args.out or "class", formats=formats, paper=paper)
    lines = [f"wrote {path_text(p)}" for p in saved.written]
    lines += [f"kept {path_text(p)} (it may hold answers)" for p in saved.kept]
    return "\n".join(lines) + "\n"


def _custom_words(template: str, rest: list[str]) -> dict[str, Any]:
    """A custom template's FORMULA and NAME=RANGE words, as make's keyword arguments."""
    if template != "custom":
        if rest:
            raise CliError(
                f"exercise: {cut(repr(rest[0]))}: only the custom template takes more words"
            )
        return {}
    if not rest:
        raise CliError(
            'exercise: custom takes a formula and ranges: custom "(x*w + b)**2" x=-3:3 ...'
        )
    formula, *pairs = rest
    ranges: dict[str, str] = {}
    for item in pairs:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"{cut(repr(item))} is not of the form NAME=LO:HI or NAME=VALUE")
        if name in ranges:
            raise CliError(f"{cut(repr(item))}: {cut(repr(name))} is given twice")
        ranges[name] = value
    return {"expression": formula, "ranges": ranges}


def _exercise_check(exercise: Any, args: argparse.Namespace) -> tuple[int, str]:
    """exercise check FILE (a report) or FOLDER (a gradebook): 0 all right, 1 not, 2 refused."""
    if len(args.words) != 1:
        raise CliError("exercise check takes one answer file, or one folder of them")
    target = args.words[0]
    if os.path.isdir(target):
        if args.json or args.reveal:
            raise CliError("--json and --reveal are for one answer file; a folder gives a CSV")
        book = exercise.gradebook(target)
        if args.gradebook is None:
            return book.status, book.csv()
        _write_file(args.gradebook, book.csv())
        graded = sum(1 for row in book.rows if not row.get("status", "").startswith("refused"))
        refused = len(book.rows) - graded
        shown = path_text(args.gradebook)
        return book.status, f"graded {graded} answer file(s), refused {refused}; wrote {shown}\n"
    if args.gradebook is not None:
        raise CliError("--gradebook is for a folder of answer files")
    report = exercise.check(target)
    status = 0 if report.all_right else 1
    if args.json:
        return status, _json_text(report.to_dict(reveal=args.reveal))
    return status, report.text(reveal=args.reveal) + "\n"


def _write_file(path: str, text: str) -> None:
    replace_file(path, text, "exercise check")


# -- output -------------------------------------------------------------------------------------


def _json_text(doc: dict[str, Any]) -> str:
    """The one JSON writer of every command: strict JSON (inf and nan are strings by then),
    escaped to ASCII unless standard output takes Unicode (an ASCII or latin-1 terminal
    still gets valid JSON)."""
    return json.dumps(doc, ensure_ascii=not _unicode(sys.stdout), allow_nan=False) + "\n"


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


def _fail(prog: str, kind: str, message: str) -> None:
    """Print one line on stderr (nothing if stderr is closed too), at most MAX_MESSAGE long."""
    if sys.stderr is None:
        return
    one_line = cut(message.replace("\r", " ").replace("\n", " "), MAX_MESSAGE)
    print(_printable(f"{prog}: {kind}: {one_line}", sys.stderr), file=sys.stderr)


def _printable(text: str, stream: TextIO) -> str:
    """text as stream can write it: escapes for what its encoding lacks, never a codec error."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return path_text(text).encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        return path_text(text)


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


_fmt = number_format(None)  # whole numbers without .0 (49), other floats in full (repr)


# -- the words of the command line --------------------------------------------------------------

_OPTION_LIKE = re.compile(r"--[A-Za-z][\w-]*(=.*)?", re.DOTALL)


def _arranged(words: list[str], options: Options) -> list[str]:
    """The words as argparse reads them without guessing: after the command, each option
    joined to its value (``--answer=-2*x``: the next word, whatever it starts with), then
    ``--`` and the positionals (a formula may start with -; after a given ``--`` every word is
    one). A word such as --frob stays an option, for argparse to name."""
    i = 0
    while i < len(words) and words[i].startswith("-") and words[i] != "--":
        i += 1  # options before the command: --help, --version
    if i == len(words) or words[i] not in options:
        return words
    known = options[words[i]]
    given: list[str] = []
    positionals: list[str] = []
    rest = iter(words[i + 1 :])
    for word in rest:
        name = word.partition("=")[0]
        if word == "--":
            positionals += rest
        elif name in known:
            value = next(rest, None) if known[name] and "=" not in word else None
            given.append(word if value is None else f"{word}={value}")
        elif _OPTION_LIKE.fullmatch(word):
            given.append(word)
        else:
            positionals.append(word)
    return [*words[: i + 1], *given, *(["--", *positionals] if positionals else [])]


def _unrecognized(extra: list[str], prog: str) -> str:
    shown = " ".join(cut(word) for word in extra[:5])
    more = f" (and {len(extra) - 5} more)" if len(extra) > 5 else ""
    return f"unrecognized arguments: {shown}{more} (see '{prog} --help')"


def _positive_int(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 12 and int(text) >= 1):
        raise argparse.ArgumentTypeError(f"{cut(repr(text))} is not a positive whole number")
    return int(text)


def _points(text: str) -> int:
    n = _positive_int(text)
    if n > MAX_POINTS:
        raise argparse.ArgumentTypeError(f"{text!r} is more than {MAX_POINTS} points")
    return n


def _file_name(text: str) -> str:
    if "\0" in text:
        raise argparse.ArgumentTypeError(
            f"{cut(repr(text))} holds a NUL byte, which no file name may hold"
        )
    return text


def _parser() -> tuple[_Parser, Options]:
    """The parser, and for each command its options (whether each takes a value)."""
    parser = _Parser(
        prog="microgradnet",
        description="A scalar autograd engine to learn, teach and check backpropagation.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.set_defaults(prog=parser.prog)
    parser.add_argument("--version", action="version", version=f"microgradnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    options: Options = {}
    for name, build in (
        ("grad", _grad_options),
        ("check", _check_options),
        ("exercise", _exercise_options),
        ("demo", _demo_options),
    ):
        options[name] = {"-h": False, "--help": False}
        build(commands, options[name])
    return parser, options


def _command(
    commands: Any, name: str, help: str, description: str, epilog: str | None = None
) -> argparse.ArgumentParser:
    """A subcommand's parser: no abbreviated options, its name in its errors; with an epilog
    of examples, the description and the examples kept as written."""
    raw = {"formatter_class": argparse.RawDescriptionHelpFormatter} if epilog else {}
    command: argparse.ArgumentParser = commands.add_parser(
        name, help=help, description=description, epilog=epilog, allow_abbrev=False, **raw
    )
    command.set_defaults(prog=command.prog)
    return command


def _option(
    command: argparse.ArgumentParser, known: dict[str, bool], *names: str, **kw: Any
) -> None:
    action = command.add_argument(*names, **kw)
    known.update((name, action.nargs != 0) for name in action.option_strings)


def _grad_options(commands: Any, known: dict[str, bool]) -> None:
    grad = _command(
        commands,
        "grad",
        "value, gradient (and Hessian, chain rule, graph) of a formula",
        "Print f and df/dNAME for each declared variable, in the order declared.",
        EXAMPLES,
    )
    grad.add_argument("expr", metavar="EXPR", help='the formula, such as "(x*w + b)**2"')
    grad.add_argument(
        "assignments", metavar="NAME=VALUE", nargs="*", default=[], help="a variable and its value"
    )
    _option(
        grad,
        known,
        "--svg",
        metavar="FILE",
        type=_file_name,
        help="write the graph, forward and backward, as SVG",
    )
    _option(
        grad,
        known,
        "--steps",
        metavar="FILE.html",
        type=_file_name,
        help="write the forward and backward passes step by step as one self-contained HTML page",
    )
    _option(
        grad,
        known,
        "--quiz",
        action="store_true",
        help="in --steps, ask for each value and gradient before showing it (practice: the "
        "answers are in the page)",
    )
    _option(
        grad,
        known,
        "--collapse",
        choices=("neuron", "layer"),
        help="in --svg and --steps, draw each neuron (or layer) of an nn model as one box",
    )
    _option(
        grad, known, "--explain", metavar="NAME", help="print the chain rule path by path for NAME"
    )
    _option(
        grad, known, "--latex", action="store_true", help="write the --explain chain rule as LaTeX"
    )
    _option(grad, known, "--hessian", action="store_true", help="add the second derivatives")
    _option(
        grad, known, "--json", action="store_true", help="print one JSON object instead of text"
    )


def _check_options(commands: Any, known: dict[str, bool]) -> None:
    check = _command(
        commands,
        "check",
        "check a derivative derived by hand against backprop at many points",
        "Compare FORMULA, your d EXPR / d NAME, with the engine's gradient at random\n"
        "points; print where they differ and name the usual mistake (sign, constant\n"
        "factor, wrong variable, a chain-rule path left out or counted twice).",
        CHECK_EXAMPLES,
    )
    check.add_argument("expr", metavar="EXPR", help='the function, such as "x**2*y"')
    check.add_argument(
        "assignments", metavar="NAME=VALUE", nargs="*", default=[], help="a centre for the points"
    )
    _option(
        check,
        known,
        "--wrt",
        metavar="NAME",
        required=True,
        action="append",
        help="the variable (twice, --wrt x --wrt y, for the second derivative d²f/dx dy)",
    )
    _option(
        check,
        known,
        "--answer",
        metavar="FORMULA",
        required=True,
        help='your derivative, such as "2*x*y"',
    )
    _option(
        check,
        known,
        "--domain",
        metavar="NAME=LO:HI",
        action="append",
        help="draw NAME in [LO, HI]",
    )
    _option(
        check,
        known,
        "--points",
        metavar="N",
        type=_points,
        default=200,
        help="how many points (default 200)",
    )
    _option(
        check, known, "--json", action="store_true", help="print one JSON object instead of text"
    )


def _exercise_options(commands: Any, known: dict[str, bool]) -> None:
    command = _command(
        commands,
        "exercise",
        "practice sheets from the notes' templates, their keys, and a grader",
        "list the templates; write a sheet, its key and its answer file (sheet); one sheet\n"
        "per student and one key (class); grade an answer file or a folder (check).",
        EXERCISE_EXAMPLES,
    )
    command.add_argument(
        "action", metavar="ACTION", choices=_EXERCISE_ACTIONS, help="list, sheet, class or check"
    )
    command.add_argument(
        "words",
        metavar="WORD",
        nargs="*",
        default=[],
        help="the template (custom: then FORMULA NAME=LO:HI ...), or the file",
    )
    for names, kw in (
        (("--seed",), {"type": _seed, "metavar": "N", "help": "sheet: the seed (default 0)"}),
        (("--class-seed",), {"type": _seed, "metavar": "N", "help": "class: the class's seed"}),
        (("--roster",), {"type": _file_name, "metavar": "FILE", "help": "class: one name a line"}),
        (("--count",), {"type": _positive_int, "metavar": "N", "help": "class: N students"}),
        (("--out",), {"type": _file_name, "metavar": "DIR", "help": "the folder to write into"}),
        (
            ("--format",),
            {"type": _formats, "metavar": "LIST", "help": "html,md,pdf (default html)"},
        ),
        (("--paper",), {"choices": ("a4", "letter"), "help": "a4 (default) or letter"}),
        (
            ("--gradebook",),
            {
                "type": _file_name,
                "metavar": "FILE.csv",
                "help": "check FOLDER: write the CSV gradebook here",
            },
        ),
        (
            ("--reveal",),
            {"action": "store_true", "help": "check: show the key's answer when wrong"},
        ),
        (("--json",), {"action": "store_true", "help": "check: one JSON object"}),
    ):
        _option(command, known, *names, **kw)


def _seed(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) < 2**63):
        raise argparse.ArgumentTypeError(
            f"{cut(repr(text))} is not a seed (a whole number 0 to 2**63 - 1)"
        )
    return int(text)


def _formats(text: str) -> str:
    parts = [p.strip() for p in text.split(",")]
    if not all(p in ("html", "md", "pdf") for p in parts):
        raise argparse.ArgumentTypeError(
            f"{cut(repr(text))}: formats are html, md, pdf (comma-separated)"
        )
    return ",".join(parts)


def _demo_options(commands: Any, known: dict[str, bool]) -> None:
    run_demo = _command(
        commands,
        "demo",
        "the notes' worked example (x*w + b)**2, then an MLP trained on the two moons",
        "Print the lecture notes' worked example L = (x*w + b)**2 and draw its graph, then "
        "train an MLP on the two moons; write the graphs (SVG) and plots (PNG) into DIR.",
    )
    _option(
        run_demo,
        known,
        "--out",
        metavar="DIR",
        type=_file_name,
        default="demo-output",
        help="output folder (default: demo-output)",
    )
    _option(
        run_demo,
        known,
        "--epochs",
        metavar="N",
        type=_positive_int,
        default=60,
        help="training epochs (default 60)",
    )
