"""Every command has help text and appears in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_has_help_and_is_documented(runner, name):
    result = runner.invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert main.commands[name].help and len(main.commands[name].help) > 20
    assert f"planner {name}" in README


def test_readme_shows_the_two_setup_commands():
    assert "make demo" in README and "make test" in README
    assert "快速上手" in README  # the Chinese quick start for officers
