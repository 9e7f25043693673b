"""`/okr admin source …` and `/okr admin sources`: key results read from data. Reached
through `/okr admin`, which has checked that the person administers the workspace."""

from __future__ import annotations

import html
import logging
import re

from okrbot.domain.okr import format_number
from okrbot.domain.sources import Kind, SourceProblem, SourceSpec, parse_http, parse_sql
from okrbot.i18n import Translator
from okrbot.services import sources
from okrbot.services.sources import SourceInfo, SourceRefused
from okrbot.slack.blocks import common
from okrbot.slack.deps import Deps
from okrbot.slack.payloads import Who

log = logging.getLogger(__name__)

# "source <id> <rest>", the rest kept as typed (a query's spaces and line breaks).
_SOURCE = re.compile(r"\s*source\s+(\S+)\s*(.*)", re.IGNORECASE | re.DOTALL)
# Slack sends a URL it recognised as <https://x> or <https://x|label>.
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")


async def answer(deps: Deps, who: Who, rest: str, words: Translator) -> str:
    if rest.split()[0].lower() == "sources":
        return _listing(await sources.listing(deps.uow, who.workspace_id), words)
    found = _SOURCE.fullmatch(rest)
    if found is None or not found.group(1).isdigit():
        return words("source.usage")
    key_result_id = int(found.group(1))
    arg = found.group(2).strip()
    parts = arg.split()
    what = parts[0].lower() if parts else ""
    try:
        if what in ("on", "off") and len(parts) == 1:
            info = await sources.switch(
                deps.uow, who.workspace_id, key_result_id, on=what == "on", now=deps.clock()
            )
            return words(f"source.{what}", id=key_result_id, title=_title(info))
        spec = _spec(what, parts[1:], arg)
        info = await sources.attach(
            deps.uow, who.workspace_id, who.user_id, key_result_id, spec, now=deps.clock()
        )
    except SourceProblem as problem:
        return words(f"source.refused.{problem.key}", id=key_result_id, **_shown(problem.details))
    except SourceRefused as refused:
        return words(
            f"source.refused.{refused.reason}", id=key_result_id, **_shown(refused.details)
        )
    log.info("%s attached a %s source to key result %s", who.user_id, spec.kind, key_result_id)
    return words("source.attached", id=key_result_id, title=_title(info), what=_what(info))


def _spec(what: str, args: list[str], arg: str) -> SourceSpec:
    if what == Kind.HTTP:
        return parse_http([_LINK.sub(r"\1", html.unescape(a)) for a in args])
    if what == Kind.SQL:
        # The query as typed after the variable's name: Slack escapes &, < and >.
        query = html.unescape(arg.split(None, 2)[2]) if len(args) >= 2 else ""
        return parse_sql(args, query)
    if not what:
        raise SourceProblem("http_usage")
    raise SourceProblem("unknown_kind")


def _shown(details: dict[str, str]) -> dict[str, str]:
    return {k: common.escape(common.clip(v, 100)) for k, v in details.items()}


def _title(info: SourceInfo) -> str:
    return common.escape(common.clip(info.description, 100))


def _what(info: SourceInfo) -> str:
    if info.kind == Kind.HTTP:
        url = common.escape(common.clip(str(info.config.get("url", "")), 200))
        return f"`{url}` `{common.escape(str(info.config.get('pointer', '')))}`"
    return f"SQL (`{common.escape(str(info.config.get('env', '')))}`)"


def _when(info: SourceInfo) -> str:
    moment = info.last_success_at
    if moment is None:
        return ""
    shown = f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{shown}>"


def _listing(found: list[SourceInfo], words: Translator) -> str:
    if not found:
        return f"{words('source.none')}\n\n{words('source.usage')}"
    lines = [words("source.list_title")]
    for info in found:
        status = words(f"source.status.{info.status}", id=info.key_result_id)
        line = words(
            "source.line",
            id=info.key_result_id,
            title=_title(info),
            owner=common.user(info.owner_id),
            what=_what(info),
            status=status,
        )
        if info.last_value is not None:
            line += " \u00b7 " + words(
                "source.last_value", value=format_number(info.last_value), when=_when(info)
            )
        elif info.last_error is None:
            line += " \u00b7 " + words("source.never_read")
        if info.failures:
            line += " \u00b7 " + words("source.failures", count=info.failures)
        if info.last_error:
            line += " \u00b7 " + words(
                "source.last_error", error=common.escape(common.clip(info.last_error, 200))
            )
        lines.append(line)
    return common.clip("\n".join(lines), 3000)
