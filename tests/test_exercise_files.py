"""Answer files are user input: each malformed one is refused whole, with a message naming the
file and the problem, before anything is graded; nothing in them is ever run."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from guards import nothing_runs

from microgradnet.exercise import MAX_BYTES, AnswerFileError, check, make
from microgradnet.exercise.answers import MAX_DEPTH, load_file

SPEC = '"exercise": {"template": "chain", "seed": 7}'


def write(tmp_path: Path, text: str | bytes, name: str = "answers.json") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_is_read_with_its_sheet(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff{" + SPEC + ', "u": 7, "dL_dw": "2*u*x", "L": null}')
    answers = load_file(path)  # a byte-order mark (Notepad's) is fine
    assert answers.spec is not None and answers.spec.code == "chain-7"
    assert answers.given == {"u": 7.0, "dL_dw": "2*u*x", "L": None}
    report = check(path)
    assert [g.verdict for g in report.grades[:2]] == ["right", "missing"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON at line 1, column 1"),
        ("{", "not valid JSON"),
        ('{"u": 7,}', "not valid JSON"),
        ("[7]", "an answer file is one JSON object"),
        ('"u"', "an answer file is one JSON object"),
        ('{"u": NaN}', "NaN is not a number an answer can be"),
        ('{"u": Infinity}', "Infinity is not a number an answer can be"),
        ('{"u": -Infinity}', "-Infinity is not a number an answer can be"),
        ('{"u": 1e999}', "the number 1e999 is too large"),
        ('{"u": ' + "9" * 40 + "}", "a whole number of 40 digits is too long"),
        ('{"u": 1, "u": 2}', "the key 'u' is given twice"),
        ('{"u": true}', "'u' must be a number, a formula (a string) or null, got a boolean"),
        ('{"u": [7]}', "'u' must be a number, a formula (a string) or null, got an array"),
        ('{"u": {"v": 7}}', "'u' must be a number, a formula (a string) or null, got an object"),
        ('{"exercise": 7}', '"exercise" must be an object'),
        ('{"exercise": {"template": "chain", "seed": 7.0}}', '"seed" must be a whole number'),
        ('{"exercise": {"template": "chain", "seed": -1}}', "seed must be from 0"),
        ('{"exercise": {"template": "chain", "seed": true}}', '"seed" must be a whole number'),
        ('{"exercise": {"template": "nope", "seed": 1}}', "unknown template 'nope'"),
        ('{"exercise": {"template": "chain", "seed": 1, "x": 1}}', "unknown keys: x"),
        ('{"exercise": {"template": "chain", "student": "a\\u0000b"}}', "printable"),
        ('{"exercise": {"template": "custom", "seed": 1}}', "a formula and ranges"),
        ('{"exercise": {"template": "chain", "ranges": {"x": "1:2"}}}', "a formula and ranges"),
    ],
)
def test_malformed_files_are_refused_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(AnswerFileError) as info:
        load_file(path)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_json_deeper_than_the_bound_is_refused_before_parsing(tmp_path: Path) -> None:
    deep = '{"u": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(AnswerFileError, match=f"nested more than {MAX_DEPTH} levels deep"):
        load_file(write(tmp_path, deep[: MAX_BYTES - 10]))
    brackets_in_strings = '{"u": "' + "[" * 50 + '"}'
    assert load_file(write(tmp_path, brackets_in_strings)).given == {"u": "[" * 50}


def test_a_file_larger_than_the_bound_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, '{"u": "' + "x" * MAX_BYTES + '"}')
    with pytest.raises(AnswerFileError, match="an answer file holds at most 65,536"):
        load_file(path)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnswerFileError, match=r"not UTF-8 text \(byte 7\)"):
        load_file(write(tmp_path, b'{"u": "\xff\xfe"}'))


def test_a_folder_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnswerFileError, match="is a directory, not an answer file"):
        load_file(tmp_path)
    with pytest.raises(AnswerFileError, match="cannot read it: No such file"):
        load_file(tmp_path / "none.json")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX (os.mkfifo)")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            load_file(fifo)
        except AnswerFileError as e:
            outcome.append(e)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading a FIFO must not block"
    assert "is a FIFO (named pipe), not an answer file" in str(outcome[0])


def test_an_unknown_blank_id_in_a_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "{" + SPEC + ', "u": 7, "dL_dq": 1}')
    with pytest.raises(AnswerFileError, match="unknown blank id 'dL_dq'"):
        check(path)


def test_a_custom_sheet_in_a_file_is_made_only_through_the_formula_parser(tmp_path: Path) -> None:
    spec = {
        "template": "custom",
        "seed": 1,
        "expression": "__import__('os').system('touch /tmp/pwned')",
        "ranges": {"x": "-3:3"},
    }
    path = write(tmp_path, json.dumps({"exercise": spec, "f": 1}))
    answers = load_file(path)
    assert answers.spec is not None
    with nothing_runs() as calls, pytest.raises(AnswerFileError, match="cannot be made"):
        check(answers)
    assert calls == []


def test_a_custom_sheet_round_trips_through_its_answer_file(tmp_path: Path) -> None:
    ex = make("custom", 5, expression="tanh(x*w)", ranges={"x": "-2:2", "w": "-1.5:1.5"})
    doc = json.loads(ex.answer_file())
    assert doc["exercise"] == {
        "template": "custom",
        "seed": 5,
        "expression": "tanh(x*w)",
        "ranges": {"x": "-2:2", "w": "-1.5:1.5"},
    }
    doc["df_dw_formula"] = "(1 - f**2)*x"
    report = check(write(tmp_path, json.dumps(doc)))
    assert report.code == "custom-5"
    assert next(g for g in report.grades if g.id == "df_dw_formula").verdict == "right"


def test_reading_an_answer_file_runs_nothing(tmp_path: Path) -> None:
    text = "{" + SPEC + ', "u": "__import__(\'os\')", "L": "eval(\'1\')"}'
    path = write(tmp_path, text)
    answers = load_file(path)  # reading opens the file: outside the guard
    ex = make("chain", 7)
    with nothing_runs() as calls:
        report = ex.check(answers)
    assert calls == []
    assert [g.verdict for g in report.grades[:2]] == ["refused", "refused"]
