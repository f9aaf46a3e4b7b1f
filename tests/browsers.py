"""Headless Chromium for the browser tests (one session shared by them all: conftest's
``chromium_driver``), waiting without time assertions, where a stepper's nodes are on screen,
and a quiz as a student uses it (``Quiz``: its inputs, feedback, count; the keyboard alone).

Nothing here downloads a browser: the driver gets explicit paths to the system's chromium and
chromedriver (conftest.chromium_paths()).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import chromium_paths
from networks import mashas_network

from microgradnet import MLP, Value

SMALL, LARGE = (1280, 720), (1920, 1080)  # browser windows (outer size, as a user has them)


class ServerDied(RuntimeError):
    """A server the page needs stopped: waiting longer is no use."""


def chromium(profile: Path) -> Any:
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
        "--window-size=1280,720",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def scripts(driver: Any, on: bool) -> None:
    """Let the pages loaded from now on run scripts, or not (as a reader who blocks them)."""
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": not on})


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


# The client rectangles of the named nodes in the picture now shown inside scope, and the part
# of the screen where that picture can be seen: its area's inside, cut by every ancestor that
# clips (a scrolling notebook) and by the window (the body's overflow is the window's).
_ON_SCREEN = """
const [scope, names] = arguments;
const views = [...scope.querySelectorAll('.mgn-view')].filter(v => v.offsetParent !== null);
if (views.length !== 1) { return null; }
const view = views[0];
const r = view.getBoundingClientRect();
let seen = {left: r.left + view.clientLeft, top: r.top + view.clientTop};
seen.right = seen.left + view.clientWidth; seen.bottom = seen.top + view.clientHeight;
seen = cut(seen, {left: 0, top: 0, right: innerWidth, bottom: innerHeight});
for (let a = view.parentElement; a && a !== document.body; a = a.parentElement) {
  if (getComputedStyle(a).overflow !== 'visible') { seen = cut(seen, a.getBoundingClientRect()); }
}
function cut(a, b) {
  return {left: Math.max(a.left, b.left), top: Math.max(a.top, b.top),
          right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom)};
}
const nodes = {};
for (const g of view.querySelectorAll('g.node')) {
  const title = g.querySelector('title');
  const name = g.getAttribute('data-name') || (title ? title.textContent : '');
  if (names.includes(name)) {
    const b = g.getBoundingClientRect();
    nodes[name] = {left: b.left, top: b.top, right: b.right, bottom: b.bottom};
  }
}
const spilling = [];  // nodes whose text reaches out of their outline
for (const g of view.querySelectorAll('g.node')) {
  const shape = g.querySelector('path, polygon, ellipse');
  if (!shape) { continue; }
  const b = shape.getBoundingClientRect();
  for (const t of g.querySelectorAll('text')) {
    const r = t.getBoundingClientRect();
    if (r.left < b.left - 1 || r.right > b.right + 1) {
      spilling.push(g.getAttribute('data-name') || g.querySelector('title').textContent);
    }
  }
}
const svg = view.querySelector('svg');
const perUnit = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;  // px per pt
const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')));
return {seen: seen, nodes: nodes, text: Math.min(...sizes) * perUnit, scale: perUnit * 3 / 4,
        spilling: spilling};
"""

Rect = dict[str, float]


@dataclass
class OnScreen:
    """Where a frame's nodes are: the visible part of its picture, each node's box (client
    rectangles, px), the size of its smallest text (px), the picture's scale (1: 100%) and
    the nodes whose text is wider than their box."""

    seen: Rect
    nodes: dict[str, Rect]
    text: float
    scale: float
    spilling: list[str]

    def inside(self, name: str, slack: float = 1.0) -> bool:
        box, seen = self.nodes[name], self.seen
        return (
            box["left"] >= seen["left"] - slack
            and box["top"] >= seen["top"] - slack
            and box["right"] <= seen["right"] + slack
            and box["bottom"] <= seen["bottom"] + slack
        )

    def fits(self, names: Sequence[str], margin: float) -> bool:
        """The union of the boxes, with margin around it, is no larger than the visible part."""
        boxes = [self.nodes[n] for n in names]
        width = max(b["right"] for b in boxes) - min(b["left"] for b in boxes) + 2 * margin
        height = max(b["bottom"] for b in boxes) - min(b["top"] for b in boxes) + 2 * margin
        seen = self.seen
        return width <= seen["right"] - seen["left"] and height <= seen["bottom"] - seen["top"]


def on_screen(driver: Any, scope: Any, names: Sequence[str]) -> OnScreen | None:
    found = driver.execute_script(_ON_SCREEN, scope, list(names))
    if not found or set(found["nodes"]) != set(names):
        return None
    return OnScreen(found["seen"], found["nodes"], found["text"], found["scale"], found["spilling"])


def focus_problems(shown: OnScreen, focus: Sequence[str]) -> list[str]:
    """What the view rule forbids in a frame about the nodes focus (first first): the first
    node not entirely in view, or a prefix of 1, 2, 4, ... of them that would fit (with the
    view's margin of 6 pt, at the picture's scale) not entirely in view."""
    problems = []
    if focus and not shown.inside(focus[0]):
        problems.append(
            f"the current node {focus[0]} at {shown.nodes[focus[0]]} is not in view {shown.seen}"
        )
    size = 2
    while focus and size < 2 * len(focus):
        prefix = list(focus[: min(size, len(focus))])
        if shown.fits(prefix, 6 * 4 / 3 * shown.scale):
            problems += [f"{n} of {prefix} is not in view" for n in prefix if not shown.inside(n)]
        size *= 2
    return problems


# -- a quiz, as a student uses it ---------------------------------------------------------------


class Quiz:
    """One quiz stepper in the page, as a student sees it."""

    def __init__(self, driver: Any, root: Any) -> None:
        self.driver, self.root = driver, root

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.root.find_element(By.CSS_SELECTOR, css)

    def inputs(self) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.root.find_elements(By.CSS_SELECTOR, ".mgn-answer"))

    def feedback(self) -> list[str]:
        from selenium.webdriver.common.by import By

        return [e.text for e in self.root.find_elements(By.CSS_SELECTOR, ".mgn-feedback")]

    def states(self) -> list[str]:
        from selenium.webdriver.common.by import By

        asks = self.root.find_elements(By.CSS_SELECTOR, ".mgn-ask")
        return [str(a.get_attribute("data-state")) for a in asks]

    def go(self, i: int) -> None:
        self.driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
            self.find(".mgn-slider"),
            str(i),
        )
        wait_for(lambda: self.root.get_attribute("data-frame") == str(i), what=f"frame {i}")

    def answer(self, k: int, text: str) -> str:
        """Type text in the k-th input (replacing what is there), press Enter; the feedback."""
        from selenium.webdriver.common.keys import Keys

        box = self.inputs()[k]
        box.clear()
        box.send_keys(text, Keys.ENTER)
        return str(self.feedback()[k])

    def score(self) -> str:
        return str(self.find(".mgn-score").text)

    def asking(self) -> bool:
        return self.root.get_attribute("data-asking") == "true"

    def text(self) -> str:
        return str(self.find(".mgn-text").text)

    def picture(self) -> str:
        return str(self.find(".mgn-sheet").get_attribute("innerHTML"))


def open_quizzes(driver: Any, page: Path, n: int = 1) -> list[Quiz]:
    from selenium.webdriver.common.by import By

    driver.get(page.as_uri())

    def ready() -> list[Any] | None:
        found = driver.find_elements(By.CSS_SELECTOR, ".mgn-stepper[data-ready]")
        return found if len(found) == n else None

    return [Quiz(driver, root) for root in wait_for(ready, what=f"{n} quizzes")]


def active_class(driver: Any) -> str:
    return str(driver.switch_to.active_element.get_attribute("class") or "")


def keys(driver: Any, *typed: str) -> None:
    """Keys pressed with the focus wherever it is (the keyboard alone)."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*typed).perform()


def tab_to(driver: Any, cls: str, limit: int = 40) -> None:
    from selenium.webdriver.common.keys import Keys

    """Press Tab (at most limit times) until the focus is on the element of class cls."""
    for _ in range(limit):
        if cls in active_class(driver).split():
            return
        keys(driver, Keys.TAB)
    assert cls in active_class(driver).split(), f"{limit} Tabs did not reach .{cls}"


# -- the graphs stepped through: the notes' example, Masha's network, MLP(2, [4, 4, 1]) --------


def notes_example() -> Value:
    """L = (x·w + b)² at x = 2, w = 3, b = 1."""
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.label = "L"
    return L


def mlp_4_4_1() -> Value:
    """(MLP(2, [4, 4, 1])(x₁, x₂) − 1)², tanh, seed 0, at x = (0.5, −1): drawn by neuron."""
    net = MLP(2, [4, 4, 1], activation="tanh", seed=0)
    out = net([Value(0.5, "x1"), Value(-1.0, "x2")])
    assert isinstance(out, Value)
    L = (out - 1.0) ** 2
    L.label = "L"
    return L


GRAPHS = {"notes": notes_example, "masha": mashas_network, "mlp": mlp_4_4_1}
