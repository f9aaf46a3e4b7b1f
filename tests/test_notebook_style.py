"""The notebooks' shape: short code cells, stored without outputs.

A reader follows a notebook cell by cell, so no code cell is longer than MAX_CODE_LINES lines
(split a longer one into named cells, each with a one-sentence note above it). Notebooks are
stored without outputs (``make test`` runs them; see scripts/run-notebooks.sh).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
MAX_CODE_LINES = 20


def code_cells(path: Path) -> list[tuple[int, list[str]]]:
    """(1-based cell number, source lines) of each code cell of the notebook at path."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (n, "".join(cell["source"]).splitlines())
        for n, cell in enumerate(cells, 1)
        if cell["cell_type"] == "code"
    ]


def too_long(path: Path) -> list[str]:
    """One line per code cell of path over MAX_CODE_LINES lines, naming the cell and its start."""
    return [
        f"{path.name}, cell {n}: {len(lines)} lines, starting {lines[0]!r}"
        for n, lines in code_cells(path)
        if len(lines) > MAX_CODE_LINES
    ]


def test_the_notebooks_are_found() -> None:
    assert len(NOTEBOOKS) >= 9, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_cells_are_short(path: Path) -> None:
    assert code_cells(path), f"{path.name} has no code cells"
    long = too_long(path)
    assert not long, "\n".join(["code cells over 20 lines:", *long])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path: Path) -> None:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    stored = [
        n
        for n, cell in enumerate(cells, 1)
        if cell["cell_type"] == "code" and (cell["outputs"] or cell["execution_count"] is not None)
    ]
    assert stored == [], f"{path.name}: cells {stored} keep outputs; clear them before committing"


def test_a_long_cell_is_reported(tmp_path: Path) -> None:
    cell = {"cell_type": "code", "source": [f"x{i} = {i}\n" for i in range(21)]}
    short = {"cell_type": "code", "source": ["y = 1\n"] * 20}
    path = tmp_path / "long.ipynb"
    path.write_text(json.dumps({"cells": [short, cell]}), encoding="utf-8")
    assert too_long(path) == ["long.ipynb, cell 2: 21 lines, starting 'x0 = 0'"]
