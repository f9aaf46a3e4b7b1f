"""The quiz's questions (microgradnet.quiz): what each step asks, the numbers counted right, the
usual mistakes and their diagnoses, hints and reveals, on hand-derived examples; and the
ranges the page compares with, checked against the grader's rule (exercise.blanks.close)."""

from __future__ import annotations

import math
import random

import pytest
from browsers import notes_example
from hypothesis import given, settings
from hypothesis import strategies as st
from networks import two_uses

from microgradnet import Value
from microgradnet.exercise.blanks import close
from microgradnet.quiz import (
    RELATIVE,
    Ask,
    backward_questions,
    forward_questions,
    kind_of,
    right_range,
)


def asks_of(questions: dict[int, object]) -> dict[str, Ask]:
    """Every Ask of the questions by its label."""
    return {a.label: a for q in questions.values() for a in q.asks}  # type: ignore[attr-defined]


# -- the numbers counted right --------------------------------------------------------------------


@pytest.mark.parametrize("t", [42.0, -0.2449, 1.5e-7, 123456.7, 0.5, -3.0, 9.9996, 1 / 3])
def test_the_right_range_is_exactly_the_graders_rule(t: float) -> None:
    lo, hi = right_range(t)
    assert lo < t < hi
    # tight: the ends are close, the next floats outside are not
    assert close(lo, t) and close(hi, t)
    assert not close(math.nextafter(lo, -math.inf), t)
    assert not close(math.nextafter(hi, math.inf), t)
    # 0.999e-3 relative is inside, 1.1e-3 is not
    for inside in (t * (1 + 0.999 * RELATIVE), t * (1 - 0.999 * RELATIVE)):
        assert lo <= inside <= hi
    for outside in (t * (1 + 1.1 * RELATIVE), t * (1 - 1.1 * RELATIVE)):
        assert not lo <= outside <= hi
    rng = random.Random(7)
    for _ in range(2000):
        a = t + (rng.random() - 0.5) * 4e-3 * abs(t)
        assert close(a, t) == (lo <= a <= hi), a


@settings(max_examples=300, deadline=None)
@given(
    st.floats(1e-6, 1e6) | st.floats(-1e6, -1e-6),
    st.floats(-3e-3, 3e-3),
)
def test_the_page_counts_right_what_the_grader_counts_right(t: float, u: float) -> None:
    lo, hi = right_range(t)
    a = t * (1 + u)
    assert close(a, t) == (lo <= a <= hi)


@pytest.mark.parametrize("t", [42.0, -0.2449, 7e-5])
def test_an_end_estimated_far_off_is_still_found_exactly(t: float) -> None:
    from microgradnet.quiz import range_end

    lo, hi = right_range(t)
    assert range_end(t, t, math.inf) == hi and range_end(t, t, -math.inf) == lo  # from t itself
    assert range_end(t, t + 10 * (hi - t), math.inf) == hi  # from far outside


def test_zero_is_right_only_as_zero_and_a_non_finite_number_is_refused() -> None:
    assert right_range(0.0) == (0.0, 0.0)
    with pytest.raises(ValueError, match=r"right_range: the true number must be finite"):
        right_range(math.inf)


def test_the_kind_of_quiz_is_checked() -> None:
    assert (kind_of(False), kind_of(True), kind_of("local")) == (None, "push", "local")
    with pytest.raises(ValueError, match=r"quiz must be False, True or 'local', got 'values'"):
        kind_of("values")
    with pytest.raises(TypeError, match=r"quiz must be False, True or 'local', got int"):
        kind_of(1)
    with pytest.raises(ValueError, match=r"kind must be one of \('push', 'local'\)"):
        backward_questions(notes_example(), "gradient")


# -- the notes' example: L = (x·w + b)² at x = 2, w = 3, b = 1 ------------------------------------


def test_forward_asks_each_computed_value_with_its_arithmetic() -> None:
    questions = forward_questions(notes_example())
    assert sorted(questions) == [4, 5, 6]  # steps 1-3 are the given x, w, b
    xw, u, L = (questions[k].asks[0] for k in (4, 5, 6))
    assert (xw.label, xw.truth, xw.hint, xw.reveal) == ("x·w =", 6.0, "x·w = 2·3", "x·w = 2·3 = 6")
    assert (u.truth, u.hint, L.truth, L.hint, L.reveal) == (
        7.0,
        "x·w + b = 6 + 1",
        49.0,
        "L = 7²",
        "L = 7² = 49",
    )
    assert L.name == "L: its value"
    assert questions[4].prompt.startswith("step 4: x·w = ?")
    assert xw.right(6.004) and not xw.right(6.01)
    assert xw.diagnosis(-6) == "the opposite sign"
    assert xw.diagnosis(2) == "the value of its operand x, not of x·w"
    assert xw.diagnosis(3) is None  # half of 6 and w = 3: two mistakes explain it
    assert u.diagnosis(14) == "twice the result" and u.diagnosis(6) == (
        "the value of its operand x·w, not of x·w + b"
    )
    assert xw.diagnosis(5) is None and xw.diagnosis(6) is None


def test_backward_asks_what_each_node_passes_back() -> None:
    questions = backward_questions(notes_example())
    assert sorted(questions) == [1, 2, 3]  # the leaves' steps 4-6 pass nothing on
    assert [len(questions[k].asks) for k in (1, 2, 3)] == [1, 2, 2]  # the exponent 2: no input
    assert questions[3].prompt.splitlines() == [
        "step 3: x·w is reached with dL/d(x·w) = 14",
        "What does it pass back to each operand?",
    ]
    dx, dw = questions[3].asks
    assert (dx.label, dx.name) == ("∂L/∂x +=", "∂L/∂x: what x·w passes back to x")
    assert (dx.truth, dx.shown, dx.reveal) == (42.0, "42", "dL/dx += 3 × 14 = 42")
    assert dx.hint == (
        "the local derivative ∂(x·w)/∂x = 3 and the upstream gradient ∂L/∂(x·w) = 14: multiply them"
    )
    assert "42" not in dx.hint  # the two factors, not the product
    assert dx.right(42) and dx.right(41.97) and not dx.right(41.9)
    assert dx.diagnosis(-42) == "the opposite sign"
    assert dx.diagnosis(84) == "twice the right number"
    assert dx.diagnosis(21) == "half the right number"
    assert dx.diagnosis(28) == "the local derivative of the edge into w (2) times ∂L/∂(x·w)"
    assert dx.diagnosis(3) == "the local derivative ∂(x·w)/∂x alone, not times ∂L/∂(x·w)"
    assert dx.diagnosis(14.01) == "∂L/∂(x·w) alone, not times the local derivative ∂(x·w)/∂x"
    assert dx.diagnosis(43) is None and dx.diagnosis(42) is None
    # ∂L/∂w = 28: half of it and ∂L/∂(x·w) alone are both 14, so 14 gets no diagnosis
    assert dw.diagnosis(14) is None and dw.diagnosis(42).startswith("the local derivative of")  # type: ignore[union-attr]


def test_local_asks_the_local_derivatives_with_the_rule_as_hint() -> None:
    questions = backward_questions(notes_example(), "local")
    dx, dw = questions[3].asks
    assert (dx.label, dx.truth, dw.truth) == ("∂(x·w)/∂x =", 3.0, 2.0)
    assert dx.name == "∂(x·w)/∂x: the local derivative of x·w with respect to x"
    assert dx.hint == "∂(x·w)/∂x = w, at the values of the forward pass"
    assert dx.reveal == "∂(x·w)/∂x = w = 3"
    assert dx.diagnosis(2) == "the local derivative of the edge into w (2), not into x"
    assert dx.diagnosis(42) == "what x·w passes back (∂(x·w)/∂x × ∂L/∂(x·w)), not ∂(x·w)/∂x alone"
    assert dx.diagnosis(6) is None  # twice 3, and the value of x·w: two mistakes
    (dL,) = questions[1].asks
    assert (dL.truth, dL.hint) == (
        14.0,
        "∂L/∂(x·w + b) = 2·(x·w + b), at the values of the forward pass",
    )
    assert dL.diagnosis(49) == "the value of L, not its derivative"


# -- paths, accumulation, operands read twice, constants ------------------------------------------


def test_a_gradient_summing_two_uses_diagnoses_a_path_left_out() -> None:
    """L = u·z + u·v with u = x·y: ∂L/∂u = z + v = 7 sums two uses; x gets y·7 = 21, and
    leaving out one path gives y·v = 6 or y·z = 15."""
    L = two_uses()
    step = next(q for q in backward_questions(L).values() if q.prompt.startswith("step 4: u"))
    dx = step.asks[0]
    assert dx.truth == 21.0 and dx.reveal == "dL/dx += 3 × 7 = 21"
    assert dx.diagnosis(6) == "∂L/∂u without the path through a (∂L/∂u sums 2 uses of u)"
    assert dx.diagnosis(15) == "∂L/∂u without the path through b (∂L/∂u sums 2 uses of u)"


def test_a_second_push_to_a_leaf_asks_what_it_adds_not_the_total() -> None:
    """L = x·y + x·z: x receives y, then z; the second step asks for z, the total is y + z."""
    x, y, z = Value(2.0, "x"), Value(3.0, "y"), Value(5.0, "z")
    p, q = x * y, x * z
    p.label, q.label = "p", "q"
    L = p + q
    L.label = "L"
    asks = [
        a
        for k, qn in sorted(backward_questions(L).items())
        for a in qn.asks
        if a.label == "∂L/∂x +="
    ]
    first, second = asks  # q is reached first (reverse order): it sends z, then p sends y
    assert (first.truth, second.truth) == (5.0, 3.0)
    assert second.reveal == "dL/dx += 3 × 1 = 3, so dL/dx = 8"
    assert second.diagnosis(8) == "the total ∂L/∂x after this step (5 + it), not what it adds"


def test_an_operand_read_twice_is_one_input_with_the_sum() -> None:
    x = Value(3.0, "x")
    L = x * x
    L.label = "L"
    (ask,) = backward_questions(L)[1].asks
    assert (ask.label, ask.truth) == ("∂L/∂x +=", 6.0)
    assert ask.reveal == "dL/dx += 3 × 1 = 3; dL/dx += 3 × 1 = 3, so dL/dx = 6"
    assert "(x is read 2 times)" in ask.hint
    (local,) = backward_questions(L, "local")[1].asks
    assert (local.truth, local.hint) == (6.0, "∂L/∂x = x + x, at the values of the forward pass")


def test_a_constant_operand_gets_no_input_but_its_edge_is_a_mistake() -> None:
    """y = 3·x: one input, for x; answering with the constant's edge (∂y/∂3 = x = 2) is
    diagnosed."""
    x = Value(2.0, "x")
    y = 3 * x
    y.label = "y"
    L = y**2
    L.label = "L"
    questions = backward_questions(L)
    (dx,) = questions[2].asks
    assert dx.label == "∂L/∂x +=" and dx.truth == 36.0  # 3 × 12
    assert dx.diagnosis(24) == "the local derivative of the edge into 3 (2) times ∂L/∂y"
    assert all(len(q.asks) == 1 for q in questions.values())


def test_page_data_holds_ranges_and_texts_only() -> None:
    (dx, _) = backward_questions(notes_example())[3].asks
    data = dx.page_data()
    assert set(data) == {"l", "n", "v", "r", "m", "h", "a"}
    assert data["r"] == list(right_range(42.0))
    assert data["m"][0][2] == "the opposite sign"
    assert data["m"][0][:2] == list(right_range(-42.0))
