"""Both languages say the same things: every key in both, the same placeholders."""

from __future__ import annotations

import string

import pytest

from okrbot.i18n import LANGUAGES, language_of, translator


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_exists_in_both_languages() -> None:
    assert set(LANGUAGES["en"]) == set(LANGUAGES["nb"])


@pytest.mark.parametrize("key", sorted(LANGUAGES["en"]))
def test_placeholders_match(key: str) -> None:
    assert placeholders(LANGUAGES["en"][key]) == placeholders(LANGUAGES["nb"][key])
    assert LANGUAGES["nb"][key].strip(), "an empty translation"


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("nn-NO", "nb"),
        ("en-US", "en"),
        ("en-GB", "en"),
        ("de-DE", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_slack_locales_map_to_a_catalogue(locale: str | None, language: str) -> None:
    assert language_of(locale) == language


def test_the_default_language_applies_to_unknown_locales() -> None:
    assert language_of("de-DE", default="nb") == "nb"
    assert language_of(None, default="nb") == "nb"
    assert language_of("en-US", default="nb") == "en"


def test_a_translator_fills_in_parameters() -> None:
    assert translator("nb")("common.form_too_slow").startswith("Slack lot meg")
    assert translator("xx").language == "en"
