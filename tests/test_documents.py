"""What a reader sees in a plan, a brief and a summary: the enterprise's own local unit in each
measure's lead, dates as Chinese documents write them, no city KPIs in a plan, 经营 wording for a
shop or restaurant; on purpose-made records."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from planner import uscc
from planner.dates import cn_date_text, cn_period
from planner.generate import Renderer
from planner.matching import match
from planner.records import Record
from planner.render import Templates
from planner.summary import summarize
from planner.view import brief_context, lead_text, local_unit, plan_context

from conftest import AS_OF

GENERIC = "各区县（市）政府"
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def factory(**facts) -> dict:
    """A medium automotive manufacturer, stopped, key enterprise: every citywide measure with a local
    government in its lead (policy delivery, key-enterprise assistance, cadre service) reaches it."""
    return {"id": uscc.make("91330282", "LC000001"), "name": "宁波属地测试汽车部件有限公司", "sector": "automotive",
            "industry_code": "C3670", "district": "cixi", "entity_type": "enterprise", "employees": 400,
            "revenue": 20000, "assets": 18000, "production_status": "stopped", "key_enterprise": True,
            "difficulties": ["chip_shortage", "costs"], **facts}


def restaurant(**facts) -> dict:
    return {"id": uscc.make("92330203", "LC000002"), "name": "海曙区属地测试餐馆", "industry_code": "H6210",
            "district": "haishu", "entity_type": "individual_business", "size": "micro", "employees": 6,
            "revenue": 180, "production_status": "reduced", "key_enterprise": False, **facts}


def plan_of(kb, facts, as_of=AS_OF):
    return match(Record(dict(facts), "test"), kb, as_of)


def rendered(kb, plan):
    return Renderer(kb, Templates.from_option(None)).render(plan)


def generic_measures(plan):
    return [m for m in plan.measures if GENERIC in m.lead]


# --- locality ------------------------------------------------------------------------------


def test_an_enterprise_in_a_zone_sees_its_zone_committee_in_every_lead(kb):
    plan = plan_of(kb, factory(zone="qianwan"))
    assert local_unit(plan, kb).unit == "宁波前湾新区管理委员会"
    assert generic_measures(plan), "the test needs a measure whose lead names the local government"
    out = rendered(kb, plan)
    for m in plan_context(plan, kb)["measures"]:
        assert m["lead"].endswith("宁波前湾新区管理委员会"), m["lead"]
        assert GENERIC not in m["lead"] and "慈溪市经济和信息化局" not in m["lead"]
    assert GENERIC not in out.plan_md and GENERIC not in out.brief_md
    assert "| 所在区县 | 慈溪市·前湾新区 |" in out.brief_md  # the brief's measure lines give benefits, not leads
    assert "属地服务：宁波前湾新区管理委员会（联系方式：前湾新区管委会企业服务部门；12345政务服务便民热线）" \
        in out.plan_md


def test_an_enterprise_without_a_zone_sees_its_district_bureau_and_government(kb):
    plan = plan_of(kb, factory())
    context = plan_context(plan, kb)
    by_id = {m["id"]: m for m in context["measures"] + context["universal"]}
    for m in plan.measures:
        lead = by_id[m.id]["lead"]
        assert lead.endswith("慈溪市经济和信息化局"), lead
        assert lead.startswith(m.lead[0] if m.lead[0] != GENERIC else "慈溪市人民政府")
    for m in generic_measures(plan):
        assert "慈溪市人民政府" in by_id[m.id]["lead"] and GENERIC not in by_id[m.id]["lead"]
    brief = brief_context(plan, kb)
    assert all(m["lead"].endswith("慈溪市经济和信息化局") for m in brief["measures"])
    assert "属地服务：慈溪市经济和信息化局（联系方式：慈溪市经信局企业服务科；12345政务服务便民热线）" \
        in rendered(kb, plan).plan_md


def test_each_lead_names_a_unit_once(kb):
    plan = plan_of(kb, factory(zone="qianwan"))
    assert lead_text(["市经信局", GENERIC, "市经信局"], plan, kb) == "市经信局、宁波前湾新区管理委员会"
    assert lead_text(["市税务局"], plan_of(kb, factory()), kb) == "市税务局、慈溪市经济和信息化局"


def test_an_enterprise_of_unknown_district_keeps_the_generic_units(kb):
    facts = factory()
    del facts["district"]
    plan = plan_of(kb, facts)
    assert local_unit(plan, kb) == kb.localities["generic"]
    leads = [m["lead"] for m in plan_context(plan, kb)["measures"]]
    assert all(lead.endswith("所在区县（市）经信局") for lead in leads)
    assert any(GENERIC in lead for lead in leads)


def test_every_district_and_zone_has_its_unit(kb):
    assert set(kb.localities["districts"]) == set(kb.vocabularies["districts"].entries)
    assert set(kb.localities["zones"]) == set(kb.vocabularies["zones"].entries)
    assert kb.localities["districts"]["cixi"].government == "慈溪市人民政府"
    numbers = re.compile(r"\d{5,}|\d{3,4}-\d{7,8}")  # only the 12345 hotline, never an invented number
    for group in ("districts", "zones"):
        for loc in kb.localities[group].values():
            assert "12345政务服务便民热线" in loc.contact
            assert not numbers.search(loc.contact.replace("12345", ""))


def test_check_names_a_missing_district_and_an_unknown_zone(runner, sectors_copy):
    from planner.cli import main

    path = sectors_copy / "localities.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  cixi:\n", "  cixi_old:\n").replace("  meishan:\n", "  meishan2:\n"),
                    encoding="utf-8")
    lines = text.splitlines()
    cixi = lines.index("  cixi:") + 1
    meishan = lines.index("  meishan:") + 1
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    out = result.output
    assert f"sectors/localities.yaml:{cixi}: districts.cixi_old: 未知的区县（市）“cixi_old”（vocabulary.yaml 的 districts 中没有）" in out
    assert "districts: 缺少区县（市）“cixi”（慈溪市）的属地单位" in out
    assert f"sectors/localities.yaml:{meishan}: zones.meishan2: 未知的功能区“meishan2”" in out
    assert "zones: 缺少功能区“meishan”（梅山）的属地单位" in out


def test_check_requires_the_localities_file(runner, sectors_copy):
    from planner.cli import main

    (sectors_copy / "localities.yaml").unlink()
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1 and "sectors/localities.yaml:1: （整个文件）: 缺少这个文件" in result.output


# --- dates ---------------------------------------------------------------------------------


def test_a_plan_and_a_brief_write_dates_as_chinese_documents_do(kb):
    plan = plan_of(kb, factory(), dt.date(2022, 6, 15))
    out = rendered(kb, plan)
    assert "基准日 2022年6月15日" in out.plan_md and "| 基准日 | 2022年6月15日 |" in out.brief_md
    for text in (out.plan_md, out.brief_md):
        assert "2022-06-15" not in text
    assert "除注明外，实施期限为2022年6月1日至12月31日。" in out.plan_md  # said once, in 三
    assert "**实施期限**：2022年6月1日起长期有效" in out.plan_md  # a measure that differs says its own
    assert re.search(r"\| 2022年6月30日 \| [^|]*停产减产重点企业帮扶率（上半年）", out.plan_md)
    assert "2022年6月30日 停产减产重点企业帮扶率（上半年）" in out.plan_md  # a measure's deadline
    context = plan_context(plan, kb)
    assert not [e for e in context["timeline"] if ISO.search(e["date"])]
    assert not [d for m in context["measures"] for d in m["deadlines"] if ISO.search(d)]
    assert not [m for m in context["measures"] + context["universal"] if ISO.search(m["period"])]
    assert plan.to_json()["as_of"] == "2022-06-15"  # plan.json keeps ISO
    assert all(ISO.fullmatch(e["date"]) for e in plan.to_json()["timeline"])


def test_an_open_ended_measure_reads_long_term(kb):
    plan = plan_of(kb, factory())
    context = plan_context(plan, kb)
    periods = [m["period"] for m in context["measures"] + context["universal"]]
    open_ended = [m for m in plan.measures if m.period["end"] is None]
    assert open_ended
    assert cn_period("2022-04-01", None) == "2022年4月1日起长期有效"
    assert sum(p.endswith("起长期有效") for p in periods) == len(open_ended)


def test_an_expired_measure_says_when_in_chinese(kb):
    plan = plan_of(kb, factory(), dt.date(2023, 1, 5))
    assert plan.expired
    md = rendered(kb, plan).plan_md
    assert "基准日 2023年1月5日" in md
    for m in plan.expired:
        assert f"{m['title']}（已于{cn_date_text(m['ended'])}到期）" in md
    assert "已于2022年12月31日到期" in md
    rows = [line for line in md.splitlines() if "已于" in line and "到期" in line]
    assert rows and not [r for r in rows if ISO.search(r)]


def test_the_summary_writes_its_dates_in_chinese(kb):
    items = [plan_of(kb, factory()).to_json()]
    context = summarize(items, kb, AS_OF, {"mode": "list", "list": "名单.yaml"})
    text = Templates.from_option(None).markdown("summary", {**context, "generator": "planner", "chart": None})
    assert "数据截至2022年6月15日" in text and "2022-06-15" not in text
    assert context["deadlines"] and "| 2022年6月30日 | " in text
    assert not ISO.search(text.split("天到期事项\n")[1].split("\n## ")[0])  # the coming deadlines
    assert context["as_of"] == "2022-06-15"  # the commands read it back


def test_the_date_filter_keeps_what_is_not_a_date():
    assert cn_date_text("2022-06-15") == "2022年6月15日"
    assert cn_date_text("未知") == "未知" and cn_date_text(None) == ""


# --- targets, KPIs, 经营 --------------------------------------------------------------------


def test_a_target_of_all_reads_reach_100_percent(kb):
    targets = kb.campaign.targets
    assert targets["key_enterprise_assistance"].statement() == "停产减产重点企业帮扶率达到100%（上半年）"
    others = [t for t in targets.values() if t.op == ">=" and not (t.value == 100 and t.unit == "%")]
    assert others and all("不低于" in t.statement() for t in others)


def test_no_plan_holds_a_city_kpi(kb):
    for facts in (factory(), factory(zone="qianwan"), restaurant()):
        out = rendered(kb, plan_of(kb, facts))
        for kpi in ("快递业务量", "公路货物周转量", "规上工业增加值增幅", "服务的全市目标"):
            assert kpi not in out.plan_md, kpi


def test_a_restaurant_brief_and_plan_say_business_status(kb):
    plan = plan_of(kb, restaurant())
    assert kb.works_as(plan.enterprise) == "business"
    out = rendered(kb, plan)
    assert "| 经营状态 | 部分停业 |" in out.brief_md and "生产状态" not in out.brief_md
    assert "| 经营状态 | 部分停业 |" in out.plan_md and "| 生产状态 |" not in out.plan_md


@pytest.mark.parametrize("status, shown", [("normal", "正常"), ("reduced", "减产"), ("stopped", "停产")])
def test_a_manufacturer_says_production_status(kb, status, shown):
    out = rendered(kb, plan_of(kb, factory(production_status=status)))
    assert f"| 生产状态 | {shown} |" in out.brief_md and f"| 生产状态 | {shown} |" in out.plan_md
    assert "经营状态" not in out.brief_md


def test_business_labels_are_accepted_spellings(kb):
    vocab = kb.vocabularies["production_statuses"]
    assert [vocab.resolve(t) for t in ("正常经营", "部分停业", "停业")] == ["normal", "reduced", "stopped"]
    assert vocab.entries["stopped"].business_label == "停业"


def test_a_derived_fact_shows_its_basis_plainly(kb):
    facts = factory()
    md = rendered(kb, plan_of(kb, facts)).plan_md
    assert "推算：" not in md
    assert "| 行业门类 | 制造业（按行业代码C3670） |" in md


def test_a_brief_counts_a_measure_whose_lead_wraps_as_two_lines(kb):
    from planner.view import BriefLimits, line_count, measure_line

    debt = {"debtor": "某区住建局", "debtor_type": "government", "amount": 120, "disputed": False,
            "in_litigation": False}
    plan = plan_of(kb, factory(zone="dongqianhu", difficulties=["receivables_overdue", "logistics", "costs"],
                               receivables=[debt]), as_of=dt.date(2022, 12, 10))  # warnings lengthen the lines
    brief = brief_context(plan, kb)
    lines = [line_count(measure_line(m)) for m in brief["measures"]]
    assert 2 in lines, "the test needs a measure line that wraps"
    used = (len(brief["difficulties"]) + sum(lines) + sum(line_count(q) for q in brief["questions"])
            + sum(line_count(c) for c in brief["checklist"]) + (2 if brief["checklist"] else 0))
    assert used <= BriefLimits().lines  # what was cut is counted in the headings, at no cost
