"""planner requests: the registration sheet, its import (problems, idempotence, conflicts), the
list, one step, a department's list and its answers, and a CLI import killed midway."""

from __future__ import annotations

import csv
import datetime as dt
import re
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from planner import uscc
from planner.cli import main
from planner.dates import local_zone
from planner.requests import Ledger, load_rules, visit_ref
from planner.requests.sheets import ANSWER_HEADER, INTAKE_HEADER, problem_list
from test_chinese import assert_chinese

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHEET = EXAMPLES / "走访诉求登记表.xlsx"
BEILUN_CAR = ("91330206NB0000059N", "宁波珂屹汽车部件有限公司")  # 郑晓岚（北仑区经信局）
BEILUN_EQUIPMENT = ("91330206NB0000067H", "宁波恒屹智能装备有限公司")  # 郑晓岚 too
JIANGBEI_FILM = ("91330205NB0000024M", "宁波明岚光学膜科技有限公司")  # 吴晓东（江北区经信局）
NOT_IN_FOLDER = uscc.make("91330206", "NB999999")  # a valid code no plan has


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    out = tmp_path_factory.mktemp("plans") / "output"
    result = CliRunner().invoke(main, ["generate", str(EXAMPLES / "enterprises.yaml"), "--out", str(out),
                                       "--as-of", "2022-06-15", "--format", "md"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def out(plans, tmp_path):
    """A copy of the generated folder of its own for each test (its ledger and problem list)."""
    target = tmp_path / "output"
    shutil.copytree(plans, target)
    return target


def run(*args):
    result = CliRunner().invoke(main, ["requests", *map(str, args)])
    return result


def ledger_of(out):
    return Ledger.open(out / "requests.db")


def write_csv(path: Path, rows, header=INTAKE_HEADER) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(h, "") for h in header])
    return path


def request(code_name, text, category="融资", urgency="简单", day="2022-06-16", **more):
    code, name = code_name
    return {"统一社会信用代码": code, "企业名称": name, "走访日期": day, "诉求类别": category, "紧急程度": urgency,
            "诉求内容": text, **more}


# --- template ---------------------------------------------------------------------------------

def test_template_lists_the_cadres_enterprises_with_dropdowns(out, tmp_path):
    target = tmp_path / "走访诉求登记表.xlsx"
    result = run("template", out, "--cadre", "郑晓岚", "--out", target, "--visit-date", "2022-06-20", "--rows", "2")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"已将2家企业（包联干部郑晓岚）的走访诉求登记表写入 {target}")
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["走访诉求登记表", "填表说明", "planner"]
    assert book["planner"].sheet_state == "hidden"
    sheet = book["走访诉求登记表"]
    assert [c.value for c in sheet[1]] == list(INTAKE_HEADER)
    assert sheet.freeze_panes == "A2"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row)]
    filled = [r for r in rows if r[1]]
    assert [(r[1], r[2]) for r in filled] == [BEILUN_CAR, BEILUN_CAR, BEILUN_EQUIPMENT, BEILUN_EQUIPMENT]
    # 走访日期 pre-filled with --visit-date, as a real Excel date
    assert all(r[4] == "郑晓岚（北仑区经信局）" and r[3] == dt.datetime(2022, 6, 20) for r in filled)
    assert sheet["D2"].is_date and sheet["D2"].number_format == "yyyy-mm-dd"
    assert filled[0][0] == visit_ref(BEILUN_CAR[0], dt.date(2022, 6, 20)) == "91330206NB0000059N-20220620"
    assert all(sheet.cell(row=r, column=c).data_type == "s" for r in range(2, 6) for c in (1, 2, 3, 5))
    rules = load_rules()
    validations = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    assert validations["F2"].type == "list" and validations["F2"].formula1 == '"' + ",".join(rules.categories) + '"'
    assert validations["G2"].formula1 == '"简单,复杂"'
    assert str(validations["F2"].sqref).endswith(str(5 + 500))  # rows added below keep the dropdown
    guide = "\n".join(str(c.value) for row in book["填表说明"].iter_rows() for c in row if c.value)
    assert "市地方金融监管局、人民银行宁波市中心支行" in guide and "简单问题一个工作日内答复" in guide


def test_a_pre_filled_row_left_empty_is_not_a_request_nor_a_problem(out, tmp_path):
    target = tmp_path / "走访诉求登记表.xlsx"
    assert run("template", out, "--cadre", "郑晓岚", "--out", target, "--visit-date", "2022-06-20",
               "--rows", "2").exit_code == 0
    untouched = run("import", target, out)
    assert untouched.exit_code == 0, untouched.output
    assert untouched.stdout.startswith("新登记0条，已存在0条（未变），冲突0条，有问题0行；")
    assert not list(out.glob("诉求问题清单*.xlsx"))
    book = openpyxl.load_workbook(target)
    sheet = book["走访诉求登记表"]
    sheet["F2"], sheet["G2"], sheet["H2"] = "融资", "简单", "希望对接低息贷款"  # one row used, its date as given
    book.save(target)
    used = run("import", target, out)
    assert used.exit_code == 0 and used.stdout.startswith("新登记1条，"), used.output
    with ledger_of(out) as ledger:
        (registered,) = ledger.find()
        assert registered.visit_date == dt.date(2022, 6, 20) and registered.enterprise_id == BEILUN_CAR[0]


def test_template_of_a_district_and_unknown_names(out, tmp_path):
    target = tmp_path / "北仑区.xlsx"
    assert run("template", out, "--district", "北仑区", "--out", target, "--rows", "1").exit_code == 0
    codes = [row[1] for row in openpyxl.load_workbook(target).active.iter_rows(min_row=2, values_only=True) if row[1]]
    assert codes == ["91330206NB0000059N", "91330206NB0000067H", "91330206NB00001475"]
    unknown = run("template", out, "--cadre", "张三", "--out", tmp_path / "x.xlsx")
    assert unknown.exit_code == 1
    assert unknown.output.startswith("错误：输出目录中没有包联干部“张三”（输出目录中的包联干部：")
    assert "郑晓岚（北仑区经信局）" in unknown.output and unknown.output.count("郑晓岚") == 1
    assert not (tmp_path / "x.xlsx").exists()
    mars = run("template", out, "--district", "火星区", "--out", tmp_path / "x.xlsx")
    assert mars.exit_code == 1 and "没有“火星区”这个区县（可选：海曙区、" in mars.output
    assert_chinese(unknown.output + mars.output)


def test_template_of_a_zone_and_a_zone_given_as_a_district(out, tmp_path):
    target = tmp_path / "东钱湖.xlsx"
    made = run("template", out, "--zone", "东钱湖", "--out", target, "--rows", "1")
    assert made.exit_code == 0, made.output
    assert made.output.startswith("已将1家企业（东钱湖）的走访诉求登记表写入")
    rows = [row for row in openpyxl.load_workbook(target).active.iter_rows(min_row=2, values_only=True) if row[1]]
    assert len(rows) == 1
    wrong = run("template", out, "--district", "东钱湖", "--out", tmp_path / "x.xlsx")
    assert wrong.exit_code == 1 and "没有“东钱湖”这个区县" in wrong.output
    assert wrong.output.rstrip().endswith("；东钱湖是功能区，请用 --zone 东钱湖")
    assert not (tmp_path / "x.xlsx").exists()
    assert "--zone NAME" in run("template", "--help").output


# --- import -----------------------------------------------------------------------------------

def test_import_registers_good_rows_and_names_the_bad_by_row_and_field(out, tmp_path):
    template = tmp_path / "登记表.xlsx"
    assert run("template", out, "--cadre", "郑晓岚", "--out", template, "--rows", "1").exit_code == 0
    book = openpyxl.load_workbook(template)
    sheet = book.active
    col = {h: i + 1 for i, h in enumerate(INTAKE_HEADER)}

    def fill(r, **values):
        for key, value in values.items():
            sheet.cell(row=r, column=col[key]).value = value

    # row 2: the car parts maker, by alias and a date cell; row 3: the equipment maker, 走访编号 only
    fill(2, 走访日期=dt.datetime(2022, 6, 16), 诉求类别="贷款", 紧急程度="复杂", 诉求内容="希望对接低息贷款2000万元")
    fill(3, 走访编号="91330206NB0000067H-20220617", 诉求类别="用工", 紧急程度="一般", 诉求内容="缺数控技师15名",
         承办部门="市人力社保局、市总工会")
    rows = [  # rows 4…: one problem or more each
        request(("91330206NB0000059X", BEILUN_CAR[1]), "校验码错"),
        request((NOT_IN_FOLDER, "宁波某某有限公司"), "不在输出目录"),
        request(BEILUN_CAR, "类别不认识", category="火星", urgency="很急"),
        request(BEILUN_CAR, "日期写错", day="2022年13月1日"),
        request(BEILUN_CAR, "编号不符", 走访编号="91330206NB0000059N-20220617"),
        request(JIANGBEI_FILM, "", category="市场"),
        request((JIANGBEI_FILM[0], "宁波别的公司"), "名称不符"),
        request(JIANGBEI_FILM, "走访日期在将来", day="2099-06-16"),
    ]
    for r, values in enumerate(rows, 4):
        fill(r, **{k: v for k, v in values.items()})
    filled = tmp_path / "已填.xlsx"
    book.save(filled)

    result = run("import", filled, "--out", out)
    assert result.exit_code == 1
    where = f"{filled}[走访诉求登记表]"
    expected = [
        f"错误：{where}:4: {BEILUN_CAR[1]}：统一社会信用代码: 统一社会信用代码第18位校验码应为N，实为X；已跳过",
        f"错误：{where}:5: 宁波某某有限公司：统一社会信用代码: 输出目录中没有这家企业的方案",
        f"错误：{where}:6: {BEILUN_CAR[1]}：诉求类别: 未知的诉求类别（可选：融资、用工、",
        f"错误：{where}:6: {BEILUN_CAR[1]}：紧急程度: 未知的紧急程度（可选：简单、复杂）",
        f"错误：{where}:7: {BEILUN_CAR[1]}：走访日期: 不是有效日期（没有13月）",
        f"错误：{where}:8: {BEILUN_CAR[1]}：走访编号: 编号中的日期 2022-06-17 晚于走访日期 2022-06-16（编号是简报上印的",
        f"错误：{where}:9: {JIANGBEI_FILM[1]}：诉求内容: 诉求内容不能为空",
        f"错误：{where}:10: 宁波别的公司：企业名称: 与输出目录中该信用代码的企业“{JIANGBEI_FILM[1]}”不符",
        f"错误：{where}:11: {JIANGBEI_FILM[1]}：走访日期: 走访日期 2099-06-16 晚于今天",
    ]
    lines = result.output.splitlines()
    for line in expected:
        assert any(l.startswith(line) for l in lines), (line, result.output)
    assert lines[-1] == (f"新登记2条，已存在0条（未变），冲突0条，有问题8行；问题清单：{out / '诉求问题清单（已填）.xlsx'}；"
                         f"诉求账本：{out / 'requests.db'}")
    assert_chinese(result.output)
    problems = list(openpyxl.load_workbook(out / "诉求问题清单（已填）.xlsx").active.iter_rows(values_only=True))
    assert problems[0] == ("行号", "企业名称", "统一社会信用代码", "字段", "原值", "问题", "处理结果", "来源文件")
    assert {r[7] for r in problems[1:]} == {"已填.xlsx（工作表：走访诉求登记表）"}
    assert {(r[0], r[3]) for r in problems[1:]} == {
        ("4", "统一社会信用代码"), ("5", "统一社会信用代码"), ("6", "诉求类别"), ("6", "紧急程度"), ("7", "走访日期"),
        ("8", "走访编号"), ("9", "诉求内容"), ("10", "企业名称"), ("11", "走访日期")}
    with ledger_of(out) as ledger:
        registered = ledger.find()
    assert [(r.enterprise_id, r.category, r.urgency, r.visit_date, r.cadre, r.district) for r in registered] == [
        (BEILUN_CAR[0], "融资", "复杂", dt.date(2022, 6, 16), "郑晓岚（北仑区经信局）", "北仑区"),
        (BEILUN_EQUIPMENT[0], "用工", "简单", dt.date(2022, 6, 17), "郑晓岚（北仑区经信局）", "北仑区")]
    assert registered[0].departments == ("市地方金融监管局", "人民银行宁波市中心支行")  # routed by category
    assert registered[1].departments == ("市人力社保局", "市总工会")  # as the sheet hands it
    assert registered[1].visit_ref == "91330206NB0000067H-20220617"
    assert registered[0].due_date == dt.date(2022, 6, 21)  # 3 working days after Thursday 16 June


def test_the_number_printed_on_a_brief_maps_back_when_the_visit_came_later(out, tmp_path):
    """A brief printed for 15 June (its 走访编号 carries that day) and a visit on the 17th: the row
    is the enterprise's, registered on the day of the visit (found in a new-user trial: refused)."""
    code = BEILUN_CAR[0]
    rows = [request(BEILUN_CAR, "希望对接低息贷款", day="2022-06-17", 走访编号=f"{code}-20220615")]
    result = run("import", write_csv(tmp_path / "登记.csv", rows), "--out", out)
    assert result.exit_code == 0, result.output
    with ledger_of(out) as ledger:
        (registered,) = ledger.find()
    assert (registered.enterprise_id, registered.visit_date) == (code, dt.date(2022, 6, 17))


def test_importing_twice_adds_nothing_and_a_changed_row_is_a_conflict(out, tmp_path):
    rows = [request(BEILUN_CAR, "希望对接低息贷款"), request(JIANGBEI_FILM, "下游面板厂拖欠货款", category="欠款",
                                                        urgency="复杂", day="2022/6/17")]
    sheet = write_csv(tmp_path / "登记.csv", rows)
    first = run("import", sheet, "--out", out)
    assert first.exit_code == 0, first.output
    assert first.output.startswith("新登记2条，已存在0条（未变），冲突0条，有问题0行；")
    with ledger_of(out) as ledger:
        events = ledger.events()
    again = run("import", sheet, "--out", out)
    assert again.exit_code == 0
    assert again.output.startswith("新登记0条，已存在2条（未变），冲突0条，有问题0行；")
    with ledger_of(out) as ledger:
        assert ledger.events() == events

    rows[1] = {**rows[1], "紧急程度": "简单", "诉求内容": "下游面板厂 拖欠货款"}  # the same text, spaced
    changed = run("import", write_csv(tmp_path / "改过.csv", rows), "--out", out)
    assert changed.exit_code == 1
    assert (f"错误：{tmp_path / '改过.csv'}:3: {JIANGBEI_FILM[1]}：紧急程度: 与已登记的诉求 SQ-2022-000002 冲突："
            f"原为“复杂”，现为“简单”；未覆盖（冲突）") in changed.output.splitlines()
    assert changed.output.splitlines()[-1].startswith("新登记0条，已存在1条（未变），冲突1条，有问题0行；问题清单：")
    with ledger_of(out) as ledger:
        assert ledger.get("SQ-2022-000002").urgency == "复杂"  # never overwritten
        assert ledger.events() == events


def test_a_sheet_that_is_neither_is_refused(out, tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("甲,乙\n1,2\n", encoding="utf-8")
    result = run("import", bad, "--out", out)
    assert result.exit_code == 1
    assert "没有找到表头（登记表须有“统一社会信用代码”和“诉求内容”列" in result.output
    assert not (out / "requests.db").exists()


# --- the bundled sheet, list, update ------------------------------------------------------------

def test_the_bundled_sheet_imports_whole(out):
    result = run("import", SHEET, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("新登记30条，已存在0条（未变），冲突0条，有问题0行；")
    with ledger_of(out) as ledger:
        found = ledger.find()
    assert len({r.enterprise_id for r in found}) == 20
    assert len({r.category for r in found}) >= 10 and {r.urgency for r in found} == {"简单", "复杂"}
    assert all(r.visit_date.year == 2022 and r.visit_date.month == 6 for r in found)


def test_list_overdue_counts_working_days(out):
    assert run("import", SHEET, "--out", out).exit_code == 0
    with ledger_of(out) as ledger:
        ledger.transition("SQ-2022-000004", "交办", by="市经信局", at="2022-06-17")
        ledger.transition("SQ-2022-000004", "办结", by="张伟", department="市商务局", at="2022-06-17", note="已报名对接会")
    half = run("list", out, "--department", "市商务局")  # co-held: one of its two departments has answered
    assert ("SQ-2022-000004  宁波明岚光学膜科技有限公司  市场（简单）  办理中（1/2 部门已办结：市商务局）  "
            "市商务局、市经信局") in half.stdout
    with ledger_of(out) as ledger:
        ledger.transition("SQ-2022-000004", "办结", by="王强", department="市经信局", at="2022-06-17", note="已对接")
        everyone = ledger.find()
    result = run("list", out, "--overdue", "--as-of", "2022-06-22")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    late = [r for r in everyone if r.state in ("登记", "交办", "办理中") and r.due_date < dt.date(2022, 6, 22)]
    assert [line.split()[0] for line in lines] == [r.id for r in late] and late
    # 政策 from 17 June (Friday), 简单: due Monday 20 June; 21 and 22 June are two working days late
    assert "SQ-2022-000006  宁波海晟磁材科技有限公司  政策兑现（简单）  登记  市经信局、市财政局  办结时限2022年6月20日  逾期2个工作日" in lines
    assert not any(line.startswith("SQ-2022-000004") for line in lines)  # done in time
    assert result.stderr.strip() == f"共{len(late)}条诉求，其中逾期{len(late)}条（截至2022年6月22日）"
    cadre = run("list", out, "--cadre", "郑晓岚", "--as-of", "2022-06-20")
    assert cadre.stderr.startswith("共4条诉求（包联干部郑晓岚），")  # the filter said back
    beilun = run("list", out, "--district", "北仑", "--as-of", "2022-06-20")  # an alias, said back as its label
    assert beilun.stdout == cadre.stdout and beilun.stderr.startswith("共4条诉求（北仑区），")
    assert [line.split()[1] for line in cadre.stdout.splitlines()] == [BEILUN_CAR[1]] * 2 + [BEILUN_EQUIPMENT[1]] * 2
    assert "逾期" not in cadre.stdout  # visited and registered on 20 June: nothing is due yet
    before = run("list", out, "--cadre", "郑晓岚", "--as-of", "2022-06-15")
    assert before.exit_code == 0 and before.stdout == ""  # not yet registered then
    done = run("list", out, "--status", "办结", "--department", "市商务局")
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["SQ-2022-000004"]
    bad = run("list", out, "--status", "完成")
    assert bad.exit_code == 2 and "未知的状态“完成”" in bad.output


def test_update_takes_a_step_and_refuses_an_illegal_one(out):
    assert run("import", SHEET, "--out", out).exit_code == 0
    illegal = run("update", "SQ-2022-000001", "--to", "销号", "--by", "王芳", "--out", out)
    assert illegal.exit_code == 2
    assert illegal.output == "错误：SQ-2022-000001：当前状态为“登记”，不能直接销号（须先交办、办结并回访）\n"
    assert_chinese(illegal.output)
    with ledger_of(out) as ledger:
        assert len(ledger.events("SQ-2022-000001")) == 1
    steps = [("交办", "--department", "市发改委"), ("办结", "--note", "已协调用能指标"),
             ("回访", "--not-satisfied"), ("办结", "--note", "指标已下达")]
    for step, *more in steps:
        result = run("update", "SQ-2022-000001", "--to", step, *more, "--by", "王芳", "--at", "2022-06-20",
                     "--out", out)
        assert result.exit_code == 0, result.output
    assert result.output == "SQ-2022-000001：已办结，现为“办结”，承办部门：市发改委\n"
    with ledger_of(out) as ledger:
        assert [e.step for e in ledger.events("SQ-2022-000001")] == ["登记", "交办", "办结", "回访", "办结"]
    unknown = run("update", "SQ-2099-000001", "--to", "交办", "--by", "王芳", "--out", out)
    assert unknown.exit_code == 2 and unknown.output == "错误：没有编号为“SQ-2099-000001”的诉求\n"
    nowhere = run("update", "SQ-2022-000001", "--to", "交办", "--by", "王芳", "--db", out / "nothing.db")
    assert nowhere.exit_code == 1 and "还没有诉求账本" in nowhere.output
    assert not (out / "nothing.db").exists()


def test_update_errors_name_the_option_to_give(out):
    assert run("import", SHEET, out).exit_code == 0
    rid = "SQ-2022-000001"
    for step, *more in (("交办", "--department", "市发改委"), ("办结", "--note", "已协调用能指标")):
        assert run("update", rid, "--to", step, *more, "--by", "王芳", "--at", "2022-06-20", out).exit_code == 0
    no_verdict = run("update", rid, "--to", "回访", "--by", "王芳", "--at", "2022-06-21", out)
    assert no_verdict.exit_code == 2
    assert no_verdict.output == f"错误：{rid}：回访须注明企业是否满意（--satisfied 或 --not-satisfied）\n"
    bad_day = run("update", rid, "--to", "回访", "--satisfied", "--by", "王芳", "--at", "2022-06-2x", out)
    assert bad_day.exit_code == 2 and "'--at' 的值无效：“2022-06-2x”不是日期" in bad_day.output, bad_day.output
    bad_assign = run("assign", out, "--by", "市经信局", "--at", "2022-06-2x")
    assert bad_assign.exit_code == 2 and "'--at' 的值无效" in bad_assign.output, bad_assign.output
    with ledger_of(out) as ledger:
        assert [e.step for e in ledger.events(rid)] == ["登记", "交办", "办结"]


def test_update_of_a_co_held_request_names_the_department_that_answers(out):
    assert run("import", SHEET, "--out", out).exit_code == 0
    rid = "SQ-2022-000004"  # 市场: 市商务局、市经信局
    assert run("update", rid, "--to", "交办", "--by", "市经信局", "--at", "2022-06-17", out).exit_code == 0
    for step, more, option, why in (("办结", [], "--department", "各部门都办结后诉求才办结"),
                                    ("退回", ["--note", "不属本局"], "--from-department",
                                     "退回只去掉这个部门，其余部门继续办理")):
        refused = run("update", rid, "--to", step, *more, "--by", "张伟", "--at", "2022-06-17", out)
        assert refused.exit_code == 2
        assert refused.output == (f"错误：{rid}：由市商务局、市经信局共同承办，{step}须用 {option} 注明是哪个部门"
                                  f"{step}（{why}）\n")
        assert_chinese(refused.output)
    # --department on a 退回 names where it goes next: read as the returning department, it re-handed
    # the request to that one alone and dropped the other, exit 0 (found in a new-user trial)
    mistaken = run("update", rid, "--to", "退回", "--department", "市经信局", "--note", "不属本局", "--by", "张伟",
                   "--at", "2022-06-17", out)
    assert mistaken.exit_code == 2
    assert mistaken.output.endswith("；--department 是退回后改交的部门，不是退回的部门\n")
    assert "须用 --from-department 注明是哪个部门退回" in mistaken.output
    with ledger_of(out) as ledger:
        assert len(ledger.events(rid)) == 2  # nothing written
    one = run("update", rid, "--to", "办结", "--department", "市商务局", "--by", "张伟", "--at", "2022-06-17", out)
    assert one.exit_code == 0, one.output
    # one department's 办结 is not the request's: the line names it and the one still to answer
    assert one.output == (f"{rid}：市商务局已办结，尚待市经信局办结，现为“办理中（1/2 部门已办结：市商务局）”，"
                          "承办部门：市商务局、市经信局\n")
    back = run("update", rid, "--to", "退回", "--from-department", "市经信局", "--note", "不属本局", "--by", "王强",
               "--at", "2022-06-18", out)
    assert back.exit_code == 0, back.output
    # the one left had answered 办结: the request is 办结 with it
    assert back.output == f"{rid}：市经信局已退回，现为“办结”，承办部门：市商务局\n"
    with ledger_of(out) as ledger:
        assert ledger.get(rid).closed_at == dt.date(2022, 6, 18) and ledger.verify() == []


# --- a department's list and its answers ---------------------------------------------------------

def test_department_list_answers_come_back_as_transitions_once(out, tmp_path):
    assert run("import", SHEET, "--out", out).exit_code == 0
    target = tmp_path / "市人力社保局.xlsx"
    result = run("export", out, "--department", "市人力社保局", "--out", target, "--as-of", "2022-06-23",
                 "--assign", "--by", "市经信局")
    assert result.exit_code == 0, result.output
    assert "已交办3条诉求给市人力社保局" in result.stderr
    book = openpyxl.load_workbook(target)
    assert book["planner"].sheet_state == "hidden"
    sheet = book["部门办理清单"]
    assert [c.value for c in sheet[1]] == list(ANSWER_HEADER)
    (status_rule,) = sheet.data_validations.dataValidation
    assert status_rule.formula1 == '"办理中,办结,退回"' and str(status_rule.sqref).startswith("M2")
    rows = list(sheet.iter_rows(min_row=2))
    listed = [r[0].value for r in rows]
    assert len(listed) == 3 and all(r[10].value == "交办" for r in rows)
    col = {h: i for i, h in enumerate(ANSWER_HEADER)}

    def answer(row, status, note="", who="张伟", date=None):
        row[col["办理状态"]].value, row[col["办理情况"]].value = status, note
        row[col["办理人"]].value, row[col["办理日期"]].value = who, date

    answer(rows[0], "办结", "已组织专场招聘会，招到数控技师12名", date="2022年6月24日")
    answer(rows[1], "办理中", "正在联系职业院校", date="2022-06-23")
    answer(rows[2], "退回")  # no reason: refused
    answered = tmp_path / "交回.xlsx"
    book.save(answered)
    first = run("import", answered, "--out", out)
    assert first.exit_code == 1
    assert (f"错误：{answered}[部门办理清单]:4: {rows[2][1].value}：办理情况: 退回须在办理情况中写明理由；已跳过"
            in first.output.splitlines())
    assert first.stdout.startswith("市人力社保局办理结果：已登记2条，已登记过0条（未变），未填办理状态0条，有问题1行；")
    with ledger_of(out) as ledger:
        done = ledger.get(listed[0])
        assert done.state == "办结" and done.closed_at == dt.date(2022, 6, 24)
        assert ledger.events(listed[0])[-1].by == "张伟"
        assert ledger.get(listed[1]).state == "办理中"
        assert ledger.events(listed[1])[-1].at.startswith("2022-06-23")  # its 办理日期, not the import's day
        assert ledger.get(listed[2]).state == "交办"
        returned_before = ledger.get(listed[2]).departments
        events = ledger.events()

    answer(rows[2], "退回", "属于教育部门职责，请改交市教育局", date="2022-06-24")
    book.save(answered)
    second = run("import", answered, out)  # the folder as DIR, like list and export
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("市人力社保局办理结果：已登记1条，已登记过2条（未变），未填办理状态0条，有问题0行；")
    assert not problem_list(out, answered).exists()  # the last import had no problem
    third = run("import", answered, "--out", out)
    assert third.stdout.startswith("市人力社保局办理结果：已登记0条，已登记过3条（未变）")
    with ledger_of(out) as ledger:
        assert len(ledger.events()) == len(events) + 1
        returned = ledger.get(listed[2])
        # the returning department is taken off; the request waits to be handed on
        assert returned.state == "交办" and returned.returned and returned.shown_state == "交办（已退回）"
        assert returned.departments == tuple(d for d in returned_before if d != "市人力社保局")
        assert ledger.events(listed[2])[-1].at.startswith("2022-06-24")
        assert ledger.verify() == []
    mine = run("list", out, "--department", "市人力社保局", "--as-of", "2022-06-24")
    assert listed[2] not in mine.stdout and listed[0] in mine.stdout
    back = run("list", out, "--status", "退回", "--as-of", "2022-06-24")
    assert back.exit_code == 0, back.output
    assert [line.split()[0] for line in back.stdout.splitlines()] == [listed[2]]
    assert "交办（已退回）" in back.stdout
    again = run("export", out, "--department", "市人力社保局", "--out", tmp_path / "again.xlsx", "--as-of", "2022-06-24")
    assert again.exit_code == 0, again.output
    ids = [r[0].value for r in openpyxl.load_workbook(tmp_path / "again.xlsx")["部门办理清单"].iter_rows(min_row=2)]
    assert listed[2] not in ids and listed[1] in ids

    other = run("export", out, "--department", "市教委", "--out", tmp_path / "x.xlsx")
    assert other.exit_code == 1 and "诉求账本中没有由“市教委”承办的诉求（账本中的承办部门：" in other.output


def test_natural_answers_and_a_blank_date_said_row_by_row(out, tmp_path):
    """已办结 is 办结 (sectors/requests.yaml: steps); an answer without 办理日期 is the import's day,
    as the sheet's 填表说明 says, and the import says so for each such row."""
    assert run("import", SHEET, out).exit_code == 0
    target = tmp_path / "市人力社保局.xlsx"
    assert run("export", out, "--department", "市人力社保局", "--out", target, "--as-of", "2022-06-23",
               "--assign", "--by", "市经信局").exit_code == 0
    book = openpyxl.load_workbook(target)
    guide = "\n".join(str(c.value) for row in book["填表说明"].iter_rows() for c in row if c.value)
    assert "也可写“正在办理”“已办结”“已退回”" in guide
    assert "办理日期不填的，按导入当天记（导入时逐行提示）" in guide
    col = {h: i for i, h in enumerate(ANSWER_HEADER)}
    rows = list(book["部门办理清单"].iter_rows(min_row=2))
    rows[0][col["办理状态"]].value, rows[0][col["办理情况"]].value = "已办结", "已组织专场招聘会"
    rows[0][col["办理人"]].value, rows[0][col["办理日期"]].value = "张伟", "2022-06-24"
    rows[1][col["办理状态"]].value, rows[1][col["办理情况"]].value = " 已办结 ", "已落实"
    rows[1][col["办理人"]].value = "张伟"  # no date
    book.save(target)
    result = run("import", target, out)
    assert result.exit_code == 0, result.output
    rid, name = rows[1][0].value, rows[1][1].value
    today = dt.datetime.now(local_zone()).date()  # the ledger's day (Asia/Shanghai), not the machine's
    with ledger_of(out) as ledger:
        assert ledger.get(rows[0][0].value).closed_at == dt.date(2022, 6, 24)
        late = ledger.get(rid)
        assert late.state == "办结" and late.closed_at == today
        due = late.due_date
    assert (f"注意：{target}[部门办理清单]:3: {name}：{rid}（办结）：未填办理日期，"
            f"按导入当天（{today.year}年{today.month}月{today.day}日）记，已晚于办结时限"
            f"{due.year}年{due.month}月{due.day}日，按时办结率按此计") in result.stderr.splitlines()
    assert result.stderr.count("注意：") == 1  # the dated row is not noted
    assert "注意：" not in run("import", target, out).stderr  # nothing new, nothing said
    assert_chinese(result.output)
    # update takes the same spellings
    done = run("update", "SQ-2022-000001", "--to", "已交办", "--department", "市发改委", "--by", "王芳",
               "--at", "2022-06-20", out)
    assert done.exit_code == 0 and done.output.startswith("SQ-2022-000001：已交办，现为“交办”"), done.output


def test_a_files_problem_list_survives_the_import_of_another_and_goes_when_it_comes_back_clean(out, tmp_path):
    assert run("import", SHEET, out).exit_code == 0
    col = {h: i for i, h in enumerate(ANSWER_HEADER)}
    sheets = {}
    for department in ("市经信局", "市人力社保局"):
        target = tmp_path / f"{department}.xlsx"
        assert run("export", out, "--department", department, "--out", target, "--as-of", "2022-06-23",
                   "--assign", "--by", "市经信局").exit_code == 0
        sheets[department] = target
    book = openpyxl.load_workbook(sheets["市经信局"])
    row = list(book["部门办理清单"].iter_rows(min_row=2))[0]
    row[col["办理状态"]].value, row[col["办理人"]].value = "退回", "李明"  # no reason: a problem
    book.save(sheets["市经信局"])
    first = run("import", sheets["市经信局"], out)
    assert first.exit_code == 1
    listed = out / "诉求问题清单（市经信局）.xlsx"
    assert first.stdout.rstrip().endswith(f"问题清单：{listed}；诉求账本：{out / 'requests.db'}")
    clean = run("import", sheets["市人力社保局"], out)  # nothing filled in: no problem
    assert clean.exit_code == 0 and "问题清单" not in clean.stdout, clean.output
    assert listed.exists()  # the first department's problems are still there to be read
    rows = list(openpyxl.load_workbook(listed).active.iter_rows(values_only=True))
    assert rows[0][-1] == "来源文件" and rows[1][-1] == "市经信局.xlsx（工作表：部门办理清单）"
    assert rows[1][3] == "办理情况" and "退回须在办理情况中写明理由" in rows[1][5]
    row[col["办理情况"]].value = "不属本局职责，请改交市发改委"
    book.save(sheets["市经信局"])
    fixed = run("import", sheets["市经信局"], out)
    assert fixed.exit_code == 0, fixed.output
    assert f"上次导入本表的问题清单 {listed} 已删除" in fixed.stdout
    assert not listed.exists()
    assert_chinese(fixed.output)


def test_a_department_sheet_answers_for_its_department_only(out, tmp_path):
    """SQ-2022-000004 (市场) is with 市商务局 and 市经信局: the 市商务局 sheet's 办结 is its answer alone."""
    assert run("import", SHEET, "--out", out).exit_code == 0
    rid = "SQ-2022-000004"
    col = {h: i for i, h in enumerate(ANSWER_HEADER)}

    def answer_as(department, who, day):
        target = tmp_path / f"{department}.xlsx"
        assert run("export", out, "--department", department, "--out", target, "--as-of", day, "--assign",
                   "--by", "市经信局").exit_code == 0
        book = openpyxl.load_workbook(target)
        (row,) = [r for r in book["部门办理清单"].iter_rows(min_row=2) if r[0].value == rid]
        row[col["办理状态"]].value, row[col["办理情况"]].value = "办结", f"{department}已落实"
        row[col["办理人"]].value, row[col["办理日期"]].value = who, day
        book.save(target)
        result = run("import", target, out)
        assert result.exit_code == 0, result.output
        return target, row

    sheet, _ = answer_as("市商务局", "张伟", "2022-06-20")
    with ledger_of(out) as ledger:
        half = ledger.get(rid)
        assert (half.state, half.done) == ("办理中", ("市商务局",))
        assert ledger.events(rid)[-1].department == "市商务局"
    again = run("import", sheet, out)  # the same sheet: nothing more
    assert again.exit_code == 0 and "已登记0条，已登记过1条" in again.stdout
    listed = tmp_path / "again.xlsx"
    assert run("export", out, "--department", "市经信局", "--out", listed, "--as-of", "2022-06-20").exit_code == 0
    (row,) = [r for r in openpyxl.load_workbook(listed)["部门办理清单"].iter_rows(min_row=2) if r[0].value == rid]
    assert row[col["当前状态"]].value == "办理中（1/2 部门已办结：市商务局）"
    answer_as("市经信局", "王强", "2022-06-21")
    with ledger_of(out) as ledger:
        done = ledger.get(rid)
        assert (done.state, done.closed_at) == ("办结", dt.date(2022, 6, 21)) and ledger.verify() == []


def test_a_changed_answer_for_a_request_already_done_is_a_conflict_never_overwritten(out, tmp_path):
    assert run("import", SHEET, "--out", out).exit_code == 0
    target = tmp_path / "市人力社保局.xlsx"
    assert run("export", out, "--department", "市人力社保局", "--out", target, "--as-of", "2022-06-23",
               "--assign", "--by", "市经信局").exit_code == 0
    book = openpyxl.load_workbook(target)
    sheet = book["部门办理清单"]
    col = {h: i for i, h in enumerate(ANSWER_HEADER)}
    row = list(sheet.iter_rows(min_row=2))[0]
    rid = row[0].value
    row[col["办理状态"]].value, row[col["办理情况"]].value = "办结", "已组织专场招聘会，招到数控技师12名"
    row[col["办理人"]].value, row[col["办理日期"]].value = "张伟", "2022-06-24"
    answered = tmp_path / "交回.xlsx"
    book.save(answered)
    assert run("import", answered, out).exit_code == 0
    with ledger_of(out) as ledger:
        events = ledger.events()
    same = run("import", answered, out)  # the identical sheet: nothing added, nothing reported
    assert same.exit_code == 0, same.output
    assert same.stdout.startswith("市人力社保局办理结果：已登记0条，已登记过1条（未变），未填办理状态2条，有问题0行；")
    assert not problem_list(out, answered).exists()

    row[col["办理情况"]].value = "已组织专场招聘会，招到数控技师15名"  # a correction after 办结
    corrected = tmp_path / "更正.xlsx"
    book.save(corrected)
    result = run("import", corrected, out)
    assert result.exit_code == 1
    assert "不能重复办结" not in result.output
    assert (f"错误：{corrected}[部门办理清单]:2: {row[1].value}：办理情况: {rid} 已办结，登记的办理情况"
            f"原为“已组织专场招聘会，招到数控技师12名”，现为“已组织专场招聘会，招到数控技师15名”；未覆盖（冲突）"
            in result.output.splitlines())
    assert result.stdout.startswith("市人力社保局办理结果：已登记0条，已登记过0条（未变），未填办理状态2条，冲突1条，"
                                    "有问题0行；问题清单：")
    listed = list(openpyxl.load_workbook(problem_list(out, corrected)).active.iter_rows(values_only=True))
    header, rows = listed[0], listed[1:]
    (problem,) = [dict(zip(header, r)) for r in rows if r[0]]
    assert any("数控技师12名" in str(v) and "数控技师15名" in str(v) for v in problem.values()), problem
    assert problem["行号"] == "2" and problem["字段"] == "办理情况", problem  # the row and field named
    assert "未覆盖（冲突）" in problem.values(), problem
    with ledger_of(out) as ledger:
        assert ledger.events() == events  # never overwritten
        assert ledger.events(rid)[-1].note == "已组织专场招聘会，招到数控技师12名"
    again = run("import", answered, out)  # the first sheet again: still nothing
    assert again.exit_code == 0 and not problem_list(out, answered).exists()
    assert problem_list(out, corrected).exists()  # the correction's problem stands until it is sent again clean


# --- kill -9 during a large import --------------------------------------------------------------

def test_kill_9_during_a_large_import_leaves_it_whole_or_absent_and_a_rerun_completes_it(out, tmp_path):
    codes = [(sub.name, "") for sub in sorted(out.iterdir()) if (sub / "plan.json").is_file()]
    n = 12000  # the import runs about 1 s before its uncommitted pages pass 1 MB of WAL, and as long again after
    rows = [request(codes[i % len(codes)], f"批量诉求第{i}条：希望协调解决原材料供应问题", category="供应链")
            for i in range(n)]
    sheet = write_csv(tmp_path / "大批量.csv", rows)
    db = out / "requests.db"
    command = [sys.executable, "-m", "planner", "requests", "import", str(sheet), "--out", str(out)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wal = Path(f"{db}-wal")
    deadline = time.monotonic() + 120
    while not (wal.exists() and wal.stat().st_size > 1_000_000):  # the uncommitted import reaches the disk
        assert child.poll() is None, "the import finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert raw.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 0  # absent, not half there
    assert raw.execute("SELECT COUNT(*) FROM request_events").fetchone()[0] == 0
    raw.close()

    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"新登记{n}条，已存在0条（未变）")
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.stdout.startswith(f"新登记0条，已存在{n}条（未变）")
    with ledger_of(out) as ledger:
        assert len(ledger.find()) == n and len(ledger.events()) == n
        assert ledger.verify() == []


# --- help -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["template", "import", "list", "update", "export"])
def test_subcommand_help_is_chinese(name):
    result = run(name, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"用法：planner requests {name} [选项]")
    assert_chinese(result.output)
    wrong = run(name, "--no-such-option")
    assert wrong.exit_code == 2 and "错误：没有 --no-such-option 这个选项。" in wrong.output
    assert_chinese(wrong.output)


@pytest.mark.parametrize("given, said", [
    ("2022-06-31", "“2022-06-31”不是有效日期（2022年6月只有30天）"),
    ("2022年2月29日", "“2022年2月29日”不是有效日期（2022年2月只有28天）"),
    ("2022/13/1", "“2022/13/1”不是有效日期（没有13月）"),
    ("下周一", "“下周一”不是日期（可写2022-06-15、2022/6/15、2022.6.15、20220615 或 2022年6月15日）"),
])
def test_a_date_that_is_not_one_is_told_why(out, given, said):
    assert run("import", SHEET, out).exit_code == 0
    result = run("list", out, "--as-of", given)
    assert result.exit_code == 2 and said in result.output


def test_assign_hands_the_registered_requests_to_their_departments_once(out):
    """The bundled sheet's visits run 16–29 June: handed over as of 17 June, only those registered
    by then go; a second assign adds nothing. Handed over as make demo does (17, 22, 27 June), the
    bundled answers then import without a problem."""
    assert run("import", SHEET, out).exit_code == 0
    with ledger_of(out) as ledger:
        early = [r for r in ledger.find() if r.visit_date <= dt.date(2022, 6, 17)]
        routed = {r.id: r.departments for r in early}
    first = run("assign", out, "--by", "市经信局", "--at", "2022-06-17")
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith(f"已交办{len(early)}条诉求（市经信局") and f"尚未交办{30 - len(early)}条" in first.stdout
    # a request held by two departments counts for each: the line says so, as the counts add up to more
    shared = sum(1 for d in routed.values() if len(d) > 1)
    per_department = first.stdout.split("（", 1)[1].split("；其中")[0]
    counted = sum(int(n) for n in re.findall(r"(\d+)条", per_department))
    assert shared and counted == sum(len(d) for d in routed.values()) > len(early)
    assert f"其中{shared}条由两个以上部门共同承办，分别计入各部门" in first.stdout
    with ledger_of(out) as ledger:
        handed = ledger.find(status="交办")
        assert {r.id for r in handed} == set(routed)
        assert all(r.departments == routed[r.id] for r in handed)  # routed as registered
        assert {e.at[:10] for r in handed for e in ledger.events(r.id)[1:]} == {"2022-06-17"}
    again = run("assign", out, "--by", "市经信局", "--at", "2022-06-17")
    assert again.stdout.startswith("已交办0条诉求；")
    for day in ("2022-06-22", "2022-06-27"):
        assert run("assign", out, "--by", "市经信局", "--at", day).exit_code == 0
    answers = run("import", EXAMPLES / "部门办理结果.xlsx", out)
    assert answers.exit_code == 0, answers.output
    assert "已登记40条" in answers.stdout and "有问题0行" in answers.stdout  # 26 requests, each department of a 办结 or 退回
    with ledger_of(out) as ledger:
        assert [r.id for r in ledger.find(status="退回")] == ["SQ-2022-000011"]
        assert len(ledger.find(status="办结")) == 20
        assert len(ledger.find(status="登记")) == 3  # the 28 and 29 June visits
        assert ledger.verify() == []


def test_a_department_or_cadre_no_one_knows_is_said_not_listed_as_nothing(out):
    assert run("import", SHEET, out).exit_code == 0
    nobody = run("list", out, "--department", "人社局")
    assert nobody.exit_code == 1 and "没有“人社局”这个承办部门（sectors/requests.yaml 中的承办部门：" in nobody.output
    assert "市人力社保局" in nobody.output
    assert run("list", out, "--department", "市人力社保局").exit_code == 0
    stranger = run("list", out, "--cadre", "张三")
    assert stranger.exit_code == 1 and "账本中没有“张三”登记的诉求" in stranger.output
    with ledger_of(out) as ledger:
        rid = ledger.find()[0].id
    odd = run("update", rid, out, "--to", "交办", "--department", "市火星局", "--by", "市经信局", "--at", "2022-06-29")
    assert odd.exit_code == 0  # a department outside the routing may be right: said, not refused
    assert "注意：“市火星局”不是诉求类别所路由的承办部门" in odd.stderr
    again = run("update", rid, out, "--to", "交办", "--department", "市火星局", "--by", "市经信局", "--at", "2022-06-29")
    assert "注意" not in again.stderr  # the ledger knows it now


# --- as of a date: the department's sheet and the list as the requests stood that day ---------

def demo_ledger(out):
    """The ledger make demo builds: the bundled visits, handed over on 17, 22 and 27 June, the
    departments' answers (20–29 June)."""
    assert run("import", SHEET, out).exit_code == 0
    for day in ("2022-06-17", "2022-06-22", "2022-06-27"):
        assert run("assign", out, "--by", "市经信局", "--at", day).exit_code == 0
    assert run("import", EXAMPLES / "部门办理结果.xlsx", out).exit_code == 0


def sheet_rows(path) -> dict:
    rows = openpyxl.load_workbook(path)["部门办理清单"].iter_rows(min_row=2, values_only=True)
    return {r[0]: dict(zip(ANSWER_HEADER, r)) for r in rows}


def test_a_department_sheet_as_of_a_date_shows_the_requests_as_they_stood_that_day(out, tmp_path):
    """市人力社保局 holds SQ-12 (registered 20 June, handed over 22, 办结 23), SQ-15 (21, 22, 办理中
    24) and SQ-19 (23, 27, 办结 29). As of 22 June the 办结 of the 23rd is not yet there, nor SQ-19."""
    demo_ledger(out)
    early = tmp_path / "22.xlsx"
    assert run("export", out, "--department", "市人力社保局", "--out", early, "--as-of", "2022-06-22").exit_code == 0
    rows = sheet_rows(early)
    assert set(rows) == {"SQ-2022-000012", "SQ-2022-000015"}  # SQ-19 was registered on the 23rd
    for row in rows.values():
        assert row["当前状态"] == "交办" and row["承办部门"] == "市人力社保局"
        assert [row[h] for h in ("办理状态", "办理情况", "办理人", "办理日期")] == [None] * 4
    later = tmp_path / "24.xlsx"
    assert run("export", out, "--department", "市人力社保局", "--out", later, "--as-of", "2022-06-24").exit_code == 0
    rows = sheet_rows(later)
    assert set(rows) == {"SQ-2022-000012", "SQ-2022-000015", "SQ-2022-000019"}
    assert rows["SQ-2022-000019"]["当前状态"] == "登记"  # handed over on the 27th
    done, going = rows["SQ-2022-000012"], rows["SQ-2022-000015"]
    assert (done["当前状态"], done["办理状态"], done["办理日期"], done["办理人"]) == ("办结", "办结", "2022-06-23", "卫红")
    assert done["办理情况"].startswith("已安排参加6月25日区人力社保局专场招聘")
    assert (going["当前状态"], going["办理状态"], going["办理日期"]) == ("办理中", "办理中", "2022-06-24")
    # every row with an answer says its state (a 办理日期 never stands alone)
    for path in (early, later):
        assert all(r["办理状态"] for r in sheet_rows(path).values() if r["办理日期"])
    # the sheet as exported, imported back unchanged, adds nothing: the answers shown are the ledger's
    with ledger_of(out) as ledger:
        events = ledger.events()
    back = run("import", later, out)
    assert back.exit_code == 0, back.output
    assert back.stdout.startswith("市人力社保局办理结果：已登记0条，已登记过2条（未变），未填办理状态1条，有问题0行；")
    with ledger_of(out) as ledger:
        assert ledger.events() == events
    # a not-satisfied 回访 reopens SQ-12: from that day its 办结 no longer stands on the sheet
    assert run("update", "SQ-2022-000012", out, "--to", "回访", "--not-satisfied", "--by", "市经信局",
               "--at", "2022-06-30").exit_code == 0
    reopened = tmp_path / "30.xlsx"
    assert run("export", out, "--department", "市人力社保局", "--out", reopened, "--as-of", "2022-06-30").exit_code == 0
    row = sheet_rows(reopened)["SQ-2022-000012"]
    assert (row["当前状态"], row["办理状态"], row["办理日期"]) == ("办理中", None, None)
    assert sheet_rows(later)["SQ-2022-000012"]["办理状态"] == "办结"  # the 24 June sheet is what it was


def test_list_as_of_a_date_agrees_with_the_rates_of_that_date(out):
    """requests list --as-of shows each request's state and departments of that day, leaves out those
    registered later, and counts the overdue as the summary's rates do."""
    from planner.requests.rates import compute

    demo_ledger(out)
    day = dt.date(2022, 6, 22)
    listed = run("list", out, "--as-of", day.isoformat())
    assert listed.exit_code == 0, listed.output
    lines = {line.split("  ")[0]: line.split("  ") for line in listed.stdout.splitlines()}
    with ledger_of(out) as ledger:
        rates = compute(ledger, day)
        registered = [r for r in ledger.find() if r.created_at[:10] <= day.isoformat()]
    assert set(lines) == {r.id for r in registered} and len(lines) == rates.total.registered == 18
    assert lines["SQ-2022-000012"][3] == "交办"  # 办结 on the 23rd
    assert lines["SQ-2022-000011"][3:5] == ["交办", "市科技局、市经信局"]  # returned by both on the 23rd
    handled = sum(lines[r][3] in ("办结", "回访", "销号") for r in lines)
    assert handled == rates.total.handling.numerator
    late = run("list", out, "--overdue", "--as-of", day.isoformat())
    assert [line.split()[0] for line in late.stdout.splitlines()] == sorted(o.request.id for o in rates.overdue)
    assert f"其中逾期{len(rates.overdue)}条（截至2022年6月22日）" in late.stderr
    mine = run("list", out, "--department", "市人力社保局", "--as-of", "2022-06-22")
    assert [line.split()[0] for line in mine.stdout.splitlines()] == ["SQ-2022-000012", "SQ-2022-000015"]
    returned = run("list", out, "--status", "退回", "--as-of", "2022-06-22")
    assert returned.stdout == ""  # sent back on the 23rd
    assert [line.split()[0] for line in run("list", out, "--status", "退回", "--as-of", "2022-06-23").stdout
            .splitlines()] == ["SQ-2022-000011"]
    now = run("list", out)  # without --as-of: the ledger as it is
    assert len(now.stdout.splitlines()) == 30 and "SQ-2022-000012" in now.stdout
