"""Parsing and validation of the org chart CSV that admins upload.

Everything here is pure: resolving e-mail addresses to Slack IDs and reading
the stored org chart is the service's job, which then calls check_hierarchy().
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

REQUIRED_COLUMNS = ("user", "manager", "team")
OPTIONAL_COLUMNS = ("role",)
MAX_TEXT_LENGTH = 80

_SLACK_ID_RE = re.compile(r"[UW][A-Z0-9]{2,}", re.ASCII)
_NO_MANAGERS: Mapping[str, str | None] = MappingProxyType({})


@dataclass(frozen=True)
class OrgRow:
    line: int
    user: str
    manager: str | None
    team: str | None
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
        return "\n".join(str(error) for error in self.errors)


@dataclass(frozen=True)
class ResolvedRow:
    line: int
    user_id: str
    manager_id: str | None
    team: str | None
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


def _read_records(text: str) -> tuple[list[tuple[int, list[str]]], LineError | None]:
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
            next_line = reader.line_num + 1
    except csv.Error as exc:
        return records, LineError(reader.line_num, f"unreadable CSV: {exc}")
    return records, None


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

    team = _optional_text(line, "team", cells.get("team", ""), errors)
    role = _optional_text(line, "role", cells.get("role", ""), errors)
    if errors or user is None:
        return user, None, errors
    return user, OrgRow(line=line, user=user, manager=manager, team=team, role=role), errors


def parse_org_csv(text: str) -> list[OrgRow]:
    """Parse the uploaded CSV, raising OrgChartError listing every problem found.

    Rows shorter than the header are padded with empty values, because some
    exporters drop trailing empty cells; longer rows are rejected, since they
    usually mean an unquoted comma inside a team name.
    """
    records, read_error = _read_records(text)
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

    if errors:
        raise OrgChartError(_sorted(errors))
    return rows


def _sorted(errors: list[LineError]) -> list[LineError]:
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
    return _sorted(errors)


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
