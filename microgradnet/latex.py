"""Formula text as LaTeX math: names, numbers, + - · / ^ ** ² // %, subscripts and functions.

Used by ``Explanation.to_latex``: ``latex_text("o₂·(1 − o₂)")`` is ``o_{2} \\cdot (1 - o_{2})``.
A function is written as its op record's ``latex`` name (``tan`` as ``\\tan``), else as
``\\operatorname{name}``.
"""

from __future__ import annotations

import re
import unicodedata

from ._format import number_format
from .optable import OPS

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
    "π": r"\pi ",
    "Φ": r"\Phi ",
    "φ": r"\varphi ",
    "//": r"\mathbin{//}",
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
SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_LATEX_TOKEN = re.compile(
    r"[A-Za-z][A-Za-z0-9_]*|\d+\.?\d*(?:e[+-]?\d+)?|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+|[₀₁₂₃₄₅₆₇₈₉]+|\*\*|//|.",
    re.DOTALL,
)


def latex_text(text: str) -> str:
    """Formula text (names, numbers, + - · / ^ ** ², functions) as LaTeX math; line breaks and
    other blanks as spaces (a blank line would end the math), control characters as \\xNN."""
    if not isinstance(text, str):
        raise TypeError(f"latex_text: text must be a str, got {type(text).__name__}")
    tokens = _LATEX_TOKEN.findall(text)
    closing = _closing_parentheses(tokens)
    out: list[str] = []
    ends: list[int] = []  # where each open exponent group ends, innermost last
    k = 0
    while k < len(tokens):
        while ends and ends[-1] <= k:
            out.append("}")
            ends.pop()
        token = tokens[k]
        k += 1
        if token in ("^", "**"):  # the exponent: the next token, or the next (...) group
            limit = ends[-1] if ends else len(tokens)  # within the enclosing group
            start = k + (k < limit and tokens[k] in "-−")  # a sign goes along
            end = min(closing.get(start, start) + 1, limit) if start < limit else start
            if end > k:
                out.append("^{")
                ends.append(end)
            else:
                out.append("^{}")
        elif token[0] in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻":
            out.append(f"^{{{token.translate(_SUPERSCRIPTS)}}}")
        elif token[0] in "₀₁₂₃₄₅₆₇₈₉":
            out.append(f"_{{{token.translate(SUBSCRIPTS)}}}")
        elif token[0].isascii() and token[0].isalpha():
            out.append(latex_identifier(token))
        elif token[0].isascii() and token[0].isdigit():
            out.append(latex_number_text(token))
        else:
            out.append(_latex_char(token))
    out += "}" * len(ends)
    return "".join(out)


def _closing_parentheses(tokens: list[str]) -> dict[int, int]:
    """The index of the ")" closing each "(" (len(tokens) for one left open), in one pass."""
    closing: dict[int, int] = {}
    opened: list[int] = []
    for i, token in enumerate(tokens):
        if token == "(":
            opened.append(i)
        elif token == ")" and opened:
            closing[opened.pop()] = i
    closing.update((i, len(tokens)) for i in opened)
    return closing


def _latex_char(char: str) -> str:
    if char in _LATEX_CHARS:
        return _LATEX_CHARS[char]
    if char.isspace():
        return " "
    if unicodedata.category(char) == "Cc":
        return f"\\backslash x{ord(char):02x}"
    return char


def latex_identifier(name: str) -> str:
    """w1 → w_{1}, y_hat → \\hat{y}, tanh → \\tanh, relu → \\operatorname{relu}."""
    op = OPS.get(name)
    if op is not None and op.latex:  # a function: its op record's LaTeX name
        return op.latex
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


def latex_number_text(text: str) -> str:
    """1.5e-07 as 1.5 \\times 10^{-7}: the exponent's digits as text (a label may hold an
    exponent of thousands of digits, more than int() converts)."""
    mantissa, e, exponent = text.partition("e")
    if not e:
        return text
    digits = exponent.lstrip("+-").lstrip("0")
    sign = "-" if exponent.startswith("-") and digits else ""
    return f"{mantissa} \\times 10^{{{sign}{digits or '0'}}}"


def latex_number(x: float) -> str:
    text = _six_digits(x)
    if text in ("inf", "-inf", "nan"):
        return {"inf": r"\infty", "-inf": r"-\infty", "nan": r"\mathrm{NaN}"}[text]
    sign = "-" if text.startswith("-") else ""
    return sign + latex_number_text(text.lstrip("-"))


def latex_partial(top: str, var: str) -> str:
    return f"\\frac{{\\partial {latex_operand(top)}}}{{\\partial {latex_operand(var)}}}"


def latex_operand(name: str) -> str:
    return latex_text(name) if is_symbol(name) else f"({latex_text(name)})"


def latex_tag(tag: str) -> str:
    return f"\\big|_{{\\text{{{tag.strip(' ()')}}}}}" if tag else ""


def is_symbol(name: str) -> bool:
    """True for one symbol such as x, w1, w₁, y_hat, ŷ; False for an expression (x·w, x²)."""
    return "·" not in name and name.translate(SUBSCRIPTS).isidentifier()


_six_digits = number_format(6)  # explain's numbers: 6 significant digits, as the drawings
