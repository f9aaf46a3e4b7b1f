"""Step through the forward pass and backpropagation, one node at a time.

    Stepper(root)               frames of the graph, step by step, with each step's arithmetic
    Stepper(root).frames()      the frames as objects (phase, k, text, graph, svg)
    Stepper(root).to_html()     one self-contained HTML stepper: no kernel, no network needed
    Stepper(root).save_html(p)  the same written to a file (slides, a web page, an e-mail)
    Stepper(root).save_frames(d)  each frame as a file of its own (PNG, PDF, SVG), for slides
    Stepper(root, quiz=True)    predict, then reveal: each number typed before it is shown
    Stepper(root).widget()      the ipywidgets version (needs a live kernel)

Each frame is ``draw(root, step=k)`` (or ``forward_step=k``) with the arithmetic of that step,
as the lecture notes on the chain rule write it on the blackboard: "dL/dw += 2 × 14 = 28".
A frame is the one scene of the graph with the marks of its step (``viz.marks``): the graph is
read once, each frame only says which nodes are current, reached and known. The frames follow
the steps (``steps``): first the given inputs, parameters and constants, as one frame ("inputs
and parameters given"), then each computed value in the expression's order; backward, the seed
(the root outlined, "∂L/∂L = 1 (seed)"), each computed node from the root down, and the leaves
reached at the end as one frame. Consecutive steps that draw the same picture (inside a
collapsed neuron) are one frame with all their arithmetic; ``one_by_one=True`` shows every step
on its own.

The view follows the step: in the HTML stepper and in the widget the picture sits in an area of
fixed size that shows the whole graph when its text stays readable at that size (about 11 px),
else shows it at that size placed so that the current node and the nodes the step changed are
in view (the current node first, then as many of the others as fit); "fit" and "100%" override
the size (``html_stepper``).

The graph is laid out once, by dot, as it looks in the last frame; every frame is drawn at those
fixed positions (Graphviz's neato -n2, ``viz.fixed``), so nodes never move and every frame has
the same size. A graph of more than AUTO_COLLAPSE_ABOVE Values is drawn collapsed by neuron
unless ``collapse`` says otherwise (draw() itself leaves out the local derivatives when there are
many); without ``rankdir`` the direction is left to right unless top to bottom needs much less
shrinking to fit the viewing area (VIEW_WIDTH × VIEW_HEIGHT px).

A quiz (``quiz=True``): predict, then reveal. Each computed step asks before it shows: forward,
the value its node gets; backward, what its node passes back to each operand that is not a
constant (the local derivative × the node's gradient), or with ``quiz="local"`` the local
derivatives (the frames are then drawn without them). The frame shows the graph before the
step and one input per number; the answer is checked in the page (``quiz`` computes the
answers, the ranges counted right and the usual mistakes; ``html_quiz`` is the page's part),
then the frame shows the step's picture and arithmetic. In a quiz no frames are folded: every
computed step asks its own question. Practice, not an exam: the answers are in the page.

In Jupyter a Stepper shows as the ipywidgets widget while a kernel runs it, with the HTML stepper
as the fallback for any viewer without the kernel (exported HTML, notebook viewers, slides); where
no script may run, the HTML still shows the last frame and the list of steps as text.

Limits: at most MAX_FRAMES frames (each is one Graphviz run; collapse the graph or step through
a piece of it); each Graphviz run is stopped after the drawing's timeout (viz.DOT_TIMEOUT);
``interval`` from 1 ms to MAX_INTERVAL ms between frames.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path as FilePath
from typing import Any

from ._files import replace_file
from .chain_rule import wrap_name
from .engine import Value, topological_order
from .html_stepper import (
    MAX_WIDTH,
    VIEW_CSS,
    VIEW_HEIGHT,
    VIEW_WIDTH,
    View,
    html_stepper,
    view_html,
    zoom_controls,
)
from .quiz import Question, backward_questions, forward_questions, kind_of
from .steps import BackwardStep, ForwardStep, backward_steps, forward_steps
from .viz import Drawing, DrawOptions, GraphvizNotFoundError, Picture, run_dot, svg_text
from .viz.export import frame_sources, save_frames
from .viz.fixed import FixedFrames, focus
from .viz.labels import visible
from .viz.layout import Layout, plan_layout
from .viz.marks import (
    Marks,
    after_backward_step,
    after_forward_step,
    asking,
    marks_for,
    over_run,
)
from .viz.scene import Scene, build_scene
from .viz.shape import choose_layout

INSTALL_NOTEBOOK = 'the Stepper widget needs ipywidgets: pip install "microgradnet[notebook]"'
AUTO_COLLAPSE_ABOVE = 40  # Values; larger graphs are drawn collapsed by neuron by default
MAX_FRAMES = 400
MAX_INTERVAL = 60_000  # ms between frames (a browser runs a longer interval at once)
PREFER_LR = 1.25  # top to bottom only when it shrinks the picture this much less
GIVEN = "inputs and parameters given"
LEAVES_REACHED = "leaves reached: nothing to pass on"
_OPTIONS = frozenset(f.name for f in fields(DrawOptions) if f.init)


@dataclass(frozen=True)
class Frame:
    """One picture of a Stepper: the graph after step ``k`` of ``phase`` ("forward" or
    "backward"), and ``text``, the arithmetic of the steps it shows (``first`` to ``k``; one
    step unless several were folded into this frame, ``title`` saying what they are).
    ``focus``: the drawn nodes (DOT names) the frame is about, the current node first, then the
    nodes the step changed: the view keeps them in sight."""

    phase: str
    k: int
    text: str
    graph: Drawing = field(repr=False)
    first: int | None = None
    title: str = ""
    picture: Picture | None = field(default=None, repr=False, compare=False)
    film: FixedFrames | None = field(default=None, repr=False, compare=False)
    focus: tuple[str, ...] = ()
    question: Question | None = field(default=None, repr=False)
    asking: Picture | None = field(default=None, repr=False, compare=False)

    @property
    def steps(self) -> str:
        """The steps shown, as in the counter: "backward step 3", "forward steps 1–4"."""
        first = self.k if self.first is None else self.first
        span = f"step {self.k}" if first == self.k else f"steps {first}–{self.k}"
        seed = " (the seed)" if self.phase == "backward" and self.k == 0 else ""
        title = f": {self.title}" if self.title else ""
        return f"{self.phase} {span}{seed}{title}"

    @property
    def svg(self) -> str:
        """The frame rendered to SVG at the stepper's fixed layout (needs Graphviz)."""
        if self.film is None or self.picture is None:
            return svg_text(self.graph)
        return self.film.svg(self.picture)

    @property
    def question_svg(self) -> str | None:
        """In a quiz, the picture shown while the frame's question is open (the graph before
        the step), as SVG at the same layout; None for a frame without a question."""
        if self.asking is None:
            return None
        if self.film is None:
            return svg_text(self.asking.dot_graph.drawing())
        return self.film.svg(self.asking)


class Stepper:
    """Play the forward pass, then backpropagation one node at a time.

    ``forward``/``backward``: which passes to play. ``one_by_one``: a frame for every step (no
    folding). ``interval``: ms between frames when playing (1 to
    MAX_INTERVAL). ``widget``: shown in a notebook as the ipywidgets widget where a kernel runs
    (True) or always as the HTML stepper (False: it keeps working in the saved notebook, kernel
    or not). ``quiz``: predict, then reveal (module notes): True asks for each value forward
    and for what each node passes back to its operands, "local" for its local derivatives
    instead (drawn without them). Other keyword arguments go to draw() for every frame
    (collapse, rankdir, show_local, show_backward, precision, params, ...); show_backward
    defaults to True, collapse and rankdir are chosen by the graph's size (module notes) unless
    given.
    """

    def __init__(
        self,
        root: Value,
        *,
        forward: bool = True,
        backward: bool = True,
        one_by_one: bool = False,
        interval: int = 1000,
        widget: bool = True,
        quiz: bool | str = False,
        **draw_kwargs: Any,
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Stepper: root must be a Value, got {type(root).__name__}")
        _check_draw_kwargs(draw_kwargs)
        _check_interval(interval)
        if not forward and not backward:
            raise ValueError("Stepper: forward and backward are both False: nothing to play")
        draw_kwargs.setdefault("show_backward", True)
        self.quiz = kind_of(quiz)
        if self.quiz == "local":
            if draw_kwargs.get("show_local"):
                raise ValueError(
                    "Stepper: quiz='local' asks for the local derivatives, so the frames are "
                    "drawn without them; leave out show_local=True"
                )
            draw_kwargs["show_local"] = False
        if len(topological_order(root)) > AUTO_COLLAPSE_ABOVE:
            draw_kwargs.setdefault("collapse", "neuron")
        self.options = DrawOptions(**draw_kwargs)  # bad options fail here, not in the widget
        self.scene = build_scene(root, self.options)
        self.root = root
        self.forward, self.backward = bool(forward), bool(backward)
        self.one_by_one = bool(one_by_one)
        self.interval = interval
        self.use_widget = bool(widget)
        self.draw_kwargs = draw_kwargs
        self.precision: int = self.options.precision
        self._frames: list[Frame] | None = None

    def frames(self) -> Iterator[Frame]:
        """The frames in order: the forward steps, then backward step 0 (the seed) and the
        backward steps, folded as the module notes say."""
        return iter(self._all_frames())

    def __len__(self) -> int:
        return len(self._all_frames())

    def to_html(self, *, page: bool = True, title: str = "") -> str:
        """The stepper as HTML: a whole page (``page=True``), or a fragment to embed in one.
        Self-contained: inline SVG, CSS and script; any number may share a page. The same
        stepper gives the same bytes on every run."""
        frames = self._all_frames()
        counters = [_counter(i, len(frames), f) for i, f in enumerate(frames)]
        texts = [f.text for f in frames]
        svgs = [f.svg for f in frames]
        view = View.of(svgs[-1])
        sheets = [view.sheet_style(f.focus) for f in frames]
        questions = [_page_question(f) for f in frames]
        body = html_stepper(svgs, texts, counters, self.interval, title, view, sheets, questions)
        if not page:
            return body
        head = html.escape(visible(title or f"Backpropagation through {self._top()}, step by step"))
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{head}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
        )

    def save_html(self, path: str | os.PathLike[str], *, title: str = "") -> FilePath:
        """Write to_html() to path, whole or not at all (rendered first; a failure leaves any
        old file as it was); returns the path."""
        replace_file(path, self.to_html(title=title), "save_html")
        return FilePath(path)

    def save_frames(
        self, directory: str | os.PathLike[str], *, format: str = "png", dpi: int = 150
    ) -> list[FilePath]:
        """Each frame to a file of its own for slides: directory/frame-001.png, frame-002.png,
        ... in order (the directory is made if missing); format "png" (at dpi dots per inch),
        "pdf" or "svg". Every file has the same size and the nodes stay in place, as in the
        stepper; without a rankdir the frames are shaped for a slide as draw() shapes a still
        drawing (left to right when that fits 1280×720, else top to bottom or in rows).
        Returns the paths. Needs Graphviz."""
        layout = choose_layout(self.scene, self.options, self._last())
        frames = self._fold(self._raw_frames(self.scene, self.options, layout))
        pictures = [f.picture for f in frames if f.picture is not None]
        return save_frames(frame_sources(pictures), directory, format=format, dpi=dpi)

    def widget(self) -> Any:
        """An ipywidgets VBox: play and slider with the counter and the zoom ("auto", "fit",
        "100%"), the step's arithmetic, and the picture in an area of fixed size whose view
        follows the step (module notes). Everything runs in the browser: the slider is linked
        to the frames there, the view and the zoom are CSS.

        A quiz is the HTML stepper itself in an ipywidgets Output: the answers are checked in
        the page, as in the saved HTML (no kernel round trip, no second checker; it keeps
        working in a saved notebook and keeps its answers in the browser as the page does)."""
        try:
            import ipywidgets as widgets
        except ImportError as e:
            raise ImportError(
                f"{INSTALL_NOTEBOOK} (Stepper(root).frames() and .to_html() work without it)"
            ) from e
        if self.quiz is not None:
            page = {"text/html": self.to_html(page=False), "text/plain": self._plain()}
            out = widgets.Output(layout=widgets.Layout(width="100%", max_width=f"{MAX_WIDTH}px"))
            out.outputs = ({"output_type": "display_data", "data": page, "metadata": {}},)
            out.add_class("mgn-quiz-widget")
            return out
        frames = self._all_frames()
        n, last = len(frames), len(frames) - 1
        svgs = [svg[svg.find("<svg") :] for svg in (f.svg for f in frames)]  # one Graphviz run
        view = View.of(svgs[-1])
        play = widgets.Play(value=0, min=0, max=last, step=1, interval=self.interval)
        slider = widgets.IntSlider(value=0, min=0, max=last, step=1, readout=False)
        counter = widgets.Stack(
            [widgets.HTML(html.escape(_counter(i, n, f))) for i, f in enumerate(frames)],
            selected_index=0,
            layout=widgets.Layout(flex="1 0 auto"),
        )
        caption = widgets.Stack(
            [widgets.HTML(f'<pre style="margin:0">{html.escape(f.text)}</pre>') for f in frames],
            selected_index=0,
            layout=widgets.Layout(height="7em", overflow="auto"),
        )
        wide = widgets.Layout(width="100%")  # the view is a CSS size container: no own width
        picture = widgets.Stack(
            [widgets.HTML(view_html(view, s, f.focus), layout=wide) for s, f in zip(svgs, frames)],
            selected_index=0,
            layout=wide,
        )
        zoom = widgets.HTML(f"<style>{VIEW_CSS}</style>{zoom_controls()}")
        # linked in the browser: the widget steps without a round trip to the kernel, and a
        # notebook saved with its widget state steps through without one
        widgets.jslink((play, "value"), (slider, "value"))
        for stack in (counter, caption, picture):
            widgets.jslink((slider, "value"), (stack, "selected_index"))
        area = widgets.Box([picture], layout=wide)
        box = widgets.VBox(
            [widgets.HBox([play, slider, counter, zoom]), caption, area],
            layout=widgets.Layout(width="100%", max_width=f"{MAX_WIDTH}px"),
        )
        box.add_class("mgn-widget")
        return box

    def _repr_html_(self) -> str:
        return self.to_html(page=False)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget while a kernel runs this (with the HTML stepper as the fallback for
        viewers without the kernel), the HTML stepper otherwise."""
        bundle: dict[str, Any] = {"text/plain": self._plain(), "text/html": self._repr_html_()}
        if self.use_widget and _in_kernel():
            try:
                view = self.widget()._repr_mimebundle_(**kwargs)
            except ImportError:
                return bundle
            bundle.update({k: v for k, v in view.items() if k != "text/plain"})
        return bundle

    def _plain(self) -> str:
        frames = self._all_frames()
        lines = [f"Stepper over {self._top()}: {len(frames)} frames"]
        lines += [f"{_counter(i, len(frames), f)}\n{f.text}" for i, f in enumerate(frames)]
        return "\n".join(lines)

    def _top(self) -> str:
        return visible(self.root.label or "L")

    def _all_frames(self) -> list[Frame]:
        if self._frames is None:
            options = self.options
            if options.rankdir is None:
                rankdir = _fitting_direction(self.scene, self._last(), options)
                options = replace(options, rankdir=rankdir)
            frames = list(self._fold(self._raw_frames(self.scene, options)))
            if len(frames) > MAX_FRAMES:
                raise ValueError(
                    f"Stepper: {len(frames)} frames, more than MAX_FRAMES = {MAX_FRAMES}; "
                    "pass collapse='neuron' or 'layer', or step through a smaller graph"
                )
            # the questions' pictures first: the film is laid out as its last picture
            pictures = [f.asking for f in frames if f.asking is not None]
            pictures += [f.picture for f in frames if f.picture is not None]
            film = FixedFrames(pictures)
            self._frames = [replace(f, film=film) for f in frames]
        return self._frames

    def _last(self) -> Marks:
        """The marks of the last frame: every step taken."""
        plain = marks_for(self.scene, self.options)
        if self.backward:
            n = sum(1 for _ in backward_steps(self.root))
            return after_backward_step(self.scene, n, plain)
        return after_forward_step(self.scene, sum(1 for _ in forward_steps(self.root)), plain)

    def _raw_frames(
        self, scene: Scene, options: DrawOptions, layout: Layout | None = None
    ) -> Iterator[Frame]:
        """Frames before folding: one per step, a run of leaves as one; laid out in the
        direction of options unless a layout is given."""
        layout = plan_layout(scene, options) if layout is None else layout
        plain, p = marks_for(scene, options), self.precision
        questions = self._questions()

        def frame(phase: str, run: list[Step], title: str, marks: Marks) -> Frame:
            if len(run) > 1:
                marks = over_run(marks, [s.node for s in run])
            made = _frame(phase, run, p, title, Picture(scene, layout, marks, options))
            question = questions.get((phase, made.k)) if len(run) == 1 else None
            if question is None:
                return made
            before = Picture(scene, layout, asking(scene, phase, made.k, plain), options)
            return replace(made, question=question, asking=before)

        if self.forward:
            for run in _runs(list(forward_steps(self.root)), self.one_by_one):
                yield frame("forward", run, GIVEN, after_forward_step(scene, run[-1].k, plain))
        if self.backward:
            top = wrap_name(scene.top)
            seed = Picture(scene, layout, after_backward_step(scene, 0, plain), options)
            text = visible(f"step 0: backward starts with d{top}/d{top} = 1 (the seed)")
            graph = seed.dot_graph.drawing()
            yield Frame("backward", 0, text, graph, picture=seed, focus=focus(seed))
            for run in _runs(list(backward_steps(self.root)), self.one_by_one):
                marks = after_backward_step(scene, run[-1].k, plain)
                yield frame("backward", run, LEAVES_REACHED, marks)

    def _questions(self) -> dict[tuple[str, int], Question]:
        """A quiz's questions by (phase, step); none without a quiz."""
        if self.quiz is None:
            return {}
        out: dict[tuple[str, int], Question] = {}
        if self.forward:
            asked = forward_questions(self.root, self.precision)
            out.update((("forward", k), q) for k, q in asked.items())
        if self.backward:
            asked = backward_questions(self.root, self.quiz, self.precision)
            out.update((("backward", k), q) for k, q in asked.items())
        return out

    def _fold(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        """Consecutive frames of one phase with the same picture become one (not in a quiz:
        each step asks its own question)."""
        held: Frame | None = None
        for f in frames:
            if held is None:
                held = f
            elif (
                not self.one_by_one
                and self.quiz is None
                and f.phase == held.phase
                and f.graph.source == held.graph.source
            ):
                first = held.k if held.first is None else held.first
                held = replace(f, first=first, text=f"{held.text}\n{f.text}", title="")
            else:
                yield held
                held = f
        if held is not None:
            yield held


Step = ForwardStep | BackwardStep


def _check_draw_kwargs(draw_kwargs: dict[str, Any]) -> None:
    for name in ("step", "forward_step", "highlight"):
        if name in draw_kwargs:
            raise TypeError(f"Stepper: {name} is chosen by the slider; do not pass it")
    unknown = sorted(set(draw_kwargs) - _OPTIONS)
    if unknown:
        raise TypeError(
            f"Stepper: unknown drawing option {unknown[0]!r}; draw() takes "
            + ", ".join(sorted(_OPTIONS - {"step", "forward_step", "highlight"}))
        )


def _check_interval(interval: object) -> None:
    if isinstance(interval, bool) or not isinstance(interval, int):
        raise TypeError(
            f"Stepper: interval must be a positive int (ms), got {type(interval).__name__}"
        )
    if not 1 <= interval <= MAX_INTERVAL:
        raise ValueError(
            f"Stepper: interval must be a positive int (ms) of at most MAX_INTERVAL = "
            f"{MAX_INTERVAL} (one minute), got {interval!r}"
        )


def _runs(steps: Sequence[Step], one_by_one: bool) -> Iterator[list[Step]]:
    """The steps grouped for frames: each computed node alone, each run of leaves together
    (every step alone with one_by_one)."""
    run: list[Step] = []
    for s in steps:
        if s.node.children or one_by_one:
            if run:
                yield run
            run = []
            yield [s]
        else:
            run.append(s)
    if run:
        yield run


def _frame(phase: str, run: list[Step], precision: int, title: str, picture: Picture) -> Frame:
    """The frame of a run of steps: their arithmetic (lone surrogates and control characters
    in labels written as \\xNN, as the drawings do) and the picture after the last."""
    text = visible("\n".join(s.text(precision) for s in run))
    graph, ids = picture.dot_graph.drawing(), focus(picture)
    if len(run) == 1:
        return Frame(phase, run[0].k, text, graph, picture=picture, focus=ids)
    first, k = run[0].k, run[-1].k
    return Frame(phase, k, text, graph, first=first, title=title, picture=picture, focus=ids)


def _page_question(frame: Frame) -> tuple[str, dict[str, Any]] | None:
    """A frame's question as the HTML stepper takes it: its picture and its data."""
    svg = frame.question_svg
    if frame.question is None or svg is None:
        return None
    return svg, frame.question.page_data()


def _counter(i: int, n: int, frame: Frame) -> str:
    return f"frame {i + 1} of {n} — {frame.steps}"


def _in_kernel() -> bool:
    """True inside a running Jupyter kernel (where a widget can be shown)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _fitting_direction(scene: Scene, last: Marks, options: DrawOptions) -> str:
    """ "LR" or "TB", whichever draws the last frame needing the least shrinking to fit the
    viewing area ("LR" on a tie, or without Graphviz)."""
    best, best_scale = "LR", 0.0
    for rankdir in ("LR", "TB"):
        given = replace(options, rankdir=rankdir)
        graph = Picture(scene, plan_layout(scene, given), last, given).dot_graph.drawing()
        try:
            layout = json.loads(run_dot(graph.source, "json", timeout=graph.timeout))
        except GraphvizNotFoundError:
            return "LR"
        width, height = (float(x) * 4 / 3 for x in layout["bb"].split(",")[2:])  # pt -> px
        scale = min(1.0, VIEW_WIDTH / max(width, 1.0), VIEW_HEIGHT / max(height, 1.0))
        if scale > best_scale * PREFER_LR:
            best, best_scale = rankdir, scale
    return best
