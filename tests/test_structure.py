"""The package's structure, as CONTRIBUTING.md describes it: layers with imports pointing one way,
no module reading another's private names, and an import of the package that loads neither the
drawings nor Graphviz. (Function size is ruff's: PLR0912 and PLR0915 in pyproject.toml.)"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "microgradnet"
SHARED = {"_args", "_format", "_files", "_tree"}  # helpers shared on purpose
FACADES = {"__init__", "__main__", "autodiff", "compile"}  # lazy facade, entry, old names
HOOKS = {("engine", "viz"): "Value.draw draws the graph below a Value"}


def layers() -> list[str]:
    """The modules in CONTRIBUTING.md's order: each may import only those listed before it."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## The layers", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- \*\*`?([\w.]+)`?\*\*", section, re.MULTILINE)


def units() -> dict[str, list[Path]]:
    """Each module, or package (a folder), of microgradnet with its files."""
    out: dict[str, list[Path]] = {p.stem: [p] for p in PACKAGE.glob("*.py")}
    for folder in PACKAGE.iterdir():
        if folder.is_dir() and (folder / "__init__.py").exists():
            out[folder.name] = sorted(folder.rglob("*.py"))
    return out


def imports(path: Path, unit: str) -> list[tuple[str, ast.ImportFrom, bool]]:
    """(imported unit, node, inside a module __getattr__) for each relative import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lazy_alias: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            lazy_alias |= {id(n) for n in ast.walk(node)}
    found = []
    depth_to_package = len(path.relative_to(PACKAGE).parts) - 1
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.level - 1 < depth_to_package:  # inside a sub-package: its own modules
                continue
            names = [node.module] if node.module else [a.name for a in node.names]
            for name in names:
                found.append((name.split(".")[0], node, id(node) in lazy_alias))
    return found


def test_contributing_lists_every_module_once() -> None:
    listed = layers()
    assert len(listed) == len(set(listed))
    assert set(listed) == set(units()) - FACADES - SHARED


def test_imports_point_down_the_layers() -> None:
    order = {name: k for k, name in enumerate(layers())}
    wrong = []
    for unit, paths in units().items():
        if unit in FACADES or unit in SHARED:
            continue
        for path in paths:
            for target, node, deprecated_alias in imports(path, unit):
                if target in SHARED or target == unit or deprecated_alias:
                    continue
                if order.get(target, -1) >= order[unit] and (unit, target) not in HOOKS:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {target}")
    assert wrong == []


def test_shared_helpers_import_nothing_of_the_package() -> None:
    for unit in SHARED:
        assert imports(PACKAGE / f"{unit}.py", unit) == []


def private_attributes() -> dict[str, str]:
    """Private attribute names (``_a``, ``_mark``, ...) by the unit whose classes define them."""
    owner: dict[str, str] = {}
    for unit, paths in units().items():
        for path in paths:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names: list[str] = []
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets
                ):
                    names = [
                        c.value
                        for c in ast.walk(node.value)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    ]
                elif (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.ctx, ast.Store)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "self"
                ):
                    names = [node.attr]
                for name in names:
                    if name.startswith("_") and not name.startswith("__"):
                        owner.setdefault(name, unit)
    return owner


def test_no_module_reads_another_modules_private_names() -> None:
    owner = private_attributes()
    modules = set(units())
    wrong = []
    for unit, paths in units().items():
        if unit in FACADES:
            continue
        for path in paths:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.ImportFrom) and node.level and node.module:
                    source = node.module.split(".")[0]
                    for alias in node.names:
                        private = alias.name.startswith("_") and source not in SHARED
                        if private and source != unit and source in modules:
                            wrong.append(f"{where} imports {source}.{alias.name}")
                if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                    if node.attr.startswith("__"):
                        continue
                    home = owner.get(node.attr)
                    base = node.value.id if isinstance(node.value, ast.Name) else ""
                    if base in modules and base != unit and base not in SHARED:
                        wrong.append(f"{where} reads {base}.{node.attr}")
                    elif home is not None and home != unit:
                        wrong.append(f"{where} reads {node.attr}, private to {home}")
    assert wrong == []


def test_importing_the_package_or_the_engine_loads_neither_drawings_nor_graphviz() -> None:
    for statement in ("import microgradnet", "import microgradnet.engine"):
        loaded = "sorted(m for m in sys.modules if 'viz' in m or m.startswith('graphviz'))"
        code = f"{statement}; import sys; print({loaded})"
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == "[]", statement
        timed = re.findall(r"\|\s+(\S+)\n", out.stderr)  # -X importtime: every import
        assert timed and not [m for m in timed if m.startswith(("graphviz", "microgradnet.viz"))]


def test_the_package_ships_its_type_marker() -> None:
    assert (PACKAGE / "py.typed").exists()
