"""Reminding approvers of requests waiting for them."""

from __future__ import annotations

EN: dict[str, str] = {
    "nudge.text": (
        "{count} OKR request(s) have been waiting for your decision for two working days."
    ),
    "nudge.lead": (
        ":hourglass: *{count} OKR request(s) have been waiting for your decision for two "
        "working days.* Approve or reject them from the request messages above, or on "
        "okrbot's Home tab."
    ),
    "nudge.item": "\u2022 *{title}* from {author}, waiting since {since}",
    "nudge.more": "\u2026 and {count} more.",
}

NB: dict[str, str] = {
    "nudge.text": "{count} OKR-forespørsel(er) har ventet på din avgjørelse i to arbeidsdager.",
    "nudge.lead": (
        ":hourglass: *{count} OKR-forespørsel(er) har ventet på din avgjørelse i to "
        "arbeidsdager.* Godkjenn eller avvis dem fra forespørslene over, eller på "
        "Hjem-fanen til okrbot."
    ),
    "nudge.item": "\u2022 *{title}* fra {author}, venter siden {since}",
    "nudge.more": "\u2026 og {count} til.",
}
