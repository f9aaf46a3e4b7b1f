"""How an op's node is written: the readers that drawings, explain, the step texts and the
formula grammar use, each reading the node's record in the op table.

- ``glyph(node)``: the op as drawn in a graph node: ``"+"``, ``"×"``, ``"tanh"``, ``"²"`` for a
  power with the constant exponent 2, ``"^"`` for other powers, ``"Σ"``, ``"·"`` for dot.
- ``text_form(node, operand_texts)``: the node as an expression, parenthesized by precedence:
  ``"-(-z)"``, ``"x·w + b"``, ``"tanh(h)"``, ``"x²"``, ``"leaky_relu(z, 0.1)"``.
- ``derivative_text(node, i, operand_names, out_name)``: ∂node/∂(operand i) as the notes write
  it: ``"o₁"`` for ∂(o₁·w₂)/∂w₂, ``"o·(1 − o)"`` for a sigmoid o, ``"1 − t²"`` for a tanh t,
  ``"3·x²"`` for x**3; None where the op has no text.
- ``constant_operands(node)``: indices of the operands drawn as part of the op (the constant
  exponent of x**2), so drawings need no separate node for them.
- ``parameters(node)``: the op's parameters on the node (leaky_relu's alpha).
- ``latex_name(op_name)``: the op as a LaTeX function name (``\\tanh``), or None.
- ``cli_functions()``: the ops a formula string may call, by name.
"""

from __future__ import annotations

from collections.abc import Sequence

from .engine import Constant, Value, op_of
from .optable import (
    ATOM,
    OPS,
    POWER,
    PREFIX,
    PRODUCT,
    SUM,
    NodeFacts,
    Op,
    constant_exponent,
    fmt,
    ops_snapshot,
    superscript,
)


def facts(node: Value) -> NodeFacts:
    """What the record's text and glyph functions may know of node."""
    kids = node.children
    return NodeFacts(
        tuple(float(c.data) for c in kids),
        tuple(type(c) is Constant for c in kids),
        node.op_params,
    )


def _record(node: Value) -> Op | None:
    try:
        return op_of(node)
    except ValueError:
        return None


def parameters(node: Value) -> tuple[float, ...]:
    """The op's parameters on node, in the record's order: (alpha,) for leaky_relu, else ()."""
    return node.op_params


def glyph(node: Value) -> str:
    """The op as drawn inside a graph node: "+", "×", "tanh", "²", "^", "Σ", "·", ..."""
    op = _record(node)
    if op is None:  # a custom op undefined since the node was made: its name
        return str(node.op)
    g = op.glyph
    return g(facts(node)) if callable(g) else g or op.name


def precedence(node: Value) -> int:
    """How tightly node's text form binds (ATOM for leaves and calls)."""
    op = _record(node)
    if op is None:
        return PREFIX if not node.op and node.data < 0 else ATOM
    if op.notation == "power" and constant_exponent(facts(node)) is not None:
        return POWER
    return op.precedence


def text_form(node: Value, operand_texts: Sequence[str]) -> str:
    """node as an expression of its operands' texts, parenthesized where precedence needs it.

    An operand's precedence is read from the operand node (a labelled node or a leaf is one
    symbol): ``x·w + b``, ``-(-z)``, ``(a + b)²``, ``tanh(h)``, ``leaky_relu(z, 0.1)``.
    """
    texts = list(operand_texts)
    op = _record(node)
    if op is None:  # a custom op undefined since the node was made
        return f"{node.op}({', '.join(texts)})"
    if op.text is not None:
        return op.text(texts)
    kids = node.children

    def part(i: int, outer: int, strict: bool = False) -> str:
        t = texts[i]
        inner = ATOM if kids[i].label else precedence(kids[i])
        if t.startswith("-") and not kids[i].label:
            inner = min(inner, PREFIX)
        return f"({t})" if inner < outer or (strict and inner == outer) else t

    if op.notation == "infix":
        p = op.precedence
        sep = f" {op.symbol} " if p == SUM else op.symbol
        return f"{part(0, p)}{sep}{part(1, p, strict=True)}"
    if op.notation == "prefix":
        return f"{op.symbol}{part(0, PREFIX, strict=True)}"
    if op.notation == "power":
        y = constant_exponent(facts(node))
        sup = superscript(y) if y is not None and y >= 0 else None
        base = part(0, POWER, strict=True)
        return f"{base}{sup}" if sup is not None else f"{base}^{part(1, POWER)}"
    if op.notation == "abs":
        return f"|{texts[0]}|"
    if op.notation == "sum":
        return " + ".join(part(i, SUM) for i in range(len(texts)))
    if op.notation == "dot":
        n = len(texts) // 2
        terms = [f"{part(i, PRODUCT)}·{part(n + i, PRODUCT, True)}" for i in range(n)]
        return " + ".join(terms + ([part(2 * n, SUM)] if len(texts) % 2 else []))
    args = texts[: len(kids)] + [fmt(p) for p in node.op_params]
    return f"{op.name}({', '.join(args)})"


def derivative_text(node: Value, i: int, operand_names: Sequence[str], out_name: str) -> str | None:
    """∂node/∂(operand i) as text in the lecture notes' notation, or None if the op has none.

    Operands are written by operand_names and the result by out_name: for h₂ = o₁·w₂,
    ``derivative_text(h₂, 1, ["o₁", "w₂"], "h₂") == "o₁"``; for a sigmoid o it is
    ``"o·(1 − o)"``, for a tanh t ``"1 − t²"``, for x**3 ``"3·x²"``. At a kink the text is the
    value the engine uses there (relu: "1" or "0").
    """
    op = _record(node)
    texts = None if op is None else op.derivative_texts
    if texts is None:
        return None
    return texts(facts(node), list(operand_names), out_name)[i]


def constant_operands(node: Value) -> tuple[int, ...]:
    """Indices of operands drawn as part of the op: the constant exponent of a power."""
    op = _record(node)
    if op is not None and op.notation == "power" and constant_exponent(facts(node)) is not None:
        return (1,)
    return ()


def latex_name(op_name: str) -> str | None:
    """The op as a LaTeX function name (``\\tanh``, ``\\sigma``), or None if it has none."""
    op = OPS.get(op_name)
    return op.latex or None if op is not None else None


def cli_functions(*, custom_ops: bool = False) -> dict[str, Op]:
    """The ops a formula string may call as name(x[, params]), by name."""
    return {
        op.name: op
        for op in ops_snapshot()
        if op.cli and op.notation in ("call", "abs") and (op.builtin or custom_ops)
    }


def custom_ops() -> dict[str, Op]:
    """The ops defined with define_op in this session, by name."""
    return {op.name: op for op in ops_snapshot() if not op.builtin}
