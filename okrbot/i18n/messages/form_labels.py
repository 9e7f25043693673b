"""The words on the objective form and the rejection form. Titles and buttons of a modal
must stay within 24 characters in every language: Slack refuses the form otherwise."""

from __future__ import annotations

EN: dict[str, str] = {
    "objective_form.title.new": "New OKR",
    "objective_form.title.edit": "Edit OKR",
    "objective_form.submit.new": "Submit",
    "objective_form.submit.edit": "Resubmit",
    "objective_form.editing": "Editing version {version} of \u201c{title}\u201d.",
    "objective_form.objective": "Objective",
    "objective_form.objective.placeholder": "Short, qualitative, inspiring",
    "objective_form.description": "Why it matters",
    "objective_form.description.placeholder": "Context for your manager and the company",
    "objective_form.level": "Level",
    "objective_form.quarter": "Quarter",
    "objective_form.aligned": "Supports which published objective?",
    "objective_form.aligned.placeholder": "A published objective",
    "objective_form.aligned.hint": "Alignment shows how your work adds up to the company's goals.",
    "objective_form.aligned.option": "{level}: {title}",
    "objective_form.aligned.none": "No published objectives to align to yet.",
    "objective_form.manager": "Your manager",
    "objective_form.manager.placeholder": "Who approves first?",
    "objective_form.manager.hint": (
        "You are not in the org chart yet; I will remember your choice."
    ),
    "objective_form.kr.heading": "*Key result {number}*",
    "objective_form.kr.heading_optional": "*Key result {number}* _(optional)_",
    "objective_form.kr.description": "What will you measure?",
    "objective_form.kr.description.placeholder": "e.g. Weekly active teams",
    "objective_form.kr.start": "Start value",
    "objective_form.kr.target": "Target value",
    "objective_form.kr.target.hint": (
        "Below the start is fine: a key result may go down (e.g. churn)."
    ),
    "objective_form.kr.unit": "Unit",
    "objective_form.kr.unit.placeholder": "e.g. %, teams, NOK",
    "objective_form.kr.owner": "Owner (optional)",
    "objective_form.kr.owner.hint": "Someone else who checks this key result in. "
    "Approval stays with your chain.",
    "objective_form.add_kr": "Add a key result",
    "reject_form.title": "Reject OKR",
    "reject_form.submit": "Reject",
    "reject_form.lead": "Rejecting *{title}*. The author sees your reason.",
    "reject_form.reason": "Why? What should change?",
    "reject_form.reason.placeholder": "Be specific: what would you approve?",
}

NB: dict[str, str] = {
    "objective_form.title.new": "Ny OKR",
    "objective_form.title.edit": "Rediger OKR",
    "objective_form.submit.new": "Send inn",
    "objective_form.submit.edit": "Send inn på nytt",
    "objective_form.editing": "Du redigerer versjon {version} av \u00ab{title}\u00bb.",
    "objective_form.objective": "Mål",
    "objective_form.objective.placeholder": "Kort, kvalitativt, inspirerende",
    "objective_form.description": "Hvorfor det er viktig",
    "objective_form.description.placeholder": "Bakgrunn for lederen din og selskapet",
    "objective_form.level": "Nivå",
    "objective_form.quarter": "Kvartal",
    "objective_form.aligned": "Hvilket publisert mål støtter dette?",
    "objective_form.aligned.placeholder": "Et publisert mål",
    "objective_form.aligned.hint": (
        "Koblingen viser hvordan arbeidet ditt bidrar til selskapets mål."
    ),
    "objective_form.aligned.option": "{level}: {title}",
    "objective_form.aligned.none": "Ingen publiserte mål å knytte målet til ennå.",
    "objective_form.manager": "Lederen din",
    "objective_form.manager.placeholder": "Hvem godkjenner først?",
    "objective_form.manager.hint": (
        "Du er ikke i organisasjonskartet ennå; jeg husker valget ditt."
    ),
    "objective_form.kr.heading": "*Nøkkelresultat {number}*",
    "objective_form.kr.heading_optional": "*Nøkkelresultat {number}* _(valgfritt)_",
    "objective_form.kr.description": "Hva vil du måle?",
    "objective_form.kr.description.placeholder": "f.eks. ukentlig aktive team",
    "objective_form.kr.start": "Startverdi",
    "objective_form.kr.target": "Målverdi",
    "objective_form.kr.target.hint": (
        "Lavere enn startverdien går fint: et nøkkelresultat kan gå ned (f.eks. kundefrafall)."
    ),
    "objective_form.kr.unit": "Enhet",
    "objective_form.kr.unit.placeholder": "f.eks. %, team, NOK",
    "objective_form.kr.owner": "Ansvarlig (valgfritt)",
    "objective_form.kr.owner.hint": "En annen som sjekker inn dette nøkkelresultatet. "
    "Godkjenningen blir hos din kjede.",
    "objective_form.add_kr": "Legg til et nøkkelresultat",
    "reject_form.title": "Avvis OKR",
    "reject_form.submit": "Avvis",
    "reject_form.lead": "Du avviser *{title}*. Forfatteren ser begrunnelsen din.",
    "reject_form.reason": "Hvorfor? Hva bør endres?",
    "reject_form.reason.placeholder": "Vær konkret: hva ville du ha godkjent?",
}
