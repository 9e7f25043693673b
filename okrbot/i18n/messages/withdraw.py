"""Withdrawing an objective."""

from __future__ import annotations

EN: dict[str, str] = {
    "withdraw.usage": "Which objective? `/okr withdraw 12` (the number `/okr list` shows).",
    "withdraw.done": (
        ":wastebasket: Withdrawn: {title}. It stays in the history, marked withdrawn; "
        "anyone asked to approve it has been told."
    ),
    "withdraw.not_found": "You have no objective #{id}.",
    "withdraw.not_possible": "{title} is {status}: it can't be withdrawn.",
    "edit.usage": "Which objective? `/okr edit 12` (the number `/okr list` shows).",
    "edit.published_note": (
        "This objective is published. Changes to its title, level, quarter, alignment or key "
        "results go to your manager and the CEO; until they approve, it stays as it is. "
        "Rewording the description or units needs no approval."
    ),
}

NB: dict[str, str] = {
    "withdraw.usage": "Hvilket mål? `/okr withdraw 12` (nummeret `/okr list` viser).",
    "withdraw.done": (
        ":wastebasket: Trukket tilbake: {title}. Det blir stående i historikken, merket som "
        "trukket tilbake; de som ble bedt om å godkjenne det, har fått beskjed."
    ),
    "withdraw.not_found": "Du har ikke noe mål nr. {id}.",
    "withdraw.not_possible": "{title} er {status}: det kan ikke trekkes tilbake.",
    "edit.usage": "Hvilket mål? `/okr edit 12` (nummeret `/okr list` viser).",
    "edit.published_note": (
        "Dette målet er publisert. Endringer i tittel, nivå, kvartal, forankring eller "
        "nøkkelresultater går til lederen din og daglig leder; til de godkjenner, står målet "
        "som før. Ny ordlyd i beskrivelsen eller enhetene trenger ingen godkjenning."
    ),
}
