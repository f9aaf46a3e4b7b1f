"""Grading a sheet: right answers, each usual mistake named (numbers and formulas), missing
blanks, refused formulas, and answers for another sheet or an unknown blank."""

from __future__ import annotations

from typing import Any

import pytest
from guards import nothing_runs

from microgradnet.exercise import AnswerFileError, check, make
from microgradnet.exercise.blanks import truth


def number(ex: Any, blank_id: str) -> float:
    blank = next(b for b in ex.blanks if b.id == blank_id)
    return truth(blank, ex.variant.graph)


def verdict(ex: Any, answers: dict[str, object], blank_id: str) -> tuple[str, str | None]:
    g = next(g for g in ex.check(answers).grades if g.id == blank_id)
    return g.verdict, g.diagnosis


# chain-7 is x = −3, w = −2, b = 1: u = 7, L = 49, ∂L/∂x = −28, ∂L/∂w = −42, ∂L/∂b = 14
CHAIN = make("chain", 7)


def test_chain_7_is_the_sheet_these_tests_read() -> None:
    assert CHAIN.point == {"x": -3.0, "w": -2.0, "b": 1.0}
    assert number(CHAIN, "dL_dw") == -42


@pytest.mark.parametrize(
    "given",
    [-42, -42.0, -42.04, "-42", "2*u*x", "2*(x*w + b)*x", "-41.99"],
)
def test_a_right_number_is_right_as_shown_or_within_a_thousandth(given: object) -> None:
    assert verdict(CHAIN, {"dL_dw": given}, "dL_dw") == ("right", None)


def test_four_significant_digits_are_enough() -> None:
    ex = make("masha", 7)
    exact = number(ex, "dL_dw2")
    shown = float(f"{exact:.4g}")
    assert shown != exact
    assert verdict(ex, {"dL_dw2": shown}, "dL_dw2") == ("right", None)
    assert verdict(ex, {"dL_dw2": exact * 1.01}, "dL_dw2")[0] == "wrong"


@pytest.mark.parametrize(
    ("blank_id", "given", "diagnosis"),
    [
        ("dL_dw", 42, "the opposite sign: it is −∂L/∂w"),
        ("dL_dx", -56, "twice ∂L/∂x"),
        ("dL_dx", -14, "half of ∂L/∂x"),
        ("dL_dw", -28, "∂L/∂x, the gradient of x, not of w"),
        ("u", -7, "the opposite sign"),
        ("L", 7, "the value of u, not of L"),
    ],
)
def test_a_wrong_number_gets_the_one_mistake_that_explains_it(
    blank_id: str, given: float, diagnosis: str
) -> None:
    assert verdict(CHAIN, {blank_id: given}, blank_id) == ("wrong", diagnosis)


def test_one_quantity_under_two_names_is_one_diagnosis() -> None:
    # ∂L/∂b = ∂L/∂u everywhere (b enters u with derivative 1): one diagnosis naming both
    assert verdict(CHAIN, {"dL_dw": 14}, "dL_dw") == (
        "wrong",
        "∂L/∂b, the gradient of b, not of w, or equally ∂L/∂u, the gradient of u, not of w",
    )


def test_a_number_no_usual_mistake_explains_gets_no_diagnosis() -> None:
    assert verdict(CHAIN, {"dL_dw": 5}, "dL_dw") == ("wrong", None)


L2 = make("l2", 7)


def test_a_path_left_out_or_counted_twice_is_named() -> None:
    # ∂J/∂W⁽²⁾₁ = δ·h₁ + λ·W⁽²⁾₁: two paths, through o and through the penalty s
    penalty = L2.point["lam"] * L2.point["W2_1"]
    total = number(L2, "dJ_dW2_1")
    status, why = verdict(L2, {"dJ_dW2_1": total - penalty}, "dJ_dW2_1")
    assert status == "wrong" and why is not None
    assert why.startswith("leaves out path 2: ∂J/∂s · ")
    status, why = verdict(L2, {"dJ_dW2_1": total + penalty}, "dJ_dW2_1")
    assert why is not None and why.startswith("counts path 2 twice: ∂J/∂s · ")


@pytest.mark.parametrize(
    ("ex", "blank_id", "formula", "diagnosis"),
    [
        # the notes' own slip: (y − ŷ) where ∂/∂ŷ ½(y − ŷ)² is (ŷ − y)
        (
            make("masha", 7),
            "dL_dw3_formula",
            "(y - y_hat)*o2",
            "the answer has the opposite sign: it is −∂L/∂w₃",
        ),
        (
            make("masha", 7),
            "dL_dw2_formula",
            "2*(y_hat - y)*w3*o2*(1 - o2)*o1",
            "the answer is off by a constant factor: it is 2 × ∂L/∂w₂",
        ),
        (
            make("softmax-ce", 7),
            "delta1_formula",
            "p2 - y2",
            "the answer is ∂L/∂z₂, the derivative with respect to z2, not z1",
        ),
        (L2, "dJ_dW2_1_formula", "delta*h1", "your answer leaves out path 2: ∂J/∂s · "),
        (
            L2,
            "dJ_dW2_1_formula",
            "delta*h1 + 2*lam*W2_1",
            "your answer counts twice path 2: ∂J/∂s · ",
        ),
        (CHAIN, "dL_dw_formula", "2*x*(x + b)", "your answer does not depend on w; "),
    ],
)
def test_a_wrong_formula_gets_check_derivatives_diagnosis(
    ex: Any, blank_id: str, formula: str, diagnosis: str
) -> None:
    status, why = verdict(ex, {blank_id: formula}, blank_id)
    assert status == "wrong"
    assert why is not None and why.startswith(diagnosis), why


@pytest.mark.parametrize(
    ("template", "blank_id", "formula"),
    [
        ("sigmoid-bce", "delta_formula", "y_hat - y"),
        ("sigmoid-bce", "delta_formula", "sigmoid(z) - y"),
        ("sigmoid-bce", "delta_formula", "ŷ - y"),  # the notes' spelling works too
        ("tanh-mse", "delta_formula", "(y_hat - y)*(1 - tanh(z)**2)"),
        ("softmax-ce", "delta1_formula", "exp(z1)/(exp(z1) + exp(z2) + exp(z3)) - y1"),
        ("l2", "dJ_dW2_1_formula", "(o - y)*h1 + λ*W2_1"),
        ("masha", "dL_dw1_formula", "(y_hat - y)*w3*o2*(1 - o2)*w2*o1*(1 - o1)*x"),
    ],
)
def test_right_formulas_in_any_of_their_forms(template: str, blank_id: str, formula: str) -> None:
    assert verdict(make(template, 3), {blank_id: formula}, blank_id) == ("right", None)


def test_missing_and_null_blanks_count_as_wrong() -> None:
    report = CHAIN.check({"u": 7, "L": None})
    verdicts = {g.id: g.verdict for g in report.grades}
    assert verdicts["u"] == "right"
    assert verdicts["L"] == "missing"
    assert verdicts["dL_dw"] == "missing"
    assert (report.right, report.total, report.all_right, bool(report)) == (1, 7, False, False)
    assert report.text().splitlines()[0] == "chain-7: 1 of 7 right"


def test_reveal_shows_the_key_only_when_asked() -> None:
    report = CHAIN.check({"dL_dw": 42})
    assert "-42" not in report.text()
    assert "dL_dw          wrong: the opposite sign: it is −∂L/∂w  [key: -42]" in report.text(
        reveal=True
    )
    assert "expected" not in report.to_dict()["grades"][0]
    assert report.to_dict(reveal=True)["grades"][4]["expected"] == "-42"


def test_a_number_for_a_formula_blank_is_wrong_and_says_why() -> None:
    status, why = verdict(CHAIN, {"dL_dw_formula": -42}, "dL_dw_formula")
    assert status == "wrong"
    assert why == "this blank asks for a formula (in x, w, b, u, L); a number holds at one point"
    status, why = verdict(CHAIN, {"dL_dw_formula": "6*-7"}, "dL_dw_formula")
    assert (status, why) == (
        "wrong",
        "this blank asks for a formula in x, w, b, u, L, not a number",
    )


def test_a_formula_for_the_output_error_may_use_only_what_it_depends_on() -> None:
    ex = make("sigmoid-bce", 3)
    status, why = verdict(ex, {"delta_formula": "sigmoid(w1*x1 + w2*x2 + b) - y"}, "delta_formula")
    assert status == "refused"
    assert why == (
        "the formula is refused: name 'w1' is not declared: this formula may use z, y, y_hat, L"
    )


def test_a_formula_undefined_at_the_sheets_numbers_is_wrong() -> None:
    status, why = verdict(CHAIN, {"dL_dw": "log(b - 2)"}, "dL_dw")
    assert status == "wrong" and why is not None and "undefined" in why


@pytest.mark.parametrize(
    "hostile",
    [
        "__import__('os').system('echo hi')",
        "x.__class__.__bases__",
        "(lambda: 1)()",
        "open('/etc/passwd')",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "x" + "+x" * 3000,
        "(" * 500 + "x" + ")" * 500,
        "9**9**9**9",
    ],
)
def test_hostile_formulas_are_refused_or_wrong_and_never_run(hostile: str) -> None:
    ex = make("chain", 7)
    with nothing_runs() as calls:
        report = ex.check({"dL_dw": hostile, "dL_dw_formula": hostile})
    assert calls == []
    assert [g.verdict for g in report.grades if g.id.startswith("dL_dw")] != ["right", "right"]
    for g in report.grades:
        if g.given is not None:
            assert len(g.given) <= 80  # a long answer is quoted cut


def test_an_unknown_blank_id_is_refused_and_names_the_blanks() -> None:
    with pytest.raises(AnswerFileError, match=r"unknown blank id 'dL_dq'.*blanks are u, L, dL_du"):
        CHAIN.check({"u": 7, "dL_dq": 1})


def test_answers_for_another_sheet_are_refused() -> None:
    answers = {"exercise": {"template": "chain", "seed": 8}, "u": 7}
    with pytest.raises(AnswerFileError, match="for the sheet chain-8, not chain-7"):
        CHAIN.check(answers)


def test_the_module_check_makes_the_sheet_the_answers_name() -> None:
    answers = {"exercise": {"template": "chain", "seed": 7, "student": "Ada"}, "dL_dw": -42}
    report = check(answers)
    assert (report.code, report.student, report.right) == ("chain-7", "Ada", 1)
    with pytest.raises(AnswerFileError, match="names no sheet"):
        check({"dL_dw": -42})


def test_python_answers_of_the_wrong_type_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="'u' must be a number, a formula"):
        CHAIN.check({"u": [7]})
    with pytest.raises(TypeError, match="'u' must be a number, a formula"):
        CHAIN.check({"u": True})
    with pytest.raises(TypeError, match="blank ids are strings"):
        CHAIN.check({1: 7})
    with pytest.raises(TypeError, match="answers must be a dict"):
        CHAIN.check(42)
