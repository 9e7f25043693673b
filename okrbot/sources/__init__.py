"""Reading key results' values from where they live: an HTTP JSON document or a SQL query.

`read` takes what a source's config says and returns one number or raises `SourceProblem`
(`okrbot.domain.sources`). Secrets come from the environment, at the moment of reading.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from okrbot.domain.sources import TIMEOUT_SECONDS, Kind, SourceProblem
from okrbot.sources import http, sql


async def read(
    kind: str,
    config: Mapping[str, Any],
    *,
    allow_private: bool,
    environ: Mapping[str, str] | None = None,
    seconds: float = TIMEOUT_SECONDS,
) -> float:
    env = os.environ if environ is None else environ
    if kind == Kind.HTTP:
        return await http.read(config, env, allow_private=allow_private, seconds=seconds)
    if kind == Kind.SQL:
        return await sql.read(config, env, seconds=seconds)
    raise SourceProblem("unknown_kind", kind=kind)
