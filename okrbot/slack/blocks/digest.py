"""The Monday digest as Slack messages: a short summary in the channel, details in its thread.

A digest reaches everyone in the company, so it names owners in plain text: a `<@id>`
mention would notify each of them every Monday. A mention is only the fallback for an
owner whose name is unknown, since an empty name would be worse.

A company of thousands does not fit one message: the details are packed into as many
thread replies as needed, each within Slack's limits with a margin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from okrbot.domain.checkin import Confidence
from okrbot.domain.digest import NO_TEAM, Digest, DigestRow, Person, TeamSection
from okrbot.domain.pace import TeamPace
from okrbot.domain.progress import progress_bar
from okrbot.i18n import Translator
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
from okrbot.slack.blocks.pace import BEHIND_EMOJI, STALE_EMOJI
from okrbot.slack.limits import MESSAGE_BLOCKS_MAX, SECTION_TEXT_MAX

Message = tuple[str, list[Block]]

ATTENTION_MAX = 10
# Teams (and characters) in the parent message's count of stale and behind-pace objectives.
TEAM_PACE_MAX = 5
TEAM_PACE_CHARS = 600
STALE_NAMES_MAX = 30
TITLE_CLIP = 80
# Slack display names can be 80 characters; a line needs far less to say who.
NAME_CLIP = 40
BAR_WIDTH = 10

_NO_CHECK_IN_EMOJI = ":white_circle:"


def digest_messages(digest: Digest, words: Translator) -> list[Message]:
    """The parent message first, then the thread replies, in posting order."""
    replies = pack_team_lines(
        [_team_lines(team, words) for team in digest.teams],
        lambda title: words("digest.continued", team=title),
    )
    total = 1 + len(replies)
    messages = [_parent(digest, words)]
    for number, (blocks, teams) in enumerate(replies, start=2):
        # Slack formats the fallback too, so team names are escaped like any user text.
        names = ", ".join(escape(clip(team, TITLE_CLIP)) for team in teams)
        fallback = words(
            "digest.part", quarter=digest.quarter, number=number, total=total, teams=names
        )
        messages.append((clip(fallback, FALLBACK_MAX), blocks))
    return messages


# -- the parent message


def _parent(digest: Digest, words: Translator) -> Message:
    percent = _percent(digest.progress)
    text = words("digest.text", quarter=digest.quarter, week=digest.week, percent=percent)
    count = "one" if digest.objectives == 1 else "many"
    blocks = [
        header(
            words("digest.header", quarter=digest.quarter, week=digest.week, weeks=digest.weeks)
        ),
        context(
            words(
                "digest.elapsed",
                elapsed=_percent(digest.elapsed),
                objectives=words(f"digest.objectives.{count}", count=digest.objectives),
            )
        ),
    ]
    if not digest.objectives:
        blocks.append(section(words("digest.none", quarter=digest.quarter)))
        return text, blocks
    blocks += [
        section(
            words(
                "digest.progress",
                bar=progress_bar(digest.progress, BAR_WIDTH),
                percent=percent,
                change=_change(digest.change, words),
            )
        ),
        context(_counts(digest, words)),
        section(_team_pace(digest.team_pace, words)),
        section(_attention(digest.attention, words)),
    ]
    if digest.stale:
        blocks.append(section(_stale(digest.stale, digest.stale_after_days, words)))
    blocks.append(context(words("digest.in_thread")))
    return text, blocks


def _counts(digest: Digest, words: Translator) -> str:
    parts = [
        f"{confidence.emoji} {digest.counts.get(confidence.value, 0)} "
        f"{words(f'confidence.{confidence.value}').lower()}"
        for confidence in (Confidence.ON_TRACK, Confidence.AT_RISK, Confidence.OFF_TRACK)
    ]
    parts.append(
        f"{_NO_CHECK_IN_EMOJI} {digest.counts.get('no_check_in', 0)} "
        f"{words('digest.not_checked_in')}"
    )
    return "   ".join(parts)


def _attention(rows: Sequence[DigestRow], words: Translator) -> str:
    heading = words("digest.attention")
    if not rows:
        return f"{heading}\n{words('digest.attention.none')}"
    lines = [
        f"{_emoji(row)} {_title(row)} · {_owner(row.owner_id, row.owner_name)} · "
        f"{_percent(row.progress)}{_pace(row, words)}"
        for row in rows[:ATTENTION_MAX]
    ]
    return _capped(
        f"{heading}\n",
        lines,
        len(rows),
        "\n",
        lambda rest: "\n" + words("digest.attention.more", count=rest),
    )


def _pace(row: DigestRow, words: Translator) -> str:
    """Behind pace and stale, after the confidence's emoji the owner chose."""
    parts = []
    if row.behind_pace:
        parts.append(f"{BEHIND_EMOJI} {words('pace.behind')}")
    if row.stale:
        parts.append(f"{STALE_EMOJI} {words('pace.stale')}")
    return "".join(f" · {part}" for part in parts)


def _team_pace(teams: Sequence[TeamPace], words: Translator) -> str:
    """Stale and behind-pace objectives, counted for each team that has any."""
    lead = words("pace.digest.lead")
    # The teams with the most flagged first: the parent message has room for a few only.
    flagged = sorted(
        (t for t in teams if t.stale or t.behind_pace), key=lambda t: -(t.stale + t.behind_pace)
    )
    if not flagged:
        return f"{lead}\n{words('pace.digest.none')}"
    lines = []
    for team in flagged:
        name = words("digest.no_team") if team.team is None else team.team
        stale = words(
            "pace.digest.stale.one" if team.stale == 1 else "pace.digest.stale.many",
            count=team.stale,
        )
        behind = words(
            "pace.digest.behind.one" if team.behind_pace == 1 else "pace.digest.behind.many",
            count=team.behind_pace,
        )
        lines.append(
            words(
                "pace.digest.team", team=escape(clip(name, TITLE_CLIP)), stale=stale, behind=behind
            )
        )
    return _capped(
        f"{lead}\n",
        lines[:TEAM_PACE_MAX],
        len(lines),
        "\n",
        lambda rest: "\n" + words("pace.digest.more", count=rest),
        TEAM_PACE_CHARS,
    )


def _stale(people: Sequence[Person], days: int, words: Translator) -> str:
    names = [_owner(person.id, person.name) for person in people[:STALE_NAMES_MAX]]
    return _capped(
        words("digest.stale", days=days) + " ",
        names,
        len(people),
        ", ",
        lambda rest: " " + words("digest.stale.more", count=rest),
    )


def _capped(
    prefix: str,
    entries: Sequence[str],
    total: int,
    sep: str,
    more: Callable[[int], str],
    limit: int = SECTION_TEXT_MAX,
) -> str:
    """As many entries as fit one section, then how many were left out.

    The count cap alone is not enough: escaping can make a clipped title or name five
    times longer, and section() would otherwise cut the text mid-entity.
    """
    room = limit - len(prefix) - len(more(total))
    shown: list[str] = []
    used = 0
    for entry in entries:
        used += len(entry) + (len(sep) if shown else 0)
        if used > room:
            break
        shown.append(entry)
    rest = total - len(shown)
    return prefix + sep.join(shown) + (more(rest) if rest else "")


# -- the thread replies


def _team_lines(team: TeamSection, words: Translator) -> tuple[str, list[str]]:
    lines = [
        f"{_emoji(row)} {_title(row)} · {_owner(row.owner_id, row.owner_name)} · "
        f"{progress_bar(row.progress, BAR_WIDTH)} {_percent(row.progress)} "
        f"{_change(row.change, words)}"
        for row in team.rows
    ]
    return _team_name(team.name, words), lines


def _team_name(name: str, words: Translator) -> str:
    # The domain's name for objectives of no team is English; say it in the reader's.
    return words("digest.no_team") if name == NO_TEAM else name


def pack_team_lines(
    teams: Sequence[tuple[str, list[str]]],
    continued: Callable[[str], str],
) -> list[tuple[list[Block], list[str]]]:
    """Lines into sections, sections into messages, each filled as far as its limits allow.

    A team's lines stay in order; a team cut by a message boundary carries on in the
    next message under a "(continued)" heading so that a reader opening that reply alone
    still knows whose objectives these are.
    """
    packer = _Packer(continued)
    for name, lines in teams:
        packer.start_team(name, lines)
    packer.finish_message()
    return packer.messages


class _Packer:
    def __init__(self, continued: Callable[[str], str]) -> None:
        self.continued = continued
        self.messages: list[tuple[list[Block], list[str]]] = []
        self.blocks: list[Block] = []
        self.teams: list[str] = []
        self.chars = 0
        self.lines: list[str] = []
        self.size = 0

    def fits_section(self, extra: int) -> bool:
        """Whether the open section can grow by `extra` characters."""
        return (
            self.size + extra <= SECTION_TEXT_MAX
            and self.chars + self.size + extra <= BLOCKS_TEXT_BUDGET
        )

    def fits_new_section(self, length: int) -> bool:
        """Whether, once the open section is closed, one of `length` characters still fits."""
        used_blocks = len(self.blocks) + (1 if self.lines else 0)
        return (
            used_blocks < MESSAGE_BLOCKS_MAX
            and self.chars + self.size + length <= BLOCKS_TEXT_BUDGET
        )

    def start_team(self, name: str, lines: Sequence[str]) -> None:
        title = escape(clip(name, TITLE_CLIP))
        heading = f"*{title}*"
        if lines:
            # Keep the heading with the team's first line instead of stranding it at
            # the end of a message.
            first = len(heading) + 1 + len(lines[0])
            if not self.fits_new_section(first):
                self.finish_message()
        self.close_section()
        self.open_section(heading, name)
        for line in lines:
            self.add_line(line, title, name)

    def add_line(self, line: str, title: str, name: str) -> None:
        if self.fits_section(1 + len(line)):
            self.lines.append(line)
            self.size += 1 + len(line)
            return
        if self.fits_new_section(len(line)):
            self.close_section()
            self.lines, self.size = [line], len(line)
            return
        self.finish_message()
        self.open_section(f"*{self.continued(title)}*", name)
        self.lines.append(line)
        self.size += 1 + len(line)

    def open_section(self, heading: str, name: str) -> None:
        self.lines, self.size = [heading], len(heading)
        self.teams.append(name)

    def close_section(self) -> None:
        if self.lines:
            self.blocks.append(section("\n".join(self.lines)))
            self.chars += self.size
            self.lines, self.size = [], 0

    def finish_message(self) -> None:
        self.close_section()
        if self.blocks:
            self.messages.append((self.blocks, self.teams))
        self.blocks, self.teams, self.chars = [], [], 0


# -- small pieces


def _emoji(row: DigestRow) -> str:
    return row.confidence.emoji if row.confidence else _NO_CHECK_IN_EMOJI


def _title(row: DigestRow) -> str:
    # Clipped before escaping so that an entity like &amp; is never cut in half.
    return escape(clip(row.title, TITLE_CLIP))


def _owner(user_id: str, name: str | None) -> str:
    if name and name.strip():
        return escape(clip(name.strip(), NAME_CLIP))
    return user(user_id)


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _change(change: float | None, words: Translator) -> str:
    if change is None:
        return "–"
    points = round(change * 100)
    unit = words(
        "digest.points.one" if abs(points) == 1 else "digest.points.many", points=abs(points)
    )
    if points > 0:
        return f"▲ {unit}"
    if points < 0:
        return f"▼ {unit}"
    return f"±{unit}"
