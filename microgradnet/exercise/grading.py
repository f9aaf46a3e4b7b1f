"""Grading: each blank right or wrong, and for a wrong one the usual mistake that explains it.

    grade(variant, answers)   a Report: one Grade per blank, in the sheet's order

- A number (for a value or a gradient) is right when it equals the key at the precision shown
  (4 significant digits) or within 1e-3 relative; a wrong one is diagnosed when exactly one
  usual mistake gives it (blanks.candidates). A formula given for a number is evaluated at the
  sheet's point by the formula parser, then graded as that number.
- A formula (for a formula blank) is checked by ``check_derivative`` against backprop at
  POINTS points within the sheet's ranges, which names the usual mistakes (the opposite sign, a
  constant factor, the wrong variable, a chain-rule path left out or counted twice). A number
  given for a formula is wrong: it holds at one point only.
- A blank left out, or null, is wrong ("missing"). A formula the parser refuses is wrong, with
  the parser's reason. An answer for a blank id the sheet does not have is refused
  (AnswerFileError), as is an answer file for another sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .._format import cut
from ..check import check_derivative
from ..engine import Constant, Value
from ..expr import ExpressionError, parse_expression
from .answers import AnswerFileError, Answers, Given
from .blanks import Blank, close, derivative_name, diagnosis, shown_number, truth
from .program import Derivative
from .variants import Variant

POINTS = 100  # points check_derivative compares a formula at


@dataclass(frozen=True)
class Grade:
    """One blank graded: ``verdict`` is "right", "wrong", "missing" or "refused" (a formula the
    parser refuses); ``diagnosis`` names the usual mistake when one explains a wrong answer;
    ``expected`` is the key's answer (shown only on request)."""

    id: str
    asked: str
    given: str | None
    verdict: str
    diagnosis: str | None
    expected: str

    @property
    def right(self) -> bool:
        return self.verdict == "right"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "asked": self.asked,
            "given": self.given,
            "verdict": self.verdict,
            "diagnosis": self.diagnosis,
        }


@dataclass(frozen=True)
class Report:
    """A sheet graded: its code, the student (if the answers name one), one Grade per blank."""

    code: str
    student: str | None
    grades: tuple[Grade, ...]

    @property
    def right(self) -> int:
        return sum(g.right for g in self.grades)

    @property
    def total(self) -> int:
        return len(self.grades)

    @property
    def all_right(self) -> bool:
        return self.right == self.total

    def __bool__(self) -> bool:
        return self.all_right

    def text(self, reveal: bool = False) -> str:
        """One line per blank; with reveal, the key's answer after each wrong one."""
        who = f" ({self.student})" if self.student else ""
        lines = [f"{self.code}{who}: {self.right} of {self.total} right"]
        width = max((len(g.id) for g in self.grades), default=0)
        for g in self.grades:
            why = f": {g.diagnosis}" if g.diagnosis else ""
            key = f"  [key: {g.expected}]" if reveal and not g.right else ""
            lines.append(f"  {g.id.ljust(width)}  {g.verdict}{why}{key}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def to_dict(self, reveal: bool = False) -> dict[str, Any]:
        grades = []
        for g in self.grades:
            entry = g.to_dict()
            if reveal:
                entry["expected"] = g.expected
            grades.append(entry)
        return {
            "exercise": self.code,
            "student": self.student,
            "right": self.right,
            "total": self.total,
            "grades": grades,
        }


def grade(variant: Variant, answers: Answers) -> Report:
    """Grade answers against variant; AnswerFileError for another sheet's answers or an
    unknown blank id (nothing is graded then)."""
    _same_sheet(variant, answers)
    ids = [b.id for b in variant.setup.blanks]
    unknown = [key for key in answers.given if key not in ids]
    if unknown:
        raise AnswerFileError(
            f"{answers.source}: unknown blank id {cut(repr(unknown[0]))}"
            f"{f' (and {len(unknown) - 1} more)' if len(unknown) > 1 else ''}; "
            f"this sheet's blanks are {cut(', '.join(ids), 300)}"
        )
    student = answers.spec.student if answers.spec is not None else variant.spec.student
    grades = tuple(_grade(variant, b, answers.given.get(b.id)) for b in variant.setup.blanks)
    return Report(variant.spec.code, student, grades)


def expected_text(variant: Variant, blank: Blank) -> str:
    """The key's answer: the number to 4 significant digits, or the formula and its number."""
    number = shown_number(truth(blank, variant.graph))
    return f"{blank.shown} (= {number} here)" if blank.kind == "formula" else number


def _same_sheet(variant: Variant, answers: Answers) -> None:
    if answers.spec is None:
        return
    mine = {k: v for k, v in variant.spec.to_json().items() if k != "student"}
    theirs = {k: v for k, v in answers.spec.to_json().items() if k != "student"}
    if mine != theirs:
        raise AnswerFileError(
            f"{answers.source}: these answers are for the sheet {answers.spec.code}, "
            f"not {variant.spec.code}"
        )


def _grade(variant: Variant, blank: Blank, given: Given) -> Grade:
    expected = expected_text(variant, blank)
    if given is None:
        return Grade(blank.id, blank.asked, None, "missing", None, expected)
    shown = cut(given if isinstance(given, str) else shown_number(given), 80)
    if blank.kind == "formula":
        verdict, why = _grade_formula(variant, blank, given)
    else:
        verdict, why = _grade_number(variant, blank, given)
    return Grade(blank.id, blank.asked, shown, verdict, why, expected)


def _grade_number(variant: Variant, blank: Blank, given: float | str) -> tuple[str, str | None]:
    if isinstance(given, str):
        try:
            number = _at_point(variant, given)
        except ExpressionError as e:
            return "refused", f"the formula is refused: {e}"
        except (ArithmeticError, ValueError) as e:
            return "wrong", f"the formula is undefined at this sheet's numbers: {cut(str(e), 120)}"
    else:
        number = given
    if close(number, truth(blank, variant.graph)):
        return "right", None
    setup = variant.setup
    return "wrong", diagnosis(blank, variant.graph, setup.program, variant.probe, number)


def _at_point(variant: Variant, text: str) -> float:
    """A formula's number at the sheet's point, every named value available."""
    program, point = variant.setup.program, variant.setup.point
    nodes = program.evaluate(program.leaves(point, constant=True), extras=True)
    return parse_expression(text, program.answer_names(nodes)).data


def _grade_formula(variant: Variant, blank: Blank, given: float | str) -> tuple[str, str | None]:
    names = ", ".join(_allowed(variant, blank))
    if not isinstance(given, str):
        return "wrong", f"this blank asks for a formula (in {names}); a number holds at one point"
    d = variant.setup.program.derivative(blank.of, variant.setup.point)
    try:
        first = parse_expression(given, d.names(_values(d)))
    except ExpressionError as e:
        why = str(e)
        if "is not declared" in why:
            why = f"{why.split(';')[0]}: this formula may use {names}"
        return "refused", f"the formula is refused: {why}"
    except (ArithmeticError, ValueError) as e:
        return "wrong", f"the formula is undefined at this sheet's numbers: {cut(str(e), 120)}"
    if isinstance(first, Constant):
        return "wrong", f"this blank asks for a formula in {names}, not a number"
    return _compare(variant, blank, d, given)


def _compare(variant: Variant, blank: Blank, d: Derivative, text: str) -> tuple[str, str | None]:
    def answer(*xs: float) -> Value:
        values = {a: Value(float(x), label=a) for a, x in zip(d.variables, xs)}
        return parse_expression(text, d.names(values))

    domain = {
        a: (r.lo, r.hi)
        for a, r in variant.template.ranges.items()
        if a in d.variables and not r.fixed
    }
    try:
        report = check_derivative(
            d.f, answer, blank.of, at=d.at, domain=domain or None, points=POINTS
        )
    except ExpressionError as e:
        return "refused", f"the formula is refused: {e}"
    except (ArithmeticError, ValueError) as e:
        return "wrong", cut(str(e), 200)
    if report.matches:
        return "right", None
    if report.diagnosis is None:
        return "wrong", "none of the usual mistakes explains the difference"
    return "wrong", _in_notation(variant, d, report.diagnosis)


def _in_notation(variant: Variant, d: Derivative, text: str) -> str:
    """check_derivative's ∂f/∂w3 written as the sheet does: ∂L/∂w₃."""
    for alias in sorted(d.variables, key=len, reverse=True):
        pattern = re.compile(rf"∂f/∂{re.escape(alias)}(?![\w])")
        text = pattern.sub(derivative_name(variant.graph, alias), text)
    return text


def _values(d: Derivative) -> dict[str, Value]:
    return {a: Value(x, label=a) for a, x in d.at.items()}


def _allowed(variant: Variant, blank: Blank) -> list[str]:
    d = variant.setup.program.derivative(blank.of, variant.setup.point)
    return [a for a in d.allowed if a.isascii()]
