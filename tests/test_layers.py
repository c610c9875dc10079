"""The house: packages in layers (pyproject's import-linter contracts), no import cycles, lazy packages.

`lint-imports` runs in CI too; these tests also prove that the contract bites: a copy of adcli whose
core imports the CLI must fail it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from conftest import ROOT

LINT = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or shutil.which("lint-imports")


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    assert LINT, "lint-imports (import-linter, in the test extra) is not installed"
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run([LINT], cwd=where, capture_output=True, text=True, env=env, check=False)


def test_the_layers_contract_holds() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_a_lower_layer_importing_a_higher_one_fails(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "adcli", tmp_path / "adcli", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / "adcli" / "core" / "graph.py").open("a", encoding="utf-8") as f:
        f.write("\nfrom adcli.cli import app  # a layer violation, on purpose\n")
    done = lint(tmp_path)
    assert done.returncode != 0
    assert "adcli.core is not allowed to import adcli.cli" in done.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, with an explicit stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles_between_modules() -> None:
    graph = grimp.build_graph("adcli")  # type-checking imports included: a cycle of annotations is one too
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


@pytest.mark.parametrize("init", sorted((ROOT / "adcli").rglob("__init__.py")), ids=str)
def test_sub_packages_are_empty(init: Path) -> None:
    """Importing a layer costs nothing: start-up pays only for the modules a command uses."""
    if init.parent == ROOT / "adcli":
        return  # the top package: the lazy Python API (adcli.gradient, …), tested in test_api.py
    assert init.read_text(encoding="utf-8").strip() == ""


def test_no_prefix_named_siblings() -> None:
    """The folders say what a module is: no `render_*.py` beside `render.py`."""
    for folder in [p for p in (ROOT / "adcli").rglob("*") if p.is_dir() and p.name != "__pycache__"]:
        stems = [p.stem for p in folder.glob("*.py") if p.stem != "__init__"]
        prefixes = {s.split("_")[0] for s in stems if "_" in s}
        assert not prefixes & ({*stems} | {p.name for p in folder.iterdir() if p.is_dir()}), folder


def test_the_readme_module_map_matches_the_tree() -> None:
    """Every module is in README.md's map, by its path or by its name after a path in the same folder."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## How it works") : readme.index("## Development")]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named: set[str] = set()
    for row in rows:
        folder = ""
        for path in re.findall(r"`([\w/.]+\.py)`", row.split(" | ")[0]):
            if "/" in path:
                folder = path.rsplit("/", 1)[0]
            named.add(path if "/" in path else f"{folder}/{path}")
    modules = {
        str(p.relative_to(ROOT)) for p in (ROOT / "adcli").rglob("*.py") if p.name not in ("__init__.py", "__main__.py")
    }
    assert modules - named == set(), "modules missing from README's map"
    assert named - modules == set(), "README's map names files that do not exist"
