"""A safe parser from formula text, such as ``(x*w + b)**2``, to a Value graph.

The text is parsed by Python's ``ast`` (``mode="eval"``), never run: a first pass walks the tree
and refuses everything but numbers, the declared variables, the binary operators of the op table
(``OPERATORS``: ``+ - * / ** % //``, each an op whose record names the Python operator among
its methods), unary ``-`` and ``+``, and calls of the functions in ``FUNCTIONS`` (the op
table's functions; ops defined with ``define_op`` only when the caller passes
``custom_ops=True``); a second pass evaluates the tree into Values.
Both passes use an explicit stack, so nothing recurses, and inputs longer than ``MAX_LENGTH``
characters or nested deeper than ``MAX_DEPTH`` levels are refused before any arithmetic.

Numbers are floats from the start (``9**9**9**9`` overflows to inf at once instead of computing a
huge integer), and a subexpression of numbers alone is folded into one number by the engine's own
rules, so ``x ** -1`` has the number exponent -1 and ``1/0`` raises the engine's error.

References: Python's ``ast`` module; the engine's ``Value`` and ``Constant``; the op table.
"""

from __future__ import annotations

import ast
import operator
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from . import ops
from .engine import Constant, Value
from .ops import Op

MAX_LENGTH = 2000
MAX_DEPTH = 100
FUNCTIONS = tuple(ops.cli_functions())  # the built-in functions a formula may call

# Python's binary operators and the method each calls (the language's own table)
_PYTHON_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "__add__",
    ast.Sub: "__sub__",
    ast.Mult: "__mul__",
    ast.Div: "__truediv__",
    ast.Pow: "__pow__",
    ast.FloorDiv: "__floordiv__",
    ast.Mod: "__mod__",
    ast.MatMult: "__matmul__",
    ast.LShift: "__lshift__",
    ast.RShift: "__rshift__",
    ast.BitAnd: "__and__",
    ast.BitOr: "__or__",
    ast.BitXor: "__xor__",
}
# those a formula may use: an op of the table is called by the method (evaluated by Python's
# own operator function, so Values build the op's node and numbers fold by the engine's rules)
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    kind: getattr(operator, method)
    for kind, method in _PYTHON_OPERATORS.items()
    if any(method in op.methods for op in ops.OPS.values() if op.builtin and op.cli)
}
_OPERATOR_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.Not: "not",
    ast.Invert: "~",
}
OPERATORS = tuple(_OPERATOR_SYMBOLS[kind] for kind in _BINARY)  # "+", "-", ..., "%", "//"
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript",
    ast.Slice: "slice",
    ast.Lambda: "lambda",
    ast.JoinedStr: "f-string",
    ast.FormattedValue: "f-string",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "generator expression",
    ast.Compare: "comparison",
    ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression",
    ast.NamedExpr: "assignment expression",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.Starred: "starred expression",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class ExpressionError(ValueError):
    """The formula text was refused: its message names the construct and quotes the text."""


def parse_expression(
    text: str, variables: Mapping[str, Value], *, custom_ops: bool = False
) -> Value:
    """Build the Value graph of ``text`` with ``variables`` (name -> Value) as its leaves.

    With ``custom_ops=True`` the formula may also call the ops defined with ``define_op``
    (off by default: a formula string reaches only built-in functions unless asked).
    Raises ExpressionError for anything outside the grammar (the message names it), and the
    engine's ValueError or ZeroDivisionError for a math domain error such as ``log(-1)``.
    A formula of numbers alone gives a Constant.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_expression: text must be a str, got {type(text).__name__}")
    functions = ops.cli_functions(custom_ops=custom_ops)
    for name in variables:
        if name in functions:
            raise ExpressionError(f"variable name {name!r} is a function name; choose another")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long, over {MAX_LENGTH}")
    text = text.strip()  # Python's eval mode refuses leading blanks as an indent
    tree = _parse(text)
    nodes = _check(tree, text, variables, functions)
    result = _evaluate(nodes, text, variables, functions)
    return result if isinstance(result, Value) else Constant(result)


def normalize_name(name: str) -> str:
    """The name as Python's parser reads it (NFKC), so a declared ``ｘ`` matches ``x``."""
    return unicodedata.normalize("NFKC", name)


# -- pass 0: text to syntax tree ----------------------------------------------------------------


def _parse(text: str) -> ast.Expression:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about string escapes and the like
            return ast.parse(text, mode="eval")
    except SyntaxError as e:
        where = f" at column {e.offset}" if e.offset else ""
        raise ExpressionError(f"not a valid expression{where}: {e.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is too deeply nested for Python's parser") from None
    except ValueError as e:  # null bytes, on Python < 3.12
        raise ExpressionError(f"not a valid expression: {e}") from None


# -- pass 1: refuse everything outside the grammar ----------------------------------------------


def _check(
    tree: ast.Expression, text: str, variables: Mapping[str, Value], functions: Mapping[str, Op]
) -> list[ast.expr]:
    """Every node of tree.body, parents before children (pre-order), once each is allowed."""
    nodes: list[ast.expr] = []
    stack: list[tuple[ast.expr, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested more than {MAX_DEPTH} operations deep")
        children = _allowed_children(node, text, variables, functions)
        nodes.append(node)
        stack.extend((child, depth + 1) for child in reversed(children))
    return nodes


def _allowed_children(
    node: ast.expr, text: str, variables: Mapping[str, Value], functions: Mapping[str, Op]
) -> list[ast.expr]:
    """The operands of node if node is in the grammar; otherwise an ExpressionError."""
    if isinstance(node, ast.Constant):
        _number(node, text)
        return []
    if isinstance(node, ast.Name):
        if node.id in variables:
            return []
        if node.id in functions:
            raise ExpressionError(f"function {node.id!r} must be called, as {node.id}(x)")
        raise ExpressionError(
            f"name {node.id!r} is not declared; give it a value as {node.id}=VALUE"
        )
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ExpressionError(
                f"operator {_symbol(node.op)!r} is not allowed (in {_quote(node, text)})"
            )
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError(
                f"operator {_symbol(node.op)!r} is not allowed (in {_quote(node, text)})"
            )
        return [node.operand]
    if isinstance(node, ast.Call):
        return _call_arguments(node, text, functions)
    kind = _REFUSED.get(type(node), f"{type(node).__name__} expression")
    raise ExpressionError(f"{kind} {_quote(node, text)} is not allowed")


def _call_arguments(node: ast.Call, text: str, functions: Mapping[str, Op]) -> list[ast.expr]:
    func = node.func
    if not isinstance(func, ast.Name):
        raise ExpressionError(f"call of {_quote(func, text)} is not allowed")
    name = func.id
    if name not in functions:
        hint = (
            " (a custom op: the caller must allow custom ops)" if name in ops.custom_ops() else ""
        )
        raise ExpressionError(
            f"call of {name!r} is not allowed{hint}; the functions are {', '.join(functions)}"
        )
    if node.keywords:
        raise ExpressionError(
            f"keyword argument in {_quote(node, text)} is not allowed; pass arguments by position"
        )
    op = functions[name]
    least, most = op.arity, op.arity + len(op.params)
    if not least <= len(node.args) <= most:
        operands = ", ".join("xy"[: op.arity])
        wanted = f"{name}({operands})" + "".join(
            f" or {name}({operands}, {', '.join(op.param_names[: k + 1])})"
            for k in range(len(op.params))
        )
        count = f"{least} or {most} arguments" if most > least else _plural(least, "argument")
        raise ExpressionError(
            f"{name} takes {count}, got {len(node.args)} in {_quote(node, text)}; write {wanted}"
        )
    return list(node.args)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _number(node: ast.Constant, text: str) -> float:
    """A literal as a float; anything but an int or float literal is refused."""
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kinds = {bool: "boolean", complex: "complex number", str: "string", bytes: "bytes"}
        kind = kinds.get(type(value), "constant")
        raise ExpressionError(f"{kind} {_quote(node, text)} is not allowed; only real numbers")
    try:
        x = float(value)
    except OverflowError:
        raise ExpressionError(f"number {_quote(node, text)} is too large for a float") from None
    if x in (float("inf"), float("-inf")):
        raise ExpressionError(f"number {_quote(node, text)} is too large for a float")
    return x


# -- pass 2: evaluate, children before parents --------------------------------------------------


def _evaluate(
    nodes: list[ast.expr], text: str, variables: Mapping[str, Value], functions: Mapping[str, Op]
) -> Value | float:
    """Reversed pre-order puts each node after its operands: one loop, no recursion."""
    results: dict[ast.expr, Value | float] = {}
    for node in reversed(nodes):
        out: Value | float
        if isinstance(node, ast.Constant):
            out = _number(node, text)
        elif isinstance(node, ast.Name):
            out = variables[node.id]
        elif isinstance(node, ast.UnaryOp):
            a = results.pop(node.operand)
            out = -a if isinstance(node.op, ast.USub) else a
        elif isinstance(node, ast.BinOp):
            a, b = results.pop(node.left), results.pop(node.right)
            out = _fold(_BINARY[type(node.op)], a, b)
        else:
            assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            args = [results.pop(arg) for arg in node.args]
            out = _function(functions[node.func.id], args, node, text)
        results[node] = out
    return results[nodes[0]]


def _fold(op: Callable[[Any, Any], Any], a: Value | float, b: Value | float) -> Value | float:
    """a op b; two numbers go through a Constant, so the engine's rules and errors apply."""
    if isinstance(a, Value) or isinstance(b, Value):
        out: Value = op(a, b)
        return out
    return float(op(Constant(a), b).data)


def _function(op: Op, args: list[Value | float], node: ast.Call, text: str) -> Value | float:
    operands, params = args[: op.arity], args[op.arity :]
    for p, name in zip(params, op.param_names):
        if isinstance(p, Value):
            raise ExpressionError(
                f"{op.name}'s {name} must be a number, not an expression of variables, "
                f"in {_quote(node, text)}"
            )
    values = [x if isinstance(x, Value) else Constant(x) for x in operands]
    out = ops.apply(op.name, *values, *params)
    return out if any(isinstance(x, Value) for x in operands) else out.data


# -- messages -----------------------------------------------------------------------------------


def _quote(node: ast.AST, text: str, limit: int = 40) -> str:
    """The source of node, quoted on one line (repr escapes newlines) and cut to limit chars."""
    segment = ast.get_source_segment(text, node) or type(node).__name__
    if len(segment) > limit:
        segment = segment[: limit - 1] + "…"
    return repr(segment)


def _symbol(op: ast.AST) -> str:
    return _OPERATOR_SYMBOLS.get(type(op), type(op).__name__)
