"""One exercise drawn from a template: its spec (template, seed, ...) and the numbers of that seed.

    Spec("masha", 7)                  what to draw; ``Spec.from_json`` reads it back from an
                                      answer file (checked: it is user input)
    draw_variant(spec)                the template at the numbers of the seed

Draws are redrawn, at most MAX_DRAWS times, while they give
- a variable (an input, a weight, a logit) equal to 0, which makes terms vanish;
- an asked number that is zero or smaller than MIN_SIZE in size (a zero gradient, say);
- a saturated sigmoid or tanh (|2σ − 1| or |tanh| above SATURATED), whose gradient all but
  vanishes;
- coincident diagnosis candidates: a usual mistake (blanks.candidates) that gives the right
  number, or two that give the same number, so that a wrong answer could not be told apart.
Past MAX_DRAWS the exercise is refused (an ExerciseError naming the last reason): only a custom
template with narrow ranges can get there.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

from .._format import cut
from ..engine import topological_order
from ..expr import ExpressionError
from .blanks import candidates, close, probe_point, truth
from .custom import RangeLike, custom_template
from .program import ExerciseError, Graph, Model
from .templates import TEMPLATES, Setup, Template

MAX_DRAWS = 1000
MIN_SIZE = 1e-3
SATURATED = 0.95
MAX_SEED = 2**63 - 1
MAX_STUDENT = 100  # characters of a student's name


@dataclass(frozen=True)
class Spec:
    """What to draw: the template, the seed, a custom template's formula and ranges, and the
    student a class set drew it for."""

    template: str
    seed: int = 0
    expression: str | None = None
    ranges: tuple[tuple[str, str], ...] = ()  # custom: name -> range as Range.parse reads it
    student: str | None = None

    @property
    def code(self) -> str:
        """The sheet's code, as file names use it: masha-7."""
        return f"{self.template}-{self.seed}"

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"template": self.template, "seed": self.seed}
        if self.expression is not None:
            out["expression"] = self.expression
        if self.ranges:
            out["ranges"] = dict(self.ranges)
        if self.student is not None:
            out["student"] = self.student
        return out

    @classmethod
    def from_json(cls, data: object) -> Spec:
        """The spec of an answer file's "exercise" entry; ExerciseError if it is malformed."""
        if not isinstance(data, dict):
            raise ExerciseError(
                f'"exercise" must be an object such as {{"template": "masha", "seed": 7}}, '
                f"got {json_type(data)}"
            )
        unknown = set(data) - {"template", "seed", "expression", "ranges", "student"}
        if unknown:
            raise ExerciseError(f'"exercise" has unknown keys: {cut(", ".join(sorted(unknown)))}')
        template, seed = data.get("template"), data.get("seed", 0)
        expression, student = data.get("expression"), data.get("student")
        ranges = data.get("ranges", {})
        for key, value, kind in (
            ("template", template, str),
            ("seed", seed, int),
            ("ranges", ranges, dict),
        ):
            if isinstance(value, bool) or not isinstance(value, kind):
                raise ExerciseError(
                    f'"exercise": "{key}" must be {_JSON[kind]}, got {json_type(value)}'
                )
        for key, value in (("expression", expression), ("student", student)):
            if value is not None and not isinstance(value, str):
                raise ExerciseError(f'"exercise": "{key}" must be a string, got {json_type(value)}')
        assert isinstance(ranges, dict)
        pairs = []
        for name, r in ranges.items():
            if not isinstance(r, (str, int, float)) or isinstance(r, bool):
                raise ExerciseError(
                    f'"exercise": the range of {cut(repr(name))} must be a string such as "-3:3"'
                )
            pairs.append((name, r if isinstance(r, str) else str(r)))
        return cls(str(template), int(seed), expression, tuple(pairs), student)

    def check(self, model: bool = False) -> None:
        """Refuse an unknown template, a seed out of range, a bad name or custom fields (a
        custom spec has a formula, or model says a Python model is given with it)."""
        if self.template != "custom" and self.template not in TEMPLATES:
            known = ", ".join([*TEMPLATES, "custom"])
            raise ExerciseError(
                f"exercise: unknown template {cut(repr(self.template))} (templates: {known})"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"exercise: seed must be an int, got {type(self.seed).__name__}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ExerciseError(
                f"exercise: seed must be from 0 to 2**63 - 1, got {cut(str(self.seed))}"
            )
        custom = self.template == "custom"
        if custom != (self.expression is not None or model) or (self.ranges and not custom):
            raise ExerciseError(
                "exercise: a formula and ranges are given for the custom template, and only for it"
            )
        if self.student is not None and not _printable_name(self.student):
            raise ExerciseError(
                f"exercise: a student's name is 1 to {MAX_STUDENT} printable characters, got "
                f"{cut(repr(self.student))}"
            )


@dataclass(frozen=True, eq=False)
class Variant:
    """A template drawn at the numbers of a seed: the setup, its graph, how many draws it took."""

    spec: Spec
    template: Template
    setup: Setup
    graph: Graph
    probe: Graph | None  # the graph at probe_point: tells one quantity from a coincidence
    draws: int


def draw_variant(spec: Spec, model: Model | None = None) -> Variant:
    """The exercise of spec: the template's numbers drawn from the seed, redrawn while they are
    rejected (see the module docstring)."""
    spec.check(model is not None)
    if spec.template == "custom":
        source: str | Model = model if model is not None else str(spec.expression)
        template = custom_template(source, dict(spec.ranges))
    else:
        template = TEMPLATES[spec.template]
    rng = random.Random(f"{spec.template}:{spec.seed}")
    fixed = all(r.fixed for r in template.ranges.values())
    reason = ""
    for attempt in range(1, MAX_DRAWS + 1):
        numbers = {name: r.draw(rng) for name, r in template.ranges.items()}
        try:
            setup = template.build(numbers)
            graph = setup.program.graph(setup.point)
        except (ExerciseError, ExpressionError):
            raise
        except (ArithmeticError, ValueError) as e:  # undefined at these numbers: log(-1)
            reason = f"the function is undefined there ({cut(str(e), 80)})"
        else:
            probe = _probe(setup)
            reason = rejection(setup, graph, probe)
            if not reason:
                return Variant(spec, template, setup, graph, probe, attempt)
        if fixed:
            break
    raise ExerciseError(
        f"exercise: no draw of {spec.template}'s numbers (seed {spec.seed}) in {MAX_DRAWS} "
        f"tries makes a sheet that can be graded; the last: {reason}. Widen the ranges."
    )


def _probe(setup: Setup) -> Graph | None:
    try:
        return setup.program.graph(probe_point(setup.program, setup.point))
    except (ExerciseError, ExpressionError):
        raise
    except (ArithmeticError, ValueError):
        return None


def rejection(setup: Setup, graph: Graph, probe: Graph | None) -> str:
    """Why these numbers make a poor sheet ("" when they do not)."""
    for n in setup.program.variables:
        if setup.point[n.alias] == 0:
            return f"{n.shown} = 0 (a zero input or weight makes terms vanish)"
    for node in topological_order(graph.root):
        if node.op == "sigmoid" and abs(2 * node.data - 1) > SATURATED:
            return f"a saturated sigmoid (σ = {node.data:.4g})"
        if node.op == "tanh" and abs(node.data) > SATURATED:
            return f"a saturated tanh ({node.data:.4g})"
    for blank in setup.blanks:
        t = truth(blank, graph)
        if not math.isfinite(t) or abs(t) < MIN_SIZE:
            return f"{blank.asked} is {t:.3g}, zero or too small to write"
        found = candidates(blank, graph, setup.program, probe)
        for text, c in found:
            if close(c, t):
                return f"for {blank.asked}, the mistake '{text}' gives the right number"
        numbers = [c for _, c in found]
        for i, a in enumerate(numbers):
            if any(close(a, b) for b in numbers[i + 1 :]):
                return f"for {blank.asked}, two usual mistakes give the same number"
    return ""


def custom_spec(
    seed: int, source: str | Model, ranges: Mapping[str, RangeLike], student: str | None = None
) -> Spec:
    """The spec of a custom template (its ranges written as Range.parse reads them); a model
    is not written into it (Python code is not data)."""
    template = custom_template(source, ranges)
    pairs = tuple((name, r.spec()) for name, r in template.ranges.items())
    expression = source if isinstance(source, str) else None
    return Spec("custom", seed, expression, pairs, student)


def _printable_name(text: str) -> bool:
    return 1 <= len(text) <= MAX_STUDENT and text.isprintable() and text.strip() == text


_JSON = {str: "a string", int: "a whole number", dict: "an object"}


def json_type(value: object) -> str:
    """A JSON value's kind as messages name it: "a string", "an array", "null", ..."""
    names = {
        bool: "a boolean",
        str: "a string",
        int: "a number",
        float: "a number",
        list: "an array",
        dict: "an object",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
