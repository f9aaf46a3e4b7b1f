"""The step-through in a real browser: Debian's headless Chromium driven by selenium, one
session for every browser test (conftest's chromium_driver).

1. The self-contained HTML stepper: keys, buttons, play, the arithmetic of each step, two
   steppers on one page, the zoom, and what shows where no script runs.
2. The view follows the step: in every frame of the notes' example, Masha's network and
   MLP(2, [4, 4, 1]) (by neuron), at a 1280×720 and a 1920×1080 window, the current node and
   the nodes the step changed are in view (as many as fit, the current node first), at a
   readable size.
3. The ipywidgets Stepper inside JupyterLab (a temporary server, the file browser open): the
   slider moves the picture and the text, the zoom works, and the view follows the step in
   every frame of the same three graphs, at both windows; a quiz (the HTML quiz in an Output
   widget) starts and checks answers there too.

Screenshots go to $MICROGRADNET_SCREENSHOTS (default: a temporary directory), for a person to
look at.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsers import (
    GRAPHS,
    LARGE,
    SMALL,
    Quiz,
    ServerDied,
    focus_problems,
    notes_example,
    on_screen,
    scripts,
    severe_console_messages,
    wait_for,
)

from microgradnet import backward_steps, forward_steps
from microgradnet.html_stepper import READABLE_PX
from microgradnet.stepper import Frame, Stepper

pytestmark = [pytest.mark.browser, pytest.mark.needs_dot]
TESTS = Path(__file__).resolve().parent
GRAD_X_42 = re.compile(r">(grad|∂L/∂x =) 42<")  # dL/dx = 3 × 14 drawn in its node
UNKNOWN = re.compile(r">(data|)(\xa0|&#160;|&nbsp;)?= \?<|>data \?<")  # a value not computed yet


@pytest.fixture
def browser(chromium_driver: Any) -> Iterator[Any]:
    """The shared Chromium at a 1280×720 window, scripts on, its console read afresh."""
    chromium_driver.set_window_size(*SMALL)
    scripts(chromium_driver, True)
    chromium_driver.get_log("browser")  # what earlier tests left
    yield chromium_driver
    scripts(chromium_driver, True)


# -- 1. the HTML stepper -------------------------------------------------------------------------


def test_html_stepper_keys_buttons_and_play(browser: Any, tmp_path: Path, shots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    L = notes_example()
    stepper = Stepper(L, interval=60)
    frames = list(stepper.frames())
    assert len(frames) == 9
    page = stepper.save_html(tmp_path / "seed001.html")
    browser.get(page.as_uri())
    root = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ".mgn-stepper[data-ready]"))
    counter = root.find_element(By.CLASS_NAME, "mgn-counter")
    text = root.find_element(By.CLASS_NAME, "mgn-text")
    picture = root.find_element(By.CLASS_NAME, "mgn-sheet")

    def svg() -> str:
        return str(picture.get_attribute("innerHTML"))

    assert counter.text == f"frame 1 of 9 — {frames[0].steps}"
    assert frames[0].steps == "forward steps 1–3: inputs and parameters given"
    assert text.text == frames[0].text
    first = svg()
    assert UNKNOWN.search(first)  # values not computed yet
    browser.save_screenshot(str(shots / "html-1-first-frame.png"))

    root.click()  # focus: the keys act on the stepper that has it
    root.send_keys(Keys.ARROW_RIGHT)
    assert counter.text == "frame 2 of 9 — forward step 4"
    assert text.text == list(forward_steps(L))[3].text(4) and text.text.endswith("x·w = 2·3 = 6")
    assert svg() != first
    root.find_element(By.CLASS_NAME, "mgn-next").click()
    assert counter.text == "frame 3 of 9 — forward step 5"

    # to the frame of backward step 3: the third item of backward_steps(L), its numbers as shown
    target = next(i for i, f in enumerate(frames) if f.steps == "backward step 3")
    before = svg()
    for _ in range(target - 2):
        root.send_keys(Keys.ARROW_RIGHT)
    step3 = list(backward_steps(L))[2]
    assert counter.text == f"frame {target + 1} of 9 — backward step 3"
    assert text.text == step3.text(4)
    assert "dL/dx += 3 × 14 = 42" in text.text and "dL/dw += 2 × 14 = 28" in text.text
    assert svg() != before and GRAD_X_42.search(svg())
    browser.save_screenshot(str(shots / "html-2-backward-step-3.png"))

    root.send_keys(Keys.HOME)
    assert counter.text.startswith("frame 1 of 9")
    root.find_element(By.CLASS_NAME, "mgn-play").click()
    wait_for(lambda: root.get_attribute("data-playing") == "false", what="play to stop")
    assert root.get_attribute("data-frame") == "8"
    assert counter.text == f"frame 9 of 9 — {frames[-1].steps}"
    time.sleep(0.3)  # five intervals more: it has stopped, not wrapped around
    assert root.get_attribute("data-frame") == "8"
    assert GRAD_X_42.search(svg())
    browser.save_screenshot(str(shots / "html-3-after-play.png"))
    assert severe_console_messages(browser) == []


def test_two_html_steppers_on_one_page(browser: Any, tmp_path: Path, shots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    L = notes_example()
    a = Stepper(L).to_html(page=False)
    b = Stepper(L, forward=False, show_local=False).to_html(page=False)
    page = tmp_path / "two.html"
    page.write_text(f"<!DOCTYPE html><meta charset='utf-8'><body>{a}{b}</body>", encoding="utf-8")
    browser.get(page.as_uri())
    first, second = wait_for(
        lambda: (
            [*browser.find_elements(By.CSS_SELECTOR, ".mgn-stepper[data-ready]")][:2]
            if len(browser.find_elements(By.CSS_SELECTOR, ".mgn-stepper[data-ready]")) == 2
            else None
        )
    )
    assert first.get_attribute("id") != second.get_attribute("id")
    browser.execute_script("arguments[0].scrollIntoView()", second)
    second.click()
    second.send_keys(Keys.ARROW_RIGHT)
    second.send_keys(Keys.ARROW_RIGHT)
    assert second.get_attribute("data-frame") == "2"
    assert first.get_attribute("data-frame") == "0"  # the other one did not move
    assert first.find_element(By.CLASS_NAME, "mgn-counter").text.startswith("frame 1 of 9")
    second.find_element(By.CLASS_NAME, "mgn-zoom-fit").click()  # the zoom is each one's own
    assert "mgn-fit" in str(second.get_attribute("class"))
    assert "mgn-fit" not in str(first.get_attribute("class"))
    browser.save_screenshot(str(shots / "html-4-two-steppers.png"))
    assert severe_console_messages(browser) == []


def test_html_zoom_fit_shows_every_node_and_100_percent_the_natural_size(
    browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    stepper = Stepper(GRAPHS["masha"]())
    frames = list(stepper.frames())
    names = sorted({n for f in frames for n in f.focus})
    browser.get(stepper.save_html(tmp_path / "masha.html").as_uri())
    root = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ".mgn-stepper[data-ready]"))
    auto = on_screen(browser, root, names)
    assert auto is not None and auto.text >= READABLE_PX - 0.05
    assert not all(auto.inside(n) for n in names)  # too wide for the window at a readable size
    root.find_element(By.CLASS_NAME, "mgn-zoom-fit").click()
    fitted = on_screen(browser, root, names)
    assert fitted is not None and all(fitted.inside(n) for n in names)
    assert fitted.scale < auto.scale
    root.find_element(By.CLASS_NAME, "mgn-zoom-full").click()
    full = on_screen(browser, root, names)
    assert full is not None and full.scale == pytest.approx(1.0, abs=0.005)
    assert full.inside(frames[0].focus[0])  # 100% is placed on the step too
    assert root.find_element(By.CLASS_NAME, "mgn-zoom-full").get_attribute("aria-pressed") == "true"


def test_html_stepper_without_scripts_shows_the_last_frame_and_the_steps(
    browser: Any, tmp_path: Path, shots: Path
) -> None:
    from selenium.webdriver.common.by import By

    page = Stepper(notes_example()).save_html(tmp_path / "seed001.html")
    scripts(browser, False)
    browser.get(page.as_uri())
    root = browser.find_element(By.CLASS_NAME, "mgn-stepper")
    assert root.get_attribute("data-ready") is None  # no script ran
    assert not root.find_element(By.CLASS_NAME, "mgn-controls").is_displayed()
    picture = root.find_element(By.CLASS_NAME, "mgn-view")
    assert GRAD_X_42.search(picture.get_attribute("innerHTML"))  # the last frame
    assert picture.find_element(By.TAG_NAME, "svg").size["width"] > 600  # at 100%, scrolling
    steps = root.find_element(By.CLASS_NAME, "mgn-steps")
    assert steps.is_displayed() and "dL/dx += 3 × 14 = 42" in steps.text
    browser.save_screenshot(str(shots / "html-5-no-script.png"))


# -- 2. the view follows the step, in the HTML stepper -------------------------------------------


def check_every_frame(
    driver: Any, scope: Any, frames: list[Frame], show: Any, shots: Path, tag: str
) -> None:
    """Show each frame (show(i) returns once frame i is on screen) and check its view: the
    current node and as many of the changed nodes as fit in view, text readable and inside
    its box; screenshots of the first, a middle and the last frame."""
    problems = []
    for i, frame in enumerate(frames):
        show(i)
        shown = wait_for(lambda f=frame: on_screen(driver, scope, f.focus), what=f"frame {i + 1}")
        problems += [
            f"frame {i + 1} ({frame.steps}): {p}" for p in focus_problems(shown, frame.focus)
        ]
        if shown.text < READABLE_PX - 0.05:
            problems.append(f"frame {i + 1}: text of {shown.text:.1f} px")
        if shown.spilling:  # a partial sum wider than the total, "1 (seed)" wider than 1
            problems.append(f"frame {i + 1}: text wider than the box in {shown.spilling}")
        if i in (0, len(frames) // 2, len(frames) - 1):
            driver.save_screenshot(str(shots / f"{tag}-frame-{i + 1}.png"))
    assert problems == []


@pytest.mark.parametrize("window", [SMALL, LARGE], ids=["1280x720", "1920x1080"])
@pytest.mark.parametrize("graph", list(GRAPHS))
def test_html_view_follows_every_step(
    browser: Any, tmp_path: Path, shots: Path, graph: str, window: tuple[int, int]
) -> None:
    from selenium.webdriver.common.by import By

    stepper = Stepper(GRAPHS[graph]())
    frames = list(stepper.frames())
    browser.set_window_size(*window)
    browser.get(stepper.save_html(tmp_path / f"{graph}.html").as_uri())
    root = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ".mgn-stepper[data-ready]"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
    slider = root.find_element(By.CLASS_NAME, "mgn-slider")

    def show(i: int) -> None:
        browser.execute_script(
            "arguments[0].value = arguments[1];arguments[0].dispatchEvent(new Event('input'))",
            slider,
            str(i),
        )
        wait_for(lambda: root.get_attribute("data-frame") == str(i), what=f"frame {i + 1}")

    check_every_frame(browser, root, frames, show, shots, f"html-{graph}-{window[0]}")
    assert severe_console_messages(browser) == []


# -- 3. the widget in JupyterLab -----------------------------------------------------------------

NOTEBOOK_CELLS = [
    f"import sys\nsys.path.insert(0, {str(TESTS)!r})\n"
    "from browsers import GRAPHS\nfrom microgradnet import Stepper",
    *[f"Stepper(GRAPHS[{name!r}](), interval=300)" for name in GRAPHS],
    "Stepper(GRAPHS['notes'](), quiz=True)",
]


def step_notebook(path: Path) -> None:
    """A notebook of three cells, each showing a Stepper of one of GRAPHS."""
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "source": source,
            "outputs": [],
            "execution_count": None,
        }
        for source in NOTEBOOK_CELLS
    ]
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lab_environment(tmp: Path) -> dict[str, str]:
    """The environment of a JupyterLab server kept to tmp: its own configuration (no news, no
    windowing: every cell in the page), settings, workspaces and runtime files; this tree
    first on the kernel's path."""
    config = tmp / "jupyter-config"
    (config / "labconfig").mkdir(parents=True)
    off = {"@jupyterlab/apputils-extension:announcements": True}  # no news fetched, no pop-up
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": off}))
    settings = tmp / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    no_windowing = {"windowingMode": "none"}  # every cell in the page, not only those in view
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps(no_windowing))
    return dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
        PYTHONPATH=os.pathsep.join([str(TESTS.parent), os.environ.get("PYTHONPATH", "")]),
    )


def lab_command(root: Path, port: int, token: str) -> list[str]:
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1"]
    command += [f"--port={port}", f"--IdentityProvider.token={token}"]
    command += [
        f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
        "--LabApp.news_url=",
        "--ServerApp.allow_remote_access=False",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # as in a container; the server listens on 127.0.0.1
    return command


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on 127.0.0.1 with a token and the steppers' notebook in its
    temporary root, its kernel started; stopped (and waited for) even when a test fails."""
    pytest.importorskip("jupyterlab")
    pytest.importorskip("ipywidgets")
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    root.mkdir()
    step_notebook(root / "steppers.ipynb")
    env = lab_environment(tmp)
    token, port = secrets.token_hex(16), free_port()
    log_path = tmp / "jupyter.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        lab_command(root, port, token), stdout=log, stderr=subprocess.STDOUT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            if server.poll() is not None:
                raise ServerDied(log_path.read_text()[-3000:])
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                return bool(r.status == 200)

        wait_for(up, timeout=90, what="the Jupyter server to start")
        session = {"path": "steppers.ipynb", "type": "notebook", "kernel": {"name": "python3"}}
        request = urllib.request.Request(  # the kernel started before the page: no kernel dialog
            f"{base}/api/sessions?token={token}",
            data=json.dumps(session).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as r:
            assert r.status == 201
        yield f"{base}/lab/tree/steppers.ipynb?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        log.close()


RUN_MENU = "//div[contains(@class,'lm-MenuBar-itemLabel') and text()='Run']"
RUN_ALL = "//div[contains(@class,'lm-Menu-itemLabel') and text()='Run All Cells']"


class LabPage:
    """The notebook open in JupyterLab: its kernel, its Run menu, its cells."""

    def __init__(self, driver: Any, url: str = "") -> None:
        self.driver, self.url = driver, url
        self.last_run = self.opened = time.monotonic()
        self.reopened = False

    def status(self) -> str:
        """The kernel's status as the notebook's indicator shows it (idle, busy, ...)."""
        from selenium.webdriver.common.by import By

        indicator = self.driver.find_element(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator")
        return str(indicator.get_attribute("data-status"))

    def stalled(self) -> bool:
        """The kernel has been neither idle nor busy for 90 s since the last run."""
        return time.monotonic() - self.last_run > 90 and self.status() not in ("idle", "busy")

    def stuck(self) -> bool:
        """No widgets 120 s after the page was opened, and it has not been opened afresh yet:
        on a loaded machine JupyterLab may start two kernels for the notebook at once, shut
        them down and leave the page talking to neither, its status still reading idle."""
        return not self.reopened and time.monotonic() - self.opened > 120

    def reopen(self) -> None:
        """Open the notebook afresh and run every cell: on a loaded machine the page's
        connection to a starting kernel is sometimes lost for good ("Disconnected")."""
        from selenium.webdriver.common.by import By

        self.opened, self.reopened = time.monotonic(), True
        self.leave()
        self.driver.get(self.url)
        wait_for(lambda: self.driver.find_element(By.XPATH, RUN_MENU), 90, "JupyterLab to load")
        open_file_browser(self.driver)
        self.run_all()

    def kernel_idle(self) -> bool:
        from selenium.webdriver.common.by import By

        for button in self.driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept"):
            button.click()  # "Select Kernel", when asked: the default, Python 3
        indicator = self.driver.find_element(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator")
        return bool(indicator.get_attribute("data-status") == "idle")

    def run_all(self) -> None:
        from selenium.webdriver.common.by import By

        wait_for(self.kernel_idle, 90, "the kernel to start")
        self.driver.find_element(By.XPATH, RUN_MENU).click()
        wait_for(lambda: self.driver.find_element(By.XPATH, RUN_ALL)).click()
        self.last_run = time.monotonic()

    def unfinished(self) -> bool:
        """The kernel is idle, yet a cell never ran (its prompt still reads [ ]: "Run All" was
        swallowed or cut short on a loaded machine) or a widget still reads "Loading
        widget..." (its model never reached the page: the cell ran before the page's widget
        manager listened)."""
        from selenium.webdriver.common.by import By

        prompts = [
            p.text.strip() for p in self.driver.find_elements(By.CSS_SELECTOR, ".jp-InputPrompt")
        ]
        outputs = self.driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")
        waiting = any("Loading widget" in o.text for o in outputs)
        return self.kernel_idle() and (not prompts or "[ ]:" in prompts or waiting)

    def stepper_widgets(self) -> list[Any] | None:
        """The Stepper widgets once all are shown; runs every cell again when they will not
        be (a kernel dialog, or unfinished() for 30 s), and opens the notebook afresh when
        its kernel is neither idle nor busy 90 s after the last run, or once when no widget
        has come 120 s after it was opened."""
        from selenium.webdriver.common.by import By

        found = self.driver.find_elements(By.CSS_SELECTOR, ".mgn-widget")
        if len(found) == len(GRAPHS):
            return list(found)
        dialog = self.driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept")
        if dialog or (time.monotonic() - self.last_run > 30 and self.unfinished()):
            self.run_all()
        elif self.url and (self.stalled() or self.stuck()):
            self.reopen()  # the connection to the kernel is gone
        return None

    def leave(self) -> None:
        """Go to a blank page, past JupyterLab's "leave the page?" question."""
        from selenium.common.exceptions import UnexpectedAlertPresentException

        try:
            self.driver.get("about:blank")
        except UnexpectedAlertPresentException:
            self.driver.switch_to.alert.accept()
            self.driver.get("about:blank")


@pytest.fixture(scope="module")
def lab_widgets(chromium_driver: Any, jupyter_lab: str, shots: Path) -> Iterator[list[Any]]:
    """The notebook open in JupyterLab at a 1280×720 window with the file browser open, every
    cell run: the three Stepper widgets, in GRAPHS' order."""
    from selenium.webdriver.common.by import By

    driver = chromium_driver
    driver.set_window_size(*SMALL)
    scripts(driver, True)
    driver.get(jupyter_lab)
    page = LabPage(driver, jupyter_lab)
    try:
        wait_for(lambda: driver.find_element(By.XPATH, RUN_MENU), 90, "JupyterLab to load")
        open_file_browser(driver)
        page.run_all()
        yield wait_for(page.stepper_widgets, timeout=360, what="the Stepper widgets")
    except BaseException:
        driver.save_screenshot(str(shots / "lab-failed.png"))
        raise
    finally:
        page.leave()


def open_file_browser(driver: Any) -> None:
    """The left sidebar showing the file browser, at its default width."""
    from selenium.webdriver.common.by import By

    def shown() -> bool:
        return any(
            e.is_displayed() for e in driver.find_elements(By.CSS_SELECTOR, ".jp-FileBrowser")
        )

    if not shown():
        driver.find_element(By.CSS_SELECTOR, "[data-id='filebrowser']").click()
    wait_for(shown, what="the file browser")


class WidgetView:
    """One Stepper widget in the page: what it shows now, and its slider."""

    def __init__(self, driver: Any, box: Any) -> None:
        self.driver, self.box = driver, box

    def shown(self) -> tuple[str, str, str]:
        """The counter, the step's text and the picture now shown (found anew each time: the
        widget's stacks replace what they show)."""
        from selenium.webdriver.common.by import By

        labels = [
            e
            for e in self.box.find_elements(By.CSS_SELECTOR, ".widget-html-content")
            if e.is_displayed() and not e.find_elements(By.CSS_SELECTOR, ".mgn-zoom")
        ]
        return labels[0].text, labels[1].text, str(labels[2].get_attribute("innerHTML"))

    def step(self) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        handle = self.box.find_element(By.CSS_SELECTOR, ".noUi-handle")
        handle.send_keys(Keys.ARROW_RIGHT)

    def show(self, i: int, n: int) -> None:
        """Move the slider to frame i (from frame i - 1, or from anywhere to 0 with Home)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        handle = self.box.find_element(By.CSS_SELECTOR, ".noUi-handle")
        if i == 0:
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", self.box)
            handle.click()
            handle.send_keys(Keys.HOME)
        else:
            handle.send_keys(Keys.ARROW_RIGHT)
        wait_for(lambda: self.shown()[0].startswith(f"frame {i + 1} of {n}"), what=f"frame {i + 1}")


def test_widget_in_jupyterlab_follows_the_slider(
    chromium_driver: Any, lab_widgets: list[Any], shots: Path
) -> None:
    driver = chromium_driver
    widget = WidgetView(driver, lab_widgets[0])
    L = notes_example()
    n = len(Stepper(L))
    widget.show(0, n)
    first_svg = widget.shown()[2]
    assert "<svg" in first_svg and UNKNOWN.search(first_svg)
    driver.save_screenshot(str(shots / "lab-1-widget-first-frame.png"))
    widget.show(1, n)
    assert "forward step 4" in widget.shown()[0]
    step4 = list(forward_steps(L))[3].text(4)
    wait_for(lambda: widget.shown()[1] == step4, what="the step's text")
    assert widget.shown()[2] != first_svg
    for i in range(2, 8):
        widget.show(i, n)
    step3 = list(backward_steps(L))[2]
    wait_for(lambda: "backward step 3" in widget.shown()[0], what="backward step 3")
    wait_for(lambda: widget.shown()[1] == step3.text(4), what="backward step 3's arithmetic")
    assert GRAD_X_42.search(widget.shown()[2])
    driver.save_screenshot(str(shots / "lab-2-widget-backward-step-3.png"))


@pytest.mark.parametrize("window", [SMALL, LARGE], ids=["1280x720", "1920x1080"])
@pytest.mark.parametrize("graph", list(GRAPHS))
def test_widget_view_follows_every_step(
    chromium_driver: Any, lab_widgets: list[Any], shots: Path, graph: str, window: tuple[int, int]
) -> None:
    """In JupyterLab with its file browser open, at a 1280×720 and a 1920×1080 window."""
    driver = chromium_driver
    driver.set_window_size(*window)
    box = lab_widgets[list(GRAPHS).index(graph)]
    frames = list(Stepper(GRAPHS[graph]()).frames())
    widget = WidgetView(driver, box)
    try:
        tag = f"lab-{graph}-{window[0]}"
        check_every_frame(driver, box, frames, lambda i: widget.show(i, len(frames)), shots, tag)
    finally:
        driver.set_window_size(*SMALL)


def test_widget_zoom_fit_shows_every_node(
    chromium_driver: Any, lab_widgets: list[Any], shots: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver = chromium_driver
    box = lab_widgets[list(GRAPHS).index("masha")]
    frames = list(Stepper(GRAPHS["masha"]()).frames())
    names = sorted({n for f in frames for n in f.focus})
    widget = WidgetView(driver, box)
    widget.show(0, len(frames))
    auto = wait_for(lambda: on_screen(driver, box, names))
    assert not all(auto.inside(n) for n in names)
    box.find_element(By.CSS_SELECTOR, ".mgn-pick-fit").click()
    fitted = wait_for(lambda: on_screen(driver, box, names))
    assert all(fitted.inside(n) for n in names) and fitted.scale < auto.scale
    driver.save_screenshot(str(shots / "lab-masha-fit.png"))
    box.find_element(By.CSS_SELECTOR, ".mgn-pick-full").click()
    full = wait_for(lambda: on_screen(driver, box, names))
    assert full.scale == pytest.approx(1.0, abs=0.005) and full.inside(frames[0].focus[0])
    box.find_element(By.CSS_SELECTOR, ".mgn-pick-auto").click()


def test_quiz_widget_in_jupyterlab_checks_answers_in_the_page(
    chromium_driver: Any, lab_widgets: list[Any], shots: Path
) -> None:
    """Stepper(L, quiz=True) in JupyterLab: the HTML quiz inside an ipywidgets Output runs its
    script there (the output is trusted) and checks the answers without the kernel."""
    from selenium.webdriver.common.by import By

    driver = chromium_driver
    root = wait_for(
        lambda: driver.find_element(By.CSS_SELECTOR, ".mgn-quiz-widget .mgn-stepper[data-ready]"),
        60,
        "the quiz to start",
    )
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
    quiz = Quiz(driver, root)
    assert quiz.score() == "right: 0 of 8"
    quiz.go(7)  # backward step 3
    assert quiz.asking() and quiz.inputs()[0].accessible_name == "∂L/∂x: what x·w passes back to x"
    assert quiz.answer(0, "-42") == "✗ not right: it looks like the opposite sign. Try again."
    assert quiz.answer(0, "42") == "✓ right: dL/dx += 3 × 14 = 42"
    assert quiz.answer(1, "28") == "✓ right: dL/dw += 2 × 14 = 28"
    assert not quiz.asking() and quiz.score() == "right: 2 of 8"
    assert GRAD_X_42.search(quiz.picture())
    driver.save_screenshot(str(shots / "lab-quiz-answered.png"))
