"""The layers of ARCHITECTURE.md, read from the imports of the code (function-level imports included).

engine (`lambda_src/`) ← release toolkit (`toolkit/`) ← local stand-ins (`toolkit/local/`), with the release
toolkit reaching the stand-ins only through `toolkit.target` (which opens the local target); drivers (`toolkit/drivers/`) sit on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SEAM = "toolkit.target"


def module_name(path: Path, source_root: Path) -> str:
    parts = list(path.relative_to(source_root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_under(source_root: Path, folder: str) -> dict[str, Path]:
    return {module_name(path, source_root): path for path in sorted((source_root / folder).rglob("*.py"))}


ENGINE = modules_under(REPO_ROOT / "lambda_src", "vectora_core") | {"handler": REPO_ROOT / "lambda_src" / "handler.py"}
TOOLKIT = modules_under(REPO_ROOT, "toolkit")


def imports_of(name: str, path: Path, *, top_level_only: bool = False) -> set[str]:
    """Every module `name` imports, absolute names, relative imports resolved; `from pkg import mod` counts mod."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in TOOLKIT)
    return found


def layer(module: str) -> str:
    if module.startswith("toolkit.local.") or module == "toolkit.local":
        return "local"
    if module.startswith("toolkit.drivers.") or module == "toolkit.drivers":
        return "drivers"
    return "release"


def toolkit_graph() -> dict[str, set[str]]:
    return {name: {m for m in imports_of(name, path) if m in TOOLKIT and m != name} for name, path in TOOLKIT.items()}


def test_the_engine_imports_nothing_of_the_toolkit():
    offending = {
        name: sorted(m for m in imports_of(name, path) if m.split(".")[0] in ("toolkit", "tasks", "tests"))
        for name, path in ENGINE.items()
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_release_toolkit_reaches_the_local_stand_ins_only_through_the_seam():
    offending = {
        name: sorted(m for m in targets if layer(m) == "local")
        for name, targets in toolkit_graph().items()
        if layer(name) == "release" and name != SEAM
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_seam_loads_the_local_stand_ins_only_when_called():
    at_import = imports_of(SEAM, TOOLKIT[SEAM], top_level_only=True)
    assert sorted(m for m in at_import if m.startswith("toolkit.local.") or m == "toolkit.local") == []


def test_only_drivers_import_drivers():
    offending = {
        name: sorted(m for m in targets if layer(m) == "drivers")
        for name, targets in toolkit_graph().items()
        if layer(name) != "drivers"
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_lambda_bootstrap_imports_nothing_of_the_project():
    # It runs as `python -I -S` beside the function's unpacked zip, where neither the toolkit nor the engine exists.
    name = "toolkit.local.lambda_bootstrap"
    found = imports_of(name, TOOLKIT[name])
    assert sorted(m for m in found if m.split(".")[0] in ("toolkit", "vectora_core", "handler")) == []


def test_no_toolkit_modules_import_each_other_in_a_cycle():
    graph = toolkit_graph()
    cycles: list[list[str]] = []
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert cycles == []
