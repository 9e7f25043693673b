"""What a caller sends, checked before anything else looks at it: size, JSON, shape."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from okrbot.domain.values import parse_moment

# A value, a comment of COMMENT_MAX characters (each up to 12 bytes escaped) and a time.
BODY_MAX_BYTES = 16 * 1024
VALUE_FIELDS = frozenset({"value", "comment", "at"})


class BadBody(Exception):
    """The body cannot be read as a value: `status` 413 or 422, and a message."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


@dataclass(frozen=True)
class ValueBody:
    # true and false are a milestone's done and not done; the key result decides.
    value: float | bool
    comment: str | None
    at: datetime | None


def _no_constant(name: str) -> Any:
    raise BadBody(422, "invalid_json", f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise BadBody(422, "invalid_value", "value must be a finite number")
    return number


def parse_json(data: bytes) -> Any:
    """The JSON document, or `BadBody`: NaN and Infinity, which are not JSON, are refused,
    as are numbers too big for a float."""
    try:
        return json.loads(data, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise BadBody(422, "invalid_json", "the JSON is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadBody(422, "invalid_json", f"the body is not JSON ({type(exc).__name__})") from None


def value_body(data: bytes) -> ValueBody:
    """A value to record, from a request's body."""
    document = parse_json(data)
    if not isinstance(document, dict):
        raise BadBody(422, "invalid_body", "the body must be a JSON object")
    unknown = sorted(set(document) - VALUE_FIELDS)
    if unknown:
        names = ", ".join(json.dumps(name)[:40] for name in unknown[:5])
        raise BadBody(422, "invalid_body", f"unknown fields: {names} (known: at, comment, value)")
    if "value" not in document:
        raise BadBody(422, "invalid_value", "value is missing")
    value = document["value"]
    number: float | bool
    # JSON's true and false are not numbers, whatever Python thinks: they stay booleans.
    if isinstance(value, bool):
        number = value
    elif not isinstance(value, int | float):
        raise BadBody(422, "invalid_value", "value must be a number (or true/false)")
    else:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise BadBody(422, "invalid_value", "value must be a finite number")
    comment = document.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise BadBody(422, "invalid_comment", "comment must be a string")
    at_text = document.get("at")
    at: datetime | None = None
    if at_text is not None:
        if not isinstance(at_text, str):
            raise BadBody(422, "invalid_at", "at must be an ISO 8601 time as a string")
        at = parse_moment(at_text)
        if at is None:
            raise BadBody(
                422,
                "invalid_at",
                "at must be an ISO 8601 time with an offset, like 2027-01-08T12:00:00Z",
            )
    return ValueBody(number, comment, at)
