"""The chain rule written out: d root / d wrt as a sum over paths of products of local derivatives.

    explain(L, w)              dL/dw = dL/d(x·w + b) · d(x·w + b)/d(x·w) · d(x·w)/dw = ... = 28
    explain(L, w).to_latex()   the same as a LaTeX aligned block, with the local derivatives
                               as formulas from the op table (o·(1 − o) for a sigmoid o)

``expression_names`` and ``ShortNames`` name nodes by their expression (x·w + b), as explain,
the step texts and the drawings write them.

Reference: the lecture notes on the chain rule as a sum over paths.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from . import ops
from ._format import number_format
from .engine import Value, gradients, topological_order
from .latex import (
    is_symbol,
    latex_number,
    latex_number_text,
    latex_partial,
    latex_tag,
    latex_text,
)

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
EXACT_BELOW = 10**15  # path counts from here on are written as 1.23e+4515
_T = TypeVar("_T")


@dataclass(frozen=True, eq=False)  # holds Values, which compare by data: identity is meant
class ChainPath:
    """One path from root down to wrt: ``nodes`` from root to wrt, ``factors`` the local
    derivative on each edge (factors[k] = d nodes[k] / d nodes[k+1]), their ``product``, and
    ``operands`` the position of each next node among its parent's operands
    (nodes[k+1] is nodes[k].children[operands[k]]), which tells the two operands of a·a apart."""

    nodes: tuple[Value, ...]
    factors: tuple[float, ...]
    product: float
    operands: tuple[int, ...] = ()


@dataclass(frozen=True, eq=False)
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
        return [self._factor_name(edge, d) for edge in _edges(path)]

    def path_text(self, path: ChainPath, d: str = "d") -> str:
        """factor_names joined by ·, the middle of a long chain elided: only the factors shown
        are written, so a path of 15,000 edges costs 12."""
        return " · ".join(_elided(list(_edges(path)), lambda e: self._factor_name(e, d), _more))

    def _factor_name(self, edge: tuple[Value, Value, int], d: str) -> str:
        a, b, i = edge
        return f"{d}{wrap_name(self._name(a))}/{d}{wrap_name(self._name(b))}{_operand_tag(a, b, i)}"

    def __str__(self) -> str:
        top, var = self._name(self.root), self._name(self.wrt)
        lhs = f"d{wrap_name(top)}/d{wrap_name(var)}"
        if self.n_paths == 0:
            return f"{lhs} = 0  ({var} does not reach {top})"
        if self.root is self.wrt:
            return f"{lhs} = 1"
        rows = []
        for path in self.paths:
            symbols = self.path_text(path)
            numbers = " · ".join(_elided(path.factors, lambda d: f"({_fmt(d)})", _more))
            rows.append((symbols, numbers, _fmt(path.product)))
        if self.n_paths == 1:
            symbols, numbers, product = rows[0]
            pad = " " * len(lhs)
            return f"{lhs} = {symbols}\n{pad} = {numbers}\n{pad} = {product}"
        lines = [
            f"{lhs} = sum over {count_text(self.n_paths)} paths of the product of the local "
            "derivatives on each"
        ]
        for k, (symbols, numbers, product) in enumerate(rows, 1):
            lines += [f"  path {k}: {symbols}", f"        = {numbers} = {product}"]
        if self.n_paths > len(rows):
            more = count_text(self.n_paths - len(rows))
            lines.append(f"  ... and {more} more paths not shown")
        lines.append(f"{lhs} = {_fmt(self.total)}")
        return "\n".join(lines)

    def to_latex(self) -> str:
        """The chain rule as a LaTeX ``aligned`` block, path by path: the product of the ∂'s,
        the local derivatives as formulas (where the op table writes them), their numbers."""
        lhs = latex_partial(self._name(self.root), self._name(self.wrt))
        if self.n_paths == 0:
            var, top = latex_text(self._name(self.wrt)), latex_text(self._name(self.root))
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
                f"{lhs} &= \\sum_{{k=1}}^{{{latex_number_text(count_text(self.n_paths))}}} "
                r"\prod \text{(local derivatives on path $k$)} \\"
            )
            for k, path in enumerate(self.paths, 1):
                first, *rest = self._latex_rows(path)
                lines.append(f"\\text{{path {k}:}} &\\quad {first} \\\\")
                lines += [f"&\\quad = {row} \\\\" for row in rest]
            if self.n_paths > len(self.paths):
                more = latex_number_text(count_text(self.n_paths - len(self.paths)))
                lines.append(f"&\\quad \\text{{and {more} more paths not shown}} \\\\")
            lines.append(f"{lhs} &= {latex_number(self.total)} \\\\")
        lines[-1] = lines[-1].removesuffix(" \\\\")
        lines.append(r"\end{aligned}")
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        return f"$$\n{self.to_latex()}\n$$"

    def _latex_rows(self, path: ChainPath) -> list[str]:
        """∂'s; the local derivatives as formulas (if the op table has any); numbers = product."""
        edges = list(_edges(path))  # only the factors shown are written (a long chain elided)
        symbols = _elided(edges, self._latex_partial, _latex_more)
        formulas = _elided(edges, self._latex_formula, _latex_more)
        rows = [r" \cdot ".join(symbols)]
        if formulas != symbols:  # the op table wrote some local derivative as a formula
            rows.append(r" \cdot ".join(formulas))
        numbers = _elided(path.factors, lambda d: f"({latex_number(d)})", _latex_more)
        rows.append(r" \cdot ".join(numbers) + f" = {latex_number(path.product)}")
        return rows

    def _latex_partial(self, edge: tuple[Value, Value, int]) -> str:
        a, b, i = edge
        return latex_partial(self._name(a), self._name(b)) + latex_tag(_operand_tag(a, b, i))

    def _latex_formula(self, edge: tuple[Value, Value, int]) -> str:
        """The local derivative as the op table writes it, else its ∂ symbol."""
        formula = self._derivative_text(edge[0], edge[2])
        return f"\\left({latex_text(formula)}\\right)" if formula else self._latex_partial(edge)

    def _derivative_text(self, node: Value, i: int) -> str | None:
        operand_names = [_operand_name(self._name(c)) for c in node.children]
        return ops.derivative_text(node, i, operand_names, _operand_name(self._name(node)))

    def _name(self, node: Value) -> str:
        return self.names.get(node, "?")


def explain(root: Value, wrt: Value, *, max_paths: int = 20) -> Explanation:
    """Write d root / d wrt as the chain rule: one product of local derivatives per path.

    Paths run from root down to wrt and are listed up to max_paths (an int >= 0; counted
    exactly beyond, and written as 1.23e+4515 from EXACT_BELOW on); ``total`` sums every path
    in backward's order of accumulation, so it equals wrt.grad.
    """
    for name, v in (("root", root), ("wrt", wrt)):
        if not isinstance(v, Value):
            raise TypeError(f"explain: {name} must be a Value, got {type(v).__name__}")
    if isinstance(max_paths, bool) or not isinstance(max_paths, int):
        raise TypeError(
            f"explain: max_paths must be an int >= 0 (how many paths to list), "
            f"got {type(max_paths).__name__}"
        )
    if max_paths < 0:
        raise ValueError(
            f"explain: max_paths must be an int >= 0 (how many paths to list), got {max_paths}"
        )
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


def count_text(n: int) -> str:
    """A count of paths as text: exact below EXACT_BELOW, else 1.23e+4515 (three digits). The
    count of a graph that doubles 15,000 times has more digits than int → str converts."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"count_text: n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"count_text: n must be >= 0, got {n}")
    if n < EXACT_BELOW:
        return str(n)
    shift = max(n.bit_length() - 60, 0)  # log10 from the leading 60 bits
    log10 = math.log10(n >> shift) + shift * math.log10(2)
    exponent = math.floor(log10)
    mantissa = f"{10 ** (log10 - exponent):.3g}"
    if mantissa == "10":
        mantissa, exponent = "1", exponent + 1
    return f"{mantissa}e+{exponent}"


def _backward_total(root: Value, wrt: Value) -> float:
    """d root / d wrt by backward's own loop and order, so the last bit agrees with .grad."""
    return 1.0 if root is wrt else float(gradients(root, [wrt])[0])


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
    plain = is_symbol(name) or name.replace(".", "", 1).isdigit()
    return name if plain else f"({name})"


def expression_names(order: Sequence[Value], max_len: int = 24) -> dict[Value, str]:
    """A readable name per node: its label, a constant's value, or the expression that made it
    (``ops.text_form``: ``x·w + b``) while that stays within max_len characters, else a short
    symbol (``ShortNames``: z₁ for a sum, a₁ for an activation, u₁ otherwise)."""
    names: dict[Value, str] = {}
    short = ShortNames(max_len, taken=(v.label for v in order if v.label))
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
    while it stays within max_len characters. A longer one gets a symbol as the notes write
    them: z₁, z₂, ... for a sum or a dot product (a pre-activation), a₁, a₂, ... for an
    activation, u₁, u₂, ... for any other operation; the nodes after it then read ``u₁·x``,
    ``tanh(z₁)``. A symbol in ``taken`` (the graph's labels) is skipped."""

    def __init__(self, max_len: int, taken: Iterable[str] = ()) -> None:
        self.max_len = max_len
        self.taken = set(taken)
        self.counts: dict[str, int] = {}
        self.symbols: set[str] = set()  # the symbols given: atoms, never parenthesized

    def __call__(self, node: Value, names: Mapping[Value, str]) -> str:
        text = ops.text_form(node, [names[c] for c in node.children])
        for child in node.children:
            if names[child] in self.symbols:  # text_form parenthesizes a sum's name: z₁·x
                text = text.replace(f"({names[child]})", names[child])
        if len(text) <= self.max_len:
            return text
        op = ops.op_of(node)
        letter = "z" if op.notation in ("sum", "dot") else "a" if op.activation else "u"
        while True:
            k = self.counts[letter] = self.counts.get(letter, 0) + 1
            name = letter + str(k).translate(_SUBSCRIPTS)
            if name not in self.taken:
                self.taken.add(name)
                self.symbols.add(name)
                return name


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _elided(
    items: Sequence[_T], render: Callable[[_T], str], more: Callable[[int], str], keep: int = 6
) -> list[str]:
    """render(item) for each item; of a chain longer than 2·keep only the first and last keep,
    with more(n) for the n left out between (which are never rendered)."""
    if len(items) <= 2 * keep:
        return [render(item) for item in items]
    hidden = more(len(items) - 2 * keep)
    return [*map(render, items[:keep]), hidden, *map(render, items[-keep:])]


def _more(n: int) -> str:
    return f"…({n} more)…"


def _latex_more(n: int) -> str:
    return f"\\cdots_{{\\text{{({n} more)}}}}"


def wrap_name(name: str) -> str:
    """name as it reads after a d in dL/d..., parenthesized unless one symbol: dL/d(x·w)."""
    return name if is_symbol(name) else f"({name})"


_fmt = number_format(6)  # explain's numbers: 6 significant digits, as the drawings


def __getattr__(name: str) -> Any:
    """``Path``: the deprecated old name of ChainPath (it clashed with pathlib.Path)."""
    if name == "Path":
        warnings.warn(
            "Path is deprecated: use ChainPath (it clashed with pathlib.Path)",
            DeprecationWarning,
            stacklevel=2,
        )
        return ChainPath
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
