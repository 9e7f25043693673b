"""The App Home tab, built from a HomeView: a pure function of what the service loaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from okrbot.domain.okr import Kind, Status, format_number
from okrbot.domain.progress import progress_bar
from okrbot.i18n import Translator
from okrbot.services.approvals import RequestRef
from okrbot.services.home import (
    HomeView,
    InFlight,
    KRLine,
    Page,
    Request,
    SourceTrouble,
    Theirs,
    Tracked,
)
from okrbot.slack import ids
from okrbot.slack.blocks.common import (
    Block,
    button,
    clip,
    context,
    divider,
    escape,
    header,
    section,
    user,
)
from okrbot.slack.blocks.objective import kind_note, kr_line, kr_value
from okrbot.slack.blocks.pace import pace_badges
from okrbot.slack.limits import VIEW_BLOCKS_MAX


def _date(moment: datetime) -> str:
    """A date each reader sees in their own locale and time zone (no words of ours)."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}}|{moment.strftime('%Y-%m-%d')}>"


def _bar(share: float) -> str:
    return f"`{progress_bar(share)}` {share:.0%}"


def _kr(kr: KRLine, words: Translator) -> str:
    line = _kr_values(kr, words)
    if kr.owner:
        line += " \u00b7 " + words("home.kr_owner", owner=f"<@{kr.owner}>")
    return line


def _kr_values(kr: KRLine, words: Translator) -> str:
    unit = f" {escape(kr.unit)}" if kr.unit else ""
    if kr.kind == Kind.MILESTONE:
        done = kr_value(kr.current, kr.kind, words)
        return f"{kr.position}. {escape(clip(kr.description, 150))} \u00b7 {done}"
    if kr.kind == Kind.RANGE:
        now = kr_value(kr.current, kr.kind, words)
        where = kind_note(kr.kind, kr.start, kr.target, words)
        return (
            f"{kr.position}. {escape(clip(kr.description, 150))} \u00b7 "
            f"{now}{unit} ({where}) \u00b7 {kr.progress:.0%}"
        )
    now = format_number(kr.current if kr.current is not None else kr.start)
    return (
        f"{kr.position}. {escape(clip(kr.description, 150))} \u00b7 "
        f"{now} / {format_number(kr.target)}{unit} \u00b7 {kr.progress:.0%}"
    )


def _confidence(item: Tracked, words: Translator) -> str:
    if item.confidence is None:
        return ""
    return f" \u00b7 {item.confidence.emoji} {words(f'home.confidence.{item.confidence.value}')}"


def _mine(item: Tracked, words: Translator) -> Block:
    checked = (
        words("home.checkin.last", when=_date(item.last_check_in_at))
        if item.last_check_in_at
        else words("home.checkin.never")
    )
    lines = [
        f"*{escape(clip(item.title, 150))}*",
        f"{_bar(item.progress)}{_confidence(item, words)}{pace_badges(item.pace, words)}"
        f" \u00b7 {checked}",
        *(_kr(kr, words) for kr in item.key_results),
    ]
    return section("\n".join(lines))


def _theirs(item: Theirs, words: Translator) -> Block:
    """Someone else's objective: its title and owner, then the key results the person
    owns in it (no "owned by": they are the reader's)."""
    lines = [
        f"*{escape(clip(item.title, 150))}* \u00b7 {words('home.by', owner=user(item.owner_id))}",
        *(_kr_values(kr, words) for kr in item.key_results),
    ]
    return section("\n".join(lines))


def _checkin_button(home: HomeView, words: Translator) -> Block:
    return {
        "type": "actions",
        "block_id": "home_checkin",
        "elements": [button(words("home.checkin"), ids.CHECKIN, home.quarter, style="primary")],
    }


def _in_flight(item: InFlight, words: Translator) -> Block:
    if item.status is Status.AWAITING_MANAGER:
        status = words("home.status.awaiting_manager", who=user(item.waiting_on))
    elif item.status is Status.AWAITING_CEO:
        status = words("home.status.awaiting_ceo", who=user(item.waiting_on))
    elif item.status is Status.REJECTED:
        status = words("home.status.rejected")
    else:
        status = words("home.status.other")
    text = f"*{escape(clip(item.title, 150))}* \u00b7 {item.quarter}\n{status}"
    if item.reason:
        text += f"\n>{escape(clip(item.reason, 300))}"
    block = section(text)
    if item.status is Status.REJECTED:
        # The same button (and value) as the rejection DM's, so its listener opens the form.
        block["accessory"] = button(
            words("home.resubmit"), ids.RESUBMIT, f"{item.id}:{item.version}", style="primary"
        )
    return block


def _request(item: Request, words: Translator) -> list[Block]:
    ref = RequestRef(item.objective_id, item.version, item.stage)
    asks = words(
        "home.requests.item",
        owner=user(item.owner_id),
        stage=words(f"home.stage.{item.stage.value}"),
        when=_date(item.requested_at),
    )
    krs = "\n".join(kr_line(kr, words) for kr in item.key_results)
    return [
        section(f"*{escape(clip(item.title, 150))}* \u00b7 {item.quarter}\n{asks}\n{krs}"),
        {
            # Unique per request (a view refuses a block id used twice); the listeners
            # look only at the action id and the value, as on the DM.
            "block_id": f"{ids.DECISION_ACTIONS}_{ref.encode().replace(':', '_')}",
            "type": "actions",
            "elements": [
                button(words("home.approve"), ids.APPROVE, ref.encode(), style="primary"),
                button(words("home.reject"), ids.REJECT, ref.encode(), style="danger"),
            ],
        },
    ]


def _published(item: Tracked, words: Translator) -> Block:
    level = words(f"home.level.{item.level.value}")
    by = words("home.by", owner=user(item.owner_id))
    return section(
        f"*{escape(clip(item.title, 150))}*\n"
        f"{_bar(item.progress)}{_confidence(item, words)}{pace_badges(item.pace, words)}"
        f" \u00b7 {level} \u00b7 {by}"
    )


def _trouble(trouble: SourceTrouble, words: Translator) -> str:
    return words(
        "home.source_paused" if trouble.paused else "home.source_failed",
        title=escape(clip(trouble.description, 100)),
        kind=trouble.kind,
        error=f"`{escape(clip(trouble.error, 150))}`",
        count=trouble.failures,
    )


def _more(page: Page[Any], line: str) -> list[Block]:
    return [context(line)] if page.more else []


def home_view(home: HomeView, words: Translator) -> dict[str, Any]:
    blocks: list[Block] = [header(words("home.title", quarter=home.quarter))]

    # (1) My objectives: the published ones with progress, then those still on their way.
    blocks.append(header(words("home.mine.header")))
    if home.mine.items:
        blocks += [_mine(item, words) for item in home.mine.items]
        blocks += _more(home.mine, words("home.mine.more", count=home.mine.more))
        blocks.append(_checkin_button(home, words))
    else:
        blocks.append(section(words("home.mine.none", quarter=home.quarter)))
    if home.sources:
        blocks.append(context(clip("\n".join(_trouble(t, words) for t in home.sources), 2000)))
    if home.in_flight.items:
        blocks.append(section(words("home.mine.in_flight")))
        blocks += [_in_flight(item, words) for item in home.in_flight.items]
        blocks += _more(home.in_flight, words("home.mine.more", count=home.in_flight.more))

    # (1b) Key results I own in the others' objectives: the same check-in (its form lists
    # them after my own objectives), its button here when I have none of my own.
    if home.theirs.items:
        blocks.append(header(words("home.theirs.header")))
        blocks += [_theirs(item, words) for item in home.theirs.items]
        blocks += _more(home.theirs, words("home.theirs.more", count=home.theirs.more))
        if not home.mine.items:
            blocks.append(_checkin_button(home, words))

    # (2) Approvals waiting for me, with the DM's own buttons.
    blocks += [divider(), header(words("home.requests.header"))]
    if home.requests.items:
        for request in home.requests.items:
            blocks += _request(request, words)
        blocks += _more(home.requests, words("home.requests.more", count=home.requests.more))
    else:
        blocks.append(context(words("home.requests.none")))

    # (3) My team's published objectives.
    blocks.append(divider())
    if home.team is None:
        blocks.append(context(words("home.team.no_team")))
    else:
        blocks.append(header(words("home.team.header", team=home.team)))
        if home.team_okrs.items:
            blocks += [_published(item, words) for item in home.team_okrs.items]
            blocks += _more(
                home.team_okrs,
                words("home.team.more", count=home.team_okrs.more, team=escape(home.team)),
            )
        else:
            blocks.append(
                context(words("home.team.none", team=escape(home.team), quarter=home.quarter))
            )

    # (4) The company's published objectives.
    blocks += [divider(), header(words("home.company.header"))]
    if home.company.items:
        blocks += [_published(item, words) for item in home.company.items]
        blocks += _more(
            home.company,
            words("home.company.more", count=home.company.more),
        )
    else:
        blocks.append(context(words("home.company.none", quarter=home.quarter)))

    blocks += [divider(), context(words("home.footer"))]
    # The service pages every section, so this never cuts; it only guards the limit.
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_MAX]}
