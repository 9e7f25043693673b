"""`okrbot export`'s two formats, as text: pure functions of a QuarterExport.

JSON is the complete record: every objective with its key results, every approval decision
and every check-in with its values. CSV is the sheet people open in a spreadsheet: one row
per key result with its objective's columns repeated, so filtering, sorting and pivoting
work without lookups between files; histories that do not fit a row are summarised there
and are complete in the JSON.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from okrbot.services.export import (
    ApprovalRecord,
    CheckInRecord,
    KeyResultRecord,
    ObjectiveRecord,
    QuarterExport,
)

FORMATS = ("json", "csv")

CSV_COLUMNS = (
    "objective_id",
    "quarter",
    "level",
    "team",
    "owner_id",
    "owner_name",
    "title",
    "description",
    "status",
    "version",
    "aligned_to_id",
    "created_at",
    "published_at",
    "withdrawn_at",
    "objective_progress",
    "confidence",
    "last_check_in_at",
    "check_ins",
    "objective_score",
    "approvals",
    "last_rejection_reason",
    "kr_position",
    "kr_description",
    "kr_start",
    "kr_target",
    "kr_unit",
    "kr_current",
    "kr_current_at",
    "kr_progress",
    "kr_score",
    "kr_retired_at",
    "kr_kind",
    "kr_owner",
)

# Progress is a derived share; more digits than this only add noise to a spreadsheet.
PROGRESS_DIGITS = 4
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP's list for CSV injection; a tab or a line break may precede the = of a formula).
# Titles, units, reasons, team and people's names are typed by anyone in the workspace, and
# the sheet is opened by someone else, so such a cell is written as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, which spreadsheets and `datetime.fromisoformat` both read."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _progress(share: float) -> float:
    return round(share, PROGRESS_DIGITS)


# -- JSON


def to_json(export: QuarterExport) -> str:
    return json.dumps(export_document(export), indent=2, ensure_ascii=False) + "\n"


def export_document(export: QuarterExport) -> dict[str, Any]:
    """The JSON export as a dictionary (the HTTP API answers with it too)."""
    return {
        "quarter": str(export.quarter),
        "workspace": export.workspace_id,
        "exported_at": timestamp(export.exported_at),
        "objectives": [_objective(o) for o in export.objectives],
        "people": dict(export.names),
    }


def _objective(o: ObjectiveRecord) -> dict[str, Any]:
    return {
        "id": o.id,
        "level": o.level,
        "team": o.team,
        "owner": o.owner_id,
        "title": o.title,
        "description": o.description,
        "status": o.status,
        "version": o.version,
        "aligned_to": o.aligned_to_id,
        "created_at": timestamp(o.created_at),
        "updated_at": timestamp(o.updated_at),
        "published_at": timestamp(o.published_at),
        "withdrawn_at": timestamp(o.withdrawn_at),
        "progress": _progress(o.progress),
        "confidence": o.confidence,
        "last_check_in_at": timestamp(o.last_check_in_at),
        "score": o.score,
        "scored_at": timestamp(o.scored_at),
        "key_results": [key_result_document(kr) for kr in o.key_results],
        "approvals": [_approval(a) for a in o.approvals],
        "check_ins": [_check_in(c) for c in o.check_ins],
    }


def key_result_document(kr: KeyResultRecord) -> dict[str, Any]:
    return {
        "id": kr.id,
        "position": kr.position,
        "description": kr.description,
        "kind": kr.kind,
        "owner": kr.owner,
        "start": kr.start,
        "target": kr.target,
        "unit": kr.unit,
        "current": kr.current,
        "current_at": timestamp(kr.current_at),
        "progress": _progress(kr.progress),
        "score": kr.score,
        "retired_at": timestamp(kr.retired_at),
    }


def _approval(a: ApprovalRecord) -> dict[str, Any]:
    return {
        "version": a.version,
        "stage": a.stage,
        "approver": a.approver_id,
        "outcome": a.outcome,
        "reason": a.reason,
        "decided_by": a.decided_by,
        "decided_at": timestamp(a.decided_at),
        "requested_at": timestamp(a.requested_at),
    }


def _check_in(c: CheckInRecord) -> dict[str, Any]:
    return {
        "author": c.author_id,
        "created_at": timestamp(c.created_at),
        "confidence": c.confidence,
        "comment": c.comment,
        "values": [{"key_result": v.key_result, "value": v.value} for v in c.values],
        "source": c.source,
    }


# -- CSV


def to_csv(export: QuarterExport) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for objective in export.objectives:
        head = _objective_cells(objective, export)
        # An objective without key results still gets its row, or it would vanish.
        krs: tuple[KeyResultRecord | None, ...] = objective.key_results or (None,)
        for kr in krs:
            writer.writerow(head + _key_result_cells(kr))
    return out.getvalue()


def _number(value: float | None) -> str:
    """100 rather than 100.0, so a spreadsheet shows what people typed."""
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def _text(value: str | None) -> str:
    """Text as a spreadsheet shows it, never as a formula: a leading single quote (OWASP's
    advice) marks the cell as text, and the spreadsheet does not display it. Numbers are
    written by `_number` and stay numbers: a start of -5 is not text."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value: str | int | None) -> str:
    return "" if value is None else str(value)


def _who(user_id: str, export: QuarterExport) -> str:
    return export.names.get(user_id, user_id)


def approval_summary(approvals: tuple[ApprovalRecord, ...], export: QuarterExport) -> str:
    """The whole trail in one cell, oldest first: "v1 manager rejected by Mads; v2 ..."."""
    parts = []
    for a in approvals:
        if a.decided_by:
            parts.append(f"v{a.version} {a.stage} {a.outcome} by {_who(a.decided_by, export)}")
        else:
            parts.append(f"v{a.version} {a.stage} {a.outcome} ({_who(a.approver_id, export)})")
    return "; ".join(parts)


def _objective_cells(o: ObjectiveRecord, export: QuarterExport) -> list[str]:
    rejections = [a.reason for a in o.approvals if a.outcome == "rejected" and a.reason]
    return [
        str(o.id),
        str(export.quarter),
        o.level,
        _text(o.team),
        o.owner_id,
        _text(export.names.get(o.owner_id, "")),
        _text(o.title),
        _text(o.description),
        o.status,
        str(o.version),
        _cell(o.aligned_to_id),
        _cell(timestamp(o.created_at)),
        _cell(timestamp(o.published_at)),
        _cell(timestamp(o.withdrawn_at)),
        _number(_progress(o.progress)),
        _cell(o.confidence),
        _cell(timestamp(o.last_check_in_at)),
        str(len(o.check_ins)),
        _number(o.score),
        _text(approval_summary(o.approvals, export)),
        _text(rejections[-1] if rejections else ""),
    ]


def _key_result_cells(kr: KeyResultRecord | None) -> list[str]:
    if kr is None:
        return [""] * 12
    return [
        str(kr.position),
        _text(kr.description),
        _number(kr.start),
        _number(kr.target),
        _text(kr.unit),
        _number(kr.current),
        _cell(timestamp(kr.current_at)),
        _number(_progress(kr.progress)),
        _number(kr.score),
        _cell(timestamp(kr.retired_at)),
        _cell(kr.kind),
        _cell(kr.owner or ""),
    ]


def render(export: QuarterExport, fmt: str) -> str:
    if fmt == "csv":
        return to_csv(export)
    if fmt == "json":
        return to_json(export)
    raise ValueError(f"unknown export format {fmt!r}")
