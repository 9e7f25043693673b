"""What `/okr list`, `/okr show` and `/okr tree` answer, in the reader's language.

The answers are ephemeral, so naming an owner by mention pings nobody; still, a plain
name reads better in a long list, and the mention is only the fallback for people whose
name okrbot has not read from Slack's directory yet.

A company of thousands does not fit one message, and a slash command gets exactly one
answer: lists are packed as far as Slack's limits allow and then say how many more there
are and how to narrow the question down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from okrbot.domain.checkin import Confidence
from okrbot.domain.okr import Kind, Level, Status, format_number
from okrbot.domain.progress import progress_bar
from okrbot.i18n import Translator
from okrbot.services.browse import (
    ById,
    Candidates,
    Detail,
    Listing,
    NoMatch,
    NotFound,
    Owner,
    Ref,
    Scope,
    Summary,
    Tree,
    TreeRow,
    Unknown,
)
from okrbot.slack.blocks.common import (
    BLOCKS_TEXT_BUDGET,
    FALLBACK_MAX,
    Block,
    clip,
    context,
    escape,
    header,
    section,
    user,
)
from okrbot.slack.blocks.objective import kind_note, kr_value
from okrbot.slack.blocks.pace import pace_details
from okrbot.slack.limits import MESSAGE_BLOCKS_MAX, SECTION_TEXT_MAX

Message = tuple[str, list[Block]]
# A line of a packed list and how many objectives it stands for (a heading: none).
Entry = tuple[str, int]

TITLE_CLIP = 80
NAME_CLIP = 40
BAR_WIDTH = 10
DESCRIPTION_MAX = 1500
KR_DESCRIPTION_MAX = 300
NUMBER_MAX = 24
SUPPORTERS_MAX = 10
TEAMS_TEXT_MAX = 2500
_INDENT = "\u2003"
_BULLETS = ("\u2022", "\u25e6", "\u25aa")
_NO_CHECK_IN_EMOJI = ":white_circle:"


# -- your own and others' lists


def listing_message(listing: Listing, words: Translator) -> Message:
    if listing.scope is Scope.MINE:
        return _mine(listing, words)
    count = len(listing.items)
    quarter = listing.quarter
    head: list[Block]
    if listing.scope is Scope.PERSON:
        owner = listing.person or Owner("", None)
        name = _who(owner)
        text = words("browse.person.text", name=name, quarter=quarter, count=count)
        empty = words("browse.person.empty", name=name, quarter=quarter)
        head = [section(words("browse.person.heading", name=name, quarter=quarter))]
    elif listing.scope is Scope.TEAM:
        team = listing.team or ""
        text = words("browse.team.text", team=_esc(team, NAME_CLIP), quarter=quarter, count=count)
        empty = words("browse.team.empty", team=_esc(team, NAME_CLIP), quarter=quarter)
        head = [header(words("browse.team.header", team=clip(team, NAME_CLIP), quarter=quarter))]
    else:
        text = words("browse.company.text", quarter=quarter, count=count)
        empty = words("browse.company.empty", quarter=quarter)
        head = [header(words("browse.company.header", quarter=quarter))]
    if not listing.items:
        return _fallback(empty), [section(empty)]
    entries = [
        (_entry(item, words, team=listing.scope is not Scope.TEAM), 1) for item in listing.items
    ]
    blocks = _pack(
        head,
        entries,
        more=lambda n: words("browse.list.more", count=n),
        foot=[context(words("browse.list.footer"))],
        sep="\n\n",
    )
    return _fallback(text), blocks


def _mine(listing: Listing, words: Translator) -> Message:
    count = len(listing.items)
    if not count:
        text = words("browse.mine.empty")
        return text, [section(text)]
    entries = [(_own_entry(item, words), 1) for item in listing.items]
    blocks = _pack(
        [header(words("browse.mine.header", count=count))],
        entries,
        more=lambda n: words("browse.list.more", count=n),
        foot=[context(words("browse.mine.footer"))],
        sep="\n\n",
    )
    return words("browse.mine.text", count=count), blocks


def _entry(item: Summary, words: Translator, *, team: bool) -> str:
    parts = [_who(item.owner), words(f"browse.level.{item.level.value}")]
    if team and item.team:
        parts.append(words("browse.team", team=_esc(item.team, NAME_CLIP)))
    parts.append(f"{progress_bar(item.progress, BAR_WIDTH)} {_percent(item.progress)}")
    if item.confidence is not None:
        parts.append(_confidence(item.confidence, words))
    return f"*{_esc(item.title, TITLE_CLIP)}* \u00b7 #{item.id}\n" + " \u00b7 ".join(parts)


def _own_entry(item: Summary, words: Translator) -> str:
    lines = [
        f"*{_esc(item.title, TITLE_CLIP)}* \u00b7 {item.quarter} \u00b7 "
        f"{words(f'browse.level.{item.level.value}')} \u00b7 #{item.id}",
        words("browse.status_line", status=_status(item, words)),
    ]
    if item.status is Status.REJECTED and item.rejection:
        lines.append(">" + _esc(" ".join(item.rejection.split()), 300))
    if item.status in (Status.APPROVED, Status.CLOSED):
        lines.append(
            f"{progress_bar(item.progress, BAR_WIDTH)} {_percent(item.progress)} \u00b7 "
            + _confidence(item.confidence, words)
        )
    return "\n".join(lines)


def _status(item: Summary, words: Translator) -> str:
    status = words(f"browse.status.{item.status.value}")
    if item.waiting_on and item.status.is_open_for_decision:
        return words("browse.waiting_on", status=status, who=user(item.waiting_on))
    return status


# -- nobody or no team by that name


def not_found_message(found: NotFound, words: Translator) -> Message:
    if found.kind is Unknown.PERSON:
        who = user(found.user_id) if found.user_id else _esc(found.asked, NAME_CLIP)
        lead = words("browse.unknown.person", who=who)
    else:
        lead = words("browse.unknown.team", team=_esc(found.asked, NAME_CLIP))
    if found.teams:
        teams = _joined(
            [_esc(team, NAME_CLIP) for team in found.teams],
            TEAMS_TEXT_MAX,
            lambda n: words("browse.unknown.teams_more", count=n),
        )
        known = words("browse.unknown.teams", teams=teams)
    else:
        known = words("browse.unknown.no_teams")
    blocks = [section(lead), section(known), context(words("browse.unknown.hint"))]
    return _fallback(lead), blocks


def _joined(items: Sequence[str], limit: int, more: Callable[[int], str]) -> str:
    reserve = len(more(len(items))) + 2
    shown: list[str] = []
    used = 0
    for item in items:
        used += len(item) + (2 if shown else 0)
        if used > limit - reserve:
            break
        shown.append(item)
    rest = len(items) - len(shown)
    return ", ".join(shown) + (", " + more(rest) if rest else "")


# -- one objective


def usage_message(words: Translator) -> Message:
    text = words("browse.show.usage")
    return text, [section(text)]


def no_match_message(missing: NoMatch, words: Translator) -> Message:
    query = missing.query
    if isinstance(query, ById):
        text = words("browse.show.none_id", id=query.objective_id)
    else:
        text = words("browse.show.none", query=_esc(query.words, 100))
    return _fallback(text), [section(text)]


def candidates_message(found: Candidates, words: Translator) -> Message:
    lead = words("browse.show.candidates", count=found.total, query=_esc(found.query, 100))
    lines = [
        words(
            "browse.show.candidate",
            id=ref.id,
            title=_esc(ref.title, TITLE_CLIP),
            owner=_who(ref.owner),
        )
        for ref in found.items
    ]
    blocks = [section(lead), section("\n".join(lines))]
    if found.total > len(found.items):
        blocks.append(
            context(words("browse.show.candidates_more", count=found.total - len(found.items)))
        )
    return _fallback(lead), blocks


def detail_message(detail: Detail, words: Translator) -> Message:
    item = detail.summary
    meta = words(
        "browse.show.meta",
        kind=words(f"browse.kind.{item.level.value}"),
        owner=_who(item.owner),
        quarter=item.quarter,
        id=item.id,
    )
    if item.team:
        meta += " \u00b7 " + words("browse.team", team=_esc(item.team, NAME_CLIP))
    blocks: list[Block] = [header(item.title), context(meta)]
    if detail.description.strip():
        blocks.append(section(_esc(detail.description, DESCRIPTION_MAX)))
    if item.status not in (Status.APPROVED, Status.CLOSED):
        status = words("browse.status_line", status=_status(item, words))
        if item.status is Status.REJECTED and item.rejection:
            status += "\n>" + _esc(" ".join(item.rejection.split()), 300)
        blocks.append(section(status))
    checked = (
        words("browse.show.last_check_in", date=_day(item.last_check_in_at))
        if item.last_check_in_at
        else words("browse.show.no_check_in")
    )
    blocks.append(
        section(
            words(
                "browse.show.progress",
                bar=progress_bar(item.progress, BAR_WIDTH),
                percent=_percent(item.progress),
            )
            + "\n"
            + words("browse.show.confidence", confidence=_confidence(item.confidence, words))
            + f" \u00b7 {checked}"
            + "".join("\n" + line for line in pace_details(detail.pace, words))
        )
    )
    if detail.key_results:
        krs = [words("browse.show.key_results")]
        for kr in detail.key_results:
            unit = f" {_esc(kr.unit, 30)}" if kr.unit else ""
            if kr.kind == Kind.NUMERIC:
                values = words(
                    "browse.show.kr_values",
                    start=_number(kr.start),
                    current=_number(kr.current) if kr.current is not None else "\u2013",
                    target=_number(kr.target),
                    unit=unit,
                    bar=progress_bar(kr.progress, BAR_WIDTH),
                    percent=_percent(kr.progress),
                )
            else:
                # A milestone: done or not; a range: the value and its bounds.
                now = kr_value(kr.current, kr.kind, words)
                if kr.kind == Kind.RANGE:
                    now += f"{unit} ({kind_note(kr.kind, kr.start, kr.target, words)})"
                values = (
                    f"{now} \u00b7 {progress_bar(kr.progress, BAR_WIDTH)} {_percent(kr.progress)}"
                )
            if kr.current_at is not None:
                values += " \u00b7 " + words("browse.show.kr_updated", date=_day(kr.current_at))
            values += " \u00b7 " + words("browse.show.kr_id", id=kr.id)
            if kr.owner:
                values += " \u00b7 " + words("browse.show.kr_owner", owner=f"<@{kr.owner}>")
            krs.append(
                words(
                    "browse.show.kr",
                    position=kr.position,
                    description=_esc(kr.description, KR_DESCRIPTION_MAX),
                )
                + "\n"
                + values
            )
        blocks.append(section("\n".join(krs)))
    blocks.append(section(_alignment(detail, words)))
    blocks.append(context(_approvals(detail, words)))
    text = words(
        "browse.show.text",
        title=_esc(item.title, TITLE_CLIP),
        quarter=item.quarter,
        percent=_percent(item.progress),
    )
    return _fallback(text), blocks


def _alignment(detail: Detail, words: Translator) -> str:
    lines: list[str] = []
    if detail.supports is not None:
        lines.append(words("browse.show.supports", objective=_ref(detail.supports)))
    elif detail.summary.level is not Level.COMPANY:
        lines.append(words("browse.show.supports_nothing"))
    if detail.supported_by:
        lines.append(words("browse.show.supported_by", count=len(detail.supported_by)))
        lines += [f"\u2022 {_ref(ref)}" for ref in detail.supported_by[:SUPPORTERS_MAX]]
        if len(detail.supported_by) > SUPPORTERS_MAX:
            lines.append(words("browse.show.more", count=len(detail.supported_by) - SUPPORTERS_MAX))
    else:
        lines.append(words("browse.show.supported_by_none"))
    return "\n".join(lines)


def _approvals(detail: Detail, words: Translator) -> str:
    if detail.approvals:
        done = "; ".join(
            words(
                "browse.show.approval",
                name=_who(a.by),
                stage=words(f"browse.stage.{a.stage.value}"),
                date=_day(a.at),
            )
            for a in detail.approvals
        )
        return words("browse.show.approved_by", approvals=done)
    if detail.summary.status in (Status.APPROVED, Status.CLOSED):
        return words("browse.show.published", date=_day(detail.published_at))
    return words("browse.show.no_approvals")


def _ref(ref: Ref) -> str:
    progress = f" \u00b7 {_percent(ref.progress)}" if ref.progress is not None else ""
    return f"*{_esc(ref.title, TITLE_CLIP)}* \u00b7 {_who(ref.owner)}{progress} \u00b7 #{ref.id}"


# -- the alignment tree


def tree_message(tree: Tree, words: Translator) -> Message:
    quarter = tree.quarter
    if not tree.total:
        text = words("browse.tree.empty", quarter=quarter)
        return text, [section(text)]
    text = words(
        "browse.tree.text", quarter=quarter, count=tree.total, unaligned=tree.unaligned_count
    )
    head = [
        header(words("browse.tree.header", quarter=quarter)),
        context(words("browse.tree.summary", count=tree.total, unaligned=tree.unaligned_count)),
    ]

    def more(n: int) -> str:
        return words("browse.tree.more", count=n)

    heading = words("browse.tree.unaligned", quarter=quarter)
    entries = [(_tree_line(row), 1) for row in tree.aligned]
    if tree.unaligned:
        entries += [(heading, 0), *((_tree_line(row), 1) for row in tree.unaligned)]
    blocks, rest = _packed(head, entries, more=more)
    if not rest:
        return _fallback(text), blocks
    # Too big to list one by one: personal objectives are counted under what they
    # support, and the branches that support nothing are counted by team.
    entries = _folded(tree.aligned, words)
    if tree.unaligned:
        entries += [(heading, 0), *_by_team(tree.unaligned, words)]
    blocks, _ = _packed(head, entries, more=more, foot=[context(words("browse.tree.collapsed"))])
    return _fallback(text), blocks


def _tree_line(row: TreeRow) -> str:
    depth = row.depth
    item = row.objective
    mark = ":warning:" if row.unaligned else _BULLETS[min(depth, len(_BULLETS) - 1)]
    return (
        f"{_INDENT * min(depth, 6)}{mark} *{_esc(item.title, 60)}* \u00b7 {_who(item.owner)} "
        f"\u00b7 {_percent(item.progress)} \u00b7 #{item.id}"
    )


def _folded(rows: Sequence[TreeRow], words: Translator) -> list[Entry]:
    """Every objective but personal ones on a line; personal ones (and what hangs under
    them) as one count under the nearest objective shown."""
    entries: list[Entry] = []
    # Shown rows whose subtree is still open: depth, folded count, their progress summed.
    open_rows: list[tuple[int, int, float]] = []

    def close(depth: int) -> None:
        while open_rows and open_rows[-1][0] >= depth:
            shown_depth, count, total = open_rows.pop()
            if count:
                line = words("browse.tree.folded", count=count, percent=_percent(total / count))
                entries.append((f"{_INDENT * min(shown_depth + 1, 6)}\u25e6 _{line}_", count))

    for row in rows:
        close(row.depth)
        if row.objective.level is Level.PERSONAL and row.depth > 0 and open_rows:
            depth, count, total = open_rows[-1]
            open_rows[-1] = (depth, count + 1, total + row.objective.progress)
        else:
            entries.append((_tree_line(row), 1))
            open_rows.append((row.depth, 0, 0.0))
    close(0)
    return entries


def _by_team(rows: Sequence[TreeRow], words: Translator) -> list[Entry]:
    groups: dict[str | None, list[float]] = {}
    team: str | None = None
    for row in rows:
        if row.unaligned:
            team = row.objective.team
        groups.setdefault(team, []).append(row.objective.progress)
    order = sorted(groups, key=lambda t: (t is None, (t or "").casefold()))
    entries: list[Entry] = []
    for name in order:
        shares = groups[name]
        label = _esc(name, NAME_CLIP) if name else words("browse.tree.no_team")
        line = words(
            "browse.tree.team_unaligned",
            team=f"*{label}*",
            count=len(shares),
            percent=_percent(sum(shares) / len(shares)),
        )
        entries.append((f":warning: {line}", len(shares)))
    return entries


# -- packing within Slack's limits


def _pack(
    head: list[Block],
    entries: Sequence[Entry],
    *,
    more: Callable[[int], str],
    foot: Sequence[Block] = (),
    sep: str = "\n",
) -> list[Block]:
    blocks, _ = _packed(head, entries, more=more, foot=foot, sep=sep)
    return blocks


def _packed(
    head: list[Block],
    entries: Sequence[Entry],
    *,
    more: Callable[[int], str],
    foot: Sequence[Block] = (),
    sep: str = "\n",
) -> tuple[list[Block], int]:
    """As many entries as fit, in sections, then how many objectives were left out.

    Returns the blocks and that number (0: everything is shown).
    """
    total = sum(weight for _, weight in entries)
    # Room for the "and N more" note, whether or not it turns out to be needed.
    fixed_chars = _chars([*head, *foot, context(more(total))])
    fixed_blocks = len(head) + len(foot) + 1
    sections: list[list[Entry]] = []
    size = 0
    used = 0
    for entry in entries:
        length = len(entry[0])
        if sections and size + len(sep) + length <= SECTION_TEXT_MAX:
            extra = len(sep) + length
            if fixed_chars + used + extra > BLOCKS_TEXT_BUDGET:
                break
            sections[-1].append(entry)
            size += extra
        else:
            if fixed_blocks + len(sections) + 1 > MESSAGE_BLOCKS_MAX:
                break
            if length > SECTION_TEXT_MAX or fixed_chars + used + length > BLOCKS_TEXT_BUDGET:
                break
            sections.append([entry])
            size = extra = length
        used += extra
    # A heading with nothing under it says nothing; the note below covers the rest.
    shown = sum(len(s) for s in sections)
    if shown < len(entries) and sections and sections[-1][-1][1] == 0:
        sections[-1].pop()
        if not sections[-1]:
            sections.pop()
    rest = total - sum(weight for s in sections for _, weight in s)
    blocks = [*head, *(section(sep.join(text for text, _ in s)) for s in sections)]
    if rest:
        blocks.append(context(more(rest)))
    return [*blocks, *foot], rest


def _chars(node: object) -> int:
    """Characters of every `text` string in blocks, as Slack adds them up."""
    if isinstance(node, dict):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else _chars(value)
            for key, value in node.items()
        )
    if isinstance(node, list):
        return sum(_chars(item) for item in node)
    return 0


# -- small pieces


def _esc(text: str, limit: int) -> str:
    """User text for mrkdwn in at most `limit` characters, never cut inside an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    pieces: list[str] = []
    used = 0
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit - 1:
            break
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces).rstrip() + "\u2026"


def _who(owner: Owner) -> str:
    return _esc(owner.name, NAME_CLIP) if owner.name else user(owner.id)


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _number(value: float) -> str:
    return clip(format_number(value), NUMBER_MAX)


def _confidence(confidence: Confidence | None, words: Translator) -> str:
    if confidence is None:
        return f"{_NO_CHECK_IN_EMOJI} {words('browse.not_checked_in')}"
    return f"{confidence.emoji} {words(f'browse.confidence.{confidence.value}')}"


def _day(moment: datetime | None) -> str:
    """A date each reader sees in their own calendar and language."""
    if moment is None:
        return "\u2013"
    return f"<!date^{int(moment.timestamp())}^{{date_short}}|{moment:%Y-%m-%d}>"


def _fallback(text: str) -> str:
    return clip(text, FALLBACK_MAX)
