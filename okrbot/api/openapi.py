"""The API described as OpenAPI 3.1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from okrbot.api.bodies import BODY_MAX_BYTES
from okrbot.api.ratelimit import PER_MINUTE
from okrbot.domain.checkin import COMMENT_MAX
from okrbot.domain.okr import Kind


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _refusal(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json(_ref("Error"))}


_UNAUTHORIZED = _refusal("No token, or one that is not valid (never made, or revoked).")
_RATE_LIMITED = {
    **_refusal(
        f"More than {PER_MINUTE} requests a minute with this token (by default; "
        "OKRBOT_API_RATE_PER_MINUTE)."
    ),
    "headers": {
        "Retry-After": {
            "description": "Seconds until the token may call again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}
_NOT_FOUND = _refusal("No key result with this id in the token's workspace.")
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The key result's id, as `/okr show` and the JSON export give it.",
    "schema": {"type": "integer", "minimum": 1},
}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_NUMBER_OR_NULL = {"type": ["number", "null"]}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "okrbot API",
        "version": "1",
        "description": (
            "Record key results' values from dashboards and CI, and read the OKRs as "
            "`okrbot export --format json` has them. Make a token with `okrbot token create "
            "--name NAME`; it is shown once. Each token belongs to one workspace and may make "
            f"{PER_MINUTE} requests a minute by default. Every refusal is a JSON object with "
            "`error` (a code) and `message` (what to do about it)."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/key-results/{id}/values": {
            "post": {
                "operationId": "recordValue",
                "summary": "Record a key result's value",
                "description": (
                    "Recorded as a check-in of the key result's objective, marked with the "
                    "token's name (`api:NAME`), keeping the objective's confidence. The key "
                    "result and its objective must be published. A value older than the key "
                    "result's latest is kept in its history without replacing the latest."
                ),
                "parameters": [_ID],
                "requestBody": {
                    "required": True,
                    "description": f"A JSON object of at most {BODY_MAX_BYTES} bytes.",
                    "content": _json(_ref("NewValue")),
                },
                "responses": {
                    "200": {
                        "description": "The value was recorded.",
                        "content": _json(_ref("RecordedValue")),
                    },
                    "401": _UNAUTHORIZED,
                    "404": _NOT_FOUND,
                    "409": _refusal(
                        "The key result or its objective is not published (a draft, awaiting "
                        "approval, withdrawn, or a key result removed by an edit)."
                    ),
                    "413": _refusal(f"The body is larger than {BODY_MAX_BYTES} bytes."),
                    "422": _refusal(
                        "The body is not a JSON object of known fields, the value is not a "
                        "finite number in a sensible range, the comment is too long, or `at` "
                        "is not an ISO 8601 time with an offset, not in the future and not "
                        "before the key result's quarter."
                    ),
                    "429": _RATE_LIMITED,
                },
            }
        },
        "/key-results/{id}": {
            "get": {
                "operationId": "getKeyResult",
                "summary": "A key result, with its latest value and progress",
                "parameters": [_ID],
                "responses": {
                    "200": {"description": "The key result.", "content": _json(_ref("KeyResult"))},
                    "401": _UNAUTHORIZED,
                    "404": _NOT_FOUND,
                    "429": _RATE_LIMITED,
                },
            }
        },
        "/objectives": {
            "get": {
                "operationId": "listObjectives",
                "summary": "A quarter's objectives, as the JSON export has them",
                "parameters": [
                    {
                        "name": "quarter",
                        "in": "query",
                        "required": False,
                        "description": "Like 2027-Q1; default: the current quarter.",
                        "schema": {"type": "string", "pattern": "^[0-9]{4}-Q[1-4]$"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "Every objective of the quarter, in any status.",
                        "content": _json(_ref("Quarter")),
                    },
                    "401": _UNAUTHORIZED,
                    "422": _refusal("The quarter is not like 2027-Q1."),
                    "429": _RATE_LIMITED,
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI document."}},
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from `okrbot token create`, like okr_…",
            }
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {
                    "error": {
                        "type": "string",
                        "description": "A code: unauthorized, not_found, not_open, too_large, "
                        "invalid_json, invalid_body, invalid_value, invalid_comment, "
                        "invalid_at, invalid_quarter, rate_limited, method_not_allowed, "
                        "internal.",
                    },
                    "message": {"type": "string"},
                },
            },
            "NewValue": {
                "type": "object",
                "additionalProperties": False,
                "required": ["value"],
                "properties": {
                    "value": {
                        "type": ["number", "boolean"],
                        "description": "A finite number. A milestone takes 1 or true (done), "
                        "0 or false (not done); a range's value is what was measured.",
                    },
                    "comment": {"type": ["string", "null"], "maxLength": COMMENT_MAX},
                    "at": {
                        **_TIME,
                        "description": "When it was measured, with an offset (default: now).",
                    },
                },
            },
            "KeyResult": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "position": {"type": "integer"},
                    "description": {"type": "string"},
                    "kind": {
                        "type": "string",
                        "enum": [kind.value for kind in Kind],
                        "description": "numeric: from start to target; milestone: 0 (not "
                        "done) to 1 (done); range: kept between start (low) and target (high).",
                    },
                    "owner": {
                        "type": ["string", "null"],
                        "description": "The Slack user id of the key result's own owner, "
                        "who checks it in; null: the objective's owner.",
                    },
                    "start": {"type": "number"},
                    "target": {"type": "number"},
                    "unit": {"type": "string"},
                    "current": _NUMBER_OR_NULL,
                    "current_at": _TIME,
                    "progress": {"type": "number", "minimum": 0, "maximum": 1},
                    "score": _NUMBER_OR_NULL,
                    "retired_at": _TIME,
                    "objective": {"type": "integer", "description": "The objective's id."},
                    "objective_status": {"type": "string"},
                    "quarter": {"type": "string"},
                },
            },
            "RecordedValue": {
                "type": "object",
                "properties": {
                    "value": {"type": "number"},
                    "at": {"type": "string", "format": "date-time"},
                    "comment": {"type": ["string", "null"]},
                    "source": {"type": "string", "description": "api:NAME"},
                    "key_result": _ref("KeyResult"),
                },
            },
            "Quarter": {
                "type": "object",
                "description": "What `okrbot export --format json` writes.",
                "properties": {
                    "quarter": {"type": "string"},
                    "workspace": {"type": ["string", "null"]},
                    "exported_at": {"type": "string", "format": "date-time"},
                    "objectives": {"type": "array", "items": {"type": "object"}},
                    "people": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        },
    },
}
