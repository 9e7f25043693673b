"""The Monday digest in the company channel."""

from __future__ import annotations

EN: dict[str, str] = {
    "digest.text": "OKR digest {quarter} week {week}: {percent} overall",
    "digest.header": "OKR digest \u00b7 {quarter} \u00b7 week {week} of {weeks}",
    "digest.elapsed": "{elapsed} of the quarter has gone \u00b7 {objectives}",
    "digest.objectives.one": "{count} objective",
    "digest.objectives.many": "{count} objectives",
    "digest.none": "No published objectives for {quarter} yet.",
    "digest.progress": "*Overall progress* {bar} *{percent}* \u00b7 week on week: {change}",
    "digest.not_checked_in": "not checked in yet",
    "digest.attention": "*Needs attention*",
    "digest.attention.none": "Nothing is off track or at risk. :tada:",
    "digest.attention.more": "and {count} more in the thread",
    "digest.stale": "*Not checked in for {days}+ days:*",
    "digest.stale.more": "and {count} more",
    "digest.in_thread": "Every objective, team by team, is in the thread.",
    "digest.points.one": "{points} pt",
    "digest.points.many": "{points} pts",
    "digest.no_team": "No team",
    "digest.continued": "{team} (continued)",
    "digest.part": "OKR digest {quarter}, part {number} of {total}: {teams}",
}

NB: dict[str, str] = {
    "digest.text": "OKR-oversikt {quarter} uke {week}: {percent} totalt",
    "digest.header": "OKR-oversikt \u00b7 {quarter} \u00b7 uke {week} av {weeks}",
    "digest.elapsed": "{elapsed} av kvartalet er gått \u00b7 {objectives}",
    "digest.objectives.one": "{count} mål",
    "digest.objectives.many": "{count} mål",
    "digest.none": "Ingen publiserte mål for {quarter} ennå.",
    "digest.progress": ("*Samlet fremdrift* {bar} *{percent}* \u00b7 siden forrige uke: {change}"),
    "digest.not_checked_in": "ikke sjekket inn ennå",
    "digest.attention": "*Trenger oppfølging*",
    "digest.attention.none": "Ingenting er ute av kurs eller i faresonen. :tada:",
    "digest.attention.more": "og {count} til i tråden",
    "digest.stale": "*Ikke sjekket inn på {days}+ dager:*",
    "digest.stale.more": "og {count} til",
    "digest.in_thread": "Alle målene, team for team, står i tråden.",
    "digest.points.one": "{points} poeng",
    "digest.points.many": "{points} poeng",
    "digest.no_team": "Uten team",
    "digest.continued": "{team} (fortsatt)",
    "digest.part": "OKR-oversikt {quarter}, del {number} av {total}: {teams}",
}
