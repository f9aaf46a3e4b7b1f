"""Check a derivative derived by hand: compare the formula with backprop at many points.

    check_derivative(f, answer, wrt)      a DerivativeCheck: matches or not, and why not

One point can agree by chance; ``check_derivative`` evaluates the answer and the engine's
gradient at ``points`` random points and, when they differ, tries the usual mistakes in order,
stating one only when it holds at every point checked:

1. the opposite sign (the lecture notes' (y − ŷ) where ∂/∂ŷ ½(y − ŷ)² is (ŷ − y));
2. a constant factor (2, ½, −1, …);
3. the derivative with respect to another variable;
4. one chain-rule path left out or counted twice (the paths of ``explain``, at most
   ``MAX_PATHS`` of them; beyond that the check says it did not try);
5. an answer that does not depend on the variable while the derivative does.

``f`` and ``answer`` are functions or formula strings (parsed by ``microgradnet.expr``, never
run). References: torch.autograd.gradcheck (atol, rtol, raise_exception); the lecture notes on
Masha's network (the sign slip) and on the chain rule as a sum over paths.
"""

from __future__ import annotations

import ast
import inspect
import math
import random
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

from ._args import real_number
from ._format import cut, markdown_text, number_format
from ._format import json_number as _json_number
from .chain_rule import count_text, explain
from .engine import Constant, Value, gradients, topological_order
from .expr import FUNCTIONS, MAX_LENGTH, ExpressionError, normalize_name, parse_expression
from .transforms import parameter_names

MAX_POINTS = 100_000
MAX_WORK = 10**7  # points × nodes of f's graph (and the answer's, for a formula) at most
MAX_PATHS = 20  # explain's printing bound: more paths than this and the path check is not tried
DEFAULT_RANGE = (-2.0, 2.0)
LARGEST = sys.float_info.max  # points are drawn within ±LARGEST, the finite floats

Formula = str | Callable[..., Any]
Interval = tuple[float, float]


class DerivativeCheckError(AssertionError):
    """Raised by check_derivative(..., raise_exception=True); ``report`` holds the details."""

    def __init__(self, report: DerivativeCheck) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass(frozen=True)
class Difference:
    """A point where the answer and the derivative differ, with both values."""

    point: dict[str, float]
    answer: float
    derivative: float


@dataclass(frozen=True)
class DerivativeCheck:
    """The outcome of check_derivative; true in a boolean context when the answer matches.

    ``diagnosis`` names the mistake when one of the usual ones holds at every point checked;
    ``notes`` says what could not be tried (the path check on a graph with many paths).
    """

    wrt: str
    variables: tuple[str, ...]
    matches: bool
    points_checked: int
    skipped: int
    skip_reasons: dict[str, int]
    largest_error: float
    first_difference: Difference | None
    diagnosis: str | None
    notes: tuple[str, ...] = ()
    rtol: float = 0.0
    atol: float = 0.0
    derivative: str = ""  # as written in the text: ∂f/∂x, or ∂²f/∂x∂y

    def __bool__(self) -> bool:
        return self.matches

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def _repr_markdown_(self) -> str:
        first, *rest = self._lines()
        mark = "✅" if self.matches else "❌"
        body = "\n".join(f"- {markdown_text(line.strip())}" for line in rest)
        return f"{mark} **{markdown_text(first)}**\n\n{body}\n"

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data (inf and nan as the strings "inf", "nan")."""
        diff = self.first_difference
        return {
            "wrt": self.wrt,
            "derivative": self.derivative or f"∂f/∂{self.wrt}",
            "variables": list(self.variables),
            "matches": self.matches,
            "points_checked": self.points_checked,
            "skipped": self.skipped,
            "skip_reasons": dict(self.skip_reasons),
            "largest_error": _json_number(self.largest_error),
            "first_difference": None
            if diff is None
            else {
                "point": {k: _json_number(v) for k, v in diff.point.items()},
                "answer": _json_number(diff.answer),
                "derivative": _json_number(diff.derivative),
            },
            "diagnosis": self.diagnosis,
            "notes": list(self.notes),
            "rtol": self.rtol,
            "atol": self.atol,
        }

    def _lines(self) -> list[str]:
        at = f"at {self.points_checked} point{'s' * (self.points_checked != 1)}"
        verdict = "matches" if self.matches else "does not match"
        d = self.derivative or f"∂f/∂{self.wrt}"
        lines = [f"the answer {verdict} {d} {at}"]
        if self.skipped:
            reasons = "; ".join(f"{n}× {why}" for why, n in self.skip_reasons.items())
            lines.append(
                f"skipped {self.skipped} point(s) where f or the answer is undefined: {reasons}"
            )
        lines.append(
            f"largest error {_fmt(self.largest_error)} "
            f"(tolerance atol + rtol·|{d}|, atol={self.atol:g}, rtol={self.rtol:g})"
        )
        diff = self.first_difference
        if diff is not None:
            point = ", ".join(f"{k} = {_fmt(v)}" for k, v in diff.point.items())
            lines.append(
                f"first difference at {point}: answer {_fmt(diff.answer)}, "
                f"{d} = {_fmt(diff.derivative)}"
            )
        if self.diagnosis:
            lines.append(f"diagnosis: {self.diagnosis}")
        elif not self.matches:
            lines.append("diagnosis: none of the usual mistakes explains the difference")
        lines += [f"note: {note}" for note in self.notes]
        return lines


def check_derivative(
    f: Formula,
    answer: Formula,
    wrt: str | int | tuple[str | int, str | int] = 0,
    *,
    at: Mapping[str, float] | Sequence[float] | None = None,
    domain: Mapping[str, Interval] | Sequence[Interval] | None = None,
    points: int = 200,
    seed: int = 0,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    raise_exception: bool = False,
) -> DerivativeCheck:
    """Compare ``answer`` with ∂f/∂wrt by backprop at ``points`` random points.

    ``f``: a function of Values returning a Value, or a formula string such as
    ``"0.5*(y - w*x)**2"``. ``answer``: the derivative by hand, a function of numbers or Values
    (same arguments as f) returning a number or a Value, or a formula string over the same
    names. ``wrt``: the variable, by name or position; a pair ``(x, y)`` checks the second
    derivative ∂²f/∂x∂y instead. Points are drawn uniformly inside ``domain`` (name -> (lo, hi)),
    else within ±max(1, |v|) of ``at``'s value v (and ``at`` itself is the first point), else in
    [−2, 2], always within the finite floats; points where f or the answer is undefined (log of
    a negative, …) are skipped and counted. They match where |answer − ∂f/∂wrt| <= atol +
    rtol·|∂f/∂wrt|. With ``raise_exception`` a mismatch raises DerivativeCheckError (an
    AssertionError). The work is bounded: points × the nodes of f's graph (and of the answer's,
    for a formula) at most MAX_WORK, refused after the first point otherwise.
    """
    _check_arguments(f, answer, points, seed, rtol, atol, raise_exception)
    names = _variable_names(f, at, domain)
    ks = _wrt_indices(wrt, names)
    k = ks[-1]
    centre = _centre(at, names)
    intervals = _intervals(domain, centre, names)
    model = _Model(f, answer, names, ks[0] if len(ks) == 2 else None)
    rng = random.Random(seed)
    rows, reasons = _rows(model, _samples(centre, intervals, points, rng), points)
    close = _closeness(rtol, atol)
    bad = [r for r in rows if not close(r.answer, r.grads[k])]
    diagnosis, notes = (None, []) if not bad else _diagnose(model, rows, k, intervals, rng, close)
    errors = [abs(r.answer - r.grads[k]) for r in rows]
    report = DerivativeCheck(
        wrt=names[k],
        variables=tuple(names),
        matches=not bad,
        points_checked=len(rows),
        skipped=points - len(rows),
        skip_reasons=reasons,
        largest_error=max(errors, key=lambda e: (math.isnan(e), e)),
        first_difference=None
        if not bad
        else Difference(dict(zip(names, bad[0].point)), bad[0].answer, bad[0].grads[k]),
        diagnosis=diagnosis,
        notes=tuple(notes),
        rtol=rtol,
        atol=atol,
        derivative=model.symbol(k),
    )
    if bad and raise_exception:
        raise DerivativeCheckError(report)
    return report


def _check_arguments(
    f: object,
    answer: object,
    points: object,
    seed: object,
    rtol: object,
    atol: object,
    raise_exception: object,
) -> None:
    """TypeError for an argument of the wrong type, ValueError for a wrong value."""
    for what, g in (("f", f), ("answer", answer)):
        if not (isinstance(g, str) or callable(g)):
            raise TypeError(
                f"check_derivative: {what} must be a formula string or a function, "
                f"got {type(g).__name__}"
            )
    for name, n in (("points", points), ("seed", seed)):
        if isinstance(n, bool) or not isinstance(n, Integral):
            raise TypeError(f"check_derivative: {name} must be an int, got {type(n).__name__}")
    assert isinstance(points, Integral)
    if not 1 <= int(points) <= MAX_POINTS:
        raise ValueError(
            f"check_derivative: points must be a whole number 1..{MAX_POINTS}, got {points!r}"
        )
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if isinstance(tol, bool) or not isinstance(tol, Real):
            raise TypeError(
                f"check_derivative: {name} must be a finite number >= 0, got {type(tol).__name__}"
            )
        if not (math.isfinite(tol) and float(tol) >= 0):
            raise ValueError(f"check_derivative: {name} must be a finite number >= 0, got {tol!r}")
    if not isinstance(raise_exception, bool):
        raise TypeError(
            "check_derivative: raise_exception must be True or False, "
            f"got {type(raise_exception).__name__}"
        )


def _samples(
    centre: list[float], intervals: list[Interval], points: int, rng: random.Random
) -> Iterator[list[float]]:
    """The points to check: the centre first (when at names every variable), then uniform
    draws inside the intervals."""
    first = bool(centre) and not any(map(math.isnan, centre))
    if first:
        yield centre
    for _ in range(points - first):
        yield [_uniform(rng, lo, hi) for lo, hi in intervals]


def _rows(
    model: _Model, samples: Iterator[list[float]], points: int
) -> tuple[list[_Row], dict[str, int]]:
    """The rows where f and the answer are defined, and why the other points were skipped;
    refused past MAX_WORK as soon as the first graph tells f's size."""
    rows: list[_Row] = []
    reasons: dict[str, int] = {}
    for p in samples:
        row = model.row(p)
        if isinstance(row, str):
            reasons[row] = reasons.get(row, 0) + 1
        else:
            rows.append(row)
        _within_work(points, model.size)
    if not rows:
        why = "; ".join(reasons)
        raise ValueError(
            f"check_derivative: f or the answer is undefined at all {points} "
            f"points drawn ({why}); give a domain where both are defined"
        )
    return rows, reasons


def _within_work(points: int, size: int) -> None:
    """Refuse points × size (nodes per point) above MAX_WORK, naming the points that fit."""
    if points * size <= MAX_WORK:
        return
    fit = MAX_WORK // size
    advice = f"ask for at most {fit:,} points" if fit else "check a smaller f"
    raise ValueError(
        f"check_derivative: {points:,} points × {size:,} nodes (the graphs of f and the answer) "
        f"is {points * size:,} node evaluations, more than MAX_WORK = {MAX_WORK:,}; {advice}"
    )


# -- evaluating f and the answer ----------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    point: list[float]
    grads: list[float]  # ∂f/∂ each variable (∂²f/∂x∂ each, for a second derivative)
    answer: float


class _Model:
    """f and the answer over named variables, evaluated point by point; ``size`` counts the
    nodes of f's graph and of the answer's (a formula's) once each is first built."""

    def __init__(self, f: Formula, answer: Formula, names: list[str], first: int | None) -> None:
        self.f, self.answer, self.names = f, answer, names
        self.first = first  # for a second derivative: the variable differentiated first
        self.f_size = self.answer_size = 0

    @property
    def size(self) -> int:
        return self.f_size + self.answer_size

    def symbol(self, j: int) -> str:
        """∂f/∂x_j, or ∂²f/∂x_first∂x_j for a second derivative."""
        var = self.names[j]
        if self.first is None:
            return f"∂f/∂{var}"
        first = self.names[self.first]
        return f"∂²f/∂{var}²" if first == var else f"∂²f/∂{first}∂{var}"

    def derivatives(self, out: Value, xs: list[Value]) -> list[float]:
        """∂f/∂ each variable, or ∂²f/∂x_first∂ each variable."""
        if self.first is None:
            return gradients(out, xs)
        g = gradients(out, [xs[self.first]], create_graph=True)[0]
        return gradients(g, xs) if isinstance(g, Value) else [0.0] * len(xs)

    def graph(self, p: Sequence[float]) -> tuple[Value, list[Value]]:
        xs = [Value(v, label=n) for n, v in zip(self.names, p)]
        if isinstance(self.f, str):
            out = parse_expression(self.f, dict(zip(self.names, xs)))
        else:
            out = self.f(*xs)
        if not isinstance(out, Value):
            raise TypeError(f"check_derivative: f must return a Value, got {type(out).__name__}")
        if not self.f_size:
            self.f_size = len(topological_order(out))
        return out, xs

    def row(self, p: list[float]) -> _Row | str:
        """The row at p, or why p is skipped."""
        try:
            out, xs = self.graph(p)
        except ExpressionError:
            raise
        except (ArithmeticError, ValueError) as e:
            return f"f: {_reason(e)}"
        try:
            grads = self.derivatives(out, xs)
        except (ArithmeticError, ValueError) as e:
            return f"the derivative of f: {_reason(e)}"
        try:
            a = self.evaluate_answer(p)
        except ExpressionError:
            raise
        except (ArithmeticError, ValueError) as e:
            return f"answer: {_reason(e)}"
        if not (math.isfinite(out.data) and all(map(math.isfinite, grads))):
            return "f or its gradient is not finite"
        return _Row(p, grads, a)

    def evaluate_answer(self, p: Sequence[float]) -> float:
        """The answer at p as a float; a function's result must be a number or a Value (a
        str or a bool is refused, not converted)."""
        if isinstance(self.answer, str):
            variables = {n: Value(v, label=n) for n, v in zip(self.names, p)}
            value = parse_expression(self.answer, variables)
            if not self.answer_size:
                self.answer_size = len(topological_order(value))
            return value.data
        try:
            out = self.answer(*p)
        except (TypeError, AttributeError):  # written for Values: x.exp(), x.sigmoid()
            out = self.answer(*(Constant(v, label=n) for n, v in zip(self.names, p)))
        if isinstance(out, Value):
            return out.data
        if isinstance(out, bool) or not isinstance(out, Real):  # numpy's floats are Real
            raise TypeError(
                f"check_derivative: answer must return a number or a Value, got "
                f"{type(out).__name__} {out!r:.40}"
            )
        return float(out)


def _reason(e: Exception) -> str:
    """The engine's message without its number: 'log: input must be > 0'."""
    text = str(e)
    return text.split(", got")[0] if ", got" in text else text[:80]


# -- the usual mistakes -------------------------------------------------------------------------


def _diagnose(
    model: _Model,
    rows: list[_Row],
    k: int,
    intervals: list[Interval],
    rng: random.Random,
    close: Callable[[float, float], bool],
) -> tuple[str | None, list[str]]:
    names, symbol = model.names, model.symbol(k)
    answers = [r.answer for r in rows]
    truth = [r.grads[k] for r in rows]
    notes: list[str] = []

    def holds(expected: Sequence[float]) -> bool:
        return all(close(a, e) for a, e in zip(answers, expected))

    if any(truth) and holds([-g for g in truth]):
        return f"the answer has the opposite sign: it is −{symbol}", notes
    factor = _constant_factor(answers, truth, close)
    if factor is not None:
        return (
            f"the answer is off by a constant factor: it is {_fraction(factor)} × {symbol}",
            notes,
        )
    for j, other in enumerate(names):
        if j != k and holds([r.grads[j] for r in rows]) and not holds(truth):
            return (
                f"the answer is {model.symbol(j)}, the derivative with respect to {other}, "
                f"not {names[k]}",
                notes,
            )
    path, note = _path_mistake(model, rows, k, close)
    if path is not None:
        return path, notes
    if note:
        notes.append(note)
    constant = _independent_of(model, rows, k, intervals, rng, close)
    return constant, notes


def _constant_factor(
    answers: Sequence[float], truth: Sequence[float], close: Callable[[float, float], bool]
) -> float | None:
    """c with answer = c · ∂f/∂x at every point (c not 0, 1 or −1), from two or more points."""
    nonzero = [(a, g) for a, g in zip(answers, truth) if g != 0 and not close(0.0, g)]
    if len(nonzero) < 2:
        return None
    a0, g0 = max(nonzero, key=lambda ag: abs(ag[1]))
    c = a0 / g0
    if c == 0 or close(c, 1.0) or close(c, -1.0) or not math.isfinite(c):
        return None
    ok = all(close(a, c * g) for a, g in zip(answers, truth))
    return c if ok else None


def _path_mistake(
    model: _Model, rows: list[_Row], k: int, close: Callable[[float, float], bool]
) -> tuple[str | None, str | None]:
    """Which chain-rule path the answer leaves out or counts twice, if one does everywhere."""
    if model.first is not None:
        return None, "the path check is made for first derivatives only"
    terms: list[list[float]] = []
    texts: list[str] = []
    for r in rows:
        out, xs = model.graph(r.point)
        e = explain(out, xs[k], max_paths=MAX_PATHS)
        if e.n_paths > MAX_PATHS:
            return None, (
                f"the path check was not tried: ∂f/∂{model.names[k]} is a sum over "
                f"{count_text(e.n_paths)} paths, more than {MAX_PATHS}"
            )
        if e.n_paths < 2:
            return None, None
        products = [p.product for p in e.paths]
        if terms and len(products) != len(terms[0]):
            return None, "the path check was not tried: the graph changes from point to point"
        terms.append(products)
        if not texts:
            names = {**e.names, out: "f"} if not out.label else e.names
            e = type(e)(e.root, e.wrt, e.paths, e.n_paths, e.total, names)
            texts = [e.path_text(p, d="∂") for p in e.paths]
    for sign, verb in ((-1, "leaves out"), (1, "counts twice")):
        found = [
            i
            for i in range(len(texts))
            if any(t[i] for t in terms)
            and all(close(r.answer, r.grads[k] + sign * t[i]) for r, t in zip(rows, terms))
        ]
        if found:
            *others, i = found  # a·a: name the second operand's path, mention the first's
            also = "".join(f" — or path {j + 1}, whose term is the same" for j in others)
            return f"your answer {verb} path {i + 1}: {texts[i]}{also}", None
    return None, None


def _independent_of(
    model: _Model,
    rows: list[_Row],
    k: int,
    intervals: list[Interval],
    rng: random.Random,
    close: Callable[[float, float], bool],
) -> str | None:
    """'does not depend on x' when moving x alone never changes the answer but does ∂f/∂x."""
    var, symbol, varies = model.names[k], model.symbol(k), None
    lo, hi = intervals[k]
    for r in rows:
        moved = list(r.point)
        moved[k] = _uniform(rng, lo, hi)
        other = model.row(moved)
        if isinstance(other, str):
            continue
        if not close(other.answer, r.answer):
            return None
        if varies is None and not close(other.grads[k], r.grads[k]):
            varies = (r, other)
    if varies is None:
        return None
    r, other = varies
    return (
        f"your answer does not depend on {var}; the derivative does: "
        f"{symbol} = {_fmt(r.grads[k])} at {var} = {_fmt(r.point[k])} and "
        f"{_fmt(other.grads[k])} at {var} = {_fmt(other.point[k])}, "
        f"the answer {_fmt(r.answer)} at both"
    )


# -- the variables and the points ---------------------------------------------------------------


def _variable_names(
    f: Formula,
    at: Mapping[str, float] | Sequence[float] | None,
    domain: Mapping[str, Interval] | Sequence[Interval] | None,
) -> list[str]:
    """f's variables in order: a function's parameters, or a formula's names (those of at
    and domain first, then the rest in order of appearance)."""
    declared: list[str] = []
    for what, given in (("at", at), ("domain", domain)):
        for name in _given_names(given, what):
            if name not in declared:
                declared.append(name)
    if isinstance(f, str):
        found = _formula_names(f)
        if not found:  # none, or text the parser refuses: its own message (invalid, too long)
            parse_expression(f, {})
        names = declared + [n for n in found if n not in declared]
    else:
        names = _argument_names(f, at, domain)
        unknown = [d for d in declared if d not in names]
        if unknown:
            raise ValueError(
                f"check_derivative: {cut(', '.join(unknown))} not among f's arguments "
                f"({', '.join(names) or 'none'})"
            )
    if not names:
        raise ValueError("check_derivative: f has no variables to differentiate by")
    return names


def _given_names(given: object, what: str) -> list[str]:
    """The names of at or domain given as a dict ([] for a sequence or None); a TypeError for
    anything else, or for a name that is not a str."""
    if given is None:
        return []
    if isinstance(given, Mapping):
        for name in given:
            if not isinstance(name, str):
                raise TypeError(
                    f"check_derivative: {what}'s names must be str, got {type(name).__name__}"
                )
        return [normalize_name(n) for n in given]
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        raise TypeError(
            f"check_derivative: {what} must be a dict of name -> value or a sequence with one "
            f"per variable, got {type(given).__name__}"
        )
    return []


def _argument_names(
    f: Callable[..., Any],
    at: Mapping[str, float] | Sequence[float] | None,
    domain: Mapping[str, Interval] | Sequence[Interval] | None,
) -> list[str]:
    """A function's positional parameters; more (x2, x3, …) only for one taking *args."""
    names = parameter_names(f)
    for what, given in (("at", at), ("domain", domain)):
        if given is None or isinstance(given, Mapping) or len(given) <= len(names):
            continue
        if not _takes_varargs(f):
            raise ValueError(
                f"check_derivative: {what} gives {len(given)} values, but f takes "
                f"{len(names)} argument(s) ({', '.join(names) or 'none'})"
            )
        names += [f"x{i}" for i in range(len(names), len(given))]
    return names


def _takes_varargs(f: Callable[..., Any]) -> bool:
    """True if f takes *args, or its signature cannot be read (a builtin)."""
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind is p.VAR_POSITIONAL for p in params)


def _formula_names(text: str) -> list[str]:
    """The variable names in formula text, in order of first appearance (parsed, never run);
    text the parser would refuse gives [] and parse_expression then says why."""
    if len(text) > MAX_LENGTH:
        return []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings: parse_expression reports the text
            tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: dict[tuple[int, int], str] = {}
    stack: list[ast.AST] = [tree]
    while stack:  # ast.walk imports at call time; this is the same walk, import-free
        node = stack.pop()
        stack.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS:
            found.setdefault((node.lineno, node.col_offset), node.id)
    names: list[str] = []
    for _, name in sorted(found.items()):
        if name not in names:
            names.append(name)
    return names


def _wrt_indices(wrt: object, names: list[str]) -> list[int]:
    """wrt as positions: one variable, or a pair for the second derivative."""
    if not isinstance(wrt, tuple):
        return [_wrt_index(wrt, names)]
    if not 1 <= len(wrt) <= 2:
        raise ValueError(
            f"check_derivative: wrt={_shown(wrt)}: first or second derivatives only: give a "
            "variable, or a pair (x, y) for ∂²f/∂x∂y"
        )
    return [_wrt_index(w, names) for w in wrt]


def _wrt_index(wrt: object, names: list[str]) -> int:
    if isinstance(wrt, bool) or not isinstance(wrt, (str, Integral)):
        raise TypeError(
            "check_derivative: wrt must be a variable's name or position, or a pair of them, "
            f"got {type(wrt).__name__}"
        )
    if isinstance(wrt, Integral):
        k = int(wrt)
        if not -len(names) <= k < len(names):
            raise ValueError(
                f"check_derivative: wrt={k} is out of range for the "
                f"{len(names)} variable(s) {', '.join(names)}"
            )
        return k % len(names)
    if normalize_name(wrt) in names:
        return names.index(normalize_name(wrt))
    raise ValueError(
        f"check_derivative: wrt={_shown(wrt)} is not a variable of f "
        f"(variables: {', '.join(names)})"
    )


def _centre(at: Mapping[str, float] | Sequence[float] | None, names: list[str]) -> list[float]:
    """at as one value per variable (nan for one at does not name); [] without at."""
    if at is None:
        return []
    if isinstance(at, Mapping):
        values = {normalize_name(n): _finite(v, f"at[{n!r}]") for n, v in at.items()}
        return [values.get(n, math.nan) for n in names]
    if len(at) != len(names):
        raise ValueError(
            f"check_derivative: at must give one value per variable "
            f"({', '.join(names)}), got {len(at)}"
        )
    return [_finite(v, f"at[{i}]") for i, v in enumerate(at)]


def _intervals(
    domain: Mapping[str, Interval] | Sequence[Interval] | None,
    centre: list[float],
    names: list[str],
) -> list[Interval]:
    """Where each variable is drawn: its domain, else ±max(1, |v|) around at's value v, else
    DEFAULT_RANGE; always within ±LARGEST (the finite floats)."""
    given: dict[str, Interval] = {}
    if isinstance(domain, Mapping):
        given = {normalize_name(n): v for n, v in domain.items()}
    elif domain is not None:
        if len(domain) != len(names):
            raise ValueError(
                f"check_derivative: domain must give one (lo, hi) per variable ({', '.join(names)})"
            )
        given = dict(zip(names, domain))
    out = []
    for i, name in enumerate(names):
        if name in given:
            out.append(_interval(given[name], name))
        elif centre and not math.isnan(centre[i]):
            r = max(1.0, abs(centre[i]))
            out.append((max(centre[i] - r, -LARGEST), min(centre[i] + r, LARGEST)))
        else:
            out.append(DEFAULT_RANGE)
    return out


def _interval(pair: object, name: str) -> Interval:
    if not isinstance(pair, (tuple, list)):
        raise TypeError(
            f"check_derivative: domain[{name!r}] must be a pair (lo, hi), got {type(pair).__name__}"
        )
    if len(pair) != 2:
        raise ValueError(
            f"check_derivative: domain[{name!r}] must be a pair (lo, hi), got {_shown(pair)}"
        )
    lo, hi = (_finite(b, f"domain[{name!r}]") for b in pair)
    if not lo < hi:
        raise ValueError(f"check_derivative: domain[{name!r}] must have lo < hi, got {pair!r}")
    return lo, hi


def _finite(x: object, where: str) -> float:
    v = real_number(x, f"check_derivative: {where}")
    if not math.isfinite(v):
        raise ValueError(f"check_derivative: {where} must be finite, got {v}")
    return v


def _uniform(rng: random.Random, lo: float, hi: float) -> float:
    """A uniform draw in [lo, hi] for any finite lo < hi: random.uniform's lo + (hi − lo)·t,
    whose hi − lo overflows to inf for lo = −1e308, hi = 1e308, is then lo·(1 − t) + hi·t."""
    t = rng.random()
    x = lo + (hi - lo) * t if math.isfinite(hi - lo) else lo * (1 - t) + hi * t
    return min(max(x, lo), hi)


def _shown(x: object) -> str:
    """x's repr cut to 60 characters (a name may be megabytes long)."""
    return cut(repr(x))


# -- numbers ------------------------------------------------------------------------------------


def _closeness(rtol: float, atol: float) -> Callable[[float, float], bool]:
    def close(a: float, expected: float) -> bool:
        return abs(a - expected) <= atol + rtol * abs(expected)

    return close


_UNICODE_FRACTIONS = {
    Fraction(1, 2): "½",
    Fraction(1, 3): "⅓",
    Fraction(2, 3): "⅔",
    Fraction(1, 4): "¼",
    Fraction(3, 4): "¾",
}


def _fraction(c: float) -> str:
    """2, ½, −1, 3/4 where c is such a fraction (to 1e-9), else c to 6 digits."""
    q = Fraction(c).limit_denominator(12)
    if abs(float(q) - c) > 1e-9 * max(1.0, abs(c)):
        return _fmt(c)
    sign = "−" if q < 0 else ""
    q = abs(q)
    if q.denominator == 1:
        return f"{sign}{q.numerator}"
    return sign + _UNICODE_FRACTIONS.get(q, f"{q.numerator}/{q.denominator}")


def _fmt(x: float) -> str:
    """x to 6 significant digits (as explain and the drawings), with a typographic minus."""
    text = _six_digits(x)
    return "−" + text[1:] if text.startswith("-") else text


_six_digits = number_format(6)
