"""The layers, read from the source: no cycle between okrbot's packages, and a domain that
does no I/O.

A package is okrbot's first level: `okrbot/store/...` is `store`, `okrbot/cli.py` is `cli`.
Every import counts, at module level (under TYPE_CHECKING too) and inside functions: one
that is only deferred to break an import cycle still ties the two packages together.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "okrbot"

# What the domain must not use: Slack, the database, HTTP, the event loop, processes.
DOMAIN_FORBIDDEN = frozenset(
    {
        "aiohttp",
        "aiosqlite",
        "alembic",
        "apscheduler",
        "asyncio",
        "asyncpg",
        "http",
        "pydantic",
        "pydantic_settings",
        "requests",
        "selectors",
        "slack_bolt",
        "slack_sdk",
        "socket",
        "sqlalchemy",
        "ssl",
        "subprocess",
        "urllib",
    }
)


@dataclass(frozen=True)
class Import:
    module: str  # the imported module, absolute ("okrbot.store.uow", "sqlalchemy")
    path: Path
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[Import]:
    module = _module_name(path)
    # What a relative import is relative to: the package itself for an __init__.
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, path, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                parent = ".".join(base + ([node.module] if node.module else []))
            else:
                parent = node.module or ""
            for alias in node.names:
                # `from okrbot import logs` imports the module okrbot.logs.
                yield Import(
                    f"{parent}.{alias.name}" if parent == "okrbot" else parent, path, node.lineno
                )


def _package(module: str) -> str | None:
    """okrbot's first level that `module` is in, or None for anything else."""
    parts = module.split(".")
    if parts[0] != "okrbot" or len(parts) < 2:
        return None
    return parts[1]


def package_graph(root: Path = PACKAGE_ROOT) -> dict[str, dict[str, Import]]:
    """For each package, the packages it imports, each with one import that does."""
    graph: dict[str, dict[str, Import]] = {}
    for path in sorted(root.rglob("*.py")):
        source = _package(_module_name(path))
        if source is None:
            continue
        edges = graph.setdefault(source, {})
        for imported in _imports(path):
            target = _package(imported.module)
            if target is not None and target != source:
                edges.setdefault(target, imported)
    return graph


def find_cycle(graph: Mapping[str, Mapping[str, object]]) -> list[str] | None:
    """One cycle of the graph, as the packages along it (the first one again at the end),
    or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph.get(node, {})):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for node in sorted(graph):
        if node not in done:
            cycle = visit(node)
            if cycle is not None:
                return cycle
    return None


def _where(imported: Import) -> str:
    return f"{imported.path.relative_to(PACKAGE_ROOT.parent)}:{imported.line}"


def test_the_graph_sees_imports_inside_functions_and_type_checking() -> None:
    graph = package_graph()
    # cli imports most of the app inside its command functions, only when a command runs.
    assert {"bootstrap", "sandbox", "store"} <= set(graph["cli"])
    # background paces the work through okrbot.pacing, which imports nothing of okrbot.
    assert set(graph["background"]) == {"pacing"}
    assert "pacing" not in graph or graph["pacing"] == {}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {}}) is None
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"b": 1}}) == ["b", "c", "b"]
    assert find_cycle({"a": {"a": 1}}) == ["a", "a"]


def test_no_cycle_between_packages() -> None:
    graph = package_graph()
    cycle = find_cycle(graph)
    if cycle is not None:
        steps = [
            f"{source} -> {target} ({_where(graph[source][target])})"
            for source, target in itertools.pairwise(cycle)
        ]
        raise AssertionError("import cycle between packages: " + "; ".join(steps))


def test_domain_does_no_io_and_knows_no_other_package() -> None:
    wrong = []
    for path in sorted((PACKAGE_ROOT / "domain").rglob("*.py")):
        for imported in _imports(path):
            top = imported.module.split(".")[0]
            if top in DOMAIN_FORBIDDEN or (
                top == "okrbot" and _package(imported.module) != "domain"
            ):
                wrong.append(f"{_where(imported)} imports {imported.module}")
    assert wrong == []


def test_the_modules_everything_may_use_import_nothing_of_okrbot() -> None:
    # okrbot.pacing: the hooks the store and the Slack gateway call; okrbot.slack.limits:
    # Slack's limits, for the builders and the stand-in Slack.
    for path in (PACKAGE_ROOT / "pacing.py", PACKAGE_ROOT / "slack" / "limits.py"):
        okrbot_imports = [i.module for i in _imports(path) if i.module.startswith("okrbot")]
        assert okrbot_imports == [], path
    assert list(_imports(PACKAGE_ROOT / "slack" / "limits.py")) == []
