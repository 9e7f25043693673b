"""The App Home tab."""

from __future__ import annotations

EN: dict[str, str] = {
    "home.title": "Your OKRs \u00b7 {quarter}",
    "home.mine.header": "My objectives",
    "home.mine.none": (
        "You have no published objectives for {quarter} yet. Write one with `/okr new`."
    ),
    "home.mine.more": "\u2026and {count} more: `/okr list` shows them all.",
    "home.mine.in_flight": "*On their way, or back with you*",
    "home.checkin": "Check in",
    "home.checkin.never": "no check-in yet",
    "home.checkin.last": "last check-in {when}",
    "home.kr_owner": "owned by {owner}",
    "home.theirs.header": "Key results you own",
    "home.theirs.more": "\u2026and {count} more objectives with key results of yours.",
    "home.status.awaiting_manager": "Waiting for your manager, {who}",
    "home.status.awaiting_ceo": "Waiting for the CEO, {who}",
    "home.status.rejected": "Rejected: edit and resubmit",
    "home.status.other": "Not published",
    "home.resubmit": "Edit and resubmit",
    "home.requests.header": "Waiting for your approval",
    "home.requests.none": "Nothing is waiting for your approval.",
    "home.requests.item": "{owner} asks for your approval as *{stage}* \u00b7 asked {when}",
    "home.requests.more": (
        "\u2026and {count} more waiting: each one is also in your messages from okrbot."
    ),
    "home.stage.manager": "manager",
    "home.stage.ceo": "CEO",
    "home.approve": "Approve",
    "home.reject": "Reject",
    "home.team.header": "Team {team}",
    "home.team.none": "Nobody else in {team} has published objectives for {quarter} yet.",
    "home.team.no_team": (
        "The org chart puts you on no team yet, so there is no team to show here."
    ),
    "home.company.header": "Company",
    "home.company.none": "The company has no published objectives for {quarter} yet.",
    "home.team.more": "\u2026and {count} more: `/okr list {team}` shows them all.",
    "home.company.more": "\u2026and {count} more: `/okr list company` shows them all.",
    "home.by": "by {owner}",
    "home.level.company": "Company",
    "home.level.team": "Team",
    "home.level.personal": "Personal",
    "home.confidence.on_track": "On track",
    "home.confidence.at_risk": "At risk",
    "home.confidence.off_track": "Off track",
    "home.footer": (
        "`/okr new` writes an objective \u00b7 `/okr list` shows all of yours \u00b7 "
        "`/okr help` explains the rest"
    ),
}

NB: dict[str, str] = {
    "home.title": "Dine OKR-er \u00b7 {quarter}",
    "home.mine.header": "Mine mål",
    "home.mine.none": "Du har ingen publiserte mål for {quarter} ennå. Skriv et med `/okr new`.",
    "home.mine.more": "\u2026og {count} til: `/okr list` viser alle.",
    "home.mine.in_flight": "*På vei gjennom godkjenning, eller tilbake hos deg*",
    "home.checkin": "Sjekk inn",
    "home.checkin.never": "ingen innsjekk ennå",
    "home.checkin.last": "siste innsjekk {when}",
    "home.kr_owner": "ansvarlig: {owner}",
    "home.theirs.header": "Nøkkelresultater du er ansvarlig for",
    "home.theirs.more": "\u2026og {count} mål til med nøkkelresultater du er ansvarlig for.",
    "home.status.awaiting_manager": "Venter på lederen din, {who}",
    "home.status.awaiting_ceo": "Venter på daglig leder, {who}",
    "home.status.rejected": "Avvist: rediger og send inn på nytt",
    "home.status.other": "Ikke publisert",
    "home.resubmit": "Rediger og send inn",
    "home.requests.header": "Venter på din godkjenning",
    "home.requests.none": "Ingenting venter på din godkjenning.",
    "home.requests.item": "{owner} ber om din godkjenning som *{stage}* \u00b7 spurt {when}",
    "home.requests.more": (
        "\u2026og {count} til venter: hver av dem ligger også i meldingene dine fra okrbot."
    ),
    "home.stage.manager": "leder",
    "home.stage.ceo": "daglig leder",
    "home.approve": "Godkjenn",
    "home.reject": "Avvis",
    "home.team.header": "Team {team}",
    "home.team.none": "Ingen andre i {team} har publisert mål for {quarter} ennå.",
    "home.team.no_team": (
        "Organisasjonskartet har ikke plassert deg på noe team ennå, så det er ikke noe "
        "team å vise her."
    ),
    "home.company.header": "Selskapet",
    "home.company.none": "Selskapet har ingen publiserte mål for {quarter} ennå.",
    "home.team.more": "\u2026og {count} til: `/okr list {team}` viser alle.",
    "home.company.more": "\u2026og {count} til: `/okr list company` viser alle.",
    "home.by": "av {owner}",
    "home.level.company": "Selskap",
    "home.level.team": "Team",
    "home.level.personal": "Personlig",
    "home.confidence.on_track": "I rute",
    "home.confidence.at_risk": "I fare",
    "home.confidence.off_track": "Ute av kurs",
    "home.footer": (
        "`/okr new` skriver et mål \u00b7 `/okr list` viser alle dine \u00b7 "
        "`/okr help` forklarer resten"
    ),
}
