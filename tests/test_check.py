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
        "sectors/citywide.yaml:8: measures[0].title: 缺少必填的键",
        "sectors/citywide.yaml:9: measures[0].titel: 未知的键“titel”（是否应为“title”？）",
        "sectors/textile.yaml:17: measures[0].lead: 应为列表，实为文字“市经信局”",
        "sectors/textile.yaml:18: measures[0].answers.difficulties[0]: 未知的困难类型“order_jam”",
        "sectors/textile.yaml:22: measures[0].period.end: 不是日期：“7月底”（请写作 YYYY-MM-DD）",
    ]


def test_a_date_the_calendar_lacks_is_named_by_file_and_line_not_a_crash(runner, sectors_copy):
    text = (BROKEN / "valid" / "textile.yaml").read_text(encoding="utf-8").replace("end: 2022-12-31}", "end: 2022-02-30}")
    (sectors_copy / "textile.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout.splitlines() == [
        "sectors/textile.yaml:22: measures[0].period.end: 不是日期：“2022-02-30”（请写作 YYYY-MM-DD）"]


def test_empty_file_is_an_error(runner, sectors_copy):
    (sectors_copy / "textile.yaml").write_text("# nothing yet\n", encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    assert result.stdout == "sectors/textile.yaml:1: （整个文件）: 文件是空的\n"


def test_missing_folder(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["check", "--sectors", "nowhere"])
    assert result.exit_code == 1
    assert result.stdout == "nowhere:1: （整个文件）: 文件夹不存在\n"
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "a-file"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "错误：'--sectors' 的值无效：“a-file”是一个文件，这里需要目录。"


def test_duplicate_key(runner, sectors_copy):
    text = (BROKEN / "valid" / "textile.yaml").read_text(encoding="utf-8")
    (sectors_copy / "textile.yaml").write_text(text.replace("name: 纺织\n", "name: 纺织\nname: 纺织服装\n"),
                                               encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    assert result.stdout == "sectors/textile.yaml:4: name: 键“name”重复\n"


def test_file_not_utf8(runner, sectors_copy):
    text = (BROKEN / "valid" / "textile.yaml").read_text(encoding="utf-8")
    (sectors_copy / "textile.yaml").write_bytes(text.encode("gb18030"))
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    assert result.stdout == "sectors/textile.yaml:1: （整个文件）: 不是 UTF-8 编码的文本，请另存为 UTF-8\n"


def test_wrong_value_of_a_fixed_set(runner, sectors_copy):
    text = (BROKEN / "valid" / "textile.yaml").read_text(encoding="utf-8")
    (sectors_copy / "textile.yaml").write_text(text.replace("source: {part: A,", "source: {part: C,", 1),
                                               encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    assert result.stdout == "sectors/textile.yaml:6: source.part: 应为“A”、“B”之一，实为文字“C”\n"
    assert result.stderr == "共1处问题，请逐条修改后再运行 planner check。\n"
