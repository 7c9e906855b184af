"""No import cycles inside `app/`: every module can be read, and imported, after the ones it needs.

A cycle hidden by an import inside a function still ties two modules together (neither can change or be
tested alone, and which one loads first decides whether the program starts), so function-level imports
count. Imports under `if TYPE_CHECKING:` do not: they never run, and annotations are all they serve.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "src" / "leadorch"
APP = "leadorch.app"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def _is_type_checking_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` outside `if TYPE_CHECKING:` blocks (their `else:` runs, so it counts)."""
    found: list[ast.AST] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        if _is_type_checking_block(node):
            assert isinstance(node, ast.If)
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


def runtime_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The `leadorch` modules that importing `name` runs, directly (including parent packages)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in modules else source)
    resolved: set[str] = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        while target.startswith("leadorch"):  # importing a.b.c runs a/__init__ and a/b/__init__ too
            if target != name:
                resolved.add(target)
            target = target.rpartition(".")[0]
    return resolved


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            if children:
                child = children.pop()
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(graph.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def app_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {
        name: {target for target in runtime_imports(name, path, modules) if target.startswith(APP)}
        for name, path in modules.items()
        if name.startswith(APP)
    }


def test_no_module_of_app_is_part_of_an_import_cycle() -> None:
    cycles = import_cycles(app_graph())
    assert cycles == [], "import cycles inside app/ (function-level imports count):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    one = "from leadorch.app import two\n"
    two = "def later():\n    from leadorch.app import one\n"
    modules = {"leadorch.app.one": tmp_path / "one.py", "leadorch.app.two": tmp_path / "two.py"}
    modules["leadorch.app.one"].write_text(one)
    modules["leadorch.app.two"].write_text(two)
    graph = {name: runtime_imports(name, path, modules) for name, path in modules.items()}

    assert import_cycles(graph) == [["leadorch.app.one", "leadorch.app.two"]]


def test_an_import_for_type_checking_only_makes_no_cycle(tmp_path: Path) -> None:
    one = "from leadorch.app import two\n"
    two = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from leadorch.app import one\n"
    modules = {"leadorch.app.one": tmp_path / "one.py", "leadorch.app.two": tmp_path / "two.py"}
    modules["leadorch.app.one"].write_text(one)
    modules["leadorch.app.two"].write_text(two)
    graph = {name: runtime_imports(name, path, modules) for name, path in modules.items()}

    assert import_cycles(graph) == []
