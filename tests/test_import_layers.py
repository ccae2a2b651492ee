"""The package's imports go one way: no circle among the top-level imports of ``tinygrad_bn``.

A module's top-level imports are the ``import`` and ``from`` statements that run when it is
imported: at module level, in its ``if``/``try`` blocks and class bodies, but not inside
functions (a lazy import, which must say why it looks upward) nor under ``if TYPE_CHECKING:``.
Importing ``a.b.c`` first runs the ``__init__`` of the package ``a.b``, so that package counts as
imported too, unless it encloses the importer (it is then already being imported). The
layers, from the ground up: dtypes and shapes, the autograd core, ops, the tensor, nn, optim and
data, viz and the jit, the package face.
"""

import ast
from collections import deque
from pathlib import Path

import tinygrad_bn

PACKAGE = Path(tinygrad_bn.__file__).parent


def module_files(root):
    """``{dotted name: path}`` for every module of the package at ``root`` (a package is named
    by its ``__init__.py``)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def top_level_imports(tree, name, is_package):
    """The modules that the statements of ``tree`` (the module ``name``) import when it is
    imported, as ``(module, names)`` pairs: ``from m import a, b`` gives ``(m, ("a", "b"))``,
    ``import m`` gives ``(m, ())``. Relative imports are resolved."""
    package = name if is_package else name.rpartition(".")[0]
    found = []
    pending = list(tree.body)
    while pending:
        statement = pending.pop(0)
        if isinstance(statement, ast.Import):
            found += [(alias.name, ()) for alias in statement.names]
        elif isinstance(statement, ast.ImportFrom):
            base = statement.module or ""
            if statement.level:
                anchor = package.split(".")[:len(package.split(".")) - statement.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, tuple(alias.name for alias in statement.names)))
        elif isinstance(statement, ast.If) and _is_type_checking(statement.test):
            pending += statement.orelse
        elif isinstance(statement, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody"):
                pending += getattr(statement, field, [])
            for handler in getattr(statement, "handlers", []):
                pending += handler.body
        elif isinstance(statement, ast.ClassDef):  # a class body runs at import time
            pending += statement.body
    return found


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_graph(files):
    """``{module: set of modules of the same package it imports at top level}`` for the
    modules in ``files`` (``{dotted name: path}``).

    ``from m import a`` imports the module ``m.a`` if there is one, else the name ``a`` of
    ``m``; either way the packages above the module run first, except those that enclose the
    importer (they are being imported already)."""
    graph = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        reached = set()
        for module, names in top_level_imports(ast.parse(path.read_text()), name, is_package):
            submodules = {f"{module}.{n}" for n in names if f"{module}.{n}" in files}
            names_of_module = len(submodules) < len(names) or not names
            targets = submodules | ({module} if names_of_module else set())
            for target in targets & files.keys():
                reached.add(target)
                parts = target.split(".")
                for length in range(1, len(parts)):  # the packages that run before it
                    package = ".".join(parts[:length])
                    if package in files and not (name + ".").startswith(package + "."):
                        reached.add(package)
        reached.discard(name)
        graph[name] = reached
    return graph


def circles(graph):
    """One circle spelled out (``[a, b, c, a]``) for each group of modules that import each
    other, found as the strongly connected components of ``graph`` (Tarjan's algorithm,
    iterative)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in graph.get(node, ()):
                        groups.append(group)
    return [_shortest_circle(graph, group) for group in groups]


def _shortest_circle(graph, group):
    """The shortest way from the group's first module back to itself, inside the group."""
    start = min(group)
    came_from = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph[node] & group):
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1] + [start]
            if successor not in came_from:
                came_from[successor] = node
                queue.append(successor)
    raise AssertionError(f"no circle through {start}")  # a component always has one


def test_the_top_level_imports_of_tinygrad_bn_form_no_circle():
    found = circles(import_graph(module_files(PACKAGE)))
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_checker_spells_out_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert sorted(circles(graph)) == [["a", "b", "c", "a"], ["e", "e"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_checker_reads_imports_as_python_runs_them(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from . import low\nfrom .sub import high\n")
    (package / "low.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .sub import high\n"
        "def later():\n    from .sub import high  # lazy: no edge\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "high.py").write_text("from .. import low\nfrom ..low import later\n")
    (package / "sub" / "mid.py").write_text("from . import high\n")
    graph = import_graph(module_files(package))
    assert graph == {"pkg": {"pkg.low", "pkg.sub", "pkg.sub.high"}, "pkg.low": set(),
                     "pkg.sub": set(), "pkg.sub.high": {"pkg.low"}, "pkg.sub.mid": {"pkg.sub.high"}}
    assert circles(graph) == []

    (package / "low.py").write_text("import pkg.sub.mid\n")  # runs pkg.sub's __init__ first
    (package / "sub" / "__init__.py").write_text("from .high import later\n")
    assert circles(import_graph(module_files(package))) == [
        ["pkg.low", "pkg.sub", "pkg.sub.high", "pkg.low"]]

    (package / "low.py").write_text("")
    (package / "sub" / "__init__.py").write_text("X = 1\nfrom .mid import high\n")
    (package / "sub" / "mid.py").write_text("from . import X\n")  # a name of its own package
    assert circles(import_graph(module_files(package))) == [["pkg.sub", "pkg.sub.mid", "pkg.sub"]]
