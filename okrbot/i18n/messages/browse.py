"""Browsing OKRs with `/okr list`, `/okr show` and `/okr tree`."""

from __future__ import annotations

EN: dict[str, str] = {
    "browse.level.company": "Company",
    "browse.level.team": "Team",
    "browse.level.personal": "Personal",
    "browse.confidence.on_track": "On track",
    "browse.confidence.at_risk": "At risk",
    "browse.confidence.off_track": "Off track",
    "browse.not_checked_in": "not checked in yet",
    "browse.status.draft": "Draft",
    "browse.status.awaiting_manager": "Waiting for the manager",
    "browse.status.awaiting_ceo": "Waiting for the CEO",
    "browse.status.approved": "Approved and published",
    "browse.status.rejected": "Rejected: edit and resubmit",
    "browse.status.withdrawn": "Withdrawn",
    "browse.status.closed": "Closed",
    "browse.stage.manager": "manager",
    "browse.stage.ceo": "CEO",
    "browse.status_line": "*Status:* {status}",
    "browse.waiting_on": "{status} ({who})",
    "browse.team": "team {team}",
    # Your own objectives
    "browse.mine.header": "Your objectives ({count})",
    "browse.mine.text": "Your objectives: {count}",
    "browse.mine.empty": "You have no objectives yet. Write one with `/okr new`.",
    "browse.mine.footer": (
        "Write another with `/okr new`; see one in full with `/okr show <id>`; "
        "see others' with `/okr list @person`, `/okr list <team>` or `/okr tree`."
    ),
    # Someone else's, a team's, the company's
    "browse.person.heading": "*Objectives of {name} \u00b7 {quarter}*",
    "browse.person.text": "Objectives of {name} in {quarter}: {count}",
    "browse.person.empty": "{name} has no published objectives in {quarter}.",
    "browse.team.header": "Team {team} \u00b7 {quarter}",
    "browse.team.text": "Team {team}, {quarter}: {count} published objectives",
    "browse.team.empty": "Team {team} has no published objectives in {quarter}.",
    "browse.company.header": "Company objectives \u00b7 {quarter}",
    "browse.company.text": "Company objectives, {quarter}: {count}",
    "browse.company.empty": "No company objectives are published for {quarter} yet.",
    "browse.list.footer": "See one in full with `/okr show <id>`; how they align: `/okr tree`.",
    "browse.list.more": (
        "\u2026 and {count} more \u2014 try `/okr list @person` or `/okr show <words>`."
    ),
    # Nobody or no team by that name
    "browse.unknown.person": (
        "I don't know {who}: they are not in the org chart and have no objectives."
    ),
    "browse.unknown.team": "There is no team called \u201c{team}\u201d.",
    "browse.unknown.teams": "*Teams:* {teams}",
    "browse.unknown.teams_more": "and {count} more",
    "browse.unknown.no_teams": "No teams are in the org chart yet.",
    "browse.unknown.hint": (
        "Try `/okr list <team>`, `/okr list @person`, `/okr list company` or `/okr tree`."
    ),
    # One objective in full
    "browse.show.usage": (
        "Which objective? Try `/okr show 12` or `/okr show` and a few words of its title."
    ),
    "browse.show.none_id": "There is no objective #{id} that you can see.",
    "browse.show.none": (
        "No objective matches \u201c{query}\u201d. I look at this quarter's published "
        "objectives and your own; `/okr tree` shows them all."
    ),
    "browse.show.candidates": "{count} objectives match \u201c{query}\u201d. Which one?",
    "browse.show.candidate": "`/okr show {id}` \u00b7 *{title}* \u00b7 {owner}",
    "browse.show.candidates_more": "\u2026 and {count} more: add a word or two.",
    "browse.show.text": "{title} ({quarter}): {percent}",
    "browse.kind.company": "Company objective",
    "browse.kind.team": "Team objective",
    "browse.kind.personal": "Personal objective",
    "browse.show.meta": "{kind} by {owner} \u00b7 {quarter} \u00b7 #{id}",
    "browse.show.progress": "*Progress* {bar} *{percent}*",
    "browse.show.confidence": "Confidence: {confidence}",
    "browse.show.last_check_in": "last check-in {date}",
    "browse.show.no_check_in": "no check-in yet",
    "browse.show.key_results": "*Key results*",
    "browse.show.kr": "*{position}.* {description}",
    "browse.show.kr_values": (
        "{start} \u2192 {current} \u2192 {target}{unit} \u00b7 {bar} {percent}"
    ),
    "browse.show.kr_updated": "updated {date}",
    # The id the HTTP API and the JSON export know the key result by.
    "browse.show.kr_id": "id `{id}`",
    "browse.show.kr_owner": "owned by {owner}",
    "browse.show.supports": "*Supports:* {objective}",
    "browse.show.supports_nothing": (
        ":warning: *Supports:* nothing \u2014 not aligned to a published objective"
    ),
    "browse.show.supported_by": "*Supported by ({count}):*",
    "browse.show.supported_by_none": "*Supported by:* nothing yet",
    "browse.show.more": "\u2026 and {count} more \u2014 see `/okr tree`",
    "browse.show.approved_by": "*Approved by:* {approvals}",
    "browse.show.approval": "{name} ({stage}) {date}",
    "browse.show.no_approvals": "*Approved by:* nobody yet",
    "browse.show.published": "*Published* {date}, with no approvals needed",
    # The alignment tree
    "browse.tree.header": "OKR tree \u00b7 {quarter}",
    "browse.tree.summary": "{count} published objectives \u00b7 {unaligned} not aligned",
    "browse.tree.text": "OKR tree {quarter}: {count} objectives, {unaligned} not aligned",
    "browse.tree.empty": "No objectives are published for {quarter} yet.",
    "browse.tree.unaligned": (
        "*:warning: Not aligned* \u2014 these support no published objective of {quarter}"
    ),
    "browse.tree.folded": "{count} more aligned to it \u00b7 {percent}",
    "browse.tree.team_unaligned": "{team}: {count} not aligned \u00b7 {percent}",
    "browse.tree.no_team": "No team",
    "browse.tree.collapsed": (
        "Too many to show one by one: personal objectives are counted, not listed. "
        "See them with `/okr list <team>` or `/okr list @person`."
    ),
    "browse.tree.more": "\u2026 and {count} more \u2014 try `/okr list <team>`.",
}

NB: dict[str, str] = {
    "browse.level.company": "Selskap",
    "browse.level.team": "Team",
    "browse.level.personal": "Personlig",
    "browse.confidence.on_track": "I rute",
    "browse.confidence.at_risk": "I faresonen",
    "browse.confidence.off_track": "Ikke i rute",
    "browse.not_checked_in": "ikke sjekket inn ennå",
    "browse.status.draft": "Utkast",
    "browse.status.awaiting_manager": "Venter på lederen",
    "browse.status.awaiting_ceo": "Venter på daglig leder",
    "browse.status.approved": "Godkjent og publisert",
    "browse.status.rejected": "Avvist: rediger og send inn på nytt",
    "browse.status.withdrawn": "Trukket tilbake",
    "browse.status.closed": "Avsluttet",
    "browse.stage.manager": "leder",
    "browse.stage.ceo": "daglig leder",
    "browse.status_line": "*Status:* {status}",
    "browse.waiting_on": "{status} ({who})",
    "browse.team": "team {team}",
    "browse.mine.header": "Dine mål ({count})",
    "browse.mine.text": "Dine mål: {count}",
    "browse.mine.empty": "Du har ingen mål ennå. Skriv ett med `/okr new`.",
    "browse.mine.footer": (
        "Skriv et nytt med `/okr new`; se ett i sin helhet med `/okr show <id>`; "
        "se andres med `/okr list @person`, `/okr list <team>` eller `/okr tree`."
    ),
    "browse.person.heading": "*Målene til {name} \u00b7 {quarter}*",
    "browse.person.text": "Målene til {name} i {quarter}: {count}",
    "browse.person.empty": "{name} har ingen publiserte mål i {quarter}.",
    "browse.team.header": "Team {team} \u00b7 {quarter}",
    "browse.team.text": "Team {team}, {quarter}: {count} publiserte mål",
    "browse.team.empty": "Team {team} har ingen publiserte mål i {quarter}.",
    "browse.company.header": "Selskapets mål \u00b7 {quarter}",
    "browse.company.text": "Selskapets mål, {quarter}: {count}",
    "browse.company.empty": "Ingen selskapsmål er publisert for {quarter} ennå.",
    "browse.list.footer": (
        "Se ett i sin helhet med `/okr show <id>`; hvordan de henger sammen: `/okr tree`."
    ),
    "browse.list.more": (
        "\u2026 og {count} til \u2014 prøv `/okr list @person` eller `/okr show <ord>`."
    ),
    "browse.unknown.person": (
        "Jeg kjenner ikke {who}: vedkommende er ikke i organisasjonskartet og har ingen mål."
    ),
    "browse.unknown.team": "Det finnes ikke noe team som heter \u201c{team}\u201d.",
    "browse.unknown.teams": "*Team:* {teams}",
    "browse.unknown.teams_more": "og {count} til",
    "browse.unknown.no_teams": "Det er ingen team i organisasjonskartet ennå.",
    "browse.unknown.hint": (
        "Prøv `/okr list <team>`, `/okr list @person`, `/okr list company` eller `/okr tree`."
    ),
    "browse.show.usage": (
        "Hvilket mål? Prøv `/okr show 12` eller `/okr show` og noen ord fra tittelen."
    ),
    "browse.show.none_id": "Det finnes ikke noe mål #{id} som du kan se.",
    "browse.show.none": (
        "Ingen mål passer til \u201c{query}\u201d. Jeg ser på kvartalets publiserte mål "
        "og dine egne; `/okr tree` viser alle."
    ),
    "browse.show.candidates": "{count} mål passer til \u201c{query}\u201d. Hvilket mener du?",
    "browse.show.candidate": "`/okr show {id}` \u00b7 *{title}* \u00b7 {owner}",
    "browse.show.candidates_more": "\u2026 og {count} til: legg til et ord eller to.",
    "browse.show.text": "{title} ({quarter}): {percent}",
    "browse.kind.company": "Selskapsmål",
    "browse.kind.team": "Teammål",
    "browse.kind.personal": "Personlig mål",
    "browse.show.meta": "{kind} fra {owner} \u00b7 {quarter} \u00b7 #{id}",
    "browse.show.progress": "*Fremdrift* {bar} *{percent}*",
    "browse.show.confidence": "Tiltro: {confidence}",
    "browse.show.last_check_in": "siste innsjekk {date}",
    "browse.show.no_check_in": "ingen innsjekk ennå",
    "browse.show.key_results": "*Nøkkelresultater*",
    "browse.show.kr": "*{position}.* {description}",
    "browse.show.kr_values": (
        "{start} \u2192 {current} \u2192 {target}{unit} \u00b7 {bar} {percent}"
    ),
    "browse.show.kr_updated": "oppdatert {date}",
    "browse.show.kr_id": "id `{id}`",
    "browse.show.kr_owner": "ansvarlig: {owner}",
    "browse.show.supports": "*Støtter:* {objective}",
    "browse.show.supports_nothing": (
        ":warning: *Støtter:* ingenting \u2014 ikke knyttet til et publisert mål"
    ),
    "browse.show.supported_by": "*Støttes av ({count}):*",
    "browse.show.supported_by_none": "*Støttes av:* ingenting ennå",
    "browse.show.more": "\u2026 og {count} til \u2014 se `/okr tree`",
    "browse.show.approved_by": "*Godkjent av:* {approvals}",
    "browse.show.approval": "{name} ({stage}) {date}",
    "browse.show.no_approvals": "*Godkjent av:* ingen ennå",
    "browse.show.published": "*Publisert* {date}, uten behov for godkjenning",
    "browse.tree.header": "OKR-tre \u00b7 {quarter}",
    "browse.tree.summary": "{count} publiserte mål \u00b7 {unaligned} ikke knyttet til noe",
    "browse.tree.text": "OKR-tre {quarter}: {count} mål, {unaligned} ikke knyttet til noe",
    "browse.tree.empty": "Ingen mål er publisert for {quarter} ennå.",
    "browse.tree.unaligned": (
        "*:warning: Ikke knyttet til noe* \u2014 disse støtter ingen publiserte mål i {quarter}"
    ),
    "browse.tree.folded": "{count} til knyttet hit \u00b7 {percent}",
    "browse.tree.team_unaligned": "{team}: {count} ikke knyttet til noe \u00b7 {percent}",
    "browse.tree.no_team": "Uten team",
    "browse.tree.collapsed": (
        "For mange til å vise hver for seg: personlige mål telles, men listes ikke. "
        "Se dem med `/okr list <team>` eller `/okr list @person`."
    ),
    "browse.tree.more": "\u2026 og {count} til \u2014 prøv `/okr list <team>`.",
}
