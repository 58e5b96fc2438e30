"""Release modules never ask which target they run on: no reading of the env file's local fields, no stand-ins.

Read from the source (ast): `toolkit/*.py`, the drivers and `tasks/` may not read `env.emulator` (nor the local
services' ports and URL); `toolkit/*.py` and `tasks/` may not import `toolkit.local`. The environment's target
(`toolkit/target.py`) is where the kind is read, and `envfile.py` where it is parsed. The drivers and their tasks
may use the stand-ins (they demonstrate and measure the local target), and `tasks/local.py` is about the local
services themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# What only the target may read of an env file: its kind, and where the local services listen.
LOCAL_FIELDS = {"emulator", "emulator_url", "service_port", "local_services"}
ALLOWED_READS = {"toolkit/target.py", "toolkit/envfile.py", "tasks/local.py"}
ALLOWED_IMPORTS = ALLOWED_READS | {"tasks/drivers.py"}


def scanned_files() -> list[Path]:
    files = sorted((REPO_ROOT / "toolkit").glob("*.py")) + sorted((REPO_ROOT / "toolkit" / "drivers").glob("*.py"))
    return files + sorted((REPO_ROOT / "tasks").glob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


def package_of(name: str) -> str:
    """`toolkit/drivers/demo.py` → `toolkit.drivers` (what a relative import starts from)."""
    return ".".join(Path(name).parts[:-1])


def imported_modules(node: ast.AST, package: str) -> list[str]:
    """Absolute names an import statement brings in; `from pkg import name` counts `pkg.name` too."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    return [module] + [f"{module}.{alias.name}" for alias in node.names]


def is_local(module: str) -> bool:
    return module in ("toolkit.local", "toolkit.local_target") or module.startswith("toolkit.local.")


def boundary_breaches(name: str, source: str) -> list[str]:
    """`file:line what` for every local field read and (outside the drivers) every stand-in import of `source`,
    the file at `name` (relative to the repository)."""
    package = package_of(name)
    may_import_local = name in ALLOWED_IMPORTS or name.startswith("toolkit/drivers/")
    breaches = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in LOCAL_FIELDS and name not in ALLOWED_READS:
            breaches.append(f"{name}:{node.lineno} reads .{node.attr}")
        if not may_import_local:
            for module in imported_modules(node, package):
                if is_local(module):
                    breaches.append(f"{name}:{node.lineno} imports {module}")
                    break
    return breaches


def test_no_release_module_reads_the_environment_kind_or_imports_the_stand_ins():
    breaches = [
        breach for path in scanned_files() for breach in boundary_breaches(relative(path), path.read_text("utf-8"))
    ]

    assert breaches == [], "ask the target (toolkit.target.open_target) instead:\n" + "\n".join(breaches)


def test_the_boundary_check_sees_a_read_and_an_import_and_names_the_line():
    source = "from .local.services import ensure_services\n\n\ndef f(env):\n    return env.emulator\n"
    in_a_driver = (
        "from ..local.services import ensure_services\nfrom toolkit import local_target\nport = env.service_port('x')\n"
    )

    assert sorted(boundary_breaches("toolkit/probe.py", source)) == [
        "toolkit/probe.py:1 imports toolkit.local.services",
        "toolkit/probe.py:5 reads .emulator",
    ]
    assert boundary_breaches("tasks/probe.py", "from toolkit import local\n") == [
        "tasks/probe.py:1 imports toolkit.local"
    ]
    assert boundary_breaches("toolkit/drivers/probe.py", in_a_driver) == [
        "toolkit/drivers/probe.py:3 reads .service_port"
    ]
    assert boundary_breaches("toolkit/target.py", source) == []  # the seam: it opens the local target


def test_the_scan_covers_the_release_modules_the_drivers_and_the_tasks():
    names = {relative(path) for path in scanned_files()}

    assert {"toolkit/deploy.py", "toolkit/terraform.py", "toolkit/drivers/demo.py", "tasks/release.py"} <= names
    assert not any(name.startswith("toolkit/local/") for name in names)
