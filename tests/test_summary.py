"""planner summary: a report that cannot hide a gap (rejected records, a list against its folder,
estimates with unknown inputs, damaged plans), made in one pass over a stream of plans."""

from __future__ import annotations

import csv
import gc
import hashlib
import inspect
import re
import weakref

import orjson
import pytest
import yaml

from planner import uscc
from planner.cli import main
from planner.generate import generate
from planner.records import Record, read_records, write_table
from planner.render import Templates
from planner.summary import plans_from_records, plans_in_folder, rate, summarize

from conftest import AS_OF, EXAMPLES

BAD_CODE = "91330206MA2AB1234X"  # the 17th character should be X: an invalid credit code
NEW_CODE = uscc.make("91330206", "NW000001")
DEFERRAL = ("citywide_social_insurance_deferral",)


def sample_data() -> dict:
    return yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))


def write_yaml(path, data) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def stopped_key(**facts) -> dict:
    return {"id": NEW_CODE, "name": "宁波新列入停产重点企业有限公司", "industry_code": "C3670", "sector": "automotive",
            "district": "beilun", "employees": 400, "revenue": 20000, "production_status": "stopped",
            "key_enterprise": True, **facts}


def test_rate_is_never_rounded_up_to_100_percent():
    assert [rate(249, 250), rate(9999, 10000), rate(999, 1000), rate(3, 4), rate(2, 3), rate(4, 4), rate(0, 5),
            rate(0, 0)] == ["99.6%", "99.9%", "99.9%", "75%", "66.6%", "100%", "0%", "—"]


@pytest.fixture
def list_with_a_rejected_key_enterprise(kb, tmp_path):
    """The 20 samples as an officer's CSV, plus a stopped key enterprise whose credit code is wrong."""
    path = tmp_path / "名单.csv"
    write_table([Record(r, "") for r in sample_data()["enterprises"]], path, kb)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    bad = dict.fromkeys(header, "")
    bad.update({"统一社会信用代码": BAD_CODE, "企业名称": "宁波坏码停产重点企业有限公司", "行业代码": "C3670",
                "所在区县": "北仑区", "从业人员": "400", "营业收入（万元）": "20000", "生产状态": "停产", "重点企业": "是"})
    with open(path, "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow([bad[h] for h in header])
    return path


def test_a_rejected_stopped_key_enterprise_is_named_and_not_covered(runner, list_with_a_rejected_key_enterprise,
                                                                    tmp_path, snapshot_md):
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(list_with_a_rejected_key_enterprise), "--out", str(target),
                                  "--as-of", AS_OF.isoformat(), "--date", "2022-06-20"])
    assert result.exit_code == 1  # a rejected record: the report is written, and the run says so
    text = target.read_text(encoding="utf-8")
    assert ("停产减产重点企业5家（含未能识别的记录1条），方案已纳入帮扶措施4家，覆盖率80%，未覆盖1家。" in text)
    assert f"- 未覆盖：宁波坏码停产重点企业有限公司（{BAD_CODE}）——记录未能识别，未生成方案" in text
    # named by its row in the list, not by the list's file name (the report goes to officials)
    assert "| 名单第22行 | 宁波坏码停产重点企业有限公司 | 91330206MA2AB1234X | 统一社会信用代码第17位" in text
    assert "名单.csv" not in text
    assert "覆盖率100%" not in text
    assert result.output.splitlines()[1:] == [  # the list's problem first, the final line and the problem list last
        "提示：停产减产重点企业5家，未覆盖1家（覆盖率80%），已在汇总中列名",
        f"已汇总20家企业（基准日 {AS_OF.isoformat()}），写入 {target}；1条记录无法识别已跳过；"
        f"问题清单：{tmp_path / '问题清单.xlsx'}"]
    assert (tmp_path / "问题清单.xlsx").is_file()
    assert text == snapshot_md


def test_a_rejected_record_that_is_not_a_stopped_key_enterprise_is_named_only(kb, tmp_path):
    data = sample_data()
    data["enterprises"].append({**stopped_key(id=BAD_CODE, name="宁波坏码正常企业有限公司"), "production_status": "normal"})
    write_yaml(tmp_path / "list.yaml", data)
    read = read_records(tmp_path / "list.yaml", kb)
    assert [r.code for r in read.rejected_records] == [BAD_CODE]
    context = summarize(plans_from_records(read, kb, AS_OF), kb, AS_OF)
    assert [r["name"] for r in context["rejected"]] == ["宁波坏码正常企业有限公司"]
    assert (context["coverage"]["key"], context["coverage"]["covered"], context["coverage"]["rate"]) == (4, 4, "100%")


@pytest.fixture
def folder_and_new_list(kb, tmp_path):
    """Plans generated from the samples; then a new list: one enterprise removed, one stopped key
    enterprise added (no plan yet), one record changed (its plan is out of date)."""
    data = sample_data()
    write_yaml(tmp_path / "old.yaml", data)
    generate(tmp_path / "old.yaml", tmp_path / "output", kb, Templates.from_option(None), AS_OF, ("md",))
    removed = data["enterprises"].pop(0)
    changed = data["enterprises"][2]
    changed["employees"] += 1
    data["enterprises"].append(stopped_key())
    write_yaml(tmp_path / "名单.yaml", data)
    return tmp_path / "名单.yaml", tmp_path / "output", removed, changed


def test_a_list_against_its_folder_names_who_is_missing_and_who_left(runner, folder_and_new_list, tmp_path):
    listing, output, removed, changed = folder_and_new_list
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(listing), "--plans", str(output), "--out", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert ("本汇总以企业名单为准核对已生成的帮扶方案：名单中可识别的企业20家，其中有现行方案18家，缺少现行方案2家；"
            "另有1家企业有方案但已不在名单中，未计入。") in text
    assert f"| {changed['name']} | {changed['id']} | 方案未按最新名单更新（名单中的企业信息已变化） |" in text
    assert f"| 宁波新列入停产重点企业有限公司 | {NEW_CODE} | 没有该企业的帮扶方案 |" in text
    assert f"### 已不在名单中的企业（未计入）\n\n- {removed['name']}（{removed['id']}）\n" in text
    # the new stopped key enterprise has no plan, the changed one (a stopped key enterprise) an
    # out-of-date one: neither counts as covered, both are named
    assert changed["key_enterprise"] and changed["production_status"] == "stopped"
    assert "停产减产重点企业5家，方案已纳入帮扶措施3家，覆盖率60%，未覆盖2家。" in text
    assert (f"- 未覆盖：{changed['name']}（{changed['id']}）——方案未按最新名单更新（名单中的企业信息已变化）\n"
            f"- 未覆盖：宁波新列入停产重点企业有限公司（{NEW_CODE}）——没有该企业的帮扶方案\n") in text
    assert re.search(r"\n另有是否适用缓缴待核实的企业\d+家、缺少现行方案的企业2家，未计入测算。\n", text)
    assert "\n数据截至2022年6月15日；企业名单20家。\n" in text  # the plans' own date
    assert result.output.splitlines() == [
        "提示：名单中2家企业缺少现行方案，已在汇总中列名",
        "提示：文件夹中1家企业已不在名单中，未计入汇总，已列名",
        "提示：停产减产重点企业5家，未覆盖2家（覆盖率60%），已在汇总中列名",
        f"已汇总20家企业（基准日 2022-06-15），写入 {target}"]


def test_a_plan_made_as_of_another_date_is_not_current(runner, folder_and_new_list, tmp_path):
    listing, output, _, _ = folder_and_new_list
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(listing), "--plans", str(output), "--out", str(target),
                                  "--as-of", "2022-07-01"])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "其中有现行方案0家，缺少现行方案20家" in text
    assert "方案未按本次基准日更新（方案基准日 2022年6月15日）" in text
    assert "覆盖率0%" in text


def test_a_list_against_an_up_to_date_folder_matches_the_list_alone(runner, kb, tmp_path):
    generate(EXAMPLES / "enterprises.yaml", tmp_path / "output", kb, Templates.from_option(None), AS_OF, ("md",))
    both = summarize_cli(runner, tmp_path, [str(EXAMPLES / "enterprises.yaml"), "--plans", str(tmp_path / "output")])
    alone = summarize_cli(runner, tmp_path, [str(EXAMPLES / "enterprises.yaml"), "--as-of", AS_OF.isoformat()])
    assert "其中有现行方案20家，均有现行方案。" in both
    assert without_check(both) == without_check(alone)


def without_check(text: str) -> str:
    """The summary from its first heading on, without the section that says what was checked."""
    text = text[text.index("\n## "):]
    start = text.index("、名单与方案核对\n")
    return text[:start] + text[text.index("\n## ", start):]


def summarize_cli(runner, tmp_path, args) -> str:
    target = tmp_path / "s.md"
    result = runner.invoke(main, ["summary", *args, "--out", str(target)])
    assert result.exit_code == 0, result.output
    return target.read_text(encoding="utf-8")


def test_unknown_payroll_is_said_never_a_bare_zero(runner, tmp_path):
    data = sample_data()
    for record in data["enterprises"]:
        record.pop("payroll_monthly", None)
    write_yaml(tmp_path / "list.yaml", data)
    text = summarize_cli(runner, tmp_path, [str(tmp_path / "list.yaml"), "--as-of", AS_OF.isoformat()])
    relief = text.split("## 七、")[1]
    assert "适用缓缴措施的企业6家，其中月工资总额未知6家，未计入测算。适用的企业均未填报月工资总额，无法估算可缓缴金额。" in relief
    assert "0.0万元" not in relief and "0.0000亿元" not in relief and "可缓缴约" not in relief


def test_partly_unknown_payroll_is_counted_and_said(runner, kb, tmp_path):
    data = sample_data()
    read = read_records(EXAMPLES / "enterprises.yaml", kb)
    plans = list(plans_from_records(read, kb, AS_OF))
    eligible = [p["enterprise"]["id"] for p in plans  # the self-insured pension case defers no payroll share
                if any(m["id"] in DEFERRAL and m["status"] == "applies"
                       and m["branch"]["id"] in kb.relief["social_insurance_deferral"]["branches"]
                       for m in p["measures"])]
    assert len(eligible) == 6
    for record in data["enterprises"]:
        if record["id"] == eligible[0]:
            del record["payroll_monthly"]
    write_yaml(tmp_path / "list.yaml", data)
    text = summarize_cli(runner, tmp_path, [str(tmp_path / "list.yaml"), "--as-of", AS_OF.isoformat()])
    assert "适用缓缴措施的企业6家，其中月工资总额未知1家，未计入测算。按单位费率合计、缓缴7个月估算，填报月工资总额的5家可缓缴约" in text


def test_no_eligible_enterprise_is_said_instead_of_zero(kb):
    plans = [p for p in plans_from_records(read_records(EXAMPLES / "enterprises.yaml", kb), kb, AS_OF)
             if not any(m["id"] in DEFERRAL for m in p["measures"])]
    relief = summarize(plans, kb, AS_OF)["relief"]
    assert (relief["eligible"], relief["left_out"]) == (0, [])
    context = summarize(plans, kb, AS_OF, {"mode": "list", "list": "名单.yaml"})
    text = Templates.from_option(None).markdown("summary", {**context, "generator": "g", "chart": None})
    assert "没有适用缓缴措施的企业，未作测算。" in text and "万元" not in text.split("## 七、")[1].split("| 险种")[0]


@pytest.fixture
def folder_with_a_damaged_plan(kb, tmp_path):
    out = tmp_path / "output"
    generate(EXAMPLES / "enterprises.yaml", out, kb, Templates.from_option(None), AS_OF, ("md",))
    victim = sorted(p.name for p in out.iterdir() if p.is_dir())[3]
    plan = out / victim / "plan.json"
    plan.write_bytes(plan.read_bytes()[:100])  # a truncated plan.json
    return out, victim


def test_a_damaged_plan_in_a_folder_is_named_and_the_rest_summarised(runner, folder_with_a_damaged_plan, tmp_path,
                                                                     monkeypatch):
    out, victim = folder_with_a_damaged_plan
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["summary", "output", "--out", "汇总.md"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "已汇总19家企业（基准日 2022-06-15），写入 汇总.md",
        "提示：按文件夹中的方案汇总，无法判断名单中是否有企业缺少方案；核对名单请用 .venv/bin/planner summary 名单文件 --plans 输出文件夹"
        "（已列出生成时名单中未能识别的记录和已不在名单中的企业）",
        f"错误：output/{victim}：最新版本的文件不完整或已损坏（plan.json 的大小与 version.json 记录的不符），未计入汇总"]
    text = (tmp_path / "汇总.md").read_text(encoding="utf-8")
    assert f"| {victim} | 最新版本的文件不完整或已损坏（plan.json 的大小与 version.json 记录的不符） |" in text
    assert "（方案19份）" in text and "；企业19家（据已生成的帮扶方案）。" in text
    assert "仅凭已生成的方案无法判断名单中是否有企业缺少方案" in text
    assert "planner" not in text and "output" not in text  # the command is said to the officer, not printed


def test_a_damaged_plan_against_the_list_costs_only_that_enterprise(runner, folder_with_a_damaged_plan, tmp_path):
    out, victim = folder_with_a_damaged_plan
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(EXAMPLES / "enterprises.yaml"), "--plans", str(out),
                                  "--out", str(target)])
    assert result.exit_code == 1
    text = target.read_text(encoding="utf-8")
    assert "名单中可识别的企业20家，其中有现行方案19家，缺少现行方案1家。" in text
    assert f"| {victim} | 方案文件损坏：最新版本的文件不完整或已损坏（plan.json 的大小与 version.json 记录的不符） |" in text


def test_a_plan_that_is_json_but_not_a_plan_is_named(kb, tmp_path):
    out = tmp_path / "output"
    generate(EXAMPLES / "enterprises.yaml", out, kb, Templates.from_option(None), AS_OF, ("md",))
    victim = sorted(p.name for p in out.iterdir() if p.is_dir())[0]
    (out / victim / "version.json").unlink()
    (out / victim / "plan.json").write_text('{"enterprise": {"id": 1}}', encoding="utf-8")
    context = summarize(plans_in_folder(out), kb)
    assert context["damaged"] == [{"where": f"{victim}/", "why": "plan.json 内容不完整（缺少企业、措施或时间表）"}]
    assert context["total"] == 19


def test_the_summary_is_one_pass_over_a_stream_one_plan_alive_at_a_time(kb):
    class Plan(dict):  # a dict that can be watched
        pass

    alive = []

    def stream():
        for plan in plans_from_records(read_records(EXAMPLES / "enterprises.yaml", kb), kb, AS_OF):
            gc.collect()
            # the plan summarize is looking at may still be bound; none before it is
            assert sum(ref() is not None for ref in alive) <= 1
            if isinstance(plan, dict):
                plan = Plan(plan)
                alive.append(weakref.ref(plan))
            yield plan

    items = stream()
    context = summarize(items, kb, AS_OF)
    assert next(items, None) is None  # consumed, once
    assert len(alive) == 20 and context["total"] == 20
    gc.collect()
    assert all(ref() is None for ref in alive)  # nothing of a plan is kept
    assert context == summarize(list(plans_from_records(read_records(EXAMPLES / "enterprises.yaml", kb), kb, AS_OF)),
                                kb, AS_OF)
    assert inspect.isgenerator(plans_in_folder(EXAMPLES)) and inspect.isgenerator(
        plans_from_records(read_records(EXAMPLES / "enterprises.yaml", kb), kb, AS_OF))


def test_plans_for_the_list_is_a_stream(kb, folder_and_new_list):
    from planner.summary import NotInList, WithoutPlan, plans_for_list

    listing, output, removed, changed = folder_and_new_list
    items = plans_for_list(read_records(listing, kb), output, kb, None)
    assert inspect.isgenerator(items)
    items = list(items)
    assert sum(isinstance(i, dict) for i in items) == 18
    assert sorted(i.reason for i in items if isinstance(i, WithoutPlan)) == ["missing", "stale"]
    assert [(i.id, i.name) for i in items if isinstance(i, NotInList)] == [(removed["id"], removed["name"])]


@pytest.mark.parametrize("args, message", [
    (["missing.xlsx", "--out", "s.md"], "错误：missing.xlsx：文件或文件夹不存在\n"),
    (["output", "--plans", "output", "--out", "s.md"],
     "错误：output 是文件夹；--plans 须与企业名单一起使用，例如 planner summary 名单.xlsx --plans output --out 汇总.pdf\n"),
    (["list.yaml", "--plans", "nowhere", "--out", "s.md"],
     "错误：nowhere：文件夹不存在（--plans 须为 planner generate 的输出文件夹）\n"),
    (["list.yaml", "--plans", "list.yaml", "--out", "s.md"],
     "错误：list.yaml：不是文件夹（--plans 须为 planner generate 的输出文件夹）\n"),
    (["list.yaml", "--out", "s.txt"], "错误：s.txt：--out 须以 .md 或 .pdf 结尾\n"),
    (["list.yaml", "--out", "no/s.md"], "错误：no/s.md：输出目录 no 不存在\n"),
])
def test_summary_errors_are_chinese_and_name_the_file(runner, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "output").mkdir()
    write_yaml(tmp_path / "list.yaml", sample_data())
    result = runner.invoke(main, ["summary", *args])
    assert result.exit_code == 1
    assert result.output == message


def test_summary_help_is_chinese(runner):
    result = runner.invoke(main, ["summary", "--help"])
    assert result.exit_code == 0
    shown = "".join(result.output.split())  # click wraps lines
    for text in ("向上级报送的帮扶工作汇总。", "名单加--plans输出文件夹：以名单为准核对文件夹中的方案。",
                 "--outFILE.md|FILE.pdf汇总文件，.md或.pdf", "--as-ofYYYY-MM-DD汇总基准日",
                 "--plansDIR生成方案的输出文件夹：以名单为准核对其中的方案"):
        assert text in shown, text


def test_a_plan_with_values_that_cannot_be_counted_costs_only_itself(runner, kb, tmp_path):
    out = tmp_path / "output"
    generate(EXAMPLES / "enterprises.yaml", out, kb, Templates.from_option(None), AS_OF, ("md",))
    victim = sorted(p.name for p in out.iterdir() if p.is_dir())[5]
    path = out / victim / "plan.json"
    plan = orjson.loads(path.read_bytes())
    plan["enterprise"]["sector"] = ["汽车", "装备"]  # valid JSON, not a plan's value
    path.write_bytes(orjson.dumps(plan))
    meta = orjson.loads((out / victim / "version.json").read_bytes())  # made to agree: the plan itself is bad
    meta["sizes"]["plan.json"] = path.stat().st_size
    meta["sha256"]["plan.json"] = hashlib.sha256(path.read_bytes()).hexdigest()
    meta.get("stat", {}).pop("plan.json", None)
    (out / victim / "version.json").write_bytes(orjson.dumps(meta))
    context = summarize(plans_in_folder(out), kb)
    assert context["damaged"] == [{"where": f"{victim}/", "why": "plan.json 中有无法统计的取值"}]
    assert context["total"] == 19
    target = tmp_path / "s.md"
    result = runner.invoke(main, ["summary", str(EXAMPLES / "enterprises.yaml"), "--plans", str(out),
                                  "--out", str(target)])
    assert result.exit_code == 1
    assert result.output.splitlines()[-2:] == [f"错误：{out / victim}：plan.json 中有无法统计的取值，未计入汇总",
                                               f"已汇总20家企业（基准日 2022-06-15），写入 {target}"]
    assert f"| {victim} | 方案文件损坏：plan.json 中有无法统计的取值 |" in target.read_text(encoding="utf-8")


def test_names_in_the_report_show_control_and_bidi_marks(kb, tmp_path):
    data = sample_data()
    data["enterprises"].append(stopped_key(id=BAD_CODE + "\u202e", name="宁波\x1b[31m坏码\u202e企业"))
    write_yaml(tmp_path / "list.yaml", data)
    context = summarize(plans_from_records(read_records(tmp_path / "list.yaml", kb), kb, AS_OF), kb, AS_OF)
    assert [(r["name"], r["code"]) for r in context["rejected"]] == [
        ("宁波⟨U+001B⟩[31m坏码⟨U+202E⟩企业", BAD_CODE + "⟨U+202E⟩")]
    assert context["coverage"]["missing"][-1]["name"] == "宁波⟨U+001B⟩[31m坏码⟨U+202E⟩企业"


def test_a_folder_alone_still_names_the_rejected_records_and_the_removed_enterprises(
        runner, list_with_a_rejected_key_enterprise, tmp_path):
    """Issue #10: the folder's summary must not say 100% while a rejected stopped key enterprise of
    the list it was made from has no plan, nor count an enterprise since removed from that list."""
    listing = list_with_a_rejected_key_enterprise
    out = tmp_path / "output"
    run = runner.invoke(main, ["generate", str(listing), "--out", str(out), "--as-of", AS_OF.isoformat(),
                               "--format", "md"])
    assert run.exit_code == 1, run.output  # the rejected record
    with open(listing, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    removed = rows.pop(1)  # the first enterprise leaves the list, its folder stays
    with open(listing, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert runner.invoke(main, ["generate", str(listing), "--out", str(out), "--as-of", AS_OF.isoformat(),
                                "--format", "md"]).exit_code == 1
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(out), "--out", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "覆盖率100%" not in text
    assert f"- 未覆盖：宁波坏码停产重点企业有限公司（{BAD_CODE}）——记录未能识别，未生成方案" in text
    assert ("按生成方案时所用的企业名单核对：未能识别的记录1条，未生成方案；"
            "另有1家已生成方案的企业已不在这些名单中，未计入。") in text
    assert f"- {removed[1]}（{removed[0]}）" in text  # named under 已不在名单中, not counted
    assert "；企业19家（据已生成的帮扶方案）" in text
