"""Any number of HTML steppers on one page, in headless Chromium: equal fragments made by two
separate processes (once they got the same element id, and the second never started), each
started by its own script, and all started where a page runs the scripts detached from their
place (as some notebook front ends do)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browsers import SMALL, scripts, severe_console_messages, wait_for
from conftest import run_python

pytestmark = [pytest.mark.browser, pytest.mark.needs_dot]
ROOT = Path(__file__).resolve().parent.parent
MAKE_FRAGMENT = """
import sys
sys.path.insert(0, {tests!r})
from networks import seed001
from microgradnet.stepper import Stepper
sys.stdout.write(Stepper(seed001()[3]).to_html(page=False))
"""


def fragment_from_a_new_process() -> str:
    return run_python(MAKE_FRAGMENT.format(tests=str(ROOT / "tests"))).stdout


def ready_steppers(driver: Any, n: int) -> list[Any]:
    from selenium.webdriver.common.by import By

    def ready() -> list[Any] | None:
        found = driver.find_elements(By.CSS_SELECTOR, ".mgn-stepper[data-ready]")
        return found if len(found) == n else None

    result: list[Any] = wait_for(ready, what=f"{n} steppers to start")
    return result


@pytest.fixture
def browser(chromium_driver: Any) -> Any:
    """The shared Chromium (conftest) at a 1280×720 window, scripts on, its console read
    afresh."""
    chromium_driver.set_window_size(*SMALL)
    scripts(chromium_driver, True)
    chromium_driver.get_log("browser")
    return chromium_driver


def test_equal_fragments_from_two_processes_work_side_by_side(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    a, b = fragment_from_a_new_process(), fragment_from_a_new_process()
    assert a == b  # the same input, the same bytes
    page = tmp_path / "two.html"
    page.write_text(f"<!DOCTYPE html><meta charset='utf-8'><body>{a}<p>text</p>{b}</body>")
    browser.get(page.as_uri())
    first, second = ready_steppers(browser, 2)
    second.click()
    for _ in range(3):
        second.send_keys(Keys.ARROW_RIGHT)
    assert second.get_attribute("data-frame") == "3"
    assert first.get_attribute("data-frame") == "0"  # the other one did not move
    assert second.find_element(By.CLASS_NAME, "mgn-counter").text.startswith("frame 4 of 9")
    first.find_element(By.CLASS_NAME, "mgn-next").click()
    assert first.get_attribute("data-frame") == "1" and second.get_attribute("data-frame") == "3"
    assert severe_console_messages(browser) == []


def test_scripts_run_detached_start_every_stepper(browser: Any, tmp_path: Path) -> None:
    """The fragments inserted without running their scripts, then one script run on its own
    (no document.currentScript): both steppers start, each with its own frames."""
    from selenium.webdriver.common.by import By

    a = fragment_from_a_new_process()
    page = tmp_path / "blank.html"
    page.write_text("<!DOCTYPE html><meta charset='utf-8'><body><div id='out'></div></body>")
    browser.get(page.as_uri())
    browser.execute_script("document.getElementById('out').innerHTML = arguments[0]", a + a)
    assert browser.find_elements(By.CSS_SELECTOR, ".mgn-stepper[data-ready]") == []
    script = a.rsplit("<script>", 1)[1].split("</script>")[0]
    browser.execute_script(script)  # as jQuery's globalEval runs a cell's scripts
    first, second = ready_steppers(browser, 2)
    second.find_element(By.CLASS_NAME, "mgn-next").click()
    assert (first.get_attribute("data-frame"), second.get_attribute("data-frame")) == ("0", "1")
    assert severe_console_messages(browser) == []
