"""`/okr admin`: okrbot's settings in a workspace, and running a weekly job now."""

from __future__ import annotations

EN: dict[str, str] = {
    "admin.welcome": (
        "Thanks for installing okrbot! Two settings are left, and only you (or the CEO, "
        "once chosen) can make them:\n"
        "1. `/okr admin ceo @person` \u2014 who approves every objective last\n"
        "2. `/okr admin channel #channel` \u2014 where approved OKRs and the Monday digest "
        "are posted (invite me there too: `/invite @okrbot`)\n"
        "Then everyone can use `/okr new`. `/okr admin` shows the settings at any time."
    ),
    "admin.not_set_up": (
        "okrbot is not set up in this workspace yet. {admins} can do it with `/okr admin` "
        "(the CEO and the OKR channel)."
    ),
    "admin.nobody": "Whoever installed okrbot",
    "admin.only_admins": ("Only the CEO and okrbot's admins can do this here. Admins: {admins}."),
    "admin.settings": (
        "*okrbot's settings in this workspace*\n"
        "CEO: {ceo}\n"
        "OKR channel: {channel}\n"
        "Admins (besides the CEO): {admins}"
    ),
    "admin.unset": "_not chosen yet_",
    "admin.none": "_none_",
    "admin.usage": (
        "`/okr admin ceo @person` \u2014 who approves every objective last\n"
        "`/okr admin channel #channel` \u2014 where OKRs and the digest are posted\n"
        "`/okr admin add @person`, `/okr admin remove @person` \u2014 who else may use "
        "`/okr admin`\n"
        "`/okr admin run checkin|reminder|digest` \u2014 run a weekly job now "
        "(add `force` to post again this week, `resend-in-doubt` to send what nobody "
        "could tell had gone out)\n"
        "`/okr admin source <key result id> \u2026`, `/okr admin sources` \u2014 key "
        "results read from data (`/okr admin source` explains)"
    ),
    "admin.usage_env": (
        "`/okr admin run checkin|reminder|digest` \u2014 run a weekly job now "
        "(add `force` to post again this week, `resend-in-doubt` to send what nobody "
        "could tell had gone out)\n"
        "`/okr admin source <key result id> \u2026`, `/okr admin sources` \u2014 key "
        "results read from data (`/okr admin source` explains)\n"
        "The CEO, the channel and the admins are set in okrbot's configuration "
        "(`OKRBOT_CEO`, `OKRBOT_CHANNEL`, `OKRBOT_ADMINS`)."
    ),
    "admin.in_configuration": (
        "Here that is set in okrbot's configuration (`{name}`), not from Slack."
    ),
    "admin.need_person": "Name one person, like `/okr admin {verb} @mads`.",
    "admin.need_channel": "Name one channel, like `/okr admin channel #okrs`.",
    "admin.ceo_set": "{user} is now the CEO: the last approver of every objective.",
    "admin.channel_set": (
        "OKRs and the Monday digest will be posted in {channel}. Invite me there if I am "
        "not in it yet: `/invite @okrbot`."
    ),
    "admin.added": "{user} is now an admin.",
    "admin.removed": "{user} is no longer an admin.",
    "admin.not_removed": "{user} was not an admin.",
    "admin.need_job": "Which job? `/okr admin run checkin`, `reminder` or `digest`.",
    "admin.running": "Running {job} now; I will tell you how it went.",
    "admin.ran": (
        "{job} ({weeks}): {sent} sent, {already} already sent this week, {failed} failed."
    ),
    "admin.ran_pending": (
        " {count} are being sent by another okrbot ({people}); if it stopped, they are "
        "settled after {until}."
    ),
    "admin.ran_in_doubt": (
        " {count} in doubt: Slack could not tell whether they went out ({people}). Send them "
        "with `/okr admin run {job} resend-in-doubt`."
    ),
    "admin.ran_force_hint": " Add `force` to post again.",
    "admin.nothing_due": "{job}: nothing to do (nobody has published objectives this quarter).",
    "admin.run_failed": "{job} could not run: Slack said `{code}`.",
    "admin.run_not_set_up": (
        "{job} cannot run yet: choose the CEO and the OKR channel first (`/okr admin`)."
    ),
    "admin.uninstalled": "okrbot is not installed in this workspace any more.",
}

NB: dict[str, str] = {
    "admin.welcome": (
        "Takk for at du installerte okrbot! To innstillinger gjenstår, og bare du (eller "
        "daglig leder, når hun eller han er valgt) kan gjøre dem:\n"
        "1. `/okr admin ceo @person` \u2014 hvem som godkjenner alle mål til sist\n"
        "2. `/okr admin channel #kanal` \u2014 hvor godkjente OKR-er og mandagsoversikten "
        "legges ut (inviter meg dit også: `/invite @okrbot`)\n"
        "Så kan alle bruke `/okr new`. `/okr admin` viser innstillingene når som helst."
    ),
    "admin.not_set_up": (
        "okrbot er ikke satt opp i dette arbeidsområdet ennå. {admins} kan gjøre det med "
        "`/okr admin` (daglig leder og OKR-kanalen)."
    ),
    "admin.nobody": "Den som installerte okrbot",
    "admin.only_admins": (
        "Bare daglig leder og okrbots administratorer kan gjøre dette her. "
        "Administratorer: {admins}."
    ),
    "admin.settings": (
        "*okrbots innstillinger i dette arbeidsområdet*\n"
        "Daglig leder: {ceo}\n"
        "OKR-kanal: {channel}\n"
        "Administratorer (i tillegg til daglig leder): {admins}"
    ),
    "admin.unset": "_ikke valgt ennå_",
    "admin.none": "_ingen_",
    "admin.usage": (
        "`/okr admin ceo @person` \u2014 hvem som godkjenner alle mål til sist\n"
        "`/okr admin channel #kanal` \u2014 hvor OKR-er og oversikten legges ut\n"
        "`/okr admin add @person`, `/okr admin remove @person` \u2014 hvem andre som kan "
        "bruke `/okr admin`\n"
        "`/okr admin run checkin|reminder|digest` \u2014 kjør en ukentlig jobb nå "
        "(legg til `force` for å sende på nytt denne uken, `resend-in-doubt` for å sende "
        "det ingen kunne si om hadde gått ut)\n"
        "`/okr admin source <nøkkelresultat-id> \u2026`, `/okr admin sources` \u2014 "
        "nøkkelresultater lest fra data (`/okr admin source` forklarer)"
    ),
    "admin.usage_env": (
        "`/okr admin run checkin|reminder|digest` \u2014 kjør en ukentlig jobb nå "
        "(legg til `force` for å sende på nytt denne uken, `resend-in-doubt` for å sende "
        "det ingen kunne si om hadde gått ut)\n"
        "`/okr admin source <nøkkelresultat-id> \u2026`, `/okr admin sources` \u2014 "
        "nøkkelresultater lest fra data (`/okr admin source` forklarer)\n"
        "Daglig leder, kanalen og administratorene settes i okrbots konfigurasjon "
        "(`OKRBOT_CEO`, `OKRBOT_CHANNEL`, `OKRBOT_ADMINS`)."
    ),
    "admin.in_configuration": (
        "Her settes det i okrbots konfigurasjon (`{name}`), ikke fra Slack."
    ),
    "admin.need_person": "Nevn én person, som `/okr admin {verb} @mads`.",
    "admin.need_channel": "Nevn én kanal, som `/okr admin channel #okr`.",
    "admin.ceo_set": "{user} er nå daglig leder: den siste som godkjenner hvert mål.",
    "admin.channel_set": (
        "OKR-er og mandagsoversikten legges ut i {channel}. Inviter meg dit hvis jeg ikke "
        "er der ennå: `/invite @okrbot`."
    ),
    "admin.added": "{user} er nå administrator.",
    "admin.removed": "{user} er ikke lenger administrator.",
    "admin.not_removed": "{user} var ikke administrator.",
    "admin.need_job": "Hvilken jobb? `/okr admin run checkin`, `reminder` eller `digest`.",
    "admin.running": "Kjører {job} nå; jeg sier fra hvordan det gikk.",
    "admin.ran": (
        "{job} ({weeks}): {sent} sendt, {already} allerede sendt denne uken, {failed} feilet."
    ),
    "admin.ran_pending": (
        " {count} sendes av en annen okrbot ({people}); stoppet den, gjøres de ferdig etter "
        "{until}."
    ),
    "admin.ran_in_doubt": (
        " {count} er usikre: Slack kunne ikke si om de ble sendt ({people}). Send dem med "
        "`/okr admin run {job} resend-in-doubt`."
    ),
    "admin.ran_force_hint": " Legg til `force` for å sende på nytt.",
    "admin.nothing_due": "{job}: ingenting å gjøre (ingen har publiserte mål dette kvartalet).",
    "admin.run_failed": "{job} kunne ikke kjøres: Slack svarte `{code}`.",
    "admin.run_not_set_up": (
        "{job} kan ikke kjøres ennå: velg daglig leder og OKR-kanalen først (`/okr admin`)."
    ),
    "admin.uninstalled": "okrbot er ikke installert i dette arbeidsområdet lenger.",
}
