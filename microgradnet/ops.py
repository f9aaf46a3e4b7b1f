"""The op table: every operation of the engine declared once, as an ``Op`` record.

An op's local-derivative rule is written once, with the functions of ``fn`` (exp, log, where,
...), which dispatch on their argument: floats (first derivatives, fast), Values (gradients
that are graphs, for derivatives of any order) and numpy arrays (the batched replay). The same
record says how the op prints as an expression (``text_form``), as a drawn node (``glyph``), the
text of its local derivative in the lecture notes' notation (``derivative_text``), its domain and
error message, and whether formula strings may call it. Everything else reads this table:
``Value``'s operators and methods (``engine``), ``gradients(create_graph=True)``, the replay
(``Tape``), the formula grammar (``expr``), ``explain``, the step texts and the drawings.

Readers of the graph call the four functions below with any interior node (``node.op`` is a key
of ``OPS``; leaves have ``op == ""`` and are not ops):

- ``glyph(node)``: the op as drawn in a graph node: ``"+"``, ``"×"``, ``"tanh"``, ``"²"`` for a
  power with the constant exponent 2, ``"^"`` for other powers, ``"Σ"``, ``"·"`` for dot.
- ``text_form(node, operand_texts)``: the node as an expression, parenthesized by precedence:
  ``"-(-z)"``, ``"x·w + b"``, ``"tanh(h)"``, ``"x²"``, ``"leaky_relu(z, 0.1)"``.
- ``derivative_text(node, i, operand_names, out_name)``: ∂node/∂(operand i) as the notes write
  it: ``"o₁"`` for ∂(o₁·w₂)/∂w₂, ``"o·(1 − o)"`` for a sigmoid o, ``"1 − t²"`` for a tanh t,
  ``"3·x²"`` for x**3; None where the op has no text.
- ``constant_operands(node)``: indices of the operands drawn as part of the op (the constant
  exponent of x**2), so drawings need no separate node for them.

Parameters of an op are not operands: leaky_relu's alpha is stored on the node, not as a child
(``node.children == (x,)``); read it with ``parameters(node)`` (``(0.1,)``).

Conventions at kinks (the value chosen where the derivative does not exist): relu'(0) = 0,
leaky_relu'(0) = alpha, abs'(0) = 0; sqrt'(0) = inf.

Users add ops with ``define_op`` (see its docstring). References: PyTorch's derivatives.yaml and
torch.autograd.Function, JAX's defjvp and custom_jvp, HIPS autograd's defvjp.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .engine import Value

Rule = Callable[..., Any]
Check = tuple[Callable[..., Any], type[Exception], str]

_ENGINE: list[Any] = []  # the engine module, bound by engine.py when imported (ops is below it)


def _engine() -> Any:
    return _ENGINE[0]


NARY = -1  # the arity of ops that take any number of operands (sum, dot)
ATOM, POWER, PREFIX, PRODUCT, SUM = 9, 4, 3, 2, 1  # precedences of text forms


# -- fn: math that dispatches on floats, Values and numpy arrays --------------------------------


def _is_array(x: Any) -> bool:
    return isinstance(x, np.ndarray)


def _is_number(x: Any) -> bool:
    return isinstance(x, (float, int))


class fn:
    """exp, log, ... for a float, a Value or a numpy array: one rule serves all three.

    ``fn.data(x)`` is the number(s) behind x (for conditions at kinks); ``fn.where(c, a, b)``
    picks a where c holds; with Values it picks by the data, keeping the graph of the pick.
    """

    @staticmethod
    def data(x: Any) -> Any:
        return x if _is_number(x) or _is_array(x) else x.data

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        if _is_array(cond):
            return np.where(cond, a, b)
        return a if cond else b

    @staticmethod
    def exp(x: Any) -> Any:
        if _is_number(x):
            return _exp(float(x))
        return np.exp(x) if _is_array(x) else x.exp()

    @staticmethod
    def log(x: Any) -> Any:
        if _is_number(x):
            return math.log(x)
        return np.log(x) if _is_array(x) else x.log()

    @staticmethod
    def sqrt(x: Any) -> Any:
        if _is_number(x):
            return math.sqrt(x)
        return np.sqrt(x) if _is_array(x) else x.sqrt()

    @staticmethod
    def tanh(x: Any) -> Any:
        if _is_number(x):
            return math.tanh(x)
        return np.tanh(x) if _is_array(x) else x.tanh()

    @staticmethod
    def sigmoid(x: Any) -> Any:
        if _is_number(x):
            return _sigmoid(float(x))
        if _is_array(x):
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return x.sigmoid()

    @staticmethod
    def sin(x: Any) -> Any:
        if _is_number(x):
            return math.sin(x)
        return np.sin(x) if _is_array(x) else x.sin()

    @staticmethod
    def cos(x: Any) -> Any:
        if _is_number(x):
            return math.cos(x)
        return np.cos(x) if _is_array(x) else x.cos()

    @staticmethod
    def erf(x: Any) -> Any:
        """The error function; on arrays math.erf elementwise (exact, no new dependency)."""
        if _is_number(x):
            return math.erf(x)
        if _is_array(x):
            return _erf_array(x)
        raise TypeError("fn.erf: no Value form (erf is not an op of the engine)")

    @staticmethod
    def pow(x: Any, y: Any) -> Any:
        if _is_number(x) and _is_number(y):
            return _pow(float(x), float(y))
        return np.power(x, y) if _is_array(x) or _is_array(y) else x**y

    @staticmethod
    def ones_like(x: Any) -> Any:
        return np.ones_like(x) if _is_array(x) else 1.0


_erf_array = np.vectorize(math.erf, otypes=[float])


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except OverflowError:
        return -math.inf if x < 0 and y % 2 == 1 else math.inf


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# -- the record -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Op:
    """One operation: how to compute it, differentiate it, check it and write it.

    forward(*operands, *params) -> out, for floats (and numpy arrays when ``numpy`` is set).
    derivative(out, *operands, *params) -> (d out / d operand_0, ...), for floats; for an n-ary
    op one derivative per operand. ``value_derivative`` is the same rule for Values (None: no
    higher derivatives), ``numpy_forward``/``numpy_derivative`` for arrays (None: no replay; the
    n-ary ops take their operands stacked as one (group × arity × batch) array).
    domain: (bad(*operands) -> bool or mask, exception class, message) for each forward error.
    notation: "call" (name(x)), "infix" (a symbol b), "prefix", "power", "abs", "sum", "dot";
    precedence orders infix forms (SUM < PRODUCT < PREFIX < POWER < ATOM).
    derivative_texts(node, names, out_name) -> one text (or None) per operand; text(operand
    texts) -> str overrides the notation (custom ops); cli: formulas may call it; kink: the
    convention where the derivative does not exist (relu'(0) = 0).
    """

    name: str
    arity: int
    forward: Rule
    derivative: Rule
    value_derivative: Rule | None = None
    numpy_forward: Rule | None = None
    numpy_derivative: Rule | None = None
    params: tuple[str, ...] = ()
    defaults: tuple[float, ...] = ()
    domain: tuple[Check, ...] = ()
    glyph: str | Callable[[Any], str] = ""
    symbol: str = ""
    notation: str = "call"
    precedence: int = ATOM
    derivative_texts: Callable[[Any, Sequence[str], str], tuple[str | None, ...]] | None = None
    text: Callable[[Sequence[str]], str] | None = None
    cli: bool = True
    builtin: bool = True
    doc: str = ""
    kink: str = ""


def _shared(
    name: str,
    arity: int,
    forward: Rule,
    derivative: Rule,
    **more: Any,
) -> Op:
    """A built-in op whose forward and rule are written with fn: one rule for all three types."""
    return Op(
        name,
        arity,
        forward,
        derivative,
        value_derivative=derivative,
        numpy_forward=more.pop("numpy_forward", forward),
        numpy_derivative=more.pop("numpy_derivative", derivative),
        **more,
    )


# -- text helpers -----------------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_ATOMIC = re.compile(r"^[\w.′'₀-₉⁰-⁹]+$|^\w*\(.*\)$|^\|.*\|$")


def _fmt(x: float) -> str:
    """A parameter or constant as short text: 0.1, 2, -3.5."""
    return f"{x:g}" if math.isfinite(x) else str(x)


def _wrap(name: str) -> str:
    """name, parenthesized unless it is one symbol, a number or a call."""
    return name if _ATOMIC.match(name) and not name.startswith("-") else f"({name})"


def _constant_exponent(node: Any) -> float | None:

    y = node.children[1]
    return float(y.data) if type(y) is _engine().Constant else None


def _superscript(y: float) -> str | None:
    """y as superscript digits if it is a small integer, else None."""
    return str(int(y)).translate(_SUPERSCRIPTS) if y == int(y) and abs(y) < 100 else None


def _power_glyph(node: Any) -> str:
    y = _constant_exponent(node)
    return "²" if y == 2 else "^"


def _d_power_texts(node: Any, names: Sequence[str], out: str) -> tuple[str | None, ...]:
    x = _wrap(names[0])
    y = _constant_exponent(node)
    if y is not None:
        if y == 0:
            return "0", None
        if y == 1:
            return "1", None
        if y == 2:
            return f"2·{names[0]}" if x == names[0] else f"2·{x}", None
        sup = _superscript(y - 1)
        power = f"{x}{sup}" if sup else f"{x}^{_fmt(y - 1)}"
        return f"{_fmt(y)}·{power}", None
    yn = _wrap(names[1])
    return f"{yn}·{x}^({names[1]} − 1)", f"{_wrap(out)}·ln {x}"


def _kink_text(node: Any, positive: str, other: str) -> tuple[str | None, ...]:
    x = node.children[0].data
    return (positive if x > 0 else other,)


def _dot_texts(node: Any, names: Sequence[str], out: str) -> tuple[str | None, ...]:
    n = len(names) // 2
    return (*names[n : 2 * n], *names[:n], *(["1"] if len(names) % 2 else []))


# -- the built-in rules -------------------------------------------------------------------------


def _d_pow(out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """d x**y / dx = y·x**(y-1); d x**y / dy = x**y·ln x, and 0 where x <= 0.

    At x = 0 (where y >= 0, as the engine checks): d/dx is 0 for y = 0 and inf for 0 < y < 1.
    """
    xd, yd = fn.data(x), fn.data(y)
    if _is_array(xd) or _is_array(yd):
        dx = np.where(yd == 0, 0.0, np.where((xd == 0) & (yd < 1), np.inf, y * np.power(x, y - 1)))
        dy = np.where(xd > 0, out * np.log(np.where(xd > 0, x, 1.0)), 0.0)
        return dx, dy
    if xd == 0 and yd < 1:
        dxs: Any = 0.0 if yd == 0 else math.inf
    else:
        dxs = y * fn.pow(x, y - 1)
    dys = out * fn.log(x) if xd > 0 else 0.0
    return dxs, dys


def _relu(x: Any) -> Any:
    if _is_array(x):
        return np.where(x <= 0, 0.0, x)
    return 0.0 if x <= 0 else float(x)


def _leaky_relu(x: Any, alpha: Any) -> Any:
    if _is_array(x):
        return np.where(x > 0, x, alpha * x)
    return float(x) if x > 0 else alpha * x


def _abs(x: Any) -> Any:
    return np.abs(x) if _is_array(x) else abs(float(x))


def _sign(x: Any) -> Any:
    """abs'(x): 1, -1, and 0 at 0 (the subgradient PyTorch and JAX choose)."""
    d = fn.data(x)
    if _is_array(d):
        return np.sign(d)
    return 1.0 if d > 0 else -1.0 if d < 0 else 0.0


def _softplus(x: Any) -> Any:
    """log(1 + e**x) = max(x, 0) + log(1 + e**-|x|): no overflow for large |x|."""
    if _is_array(x):
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    x = float(x)
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _silu(x: Any) -> Any:
    return x * fn.sigmoid(x)


def _d_silu(out: Any, x: Any) -> tuple[Any]:
    s = fn.sigmoid(x)
    return (s * (1 + x * (1 - s)),)


_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _gelu(x: Any) -> Any:
    """x·Φ(x) with Φ(x) = (1 + erf(x/√2))/2, the exact (erf) form."""
    return 0.5 * x * (1.0 + fn.erf(x / _SQRT2))


def _d_gelu(out: Any, x: Any) -> tuple[Any]:
    """Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π); for Values Φ is a normal_cdf node."""
    if _is_number(x) or _is_array(x):
        return (_normal_cdf(x) + x * fn.exp(-0.5 * x * x) * _INV_SQRT_2PI,)
    return (apply("normal_cdf", x) + x * (-0.5 * x * x).exp() * _INV_SQRT_2PI,)


def _normal_cdf(x: Any) -> Any:
    return 0.5 * (1.0 + fn.erf(x / _SQRT2))


def _d_normal_cdf(out: Any, x: Any) -> tuple[Any]:
    return (fn.exp(-0.5 * x * x) * _INV_SQRT_2PI,)


def _sum(*xs: Any) -> Any:
    return sum(xs)


def _np_sum(xs: Any) -> Any:
    return xs.sum(axis=1)


def _np_d_sum(out: Any, xs: Any) -> Any:
    return ONE


def _dot(*xs: Any) -> Any:
    n = len(xs) // 2
    z = sum(w * x for w, x in zip(xs[:n], xs[n : 2 * n]))
    return z + xs[2 * n] if len(xs) % 2 else z


def _d_dot(out: Any, *xs: Any) -> tuple[Any, ...]:
    """z = Σ w_i·x_i (+ b): dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1."""
    n = len(xs) // 2
    return (*xs[n : 2 * n], *xs[:n], 1.0) if len(xs) % 2 else (*xs[n : 2 * n], *xs[:n])


def _np_dot(xs: Any) -> Any:
    """Σ w_i·x_i (+ b) for operands stacked as (group, w_1..w_n x_1..x_n [b], batch)."""
    n = xs.shape[1] // 2
    z = np.einsum("gnb,gnb->gb", xs[:, :n], xs[:, n : 2 * n])
    return z + xs[:, 2 * n] if xs.shape[1] % 2 else z


def _np_d_dot(out: Any, xs: Any) -> Any:
    n = xs.shape[1] // 2
    parts = [xs[:, n : 2 * n], xs[:, :n]] + ([np.ones_like(xs[:, :1])] if xs.shape[1] % 2 else [])
    return np.concatenate(parts, axis=1)


ONE = 1.0  # a local derivative that is exactly 1: the gradient passes through unchanged


def _sqrt_derivative(out: Any, x: Any) -> tuple[Any]:
    d = fn.data(out)
    if _is_array(d):
        return (np.where(d != 0, 0.5 / np.where(d != 0, out, 1.0), np.inf),)
    return (0.5 / out if d else math.inf,)


def _relu_derivative(out: Any, x: Any) -> tuple[Any]:
    d = fn.data(x)
    return ((d > 0).astype(float) if _is_array(d) else (1.0 if d > 0 else 0.0),)


def _leaky_relu_derivative(out: Any, x: Any, alpha: Any) -> tuple[Any]:
    d = fn.data(x)
    return (np.where(d > 0, 1.0, alpha) if _is_array(d) else (1.0 if d > 0 else alpha),)


def _softplus_derivative(out: Any, x: Any) -> tuple[Any]:
    return (fn.sigmoid(x),)


_BUILTINS: list[Op] = [
    _shared(
        "+", 2, lambda a, b: a + b, lambda out, a, b: (ONE, ONE),
        glyph="+", symbol="+", notation="infix", precedence=SUM,
        derivative_texts=lambda n, names, out: ("1", "1"),
    ),
    _shared(
        "-", 2, lambda a, b: a - b, lambda out, a, b: (ONE, -1.0),
        glyph="−", symbol="-", notation="infix", precedence=SUM,
        derivative_texts=lambda n, names, out: ("1", "−1"),
    ),
    _shared(
        "*", 2, lambda a, b: a * b, lambda out, a, b: (b, a),
        glyph="×", symbol="·", notation="infix", precedence=PRODUCT,
        derivative_texts=lambda n, names, out: (names[1], names[0]),
    ),
    _shared(
        "/", 2, lambda a, b: a / b, lambda out, a, b: (1 / b, -out / b),
        domain=((lambda a, b: b == 0, ZeroDivisionError, "division by zero"),),
        glyph="÷", symbol="/", notation="infix", precedence=PRODUCT,
        derivative_texts=lambda n, names, out: (
            f"1/{_wrap(names[1])}", f"−{_wrap(names[0])}/{_wrap(names[1])}²"
        ),
    ),
    _shared(
        "**", 2, fn.pow, _d_pow,
        domain=(
            (lambda x, y: (x == 0) & (y < 0), ZeroDivisionError, "0 raised to a negative power"),
            (
                lambda x, y: (x < 0) & (y != np.round(y)),
                ValueError,
                "negative base, non-integer power",
            ),
        ),
        glyph=_power_glyph, symbol="^", notation="power", precedence=POWER,
        derivative_texts=_d_power_texts,
    ),
    _shared(
        "neg", 1, lambda a: -a, lambda out, a: (-1.0,),
        glyph="neg", symbol="-", notation="prefix", precedence=PREFIX,
        derivative_texts=lambda n, names, out: ("−1",), cli=False,
    ),
    _shared(
        "exp", 1, fn.exp, lambda out, a: (out,),
        glyph="exp", derivative_texts=lambda n, names, out: (out,),
        doc="e**x; overflows to inf.",
    ),
    _shared(
        "log", 1, fn.log, lambda out, a: (1 / a,),
        domain=((lambda a: a <= 0, ValueError, "input must be > 0"),),
        glyph="log", derivative_texts=lambda n, names, out: (f"1/{_wrap(names[0])}",),
        doc="Natural logarithm, for x > 0.",
    ),
    _shared(
        "sqrt", 1, fn.sqrt, _sqrt_derivative,
        domain=((lambda a: a < 0, ValueError, "input must be >= 0"),),
        glyph="√", derivative_texts=lambda n, names, out: (f"1/(2·{_wrap(out)})",),
        doc="Square root, for x >= 0 (its derivative at 0 is inf).", kink="sqrt'(0) = inf",
    ),
    _shared(
        "tanh", 1, fn.tanh, lambda out, a: (1 - out * out,),
        glyph="tanh", derivative_texts=lambda n, names, out: (f"1 − {_wrap(out)}²",),
        doc="Hyperbolic tangent; tanh' = 1 - tanh**2.",
    ),
    _shared(
        "sigmoid", 1, fn.sigmoid, lambda out, a: (out * (1 - out),),
        glyph="σ", derivative_texts=lambda n, names, out: (f"{_wrap(out)}·(1 − {_wrap(out)})",),
        doc="Logistic function 1 / (1 + e**-x), without overflow for any x; s' = s(1 - s).",
    ),
    _shared(
        "relu", 1, _relu, _relu_derivative,
        glyph="ReLU", derivative_texts=lambda n, names, out: _kink_text(n, "1", "0"),
        doc="max(0, x), with relu'(0) = 0 (NaN stays NaN).", kink="relu'(0) = 0",
    ),
    _shared(
        "leaky_relu", 1, _leaky_relu, _leaky_relu_derivative, params=("alpha",),
        defaults=(0.01,),
        glyph="LeakyReLU",
        derivative_texts=lambda n, names, out: _kink_text(n, "1", _fmt(n._db)),
        doc="x for x > 0, else alpha·x; leaky_relu'(0) = alpha.", kink="leaky_relu'(0) = alpha",
    ),
    _shared(
        "sin", 1, fn.sin, lambda out, a: (fn.cos(a),),
        glyph="sin", derivative_texts=lambda n, names, out: (f"cos({names[0]})",),
        doc="Sine (radians); sin' = cos.",
    ),
    _shared(
        "cos", 1, fn.cos, lambda out, a: (-fn.sin(a),),
        glyph="cos", derivative_texts=lambda n, names, out: (f"−sin({names[0]})",),
        doc="Cosine (radians); cos' = -sin.",
    ),
    _shared(
        "abs", 1, _abs, lambda out, a: (_sign(a),),
        glyph="abs", notation="abs",
        derivative_texts=lambda n, names, out: (
            ("1" if n.children[0].data > 0 else "−1" if n.children[0].data < 0 else "0"),
        ),
        doc="|x|, with abs'(0) = 0.", kink="abs'(0) = 0",
    ),
    _shared(
        "softplus", 1, _softplus, _softplus_derivative,
        glyph="softplus", derivative_texts=lambda n, names, out: (f"σ({names[0]})",),
        doc="log(1 + e**x), computed without overflow for large |x|; softplus' = sigmoid.",
    ),
    _shared(
        "silu", 1, _silu, _d_silu,
        glyph="SiLU",
        derivative_texts=lambda n, names, out: (
            f"σ({names[0]})·(1 + {_wrap(names[0])}·(1 − σ({names[0]})))",
        ),
        doc="x·sigmoid(x) (swish); silu' = s·(1 + x·(1 − s)) with s = sigmoid(x).",
    ),
    _shared(
        "gelu", 1, _gelu, _d_gelu,
        glyph="GELU",
        derivative_texts=lambda n, names, out: (
            f"Φ({names[0]}) + {_wrap(names[0])}·φ({names[0]})",
        ),
        doc="x·Φ(x), Φ the standard normal CDF (the exact erf form); gelu' = Φ(x) + x·φ(x).",
    ),
    _shared(
        "normal_cdf", 1, _normal_cdf, _d_normal_cdf,
        glyph="Φ", derivative_texts=lambda n, names, out: (f"φ({names[0]})",),
        doc="Φ(x) = (1 + erf(x/√2))/2, the standard normal CDF; Φ' = φ, the normal density.",
    ),
    _shared(
        "sum", NARY, _sum, lambda out, *xs: (ONE,) * len(xs),
        numpy_forward=_np_sum, numpy_derivative=_np_d_sum,
        glyph="Σ", symbol="+", notation="sum", precedence=SUM,
        derivative_texts=lambda n, names, out: ("1",) * len(names), cli=False,
    ),
    _shared(
        "dot", NARY, _dot, _d_dot,
        numpy_forward=_np_dot, numpy_derivative=_np_d_dot,
        glyph="·", symbol="·", notation="dot", precedence=SUM,
        derivative_texts=_dot_texts, cli=False,
    ),
]  # fmt: skip

OPS: dict[str, Op] = {op.name: op for op in _BUILTINS}
BUILTIN_NAMES = frozenset(OPS)


# -- readers of the graph -----------------------------------------------------------------------


def op_of(node: Any) -> Op:
    """The Op record of an interior node; a clear error for a leaf or an unknown op."""
    op = OPS.get(node.op)
    if op is None:
        if not node.op:
            raise ValueError("a leaf has no op")
        raise ValueError(
            f"op {node.op!r} is not defined (was it a custom op that has not been defined with "
            "define_op in this session?)"
        )
    return op


def parameters(node: Any) -> tuple[float, ...]:
    """The op's parameters on node, in Op.params order: (alpha,) for leaky_relu, else ()."""
    return (node._db,) if node.op == "leaky_relu" else ()


def glyph(node: Any) -> str:
    """The op as drawn inside a graph node: "+", "×", "tanh", "²", "^", "Σ", "·", ..."""
    op = OPS.get(node.op)
    if op is None:  # a custom op undefined since the node was made: its name
        return str(node.op)
    g = op.glyph
    return g(node) if callable(g) else g or node.op


def precedence(node: Any) -> int:
    """How tightly node's text form binds (ATOM for leaves and calls)."""
    op = OPS.get(node.op)
    if op is None:
        return PREFIX if not node.op and node.data < 0 else ATOM
    if op.notation == "power" and _constant_exponent(node) is not None:
        return POWER
    return op.precedence


def text_form(node: Any, operand_texts: Sequence[str]) -> str:
    """node as an expression of its operands' texts, parenthesized where precedence needs it.

    An operand's precedence is read from the operand node (a labelled node or a leaf is one
    symbol): ``x·w + b``, ``-(-z)``, ``(a + b)²``, ``tanh(h)``, ``leaky_relu(z, 0.1)``.
    """
    texts = list(operand_texts)
    op = OPS.get(node.op)
    if op is None:  # a custom op undefined since the node was made
        return f"{node.op}({', '.join(texts)})"
    kids = node.children

    def part(i: int, outer: int, strict: bool = False) -> str:
        t = texts[i]
        inner = ATOM if kids[i].label else precedence(kids[i])
        if t.startswith("-") and not kids[i].label:
            inner = min(inner, PREFIX)
        return f"({t})" if inner < outer or (strict and inner == outer) else t

    if op.text is not None:
        return op.text(texts)
    if op.notation == "infix":
        p = op.precedence
        sep = f" {op.symbol} " if p == SUM else op.symbol
        return f"{part(0, p)}{sep}{part(1, p, strict=True)}"
    if op.notation == "prefix":
        return f"{op.symbol}{part(0, PREFIX, strict=True)}"
    if op.notation == "power":
        y = _constant_exponent(node)
        sup = _superscript(y) if y is not None and y >= 0 else None
        if sup is not None:
            return f"{part(0, POWER, strict=True)}{sup}"
        return f"{part(0, POWER, strict=True)}^{part(1, POWER)}"
    if op.notation == "abs":
        return f"|{texts[0]}|"
    if op.notation == "sum":
        return " + ".join(part(i, SUM) for i in range(len(texts)))
    if op.notation == "dot":
        n = len(texts) // 2
        terms = [f"{part(i, PRODUCT)}·{part(n + i, PRODUCT, True)}" for i in range(n)]
        return " + ".join(terms + ([part(2 * n, SUM)] if len(texts) % 2 else []))
    args = texts[: len(kids)] + [_fmt(p) for p in parameters(node)]
    return f"{op.name}({', '.join(args)})"


def derivative_text(node: Any, i: int, operand_names: Sequence[str], out_name: str) -> str | None:
    """∂node/∂(operand i) as text in the lecture notes' notation, or None if the op has none.

    Operands are written by operand_names and the result by out_name: for h₂ = o₁·w₂,
    ``derivative_text(h₂, 1, ["o₁", "w₂"], "h₂") == "o₁"``; for a sigmoid o it is
    ``"o·(1 − o)"``, for a tanh t ``"1 − t²"``, for x**3 ``"3·x²"``. At a kink the text is the
    value the engine uses there (relu: "1" or "0").
    """
    op = OPS.get(node.op)
    texts = None if op is None else op.derivative_texts
    if texts is None:
        return None
    return texts(node, list(operand_names), out_name)[i]


def constant_operands(node: Any) -> tuple[int, ...]:
    """Indices of operands drawn as part of the op: the constant exponent of a power."""
    if node.op == "**" and _constant_exponent(node) is not None:
        return (1,)
    return ()


def cli_functions(*, custom_ops: bool = False) -> dict[str, Op]:
    """The ops a formula string may call as name(x[, params]), by name."""
    return {
        name: op
        for name, op in OPS.items()
        if op.cli and op.notation in ("call", "abs") and (op.builtin or custom_ops)
    }


# -- custom ops ---------------------------------------------------------------------------------


def apply(name: str, *operands: Any) -> Value:
    """The node of op ``name`` on operands (Values or numbers), e.g. ``apply("softsign", x)``."""

    op = OPS.get(name)
    if op is None:
        raise ValueError(f"apply: no op named {name!r}; define it with define_op first")
    return _engine()._apply_op(op, operands)  # type: ignore[no-any-return]


class CustomOp:
    """What define_op returns: call it on Values or numbers to make the op's node."""

    def __init__(self, op: Op) -> None:
        self.op = op
        self.__doc__ = op.doc or f"The custom op {op.name!r}."
        self.__name__ = op.name

    def __call__(self, *operands: Any) -> Value:

        current = OPS.get(self.op.name)
        return _engine()._apply_op(current or self.op, operands)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"<custom op {self.op.name!r}, {self.op.arity} operand(s)>"


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CHECK_POINTS = (-1.3, -0.4, 0.35, 0.9, 2.1)  # where define_op checks a derivative


def define_op(
    name: str,
    forward: Callable[..., float],
    derivative: Callable[..., Any],
    *,
    arity: int = 1,
    value_derivative: Callable[..., Any] | None = None,
    numpy_forward: Callable[..., Any] | None = None,
    numpy_derivative: Callable[..., Any] | None = None,
    domain: Callable[..., bool] | None = None,
    domain_message: str = "input outside the domain",
    glyph: str | None = None,
    text: Callable[[Sequence[str]], str] | None = None,
    derivative_text: str | Sequence[str] | None = None,
    check: bool = True,
    check_points: Sequence[float] = CHECK_POINTS,
    doc: str = "",
) -> CustomOp:
    """Define an operation from user code; returns a function that makes its nodes.

    ``forward(*xs) -> float`` computes the op on floats; ``derivative(*xs)`` returns d out /
    d x (a number for one operand, a tuple for two), on floats. Optional, for more paths:
    ``value_derivative(*xs)`` the same rule on Values (then ``gradients(create_graph=True)``,
    ``grad(grad(f))``, hessians work; write it with ``microgradnet.ops.fn`` or Value methods),
    ``numpy_forward(*arrays)`` and ``numpy_derivative(*arrays)`` elementwise on arrays (then
    ``Tape`` and ``fit(compile=True)`` replay it). ``domain(*xs) -> bool`` says where the op is
    defined (``domain_message`` is the error outside it); ``derivative_text`` writes the
    derivative in terms of ``{x}`` (``{y}`` for a second operand) and ``{out}``, e.g.
    ``"1/(1 + |{x}|)²"``; ``glyph`` is drawn in graph nodes (default: the name).

    With ``check`` (default), the derivative is compared with central differences at
    ``check_points`` (inside the domain) and a wrong one raises a ValueError naming the op and
    the point, like ``torch.autograd.gradcheck``. A built-in name is refused; defining a name
    again replaces the earlier custom op (re-running a notebook cell works).

        softsign = define_op("softsign", lambda x: x / (1 + abs(x)),
                             lambda x: 1 / (1 + abs(x)) ** 2)
        y = softsign(Value(0.5))   # a node with op "softsign"
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"define_op: name must be an identifier such as 'softsign', got {name!r}")
    if name in BUILTIN_NAMES:
        raise ValueError(f"define_op: {name!r} is a built-in op; choose another name")
    if arity not in (1, 2):
        raise ValueError(f"define_op({name!r}): arity must be 1 or 2, got {arity!r}")
    for what, f in (("forward", forward), ("derivative", derivative)):
        if not callable(f):
            raise TypeError(f"define_op({name!r}): {what} must be a function")
    for what, g in (
        ("value_derivative", value_derivative),
        ("numpy_forward", numpy_forward),
        ("numpy_derivative", numpy_derivative),
        ("domain", domain),
    ):
        if g is not None and not callable(g):
            raise TypeError(f"define_op({name!r}): {what} must be a function or None")
    if (numpy_forward is None) != (numpy_derivative is None):
        raise ValueError(
            f"define_op({name!r}): give numpy_forward and numpy_derivative together (the "
            "replay needs both)"
        )
    op = Op(
        name,
        arity,
        forward=forward,
        derivative=_as_rule(derivative, arity),
        value_derivative=None if value_derivative is None else _as_rule(value_derivative, arity),
        numpy_forward=numpy_forward,
        numpy_derivative=None if numpy_derivative is None else _as_rule(numpy_derivative, arity),
        domain=() if domain is None else ((_outside(domain), ValueError, domain_message),),
        glyph=glyph or name,
        text=text,
        derivative_texts=_template_texts(name, derivative_text, arity),
        builtin=False,
        doc=doc,
    )
    if check:
        _check_derivative(op, check_points, domain)
    OPS[name] = op
    return CustomOp(op)


def undefine_op(name: str) -> None:
    """Remove a custom op (built-ins stay); nodes made with it keep their numbers."""
    if name in BUILTIN_NAMES:
        raise ValueError(f"undefine_op: {name!r} is a built-in op")
    if OPS.pop(name, None) is None:
        raise ValueError(f"undefine_op: no custom op named {name!r}")


def _as_rule(f: Callable[..., Any], arity: int) -> Rule:
    """A user's derivative(*xs) as the table's rule (out, *xs) -> tuple."""

    def rule(out: Any, *xs: Any) -> tuple[Any, ...]:
        d = f(*xs)
        if arity == 1:
            return (d[0] if isinstance(d, tuple) else d,)
        return tuple(d)

    return rule


def _outside(domain: Callable[..., Any]) -> Callable[..., Any]:
    def bad(*xs: Any) -> Any:
        ok = domain(*xs)
        return ~np.asarray(ok, dtype=bool) if any(map(_is_array, xs)) else not ok

    return bad


def _template_texts(
    name: str, template: str | Sequence[str] | None, arity: int
) -> Callable[[Any, Sequence[str], str], tuple[str | None, ...]] | None:
    if template is None:
        return None
    templates = [template] if isinstance(template, str) else list(template)
    if len(templates) != arity or not all(isinstance(t, str) for t in templates):
        raise ValueError(
            f"define_op({name!r}): derivative_text needs one text per operand ({arity})"
        )

    def texts(node: Any, names: Sequence[str], out: str) -> tuple[str | None, ...]:
        fields = {"x": _wrap(names[0]), "out": _wrap(out)}
        if len(names) > 1:
            fields["y"] = _wrap(names[1])
        return tuple(t.format(**fields) for t in templates)

    try:
        texts(None, ["x", "y"][:arity], "o")
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(
            f"define_op({name!r}): derivative_text may use {{x}}, {{y}} and {{out}}: {e}"
        ) from None
    return texts


def _check_derivative(op: Op, points: Sequence[float], domain: Callable[..., Any] | None) -> None:
    """The float derivative against central differences at points (each operand at each)."""
    h = 1e-6
    for p in points:
        xs = [float(p)] * op.arity if op.arity == 1 else [float(p), 0.5 + 0.3 * float(p)]
        if domain is not None and not all(
            domain(*[x + s for x in xs]) for s in (-2 * h, 0.0, 2 * h)
        ):
            continue
        try:
            out = float(op.forward(*xs))
            ds = op.derivative(out, *xs)
        except Exception as e:
            raise ValueError(
                f"define_op({op.name!r}): forward or derivative failed at {_point(xs)}: {e}"
            ) from e
        for i in range(op.arity):
            up, down = list(xs), list(xs)
            up[i] += h
            down[i] -= h
            numeric = (float(op.forward(*up)) - float(op.forward(*down))) / (2 * h)
            given = float(ds[i])
            if not math.isclose(given, numeric, rel_tol=1e-4, abs_tol=1e-6):
                which = "" if op.arity == 1 else f" with respect to operand {i}"
                raise ValueError(
                    f"define_op({op.name!r}): the derivative{which} is wrong at {_point(xs)}: "
                    f"derivative gives {given!r}, central differences {numeric!r} (pass "
                    "check=False to skip this check)"
                )
    if op.value_derivative is not None:
        _check_value_rule(op, points, domain)


def _check_value_rule(op: Op, points: Sequence[float], domain: Callable[..., Any] | None) -> None:

    for p in points[:2]:
        xs = [float(p)] * op.arity if op.arity == 1 else [float(p), 0.5 + 0.3 * float(p)]
        if domain is not None and not domain(*xs):
            continue
        out = float(op.forward(*xs))
        assert op.value_derivative is not None
        value = _engine().Value
        vs = op.value_derivative(value(out), *[value(x) for x in xs])
        fs = op.derivative(out, *xs)
        for v, f in zip(vs, fs):
            got = v.data if isinstance(v, value) else float(v)
            if not math.isclose(got, float(f), rel_tol=1e-9, abs_tol=1e-12):
                raise ValueError(
                    f"define_op({op.name!r}): value_derivative gives {got!r} at {_point(xs)} "
                    f"but derivative gives {float(f)!r}"
                )


def _point(xs: Sequence[float]) -> str:
    return f"x = {xs[0]!r}" if len(xs) == 1 else f"(x, y) = ({xs[0]!r}, {xs[1]!r})"


def custom_ops() -> Mapping[str, Op]:
    """The ops defined with define_op in this session, by name."""
    return {name: op for name, op in OPS.items() if not op.builtin}
