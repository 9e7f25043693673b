from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from okrbot.sandbox.harness import FrozenClock, Sandbox
from okrbot.store import schema

# Wednesday in the middle of 2026-Q4; Oslo is UTC+1.
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test copies the file instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "okrbot.db"
    schema.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: Path) -> str:
    path = tmp_path / "okrbot.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def box(database_url: str, clock: FrozenClock) -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(database_url, clock=clock)
    async with sandbox:
        yield sandbox
        assert sandbox.fake.violations == [], "the app sent something Slack refuses"


@pytest.fixture
async def org_box(box: Sandbox) -> Sandbox:
    """The sandbox with the standard org chart imported."""
    await box.import_org()
    return box
