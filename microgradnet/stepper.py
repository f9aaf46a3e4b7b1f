"""Step through the forward pass and backpropagation, one node at a time.

    Stepper(root)               frames of the graph, step by step, with each step's arithmetic
    Stepper(root).frames()      the frames as objects (phase, k, text, graph, svg)
    Stepper(root).to_html()     one self-contained HTML stepper: no kernel, no network needed
    Stepper(root).save_html(p)  the same written to a file (slides, a web page, an e-mail)
    Stepper(root).widget()      the ipywidgets version (needs a live kernel)

Each frame is ``draw(root, step=k)`` (or ``forward_step=k``) with the arithmetic of that step,
as the lecture notes on the chain rule write it on the blackboard: "dL/dw += 2 × 14 = 28".
Steps whose picture tells nothing new are folded: a run of given inputs, parameters and
constants is one frame ("inputs and parameters given"), a run of leaves reached by the backward
pass is one frame, and consecutive steps that draw the same picture (inside a collapsed neuron)
are one frame with all their arithmetic; ``one_by_one=True`` shows every step that is not a
constant on its own.

The graph is laid out once, by dot, as it looks in the last frame; every frame is drawn at those
fixed positions (Graphviz's neato -n2), so nodes never move and every frame has the same size.
A graph of more than AUTO_COLLAPSE_ABOVE Values is drawn collapsed by neuron unless ``collapse``
says otherwise (draw() itself leaves out the local derivatives when there are many); without
``rankdir`` the direction is left to right unless top to bottom needs much less shrinking to fit
the viewing area (VIEW_WIDTH × VIEW_HEIGHT px).

In Jupyter a Stepper shows as the ipywidgets widget while a kernel runs it, with the HTML stepper
as the fallback for any viewer without the kernel (exported HTML, notebook viewers, slides); where
no script may run, the HTML still shows the last frame and the list of steps as text.

Limits: at most MAX_FRAMES frames (each is one Graphviz run; collapse the graph or step through
a piece of it); each Graphviz run is stopped after the drawing's timeout (viz.DOT_TIMEOUT).
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path as FilePath
from typing import Any

from .engine import Constant, Value, topological_order
from .steps import BackwardStep, ForwardStep, backward_steps, forward_steps
from .viz import (
    Drawing,
    GraphvizError,
    GraphvizNotFoundError,
    draw,
    run_dot,
    svg_text,
)

INSTALL_NOTEBOOK = 'the Stepper widget needs ipywidgets: pip install "microgradnet[notebook]"'
AUTO_COLLAPSE_ABOVE = 40  # Values; larger graphs are drawn collapsed by neuron by default
VIEW_WIDTH, VIEW_HEIGHT = 900, 460  # px: the scrolling area the picture is shown in
MAX_FRAMES = 400
PREFER_LR = 1.25  # top to bottom only when it shrinks the picture this much less
GIVEN = "inputs and parameters given"
LEAVES_REACHED = "leaves reached: nothing to pass on"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Frame:
    """One picture of a Stepper: the graph after step ``k`` of ``phase`` ("forward" or
    "backward"), and ``text``, the arithmetic of the steps it shows (``first`` to ``k``; one
    step unless several were folded into this frame, ``title`` saying what they are)."""

    phase: str
    k: int
    text: str
    graph: Drawing = field(repr=False)
    first: int | None = None
    title: str = ""
    layout: _Layout | None = field(default=None, repr=False, compare=False)

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
        if self.layout is None:
            return svg_text(self.graph)
        return self.layout.svg(self.graph)


class Stepper:
    """Play the forward pass, then backpropagation one node at a time.

    ``forward``/``backward``: which passes to play. ``one_by_one``: a frame for every step that
    is not a constant (no folding). ``interval``: ms between frames when playing. ``widget``:
    shown in a notebook as the ipywidgets widget where a kernel runs (True) or always as the HTML
    stepper (False: it keeps working in the saved notebook, kernel or not). Other keyword
    arguments go to draw() for every frame (collapse, rankdir, show_local, show_backward,
    precision, params, ...); show_backward defaults to True, collapse and rankdir are chosen by
    the graph's size (module notes) unless given.
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
        **draw_kwargs: Any,
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Stepper: root must be a Value, got {type(root).__name__}")
        for name in ("step", "forward_step", "highlight"):
            if name in draw_kwargs:
                raise TypeError(f"Stepper: {name} is chosen by the slider; do not pass it")
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"Stepper: interval must be a positive int (ms), got {interval!r}")
        if not forward and not backward:
            raise ValueError("Stepper: forward and backward are both False: nothing to play")
        draw_kwargs.setdefault("show_backward", True)
        if len(topological_order(root)) > AUTO_COLLAPSE_ABOVE:
            draw_kwargs.setdefault("collapse", "neuron")
        draw(root, **draw_kwargs)  # bad options fail here, not inside the widget
        self.root = root
        self.forward, self.backward = bool(forward), bool(backward)
        self.one_by_one = bool(one_by_one)
        self.interval = interval
        self.use_widget = bool(widget)
        self.draw_kwargs = draw_kwargs
        self.precision: int = draw_kwargs.get("precision", 4)
        self._frames: list[Frame] | None = None

    def frames(self) -> Iterator[Frame]:
        """The frames in order: the forward steps, then backward step 0 (the seed) and the
        backward steps, folded as the module notes say."""
        return iter(self._all_frames())

    def __len__(self) -> int:
        return len(self._all_frames())

    def to_html(self, *, page: bool = True, title: str = "") -> str:
        """The stepper as HTML: a whole page (``page=True``), or a fragment to embed in one.
        Self-contained: inline SVG, CSS and script; several may share a page."""
        body = _html_stepper(self._all_frames(), self.interval, title)
        if not page:
            return body
        head = html.escape(title or f"Backpropagation through {self._top()}, step by step")
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{head}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
        )

    def save_html(self, path: str | FilePath, *, title: str = "") -> FilePath:
        """Write to_html() to path (rendered first: a failure leaves no file); returns it."""
        target = FilePath(path)
        text = self.to_html(title=title)
        target.write_text(text, encoding="utf-8")
        return target

    def widget(self) -> Any:
        """An ipywidgets VBox: play, previous/next and slider with the counter, the step's
        arithmetic, and the picture in a scrolling area of fixed size."""
        try:
            import ipywidgets as widgets
        except ImportError as e:
            raise ImportError(
                f"{INSTALL_NOTEBOOK} (Stepper(root).frames() and .to_html() work without it)"
            ) from e
        frames = self._all_frames()
        n, last = len(frames), len(frames) - 1
        svgs = [svg[svg.find("<svg") :] for svg in (f.svg for f in frames)]  # one Graphviz run
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
        picture = widgets.Stack([widgets.HTML(svg) for svg in svgs], selected_index=0)
        # linked in the browser: the widget steps without a round trip to the kernel, and a
        # notebook saved with its widget state steps through without one
        widgets.jslink((play, "value"), (slider, "value"))
        for stack in (counter, caption, picture):
            widgets.jslink((slider, "value"), (stack, "selected_index"))
        area = widgets.Box(
            [picture],
            layout=widgets.Layout(
                width="100%",
                max_width=f"{VIEW_WIDTH}px",
                height=f"{_view_height(svgs[0])}px",
                overflow="auto",
                border="1px solid #ccc",
            ),
        )
        return widgets.VBox([widgets.HBox([play, slider, counter]), caption, area])

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
        return self.root.label or "L"

    def _all_frames(self) -> list[Frame]:
        if self._frames is None:
            kw = dict(self.draw_kwargs)
            if "rankdir" not in kw:
                kw["rankdir"] = _fitting_direction(self.root, self._last_step(), kw)
            frames = list(self._fold(self._raw_frames(kw)))
            if len(frames) > MAX_FRAMES:
                raise ValueError(
                    f"Stepper: {len(frames)} frames, more than MAX_FRAMES = {MAX_FRAMES}; "
                    "pass collapse='neuron' or 'layer', or step through a smaller graph"
                )
            layout = _Layout([f.graph for f in frames])
            self._frames = [replace(f, layout=layout) for f in frames]
        return self._frames

    def _last_step(self) -> dict[str, Any]:
        if self.backward:
            return {"step": len(topological_order(self.root))}
        return {"forward_step": len(topological_order(self.root))}

    def _raw_frames(self, kw: dict[str, Any]) -> Iterator[Frame]:
        """Frames before folding: one per step, a run of leaves and constants as one."""
        root, p = self.root, self.precision
        if self.forward:
            fsteps = list(forward_steps(root))
            for run in _runs(fsteps, self.one_by_one):
                yield _frame("forward", run, p, GIVEN, draw(root, forward_step=run[-1].k, **kw))
        if self.backward:
            bsteps = list(backward_steps(root))
            seed = f"step 0: backward starts with d{bsteps[0].top}/d{bsteps[0].top} = 1 (the seed)"
            yield Frame("backward", 0, seed, draw(root, step=0, **kw))
            for run in _runs(bsteps, self.one_by_one):
                title = LEAVES_REACHED
                yield _frame("backward", run, p, title, draw(root, step=run[-1].k, **kw))

    def _fold(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        """Consecutive frames of one phase with the same picture become one."""
        held: Frame | None = None
        for f in frames:
            if held is None:
                held = f
            elif (
                not self.one_by_one
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


def _runs(steps: Sequence[Step], one_by_one: bool) -> Iterator[list[Step]]:
    """The steps grouped for frames: each interior node alone, each run of leaves (with any
    constants among them) together; runs of constants alone give no frame."""
    run: list[Step] = []
    for s in steps:
        if s.node.children or one_by_one:
            if any(type(r.node) is not Constant for r in run):
                yield run
            run = []
            if type(s.node) is not Constant:
                yield [s]
        else:
            run.append(s)
    if any(type(r.node) is not Constant for r in run):
        yield run


def _frame(phase: str, run: list[Step], precision: int, title: str, graph: Drawing) -> Frame:
    text = "\n".join(s.text(precision) for s in run)
    if len(run) == 1:
        return Frame(phase, run[0].k, text, graph)
    return Frame(phase, run[-1].k, text, graph, first=run[0].k, title=title)


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


def _fitting_direction(root: Value, last: dict[str, Any], kw: dict[str, Any]) -> str:
    """ "LR" or "TB", whichever draws the last frame needing the least shrinking to fit the
    viewing area ("LR" on a tie, or without Graphviz)."""
    best, best_scale = "LR", 0.0
    for rankdir in ("LR", "TB"):
        try:
            graph = draw(root, rankdir=rankdir, **last, **kw)
            layout = json.loads(run_dot(graph.source, "json", timeout=graph.timeout))
        except GraphvizNotFoundError:
            return "LR"
        width, height = (float(x) * 4 / 3 for x in layout["bb"].split(",")[2:])  # pt -> px
        scale = min(1.0, VIEW_WIDTH / max(width, 1.0), VIEW_HEIGHT / max(height, 1.0))
        if scale > best_scale * PREFER_LR:
            best, best_scale = rankdir, scale
    return best


class _Layout:
    """The frames' drawings at fixed positions: those of the last frame, laid out once by dot;
    all frames are drawn by one neato -n2 run (edges the last frame lacks are routed straight)
    and given one size, so that nodes never move."""

    _NODE = re.compile(r"^\t(\w+) \[(.*)\]\n$")
    _EDGE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?\n$")

    def __init__(self, graphs: list[Drawing]) -> None:
        self.graphs = graphs
        self.last = graphs[-1]
        self._places: tuple[dict[str, str], dict[tuple[str, str], list[str]], str] | None = None
        self._svgs: dict[int, str] | None = None

    def svg(self, graph: Drawing) -> str:
        """graph (one of the frames') rendered to SVG at the fixed positions."""
        if self._svgs is None:
            svgs = _same_size(self.svgs(self.graphs))
            self._svgs = {id(g): svg for g, svg in zip(self.graphs, svgs)}
        return self._svgs[id(graph)]

    def places(self) -> tuple[dict[str, str], dict[tuple[str, str], list[str]], str]:
        """Attributes pinning each node and edge, and the bounding box (computed once)."""
        if self._places is None:
            out = json.loads(run_dot(self.last.source, "json", timeout=self.last.timeout))
            names = {o["_gvid"]: o["name"] for o in out.get("objects", [])}
            nodes = {
                o["name"]: f'pos="{o["pos"]}!" width={o["width"]} height={o["height"]} '
                "fixedsize=shape"
                for o in out.get("objects", [])
                if "pos" in o
            }
            edges: dict[tuple[str, str], list[str]] = {}
            for e in out.get("edges", []):
                attrs = [f'pos="{e["pos"]}"'] + [f'{a}="{e[a]}"' for a in ("lp", "xlp") if a in e]
                edges.setdefault((names[e["tail"]], names[e["head"]]), []).append(" ".join(attrs))
            self._places = (nodes, edges, out["bb"])
        return self._places

    def pinned(self, graph: Drawing) -> str:
        """graph's DOT text with every node and edge pinned where the last frame has it."""
        nodes, edges, bb = self.places()
        seen: dict[tuple[str, str], int] = {}
        body = []
        for line in graph.body:
            edge = self._EDGE.match(line)
            if edge:
                key = (edge[1], edge[2])
                i = seen[key] = seen.get(key, -1) + 1
                if i < len(edges.get(key, ())):
                    attrs = f"{edge[3]} {edges[key][i]}" if edge[3] else edges[key][i]
                    line = f"\t{edge[1]} -> {edge[2]} [{attrs}]\n"
            else:
                node = self._NODE.match(line)
                if node and node[1] in nodes:
                    line = f"\t{node[1]} [{node[2]} {nodes[node[1]]}]\n"
            body.append(line)
        pinned = graph.copy()
        pinned.body = body
        pinned.graph_attr.update(bb=bb, notranslate="true")  # the same coordinates in every frame
        return str(pinned.source)

    def svgs(self, graphs: Sequence[Drawing]) -> list[str]:
        """Several graphs rendered at the fixed positions by one Graphviz run (one run per
        frame would spend most of its time starting the program)."""
        sources = "\n".join(self.pinned(g) for g in graphs)
        timeout = max(g.timeout for g in graphs) * max(1.0, len(graphs) / 10)
        out = run_dot(sources, timeout=timeout, layout="neato", options=["-n2"]).decode("utf-8")
        svgs = ["<?xml" + part for part in out.split("<?xml")[1:]]
        if len(svgs) != len(graphs):
            raise GraphvizError(f"neato -n2 drew {len(svgs)} of {len(graphs)} frames")
        return svgs


_HEAD = re.compile(
    r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="[^"]*"(.*?)'
    r'transform="scale\(1 1\) rotate\(0\) translate\(([\d.-]+) ([\d.-]+)\)"',
    re.S,
)


def _same_size(svgs: list[str]) -> list[str]:
    """The SVGs with one size and origin, the smallest holding them all (Graphviz grows the
    picture by a point where a frame's arrowhead or label sticks out)."""
    heads = [_HEAD.search(svg) for svg in svgs]
    if not all(heads):
        return svgs
    nums = [tuple(float(h[i]) for i in (1, 2, 4, 5)) for h in heads if h]
    tx, ty = max(n[2] for n in nums), max(n[3] for n in nums)
    width = tx + max(n[0] - n[2] for n in nums)
    height = ty + max(n[1] - n[3] for n in nums)
    out = []
    for svg, h in zip(svgs, heads):
        assert h is not None
        head = (
            f'<svg width="{width:g}pt" height="{height:g}pt"\n viewBox="0.00 0.00 {width:.2f} '
            f'{height:.2f}"{h[3]}transform="scale(1 1) rotate(0) translate({tx:g} {ty:g})"'
        )
        out.append(svg[: h.start()] + head + svg[h.end() :])
    return out


# -- the self-contained HTML stepper ---------------------------------------------------------------


def _chunks(svg: str) -> list[str]:
    """The SVG without its prologue, comments, titles and ids, cut into its top-level pieces
    (the frame, each node, each edge), which frames share when equal."""
    svg = svg[svg.find("<svg") :]
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r"<title>.*?</title>\n?", "", svg)
    svg = re.sub(r' id="[^"]*"', "", svg)
    pieces: list[str] = []
    current: list[str] = []
    depth = 0
    for line in svg.splitlines(keepends=True):
        if line.startswith("<g") and depth == 1 and current:
            pieces.append("".join(current))
            current = []
        current.append(line)
        depth += line.startswith("<g") - line.startswith("</g>")
        if depth == 1 and line.startswith("</g>"):
            pieces.append("".join(current))
            current = []
    if current:
        pieces.append("".join(current))
    return pieces


def _view_height(svg: str) -> int:
    """The picture area's height in px: VIEW_HEIGHT, or less for a picture less tall."""
    match = re.search(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', svg)
    return min(VIEW_HEIGHT, math.ceil(float(match[1]) * 4 / 3) + 24) if match else VIEW_HEIGHT


def _script_json(data: object) -> str:
    """JSON safe inside a <script> element (no "</" or "<!" sequences)."""
    return re.sub(r"<(?=[/!])", r"\\u003c", json.dumps(data, ensure_ascii=False))


def _html_stepper(frames: list[Frame], interval: int, title: str) -> str:
    table: dict[str, int] = {}
    data_frames = []
    svgs = [f.svg for f in frames]
    for i, (f, svg) in enumerate(zip(frames, svgs)):
        ids = [table.setdefault(c, len(table)) for c in _chunks(svg)]
        data_frames.append({"c": ids, "t": f.text, "s": _counter(i, len(frames), f)})
    data = {"chunks": list(table), "frames": data_frames, "interval": interval}
    payload = _script_json(data)
    uid = f"mgn-stepper-{hashlib.sha1(payload.encode()).hexdigest()[:8]}-{next(_ids)}"
    last = data_frames[-1]
    final_svg = "".join(data["chunks"][c] for c in last["c"])  # type: ignore[index]
    steps = "\n".join(
        f"<li><b>{html.escape(str(d['s']))}</b><pre>{html.escape(str(d['t']))}</pre></li>"
        for d in data_frames
    )
    n = len(frames)
    heading = f'<div class="mgn-title">{html.escape(title)}</div>' if title else ""
    return f"""<div class="mgn-stepper" id="{uid}" tabindex="0" aria-label="stepper">
<style>{_CSS}</style>
{heading}<div class="mgn-controls" hidden>
<button type="button" class="mgn-prev" title="previous frame (←)">◀ prev</button>
<button type="button" class="mgn-play" title="play / pause">▶ play</button>
<button type="button" class="mgn-next" title="next frame (→)">next ▶</button>
<input type="range" class="mgn-slider" min="0" max="{n - 1}" value="{n - 1}" aria-label="frame">
<button type="button" class="mgn-fit" title="shrink the picture to fit">fit</button>
</div>
<div class="mgn-counter">{html.escape(str(last["s"]))}</div>
<pre class="mgn-text">{html.escape(str(last["t"]))}</pre>
<div class="mgn-picture" style="height: {_view_height(final_svg)}px">{final_svg}</div>
<details class="mgn-steps" open><summary>all {len(frames)} frames as text</summary>
<ol>
{steps}
</ol></details>
<script type="application/json" class="mgn-data">{payload}</script>
<script>{_JS.replace("__ID__", uid)}</script>
</div>"""


_CSS = f"""
.mgn-stepper {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  max-width: {VIEW_WIDTH}px; margin: 0.5em 0; outline: none; }}
.mgn-stepper:focus-visible {{ box-shadow: 0 0 0 2px #4a90d9; }}
.mgn-stepper .mgn-controls {{ display: flex; gap: 0.4em; align-items: center; }}
.mgn-stepper .mgn-controls[hidden] {{ display: none; }}
.mgn-stepper .mgn-slider {{ flex: 1; }}
.mgn-stepper .mgn-counter {{ font-size: 0.9em; color: #444; margin: 0.3em 0; }}
.mgn-stepper pre {{ font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 0.9em; margin: 0; white-space: pre-wrap; }}
.mgn-stepper .mgn-text {{ height: 6.6em; overflow: auto; background: #f6f6f6; padding: 0.3em;
  resize: vertical; }}
.mgn-stepper .mgn-picture {{ width: 100%; height: {VIEW_HEIGHT}px; overflow: auto;
  border: 1px solid #ccc; background: white; }}
.mgn-stepper .mgn-picture.mgn-fitted svg {{ width: 100%; height: 100%; }}
.mgn-stepper .mgn-steps {{ margin-top: 0.3em; font-size: 0.9em; }}
.mgn-stepper .mgn-steps ol {{ max-height: 20em; overflow: auto; }}
"""

_JS = """(function () {
  var root = document.getElementById("__ID__");
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector(".mgn-data").textContent);
  var q = function (c) { return root.querySelector(c); };
  var picture = q(".mgn-picture"), text = q(".mgn-text"), counter = q(".mgn-counter");
  var slider = q(".mgn-slider"), play = q(".mgn-play"), prev = q(".mgn-prev");
  var next = q(".mgn-next"), fit = q(".mgn-fit");
  var last = data.frames.length - 1, i = 0, timer = null;
  function show(j) {
    i = Math.max(0, Math.min(last, j));
    var f = data.frames[i];
    picture.innerHTML = f.c.map(function (k) { return data.chunks[k]; }).join("");
    text.textContent = f.t;
    counter.textContent = f.s;
    slider.value = String(i);
    prev.disabled = i === 0;
    next.disabled = i === last;
    root.setAttribute("data-frame", String(i));
    follow();
  }
  function follow() {
    // keep the current node (outlined red) in view when the picture is larger than its area
    var shape = picture.querySelector('g.node [stroke="red"]');
    if (!shape || picture.classList.contains("mgn-fitted")) { return; }
    var box = shape.getBoundingClientRect(), area = picture.getBoundingClientRect();
    if (box.left < area.left || box.right > area.right) {
      picture.scrollLeft += box.left - area.left - (area.width - box.width) / 2;
    }
    if (box.top < area.top || box.bottom > area.bottom) {
      picture.scrollTop += box.top - area.top - (area.height - box.height) / 2;
    }
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "\\u25B6 play";
    root.setAttribute("data-playing", "false");
  }
  function start() {
    if (i >= last) { show(0); }
    play.textContent = "\\u275A\\u275A pause";
    root.setAttribute("data-playing", "true");
    timer = setInterval(function () {
      show(i + 1);
      if (i >= last) { stop(); }
    }, data.interval);
  }
  play.addEventListener("click", function () { if (timer === null) { start(); } else { stop(); } });
  prev.addEventListener("click", function () { stop(); show(i - 1); });
  next.addEventListener("click", function () { stop(); show(i + 1); });
  slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
  fit.addEventListener("click", function () { picture.classList.toggle("mgn-fitted"); });
  root.addEventListener("keydown", function (e) {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) { return; }
    var moves = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: last};
    if (!(e.key in moves)) { return; }
    e.preventDefault();
    stop();
    show(moves[e.key]);
  });
  q(".mgn-controls").hidden = false;
  q(".mgn-steps").open = false;
  show(0);
})();"""
