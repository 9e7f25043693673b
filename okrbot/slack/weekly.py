"""The weekly jobs' messages, as Slack messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from okrbot.domain.digest import Digest
from okrbot.i18n import Translator, language_of, translator
from okrbot.services.closing import QuarterReport, ScoringAsk
from okrbot.services.directory import DirectoryEntry
from okrbot.services.nudges import Nudge
from okrbot.services.ports import MessageRef
from okrbot.services.threads import Part
from okrbot.services.weekly import CheckInPrompt
from okrbot.slack.blocks.checkin import checkin_prompt
from okrbot.slack.blocks.closing import report_messages, scoring_ask
from okrbot.slack.blocks.digest import digest_messages
from okrbot.slack.blocks.nudge import nudge_message
from okrbot.slack.chart import chart_texts, team_chart
from okrbot.slack.gateway import SlackGateway


class SlackWeekly:
    def __init__(self, gateway: SlackGateway, words: Translator) -> None:
        self.gateway = gateway
        # The channel's language: the company's default.
        self.words = words

    async def send_prompt(self, prompt: CheckInPrompt, marker: str) -> MessageRef:
        words = translator(language_of(prompt.locale, self.words.language))
        text, blocks = checkin_prompt(
            prompt.objectives, words, week=prompt.week, reminder=prompt.reminder
        )
        return await self.gateway.post_message(prompt.user_id, text, blocks, marker=marker)

    def digest_parts(self, digest: Digest) -> list[Part]:
        return [
            {"text": text, "blocks": blocks} for text, blocks in digest_messages(digest, self.words)
        ]

    async def post_part(
        self, channel: str, part: Part, thread_ts: str | None, marker: str
    ) -> MessageRef:
        return await self.gateway.post_message(
            channel, str(part["text"]), list(part["blocks"]), thread_ts=thread_ts, marker=marker
        )

    async def send_nudge(self, nudge: Nudge) -> MessageRef:
        words = translator(language_of(nudge.locale, self.words.language))
        text, blocks = nudge_message(nudge, words)
        return await self.gateway.post_message(nudge.approver_id, text, blocks)

    async def send_scoring_ask(self, ask: ScoringAsk, marker: str) -> MessageRef:
        words = translator(language_of(ask.locale, self.words.language))
        text, blocks = scoring_ask(ask, words)
        return await self.gateway.post_message(ask.user_id, text, blocks, marker=marker)

    def report_parts(self, report: QuarterReport) -> list[Part]:
        return [
            {"text": text, "blocks": blocks} for text, blocks in report_messages(report, self.words)
        ]

    async def upload_chart(self, channel: str, thread_ts: str, chart: Part) -> None:
        quarter = str(chart["quarter"])
        png = team_chart(chart, self.words)
        title, alt_text = chart_texts(chart, self.words)
        await self.gateway.upload_file(
            channel,
            png,
            filename=f"okr-progress-{quarter}.png",
            title=title,
            comment=self.words("chart.comment"),
            alt_text=alt_text,
            thread_ts=thread_ts,
        )

    async def find_marked(
        self, recipient: str, marker: str, since: datetime, until: datetime
    ) -> MessageRef | None:
        return await self.gateway.find_marked(
            recipient, marker, since.timestamp(), until.timestamp()
        )

    async def find_reply(
        self, channel: str, thread_ts: str, marker: str, since: datetime
    ) -> MessageRef | None:
        return await self.gateway.find_reply(channel, thread_ts, marker, since.timestamp())

    async def entries(self) -> AsyncIterator[DirectoryEntry]:
        cursor: str | None = None
        while True:
            members, cursor = await self.gateway.users_page(cursor)
            for member in members:
                entry = _entry(member)
                if entry is not None:
                    yield entry
            if not cursor:
                return


def _entry(member: dict[str, Any]) -> DirectoryEntry | None:
    user_id = member.get("id")
    if not isinstance(user_id, str) or member.get("deleted") or member.get("is_bot"):
        return None
    profile = member.get("profile") or {}
    name = (
        profile.get("real_name")
        or member.get("real_name")
        or profile.get("display_name")
        or member.get("name")
    )
    tz, locale = member.get("tz"), member.get("locale")
    return DirectoryEntry(
        user_id,
        tz if isinstance(tz, str) else None,
        name if isinstance(name, str) else None,
        locale if isinstance(locale, str) else None,
    )
