"""The layout is the architecture: each top-level package has one job, the packages import one
another as a tree (benchmarks on launch, launch on measure, measure on nodes, nodes on protocol,
games and agents), and no module grows past 300 lines."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("protocol", "games", "agents", "nodes", "measure", "launch", "benchmarks")
# who may import whom (beyond itself): a layered order, so the graph cannot have a circle
ALLOWED = {
    "protocol": set(),
    "games": set(),
    "agents": set(),
    "nodes": {"protocol", "games", "agents"},
    "measure": {"nodes", "protocol", "games", "agents"},
    "launch": {"measure", "nodes", "protocol", "games", "agents"},
    "benchmarks": {"launch", "measure", "nodes", "protocol", "games", "agents"},
}
MAX_LINES = 300


def _modules():
    for pkg in PACKAGES:
        yield from sorted((ROOT / pkg).rglob("*.py"))


def _imported_packages(path: Path) -> set[str]:
    """Top-level project packages a module imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        # the project's packages live under one import namespace: stagger.<package>
        found |= {n.split(".")[1] for n in names
                  if n.startswith("stagger.") and n.split(".")[1] in PACKAGES}
        if isinstance(node, ast.ImportFrom) and node.module == "stagger":
            found |= {a.name for a in node.names if a.name in PACKAGES}
    return found


def package_graph() -> dict[str, set[str]]:
    graph = {p: set() for p in PACKAGES}
    for path in _modules():
        pkg = path.relative_to(ROOT).parts[0]
        graph[pkg] |= _imported_packages(path) - {pkg}
    return graph


def test_package_imports_follow_the_layers():
    graph = package_graph()
    wrong = {p: sorted(deps - ALLOWED[p]) for p, deps in graph.items() if deps - ALLOWED[p]}
    assert not wrong, f"imports against the layering (package -> forbidden imports): {wrong}"


def test_package_graph_has_no_cycle():
    graph = package_graph()
    state: dict[str, int] = {}

    def visit(p, stack):
        if state.get(p) == 1:
            raise AssertionError("import circle: " + " -> ".join(stack + [p]))
        if state.get(p) == 2:
            return
        state[p] = 1
        for q in sorted(graph[p]):
            visit(q, stack + [p])
        state[p] = 2

    for p in PACKAGES:
        visit(p, [])


def test_the_checker_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from stagger.launch.run import Supervisor\n    from stagger import games\n")
    assert _imported_packages(bad) == {"launch", "games"}


def test_no_module_over_300_lines():
    long = {str(p.relative_to(ROOT)): n for p in _modules()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_bench_is_reachable_from_the_cli_without_launch_importing_benchmarks():
    from click.testing import CliRunner

    from stagger.launch.cli import main
    res = CliRunner().invoke(main, ["bench", "--help"])
    assert res.exit_code == 0, res.output
    assert "scaling" in res.output and "learning" in res.output
