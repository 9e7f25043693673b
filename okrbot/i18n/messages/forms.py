"""What is wrong with a form: field errors from the domain and the services."""

from __future__ import annotations

EN: dict[str, str] = {
    "form.title.empty": "Give the objective a short title.",
    "form.title.invisible": "The title has nothing visible in it: give the objective a title.",
    "form.text.unstorable": (
        "This holds a character that cannot be stored (a NUL or a broken character). Type it again."
    ),
    "form.text.bidi": (
        "Remove the hidden direction controls (U+202A\u2013U+202E, U+2066\u2013U+2069): "
        "they make text read differently from what it is."
    ),
    "form.too_long": "Keep it under {max} characters ({now} now).",
    "form.level.choose": "Choose company, team or personal.",
    "form.quarter.choose": "Choose one of: {quarters}.",
    "form.aligned.choose": "Choose an objective from the list.",
    "form.aligned.not_published": (
        "That objective is not a published objective of the chosen quarter."
    ),
    "form.kr.describe": "Describe what you will measure.",
    "form.kr.duplicate": "Same as key result {other}: each key result must differ.",
    "form.kr.count": "An objective needs {min} to {max} key results ({now} filled in).",
    "form.kr.too_many": "At most {max} key results: focus on what matters most.",
    "form.start.empty": "Enter a start value.",
    "form.start.not_number": "The start value must be a number.",
    "form.start.out_of_range": "The start value is out of range.",
    "form.target.empty": "Enter a target value.",
    "form.target.not_number": "The target value must be a number.",
    "form.target.out_of_range": "The target value is out of range.",
    "form.target.same_as_start": (
        "The target must differ from the start, or there is nothing to measure."
    ),
    "form.manager.pick": "Pick your manager: they approve first.",
    "form.manager.pick_listed": "Pick your manager from the list of people.",
    "form.manager.self": "You cannot approve your own objectives.",
    "form.kr.owner.unknown": "okrbot does not know this person yet: pick someone in the "
    "org chart, or who has used okrbot.",
    "form.changed_since_opened": (
        "This objective changed since you opened the form. Close the form and start again."
    ),
    "form.changed_meanwhile": "This objective changed meanwhile. Start again.",
    "form.already_submitted": "This form was already submitted.",
    "form.reason.empty": "Tell the author why, so they can fix it.",
    "form.reason.too_long": "Keep the reason under 2000 characters.",
    "checkin.error.empty": "Enter the current value.",
    "checkin.error.number": "That is not a number.",
    "checkin.error.absurd": (
        "That looks like a typo: it is far outside the range from start to target."
    ),
    "checkin.error.comment_long": "Keep the comment under 1000 characters.",
    "checkin.error.confidence": "Choose on track, at risk or off track.",
    "checkin.error.changed": (
        "This objective changed since you opened the form. Close it and check in again."
    ),
}

NB: dict[str, str] = {
    "form.title.empty": "Gi målet en kort tittel.",
    "form.title.invisible": "Tittelen har ingenting synlig i seg: gi målet en tittel.",
    "form.text.unstorable": (
        "Dette inneholder et tegn som ikke kan lagres (NUL eller et ødelagt tegn). "
        "Skriv det inn på nytt."
    ),
    "form.text.bidi": (
        "Fjern de skjulte retningstegnene (U+202A\u2013U+202E, U+2066\u2013U+2069): "
        "de får teksten til å leses annerledes enn den er."
    ),
    "form.too_long": "Hold det under {max} tegn ({now} nå).",
    "form.level.choose": "Velg selskap, team eller personlig.",
    "form.quarter.choose": "Velg en av: {quarters}.",
    "form.aligned.choose": "Velg et mål fra listen.",
    "form.aligned.not_published": "Det målet er ikke et publisert mål for valgt kvartal.",
    "form.kr.describe": "Beskriv hva du vil måle.",
    "form.kr.duplicate": "Likt nøkkelresultat {other}: hvert nøkkelresultat må være ulikt.",
    "form.kr.count": "Et mål trenger {min} til {max} nøkkelresultater ({now} fylt ut).",
    "form.kr.too_many": "Høyst {max} nøkkelresultater: konsentrer deg om det viktigste.",
    "form.start.empty": "Skriv inn en startverdi.",
    "form.start.not_number": "Startverdien må være et tall.",
    "form.start.out_of_range": "Startverdien er utenfor gyldig område.",
    "form.target.empty": "Skriv inn en målverdi.",
    "form.target.not_number": "Målverdien må være et tall.",
    "form.target.out_of_range": "Målverdien er utenfor gyldig område.",
    "form.target.same_as_start": (
        "Målverdien må være ulik startverdien, ellers er det ingenting å måle."
    ),
    "form.manager.pick": "Velg lederen din: hen godkjenner først.",
    "form.manager.pick_listed": "Velg lederen din fra listen over personer.",
    "form.manager.self": "Du kan ikke godkjenne dine egne mål.",
    "form.kr.owner.unknown": "okrbot kjenner ikke denne personen ennå: velg noen i "
    "organisasjonskartet, eller som har brukt okrbot.",
    "form.changed_since_opened": (
        "Målet er endret siden du åpnet skjemaet. Lukk skjemaet og begynn på nytt."
    ),
    "form.changed_meanwhile": "Målet ble endret i mellomtiden. Begynn på nytt.",
    "form.already_submitted": "Dette skjemaet er allerede sendt inn.",
    "form.reason.empty": "Fortell forfatteren hvorfor, så hen kan rette det.",
    "form.reason.too_long": "Hold begrunnelsen under 2000 tegn.",
    "checkin.error.empty": "Skriv inn nåværende verdi.",
    "checkin.error.number": "Det er ikke et tall.",
    "checkin.error.absurd": (
        "Det ser ut som en skrivefeil: verdien er langt utenfor området fra start til mål."
    ),
    "checkin.error.comment_long": "Hold kommentaren under 1000 tegn.",
    "checkin.error.confidence": "Velg i rute, i faresonen eller ute av kurs.",
    "checkin.error.changed": (
        "Målet er endret siden du åpnet skjemaet. Lukk det og sjekk inn på nytt."
    ),
}
