"""Numbers as the package writes them, one definition each.

``number_format(precision)`` is the formatter of the drawings, the step texts, ``explain`` and
the command line: ``precision`` significant digits (1 to 17), or ``None`` for the shortest text
that reads back as the same float (``repr``) with whole numbers written without ".0" (49, not
49.0); -0 prints as 0 and inf/nan as themselves. ``json_number(x)`` is x for JSON: the float
itself, or "inf", "-inf", "nan" as strings (JSON has no such numbers). ``markdown_text(text)``
is text that Markdown shows as written (labels in ``_repr_markdown_``); ``path_text(path)`` a
file name as messages show it.
"""

from __future__ import annotations

import math
import re


class Format:
    """Numbers to text with a given number of significant digits (None: shortest round trip)."""

    def __init__(self, precision: int | None) -> None:
        self.spec = "" if precision is None else f".{precision}g"

    def __call__(self, x: float) -> str:
        if x == 0:
            return "0"
        if not math.isfinite(x):
            return str(x)
        if self.spec:
            return format(x, self.spec)
        return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def number_format(precision: int | None, where: str = "") -> Format:
    """A formatter to ``precision`` significant digits (1 to 17, or None for the shortest
    round trip); where names the caller in the error for a bad precision."""
    if precision is not None and (
        isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17
    ):
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}precision must be an int from 1 to 17, got {precision!r}")
    return Format(precision)


def json_number(x: float) -> float | str:
    """x for JSON: the float itself if finite, else its repr ("inf", "-inf", "nan")."""
    return x if math.isfinite(x) else repr(x)


# the ASCII punctuation that can start or end Markdown (links, images, HTML, emphasis, code,
# math, tables, lists, headings, quotes, autolinks); CommonMark lets a backslash escape any
_MARKDOWN_SPECIAL = re.compile(r"[!#$&()*+\-.:<>@\[\\\]^_`{|}~]")
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def markdown_text(text: str) -> str:
    """text as Markdown shows it literally, on one line: every character that Markdown reads
    backslash-escaped (no link, image, emphasis, HTML, math or code span can start), line
    breaks as spaces (no new block can start)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", _LINE_BREAKS.sub(" ", text))


def path_text(path: object, limit: int | None = None) -> str:
    """A file name as text: bytes that are not UTF-8 (os.fsdecode's escapes) shown as \\xNN;
    with limit, a longer name cut in the middle to about limit characters (for messages)."""
    text = str(path)
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that no file name decodes to
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if limit is None else cut(text, limit)


def cut(text: str, limit: int = 60) -> str:
    """text, or for a longer one its first and last characters with "…(N more)…" between:
    a message quotes what it was given without echoing megabytes."""
    if len(text) <= limit:
        return text
    keep = max(limit - 16, 2)
    head, tail = text[: keep * 2 // 3], text[len(text) - keep // 3 :]
    return f"{head}…({len(text) - len(head) - len(tail)} more)…{tail}"
