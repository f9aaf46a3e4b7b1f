"""Tests of the `microgradnet` command line: output, errors as one line, no execution of text."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from guards import Executed, nothing_runs
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnet import Value, __version__
from microgradnet.cli import MAX_HESSIAN_VARIABLES, MAX_VARIABLES, demo, main

EXAMPLE = ["grad", "(x*w + b)**2", "x=2", "w=3", "b=1"]
EXAMPLE_OUTPUT = "f = 49\ndf/dx = 42\ndf/dw = 28\ndf/db = 14\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status: int, out: str, err: str, fragment: str) -> None:
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n")
    assert fragment in err
    assert "Traceback" not in err


# -- grad ----------------------------------------------------------------------------------------


def test_grad_prints_the_seed001_example_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, *EXAMPLE) == (0, EXAMPLE_OUTPUT, "")


def test_grad_hessian_matches_hand_derivatives(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, *EXAMPLE, "--hessian")
    # f = (xw + b)²: f_xx = 2w², f_xw = 2(2xw + b), f_xb = 2w, f_ww = 2x², f_wb = 2x, f_bb = 2
    assert status == 0
    assert out == EXAMPLE_OUTPUT + (
        "d2f/dx dx = 18\nd2f/dx dw = 26\nd2f/dx db = 6\n"
        "d2f/dw dw = 8\nd2f/dw db = 4\nd2f/db db = 2\n"
    )


def test_grad_explain_writes_the_chain_rule(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, *EXAMPLE, "--explain", "x")
    assert status == 0
    assert out.startswith(EXAMPLE_OUTPUT)
    explanation = out[len(EXAMPLE_OUTPUT) :].splitlines()
    assert explanation[0] == "df/dx = df/d(x·w + b) · d(x·w + b)/d(x·w) · d(x·w)/dx"
    assert explanation[1].split() == ["=", "(14)", "·", "(1)", "·", "(3)"]
    assert explanation[2].split() == ["=", "42"]


def test_grad_json_holds_everything(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, *EXAMPLE, "--json", "--hessian", "--explain", "w")
    assert status == 0
    assert json.loads(out) == {
        "expression": "(x*w + b)**2",
        "variables": ["x", "w", "b"],
        "value": 49,
        "gradient": {"x": 42, "w": 28, "b": 14},
        "hessian": {
            "x": {"x": 18, "w": 26, "b": 6},
            "w": {"x": 26, "w": 8, "b": 4},
            "b": {"x": 6, "w": 4, "b": 2},
        },
        "explanation": {
            "wrt": "w",
            "paths": [
                {"nodes": ["f", "x·w + b", "x·w", "w"], "factors": [14, 1, 2], "product": 28}
            ],
            "n_paths": 1,
            "total": 28,
        },
    }


def test_grad_json_writes_inf_as_a_string(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "grad", "x * 9**9**9**9", "x=1", "--json")
    assert status == 0
    doc = json.loads(out, parse_constant=lambda name: pytest.fail(f"non-standard JSON {name}"))
    assert (doc["value"], doc["gradient"]) == ("inf", {"x": "inf"})


def test_grad_explain_counts_every_path(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "grad", "x*x*x", "x=2", "--explain", "x")
    assert status == 0
    assert out.startswith("f = 8\ndf/dx = 12\n")  # 3x²
    assert "sum over 3 paths" in out and out.endswith("df/dx = 12\n")


def test_grad_accepts_options_between_assignments(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "grad", "x*w", "x=2", "--json", "w=3")
    assert status == 0
    assert json.loads(out)["gradient"] == {"x": 3, "w": 2}


def test_grad_formula_starting_with_minus(capsys: pytest.CaptureFixture[str]) -> None:
    """A positional may start with - unless it is a known option; -- still works."""
    assert run(capsys, "grad", "--", "-x**2", "x=3") == (0, "f = -9\ndf/dx = -6\n", "")
    assert run(capsys, "grad", "-x**2", "x=3") == (0, "f = -9\ndf/dx = -6\n", "")
    assert run(capsys, "grad", "--json", "-2*x", "x=3") == (0, "" + EXPECTED_MINUS_JSON, "")
    status, out, err = run(capsys, "grad", "-x", "x=1", "--frob")
    assert_one_line_error(status, out, err, "unrecognized arguments: --frob (see ")
    assert "put --" not in err  # the old workaround text is gone
    status, out, err = run(capsys, "grad", "-h")
    assert status == 0 and out.startswith("usage: microgradnet grad")


EXPECTED_MINUS_JSON = (
    json.dumps({"expression": "-2*x", "variables": ["x"], "value": -6.0, "gradient": {"x": -2.0}})
    + "\n"
)


def test_grad_unused_and_constant(capsys: pytest.CaptureFixture[str]) -> None:
    warning = "microgradnet grad: warning: variable y not used in the formula (a typo in a name?)\n"
    assert run(capsys, "grad", "x*2", "x=1", "y=5") == (0, "f = 2\ndf/dx = 2\ndf/dy = 0\n", warning)
    assert run(capsys, "grad", "1/4 + 1") == (0, "f = 1.25\n", "")
    assert run(capsys, "grad", "x", "x=0.1") == (0, "f = 0.1\ndf/dx = 1\n", "")


def test_grad_warns_about_every_unused_variable_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    names = [f"a{i}=1" for i in range(12)]
    status, out, err = run(capsys, "grad", "x*x", "x=1", *names, "--json", "--hessian")
    assert status == 0 and json.loads(out)["gradient"]["x"] == 2  # stdout stays pure JSON
    assert err == (
        "microgradnet grad: warning: variables a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, ... "
        "(2 more) not used in the formula (a typo in a name?)\n"
    )
    status, out, err = run(capsys, "grad", "0*w + x", "x=1", "w=2", "--hessian")
    assert (status, err) == (0, "")  # w is used, though its derivative is 0
    assert out == "f = 1\ndf/dx = 1\ndf/dw = 0\nd2f/dx dx = 0\nd2f/dx dw = 0\nd2f/dw dw = 0\n"


def test_grad_limits_the_variables_and_the_hessian(capsys: pytest.CaptureFixture[str]) -> None:
    def names(n: int) -> list[str]:
        return [f"x{i}=1" for i in range(n)]

    status, out, err = run(capsys, "grad", "x0", *names(MAX_VARIABLES + 1))
    assert_one_line_error(status, out, err, "1001 variables declared; grad takes at most 1000")
    status, out, err = run(capsys, "grad", "x0", *names(MAX_HESSIAN_VARIABLES + 1), "--hessian")
    assert_one_line_error(
        status,
        out,
        err,
        "error: --hessian with 101 variables would print 5,151 second derivatives; "
        "it takes at most 100 variables",
    )
    n = MAX_HESSIAN_VARIABLES
    groups = [range(k, min(k + 10, n)) for k in range(0, n, 10)]  # nested 20 deep, not 100
    formula = "+".join("(" + "+".join(f"x{i}*x{i}" for i in g) + ")" for g in groups)
    status, out, err = run(capsys, "grad", formula, *names(n), "--hessian")
    lines = out.splitlines()
    assert (status, err, len(lines)) == (0, "", 1 + n + n * (n + 1) // 2)
    assert lines[1 + n] == "d2f/dx0 dx0 = 2" and lines[2 + n] == "d2f/dx0 dx1 = 0"
    assert run(capsys, "grad", "x0", *names(MAX_VARIABLES))[0] == 0


def test_grad_explain_of_the_variable_itself(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "grad", "x", "x=1", "--explain", "x") == (
        0,
        "f = 1\ndf/dx = 1\ndx/dx = 1\n",
        "",
    )
    _, out, _ = run(capsys, "grad", "x", "x=1", "--explain", "x", "--json")
    explanation = json.loads(out)["explanation"]
    assert explanation["paths"] == [{"nodes": ["x"], "factors": [], "product": 1}]
    assert explanation["total"] == 1


def test_main_reads_sys_argv(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["microgradnet", *EXAMPLE])
    assert main() == 0
    assert capsys.readouterr().out == EXAMPLE_OUTPUT


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["x", "x"], "microgradnet grad: error: 'x' is not of the form NAME=VALUE"),
        (["x", "x=a"], "error: 'x=a': 'a' is not a number"),
        (["x", "x=nan"], "error: 'x=nan': the value must be a finite number"),
        (["x", "x=1e999"], "the value must be a finite number"),
        (["x", "1x=2"], "error: '1x=2': '1x' is not a valid variable name"),
        (["x", "lambda=2"], "'lambda' is not a valid variable name"),
        (["x", "x=1", "x=2"], "error: 'x=2': 'x' is declared twice"),
        (["exp(x)", "x=1", "exp=2"], "'exp' is a function name; choose another variable name"),
        (["x*y", "x=1"], "refused: name 'y' is not declared; give it a value as y=VALUE"),
        (["x", "x=1", "--explain", "y"], "--explain y: not a declared variable (declared: x)"),
        (["x.__class__", "x=1"], "refused: attribute access 'x.__class__' is not allowed"),
        (["log(-1)"], "microgradnet grad: error: log: input must be > 0, got -1.0"),
        (["log(x)", "x=0"], "error: log: input must be > 0, got 0.0 (label 'x')"),
        (["1/0"], "error: /: division by zero"),
        (["sqrt(-1)"], "error: sqrt: input must be >= 0, got -1.0"),
        (["x", "x=1", "--frob"], "unrecognized arguments: --frob (see 'microgradnet grad --help')"),
        (["x", "x=1", "--svg"], "argument --svg: expected one argument"),
        ([], "microgradnet grad: error: the following arguments are required: EXPR"),
    ],
)
def test_grad_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert_one_line_error(*run(capsys, "grad", *argv), message)


def test_refusal_message_is_exactly_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "grad", "x.__class__", "x=1")
    assert (status, err) == (
        2,
        "microgradnet grad: refused: attribute access 'x.__class__' is not allowed\n",
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "microgradnet: error: the following arguments are required: COMMAND"),
        (["frob"], "argument COMMAND: invalid choice: 'frob'"),
        (["--frob"], "microgradnet: error:"),
    ],
)
def test_usage_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert_one_line_error(*run(capsys, *argv), message)


def test_help_has_examples_and_version_prints(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["grad", "--help"]):
        status, out, _ = run(capsys, *argv)
        assert status == 0
        assert 'microgradnet grad "(x*w + b)**2" x=2 w=3 b=1' in out
    assert run(capsys, "--version") == (0, f"microgradnet {__version__}\n", "")


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "microgradnet", *EXAMPLE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, EXAMPLE_OUTPUT, "")
    bad = subprocess.run(
        [sys.executable, "-m", "microgradnet", "grad", "log(x)", "x=-1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr == "microgradnet grad: error: log: input must be > 0, got -1.0 (label 'x')\n"


# -- graphs: --svg and demo ---------------------------------------------------------------------


def without_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.needs_dot
def test_grad_svg_writes_the_graph(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "graph.svg"
    status, out, err = run(capsys, *EXAMPLE, "--svg", str(path))
    assert (status, err) == (0, "")
    assert out == EXAMPLE_OUTPUT + f"wrote {path}\n"
    svg = path.read_text(encoding="utf-8")
    assert "<svg" in svg and "49" in svg


def test_grad_svg_to_an_unwritable_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    status, out, err = run(capsys, *EXAMPLE, "--svg", str(blocker / "graph.svg"))
    assert_one_line_error(status, out, err, "microgradnet grad: error: cannot write")


@pytest.mark.needs_dot
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_grad_svg_errors_name_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, *EXAMPLE, "--svg", "/dev/full")
    assert_one_line_error(
        status,
        out,
        err,
        "'/dev/full' is a character device",  # written whole or not at all: regular files only
    )
    missing = tmp_path / "no-such-folder" / "graph.svg"
    status, out, err = run(capsys, *EXAMPLE, "--svg", str(missing))
    assert_one_line_error(status, out, err, f"cannot write {missing}: No such file or directory")


def _run_bytes(argv: list[bytes], cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, **env}
    return subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"microgradnet", *argv],
        capture_output=True,
        cwd=cwd,
        env=environment,
        timeout=60,
    )


@pytest.mark.needs_dot
@pytest.mark.parametrize(
    "env", [{"PYTHONIOENCODING": "utf-8"}, {"LC_ALL": "C", "PYTHONUTF8": "1"}, {}]
)
def test_a_file_name_that_is_not_utf8_is_written_and_shown_escaped(
    tmp_path: Path, env: dict[str, str]
) -> None:
    name = b"g\xff\xfe\xc3\xa9.svg"  # two bytes that are not UTF-8, then an é that is
    path = os.fsencode(tmp_path) + b"/" + name
    text = _run_bytes([b"grad", b"x*2", b"x=1", b"--svg", path], tmp_path, **env)
    assert (text.returncode, text.stderr) == (0, b"")
    shown = text.stdout.decode("utf-8")  # valid UTF-8, or this raises
    assert shown == f"f = 2\ndf/dx = 2\nwrote {tmp_path}/g\\xff\\xfeé.svg\n"
    assert b"<svg" in Path(os.fsdecode(path)).read_bytes()
    as_json = _run_bytes([b"grad", b"x*2", b"x=1", b"--svg", path, b"--json"], tmp_path, **env)
    assert (as_json.returncode, as_json.stderr) == (0, b"")
    doc = json.loads(as_json.stdout.decode("utf-8"))
    assert os.fsencode(doc["svg"]) == path  # the escapes give back the very bytes
    missing = os.fsencode(tmp_path) + b"/no\xff/g.svg"
    failed = _run_bytes([b"grad", b"x", b"x=1", b"--svg", missing], tmp_path, **env)
    assert (failed.returncode, failed.stdout) == (2, b"")
    assert failed.stderr.decode("utf-8") == (
        f"microgradnet grad: error: cannot write {tmp_path}/no\\xff/g.svg: "
        "No such file or directory\n"
    )


def test_an_ascii_terminal_gets_escapes_not_a_codec_error(tmp_path: Path) -> None:
    argv = [a.encode() for a in EXAMPLE] + [b"--explain", b"x"]
    result = _run_bytes(argv, tmp_path, PYTHONIOENCODING="ascii")
    assert (result.returncode, result.stderr) == (0, b"")
    lines = result.stdout.decode("ascii").splitlines()
    assert lines[4].startswith("df/dx = df/d(x") and lines[4].count(" \\xb7 d(x") == 2
    as_json = _run_bytes([*argv, b"--json"], tmp_path, PYTHONIOENCODING="ascii")
    assert json.loads(as_json.stdout.decode("ascii"))["explanation"]["total"] == 42


def test_check_on_an_ascii_terminal_gets_escapes_too(tmp_path: Path) -> None:
    argv = [b"check", b"x**2*y", b"--wrt", b"x", b"--answer", b"x**2", b"x=1", b"y=2"]
    result = _run_bytes(argv, tmp_path, PYTHONIOENCODING="ascii")
    assert (result.returncode, result.stderr) == (1, b"")  # 1: the answer does not match
    assert "does not match \\u2202f/\\u2202x" in result.stdout.decode("ascii")


def test_grad_svg_without_graphviz(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    without_dot(monkeypatch, tmp_path)
    status, out, err = run(capsys, *EXAMPLE, "--svg", str(tmp_path / "graph.svg"))
    assert_one_line_error(status, out, err, "Graphviz's 'dot' program was not found")
    assert not (tmp_path / "graph.svg").exists()


DEMO_FILES = [
    "seed001_graph.svg",
    "moons_decision_boundary.png",
    "moons_training_curves.png",
    "moons_sample_graph.svg",
]


@pytest.mark.needs_dot
def test_demo_prints_the_example_trains_and_draws(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "demo-output"
    assert demo(out_dir, epochs=2) == [out_dir / name for name in DEMO_FILES]
    out = capsys.readouterr().out
    for line in ("L = 49", "dL/dx = 42", "dL/dw = 28", "dL/db = 14"):
        assert line in out.splitlines()
    assert "(14) · (1) · (3)" in out
    assert re.search(r"^accuracy: training \d+\.\d%, test \d+\.\d%", out, re.M)
    for name in DEMO_FILES:
        assert f"wrote {out_dir / name}" in out.splitlines()
    assert "<svg" in (out_dir / "seed001_graph.svg").read_text(encoding="utf-8")
    sample = (out_dir / "moons_sample_graph.svg").read_text(encoding="utf-8")
    assert "layers.1.neurons.15" in sample and "loss" in sample  # collapsed by neuron
    for name in DEMO_FILES[1:3]:
        assert (out_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["demo", "--out", str(tmp_path / "again"), "--epochs", "1"]) == 0
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == sorted(DEMO_FILES)


def test_demo_epochs_must_be_positive(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, "demo", "--out", str(tmp_path), "--epochs", "0")
    assert status == 2 and "'0' is not a positive whole number" in err
    assert not any(tmp_path.iterdir())


def test_demo_without_graphviz_writes_dot_source(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    without_dot(monkeypatch, tmp_path)
    files = demo(tmp_path, epochs=1)
    assert (
        files[0] == tmp_path / "seed001_graph.gv"
        and files[-1] == tmp_path / "moons_sample_graph.gv"
    )
    assert "digraph" in (tmp_path / "seed001_graph.gv").read_text(encoding="utf-8")
    assert "'dot' program was not found" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.svg"))


def test_demo_into_an_unwritable_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    status, _, err = run(capsys, "demo", "--out", str(blocker / "out"))
    assert status == 2
    assert err.count("\n") == 1 and "microgradnet demo: error: cannot write" in err


# -- hostile input: refused or computed, never run, never a traceback ----------------------------


def binary(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    ops = [
        "+",
        "-",
        "*",
        "/",
        "**",
        "//",
        "%",
        "@",
        "<<",
        " and ",
        " or ",
        "<",
        "==",
        " if x else ",
    ]
    return st.tuples(inner, st.sampled_from(ops), inner).map("".join)


def call(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    names = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu"]
    names += ["print", "__import__", "eval", "exec", "getattr", "open", "x", "(lambda: 0)"]
    arguments = st.lists(st.one_of(inner, inner.map(lambda a: f"alpha={a}")), max_size=3)
    return st.tuples(st.sampled_from(names), arguments).map(lambda t: f"{t[0]}({', '.join(t[1])})")


ATOMS = st.one_of(
    st.sampled_from(["x", "w", "z", "exp", "__import__", "os", "__builtins__", "_"]),
    st.sampled_from(["'a'", "b''", "f'{x}'", "None", "True", "...", "[1]", "()", "{}", "1j"]),
    st.sampled_from(["1e999", "0x1F", "1_000", "0.5", "2", "1e-300", "9" * 400]),
    st.integers(0, 10**30).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)

GRAMMAR = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        binary(inner),
        call(inner),
        st.tuples(st.sampled_from(["-", "+", "not ", "~"]), inner).map("".join),
        inner.map(lambda a: f"({a})"),
        inner.map(lambda a: f"({a}).__class__"),
        inner.map(lambda a: f"{a}.__dict__"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        inner.map(lambda a: f"lambda: {a}"),
        inner.map(lambda a: f"[{a} for x in (1,)]"),
        inner.map(lambda a: f"f'{{{a}}}'"),
        inner.map(lambda a: f"(y := {a})"),
    ),
    max_leaves=12,
)

HOSTILE = st.sampled_from(
    [
        "__import__('os').system('x')",
        "().__class__",
        "().__class__.__base__.__subclasses__()",
        "x.__dict__",
        "[1]*10**9",
        "9**9**9**9",
        "10**10**10",
        "lambda: 0",
        "f'{x}'",
        "open('/etc/passwd').read()",
        "exec('import os')",
        "eval('1')",
        "x" * 5000,
        "1" * 1999,
    ]
)

NESTED = st.tuples(
    st.sampled_from([("(", ")"), ("-", ""), ("exp(", ")"), ("x**", ""), ("x+", ""), ("[", "]")]),
    st.integers(1, 1500),
).map(lambda t: t[0][0] * t[1] + "x" + t[0][1] * t[1])


@settings(max_examples=300, deadline=None)
@given(st.one_of(GRAMMAR, HOSTILE, NESTED, st.text(max_size=300)))
def test_hostile_text_is_refused_or_computed_never_run(text: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    with nothing_runs() as calls, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["grad", "--", text, "x=1.5", "w=-0.5"])
    assert calls == []
    if status == 0:  # on stderr at most the warning about x or w unused
        assert out.getvalue().startswith("f = ")
        assert re.fullmatch(
            r"(microgradnet grad: warning: variables? [xw, ]+ not used .*\n)?", err.getvalue()
        )
    else:
        assert status == 2 and out.getvalue() == ""
        assert err.getvalue().startswith("microgradnet grad: ")
        assert err.getvalue().count("\n") == 1


def test_the_guards_catch_execution() -> None:
    with nothing_runs() as calls, pytest.raises(Executed):
        __import__("subprocess")  # the harness must be able to fail
    assert calls == ["import subprocess"]


# -- hostile review: output that cannot be written, huge and NUL values, --steps, --collapse ------


def test_grad_with_stdout_closed_exits_non_zero_as_cat_does(tmp_path: Path) -> None:
    code = "import sys; from microgradnet.cli import main; sys.exit(main())"
    closed = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-c", code, *EXAMPLE],
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert closed.returncode == 2
    assert closed.stderr == "microgradnet: error: cannot write to standard output: it is closed\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_grad_into_a_full_disk_says_so_once(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "microgradnet", *EXAMPLE, "--hessian"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr == (
        "microgradnet grad: error: cannot write to standard output: No space left on device\n"
    )  # and no second traceback when Python flushes at exit


def test_main_takes_a_list_of_words_not_a_string() -> None:
    with pytest.raises(TypeError, match="main: argv must be a list of str"):
        main("grad x x=1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="main: argv must be a list of str"):
        main(["grad", b"x"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["grad", "x", "x=1", "--explain", "y" * 10_000_000], "not a declared variable"),
        (["grad", "x", "x=1", "--svg", "/nonexistent/" + "g" * 10_000_000], "cannot write"),
        (["grad", "x", "x=1", "--steps", "/nonexistent/" + "g" * 10_000_000], "cannot write"),
        (["grad", "x", "x=" + "a" * 10_000_000], "is not a number"),
        (["grad", "x", "1" + "x" * 10_000_000 + "=1"], "is not a valid variable name"),
        (["grad", "x", "x=1", "--frob" + "b" * 10_000_000], "unrecognized arguments: --frob"),
        (["demo", "--epochs", "9" * 10_000_000], "is not a positive whole number"),
        (["f" * 10_000_000], "invalid choice"),
    ],
)
def test_huge_values_are_cut_in_the_one_line_error(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    status, out, err = run(capsys, *argv)
    assert_one_line_error(status, out, err, fragment)
    assert len(err) <= 600 and "…(" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            [*EXAMPLE, "--svg", "a\0b.svg"],
            "microgradnet grad: error: argument --svg: 'a\\x00b.svg' holds a NUL byte, which no "
            "file name may hold",
        ),
        ([*EXAMPLE, "--steps", "a\0b.html"], "argument --steps: 'a\\x00b.html' holds a NUL byte"),
        (["demo", "--out", "out\0dir"], "microgradnet demo: error: argument --out: 'out\\x00dir'"),
    ],
)
def test_a_nul_byte_in_a_file_name_names_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    assert_one_line_error(*run(capsys, *argv), message)


def test_steps_past_the_frame_limit_is_refused_before_drawing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import microgradnet.stepper as stepper_module

    def no_drawing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the stepper was built")

    monkeypatch.setattr(stepper_module.Stepper, "__init__", no_drawing)
    formula = "+".join(
        "(" + "+".join(f"x*{k}" for k in range(g, g + 10)) + ")" for g in range(0, 110, 10)
    )
    status, out, err = run(capsys, "grad", formula, "x=1", "--steps", str(tmp_path / "s.html"))
    assert_one_line_error(
        status,
        out,
        err,
        "error: --steps: the formula has 219 operations, so stepping through it takes at least "
        "439 frames, more than the 400 the stepper draws; step through a smaller formula, or draw "
        "the whole graph at once with --svg FILE",
    )
    assert "collapse=" not in err and not (tmp_path / "s.html").exists()


def test_collapse_reaches_the_drawing_and_the_stepper(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import microgradnet.cli as cli
    import microgradnet.stepper as stepper_module

    drawn: list[dict[str, object]] = []

    class Recorder:
        def __init__(self, root: object, **kwargs: object) -> None:
            drawn.append({"stepper": True, **kwargs})

        def save_html(self, path: str, title: str = "") -> None:
            Path(path).write_text("<!DOCTYPE html>", encoding="utf-8")

    def graph(root: object, path: object, **kwargs: object) -> Path:
        drawn.append({"svg": True, **kwargs})
        return Path(str(path))

    monkeypatch.setattr(cli, "write_graph", graph)
    monkeypatch.setattr(stepper_module, "Stepper", Recorder)
    argv = [*EXAMPLE, "--collapse", "layer", "--svg", str(tmp_path / "g.svg")]
    assert run(capsys, *argv, "--steps", str(tmp_path / "s.html"))[0] == 0
    assert drawn == [
        {"svg": True, "dot_source_fallback": False, "show_backward": True, "collapse": "layer"},
        {"stepper": True, "collapse": "layer"},
    ]
    drawn.clear()
    assert run(capsys, *EXAMPLE, "--steps", str(tmp_path / "s.html"))[0] == 0
    assert drawn == [{"stepper": True}]  # not given: the stepper chooses by the graph's size
    status, out, err = run(capsys, *EXAMPLE, "--collapse", "atom")
    assert_one_line_error(status, out, err, "argument --collapse: invalid choice: 'atom'")


def test_demo_lives_in_its_own_module_and_checks_its_arguments(tmp_path: Path) -> None:
    import microgradnet.demo as demo_module

    assert demo is demo_module.demo  # microgradnet.cli.demo keeps working
    with pytest.raises(TypeError, match="demo: out_dir must be a str or a path, got int"):
        demo_module.demo(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="demo: out_dir contains a NUL byte"):
        demo_module.demo("a\0b")
    with pytest.raises(TypeError, match="demo: epochs must be an int, got float"):
        demo_module.demo(tmp_path, epochs=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="demo: epochs must be at least 1, got 0"):
        demo_module.demo(tmp_path, epochs=0)
    assert not any(tmp_path.iterdir())  # refused before anything was written


def test_write_graph_without_graphviz_raises_a_figure_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from microgradnet.demo import FigureError, write_graph

    without_dot(monkeypatch, tmp_path)
    x = Value(2.0, "x")
    with pytest.raises(FigureError, match="Graphviz's 'dot' program was not found") as info:
        write_graph(x * 3.0, tmp_path / "g.svg", dot_source_fallback=False)
    assert isinstance(info.value, ValueError)
    assert write_graph(x * 3.0, tmp_path / "g.svg") == tmp_path / "g.gv"
