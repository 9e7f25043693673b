"""`/okr`'s words come from one table, and the help describes every one of them."""

from __future__ import annotations

import pytest

from okrbot.i18n import translator
from okrbot.slack.listeners.commands import SUBCOMMANDS


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_help_names_every_subcommand_in_the_tables_order(language: str) -> None:
    body = translator(language)("help.body")
    words = [word for word in SUBCOMMANDS if word]
    places = {word: body.find(f"`/okr {word}") for word in words}
    assert [word for word, at in places.items() if at < 0] == []
    assert sorted(words, key=places.__getitem__) == words


def test_only_help_and_admin_answer_before_the_workspace_is_set_up() -> None:
    early = {word for word, sub in SUBCOMMANDS.items() if sub.before_setup}
    assert early == {"", "help", "admin"}
