"""User-facing words in English and Norwegian Bokmål.

Every string a person sees in Slack comes from a catalogue here, by key, so both languages
always say the same things. Catalogues live in `okrbot.i18n.messages`, one module per area
of the app, each with an `EN` and an `NB` dict. Builders and listeners take a `Translator`:
a function of a key and its parameters.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Protocol

from okrbot.i18n import messages

DEFAULT_LANGUAGE = "en"


def _load() -> dict[str, dict[str, str]]:
    languages: dict[str, dict[str, str]] = {"en": {}, "nb": {}}
    for info in sorted(pkgutil.iter_modules(messages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{messages.__name__}.{info.name}")
        for language, attribute in (("en", "EN"), ("nb", "NB")):
            table: Mapping[str, str] = getattr(module, attribute)
            clash = languages[language].keys() & table.keys()
            if clash:
                raise RuntimeError(f"message keys defined twice: {sorted(clash)}")
            languages[language].update(table)
    return languages


LANGUAGES: Mapping[str, Mapping[str, str]] = _load()


class Translator(Protocol):
    @property
    def language(self) -> str: ...

    def __call__(self, key: str, /, **params: object) -> str: ...


class Catalogue:
    """Words in one language, English for anything it lacks (a test keeps that empty)."""

    def __init__(self, language: str) -> None:
        self._language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._messages = LANGUAGES[self._language]

    @property
    def language(self) -> str:
        return self._language

    def __call__(self, key: str, /, **params: object) -> str:
        template = self._messages.get(key) or LANGUAGES[DEFAULT_LANGUAGE][key]
        return template.format(**params) if params else template


def language_of(slack_locale: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Slack's locale ("nb-NO", "en-US", ...) to a catalogue's language."""
    fallback = default if default in LANGUAGES else DEFAULT_LANGUAGE
    if not slack_locale:
        return fallback
    prefix = slack_locale.replace("_", "-").split("-")[0].lower()
    # Nynorsk and plain "no" readers read Bokmål far better than English on the whole.
    if prefix in ("nb", "no", "nn"):
        return "nb"
    return prefix if prefix in LANGUAGES else fallback


def translator(language: str) -> Catalogue:
    return Catalogue(language)


ENGLISH = Catalogue("en")
