"""The self-contained HTML stepper: a Stepper's frames as one HTML fragment, no network needed.

``html_stepper(svgs, texts, counters, interval, title)`` writes the fragment: the controls (play,
previous/next, a slider, "fit"), the counter, the step's arithmetic, the picture, and the list
of all frames as text; the last frame shows where no script runs. The frames' SVG pictures are
cut into their elements (the picture's frame, each node, edge and caption line: an XML parse,
``svg_pieces``), and frames share equal pieces, so a page of many frames stays small.

Deterministic: the same frames give the same bytes on every run (exercise sheets and
reproducible figures rely on it). Any number of fragments may share a page: each one's script
finds its own elements from ``document.currentScript`` (or, where scripts are run detached from
the page, every stepper not started yet), never by an id.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from collections.abc import Sequence
from xml.parsers import expat

from .viz.labels import visible

VIEW_WIDTH, VIEW_HEIGHT = 900, 460  # px: the scrolling area the picture is shown in


def html_stepper(
    svgs: Sequence[str], texts: Sequence[str], counters: Sequence[str], interval: int, title: str
) -> str:
    """The fragment for frames with these SVG pictures, texts (their arithmetic) and counters
    ("frame 3 of 9 — backward step 1"), played at interval ms, under title ("": none)."""
    table: dict[str, int] = {}
    frames: list[dict[str, object]] = []
    ids: list[int] = []
    for svg, text, counter in zip(svgs, texts, counters):
        ids = [table.setdefault(piece, len(table)) for piece in svg_pieces(svg)]
        frames.append({"c": ids, "t": text, "s": counter})
    pieces = list(table)
    payload = _script_json({"chunks": pieces, "frames": frames, "interval": interval})
    title = visible(title)
    uid = hashlib.sha1((title + payload).encode()).hexdigest()[:8]
    final_svg = "".join(pieces[c] for c in ids)  # the last frame's
    steps = "\n".join(
        f"<li><b>{html.escape(c)}</b><pre>{html.escape(t)}</pre></li>"
        for c, t in zip(counters, texts)
    )
    n = len(frames)
    heading = f'<div class="mgn-title">{html.escape(title)}</div>' if title else ""
    return f"""<div class="mgn-stepper" id="mgn-stepper-{uid}" tabindex="0" aria-label="stepper">
<style>{_CSS}</style>
{heading}<div class="mgn-controls" hidden>
<button type="button" class="mgn-prev" title="previous frame (←)">◀ prev</button>
<button type="button" class="mgn-play" title="play / pause">▶ play</button>
<button type="button" class="mgn-next" title="next frame (→)">next ▶</button>
<input type="range" class="mgn-slider" min="0" max="{n - 1}" value="{n - 1}" aria-label="frame">
<button type="button" class="mgn-fit" title="shrink the picture to fit">fit</button>
</div>
<div class="mgn-counter">{html.escape(counters[-1])}</div>
<pre class="mgn-text">{html.escape(texts[-1])}</pre>
<div class="mgn-picture" style="height: {view_height(svgs[-1])}px">{final_svg}</div>
<details class="mgn-steps" open><summary>all {n} frames as text</summary>
<ol>
{steps}
</ol></details>
<script type="application/json" class="mgn-data">{payload}</script>
<script>{_JS}</script>
</div>"""


def svg_pieces(svg: str) -> list[str]:
    """An SVG picture of Graphviz as the pieces frames share when equal: the opening (the
    picture's frame, background and caption), each node and edge, the closing; without the
    prologue, comments, titles (tooltips such as "v3") and ids (which would repeat on a page
    with two steppers). Read by an XML parser (expat), element by element."""
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


def view_height(svg: str) -> int:
    """The picture area's height in px: VIEW_HEIGHT, or less for a picture less tall."""
    heights: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "svg":
            heights.append(attrs.get("height", "").removesuffix("pt"))

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.Parse(svg, True)
    try:
        return min(VIEW_HEIGHT, math.ceil(float(heights[0]) * 4 / 3) + 24)
    except (IndexError, ValueError):
        return VIEW_HEIGHT


def _script_json(data: object) -> str:
    """JSON safe inside a <script> element (no "</" or "<!" sequences)."""
    return re.sub(r"<(?=[/!])", r"\\u003c", json.dumps(data, ensure_ascii=False))


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
    function begin() {
      if (i >= last) { show(0); }
      play.textContent = "\\u275A\\u275A pause";
      root.setAttribute("data-playing", "true");
      timer = setInterval(function () {
        show(i + 1);
        if (i >= last) { stop(); }
      }, data.interval);
    }
    play.addEventListener("click", function () {
      if (timer === null) { begin(); } else { stop(); }
    });
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
  }
})();"""
