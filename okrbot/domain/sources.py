"""Data sources of key results: what an admin may attach, and the rules of reading them.

Reading itself (HTTP, SQL) is I/O and lives in `okrbot/sources/`; what is decided here is
pure: the command's arguments, JSON pointers (RFC 6901), what counts as a number, which SQL
is a single read, which addresses are off limits, when a source is due, when it pauses.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo


class Kind(StrEnum):
    HTTP = "http"
    SQL = "sql"


class SourceStatus(StrEnum):
    ACTIVE = "active"
    # Three failures in a row: not read again until an admin turns it back on.
    PAUSED = "paused"
    OFF = "off"


# Failures in a row that pause a source.
PAUSE_AFTER = 3
# Every source is read once a day at this time in the workspace's zone (and before prompts).
DAILY_AT = time(6, 0)
# Limits of a read.
TIMEOUT_SECONDS = 10.0
HTTP_MAX_BYTES = 1024 * 1024
URL_MAX = 2000
QUERY_MAX = 4000
ERROR_MAX = 300

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# RFC 9110's token: the characters a header's name may have.
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")
# Host names of cloud metadata services, refused whatever they resolve to.
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.com",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)


class SourceProblem(ValueError):
    """A source that cannot be attached, or a read that failed: `key` is a catalogue entry
    (`source.problem.<key>`), `details` fill it in."""

    def __init__(self, key: str, **details: str) -> None:
        super().__init__(key, details)
        self.key = key
        self.details = details

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.details.items())
        return f"{self.key} ({shown})" if shown else self.key


@dataclass(frozen=True)
class SourceSpec:
    """What to read, as stored in the source's `config`."""

    kind: Kind
    config: dict[str, Any]


def env_name_ok(name: str) -> bool:
    return _ENV_NAME.fullmatch(name) is not None


def parse_http(args: list[str]) -> SourceSpec:
    """`<url> <json-pointer> [header=NAME:ENV_VAR]`."""
    if len(args) not in (2, 3):
        raise SourceProblem("http_usage")
    url, pointer = args[0], args[1]
    if len(url) > URL_MAX or not url.lower().startswith(("http://", "https://")):
        raise SourceProblem("bad_url")
    pointer_tokens(pointer)
    config: dict[str, Any] = {"url": url, "pointer": pointer}
    if len(args) == 3:
        option = args[2]
        name, _, env = option.removeprefix("header=").partition(":")
        if not option.startswith("header=") or not _HEADER_NAME.fullmatch(name):
            raise SourceProblem("http_usage")
        if not env_name_ok(env):
            raise SourceProblem("bad_env", name=env)
        config["header"] = {"name": name, "env": env}
    return SourceSpec(Kind.HTTP, config)


def parse_sql(args: list[str], query: str) -> SourceSpec:
    """`<ENV_VAR_WITH_DB_URL> <query…>`; `query` is the rest of the command as typed."""
    if len(args) < 2:
        raise SourceProblem("sql_usage")
    if not env_name_ok(args[0]):
        raise SourceProblem("bad_env", name=args[0])
    query = query.strip()
    problem = query_problem(query)
    if problem is not None:
        raise SourceProblem(problem)
    return SourceSpec(Kind.SQL, {"env": args[0], "query": query})


def pointer_tokens(pointer: str) -> list[str]:
    """The reference tokens of a JSON pointer (RFC 6901); "" is the whole document."""
    if pointer == "":
        return []
    if not pointer.startswith("/") or re.search(r"~(?![01])", pointer):
        raise SourceProblem("bad_pointer", pointer=pointer[:100])
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def resolve_pointer(document: object, pointer: str) -> object:
    """What `pointer` points at in `document`; `SourceProblem("no_value")` if nothing."""
    found = document
    for token in pointer_tokens(pointer):
        if isinstance(found, dict) and token in found:
            found = found[token]
        elif (
            isinstance(found, list)
            and re.fullmatch(r"0|[1-9][0-9]*", token)
            and int(token) < len(found)
        ):
            found = found[int(token)]
        else:
            raise SourceProblem("no_value", pointer=pointer[:100])
    return found


def as_number(found: object) -> float:
    """A finite number, or a string that is one ("42.5"); anything else is refused."""
    if isinstance(found, bool):
        raise SourceProblem("not_a_number", found=repr(found)[:40])
    if isinstance(found, int | float):
        number = float(found)
    elif isinstance(found, str):
        try:
            number = float(found.strip())
        except ValueError:
            raise SourceProblem("not_a_number", found=repr(found)[:40]) from None
    else:
        shown = type(found).__name__ if found is not None else "null"
        raise SourceProblem("not_a_number", found=shown)
    if not math.isfinite(number):
        raise SourceProblem("not_a_number", found=repr(found)[:40])
    return number


# What a read must not do, even inside a WITH: said as whole words outside quotes.
_WRITES = re.compile(
    r"\b(insert|update|delete|merge|drop|create|alter|truncate|grant|revoke|attach|detach|"
    r"pragma|vacuum|reindex|copy|call|do|lock|set|reset|into)\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def query_problem(query: str) -> str | None:
    """Why a query is not a single read (SELECT or WITH … SELECT), or None."""
    if not query or len(query) > QUERY_MAX:
        return "bad_query"
    bare = _QUOTED.sub("''", _COMMENTS.sub(" ", query)).strip().rstrip(";").strip()
    if ";" in bare:
        return "one_statement"
    first = re.match(r"[\s(]*([A-Za-z]+)", bare)
    if first is None or first.group(1).lower() not in ("select", "with"):
        return "select_only"
    if _WRITES.search(bare):
        return "select_only"
    return None


def address_refused(address: str) -> bool:
    """Whether a source may not be read from this address without
    OKRBOT_ALLOW_PRIVATE_SOURCES: loopback, link-local, private, reserved, any address
    that is not on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def metadata_host(host: str, addresses: list[str] | None = None) -> bool:
    """Whether a host is a cloud metadata service: never a source, whatever the setting."""
    name = host.lower().rstrip(".").strip("[]")
    if name in METADATA_HOSTS:
        return True
    candidates = [name, *(addresses or [])]
    for candidate in candidates:
        try:
            ip = ipaddress.ip_address(candidate.split("%", 1)[0])
        except ValueError:
            continue
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip in METADATA_ADDRESSES:
            return True
    return False


def daily_due(now: datetime, zone: ZoneInfo, last_read_on: str | None) -> str | None:
    """The workspace's day to claim for the daily read, when it is due (06:00 has passed
    there today and the source has not been read today), else None."""
    local = now.astimezone(zone)
    if local.time() < DAILY_AT:
        return None
    today = local.date().isoformat()
    return None if last_read_on == today else today


def clip_error(text: str) -> str:
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "\u2026"


def automatic_kind(source: str) -> str | None:
    """What a check-in's `source` says a value came from when nobody typed it: a data
    source's kind ("source:http" is "http", "source:sql" "sql") or "api" for the HTTP
    API ("api:NAME"); None for a person's check-in ("slack") or anything else."""
    if source.startswith("source:"):
        kind = source.removeprefix("source:")
        return kind if kind in {k.value for k in Kind} else None
    if source.startswith("api:"):
        return "api"
    return None
