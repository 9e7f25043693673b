"""manifest.yml against Slack's JSON Schema, and against what the app really uses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from okrbot.slack import ids, oauth

ROOT = Path(__file__).resolve().parents[2]
# Slack's published schema, kept in the repository (see its README.md for where it is from).
SCHEMA = ROOT / "tests" / "data" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"


def manifest() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_manifest_is_valid_against_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(manifest()))
    assert errors == []


def test_manifest_declares_the_command_and_interactivity() -> None:
    data = manifest()
    features = data["features"]
    assert isinstance(features, dict)
    [command] = features["slash_commands"]
    assert command["command"] == ids.COMMAND
    assert command["url"].endswith("/slack/events")
    settings = data["settings"]
    assert isinstance(settings, dict)
    assert settings["interactivity"]["is_enabled"] is True
    scopes = data["oauth_config"]
    assert isinstance(scopes, dict)
    bot_scopes = set(scopes["scopes"]["bot"])
    # chat.postMessage, e-mail addresses in users.list (org import), the slash command.
    assert {"commands", "chat:write", "users:read", "users:read.email"} <= bot_scopes


def test_oauth_installs_ask_for_the_manifests_scopes_and_hear_of_uninstalls() -> None:
    data = manifest()
    config = data["oauth_config"]
    assert isinstance(config, dict)
    assert list(oauth.SCOPES) == config["scopes"]["bot"]
    assert [url.endswith(oauth.REDIRECT_PATH) for url in config["redirect_urls"]] == [True]
    settings = data["settings"]
    assert isinstance(settings, dict)
    events = settings["event_subscriptions"]["bot_events"]
    assert {"app_home_opened", "app_uninstalled", "tokens_revoked"} <= set(events)
