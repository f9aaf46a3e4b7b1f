"""The runner: Graphviz's programs under a timeout, and the Drawing they render.

    run_dot(source, fmt)   DOT text laid out by dot (or neato, ...) into svg, png, pdf, json, ...
    Drawing                a graphviz.Digraph whose rendering goes through run_dot
    svg_text(graph)        any graphviz graph rendered to SVG text

Failures raise GraphvizError: dot missing (GraphvizNotFoundError, which says how to install it),
failing, or running past its timeout (it is then killed).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path as FilePath
from typing import Any

import graphviz

from .._files import replace_file

INSTALL_GRAPHVIZ = (
    "rendering needs Graphviz's `dot` program, which was not found on PATH. Install it with "
    "`apt-get install graphviz` (Debian, Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or `make graphviz` in the microgradnet checkout. "
    "The DOT text needs no program: draw(...).source"
)
DOT_TIMEOUT = 20.0  # seconds dot may run before it is stopped (GraphvizError)
SMALLER = "draw it with collapse='neuron', show_local=False or a smaller max_nodes"


class GraphvizError(RuntimeError):
    """Graphviz's dot program is missing, failed, or took longer than its timeout."""


class GraphvizNotFoundError(GraphvizError, graphviz.ExecutableNotFound):  # type: ignore[misc]
    """Graphviz's dot program is missing; the message says how to install it."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, INSTALL_GRAPHVIZ)


def run_dot(
    source: str,
    fmt: str = "svg",
    *,
    timeout: float = DOT_TIMEOUT,
    layout: str = "dot",
    options: Sequence[str] = (),
) -> bytes:
    """Lay out DOT text with Graphviz's dot (or another of its layout programs, e.g. "neato"
    with options ["-n2"] to keep given positions) and return the output in format fmt (svg, png,
    pdf, json, ...). Raises GraphvizNotFoundError without the program, GraphvizError when it
    fails or runs longer than timeout seconds (it is then killed)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    program = shutil.which(layout)
    if program is None:
        raise GraphvizNotFoundError()
    dot = " ".join([layout, *options])
    try:
        done = subprocess.run(
            [program, *options, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(
            f"{dot} did not finish within {timeout:g} s and was stopped; {SMALLER}, "
            "or pass a larger timeout"
        ) from None
    except OSError as e:
        raise GraphvizError(f"{dot} could not be run: {e}") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = reason[0] if reason else "no message"
        raise GraphvizError(f"{dot} failed (exit status {done.returncode}): {first}; {SMALLER}")
    return done.stdout


class Drawing(graphviz.Digraph):  # type: ignore[misc]
    """A graphviz.Digraph rendered by dot under a timeout (``.timeout`` seconds, default
    DOT_TIMEOUT); failures raise GraphvizError (GraphvizNotFoundError when dot is missing)."""

    timeout: float = DOT_TIMEOUT

    def pipe(
        self, format: str | None = None, *args: Any, encoding: str | None = None, **kwargs: Any
    ) -> Any:
        """The drawing rendered by dot in format (default svg): bytes, or text with encoding."""
        out = run_dot(self.source, format or "svg", timeout=self.timeout)
        return out.decode(encoding) if encoding else out

    def render(
        self,
        filename: str | FilePath | None = None,
        *args: Any,
        format: str | None = None,
        **kwargs: Any,
    ) -> str:
        """Write the drawing rendered by dot to filename + "." + format, whole or not at all;
        returns that path."""
        fmt = format or "svg"
        target = FilePath(f"{filename or self.name}.{fmt}")
        replace_file(target, run_dot(self.source, fmt, timeout=self.timeout), "render")
        return str(target)

    def _repr_svg_(self) -> str:
        return svg_text(self)


def svg_text(graph: graphviz.Graph | graphviz.Digraph, *, timeout: float | None = None) -> str:
    """Render any graphviz graph to SVG text with dot, stopped after timeout seconds (default:
    the drawing's ``.timeout``, else DOT_TIMEOUT)."""
    limit = timeout if timeout is not None else getattr(graph, "timeout", DOT_TIMEOUT)
    return run_dot(graph.source, "svg", timeout=limit).decode("utf-8")
