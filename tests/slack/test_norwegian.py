"""Each person reads okrbot in their own Slack language, whoever else is involved."""

from __future__ import annotations

from okrbot.domain.okr import Status
from okrbot.domain.weekly import Job
from okrbot.sandbox.fake_slack import Message
from okrbot.sandbox.harness import AUTHOR, CHANNEL, MANAGER
from okrbot.slack import ids
from tests.slack.helpers import button_values, objectives, requests_to, submit_objective
from tests.slack.weekly_helpers import prompts_to, seed_company
from tests.support.sandbox import Sandbox


async def make_norwegian(box: Sandbox, user: str) -> None:
    async with box.uow(readonly=False) as uow:
        person = await uow.people.get(box.fake.team_id, user)
        assert person is not None
        person.locale = "nb-NO"
        await uow.commit()


def button_labels(message: Message) -> list[str]:
    return [
        element["text"]["text"]
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


async def test_a_norwegian_manager_and_an_english_author(org_box: Sandbox) -> None:
    box = org_box
    await make_norwegian(box, MANAGER.id)
    await submit_objective(box, AUTHOR.id)

    [request] = requests_to(box, MANAGER.id)
    assert request.text.startswith("<@U0AUT0001> ber om din godkjenning som leder: ")
    assert button_labels(request) == ["Godkjenn", "Avvis"]
    assert "*Nøkkelresultater*" in str(request.blocks)
    assert "Teammål fra <@U0AUT0001>" in str(request.blocks)
    assert "asks for your approval" not in request.text

    [submitted] = box.fake.dms_to(AUTHOR.id)
    assert submitted.text.startswith("Submitted \u201cMake onboarding delightful\u201d")

    await box.slack.click(MANAGER.id, request, ids.REJECT)
    await box.settle()
    [reject_view] = box.fake.open_views_for(MANAGER.id)
    assert reject_view["title"]["text"] == "Avvis OKR"
    assert reject_view["submit"]["text"] == "Avvis"
    await box.slack.submit_view(MANAGER.id, reject_view["id"], {"reason": "Sikt høyere."})
    await box.settle()

    assert (await objectives(box))[0].status == Status.REJECTED
    # The manager's own message says what happened, in Norwegian.
    assert button_values(request) == []
    assert ":x: Avvist av <@U0MGR0001>" in str(request.blocks)
    assert "ba om din godkjenning som *leder*" in str(request.blocks)
    # The author is told in English, the manager's reason as written.
    rejected = box.fake.dms_to(AUTHOR.id)[-1]
    assert rejected.text.startswith("<@U0MGR0001> (manager) rejected ")
    assert "*Why:*\n>Sikt høyere." in rejected.blocks[0]["text"]["text"]
    assert button_labels(rejected) == ["Edit and resubmit"]


async def test_the_channel_speaks_the_companys_language(org_box: Sandbox) -> None:
    box = org_box
    await make_norwegian(box, MANAGER.id)
    await submit_objective(box, MANAGER.id)
    # The CEO reads English; the manager's objective goes straight to them.
    [request] = requests_to(box, "U0CEO0001")
    assert "asks for your approval" in request.text
    await box.slack.click("U0CEO0001", request, ids.APPROVE)
    await box.settle()
    [post] = box.fake.channel_messages(CHANNEL)
    assert post.text.startswith("New team OKR from <@U0MGR0001>")
    # The author of the published objective hears it in their own language.
    published = box.fake.dms_to(MANAGER.id)[-1]
    assert "er godkjent og publisert" in published.text


async def test_help_in_the_readers_language(org_box: Sandbox) -> None:
    box = org_box
    await make_norwegian(box, MANAGER.id)
    norwegian = (await box.slack.slash(MANAGER.id, "help")).json()
    assert norwegian["text"] == "okrbot-hjelp"
    assert "`/okr new` \u2014 skriv et mål" in str(norwegian["blocks"])
    unknown = (await box.slack.slash(MANAGER.id, "hjelp")).json()
    assert unknown["text"].startswith("Jeg kjenner ikke `hjelp`.")
    english = (await box.slack.slash(AUTHOR.id, "help")).json()
    assert english["text"] == "okrbot help"
    assert "`/okr new` \u2014 write an objective" in str(english["blocks"])


async def test_check_in_prompts_in_each_persons_language(box: Sandbox) -> None:
    norwegian, english = await seed_company(box, 2, krs=2)
    # Slack says so too: the job refreshes locales from Slack's directory first.
    box.fake.users[norwegian].locale = "nb-NO"
    await make_norwegian(box, norwegian)
    await box.bot.jobs.run(Job.CHECKIN)
    await box.settle()

    [prompt] = [m for m in box.fake.dms_to(norwegian) if m.metadata is not None]
    assert prompt.text == "På tide med den ukentlige innsjekken: ett klikk og noen tall."
    assert button_labels(prompt) == ["Sjekk inn"]
    assert prompts_to(box, english)[0].text.startswith("Time for your weekly check-in")

    await box.slack.click(norwegian, prompt, ids.CHECKIN)
    await box.settle()
    [view] = box.fake.open_views_for(norwegian)
    assert (view["title"]["text"], view["submit"]["text"]) == ("Ukentlig innsjekk", "Sjekk inn")
    await box.slack.submit_view(norwegian, view["id"], {})
    await box.settle()
    assert prompt.text.startswith("Ukentlig innsjekk: ferdig, du sjekket inn ")
    assert button_labels(prompt) == []
