"""The Stepper: its frames, the ipywidgets widget, the errors without ipywidgets, and the old
import path microgradnet.viz.Stepper."""

from __future__ import annotations

import builtins
import itertools
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from networks import seed001

from microgradnet import MLP, backward_steps, forward_steps
from microgradnet.engine import Value, topological_order
from microgradnet.stepper import AUTO_COLLAPSE_ABOVE, Stepper
from microgradnet.viz import draw

SVG = "{http://www.w3.org/2000/svg}"


def shows(svg: str, name: str, grad: float) -> bool:
    """The picture shows d L / d name = grad (as "grad 42" or "∂L/∂x = 42")."""
    texts = svg_texts(svg)
    return f"∂L/∂{name} = {grad:g}" in texts or f"grad {grad:g}" in texts


def svg_texts(svg: str) -> list[str]:
    """The text lines of the SVG picture in svg (which may be inside other markup)."""
    start = svg.find("<svg")
    root = ET.fromstring(svg[start : svg.find("</svg>", start) + len("</svg>")])
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_frames_fold_the_given_leaves_and_the_leaves_reached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    L = seed001()[3]
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    stepper = Stepper(L, rankdir="LR")
    frames = list(stepper.frames())
    assert [f.steps for f in frames] == [
        "forward steps 1–3: inputs and parameters given",
        "forward step 4",
        "forward step 5",
        "forward step 6",
        "backward step 0 (the seed)",
        "backward step 1",
        "backward step 2",
        "backward step 3",
        "backward steps 4–6: leaves reached: nothing to pass on",
    ]
    assert frames[0].text.splitlines() == [  # the exponent 2 is part of "²": no step
        "step 1: x = 2 (given)",
        "step 2: w = 3 (given)",
        "step 3: b = 1 (given)",
    ]
    assert frames[1].text == list(forward_steps(L))[3].text(4) == "step 4: x·w = 2·3 = 6"
    assert frames[4].text == "step 0: backward starts with dL/dL = 1 (the seed)"
    assert frames[7].text.splitlines()[1:] == ["  dL/dx += 3 × 14 = 42", "  dL/dw += 2 × 14 = 28"]
    assert frames[8].text.splitlines() == [
        "step 4: b is reached with dL/db = 14 (a leaf: nothing to pass on)",
        "step 5: w is reached with dL/dw = 28 (a leaf: nothing to pass on)",
        "step 6: x is reached with dL/dx = 42 (a leaf: nothing to pass on)",
    ]
    kw: dict[str, Any] = {
        "show_backward": True,
        "rankdir": "LR",
    }  # show_backward: the Stepper's default
    assert frames[7].graph.source == draw(L, step=3, **kw).source
    assert frames[3].graph.source == draw(L, forward_step=6, **kw).source
    assert len(stepper) == 9
    with pytest.raises(ImportError, match=r'pip install "microgradnet\[notebook\]"'):
        stepper.widget()


def test_one_by_one_gives_every_step() -> None:
    L = seed001()[3]
    frames = list(Stepper(L, one_by_one=True, show_backward=False, rankdir="LR").frames())
    assert [(f.phase, f.k) for f in frames] == [
        *[("forward", k) for k in range(1, 7)],
        *[("backward", k) for k in range(7)],
    ]
    assert frames[9].graph.source == draw(L, step=3, rankdir="LR").source
    assert [f.steps for f in frames][-2:] == ["backward step 5", "backward step 6"]


def test_forward_or_backward_alone() -> None:
    L = seed001()[3]
    assert [f.phase for f in Stepper(L, forward=False).frames()] == ["backward"] * 5
    assert [f.k for f in Stepper(L, backward=False).frames()] == [3, 4, 5, 6]
    with pytest.raises(ValueError, match=r"forward and backward are both False"):
        Stepper(L, forward=False, backward=False)


@pytest.mark.needs_dot
def test_every_frame_is_drawn_at_the_same_positions() -> None:
    """The layout is computed once: each node's box sits where it sits in the last frame, and
    every frame has the same size, though forward frames have shorter labels."""
    L = seed001()[3]
    frames = list(Stepper(L).frames())
    boxes = [node_boxes(f.svg) for f in frames]
    sizes = {svg_size(f.svg) for f in frames}
    assert len(sizes) == 1
    for box in boxes:
        assert set(box) == set(boxes[-1])
        for name, points in box.items():
            assert points == pytest.approx(boxes[-1][name], abs=0.01), name
    assert node_boxes(draw_svg(L)) != {}  # the same ids in a plain drawing


def node_boxes(svg: str) -> dict[str, list[float]]:
    """Node id -> the points of its outline (polygon or ellipse centre)."""
    out = {}
    for g in ET.fromstring(svg[svg.find("<svg") :]).iter(f"{SVG}g"):
        if g.get("class") != "node":
            continue
        name = g.find(f"{SVG}title").text or ""  # type: ignore[union-attr]
        shapes = [e for e in g if e.tag in (f"{SVG}path", f"{SVG}polygon", f"{SVG}ellipse")]
        shape = shapes[0]  # Element is falsy without children: no `or` chains here
        if shape.tag == f"{SVG}ellipse":
            out[name] = [float(shape.get("cx", "")), float(shape.get("cy", ""))]
        else:
            raw = shape.get("points") or shape.get("d") or ""
            out[name] = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", raw)]
    return out


def svg_size(svg: str) -> tuple[str, str]:
    root = ET.fromstring(svg[svg.find("<svg") :])
    return root.get("width", ""), root.get("height", "")


def draw_svg(root: Value) -> str:
    from microgradnet.viz import to_svg

    return to_svg(root)


def test_a_large_graph_is_collapsed_by_neuron_unless_told_otherwise() -> None:
    loss = mlp_loss([4, 4, 1])
    assert len(topological_order(loss)) > AUTO_COLLAPSE_ABOVE
    auto = Stepper(loss)
    assert auto.draw_kwargs["collapse"] == "neuron"
    explicit = Stepper(loss, collapse=None, rankdir="TB")
    assert explicit.draw_kwargs["collapse"] is None
    assert next(explicit.frames()).graph.graph_attr["rankdir"] == "TB"
    small = Stepper(seed001()[3])
    assert "collapse" not in small.draw_kwargs


@pytest.mark.needs_dot
def test_frames_with_the_same_picture_are_one_frame() -> None:
    """Collapsed by neuron, a neuron's dot and tanh steps draw one picture: one frame holding
    the arithmetic of both; no two consecutive frames of a phase have the same picture."""
    loss = mlp_loss([4, 4, 1])
    frames = list(Stepper(loss).frames())
    for a, b in itertools.pairwise(frames):
        assert a.phase != b.phase or a.graph.source != b.graph.source
    steps = list(backward_steps(loss))
    shown = [k for f in frames if f.phase == "backward" for k in range(f.first or f.k, f.k + 1)]
    assert shown == list(range(len(steps) + 1))  # every step is in exactly one frame
    for f in frames:
        if f.phase == "backward" and f.k > 0:
            assert steps[f.k - 1].text(4) in f.text


def mlp_loss(sizes: list[int]) -> Value:
    net = MLP(2, sizes, activation="tanh", seed=0)
    out = net([Value(0.5, "x1"), Value(-1.0, "x2")])
    assert isinstance(out, Value)
    loss = (out - 1.0) ** 2
    loss.label = "L"
    return loss


def test_stepper_without_widgets_by_import_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def refuse(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "ipywidgets" or name.startswith("ipywidgets."):
            raise ImportError("No module named 'ipywidgets'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "ipywidgets", raising=False)
    monkeypatch.setattr(builtins, "__import__", refuse)
    L = seed001()[3]
    stepper = Stepper(L, forward=False)
    assert len(list(stepper.frames())) == 5
    with pytest.raises(ImportError, match=r"Stepper\(root\)\.frames\(\) and \.to_html\(\)"):
        stepper.widget()


@pytest.mark.needs_dot
def test_stepper_widget(monkeypatch: pytest.MonkeyPatch) -> None:
    widgets = pytest.importorskip("ipywidgets")
    L = seed001()[3]
    stepper = Stepper(L, forward=False, interval=300)
    links: list[tuple[Any, Any]] = []
    real_jslink = widgets.jslink

    def jslink(source: Any, target: Any) -> Any:
        links.append((source, target))
        return real_jslink(source, target)

    monkeypatch.setattr(widgets, "jslink", jslink)
    box = stepper.widget()
    assert isinstance(box, widgets.VBox)
    controls, captions, area = box.children
    play, slider, counters, zoom = controls.children
    (pictures,) = area.children
    assert (play.max, slider.max, play.interval) == (4, 4, 300)
    assert "mgn-widget" in box._dom_classes  # the zoom's CSS finds its pictures by it
    frames = list(stepper.frames())
    width, height = (float(x.removesuffix("pt")) for x in svg_size(frames[0].svg))
    views = [p.value for p in pictures.children]
    for view, frame in zip(views, frames):  # each frame in its view, placed on its focus
        size = f"--W:{width * 4 / 3:.1f}px;--H:{height * 4 / 3 + 2:.1f}px;"  # pt -> px
        assert view.startswith(f'<div class="mgn-view" style="{size}')
        assert frame.focus and '<div class="mgn-sheet" style="left:' in view
    assert len({v.split('class="mgn-sheet" style="')[1].split('"')[0] for v in views}) > 1
    picks = re.findall(
        r'<input type="radio" name="(mgn-zoom-\w+)" class="mgn-pick-(\w+)"', zoom.value
    )
    assert [k for _, k in picks] == ["auto", "fit", "full"] and len({n for n, _ in picks}) == 1
    assert ".mgn-widget:has(.mgn-pick-fit:checked) .mgn-sheet" in zoom.value
    assert "backward starts" in captions.children[0].value
    assert counters.children[0].value == "frame 1 of 5 — backward step 0 (the seed)"
    assert counters.children[3].value == "frame 4 of 5 — backward step 3"
    assert "dL/dx += 3 × 14 = 42" in captions.children[3].value
    assert shows(views[3], "x", 42) and "∂L/∂b = 14" in svg_texts(views[3])
    seed = svg_texts(views[0])
    assert "∂L/∂L = 1 (seed)" in seed and "∂L/∂x = ?" in seed and "∂L/∂b = ?" in seed
    # the slider drives the three stacks in the browser (jslink), the play button the slider
    for stack in (counters, captions, pictures):
        assert ((slider, "value"), (stack, "selected_index")) in links
    assert ((play, "value"), (slider, "value")) in links


@pytest.mark.needs_dot
def test_display_is_the_widget_in_a_kernel_and_the_html_stepper_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import microgradnet.stepper as stepper_module

    L = seed001()[3]
    stepper = Stepper(L, forward=False)
    monkeypatch.setattr(stepper_module, "_in_kernel", lambda: False)
    plain = stepper._repr_mimebundle_()
    assert set(plain) == {"text/plain", "text/html"}
    assert plain["text/html"].startswith('<div class="mgn-stepper"')
    step3 = list(backward_steps(L))[2].text(4)
    assert f"frame 4 of 5 — backward step 3\n{step3}" in plain["text/plain"]
    pytest.importorskip("ipywidgets")
    monkeypatch.setattr(stepper_module, "_in_kernel", lambda: True)
    live = stepper._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in live
    assert live["text/html"].startswith('<div class="mgn-stepper"')  # for viewers without it
    html_only = Stepper(L, forward=False, widget=False)._repr_mimebundle_()
    assert set(html_only) == {"text/plain", "text/html"}


def test_stepper_checks_its_arguments() -> None:
    L = seed001()[3]
    with pytest.raises(TypeError, match=r"Stepper: step is chosen by the slider"):
        Stepper(L, step=2)
    with pytest.raises(TypeError, match=r"Stepper: highlight is chosen by the slider"):
        Stepper(L, highlight=L)
    with pytest.raises(ValueError, match=r"draw: collapse must be"):
        Stepper(L, collapse="all")
    with pytest.raises(ValueError, match=r"Stepper: interval must be a positive int"):
        Stepper(L, interval=0)
    with pytest.raises(TypeError, match=r"Stepper: root must be a Value, got str"):
        Stepper("L")  # type: ignore[arg-type]


def test_old_import_path_still_works_with_a_deprecation_warning() -> None:
    import microgradnet
    import microgradnet.viz as viz

    with pytest.warns(DeprecationWarning, match=r"microgradnet\.stepper\.Stepper"):
        assert viz.Stepper is Stepper
    with pytest.warns(DeprecationWarning, match=r"microgradnet\.stepper\.Frame"):
        assert viz.Frame is microgradnet.Frame
    assert microgradnet.Stepper is Stepper
    with pytest.raises(AttributeError, match=r"has no attribute 'Stepperr'"):
        viz.Stepperr  # noqa: B018


@pytest.mark.needs_dot
def test_cli_grad_writes_the_html_stepper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from microgradnet.cli import main

    page = tmp_path / "steps.html"
    assert main(["grad", "(x*w + b)**2", "x=2", "w=3", "b=1", "--steps", str(page)]) == 0
    assert f"wrote {page}" in capsys.readouterr().out
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'class="mgn-stepper"' in text
    assert "df/dx += 3 × 14 = 42" in text and "df/dw += 2 × 14 = 28" in text
    missing = tmp_path / "no such folder" / "steps.html"
    assert main(["grad", "x*w", "x=2", "w=3", "--steps", str(missing)]) == 2
    assert "cannot write" in capsys.readouterr().err and not missing.exists()


@pytest.mark.needs_dot
def test_html_is_self_contained_and_small() -> None:
    """No network: no external scripts, styles, fonts, images or links; the frames share their
    common SVG pieces, so the page stays small."""
    L = seed001()[3]
    page = Stepper(L).to_html()
    assert not re.search(r"""(src|href)\s*=|@import|url\(|<link|<iframe""", page)
    namespaces = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert set(re.findall(r"""https?://[^\s"'<>\\]+""", page)) <= namespaces  # xmlns only
    assert len(page.encode()) < 200_000
    fragment = Stepper(L).to_html(page=False)
    assert fragment.startswith('<div class="mgn-stepper" id="mgn-stepper-')
    assert "</script" not in fragment.split("<script", 2)[1].split("</script>")[0]  # JSON escaped
    assert Stepper(L).to_html(page=False) == fragment  # the same input, the same bytes


def test_too_many_frames_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import microgradnet.stepper as stepper_module

    monkeypatch.setattr(stepper_module, "MAX_FRAMES", 5)
    stepper = Stepper(seed001()[3], rankdir="LR")
    with pytest.raises(ValueError, match=r"Stepper: 9 frames, more than MAX_FRAMES = 5; pass"):
        len(stepper)
    assert len(Stepper(seed001()[3], forward=False, rankdir="LR")) == 5  # within the limit


def test_each_frame_names_the_nodes_it_is_about() -> None:
    """Frame.focus, which the view keeps in sight: the current node first, then the nodes
    whose gradient the step changed (the seed: the root); a run of leaves: the leaves. The
    hidden exponent 2 is never among them."""
    x, w, b, L = seed001()
    stepper = Stepper(L, rankdir="LR")
    at = stepper.scene.where
    xw, s = L.children[0].children[0], L.children[0]
    assert [f.focus for f in stepper.frames()] == [
        (at(x), at(w), at(b)),
        (at(xw),),
        (at(s),),
        (at(L),),
        (at(L),),  # the seed
        (at(L), at(s)),
        (at(s), at(xw), at(b)),
        (at(xw), at(x), at(w)),
        (at(x), at(w), at(b)),
    ]


@pytest.mark.needs_dot
def test_the_focus_of_a_collapsed_network_is_its_drawn_boxes() -> None:
    loss = mlp_loss([4, 4, 1])
    stepper = Stepper(loss)
    steps = list(backward_steps(loss))
    for f in stepper.frames():
        assert f.picture is not None and f.focus
        drawn = {s.name for s in f.picture.dot_graph.body if hasattr(s, "name")}
        assert set(f.focus) <= drawn
        if f.phase == "backward" and f.k > 0 and f.first is None:
            assert f.focus[0] == stepper.scene.where(steps[f.k - 1].node)
