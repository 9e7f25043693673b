"""Parsing and validation of the org chart CSV that admins upload.

Everything here is pure: reading Slack's directory and the stored org chart is
the service's job, which hands them to resolve() and check_hierarchy().
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

REQUIRED_COLUMNS = ("user", "manager", "team")
OPTIONAL_COLUMNS = ("role",)
MAX_TEXT_LENGTH = 80

# Bounds on one import, far above any company's org chart: a file past them is a mistake
# (the wrong export, a log file), refused before it costs minutes and gigabytes.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
# A wrong file can have an error on every row; past this many, more lines help nobody.
MAX_ERRORS_SHOWN = 50
# Big files report how far they are every this many rows.
PROGRESS_EVERY = 5_000

_SLACK_ID_RE = re.compile(r"[UW][A-Z0-9]{2,}", re.ASCII)
# C0 controls other than tab, line feed and carriage return, and DEL.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
_NO_MANAGERS: Mapping[str, str | None] = MappingProxyType({})


@dataclass(frozen=True)
class OrgRow:
    line: int
    user: str
    manager: str | None
    team: str
    role: str | None


@dataclass(frozen=True)
class LineError:
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}: {self.message}"


class OrgChartError(Exception):
    def __init__(self, errors: Sequence[LineError]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = [str(error) for error in self.errors[:MAX_ERRORS_SHOWN]]
        hidden = len(self.errors) - len(shown)
        if hidden > 0:
            shown.append(f"… and {hidden:,} more")
        return "\n".join(shown)


@dataclass(frozen=True)
class DirectoryMember:
    """One entry of the workspace's directory (users.list), as the import needs it."""

    user_id: str
    email: str | None
    deleted: bool = False
    is_bot: bool = False


def decode_org_file(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read with, or OrgChartError in one line.

    UTF-8 first (with or without the byte order mark Excel's "CSV UTF-8" writes), then
    Windows-1252, which is what Excel's plain "CSV" gives in Western Europe and the
    Americas (Latin-1 is the same for every letter a name uses).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise OrgChartError(
            [LineError(None, 'the file is UTF-16 text: save it as "CSV UTF-8" and try again')]
        )
    if data.startswith(b"PK\x03\x04"):
        raise OrgChartError(
            [LineError(None, "the file is a zip archive (an Excel workbook?): save it as CSV")]
        )
    if b"\x00" in data:
        raise OrgChartError(
            [LineError(None, "the file is not text (it contains NUL bytes): save it as CSV")]
        )
    if data.startswith(codecs.BOM_UTF8):
        text = _decode(data[len(codecs.BOM_UTF8) :], "utf-8")
        used = "UTF-8 (with a byte order mark)"
    else:
        try:
            text, used = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            text, used = _decode(data, "cp1252"), "Windows-1252, as it is not UTF-8"
    # Binary data without a NUL still decodes as Windows-1252, every byte being a
    # character there; control characters are what give it away (no CSV has them).
    control = _CONTROL_RE.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        raise OrgChartError(
            [
                LineError(
                    None,
                    f"the file is not text (control character 0x{ord(control.group()):02X} "
                    f"on line {line}): save it as CSV",
                )
            ]
        )
    return text, used


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        what = "not UTF-8" if encoding == "utf-8" else "neither UTF-8 nor Windows-1252"
        raise OrgChartError(
            [
                LineError(
                    None,
                    f"the file is {what} text (byte 0x{byte:02X} on line {line}): "
                    'save it as "CSV UTF-8"',
                )
            ]
        ) from None


@dataclass(frozen=True)
class ResolvedRow:
    line: int
    user_id: str
    manager_id: str | None
    team: str
    role: str | None


def _is_email(value: str) -> bool:
    if value.count("@") != 1 or any(char.isspace() for char in value):
        return False
    local, domain = value.split("@")
    return bool(local) and "." in domain.strip(".")


def _normalize_identifier(value: str) -> str | None:
    """The canonical form of a user reference, or None when it is malformed."""
    if _SLACK_ID_RE.fullmatch(value):
        return value
    if _is_email(value):
        # Mail systems treat addresses case-insensitively and so does Slack's lookup.
        return value.lower()
    return None


def _describe_lines(lines: Sequence[int]) -> str:
    if len(lines) == 1:
        return f"line {lines[0]}"
    head = ", ".join(str(line) for line in lines[:-1])
    return f"lines {head} and {lines[-1]}"


def _is_blank(record: Sequence[str]) -> bool:
    # Spreadsheets export empty rows as a run of commas rather than an empty line.
    return all(not cell.strip() for cell in record)


def _read_records(
    text: str, progress: Callable[[int], None] | None = None
) -> tuple[list[tuple[int, list[str]]], LineError | None]:
    """Non-blank CSV records with the physical line each one starts on."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    # A quoted field may span several lines, so a record starts one line after
    # the previous one ended, not at reader.line_num.
    next_line = 1
    try:
        for record in reader:
            if not _is_blank(record):
                records.append((next_line, record))
                # The header and MAX_ROWS rows; one more is refused before the rest is read.
                if len(records) > MAX_ROWS + 1:
                    raise OrgChartError([_too_many_rows()])
                rows = len(records) - 1
                if progress is not None and rows and rows % PROGRESS_EVERY == 0:
                    progress(rows)
            next_line = reader.line_num + 1
    except csv.Error as exc:
        return records, LineError(reader.line_num, f"unreadable CSV: {exc}")
    return records, None


def _too_many_rows() -> LineError:
    return LineError(
        None,
        f"the file has more than {MAX_ROWS:,} rows, more than okrbot imports at once: "
        "is it the right file?",
    )


def too_big(size: int) -> OrgChartError:
    """The refusal of a file of `size` bytes, past MAX_FILE_BYTES."""
    return OrgChartError(
        [
            LineError(
                None,
                f"the file is {size / 1024 / 1024:.1f} MB, more than the "
                f"{MAX_FILE_BYTES // 1024 // 1024} MB okrbot imports at once: "
                "is it the right file?",
            )
        ]
    )


def _cell(cells: Sequence[str], positions: Mapping[str, int], column: str) -> str:
    position = positions.get(column)
    return "" if position is None else cells[position].strip()


def _optional_text(line: int, column: str, value: str, errors: list[LineError]) -> str | None:
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_TEXT_LENGTH:
        errors.append(
            LineError(
                line, f"{column} is {len(value)} characters long, at most {MAX_TEXT_LENGTH} allowed"
            )
        )
    return value


def _parse_header(line: int, header: Sequence[str]) -> tuple[dict[str, int], list[LineError]]:
    names = [cell.strip().lower() for cell in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        expected = ",".join(REQUIRED_COLUMNS)
        return {}, [
            LineError(
                line,
                f"missing required column(s): {', '.join(missing)} "
                f"(the header must be {expected}, optionally followed by role)",
            )
        ]
    errors: list[LineError] = []
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        errors.append(
            LineError(
                line,
                f"unknown column(s): {listed} "
                f"(allowed: {', '.join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))})",
            )
        )
    repeated = sorted({name for name in names if name in known and names.count(name) > 1})
    if repeated:
        errors.append(LineError(line, f"column(s) listed more than once: {', '.join(repeated)}"))
    positions = {name: names.index(name) for name in known if name in names}
    return positions, errors


def _malformed(line: int, column: str, raw: str) -> LineError:
    return LineError(
        line,
        f"{column} {raw!r} is neither a Slack user ID (like U012AB3CD) nor an e-mail address",
    )


def _parse_row(
    line: int, cells: Mapping[str, str]
) -> tuple[str | None, OrgRow | None, list[LineError]]:
    """The normalized user (for duplicate detection), the row if valid, and its errors."""
    errors: list[LineError] = []
    raw_user = cells.get("user", "")
    user: str | None = None
    if not raw_user:
        errors.append(LineError(line, "user is empty"))
    else:
        user = _normalize_identifier(raw_user)
        if user is None:
            errors.append(_malformed(line, "user", raw_user))

    raw_manager = cells.get("manager", "")
    manager: str | None = None
    if raw_manager:
        manager = _normalize_identifier(raw_manager)
        if manager is None:
            errors.append(_malformed(line, "manager", raw_manager))

    if user is not None and user == manager:
        errors.append(LineError(line, f"{raw_user} is listed as their own manager"))

    # Every objective of a person is filed under their team, and the digest groups by it.
    team = _optional_text(line, "team", cells.get("team", ""), errors)
    if team is None:
        errors.append(LineError(line, "team is empty"))
    role = _optional_text(line, "role", cells.get("role", ""), errors)
    if errors or user is None or team is None:
        return user, None, errors
    return user, OrgRow(line=line, user=user, manager=manager, team=team, role=role), errors


def parse_org_csv(text: str, progress: Callable[[int], None] | None = None) -> list[OrgRow]:
    """Parse the uploaded CSV, raising OrgChartError listing every problem found."""
    rows, errors = read_org_csv(text, progress)
    if errors:
        raise OrgChartError(errors)
    return rows


def read_org_csv(
    text: str, progress: Callable[[int], None] | None = None
) -> tuple[list[OrgRow], list[LineError]]:
    """The rows without problems, and the problems of the others in line order; raises
    OrgChartError when the file as a whole is wrong (empty, a bad header, too long).

    Rows shorter than the header are padded with empty values, because some
    exporters drop trailing empty cells; longer rows are rejected, since they
    usually mean an unquoted comma inside a team name. `progress` is told how
    many rows have been read, every PROGRESS_EVERY rows.
    """
    records, read_error = _read_records(text, progress)
    if not records:
        if read_error is not None:
            raise OrgChartError([read_error])
        raise OrgChartError(
            [LineError(None, "the file is empty: expected a header row user,manager,team")]
        )

    header_line, header = records[0]
    positions, errors = _parse_header(header_line, header)
    if not positions:
        raise OrgChartError(errors)

    rows: list[OrgRow] = []
    lines_by_user: dict[str, list[int]] = {}
    # The first person without a manager, as the file wrote them: the CEO.
    top: tuple[int, str] | None = None
    for line, record in records[1:]:
        if len(record) > len(header):
            errors.append(
                LineError(
                    line,
                    f"expected at most {len(header)} values but found {len(record)}; "
                    "put values that contain commas in double quotes",
                )
            )
            continue
        cells = record + [""] * (len(header) - len(record))
        user, row, row_errors = _parse_row(
            line, {column: _cell(cells, positions, column) for column in positions}
        )
        if user is not None:
            lines_by_user.setdefault(user, []).append(line)
            if not cells[positions["manager"]].strip():
                if top is None:
                    top = (line, cells[positions["user"]].strip())
                elif user != _normalize_identifier(top[1]):
                    row_errors.append(_second_top(line, top))
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)

    for user, lines in lines_by_user.items():
        if len(lines) > 1:
            errors.append(
                LineError(
                    lines[1], f"user {user} is listed more than once ({_describe_lines(lines)})"
                )
            )

    if read_error is not None:
        errors.append(read_error)
    elif len(records) == 1:
        errors.append(LineError(None, "no data rows: the file only contains the header"))

    return rows, sorted_errors(errors)


def _second_top(line: int, top: tuple[int, str]) -> LineError:
    top_line, top_user = top
    return LineError(
        line,
        f"manager is empty, but only the CEO has no manager and line {top_line} "
        f"({top_user}) has none already",
    )


def sorted_errors(errors: list[LineError]) -> list[LineError]:
    # Errors without a line concern the whole file, so they lead; the sort is
    # stable, keeping the order problems were found in within one line.
    return sorted(errors, key=lambda error: -1 if error.line is None else error.line)


def check_hierarchy(
    rows: Sequence[ResolvedRow],
    existing_managers: Mapping[str, str | None] = _NO_MANAGERS,
) -> list[LineError]:
    """Problems that only show up once every identifier is a Slack user ID.

    `existing_managers` is the stored org chart; rows in the file replace the
    stored entry for their user. Only cycles that pass through at least one row
    of the file are reported: the file cannot be blamed for anything else.
    """
    errors: list[LineError] = []
    first_row: dict[str, ResolvedRow] = {}
    lines_by_user: dict[str, list[int]] = {}
    for row in rows:
        lines_by_user.setdefault(row.user_id, []).append(row.line)
        first_row.setdefault(row.user_id, row)
        if row.manager_id == row.user_id:
            errors.append(LineError(row.line, f"{row.user_id} is listed as their own manager"))

    for user_id, lines in lines_by_user.items():
        if len(lines) > 1:
            errors.append(
                LineError(
                    sorted(lines)[1],
                    f"user {user_id} appears more than once ({_describe_lines(sorted(lines))}); "
                    "a Slack ID and an e-mail address may refer to the same person",
                )
            )

    # Self-management is reported above; dropping those edges keeps it from also
    # surfacing as a one-person cycle. Duplicates use their first row, as the
    # later ones are already errors.
    manager_of: dict[str, str] = {
        user: manager
        for user, manager in existing_managers.items()
        if manager is not None and manager != user
    }
    for user_id, row in first_row.items():
        if row.manager_id is None or row.manager_id == user_id:
            manager_of.pop(user_id, None)
        else:
            manager_of[user_id] = row.manager_id

    errors.extend(_cycle_errors(manager_of, first_row))
    return sorted_errors(errors)


def _cycle_errors(
    manager_of: Mapping[str, str], in_file: Mapping[str, ResolvedRow]
) -> list[LineError]:
    # Everyone has at most one manager, so each person lies on at most one cycle
    # and a single walk up the chain from every person finds all cycles once.
    # The walk is iterative because real org charts can be thousands deep.
    errors: list[LineError] = []
    finished: set[str] = set()
    for start in in_file:
        path: list[str] = []
        on_path: dict[str, int] = {}
        current: str | None = start
        while current is not None and current not in finished and current not in on_path:
            on_path[current] = len(path)
            path.append(current)
            current = manager_of.get(current)
        if current is not None and current in on_path:
            cycle = path[on_path[current] :]
            error = _describe_cycle(cycle, in_file)
            if error is not None:
                errors.append(error)
        finished.update(path)
    return errors


def _describe_cycle(cycle: list[str], in_file: Mapping[str, ResolvedRow]) -> LineError | None:
    from_file = [user for user in cycle if user in in_file]
    if not from_file:
        return None
    # Start with the earliest row so the message does not depend on which
    # person the search happened to reach first.
    first = min(from_file, key=lambda user: in_file[user].line)
    offset = cycle.index(first)
    ordered = cycle[offset:] + cycle[:offset]
    chain = " -> ".join([*ordered, first])
    lines = ", ".join(str(line) for line in sorted(in_file[user].line for user in from_file))
    detail = f"line {lines}" if len(from_file) == 1 else f"lines {lines}"
    stored = [user for user in ordered if user not in in_file]
    if stored:
        detail += f"; the manager of {', '.join(stored)} comes from the current org chart"
    return LineError(in_file[first].line, f"manager cycle: {chain} ({detail})")


class _Directory:
    """The workspace's people, by Slack ID and by e-mail address."""

    def __init__(self, members: Iterable[DirectoryMember]) -> None:
        self.by_id: dict[str, DirectoryMember] = {}
        self.by_email: dict[str, DirectoryMember] = {}
        for member in members:
            self.by_id[member.user_id] = member
            if member.email:
                email = member.email.lower()
                # A deactivated account may keep the address of the person's new one.
                known = self.by_email.get(email)
                if known is None or _usable(known) is not None:
                    self.by_email[email] = member

    def has_emails(self) -> bool:
        return any(_usable(member) is None for member in self.by_email.values())


def _usable(member: DirectoryMember) -> str | None:
    """Why `member` cannot be in the org chart, or None."""
    if member.deleted:
        return "deactivated"
    if member.is_bot:
        return "a bot"
    return None


def resolve(
    rows: Sequence[OrgRow], members: Iterable[DirectoryMember]
) -> tuple[list[ResolvedRow], dict[str, str]]:
    """Check every user and manager against the workspace's directory (users.list) and
    turn e-mail addresses into Slack user IDs; raises OrgChartError listing every
    person Slack does not know or who cannot have OKRs.

    Also returns the e-mail address each user was given by, to keep on their record.
    """
    directory = _Directory(members)
    errors: list[LineError] = []
    if not directory.has_emails() and any(
        _is_email(row.user) or (row.manager is not None and _is_email(row.manager)) for row in rows
    ):
        # Slack leaves the addresses out of users.list for a token without the scope,
        # and then every address in the file would be reported unknown.
        raise OrgChartError(
            [
                LineError(
                    None,
                    "Slack gave okrbot no e-mail addresses: the app needs the "
                    "users:read.email scope (add it and reinstall the app), or name people "
                    "by their Slack user ID",
                )
            ]
        )

    def find(identifier: str, line: int, what: str) -> str | None:
        if _is_email(identifier):
            member = directory.by_email.get(identifier)
            if member is None:
                errors.append(LineError(line, f"unknown {what}: no Slack user has {identifier}"))
                return None
        else:
            member = directory.by_id.get(identifier)
            if member is None:
                errors.append(
                    LineError(
                        line, f"unknown {what}: no Slack user in this workspace is {identifier}"
                    )
                )
                return None
        reason = _usable(member)
        if reason is not None:
            named = identifier
            if identifier != member.user_id:
                named = f"{identifier} ({member.user_id})"
            errors.append(LineError(line, f"{what} {named} is {reason} in Slack"))
            return None
        return member.user_id

    resolved: list[ResolvedRow] = []
    emails: dict[str, str] = {}
    for row in rows:
        user_id = find(row.user, row.line, "user")
        manager_id = find(row.manager, row.line, "manager") if row.manager else None
        if user_id is None or (row.manager and manager_id is None):
            continue
        if _is_email(row.user):
            emails[user_id] = row.user
        resolved.append(ResolvedRow(row.line, user_id, manager_id, row.team, row.role))
    if errors:
        raise OrgChartError(errors)
    return resolved, emails
