"""The import rules of the house (docs/architecture.md): imports point one way, never in a circle.

- No circle between modules, counting every import (at the top of a module or inside a function).
- Each package imports only packages of a lower layer (LAYERS) or the ones it is allowed beside them (ALLOWED).
- `config` (the Django project) is imported by no module of ours but its own tests: manage.py, the ASGI
  server, Celery and the launcher name it in DJANGO_SETTINGS_MODULE and ROOT_URLCONF instead.
- `bench/` and `tests/` do not import each other (tests/bench/, the tests of bench itself, aside); what both
  need lives in `testbed/`.

`python scripts/import_rules.py` prints each breach and exits 1 if there is one (tests/test_house_rules.py runs it).
"""

import ast
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first: a package may import the packages of lower layers only.
LAYERS = [
    {"core", "yolo_triton"},  # no app of ours below them
    {"accounts"},
    {"catalog"},
    {"streams"},
    {"analytics"},
    {"events"},
    {"outputs"},  # players' outputs: viewing tokens, MJPEG, the still image
    {"workers"},
    {"stack"},  # the launcher: starts every process, uses the workers' process helpers
    {"dashboard"},  # the shared pages (its bootstrap command checks the assets with the launcher's helper)
    {"testbed"},  # real components started for tests and benchmarks
    {"config", "bench", "scripts", "deploy"},  # entry points: the Django project, benchmarks, scripts
    {"tests"},
]
LAYER_OF = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}
# The deprecated alias of the production settings (dashboard/settings_production.py) names config on purpose.
ALLOWED = {("dashboard.settings_production", "config")}
# The same files the size rules read (tracked and untracked-not-ignored Python, migrations aside).
python_files = runpy.run_path(str(Path(__file__).with_name("house_rules.py")))["python_files"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `path` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in python_files()}
    known = set(files)
    return {name: imports_of(path, known) - {name} for name, path in files.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10000)
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _package(module: str) -> str:
    return module.split(".")[0]


def wrong_way(edges: dict[str, set[str]]) -> list[str]:
    found = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            low, high = _package(source), _package(target)
            if low == high or (source, high) in ALLOWED:
                continue
            if low == "tests" and high == "bench" and source.startswith("tests.bench."):
                continue
            if (high == "config" and low != "tests") or (low, high) in {("tests", "bench"), ("bench", "tests")}:
                found.append(f"{source} imports {target}")
            elif LAYER_OF.get(high, -1) >= LAYER_OF.get(low, 99):
                found.append(f"{source} imports {target} (upward: {high} is not below {low})")
    return found


def breaches() -> list[str]:
    edges = graph()
    return [f"circle: {' <-> '.join(group)}" for group in circles(edges)] + wrong_way(edges)


def main() -> int:
    found = breaches()
    print("\n".join(found) or "import rules: no circle, nothing imported upward")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
