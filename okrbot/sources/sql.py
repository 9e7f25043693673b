"""A SQL source: the database URL from the environment variable the admin named, and a
query that returns one number (read by `okrbot.store.external`, read-only, time-limited)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from okrbot.domain.sources import SourceProblem
from okrbot.store import external


async def read(config: Mapping[str, Any], environ: Mapping[str, str], *, seconds: float) -> float:
    env = str(config.get("env", ""))
    url = environ.get(env, "").strip()
    if not url:
        raise SourceProblem("env_unset", name=env)
    return await external.read_number(url, str(config.get("query", "")), seconds)
