"""Short answers to clicks and submissions."""

from __future__ import annotations

EN: dict[str, str] = {
    "refusal.not_allowed": (
        "Only {approver} can decide on {title} at the {stage} stage. Nothing was changed."
    ),
    "refusal.already_decided": "{title} was already {outcome} by {by} {when}. Nothing was changed.",
    "refusal.out_of_date": (
        "This request is out of date: {title} is now at version {version} ({status}). "
        "Nothing was changed."
    ),
    "refusal.not_found": "I can't find that request any more. Nothing was changed.",
    "refusal.this_objective": "this objective",
    "click.not_mine": "That button is not one of mine. Nothing was changed.",
    "form.gone_or_not_yours": "That objective is gone or not yours.",
    "form.gone_close": "That objective is gone or not yours. Close this form.",
    "form.broken_reject": "This form is broken. Close it and click Reject again.",
    "form.who": "I could not tell who you are from that request.",
    "form.not_editable": "{title} is {status}: it can't be edited now.",
}

NB: dict[str, str] = {
    "refusal.not_allowed": (
        "Bare {approver} kan avgjøre {title} på {stage}-trinnet. Ingenting ble endret."
    ),
    "refusal.already_decided": (
        "{title} er allerede {outcome} av {by} {when}. Ingenting ble endret."
    ),
    "refusal.out_of_date": (
        "Denne forespørselen er utdatert: {title} er nå i versjon {version} ({status}). "
        "Ingenting ble endret."
    ),
    "refusal.not_found": "Jeg finner ikke den forespørselen lenger. Ingenting ble endret.",
    "refusal.this_objective": "dette målet",
    "click.not_mine": "Den knappen er ikke min. Ingenting ble endret.",
    "form.gone_or_not_yours": "Det målet finnes ikke lenger, eller er ikke ditt.",
    "form.gone_close": "Det målet finnes ikke lenger, eller er ikke ditt. Lukk skjemaet.",
    "form.broken_reject": "Skjemaet er ødelagt. Lukk det og klikk Avvis på nytt.",
    "form.who": "Jeg kunne ikke se hvem du er fra den forespørselen.",
    "form.not_editable": "{title} er {status}: det kan ikke redigeres nå.",
}
