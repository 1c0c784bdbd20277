"""planner history: a header naming the enterprise, each version in local time with what changed."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from planner.cli import main
from planner.generate import generate
from planner.render import Templates

from conftest import AS_OF
from test_versions import AUTO, two_versions, write_records  # noqa: F401  (two_versions: a fixture)


def shanghai(iso: str, zone: str = "Asia/Shanghai") -> str:
    """The recorded UTC time as a reader in ``zone`` writes it, computed here independently."""
    moment = dt.datetime.fromisoformat(iso).astimezone(ZoneInfo(zone))
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def generated(folder, number=None) -> str:
    path = folder / "version.json" if number is None else folder / "history" / f"v{number}" / "version.json"
    return json.loads(path.read_text(encoding="utf-8"))["generated"]


def test_history_lists_versions_with_trigger_and_summary(two_versions, runner, monkeypatch):
    monkeypatch.setenv("PLANNER_TZ", "Asia/Shanghai")
    folder = two_versions / AUTO
    result = runner.invoke(main, ["history", str(folder)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == [f"宁波珂屹汽车部件有限公司（统一社会信用代码：{AUTO}）", "共2个可读版本，当前为第2版。"]
    v1, v2 = generated(folder, 1), generated(folder)
    assert v1.endswith("+00:00")  # recorded in UTC, shown in Beijing time
    assert f"第1版　生成于 {shanghai(v1)}　基准日 2022年6月15日" in lines
    assert f"第2版　生成于 {shanghai(v2)}　基准日 2022年6月15日" in lines
    second = lines[lines.index(f"第2版　生成于 {shanghai(v2)}　基准日 2022年6月15日"):]
    assert second[1:6] == [
        "  触发原因：企业记录变化",
        "  审核：待审核",
        "  变化：生产状态由“正常”变为“停产”；措施新增1项；待核实问题新增2个",
        "  企业信息：",
        "    生产状态：正常→停产",
    ]
    assert "    新增：多元化拓展供应链渠道（状态：适用） —— 原因：生产状态由“正常”变为“停产”" in second
    first = lines[2:lines.index(second[0])]
    assert first[2:] == ["  触发原因：首次生成", "  审核：待审核", "  变化：首个版本", ""]


def test_history_times_follow_planner_tz(two_versions, runner, monkeypatch):
    folder = two_versions / AUTO
    monkeypatch.setenv("PLANNER_TZ", "America/New_York")
    result = runner.invoke(main, ["history", str(folder)])
    v1 = generated(folder, 1)
    assert f"第1版　生成于 {shanghai(v1, 'America/New_York')}　基准日 2022年6月15日" in result.output
    assert shanghai(v1, "America/New_York") != shanghai(v1)


def test_history_shows_a_list_fact_old_and_new(two_versions, kb, runner, tmp_path):
    def financing(enterprises):
        record = next(e for e in enterprises if e["id"] == AUTO)
        record["production_status"] = "stopped"
        record["difficulties"] = ["costs", "talent", "financing"]

    generate(write_records(tmp_path / "v3.yaml", financing), two_versions, kb, Templates.from_option(None), AS_OF,
             ("md",))
    result = runner.invoke(main, ["history", str(two_versions / AUTO)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    third = lines[next(i for i, line in enumerate(lines) if line.startswith("第3版")):]
    assert "    主要困难：成本高利润薄、人才短缺→成本高利润薄、人才短缺、融资难" in third, "\n".join(third)
    assert "  触发原因：企业记录变化" in third


def test_history_compares_across_a_damaged_version(two_versions, kb, runner, tmp_path):
    generate(write_records(tmp_path / "v3.yaml"), two_versions, kb, Templates.from_option(None), AS_OF, ("md",))
    folder = two_versions / AUTO
    (folder / "history" / "v2" / "version.json").write_text('{"version": "two"}', encoding="utf-8")
    result = runner.invoke(main, ["history", str(folder)])
    assert result.exit_code == 0
    assert "history/v2/version.json：版本信息已损坏" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "共2个可读版本，当前为第3版；第2版已损坏，见上方提示。"
    assert not any(line.startswith("第2版") for line in lines)
    assert "  变化（与第1版相比）：无实质变化（文字或模板调整）" in lines  # v3 has v1's record again
