"""The quiz of the HTML stepper in a real browser (the shared headless Chromium at 1280×720):
right and wrong answers, each kind of diagnosis, retry, hint, reveal and the count; answers
that are not numbers; the keyboard alone (Tab and Enter); the names a screen reader reads for
the inputs; progress kept across a reload (localStorage) and forgotten on "start over"; two
equal quizzes on one page kept apart; a browser without storage.

Screenshots go to $MICROGRADNET_SCREENSHOTS (default: a temporary directory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsers import (
    SMALL,
    active_class,
    keys,
    notes_example,
    open_quizzes,
    scripts,
    severe_console_messages,
    tab_to,
    wait_for,
)
from networks import two_uses

from microgradnet.html_quiz import NOT_KEPT, PRACTICE_NOTE
from microgradnet.stepper import Stepper

pytestmark = [pytest.mark.browser, pytest.mark.needs_dot]
# the frames of the notes' example: 0 given, 1-3 forward steps 4-6, 4 the seed, 5-7 backward
# steps 1-3, 8 the leaves reached
BACKWARD_3 = 7


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The quizzes of the notes' example (what they pass back; local derivatives), saved."""
    folder = tmp_path_factory.mktemp("quiz")
    L = notes_example()
    push = Stepper(L, quiz=True).save_html(folder / "push.html")
    local = Stepper(L, quiz="local").save_html(folder / "local.html")
    fragment = Stepper(L, quiz=True).to_html(page=False)
    two = folder / "two.html"
    two.write_text(
        f"<!DOCTYPE html><meta charset='utf-8'><body>{fragment}<p>and again</p>{fragment}</body>",
        encoding="utf-8",
    )
    return {"push": push, "local": local, "two": two}


@pytest.fixture
def browser(chromium_driver: Any, tmp_path: Path) -> Iterator[Any]:
    """The shared Chromium at 1280×720, scripts on, its console read afresh, and the file
    pages' local storage empty (the quizzes of other tests forgotten)."""
    chromium_driver.set_window_size(*SMALL)
    scripts(chromium_driver, True)
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
    chromium_driver.get(blank.as_uri())
    chromium_driver.execute_script("localStorage.clear()")
    chromium_driver.get_log("browser")
    yield chromium_driver
    chromium_driver.execute_script("try { localStorage.clear(); } catch (e) {}")


# -- answers, diagnoses, hint, reveal, count ------------------------------------------------------


def test_right_and_wrong_answers_each_diagnosis_retry_hint_reveal_and_the_count(
    browser: Any, pages: dict[str, Path], shots: Path
) -> None:
    (quiz,) = open_quizzes(browser, pages["push"])
    assert PRACTICE_NOTE in quiz.find(".mgn-quiz").text
    assert quiz.score() == "right: 0 of 8"
    quiz.go(BACKWARD_3)
    assert quiz.asking()
    assert quiz.text().splitlines() == [
        "step 3: x·w is reached with dL/d(x·w) = 14",
        "What does it pass back to each operand?",
    ]
    assert "∂L/∂x = ?" in quiz.picture() and "∂L/∂x = 42" not in quiz.picture()
    dx, dw = quiz.inputs()
    # what a screen reader reads: the label names what is asked
    assert dx.accessible_name == "∂L/∂x: what x·w passes back to x"
    assert dw.accessible_name == "∂L/∂w: what x·w passes back to w"
    assert [e.text for e in quiz.root.find_elements("css selector", ".mgn-label")] == [
        "∂L/∂x +=",
        "∂L/∂w +=",
    ]
    diagnoses = {
        "-42": "it looks like the opposite sign",
        "84": "it looks like twice the right number",
        "21": "it looks like half the right number",
        "28": "it looks like the local derivative of the edge into w (2) times ∂L/∂(x·w)",
        "3": "it looks like the local derivative ∂(x·w)/∂x alone, not times ∂L/∂(x·w)",
        "14": "it looks like ∂L/∂(x·w) alone, not times the local derivative ∂(x·w)/∂x",
    }
    for typed, diagnosis in diagnoses.items():  # each wrong answer, then a retry
        said = quiz.answer(0, typed)
        assert said.startswith("✗ not right: " + diagnosis), (typed, said)
        assert said.endswith(". Try again.")
    assert quiz.answer(0, "43") == "✗ not right. Try again."
    assert quiz.answer(1, "14") == "✗ not right. Try again."  # 2 explain
    assert quiz.states() == ["wrong", "wrong"] and quiz.asking()
    browser.save_screenshot(str(shots / "quiz-1-wrong-with-diagnosis.png"))

    quiz.find(".mgn-hint-me").click()
    hints = quiz.find(".mgn-hint").text
    assert "∂(x·w)/∂x = 3" in hints and "∂L/∂(x·w) = 14" in hints and "∂(x·w)/∂w = 2" in hints
    assert "42" not in hints and "28" not in hints  # the factors, not the products
    browser.save_screenshot(str(shots / "quiz-2-hint.png"))

    assert quiz.answer(0, "41.97") == "✓ right: dL/dx += 3 × 14 = 42"  # within 1e-3
    assert quiz.states() == ["right", "wrong"] and quiz.asking()
    assert quiz.score() == "right: 1 of 8"
    assert quiz.inputs()[0].get_attribute("readonly") == "true"

    quiz.find(".mgn-reveal").click()
    wait_for(lambda: not quiz.asking(), what="the step shown")
    assert quiz.states() == ["right", "shown"]
    assert quiz.feedback()[1] == "revealed: dL/dw += 2 × 14 = 28"
    assert quiz.inputs()[1].get_attribute("value") == "28"
    assert "dL/dx += 3 × 14 = 42" in quiz.text() and "dL/dw += 2 × 14 = 28" in quiz.text()
    assert "∂L/∂x = 42" in quiz.picture() and "∂L/∂w = 28" in quiz.picture()
    assert quiz.score() == "right: 1 of 8 · revealed: 1"
    assert active_class(browser) == "mgn-next"  # on to the next step
    browser.save_screenshot(str(shots / "quiz-3-answered.png"))

    quiz.go(1)  # forward step 4: x·w = 2·3
    assert quiz.asking() and quiz.inputs()[0].accessible_name == "x·w: its value"
    assert quiz.answer(0, "2") == (
        "✗ not right: it looks like the value of its operand x, not of x·w. Try again."
    )
    assert quiz.answer(0, "6") == "✓ right: x·w = 2·3 = 6"
    assert not quiz.asking() and quiz.score() == "right: 2 of 8 · revealed: 1"
    assert severe_console_messages(browser) == []


def test_a_path_left_out_and_a_total_for_what_a_step_adds_are_diagnosed(
    browser: Any, tmp_path: Path
) -> None:
    """L = u·z + u·v with u = x·y at x = 2, y = 3, z = 5, v = 2: ∂L/∂u = z + v = 7 sums two
    uses. At a's step u already holds 2 (from b): typing the total 7 instead of the 5 it adds
    is diagnosed; at u's step, 3 × (7 − 5) = 6 leaves out the path through a."""
    L = two_uses()
    stepper = Stepper(L, quiz=True)
    frames = [f.steps for f in stepper.frames()]
    (quiz,) = open_quizzes(browser, stepper.save_html(tmp_path / "paths.html"))
    quiz.go(frames.index("backward step 3"))  # a is reached: it sends z·1 = 5 to u
    assert quiz.answer(0, "7") == (
        "✗ not right: it looks like the total ∂L/∂u after this step (2 + it), not what it adds."
        " Try again."
    )
    assert quiz.answer(0, "5") == "✓ right: dL/du += 5 × 1 = 5, so dL/du = 7"
    quiz.go(frames.index("backward step 4"))  # u is reached with 7: it sends y·7 = 21 to x
    assert quiz.answer(0, "6") == (
        "✗ not right: it looks like ∂L/∂u without the path through a (∂L/∂u sums 2 uses of u)."
        " Try again."
    )
    assert quiz.answer(0, "21") == "✓ right: dL/dx += 3 × 7 = 21"
    assert severe_console_messages(browser) == []


def test_answers_are_read_as_numbers_only(browser: Any, pages: dict[str, Path]) -> None:
    (quiz,) = open_quizzes(browser, pages["push"])
    quiz.go(BACKWARD_3)
    number_only = "✗ not a number: type a number such as 42, -0.5 or 1.5e-3 (no formulas)"
    for typed in ["3*14", "abc", "42)", "1/2", "alert(1)", "0x2A", "4 2", "--42"]:
        assert quiz.answer(0, typed) == number_only, typed
    assert quiz.answer(0, "41,9") == "✗ write the decimal point as a point: 41.9"
    assert quiz.answer(0, "1e999") == "✗ too large: type a finite number"
    assert quiz.answer(0, "   ") == "✗ type a number first"
    assert quiz.score() == "right: 0 of 8" and quiz.states()[0] == "bad"
    assert quiz.answer(0, "−42").startswith("✗ not right: it looks like the opposite sign")
    assert quiz.answer(0, "4.2e1") == "✓ right: dL/dx += 3 × 14 = 42"
    assert quiz.answer(1, "+28.0") == "✓ right: dL/dw += 2 × 14 = 28"
    assert quiz.score() == "right: 2 of 8"
    assert severe_console_messages(browser) == []


def test_local_derivatives_quiz(browser: Any, pages: dict[str, Path], shots: Path) -> None:
    (quiz,) = open_quizzes(browser, pages["local"])
    quiz.go(BACKWARD_3)
    dx, dw = quiz.inputs()
    assert dx.accessible_name == "∂(x·w)/∂x: the local derivative of x·w with respect to x"
    assert dw.accessible_name == "∂(x·w)/∂w: the local derivative of x·w with respect to w"
    assert "∂=3" not in quiz.picture()  # the local derivatives are what is asked
    assert quiz.answer(0, "2").startswith(
        "✗ not right: it looks like the local derivative of the edge into w (2), not into x"
    )
    assert quiz.answer(0, "42").startswith("✗ not right: it looks like what x·w passes back")
    quiz.find(".mgn-hint-me").click()
    assert "∂(x·w)/∂x = w, at the values of the forward pass" in quiz.find(".mgn-hint").text
    browser.save_screenshot(str(shots / "quiz-4-local.png"))
    assert quiz.answer(0, "3") == "✓ right: ∂(x·w)/∂x = w = 3"
    assert quiz.answer(1, "2") == "✓ right: ∂(x·w)/∂w = x = 2"
    assert not quiz.asking() and "dL/dx += 3 × 14 = 42" in quiz.text()
    assert severe_console_messages(browser) == []


# -- the keyboard alone ---------------------------------------------------------------------------


def test_the_whole_quiz_with_the_keyboard_alone(
    browser: Any, pages: dict[str, Path], shots: Path
) -> None:
    """Tab to "next", Enter: the focus goes to the question's first input; type, Enter: once a
    step is answered the focus is on "next" again. Wrong answers, "check", "hint" and "reveal"
    are reached with Tab and pressed with Enter."""
    from selenium.webdriver.common.keys import Keys

    (quiz,) = open_quizzes(browser, pages["push"])
    tab_to(browser, "mgn-next")
    answers = {1: ["6"], 2: ["7"], 3: ["49"], 5: ["14"], 6: ["14", "14"]}
    for frame in range(1, 7):
        keys(browser, Keys.ENTER)  # on "next"
        wait_for(lambda f=frame: quiz.root.get_attribute("data-frame") == str(f))
        for typed in answers.get(frame, []):
            assert active_class(browser) == "mgn-answer"
            keys(browser, typed, Keys.ENTER)
        assert active_class(browser) == "mgn-next" and not quiz.asking()
    keys(browser, Keys.ENTER)  # backward step 3: x and w
    wait_for(lambda: quiz.asking())
    keys(browser, "28", Keys.ENTER)  # x: wrong, the focus stays for a retry
    assert active_class(browser) == "mgn-answer" and quiz.states() == ["wrong", "open"]
    keys(browser, Keys.BACKSPACE, Keys.BACKSPACE, "42", Keys.ENTER)  # retry: right
    assert quiz.states() == ["right", "open"] and active_class(browser) == "mgn-answer"
    keys(browser, "2")  # w, then Tab to "check"
    tab_to(browser, "mgn-check", limit=1)
    keys(browser, Keys.ENTER)
    assert quiz.states() == ["right", "wrong"]
    assert "the local derivative ∂(x·w)/∂w alone" in quiz.feedback()[1]
    tab_to(browser, "mgn-hint-me", limit=1)
    keys(browser, Keys.ENTER)
    assert "∂(x·w)/∂w = 2" in quiz.find(".mgn-hint").text
    browser.save_screenshot(str(shots / "quiz-5-keyboard-hint.png"))
    tab_to(browser, "mgn-reveal", limit=1)
    keys(browser, Keys.ENTER)
    wait_for(lambda: not quiz.asking())
    assert active_class(browser) == "mgn-next"
    assert quiz.score() == "right: 7 of 8 · revealed: 1"
    keys(browser, Keys.ENTER)
    wait_for(lambda: quiz.root.get_attribute("data-frame") == "8")
    assert severe_console_messages(browser) == []


# -- progress kept ---------------------------------------------------------------------------------


def test_progress_survives_a_reload_and_start_over_forgets_it(
    browser: Any, pages: dict[str, Path]
) -> None:
    (quiz,) = open_quizzes(browser, pages["push"])
    quiz.go(1)
    quiz.answer(0, "6")
    quiz.go(BACKWARD_3)
    quiz.answer(0, "28")
    quiz.find(".mgn-hint-me").click()
    browser.refresh()
    (quiz,) = open_quizzes(browser, pages["push"])
    assert quiz.root.get_attribute("data-frame") == str(BACKWARD_3)  # where the student was
    assert quiz.score() == "right: 1 of 8"
    assert quiz.states() == ["wrong", "open"] and quiz.asking()
    assert quiz.inputs()[0].get_attribute("value") == "28"
    assert "edge into w" in quiz.feedback()[0]
    assert "∂(x·w)/∂x = 3" in quiz.find(".mgn-hint").text
    quiz.go(1)
    assert not quiz.asking() and quiz.states() == ["right"]
    quiz.find(".mgn-restart").click()
    assert quiz.score() == "right: 0 of 8" and quiz.root.get_attribute("data-frame") == "0"
    browser.refresh()
    (quiz,) = open_quizzes(browser, pages["push"])
    quiz.go(1)
    assert quiz.asking() and quiz.score() == "right: 0 of 8"
    assert severe_console_messages(browser) == []


def test_two_equal_quizzes_on_one_page_keep_their_own_answers(
    browser: Any, pages: dict[str, Path], shots: Path
) -> None:
    first, second = open_quizzes(browser, pages["two"], 2)
    assert first.root.get_attribute("id") == second.root.get_attribute("id")  # the same bytes
    browser.execute_script("arguments[0].scrollIntoView()", second.root)
    second.go(1)
    second.answer(0, "6")
    assert (first.score(), second.score()) == ("right: 0 of 8", "right: 1 of 8")
    assert first.root.get_attribute("data-frame") == "0"
    browser.save_screenshot(str(shots / "quiz-6-two-on-a-page.png"))
    browser.refresh()
    first, second = open_quizzes(browser, pages["two"], 2)
    assert (first.score(), second.score()) == ("right: 0 of 8", "right: 1 of 8")
    kept = browser.execute_script("return Object.keys(localStorage).sort()")
    assert [k.rsplit("/", 1)[1] for k in kept] == ["0", "1"]
    assert severe_console_messages(browser) == []


def test_without_local_storage_the_quiz_works_and_says_nothing_is_kept(
    browser: Any, pages: dict[str, Path]
) -> None:
    """A browser that refuses storage (privacy settings): every use of localStorage throws."""
    refuse = (
        "Object.defineProperty(window, 'localStorage', {configurable: true, get: function () "
        "{ throw new DOMException('storage refused', 'SecurityError'); }});"
    )
    added = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": refuse})
    try:
        (quiz,) = open_quizzes(browser, pages["push"])
        assert NOT_KEPT in quiz.find(".mgn-note").text
        quiz.go(1)
        assert quiz.answer(0, "6") == "✓ right: x·w = 2·3 = 6"
        assert quiz.score() == "right: 1 of 8"
        browser.refresh()
        (quiz,) = open_quizzes(browser, pages["push"])
        assert quiz.score() == "right: 0 of 8"
        assert severe_console_messages(browser) == []
    finally:
        browser.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]}
        )


# -- the view follows the step in a quiz too -------------------------------------------------------


@pytest.mark.parametrize("graph", ["masha", "mlp"])
def test_each_question_keeps_its_nodes_in_view(
    browser: Any, tmp_path: Path, shots: Path, graph: str
) -> None:
    """The quiz's panel takes room above the picture: each question's current node and the
    nodes it asks about still lie in view at 1280×720, at a readable size."""
    from browsers import GRAPHS, focus_problems, on_screen

    from microgradnet.html_stepper import READABLE_PX

    stepper = Stepper(GRAPHS[graph](), quiz=True)
    frames = list(stepper.frames())
    (quiz,) = open_quizzes(browser, stepper.save_html(tmp_path / f"{graph}.html"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", quiz.root)
    problems = []
    asked = [i for i, f in enumerate(frames) if f.question is not None]
    for i in asked:
        quiz.go(i)
        assert quiz.asking()
        shown = wait_for(lambda f=frames[i]: on_screen(browser, quiz.root, f.focus))
        problems += [f"frame {i + 1}: {p}" for p in focus_problems(shown, frames[i].focus)]
        if shown.text < READABLE_PX - 0.05:
            problems.append(f"frame {i + 1}: text of {shown.text:.1f} px")
        if i in (asked[0], asked[len(asked) // 2], asked[-1]):
            browser.save_screenshot(str(shots / f"quiz-{graph}-frame-{i + 1}.png"))
    assert problems == []
    assert severe_console_messages(browser) == []
