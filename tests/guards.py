"""A guard for the tests of user text: nothing may run while the text is handled."""

from __future__ import annotations

import ast
import builtins
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Executed(BaseException):
    """Raised by the guard; a BaseException so no `except Exception` can swallow it."""


# What argparse and Python's tokenizer import on their own (the tokenizer imports unicodedata to
# normalize non-ASCII names); all are loaded before the guard is set.
ALLOWED_IMPORTS = frozenset({"_io", "errno", "gettext", "locale", "re", "shutil", "textwrap"})
ALLOWED_IMPORTS |= {"unicodedata"}


@contextmanager
def nothing_runs(allowed_imports: frozenset[str] = ALLOWED_IMPORTS) -> Iterator[list[str]]:
    """Make eval, exec, compile-to-code, open, new imports and process spawning fail loudly;
    yields the list of what was attempted."""
    calls: list[str] = []
    real_compile, real_import = builtins.compile, builtins.__import__

    def guard(name: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise Executed(name)

        return refuse

    def guarded_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name not in allowed_imports or name not in sys.modules:
            calls.append(f"import {name}")
            raise Executed(f"import {name}")
        return real_import(name, *args, **kwargs)

    def ast_only_compile(source: Any, filename: Any, mode: str, flags: int = 0, **k: Any) -> Any:
        if not flags & ast.PyCF_ONLY_AST:
            calls.append("compile")
            raise Executed("compile")
        return real_compile(source, filename, mode, flags, **k)

    patches = [
        (builtins, "eval", guard("eval")),
        (builtins, "exec", guard("exec")),
        (builtins, "__import__", guarded_import),
        (builtins, "compile", ast_only_compile),
        (builtins, "open", guard("open")),
        (os, "system", guard("os.system")),
        (subprocess, "Popen", guard("subprocess.Popen")),
    ]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    try:
        for obj, name, replacement in patches:
            setattr(obj, name, replacement)
        yield calls
    finally:
        for obj, name, original in saved:
            setattr(obj, name, original)
