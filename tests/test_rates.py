"""The request ledger's rates (planner.requests.rates) on a hand-made event log, worked out by hand
here, and their 诉求办理 section in planner summary (md and pdf)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
import yaml

from planner.cli import main
from planner.generate import generate
from planner.requests import Ledger
from planner.requests.rates import Ratio, compute
from planner.render import Templates

from conftest import EXAMPLES

D = dt.date
AS_OF = D(2022, 6, 30)
CUT = D(2022, 6, 15)
BEILUN, YINZHOU = "北仑区", "鄞州区"
WANG, LI = "王明", "李华"


def _ent(n: int) -> str:
    return f"9133020{n}MA2H00000{n}"


def build_log(ledger: Ledger) -> dict:
    """Ten requests, June 2022 (端午 3–5 June off). Due dates: 简单 1 working day after the visit,
    复杂 3 (sectors/requests.yaml). Returns {name: request id}."""

    def reg(n, category, urgency, visit, district, cadre, at=None, **kw):
        return ledger.register(_ent(n), f"宁波测试{n}号有限公司", category, f"诉求{n}", urgency, visit, cadre,
                               district=district, at=at or visit, **kw).id

    def step(rid, to, at, **kw):
        held = ledger.get(rid).departments
        if to == "办结" and len(held) > 1:  # a request of two departments: each answers 办结
            for department in held:
                ledger.transition(rid, to, by="市经信局", at=at, department=department, **kw)
            return
        ledger.transition(rid, to, by="市经信局", at=at, **kw)

    ids = {}
    # R1 融资 简单, visit Mon 13 Jun, due Tue 14 Jun; two departments by routing. 办结 on time,
    # satisfied 回访, 销号.
    ids["R1"] = r = reg(1, "融资", "简单", D(2022, 6, 13), BEILUN, WANG)
    step(r, "交办", D(2022, 6, 13)); step(r, "办结", D(2022, 6, 14))
    step(r, "回访", D(2022, 6, 16), satisfied=True); step(r, "销号", D(2022, 6, 17))
    # R2 用工 复杂, visit Thu 2 Jun, due Wed 8 Jun (3 Jun to 5 Jun off: 6, 7, 8). 办结 late, a
    # not-satisfied 回访 reopens it, 办结 again (later still), satisfied 回访: waits for 销号.
    ids["R2"] = r = reg(2, "用工", "复杂", D(2022, 6, 2), BEILUN, WANG)
    step(r, "交办", D(2022, 6, 6)); step(r, "办理中", D(2022, 6, 7)); step(r, "办结", D(2022, 6, 10))
    step(r, "回访", D(2022, 6, 13), satisfied=False); step(r, "办结", D(2022, 6, 20))
    step(r, "回访", D(2022, 6, 22), satisfied=True)
    # R3 物流 简单, visit 13 Jun, due 14 Jun; routed to two departments, 退回 and handed to one;
    # 办结 on the due date.
    ids["R3"] = r = reg(3, "物流", "简单", D(2022, 6, 13), YINZHOU, LI)
    step(r, "交办", D(2022, 6, 13))
    step(r, "退回", D(2022, 6, 14), note="邮政不承办运输协调", departments=["市交通运输局"])
    step(r, "办结", D(2022, 6, 14))
    # R4 供应链 复杂, visit 13 Jun: withdrawn (撤回) the next day.
    ids["R4"] = r = reg(4, "供应链", "复杂", D(2022, 6, 13), YINZHOU, LI)
    step(r, "交办", D(2022, 6, 13)); step(r, "撤回", D(2022, 6, 14), note="企业已自行解决")
    # R5 用地 复杂, visit Wed 15 Jun, due Mon 20 Jun (16, 17, 20); still 办理中 on 30 Jun, 办结 on
    # 4 Jul (after the date).
    ids["R5"] = r = reg(5, "用地", "复杂", D(2022, 6, 15), YINZHOU, WANG)
    step(r, "交办", D(2022, 6, 15)); step(r, "办理中", D(2022, 6, 16)); step(r, "办结", D(2022, 7, 4))
    # R6 政策兑现 简单, visit 15 Jun, due 16 Jun; 办结 on time, but the 回访 is not satisfied: back
    # to 办理中, and overdue.
    ids["R6"] = r = reg(6, "政策兑现", "简单", D(2022, 6, 15), BEILUN, LI)
    step(r, "交办", D(2022, 6, 15)); step(r, "办结", D(2022, 6, 16))
    step(r, "回访", D(2022, 6, 20), satisfied=False)
    # R7 技术 复杂, visit Mon 20 Jun, no district, due Thu 23 Jun; 办结 on the due date; its 回访
    # on 2 Jul is after the date.
    ids["R7"] = r = reg(7, "技术", "复杂", D(2022, 6, 20), "", WANG)
    step(r, "交办", D(2022, 6, 20)); step(r, "办结", D(2022, 6, 23))
    step(r, "回访", D(2022, 7, 2), satisfied=True)
    # R8 市场 简单, visit 20 Jun, due 21 Jun: only registered.
    ids["R8"] = reg(8, "市场", "简单", D(2022, 6, 20), BEILUN, WANG)
    # R9 账款拖欠 复杂, visit Mon 27 Jun, due Thu 30 Jun: 交办, due on the date, not overdue.
    ids["R9"] = r = reg(9, "账款拖欠", "复杂", D(2022, 6, 27), YINZHOU, LI)
    step(r, "交办", D(2022, 6, 27))
    # R10 融资, visited 29 Jun but registered on 1 Jul: not there on 30 Jun.
    ids["R10"] = reg(10, "融资", "简单", D(2022, 6, 29), BEILUN, LI, at=D(2022, 7, 1))
    return ids


@pytest.fixture
def ledger(tmp_path):
    with Ledger.open(tmp_path / "requests.db") as opened:
        build_log(opened)
        yield opened


@pytest.fixture
def target(kb):
    return kb.campaign.targets[kb.campaign.request_rate_target]


def fraction(r: Ratio) -> tuple[int, int]:
    return r.numerator, r.denominator


def row(rates, dimension, name):
    found = [f for f in rates.breakdowns[dimension] if f.name == name]
    assert len(found) == 1, (dimension, name)
    return found[0]


def test_the_campaign_target_is_the_texts_95_percent(target, kb):
    assert (target.op, target.value, target.unit) == (">=", 95, "%")
    assert target.source.quote in kb.campaign.text


def test_rates_as_of_the_date_equal_the_hand_count(ledger, target):
    rates = compute(ledger, AS_OF, target)
    t = rates.total
    # Registered by 30 Jun: R1–R9 (R10 registered 1 Jul); R4 withdrawn.
    assert (t.registered, t.withdrawn) == (9, 1)
    # Handled (办结, 回访, 销号): R1 销号, R2 回访, R3 办结, R7 办结 ÷ 9 − 1 = 8.
    assert fraction(t.handling) == (4, 8)
    # On time among those 4: R1 (14 ≤ 14 Jun), R3 (14 ≤ 14), R7 (23 ≤ 23); R2's standing 办结 is
    # 20 Jun > 8 Jun. R6's on-time 办结 was undone by its not-satisfied 回访.
    assert fraction(t.on_time) == (3, 4)
    # Follow-ups by 30 Jun: R1 satisfied, R2 not then satisfied, R6 not (R7's is on 2 Jul).
    assert fraction(t.satisfaction) == (2, 4)
    # Overdue: R5 (办理中, due 20 Jun), R6 (办理中, due 16 Jun), R8 (登记, due 21 Jun); R9 is due on
    # the date itself.
    assert t.overdue == 3
    assert [(o.request.id, o.state, o.days, o.working_days) for o in rates.overdue] == [
        # 16 → 30 Jun: 14 days; working days 17, 20–24, 27–30 = 10
        (ledger.find(enterprise_id=_ent(6))[0].id, "办理中", 14, 10),
        # 20 → 30 Jun: 10 days; 21–24, 27–30 = 8
        (ledger.find(enterprise_id=_ent(5))[0].id, "办理中", 10, 8),
        # 21 → 30 Jun: 9 days; 22–24, 27–30 = 7
        (ledger.find(enterprise_id=_ent(8))[0].id, "登记", 9, 7),
    ]
    assert t.handling.percent() == "50.0%" and t.handling.meets(target) is False
    # 95% of 8 is 7.6: 8 handled are needed, 4 more than now.
    assert t.handling.short_of(target) == 4


def test_breakdowns_equal_the_hand_count(ledger, target):
    rates = compute(ledger, AS_OF, target)
    beilun, yinzhou, unset = (row(rates, "district", n) for n in (BEILUN, YINZHOU, "（未填）"))
    # 北仑区: R1, R2, R6, R8; handled R1, R2; on time R1 (not R2); follow-ups R1 ✓, R2 ✗✓, R6 ✗;
    # overdue R6, R8.
    assert (beilun.registered, beilun.withdrawn, fraction(beilun.handling), fraction(beilun.on_time),
            fraction(beilun.satisfaction), beilun.overdue) == (4, 0, (2, 4), (1, 2), (2, 4), 2)
    # 鄞州区: R3, R4 (withdrawn), R5, R9; handled R3 (on time); no follow-ups; overdue R5.
    assert (yinzhou.registered, yinzhou.withdrawn, fraction(yinzhou.handling), fraction(yinzhou.on_time),
            fraction(yinzhou.satisfaction), yinzhou.overdue) == (4, 1, (1, 3), (1, 1), (0, 0), 1)
    # No district: R7, handled on time.
    assert (fraction(unset.handling), fraction(unset.on_time), unset.overdue) == ((1, 1), (1, 1), 0)
    # The lowest rate first: 1/3 < 2/4 < 1/1.
    assert [f.name for f in rates.breakdowns["district"]] == [YINZHOU, BEILUN, "（未填）"]

    # 市经信局 holds R4 (withdrawn), R6, R7, R8, R9 as of the date: handled R7 of 4; on time 1/1;
    # R6's follow-up not satisfied; overdue R6, R8.
    jxj = row(rates, "department", "市经信局")
    assert (jxj.registered, jxj.withdrawn, fraction(jxj.handling), fraction(jxj.on_time),
            fraction(jxj.satisfaction), jxj.overdue) == (5, 1, (1, 4), (1, 1), (0, 1), 2)
    # R3 was returned by 市邮政管理局 and handed to 市交通运输局 alone.
    assert fraction(row(rates, "department", "市交通运输局").handling) == (1, 1)
    assert "市邮政管理局" not in {f.name for f in rates.breakdowns["department"]}
    # A request handed to two departments counts for each: R1 for 市地方金融监管局 and for the
    # 人民银行; all department rows add up to 2+1+1+1+1+2+2+2+2 = 14 registrations of 9 requests.
    assert fraction(row(rates, "department", "人民银行宁波市中心支行").handling) == (1, 1)
    assert fraction(row(rates, "department", "市地方金融监管局").handling) == (1, 1)
    assert sum(f.registered for f in rates.breakdowns["department"]) == 14

    # 融资: R1 only (R10 registered after the date).
    assert (row(rates, "category", "融资").registered, fraction(row(rates, "category", "融资").handling)) == (1, (1, 1))
    assert fraction(row(rates, "category", "供应链").handling) == (0, 0)  # R4 withdrawn: nothing to handle

    wang, li = row(rates, "cadre", WANG), row(rates, "cadre", LI)
    # 王明: R1, R2, R5, R7, R8; handled R1, R2, R7; on time R1, R7; follow-ups R1 ✓, R2 ✗✓; overdue R5, R8.
    assert (wang.registered, fraction(wang.handling), fraction(wang.on_time), fraction(wang.satisfaction),
            wang.overdue) == (5, (3, 5), (2, 3), (2, 3), 2)
    # 李华: R3, R4 (withdrawn), R6, R9; handled R3 (on time); R6's follow-up ✗; overdue R6.
    assert (li.registered, li.withdrawn, fraction(li.handling), fraction(li.on_time), fraction(li.satisfaction),
            li.overdue) == (4, 1, (1, 3), (1, 1), (0, 1), 1)


def test_events_after_the_date_are_ignored(ledger, target):
    rates = compute(ledger, CUT, target)
    t = rates.total
    # By 15 Jun: R1–R6 registered (R4 withdrawn on 14 Jun). R1 办结 (its 回访 is on 16 Jun), R2
    # reopened by the 13 Jun 回访 (its second 办结 is on 20 Jun), R3 办结, R5 and R6 交办.
    assert (t.registered, t.withdrawn) == (6, 1)
    assert fraction(t.handling) == (2, 5)  # R1, R3 of R1, R2, R3, R5, R6
    assert fraction(t.on_time) == (2, 2)  # R1 and R3 on 14 Jun, both due 14 Jun
    assert fraction(t.satisfaction) == (0, 1)  # R2's not-satisfied 回访 on 13 Jun
    # Only R2 is overdue (due 8 Jun): 7 days, working days 9, 10, 13, 14, 15 = 5. R6 is due 16 Jun.
    assert [(o.state, o.days, o.working_days) for o in rates.overdue] == [("办理中", 7, 5)]
    assert t.handling.percent() == "40.0%"
    # Before anything was registered there is nothing to divide.
    empty = compute(ledger, D(2022, 6, 1), target).total
    assert (empty.registered, fraction(empty.handling)) == (0, (0, 0))
    assert empty.handling.percent() is None and empty.handling.meets(target) is None


def test_an_overdue_request_returned_as_of_the_date_is_said_to_be(tmp_path, target):
    with Ledger.open(tmp_path / "requests.db") as book:
        rid = book.register(_ent(1), "宁波测试1号有限公司", "技术", "申报专项", "简单", D(2022, 6, 1), WANG,
                            district=BEILUN, at=D(2022, 6, 1)).id
        book.transition(rid, "交办", by="市经信局", at=D(2022, 6, 2))
        book.transition(rid, "退回", by="市科技局", note="属省级专项", department="市科技局", at=D(2022, 6, 6))
        book.transition(rid, "退回", by="市经信局", note="属省级专项", department="市经信局", at=D(2022, 6, 6))
        book.transition(rid, "交办", by="市经信局", departments=["市科技局"], at=D(2022, 6, 20))
        (before,) = compute(book, D(2022, 6, 10), target).overdue
        (after,) = compute(book, AS_OF, target).overdue
    assert (before.state, before.departments, before.returned) == ("交办", (), True)
    assert (after.state, after.departments, after.returned) == ("交办", ("市科技局",), False)


def test_a_zero_denominator_is_no_rate_never_0_or_100_percent(target):
    assert Ratio(0, 0).percent() is None
    assert Ratio(0, 0).meets(target) is None
    assert Ratio(0, 0).short_of(target) == 0


def test_the_target_is_met_exactly_and_a_miss_never_reads_as_95_percent(target):
    assert (Ratio(95, 100).percent(), Ratio(95, 100).meets(target)) == ("95.0%", True)
    assert (Ratio(949, 1000).percent(), Ratio(949, 1000).meets(target)) == ("94.9%", False)
    # 94.995%: rounded to one decimal it would read 95.0%; it is printed 94.9% and is a miss.
    assert (Ratio(18999, 20000).percent(), Ratio(18999, 20000).meets(target)) == ("94.9%", False)
    assert Ratio(18999, 20000).short_of(target) == 1
    assert (Ratio(19, 20).meets(target), Ratio(18, 19).meets(target)) == (True, False)  # 95.0% / 94.7%
    assert Ratio(47, 50).short_of(target) == 1  # 47.5 needed: one more
    assert Ratio(1, 3).percent() == "33.3%" and Ratio(2, 3).percent() == "66.6%"  # rounded down
    assert Ratio(4, 4).percent() == "100.0%"


# --- planner summary ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plans(tmp_path_factory, kb):
    """The 20 sample enterprises' plans, as of 30 June 2022 (Markdown and JSON only)."""
    folder = tmp_path_factory.mktemp("plans")
    generate(EXAMPLES / "enterprises.yaml", folder / "output", kb, Templates.from_option(None), AS_OF, ("md",))
    return folder / "output"


@pytest.fixture
def plans_with_ledger(plans, tmp_path):
    folder = tmp_path / "output"
    shutil.copytree(plans, folder)
    with Ledger.open(folder / "requests.db") as opened:
        build_log(opened)
    return folder


def section(text: str) -> str:
    """The 诉求办理 section (the third, after the headline figures and the coverage)."""
    start = text.index("## 三、诉求办理")
    return text[start:text.index("\n## ", start + 1)]


def test_the_summary_has_the_section_with_numerators_and_denominators(runner, plans_with_ledger, tmp_path,
                                                                       snapshot_md):
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(plans_with_ledger), "--out", str(target)])
    assert result.exit_code == 0, result.output
    text = section(target.read_text(encoding="utf-8"))
    assert "- 诉求办理率 50.0%（办结、回访、销号4件 ÷ 登记8件；另有撤回1件，不计），未达标，还需办结4件方达到95%。" in text
    assert "- 按时办结率 75.0%（办结日期不晚于办结时限的3件 ÷ 已办结4件），按95%对照：未达标。" in text
    assert "- 回访满意率 50.0%（企业满意的回访2次 ÷ 回访4次），按95%对照：未达标。" in text
    assert "- 超期未办结 3件" in text
    assert "对照目标：“产业一链通”诉求办理率不低于95%（持续保持）。" in text
    assert "| 鄞州区 | 4（撤回1） | 33.3%（1/3） | 未达标 | 100.0%（1/1） | 无 | 1 |" in text
    assert "交办给多个部门的诉求在每个部门各计一次" in text
    assert "| 宁波测试6号有限公司 | 政策兑现 | 市经信局、市财政局 | 办理中 | 6月16日 | 10个工作日 |" in text
    # the headline figures come first, each with its numerator, denominator and the target
    head = target.read_text(encoding="utf-8").split("## 二、")[0]
    assert "| 诉求办理率 | 50.0%（4/8） | 不低于95%（持续保持） | 未达标，还需办结4件 |" in head
    assert "| 超期未办结诉求 | 3件 | — | 逐件列于下文 |" in head
    assert "诉求办理率 =（办结＋回访＋销号）÷（登记 − 撤回）" in head
    assert "数据截至2022年6月30日；企业20家（据已生成的帮扶方案）；诉求台账登记诉求9件。" in head
    assert "提示：诉求办理率50.0%（4/8），未达到95%的目标" in result.output
    assert "提示：3件诉求超期未办结，已在汇总中列出" in result.output
    assert text == snapshot_md


def test_the_section_follows_the_as_of_date(runner, plans_with_ledger, tmp_path):
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(plans_with_ledger), "--out", str(target), "--as-of", "2022-06-15"])
    assert result.exit_code == 0, result.output
    text = section(target.read_text(encoding="utf-8"))
    assert "诉求办理率 40.0%（办结、回访、销号2件 ÷ 登记5件；另有撤回1件，不计）" in text
    assert "回访满意率 0.0%（企业满意的回访0次 ÷ 回访1次）" in text


def test_without_a_ledger_there_is_no_section(runner, plans, tmp_path):
    target = tmp_path / "汇总.md"
    assert not (plans / "requests.db").exists()
    result = runner.invoke(main, ["summary", str(plans), "--out", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "、诉求办理\n" not in text and "诉求办理率" not in text and "诉求台账" not in text
    assert "诉求办理率" not in result.output
    assert "## 三、名单与方案核对" in text  # the sections are numbered without a gap
    assert not (plans / "requests.db").exists()  # a summary never creates a ledger


def test_db_gives_the_ledger_of_a_list(runner, tmp_path):
    with Ledger.open(tmp_path / "elsewhere.db") as opened:
        build_log(opened)
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(EXAMPLES / "enterprises.yaml"), "--out", str(target),
                                  "--as-of", AS_OF.isoformat(), "--db", str(tmp_path / "elsewhere.db")])
    assert result.exit_code == 0, result.output
    text = section(target.read_text(encoding="utf-8"))
    assert text.startswith("## 三、诉求办理\n\n按诉求台账统计") and "elsewhere.db" not in text
    assert "（办结、回访、销号4件 ÷ 登记8件；另有撤回1件，不计）" in text


def test_an_empty_ledger_says_there_is_nothing_yet(runner, plans, tmp_path):
    Ledger.open(tmp_path / "empty.db").close()
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(plans), "--out", str(target), "--db", str(tmp_path / "empty.db")])
    assert result.exit_code == 0, result.output
    text = section(target.read_text(encoding="utf-8"))
    assert "- 诉求办理率 无（尚无登记诉求）。" in text
    assert "- 按时办结率 无（尚无办结诉求）。" in text
    assert "- 回访满意率 无（尚无回访）。" in text
    assert "0%" not in text and "100%" not in text
    assert "### 按" not in text and "各表不列" not in text  # no empty tables, and nothing said of them


def test_all_withdrawn_is_said(runner, plans, tmp_path):
    with Ledger.open(tmp_path / "w.db") as opened:
        r = opened.register(_ent(1), "宁波测试1号有限公司", "融资", "诉求", "简单", D(2022, 6, 13), WANG,
                            at=D(2022, 6, 13))
        opened.transition(r.id, "撤回", by=WANG, note="登记错误", at=D(2022, 6, 14))
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(plans), "--out", str(target), "--db", str(tmp_path / "w.db")])
    assert result.exit_code == 0, result.output
    assert "- 诉求办理率 无（登记的1件均已撤回）。" in section(target.read_text(encoding="utf-8"))


def test_a_missing_db_is_an_error_not_a_new_ledger(runner, plans, tmp_path):
    result = runner.invoke(main, ["summary", str(plans), "--out", str(tmp_path / "s.md"),
                                  "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert result.output == f"错误：{tmp_path / 'none.db'}：文件不存在（--db 须为已有的诉求账本）\n"
    assert not (tmp_path / "none.db").exists()


def test_an_unknown_request_rate_target_is_reported(runner, sectors_copy):
    path = sectors_copy / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("request_rate_target: chain_request_rate",
                                                             "request_rate_target: chain_rate"), encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", str(sectors_copy)])
    assert result.exit_code == 1
    assert "request_rate_target: 未知的目标“chain_rate”" in result.output


def test_without_a_target_the_rates_are_shown_unjudged(runner, plans_with_ledger, sectors_copy, tmp_path):
    path = sectors_copy / "campaign.yaml"
    data = path.read_text(encoding="utf-8")
    path.write_text("\n".join(l for l in data.splitlines() if not l.startswith("request_rate_target:")) + "\n",
                    encoding="utf-8")
    assert yaml.safe_load(path.read_text(encoding="utf-8")).get("request_rate_target") is None
    target = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(plans_with_ledger), "--out", str(target),
                                  "--sectors", str(sectors_copy)])
    assert result.exit_code == 0, result.output
    text = section(target.read_text(encoding="utf-8"))
    assert "- 诉求办理率 50.0%（办结、回访、销号4件 ÷ 登记8件；另有撤回1件，不计）。" in text
    assert "达标" not in text and "未达到" not in result.output
    assert "本次行动未设诉求办理率目标，下列比率未对照目标。" in text and "campaign.yaml" not in text
    assert "提示：sectors/campaign.yaml 未设 request_rate_target，汇总中的诉求办理率未对照目标" in result.output
    assert "| 鄞州区 | 4（撤回1） | 33.3%（1/3） | 100.0%（1/1） | 无 | 1 |" in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_the_pdf_has_the_section_and_its_chart(runner, plans_with_ledger, tmp_path):
    target = tmp_path / "汇总.pdf"
    result = runner.invoke(main, ["summary", str(plans_with_ledger), "--out", str(target)])
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "三、诉求办理" in flat
    assert "诉求办理率50.0%（办结、回访、销号4件÷登记8件；另有撤回1件，不计）" in flat
    assert "图1各区县（市）诉求办理率" in flat  # the first chart the summary puts (section 三)
    assert "33.3%（1/3）" in flat  # 鄞州区's bar label


def test_a_co_held_request_counts_as_done_only_when_every_department_has_answered(tmp_path, target):
    """Two departments (技术: 市科技局, 市经信局), 复杂, due 7 Jun: 市科技局 answers 办结 on 2 Jun,
    市经信局 on 9 Jun. As of 7 Jun it is 办理中 (not handled, due that day); as of 8 Jun overdue; as
    of 9 Jun handled, late (its 办结 is the second answer's date)."""
    with Ledger.open(tmp_path / "requests.db") as book:
        rid = book.register(_ent(1), "宁波测试1号有限公司", "技术", "申报专项", "复杂", D(2022, 6, 1), WANG,
                            district=BEILUN, at=D(2022, 6, 1)).id
        assert book.get(rid).due_date == D(2022, 6, 7)  # 2, 6, 7 June: 端午 3–5 June off
        book.transition(rid, "交办", by="市经信局", at=D(2022, 6, 1))
        book.transition(rid, "办结", by="张三", department="市科技局", at=D(2022, 6, 2))
        book.transition(rid, "办结", by="李四", department="市经信局", at=D(2022, 6, 9))
        half, late, done = (compute(book, day, target) for day in (D(2022, 6, 7), D(2022, 6, 8), D(2022, 6, 9)))
    assert fraction(half.total.handling) == (0, 1) and half.total.overdue == 0
    # neither department's row counts it handled before both have answered
    assert fraction(row(half, "department", "市科技局").handling) == (0, 1)
    assert fraction(late.total.handling) == (0, 1)
    assert [(o.state, o.days, o.working_days) for o in late.overdue] == [("办理中", 1, 1)]
    assert fraction(done.total.handling) == (1, 1) and fraction(done.total.on_time) == (0, 1)
    assert done.overdue == []


def test_an_overdue_co_held_request_is_said_as_the_request_lists_say_it(runner, plans, tmp_path, target):
    """The summary's overdue table names a co-held request's state in the lists' words (shown_state):
    办理中（1/2 部门已办结：市科技局）, its departments as they are."""
    folder = tmp_path / "output"
    shutil.copytree(plans, folder)
    with Ledger.open(folder / "requests.db") as book:
        rid = book.register(_ent(1), "宁波测试1号有限公司", "技术", "申报专项", "复杂", D(2022, 6, 1), WANG,
                            district=BEILUN, at=D(2022, 6, 1)).id
        book.transition(rid, "交办", by="市经信局", at=D(2022, 6, 1))
        book.transition(rid, "办结", by="张三", department="市科技局", at=D(2022, 6, 2))
        listed = book.find(as_of=D(2022, 6, 8))[0].shown_state
    assert listed == "办理中（1/2 部门已办结：市科技局）"
    out = tmp_path / "汇总.md"
    result = runner.invoke(main, ["summary", str(folder), "--out", str(out), "--as-of", "2022-06-08"])
    assert result.exit_code == 0, result.output
    text = section(out.read_text(encoding="utf-8"))
    assert f"| 宁波测试1号有限公司 | 技术 | 市科技局、市经信局 | {listed} | 6月7日 | 1个工作日 |" in text
    assert "| :--- | :--- | --- | --- | :--- | ---: |" in text  # the long state may wrap
