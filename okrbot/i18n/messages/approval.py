"""Objectives on their way: how one is shown, the approval request and its outcome, what
the author hears, the publication, problems worth telling someone about, and `/okr help`.
"""

from __future__ import annotations

EN: dict[str, str] = {
    "objective.key_results": "*Key results*",
    "objective.aligns_to": "Aligns to: *{title}*",
    "objective.aligns_to_owner": "Aligns to: *{title}* ({owner})",
    "objective.aligns_to_nothing": "Aligns to: _nothing chosen_",
    "objective.by.company": "Company objective by {owner}",
    "objective.by.team": "Team objective by {owner}",
    "objective.by.personal": "Personal objective by {owner}",
    "objective.team": "team {team}",
    "objective.version": "v{version}",
    "approval.someone": "someone",
    "approval.just_now": "just now",
    "approval.request.text": "{author} asks for your approval ({stage} stage): {objective}",
    "approval.request.lead": ":inbox_tray: {author} asks for your approval as *{stage}*.",
    "approval.asked.lead": ":inbox_tray: {author} asked for your approval as *{stage}*.",
    "approval.approve": "Approve",
    "approval.reject": "Reject",
    "approval.out_of_date": (
        ":hourglass: Out of date: {author} replaced version {version} with version {newer}. "
        "Any new request comes in a message of its own."
    ),
    "approval.approved_by": ":white_check_mark: Approved by {by} {when}",
    "approval.rejected_by": ":x: Rejected by {by} {when}",
    "approval.not_needed": ":no_entry_sign: No longer needed ({outcome}).",
    "author.submitted": "Submitted {objective}: waiting for {approver}.",
    "author.stage_approved": "{by} approved {objective}; it now waits for {approver} (CEO).",
    "author.published": "{objective} is approved and published for everyone to see.",
    "author.rejected": "{by} ({stage}) rejected {objective}.",
    "author.approver": "approver",
    "author.why": "*Why:*",
    "author.resubmit": "Edit and resubmit",
    "publication.text": "New {level} OKR from {owner}: {objective}",
    "publication.lead": ":dart: *New OKR for {quarter}* from {owner}",
    "publication.approved_by": "Approved by {approvers}",
    "publication.ceo_own": "The CEO's own objective: no approval needed",
    "publication.updated_text": "Updated {level} OKR from {owner}: {objective}",
    "publication.updated_lead": ":pencil2: *Updated OKR for {quarter}* from {owner}",
    "problem.approver_unreachable": (
        "I could not send your objective \u201c{title}\u201d to {approver} for {stage} "
        "approval: Slack said `{code}` (a deactivated account, perhaps). Ask whoever keeps "
        "the org chart to fix your manager with `okrbot org import`, then edit and resubmit."
    ),
    "problem.not_published": (
        "I could not publish \u201c{title}\u201d in {channel}: Slack said `{code}`. Invite "
        "me to the channel (`/invite @okrbot`) or fix OKRBOT_CHANNEL; I will try again "
        "every hour for a day."
    ),
    "problem.messages_in_doubt": (
        "Slack could not tell me whether {count} message(s) of the {job} run ({week}) went "
        "out, so I have not sent them again: {people}. Ask them, or send them with "
        "`okrbot run-job {job} --resend-in-doubt` (or `/okr admin run {job} resend-in-doubt`)."
    ),
    "problem.message_in_doubt": (
        "Slack could not tell me whether a message ({kind}) to {recipient} went out, so I "
        "have not sent it again. To send it, run `okrbot run-job checkin --resend-in-doubt` "
        "(or `/okr admin run checkin resend-in-doubt`)."
    ),
    "problem.digest_not_posted": (
        "I could not post this week's OKR digest ({week}) in {channel}. Invite me to the "
        "channel (`/invite @okrbot`), then run `okrbot run-job digest --force` to post it."
    ),
    "problem.decision_failed": (
        "I could not apply your approval, though I tried several times: something went "
        "wrong on my side. The request is still waiting for you: please click Approve again."
    ),
    "help.text": "okrbot help",
    "help.unknown": "I don't know `{word}`.",
    "help.body": (
        "*okrbot* runs our OKRs: objectives with 2\u20135 measurable key results, approved "
        "by your manager and then the CEO, published for everyone.\n\n"
        "`/okr new` \u2014 write an objective (a form opens)\n"
        "`/okr list` \u2014 your objectives and where each one stands\n"
        "`/okr list @person`, `/okr list <team>`, `/okr list company` \u2014 published "
        "objectives of this quarter\n"
        "`/okr show 12` or `/okr show <words>` \u2014 one objective in full\n"
        "`/okr tree` \u2014 how this quarter's objectives align to the company's\n"
        "`/okr checkin` \u2014 update your key results and how confident you are\n"
        "`/okr edit 12` \u2014 change an objective (a published one goes back through "
        "approval; it stays as it was until then)\n"
        "`/okr withdraw 12` \u2014 take an objective back (it stays in the history)\n"
        "`/okr score` \u2014 score this quarter's objectives, 0.0\u20131.0\n"
        "`/okr admin` \u2014 okrbot's settings, and running a weekly job now (the CEO "
        "and admins)\n"
        "`/okr help` \u2014 this help\n\n"
        "Approvers get a DM with *Approve* and *Reject*; a rejection comes back to you with "
        "the reason and an *Edit and resubmit* button. Every week I ask for a check-in "
        "(Friday afternoon, your time) and post a digest of everyone's progress on Monday."
    ),
}

NB: dict[str, str] = {
    "objective.key_results": "*Nøkkelresultater*",
    "objective.aligns_to": "Støtter: *{title}*",
    "objective.aligns_to_owner": "Støtter: *{title}* ({owner})",
    "objective.aligns_to_nothing": "Støtter: _ikke valgt_",
    "objective.by.company": "Selskapsmål fra {owner}",
    "objective.by.team": "Teammål fra {owner}",
    "objective.by.personal": "Personlig mål fra {owner}",
    "objective.team": "team {team}",
    "objective.version": "v{version}",
    "approval.someone": "noen",
    "approval.just_now": "akkurat nå",
    "approval.request.text": "{author} ber om din godkjenning som {stage}: {objective}",
    "approval.request.lead": ":inbox_tray: {author} ber om din godkjenning som *{stage}*.",
    "approval.asked.lead": ":inbox_tray: {author} ba om din godkjenning som *{stage}*.",
    "approval.approve": "Godkjenn",
    "approval.reject": "Avvis",
    "approval.out_of_date": (
        ":hourglass: Utdatert: {author} erstattet versjon {version} med versjon {newer}. "
        "En eventuell ny forespørsel kommer i en egen melding."
    ),
    "approval.approved_by": ":white_check_mark: Godkjent av {by} {when}",
    "approval.rejected_by": ":x: Avvist av {by} {when}",
    "approval.not_needed": ":no_entry_sign: Trengs ikke lenger ({outcome}).",
    "author.submitted": "Sendte inn {objective}: venter på {approver}.",
    "author.stage_approved": (
        "{by} godkjente {objective}; nå venter det på {approver} (daglig leder)."
    ),
    "author.published": "{objective} er godkjent og publisert, synlig for alle.",
    "author.rejected": "{by} ({stage}) avviste {objective}.",
    "author.approver": "godkjenner",
    "author.why": "*Hvorfor:*",
    "author.resubmit": "Rediger og send inn på nytt",
    "publication.text": "Ny OKR ({level}) fra {owner}: {objective}",
    "publication.lead": ":dart: *Ny OKR for {quarter}* fra {owner}",
    "publication.approved_by": "Godkjent av {approvers}",
    "publication.ceo_own": "Daglig leders eget mål: trenger ingen godkjenning",
    "publication.updated_text": "Oppdatert OKR ({level}) fra {owner}: {objective}",
    "publication.updated_lead": ":pencil2: *Oppdatert OKR for {quarter}* fra {owner}",
    "problem.approver_unreachable": (
        "Jeg fikk ikke sendt målet ditt \u00ab{title}\u00bb til {approver} for godkjenning "
        "som {stage}: Slack svarte `{code}` (kanskje en deaktivert konto). Be den som holder "
        "organisasjonskartet oppdatert om å rette lederen din med `okrbot org import`, og "
        "rediger og send inn på nytt etterpå."
    ),
    "problem.not_published": (
        "Jeg fikk ikke publisert \u00ab{title}\u00bb i {channel}: Slack svarte `{code}`. "
        "Inviter meg til kanalen (`/invite @okrbot`) eller rett OKRBOT_CHANNEL; jeg prøver "
        "igjen hver time i ett døgn."
    ),
    "problem.messages_in_doubt": (
        "Slack kunne ikke si om {count} melding(er) fra kjøringen av {job} ({week}) ble "
        "sendt, så jeg har ikke sendt dem på nytt: {people}. Spør dem, eller send dem med "
        "`okrbot run-job {job} --resend-in-doubt` (eller `/okr admin run {job} resend-in-doubt`)."
    ),
    "problem.message_in_doubt": (
        "Slack kunne ikke si om en melding ({kind}) til {recipient} ble sendt, så jeg har "
        "ikke sendt den på nytt. Kjør `okrbot run-job checkin --resend-in-doubt` (eller "
        "`/okr admin run checkin resend-in-doubt`) for å sende den."
    ),
    "problem.digest_not_posted": (
        "Jeg fikk ikke lagt ut ukens OKR-oversikt ({week}) i {channel}. Inviter meg til "
        "kanalen (`/invite @okrbot`), og kjør så `okrbot run-job digest --force` for å "
        "legge den ut."
    ),
    "problem.decision_failed": (
        "Jeg fikk ikke registrert godkjenningen din, selv etter flere forsøk: noe gikk galt "
        "hos meg. Forespørselen venter fortsatt på deg: klikk Godkjenn en gang til."
    ),
    "help.text": "okrbot-hjelp",
    "help.unknown": "Jeg kjenner ikke `{word}`.",
    "help.body": (
        "*okrbot* holder styr på OKR-ene våre: mål med 2\u20135 målbare nøkkelresultater, "
        "godkjent av lederen din og deretter daglig leder, og publisert for alle.\n\n"
        "`/okr new` \u2014 skriv et mål (et skjema åpnes)\n"
        "`/okr list` \u2014 målene dine og hvor hvert av dem står\n"
        "`/okr list @person`, `/okr list <team>`, `/okr list company` \u2014 publiserte "
        "mål dette kvartalet\n"
        "`/okr show 12` eller `/okr show <ord>` \u2014 ett mål i sin helhet\n"
        "`/okr tree` \u2014 hvordan kvartalets mål henger sammen med selskapets\n"
        "`/okr checkin` \u2014 oppdater nøkkelresultatene dine og hvor trygg du er\n"
        "`/okr edit 12` \u2014 endre et mål (et publisert mål går til godkjenning igjen; "
        "det står som før til da)\n"
        "`/okr withdraw 12` \u2014 trekk tilbake et mål (det blir stående i historikken)\n"
        "`/okr score` \u2014 gi kvartalets mål en score, 0,0\u20131,0\n"
        "`/okr admin` \u2014 okrbots innstillinger, og å kjøre en ukentlig jobb nå "
        "(daglig leder og administratorer)\n"
        "`/okr help` \u2014 denne hjelpen\n\n"
        "Godkjennere får en DM med *Godkjenn* og *Avvis*; et avslag kommer tilbake til deg "
        "med begrunnelsen og en *Rediger og send inn på nytt*-knapp. Hver uke ber jeg om en "
        "innsjekk (fredag ettermiddag, din tid) og legger ut en oversikt over alles "
        "fremdrift på mandag."
    ),
}
