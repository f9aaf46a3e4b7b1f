"""The package's code stays small: no function over 60 lines or 15 branches.

Every module of the package is checked here; ruff checks the same with PLR0912 (branches) and
PLR0915 (statements) in pyproject.toml, and this test adds the line count (a function's lines
include its nested functions'). Branches are counted as ruff counts them: each if, elif and
else, each loop (and its else), each except, else and finally of a try, each case of a match;
nested functions are counted on their own.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "microgradnet"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES, MAX_BRANCHES = 60, 15

Function = ast.FunctionDef | ast.AsyncFunctionDef


def branches(body: list[ast.stmt]) -> int:
    """Branches in a block, as ruff's too-many-branches counts them (without recursion into
    nested functions: an explicit stack of blocks)."""
    count, stack = 0, [body]
    while stack:
        for stmt in stack.pop():
            if isinstance(stmt, ast.If):
                count += 1
                stack.append(stmt.body)
                orelse = stmt.orelse
                elif_ = len(orelse) == 1 and isinstance(orelse[0], ast.If)
                if elif_ and orelse[0].col_offset == stmt.col_offset:
                    stack.append(orelse)  # an elif: counted as the If it is
                elif orelse:
                    count += 1
                    stack.append(orelse)
            elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
                count += 1 + (1 if stmt.orelse else 0)
                stack += [stmt.body, stmt.orelse]
            elif isinstance(stmt, ast.Try):
                count += len(stmt.handlers) + bool(stmt.orelse) + bool(stmt.finalbody)
                stack += [stmt.body, stmt.orelse, stmt.finalbody, *(h.body for h in stmt.handlers)]
            elif isinstance(stmt, ast.Match):
                count += len(stmt.cases)
                stack += [case.body for case in stmt.cases]
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                stack.append(stmt.body)
    return count


def functions(path: Path) -> list[Function]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]


def test_the_counter_counts_as_ruff_does() -> None:
    source = """
def f(x):
    if x:
        pass
    elif x > 1:
        pass
    else:
        if x < 0:
            pass
    for _ in x:
        pass
    else:
        pass
    try:
        pass
    except ValueError:
        pass
    except TypeError:
        pass
    finally:
        pass
    with x:
        while x:
            pass
    def g():
        if x:
            pass
"""
    (f,) = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    # if, elif, else, nested if: 4; for and its else: 2; two excepts and finally: 3; while: 1
    assert branches(f.body) == 10


def test_no_function_over_60_lines_or_15_branches() -> None:
    assert len(MODULES) >= 40
    too_big = []
    for path in MODULES:
        for f in functions(path):
            lines = (f.end_lineno or f.lineno) - f.lineno + 1
            n = branches(f.body)
            if lines > MAX_LINES or n > MAX_BRANCHES:
                too_big.append(f"{path.name}:{f.lineno} {f.name}: {lines} lines, {n} branches")
    assert too_big == []
