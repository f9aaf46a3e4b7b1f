"""Step-through frames exported one file each, for slides: PNG, PDF or SVG.

    frame_sources(pictures, last)      the DOT text of each frame, pinned where dot puts the
                                       last one, all of one size (as the stepper shows them;
                                       without last, each node as large as its largest
                                       label in any frame, as the stepper lays them out)
    save_frames(sources, directory)    each DOT text rendered by neato -n2 (positions kept) to
                                       directory/frame-001.png, frame-002.png, ...

A stepper exports its frames with ``save_frames(frame_sources(pictures), directory)``
(``Stepper(root).save_frames(directory)``); every frame has the same size and the nodes never
move, so the files can be flipped through as slides.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path as FilePath

from .._files import replace_file
from .dot_graph import DotGraph
from .fixed import Positions, at_least, in_viewport, node_sizes, pin, viewport_of
from .runner import DOT_TIMEOUT, run_dot
from .writer import Picture

FORMATS = ("png", "pdf", "svg")
MAX_FRAMES_SAVED = 2000  # files save_frames writes in one call at most
_STEM = re.compile(r"[\w.-]{1,64}")


def frame_sources(
    pictures: Sequence[Picture], last: str | None = None, *, timeout: float = DOT_TIMEOUT
) -> list[str]:
    """The DOT text of each picture laid out as the last one (whose DOT text, as draw() writes
    it, is last; by default the last picture's with each node as large as in any frame, as
    the stepper lays its frames out), in one box that holds every frame: the input of neato
    -n2."""
    if not pictures:
        return []
    if last is None:
        graphs = [p.dot_graph for p in pictures]
        last = at_least(graphs[-1], node_sizes(graphs, timeout)).drawing().source
    at = Positions.of(last, timeout)
    pinned = [_unstretched(pin(p.dot_graph, at)) for p in pictures]
    viewport = viewport_of(pinned, timeout)
    return [in_viewport(g, viewport).text() for g in pinned]


def _unstretched(graph: DotGraph) -> DotGraph:
    """graph without dot's ratio: its positions, pinned, already hold the stretch (neato -n2
    would apply it again, and crashes on some)."""
    return replace(graph, graph_attr=tuple(a for a in graph.graph_attr if a[0] != "ratio"))


def save_frames(
    sources: Sequence[str],
    directory: str | os.PathLike[str],
    *,
    format: str = "png",
    dpi: int = 150,
    stem: str = "frame",
    timeout: float = DOT_TIMEOUT,
) -> list[FilePath]:
    """Render each frame's pinned DOT text (frame_sources) with neato -n2 and write it to
    directory/<stem>-001.<format>, ... (the directory is made if missing); returns the paths
    in order. format: "png" (at dpi dots per inch), "pdf" or "svg". Each file is rendered
    before it is written: a failure of Graphviz leaves no half-written file."""
    if format not in FORMATS:
        raise ValueError(f"save_frames: format must be one of {FORMATS}, got {format!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 24 <= dpi <= 600:
        raise ValueError(f"save_frames: dpi must be an int from 24 to 600, got {dpi!r}")
    if not isinstance(stem, str) or not _STEM.fullmatch(stem) or stem in (".", ".."):
        raise ValueError(
            f"save_frames: stem must be 1 to 64 letters, digits, '_', '-' or '.', got {stem!r}"
        )
    frames = list(sources)
    if not all(isinstance(s, str) for s in frames):
        raise TypeError("save_frames: sources must be DOT texts (str), as frame_sources gives")
    if len(frames) > MAX_FRAMES_SAVED:
        raise ValueError(f"save_frames: {len(frames)} frames, more than {MAX_FRAMES_SAVED}")
    folder = FilePath(directory)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(frames))))
    options = ["-n2", f"-Gdpi={dpi}"] if format == "png" else ["-n2"]
    paths = []
    for k, source in enumerate(frames, 1):
        data = run_dot(source, format, timeout=timeout, layout="neato", options=options)
        path = folder / f"{stem}-{k:0{width}d}.{format}"
        replace_file(path, data, "save_frames")
        paths.append(path)
    return paths
