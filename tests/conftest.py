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


from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode  # noqa: E402


class MarkdownSnapshot(SingleFileSnapshotExtension):
    """Snapshots stored as readable .md files, one per test, so a reviewer reads the diff."""

    _write_mode = WriteMode.TEXT
    file_extension = "md"


@pytest.fixture
def snapshot_md(snapshot):
    return snapshot.use_extension(MarkdownSnapshot)


@pytest.fixture(scope="session")
def sample_records(kb):
    from planner.records import read_records

    result = read_records(EXAMPLES / "enterprises.yaml", kb)
    assert not result.rejected and not result.warnings
    return result.records


def sample_ids():
    import yaml

    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    return [e["id"] for e in data["enterprises"]]
