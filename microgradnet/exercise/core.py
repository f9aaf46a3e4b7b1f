"""Exercise: one sheet drawn from a template, with its key, its answer file and its grader.

ex = make("masha", seed=7)          the template at the numbers of seed 7
ex.sheet(), ex.key()                the question sheet and the answer key (HTML pages)
ex.save("out", formats=("html", "md", "pdf"))   the files, with the answer file to fill
ex.check({"dL_dw3": 0.31, "dL_dw3_formula": "(y_hat - y)*o2"})   a Report
check("masha-7-answers.json")       grade an answer file that names its sheet
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .._files import replace_file
from .answers import AnswerFileError, read_answers
from .blanks import Blank
from .custom import RangeLike
from .figures import inline_svg, key_figure, sheet_figure, svg_file
from .grading import Report, grade
from .pages import PAPERS, key_html, key_markdown, sheet_html, sheet_markdown
from .printing import print_pdf
from .program import ExerciseError, Model
from .templates import TEMPLATES
from .variants import Spec, Variant, custom_spec, draw_variant

FORMATS = ("html", "md", "pdf")


@dataclass
class Saved:
    """The files save wrote, and an answer file it kept (it holds a student's answers)."""

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


class Exercise:
    """One exercise: a template at the numbers of a seed (see make)."""

    def __init__(self, variant: Variant) -> None:
        self.variant = variant

    @property
    def spec(self) -> Spec:
        return self.variant.spec

    @property
    def code(self) -> str:
        """The sheet's code, such as masha-7."""
        return self.variant.spec.code

    @property
    def title(self) -> str:
        return self.variant.template.title

    @property
    def question(self) -> tuple[str, ...]:
        return self.variant.setup.question

    @property
    def blanks(self) -> tuple[Blank, ...]:
        return self.variant.setup.blanks

    @property
    def point(self) -> dict[str, float]:
        """The numbers of the sheet: each variable's and each datum's value."""
        return dict(self.variant.setup.point)

    def check(self, answers: object) -> Report:
        """Grade answers: a dict of blank id -> number, formula or None, or an answer file."""
        return grade(self.variant, read_answers(answers))

    def answer_file(self) -> str:
        """The answer file to fill in: the sheet's spec, then every blank id with null."""
        doc: dict[str, object] = {"exercise": self.spec.to_json()}
        doc.update((b.id, None) for b in self.blanks)
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    def sheet(self, paper: str = "a4", answers_file: str = "") -> str:
        """The question sheet as one self-contained HTML page (A4 or Letter)."""
        return sheet_html(self.variant, check_paper(paper), answers_file)

    def key(self, paper: str = "a4") -> str:
        """The answer key as one self-contained HTML page."""
        return key_html([self.variant], check_paper(paper))

    def save(
        self,
        folder: str | os.PathLike[str] = ".",
        formats: Iterable[str] = ("html",),
        paper: str = "a4",
    ) -> Saved:
        """Write the sheet, the key and the answer file (kept if it is there) into folder:
        CODE-sheet.html and CODE-key.html, .md with their .svg figures, .pdf."""
        wanted = check_formats(formats)
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        saved = Saved()
        answers = target / f"{self.code}-answers.json"
        write_answer_file(self.variant, answers, saved)
        pages = {
            "sheet": sheet_html(self.variant, check_paper(paper), answers.name),
            "key": key_html([self.variant], check_paper(paper)),
        }
        write_pages(target, self.code, pages, wanted, saved)
        if "md" in wanted:
            write_sheet_markdown(self.variant, target, self.code, answers.name, saved)
            write_key_markdown([self.variant], target, self.code, [f"{self.code}-key.svg"], saved)
        return saved

    def _repr_html_(self) -> str:
        """In a notebook: the question and the figure (no page style)."""
        text = "".join(f"<p>{html.escape(p)}</p>" for p in self.question)
        figure = inline_svg(sheet_figure(self.variant).dot, self.code)
        return f"<div><b>{html.escape(self.title)}</b>{text}{figure}</div>"

    def __repr__(self) -> str:
        return f"<Exercise {self.code}: {self.title}>"


def make(
    template: str = "chain",
    seed: int = 0,
    *,
    expression: str | None = None,
    ranges: Mapping[str, RangeLike] | None = None,
    model: Model | None = None,
    student: str | None = None,
) -> Exercise:
    """The exercise of template at the numbers of seed (an int from 0 to 2**63 − 1).

    template: one of TEMPLATES, or "custom" with an ``expression`` (a formula over the names
    of ``ranges``) or a ``model`` (a function of Values whose parameters are those names), and
    ``ranges``: name -> "LO:HI" (whole numbers, or one decimal when a bound has one), a number
    (fixed), or a (lo, hi) pair. ``student`` names the sheet (class sets set it).
    """
    if template == "custom":
        if (expression is None) == (model is None) or ranges is None:
            raise ExerciseError(
                "exercise: the custom template takes an expression or a model, and ranges"
            )
        source = model if model is not None else str(expression)
        spec = custom_spec(seed, source, ranges, student)
        return Exercise(draw_variant(spec, model))
    if expression is not None or ranges is not None or model is not None:
        raise ExerciseError(
            "exercise: expression, ranges and model are for the custom template, not "
            f"{template!r:.40}"
        )
    return Exercise(draw_variant(Spec(template, seed, student=student)))


def check(answers: object) -> Report:
    """Grade an answer file (or dict) that names its sheet in its "exercise" entry."""
    read = read_answers(answers)
    if read.spec is None:
        raise AnswerFileError(
            f'{read.source}: names no sheet: it needs the "exercise" entry of the answer file '
            "written beside the sheet"
        )
    try:
        variant = draw_variant(read.spec)
    except (ArithmeticError, ValueError) as e:  # a custom formula refused, say
        raise AnswerFileError(f"{read.source}: its sheet cannot be made: {e}") from None
    return grade(variant, read)


def templates() -> dict[str, str]:
    """Each template's name and what its sheet asks."""
    return {name: t.summary for name, t in TEMPLATES.items()} | {
        "custom": "any formula with the ranges of its variables: f, ∂f/∂v as numbers and formulas"
    }


def write_answer_file(variant: Variant, path: Path, saved: Saved) -> None:
    """The answer file, unless one is there already (it may hold a student's answers)."""
    if path.exists():
        saved.kept.append(path)
        return
    write_text(path, Exercise(variant).answer_file(), saved)


def write_pages(
    folder: Path, stem: str, pages: dict[str, str], formats: set[str], saved: Saved
) -> None:
    """Each page (kind -> HTML) as STEM-KIND.html, and printed to STEM-KIND.pdf."""
    for kind, page in pages.items():
        html_file = folder / f"{stem}-{kind}.html"
        if "html" in formats:
            write_text(html_file, page, saved)
        if "pdf" in formats:
            _print(page, html_file if "html" in formats else None, folder / f"{stem}-{kind}.pdf")
            saved.written.append(folder / f"{stem}-{kind}.pdf")


def write_sheet_markdown(
    variant: Variant, folder: Path, stem: str, answers_name: str, saved: Saved
) -> None:
    """STEM-sheet.md and its figure STEM-sheet.svg."""
    drawn = sheet_figure(variant)
    figure = f"{stem}-sheet.svg"
    write_text(folder / figure, svg_file(drawn.dot), saved)
    text = sheet_markdown(variant, figure, answers_name)
    write_text(folder / f"{stem}-sheet.md", text, saved)


def write_key_markdown(
    variants: list[Variant], folder: Path, stem: str, figures: list[str], saved: Saved
) -> None:
    """STEM-key.md and the figures it shows (file names relative to folder)."""
    for variant, name in zip(variants, figures):
        write_text(folder / name, svg_file(key_figure(variant)), saved)
    write_text(folder / f"{stem}-key.md", key_markdown(variants, figures), saved)


def _print(page: str, html_file: Path | None, pdf: Path) -> None:
    if html_file is not None:
        print_pdf(html_file, pdf)
        return
    with tempfile.TemporaryDirectory(prefix="mgn-page-") as tmp:
        page_file = Path(tmp) / "page.html"
        page_file.write_text(page, encoding="utf-8")
        print_pdf(page_file, pdf)


def write_text(path: Path, text: str, saved: Saved) -> None:
    """Write text to path whole or not at all, and note it in saved."""
    replace_file(path, text, "exercise")
    saved.written.append(path)


def check_formats(formats: Iterable[str]) -> set[str]:
    """The formats asked for (an iterable, or text such as "html,pdf"), each known."""
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",")]
    wanted = set(formats)
    unknown = wanted - set(FORMATS)
    if unknown or not wanted:
        raise ExerciseError(
            f"exercise: formats are {', '.join(FORMATS)} (one or more), "
            f"got {sorted(unknown) or 'none'}"
        )
    return wanted


def check_paper(paper: str) -> str:
    """paper if it is "a4" or "letter"."""
    if paper not in PAPERS:
        raise ExerciseError(f"exercise: paper must be 'a4' or 'letter', got {paper!r:.40}")
    return paper
