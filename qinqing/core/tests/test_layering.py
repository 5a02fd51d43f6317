"""No import cycles between the project's modules.

The graph is built from the source, without importing anything (no Django, no database): every
`.py` file under `qinqing/` is a module, and every `import` statement in it — at the top of the
module or inside a function, where a cycle is usually hidden — is an edge to the project module
it names. `from package import name` points at `package.name` when that is a module, else at
`package`. Importing a submodule also runs its package's `__init__`, but that is not counted as
an edge: a package that imports its own submodules is not a cycle.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]  # qinqing/

# Cycles that exist outside the scope of the change that added this test, to be removed by the
# change that breaks them (the test fails once a listed cycle is gone, so the list only shrinks).
KNOWN_CYCLES: list[set[str]] = []


def _modules(package: Path) -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package's __init__)."""
    found = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known) -> set:
    """The project modules one import statement names."""
    targets = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                targets.add(name)
        return targets
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    for alias in node.names:
        if f"{source}.{alias.name}" in known:
            targets.add(f"{source}.{alias.name}")
        elif source in known:
            targets.add(source)
    return targets


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = _modules(package)
    graph = {}
    for name, (path, is_package) in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _imported(node, name, is_package, modules)
        edges.discard(name)
        graph[name] = edges
    return graph


def _components(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def _cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One cycle through the component's first module, as the modules in import order."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & component):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    raise AssertionError("a strongly connected component without a cycle")


def import_cycles(package: Path = PACKAGE) -> list[list[str]]:
    graph = import_graph(package)
    return [_cycle(graph, component) for component in _components(graph)]


def test_no_import_cycle_between_the_projects_modules():
    cycles = [c for c in import_cycles(PACKAGE) if set(c) not in KNOWN_CYCLES]
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_known_cycles_still_exist():
    cycles = [set(c) for c in import_cycles(PACKAGE)]
    gone = [known for known in KNOWN_CYCLES if known not in cycles]
    assert not gone, f"no longer a cycle, remove it from KNOWN_CYCLES: {gone}"


def test_the_bidding_rules_stay_pure():
    """Each capability's law and maths (`qinqing/bidding/**/rules.py`) imports only the standard
    library and other rules modules: no Django, no models, nothing that reaches them."""
    graph = import_graph(PACKAGE)
    modules = _modules(PACKAGE)
    problems = []
    for name in sorted(graph):
        if not name.startswith("qinqing.bidding."):
            continue
        if name.rpartition(".")[2] != "rules":
            continue
        problems += [
            f"{name} imports {other}"
            for other in sorted(graph[name])
            if not other.endswith(".rules")
        ]
        tree = ast.parse(modules[name][0].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                top = [alias.name.partition(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                top = [(node.module or "").partition(".")[0]]
            else:
                continue
            problems += [
                f"{name} imports {t}"
                for t in top
                if t != "qinqing" and t not in sys.stdlib_module_names and t != "__future__"
            ]
    assert not problems, "\n".join(problems)


def test_the_graph_sees_imports_inside_functions(tmp_path):
    package = tmp_path / "qinqing"
    (package / "app").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "app" / "__init__.py").write_text("")
    (package / "app" / "a.py").write_text("from qinqing.app import b\n")
    (package / "app" / "b.py").write_text("def f():\n    from . import a\n")
    (package / "app" / "c.py").write_text("import qinqing.app.a\n")
    assert import_cycles(package) == [["qinqing.app.a", "qinqing.app.b", "qinqing.app.a"]]
