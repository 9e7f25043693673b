"""The words of key results' kinds: numeric, milestone and keep within a range."""

from __future__ import annotations

EN: dict[str, str] = {
    "kind.numeric": "Number: from start to target",
    "kind.milestone": "Milestone: done or not done",
    "kind.range": "Keep within a range",
    "objective_form.kr.kind": "Kind",
    "objective_form.kr.kind.hint": (
        "A milestone needs no start or target. For a range, the start is the low bound "
        "and the target the high bound."
    ),
    "form.kr.kind.choose": "Choose a kind: number, milestone or range.",
    "form.range.order": "For a range, the target (high bound) must be above the start (low).",
    "milestone.done": "done",
    "milestone.not_done": "not done",
    "milestone.line": "done or not done",
    "range.line": "keep between {low} and {high}",
    "range.inside": "inside",
    "range.outside": "outside",
    "checkin.milestone.done": "Done",
    "checkin.milestone.not_done": "Not done",
    "checkin.milestone.never": "No check-in yet.",
    "checkin.error.milestone": "Choose done or not done.",
    "checkin.error.boolean": "Enter a number.",
    "reply.unclear.milestone": (
        "Key result {address} is a milestone: write done or 1, not done or 0 "
        "(not \u201c{number}\u201d)."
    ),
}

NB: dict[str, str] = {
    "kind.numeric": "Tall: fra start til mål",
    "kind.milestone": "Milepæl: ferdig eller ikke",
    "kind.range": "Hold innenfor et område",
    "objective_form.kr.kind": "Type",
    "objective_form.kr.kind.hint": (
        "En milepæl trenger verken start eller mål. For et område er starten nedre grense "
        "og målet øvre grense."
    ),
    "form.kr.kind.choose": "Velg en type: tall, milepæl eller område.",
    "form.range.order": "For et område må målet (øvre grense) være over starten (nedre).",
    "milestone.done": "ferdig",
    "milestone.not_done": "ikke ferdig",
    "milestone.line": "ferdig eller ikke",
    "range.line": "hold mellom {low} og {high}",
    "range.inside": "innenfor",
    "range.outside": "utenfor",
    "checkin.milestone.done": "Ferdig",
    "checkin.milestone.not_done": "Ikke ferdig",
    "checkin.milestone.never": "Ingen innsjekk ennå.",
    "checkin.error.milestone": "Velg ferdig eller ikke ferdig.",
    "checkin.error.boolean": "Skriv inn et tall.",
    "reply.unclear.milestone": (
        "Nøkkelresultat {address} er en milepæl: skriv ferdig eller 1, ikke ferdig eller 0 "
        "(ikke \u00ab{number}\u00bb)."
    ),
}
