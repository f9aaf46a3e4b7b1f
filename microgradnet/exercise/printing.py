"""PDF pages printed from the HTML by headless Chromium, where it is installed.

    chromium()                  the browser's path, or None
    print_pdf(html_file, pdf)   print the page to pdf (A4 or Letter as the page's @page says);
                                ChromiumNotFoundError (one line naming the install command)
                                when no Chromium is installed, PrintError when printing fails

The PDF is written whole or not at all (a temporary file beside it, then a rename). Chromium
stamps the print time into the PDF's CreationDate and ModDate; they are set to a fixed date of
the same length (the byte offsets of the file stay right), so a seed gives the same bytes.
Chromium runs with a throwaway profile, without network services, and is stopped after
PRINT_TIMEOUT seconds (with the processes it started).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .program import ExerciseError

PRINT_TIMEOUT = 120.0  # seconds
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_CHROMIUM = (
    "PDF needs headless Chromium: install it (Debian/Ubuntu: apt-get install chromium) or "
    "print the HTML page from a browser"
)
FIXED_DATE = b"20000101000000"
_DATES = re.compile(rb"(/(?:CreationDate|ModDate)\s*\(D:)\d{14}")


class ChromiumNotFoundError(ExerciseError):
    """No Chromium to print a PDF with."""

    def __init__(self) -> None:
        super().__init__(INSTALL_CHROMIUM)


class PrintError(ExerciseError):
    """Chromium failed to print the page, or ran past PRINT_TIMEOUT."""


def chromium() -> str | None:
    """The path of a Chromium (or Chrome) browser on PATH, else None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html_file: Path, pdf: Path, browser: str | None = None) -> Path:
    """Print html_file to pdf with headless Chromium; returns pdf."""
    browser = browser or chromium()
    if browser is None:
        raise ChromiumNotFoundError()
    pdf = Path(pdf)
    with tempfile.TemporaryDirectory(prefix="mgn-print-") as profile:
        out = Path(profile) / "page.pdf"
        _run(_command(browser, profile, out, Path(html_file)), pdf)
        try:
            data = out.read_bytes()
        except OSError:
            raise PrintError(f"Chromium wrote no PDF for {pdf.name}") from None
    if not data.startswith(b"%PDF"):
        raise PrintError(f"Chromium's output for {pdf.name} is not a PDF")
    _replace_bytes(pdf, _DATES.sub(rb"\g<1>" + FIXED_DATE, data))
    return pdf


def _command(browser: str, profile: str, out: Path, page: Path) -> list[str]:
    command = [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-pdf-header-footer",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        f"--print-to-pdf={out}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return [*command, page.resolve().as_uri()]


def _run(command: list[str], pdf: Path) -> None:
    """Run Chromium in its own process group; stop the group after PRINT_TIMEOUT seconds."""
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as e:
        raise PrintError(f"cannot start Chromium: {e.strerror or e}") from None
    try:
        _, err = process.communicate(timeout=PRINT_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PrintError(
            f"Chromium did not print {pdf.name} within {PRINT_TIMEOUT:g} seconds"
        ) from None
    if process.returncode != 0:
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise PrintError(f"Chromium failed to print {pdf.name}: {last[0][:200]}")


def _replace_bytes(path: Path, data: bytes) -> None:
    """Write data to path through a temporary file beside it and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp's file is private; a printed sheet is for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
