"""Predict, then reveal: the questions of a step-through quiz, their answers and the usual
mistakes, all computed when the page is made (the page only compares numbers).

    forward_questions(root)            {forward step k: Question}: the value each computed
                                       node gets
    backward_questions(root, kind)     {backward step k: Question}: what each node passes back
                                       to each operand that is not a constant (kind "push":
                                       local derivative × its gradient), or its local
                                       derivatives (kind "local")
    right_range(t)                     the numbers counted right for t, as one interval

An answer is right when it equals the true number at the precision shown (PRECISION significant
digits) or is within RELATIVE of it: ``exercise.blanks.close``, the rule the exercise sheets
are graded by, which holds on an interval around the number (``right_range``). A wrong answer
gets a diagnosis only when exactly one usual mistake explains it by the same rule: the opposite
sign, a factor of 2 or ½, the local derivative of another edge, a path into the node left out
(its gradient sums several uses), the local derivative or the gradient alone, the total instead
of what the step adds, an operand's value instead of the result. Mistakes that give the right
number are left out.

This is practice, not an exam: the answers are in the page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import ops
from ._format import Format, number_format
from .engine import Value
from .exercise.blanks import PRECISION, RELATIVE, close, shown_number
from .steps import BackwardStep, ForwardStep, Push, backward_steps, forward_steps
from .viz.labels import local_text, partial, visible, wrap

KINDS = ("push", "local")
MAX_ANSWER = 40  # characters the page reads of a typed answer

__all__ = ["KINDS", "PRECISION", "RELATIVE", "Ask", "Mistake", "Question", "right_range"]


@dataclass(frozen=True)
class Mistake:
    """A usual mistake: what it is, and the number it gives."""

    text: str
    number: float


@dataclass(frozen=True)
class Ask:
    """One input: ``label`` beside it ("∂L/∂x +="), ``name`` read by a screen reader, the true
    number and its text at the stepper's precision, the usual mistakes, the hint and the
    step's arithmetic shown once it is answered or revealed."""

    label: str
    name: str
    truth: float
    shown: str
    mistakes: tuple[Mistake, ...]
    hint: str
    reveal: str

    def right(self, answer: float) -> bool:
        return close(answer, self.truth)

    def diagnosis(self, answer: float) -> str | None:
        """The one usual mistake that explains a wrong answer, or None (none or several do)."""
        if self.right(answer):
            return None
        found = [m.text for m in self.mistakes if close(answer, m.number)]
        return found[0] if len(found) == 1 else None

    def page_data(self) -> dict[str, Any]:
        """As the page reads it: the ranges counted right (r) and each mistake's (m)."""
        return {
            "l": self.label,
            "n": self.name,
            "v": self.shown,
            "r": list(right_range(self.truth)),
            "m": [[*right_range(m.number), m.text] for m in self.mistakes],
            "h": self.hint,
            "a": self.reveal,
        }


@dataclass(frozen=True)
class Question:
    """What a step asks before it shows its result: the prompt and one Ask per input."""

    prompt: str
    asks: tuple[Ask, ...]

    def page_data(self) -> dict[str, Any]:
        return {"t": self.prompt, "a": [a.page_data() for a in self.asks]}


def right_range(t: float) -> tuple[float, float]:
    """The numbers a with close(a, t), an interval around the finite t: its two ends, each
    the last float close to t (so the page's comparison is the grader's). Found from the two
    rules' own ends (1e-3 relative; equal at PRECISION digits), then checked float by float
    with close itself."""
    if not math.isfinite(t):
        raise ValueError(f"right_range: the true number must be finite, got {t!r}")
    if t == 0:
        return (0.0, 0.0)
    relative = sorted((t * (1 - RELATIVE), t / (1 - RELATIVE)))
    shown = float(shown_number(t))
    half = 0.5 * 10.0 ** (math.floor(math.log10(abs(shown))) - PRECISION + 1)
    lo, hi = min(relative[0], shown - half), max(relative[1], shown + half)
    return range_end(t, lo, -math.inf), range_end(t, hi, math.inf)


MAX_WALK = 64  # floats walked from an estimated end before bisecting


def range_end(t: float, guess: float, outward: float) -> float:
    """The last float close to t from t toward outward, starting near it at guess."""
    x = guess
    for _ in range(MAX_WALK):
        if not close(x, t):
            x = math.nextafter(x, t)  # outside: step in
            continue
        beyond = math.nextafter(x, outward)
        if not close(beyond, t):
            return x
        x = beyond
    far = t + math.copysign(20 * RELATIVE * abs(t), outward)  # outside by either rule
    inside, outside = (x, far) if close(x, t) else (t, x)  # the estimate was far off: bisect
    while True:
        mid = inside + (outside - inside) / 2
        if mid in (inside, outside):
            return inside
        if close(mid, t):
            inside = mid
        else:
            outside = mid


def kind_of(quiz: object) -> str | None:
    """The kind of quiz a Stepper's quiz argument asks for: None, "push" or "local"."""
    if quiz is False or quiz is None:
        return None
    if quiz is True:
        return "push"
    if not isinstance(quiz, str):
        raise TypeError(f"Stepper: quiz must be False, True or 'local', got {type(quiz).__name__}")
    if quiz == "local":
        return "local"
    raise ValueError(f"Stepper: quiz must be False, True or 'local', got {quiz!r}")


# -- forward ---------------------------------------------------------------------------------


def forward_questions(root: Value, precision: int = 4) -> dict[int, Question]:
    """The value of each computed node of the forward pass, by forward step."""
    out = {}
    for step in forward_steps(root):
        if step.node.children and math.isfinite(step.data):
            out[step.k] = _forward(step, precision)
    return out


def _forward(step: ForwardStep, precision: int) -> Question:
    fmt = number_format(precision)
    name, t = step.names[step.node], step.data
    mistakes = [*_scaled(t, "the result"), *_operand_values(step, name)]
    ask = Ask(
        label=visible(f"{name} ="),
        name=visible(f"{name}: its value"),
        truth=t,
        shown=fmt(t),
        mistakes=_kept(mistakes, t),
        hint=visible(f"{name} = {step.formula(precision)}"),
        reveal=visible(step.text(precision).split(": ", 1)[1]),
    )
    prompt = f"step {step.k}: {name} = ?\nCompute it from its operands and type it."
    return Question(visible(prompt), (ask,))


def _operand_values(step: ForwardStep, name: str) -> list[Mistake]:
    folded = ops.constant_operands(step.node)
    seen: list[Value] = []
    for i, c in enumerate(step.node.children):
        if i not in folded and not any(c is s for s in seen):
            seen.append(c)
    return [
        Mistake(f"the value of its operand {step.names[c]}, not of {name}", c.data) for c in seen
    ]


# -- backward --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Edge:
    """What a step sends to one operand (x·x sends to x twice: one edge)."""

    child: Value
    pushes: tuple[tuple[int, Push], ...]  # (index among the step's pushes, push)
    local: float
    contribution: float
    total: float


def backward_questions(root: Value, kind: str = "push", precision: int = 4) -> dict[int, Question]:
    """What each computed node of the backward pass sends to its operands that are not
    constants (kind "push") or their local derivatives (kind "local"), by backward step."""
    if kind not in KINDS:
        raise ValueError(f"backward_questions: kind must be one of {KINDS}, got {kind!r}")
    arrived: dict[Value, list[tuple[str, float]]] = {}  # node -> (reader, contribution) so far
    out = {}
    for step in backward_steps(root):
        edges = _edges(step)
        if edges and all(math.isfinite(e.contribution) for e in edges):
            out[step.k] = _backward(step, edges, arrived.get(step.node, []), kind, precision)
        for e in edges:
            arrived.setdefault(e.child, []).append((step.names[step.node], e.contribution))
    return out


def _edges(step: BackwardStep) -> list[_Edge]:
    by_child: list[list[tuple[int, Push]]] = []
    for i, p in enumerate(step.pushes):
        same = [group for group in by_child if group[0][1].child is p.child]
        if same:
            same[0].append((i, p))
        else:
            by_child.append([(i, p)])
    return [
        _Edge(
            group[0][1].child,
            tuple(group),
            math.fsum(p.local for _, p in group),
            math.fsum(p.contribution for _, p in group),
            group[-1][1].total,
        )
        for group in by_child
    ]


def _backward(
    step: BackwardStep,
    edges: list[_Edge],
    arrived: list[tuple[str, float]],
    kind: str,
    precision: int,
) -> Question:
    fmt = number_format(precision)
    head = step.text(precision).splitlines()[0]
    if kind == "push":
        asks = tuple(_push_ask(step, e, arrived, fmt, precision) for e in edges)
        prompt = f"{head}\nWhat does it pass back to each operand?"
    else:
        asks = tuple(_local_ask(step, e, fmt) for e in edges)
        prompt = f"{head}\nWhat is its local derivative with respect to each operand?"
    return Question(visible(prompt), asks)


def _push_ask(
    step: BackwardStep,
    e: _Edge,
    arrived: list[tuple[str, float]],
    fmt: Format,
    precision: int,
) -> Ask:
    names, node, g = step.names, step.node, step.grad
    top, name, child = step.top, names[node], names[e.child]
    grad_child, grad_node = partial(top, child), partial(top, name)
    local = f"∂{wrap(name)}/∂{wrap(child)}"
    lines = step.text(precision).splitlines()
    mistakes = [*_scaled(e.contribution, "the right number")]
    mistakes += [
        Mistake(f"the local derivative of the edge into {o} ({d_text}) times {grad_node}", d * g)
        for o, d_text, d in _other_edges(step, e, fmt)
    ]
    mistakes += [
        Mistake(f"the local derivative {local} alone, not times {grad_node}", e.local),
        Mistake(f"{grad_node} alone, not times the local derivative {local}", g),
    ]
    if len(arrived) > 1:
        mistakes += [
            Mistake(
                f"{grad_node} without the path through {reader} ({grad_node} sums "
                f"{len(arrived)} uses of {name})",
                e.local * (g - share),
            )
            for reader, share in arrived
        ]
    if e.total != e.contribution:
        before = fmt(e.total - e.contribution)
        mistakes.append(
            Mistake(
                f"the total {grad_child} after this step ({before} + it), not what it adds", e.total
            )
        )
    reads = f" ({child} is read {len(e.pushes)} times)" if len(e.pushes) > 1 else ""
    return Ask(
        label=visible(f"{grad_child} +="),
        name=visible(f"{grad_child}: what {name} passes back to {child}"),
        truth=e.contribution,
        shown=fmt(e.contribution),
        mistakes=_kept(mistakes, e.contribution),
        hint=visible(
            f"the local derivative {local} = {fmt(e.local)}{reads} and the upstream gradient "
            f"{grad_node} = {fmt(g)}: multiply them"
        ),
        reveal=visible("; ".join(lines[1 + i].strip() for i, _ in e.pushes)),
    )


def _local_ask(step: BackwardStep, e: _Edge, fmt: Format) -> Ask:
    names, node = step.names, step.node
    name, child = names[node], names[e.child]
    local = f"∂{wrap(name)}/∂{wrap(child)}"
    mistakes = [*_scaled(e.local, "the right number")]
    mistakes += [
        Mistake(f"the local derivative of the edge into {o} ({d_text}), not into {child}", d)
        for o, d_text, d in _other_edges(step, e, fmt)
    ]
    mistakes += [
        Mistake(
            f"what {name} passes back ({local} × {partial(step.top, name)}), not {local} alone",
            e.contribution,
        ),
        Mistake(f"the value of {name}, not its derivative", node.data),
    ]
    operands = [names[c] for c in node.children]
    slots = [i for i, c in enumerate(node.children) if c is e.child]
    return Ask(
        label=visible(f"{local} ="),
        name=visible(f"{local}: the local derivative of {name} with respect to {child}"),
        truth=e.local,
        shown=fmt(e.local),
        mistakes=_kept(mistakes, e.local),
        hint=visible(_formula_hint(node, slots, operands, name, local)),
        reveal=visible(local_text(fmt, True, node, slots, (operands, name), e.local)),
    )


def _formula_hint(node: Value, slots: list[int], operands: list[str], name: str, local: str) -> str:
    """The rule of the op for these operand slots, at the values of the forward pass."""
    wrapped = [wrap(n) for n in operands]
    texts = [ops.derivative_text(node, j, wrapped, wrap(name)) for j in slots]
    if None in texts:
        return f"{local}: the derivative of {ops.glyph(node)} at the values of the forward pass"
    rule = " + ".join(t for t in texts if t is not None)
    return f"{local} = {rule}, at the values of the forward pass"


def _other_edges(step: BackwardStep, e: _Edge, fmt: Format) -> list[tuple[str, str, float]]:
    """The other drawn operands of the step's node: (name, local derivative as text, value),
    constants included (their edge is drawn, though nothing is sent along it)."""
    node, folded = step.node, ops.constant_operands(step.node)
    out: list[tuple[Value, float]] = []
    for i, (c, d) in enumerate(zip(node.children, node.local_grads)):
        if i in folded or c is e.child:
            continue
        known = [k for k, (v, _) in enumerate(out) if v is c]
        if known:
            out[known[0]] = (c, out[known[0]][1] + d)
        else:
            out.append((c, d))
    return [(step.names[c], fmt(d), d) for c, d in out]


# -- shared ----------------------------------------------------------------------------------


def _scaled(t: float, what: str) -> list[Mistake]:
    return [
        Mistake("the opposite sign", -t),
        Mistake(f"twice {what}", 2 * t),
        Mistake(f"half {what}", t / 2),
    ]


def _kept(mistakes: Iterable[Mistake], t: float) -> tuple[Mistake, ...]:
    """The mistakes that can be told from the answer: finite, not close to it."""
    return tuple(
        Mistake(visible(m.text), m.number)
        for m in mistakes
        if math.isfinite(m.number) and not close(m.number, t)
    )
