"""`okrbot demo`: the OKR cycle, end to end, with no Slack workspace.

It runs the real app (the same HTTP endpoint, listeners, services and SQLite database a
company runs) against an in-process stand-in for Slack, plays each person's clicks as signed
requests, and prints what each person sees.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from okrbot.domain.quarters import Quarter
from okrbot.domain.weekly import Job
from okrbot.sandbox.fake_slack import Message
from okrbot.sandbox.harness import (
    AUTHOR,
    CEO,
    CHANNEL,
    COLLEAGUE,
    MANAGER,
    ORG_CSV,
    PEOPLE,
    Sandbox,
)
from okrbot.sandbox.render import Cards, chosen, field_labels, render, text_of
from okrbot.slack import ids

NAMES = {p.id: p.name.split()[0] for p in PEOPLE} | {CHANNEL: "okrs"}


def _say(title: str, cards: Cards) -> None:
    cards.step = title.split(".", 1)[0]
    print(f"\n\u2501\u2501 {title}")


def _show_message(
    who: str,
    message: Message,
    cards: Cards,
    files: Mapping[str, dict[str, Any]] | None = None,
) -> None:
    where = (
        f"#{NAMES.get(message.channel, message.channel)}"
        if message.channel.startswith("C")
        else "DM"
    )
    print(f"  \u2709  {who} sees ({where}):")
    if message.blocks:
        print(render(message.blocks, NAMES, indent="     ", cards=cards))
    else:
        print(f"     {text_of(message.text, NAMES)}")
    for file_id in message.files:
        shared = (files or {}).get(file_id, {})
        size = len(shared.get("data") or b"") // 1024
        print(f"     \U0001f4c8 {shared.get('title')} ({shared.get('filename')}, {size} KB PNG)")


def _show_view(who: str, view: dict[str, Any]) -> None:
    print(f"  \U0001f5d4  {who} sees the form \u201c{view['title']['text']}\u201d:")
    print(render(view["blocks"], NAMES, indent="     "))


def _show_answers(who: str, view: dict[str, Any], values: Mapping[str, str]) -> None:
    """What a person typed and chose, by the fields' labels: the form as shown above is
    the prefilled one, and the answers are what okrbot then keeps."""
    labels = field_labels(view["blocks"], NAMES)
    inputs = {b["block_id"]: b for b in view["blocks"] if b.get("type") == "input"}
    print(f"  \u270e  {who} fills in:")
    for block_id, value in values.items():
        print(f"     {labels[block_id]}: {chosen(inputs[block_id], value)}")


def _show_errors(view: dict[str, Any], errors: Mapping[str, str]) -> None:
    labels = field_labels(view["blocks"], NAMES)
    for block_id, error in errors.items():
        print(f"  \u26a0 {labels.get(block_id, block_id)}: {error}")


def _latest_dm(box: Sandbox, user: str) -> Message:
    return box.fake.dms_to(user)[-1]


def _open_view(box: Sandbox, user: str) -> str:
    return box.fake.open_views_for(user)[-1]["id"]  # type: ignore[no-any-return]


# A table only a demo's database has: `--database` may start afresh over a file that
# holds one, and refuses any other (the company's own database, say, given by mistake).
DEMO_MARK = "okrbot_demo"
# What `okrbot demo` exits with when --database names a file it must not touch.
EXIT_REFUSED = 2


def _is_demo(path: Path) -> bool:
    try:
        # Read-only: looking must not turn a file that is no database into one.
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (DEMO_MARK,)
            ).fetchone()
    except sqlite3.Error:  # not SQLite at all, or not readable
        return False
    return found is not None


def _refusal(path: Path) -> str | None:
    """Why `--database path` cannot hold a demo; None when it can (and then anything an
    earlier demo left there is gone, so that the story starts from its beginning)."""
    if path.is_dir():
        return f"{path} is a folder; give the demo a file name, like okrbot-demo.db"
    if not path.parent.is_dir():
        return f"cannot create {path}: the folder {path.parent} does not exist"
    if not path.exists() or path.stat().st_size == 0:
        return None
    if not _is_demo(path):
        return (
            f"{path} is not a database an earlier demo made; the demo only writes to a new "
            "file or one of its own (give another file name)"
        )
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    print(f"(starting afresh: {path} held an earlier demo)")
    return None


def _mark(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE IF NOT EXISTS okrbot_demo (note TEXT)")
        db.execute("INSERT INTO okrbot_demo VALUES ('made by okrbot demo')")


async def run_demo(database: str | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    if database:
        problem = _refusal(Path(database))
        if problem:
            print(f"okrbot: {problem}", file=sys.stderr)
            return EXIT_REFUSED
    # Without --database, the database goes at the end but its directory stays, with the
    # digest's chart in it: the one thing of the demo to open afterwards.
    directory = Path(database).parent if database else Path(tempfile.mkdtemp(prefix="okrbot-demo-"))
    path = Path(database) if database else directory / "okrbot-demo.db"
    # Marked before anything else is written: a demo stopped half-way is still one.
    _mark(path)
    box = Sandbox(f"sqlite:///{path}")
    await box.migrate()
    async with box:
        await _story(box, directory)
    if database:
        print(f"\nEverything above is kept in {path}.")
    else:
        for leftover in directory.glob(f"{path.name}*"):
            leftover.unlink()
        print(
            "\nEverything above was in a temporary SQLite file, now deleted. "
            "To keep it: okrbot demo --database demo.db"
        )
    return 0


async def _story(box: Sandbox, directory: Path) -> None:
    slack = box.slack
    cards = Cards()
    # The current quarter, also in its last two weeks (when the form suggests the next one),
    # so that the weekly check-in below has something to ask about.
    quarter = str(Quarter.containing(box.bot.deps.today()))
    print("okrbot demo: the OKR cycle, played against a stand-in for Slack.")
    print("People: " + ", ".join(p.name for p in PEOPLE[:4]) + f"; channel #okrs ({CHANNEL}).")

    _say("1. The org chart is imported (okrbot org import org.csv)", cards)
    print("  " + ORG_CSV.strip().replace("\n", "\n  "))
    summary = await box.import_org()
    print(f"  \u2192 {summary.created} people added")

    _say("2. Cora, the CEO, writes a company objective: hers need no approval", cards)
    await slack.slash(CEO.id, "new")
    await box.settle()
    await slack.submit_view(
        CEO.id,
        _open_view(box, CEO.id),
        {
            "title": "Become the Nordics' favourite OKR tool",
            "level": "company",
            "quarter": quarter,
            "kr1_desc": "Paying companies",
            "kr1_start": "120",
            "kr1_target": "300",
            "kr2_desc": "Monthly churn",
            "kr2_start": "4",
            "kr2_target": "2",
            "kr2_unit": "%",
        },
    )
    await box.settle()
    _show_message("Everyone", box.fake.channel_messages(CHANNEL)[-1], cards)

    _say("3. Aisha types /okr new and a form opens", cards)
    await slack.slash(AUTHOR.id, "new")
    await box.settle()
    view_id = _open_view(box, AUTHOR.id)
    _show_view("Aisha", box.fake.views[view_id])
    align = next(b for b in box.fake.views[view_id]["blocks"] if b.get("block_id") == "aligned_to")
    company = align["element"]["option_groups"][0]["options"][0]
    print(f"     (the alignment list offers: {company['text']['text']})")

    _say("4. She submits with one key result: the form says what is wrong, nothing is saved", cards)
    response = await slack.submit_view(
        AUTHOR.id,
        view_id,
        {
            "title": "Make onboarding delightful",
            "kr1_desc": "Activation rate",
            "kr1_start": "40",
            "kr1_target": "40",
        },
    )
    _show_errors(box.fake.views[view_id], response.json().get("errors", {}))

    _say("5. She fixes it and submits: Mads, her manager, gets a DM", cards)
    await slack.submit_view(
        AUTHOR.id,
        view_id,
        {
            "title": "Make onboarding delightful",
            "description": "New teams should get value on day one.",
            "level": "team",
            "quarter": quarter,
            "aligned_to": company["value"],
            "kr1_desc": "Activation rate in the first week",
            "kr1_start": "40",
            "kr1_target": "60",
            "kr1_unit": "%",
            "kr2_desc": "Median time to first OKR",
            "kr2_start": "3",
            "kr2_target": "1",
            "kr2_unit": "days",
            "kr3_desc": "Onboarding NPS",
            "kr3_start": "20",
            "kr3_target": "45",
        },
    )
    await box.settle()
    _show_message("Mads", _latest_dm(box, MANAGER.id), cards)

    _say("6. Mads clicks Reject and gives a reason", cards)
    await slack.click(MANAGER.id, _latest_dm(box, MANAGER.id), ids.REJECT)
    await box.settle()
    reject_view = _open_view(box, MANAGER.id)
    await slack.submit_view(
        MANAGER.id, reject_view, {"reason": "Time to first OKR should be under a day: aim for 0.5."}
    )
    await box.settle()
    _show_message("Mads (his request, updated)", box.fake.dms_to(MANAGER.id)[0], cards)
    _show_message("Aisha", _latest_dm(box, AUTHOR.id), cards)

    _say(
        "7. Aisha clicks Edit and resubmit: the form opens prefilled; she changes the target", cards
    )
    await slack.click(AUTHOR.id, _latest_dm(box, AUTHOR.id), ids.RESUBMIT)
    await box.settle()
    edit_view = _open_view(box, AUTHOR.id)
    await slack.submit_view(AUTHOR.id, edit_view, {"kr2_target": "0.5"})
    await box.settle()
    _show_message("Mads (a new request)", _latest_dm(box, MANAGER.id), cards)

    _say("8. Colin clicks Approve on a request that is not his: only he is told no", cards)
    await slack.click(COLLEAGUE.id, _latest_dm(box, MANAGER.id), ids.APPROVE)
    await box.settle()
    # Not in Mads's DM, where Colin is not and Slack shows him nothing: in his own.
    note = box.fake.dms_to(COLLEAGUE.id)[-1]
    print(f"  \U0001f441  Colin sees (in his DM): {text_of(note.text, NAMES)}")

    _say("9. Mads approves (a double click changes nothing twice); Cora, the CEO, gets it", cards)
    request = _latest_dm(box, MANAGER.id)
    await slack.click(MANAGER.id, request, ids.APPROVE)
    await slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    _show_message("Mads (his request, updated)", box.fake.dms_to(MANAGER.id)[-1], cards)
    _show_message("Cora", _latest_dm(box, CEO.id), cards)

    _say("10. Cora approves: the OKR is published in #okrs and Aisha is told", cards)
    await slack.click(CEO.id, _latest_dm(box, CEO.id), ids.APPROVE)
    await box.settle()
    _show_message("Everyone", box.fake.channel_messages(CHANNEL)[-1], cards)
    _show_message("Aisha", _latest_dm(box, AUTHOR.id), cards)

    _say("11. Aisha types /okr list", cards)
    listing = (await slack.slash(AUTHOR.id, "list")).json()
    print(render(listing.get("blocks", []), NAMES, indent="  "))

    _say(
        "12. Friday 13:00 in her time zone, the weekly check-in prompt (okrbot run-job checkin)",
        cards,
    )
    await box.bot.jobs.run(Job.CHECKIN)
    await box.settle()
    prompt = _latest_dm(box, AUTHOR.id)
    _show_message("Aisha", prompt, cards)

    _say("13. One click and a few numbers: the form is prefilled; she updates two values", cards)
    await slack.click(AUTHOR.id, prompt, ids.CHECKIN)
    await box.settle()
    checkin_view = box.fake.views[_open_view(box, AUTHOR.id)]
    _show_view("Aisha", checkin_view)
    fields = [b["block_id"] for b in checkin_view["blocks"] if b.get("type") == "input"]
    krs = [f for f in fields if f.startswith("kr_")]
    confidence = next(f for f in fields if f.startswith("conf_"))
    answers = {krs[0]: "52", krs[1]: "1.5", confidence: "at_risk", fields[-1]: "Docs are late."}
    _show_answers("Aisha", checkin_view, answers)
    await slack.submit_view(AUTHOR.id, checkin_view["id"], answers)
    await box.settle()
    _show_message("Aisha (the prompt, updated)", prompt, cards)

    _say(
        "14. Next time no form at all: she replies to the prompt with her numbers, and undoes it",
        cards,
    )
    text = "55, 1, 25 on track \u2014 the first teams are onboarded"
    print(f"  \u270e  Aisha replies in the prompt's thread: {text}")
    _, reply = await slack.dm(AUTHOR.id, text, thread_ts=prompt.ts)
    await box.settle()
    answer = next(m for m in box.fake.bot_dms_to(AUTHOR.id) if m.thread_ts == reply.ts)
    _show_message("Aisha (okrbot's answer, in the thread)", answer, cards)
    print("  \u21a9  Aisha clicks Undo: her key results and confidence are as before")
    await slack.click(AUTHOR.id, answer, ids.REPLY_UNDO)
    await box.settle()
    _show_message("Aisha (the answer, updated)", answer, cards)

    _say("15. Monday 10:00, the digest in #okrs (okrbot run-job digest)", cards)
    await box.bot.jobs.run(Job.DIGEST)
    await box.settle()
    posted = box.fake.channel_messages(CHANNEL)
    parent = next(m for m in reversed(posted) if m.thread_ts is None)
    _show_message("Everyone", parent, cards)
    for reply in [m for m in posted if m.thread_ts == parent.ts]:
        _show_message("Everyone (in the thread)", reply, cards, box.fake.files)
        for file_id in reply.files:
            # The picture is the one thing a terminal cannot show: kept to be opened.
            shared = box.fake.files[file_id]
            saved = directory / shared["filename"]
            saved.write_bytes(shared["data"])
            print(f"     (the chart is saved as {saved}: open it to see it)")
    _say("16. Aisha opens okrbot's Home tab: her objectives, her team's and the company's", cards)
    await slack.open_home(AUTHOR.id)
    await box.settle()
    home = box.fake.home_view(AUTHOR.id)
    if home is not None:
        print(render(home["blocks"], NAMES, indent="  "))

    calls = len(box.fake.calls)
    print(f"\n{calls} Slack Web API calls, none refused: {not box.fake.violations}.")
