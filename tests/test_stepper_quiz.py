"""Stepper(root, quiz=...): the frames of a quiz (unfolded, each question with the picture before
its step), its HTML (deterministic, self-contained, the page comparing numbers only), the
widget, the command line's --quiz, and the frames saved one file each for slides."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from browsers import mashas_network, mlp_4_4_1, notes_example
from conftest import run_python
from test_stepper import svg_texts

from microgradnet import backward_steps, forward_steps
from microgradnet.html_quiz import PRACTICE_NOTE, QUIZ_JS
from microgradnet.stepper import Stepper

ROOT = Path(__file__).resolve().parent.parent
DIGEST = """
import hashlib, sys
sys.path.insert(0, {tests!r})
from browsers import notes_example
from microgradnet.stepper import Stepper
page = Stepper(notes_example(), quiz={quiz!r}).to_html(page=False)
print(hashlib.sha256(page.encode()).hexdigest())
"""


def digest_in_a_new_process(quiz: object) -> str:
    return run_python(DIGEST.format(tests=str(ROOT / "tests"), quiz=quiz)).stdout.strip()


def page_data(fragment: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" class="mgn-data">(.*?)</script>', fragment)
    assert found is not None
    data: dict[str, Any] = json.loads(found[1])
    return data


def test_a_quiz_asks_at_every_computed_step_and_keeps_the_leaves_together() -> None:
    L = notes_example()
    frames = list(Stepper(L, quiz=True, rankdir="LR").frames())
    assert [f.steps for f in frames] == [f.steps for f in Stepper(L, rankdir="LR").frames()]
    asked = [(f.phase, f.k) for f in frames if f.question is not None]
    assert asked == [("forward", 4), ("forward", 5), ("forward", 6)] + [
        ("backward", k) for k in (1, 2, 3)
    ]
    assert all(f.asking is not None for f in frames if f.question is not None)
    assert all(f.asking is None for f in frames if f.question is None)


def test_a_quiz_unfolds_the_frames_of_a_collapsed_network() -> None:
    """By layer, the steps inside a layer draw one picture and are one frame ("forward steps
    41–47"); in a quiz each computed step is a frame of its own, with its question."""
    loss = mlp_4_4_1()
    plain, quiz = Stepper(loss, collapse="layer"), Stepper(loss, collapse="layer", quiz=True)
    computed_forward = sum(1 for s in forward_steps(loss) if s.node.children)
    computed_backward = sum(1 for s in backward_steps(loss) if s.node.children)
    # the given leaves, each computed value, the seed, each computed node, the leaves reached
    assert len(quiz) == 1 + computed_forward + 1 + computed_backward + 1
    assert (len(plain), len(quiz)) == (29, 41)
    assert "forward steps 41–47" in [f.steps for f in plain.frames()]
    assert sum(1 for f in quiz.frames() if f.question is not None) == (
        computed_forward + computed_backward
    )


@pytest.mark.needs_dot
def test_a_question_shows_the_picture_before_its_step() -> None:
    frames = list(Stepper(notes_example(), quiz=True, rankdir="LR").frames())
    back3 = next(f for f in frames if f.steps == "backward step 3")
    before, after = svg_texts(back3.question_svg or ""), svg_texts(back3.svg)
    assert "∂L/∂x = ?" in before and "∂L/∂w = ?" in before
    assert "∂L/∂x = 42" in after and "∂L/∂w = 28" in after
    assert "∂L/∂(x·w) = 14" in before  # the node asked about holds its whole gradient
    forward4 = next(f for f in frames if f.steps == "forward step 4")
    asked, shown = svg_texts(forward4.question_svg or ""), svg_texts(forward4.svg)
    assert "= ?" in [t.strip() for t in asked] and "= 6" not in [t.strip() for t in asked]
    assert "= 6" in [t.strip() for t in shown]
    assert back3.question_svg is not None and back3.svg.count("<svg") == 1


@pytest.mark.needs_dot
def test_a_local_quiz_draws_no_local_derivatives_and_refuses_them() -> None:
    stepper = Stepper(notes_example(), quiz="local", rankdir="LR")
    frames = list(stepper.frames())
    assert not any(t.startswith("∂=") for f in frames for t in svg_texts(f.svg))
    labels = [a.label for f in frames if f.question is not None for a in f.question.asks]
    assert "∂(x·w)/∂x =" in labels and "x·w =" in labels  # forward: the values
    with pytest.raises(ValueError, match=r"quiz='local' asks for the local derivatives"):
        Stepper(notes_example(), quiz="local", show_local=True)
    with pytest.raises(ValueError, match=r"Stepper: quiz must be False, True or 'local'"):
        Stepper(notes_example(), quiz="yes")


@pytest.mark.needs_dot
def test_the_quiz_page_is_deterministic_self_contained_and_compares_numbers_only() -> None:
    fragment = Stepper(notes_example(), quiz=True).to_html(page=False)
    assert digest_in_a_new_process(True) == hashlib.sha256(fragment.encode()).hexdigest()
    assert digest_in_a_new_process("local") != hashlib.sha256(fragment.encode()).hexdigest()
    assert PRACTICE_NOTE in fragment and 'class="mgn-quiz" hidden' in fragment
    assert not re.search(r"""(src|href)\s*=|@import|url\(|<link|<iframe""", fragment)
    script = fragment.rsplit("<script>", 1)[1]
    assert QUIZ_JS in script  # what the student types is never run nor written as markup:
    assert not re.search(r"\beval\(|new Function|setTimeout\(\s*['\"]", script)
    assert "innerHTML" not in QUIZ_JS and "insertAdjacentHTML" not in QUIZ_JS
    data = page_data(fragment)
    assert data["quiz"] is True
    asked = [f for f in data["frames"] if "q" in f]
    assert len(asked) == 6
    dx = next(a for f in asked for a in f["q"]["a"] if a["l"] == "∂L/∂x +=")
    assert dx["r"][0] <= 42 <= dx["r"][1] and dx["v"] == "42"
    assert [m[2] for m in dx["m"] if m[0] <= -42 <= m[1]] == ["the opposite sign"]
    assert "mgn-quiz" not in Stepper(notes_example()).to_html(page=False)  # no quiz: as before


def test_the_quiz_widget_is_the_html_quiz_in_an_output() -> None:
    widgets = pytest.importorskip("ipywidgets")
    stepper = Stepper(notes_example(), quiz=True, rankdir="LR")
    box = stepper.widget()
    assert isinstance(box, widgets.Output) and "mgn-quiz-widget" in box._dom_classes
    (shown,) = box.outputs
    assert shown["data"]["text/html"] == stepper.to_html(page=False)


@pytest.mark.needs_dot
def test_cli_grad_quiz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from microgradnet.cli import main

    page = tmp_path / "quiz.html"
    assert main(["grad", "(x*w + b)**2", "x=2", "w=3", "b=1", "--steps", str(page), "--quiz"]) == 0
    text = page.read_text(encoding="utf-8")
    assert PRACTICE_NOTE in text and "<title>f, step by step: predict, then check</title>" in text
    assert "∂f/∂x +=" in text
    capsys.readouterr()
    assert main(["grad", "x*w", "x=2", "w=3", "--quiz"]) == 2
    assert "--quiz asks the questions in the --steps page; add --steps FILE.html" in (
        capsys.readouterr().err
    )


# -- the frames saved for slides ------------------------------------------------------------------


@pytest.mark.needs_dot
def test_save_frames_writes_one_file_per_frame_all_of_one_size(tmp_path: Path) -> None:
    from PIL import Image

    stepper = Stepper(notes_example())
    paths = stepper.save_frames(tmp_path / "slides", dpi=72)
    assert [p.name for p in paths] == [f"frame-{k:03d}.png" for k in range(1, len(stepper) + 1)]
    sizes = {Image.open(p).size for p in paths}
    assert len(sizes) == 1
    assert Image.open(paths[0]).tobytes() != Image.open(paths[-1]).tobytes()
    pdfs = stepper.save_frames(tmp_path / "pdf", format="pdf")
    assert len(pdfs) == len(paths) and pdfs[0].read_bytes().startswith(b"%PDF")
    svgs = stepper.save_frames(tmp_path / "svg", format="svg")
    assert "∂L/∂x = 42" in svg_texts(svgs[-1].read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match=r"save_frames: format must be one of"):
        stepper.save_frames(tmp_path / "no", format="gif")
    with pytest.raises(ValueError, match=r"save_frames: dpi must be an int from 24 to 600"):
        stepper.save_frames(tmp_path / "no", dpi=10)
    assert not (tmp_path / "no").exists()


@pytest.mark.needs_dot
def test_saved_frames_are_shaped_for_a_slide(tmp_path: Path) -> None:
    """Masha's network steps through as one long line (the view follows the step); its
    slides are shaped as draw() shapes a still drawing (here in rows), within 3:1."""
    from PIL import Image

    stepper = Stepper(mashas_network())
    (width, height), _ = node_boxes_size(stepper)
    assert width > 6 * height  # the stepper's own frames: one line
    paths = stepper.save_frames(tmp_path, dpi=48)
    (size,) = {Image.open(p).size for p in paths}
    assert len(paths) == len(stepper) and size[0] <= 3 * size[1]


def node_boxes_size(stepper: Stepper) -> tuple[tuple[float, float], object]:
    from microgradnet.viz.fixed import node_boxes

    return node_boxes(list(stepper.frames())[-1].svg)
