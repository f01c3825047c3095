"""The layers of docs/architecture.md hold: the import-linter contracts in pyproject.toml pass,
no two prowtui modules import each other in a circle, and every top-level module has a floor.

Imports inside functions and under ``TYPE_CHECKING`` count: grimp reads every import
statement of a module, wherever it is.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = REPO / "pyproject.toml"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """The imports between prowtui's modules (external packages left out)."""
    return grimp.build_graph("prowtui", include_external_packages=False, cache_dir=None)


def test_the_import_contracts_hold() -> None:
    """``lint-imports`` as a contributor runs it (a fresh process: it configures logging and
    ``sys.path`` for itself)."""
    run = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    result = subprocess.run(
        [sys.executable, "-c", run, "--no-cache", "--no-logo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"an import breaks the layers (`lint-imports` says):\n{result.stdout}{result.stderr}"
    )


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of modules (Tarjan), each one a circle of imports."""
    imports = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in imports[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in imports[module]:
                groups.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(imports) + 100))
    try:
        for module in sorted(imports):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return groups


def describe_cycle(graph: grimp.ImportGraph, group: list[str]) -> str:
    """Each import inside ``group``, with the line that makes it."""
    members = set(group)
    lines = [f"  {' <-> '.join(group)}:"]
    for importer in group:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(
                    f"    {importer} -> {imported} (line {detail['line_number']}: "
                    f"{detail['line_contents']})"
                )
    return "\n".join(lines)


def test_no_prowtui_modules_import_each_other_in_a_circle(graph: grimp.ImportGraph) -> None:
    cycles = import_cycles(graph)
    assert not cycles, (
        "import circles (break them with a message, a Protocol, or by moving the shared piece "
        "down a floor):\n" + "\n".join(describe_cycle(graph, group) for group in cycles)
    )


def test_the_cycle_finder_sees_a_circle() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b", line_number=1, line_contents="import b")
    graph.add_import(importer="pkg.b", imported="pkg.a", line_number=2, line_contents="import a")
    graph.add_import(importer="pkg.c", imported="pkg.a", line_number=3, line_contents="import a")
    assert import_cycles(graph) == [["pkg.a", "pkg.b"]]
    assert "pkg.a -> pkg.b (line 1: import b)" in describe_cycle(graph, ["pkg.a", "pkg.b"])


def test_every_top_level_module_has_a_floor(graph: grimp.ImportGraph) -> None:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    placed = {
        name.strip().strip("()") for layer in layers for name in layer.replace(":", "|").split("|")
    }
    top_level = {m for m in graph.modules if m.count(".") == 1}
    missing = sorted(top_level - placed - {"prowtui.__main__"})
    assert not missing, (
        f"not on any floor of the layers contract in pyproject.toml: {', '.join(missing)} "
        "(add each where it belongs, see docs/architecture.md)"
    )
