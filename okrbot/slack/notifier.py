"""Delivers the services' notices as Slack messages."""

from __future__ import annotations

from okrbot.i18n import DEFAULT_LANGUAGE, language_of, translator
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
)
from okrbot.services.ports import MessageRef
from okrbot.slack.blocks import checkin, home, messages
from okrbot.slack.blocks.common import when
from okrbot.slack.gateway import SlackGateway


class SlackNotifier:
    def __init__(self, gateway: SlackGateway, language: str = DEFAULT_LANGUAGE) -> None:
        self.gateway = gateway
        # For people whose Slack locale okrbot has no catalogue for, or does not know yet.
        self.language = language

    async def deliver(self, notice: Notice) -> MessageRef | None:
        match notice:
            case ApprovalRequest():
                ref = RequestRef(notice.objective.id, notice.objective.version, notice.stage)
                text, blocks = messages.approval_request(notice, ref.encode())
                # A DM goes to the user id: no conversations.open per person.
                return await self.gateway.post_message(notice.approver_id, text, blocks)
            case ApprovalOutcome():
                text, blocks = messages.approval_outcome(notice)
                await self.gateway.update_message(notice.channel, notice.ts, text, blocks)
                return None
            case AuthorUpdate():
                text, blocks = messages.author_update(notice)
                return await self.gateway.post_message(notice.author_id, text, blocks)
            case Publication():
                text, blocks = messages.publication(notice)
                return await self.gateway.post_message(notice.channel, text, blocks)
            case ProblemReport():
                text, blocks = messages.problem(notice)
                return await self.gateway.post_message(notice.recipient, text, blocks)
            case PromptAnswered():
                text, blocks = checkin.prompt_answered(notice.reminder, when(notice.at))
                await self.gateway.update_message(notice.channel, notice.ts, text, blocks)
                return None
            case HomeRefresh():
                words = translator(language_of(notice.home.locale, self.language))
                await self.gateway.publish_home(notice.user_id, home.home_view(notice.home, words))
                return None
