"""The meaning section of a diff: facts first, measures with their causes, reasons grouped
across measures, 措施无增减; readable headers; the diff command's refusals and confirmations."""

from __future__ import annotations

import pytest

from planner import knowledge
from planner.cli import main
from planner.diff import diff_plans, load_side
from planner.diff_output import as_terminal, meaning_lines
from planner.generate import generate
from planner.render import Templates

from conftest import AS_OF
from test_versions import AUTO, moved_deadline, write_records

MAGNET = "91330212NB0000032L"  # magnetic materials, production normal
OTHER = "91330211NB0000016G"  # petrochemical


def _edit(enterprise_id, **changes):
    def change(enterprises):
        record = next(e for e in enterprises if e["id"] == enterprise_id)
        for key, value in changes.items():
            record[key] = value(record[key]) if callable(value) else value
    return change


def versions(kb, tmp_path, change, kb_after=None):
    """v1 from the sample records, v2 after ``change`` (and with ``kb_after``, when given)."""
    templates = Templates.from_option(None)
    out = tmp_path / "out"
    generate(write_records(tmp_path / "v1.yaml"), out, kb, templates, AS_OF, ("md",))
    generate(write_records(tmp_path / "v2.yaml", change), out, kb_after or kb, templates, AS_OF, ("md",))
    return out


def sections(result) -> dict:
    return dict(meaning_lines(result))


def test_a_new_difficulty_reads_as_facts_first_then_one_grouped_reason_line(kb, tmp_path):
    out = versions(kb, tmp_path, _edit(AUTO, difficulties=lambda d: d + ["financing"]))
    result = diff_plans(load_side(f"{out / AUTO}@v1"), load_side(f"{out / AUTO}@v2"), kb)
    found = meaning_lines(result)
    assert found[0] == ("企业信息变化", ["主要困难：成本高利润薄、人才短缺 → 成本高利润薄、人才短缺、融资难"])
    reasons = sections(result)["适用理由变化"]
    assert len(reasons) == 1  # one line across the measures, not one per measure
    answering = [m["title"] for m in load_side(str(out / AUTO)).plan["measures"] if "financing" in m["answers"]]
    assert len(answering) >= 2
    assert reasons[0].startswith(f"{len(answering)}项措施新增理由“针对企业反映的融资难”（")
    assert all(title in reasons[0] for title in answering)
    assert "措施无增减" in sections(result)["措施变化"]
    assert result.summary().startswith("主要困难新增“融资难”；措施无增减")
    assert f"{len(answering)}项措施理由变化" in result.summary()
    chain = next(line for line in sections(result)["措施变化"] if "系列对接活动" in line)
    assert "产融对接（回应：融资难）" in chain and chain.endswith("原因：主要困难新增“融资难”")


def test_normal_to_stopped_without_new_measures_says_so_with_the_consequences(kb, tmp_path):
    out = versions(kb, tmp_path, _edit(MAGNET, production_status="stopped"))
    result = diff_plans(load_side(f"{out / MAGNET}@1"), load_side(f"{out / MAGNET}@2"), kb)
    assert result.measures_unchanged_in_number
    found = sections(result)
    assert list(found)[0] == "企业信息变化" and "生产状态：正常 → 停产" in found["企业信息变化"]
    lines = found["措施变化"]
    assert lines[0] == "措施无增减"
    # the stop makes the enterprise temporarily in difficulty (a derived fact), which settles a question
    assert lines[1:] == ["变更：阶段性缓缴社会保险费（待核实：生产经营暂时困难 → 无） —— 原因：生产经营暂时困难由“未知”变为“是”"]
    assert "生产经营暂时困难：未知 → 是" in found["企业信息变化"]
    assert found["走访核实事项"]  # the questions a stop raises
    assert result.summary().startswith("生产状态由“正常”变为“停产”；")
    assert "措施无增减" in result.summary()


def test_a_measure_moved_between_sections_is_one_moved_line(kb, tmp_path):
    # without 成本高利润薄 nothing of the enterprise's own calls for the utility measure: a 普惠 row
    out = versions(kb, tmp_path, _edit(AUTO, difficulties=["talent"]))
    result = diff_plans(load_side(f"{out / AUTO}@v1"), load_side(f"{out / AUTO}@v2"), kb)
    title = "降低用水用电用气用网成本、杜绝拉闸限电"
    mentioned = [line for line in sections(result)["措施变化"] if title in line]
    assert mentioned == [f"调整：{title} 由“重点帮扶措施”移至“普惠政策”（原因：主要困难移除“成本高利润薄”）"]
    assert not [m for m in result.measures if m.kind in ("added", "removed") and title == m.title]
    assert "项措施调整栏目" in result.summary()
    old_md = load_side(f"{out / AUTO}@v1").markdown
    new_md = load_side(f"{out / AUTO}@v2").markdown
    assert f"）{title}" in old_md and f"| {title}" in new_md  # the plans really moved it


def test_a_deadline_moved_in_a_profile_names_the_measure_and_the_dates(kb, tmp_path, sectors_copy):
    moved_deadline(sectors_copy)
    out = versions(kb, tmp_path, None, knowledge.load(sectors_copy))
    result = diff_plans(load_side(f"{out / AUTO}@v1"), load_side(f"{out / AUTO}@v2"), kb)
    lines = sections(result)["措施变化"]
    assert lines[0] == "措施无增减"
    assert lines[1] == ("变更：“芯机”对接保障芯片供应（实施期限：2022年6月1日至12月31日 → 2022年6月1日至9月30日）"
                        " —— 原因：措施库已调整")
    assert "数据指纹：措施库已更新" in result.header_lines()


def test_header_lines_name_the_enterprise_versions_local_times_and_triggers(kb, tmp_path, monkeypatch):
    out = versions(kb, tmp_path, _edit(AUTO, production_status="stopped"))
    old, new = load_side(f"{out / AUTO}@v1"), load_side(f"{out / AUTO}@v2")
    generated = new.meta["generated"]
    monkeypatch.setenv("PLANNER_TZ", "UTC")
    utc = diff_plans(old, new, kb).header_lines()
    monkeypatch.setenv("PLANNER_TZ", "Asia/Shanghai")
    lines = diff_plans(old, new, kb).header_lines()
    assert lines[0] == "企业：宁波珂屹汽车部件有限公司（统一社会信用代码：91330206NB0000059N）"
    assert lines[1].startswith("原方案：第1版 · ") and lines[1].endswith(" · 首次生成")
    assert lines[2].startswith("新方案：第2版 · ") and lines[2].endswith(" · 企业记录变化")
    assert "基准日：2022年6月15日" in lines and "数据指纹：记录已更新" in lines
    import datetime as dt
    moment = dt.datetime.fromisoformat(generated).astimezone(dt.timezone.utc)
    assert f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}" in utc[2]
    shanghai = moment + dt.timedelta(hours=8)
    assert f"{shanghai.year}年{shanghai.month}月{shanghai.day}日 {shanghai:%H:%M}" in lines[2]
    assert not any(new.meta["inputs"]["record"] in line for line in lines)  # no hashes as text
    text = as_terminal(diff_plans(old, new, kb), color=False)
    assert all(line in text for line in lines)
    bare = diff_plans(load_side(str(out / AUTO / "history" / "v1" / "plan.json")), new, kb).header_lines()
    assert bare[1].startswith("原方案：第1版")  # version.json beside it is still read
    plain = tmp_path / "plain.json"
    plain.write_text((out / AUTO / "plan.json").read_text(encoding="utf-8"), encoding="utf-8")
    assert diff_plans(load_side(str(plain)), new, kb).header_lines()[1] == f"原方案：{plain}"


def test_different_enterprises_are_refused_unless_allowed(kb, tmp_path, runner):
    out = versions(kb, tmp_path, _edit(AUTO, production_status="stopped"))
    refused = runner.invoke(main, ["diff", str(out / AUTO), str(out / OTHER)])
    assert refused.exit_code == 2
    assert "不是同一家企业" in refused.stderr and "--allow-different" in refused.stderr
    assert AUTO in refused.stderr and OTHER in refused.stderr and refused.stdout == ""
    allowed = runner.invoke(main, ["diff", str(out / AUTO), str(out / OTHER), "--allow-different"])
    assert allowed.exit_code == 1
    assert "原方案企业：宁波珂屹汽车部件有限公司" in allowed.stdout


def test_at_n_reads_as_version_n(kb, tmp_path, runner):
    out = versions(kb, tmp_path, _edit(AUTO, production_status="stopped"))
    assert load_side(f"{out / AUTO}@1").plan == load_side(f"{out / AUTO}@v1").plan
    assert load_side(f"{out / AUTO}@1").number == 1
    assert runner.invoke(main, ["diff", f"{out / AUTO}@1", f"{out / AUTO}@v1"]).exit_code == 0
    assert runner.invoke(main, ["diff", f"{out / AUTO}@1", f"{out / AUTO}@2"]).exit_code == 1
    missing = runner.invoke(main, ["diff", f"{out / AUTO}@1", f"{out / AUTO}@9"])
    assert missing.exit_code == 2 and "没有第9版" in missing.stderr


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_md_and_html_to_a_file_confirm_where_it_went(kb, tmp_path, runner, fmt):
    out = versions(kb, tmp_path, _edit(AUTO, production_status="stopped"))
    target = tmp_path / f"diff.{fmt}"
    result = runner.invoke(main, ["diff", f"{out / AUTO}@1", f"{out / AUTO}@2", "--format", fmt,
                                  "--output", str(target)])
    assert result.exit_code == 1
    assert result.stdout == f"生产状态由“正常”变为“停产”；措施新增1项；待核实问题新增2个；比较结果已写入 {target}\n"
    assert "多元化拓展供应链渠道" in target.read_text(encoding="utf-8")


def test_the_file_name_gives_the_format_and_a_mismatch_is_refused(kb, tmp_path, runner):
    out = versions(kb, tmp_path, _edit(AUTO, production_status="stopped"))
    sides = [f"{out / AUTO}@1", f"{out / AUTO}@2"]
    html = tmp_path / "修订稿.html"
    assert runner.invoke(main, ["diff", *sides, "--output", str(html)]).exit_code == 1
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    wrong = runner.invoke(main, ["diff", *sides, "--format", "html", "--output", str(tmp_path / "x.pdf")])
    assert wrong.exit_code == 2 and "与文件名 x.pdf 的扩展名不符" in wrong.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_a_mistyped_side_says_what_to_write(kb, tmp_path, runner):
    out = versions(kb, tmp_path, _edit(AUTO, production_status="stopped"))
    bad = runner.invoke(main, ["diff", f"{out / AUTO}@x", f"{out / AUTO}"])
    assert bad.exit_code == 2 and "@v<N>" in bad.stderr
    typo = AUTO[:-3] + "O" + AUTO[-2:]
    missing = runner.invoke(main, ["diff", f"{out / typo}@1", f"{out / AUTO}"])
    assert missing.exit_code == 2 and "没有这个企业文件夹" in missing.stderr and f"是否是：{AUTO}" in missing.stderr
