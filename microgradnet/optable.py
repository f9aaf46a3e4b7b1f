"""The op table: every operation declared once, as an ``Op`` record, with the math it needs.

A record says everything about an op, and every other module reads it from here:

- how to compute it: ``forward`` on floats, ``numpy_forward`` on arrays (the batched replay);
- its local derivatives: one ``derivative(out, *operands, *params)`` rule returning d out /
  d operand_i for each operand, written with ``fn`` so that the same rule serves floats (first
  derivatives, in the forward pass), Values (derivatives of any order) and numpy arrays;
- its domain (the inputs it refuses, the error and message), its parameters (leaky_relu's
  alpha: numbers on the node, not operands), and the conventions where the derivative does not
  exist (``kink``);
- how it is called (``methods``: the Value methods and operators that build its node), how it
  is written (``text`` forms, ``glyph`` in drawings, ``latex``, ``derivative_texts`` in the
  lecture notes' notation), whether formulas may call it (``cli``), whether it is a network
  activation (``activation``) and its PyTorch counterpart (``torch``);
- where the table-driven tests check it (``points``).

``fn`` is the functions of the table by name (``fn.tanh``, ``fn.cos``, ``fn.pow``, ...), each
dispatching on its argument: a float or int gives a float, a numpy array an array, a Value a
node. Derivative rules are written with it; ``microgradnet.math`` is its public face.

Derivative rules are evaluated by IEEE limits: where a rule divides by zero or overflows (sqrt'
at 0, the x**y rules at x = 0), the value is the IEEE result (±inf) rather than an error; a
user's own ``1/0`` still raises. The engine (``microgradnet.engine``) builds nodes from these
records; nothing here imports it.

References: PyTorch's derivatives.yaml (one entry per op), JAX's primitives with defjvp, HIPS
autograd's defvjp, tinygrad's gradient patterns.
"""

from __future__ import annotations

import math
import operator
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

Rule = Callable[..., Any]
Check = tuple[Callable[..., Any], type[Exception], str]
Texts = Callable[["NodeFacts", Sequence[str], str], tuple["str | None", ...]]

NARY = -1  # the arity of ops that take any number of operands (sum, dot)
ATOM, POWER, PREFIX, PRODUCT, SUM = 9, 4, 3, 2, 1  # precedences of text forms
ONE = 1.0  # a local derivative that is exactly 1: the gradient passes through unchanged


@dataclass(frozen=True)
class Param:
    """A parameter of an op (a number stored on the node, not an operand): its name, default
    and the rule it must satisfy (``ok(x)``, described by ``rule``)."""

    name: str
    default: float | None = None
    ok: Callable[[float], bool] = lambda x: not math.isnan(x)
    rule: str = "a number (not NaN)"


@dataclass(frozen=True)
class NodeFacts:
    """What an op's text and glyph functions may know of a node: its operands' numbers, which
    operands are constants (numbers, never differentiated), and the op's parameters."""

    operands: tuple[float, ...]
    constant: tuple[bool, ...]
    params: tuple[float, ...] = ()


@dataclass(frozen=True, eq=False)
class Op:
    """One operation: how to compute, differentiate, check, call and write it.

    forward(*operands, *params) -> out on floats; numpy_forward the same on arrays (n-ary ops
    take their operands stacked as one (group × arity × batch) array).
    derivative(out, *operands, *params) -> a tuple of d out / d operand_i; value_derivative and
    numpy_derivative are the same rule for Values and arrays (None: the op has no higher
    derivatives, or no replay); numpy_partials, one rule per operand giving the same numbers
    as numpy_derivative, lets the replay compute only the derivatives it needs (x**2 needs no
    out·log(x) for its constant exponent).
    domain: (bad(*operands) -> bool or mask, error class, message) for each refused input (the
    message may place the operands as {0}, {1}); derivative_domain: (i, check) refused only when
    operand i is a Value, whose derivative would be undefined there.
    methods: the Value attributes that build the node ("tanh"; "__add__" with reflected
    "__radd__"). notation: "call" name(x), "infix" a symbol b, "prefix", "power", "abs", "sum",
    "dot"; text(operand texts) overrides it; symbol: an infix op's text between its operands
    (spaced at SUM precedence). glyph: a string, or a function of the node's
    ``NodeFacts``; derivative_texts(facts, operand names, out name) -> one text (or None) per
    operand. torch: the PyTorch function computing the same, with the same derivatives
    (``torch.<torch>(x, *params, **torch_kwargs)``: ``div`` with ``rounding_mode="floor"`` for
    ``//``); to_torch builds activations from it. kink: the convention where the derivative does
    not exist or is a limit (the README's table of conventions lists each).
    points: operand tuples (then params) inside the domain, away from kinks, where the
    table-driven tests check the rules.
    """

    name: str
    arity: int
    forward: Rule
    derivative: Rule
    value_derivative: Rule | None = None
    numpy_forward: Rule | None = None
    numpy_derivative: Rule | None = None
    numpy_partials: tuple[Rule, ...] | None = None
    params: tuple[Param, ...] = ()
    domain: tuple[Check, ...] = ()
    derivative_domain: tuple[tuple[int, Check], ...] = ()
    methods: tuple[str, ...] = ()
    reflected: str = ""
    glyph: str | Callable[[Any], str] = ""
    symbol: str = ""
    notation: str = "call"
    precedence: int = ATOM
    latex: str = ""
    derivative_texts: Texts | None = None
    text: Callable[[Sequence[str]], str] | None = None
    cli: bool = True
    activation: bool = False
    torch: str | None = None
    torch_kwargs: Mapping[str, Any] = field(default_factory=dict)
    kink: str = ""
    doc: str = ""
    points: tuple[tuple[float, ...], ...] = ((-2.3,), (-0.4,), (0.35,), (1.7,))
    builtin: bool = True
    hidden: bool = False
    version: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def defaults(self) -> tuple[float | None, ...]:
        return tuple(p.default for p in self.params)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)


# -- float helpers: the IEEE limit where Python raises ---------------------------------------------


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _pow(x: float, y: float) -> float:
    """x ** y on floats, overflowing to ±inf; 0 ** negative is inf (the IEEE limit)."""
    try:
        return math.pow(x, y)
    except OverflowError:
        return -math.inf if x < 0 and y % 2 == 1 else math.inf
    except ValueError:  # 0 ** negative (math.pow raises): the IEEE limit
        if x == 0:
            return math.copysign(math.inf, x) if y % 2 == 1 else math.inf
        return math.nan


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _np_sigmoid(x: Any) -> Any:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def ieee(rule: Rule, *args: Any) -> Any:
    """rule(*args) on floats, or where Python raises for a division by zero, an overflow or a
    domain error, the same rule on numpy float64 scalars: the IEEE limit (±inf, nan). A
    built-in op's forward (``math.sinh``, which raises for numpy scalars too) is rerun as its
    ``numpy_forward``."""
    try:
        return rule(*args)
    except (ZeroDivisionError, OverflowError, ValueError):
        rule = _NUMPY_TWINS.get(rule, rule)
        with np.errstate(all="ignore"):
            out = rule(*[np.float64(a) if type(a) in (float, int) else a for a in args])
        return tuple(map(float, out)) if isinstance(out, tuple) else float(out)


def domain_text(op: Op, message: str, xs: Sequence[Any], labels: Sequence[str] = ()) -> str:
    """A domain error's text: "op: message", the operands placed where the message says
    ({0}, {1}; {label0}, {label1} for the suffixes naming them), else appended as "got ..."."""
    shown = [repr(float(x)) for x in xs]
    suffixes = {f"label{i}": s for i, s in enumerate(labels)}
    for i in range(len(xs)):
        suffixes.setdefault(f"label{i}", "")
    if "{" in message:
        return f"{op.name}: {message.format(*shown, **suffixes)}"
    got = ", ".join(x + suffixes[f"label{i}"] for i, x in enumerate(shown))
    return f"{op.name}: {message}, got {got}"


# -- fn: the table's functions, dispatching on floats, numpy arrays and Values ---------------------


def constant(*values: float) -> Rule:
    """A derivative rule whose local derivatives are the same numbers everywhere (+, -): the
    engine takes them as they are (``rule.constants``)."""

    def rule(out: Any, *xs: Any) -> tuple[float, ...]:
        return values

    rule.constants = values  # type: ignore[attr-defined]
    return rule


def each_the_other(out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """The rule of a product of two factors: each local derivative is the other factor
    (d(a·b)/da = b, d(a·b)/db = a). The engine takes the operands as they are."""
    return b, a


def _is_array(x: Any) -> bool:
    return isinstance(x, np.ndarray)


def _is_number(x: Any) -> bool:
    return type(x) is float or type(x) is int or isinstance(x, np.floating)


class Functions:
    """exp, log, sin, ... (every op of the table with a name) for a float, a Value or a numpy
    array, so that one derivative rule serves all three. Also ``fn.data(x)`` (the numbers
    behind x) and ``fn.where(cond, a, b)`` (a where cond holds, else b)."""

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Callable[..., Any]: ...

    @staticmethod
    def data(x: Any) -> Any:
        if type(x) is float:
            return x
        return x if _is_number(x) or _is_array(x) else x.data

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        """a where cond holds, else b. On numbers and Values only the chosen branch is
        evaluated when a or b is a function of no arguments (so ``lambda: 1 / x`` guards
        x = 0); on arrays both are evaluated, with numpy's warnings silenced."""
        if _is_array(cond):
            with np.errstate(all="ignore"):
                return np.where(cond, a() if callable(a) else a, b() if callable(b) else b)
        pick = a if cond else b
        return pick() if callable(pick) else pick

    @staticmethod
    def step(x: Any) -> Any:
        """1 where x's data > 0, else 0 (relu's derivative; a number or an array)."""
        if type(x) is float:
            return 1.0 if x > 0 else 0.0
        d = fn.data(x)
        return (d > 0).astype(float) if _is_array(d) else (1.0 if d > 0 else 0.0)


fn = Functions()


_NUMERIC = (float, int, np.ndarray, np.floating)


def _is_numpy(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.floating))


def _dispatcher(op: Op, method: str) -> Callable[..., Any]:
    """fn.<name>: the op on Python numbers (its forward), numpy arrays and scalars
    (numpy_forward, so that ``ieee`` reruns a rule with IEEE limits) or Values (the node)."""
    forward, numpy_forward, arity = op.forward, op.numpy_forward, op.arity

    def unary(x: Any, *params: Any) -> Any:
        if type(x) is float or type(x) is int:
            return forward(float(x), *params)
        if _is_numpy(x):
            return (
                forward(float(x), *params) if numpy_forward is None else numpy_forward(x, *params)
            )
        return getattr(x, method)(*params)

    def binary(x: Any, y: Any) -> Any:
        if type(x) in (float, int) and type(y) in (float, int):
            return forward(float(x), float(y))
        if isinstance(x, _NUMERIC) and isinstance(y, _NUMERIC) and numpy_forward is not None:
            return numpy_forward(x, y)
        host = x if hasattr(x, method) else y  # a Value (its method takes a number first too)
        return getattr(type(host), method)(x, y)

    f = unary if arity == 1 else binary
    f.__name__ = f.__qualname__ = op.name
    f.__doc__ = op.doc
    return f


# -- text helpers ----------------------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt(x: float) -> str:
    """A parameter or constant as short text: 0.1, 2, -3.5."""
    return f"{x:g}" if math.isfinite(x) else str(x)


def _atomic(name: str) -> bool:
    if name.startswith("-"):
        return False
    if name.startswith("|") and name.endswith("|"):
        return True
    if name.endswith(")") and "(" in name:
        head = name[: name.index("(")]
        return head.replace("_", "a").isalnum() or head == ""
    return all(c.isalnum() or c in "._′'₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹" for c in name) and bool(name)


def wrap(name: str) -> str:
    """name, parenthesized unless it is one symbol, a number or a call."""
    return name if _atomic(name) else f"({name})"


def superscript(y: float) -> str | None:
    """y as superscript digits if it is a small integer, else None."""
    return str(int(y)).translate(_SUPERSCRIPTS) if y == int(y) and abs(y) < 100 else None


def constant_exponent(facts: NodeFacts) -> float | None:
    """The exponent of a power node when it is a number (drawn as part of the op)."""
    return facts.operands[1] if facts.constant[1] else None


def _power_glyph(facts: NodeFacts) -> str:
    return "²" if constant_exponent(facts) == 2 else "^"


def _d_power_texts(facts: NodeFacts, names: Sequence[str], out: str) -> tuple[str | None, ...]:
    x = wrap(names[0])
    y = constant_exponent(facts)
    if y is not None:
        if y in (0, 1):
            return str(int(y)), None
        if y == 2:
            return f"2·{x}", None
        sup = superscript(y - 1)
        return f"{fmt(y)}·{x}{sup}" if sup else f"{fmt(y)}·{x}^{fmt(y - 1)}", None
    yn = wrap(names[1])
    return f"{yn}·{x}^({names[1]} − 1)", f"{wrap(out)}·ln {x}"


def _kink_texts(positive: str, other: Callable[[NodeFacts], str]) -> Texts:
    return lambda facts, names, out: (positive if facts.operands[0] > 0 else other(facts),)


def _dot_texts(facts: NodeFacts, names: Sequence[str], out: str) -> tuple[str | None, ...]:
    n = len(names) // 2
    return (*names[n : 2 * n], *names[:n], *(["1"] if len(names) % 2 else []))


def _texts(*templates: str) -> Texts:
    """derivative_texts from templates in {x}, {y} (operands) and {out}, wrapped as needed."""

    def texts(facts: NodeFacts, names: Sequence[str], out: str) -> tuple[str | None, ...]:
        fields = {"x": wrap(names[0]), "out": wrap(out), "name_x": names[0]}
        if len(names) > 1:
            fields["y"] = wrap(names[1])
        return tuple(t.format(**fields) for t in templates)

    return texts


# -- the built-in rules ----------------------------------------------------------------------------


def _np_d_pow_dx(out: Any, x: Any, y: Any) -> Any:
    """d x**y / dx = y·x**(y-1); 0 for y = 0 and inf at x = 0 for 0 < y < 1 (the rule above)."""
    if isinstance(y, float) and y >= 1:  # one constant exponent for the group
        return y * np.power(x, y - 1)
    return np.where(y == 0, 0.0, np.where((x == 0) & (y < 1), np.inf, y * np.power(x, y - 1)))


def _np_d_pow_dy(out: Any, x: Any, y: Any) -> Any:
    """d x**y / dy = x**y·ln x, and 0 where x <= 0 (the rule above)."""
    return np.where(x > 0, out * np.log(np.where(x > 0, x, 1.0)), 0.0)


def _d_pow(out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """d x**y / dx = y·x**(y-1) (0 at x = y = 0, inf at x = 0 for 0 < y < 1); d x**y / dy =
    x**y·ln x, and 0 where x <= 0 (the exponent of a non-positive base is not differentiated)."""
    if type(x) is float and type(y) is float:  # the forward pass: plain floats
        dx = 0.0 if x == 0 and y == 0 else y * _pow(x, y - 1)
        return dx, out * math.log(x) if x > 0 else 0.0
    xd, yd = fn.data(x), fn.data(y)
    if _is_array(xd) or _is_array(yd):
        with np.errstate(all="ignore"):
            return _np_d_pow_dx(out, x, y), _np_d_pow_dy(out, x, y)
    dx = 0.0 if xd == 0 and yd == 0 else y * fn.pow(x, y - 1)
    dy = out * fn.log(x) if xd > 0 else 0.0
    return dx, dy


def _negative_base_non_integer_power(x: Any, y: Any) -> Any:
    """True where x < 0 and y is not a whole number (floats, or arrays elementwise)."""
    if type(x) is float and type(y) is float:
        return x < 0 and not y.is_integer()
    return (x < 0) & (y != np.floor(y))


def _np_pow(x: Any, y: Any) -> Any:
    with np.errstate(all="ignore"):
        return np.power(x, y)


def _relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # NaN stays NaN


def _leaky_relu(x: float, alpha: float) -> float:
    return x if x > 0 else alpha * x


def _d_leaky_relu(out: Any, x: Any, alpha: Any) -> tuple[Any]:
    d = fn.data(x)
    return (np.where(d > 0, 1.0, alpha) if _is_array(d) else (1.0 if d > 0 else alpha),)


def _softplus(x: float) -> float:
    """log(1 + e**x) = max(x, 0) + log(1 + e**-|x|): no overflow for large |x|."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _np_softplus(x: Any) -> Any:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erf_array = np.vectorize(math.erf, otypes=[float])
_erfc_array = np.vectorize(math.erfc, otypes=[float])
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / _SQRT2))


def _np_normal_cdf(x: Any) -> Any:
    return 0.5 * (1.0 + _erf_array(x / _SQRT2))


def _normal_pdf(x: Any) -> Any:
    return fn.exp(-0.5 * x * x) * _INV_SQRT_2PI


def _sum(*xs: float) -> float:
    return sum(xs)


def _np_sum(xs: Any) -> Any:
    return xs.sum(axis=1)


def _dot(*xs: float) -> float:
    n = len(xs) // 2
    z = sum(w * x for w, x in zip(xs[:n], xs[n : 2 * n]))
    return z + xs[2 * n] if len(xs) % 2 else z


def _d_dot(out: Any, *xs: Any) -> tuple[Any, ...]:
    """z = Σ w_i·x_i (+ b): dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1."""
    n = len(xs) // 2
    return (*xs[n : 2 * n], *xs[:n], ONE) if len(xs) % 2 else (*xs[n : 2 * n], *xs[:n])


def _np_dot(xs: Any) -> Any:
    """Σ w_i·x_i (+ b) for operands stacked as (group, w_1..w_n x_1..x_n [b], batch)."""
    n = xs.shape[1] // 2
    z = np.einsum("gnb,gnb->gb", xs[:, :n], xs[:, n : 2 * n])
    return z + xs[:, 2 * n] if xs.shape[1] % 2 else z


def _np_d_dot(out: Any, xs: Any) -> Any:
    n = xs.shape[1] // 2
    parts = [xs[:, n : 2 * n], xs[:, :n]] + ([np.ones_like(xs[:, :1])] if xs.shape[1] % 2 else [])
    return np.concatenate(parts, axis=1)


# -- the rules of the scalar math library ----------------------------------------------------------


def _d_abs(out: Any, a: Any) -> tuple[Any]:
    """abs' = the sign of the data, 0 at 0 (a number or an array, never a node)."""
    d = fn.data(a)
    return (np.sign(d) if _is_array(d) else 1.0 if d > 0 else -1.0 if d < 0 else 0.0,)


def _sign(x: float) -> float:
    """1, -1, or x itself for ±0 and NaN (as numpy.sign)."""
    return 1.0 if x > 0 else -1.0 if x < 0 else x


def _integral(round_: Callable[[float], Any]) -> Rule:
    """floor, ceil, trunc or round as a float; ±inf and NaN stay as they are."""

    def f(x: float) -> float:
        return float(round_(x)) if math.isfinite(x) else x

    f.__name__ = round_.__name__
    return f


def _choice(larger: bool) -> Rule:
    """maximum's (larger) or minimum's rule: 1 for the chosen operand, 0 for the other, ½ each
    at a tie (as torch.maximum); 0 for both where either is NaN."""

    def rule(out: Any, x: Any, y: Any) -> tuple[Any, Any]:
        xd, yd = fn.data(x), fn.data(y)
        first, second = (xd > yd, yd > xd) if larger else (xd < yd, yd < xd)
        tie = xd == yd
        return (
            fn.where(first, 1.0, fn.where(tie, 0.5, 0.0)),
            fn.where(second, 1.0, fn.where(tie, 0.5, 0.0)),
        )

    return rule


def _choice_texts(larger: bool) -> Texts:
    def texts(facts: NodeFacts, names: Sequence[str], out: str) -> tuple[str | None, ...]:
        x, y = facts.operands
        if x == y:
            return "1/2", "1/2"
        return ("1", "0") if (x > y) == larger else ("0", "1")

    return texts


def _maximum(x: float, y: float) -> float:
    return math.nan if x != x or y != y else x if x >= y else y


def _minimum(x: float, y: float) -> float:
    return math.nan if x != x or y != y else x if x <= y else y


def _clamp(x: float, lo: float, hi: float) -> float:
    """min(max(x, lo), hi): hi where lo > hi, as torch.clamp; NaN stays NaN."""
    t = lo if x < lo else x
    return hi if t > hi else t


def _d_clamp(out: Any, x: Any, lo: Any, hi: Any) -> tuple[Any]:
    """1 where lo <= x <= hi (the ends included, as PyTorch), else 0."""
    d = fn.data(x)
    return (fn.where((d >= lo) & (d <= hi), 1.0, 0.0),)


def _clamp_texts(facts: NodeFacts, names: Sequence[str], out: str) -> tuple[str | None, ...]:
    lo, hi = facts.params
    return ("1" if lo <= facts.operands[0] <= hi else "0",)


def _d_hypot(out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """d hypot / dx = x/hypot, d / dy = y/hypot; (0, 0) at the origin (as abs'(0) = 0)."""
    origin = fn.data(out) == 0
    return fn.where(origin, 0.0, lambda: x / out), fn.where(origin, 0.0, lambda: y / out)


def _d_erf(out: Any, x: Any) -> tuple[Any]:
    return (_TWO_OVER_SQRT_PI * fn.exp(-x * x),)


def _d_erfc(out: Any, x: Any) -> tuple[Any]:
    return (-_TWO_OVER_SQRT_PI * fn.exp(-x * x),)


def _exp2(x: float) -> float:
    return _pow(2.0, x)


def _np_exp2(x: Any) -> Any:
    with np.errstate(over="ignore"):
        return np.exp2(x)


def _outside_unit(a: Any) -> Any:
    return abs(a) > 1


def _finite(x: float) -> bool:
    return math.isfinite(x)


_BINARY_POINTS = ((0.3, -1.2), (2.0, 5.0))
_MOD_POINTS = ((5.3, 2.0), (-7.5, 2.0), (5.3, -2.0), (0.7, 1.8))  # away from the jumps


def _d_atan2(out: Any, y: Any, x: Any) -> tuple[Any, Any]:
    """d atan2(y, x) / dy = x/(x² + y²), d / dx = −y/(x² + y²); (0, 0) at the origin, where no
    limit exists (PyTorch's convention)."""
    r2 = x * x + y * y
    origin = fn.data(r2) == 0
    return fn.where(origin, 0.0, lambda: x / r2), fn.where(origin, 0.0, lambda: -y / r2)


_BUILTINS: list[Op] = [
    Op(
        "+", 2, operator.add, constant(ONE, ONE),
        methods=("__add__",), reflected="__radd__", numpy_forward=np.add,
        glyph="+", symbol="+", notation="infix", precedence=SUM, torch="add",
        derivative_texts=_texts("1", "1"), points=_BINARY_POINTS,
    ),
    Op(
        "-", 2, operator.sub, constant(ONE, -1.0),
        methods=("__sub__",), reflected="__rsub__", numpy_forward=np.subtract,
        glyph="−", symbol="-", notation="infix", precedence=SUM, torch="sub",
        derivative_texts=_texts("1", "−1"), points=_BINARY_POINTS,
    ),
    Op(
        "*", 2, operator.mul, each_the_other,
        methods=("__mul__",), reflected="__rmul__", numpy_forward=np.multiply,
        glyph="×", symbol="·", notation="infix", precedence=PRODUCT, torch="mul",
        derivative_texts=lambda n, names, out: (names[1], names[0]), points=_BINARY_POINTS,
    ),
    Op(
        "/", 2, operator.truediv, lambda out, a, b: (1 / b, -out / b),
        methods=("__truediv__",), reflected="__rtruediv__", numpy_forward=np.divide,
        domain=((lambda a, b: b == 0, ZeroDivisionError, "division by zero, {0} / {1}{label1}"),),
        glyph="÷", symbol="/", notation="infix", precedence=PRODUCT, torch="div",
        derivative_texts=_texts("1/{y}", "−{x}/{y}²"), points=_BINARY_POINTS,
    ),
    Op(
        "**", 2, _pow, _d_pow, methods=("__pow__", "pow"), reflected="__rpow__",
        numpy_forward=_np_pow, numpy_partials=(_np_d_pow_dx, _np_d_pow_dy),
        domain=(
            (lambda x, y: (x == 0) & (y < 0), ZeroDivisionError,
             "0 raised to the negative power {1}{label0}"),
            (_negative_base_non_integer_power, ValueError,
             "negative base {0}{label0} with non-integer exponent {1}"),
        ),
        derivative_domain=((1, (lambda x, y: x < 0, ValueError,
                                "negative base {0} with a Value exponent{label1}: d/d exponent "
                                "= x**y·ln(x) is undefined for x < 0; use a number exponent")),),
        glyph=_power_glyph, symbol="^", notation="power", precedence=POWER, torch="pow",
        derivative_texts=_d_power_texts,
        kink="d(x**y)/dy = 0 where x <= 0 (a non-positive base's exponent is not differentiated)",
        doc="x ** y (x.pow(y)); d/dx = y·x**(y - 1), d/dy = x**y·ln x (0 where x <= 0).",
        points=((0.7, 2.0), (1.3, -1.5), (2.0, 0.5), (-1.5, 3.0)),
    ),
    Op(
        "neg", 1, operator.neg, constant(-1.0), methods=("__neg__",),
        numpy_forward=np.negative,
        glyph="neg", symbol="-", notation="prefix", precedence=PREFIX, torch="neg",
        derivative_texts=_texts("−1"), cli=False,
    ),
    Op(
        "exp", 1, _exp, lambda out, a: (out,), methods=("exp",), numpy_forward=np.exp,
        glyph="exp", latex=r"\exp", torch="exp", derivative_texts=_texts("{out}"),
        doc="e**x; overflows to inf.",
    ),
    Op(
        "log", 1, math.log, lambda out, a: (1 / a,), methods=("log",), numpy_forward=np.log,
        domain=((lambda a: a <= 0, ValueError, "input must be > 0"),),
        glyph="log", latex=r"\log", torch="log", derivative_texts=_texts("1/{x}"),
        doc="Natural logarithm, for x > 0.", points=((0.4,), (3.0,)),
    ),
    Op(
        "sqrt", 1, math.sqrt, lambda out, a: (0.5 / out,), methods=("sqrt",),
        numpy_forward=np.sqrt,
        domain=((lambda a: a < 0, ValueError, "input must be >= 0"),),
        glyph="√", latex=r"\operatorname{sqrt}", torch="sqrt",
        derivative_texts=_texts("1/(2·{out})"),
        doc="Square root, for x >= 0 (its derivative at 0 is inf).", kink="sqrt'(0) = inf",
        points=((0.4,), (3.0,)),
    ),
    Op(
        "tanh", 1, math.tanh, lambda out, a: (1 - out * out,), methods=("tanh",),
        numpy_forward=np.tanh, glyph="tanh", latex=r"\tanh", torch="tanh", activation=True,
        derivative_texts=_texts("1 − {out}²"), doc="Hyperbolic tangent; tanh' = 1 - tanh**2.",
    ),
    Op(
        "sigmoid", 1, _sigmoid, lambda out, a: (out * (1 - out),), methods=("sigmoid",),
        numpy_forward=_np_sigmoid, glyph="σ", latex=r"\sigma", torch="sigmoid",
        activation=True, derivative_texts=_texts("{out}·(1 − {out})"),
        doc="Logistic function 1 / (1 + e**-x), without overflow for any x; s' = s(1 - s).",
    ),
    Op(
        "relu", 1, _relu, lambda out, a: (1.0 if a > 0 else 0.0,), methods=("relu",),
        numpy_forward=lambda x: np.where(x <= 0, 0.0, x),
        numpy_derivative=lambda out, a: ((a > 0).astype(float),), glyph="ReLU", torch="relu",
        activation=True, derivative_texts=_kink_texts("1", lambda n: "0"),
        doc="max(0, x), with relu'(0) = 0 (NaN stays NaN).", kink="relu'(0) = 0",
    ),
    Op(
        "leaky_relu", 1, _leaky_relu, _d_leaky_relu, methods=("leaky_relu",),
        numpy_forward=lambda x, alpha: np.where(x > 0, x, alpha * x),
        params=(Param("alpha", 0.01, _finite, "a finite number"),),
        glyph="LeakyReLU", torch="nn.functional.leaky_relu", activation=True,
        derivative_texts=_kink_texts("1", lambda f: fmt(f.params[0])),
        doc="x for x > 0, else alpha·x; leaky_relu'(0) = alpha.", kink="leaky_relu'(0) = alpha",
        points=((-2.3, 0.1), (-0.4, 0.1), (0.35, 0.1), (1.7, 0.1)),
    ),
    Op(
        "sin", 1, math.sin, lambda out, a: (fn.cos(a),), methods=("sin",), numpy_forward=np.sin,
        glyph="sin", latex=r"\sin", torch="sin", derivative_texts=_texts("cos({name_x})"),
        doc="Sine (radians); sin' = cos.",
    ),
    Op(
        "cos", 1, math.cos, lambda out, a: (-fn.sin(a),), methods=("cos",),
        numpy_forward=np.cos, glyph="cos", latex=r"\cos", torch="cos",
        derivative_texts=_texts("−sin({name_x})"), doc="Cosine (radians); cos' = -sin.",
    ),
    Op(
        "tan", 1, math.tan, lambda out, a: (1 + out * out,), methods=("tan",),
        numpy_forward=np.tan, latex=r"\tan", torch="tan", derivative_texts=_texts("1 + {out}²"),
        doc="Tangent (radians); tan' = 1 + tan**2.", points=((-1.1,), (-0.4,), (0.35,), (1.2,)),
    ),
    Op(
        "atan2", 2, math.atan2, _d_atan2, methods=("atan2",), numpy_forward=np.arctan2,
        latex=r"\operatorname{atan2}", torch="atan2",
        derivative_texts=_texts("{y}/({x}² + {y}²)", "−{x}/({x}² + {y}²)"),
        doc="atan2(y, x): the angle of the point (x, y), in [−π, π] (y.atan2(x), as "
        "torch.atan2(y, x)); d/dy = x/(x² + y²), d/dx = −y/(x² + y²).",
        kink="atan2'(0, 0) = (0, 0), as PyTorch (no limit exists there)",
        points=((0.3, -1.2), (2.0, 5.0), (-0.7, 0.4), (-1.5, -2.0)),
    ),
    Op(
        "abs", 1, abs, _d_abs, methods=("abs", "__abs__"),
        numpy_forward=np.abs, glyph="abs", notation="abs", torch="abs",
        derivative_texts=lambda f, names, out: (fmt(_d_abs(0.0, f.operands[0])[0]),),
        doc="|x|, with abs'(0) = 0.", kink="abs'(0) = 0",
    ),
    Op(
        "softplus", 1, _softplus, lambda out, a: (fn.sigmoid(a),), methods=("softplus",),
        numpy_forward=_np_softplus, glyph="softplus", torch="nn.functional.softplus",
        activation=True, derivative_texts=_texts("σ({name_x})"),
        doc="log(1 + e**x), computed without overflow for large |x|; softplus' = sigmoid.",
    ),
    Op(
        "silu", 1, lambda x: x * _sigmoid(x),
        lambda out, x: (fn.sigmoid(x) * (1 + x * (1 - fn.sigmoid(x))),), methods=("silu",),
        numpy_forward=lambda x: x * _np_sigmoid(x), glyph="SiLU",
        torch="nn.functional.silu", activation=True,
        derivative_texts=_texts("σ({name_x})·(1 + {x}·(1 − σ({name_x})))"),
        doc="x·sigmoid(x) (swish); silu' = s·(1 + x·(1 − s)) with s = sigmoid(x).",
    ),
    Op(
        "gelu", 1, lambda x: x * _normal_cdf(x),
        lambda out, x: (fn.normal_cdf(x) + x * _normal_pdf(x),), methods=("gelu",),
        numpy_forward=lambda x: x * _np_normal_cdf(x), glyph="GELU",
        torch="nn.functional.gelu", activation=True,
        derivative_texts=_texts("Φ({name_x}) + {x}·φ({name_x})"),
        doc="x·Φ(x), Φ the standard normal CDF (the exact erf form); gelu' = Φ(x) + x·φ(x).",
    ),
    Op(
        "normal_cdf", 1, _normal_cdf, lambda out, x: (_normal_pdf(x),), methods=("normal_cdf",),
        numpy_forward=_np_normal_cdf, glyph="Φ", latex=r"\Phi", torch="special.ndtr",
        derivative_texts=_texts("φ({name_x})"),
        doc="Φ(x) = (1 + erf(x/√2))/2, the standard normal CDF; Φ' = φ, the normal density.",
    ),
    Op(
        "sinh", 1, math.sinh, lambda out, a: (fn.cosh(a),), methods=("sinh",),
        numpy_forward=np.sinh, latex=r"\sinh", torch="sinh",
        derivative_texts=_texts("cosh({name_x})"), doc="Hyperbolic sine; sinh' = cosh.",
    ),
    Op(
        "cosh", 1, math.cosh, lambda out, a: (fn.sinh(a),), methods=("cosh",),
        numpy_forward=np.cosh, latex=r"\cosh", torch="cosh",
        derivative_texts=_texts("sinh({name_x})"), doc="Hyperbolic cosine; cosh' = sinh.",
    ),
    Op(
        "asin", 1, math.asin, lambda out, a: (1 / fn.sqrt(1 - a * a),),
        methods=("asin",), numpy_forward=np.arcsin,
        domain=((_outside_unit, ValueError, "input must be in [-1, 1]"),),
        latex=r"\arcsin", torch="asin", derivative_texts=_texts("1/sqrt(1 − {x}²)"),
        doc="Inverse sine, for -1 <= x <= 1; asin' = 1/sqrt(1 - x**2).",
        kink="asin'(±1) = inf (the limit)", points=((-0.9,), (-0.4,), (0.35,), (0.8,)),
    ),
    Op(
        "acos", 1, math.acos, lambda out, a: (-1 / fn.sqrt(1 - a * a),),
        methods=("acos",), numpy_forward=np.arccos,
        domain=((_outside_unit, ValueError, "input must be in [-1, 1]"),),
        latex=r"\arccos", torch="acos", derivative_texts=_texts("−1/sqrt(1 − {x}²)"),
        doc="Inverse cosine, for -1 <= x <= 1; acos' = -1/sqrt(1 - x**2).",
        kink="acos'(±1) = -inf (the limit)", points=((-0.9,), (-0.4,), (0.35,), (0.8,)),
    ),
    Op(
        "atan", 1, math.atan, lambda out, a: (1 / (1 + a * a),), methods=("atan",),
        numpy_forward=np.arctan, latex=r"\arctan", torch="atan",
        derivative_texts=_texts("1/(1 + {x}²)"), doc="Inverse tangent; atan' = 1/(1 + x**2).",
    ),
    Op(
        "asinh", 1, math.asinh, lambda out, a: (1 / fn.sqrt(a * a + 1),), methods=("asinh",),
        numpy_forward=np.arcsinh, latex=r"\operatorname{arsinh}", torch="asinh",
        derivative_texts=_texts("1/sqrt({x}² + 1)"),
        doc="Inverse hyperbolic sine; asinh' = 1/sqrt(x**2 + 1).",
    ),
    Op(
        "acosh", 1, math.acosh, lambda out, a: (1 / fn.sqrt(a * a - 1),),
        methods=("acosh",), numpy_forward=np.arccosh,
        domain=((lambda a: a < 1, ValueError, "input must be >= 1"),),
        latex=r"\operatorname{arcosh}", torch="acosh", derivative_texts=_texts("1/sqrt({x}² − 1)"),
        doc="Inverse hyperbolic cosine, for x >= 1; acosh' = 1/sqrt(x**2 - 1).",
        kink="acosh'(1) = inf (the limit)", points=((1.2,), (2.5,), (7.0,)),
    ),
    Op(
        "atanh", 1, math.atanh, lambda out, a: (1 / (1 - a * a),), methods=("atanh",),
        numpy_forward=np.arctanh,
        domain=((lambda a: abs(a) >= 1, ValueError, "input must be in (-1, 1)"),),
        latex=r"\operatorname{artanh}", torch="atanh", derivative_texts=_texts("1/(1 − {x}²)"),
        doc="Inverse hyperbolic tangent, for -1 < x < 1; atanh' = 1/(1 - x**2).",
        kink="atanh(±1) is refused, as math.atanh refuses it; as a limit (inside derivative "
        "rules) atanh(±1) = ±inf and atanh'(±1) = inf",
        points=((-0.9,), (-0.4,), (0.35,), (0.8,)),
    ),
    Op(
        "log2", 1, math.log2, lambda out, a: (1 / (a * _LN2),), methods=("log2",),
        numpy_forward=np.log2, domain=((lambda a: a <= 0, ValueError, "input must be > 0"),),
        latex=r"\log_2", torch="log2", derivative_texts=_texts("1/({x}·ln 2)"),
        doc="Logarithm to base 2, for x > 0; log2' = 1/(x·ln 2).", points=((0.4,), (3.0,)),
    ),
    Op(
        "log10", 1, math.log10, lambda out, a: (1 / (a * _LN10),), methods=("log10",),
        numpy_forward=np.log10, domain=((lambda a: a <= 0, ValueError, "input must be > 0"),),
        latex=r"\log_{10}", torch="log10", derivative_texts=_texts("1/({x}·ln 10)"),
        doc="Logarithm to base 10, for x > 0; log10' = 1/(x·ln 10).", points=((0.4,), (3.0,)),
    ),
    Op(
        "log1p", 1, math.log1p, lambda out, a: (1 / (1 + a),), methods=("log1p",),
        numpy_forward=np.log1p, domain=((lambda a: a <= -1, ValueError, "input must be > -1"),),
        torch="log1p", derivative_texts=_texts("1/(1 + {name_x})"),
        doc="log(1 + x) for x > -1, to full precision for tiny x; log1p' = 1/(1 + x).",
        kink="log1p(-1) is refused, as math.log1p refuses it (and log(0)); as a limit (inside "
        "derivative rules) log1p(-1) = -inf and log1p'(-1) = inf",
        points=((-0.7,), (0.35,), (3.0,)),
    ),
    Op(
        "expm1", 1, math.expm1, lambda out, a: (fn.exp(a),), methods=("expm1",),
        numpy_forward=np.expm1, torch="expm1", derivative_texts=_texts("exp({name_x})"),
        doc="e**x - 1, to full precision for tiny x; overflows to inf; expm1' = e**x.",
    ),
    Op(
        "exp2", 1, _exp2, lambda out, a: (out * _LN2,), methods=("exp2",),
        numpy_forward=_np_exp2, torch="exp2", derivative_texts=_texts("{out}·ln 2"),
        doc="2**x; overflows to inf; exp2' = 2**x·ln 2.",
    ),
    Op(
        "erf", 1, math.erf, _d_erf, methods=("erf",), numpy_forward=_erf_array,
        latex=r"\operatorname{erf}", torch="erf",
        derivative_texts=_texts("(2/sqrt(π))·exp(−{x}²)"),
        doc="The error function; erf' = (2/sqrt(π))·e**(-x**2).",
    ),
    Op(
        "erfc", 1, math.erfc, _d_erfc, methods=("erfc",), numpy_forward=_erfc_array,
        latex=r"\operatorname{erfc}", torch="erfc",
        derivative_texts=_texts("−(2/sqrt(π))·exp(−{x}²)"),
        doc="1 - erf(x), to full precision for large x; erfc' = -(2/sqrt(π))·e**(-x**2).",
    ),
    Op(
        "degrees", 1, math.degrees, constant(180 / math.pi), methods=("degrees",),
        numpy_forward=np.degrees, torch="rad2deg", derivative_texts=_texts("180/π"),
        doc="Radians to degrees: x·180/π.",
    ),
    Op(
        "radians", 1, math.radians, constant(math.pi / 180), methods=("radians",),
        numpy_forward=np.radians, torch="deg2rad", derivative_texts=_texts("π/180"),
        doc="Degrees to radians: x·π/180.",
    ),
    Op(
        "hypot", 2, math.hypot, _d_hypot, methods=("hypot",), numpy_forward=np.hypot,
        torch="hypot", derivative_texts=_texts("{x}/{out}", "{y}/{out}"),
        doc="sqrt(x**2 + y**2) without overflow; d/dx = x/hypot, d/dy = y/hypot.",
        kink="hypot'(0, 0) = (0, 0), as abs'(0) = 0 (no limit exists; torch.hypot gives nan)",
        points=((0.3, -1.2), (2.0, 5.0), (-3.0, 4.0)),
    ),
    Op(
        "%", 2, operator.mod, lambda out, x, y: (ONE, -(x // y)),
        methods=("__mod__", "remainder"), reflected="__rmod__", numpy_forward=np.remainder,
        domain=((lambda x, y: y == 0, ZeroDivisionError, "modulo by zero, {0} % {1}{label1}"),),
        glyph="%", symbol=" % ", notation="infix", precedence=PRODUCT, torch="remainder",
        derivative_texts=_texts("1", "−floor({x}/{y})"),
        doc="Python's x % y (the sign of y, as torch.remainder); d/dx = 1, d/dy = -floor(x/y).",
        kink="d(x % y)/dx = 1 and d(x % y)/dy = -floor(x/y), also at the jumps (as "
        "torch.remainder)",
        points=_MOD_POINTS,
    ),
    Op(
        "fmod", 2, math.fmod, lambda out, x, y: (ONE, -fn.trunc(x / y)), methods=("fmod",),
        numpy_forward=np.fmod,
        domain=((lambda x, y: y == 0, ValueError, "the divisor is 0, fmod({0}, {1}){label1}"),),
        latex=r"\operatorname{fmod}", torch="fmod",
        derivative_texts=_texts("1", "−trunc({x}/{y})"),
        doc="C's fmod (the sign of x, as math.fmod and torch.fmod); d/dx = 1, "
        "d/dy = -trunc(x/y).",
        kink="d fmod(x, y)/dx = 1 and d fmod(x, y)/dy = -trunc(x/y), also at the jumps (as "
        "torch.fmod)",
        points=_MOD_POINTS,
    ),
    Op(
        "//", 2, operator.floordiv, constant(0.0, 0.0),
        methods=("__floordiv__", "floor_divide"), reflected="__rfloordiv__",
        numpy_forward=np.floor_divide,
        domain=((lambda x, y: y == 0, ZeroDivisionError, "division by zero, {0} // {1}{label1}"),),
        glyph="//", symbol=" // ", notation="infix", precedence=PRODUCT, torch="div",
        torch_kwargs={"rounding_mode": "floor"}, derivative_texts=_texts("0", "0"),
        doc="Python's floor division x // y; its derivatives are 0 (a step function).",
        kink="d(x // y) = 0 for both operands, also at the jumps (as torch.div with "
        "rounding_mode='floor')",
        points=_MOD_POINTS,
    ),
    Op(
        "sign", 1, _sign, constant(0.0), methods=("sign",), numpy_forward=np.sign,
        latex=r"\operatorname{sign}", torch="sign", derivative_texts=_texts("0"),
        doc="1 for x > 0, -1 for x < 0, 0 at 0 (NaN stays NaN); sign' = 0.",
        kink="sign' = 0 everywhere, also at 0 (as torch.sign)",
    ),
    Op(
        "floor", 1, _integral(math.floor), constant(0.0), methods=("floor", "__floor__"),
        numpy_forward=np.floor, torch="floor", derivative_texts=_texts("0"),
        doc="The largest integer <= x, as a float (math.floor(v) too); floor' = 0.",
        kink="floor' = 0 everywhere, also at the integers (as torch.floor)",
    ),
    Op(
        "ceil", 1, _integral(math.ceil), constant(0.0), methods=("ceil", "__ceil__"),
        numpy_forward=np.ceil, torch="ceil", derivative_texts=_texts("0"),
        doc="The smallest integer >= x, as a float (math.ceil(v) too); ceil' = 0.",
        kink="ceil' = 0 everywhere, also at the integers (as torch.ceil)",
    ),
    Op(
        "trunc", 1, _integral(math.trunc), constant(0.0), methods=("trunc", "__trunc__"),
        numpy_forward=np.trunc, torch="trunc", derivative_texts=_texts("0"),
        doc="x rounded toward 0, as a float (math.trunc(v) too); trunc' = 0.",
        kink="trunc' = 0 everywhere, also at the integers (as torch.trunc)",
    ),
    Op(
        "round", 1, _integral(round), constant(0.0), methods=("round", "__round__"),
        numpy_forward=np.round, torch="round", derivative_texts=_texts("0"),
        doc="x rounded to the nearest integer, halves to even, as a float (round(v) too); "
        "round' = 0.",
        kink="round' = 0 everywhere, also at the halves (as torch.round)",
    ),
    Op(
        "maximum", 2, _maximum, _choice(larger=True), methods=("maximum",),
        numpy_forward=np.maximum, glyph="max", latex=r"\max", torch="maximum",
        derivative_texts=_choice_texts(larger=True),
        doc="The larger of x and y (NaN if either is NaN); a tie splits the gradient ½/½, as "
        "torch.maximum (Python's max(x, y) compares and returns one operand whole).",
        kink="maximum'(x, x) = (1/2, 1/2): a tie splits the gradient (as torch.maximum)",
        points=_BINARY_POINTS,
    ),
    Op(
        "minimum", 2, _minimum, _choice(larger=False), methods=("minimum",),
        numpy_forward=np.minimum, glyph="min", latex=r"\min", torch="minimum",
        derivative_texts=_choice_texts(larger=False),
        doc="The smaller of x and y (NaN if either is NaN); a tie splits the gradient ½/½, as "
        "torch.minimum (Python's min(x, y) compares and returns one operand whole).",
        kink="minimum'(x, x) = (1/2, 1/2): a tie splits the gradient (as torch.minimum)",
        points=_BINARY_POINTS,
    ),
    Op(
        "clamp", 1, _clamp, _d_clamp, methods=("clamp",),
        numpy_forward=lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
        params=(Param("lo", -math.inf), Param("hi", math.inf)),
        latex=r"\operatorname{clamp}", torch="clamp", derivative_texts=_clamp_texts,
        doc="min(max(x, lo), hi), as torch.clamp (hi where lo > hi); clamp' = 1 for "
        "lo <= x <= hi, else 0.",
        kink="clamp'(x) = 1 for lo <= x <= hi, the ends included, else 0 (as torch.clamp)",
        points=tuple((x, -1.0, 1.0) for x in (-2.3, -0.4, 0.35, 1.7)),
    ),
    Op(
        "sum", NARY, _sum, lambda out, *xs: (ONE,) * len(xs),
        numpy_forward=_np_sum, numpy_derivative=lambda out, xs: ONE,
        glyph="Σ", symbol="+", notation="sum", precedence=SUM,
        derivative_texts=lambda n, names, out: ("1",) * len(names), cli=False,
        points=((0.3, -1.2, 2.0), (1.0,)),
    ),
    Op(
        "dot", NARY, _dot, _d_dot, numpy_forward=_np_dot, numpy_derivative=_np_d_dot,
        glyph="·", symbol="·", notation="dot", precedence=SUM,
        derivative_texts=_dot_texts, cli=False,
        points=((0.3, -1.2, 2.0, 0.5), (0.3, -1.2, 2.0, 0.5, 1.5)),
    ),
    Op(
        "identity", 1, lambda x: x, lambda out, x: (ONE,), numpy_forward=lambda x: x,
        glyph="id", cli=False, hidden=True,
        doc="A transform's own variable standing for an outer Value (never drawn).",
    ),
]  # fmt: skip


def _completed(op: Op) -> Op:
    """A built-in's rule serves floats, Values and arrays: fill in the twins it leaves out."""
    return replace(
        op,
        value_derivative=op.value_derivative or op.derivative,
        numpy_derivative=op.numpy_derivative or op.derivative,
    )


OPS: dict[str, Op] = {op.name: _completed(op) for op in _BUILTINS}
BUILTIN_NAMES = frozenset(OPS)
_NUMPY_TWINS: dict[Rule, Rule] = {  # a built-in's forward -> its numpy form, for ieee
    op.forward: op.numpy_forward
    for op in _BUILTINS
    if op.numpy_forward is not None and op.arity != NARY
}
REGISTRY = threading.RLock()  # define_op and undefine_op change OPS under it


def ops_snapshot() -> tuple[Op, ...]:
    """The ops of the table now, as a tuple (safe to iterate while another thread defines)."""
    with REGISTRY:
        return tuple(OPS.values())


def install_fn(op: Op) -> None:
    """fn.<method> for each named method of op (the dunder operators have none)."""
    for name in op.methods:
        if not name.startswith("__"):
            setattr(fn, name, _dispatcher(op, name))


def uninstall_fn(op: Op) -> None:
    for name in op.methods:
        if not name.startswith("__") and hasattr(fn, name):
            delattr(fn, name)


for _op in OPS.values():
    install_fn(_op)
