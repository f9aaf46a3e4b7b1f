"""Step through the forward pass and backpropagation, one node at a time.

    Stepper(root)            a Jupyter slider and play button over the frames
    Stepper(root).frames()   the same frames as objects (phase, k, text, graph, svg)

Each frame is draw(root, step=k) (or forward_step=k) with the arithmetic of that step, as the
lecture notes do it on the blackboard: "dL/dw += 2 × 14 = 28".
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .engine import Constant, Value
from .steps import backward_steps, forward_steps
from .viz import Drawing, draw, svg_text

INSTALL_NOTEBOOK = 'the Stepper widget needs ipywidgets: pip install "microgradnet[notebook]"'


@dataclass(frozen=True)
class Frame:
    """One picture of a Stepper: the graph after ``k`` steps of ``phase`` ("forward" or
    "backward"), and ``text``, the arithmetic of that step."""

    phase: str
    k: int
    text: str
    graph: Drawing = field(repr=False)

    @property
    def svg(self) -> str:
        """The frame rendered to SVG (needs Graphviz's dot program)."""
        return svg_text(self.graph)


class Stepper:
    """Play the forward pass, then backpropagation one node at a time, as a Jupyter widget.

    ``Stepper(root)`` shown in a notebook is a slider with a play button; each frame is the graph
    at that step with the step's arithmetic under it (such as ``dL/dw += 2 × 14 = 28``).
    ``frames()`` gives the same pictures without ipywidgets. ``forward=False`` plays backward
    only; other keyword arguments go to draw() (show_backward, rankdir, collapse, ...).
    """

    def __init__(
        self, root: Value, *, forward: bool = True, interval: int = 1000, **draw_kwargs: Any
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Stepper: root must be a Value, got {type(root).__name__}")
        for name in ("step", "forward_step"):
            if name in draw_kwargs:
                raise TypeError(f"Stepper: {name} is chosen by the slider; do not pass it")
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"Stepper: interval must be a positive int (ms), got {interval!r}")
        draw(root, **draw_kwargs)  # bad options fail here, not inside the widget
        self.root = root
        self.forward = bool(forward)
        self.interval = interval
        self.draw_kwargs = draw_kwargs
        self.precision: int = draw_kwargs.get("precision", 4)
        self._frames: list[Frame] | None = None

    def frames(self) -> Iterator[Frame]:
        """The frames in order: forward steps 1..n (if forward), then backward steps 0..n;
        steps at constants, which compute nothing of interest, are skipped."""
        root, kw, p = self.root, self.draw_kwargs, self.precision
        if self.forward:
            for fs in forward_steps(root):
                if type(fs.node) is not Constant:
                    yield Frame("forward", fs.k, fs.text(p), draw(root, forward_step=fs.k, **kw))
        bsteps = list(backward_steps(root))
        top = bsteps[0].top
        seed = f"step 0: backward starts with d{top}/d{top} = 1 (the seed)"
        yield Frame("backward", 0, seed, draw(root, step=0, **kw))
        for bs in bsteps:
            if type(bs.node) is not Constant:
                yield Frame("backward", bs.k, bs.text(p), draw(root, step=bs.k, **kw))

    def __len__(self) -> int:
        return len(self._all_frames())

    def widget(self) -> Any:
        """An ipywidgets VBox: play button, slider, the frame's SVG and its arithmetic."""
        try:
            import ipywidgets as widgets
        except ImportError as e:
            raise ImportError(
                f"{INSTALL_NOTEBOOK} (Stepper(root).frames() works without it)"
            ) from e
        frames = self._all_frames()
        last = len(frames) - 1
        play = widgets.Play(value=0, min=0, max=last, step=1, interval=self.interval)
        slider = widgets.IntSlider(value=0, min=0, max=last, step=1, description="step")
        widgets.jslink((play, "value"), (slider, "value"))
        picture, caption = widgets.HTML(), widgets.HTML()
        rendered: dict[int, str] = {}

        def show(i: int) -> None:
            if i not in rendered:
                svg = frames[i].svg
                rendered[i] = svg[svg.find("<svg") :]
            picture.value = rendered[i]
            frame = frames[i]
            caption.value = f"<pre>{frame.phase}: {html.escape(frame.text)}</pre>"

        slider.observe(lambda change: show(change["new"]), names="value")
        show(0)
        return widgets.VBox([widgets.HBox([play, slider]), picture, caption])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget()._repr_mimebundle_(**kwargs)

    def _all_frames(self) -> list[Frame]:
        if self._frames is None:
            self._frames = list(self.frames())
        return self._frames
