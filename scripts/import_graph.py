"""Print Rat Park's app-level import graph: edges, mutual pairs and function-level imports.

Run from the repository root: ``.venv/bin/python scripts/import_graph.py``. It counts direct
imports between the apps (as packages, with grimp, the library import-linter is built on), the
pairs that import each other, and the cross-app imports written inside a function body (the
usual way round an import-time cycle), so the layering can be measured before and after.
"""

from __future__ import annotations

import ast
import pathlib
import sys

import grimp

APPS = [
    "recovery",
    "accounts",
    "notifications",
    "network",
    "checkins",
    "nudges",
    "clinic",
    "demo",
]


def present(apps: list[str]) -> list[str]:
    return [app for app in apps if pathlib.Path(app, "__init__.py").exists()]


def function_level_imports(apps: list[str]) -> list[str]:
    """Cross-app imports inside a function body, outside migrations and tests."""
    found = []
    for app in apps:
        for path in sorted(pathlib.Path(app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), str(path))
            for func in ast.walk(tree):
                if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(func):
                    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                        names = [node.module]
                    elif isinstance(node, ast.Import):
                        names = [alias.name for alias in node.names]
                    else:
                        continue
                    for name in names:
                        top = name.split(".")[0]
                        if top in apps and top != app:
                            found.append(f"{path}:{node.lineno}: {name}")
    return sorted(set(found))


def main() -> int:
    apps = present(APPS)
    sys.path.insert(0, ".")
    graph = grimp.build_graph(*apps, include_external_packages=False)
    edges = set()
    for importer in apps:
        for imported in apps:
            if importer != imported and graph.direct_import_exists(
                importer=importer, imported=imported, as_packages=True
            ):
                edges.add((importer, imported))
    mutual = sorted({tuple(sorted(edge)) for edge in edges if edge[::-1] in edges})
    print(f"apps: {', '.join(apps)}")
    print(f"app-level import edges: {len(edges)}")
    for importer, imported in sorted(edges):
        print(f"  {importer} -> {imported}")
    print(f"mutual pairs: {len(mutual)}")
    for a, b in mutual:
        print(f"  {a} <-> {b}")
    inner = function_level_imports(apps)
    print(f"cross-app imports inside functions: {len(inner)}")
    for line in inner:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
