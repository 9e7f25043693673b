"""Objectives and key results: what a valid OKR is, independent of Slack or storage."""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

MIN_KEY_RESULTS = 2
MAX_KEY_RESULTS = 5

# Lengths are chosen so that every field still fits Slack's smallest container it is shown
# in (a header is 150 characters, an option's text 75 and is truncated there).
TITLE_MAX = 150
DESCRIPTION_MAX = 2000
KR_DESCRIPTION_MAX = 300
UNIT_MAX = 30
# Anything beyond this is a typo (or a forged payload), not a goal.
ABS_VALUE_MAX = 1e12

# Embeddings, overrides and isolates of the bidirectional algorithm: with them a title
# reads differently from what it is (and reorders whatever is shown after it). Slack does
# not strip them. The marks U+200E and U+200F stay allowed: right-to-left text needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Invisible although not "format" characters: the combining grapheme joiner, the Hangul
# fillers, the blank Braille pattern and the variation selectors.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u3164\uffa0\u2800" + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
# Format and control characters (zero-width space and joiners, the BOM, soft hyphen, tag
# characters, ...) and separators show nothing.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp"})


class Level(StrEnum):
    COMPANY = "company"
    TEAM = "team"
    PERSONAL = "personal"

    @property
    def label(self) -> str:
        return {"company": "Company", "team": "Team", "personal": "Personal"}[self.value]


class Status(StrEnum):
    DRAFT = "draft"
    AWAITING_MANAGER = "awaiting_manager"
    AWAITING_CEO = "awaiting_ceo"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def is_open_for_decision(self) -> bool:
        return self in (Status.AWAITING_MANAGER, Status.AWAITING_CEO)


_STATUS_LABELS = {
    Status.DRAFT: "Draft",
    Status.AWAITING_MANAGER: "Waiting for the manager",
    Status.AWAITING_CEO: "Waiting for the CEO",
    Status.APPROVED: "Approved and published",
    Status.REJECTED: "Rejected: edit and resubmit",
    Status.WITHDRAWN: "Withdrawn",
    Status.CLOSED: "Closed",
}


class Kind(StrEnum):
    """What a key result measures. A milestone is stored as 0 (not done) to 1 (done); a
    range keeps its low bound as the start and its high bound as the target."""

    NUMERIC = "numeric"
    MILESTONE = "milestone"
    RANGE = "range"


def kind_of(text: str | None) -> Kind:
    """A stored kind; anything unknown reads as numeric, what every key result was before."""
    try:
        return Kind(text or Kind.NUMERIC)
    except ValueError:
        return Kind.NUMERIC


# The kinds the objective form offers (and accepts).
SELECTABLE_KINDS: tuple[Kind, ...] = (Kind.NUMERIC, Kind.MILESTONE, Kind.RANGE)

# A milestone's stored bounds: not done, done.
MILESTONE_START = 0.0
MILESTONE_TARGET = 1.0


@dataclass(frozen=True)
class KeyResultDraft:
    description: str
    start: float
    target: float
    unit: str = ""
    kind: Kind = Kind.NUMERIC
    # Someone other than the objective's owner who checks it in; None: the owner alone.
    owner: str | None = None


@dataclass(frozen=True)
class ObjectiveDraft:
    title: str
    level: Level
    quarter: str
    key_results: tuple[KeyResultDraft, ...]
    description: str = ""
    aligned_to: int | None = None


@dataclass(frozen=True)
class FieldError:
    """A problem with one field of the form; `field` names it in the form's own terms.

    `key` names the words in okrbot.i18n's catalogues, filled in with `params`: the domain
    decides what is wrong, the person's language says it.
    """

    field: str
    key: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)


@dataclass
class RawKeyResult:
    """A key result as typed into the form, before anything is parsed."""

    description: str | None = None
    start: str | None = None
    target: str | None = None
    unit: str | None = None
    # The kind select always carries a choice, so it alone never makes a slot filled.
    kind: str | None = None
    # A user id from the user select; like the kind, it alone never makes a slot filled.
    owner: str | None = None

    @property
    def is_blank(self) -> bool:
        return not any(
            (v or "").strip() for v in (self.description, self.start, self.target, self.unit)
        )


@dataclass
class RawObjective:
    """The form's values as strings, exactly as a (possibly forged) payload carried them."""

    title: str | None = None
    description: str | None = None
    level: str | None = None
    quarter: str | None = None
    aligned_to: str | None = None
    key_results: list[RawKeyResult] = field(default_factory=list)


def one_more_key_result(slots: int) -> int:
    """The form's key result slots after "Add a key result": one more, up to the most an
    objective may have."""
    return min(slots + 1, MAX_KEY_RESULTS)


def kr_field(index: int, part: str) -> str:
    """The form field name of part `part` of the key result at `index` (0-based)."""
    return f"kr{index + 1}_{part}"


def parse_number(text: str | None) -> float | None:
    """A number as people and Slack's number_input write it; None when it is not one."""
    if text is None:
        return None
    # What float() takes as it is comes out the same below (it strips the same spaces and
    # takes no comma, no inner space and no U+2212), so most values need nothing more.
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        return value if math.isfinite(value) else None
    cleaned = text.strip().replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None
    # Norwegian keyboards give a decimal comma; Slack's number_input only sends a point.
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return value


def unstorable(text: str) -> bool:
    """NUL (PostgreSQL refuses it in text) or a lone surrogate (which has no UTF-8 form):
    what no database can store. Slack sends neither; a forged request can. The check-in
    comment leaves them out (services.inbox.storable); a form's own field is refused."""
    if "\x00" in text:
        return True
    return not text.isascii() and any("\ud800" <= c <= "\udfff" for c in text)


def invisible(text: str) -> bool:
    """True when nothing of `text` would show: only spaces, zero-width and format
    characters and the like (an empty text too)."""
    return all(c in _INVISIBLE or unicodedata.category(c) in _INVISIBLE_CATEGORIES for c in text)


def text_problem(text: str) -> str | None:
    """The error key for text no field may hold whatever its length, or None."""
    if unstorable(text):
        return "form.text.unstorable"
    if not text.isascii() and not BIDI_CONTROLS.isdisjoint(text):
        return "form.text.bidi"
    return None


def _text_errors(raw: RawObjective) -> list[FieldError]:
    """Each free-text field of the form that holds what no field may hold."""
    fields: list[tuple[str, str | None]] = [
        ("title", raw.title),
        ("description", raw.description),
    ]
    for index, kr in enumerate(raw.key_results):
        fields += [(kr_field(index, "desc"), kr.description), (kr_field(index, "unit"), kr.unit)]
    return [
        FieldError(name, key)
        for name, value in fields
        if value and (key := text_problem(value)) is not None
    ]


def validate_objective(
    raw: RawObjective,
    *,
    allowed_quarters: tuple[str, ...],
    alignable: frozenset[int] | None = None,
) -> tuple[ObjectiveDraft | None, list[FieldError]]:
    """Check a submitted form; return the draft, or every problem found (never both)."""
    errors = _text_errors(raw)
    refused = {e.field for e in errors}

    title = (raw.title or "").strip()
    if "title" in refused:
        pass
    elif not title:
        errors.append(FieldError("title", "form.title.empty"))
    elif invisible(title):
        errors.append(FieldError("title", "form.title.invisible"))
    elif len(title) > TITLE_MAX:
        errors.append(FieldError("title", "form.too_long", {"max": TITLE_MAX, "now": len(title)}))

    description = (raw.description or "").strip()
    if "description" not in refused and len(description) > DESCRIPTION_MAX:
        errors.append(
            FieldError(
                "description", "form.too_long", {"max": DESCRIPTION_MAX, "now": len(description)}
            )
        )

    level: Level | None = None
    try:
        level = Level((raw.level or "").strip())
    except ValueError:
        errors.append(FieldError("level", "form.level.choose"))

    quarter = (raw.quarter or "").strip()
    if quarter not in allowed_quarters:
        errors.append(
            FieldError("quarter", "form.quarter.choose", {"quarters": ", ".join(allowed_quarters)})
        )

    aligned_to: int | None = None
    if raw.aligned_to and raw.aligned_to.strip():
        try:
            aligned_to = int(raw.aligned_to.strip())
        except ValueError:
            errors.append(FieldError("aligned_to", "form.aligned.choose"))
        else:
            if alignable is not None and aligned_to not in alignable:
                errors.append(
                    FieldError(
                        "aligned_to",
                        "form.aligned.not_published",
                    )
                )

    key_results, kr_errors = _validate_key_results(raw.key_results)
    # One error a field: what no field may hold says more than its length.
    errors.extend(e for e in kr_errors if e.field not in refused)

    if errors or level is None:
        return None, errors
    return (
        ObjectiveDraft(
            title=title,
            description=description,
            level=level,
            quarter=quarter,
            aligned_to=aligned_to,
            key_results=tuple(key_results),
        ),
        [],
    )


def _validate_key_results(
    raws: list[RawKeyResult],
) -> tuple[list[KeyResultDraft], list[FieldError]]:
    errors: list[FieldError] = []
    drafts: list[KeyResultDraft] = []
    filled = [(i, kr) for i, kr in enumerate(raws) if not kr.is_blank]
    seen: dict[str, int] = {}

    for index, kr in filled:
        desc = (kr.description or "").strip()
        unit = (kr.unit or "").strip()
        ok = True
        if invisible(desc):
            errors.append(FieldError(kr_field(index, "desc"), "form.kr.describe"))
            ok = False
        elif len(desc) > KR_DESCRIPTION_MAX:
            errors.append(
                FieldError(
                    kr_field(index, "desc"),
                    "form.too_long",
                    {"max": KR_DESCRIPTION_MAX, "now": len(desc)},
                )
            )
            ok = False
        else:
            key = " ".join(desc.casefold().split())
            if key in seen:
                errors.append(
                    FieldError(
                        kr_field(index, "desc"),
                        "form.kr.duplicate",
                        {"other": seen[key] + 1},
                    )
                )
                ok = False
            else:
                seen[key] = index
        if len(unit) > UNIT_MAX:
            errors.append(
                FieldError(
                    kr_field(index, "unit"), "form.too_long", {"max": UNIT_MAX, "now": len(unit)}
                )
            )
            ok = False
        owner = (kr.owner or "").strip() or None
        try:
            kind = Kind((kr.kind or Kind.NUMERIC).strip())
            if kind not in SELECTABLE_KINDS:
                raise ValueError(kind)
        except ValueError:
            errors.append(FieldError(kr_field(index, "kind"), "form.kr.kind.choose"))
            continue
        if kind is Kind.MILESTONE:
            # Done or not done: whatever start and target say, a milestone has none.
            if ok:
                drafts.append(
                    KeyResultDraft(
                        desc, MILESTONE_START, MILESTONE_TARGET, unit, Kind.MILESTONE, owner
                    )
                )
            continue
        start = _check_number(kr.start, kr_field(index, "start"), "start", errors)
        target = _check_number(kr.target, kr_field(index, "target"), "target", errors)
        if kind is Kind.RANGE and start is not None and target is not None and start >= target:
            errors.append(FieldError(kr_field(index, "target"), "form.range.order"))
            ok = False
        elif start is not None and target is not None and start == target:
            errors.append(
                FieldError(
                    kr_field(index, "target"),
                    "form.target.same_as_start",
                )
            )
            ok = False
        if ok and start is not None and target is not None:
            drafts.append(KeyResultDraft(desc, start, target, unit, kind, owner))

    if len(filled) < MIN_KEY_RESULTS:
        # Point at the first empty slot, which is where the person should type next.
        first_empty = next((i for i, kr in enumerate(raws) if kr.is_blank), len(filled))
        errors.append(
            FieldError(
                kr_field(min(first_empty, MIN_KEY_RESULTS - 1), "desc"),
                "form.kr.count",
                {"min": MIN_KEY_RESULTS, "max": MAX_KEY_RESULTS, "now": len(filled)},
            )
        )
    elif len(filled) > MAX_KEY_RESULTS:
        errors.append(
            FieldError(
                kr_field(filled[MAX_KEY_RESULTS][0], "desc"),
                "form.kr.too_many",
                {"max": MAX_KEY_RESULTS},
            )
        )
    return drafts, errors


def _check_number(
    text: str | None, field_name: str, what: str, errors: list[FieldError]
) -> float | None:
    if text is None or not text.strip():
        errors.append(FieldError(field_name, f"form.{what}.empty"))
        return None
    value = parse_number(text)
    if value is None:
        errors.append(FieldError(field_name, f"form.{what}.not_number"))
        return None
    if abs(value) > ABS_VALUE_MAX:
        errors.append(FieldError(field_name, f"form.{what}.out_of_range"))
        return None
    return value


def format_number(value: float) -> str:
    """12.0 -> '12', 0.125 -> '0.125', 1234567.0 -> '1,234,567'."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


# Published objectives, and those of past quarters, are there for everyone to see.
VISIBLE_TO_ALL = frozenset({Status.APPROVED, Status.CLOSED})


def may_see(status: Status, owner_id: str, viewer: str) -> bool:
    """Anyone sees a published objective; an unpublished one only its owner."""
    return viewer == owner_id or status in VISIBLE_TO_ALL
