"""A teacher's class set in one call, and the gradebook of a folder of answer files.

    cs = class_set("masha", class_seed=2024, roster=["Ada", "Alan"])   (or roster=30)
    cs.save("class")      class/sheets/ada-sheet.html ..., class/answers/ada-answers.json ...,
                          class/key.html (every variant), class/roster.csv
    book = gradebook("class/answers")    one row per answer file; book.csv() is the CSV text

Each student's seed is derived from the class seed and the name (SHA-256), so the same class
seed and roster give the same sheets on any machine, and a student keeps their sheet when the
roster grows. A roster is at most MAX_STUDENTS names, each 1 to 100 printable characters;
a roster file holds one name per line (blank lines and lines starting with # are skipped).
CSV cells that a spreadsheet would read as a formula (=, +, -, @ first) start with a quote.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._format import cut, path_text
from .core import (
    Exercise,
    Saved,
    check,
    check_formats,
    check_paper,
    make,
    write_answer_file,
    write_key_markdown,
    write_pages,
    write_sheet_markdown,
    write_text,
)
from .custom import RangeLike
from .pages import key_html, sheet_html
from .program import ExerciseError
from .variants import MAX_STUDENT

MAX_STUDENTS = 500
MAX_ROSTER_BYTES = 64 * 1024
MAX_FILES = 1000  # answer files in a folder graded at once


def student_seed(class_seed: int, name: str) -> int:
    """A student's seed, below 10⁹ (a short sheet code): SHA-256 of "CLASS_SEED:NAME"."""
    digest = hashlib.sha256(f"{class_seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10**9


@dataclass(frozen=True)
class Student:
    name: str
    slug: str  # the student's file names: SLUG-sheet.html, SLUG-answers.json
    exercise: Exercise


@dataclass(frozen=True)
class ClassSet:
    """One exercise per student of a roster, all from one template and one class seed."""

    template: str
    class_seed: int
    students: tuple[Student, ...]

    def key(self, paper: str = "a4") -> str:
        """One answer key holding every student's variant."""
        title = f"Answer key — {self.template}, class seed {self.class_seed}"
        return key_html([s.exercise.variant for s in self.students], check_paper(paper), title)

    def save(
        self,
        folder: str | os.PathLike[str],
        formats: Iterable[str] = ("html",),
        paper: str = "a4",
    ) -> Saved:
        """sheets/ (one sheet per student), answers/ (one answer file each, kept when there),
        key.html (every variant), roster.csv (name, file name, seed, sheet)."""
        wanted, target = check_formats(formats), Path(folder)
        saved = Saved()
        for sub in ("sheets", "answers"):
            (target / sub).mkdir(parents=True, exist_ok=True)
        for s in self.students:
            answers = target / "answers" / f"{s.slug}-answers.json"
            write_answer_file(s.exercise.variant, answers, saved)
            page = sheet_html(s.exercise.variant, check_paper(paper), answers.name)
            write_pages(target / "sheets", s.slug, {"sheet": page}, wanted, saved)
            if "md" in wanted:
                write_sheet_markdown(
                    s.exercise.variant, target / "sheets", s.slug, answers.name, saved
                )
        write_pages(target, "class", {"key": self.key(paper)}, wanted, saved)
        if "md" in wanted:
            (target / "key-figures").mkdir(exist_ok=True)
            variants = [s.exercise.variant for s in self.students]
            figures = [f"key-figures/{s.slug}.svg" for s in self.students]
            write_key_markdown(variants, target, "class", figures, saved)
        write_text(target / "roster.csv", self.roster_csv(), saved)
        return saved

    def roster_csv(self) -> str:
        rows = [["name", "file", "seed", "sheet"]]
        rows += [
            [s.name, s.slug, str(s.exercise.spec.seed), s.exercise.code] for s in self.students
        ]
        return _csv(rows)


def class_set(
    template: str,
    class_seed: int,
    roster: Sequence[str] | int | str | os.PathLike[str],
    *,
    expression: str | None = None,
    ranges: Mapping[str, RangeLike] | None = None,
) -> ClassSet:
    """One exercise per student: roster is a list of names, a count (student 01, 02, ...), or
    the path of a roster file (one name per line)."""
    if isinstance(class_seed, bool) or not isinstance(class_seed, int) or class_seed < 0:
        raise ExerciseError(f"class_set: class_seed must be an int >= 0, got {class_seed!r:.40}")
    names = roster_names(roster)
    slugs = _slugs(names)
    students = tuple(
        Student(
            name,
            slug,
            make(
                template,
                student_seed(class_seed, name),
                expression=expression,
                ranges=ranges,
                student=name,
            ),
        )
        for name, slug in zip(names, slugs)
    )
    return ClassSet(template, class_seed, students)


def roster_names(roster: object) -> list[str]:
    """The students' names: given, counted, or read from a roster file."""
    if isinstance(roster, int) and not isinstance(roster, bool):
        if not 1 <= roster <= MAX_STUDENTS:
            raise ExerciseError(f"class_set: a class of 1 to {MAX_STUDENTS} students, got {roster}")
        width = len(str(roster))
        return [f"student {k:0{max(width, 2)}d}" for k in range(1, roster + 1)]
    if isinstance(roster, (str, os.PathLike)):
        return roster_names(_read_roster(roster))
    if not isinstance(roster, Sequence) or not all(isinstance(n, str) for n in roster):
        raise TypeError(
            "class_set: roster must be a list of names, a count, or a roster file's path, "
            f"got {type(roster).__name__}"
        )
    names = [unicodedata.normalize("NFC", n.strip()) for n in roster]
    if not 1 <= len(names) <= MAX_STUDENTS:
        raise ExerciseError(f"class_set: a roster of 1 to {MAX_STUDENTS} names, got {len(names)}")
    for n in names:
        if not (1 <= len(n) <= MAX_STUDENT and n.isprintable()):
            raise ExerciseError(
                f"class_set: a name is 1 to {MAX_STUDENT} printable characters, got {cut(repr(n))}"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ExerciseError(f"class_set: {cut(repr(repeated[0]))} is on the roster twice")
    return names


def _read_roster(path: str | os.PathLike[str]) -> list[str]:
    shown = path_text(os.fspath(path), 120)
    try:
        size = os.stat(path).st_size
        if size > MAX_ROSTER_BYTES:
            raise ExerciseError(f"{shown}: a roster file holds at most {MAX_ROSTER_BYTES:,} bytes")
        with open(path, encoding="utf-8-sig") as f:
            text = f.read(MAX_ROSTER_BYTES + 1)
    except OSError as e:
        raise ExerciseError(f"{shown}: cannot read the roster: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ExerciseError(f"{shown}: the roster is not UTF-8 text") from None
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _slugs(names: list[str]) -> list[str]:
    """File names from the names: ASCII letters and digits joined by -, made unique."""
    out: list[str] = []
    for name in names:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "student"
        slug, k = base, 1
        while slug in out:
            k += 1
            slug = f"{base}-{k}"
        out.append(slug)
    return out


@dataclass(frozen=True)
class Gradebook:
    """The grades of a folder of answer files: one row per file; ``status`` is 0 when every
    answer is right, 1 when some are wrong or missing, 2 when a file was refused."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    status: int

    def csv(self) -> str:
        return _csv(
            [list(self.columns), *([row.get(c, "") for c in self.columns] for row in self.rows)]
        )


def gradebook(folder: str | os.PathLike[str]) -> Gradebook:
    """Grade every *.json answer file in folder (each names its sheet), sorted by name."""
    root = Path(folder)
    if not root.is_dir():
        raise ExerciseError(f"gradebook: {path_text(os.fspath(folder), 120)} is not a folder")
    files = sorted(p for p in root.iterdir() if p.suffix == ".json")
    if len(files) > MAX_FILES:
        raise ExerciseError(f"gradebook: {len(files)} answer files; at most {MAX_FILES} at once")
    ids: list[str] = []
    rows, status = [], 0
    for path in files:
        row, blank_ids, file_status = _row(path)
        ids += [i for i in blank_ids if i not in ids]
        rows.append(row)
        status = max(status, file_status)
    columns = ("file", "student", "exercise", "right", "total", *ids, "status")
    return Gradebook(columns, tuple(rows), status)


def _row(path: Path) -> tuple[dict[str, str], list[str], int]:
    row = {"file": path.name}
    try:
        report = check(path)
    except (ExerciseError, TypeError) as e:
        row["status"] = f"refused: {cut(str(e), 300)}"
        return row, [], 2
    row.update(
        student=report.student or path.stem.removesuffix("-answers"),
        exercise=report.code,
        right=str(report.right),
        total=str(report.total),
        status="all right" if report.all_right else "graded",
    )
    row.update((g.id, "1" if g.right else "0") for g in report.grades)
    return row, [g.id for g in report.grades], 0 if report.all_right else 1


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([[_cell(c) for c in row] for row in rows])
    return out.getvalue()


def _cell(text: str) -> str:
    """text as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
