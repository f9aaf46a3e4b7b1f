"""The package surface: every exported name exists and is documented; imports stay light."""

from __future__ import annotations

import inspect
import subprocess
import sys

import microgradnet


def test_every_exported_name_exists_and_has_a_docstring() -> None:
    undocumented = []
    for name in microgradnet.__all__:
        obj = getattr(microgradnet, name)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and not inspect.getdoc(obj):
            undocumented.append(name)
        if inspect.isclass(obj):
            undocumented += [
                f"{name}.{attr}"
                for attr, member in vars(obj).items()
                if inspect.isfunction(member)
                and not attr.startswith("_")
                and not inspect.getdoc(member)
            ]
    assert undocumented == []


def test_importing_the_package_leaves_the_optional_dependencies_alone() -> None:
    optional = ("sklearn", "tqdm", "matplotlib", "ipywidgets")
    code = f"import sys, microgradnet; print(sorted(m for m in {optional} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
