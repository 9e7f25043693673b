"""The quarter's close: scoring, the next quarter, the report."""

from __future__ import annotations

EN: dict[str, str] = {
    "score.ask.text": "{quarter} ends in two weeks: time to score your OKRs.",
    "score.ask.header": "{quarter} is ending",
    "score.ask.body": (
        "The quarter ends in two weeks. Score your {count} objective(s): 0.0 to 1.0 per key "
        "result, prefilled from your progress. 0.6\u20130.8 is a healthy stretch: a 1.0 "
        "everywhere means the goals were too safe.\n\nThen write your OKRs for {next}: "
        "they go through your manager and the CEO again."
    ),
    "score.button": "Score my OKRs",
    "score.next_button": "Write {next} OKRs",
    "score.modal.title": "Score your OKRs",
    "score.modal.submit": "Save scores",
    "score.modal.next": "Next",
    "score.modal.intro": (
        "Score each key result from 0.0 (nothing) to 1.0 (done). 0.6\u20130.8 is a healthy stretch."
    ),
    "score.modal.more": "{shown} of {total} objectives here; the rest come after you save.",
    "score.modal.objective": "*{title}* \u00b7 progress {progress}",
    "score.modal.kr": "{position}. {description}",
    "score.modal.hint": "Suggested from progress: {suggested}",
    "score.modal.nothing": "You have no published objectives to score this quarter.",
    "score.error.empty": "Give a score from 0.0 to 1.0.",
    "score.error.number": "That is not a number: use 0.0 to 1.0 (or a percentage).",
    "score.error.range": "A score is between 0.0 and 1.0.",
    "report.text": "{quarter} is over: {scored} of {count} objectives scored, average {average}.",
    "report.header": "{quarter}: how it went",
    "report.summary": (
        "{count} objectives, {scored} scored by their owners. Average score: *{average}* "
        "(0.6\u20130.8 is a healthy stretch). Every objective, team by team, is in the thread."
    ),
    "report.no_scores": "no scores",
    "report.line_scored": "{title} \u00b7 {owner} \u00b7 *{score}*",
    "report.line_unscored": "{title} \u00b7 {owner} \u00b7 not scored (progress {progress})",
    "report.no_team": "No team",
    "report.continued": "{team} (continued)",
    "report.part": "{quarter} report, part {number} of {total}",
}

NB: dict[str, str] = {
    "score.ask.text": "{quarter} slutter om to uker: på tide å score OKR-ene dine.",
    "score.ask.header": "{quarter} nærmer seg slutten",
    "score.ask.body": (
        "Kvartalet slutter om to uker. Gi de {count} målene dine en score: 0,0 til 1,0 per "
        "nøkkelresultat, forhåndsutfylt fra fremdriften din. 0,6\u20130,8 er en sunn "
        "strekk: 1,0 overalt betyr at målene var for trygge.\n\nSkriv så OKR-ene dine for "
        "{next}: de går via lederen din og daglig leder igjen."
    ),
    "score.button": "Score OKR-ene mine",
    "score.next_button": "Skriv OKR-er for {next}",
    "score.modal.title": "Score OKR-ene dine",
    "score.modal.submit": "Lagre score",
    "score.modal.next": "Neste",
    "score.modal.intro": (
        "Gi hvert nøkkelresultat en score fra 0,0 (ingenting) til 1,0 (oppnådd). "
        "0,6\u20130,8 er en sunn strekk."
    ),
    "score.modal.more": "{shown} av {total} mål her; resten kommer når du har lagret.",
    "score.modal.objective": "*{title}* \u00b7 fremdrift {progress}",
    "score.modal.kr": "{position}. {description}",
    "score.modal.hint": "Foreslått fra fremdriften: {suggested}",
    "score.modal.nothing": "Du har ingen publiserte mål å score dette kvartalet.",
    "score.error.empty": "Gi en score fra 0,0 til 1,0.",
    "score.error.number": "Det er ikke et tall: bruk 0,0 til 1,0 (eller en prosent).",
    "score.error.range": "En score er mellom 0,0 og 1,0.",
    "report.text": "{quarter} er over: {scored} av {count} mål scoret, snitt {average}.",
    "report.header": "{quarter}: hvordan det gikk",
    "report.summary": (
        "{count} mål, {scored} scoret av eierne. Gjennomsnittlig score: *{average}* "
        "(0,6\u20130,8 er en sunn strekk). Alle målene, team for team, står i tråden."
    ),
    "report.no_scores": "ingen score",
    "report.line_scored": "{title} \u00b7 {owner} \u00b7 *{score}*",
    "report.line_unscored": "{title} \u00b7 {owner} \u00b7 ikke scoret (fremdrift {progress})",
    "report.no_team": "Uten team",
    "report.continued": "{team} (fortsatt)",
    "report.part": "Rapport for {quarter}, del {number} av {total}",
}
