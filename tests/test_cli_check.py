"""The `microgradnet check` command and `grad --explain NAME --latex`."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from guards import nothing_runs
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli import GRAMMAR, HOSTILE, NESTED, _run_bytes

from microgradnet.cli import main

MASHA = "0.5*(y - w3*sigmoid(w2*sigmoid(w1*x)))**2"
MASHA_AT = ["x=1.5", "y=0.2", "w1=0.8", "w2=-1.2", "w3=1.5"]
O2 = "sigmoid(w2*sigmoid(w1*x))"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_correct_answer_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", "x**2*y", "--wrt", "x", "--answer", "2*x*y")
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == "the answer matches ∂f/∂x at 200 points"


def test_the_notes_sign_slip_exits_1_with_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    answer = f"(y - w3*{O2})*{O2}"  # the notes' (y − ŷ)·o₂ for ∂L/∂w₃
    status, out, err = run(capsys, "check", MASHA, "--wrt", "w3", "--answer", answer, *MASHA_AT)
    assert (status, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == "the answer does not match ∂f/∂w3 at 200 points"
    assert lines[2].startswith(
        "first difference at x = 1.5, y = 0.2, w1 = 0.8, w2 = −1.2, w3 = 1.5"
    )
    assert lines[-1] == "diagnosis: the answer has the opposite sign: it is −∂f/∂w3"


def test_json_domain_and_points(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "check", "log(x)*y", "--wrt", "x", "--answer", "2*y/x",
        "--domain", "x=0.5:3", "--domain", "y=1:2", "--points", "7", "--json",
    )  # fmt: skip
    doc = json.loads(out)
    assert status == 1 and doc["matches"] is False
    assert doc["points_checked"] == 7 and doc["skipped"] == 0
    assert doc["diagnosis"] == "the answer is off by a constant factor: it is 2 × ∂f/∂x"
    point = doc["first_difference"]["point"]
    assert 0.5 <= point["x"] <= 3 and 1 <= point["y"] <= 2
    assert doc["first_difference"]["answer"] == pytest.approx(2 * point["y"] / point["x"])


def test_an_answer_starting_with_minus(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "x**2", "--wrt", "x", "--answer=-2*x", "x=1")
    assert status == 1 and "opposite sign" in out


def test_a_second_derivative_with_wrt_twice(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "check", "x**3*y", "--wrt", "x", "--wrt", "y", "--answer", "3*x**2"
    )
    assert status == 0 and out.startswith("the answer matches ∂²f/∂x∂y at 200 points")
    status, out, _ = run(capsys, "check", "x**3*y", "--wrt", "x", "--wrt", "x", "--answer", "6*x")
    assert status == 1 and "first difference" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["x**2", "--answer", "2*x"], "the following arguments are required: --wrt"),
        (["x**2", "--wrt", "z", "--answer", "2*x"], "wrt='z' is not a variable of f"),
        (["x**2", "--wrt", "x", "--answer", "2*q"], "name 'q' is not declared"),
        (["x.real", "--wrt", "x", "--answer", "1"], "attribute access 'x.real' is not allowed"),
        (["x**2", "--wrt", "x", "--answer", "2*x", "--domain", "x=1"], "NAME=LO:HI"),
        (["x**2", "--wrt", "x", "--answer", "2*x", "--domain", "x=2:1"], "need finite LO < HI"),
        (["x**2", "--wrt", "x", "--answer", "2*x", "--points", "0"], "not a positive whole"),
        (["x**2", "--wrt", "x", "--answer", "2*x", "x=inf"], "must be a finite number"),
        (["log(x)", "--wrt", "x", "--answer", "1/x", "--domain", "x=-2:-1"], "undefined at all"),
        (["x*y", "--wrt", "x", "--wrt", "y", "--wrt", "x", "--answer", "1"], "at most twice"),
    ],
)
def test_usage_and_parse_errors_exit_2_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    status, out, err = run(capsys, "check", *argv)
    assert (status, out) == (2, "")
    assert err.startswith("microgradnet check: ") and err.count("\n") == 1
    assert fragment in err


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(GRAMMAR, HOSTILE, NESTED, st.text(max_size=200)),
    st.one_of(GRAMMAR, HOSTILE, st.text(max_size=100)),
)
def test_hostile_text_is_refused_or_checked_never_run(expr: str, answer: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["check", "--wrt", "x", f"--answer={answer}", "--points", "3", "--", expr, "x=1.5"]
    with nothing_runs() as calls, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    assert calls == []
    if status in (0, 1):
        assert out.getvalue().startswith("the answer ") and err.getvalue() == ""
    else:
        assert status == 2 and out.getvalue() == ""
        assert err.getvalue().startswith("microgradnet check: ")
        assert err.getvalue().count("\n") == 1


# -- grad --explain NAME --latex ------------------------------------------------------------------


def test_explain_latex(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "grad", "(x*w + b)**2", "x=2", "w=3", "b=1", "--explain", "x", "--latex"
    )
    assert status == 0
    latex = out[out.index(r"\begin{aligned}") :]
    assert latex.splitlines()[1].startswith(r"\frac{\partial f}{\partial x} &= \frac{\partial f}")
    assert latex.rstrip().endswith("= 42\n\\end{aligned}")
    status, out, _ = run(capsys, "grad", "x*x", "x=3", "--explain", "x", "--latex", "--json")
    doc = json.loads(out)
    assert r"\big|_{\text{second operand}}" in doc["explanation"]["latex"]


def test_latex_needs_explain(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "grad", "x*x", "x=3", "--latex")
    assert (status, out) == (2, "") and "add --explain NAME" in err


# -- hostile review: words starting with -, bounds, JSON on any terminal ---------------------------


def test_an_answer_starting_with_minus_is_taken_as_it_is(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["check", "(x*w+b)**2", "--wrt", "w", "--answer", "-2*(x*w+b)*x", "x=2", "w=3", "b=1"]
    status, out, err = run(capsys, *argv)
    assert (status, err) == (1, "")
    assert out.splitlines()[-1] == "diagnosis: the answer has the opposite sign: it is −∂f/∂w"
    status, out, _ = run(capsys, "check", "-x**2", "--wrt", "x", "--answer", "-2*x")
    assert status == 0 and out.startswith("the answer matches ∂f/∂x at 200 points")
    status, out, _ = run(capsys, "check", "--wrt", "x", "--answer", "-1", "--", "-x")
    assert status == 0
    status, out, _ = run(capsys, "check", "--help")
    assert status == 0 and "--answer=" not in out and "(with =)" not in out


def test_an_invalid_formula_is_named_whatever_the_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for expr in ("x +", "(x"):
        status, out, err = run(capsys, "check", expr, "--wrt", "x", "--answer", "1")
        assert (status, out) == (2, "") and "refused: not a valid expression" in err
    status, out, err = run(capsys, "check", "x" * 10_000_000, "--wrt", "x", "--answer", "1")
    assert (status, out) == (2, "")
    assert err == "microgradnet check: refused: expression is 10000000 characters long, over 2000\n"


def test_points_times_the_formula_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    formula = "+".join(
        "(" + "+".join(f"x*{k}" for k in range(g, g + 10)) + ")" for g in range(0, 120, 10)
    )
    status, out, err = run(
        capsys, "check", formula, "--wrt", "x", "--answer", "1", "--points", "100000"
    )
    assert (status, out) == (2, "") and err.count("\n") == 1
    assert "100,000 points × 361 nodes" in err and "more than MAX_WORK = 10,000,000" in err
    assert "ask for at most 27,700 points" in err


def test_the_sampler_never_overflows(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "check", "x", "--wrt", "x", "--answer", "1", "--domain", "x=-1e308:1e308"
    )
    assert status == 0 and out.startswith("the answer matches ∂f/∂x at 200 points\n")
    status, out, _ = run(capsys, "check", "x", "--wrt", "x", "--answer", "1", "x=1e308")
    assert status == 0 and out.startswith("the answer matches ∂f/∂x at 200 points\n")
    assert "skipped" not in out


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "utf-8"])
def test_check_json_is_valid_on_any_terminal(tmp_path: Path, encoding: str) -> None:
    argv = [b"check", "é**2*y".encode(), b"--wrt", "é".encode(), b"--answer", "é*y".encode()]
    result = _run_bytes([*argv, b"--json"], tmp_path, PYTHONIOENCODING=encoding)
    assert (result.returncode, result.stderr) == (1, b"")
    text = result.stdout.decode(encoding)
    doc = json.loads(text, parse_constant=lambda name: pytest.fail(f"non-standard JSON {name}"))
    assert doc["diagnosis"] == "the answer is off by a constant factor: it is ½ × ∂f/∂é"
    assert doc["wrt"] == "é" and doc["expression"] == "é**2*y"
    if encoding != "utf-8":
        assert text.isascii()  # \u00bd escapes, never a codec's \xbd


def test_a_huge_wrt_or_points_is_cut_in_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", "x", "--wrt", "w" * 10_000_000, "--answer", "1")
    assert (status, out) == (2, "") and len(err) < 300 and "is not a variable of f" in err
    status, out, err = run(
        capsys, "check", "x", "--wrt", "x", "--answer", "1", "--points", "9" * 10_000_000
    )
    assert (status, out) == (2, "") and len(err) < 300 and "is not a positive whole number" in err
    status, out, err = run(capsys, "check", "x", "--wrt", "x", "--answer", "1", "--points", "²")
    assert "argument --points: '²' is not a positive whole number" in err
