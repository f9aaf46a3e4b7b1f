"""Formula text as LaTeX math: names, numbers, + - · / ^ ** ², subscripts and functions.

Used by ``Explanation.to_latex``: ``latex_text("o₂·(1 − o₂)")`` is ``o_{2} \\cdot (1 - o_{2})``.
"""

from __future__ import annotations

import re

from ._format import number_format

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
SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_LATEX_TOKEN = re.compile(
    r"[A-Za-z][A-Za-z0-9_]*|\d+\.?\d*(?:e[+-]?\d+)?|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+|[₀₁₂₃₄₅₆₇₈₉]+|\*\*|.",
    re.DOTALL,
)


def latex_text(text: str) -> str:
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
            out.append(f"^{{{latex_text(''.join(tokens[k:end]))}}}")
            k = end
        elif token[0] in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻":
            out.append(f"^{{{token.translate(_SUPERSCRIPTS)}}}")
        elif token[0] in "₀₁₂₃₄₅₆₇₈₉":
            out.append(f"_{{{token.translate(SUBSCRIPTS)}}}")
        elif token[0].isascii() and token[0].isalpha():
            out.append(latex_identifier(token))
        elif token[0].isascii() and token[0].isdigit():
            out.append(latex_number_text(token))
        else:
            out.append(_LATEX_CHARS.get(token, token))
    return "".join(out)


def latex_identifier(name: str) -> str:
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


def latex_number_text(text: str) -> str:
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}" if e else text


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


def latex_elide(factors: list[str], keep: int = 6) -> str:
    if len(factors) > 2 * keep:
        hidden = len(factors) - 2 * keep
        factors = [*factors[:keep], f"\\cdots_{{\\text{{({hidden} more)}}}}", *factors[-keep:]]
    return r" \cdot ".join(factors)


def is_symbol(name: str) -> bool:
    """True for one symbol such as x, w1, w₁, y_hat, ŷ; False for an expression (x·w, x²)."""
    return "·" not in name and name.translate(SUBSCRIPTS).isidentifier()


_six_digits = number_format(6)  # explain's numbers: 6 significant digits, as the drawings
