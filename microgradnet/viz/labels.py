"""The text of the drawings, safe for Graphviz: labels of any content are shown as written.

    escape_lines(text)   text as the lines of an HTML-like label: markup escaped, line breaks
                         kept, control characters and lone surrogates as \\xNN, backslashes
                         doubled so dot draws \\N, \\G, \\L as written
    dot_escape(text)     text inside a quoted DOT string (edge labels), on one line
    html_label(lines)    escaped lines joined as an HTML-like label
    partial(top, name)   ∂L/∂w in the notes' notation, expressions in parentheses
    gradient(fmt, g)     a gradient's number: "?" before it is computed, "1 (seed)" for the seed
    local_text(...)      the local derivative on an edge: ∂=0.24, or its formula

Every text a drawing shows goes through these, so labels of any content are shown as written.
"""

from __future__ import annotations

import html
import math
import re

from .. import ops
from .._format import Format
from ..engine import Value

MAX_LABEL = 200  # characters of a label drawn; longer ones end in "…"
MAX_LINES = 8
SHORT_NAME = 12  # characters; a longer name gets its value on a line of its own
MAX_FORMULA = 40  # characters of a derivative formula on an edge; longer ones give the value

_UNPRINTABLE = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_SYMBOL = re.compile(r"[^\W\d][\w.₀-₉]*|\d[\d.]*(?:e[+-]?\d+)?")  # a name or a number ≥ 0


def escape_lines(text: str) -> list[str]:
    """text as HTML-label lines: line breaks (\\n, \\r, \\u2028, ...) break lines, markup
    characters are escaped, characters XML cannot hold (control characters, lone surrogates)
    show as \\xNN escapes, tabs as four spaces, "]" as a character reference (dot's parser
    fails on a line that starts with it), backslashes doubled (dot reads "\\\\" as one
    backslash, so \\N, \\G, \\L are drawn as written, not expanded to the node's or the
    graph's name); empty lines stay (a space); very long labels end in "…"."""
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    lines = _BREAKS.split(text)
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], "…"]
    out = []
    for line in lines:
        escaped = html.escape(visible(line).replace("\t", "    "), quote=True)
        escaped = escaped.replace("\\", "\\\\").replace("]", "&#93;")  # dot rejects ">]"
        out.append(escaped if escaped.strip() else " ")
    return out


def visible(text: str) -> str:
    """text with control characters and lone surrogates written as \\xNN escapes."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def dot_escape(text: str) -> str:
    """text inside a quoted DOT string, on one line: backslashes doubled (drawn as written, not
    read as dot's escapes \\N, \\G, ...), quotes escaped, line breaks as spaces, unprintable
    characters as \\xNN."""
    text = visible(_BREAKS.sub(" ", text))
    return text.replace("\\", "\\\\").replace('"', '\\"')


def one_line(text: str) -> str:
    """text escaped as escape_lines does, its lines joined by spaces (for ∂L/∂name lines)."""
    return " ".join(escape_lines(text))


def html_label(lines: list[str]) -> str:
    """Already escaped lines joined as a Graphviz HTML-like label."""
    return "<" + ("<BR/>".join(lines) or " ") + ">"


def wrap(name: str) -> str:
    """name after a ∂ (∂L/∂w, ∂L/∂layers.0.neurons.1.b), parenthesized if it is an expression."""
    return name if _SYMBOL.fullmatch(name) else f"({name})"


def partial(top: str, name: str) -> str:
    """∂top/∂name in the notes' notation (∂L/∂w, ∂L/∂(x·w))."""
    return f"∂{wrap(top)}/∂{wrap(name)}"


def gradient(fmt: Format, g: float | None, *, seed: bool = False) -> str:
    """A gradient as a box shows it: its number, "?" while none has arrived (unknown is not
    zero), "1 (seed)" for the seed of the backward pass."""
    if g is None:
        return "?"
    return f"{fmt(g)} (seed)" if seed else fmt(g)


def gradients(fmt: Format, gs: list[float | None], *, seed: bool = False) -> str:
    """The gradients of a group's outputs (as ``vector`` writes them), "?" until all have
    arrived."""
    known = [g for g in gs if g is not None]
    if len(known) < len(gs):
        return "?"
    return f"{vector(fmt, known)} (seed)" if seed else vector(fmt, known)


def local_text(
    fmt: Format, formulas: bool, v: Value, js: list[int], names: tuple[list[str], str], d: float
) -> str:
    """The local derivative d on the edge from operands js (one operand in one or more slots:
    x·x reads x twice) into v: ∂=0.24, or with formulas ∂o₂/∂h₂ = o₂·(1 − o₂) = 0.24 (the
    formula from the op table; 2·x for a Value read in two slots); names: v's operands' names
    and v's own."""
    value = fmt(d)
    if not formulas:
        return f"∂={value}"
    operands, own = names
    out, child = wrap(own), wrap(operands[js[0]])
    wrapped = [wrap(n) for n in operands]
    texts = [ops.derivative_text(v, j, wrapped, out) for j in js]
    text = None if None in texts else _slot_sum([t for t in texts if t is not None])
    partial_name = f"∂{out}/∂{child}"
    if len(partial_name) > MAX_FORMULA:  # long expression names: the value alone reads better
        return f"∂={value}"
    if (
        text is None
        or text.replace("−", "-") == value
        or len(partial_name) + len(text) > MAX_FORMULA
    ):
        return f"{partial_name} = {value}"
    return f"{partial_name} = {text} = {value}"


def _slot_sum(texts: list[str]) -> str:
    """The local derivatives of one operand's slots added: x, 2·x, x + 1."""
    if len(texts) == 1:
        return texts[0]
    if len(set(texts)) == 1:
        return f"{len(texts)}·{wrap(texts[0])}"
    return " + ".join(texts)


def vector(fmt: Format, xs: list[float]) -> str:
    """One number, up to three in brackets, or the norm of more."""
    if len(xs) == 1:
        return fmt(xs[0])
    if len(xs) <= 3:
        return "[" + ", ".join(fmt(x) for x in xs) + "]"
    return f"‖·‖ {fmt(math.hypot(*xs))}"
