"""planner check: the shipped tree passes; each broken copy fails with its exact message."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from planner.cli import main

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir() and p.name != "valid")


def test_shipped_tree_passes(runner):
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"\S*sectors：检查通过。8个产业，\d+项共性压力，\d+项措施（其中全市通用\d+项），15项目标，8类对接活动\n",
        result.output,
    )


def test_a_ninth_sector_is_a_yaml_edit(runner, sectors_copy):
    shutil.copy(BROKEN / "valid" / "textile.yaml", sectors_copy)
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sectors：检查通过。9个产业，")


@pytest.mark.parametrize("case", CASES)
def test_broken_copy_fails_with_exact_message(runner, sectors_copy, case):
    for path in (BROKEN / case).glob("*.yaml"):
        shutil.copy(path, sectors_copy / path.name)
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    assert result.stdout == (BROKEN / case / "expected.txt").read_text(encoding="utf-8")


def test_all_problems_are_reported_together(runner, sectors_copy):
    text = (BROKEN / "valid" / "textile.yaml").read_text(encoding="utf-8")
    text = text.replace("lead: [市经信局]", "lead: 市经信局").replace("end: 2022-12-31}", "end: 7月底}")
    text = text.replace("difficulties: [order_shortage]}", "difficulties: [order_jam]}")
    (sectors_copy / "textile.yaml").write_text(text, encoding="utf-8")
    (sectors_copy / "citywide.yaml").write_text(
        (sectors_copy / "citywide.yaml").read_text(encoding="utf-8").replace("    title:", "    titel:", 1),
        encoding="utf-8",
    )
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "sectors/citywide.yaml:8: measures[0].title: required key is missing",
        'sectors/citywide.yaml:9: measures[0].titel: unknown key "titel" (did you mean "title"?)',
        'sectors/textile.yaml:17: measures[0].lead: expected a list, got text "市经信局"',
        'sectors/textile.yaml:18: measures[0].answers.difficulties[0]: unknown difficulty "order_jam"',
        'sectors/textile.yaml:22: measures[0].period.end: not a date: "7月底"',
    ]


def test_empty_file_is_an_error(runner, sectors_copy):
    (sectors_copy / "textile.yaml").write_text("# nothing yet\n", encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    assert result.stdout == "sectors/textile.yaml:1: (top): empty file\n"


def test_missing_folder(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["check", "--sectors", "nowhere"])
    assert result.exit_code == 1
    assert result.stdout == "nowhere:1: (top): not a folder\n"
