"""Checking in by reply, "no change this week", and status from pace (behind pace, stale).

`reply.unclear.<reason>` follow `okrbot.domain.reply.Unclear.reason`. Buttons stay within
24 characters in every language, as the check-in's own do."""

from __future__ import annotations

EN: dict[str, str] = {
    "reply.how_to": "Reply with your numbers, in this order: `{example}`",
    "reply.how_to.more": (
        "Write `-` to keep a value, or `2.3: 40` to change only key result 3 of objective 2. "
        "Add on track, at risk or off track; anything after the numbers is your comment."
    ),
    "reply.recorded.text": "Check-in recorded.",
    "reply.recorded.lead": ":white_check_mark: *Recorded your check-in:*",
    "reply.recorded.objective": "*{title}* \u00b7 {confidence}",
    "reply.recorded.objective.kept": "*{title}* \u00b7 {confidence} (as before)",
    "reply.recorded.objective.none": "*{title}*",
    "reply.recorded.kr": "{position} {description}: {old} \u2192 *{new}* \u00b7 {progress}",
    "reply.recorded.kr.first": (
        "{position} {description}: *{new}* (first check-in) \u00b7 {progress}"
    ),
    "reply.recorded.kr.kept": "{position} {description}: {new}, unchanged \u00b7 {progress}",
    "reply.recorded.comment": "Comment: {comment}",
    "reply.recorded.undo_until": "You can undo this until {until}.",
    "reply.undo.button": "Undo",
    "reply.undo.confirm.title": "Undo this check-in?",
    "reply.undo.confirm.text": (
        "Your key results, confidence and comment go back to what they were before it."
    ),
    "reply.undo.confirm.yes": "Undo",
    "reply.undo.confirm.no": "Keep it",
    "reply.undo.done": (
        ":leftwards_arrow_with_hook: Undone: the check-in of {at} is removed and your key "
        "results are back where they were."
    ),
    "reply.undo.expired": (
        "This check-in can no longer be undone (undo works for 24 hours). Check in again "
        "to correct it."
    ),
    "reply.undo.already": "This check-in was already undone.",
    "reply.undo.not_yours": "There is no check-in of yours to undo here.",
    "reply.undo.superseded": (
        "This check-in cannot be undone: a later check-in of the same objectives came after it."
    ),
    "reply.unclear.text": "I could not read your check-in; nothing was recorded.",
    "reply.unclear.lead": (
        ":thinking_face: I could not read your reply without guessing, so I recorded nothing."
    ),
    "reply.unclear.too_few": (
        "I need {expected} values, one for each key result, and found {found}. "
        "Write `-` for a value that stays."
    ),
    "reply.unclear.too_many": (
        "I need {expected} values, one for each key result, and found {found}."
    ),
    "reply.unclear.word": "\u201c{word}\u201d is where a number should be.",
    "reply.unclear.ambiguous": (
        "I cannot tell whether the comma in \u201c{number}\u201d is a decimal comma or "
        "separates thousands: write the number without thousands separators."
    ),
    "reply.unclear.grouping": (
        "I cannot tell whether \u201c{number}\u201d is one number with a thousands space "
        "or two numbers: write it without the space, or separate values with a comma."
    ),
    "reply.unclear.mixed": (
        "Give either every value in order, or only the ones that change as `2.3: 40`, not both."
    ),
    "reply.unclear.address": (
        "There is no key result {address}: the first number is the objective (you have "
        "{objectives}), the second its key result, as the prompt numbers them."
    ),
    "reply.unclear.address_twice": "Key result {address} is given twice.",
    "reply.unclear.address_value": "There is no value after {address}.",
    "reply.unclear.confidence": (
        "\u201c{word}\u201d must come right after an objective's last value, or once at the end."
    ),
    "reply.unclear.absurd": (
        "{number} for key result {address} is far outside its range: check the number."
    ),
    "reply.unclear.comment_long": "Keep the comment under 1000 characters.",
    "reply.unclear.changed": "Your objectives changed while I read your reply.",
    "reply.unclear.read": "What I read: {values}",
    "reply.unclear.read.nothing": "I read no values.",
    "reply.unclear.value": "{position} = {value}",
    "reply.unclear.value.extra": "{value} (one too many)",
    "reply.unclear.kept": "unchanged",
    "reply.unclear.unreadable": "{text} (unclear)",
    "reply.unclear.again": "Reply again, or open the form:",
    "reply.help.text": "How to check in by reply",
    "reply.help": (
        "I read replies here as your weekly check-in: your key results' new values in the "
        "order the prompt lists them, optionally on track, at risk or off track, and "
        "anything after that as a comment, e.g. `52, 1.5, 20 on track \u2014 shipped the "
        "beta`. Use `/okr checkin` for the form and `/okr help` for everything else."
    ),
    "reply.help.yours": "Yours, in this order: `{example}`",
    "nochange.button": "No change this week",
    "nochange.done": (
        "{what}: no change this week, recorded {at} with the same values and confidence. Thank you!"
    ),
    "nochange.text": "No change this week: check-in recorded.",
    "pace.behind": "Behind pace",
    "pace.behind.detail": "behind pace: {progress} done, {expected} of the quarter gone",
    "pace.stale": "Stale",
    "pace.stale.detail": "stale: no check-in for {days}+ days",
    "pace.digest.lead": "*Stale and behind pace, by team*",
    "pace.digest.team": "{team}: {stale} \u00b7 {behind}",
    "pace.digest.stale.one": "{count} stale objective",
    "pace.digest.stale.many": "{count} stale objectives",
    "pace.digest.behind.one": "{count} behind pace",
    "pace.digest.behind.many": "{count} behind pace",
    "pace.digest.none": "Every objective is checked in and on pace. :tada:",
    "pace.digest.more": "and {count} more teams",
    "pace.chart.title": "Progress by team, {quarter}",
    "pace.chart.other": "Other teams",
    "pace.chart.alt": (
        "A line chart of each team's progress by week in {quarter}, against an even pace."
    ),
}

NB: dict[str, str] = {
    "reply.how_to": "Svar med tallene dine, i denne rekkefølgen: `{example}`",
    "reply.how_to.more": (
        "Skriv `-` for å beholde en verdi, eller `2.3: 40` for å endre bare nøkkelresultat 3 "
        "i mål 2. Legg til i rute, i fare eller ute av kurs; alt etter tallene er kommentaren "
        "din."
    ),
    "reply.recorded.text": "Innsjekk registrert.",
    "reply.recorded.lead": ":white_check_mark: *Innsjekken din er registrert:*",
    "reply.recorded.objective": "*{title}* \u00b7 {confidence}",
    "reply.recorded.objective.kept": "*{title}* \u00b7 {confidence} (som før)",
    "reply.recorded.objective.none": "*{title}*",
    "reply.recorded.kr": "{position} {description}: {old} \u2192 *{new}* \u00b7 {progress}",
    "reply.recorded.kr.first": (
        "{position} {description}: *{new}* (første innsjekk) \u00b7 {progress}"
    ),
    "reply.recorded.kr.kept": "{position} {description}: {new}, uendret \u00b7 {progress}",
    "reply.recorded.comment": "Kommentar: {comment}",
    "reply.recorded.undo_until": "Du kan angre dette til {until}.",
    "reply.undo.button": "Angre",
    "reply.undo.confirm.title": "Angre denne innsjekken?",
    "reply.undo.confirm.text": (
        "Nøkkelresultatene, vurderingen og kommentaren går tilbake til slik de var før den."
    ),
    "reply.undo.confirm.yes": "Angre",
    "reply.undo.confirm.no": "Behold den",
    "reply.undo.done": (
        ":leftwards_arrow_with_hook: Angret: innsjekken fra {at} er fjernet, og "
        "nøkkelresultatene er tilbake der de var."
    ),
    "reply.undo.expired": (
        "Denne innsjekken kan ikke lenger angres (det går i 24 timer). Sjekk inn på nytt "
        "for å rette den."
    ),
    "reply.undo.already": "Denne innsjekken er allerede angret.",
    "reply.undo.not_yours": "Det er ingen innsjekk av deg å angre her.",
    "reply.undo.superseded": (
        "Denne innsjekken kan ikke angres: en senere innsjekk av de samme målene kom etter den."
    ),
    "reply.unclear.text": "Jeg klarte ikke å lese innsjekken din; ingenting ble registrert.",
    "reply.unclear.lead": (
        ":thinking_face: Jeg klarte ikke å lese svaret ditt uten å gjette, så jeg registrerte "
        "ingenting."
    ),
    "reply.unclear.too_few": (
        "Jeg trenger {expected} verdier, én for hvert nøkkelresultat, og fant {found}. "
        "Skriv `-` for en verdi som står."
    ),
    "reply.unclear.too_many": (
        "Jeg trenger {expected} verdier, én for hvert nøkkelresultat, og fant {found}."
    ),
    "reply.unclear.word": "\u00ab{word}\u00bb står der det skulle vært et tall.",
    "reply.unclear.ambiguous": (
        "Jeg kan ikke se om kommaet i \u00ab{number}\u00bb er et desimalkomma eller skiller "
        "tusener: skriv tallet uten tusenskille."
    ),
    "reply.unclear.grouping": (
        "Jeg kan ikke se om \u00ab{number}\u00bb er ett tall med mellomrom som tusenskille "
        "eller to tall: skriv det uten mellomrom, eller skill verdiene med semikolon."
    ),
    "reply.unclear.mixed": (
        "Gi enten alle verdiene i rekkefølge, eller bare dem som endres som `2.3: 40`, ikke begge."
    ),
    "reply.unclear.address": (
        "Det finnes ikke noe nøkkelresultat {address}: det første tallet er målet (du har "
        "{objectives}), det andre nøkkelresultatet, slik påminnelsen nummererer dem."
    ),
    "reply.unclear.address_twice": "Nøkkelresultat {address} er oppgitt to ganger.",
    "reply.unclear.address_value": "Det står ingen verdi etter {address}.",
    "reply.unclear.confidence": (
        "\u00ab{word}\u00bb må stå rett etter den siste verdien i et mål, eller én gang til slutt."
    ),
    "reply.unclear.absurd": (
        "{number} for nøkkelresultat {address} er langt utenfor området: sjekk tallet."
    ),
    "reply.unclear.comment_long": "Hold kommentaren under 1000 tegn.",
    "reply.unclear.changed": "Målene dine ble endret mens jeg leste svaret ditt.",
    "reply.unclear.read": "Dette leste jeg: {values}",
    "reply.unclear.read.nothing": "Jeg leste ingen verdier.",
    "reply.unclear.value": "{position} = {value}",
    "reply.unclear.value.extra": "{value} (én for mye)",
    "reply.unclear.kept": "uendret",
    "reply.unclear.unreadable": "{text} (uklart)",
    "reply.unclear.again": "Svar på nytt, eller åpne skjemaet:",
    "reply.help.text": "Slik sjekker du inn ved å svare",
    "reply.help": (
        "Jeg leser svar her som den ukentlige innsjekken din: de nye verdiene for "
        "nøkkelresultatene i den rekkefølgen påminnelsen viser dem, gjerne i rute, i fare "
        "eller ute av kurs, og alt etter det som en kommentar, for eksempel `52; 1,5; 20 i "
        "rute \u2014 betaen er ute`. Bruk `/okr checkin` for skjemaet og `/okr help` for "
        "alt annet."
    ),
    "reply.help.yours": "Dine, i denne rekkefølgen: `{example}`",
    "nochange.button": "Ingen endring denne uken",
    "nochange.done": (
        "{what}: ingen endring denne uken, registrert {at} med de samme verdiene og "
        "vurderingen. Takk!"
    ),
    "nochange.text": "Ingen endring denne uken: innsjekk registrert.",
    "pace.behind": "Henger etter",
    "pace.behind.detail": "henger etter: {progress} gjort, {expected} av kvartalet er gått",
    "pace.stale": "Ikke oppdatert",
    "pace.stale.detail": "ikke oppdatert: ingen innsjekk på {days}+ dager",
    "pace.digest.lead": "*Ikke oppdatert og henger etter, per team*",
    "pace.digest.team": "{team}: {stale} \u00b7 {behind}",
    "pace.digest.stale.one": "{count} mål ikke oppdatert",
    "pace.digest.stale.many": "{count} mål ikke oppdatert",
    "pace.digest.behind.one": "{count} henger etter",
    "pace.digest.behind.many": "{count} henger etter",
    "pace.digest.none": "Alle målene er sjekket inn og i tempo. :tada:",
    "pace.digest.more": "og {count} team til",
    "pace.chart.title": "Fremdrift per team, {quarter}",
    "pace.chart.other": "Andre team",
    "pace.chart.alt": (
        "Et linjediagram over hvert teams fremdrift per uke i {quarter}, mot et jevnt tempo."
    ),
}
