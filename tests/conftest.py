"""Shared fixtures: the bundled knowledge base, the sample enterprises, a CLI runner."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner import knowledge
from planner.resources import bundled

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AS_OF = dt.date(2022, 6, 15)


@pytest.fixture(scope="session")
def kb():
    return knowledge.load(bundled("sectors"))


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def sectors_copy(tmp_path, monkeypatch):
    """A copy of the bundled tree at ./sectors inside a temporary working directory."""
    target = tmp_path / "sectors"
    shutil.copytree(bundled("sectors"), target)
    monkeypatch.chdir(tmp_path)
    return target
