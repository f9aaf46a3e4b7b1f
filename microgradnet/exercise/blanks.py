"""What a sheet asks: blanks, their true answers, and the usual wrong answers of each.

    Blank("dL_dw", "grad", "w", "∂L/∂w")   a number: ∂root/∂w at the sheet's point
    Blank("u", "value", "u", "u = x·w + b") a number: the value of u
    Blank("dL_dw_formula", "formula", "w", ...)   ∂root/∂w as a formula (checked everywhere)
    close(a, b)                 right at the precision shown: equal to 4 significant digits, or
                                within 1e-3 relative
    candidates(blank, graph)    the usual mistakes as numbers: the opposite sign, a factor of 2
                                or ½, another node's value or gradient, a chain-rule path left
                                out or counted twice (explain's paths)

A wrong number gets a diagnosis only when exactly one candidate explains it; the templates
redraw their numbers until every candidate stands apart from the answer and from each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import ops
from .._format import number_format
from ..chain_rule import Explanation, explain
from .program import Graph, Program

PRECISION = 4  # significant digits shown on the sheets and the keys
RELATIVE = 1e-3  # a number within this relative distance is right too
MAX_PATHS = 20  # explain's paths tried as "left out" or "counted twice"
KINDS = ("value", "grad", "formula")

shown_number = number_format(PRECISION)


@dataclass(frozen=True)
class Blank:
    """One answer a sheet asks for: ``id`` as answer files name it, ``kind`` (a node's value,
    a gradient as a number, a gradient as a formula), ``of`` the node's alias (for a gradient,
    the node it is taken with respect to), ``asked`` as the sheet writes it, and for a formula
    the key's answer (``formula`` in ASCII, checked by the tests; ``shown`` in the notes'
    notation)."""

    id: str
    kind: str
    of: str
    asked: str
    formula: str = ""
    shown: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Blank: kind must be one of {KINDS}, got {self.kind!r}")


def truth(blank: Blank, graph: Graph) -> float:
    """The blank's true number at the sheet's point (a formula's value there)."""
    node = graph.nodes[blank.of]
    return node.data if blank.kind == "value" else node.grad


def close(a: float, b: float) -> bool:
    """True if a and b agree at the precision shown, or within RELATIVE of each other (an
    infinite or NaN number agrees with nothing but itself)."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    if shown_number(a) == shown_number(b):
        return True
    return abs(a - b) <= RELATIVE * max(abs(a), abs(b))


def candidates(
    blank: Blank, graph: Graph, program: Program, probe: Graph | None = None
) -> list[tuple[str, float]]:
    """The usual mistakes for blank as (diagnosis, the number it gives). With probe, the same
    graph at a nearby point: mistakes equal there too are the same quantity (∂L/∂b and ∂L/∂u
    when u = x·w + b), merged into one; one equal to the answer itself is left out."""
    found = _mistakes(blank, graph, program)
    if probe is None:
        return found
    t, t_probe = truth(blank, graph), truth(blank, probe)
    merged: list[tuple[list[str], float, float]] = []
    for (text, c), (_, c_probe) in zip(found, _mistakes(blank, probe, program)):
        if close(c, t) and close(c_probe, t_probe):
            continue  # the same quantity as the answer, written another way
        for texts, m, m_probe in merged:
            if close(c, m) and close(c_probe, m_probe):
                texts.append(text)
                break
        else:
            merged.append(([text], c, c_probe))
    return [(", or equally ".join(texts), c) for texts, c, _ in merged]


def _mistakes(blank: Blank, graph: Graph, program: Program) -> list[tuple[str, float]]:
    t = truth(blank, graph)
    this = shown(graph, blank.of)
    computed = [(a, v) for a, v in graph.nodes.items() if v.children]
    if blank.kind == "value":
        others = [(a, v) for a, v in computed if a != blank.of]
        return [("the opposite sign", -t)] + [
            (f"the value of {shown(graph, a)}, not of {this}", v.data) for a, v in others
        ]
    d = derivative_name(graph, blank.of)
    out = [(f"the opposite sign: it is −{d}", -t), (f"twice {d}", 2 * t), (f"half of {d}", t / 2)]
    leaves = [(n.alias, graph.nodes[n.alias]) for n in program.variables]
    out += [
        (f"{derivative_name(graph, a)}, the gradient of {shown(graph, a)}, not of {this}", v.grad)
        for a, v in (*leaves, *computed)
        if a != blank.of and v is not graph.root
    ]
    return out + path_mistakes(explain(graph.root, graph.nodes[blank.of], max_paths=MAX_PATHS), t)


def probe_point(program: Program, point: dict[str, float]) -> dict[str, float]:
    """A point near point (each variable moved by a few percent, each differently), where
    mistakes that agree by accident at point part, and those that are one quantity do not."""
    near = dict(point)
    for k, n in enumerate(program.variables, 1):
        near[n.alias] = point[n.alias] * 1.0317 + 0.0123 * k
    return near


def path_mistakes(e: Explanation, t: float) -> list[tuple[str, float]]:
    """A path of e left out (t − its product) or counted twice (t + its product)."""
    if not 2 <= e.n_paths <= MAX_PATHS:
        return []
    out = []
    for k, path in enumerate(e.paths, 1):
        text = e.path_text(path, d="∂")
        out.append((f"leaves out path {k}: {text}", t - path.product))
        out.append((f"counts path {k} twice: {text}", t + path.product))
    return out


def diagnosis(
    blank: Blank, graph: Graph, program: Program, probe: Graph | None, answer: float
) -> str | None:
    """The one usual mistake that explains answer, or None (none does, or several do)."""
    found = [text for text, c in candidates(blank, graph, program, probe) if close(answer, c)]
    return found[0] if len(found) == 1 else None


def shown(graph: Graph, alias: str) -> str:
    """A named node as the notes write it (its label)."""
    return graph.nodes[alias].label or alias


def derivative_name(graph: Graph, alias: str) -> str:
    """∂L/∂w in the notes' notation."""
    return f"∂{shown_name(graph.root.label or 'f')}/∂{shown_name(shown(graph, alias))}"


def shown_name(name: str) -> str:
    """name after a ∂, bracketed unless it is one symbol."""
    return name if _plain(name) else f"({name})"


def chain_formula(e: Explanation) -> str:
    """∂root/∂wrt as the sum over paths of the products of the local derivatives written as
    formulas (the op table's texts: o·(1 − o) for a sigmoid o); factors of 1 left out."""
    terms = []
    for path in e.paths:
        factors = []
        for a, b, i in zip(path.nodes, path.nodes[1:], path.operands):
            text = ops.derivative_text(
                a,
                i,
                [shown_name(e.names.get(c, "?")) for c in a.children],
                shown_name(e.names.get(a, "?")),
            )
            if text is None:
                text = f"∂{e.names.get(a, '?')}/∂{e.names.get(b, '?')}"
            if text != "1":
                factors.append(f"({text})" if _sum(text) else text)
        terms.append("·".join(factors) or "1")
    if e.n_paths > len(e.paths):
        terms.append("…")
    return " + ".join(terms) if terms else "0"


def _sum(text: str) -> bool:
    """True for text that needs brackets as a factor: a sum or a difference outside brackets,
    or a negative."""
    if text.startswith(("−", "-")):
        return True
    depth = 0
    for k, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and text[k : k + 3] in (" + ", " − ", " - "):
            return True
    return False


def _plain(text: str) -> bool:
    """True for a name or a number: no operator to bracket."""
    return not any(ch in text for ch in " +−-·*/")
