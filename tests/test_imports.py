"""The import graph of ``imagine_bench``: no module imports itself back through others (no import circle), imports
inside functions included, so that each layer (levels and seeding, domains, data, imagination, evaluation, runner)
only builds on the ones below it."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = "imagine_bench"


def module_names() -> dict[str, Path]:
    names = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package that ``module`` imports anywhere in its body, functions included (``if TYPE_CHECKING:``
    blocks excepted: they never run)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    # A module's own parent packages are initialised before it runs: importing names from them is no edge.
    return {name for name in found if name in modules and name != module and name not in ancestors}


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules (first == last), or ``None``."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := dfs(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := dfs(start)):
            return cycle
    return None


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "imagine_bench.data" in graph["imagine_bench.env"]  # ``get_dataset`` imports it when called
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_data_layer_knows_no_imagination_backend():
    graph = import_graph()
    for module, targets in graph.items():
        if module.startswith(f"{PACKAGE}.data"):
            assert not {t for t in targets if t.startswith(f"{PACKAGE}.imagination")}, module


def test_domains_build_only_on_the_bottom_layer():
    allowed = (f"{PACKAGE}.domains", f"{PACKAGE}.levels", f"{PACKAGE}.seeding", f"{PACKAGE}.rendering")
    for module, targets in import_graph().items():
        if module.startswith(f"{PACKAGE}.domains"):
            assert all(t.startswith(allowed) for t in targets), (module, sorted(targets))
