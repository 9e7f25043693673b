"""Names of things: statuses, stages, levels, outcomes, confidence. Keys follow the enum
values: `status.<Status>`, `stage.<Stage>`, `level.<Level>`, `outcome.<Outcome>`,
`confidence.<Confidence>`."""

from __future__ import annotations

EN: dict[str, str] = {
    "status.draft": "Draft",
    "status.awaiting_manager": "Waiting for the manager",
    "status.awaiting_ceo": "Waiting for the CEO",
    "status.approved": "Approved and published",
    "status.rejected": "Rejected: edit and resubmit",
    "status.withdrawn": "Withdrawn",
    "status.closed": "Closed",
    "stage.manager": "manager",
    "stage.ceo": "CEO",
    "level.company": "Company",
    "level.team": "Team",
    "level.personal": "Personal",
    "outcome.approved": "approved",
    "outcome.rejected": "rejected",
    "outcome.pending": "pending",
    "outcome.superseded": "replaced",
    "outcome.cancelled": "cancelled",
    "confidence.on_track": "On track",
    "confidence.at_risk": "At risk",
    "confidence.off_track": "Off track",
}

NB: dict[str, str] = {
    "status.draft": "Utkast",
    "status.awaiting_manager": "Venter på lederen",
    "status.awaiting_ceo": "Venter på daglig leder",
    "status.approved": "Godkjent og publisert",
    "status.rejected": "Avvist: rediger og send inn på nytt",
    "status.withdrawn": "Trukket tilbake",
    "status.closed": "Avsluttet",
    "stage.manager": "leder",
    "stage.ceo": "daglig leder",
    "level.company": "Selskap",
    "level.team": "Team",
    "level.personal": "Personlig",
    "outcome.approved": "godkjent",
    "outcome.rejected": "avvist",
    "outcome.pending": "venter",
    "outcome.superseded": "erstattet",
    "outcome.cancelled": "kansellert",
    "confidence.on_track": "I rute",
    "confidence.at_risk": "I faresonen",
    "confidence.off_track": "Ute av kurs",
}
