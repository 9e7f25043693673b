"""`/okr admin`: only for the CEO and okrbot's admins in the workspace.

With OAuth installs it chooses the workspace's CEO, OKR channel and admins; in either mode
it runs a weekly job now, like `okrbot run-job`.
"""

from __future__ import annotations

import logging
import re

from okrbot.domain.weekly import Job
from okrbot.i18n import Translator
from okrbot.services import workspaces
from okrbot.services.ports import DeliveryError, NotServed
from okrbot.slack import payloads
from okrbot.slack.blocks import common
from okrbot.slack.deps import Deps
from okrbot.slack.listeners import sources
from okrbot.slack.payloads import Who

log = logging.getLogger(__name__)

# With "escape users" on, Slack sends <@U123|name> and <#C123|name>.
_PERSON = re.compile(rf"<@([UW]{payloads.ID_BODY})(?:\|[^>]*)?>")
_CHANNEL = re.compile(rf"<#([CG]{payloads.ID_BODY})(?:\|[^>]*)?>")
JOBS = {"checkin": Job.CHECKIN, "reminder": Job.REMINDER, "digest": Job.DIGEST}
# The setting each word changes, and its name in single-workspace configuration.
CONFIGURED = {"ceo": "OKRBOT_CEO", "channel": "OKRBOT_CHANNEL", "add": "OKRBOT_ADMINS"}
CONFIGURED["remove"] = CONFIGURED["add"]


def _people(ids: tuple[str, ...] | list[str], words: Translator) -> str:
    # Digest parts in doubt are named by position, not by person.
    shown = (common.user(i) if i.startswith(("U", "W")) else common.escape(i) for i in ids)
    return ", ".join(shown) or words("admin.none")


async def answer(deps: Deps, who: Who, rest: str, channel: str | None) -> str:
    """The ephemeral reply; a job asked for runs after it, and reports when done."""
    words = await deps.words_for(who)
    parts = rest.split()
    verb = parts[0].lower() if parts else ""
    access = await workspaces.admin_access(deps.uow, deps.tenancy.setup, deps.actor(who))
    setup = access.setup
    if setup is None:
        return words("admin.uninstalled")
    if not access.allowed:
        return _only_admins(setup, words)
    if verb in ("", "help"):
        return _settings(setup, words, oauth=deps.tenancy.oauth)
    if verb == "run":
        job = JOBS.get(parts[1].lower()) if len(parts) > 1 else None
        if job is None:
            return words("admin.need_job")
        force = any(p.lower() == "force" for p in parts[2:])
        resend = any(p.lower() == "resend-in-doubt" for p in parts[2:])
        deps.background.spawn(_run(deps, who, job, force, channel, words, resend=resend))
        return words("admin.running", job=job.value)
    if verb in ("source", "sources"):
        return await sources.answer(deps, who, rest, words)
    if verb in CONFIGURED:
        if not deps.tenancy.oauth:
            return words("admin.in_configuration", name=CONFIGURED[verb])
        return await _change(deps, who, verb, " ".join(parts[1:]), words)
    return (
        # The word is echoed as typed: in mrkdwn, "<!channel>" would ping the channel.
        f"{words('help.unknown', word=common.escape(common.clip(verb, 50)))}\n"
        f"{_settings(setup, words, oauth=deps.tenancy.oauth)}"
    )


def _only_admins(setup: workspaces.Setup, words: Translator) -> str:
    everyone = ([setup.ceo] if setup.ceo else []) + list(setup.admins)
    return words("admin.only_admins", admins=_people(everyone, words))


def _settings(setup: workspaces.Setup, words: Translator, *, oauth: bool) -> str:
    shown = words(
        "admin.settings",
        ceo=common.user(setup.ceo) if setup.ceo else words("admin.unset"),
        channel=common.channel(setup.channel) if setup.channel else words("admin.unset"),
        admins=_people(setup.admins, words),
    )
    return f"{shown}\n\n{words('admin.usage' if oauth else 'admin.usage_env')}"


async def _change(deps: Deps, who: Who, verb: str, arg: str, words: Translator) -> str:
    if verb == "channel":
        found = _CHANNEL.fullmatch(arg.strip())
        if found is None:
            return words("admin.need_channel")
        target = found.group(1)
    else:
        person = _PERSON.fullmatch(arg.strip())
        if person is None:
            return words("admin.need_person", verb=verb)
        target = person.group(1)
    changed = await workspaces.change_settings(
        deps.uow,
        deps.actor(who),
        ceo=target if verb == "ceo" else None,
        channel=target if verb == "channel" else None,
        add_admin=target if verb == "add" else None,
        remove_admin=target if verb == "remove" else None,
    )
    before = changed.before
    if not changed.allowed and before is not None:
        return _only_admins(before, words)
    if changed.after is None:
        return words("admin.uninstalled")
    log.info("%s changed the workspace's %s to %s", who.user_id, verb, target)
    if verb == "ceo":
        return words("admin.ceo_set", user=common.user(target))
    if verb == "channel":
        return words("admin.channel_set", channel=common.channel(target))
    if verb == "add":
        return words("admin.added", user=common.user(target))
    was_admin = before is not None and target in before.admins
    return words("admin.removed" if was_admin else "admin.not_removed", user=common.user(target))


async def _run(
    deps: Deps,
    who: Who,
    job: Job,
    force: bool,
    channel: str | None,
    words: Translator,
    *,
    resend: bool = False,
) -> None:
    assert deps.jobs is not None
    try:
        report = await deps.jobs.run(
            job, force=force, workspace_id=who.workspace_id, resend_in_doubt=resend
        )
    except DeliveryError as exc:
        await deps.tell(who, words("admin.run_failed", job=job.value, code=exc.code), channel)
        return
    except NotServed:
        # Not set up yet (no CEO or channel chosen): nothing to run for.
        await deps.tell(who, words("admin.run_not_set_up", job=job.value), channel)
        return
    # Problem reports the run queued: sent by a pass of their own (waiting for one here,
    # holding a slot, could hold up a pass that needs a slot).
    deps.deliver_soon()
    fan = report.fanout
    if fan is None:
        await deps.tell(who, words("admin.nothing_due", job=job.value), channel)
        return
    text = words(
        "admin.ran",
        job=job.value,
        weeks=", ".join(report.weeks),
        sent=fan.sent + fan.recovered,
        already=fan.already,
        failed=fan.failed,
    )
    if fan.already and not force:
        text += words("admin.ran_force_hint")
    if fan.pending:
        until = max(p.until for p in fan.pending)
        text += words(
            "admin.ran_pending",
            count=len(fan.pending),
            people=_people(sorted(p.recipient for p in fan.pending), words),
            until=f"<!date^{int(until.timestamp())}^{{time}}|{until:%H:%M} UTC>",
        )
    doubtful = sorted([*fan.in_doubt, *report.outbox_in_doubt])
    if doubtful:
        text += words(
            "admin.ran_in_doubt",
            count=len(doubtful),
            people=_people(doubtful, words),
            job=job.value,
        )
    await deps.tell(who, text, channel)
