"""The set-up scripts of `make demo` and `make test`, run against a fake package manager.

scripts/ensure-graphviz.sh and ensure-chromium.sh run with a PATH holding only a fake apt-get
(which records its arguments, can hold its lock for a few calls, fail, or "install" a program)
and the few tools the scripts use, so nothing here touches the real machine. Also: the torch
guard's refusal of a CUDA install plan, the notebooks runner's torch rule, and the demo's one
line when drawings are skipped.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
TOOLS = (
    "sh",
    "grep",
    "sed",
    "dirname",
    "cat",
    "mktemp",
    "sleep",
    "tail",
    "rm",
    "env",
    "date",
    "chmod",
)

FAKE_APT_GET = """#!/bin/sh
# Fake apt-get: log the call; answer "Could not get lock" while $FAKE/locked counts down;
# fail an install when $FAKE/fail-install exists; else "install" by creating the programs named
# in $FAKE/provides.
echo "$*" >> "$FAKE/calls"
n=$(cat "$FAKE/locked" 2>/dev/null || echo 0)
if [ "$n" -gt 0 ]; then
    echo $((n - 1)) > "$FAKE/locked"
    echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
    exit 100
fi
case "$*" in *" install "*)
    if [ -e "$FAKE/frontend-locked" ]; then
        echo "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend)" >&2
        exit 100
    fi
    if [ -e "$FAKE/fail-install" ]; then
        echo "Reading package lists..."
        echo "E: Sub-process /usr/bin/dpkg returned an error code (1)" >&2
        exit 100
    fi
    for p in $(cat "$FAKE/provides"); do
        printf '#!/bin/sh\\n' > "$FAKE/bin/$p"
        chmod +x "$FAKE/bin/$p"
    done
esac
exit 0
"""


def _executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    """A folder with bin/ (the only PATH): fake apt-get, apt-cache and id, real basic tools."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    _executable(bin_dir / "apt-get", FAKE_APT_GET)
    _executable(bin_dir / "apt-cache", "#!/bin/sh\necho '  Candidate: (none)'\n")
    _executable(bin_dir / "id", '#!/bin/sh\n[ "$1" = -un ] && echo tester || cat "$FAKE/uid"\n')
    (tmp_path / "uid").write_text("0\n")
    return tmp_path


def _run(script: str, fake: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": str(fake / "bin"),
        "FAKE": str(fake),
        "MICROGRADNET_LOCK_POLL": "1",
        **env,
    }
    return subprocess.run(
        [str(fake / "bin" / "sh"), str(SCRIPTS / script)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_graphviz_waits_for_the_lock_then_installs(fake: Path) -> None:
    (fake / "provides").write_text("dot")
    (fake / "locked").write_text("2")  # the first two calls find the lists lock held
    done = _run("ensure-graphviz.sh", fake, MICROGRADNET_LOCK_TIMEOUT="30")
    assert done.returncode == 0, done.stderr
    assert (fake / "bin" / "dot").exists()
    assert "It is held by process 4242 (apt-get); waiting up to 30 s" in done.stderr
    calls = (fake / "calls").read_text().splitlines()
    assert len(calls) == 4  # update refused twice, update, install
    assert all("-o DPkg::Lock::Timeout=" in call for call in calls)
    assert calls[-2].endswith(" update") and calls[-1].endswith(" install -y graphviz")


def test_graphviz_gives_up_after_the_timeout_naming_the_lock(fake: Path) -> None:
    (fake / "provides").write_text("dot")
    (fake / "locked").write_text("1000")
    done = _run("ensure-graphviz.sh", fake, MICROGRADNET_LOCK_TIMEOUT="2")
    assert done.returncode == 1
    assert "after waiting" in done.stderr
    assert "E: Could not get lock /var/lib/apt/lists/lock" in done.stderr
    assert "needs root" not in done.stderr
    assert len((fake / "calls").read_text().splitlines()) <= 4  # bounded: about 2 s of polls


def test_graphviz_gives_up_on_a_held_dpkg_lock_without_updating_again(fake: Path) -> None:
    (fake / "frontend-locked").touch()
    done = _run("ensure-graphviz.sh", fake, MICROGRADNET_LOCK_TIMEOUT="2")
    assert done.returncode == 1
    assert "failed (exit 100) after waiting" in done.stderr
    assert "E: Unable to acquire the dpkg frontend lock" in done.stderr
    assert "retrying after apt-get update" not in done.stderr
    calls = (fake / "calls").read_text().splitlines()
    assert calls[0].endswith(" update") and all(
        c.endswith(" install -y graphviz") for c in calls[1:]
    )
    assert 2 <= len(calls) <= 4  # bounded by the 2 s timeout, polling every second


def test_a_bad_lock_timeout_is_refused_naming_it(fake: Path) -> None:
    done = _run("ensure-graphviz.sh", fake, MICROGRADNET_LOCK_TIMEOUT="5min")
    assert done.returncode == 2
    assert "MICROGRADNET_LOCK_TIMEOUT must be a whole number of seconds, not '5min'" in done.stderr
    assert not (fake / "calls").exists()


def test_graphviz_reports_the_package_managers_own_error(fake: Path) -> None:
    (fake / "provides").write_text("dot")
    (fake / "fail-install").touch()
    done = _run("ensure-graphviz.sh", fake)
    assert done.returncode == 1
    assert "'apt-get install -y graphviz' failed (exit 100)" in done.stderr
    assert "E: Sub-process /usr/bin/dpkg returned an error code (1)" in done.stderr
    assert "needs root" not in done.stderr  # it ran as root: the error is apt's
    assert "sudo apt-get install graphviz" in done.stderr


def test_graphviz_without_root_or_sudo_says_how(fake: Path) -> None:
    (fake / "uid").write_text("1000\n")
    done = _run("ensure-graphviz.sh", fake)
    assert done.returncode == 1
    assert "needs root or password-less sudo (you are tester)" in done.stderr
    assert "sudo apt-get install graphviz" in done.stderr
    assert not (fake / "calls").exists()


def test_chromium_installs_both_packages(fake: Path) -> None:
    (fake / "provides").write_text("chromium chromedriver")
    done = _run("ensure-chromium.sh", fake)
    assert done.returncode == 0, done.stderr
    install = (fake / "calls").read_text().splitlines()[-1]
    assert install.endswith(" install -y chromium chromium-driver")


def test_chromium_elsewhere_prints_the_command_and_lets_the_tests_skip(fake: Path) -> None:
    (fake / "uid").write_text("1000\n")
    done = _run("ensure-chromium.sh", fake)
    assert done.returncode == 0
    assert "sudo apt-get install chromium chromium-driver" in done.stderr
    assert not (fake / "calls").exists()


def test_chromium_install_failure_is_reported_but_not_fatal(fake: Path) -> None:
    (fake / "fail-install").touch()
    done = _run("ensure-chromium.sh", fake)
    assert done.returncode == 0
    assert "E: Sub-process /usr/bin/dpkg returned an error code (1)" in done.stderr
    assert "browser tests will be skipped" in done.stderr


def _fake_venv(tmp_path: Path, uv_works: bool | None) -> Path:
    """A venv whose python and uv only log their arguments; uv absent when uv_works is None."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    _executable(bin_dir / "python", f'#!/bin/sh\necho "python $*" >> {tmp_path}/calls\n')
    if uv_works is not None:
        status = 0 if uv_works else 2
        _executable(
            bin_dir / "uv",
            f'#!/bin/sh\necho "uv $*" >> {tmp_path}/calls\n'
            f'[ "$1" = --version ] || {{ echo "error: no index" >&2; exit {status}; }}\n',
        )
    return tmp_path / "venv"


@pytest.mark.parametrize(
    ("installer", "uv_works", "last"),
    [
        ("uv", True, "uv pip install --quiet --python {venv}/bin/python -e .[demo]"),
        ("uv", False, "python -m pip install --quiet --disable-pip-version-check --no-compile"),
        ("pip", True, "python -m pip install --quiet --disable-pip-version-check --no-compile"),
    ],
)
def test_install_uses_uv_and_falls_back_to_pip(
    tmp_path: Path, installer: str, uv_works: bool, last: str
) -> None:
    venv = _fake_venv(tmp_path, uv_works)
    done = subprocess.run(
        ["sh", str(SCRIPTS / "install.sh"), str(venv), "demo"],
        env={**os.environ, "MICROGRADNET_INSTALLER": installer},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[-1].startswith(last.format(venv=venv))
    assert ("uv failed (its error is above)" in done.stderr) == (installer == "uv" and not uv_works)


def test_install_refuses_an_unknown_installer(tmp_path: Path) -> None:
    venv = _fake_venv(tmp_path, None)
    done = subprocess.run(
        ["sh", str(SCRIPTS / "install.sh"), str(venv), "demo"],
        env={**os.environ, "MICROGRADNET_INSTALLER": "conda"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "MICROGRADNET_INSTALLER must be uv or pip, not 'conda'" in done.stderr
    assert not (tmp_path / "calls").exists()


def _ensure_torch() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ensure_torch", SCRIPTS / "ensure-torch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _item(name: str, url: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "version": "1"}, "download_info": {"url": url}}


def test_torch_guard_refuses_the_cuda_stack() -> None:
    guard = _ensure_torch()
    plan = [
        _item("torch", "file:///w/torch-2.14.1-cp311-cp311-manylinux_2_28_x86_64.whl"),
        _item("nvidia-cublas", "https://example.invalid/nvidia_cublas.whl"),
        _item("triton", "https://example.invalid/triton.whl"),
        _item("filelock", "https://example.invalid/filelock.whl"),
    ]
    why = guard.refusal(plan, lambda url: 1.0)
    assert why is not None and "nvidia-cublas, triton" in why


def test_torch_guard_refuses_a_huge_download_and_accepts_a_cpu_build() -> None:
    guard = _ensure_torch()
    plan = [_item("torch", "file:///w/torch.whl"), _item("sympy", "file:///w/sympy.whl")]
    sizes = {"file:///w/torch.whl": 192.0, "file:///w/sympy.whl": 6.3}
    assert guard.refusal(plan, sizes.get) is None
    sizes["file:///w/torch.whl"] = 2600.0
    assert guard.refusal(plan, sizes.get) == "torch would be a 2600 MB download (more than 600 MB)"


def test_torch_extra_is_capped_below_the_cuda_releases() -> None:
    assert _ensure_torch().torch_requirements() == ["torch>=2.1,<=2.13.0"]


@pytest.mark.parametrize("torch_imports", [True, False])
def test_notebooks_runner_runs_the_torch_notebook_only_where_torch_imports(
    tmp_path: Path, torch_imports: bool
) -> None:
    (tmp_path / "notebooks").mkdir()
    for name in ("01_a.ipynb", "08_torch.ipynb"):
        (tmp_path / "notebooks" / name).write_text("{}")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(bin_dir / "python", f"#!/bin/sh\nexit {0 if torch_imports else 1}\n")
    _executable(bin_dir / "pytest", '#!/bin/sh\necho "pytest $*"\n')
    done = subprocess.run(
        ["sh", str(SCRIPTS / "run-notebooks.sh"), str(bin_dir)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    if torch_imports:
        assert done.stdout.endswith(
            "pytest -q --nbmake notebooks/01_a.ipynb notebooks/08_torch.ipynb\n"
        )
    else:
        lines = done.stdout.splitlines()
        assert lines[0].startswith("notebooks: skipping notebooks/08_torch.ipynb: torch does not")
        assert lines[1] == "pytest -q --nbmake notebooks/01_a.ipynb"


def test_demo_says_in_one_line_when_drawings_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    from microgradnet.cli import demo

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no dot program
    files = demo(tmp_path / "out", epochs=1)
    lines = capsys.readouterr().out.splitlines()
    skipped = [line for line in lines if line.startswith("drawings skipped:")]
    assert skipped == [
        "drawings skipped: Graphviz's dot program is not on PATH, so seed001_graph.gv, "
        "moons_sample_graph.gv hold the graphs' DOT source instead of SVG; install Graphviz "
        "(Debian/Ubuntu: apt-get install graphviz) and run the demo again"
    ]
    assert [f.name for f in files if f.suffix == ".gv"] == [
        "seed001_graph.gv",
        "moons_sample_graph.gv",
    ]
    assert all(f.exists() for f in files)


def test_scripts_are_executable_and_posix_sh() -> None:
    for script in SCRIPTS.glob("*.sh"):
        assert os.access(script, os.X_OK), script
        subprocess.run(["sh", "-n", str(script)], check=True, timeout=10)
