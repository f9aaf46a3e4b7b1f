"""Verification kit: JAX-style grad, higher derivatives, numerical checks and the chain rule.

For anyone checking a gradient derived by hand:

    grad(f, argnums)(*numbers)        d f / d args, as floats
    value_and_grad(f, argnums)        (f, d f / d args)
    hessian(f)(*numbers)              the matrix of second derivatives
    second_derivatives(root, xs)      the same for a graph already built
    numerical_grad(f, inputs, eps)    central differences (f(x + eps) - f(x - eps)) / 2eps
    gradcheck(f, inputs, ...)         analytical against numerical, raising GradcheckError
    explain(root, wrt)                d root / d wrt written out path by path (.to_latex())

To check a whole formula derived by hand, see ``check.check_derivative``.

``f`` takes Values and returns a Value; numbers it is not differentiated by arrive as Constants.
``grad`` nests to any order: given Values instead of numbers (as when an outer ``grad`` calls
it), the returned function builds its gradient as a graph (``gradients(..., create_graph=True)``)
so it can be differentiated again.

References: JAX's grad / value_and_grad (argnums), torch.autograd.gradcheck (eps, atol, rtol);
the lecture notes on the chain rule as a sum over paths.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

from . import ops
from ._checks import real_number as _number
from ._format import number_format
from .engine import Constant, Value, _postorder, gradients, topological_order

Function = Callable[..., Value]


def value_and_grad(f: Function, argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """Return a function computing (f(*args), d f / d args[argnums]).

    With numbers in, floats come out; a sequence argnums gives a tuple of gradients. With Values
    in (a nested call), the value and gradients are Values, differentiable again. Numbers that
    are not differentiated reach f as Constants (so ``x.exp()`` works on every argument); other
    arguments (lists, models) pass through unchanged.
    """
    nums, single = _argnums(argnums)
    names = _parameter_names(f)

    @functools.wraps(f)
    def value_and_grad_f(*args: Any) -> tuple[Any, Any]:
        for i in nums:
            if not -len(args) <= i < len(args):
                raise IndexError(
                    f"argnums {i} is out of range for {len(args)} positional arguments"
                )
        nested = any(isinstance(a, Value) for a in args)
        xs = list(args)
        for i in nums:
            if not isinstance(xs[i], Value):
                xs[i] = Value(_number(xs[i], f"argument {i}"), label=_name(names, i, len(args)))
        differentiated = {i % len(args) for i in nums}
        for i, a in enumerate(xs):  # the other numbers: constants with the same methods
            if i not in differentiated and _is_number(a):
                xs[i] = Constant(float(a), label=_name(names, i, len(args)))
        out = _call(f, xs)
        wrt = [xs[i] for i in nums]
        gs = gradients(out, wrt, create_graph=nested)
        if nested:
            value: Any = out
            gs = [g if isinstance(g, Value) else Constant(g) for g in gs]
        else:
            value = out.data
        return value, gs[0] if single else tuple(gs)

    return value_and_grad_f


def grad(f: Function, argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing d f / d args[argnums]; ``grad(grad(f))`` gives f''."""
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def grad_f(*args: Any) -> Any:
        return vg(*args)[1]

    return grad_f


def hessian(f: Function) -> Callable[..., list[list[float]]]:
    """Return a function computing the matrix H[i][j] = d²f / d args[i] d args[j]."""
    names = _parameter_names(f)

    @functools.wraps(f)
    def hessian_f(*args: float) -> list[list[float]]:
        xs = [
            Value(_number(a, f"argument {i}"), label=_name(names, i, len(args)))
            for i, a in enumerate(args)
        ]
        return second_derivatives(_call(f, xs), xs)

    return hessian_f


def second_derivatives(root: Value, wrt: Sequence[Value]) -> list[list[float]]:
    """H[i][j] = d²root / d wrt[i] d wrt[j]: the gradients of the gradient graph."""
    first = gradients(root, wrt, create_graph=True)
    return [gradients(g, wrt) if isinstance(g, Value) else [0.0] * len(wrt) for g in first]


def numerical_grad(f: Function, inputs: Sequence[Value | float], eps: float = 1e-6) -> list[float]:
    """Central differences (f(x_i + eps) - f(x_i - eps)) / 2eps for each input.

    inputs are numbers (f gets fresh leaves) or leaf Values such as a model's parameters (their
    data is nudged in place and restored, so a loss that reads them directly works too).
    """
    if not eps > 0:
        raise ValueError(f"numerical_grad: eps must be > 0, got {eps}")
    points = _inputs(inputs, "numerical_grad")
    result = []
    for p in points:
        saved = p.data
        try:
            p.data = saved + eps
            plus = _evaluate(f, points)
            p.data = saved - eps
            minus = _evaluate(f, points)
        finally:
            p.data = saved
        result.append((plus - minus) / (2 * eps))
    return result


class GradcheckError(RuntimeError):
    """Raised by gradcheck; ``mismatches`` holds (index, label, analytical, numerical) rows."""

    def __init__(
        self, mismatches: list[tuple[int, str, float, float]], atol: float, rtol: float
    ) -> None:
        self.mismatches = mismatches
        rows = "\n".join(
            f"  input {i}{f' ({label})' if label else ''}: analytical {a!r}, numerical {n!r}, "
            f"difference {abs(a - n):.3g}"
            for i, label, a, n in mismatches
        )
        super().__init__(
            f"gradcheck: {len(mismatches)} gradient(s) differ by more than "
            f"atol + rtol·|numerical| (atol={atol}, rtol={rtol}):\n{rows}"
        )


def gradcheck(
    f: Function,
    inputs: Sequence[Value | float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check backprop's gradients of f at inputs against central differences.

    Passes when |analytical - numerical| <= atol + rtol·|numerical| for every input; otherwise
    raises GradcheckError naming each mismatch, or returns False if raise_exception is False.
    """
    points = _inputs(inputs, "gradcheck")
    analytical = gradients(_call(f, points), points)
    numerical = numerical_grad(f, inputs, eps)
    mismatches = [
        (i, p.label, a, n)
        for i, (p, a, n) in enumerate(zip(points, analytical, numerical))
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if mismatches and raise_exception:
        raise GradcheckError(mismatches, atol, rtol)
    return not mismatches


# -- explain: the chain rule path by path -------------------------------------------------------

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


@dataclass(frozen=True)
class ChainPath:
    """One path from root down to wrt: ``nodes`` from root to wrt, ``factors`` the local
    derivative on each edge (factors[k] = d nodes[k] / d nodes[k+1]), their ``product``, and
    ``operands`` the position of each next node among its parent's operands
    (nodes[k+1] is nodes[k].children[operands[k]]), which tells the two operands of a·a apart."""

    nodes: tuple[Value, ...]
    factors: tuple[float, ...]
    product: float
    operands: tuple[int, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """d root / d wrt as the sum over paths of the product of local derivatives.

    ``paths`` holds up to max_paths of them, ``n_paths`` how many there are in all, ``total``
    the derivative over every path, accumulated in backward's order: it equals wrt.grad after
    root.backward() bit for bit (for a wrt whose .grad was 0 before).
    """

    root: Value
    wrt: Value
    paths: tuple[ChainPath, ...]
    n_paths: int
    total: float
    names: dict[Value, str]

    def factor_names(self, path: ChainPath, d: str = "d") -> list[str]:
        """The local derivatives along path as text, ``dA/dB`` (``∂A/∂B`` with d="∂"), with
        "(second operand)" where B is more than one operand of A, as in a·a."""
        return [
            f"{d}{wrap_name(self._name(a))}/{d}{wrap_name(self._name(b))}{_operand_tag(a, b, i)}"
            for a, b, i in _edges(path)
        ]

    def __str__(self) -> str:
        top, var = self._name(self.root), self._name(self.wrt)
        lhs = f"d{wrap_name(top)}/d{wrap_name(var)}"
        if self.n_paths == 0:
            return f"{lhs} = 0  ({var} does not reach {top})"
        if self.root is self.wrt:
            return f"{lhs} = 1"
        rows = []
        for path in self.paths:
            symbols = _elide(self.factor_names(path))
            numbers = _elide([f"({_fmt(d)})" for d in path.factors])
            rows.append((symbols, numbers, _fmt(path.product)))
        if self.n_paths == 1:
            symbols, numbers, product = rows[0]
            pad = " " * len(lhs)
            return f"{lhs} = {symbols}\n{pad} = {numbers}\n{pad} = {product}"
        lines = [
            f"{lhs} = sum over {self.n_paths} paths of the product of the local derivatives on each"
        ]
        for k, (symbols, numbers, product) in enumerate(rows, 1):
            lines += [f"  path {k}: {symbols}", f"        = {numbers} = {product}"]
        if self.n_paths > len(rows):
            lines.append(f"  ... and {self.n_paths - len(rows)} more paths not shown")
        lines.append(f"{lhs} = {_fmt(self.total)}")
        return "\n".join(lines)

    def to_latex(self) -> str:
        """The chain rule as a LaTeX ``aligned`` block, path by path: the product of the ∂'s,
        the local derivatives as formulas (where the op table writes them), their numbers."""
        lhs = _latex_partial(self._name(self.root), self._name(self.wrt))
        if self.n_paths == 0:
            var, top = _latex_text(self._name(self.wrt)), _latex_text(self._name(self.root))
            return f"{lhs} = 0 \\quad ({var} \\text{{ does not reach }} {top})"
        if self.root is self.wrt:
            return f"{lhs} = 1"
        lines = [r"\begin{aligned}"]
        if self.n_paths == 1:
            first, *rest = self._latex_rows(self.paths[0])
            lines.append(f"{lhs} &= {first} \\\\")
            lines += [f"&= {row} \\\\" for row in rest]
        else:
            lines.append(
                f"{lhs} &= \\sum_{{k=1}}^{{{self.n_paths}}} "
                r"\prod \text{(local derivatives on path $k$)} \\"
            )
            for k, path in enumerate(self.paths, 1):
                first, *rest = self._latex_rows(path)
                lines.append(f"\\text{{path {k}:}} &\\quad {first} \\\\")
                lines += [f"&\\quad = {row} \\\\" for row in rest]
            if self.n_paths > len(self.paths):
                more = self.n_paths - len(self.paths)
                lines.append(f"&\\quad \\text{{and {more} more paths not shown}} \\\\")
            lines.append(f"{lhs} &= {_latex_number(self.total)} \\\\")
        lines[-1] = lines[-1].removesuffix(" \\\\")
        lines.append(r"\end{aligned}")
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        return f"$$\n{self.to_latex()}\n$$"

    def _latex_rows(self, path: ChainPath) -> list[str]:
        """∂'s; the local derivatives as formulas (if the op table has any); numbers = product."""
        edges = list(_edges(path))
        symbols = [
            _latex_partial(self._name(a), self._name(b)) + _latex_tag(_operand_tag(a, b, i))
            for a, b, i in edges
        ]
        formulas = [self._derivative_text(a, i) for a, _, i in edges]
        rows = [_latex_elide(symbols)]
        if any(f is not None for f in formulas):
            rows.append(
                _latex_elide(
                    [
                        f"\\left({_latex_text(f)}\\right)" if f else s
                        for f, s in zip(formulas, symbols)
                    ]
                )
            )
        numbers = _latex_elide([f"({_latex_number(d)})" for d in path.factors])
        rows.append(f"{numbers} = {_latex_number(path.product)}")
        return rows

    def _derivative_text(self, node: Value, i: int) -> str | None:
        operand_names = [_operand_name(self._name(c)) for c in node.children]
        return ops.derivative_text(node, i, operand_names, _operand_name(self._name(node)))

    def _name(self, node: Value) -> str:
        return self.names.get(node, "?")


def explain(root: Value, wrt: Value, *, max_paths: int = 20) -> Explanation:
    """Write d root / d wrt as the chain rule: one product of local derivatives per path.

    Paths run from root down to wrt and are listed up to max_paths (counted exactly beyond);
    ``total`` sums every path in backward's order of accumulation, so it equals wrt.grad.
    """
    if not isinstance(root, Value) or not isinstance(wrt, Value):
        raise TypeError("explain: root and wrt must be Values")
    order = topological_order(root)
    count: dict[Value, int] = {wrt: 1}  # paths from node down to wrt
    for node in order:
        if node is not wrt:
            n = sum(count.get(c, 0) for c in node.children)
            if n:
                count[node] = n
    names = expression_names(order)
    names.setdefault(wrt, wrt.label or "wrt")
    paths = _enumerate_paths(root, wrt, count, max_paths)
    total = _backward_total(root, wrt) if count.get(root) else 0.0
    return Explanation(root, wrt, paths, count.get(root, 0), total, names)


def _backward_total(root: Value, wrt: Value) -> float:
    """d root / d wrt by the very loop of Value.backward, so the last bit agrees with .grad."""
    if root is wrt:
        return 1.0
    grads: dict[Value, float] = {root: 1.0}
    for node in reversed(_postorder(root, leaves=False)):
        g = grads.get(node, 0.0)
        for child, d in zip(node.children, node.local_grads):
            grads[child] = grads.get(child, 0.0) + d * g
    return grads.get(wrt, 0.0)


def _enumerate_paths(
    root: Value, wrt: Value, count: dict[Value, int], limit: int
) -> tuple[ChainPath, ...]:
    """Up to limit root-to-wrt paths in operand order, depth-first with an explicit stack.

    Each step is a (node, previous step, factor, operand index) record, so a path is rebuilt
    only when it reaches wrt and a long chain costs linear, not quadratic, time.
    """
    steps: list[tuple[Value, int, float, int]] = [(root, -1, 1.0, -1)]
    stack = [0] if count.get(root) else []
    found: list[ChainPath] = []
    while stack and len(found) < limit:
        k = stack.pop()
        node = steps[k][0]
        if node is wrt:
            nodes, factors, operands = [], [], []
            while k >= 0:
                node, k, d, i = steps[k]
                nodes.append(node)
                factors.append(d)
                operands.append(i)
            factors = factors[-2::-1]  # drop the root's placeholder, order from root down
            product = 1.0
            for d in factors:
                product *= d
            path = ChainPath(
                tuple(reversed(nodes)), tuple(factors), product, tuple(operands[-2::-1])
            )
            found.append(path)
            continue
        edges = [
            (i, c, d)
            for i, (c, d) in enumerate(zip(node.children, node.local_grads))
            if count.get(c)
        ]
        for i, child, d in reversed(edges):
            stack.append(len(steps))
            steps.append((child, k, d, i))
    return tuple(found)


def _edges(path: ChainPath) -> Iterator[tuple[Value, Value, int]]:
    """(parent, child, operand index) along path; an index of -1 where none was recorded."""
    operands = path.operands or (-1,) * (len(path.nodes) - 1)
    return zip(path.nodes, path.nodes[1:], operands)


def _operand_tag(parent: Value, child: Value, i: int) -> str:
    """ " (second operand)" when child is more than one operand of parent, else ""."""
    if i < 0 or sum(c is child for c in parent.children) < 2:
        return ""
    return f" ({ORDINALS[i]} operand)" if i < len(ORDINALS) else f" (operand {i + 1})"


def _operand_name(name: str) -> str:
    """name parenthesized unless it is an identifier or a number, to sit inside a formula."""
    plain = _is_symbol(name) or name.replace(".", "", 1).isdigit()
    return name if plain else f"({name})"


Path = ChainPath
"""Deprecated: the old name of ChainPath (it clashed with pathlib.Path); goes next release."""


# -- LaTeX --------------------------------------------------------------------------------------

_LATEX_FUNCTIONS = {"exp": r"\exp", "log": r"\log", "tanh": r"\tanh", "sin": r"\sin"}
_LATEX_FUNCTIONS |= {"cos": r"\cos", "sigmoid": r"\sigma", "sqrt": r"\operatorname{sqrt}"}
_LATEX_CHARS = {
    "·": r" \cdot ",
    "*": r" \cdot ",
    "×": r" \times ",
    "−": "-",
    "Σ": r"\Sigma ",
    "σ": r"\sigma ",
    "ŷ": r"\hat{y}",
    "∂": r"\partial ",
    "√": r"\sqrt",
    "#": r"\#",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\sim ",
    "\\": r"\backslash ",
}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_LATEX_TOKEN = re.compile(
    r"[A-Za-z][A-Za-z0-9_]*|\d+\.?\d*(?:e[+-]?\d+)?|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+|[₀₁₂₃₄₅₆₇₈₉]+|\*\*|.",
    re.DOTALL,
)


def _latex_text(text: str) -> str:
    """Formula text (names, numbers, + - · / ^ ** ², functions) as LaTeX math."""
    tokens = _LATEX_TOKEN.findall(text)
    out: list[str] = []
    k = 0
    while k < len(tokens):
        token = tokens[k]
        k += 1
        if token in ("^", "**"):  # the exponent: the next token, or the next (...) group
            end, depth = k + (k < len(tokens) and tokens[k] in "-−"), 0  # a sign goes along
            while end < len(tokens):
                depth += {"(": 1, ")": -1}.get(tokens[end], 0)
                end += 1
                if depth <= 0:
                    break
            out.append(f"^{{{_latex_text(''.join(tokens[k:end]))}}}")
            k = end
        elif token[0] in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻":
            out.append(f"^{{{token.translate(_SUPERSCRIPTS)}}}")
        elif token[0] in "₀₁₂₃₄₅₆₇₈₉":
            out.append(f"_{{{token.translate(_SUBSCRIPTS)}}}")
        elif token[0].isascii() and token[0].isalpha():
            out.append(_latex_identifier(token))
        elif token[0].isascii() and token[0].isdigit():
            out.append(_latex_number_text(token))
        else:
            out.append(_LATEX_CHARS.get(token, token))
    return "".join(out)


def _latex_identifier(name: str) -> str:
    """w1 → w_{1}, y_hat → \\hat{y}, tanh → \\tanh, relu → \\operatorname{relu}."""
    if name in _LATEX_FUNCTIONS:
        return _LATEX_FUNCTIONS[name]
    base, _, rest = name.partition("_")
    if rest == "hat" and len(base) == 1:
        return f"\\hat{{{base}}}"
    match = re.fullmatch(r"([A-Za-z])_?(\d+)", name)
    if match:
        return f"{match[1]}_{{{match[2]}}}"
    if len(name) == 1:
        return name
    if rest and len(base) == 1 and rest.isalnum():
        return f"{base}_{{\\mathrm{{{rest}}}}}"
    escaped = name.replace("_", r"\_")
    return f"\\operatorname{{{escaped}}}"


def _latex_number_text(text: str) -> str:
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}" if e else text


def _latex_number(x: float) -> str:
    text = _fmt(x)
    if text in ("inf", "-inf", "nan"):
        return {"inf": r"\infty", "-inf": r"-\infty", "nan": r"\mathrm{NaN}"}[text]
    sign = "-" if text.startswith("-") else ""
    return sign + _latex_number_text(text.lstrip("-"))


def _latex_partial(top: str, var: str) -> str:
    return f"\\frac{{\\partial {_latex_operand(top)}}}{{\\partial {_latex_operand(var)}}}"


def _latex_operand(name: str) -> str:
    return _latex_text(name) if _is_symbol(name) else f"({_latex_text(name)})"


def _latex_tag(tag: str) -> str:
    return f"\\big|_{{\\text{{{tag.strip(' ()')}}}}}" if tag else ""


def _latex_elide(factors: list[str], keep: int = 6) -> str:
    if len(factors) > 2 * keep:
        hidden = len(factors) - 2 * keep
        factors = [*factors[:keep], f"\\cdots_{{\\text{{({hidden} more)}}}}", *factors[-keep:]]
    return r" \cdot ".join(factors)


def expression_names(order: Sequence[Value], max_len: int = 24) -> dict[Value, str]:
    """A readable name per node: its label, a constant's value, or the expression that made it
    (``ops.text_form``: ``x·w + b``) while that stays under max_len characters, else ``op#k``."""
    names: dict[Value, str] = {}
    short = ShortNames(max_len)
    for node in order:
        if node.label:
            names[node] = node.label
        elif not node.children:
            names[node] = _fmt(node.data)
        else:
            names[node] = short(node, names)
    return names


class ShortNames:
    """Names interior nodes by their expression from their operands' names (``ops.text_form``)
    while it stays within max_len characters, else ``op#k`` with k counting those."""

    def __init__(self, max_len: int) -> None:
        self.max_len, self.unnamed = max_len, 0

    def __call__(self, node: Value, names: Mapping[Value, str]) -> str:
        text = ops.text_form(node, [names[c] for c in node.children])
        if len(text) > self.max_len:
            self.unnamed += 1
            text = f"{node.op}#{self.unnamed}"
        return text


def _elide(factors: list[str], keep: int = 6) -> str:
    """Join factors with ·, eliding the middle of a long chain."""
    if len(factors) > 2 * keep:
        factors = [*factors[:keep], f"…({len(factors) - 2 * keep} more)…", *factors[-keep:]]
    return " · ".join(factors)


def wrap_name(name: str) -> str:
    """name as it reads after a d in dL/d..., parenthesized unless one symbol: dL/d(x·w)."""
    return name if _is_symbol(name) else f"({name})"


def _is_symbol(name: str) -> bool:
    """True for one symbol such as x, w1, w₁, y_hat, ŷ; False for an expression (x·w, x²)."""
    return "·" not in name and name.translate(_SUBSCRIPTS).isidentifier()


_fmt = number_format(6)  # explain's numbers: 6 significant digits, as the drawings


def _call(f: Function, args: Sequence[Any]) -> Value:
    out = f(*args)
    if not isinstance(out, Value):
        raise TypeError(
            f"{getattr(f, '__name__', 'f')} must return a single Value, got {type(out).__name__}"
        )
    return out


def _evaluate(f: Function, points: Sequence[Value]) -> float:
    return _call(f, points).data


def _inputs(inputs: Sequence[Value | float], where: str) -> list[Value]:
    """Fresh leaves for numbers; leaf Values as they are (an interior node cannot be nudged)."""
    points = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            if x.children:
                raise ValueError(
                    f"{where}: input {i} is an interior node (op {x.op!r}); "
                    "pass numbers or leaf Values"
                )
            points.append(x)
        else:
            points.append(Value(_number(x, f"{where}: input {i}")))
    return points


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, (bool, Value))


def _argnums(argnums: int | Sequence[int]) -> tuple[list[int], bool]:
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        return [argnums], True
    if isinstance(argnums, Sequence) and argnums and all(isinstance(i, int) for i in argnums):
        return list(argnums), False
    raise TypeError(f"argnums must be an int or a non-empty sequence of ints, got {argnums!r}")


def _parameter_names(f: Callable[..., Any]) -> list[str]:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _name(names: list[str], i: int, n: int) -> str:
    i %= n
    return names[i] if i < len(names) else f"x{i}"
