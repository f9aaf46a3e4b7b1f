"""Exercises from the notes' templates: the worked numbers, seeded draws and their redraws, the
figures with blanks, the pages, and byte-identical files for a seed."""

from __future__ import annotations

import hashlib
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from microgradnet import Value, explain, topological_order
from microgradnet.exercise import (
    TEMPLATES,
    ExerciseError,
    Range,
    make,
    templates,
)
from microgradnet.exercise import figures as figures_module
from microgradnet.exercise.blanks import candidates, chain_formula, close, truth
from microgradnet.exercise.figures import BLANK, draw_blanks, sheet_figure
from microgradnet.exercise.pages import placement
from microgradnet.exercise.variants import MAX_DRAWS, SATURATED, Spec, rejection

ROOT = Path(__file__).resolve().parent.parent
ALL = [*TEMPLATES]


def key_answers(ex: Any) -> dict[str, object]:
    """The key's answers: each number, and each formula as the template writes it."""
    return {
        b.id: b.formula if b.kind == "formula" else truth(b, ex.variant.graph) for b in ex.blanks
    }


def setup_at(template: str, numbers: dict[str, float]) -> Any:
    setup = TEMPLATES[template].build(numbers)
    return setup, setup.program.graph(setup.point)


def values(template: str, numbers: dict[str, float]) -> dict[str, float]:
    setup, graph = setup_at(template, numbers)
    return {b.id: truth(b, graph) for b in setup.blanks}


# -- the notes' worked numbers ------------------------------------------------------------------


def test_chain_at_the_notes_numbers_gives_their_graph() -> None:
    # the notes' figure: x = 2, w = 3, b = 1: u = 7, L = 49, dL/dx = 42, dL/dw = 28, dL/db = 14
    got = values("chain", {"x": 2, "w": 3, "b": 1})
    assert got == {
        "u": 7,
        "L": 49,
        "dL_du": 14,
        "dL_dx": 42,
        "dL_dw": 28,
        "dL_db": 14,
        "dL_dw_formula": 28,
    }


def test_chain_1d_at_the_notes_numbers() -> None:
    # the notes: x = 2, u = 3x + 2 = 8, f = 64, df/du = 16, df/dx = 48
    setup, graph = setup_at("chain-1d", {"a": 3, "c": 2, "x": 2})
    assert {b.id: truth(b, graph) for b in setup.blanks} == {
        "u": 8,
        "f": 64,
        "df_du": 16,
        "df_dx": 48,
        "df_dx_formula": 48,
    }
    assert "f(x) = (3x + 2)²" in setup.question[0]
    assert setup.blanks[-1].formula == "6*(3*x + 2)"


def test_chain_1d_writes_a_negative_and_a_zero_constant_as_the_notes_would() -> None:
    assert "(2x − 3)²" in setup_at("chain-1d", {"a": 2, "c": -3, "x": 1})[0].question[0]
    assert "(4x)²" in setup_at("chain-1d", {"a": 4, "c": 0, "x": 1})[0].question[0]


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_masha_at_notebook_02s_numbers_matches_the_hand_formulas() -> None:
    x, y, w1, w2, w3 = 1.5, 0.2, 0.8, -1.2, 1.5
    got = values("masha", {"x": x, "y": y, "w1": w1, "w2": w2, "w3": w3})
    o1 = sigmoid(x * w1)
    o2 = sigmoid(o1 * w2)
    y_hat = o2 * w3
    d = (y_hat - y) * w3 * o2 * (1 - o2)
    want = {
        "o1": o1,
        "o2": o2,
        "y_hat": y_hat,
        "L": 0.5 * (y - y_hat) ** 2,
        "dL_dw3": (y_hat - y) * o2,
        "dL_dw2": d * o1,
        "dL_dw1": d * w2 * o1 * (1 - o1) * x,
    }
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-12), key


@pytest.mark.parametrize("target", [0, 1])
def test_sigmoid_bce_output_error_is_y_hat_minus_y(target: int) -> None:
    numbers = {"x1": 0.5, "x2": -1.2, "w1": 0.7, "w2": 0.3, "b": -0.1, "y": target}
    got = values("sigmoid-bce", numbers)
    y_hat = sigmoid(0.5 * 0.7 - 1.2 * 0.3 - 0.1)
    assert got["dL_dz"] == pytest.approx(y_hat - target, rel=1e-12)
    assert got["dL_dw1"] == pytest.approx((y_hat - target) * 0.5, rel=1e-12)
    assert got["dL_db"] == pytest.approx(y_hat - target, rel=1e-12)
    bce = -(target * math.log(y_hat) + (1 - target) * math.log(1 - y_hat))
    assert got["L"] == pytest.approx(bce, rel=1e-12)


def test_tanh_mse_output_error_is_the_notes_formula() -> None:
    numbers = {"x1": 0.4, "x2": -0.6, "w1": 0.9, "w2": 0.2, "b": 0.3, "y": -0.5}
    got = values("tanh-mse", numbers)
    y_hat = math.tanh(0.4 * 0.9 - 0.6 * 0.2 + 0.3)
    assert got["dL_dz"] == pytest.approx((y_hat + 0.5) * (1 - y_hat**2), rel=1e-12)
    assert got["dL_dw2"] == pytest.approx((y_hat + 0.5) * (1 - y_hat**2) * -0.6, rel=1e-12)


def test_l2_gradient_is_delta_h_transposed_plus_lambda_w() -> None:
    p = {"x1": 0.5, "x2": -0.3, "W1_11": 0.4, "W1_12": -0.7, "W1_21": 0.2, "W1_22": 0.9}
    p |= {"W2_1": 1.1, "W2_2": -0.6, "y": 0.3, "lam": 0.2}
    got = values("l2", p)
    h1 = math.tanh(0.4 * 0.5 + 0.7 * 0.3)
    h2 = math.tanh(0.2 * 0.5 - 0.9 * 0.3)
    o = 1.1 * h1 - 0.6 * h2
    delta = o - 0.3
    assert got["dJ_do"] == pytest.approx(delta, rel=1e-12)
    assert got["dJ_dW2_1"] == pytest.approx(delta * h1 + 0.2 * 1.1, rel=1e-12)
    assert got["dJ_dW2_2"] == pytest.approx(delta * h2 - 0.2 * 0.6, rel=1e-12)
    dz1 = delta * 1.1 * (1 - h1**2)
    assert got["dJ_dW1_11"] == pytest.approx(dz1 * 0.5 + 0.2 * 0.4, rel=1e-12)
    squares = sum(v**2 for k, v in p.items() if k.startswith("W"))
    assert got["s"] == pytest.approx(0.2 / 2 * squares, rel=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_softmax_output_error_is_p_minus_y(k: int) -> None:
    z = [0.3, -1.1, 0.8]
    got = values("softmax-ce", {"z1": z[0], "z2": z[1], "z3": z[2], "k": k})
    e = [math.exp(v) for v in z]
    p = [v / sum(e) for v in e]
    for j in (1, 2, 3):
        assert got[f"p{j}"] == pytest.approx(p[j - 1], rel=1e-12)
        assert got[f"dL_dz{j}"] == pytest.approx(p[j - 1] - (j == k), rel=1e-12)
    assert got["L"] == pytest.approx(-math.log(p[k - 1]), rel=1e-12)


# -- every template: its key is right, its draws are gradable -----------------------------------


@pytest.mark.parametrize("template", ALL)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_key_grades_all_right(template: str, seed: int) -> None:
    ex = make(template, seed)
    report = ex.check(key_answers(ex))
    assert report.all_right, report.text()
    assert report.right == report.total == len(ex.blanks)


@pytest.mark.parametrize("template", ALL)
def test_draws_keep_to_the_stated_ranges_and_pass_the_redraw_rules(template: str) -> None:
    t = TEMPLATES[template]
    for seed in range(25):
        ex = make(template, seed)
        v = ex.variant
        assert rejection(v.setup, v.graph, v.probe) == ""
        assert 1 <= v.draws <= MAX_DRAWS
        for name, value in ex.point.items():
            if name in t.ranges:
                r = t.ranges[name]
                assert r.lo <= value <= r.hi
                assert abs(value / r.step - round(value / r.step)) < 1e-9  # whole or one decimal
        for node in topological_order(v.graph.root):
            if node.op == "sigmoid":
                assert abs(2 * node.data - 1) <= SATURATED
            if node.op == "tanh":
                assert abs(node.data) <= SATURATED


def test_a_seed_always_gives_the_same_numbers() -> None:
    # pinned: a change here changes every sheet a teacher has handed out
    assert make("masha", 7).point == {"x": 0.9, "w1": -1.0, "w2": -2.0, "w3": -1.8, "y": 0.8}
    assert make("chain", 7).point == {"x": -3.0, "w": -2.0, "b": 1.0}
    assert make("softmax-ce", 7).point == {
        "z1": -1.7, "z2": 1.3, "z3": 0.9, "y1": 0.0, "y2": 0.0, "y3": 1.0
    }  # fmt: skip


def test_seeds_give_different_sheets() -> None:
    points = {tuple(make("l2", seed).point.values()) for seed in range(10)}
    assert len(points) == 10


def test_redraw_rules_name_what_they_reject() -> None:
    setup, graph = setup_at("chain", {"x": 2, "w": 2, "b": 1})  # x = w: ∂L/∂x = ∂L/∂w
    assert "gives the right number" in rejection(setup, graph, None) or "same number" in rejection(
        setup, graph, None
    )
    setup, graph = setup_at("chain", {"x": 0, "w": 2, "b": 1})
    assert rejection(setup, graph, None).startswith("x = 0")
    numbers = {"x1": 2, "x2": 2, "w1": 1.5, "w2": 1.5, "b": 1, "y": 1}  # z = 7: σ = 0.9991
    setup, graph = setup_at("sigmoid-bce", numbers)
    assert rejection(setup, graph, None).startswith("a saturated sigmoid")
    setup, graph = setup_at("chain", {"x": 1, "w": 1, "b": -1})  # u = 0: every gradient 0
    assert "zero" in rejection(setup, graph, None)


def test_one_quantity_written_two_ways_is_not_a_coincidence() -> None:
    # ∂L/∂b = ∂L/∂u at every point (b enters u with derivative 1): merged, never redrawn for
    ex = make("chain", 3)
    v = ex.variant
    blank = next(b for b in ex.blanks if b.id == "dL_du")
    texts = [t for t, _ in candidates(blank, v.graph, v.setup.program, v.probe)]
    assert not any("gradient of b" in t for t in texts)  # the same quantity as the answer
    blank = next(b for b in ex.blanks if b.id == "dL_dx")
    texts = [t for t, _ in candidates(blank, v.graph, v.setup.program, v.probe)]
    assert any("gradient of b" in t and "or equally" in t and "gradient of u" in t for t in texts)


def test_a_custom_template_that_cannot_be_graded_is_refused_after_bounded_draws() -> None:
    with pytest.raises(ExerciseError, match="no draw of custom's numbers") as info:
        make("custom", 1, expression="x*w", ranges={"x": "0", "w": "2"})
    assert "x = 0" in str(info.value)


def test_the_templates_are_listed_with_what_they_ask() -> None:
    listed = templates()
    assert list(listed) == [*TEMPLATES, "custom"]
    assert "δ = ŷ − y" in listed["sigmoid-bce"]


# -- ranges and the custom template -------------------------------------------------------------


def test_ranges_parse_whole_numbers_one_decimal_and_fixed_values() -> None:
    assert Range.parse("-3:3") == Range(-3, 3, 1.0)
    assert Range.parse("-1.5:1.5") == Range(-1.5, 1.5, 0.1)
    assert Range.parse("0:2.0") == Range(0, 2, 0.1)
    assert Range.parse("2") == Range(2, 2)
    assert Range.parse("2").fixed
    assert Range(-1, 2, 0.1).spec() == "-1.0:2"
    assert Range.parse(Range(-1, 2, 0.1).spec()) == Range(-1, 2, 0.1)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("3:1", "lo <= hi"),
        ("a:b", "not a number"),
        ("1e2:1e3", "whole numbers or one decimal"),
        ("0.25:1", "whole numbers or one decimal"),
        ("1:2:3", "not LO:HI"),
        ("-5000:5000", "within ±1000"),
        ("nan:1", "finite"),
    ],
)
def test_bad_ranges_are_refused_naming_the_text(text: str, why: str) -> None:
    with pytest.raises((ValueError, TypeError), match=re.escape(why)):
        Range.parse(text)


def test_a_custom_formula_gets_a_sheet_with_every_derivative() -> None:
    ex = make("custom", 3, expression="(x*w + b)**2", ranges={"x": "-3:3", "w": "1:4", "b": "0.5"})
    assert ex.point["b"] == 0.5
    assert [b.id for b in ex.blanks] == [
        "f", "df_dx", "df_dw", "df_db", "df_dx_formula", "df_dw_formula", "df_db_formula"
    ]  # fmt: skip
    key = next(b for b in ex.blanks if b.id == "df_dw_formula")
    assert key.shown == "2·(x·w + b)·x"
    report = ex.check(
        {
            "df_dw_formula": "2*(x*w + b)*x",
            "df_dx_formula": "2*(x*w+b)*w",
            "df_db_formula": "2*(x*w+b)",
        }
    )
    assert [g.verdict for g in report.grades[-3:]] == ["right", "right", "right"]


def test_a_custom_model_from_python_uses_its_labelled_nodes() -> None:
    def neuron(x: Value, w: Value) -> Value:
        z = x * w
        z.label = "z"
        return z.tanh()

    ex = make("custom", 2, model=neuron, ranges={"x": (-2, 2), "w": (-1.5, 1.5)})
    assert ex.spec.expression is None
    report = ex.check({"df_dw_formula": "(1 - tanh(z)**2)*x", "df_dx_formula": "(1 - f**2)*x"})
    verdicts = {g.id: g.verdict for g in report.grades}
    assert verdicts["df_dw_formula"] == "right"
    assert verdicts["df_dx_formula"] == "wrong"  # ∂f/∂x is (1 − f²)·w


@pytest.mark.parametrize(
    ("expression", "ranges", "error"),
    [
        ("x*w", {"x": "-3:3"}, "'w' is not declared"),
        ("x*2", {"x": "-3:3", "w": "1:2"}, "does not use w"),
        ("x", {"x": "-3:3"}, "must compute something"),
        ("__import__('os')", {"x": "-3:3"}, "not allowed"),
        ("x*w", {"exp": "1:2", "x": "1:2"}, "not a variable name"),
        ("x*y", {f"x{k}": "1:2" for k in range(7)}, "1 to 6 variables"),
        ("+".join(["x"] * 70), {"x": "1:2"}, "a sheet draws at most 60"),
    ],
)
def test_custom_templates_are_refused_with_the_reason(
    expression: str, ranges: dict[str, str], error: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        make("custom", 0, expression=expression, ranges=ranges)


def test_make_refuses_mixed_arguments() -> None:
    with pytest.raises(ExerciseError, match="unknown template 'nope'"):
        make("nope")
    with pytest.raises(ExerciseError, match="for the custom template"):
        make("chain", expression="x")
    with pytest.raises(ExerciseError, match="expression or a model"):
        make("custom", ranges={"x": "1:2"})
    with pytest.raises(ExerciseError, match="seed must be from 0"):
        make("chain", -1)
    with pytest.raises(TypeError, match="seed must be an int"):
        make("chain", 1.5)  # type: ignore[arg-type]


# -- figures ------------------------------------------------------------------------------------


@pytest.mark.needs_dot
def test_the_sheets_figure_blanks_the_asked_values_and_what_gives_them_away() -> None:
    ex = make("masha", 7)
    dot = sheet_figure(ex.variant).dot
    values = dict(re.findall(r"<B>([^<]+)</B>&#160;= ([^<>]+)", dot))  # each box: name = value
    for asked in ("o₁", "o₂", "ŷ", "L"):
        assert values[asked] == BLANK, asked
    assert values["h₂"] == BLANK  # h₂ = o₁·w₂ would give o₁ away
    assert values["x"] == "0.9" and values["h₁"] != BLANK
    grads = re.findall(r"∂L/∂([^ ]+) = ([^<>]+)", dot)
    assert ("L", "1") in grads and all(g == BLANK for name, g in grads if name != "L")


def test_the_figure_asks_draw_for_blanks_first(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class Drawn:
        source = "digraph {}"

    def fake_draw(root: Value, **kwargs: Any) -> Drawn:
        seen.update(kwargs)
        return Drawn()

    monkeypatch.setattr(figures_module.viz, "draw", fake_draw)
    ex = make("chain", 7)
    drawn = sheet_figure(ex.variant)
    assert drawn == figures_module.Figure("digraph {}")
    graph = ex.variant.graph
    blanks = {v.label or type(v).__name__: what for v, what in seen["blanks"].items()}
    assert blanks == {
        "x": "grad",
        "w": "grad",
        "b": "grad",
        "Value": "grad",
        "u": "both",
        "L": "value",
    }
    assert seen["show_local"] is False
    assert graph.root in seen["blanks"]


def test_a_type_error_not_about_blanks_is_not_taken_for_a_missing_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(root: Value, **kwargs: Any) -> None:
        raise TypeError("something else")

    monkeypatch.setattr(figures_module.viz, "draw", broken)
    with pytest.raises(TypeError, match="something else"):
        draw_blanks(Value(1.0), {})


def test_placement_keeps_small_figures_in_the_text() -> None:
    assert placement('<svg width="300pt" height="250pt"') == "inline"  # 106 × 88 mm
    assert placement('<svg width="500pt" height="900pt"') == "portrait"  # 176 × 318 mm
    assert placement('<svg width="1300pt" height="800pt"') == "landscape"


def test_the_keys_chain_formula_multiplies_the_op_tables_local_derivatives() -> None:
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.label = "L"
    assert chain_formula(explain(L, w)) == "2·(x·w + b)·x"


def test_closeness_is_four_significant_digits_or_a_thousandth() -> None:
    assert close(0.24361, 0.2436)  # equal as shown
    assert close(1000.9, 1000.0)  # within 1e-3
    assert not close(1.002, 1.0)
    assert not close(float("inf"), 3.0) and not close(float("nan"), float("nan"))
    assert close(-0.0, 0.0)


# -- pages and files ----------------------------------------------------------------------------


@pytest.mark.needs_dot
def test_a_sheet_is_one_self_contained_page() -> None:
    ex = make("l2", 4)
    page = ex.sheet(paper="letter")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 1
    assert "size: letter;" in page and "size: letter landscape;" in page
    without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", page)
    for fetch in ("http://", "https://", "<script", "<link", " src=", "url(", "@import"):
        assert fetch not in without_namespaces, fetch
    assert "Name <span></span>" in page
    for b in ex.blanks:
        assert f'<td class="id">{b.id}</td>' in page
    assert "practice, not an exam" in page
    assert "microgradnet exercise check &quot;l2-4-answers.json&quot;" not in page  # no file named
    assert ex.sheet(answers_file="l2-4-answers.json").count("l2-4-answers.json") == 2


@pytest.mark.needs_dot
def test_a_key_holds_the_numbers_and_the_chain_rule_path_by_path() -> None:
    ex = make("chain", 7)
    page = ex.key()
    assert "dL/dw = dL/du · du/d(x·w) · d(x·w)/dw" in page
    assert "= (14) · (1) · (-3)" in page
    assert "2·u·x = 2·(x·w + b)·x (= -42 here)" in page
    assert "\\frac" not in page and "$" not in page  # Unicode, not LaTeX


@pytest.mark.needs_dot
def test_ids_stay_unique_on_a_page_of_several_figures() -> None:
    from microgradnet.exercise import class_set

    page = class_set("chain", 1, ["A", "B", "C"]).key()
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)) > 10


@pytest.mark.needs_dot
def test_a_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    for folder in ("one", "two"):
        make("softmax-ce", 11).save(tmp_path / folder, formats=("html", "md"))
    one = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert one == sorted(p.name for p in (tmp_path / "two").iterdir())
    assert len(one) == 7
    for name in one:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


@pytest.mark.needs_dot
def test_a_seed_gives_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    code = (
        "import hashlib, sys; from microgradnet.exercise import make; "
        "ex = make('masha', 5); "
        "print(hashlib.sha256((ex.sheet() + ex.key() + ex.answer_file()).encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        digests.add(out.stdout.strip())
    ex = make("masha", 5)
    here = hashlib.sha256((ex.sheet() + ex.key() + ex.answer_file()).encode()).hexdigest()
    assert digests == {here}


@pytest.mark.needs_dot
def test_markdown_pages_link_their_figures_and_escape_user_text(tmp_path: Path) -> None:
    ex = make("custom", 1, expression="x*w + (x - 1)*w", ranges={"x": "1:3", "w": "2"})
    saved = ex.save(tmp_path, formats=("md",))
    names = sorted(p.name for p in saved.written)
    assert names == sorted(
        f"custom-1-{n}" for n in ("answers.json", "key.md", "key.svg", "sheet.md", "sheet.svg")
    )
    sheet = (tmp_path / "custom-1-sheet.md").read_text(encoding="utf-8")
    assert "![The computation graph with blanks](custom-1-sheet.svg)" in sheet
    assert "x\\*w \\+ \\(x \\- 1\\)\\*w" in sheet  # Markdown shows the formula as written
    assert "| (b) | ∂f/∂x | | `df_dx` |" in sheet
    key = (tmp_path / "custom-1-key.md").read_text(encoding="utf-8")
    assert "```text\ndf/dx = " in key


def test_the_answer_file_names_its_sheet_and_every_blank() -> None:
    ex = make("chain-1d", 3)
    assert ex.answer_file() == (
        '{\n  "exercise": {\n    "template": "chain-1d",\n    "seed": 3\n  },\n'
        '  "u": null,\n  "f": null,\n  "df_du": null,\n  "df_dx": null,\n'
        '  "df_dx_formula": null\n}\n'
    )


@pytest.mark.needs_dot
def test_saving_again_keeps_an_answer_file_that_may_hold_answers(tmp_path: Path) -> None:
    ex = make("chain", 2)
    ex.save(tmp_path)
    answers = tmp_path / "chain-2-answers.json"
    answers.write_text('{"u": 3}', encoding="utf-8")
    saved = ex.save(tmp_path)
    assert saved.kept == [answers]
    assert answers.read_text(encoding="utf-8") == '{"u": 3}'


def test_unknown_formats_and_papers_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    ex = make("chain", 2)
    with pytest.raises(ExerciseError, match="formats are html, md, pdf"):
        ex.save(tmp_path / "out", formats=("docx",))
    with pytest.raises(ExerciseError, match="'a4' or 'letter'"):
        ex.sheet(paper="a5")
    assert not (tmp_path / "out").exists()


def test_spec_round_trips_through_json() -> None:
    spec = Spec("custom", 4, "x*w", (("x", "-3:3"), ("w", "1.5")), "Ada")
    assert Spec.from_json(spec.to_json()) == spec
