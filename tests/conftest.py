"""Shared markers: tests that need an optional program skip with the reason when it is absent.

- ``@pytest.mark.needs_dot``: Graphviz's ``dot`` program (``make test`` installs it).
- ``@pytest.mark.browser``: Debian's ``chromium`` and ``chromedriver`` (``make test`` installs
  them where the machine allows) and the ``selenium`` driver library.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOT_REASON = (
    "Graphviz's dot program is not on PATH: install Graphviz (Debian/Ubuntu: "
    "apt-get install graphviz; macOS: brew install graphviz) or run `make test`"
)
BROWSER_REASON = (
    "no headless browser: install Debian's chromium and chromium-driver "
    "(apt-get install chromium chromium-driver) and `pip install selenium`, or run `make test` "
    "as root or with password-less sudo"
)


def chromium_paths() -> tuple[str, str] | None:
    """(browser binary, chromedriver) when both are installed, else None."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def run_python(script: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """script run by a fresh Python with this checkout first on its path (at most 120 s), its
    output read as UTF-8 text."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        env=dict(os.environ, PYTHONPATH=path),
        check=check,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_dot: needs Graphviz's dot program")
    config.addinivalue_line("markers", "browser: drives a real headless Chromium")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    no_dot = shutil.which("dot") is None
    no_browser = chromium_paths() is None or importlib.util.find_spec("selenium") is None
    for item in items:
        if no_dot and "needs_dot" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=DOT_REASON))
        if no_browser and "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=BROWSER_REASON))


@pytest.fixture(scope="session")
def chromium_driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for all the browser tests (started once: it is slow to start)."""
    from browsers import chromium

    driver = chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where the browser tests save their screenshots (MICROGRADNET_SCREENSHOTS, else a new
    temporary folder)."""
    folder = os.environ.get("MICROGRADNET_SCREENSHOTS") or tempfile.mkdtemp(prefix="mgn-shots-")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path
