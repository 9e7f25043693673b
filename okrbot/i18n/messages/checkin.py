"""The weekly check-in: the prompt, the reminder and the form. Form titles and buttons
stay within 24 characters in every language (Slack's limit)."""

from __future__ import annotations

EN: dict[str, str] = {
    "checkin.title": "Weekly check-in",
    "checkin.reminder_title": "Check-in reminder",
    "checkin.submit": "Check in",
    "checkin.next": "Next",
    "checkin.button": "Check in",
    "checkin.more_pages": "{shown} of {total} objectives here; the rest come after you submit.",
    "checkin.last": "Last check-in: {value}",
    "checkin.never": "No check-in yet: this is the start value.",
    "checkin.confidence": "How confident are you?",
    "checkin.comment": "Anything to add?",
    "checkin.comment.placeholder": "What moved, what is blocking you",
    "checkin.nothing": (
        "You have no approved objectives this quarter, so there is nothing to check in on. "
        "Write one with `/okr new`."
    ),
    "checkin.prompt": "Time for your weekly check-in: one click and a few numbers.",
    "checkin.reminder": "Reminder: your weekly check-in is still open.",
    "checkin.prompt_more": "\u2026 and {count} more in the form.",
    "checkin.answered": "{what}: done, you checked in {at}. Thank you!",
    "problem.checkin_not_saved": (
        "I could not save your check-in: an objective in it changed after you opened the "
        "form. Open the check-in again (`/okr checkin`) and send it once more."
    ),
    "problem.checkin_failed": (
        "I could not save your check-in, though I tried several times: something went "
        "wrong on my side. Please check in again (`/okr checkin`)."
    ),
}

NB: dict[str, str] = {
    "checkin.title": "Ukentlig innsjekk",
    "checkin.reminder_title": "Påminnelse om innsjekk",
    "checkin.submit": "Sjekk inn",
    "checkin.next": "Neste",
    "checkin.button": "Sjekk inn",
    "checkin.more_pages": "{shown} av {total} mål her; resten kommer når du har sendt inn.",
    "checkin.last": "Forrige innsjekk: {value}",
    "checkin.never": "Ingen innsjekk ennå: dette er startverdien.",
    "checkin.confidence": "Hvor trygg er du på å nå målet?",
    "checkin.comment": "Noe å tilføye?",
    "checkin.comment.placeholder": "Hva har flyttet seg, hva står i veien",
    "checkin.nothing": (
        "Du har ingen godkjente mål dette kvartalet, så det er ingenting å sjekke inn på. "
        "Skriv et med `/okr new`."
    ),
    "checkin.prompt": "På tide med den ukentlige innsjekken: ett klikk og noen tall.",
    "checkin.reminder": "Påminnelse: den ukentlige innsjekken din er fortsatt åpen.",
    "checkin.prompt_more": "\u2026 og {count} til i skjemaet.",
    "checkin.answered": "{what}: ferdig, du sjekket inn {at}. Takk!",
    "problem.checkin_not_saved": (
        "Jeg fikk ikke lagret innsjekken din: et av målene i den ble endret etter at du "
        "åpnet skjemaet. Åpne innsjekken igjen (`/okr checkin`) og send den inn på nytt."
    ),
    "problem.checkin_failed": (
        "Jeg fikk ikke lagret innsjekken din, selv etter flere forsøk: noe gikk galt hos "
        "meg. Sjekk inn på nytt (`/okr checkin`)."
    ),
}
