"""Exercises from the lecture notes' templates: seeded sheets with blanks, keys, and a grader.

    from microgradnet import exercise
    ex = exercise.make("masha", seed=7)        Masha's network at the numbers of seed 7
    ex.save("sheets", formats=("html", "md", "pdf"))
    ex.check({"dL_dw3": 0.3152, "dL_dw3_formula": "(y_hat - y)*o2"})
    exercise.check("sheets/masha-7-answers.json")         a file naming its sheet
    exercise.class_set("l2", class_seed=2024, roster=["Ada", "Alan"]).save("class")
    exercise.gradebook("class/answers")                    one CSV row per answer file

The package, one job per module: ``program`` (the model as named formulas, a Value graph),
``numbers`` (ranges and seeded draws), ``blanks`` (what is asked, the usual mistakes),
``templates`` and ``custom`` (the notes' exercises, your own), ``variants`` (a template at a
seed, redrawn until it can be graded), ``answers`` (answer files, checked), ``grading``,
``figures`` (the graph with blanks, by microgradnet.viz), ``pages`` (HTML and Markdown),
``printing`` (PDF by headless Chromium), ``core`` (Exercise), ``classroom`` (class sets and
the gradebook).

This is practice, not an exam: the answers live in the files.
"""

from __future__ import annotations

from .answers import MAX_BYTES, AnswerFileError
from .blanks import Blank
from .classroom import ClassSet, class_set, gradebook, student_seed
from .core import FORMATS, Exercise, Saved, check, make, templates
from .grading import Grade, Report
from .numbers import Range
from .printing import INSTALL_CHROMIUM, ChromiumNotFoundError, PrintError, chromium
from .program import ExerciseError
from .templates import TEMPLATES
from .variants import MAX_DRAWS, Spec

__all__ = [
    "FORMATS",
    "INSTALL_CHROMIUM",
    "MAX_BYTES",
    "MAX_DRAWS",
    "TEMPLATES",
    "AnswerFileError",
    "Blank",
    "ChromiumNotFoundError",
    "ClassSet",
    "Exercise",
    "ExerciseError",
    "Grade",
    "PrintError",
    "Range",
    "Report",
    "Saved",
    "Spec",
    "check",
    "chromium",
    "class_set",
    "gradebook",
    "make",
    "student_seed",
    "templates",
]
