"""The package list in pyproject.toml is written by hand; keep it complete."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "okrbot").rglob("__init__.py")
    }
    assert found <= listed
    assert config["package-dir"]["okrbot._migrations"] == "migrations"
    assert (ROOT / "migrations" / "env.py").is_file()
