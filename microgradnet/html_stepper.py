"""The self-contained HTML stepper: a Stepper's frames as one HTML fragment, no network needed;
and the view both it and the widget show the picture in.

``html_stepper(svgs, texts, counters, interval, title, view, sheets)`` writes the fragment: the
controls (play, previous/next, a slider, the zoom), the counter, the step's arithmetic, the
picture, and the list of all frames as text; the last frame shows where no script runs. The
frames' SVG pictures are cut into their elements (the picture's frame, each node, edge and
caption line: an XML parse, ``svg_pieces``), and frames share equal pieces, so a page of many
frames stays small.

The view follows the step, in CSS alone (so the widget, which runs no script of ours, does it
too): the picture sits in an area of fixed size (``.mgn-view``, a CSS size container) and is
drawn at the largest size up to 100% that shows it whole, but never so small that its smallest
text is under READABLE_PX; a picture larger than the area at that size is placed
(``View.sheet_style``) so that the frame's focus is in view: the current node first, then as
many of the nodes the step changed as fit (nested CSS clamps, one per prefix of the focus).
"fit" shows the whole picture at any size, "100%" its natural size (placed the same way).

A quiz (``questions``) adds, for each frame with a question, the picture before its step and
the question's data, and the quiz's panel, style and script (``html_quiz``): the frame shows
the picture before the step until its question is answered or revealed.

Deterministic: the same frames give the same bytes on every run (exercise sheets and
reproducible figures rely on it). Any number of fragments may share a page: each one's script
finds its own elements from ``document.currentScript`` (or, where scripts are run detached from
the page, every stepper not started yet), never by an id.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree
from xml.parsers import expat

from .html_quiz import QUIZ_CSS, QUIZ_JS, QUIZ_PANEL
from .viz.fixed import Box, node_boxes
from .viz.labels import visible

VIEW_WIDTH, VIEW_HEIGHT = 900, 460  # px: the area a picture is planned for (a 1280 px window)
MAX_WIDTH = 1400  # px: the widest a stepper grows in a wide window
_SVG = "{http://www.w3.org/2000/svg}"
READABLE_PX = 11  # the smallest text the automatic size allows
MARGIN = 6.0  # points kept around a node in focus (its outline is up to 3 points wide)


@dataclass(frozen=True)
class View:
    """The geometry of a stepper's pictures (all of one size, nodes at the same places): the
    size in points, each node's box, and the smallest font size."""

    width: float
    height: float
    boxes: Mapping[str, Box]
    font: float

    @classmethod
    def of(cls, svg: str) -> View:
        """The view of pictures like this SVG of Graphviz (one of the stepper's frames)."""
        (width, height), boxes = node_boxes(svg)
        root = ElementTree.fromstring(svg[svg.find("<svg") :])
        sizes = [float(t.get("font-size", "14")) for t in root.iter(f"{_SVG}text")]
        return cls(max(width, 1.0), max(height, 1.0), boxes, min(sizes, default=14.0))

    def style(self) -> str:
        """The area's CSS variables: natural size (--W, --H, pt -> px), aspect (--a) and the
        smallest scale keeping text readable (--r)."""
        readable = min(1.0, READABLE_PX / (self.font * 4 / 3))
        return (
            f"--W:{self.width * 4 / 3:.1f}px;--H:{self.height * 4 / 3 + 2:.1f}px;"
            f"--a:{self.width / self.height:.5f};--r:{readable:.4f}"
        )

    def sheet_style(self, focus: Sequence[str]) -> str:
        """The picture's place in the area (CSS left and top) for a frame about the nodes
        focus (first first): the prefixes of 1, 2, 4, ... of them, each kept in view if it fits,
        the shorter ones winning; the whole focus centred where everything fits."""
        boxes = [self.boxes[n] for n in focus if n in self.boxes]
        spans: list[Box] = []
        size = 1
        while boxes and size < 2 * len(boxes):
            prefix = boxes[: min(size, len(boxes))]
            spans.append(self._padded(prefix))
            size *= 2
        whole = spans[-1] if spans else (0.0, 0.0, self.width, self.height)
        w = self.width  # both axes in units of the drawn width: the sheet is var(--w) wide
        xs = [(b[0] / w, b[2] / w) for b in spans]
        ys = [(b[1] / w, b[3] / w) for b in spans]
        left = _axis("cqw", 1.0, (whole[0] + whole[2]) / 2 / w, xs)
        top = _axis("cqh", self.height / w, (whole[1] + whole[3]) / 2 / w, ys)
        return f"left:{left};top:{top}"

    def _padded(self, boxes: list[Box]) -> Box:
        return (
            max(0.0, min(b[0] for b in boxes) - MARGIN),
            max(0.0, min(b[1] for b in boxes) - MARGIN),
            min(self.width, max(b[2] for b in boxes) + MARGIN),
            min(self.height, max(b[3] for b in boxes) + MARGIN),
        )


def _axis(unit: str, extent: float, centre: float, spans: list[tuple[float, float]]) -> str:
    """The CSS offset along one axis (unit cqw or cqh: the area's size): centre at the area's
    middle, kept within the picture (a picture smaller than the area is centred), then each
    span (fractions of the drawn width, shortest prefix last) clamped into view: a span that
    does not fit gives way to the shorter ones."""
    area, sheet = f"100{unit}", f"var(--w) * {extent:.5f}"
    offset = f"calc(50{unit} - var(--w) * {centre:.5f})"
    offset = (
        f"min(max(min({offset}, 0px), calc({area} - {sheet})), "
        f"max(0px, calc(({area} - {sheet}) / 2)))"
    )
    for lo, hi in reversed(spans):
        low, high = f"calc(var(--w) * {0.0 - lo:.5f})", f"calc({area} - var(--w) * {hi:.5f})"
        offset = f"clamp({low}, {offset}, {high})"  # past its end: the span's start in view
    return offset


def view_html(view: View, svg: str, focus: Sequence[str]) -> str:
    """One frame in its view, as the widget shows it: the area, the picture placed in it."""
    return (
        f'<div class="mgn-view" style="{view.style()}">'
        f'<div class="mgn-sheet" style="{view.sheet_style(focus)}">{svg}</div></div>'
    )


def zoom_controls() -> str:
    """The widget's zoom: three radio buttons, "auto" checked (the name is new on each call,
    so two widgets on a page keep their own)."""
    name = f"mgn-zoom-{secrets.token_hex(6)}"
    picks = [("auto", "auto", " checked"), ("fit", "fit", ""), ("full", "100%", "")]
    return (
        '<span class="mgn-zoom">'
        + "".join(
            f'<label title="{_ZOOM_TIPS[kind]}"><input type="radio" name="{name}" '
            f'class="mgn-pick-{kind}"{checked}>{text}</label>'
            for kind, text, checked in picks
        )
        + "</span>"
    )


_ZOOM_TIPS = {
    "auto": "the whole picture where its text stays readable, else the part the step is about",
    "fit": "the whole picture, at any size",
    "full": "the picture at its natural size, placed on the step",
}


def html_stepper(
    svgs: Sequence[str],
    texts: Sequence[str],
    counters: Sequence[str],
    interval: int,
    title: str,
    view: View,
    sheets: Sequence[str],
    questions: Sequence[tuple[str, Mapping[str, object]] | None] = (),
) -> str:
    """The fragment for frames with these SVG pictures, texts (their arithmetic), counters
    ("frame 3 of 9 — backward step 1") and places of the picture in the view (``sheets``,
    View.sheet_style), played at interval ms, under title ("": none). ``questions``: a quiz
    (html_quiz), for each frame None or the picture shown while its question is open and the
    question's data (quiz.Question.page_data)."""
    payload, final_svg = _payload(svgs, texts, counters, sheets, questions, interval)
    title = visible(title)
    uid = hashlib.sha1((title + payload).encode()).hexdigest()[:8]
    steps = "\n".join(
        f"<li><b>{html.escape(c)}</b><pre>{html.escape(t)}</pre></li>"
        for c, t in zip(counters, texts)
    )
    n = len(svgs)
    heading = f'<div class="mgn-title">{html.escape(title)}</div>' if title else ""
    text = f'<pre class="mgn-text">{html.escape(texts[-1])}</pre>'
    quiz = any(q is not None for q in questions)
    if quiz:
        text = f'<div class="mgn-row">\n{text}\n{QUIZ_PANEL}\n</div>'
    script = _JS.replace("/*QUIZ*/", QUIZ_JS if quiz else "")
    return f"""<div class="mgn-stepper" id="mgn-stepper-{uid}" tabindex="0" aria-label="stepper">
<style>{_CSS}{QUIZ_CSS if quiz else ""}</style>
{heading}<div class="mgn-controls" hidden>
<button type="button" class="mgn-prev" title="previous frame (←)">◀ prev</button>
<button type="button" class="mgn-play" title="play / pause">▶ play</button>
<button type="button" class="mgn-next" title="next frame (→)">next ▶</button>
<input type="range" class="mgn-slider" min="0" max="{n - 1}" value="{n - 1}" aria-label="frame">
<span class="mgn-zoom">{_ZOOM_BUTTONS}</span>
</div>
<div class="mgn-counter">{html.escape(counters[-1])}</div>
{text}
<div class="mgn-view" style="{view.style()}"><div class="mgn-sheet" style="{sheets[-1]}">
{final_svg}</div></div>
<details class="mgn-steps" open><summary>all {n} frames as text</summary>
<ol>
{steps}
</ol></details>
<script type="application/json" class="mgn-data">{payload}</script>
<script>{script}</script>
</div>"""


def _payload(
    svgs: Sequence[str],
    texts: Sequence[str],
    counters: Sequence[str],
    sheets: Sequence[str],
    questions: Sequence[tuple[str, Mapping[str, object]] | None],
    interval: int,
) -> tuple[str, str]:
    """The page's data as JSON (the pieces of every picture once, each frame by the pieces it
    is made of), and the last frame's SVG."""
    table: dict[str, int] = {}
    frames: list[dict[str, object]] = []
    ids: list[int] = []
    for k, (svg, text, counter, sheet) in enumerate(zip(svgs, texts, counters, sheets)):
        ids = [table.setdefault(piece, len(table)) for piece in svg_pieces(svg)]
        frame: dict[str, object] = {"c": ids, "t": text, "s": counter, "v": sheet}
        asked = questions[k] if k < len(questions) else None
        if asked is not None:
            before = [table.setdefault(piece, len(table)) for piece in svg_pieces(asked[0])]
            frame["q"] = {"c": before, **asked[1]}
        frames.append(frame)
    pieces = list(table)
    data: dict[str, object] = {"chunks": pieces, "frames": frames, "interval": interval}
    if any(q is not None for q in questions):
        data["quiz"] = True
    return _script_json(data), "".join(pieces[c] for c in ids)


def svg_pieces(svg: str) -> list[str]:
    """An SVG picture of Graphviz as the pieces frames share when equal: the opening (the
    picture's frame, background and caption), each node and edge, the closing; without the
    prologue, comments, titles (tooltips such as "v3": a node keeps its name as data-name) and
    ids (which would repeat on a page with two steppers). Read by an XML parser (expat), element
    by element."""
    pieces = _Pieces()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = pieces.start
    parser.EndElementHandler = pieces.end
    parser.CharacterDataHandler = pieces.text
    parser.Parse(svg, True)
    return pieces.done()


class _Pieces:
    """SVG markup rewritten from the parser's events, cut before each element of the drawing
    (depth 3: the <svg>, its drawing <g>, then the nodes and edges)."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.out: list[str] = []  # the piece being written
        self.depth = 0
        self.skipping = 0  # > 0 inside a <title>
        self.open: str | None = None  # a start tag not closed yet: "/>" if nothing follows

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.skipping or name == "title":
            self.skipping += 1
            return
        self.close_start(">\n")
        if self.depth == 3 and name == "g" and self.out:
            self.cut()
        kept = "".join(f' {k}="{html.escape(v)}"' for k, v in attrs.items() if k != "id")
        self.open = f"<{name}{kept}"

    def end(self, name: str) -> None:
        self.depth -= 1
        if self.skipping:
            self.skipping -= 1
            return
        if self.open is not None:
            self.close_start("/>\n")
        else:
            self.out.append(f"</{name}>\n")
        if self.depth == 2 and name == "g":
            self.cut()

    def text(self, data: str) -> None:
        if self.skipping and self.open is not None and self.open.startswith('<g class="node"'):
            self.open += f' data-name="{html.escape(data.strip())}"'  # the node's DOT name
            return
        if not self.skipping and data.strip():
            self.close_start(">")
            self.out.append(html.escape(data, quote=False))

    def close_start(self, ending: str) -> None:
        if self.open is not None:
            self.out.append(self.open + ending)
            self.open = None

    def cut(self) -> None:
        self.pieces.append("".join(self.out))
        self.out = []

    def done(self) -> list[str]:
        if self.out:
            self.cut()
        return self.pieces


def _script_json(data: object) -> str:
    """JSON safe inside a <script> element (no "</" or "<!" sequences)."""
    return re.sub(r"<(?=[/!])", r"\\u003c", json.dumps(data, ensure_ascii=False))


# The view (module notes), shared by the HTML stepper and the widget. --w is the drawn width:
# auto: the whole picture when its text stays readable (scale >= --r), else that smallest size;
# "fit": the whole picture, up to 100%; "100%": the natural size. --above: the room the controls
# and the text take above the picture, so the area fits the window (100vh) under them.
VIEW_CSS = f"""
.mgn-view {{ position: relative; overflow: hidden; container-type: size; width: 100%;
  box-sizing: border-box;
  height: min(var(--H), max(160px, calc(100vh - var(--above, 200px))));
  max-height: {VIEW_HEIGHT * 2}px; border: 1px solid #ccc; background: white; }}
.mgn-sheet {{ position: absolute; width: var(--w); height: calc(var(--w) / var(--a));
  --w: clamp(calc(var(--W) * var(--r)), min(100cqw, 100cqh * var(--a)), var(--W)); }}
.mgn-sheet > svg {{ display: block; width: 100%; height: 100%; }}
.mgn-fit .mgn-sheet, .mgn-widget:has(.mgn-pick-fit:checked) .mgn-sheet {{
  --w: min(100cqw, 100cqh * var(--a), var(--W)); }}
.mgn-full .mgn-sheet, .mgn-widget:has(.mgn-pick-full:checked) .mgn-sheet {{ --w: var(--W); }}
.mgn-widget {{ --above: 330px; }}
.mgn-zoom {{ display: inline-flex; gap: 0.2em; white-space: nowrap; align-items: center; }}
.mgn-zoom label {{ display: inline-flex; align-items: center; gap: 0.1em; }}
"""

_CSS = f"""
.mgn-stepper {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  max-width: {MAX_WIDTH}px; margin: 0.5em 0; outline: none; --above: 200px; }}
.mgn-stepper:focus-visible {{ box-shadow: 0 0 0 2px #4a90d9; }}
.mgn-stepper .mgn-controls {{ display: flex; gap: 0.4em; align-items: center; }}
.mgn-stepper .mgn-controls[hidden] {{ display: none; }}
.mgn-stepper .mgn-slider {{ flex: 1; }}
.mgn-stepper .mgn-zoom button[aria-pressed="true"] {{ font-weight: bold; }}
.mgn-stepper .mgn-counter {{ font-size: 0.9em; color: #444; margin: 0.3em 0; }}
.mgn-stepper pre {{ font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 0.9em; margin: 0; white-space: pre-wrap; }}
.mgn-stepper .mgn-text {{ height: 6.6em; overflow: auto; background: #f6f6f6; padding: 0.3em;
  resize: vertical; }}
.mgn-stepper:not([data-ready]) .mgn-view {{ overflow: auto; container-type: normal; }}
.mgn-stepper:not([data-ready]) .mgn-sheet {{ position: static; --w: var(--W); }}
.mgn-stepper .mgn-steps {{ margin-top: 0.3em; font-size: 0.9em; }}
.mgn-stepper .mgn-steps ol {{ max-height: 20em; overflow: auto; }}
{VIEW_CSS}"""

_ZOOM_BUTTONS = (
    '<button type="button" class="mgn-zoom-auto" aria-pressed="true" '
    f'title="{_ZOOM_TIPS["auto"]}">auto</button>'
    f'<button type="button" class="mgn-zoom-fit" aria-pressed="false" title="{_ZOOM_TIPS["fit"]}"'
    ">fit</button>"
    '<button type="button" class="mgn-zoom-full" aria-pressed="false" '
    f'title="{_ZOOM_TIPS["full"]}">100%</button>'
)

# Each fragment's script starts the stepper it sits in (document.currentScript); where a page
# runs scripts detached from their place (as some notebook front ends do), it starts every
# stepper not started yet. Nothing is found by id, so equal fragments may share a page.
_JS = """(function () {
  var here = document.currentScript;
  var own = here && here.closest ? here.closest(".mgn-stepper") : null;
  var roots = own ? [own] : document.querySelectorAll(".mgn-stepper:not([data-ready])");
  Array.prototype.forEach.call(roots, start);
  function start(root) {
    if (root.getAttribute("data-ready")) { return; }
    root.setAttribute("data-ready", "1");
    var data = JSON.parse(root.querySelector(".mgn-data").textContent);
    var q = function (c) { return root.querySelector(c); };
    var sheet = q(".mgn-sheet"), text = q(".mgn-text"), counter = q(".mgn-counter");
    var slider = q(".mgn-slider"), play = q(".mgn-play"), prev = q(".mgn-prev");
    var next = q(".mgn-next");
    var last = data.frames.length - 1, i = 0, timer = null, quiz = null;
    function show(j) {
      i = Math.max(0, Math.min(last, j));
      var f = data.frames[i];
      var shown = quiz !== null && quiz.open(i) ? f.q : f;  // a question: the picture before
      sheet.innerHTML = shown.c.map(function (k) { return data.chunks[k]; }).join("");
      sheet.style.cssText = f.v;  // the picture's place: the step in view (CSS, see VIEW_CSS)
      text.textContent = shown.t;
      counter.textContent = f.s;
      slider.value = String(i);
      prev.disabled = i === 0;
      next.disabled = i === last;
      root.setAttribute("data-frame", String(i));
      root.setAttribute("data-asking", String(shown !== f));
      if (quiz !== null) { quiz.show(i); }
    }
    function zoom(kind) {
      root.classList.toggle("mgn-fit", kind === "fit");
      root.classList.toggle("mgn-full", kind === "full");
      ["auto", "fit", "full"].forEach(function (k) {
        q(".mgn-zoom-" + k).setAttribute("aria-pressed", String(k === kind));
      });
    }
    function stop() {
      if (timer !== null) { clearInterval(timer); timer = null; }
      play.textContent = "\\u25B6 play";
      root.setAttribute("data-playing", "false");
    }
    function begin() {
      if (i >= last) { show(0); }
      play.textContent = "\\u275A\\u275A pause";
      root.setAttribute("data-playing", "true");
      timer = setInterval(function () {
        show(i + 1);
        if (i >= last || (quiz !== null && quiz.open(i))) { stop(); }  // a question waits
      }, data.interval);
    }
    play.addEventListener("click", function () {
      if (timer === null) { begin(); } else { stop(); }
    });
    prev.addEventListener("click", function () { stop(); show(i - 1); });
    next.addEventListener("click", function () {
      stop();
      show(i + 1);
      if (quiz !== null) { quiz.focus(); }  // keyboard: Enter on next, type, Enter
    });
    slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
    ["auto", "fit", "full"].forEach(function (k) {
      q(".mgn-zoom-" + k).addEventListener("click", function () { zoom(k); });
    });
    root.addEventListener("keydown", function (e) {
      if (e.target === slider || e.target.tagName === "INPUT" || e.altKey || e.ctrlKey ||
          e.metaKey) { return; }
      var moves = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: last};
      if (!(e.key in moves)) { return; }
      e.preventDefault();
      stop();
      show(moves[e.key]);
    });
    /*QUIZ*/
    q(".mgn-controls").hidden = false;
    q(".mgn-steps").open = false;
    show(quiz !== null ? quiz.first : 0);
  }
})();"""
