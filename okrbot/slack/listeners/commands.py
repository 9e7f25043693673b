"""`/okr` and its subcommands, routed from one table (`SUBCOMMANDS`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck

from okrbot.i18n import ENGLISH
from okrbot.services import workspaces
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import messages
from okrbot.slack.blocks.common import user
from okrbot.slack.deps import Deps
from okrbot.slack.listeners import admin, browse, withdrawal
from okrbot.slack.listeners.opening import open_checkin, open_form, open_scoring
from okrbot.slack.routes import Routes


@dataclass(frozen=True)
class Command:
    """`/okr <word> <rest>` as typed, and where."""

    who: payloads.Who
    word: str
    rest: str
    trigger: str
    channel: str | None


Handler = Callable[[Deps, Command, AsyncAck], Awaitable[None]]
Opener = Callable[[Deps, payloads.Who, str, str | None], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Subcommand:
    handle: Handler
    # Answered even where okrbot is installed but its CEO and channel are not chosen yet.
    before_setup: bool = False


def _opening(opener: Opener) -> Handler:
    """A subcommand that opens a form: acked first, for the trigger id lives three seconds
    and the form opens after."""

    async def handle(deps: Deps, cmd: Command, ack: AsyncAck) -> None:
        await ack()
        deps.background.spawn(
            opener(deps, cmd.who, cmd.trigger, cmd.channel),
            on_error=deps.sorry_to(cmd.who, cmd.channel),
        )

    return handle


async def _edit(deps: Deps, cmd: Command, ack: AsyncAck) -> None:
    objective_id = payloads.object_id(cmd.rest)
    if objective_id is None:
        words = await deps.words_for(cmd.who)
        await ack(text=words("edit.usage"))
        return
    await ack()
    deps.background.spawn(
        open_form(deps, cmd.who, cmd.trigger, cmd.channel, objective_id=objective_id),
        on_error=deps.sorry_to(cmd.who, cmd.channel),
    )


async def _withdraw(deps: Deps, cmd: Command, ack: AsyncAck) -> None:
    reply, blocks = await withdrawal.answer(deps, cmd.who, cmd.rest)
    await ack(text=reply, blocks=blocks)
    deps.deliver_soon()


async def _browse(deps: Deps, cmd: Command, ack: AsyncAck) -> None:
    reply, blocks = await browse.answer(deps, cmd.who, cmd.word, cmd.rest)
    await ack(text=reply, blocks=blocks)


async def _admin(deps: Deps, cmd: Command, ack: AsyncAck) -> None:
    await ack(text=await admin.answer(deps, cmd.who, cmd.rest, cmd.channel))


async def _help(deps: Deps, cmd: Command, ack: AsyncAck) -> None:
    reply, blocks = messages.help_message(await deps.words_for(cmd.who))
    await ack(text=reply, blocks=blocks)


async def _unknown(deps: Deps, cmd: Command, ack: AsyncAck) -> None:
    reply, blocks = messages.help_message(await deps.words_for(cmd.who), cmd.word)
    await ack(text=reply, blocks=blocks)


# Every word `/okr` knows, in the order the help text (`help.body`) describes them.
SUBCOMMANDS: dict[str, Subcommand] = {
    "new": Subcommand(_opening(open_form)),
    "list": Subcommand(_browse),
    "show": Subcommand(_browse),
    "tree": Subcommand(_browse),
    "checkin": Subcommand(_opening(open_checkin)),
    "edit": Subcommand(_edit),
    "withdraw": Subcommand(_withdraw),
    "score": Subcommand(_opening(open_scoring)),
    "admin": Subcommand(_admin, before_setup=True),
    "help": Subcommand(_help, before_setup=True),
    "": Subcommand(_help, before_setup=True),
}
UNKNOWN = Subcommand(_unknown)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


async def _not_set_up(deps: Deps, who: payloads.Who) -> str | None:
    """With OAuth installs, nothing works in a workspace until an admin has chosen its CEO
    and OKR channel; say so and who can do it."""
    if not deps.tenancy.oauth:
        return None
    setup = await workspaces.read_setup(deps.uow, deps.tenancy.setup, who.workspace_id)
    if setup is not None and setup.complete:
        return None
    words = await deps.words_for(who)
    if setup is None:
        return words("admin.uninstalled")
    admins = ", ".join(user(a) for a in setup.admins) or words("admin.nobody")
    return words("admin.not_set_up", admins=admins)


def register(app: Routes, deps: Deps) -> None:
    async def okr(ack: AsyncAck, body: dict[str, Any]) -> None:
        text = _text(body.get("text")).strip()
        word = text.split(" ", 1)[0].lower()
        try:
            who = payloads.who(body)
        except payloads.PayloadError:
            await ack(text=ENGLISH("form.who"))
            return
        subcommand = SUBCOMMANDS.get(word, UNKNOWN)
        if not subcommand.before_setup and (waiting := await _not_set_up(deps, who)):
            await ack(text=waiting)
            return
        command = Command(
            who,
            word,
            text[len(word) :],
            _text(body.get("trigger_id")),
            payloads.channel_id(body.get("channel_id")),
        )
        await subcommand.handle(deps, command, ack)

    app.command(ids.COMMAND)(okr)
