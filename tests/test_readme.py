"""Every Python code block of README.md runs as printed: in order, in one namespace, in a
temporary directory, each top-level statement as a script would run it.

A block states what a ``print(...)`` shows in comments: the comment ending the line where the
call ends, then the comment-only lines right below it that start in the same column (or, when
the call's line has no comment, the comment-only lines right below it, in the call's column).
Each such line is one line of the output, compared exactly except that ``...`` stands for any
text. Comments after other statements describe; they are not checked.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from microgradnet import ops

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(markdown: str) -> list[str]:
    """The text of each ```python block of markdown, in order."""
    return BLOCK.findall(markdown)


def comments(source: str) -> dict[int, tuple[int, str, bool]]:
    """line -> (column of '#', text after '# ', whether the line holds only the comment)."""
    found = {}
    lines = source.splitlines()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            text = tok.string[1:]
            text = text[1:] if text.startswith(" ") else text
            found[row] = (col, text.rstrip(), not lines[row - 1][:col].strip())
    return found


def claimed_output(source: str, statement: ast.stmt) -> str | None:
    """The output the comments claim for the print calls in statement, or None if none."""
    notes = comments(source)
    claimed = []
    prints = [
        node
        for node in ast.walk(statement)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "print"
    ]
    for call in sorted(prints, key=lambda c: c.lineno):
        end = call.end_lineno or call.lineno
        first = notes.get(end)  # the comment ending the call's last line, if any
        column = first[0] if first else call.col_offset
        lines = [first[1]] if first else []
        row = end + 1
        while row in notes and notes[row][2] and notes[row][0] == column:
            lines.append(notes[row][1])
            row += 1
        if lines:
            claimed.extend(lines)
    return "\n".join(claimed) if claimed else None


def matches(claimed: str, output: str) -> bool:
    """Whether output is what claimed says, "..." standing for any text."""
    pattern = ".*".join(re.escape(part) for part in re.split(r"\s*\.\.\.\s*", claimed))
    shown = "\n".join(line.rstrip() for line in output.rstrip("\n").splitlines())
    return re.fullmatch(pattern, shown, re.S) is not None


def run_block(source: str, namespace: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Run each top-level statement of source in namespace; yield (statement, claimed, output)
    for every statement whose output the comments claim."""
    tree = ast.parse(source)
    for statement in tree.body:
        code = compile(ast.Module(body=[statement], type_ignores=[]), "README.md", "exec")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(code, namespace)  # the README's own code, as a reader runs it
        claimed = claimed_output(source, statement)
        if claimed is not None:
            yield ast.get_source_segment(source, statement) or "", claimed, out.getvalue()


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def namespace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One namespace for all blocks, run in a temporary directory; custom ops they define are
    removed afterwards."""
    here, ops_before = Path.cwd(), set(ops.OPS)
    os.chdir(tmp_path_factory.mktemp("readme"))
    try:
        yield {"__name__": "__readme__"}
    finally:
        os.chdir(here)
        for name in set(ops.OPS) - ops_before:
            ops.undefine_op(name)


def test_the_blocks_are_found() -> None:
    assert len(BLOCKS) >= 7
    checked = sum(
        claimed_output(block, statement) is not None
        for block in BLOCKS
        for statement in ast.parse(block).body
    )
    assert checked >= 10, "the README's output comments are no longer recognized"


@pytest.mark.needs_dot  # the drawing blocks render with Graphviz
@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=lambda i: f"block{i + 1}")
def test_block_runs_and_prints_what_it_says(index: int, namespace: dict[str, Any]) -> None:
    wrong = [
        f"{statement}\n  claims: {claimed!r}\n  prints: {output!r}"
        for statement, claimed, output in run_block(BLOCKS[index], namespace)
        if not matches(claimed, output)
    ]
    assert not wrong, "\n".join(wrong)


def test_a_wrong_claim_is_caught() -> None:
    block = "x = 2\nprint(x + 1)  # 4\nprint('a\\nb')\n# a\n# c\nprint(x)  # 2\n"
    results = [(claimed, out) for _, claimed, out in run_block(block, {})]
    assert results == [("4", "3\n"), ("a\nc", "a\nb\n"), ("2", "2\n")]
    assert [matches(claimed, out) for claimed, out in results] == [False, False, True]
    assert matches("(-0.19713..., 0.5...)", "(-0.19713714414975714, 0.529851848343165)\n")
    assert not matches("(-0.19713..., 0.6...)", "(-0.19713714414975714, 0.529851848343165)\n")


def test_continuation_lines_line_up_under_the_first() -> None:
    block = "print(1)  # 1\n# a remark, not output\nprint('x\\ny')  # x\n" + " " * 15 + "# y\n"
    assert [claimed for _, claimed, _ in run_block(block, {})] == ["1", "x\ny"]
