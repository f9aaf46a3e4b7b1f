"""`microgradnet exercise`: sheets, class sets, the gradebook, exit codes, PDF pages."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from microgradnet import exercise
from microgradnet.cli import main
from microgradnet.exercise import ExerciseError, class_set, gradebook, make, student_seed
from microgradnet.exercise.blanks import truth
from microgradnet.exercise.printing import FIXED_DATE, print_pdf


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(err: str, fragment: str) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err
    assert fragment in err, err


def fill(path: Path, answers: dict[str, object]) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.update(answers)
    path.write_text(json.dumps(doc), encoding="utf-8")


def key_of(code_template: str, seed: int) -> dict[str, object]:
    ex = make(code_template, seed)
    return {
        b.id: b.formula if b.kind == "formula" else truth(b, ex.variant.graph) for b in ex.blanks
    }


def test_list_names_every_template(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "exercise", "list")
    assert status == 0 and err == ""
    assert [line.split()[0] for line in out.splitlines()] == [*exercise.TEMPLATES, "custom"]


@pytest.mark.needs_dot
def test_a_sheet_then_its_check_exit_0_1_and_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, err = run(
        capsys, "exercise", "sheet", "chain", "--seed", "7", "--out", str(tmp_path)
    )
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"wrote {tmp_path / name}"
        for name in ("chain-7-answers.json", "chain-7-sheet.html", "chain-7-key.html")
    ]
    answers = tmp_path / "chain-7-answers.json"
    assert run(capsys, "exercise", "check", str(answers))[0] == 1  # all missing
    fill(answers, key_of("chain", 7))
    status, out, _ = run(capsys, "exercise", "check", str(answers))
    assert status == 0 and out.startswith("chain-7: 7 of 7 right\n")
    fill(answers, {"dL_dw": 42})
    status, out, _ = run(capsys, "exercise", "check", str(answers), "--json", "--reveal")
    doc = json.loads(out)
    assert status == 1 and (doc["right"], doc["total"]) == (6, 7)
    wrong = [g for g in doc["grades"] if g["verdict"] == "wrong"]
    assert wrong == [
        {
            "id": "dL_dw",
            "asked": "∂L/∂w",
            "given": "42",
            "verdict": "wrong",
            "diagnosis": "the opposite sign: it is −∂L/∂w",
            "expected": "-42",
        }
    ]
    fill(answers, {"dL_dq": 1})
    status, out, err = run(capsys, "exercise", "check", str(answers))
    assert (status, out) == (2, "")
    one_line_error(err, "unknown blank id 'dL_dq'")
    answers.write_text("{not json", encoding="utf-8")
    status, out, err = run(capsys, "exercise", "check", str(answers))
    assert (status, out) == (2, "")
    one_line_error(err, "not valid JSON at line 1, column 2")


@pytest.mark.needs_dot
def test_the_cli_writes_the_same_bytes_for_a_seed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for folder in ("a", "b"):
        argv = ["exercise", "sheet", "tanh-mse", "--seed", "3", "--format", "html,md"]
        assert run(capsys, *argv, "--out", str(tmp_path / folder))[0] == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(names) == 7
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.needs_dot
def test_a_custom_sheet_from_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["exercise", "sheet", "custom", "tanh(x*w + b)", "x=-2:2", "w=-1.5:1.5", "b=0.5"]
    status, _, err = run(capsys, *argv, "--seed", "1", "--out", str(tmp_path))
    assert (status, err) == (0, "")
    doc = json.loads((tmp_path / "custom-1-answers.json").read_text(encoding="utf-8"))
    assert doc["exercise"]["ranges"] == {"x": "-2:2", "w": "-1.5:1.5", "b": "0.5"}


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["exercise", "sheet"], "name a template"),
        (["exercise", "sheet", "nope"], "unknown template 'nope'"),
        (["exercise", "sheet", "chain", "extra"], "only the custom template takes more words"),
        (["exercise", "sheet", "custom"], "custom takes a formula and ranges"),
        (["exercise", "sheet", "custom", "x*w", "x=1:3"], "'w' is not declared"),
        (["exercise", "sheet", "custom", "x*2", "x"], "'x' is not of the form NAME=LO:HI"),
        (["exercise", "sheet", "custom", "x*2", "x=1:3", "x=2"], "'x' is given twice"),
        (["exercise", "sheet", "custom", "x*2", "x=3:1"], "need lo <= hi"),
        (["exercise", "sheet", "chain", "--seed", "-1"], "'-1' is not a seed"),
        (["exercise", "sheet", "chain", "--roster", "r.txt"], "--roster is for exercise class"),
        (["exercise", "sheet", "chain", "--format", "docx"], "formats are html, md, pdf"),
        (["exercise", "check", "a.json", "--seed", "1"], "--seed is for exercise sheet"),
        (["exercise", "check"], "one answer file, or one folder"),
        (["exercise", "check", ".", "--json"], "--json and --reveal are for one answer file"),
        (["exercise", "class", "chain", "--class-seed", "1"], "--roster FILE or --count N"),
        (["exercise", "class", "chain", "--count", "3"], "--class-seed N"),
        (["exercise", "frob"], "invalid choice: 'frob'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], fragment: str
) -> None:
    status, out, err = (
        run(capsys, *argv, "--out", str(tmp_path)) if argv[1] != "check" else run(capsys, *argv)
    )
    assert (status, out) == (2, "")
    one_line_error(err, fragment)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_pdf_without_chromium_names_the_install_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exercise, "chromium", lambda: None)
    argv = ["exercise", "sheet", "chain", "--format", "html,pdf", "--out", str(tmp_path)]
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    one_line_error(err, "apt-get install chromium")
    assert list(tmp_path.iterdir()) == []


# -- class sets and the gradebook ---------------------------------------------------------------


def test_student_seeds_come_from_the_class_seed_and_the_name() -> None:
    assert student_seed(2024, "Ada Lovelace") == 865088548  # pinned: sheets handed out stay
    assert student_seed(2024, "Ada Lovelace") != student_seed(2025, "Ada Lovelace")
    assert student_seed(2024, "Ada Lovelace") != student_seed(2024, "Alan Turing")


def test_a_class_set_gives_each_student_their_own_sheet() -> None:
    group = class_set("masha", 2024, ["Ada Lovelace", "Alan Turing", "ada lovelace", "Émile"])
    codes = [s.exercise.code for s in group.students]
    assert len(set(codes)) == 4
    assert [s.slug for s in group.students] == [
        "ada-lovelace",
        "alan-turing",
        "ada-lovelace-2",
        "emile",
    ]
    assert group.students[0].exercise.spec.student == "Ada Lovelace"
    assert group.students[0].exercise.spec.seed == student_seed(2024, "Ada Lovelace")
    counted = class_set("chain", 1, 12)
    assert [s.name for s in counted.students][:2] == ["student 01", "student 02"]


@pytest.mark.parametrize(
    ("roster", "message"),
    [
        (["Ada", "Ada"], "'Ada' is on the roster twice"),
        (["Ada", "B\x00b"], "printable characters"),
        (["x" * 101], "1 to 100 printable"),
        ([], "a roster of 1 to 500 names"),
        (501, "a class of 1 to 500 students"),
    ],
)
def test_bad_rosters_are_refused(roster: object, message: str) -> None:
    with pytest.raises(ExerciseError, match=re.escape(message)):
        class_set("chain", 1, roster)  # type: ignore[arg-type]


@pytest.mark.needs_dot
def test_a_class_set_its_key_and_its_gradebook(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    roster = tmp_path / "names.txt"
    roster.write_text("# week 3\nAda Lovelace\n\n=HYPERLINK(1)\nAlan Turing\n", encoding="utf-8")
    argv = ["exercise", "class", "sigmoid-bce", "--class-seed", "2024", "--roster", str(roster)]
    status, out, err = run(capsys, *argv, "--out", str(tmp_path / "week3"))
    assert (status, err) == (0, "")
    week = tmp_path / "week3"
    sheets = sorted(p.name for p in (week / "sheets").iterdir())
    assert sheets == ["ada-lovelace-sheet.html", "alan-turing-sheet.html", "hyperlink-1-sheet.html"]
    key = (week / "class-key.html").read_text(encoding="utf-8")
    group = class_set("sigmoid-bce", 2024, ["Ada Lovelace", "=HYPERLINK(1)", "Alan Turing"])
    for s in group.students:
        assert f"{s.exercise.code} · {s.name}" in key  # every variant, named
    roster_rows = list(csv.reader(io.StringIO((week / "roster.csv").read_text(encoding="utf-8"))))
    seed = str(student_seed(2024, "=HYPERLINK(1)"))
    code = group.students[1].exercise.code
    assert roster_rows[2] == ["'=HYPERLINK(1)", "hyperlink-1", seed, code]

    answers = week / "answers"
    ada = group.students[0].exercise
    fill(answers / "ada-lovelace-answers.json", key_of("sigmoid-bce", ada.spec.seed))
    fill(answers / "alan-turing-answers.json", {"dL_dz": 0.5})
    (answers / "stray.json").write_text("[1, 2]", encoding="utf-8")
    book = gradebook(answers)
    assert book.status == 2  # a file refused
    status, out, err = run(capsys, "exercise", "check", str(answers))
    assert (status, err) == (2, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["file"] for r in rows] == [
        "ada-lovelace-answers.json",
        "alan-turing-answers.json",
        "hyperlink-1-answers.json",
        "stray.json",
    ]
    assert (rows[0]["student"], rows[0]["right"], rows[0]["total"]) == ("Ada Lovelace", "8", "8")
    assert rows[0]["status"] == "all right" and rows[0]["delta_formula"] == "1"
    assert rows[1]["right"] == "0" and rows[1]["dL_dz"] == "0"
    assert rows[2]["student"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    assert rows[3]["status"].startswith("refused: ") and "one JSON object" in rows[3]["status"]
    (answers / "stray.json").unlink()
    target = tmp_path / "grades.csv"
    status, out, _ = run(capsys, "exercise", "check", str(answers), "--gradebook", str(target))
    assert status == 1
    assert out == f"graded 3 answer file(s), refused 0; wrote {target}\n"
    assert (
        target.read_text(encoding="utf-8")
        .splitlines()[0]
        .startswith("file,student,exercise,right,total,z,y_hat,L,dL_dz,delta_formula")
    )


@pytest.mark.needs_dot
def test_regenerating_a_class_keeps_the_students_answer_files(tmp_path: Path) -> None:
    group = class_set("chain", 3, ["Ada"])
    group.save(tmp_path)
    answers = tmp_path / "answers" / "ada-answers.json"
    fill(answers, {"u": 1})
    saved = group.save(tmp_path)
    assert saved.kept == [answers]
    assert json.loads(answers.read_text(encoding="utf-8"))["u"] == 1


def test_a_gradebook_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ExerciseError, match="is not a folder"):
        gradebook(tmp_path / "none")


# -- PDF ----------------------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    exercise.chromium() is None,
    reason="no Chromium to print PDF pages: apt-get install chromium (or run `make test`)",
)


def page_box(pdf: bytes) -> tuple[float, float]:
    match = re.search(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
    assert match is not None
    return float(match[1]), float(match[2])


@needs_chromium
@pytest.mark.needs_dot
def test_pdf_pages_are_printed_a4_or_letter_the_same_bytes_each_time(tmp_path: Path) -> None:
    ex = make("chain", 7)
    ex.save(tmp_path / "a", formats=("pdf",))
    ex.save(tmp_path / "b", formats=("pdf", "html"), paper="letter")
    ex.save(tmp_path / "c", formats=("pdf",))
    a4 = (tmp_path / "a" / "chain-7-sheet.pdf").read_bytes()
    letter = (tmp_path / "b" / "chain-7-sheet.pdf").read_bytes()
    assert a4.startswith(b"%PDF")
    assert page_box(a4) == pytest.approx((595.92, 842.88), abs=1.5)  # A4: 210 × 297 mm
    assert page_box(letter) == pytest.approx((612, 792), abs=1.5)  # Letter: 8.5 × 11 in
    assert a4 == (tmp_path / "c" / "chain-7-sheet.pdf").read_bytes()
    assert b"(D:" + FIXED_DATE in a4
    assert not (tmp_path / "a" / "chain-7-sheet.html").exists()  # printed from a temporary page


@needs_chromium
@pytest.mark.needs_dot
def test_a_figure_too_large_for_the_text_gets_a_landscape_page(tmp_path: Path) -> None:
    ex = make("l2", 7)
    (tmp_path / "l2.html").write_text(ex.sheet(), encoding="utf-8")
    pdf = print_pdf(tmp_path / "l2.html", tmp_path / "l2.pdf").read_bytes()
    boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
    portrait = [(float(w), float(h)) for w, h in boxes if float(w) < float(h)]
    landscape = [(float(w), float(h)) for w, h in boxes if float(w) > float(h)]
    assert len(portrait) == 1 and len(landscape) == 1  # the text, then the figure's own page
    assert portrait[0] == pytest.approx((595.5, 842.5), abs=1.5)
    assert landscape[0] == pytest.approx((842.5, 595.5), abs=1.5)
