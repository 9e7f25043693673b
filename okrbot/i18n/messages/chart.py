"""The digest's chart."""

from __future__ import annotations

EN: dict[str, str] = {
    "chart.title": "Overall progress, {quarter}",
    "chart.week": "Week",
    "chart.even_pace": "Even pace",
    "chart.progress": "Overall progress",
    "chart.comment": "Progress through the quarter, week by week.",
    "chart.alt": "A line chart of overall progress by week in {quarter}.",
}

NB: dict[str, str] = {
    "chart.title": "Samlet fremdrift, {quarter}",
    "chart.week": "Uke",
    "chart.even_pace": "Jevnt tempo",
    "chart.progress": "Samlet fremdrift",
    "chart.comment": "Fremdriften gjennom kvartalet, uke for uke.",
    "chart.alt": "Et linjediagram over samlet fremdrift per uke i {quarter}.",
}
