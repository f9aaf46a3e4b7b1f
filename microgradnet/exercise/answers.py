"""Answer files, read as the user input they are: bounded, checked, never evaluated.

    {"exercise": {"template": "chain", "seed": 7}, "u": 7, "dL_dw": "2*u*x", "L": null}

An answer file is one JSON object: an optional "exercise" entry (the spec of the sheet, which the
sheet's answer file carries) and one entry per blank id, each a number, a formula (a string, for
the formula parser alone), or null (not answered). ``read_answers`` refuses, with an
AnswerFileError that names the file and the problem: a file that is not a regular file, larger
than MAX_BYTES, not UTF-8, not JSON, nested deeper than MAX_DEPTH, holding NaN or Infinity, a
repeated key, or an entry of another type. Unknown blank ids are refused by the grader, which
knows the blanks.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._files import file_kind
from .._format import cut, path_text
from .program import ExerciseError
from .variants import Spec, json_type

MAX_BYTES = 64 * 1024
MAX_DEPTH = 4  # the answers object, the exercise spec, its ranges: three levels are used
MAX_DIGITS = 30  # digits of a whole number in an answer file

Given = float | str | None


class AnswerFileError(ExerciseError):
    """A malformed answer file, or an answer for a blank the sheet does not have."""


@dataclass(frozen=True)
class Answers:
    """The answers of one file: the spec it names (if any) and each blank id's answer."""

    spec: Spec | None
    given: dict[str, Given]
    source: str  # the file as messages name it


def read_answers(source: object) -> Answers:
    """Answers from a file path or from a dict of blank id -> number, formula or None."""
    if isinstance(source, Answers):
        return source
    if isinstance(source, Mapping):
        return from_mapping(source, "answers", TypeError)
    if isinstance(source, (str, os.PathLike)):
        return load_file(source)
    raise TypeError(
        "exercise: answers must be a dict of blank id -> number or formula, or the path of an "
        f"answer file, got {type(source).__name__}"
    )


def load_file(path: str | os.PathLike[str]) -> Answers:
    """The answers of a JSON file, refused whole if anything in it is malformed."""
    shown = path_text(os.fspath(path), 120)
    text = _read_text(path, shown)
    _within_depth(text, shown)
    try:
        data = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as e:
        raise AnswerFileError(
            f"{shown}: not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}"
        ) from None
    except (ValueError, RecursionError) as e:
        raise AnswerFileError(f"{shown}: {e}") from None
    if not isinstance(data, dict):
        raise AnswerFileError(
            f'{shown}: an answer file is one JSON object {{"blank id": answer, ...}}, '
            f"got {json_type(data)}"
        )
    return from_mapping(data, shown, AnswerFileError)


def from_mapping(data: Mapping[Any, Any], shown: str, error: type[Exception]) -> Answers:
    """Answers from a mapping; error (TypeError for Python data) for an entry of a wrong type."""
    spec = None
    given: dict[str, Given] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise error(f"{shown}: blank ids are strings, got {json_type(key)}")
        if key == "exercise":
            spec = value if isinstance(value, Spec) else _spec(value, shown)
            continue
        if value is None or isinstance(value, str):
            given[key] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
            if not math.isfinite(number):
                raise AnswerFileError(f"{shown}: {cut(repr(key))}: the number must be finite")
            given[key] = number
        else:
            raise error(
                f"{shown}: {cut(repr(key))} must be a number, a formula (a string) or null, "
                f"got {json_type(value)}"
            )
    return Answers(spec, given, shown)


def _spec(value: object, shown: str) -> Spec:
    try:
        spec = Spec.from_json(value)
        spec.check()
    except (ExerciseError, TypeError) as e:
        raise AnswerFileError(f"{shown}: {e}") from None
    return spec


def _read_text(path: str | os.PathLike[str], shown: str) -> str:
    """The file's text: a regular file of at most MAX_BYTES bytes of UTF-8."""
    try:
        info = os.stat(path)
    except OSError as e:
        raise AnswerFileError(f"{shown}: cannot read it: {e.strerror or e}") from None
    if not stat.S_ISREG(info.st_mode):
        raise AnswerFileError(f"{shown}: is {file_kind(info.st_mode)}, not an answer file")
    if info.st_size > MAX_BYTES:
        raise AnswerFileError(
            f"{shown}: {info.st_size:,} bytes; an answer file holds at most {MAX_BYTES:,}"
        )
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise AnswerFileError(f"{shown}: cannot read it: {e.strerror or e}") from None
    if len(raw) > MAX_BYTES:
        raise AnswerFileError(f"{shown}: more than {MAX_BYTES:,} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise AnswerFileError(f"{shown}: not UTF-8 text (byte {e.start})") from None


def _within_depth(text: str, shown: str) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH before parsing it (brackets outside strings)."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise AnswerFileError(f"{shown}: nested more than {MAX_DEPTH} levels deep")
        elif ch in "]}":
            depth -= 1


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {cut(repr(key))} is given twice")
        out[key] = value
    return out


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number an answer can be")


def _finite_float(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):
        raise ValueError(f"the number {cut(text, 30)} is too large")
    return x


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a whole number of {len(text)} digits is too long")
    return int(text)
