"""The Stepper: its frames, the ipywidgets widget, the errors without ipywidgets, and the old
import path microgradnet.viz.Stepper."""

from __future__ import annotations

import builtins
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from microgradnet.engine import Value
from microgradnet.stepper import Stepper
from microgradnet.viz import draw

SVG = "{http://www.w3.org/2000/svg}"


def seed001() -> tuple[Value, Value, Value, Value]:
    """L = (x*w + b)**2 at x=2, w=3, b=1, after backward (seed 001, section 3)."""
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.label = "L"
    L.backward()
    return x, w, b, L


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg[svg.find("<svg") :])
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_stepper_frames_without_widgets(monkeypatch: pytest.MonkeyPatch) -> None:
    L = seed001()[3]
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    stepper = Stepper(L, show_backward=True)
    frames = list(stepper.frames())
    assert [(f.phase, f.k) for f in frames] == [
        *[("forward", k) for k in (2, 3, 4, 5, 6, 7)],  # step 1 is the constant 2
        *[("backward", k) for k in (0, 1, 2, 3, 4, 5, 6)],
    ]
    assert frames[3].text == "step 5: x*w = 2 × 3 = 6"
    assert frames[6].text == "step 0: backward starts with dL/dL = 1 (the seed)"
    assert "dL/dx += 3 × 14 = 42" in frames[9].text
    assert frames[9].graph.source == draw(L, step=3, show_backward=True).source
    assert len(stepper) == 13
    assert "grad 42" in svg_texts(frames[-1].svg)
    with pytest.raises(ImportError, match=r'pip install "microgradnet\[notebook\]"'):
        stepper.widget()
    with pytest.raises(ImportError, match=r"ipywidgets"):
        stepper._repr_mimebundle_()


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
    assert len(list(stepper.frames())) == 7
    with pytest.raises(ImportError, match=r"Stepper\(root\)\.frames\(\) works without it"):
        stepper.widget()


def test_stepper_widget() -> None:
    widgets = pytest.importorskip("ipywidgets")
    L = seed001()[3]
    stepper = Stepper(L, forward=False, interval=300)
    box = stepper.widget()
    assert isinstance(box, widgets.VBox)
    controls, picture, caption = box.children
    play, slider = controls.children
    assert (play.max, slider.max, play.interval) == (6, 6, 300)
    assert "backward starts" in caption.value and picture.value.startswith("<svg")
    slider.value = 3
    assert "dL/dx += 3 × 14 = 42" in caption.value
    assert "grad 42" in svg_texts(picture.value)
    assert "application/vnd.jupyter.widget-view+json" in stepper._repr_mimebundle_()


def test_stepper_checks_its_arguments() -> None:
    L = seed001()[3]
    with pytest.raises(TypeError, match=r"Stepper: step is chosen by the slider"):
        Stepper(L, step=2)
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
