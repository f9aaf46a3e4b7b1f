"""The step-through in a real browser: Debian's headless Chromium driven by selenium.

1. The self-contained HTML stepper: keys, buttons, play, the arithmetic of each step, two
   steppers on one page, and what shows where no script runs.
2. The ipywidgets Stepper inside JupyterLab: notebook 06 run in a temporary Jupyter server, the
   slider moved, the picture and the text following it.

Screenshots go to $MICROGRADNET_SCREENSHOTS (default: a temporary directory), for a person to
look at. Nothing here downloads a browser: the driver gets explicit paths to the system's
chromium and chromedriver (conftest.chromium_paths()).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import chromium_paths

from microgradnet import Value, backward_steps, forward_steps
from microgradnet.stepper import Stepper

pytestmark = [pytest.mark.browser, pytest.mark.needs_dot]
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
GRAD_X_42 = re.compile(r">(grad|∂L/∂x =) 42<")  # dL/dx = 3 × 14 drawn in its node
UNKNOWN = re.compile(r">(data|) ?= \?<|>data \?<")  # a value not computed yet


def seed001() -> Value:
    """L = (x*w + b)**2 at x=2, w=3, b=1 (the lecture notes' chain-rule example)."""
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.label = "L"
    return L


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = os.environ.get("MICROGRADNET_SCREENSHOTS") or tempfile.mkdtemp(prefix="mgn-shots-")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def chromium(tmp: Path, *, javascript: bool = True) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    paths = chromium_paths()
    assert paths is not None  # conftest skips these tests otherwise
    browser, driver = paths
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1100,1000",
        f"--user-data-dir={tmp / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = chromium(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


class ServerDied(RuntimeError):
    """The Jupyter server stopped: waiting longer is no use."""


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll condition until it gives something true (not a time assertion: a bound on waiting)."""
    end = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except ServerDied:
            raise
        except Exception:  # the page is still changing under us
            result = None
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting {timeout:g} s for {what or condition}")
        time.sleep(0.05)


def severe_console_messages(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


# -- 1. the HTML stepper -------------------------------------------------------------------------


def test_html_stepper_keys_buttons_and_play(browser: Any, tmp_path: Path, shots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    L = seed001()
    stepper = Stepper(L, interval=60)
    frames = list(stepper.frames())
    page = stepper.save_html(tmp_path / "seed001.html")
    browser.get(page.as_uri())
    root = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ".mgn-stepper[data-ready]"))
    counter = root.find_element(By.CLASS_NAME, "mgn-counter")
    text = root.find_element(By.CLASS_NAME, "mgn-text")
    picture = root.find_element(By.CLASS_NAME, "mgn-picture")

    def svg() -> str:
        return str(picture.get_attribute("innerHTML"))

    assert counter.text == f"frame 1 of 9 — {frames[0].steps}"
    assert text.text == frames[0].text
    first = svg()
    assert UNKNOWN.search(first)  # values not computed yet
    browser.save_screenshot(str(shots / "html-1-first-frame.png"))

    root.click()  # focus: the keys act on the stepper that has it
    root.send_keys(Keys.ARROW_RIGHT)
    assert counter.text == "frame 2 of 9 — forward step 5"
    assert text.text == list(forward_steps(L))[4].text(4) and text.text.endswith(" = 6")
    assert svg() != first
    root.find_element(By.CLASS_NAME, "mgn-next").click()
    assert counter.text == "frame 3 of 9 — forward step 6"

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

    L = seed001()
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
    second.click()
    second.send_keys(Keys.ARROW_RIGHT)
    second.send_keys(Keys.ARROW_RIGHT)
    assert second.get_attribute("data-frame") == "2"
    assert first.get_attribute("data-frame") == "0"  # the other one did not move
    assert first.find_element(By.CLASS_NAME, "mgn-counter").text.startswith("frame 1 of 9")
    browser.save_screenshot(str(shots / "html-4-two-steppers.png"))
    assert severe_console_messages(browser) == []


def test_html_stepper_without_scripts_shows_the_last_frame_and_the_steps(
    tmp_path: Path, shots: Path
) -> None:
    from selenium.webdriver.common.by import By

    L = seed001()
    page = Stepper(L).save_html(tmp_path / "seed001.html")
    driver = chromium(tmp_path, javascript=False)
    try:
        driver.get(page.as_uri())
        root = driver.find_element(By.CLASS_NAME, "mgn-stepper")
        assert root.get_attribute("data-ready") is None  # no script ran
        assert not root.find_element(By.CLASS_NAME, "mgn-controls").is_displayed()
        picture = root.find_element(By.CLASS_NAME, "mgn-picture")
        assert GRAD_X_42.search(picture.get_attribute("innerHTML"))  # the last frame
        assert picture.find_element(By.TAG_NAME, "svg").size["width"] > 600
        steps = root.find_element(By.CLASS_NAME, "mgn-steps")
        assert steps.is_displayed() and "dL/dx += 3 × 14 = 42" in steps.text
        driver.save_screenshot(str(shots / "html-5-no-script.png"))
    finally:
        driver.quit()


# -- 2. the widget in JupyterLab -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def jupyter_lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server on 127.0.0.1 with a token, notebook 06 in its temporary root; stopped
    (and waited for) even when the test fails."""
    pytest.importorskip("jupyterlab")
    pytest.importorskip("ipywidgets")
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(NOTEBOOKS / "06_step_through.ipynb", root)
    config = tmp_path / "jupyter-config"
    (config / "labconfig").mkdir(parents=True)
    off = {"@jupyterlab/apputils-extension:announcements": True}  # no news fetched, no pop-up
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": off}))
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    no_windowing = {"windowingMode": "none"}  # every cell in the page, not only those in view
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps(no_windowing))
    token, port = secrets.token_hex(16), free_port()
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        IPYTHONDIR=str(tmp_path / "ipython"),
    )
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1"]
    command += [
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    command += [
        "--ServerApp.port_retries=0",
        "--LabApp.news_url=",
        "--ServerApp.allow_remote_access=False",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # as in a container; the server listens on 127.0.0.1
    log = (tmp_path / "jupyter.log").open("wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            if server.poll() is not None:
                raise ServerDied((tmp_path / "jupyter.log").read_text()[-3000:])
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                return bool(r.status == 200)

        wait_for(up, timeout=60, what="the Jupyter server to start")
        session = {
            "path": "06_step_through.ipynb",
            "type": "notebook",
            "kernel": {"name": "python3"},
        }
        request = urllib.request.Request(  # the kernel started before the page: no kernel dialog
            f"{base}/api/sessions?token={token}",
            data=json.dumps(session).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            assert r.status == 201
        yield f"{base}/lab/tree/06_step_through.ipynb?token={token}", root
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


def test_widget_in_jupyterlab_follows_the_slider(
    jupyter_lab: tuple[str, Path], tmp_path: Path, shots: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, _ = jupyter_lab
    driver = chromium(tmp_path)
    try:
        driver.get(url)
        wait_for(lambda: driver.find_element(By.XPATH, RUN_MENU), 60, "JupyterLab to load")

        def kernel_idle() -> bool:
            for button in driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept"):
                button.click()  # "Select Kernel", when asked: the default, Python 3
            indicator = driver.find_element(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator")
            return bool(indicator.get_attribute("data-status") == "idle")

        def run_all() -> None:
            wait_for(kernel_idle, 60, "the kernel to start")
            driver.find_element(By.XPATH, RUN_MENU).click()
            wait_for(lambda: driver.find_element(By.XPATH, RUN_ALL)).click()

        def nothing_ran() -> bool:
            """Every input prompt still reads [ ]: "Run All" was swallowed (a late kernel
            dialog, or a click before the notebook had focus on a loaded machine)."""
            prompts = driver.find_elements(By.CSS_SELECTOR, ".jp-InputPrompt")
            return bool(prompts) and all(p.text.strip() in ("[ ]:", "") for p in prompts)

        last_try = [time.monotonic()]

        def stepper_widgets() -> list[Any]:
            dialog = driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept")
            if dialog or (time.monotonic() - last_try[0] > 15 and kernel_idle() and nothing_ran()):
                run_all()
                last_try[0] = time.monotonic()
            return list(driver.find_elements(By.CSS_SELECTOR, ".widget-vbox"))

        run_all()
        widgets = wait_for(stepper_widgets, timeout=90, what="the Stepper widget")
        box = widgets[0]
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", box)

        def shown() -> tuple[str, str, str]:
            """The counter, the step's text and the picture now shown (found anew each time:
            the widget's stacks replace what they show)."""
            labels = box.find_elements(By.CSS_SELECTOR, ".widget-html-content")
            return labels[0].text, labels[1].text, str(labels[2].get_attribute("innerHTML"))

        wait_for(lambda: shown()[0].startswith("frame 1 of"), what="the first frame")
        first_svg = shown()[2]
        assert "<svg" in first_svg and UNKNOWN.search(first_svg)
        driver.save_screenshot(str(shots / "lab-1-widget-first-frame.png"))
        handle = box.find_element(By.CSS_SELECTOR, ".noUi-handle")
        handle.click()
        handle.send_keys(Keys.ARROW_RIGHT)
        wait_for(lambda: shown()[0].startswith("frame 2 of"), what="frame 2")
        assert "forward step 5" in shown()[0]
        step5 = list(forward_steps(seed001()))[4].text(4)
        wait_for(lambda: shown()[1] == step5, what="the step's text")
        assert shown()[2] != first_svg
        for _ in range(6):
            handle.send_keys(Keys.ARROW_RIGHT)
        step3 = list(backward_steps(seed001()))[2]
        wait_for(lambda: "backward step 3" in shown()[0], what="backward step 3")
        wait_for(lambda: shown()[1] == step3.text(4), what="backward step 3's arithmetic")
        assert GRAD_X_42.search(shown()[2])
        driver.save_screenshot(str(shots / "lab-2-widget-backward-step-3.png"))
    except BaseException:
        driver.save_screenshot(str(shots / "lab-failed.png"))
        raise
    finally:
        driver.quit()
