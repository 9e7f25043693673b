"""What an operator finds next to the code: each file says what the code does, and stays
so when the code changes (a new setting, a new port, a renamed command)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from okrbot.bootstrap import HEALTH_PATH
from okrbot.config import ENV_NAMES
from okrbot.domain.orgchart import ResolvedRow, check_hierarchy, parse_org_csv

ROOT = Path(__file__).resolve().parents[2]


def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_env_example_names_every_setting_and_nothing_else() -> None:
    named = re.findall(r"^#?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    assert sorted(named) == sorted(ENV_NAMES.values())
    assert len(named) == len(set(named))


def test_every_setting_in_the_readme_table_is_in_env_example() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("| variable | needed for | meaning |", 1)[1].split("\n\n", 1)[0]
    in_table = set(re.findall(r"`((?:SLACK|OKRBOT)_[A-Z_]+|DATABASE_URL|PORT)`", table))
    example = (ROOT / ".env.example").read_text()
    assert in_table
    assert [name for name in sorted(in_table) if f"{name}=" not in example] == []


def test_the_image_serves_as_a_non_root_user_with_a_health_check() -> None:
    instructions = _dockerfile()
    kinds = [kind for kind, _ in instructions]
    [user] = [arg for kind, arg in instructions if kind == "USER"]
    assert user.split(":")[0] not in ("0", "root")
    # The user is set before the command runs, not reset after it.
    assert kinds.index("USER") < kinds.index("ENTRYPOINT")
    [healthcheck] = [arg for kind, arg in instructions if kind == "HEALTHCHECK"]
    assert HEALTH_PATH in healthcheck
    assert "urllib" in healthcheck  # the slim image has python, not curl
    assert ("EXPOSE", "3000") in instructions
    assert ("ENTRYPOINT", '["okrbot"]') in instructions
    assert ("CMD", '["serve"]') in instructions
    [volume] = [arg for kind, arg in instructions if kind == "VOLUME"]
    [database] = [arg for kind, arg in instructions if kind == "ENV" and "DATABASE_URL" in arg]
    assert '"/data"' in volume
    assert "DATABASE_URL=sqlite:////data/" in database


def test_the_build_context_holds_only_what_the_install_needs() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    # Everything is left out, then what the install needs is allowed back.
    assert "*" in ignored
    copied = " ".join(arg for kind, arg in _dockerfile() if kind == "COPY")
    for path in ("pyproject.toml", "okrbot", "migrations"):
        assert f"!{path}" in " ".join(ignored), path
        assert path in copied, path
    # The secrets' file never goes into an image.
    assert "!.env" not in ignored


def test_compose_runs_okrbot_on_its_postgres_once_that_is_healthy() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    okrbot = compose["services"]["okrbot"]
    url = okrbot["environment"]["DATABASE_URL"]
    [(scheme, host, database)] = re.findall(r"^(\w+)://[^@]+@([^/:]+)/(\w+)$", url)
    assert scheme == "postgresql"
    postgres = compose["services"][host]
    assert postgres["environment"]["POSTGRES_DB"] == database
    assert okrbot["depends_on"][host]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert okrbot["environment"]["OKRBOT_AUTO_MIGRATE"] == "true"
    [volume] = [v.split(":")[0] for v in postgres["volumes"]]
    assert volume in compose["volumes"]


def test_the_example_org_chart_is_one_a_first_import_accepts() -> None:
    rows = parse_org_csv((ROOT / "examples" / "org.csv").read_text())
    # E-mail addresses are looked up in Slack at import; here each stands for itself.
    resolved = [ResolvedRow(row.line, row.user, row.manager, row.team, row.role) for row in rows]
    assert check_hierarchy(resolved) == []
    assert [row.user for row in rows if not row.manager] == ["U012ABCDEF"]


def test_the_changelog_has_an_unreleased_section_on_top() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (.+)$", changelog, re.M)
    assert headings[0] == "[Unreleased]"
