"""Words used all over."""

from __future__ import annotations

EN: dict[str, str] = {
    "common.sorry": (
        "Sorry, something went wrong on my side and nothing was changed. "
        "Please try again in a minute; if it keeps happening, tell whoever runs okrbot."
    ),
    "common.form_too_slow": "Slack did not let me open the form in time. Please try again.",
    "common.cancel": "Cancel",
    "common.close": "Close",
}

NB: dict[str, str] = {
    "common.sorry": (
        "Beklager, noe gikk galt hos meg, og ingenting ble endret. "
        "Prøv igjen om et minutt; skjer det igjen, si fra til den som drifter okrbot."
    ),
    "common.form_too_slow": "Slack lot meg ikke åpne skjemaet i tide. Prøv igjen.",
    "common.cancel": "Avbryt",
    "common.close": "Lukk",
}
