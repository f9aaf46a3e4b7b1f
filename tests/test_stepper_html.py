"""The HTML stepper's output: the same bytes for the same input in any process, labels of any
content (a lone surrogate) in every output, and the bounds of its arguments."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import run_python
from networks import seed001

import microgradnet.stepper as stepper_module
from microgradnet.engine import Value
from microgradnet.html_stepper import READABLE_PX, View, svg_pieces
from microgradnet.stepper import MAX_INTERVAL, Stepper

ROOT = Path(__file__).resolve().parent.parent
FRAGMENT = """
import hashlib, sys
sys.path.insert(0, {tests!r})
from networks import seed001
from microgradnet.stepper import Stepper
print(hashlib.sha256(Stepper(seed001()[3]).to_html(page=False).encode()).hexdigest())
"""


def fragment_digest_in_a_new_process() -> str:
    return run_python(FRAGMENT.format(tests=str(ROOT / "tests"))).stdout.strip()


@pytest.mark.needs_dot
def test_the_same_stepper_gives_the_same_bytes_in_any_process() -> None:
    here = hashlib.sha256(Stepper(seed001()[3]).to_html(page=False).encode()).hexdigest()
    assert fragment_digest_in_a_new_process() == fragment_digest_in_a_new_process() == here
    other = Stepper(seed001()[3], forward=False).to_html(page=False)
    assert hashlib.sha256(other.encode()).hexdigest() != here


@pytest.mark.needs_dot
def test_a_lone_surrogate_in_a_label_is_shown_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """to_html, save_html and the notebook's bundle all write a label holding "\\ud800" as
    \\xd800 (as the drawings do), in text that encodes as UTF-8."""
    x = Value(2.0, "x\ud800")
    L = (x * 3.0) ** 2
    L.label = "L\udfff"
    stepper = Stepper(L, rankdir="LR", interval=500)
    page = stepper.to_html(title="t\ud800")
    assert page.encode("utf-8") and "x\\xd800 = 2 (given)" in page
    assert "<title>t\\xd800</title>" in page and "d(L\\xdfff)/d(L\\xdfff) = 1 (the seed)" in page
    saved = stepper.save_html(tmp_path / "steps.html")
    assert "x\\xd800" in saved.read_text(encoding="utf-8")
    monkeypatch.setattr(stepper_module, "_in_kernel", lambda: False)
    bundle = stepper._repr_mimebundle_()
    assert json.dumps(bundle, ensure_ascii=False).encode("utf-8")
    assert "Stepper over L\\xdfff" in bundle["text/plain"]
    assert all(f.text.encode("utf-8") for f in stepper.frames())


def test_interval_is_bounded() -> None:
    """A browser runs an interval past 2³¹ − 1 ms at once: intervals past a minute are refused,
    naming the argument and the range."""
    L = seed001()[3]
    with pytest.raises(
        ValueError,
        match=r"Stepper: interval must be a positive int \(ms\) of at most MAX_INTERVAL = 60000 "
        r"\(one minute\), got 2147483648",
    ):
        Stepper(L, interval=2**31)
    with pytest.raises(TypeError, match=r"Stepper: interval must be a positive int \(ms\), got"):
        Stepper(L, interval=1.5)  # type: ignore[arg-type]
    assert Stepper(L, interval=MAX_INTERVAL).interval == 60_000
    with pytest.raises(TypeError, match=r"Stepper: unknown drawing option 'rank_dir'; draw\(\)"):
        Stepper(L, rank_dir="LR")


@pytest.mark.needs_dot
def test_svg_pieces_drop_titles_ids_and_comments() -> None:
    from microgradnet.viz import to_svg

    svg = to_svg(seed001()[3])
    pieces = svg_pieces(svg)
    joined = "".join(pieces)
    assert pieces[0].startswith('<svg width="') and pieces[-1] == "</g>\n</svg>\n"
    assert "<title>" not in joined and " id=" not in joined and "<!--" not in joined
    assert sum(p.startswith('<g class="node"') for p in pieces) == joined.count('class="node"') == 9
    names = [p.split('data-name="')[1].split('"')[0] for p in pieces if 'class="node"' in p]
    assert sorted(names) == ["o2", "o4", "o6", "v0", "v1", "v2", "v3", "v4", "v6"]  # DOT names
    assert ">∂L/∂x = 42<" in joined


def test_the_view_keeps_the_focus_in_sight_by_prefixes() -> None:
    """View.sheet_style: one CSS clamp per prefix of 1, 2, 4, ... focus nodes along each axis
    (the shortest applied last: it wins), the unknown names ignored; --r the scale at which the
    smallest text (12 pt = 16 px) is READABLE_PX."""
    boxes = {n: (40.0 * i, 10.0, 40.0 * i + 30, 40.0) for i, n in enumerate("abcdef")}
    view = View(400.0, 100.0, boxes, 12.0)
    assert view.style() == "--W:533.3px;--H:135.3px;--a:4.00000;--r:0.6875"
    assert READABLE_PX / 16 == 0.6875
    left, top = view.sheet_style(["c", "a", "nothing", "f", "b", "e"]).split(";top:")
    assert left.startswith("left:clamp(calc(var(--w) * -0.18500), clamp(")  # c at x = 80 − 6
    assert left.count("clamp(") == top.count("clamp(") == 4  # prefixes of 1, 2, 4 and all 5
    assert "calc(100cqw - var(--w) * 0.29000)" in left  # c's right edge (110 + 6) / 400
    whole = view.sheet_style([])
    assert "clamp(" not in whole and "calc(50cqw - var(--w) * 0.50000)" in whole  # centred
