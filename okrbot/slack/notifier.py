"""Delivers the services' notices as Slack messages."""

from __future__ import annotations

from datetime import datetime

from okrbot.i18n import DEFAULT_LANGUAGE, Translator, language_of, translator
from okrbot.services.approvals import RequestRef
from okrbot.services.notices import (
    ApprovalOutcome,
    ApprovalRequest,
    AuthorUpdate,
    HomeRefresh,
    Notice,
    ProblemReport,
    PromptAnswered,
    Publication,
    ReplyAnswer,
    ReplyUndone,
    posted_to,
)
from okrbot.services.ports import MessageRef
from okrbot.slack.blocks import checkin, home, messages, replies
from okrbot.slack.blocks.common import when
from okrbot.slack.gateway import SlackGateway


class SlackNotifier:
    def __init__(self, gateway: SlackGateway, language: str = DEFAULT_LANGUAGE) -> None:
        self.gateway = gateway
        # For people whose Slack locale okrbot has no catalogue for, or does not know yet.
        self.language = language

    def _words(self, locale: str | None) -> Translator:
        return translator(language_of(locale, self.language))

    async def find(
        self, notice: Notice, marker: str, since: datetime, until: datetime
    ) -> MessageRef | None:
        if isinstance(notice, ReplyAnswer):
            # A reply in a thread: history never lists it.
            return await self.gateway.find_reply(
                notice.channel, notice.thread_ts, marker, since.timestamp()
            )
        destination = posted_to(notice)
        if destination is None:
            return None
        return await self.gateway.find_marked(
            destination, marker, since.timestamp(), until.timestamp()
        )

    async def deliver(self, notice: Notice, marker: str | None = None) -> MessageRef | None:
        match notice:
            case ApprovalRequest():
                ref = RequestRef(notice.objective.id, notice.objective.version, notice.stage)
                words = self._words(notice.locale)
                text, blocks = messages.approval_request(notice, ref.encode(), words)
                # A DM goes to the user id: no conversations.open per person.
                return await self.gateway.post_message(
                    notice.approver_id, text, blocks, marker=marker
                )
            case ApprovalOutcome():
                text, blocks = messages.approval_outcome(notice, self._words(notice.locale))
                await self.gateway.update_message(notice.channel, notice.ts, text, blocks)
                return None
            case AuthorUpdate():
                text, blocks = messages.author_update(notice, self._words(notice.locale))
                return await self.gateway.post_message(
                    notice.author_id, text, blocks, marker=marker
                )
            case Publication():
                # The channel is everyone's: the company's language.
                text, blocks = messages.publication(notice, self._words(None))
                return await self.gateway.post_message(notice.channel, text, blocks, marker=marker)
            case ProblemReport():
                text, blocks = messages.problem(notice, self._words(notice.locale))
                return await self.gateway.post_message(
                    notice.recipient, text, blocks, marker=marker
                )
            case PromptAnswered():
                text, blocks = checkin.prompt_answered(
                    notice.reminder,
                    when(notice.at),
                    self._words(notice.locale),
                    no_change=notice.no_change,
                )
                await self.gateway.update_message(notice.channel, notice.ts, text, blocks)
                return None
            case ReplyAnswer():
                text, blocks = replies.reply_answer(notice, self._words(notice.locale))
                return await self.gateway.post_message(
                    notice.channel, text, blocks, thread_ts=notice.thread_ts, marker=marker
                )
            case ReplyUndone():
                text, blocks = replies.reply_undone(notice, self._words(notice.locale))
                await self.gateway.update_message(notice.channel, notice.ts, text, blocks)
                return None
            case HomeRefresh():
                words = self._words(notice.home.locale)
                await self.gateway.publish_home(notice.user_id, home.home_view(notice.home, words))
                return None
