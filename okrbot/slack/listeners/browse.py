"""`/okr list`, `/okr show` and `/okr tree`, answered in the command's ack.

The ack body is the whole answer (ephemeral: only the asker sees it), so the reads here
must finish within Slack's 3 seconds; the services keep them to a few queries.
"""

from __future__ import annotations

import logging
import re

from okrbot.i18n import ENGLISH, Translator
from okrbot.services import browse
from okrbot.slack.blocks import browse as blocks
from okrbot.slack.blocks.common import section
from okrbot.slack.deps import Deps
from okrbot.slack.payloads import Who

log = logging.getLogger(__name__)

COMPANY_WORDS = frozenset({"company", "selskap", "selskapet"})
ME_WORDS = frozenset({"me", "mine", "meg"})

# With "escape users" on, Slack sends a mention as <@U123|name> (or <@U123>).
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
# A channel picked from the autocomplete, for people who name their team's channel.
_CHANNEL = re.compile(r"<#C[A-Z0-9]+\|([^>]*)>")
_ID = re.compile(r"#?([0-9]{1,18})")


def _unescape(text: str) -> str:
    """Slack escapes &, < and > in command text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def list_query(text: str) -> browse.ListQuery:
    arg = " ".join(text.split())
    if not arg or arg.casefold() in ME_WORDS:
        return browse.Mine()
    mention = _MENTION.fullmatch(arg)
    if mention:
        return browse.OfPerson(user_id=mention.group(1), name=mention.group(2) or None)
    channel = _CHANNEL.fullmatch(arg)
    if channel:
        return browse.OfTeam(_unescape(channel.group(1)))
    arg = _unescape(arg)
    if arg.startswith("@"):
        return browse.OfPerson(name=arg[1:].strip())
    if arg.casefold() in COMPANY_WORDS:
        return browse.OfCompany()
    return browse.OfTeam(arg)


def show_query(text: str) -> browse.ShowQuery | None:
    arg = _unescape(" ".join(text.split())).strip("\"'\u201c\u201d\u2018\u2019 ")
    if not arg:
        return None
    number = _ID.fullmatch(arg)
    if number:
        return browse.ById(int(number.group(1)))
    return browse.ByWords(arg)


async def answer(deps: Deps, who: Who, word: str, rest: str) -> blocks.Message:
    """The reply to `/okr <word> <rest>`, in the asker's language."""
    words: Translator = ENGLISH
    try:
        words = await deps.words_for(who)
        return await _answer(deps, who, word, rest, words)
    except Exception:
        log.exception("/okr %s failed for %s", word, who.user_id)
        sorry = words("common.sorry")
        return sorry, [section(sorry)]


async def _answer(deps: Deps, who: Who, word: str, rest: str, words: Translator) -> blocks.Message:
    actor = deps.actor(who)
    if word == "show":
        query = show_query(rest)
        if query is None:
            return blocks.usage_message(words)
        found = await browse.show(
            deps.uow, actor, query, deps.today(), points=deps.behind_pace_points
        )
        if isinstance(found, browse.Detail):
            return blocks.detail_message(found, words)
        if isinstance(found, browse.Candidates):
            return blocks.candidates_message(found, words)
        return blocks.no_match_message(found, words)
    if word == "tree":
        tree = await browse.tree(deps.uow, actor, deps.today())
        return blocks.tree_message(tree, words)
    listing = await browse.list_objectives(deps.uow, actor, list_query(rest), deps.today())
    if isinstance(listing, browse.NotFound):
        return blocks.not_found_message(listing, words)
    return blocks.listing_message(listing, words)
