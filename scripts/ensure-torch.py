"""Install the optional `torch` extra into this Python's environment, but only a CPU-only build.

Run by `make test` with the venv's Python. On Linux the default PyTorch wheel pulls several GB
of CUDA packages (nvidia-*, triton), so this asks pip first what it would install
(`pip install --dry-run --report`) and installs only when the plan has none of them and no
single download larger than MAX_MB. Otherwise it prints why and what to do, and exits 0: the
torch tests and the PyTorch notebook then skip with their reason. Exit 1 only when pip itself
cannot be run.

The requirement comes from pyproject.toml's `torch` extra, so the pin lives in one place.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

MAX_MB = 600  # a CPU-only torch wheel is about 200 MB; a CUDA build is several GB
REFUSED = re.compile(r"^(nvidia-.*|triton|cuda-.*|pytorch-triton.*)$", re.IGNORECASE)
ROOT = Path(__file__).resolve().parent.parent


def torch_requirements() -> list[str]:
    """The requirements of pyproject.toml's `torch` extra."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib

        return list(tomllib.loads(text)["project"]["optional-dependencies"]["torch"])
    match = re.search(r"^torch\s*=\s*\[(.*?)\]", text, re.MULTILINE | re.DOTALL)  # Python 3.10
    if match is None:
        raise SystemExit("ensure-torch: pyproject.toml has no `torch` extra")
    return re.findall(r'"([^"]+)"', match.group(1))


def download_mb(url: str) -> float | None:
    """Size of what pip would fetch from url, in MB, or None when unknown."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
        return path.stat().st_size / 1e6 if path.is_file() else None
    try:
        request = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(request, timeout=20) as response:
            length = response.headers.get("Content-Length")
    except OSError:
        return None
    return int(length) / 1e6 if length else None


def pinned_url(item: dict[str, Any]) -> str:
    """The URL of one planned download, with its hash for pip to verify when the plan has one."""
    info = item["download_info"]
    url: str = info["url"]
    digest = info.get("archive_info", {}).get("hash")
    return f"{url}#{digest}" if digest and "#" not in url else url


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def refusal(plan: list[dict[str, Any]], size_mb: Callable[[str], float | None]) -> str | None:
    """Why pip's install plan (its --report's "install" list) must not run, or None if it may."""
    cuda = sorted(
        item["metadata"]["name"] for item in plan if REFUSED.match(item["metadata"]["name"])
    )
    if cuda:
        return f"pip would install a CUDA build of torch here ({', '.join(cuda)}: several GB)"
    for item in plan:
        size = size_mb(item["download_info"]["url"])
        if size is not None and size > MAX_MB:
            name = item["metadata"]["name"]
            return f"{name} would be a {size:.0f} MB download (more than {MAX_MB} MB)"
    return None


def main() -> int:
    requirements = torch_requirements()
    if importlib.util.find_spec("torch") is not None:
        return 0
    wanted = " ".join(requirements)
    with tempfile.TemporaryDirectory() as tmp:
        report_path = os.path.join(tmp, "report.json")
        dry = pip("install", "--dry-run", "--quiet", "--report", report_path, *requirements)
        if dry.returncode != 0:
            error = [line for line in dry.stderr.splitlines() if "ERROR" in line] or ["?"]
            print(f"torch: not installed: pip cannot install {wanted}: {error[-1]}")
            return 0
        plan = json.loads(Path(report_path).read_text(encoding="utf-8"))["install"]
    why = refusal(plan, download_mb)
    if why is not None:
        print(
            f"torch: not installed: {why}. The PyTorch tests and notebook will be skipped; to run "
            "them, install a CPU-only torch into .venv yourself."
        )
        return 0
    count = f"{len(plan)} package{'s' if len(plan) != 1 else ''}"
    print(f"torch: installing {wanted} (a CPU-only build; {count})")
    # Exactly the plan that was checked, with its hashes: no second resolution that could differ.
    done = pip("install", "--quiet", "--no-compile", "--no-deps", *map(pinned_url, plan))
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if not line.startswith("WARNING")]
        print("\n".join(errors), file=sys.stderr)
        print("torch: installing failed (pip's error is above); the torch tests will be skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
