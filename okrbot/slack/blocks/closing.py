"""The quarter's close: the scoring ask, the scoring form, the quarter report."""

from __future__ import annotations

from typing import Any

from okrbot.domain.closing import suggested_score
from okrbot.i18n import Translator
from okrbot.services.closing import QuarterReport, ScoringAsk, ScoringPage, score_field
from okrbot.slack import ids
from okrbot.slack.blocks.common import (
    FALLBACK_MAX,
    Block,
    PageState,
    button,
    clip,
    context,
    escape,
    header,
    notice_modal,
    plain,
    section,
    user,
)
from okrbot.slack.blocks.digest import pack_team_lines

TITLE_CLIP = 80


def _score(value: float) -> str:
    return f"{value:.1f}" if round(value, 1) == value else f"{value:.2f}"


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def scoring_ask(ask: ScoringAsk, words: Translator) -> tuple[str, list[Block]]:
    text = words("score.ask.text", quarter=ask.quarter)
    blocks: list[Block] = [
        header(words("score.ask.header", quarter=ask.quarter)),
        section(words("score.ask.body", count=ask.objectives, next=ask.next_quarter)),
        {
            "type": "actions",
            "block_id": "scoring_actions",
            "elements": [
                button(words("score.button"), ids.SCORE, ask.quarter, style="primary"),
                button(words("score.next_button", next=ask.next_quarter), ids.NEXT_QUARTER, "new"),
            ],
        },
    ]
    return text, blocks


def scoring_modal(page: ScoringPage, words: Translator) -> dict[str, Any]:
    blocks: list[Block] = [context(words("score.modal.intro"))]
    if page.remaining:
        blocks.append(
            context(words("score.modal.more", shown=len(page.objectives), total=page.total))
        )
    for objective in page.objectives:
        blocks.append(
            section(
                words(
                    "score.modal.objective",
                    title=escape(clip(objective.title, 150)),
                    progress=_percent(objective.progress),
                )
            )
        )
        for kr in objective.key_results:
            blocks.append(
                {
                    "type": "input",
                    "block_id": score_field(kr.id),
                    "label": plain(
                        words("score.modal.kr", position=kr.position, description=kr.description),
                        2000,
                    ),
                    "hint": plain(
                        words("score.modal.hint", suggested=_score(suggested_score(kr.progress))),
                        2000,
                    ),
                    "element": {
                        "type": "number_input",
                        "action_id": ids.VALUE,
                        "is_decimal_allowed": True,
                        "min_value": "0",
                        "max_value": "1",
                        "initial_value": _score(kr.suggested),
                    },
                }
            )
    state = PageState(tuple(o.id for o in page.objectives), page.remaining)
    submit = words("score.modal.next") if page.remaining else words("score.modal.submit")
    return {
        "type": "modal",
        "callback_id": ids.SCORE_VIEW,
        "title": plain(words("score.modal.title"), 24),
        "submit": plain(submit, 24),
        "close": plain(words("common.cancel"), 24),
        "private_metadata": state.encode(),
        "blocks": blocks,
    }


def nothing_to_score(words: Translator) -> dict[str, Any]:
    return notice_modal(
        words("score.modal.title"), words("score.modal.nothing"), words("common.close")
    )


def report_messages(report: QuarterReport, words: Translator) -> list[tuple[str, list[Block]]]:
    average = _score(report.average) if report.average is not None else words("report.no_scores")
    parent = (
        clip(
            words(
                "report.text",
                quarter=report.quarter,
                scored=report.scored,
                count=report.objectives,
                average=average,
            ),
            FALLBACK_MAX,
        ),
        [
            header(words("report.header", quarter=report.quarter)),
            section(
                words(
                    "report.summary",
                    count=report.objectives,
                    scored=report.scored,
                    average=average,
                )
            ),
        ],
    )
    teams = []
    for team, lines in report.teams:
        rendered = []
        for line in lines:
            owner = escape(line.owner_name) if line.owner_name else user(line.owner_id)
            title = escape(clip(line.title, TITLE_CLIP))
            if line.score is not None:
                rendered.append(
                    words("report.line_scored", title=title, owner=owner, score=_score(line.score))
                )
            else:
                rendered.append(
                    words(
                        "report.line_unscored",
                        title=title,
                        owner=owner,
                        progress=_percent(line.progress),
                    )
                )
        teams.append((team or words("report.no_team"), rendered))
    replies = pack_team_lines(teams, lambda title: words("report.continued", team=title))
    total = 1 + len(replies)
    messages = [parent]
    for number, (blocks, _names) in enumerate(replies, start=2):
        fallback = words("report.part", quarter=report.quarter, number=number, total=total)
        messages.append((fallback, blocks))
    return messages
