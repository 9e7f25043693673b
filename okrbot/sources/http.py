"""An HTTP JSON source: GET the URL, find the number at the JSON pointer.

At most 1 MB, 10 seconds, no redirects. Unless OKRBOT_ALLOW_PRIVATE_SOURCES is on, the
host's every address must be a public one: checked before connecting, and again by the
resolver the connection uses, so a name that changes its answer in between gains nothing.
Cloud metadata services are refused whatever the setting.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Mapping
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from okrbot.domain.sources import (
    HTTP_MAX_BYTES,
    SourceProblem,
    address_refused,
    as_number,
    metadata_host,
    resolve_pointer,
)


def _is_address(host: str) -> bool:
    try:
        ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def check_addresses(host: str, addresses: list[str], *, allow_private: bool) -> None:
    if metadata_host(host, addresses):
        raise SourceProblem("metadata_refused", host=host)
    if not allow_private and any(address_refused(a) for a in addresses):
        raise SourceProblem("private_refused", host=host)


class CheckedResolver(AbstractResolver):
    """Resolves as aiohttp would, then refuses what the rules refuse."""

    def __init__(self, *, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        check_addresses(host, [r["host"] for r in found], allow_private=self._allow_private)
        return found

    async def close(self) -> None:
        await self._inner.close()


async def host_addresses(host: str, port: int) -> list[str]:
    if _is_address(host):
        return [host]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise SourceProblem("no_such_host", host=host) from None
    return sorted({str(info[4][0]) for info in infos})


async def read(
    config: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    allow_private: bool,
    seconds: float,
) -> float:
    url = str(config.get("url", ""))
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise SourceProblem("bad_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise SourceProblem("bad_url") from None
    headers = {"Accept": "application/json"}
    header = config.get("header")
    if isinstance(header, Mapping):
        env = str(header.get("env", ""))
        secret = environ.get(env)
        if not secret:
            raise SourceProblem("env_unset", name=env)
        headers[str(header.get("name"))] = secret
    if metadata_host(host):
        raise SourceProblem("metadata_refused", host=host)
    check_addresses(host, await host_addresses(host, port), allow_private=allow_private)
    connector = aiohttp.TCPConnector(resolver=CheckedResolver(allow_private=allow_private))
    try:
        async with (
            aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=seconds)
            ) as session,
            session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise SourceProblem("http_status", status=str(response.status))
            body = await response.content.read(HTTP_MAX_BYTES + 1)
            while len(body) <= HTTP_MAX_BYTES:
                more = await response.content.read(HTTP_MAX_BYTES + 1 - len(body))
                if not more:
                    break
                body += more
            if len(body) > HTTP_MAX_BYTES:
                raise SourceProblem("too_large", limit="1 MB")
    except TimeoutError:
        raise SourceProblem("timed_out", seconds=f"{seconds:g}") from None
    except aiohttp.ClientError as exc:
        raise SourceProblem("http_error", reason=(str(exc) or type(exc).__name__)[:200]) from None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise SourceProblem("not_json") from None
    return as_number(resolve_pointer(document, str(config.get("pointer", ""))))
