"""SQL stays in okrbot/store: every other module reaches the database only through the
unit of work and its repositories, never through SQLAlchemy itself (the wiring may name the
engine's type)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The wiring (bootstrap.py, cli.py) holds the engine it makes: it may name its type.
WIRING = {"okrbot/bootstrap.py", "okrbot/cli.py"}


def sqlalchemy_imports(source: str) -> list[str]:
    """Modules of SQLAlchemy (or SQL stores built on it, such as slack_sdk's) that the code
    imports, wherever the import is: at the top, in a function, under TYPE_CHECKING."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        else:
            continue
        found += [name for name in names if "sqlalchemy" in name.split(".")]
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sqlalchemy", ["sqlalchemy"]),
        ("import sqlalchemy.exc as errors", ["sqlalchemy.exc"]),
        ("from sqlalchemy.exc import IntegrityError", ["sqlalchemy.exc"]),
        (
            "def f():\n    from sqlalchemy import select\n    return select",
            ["sqlalchemy"],
        ),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from sqlalchemy.ext.asyncio import AsyncEngine",
            ["sqlalchemy.ext.asyncio"],
        ),
        (
            "from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore",
            ["slack_sdk.oauth.state_store.sqlalchemy"],
        ),
        ("from okrbot.store.uow import UnitOfWork\nimport sqlalchemy_utils", []),
        ("from . import sqlalchemy", []),
    ],
)
def test_the_check_sees_every_form_of_import(source: str, expected: list[str]) -> None:
    assert sqlalchemy_imports(source) == expected


def test_no_module_outside_the_store_imports_sqlalchemy() -> None:
    modules = [
        path
        for path in (ROOT / "okrbot").rglob("*.py")
        if not path.relative_to(ROOT).is_relative_to("okrbot/store")
        and str(path.relative_to(ROOT)) not in WIRING
    ]
    assert len(modules) > 100
    offenders = {
        str(path.relative_to(ROOT)): imported
        for path in modules
        if (imported := sqlalchemy_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
