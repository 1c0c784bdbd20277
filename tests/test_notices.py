"""Issue 11: the plan must follow the notices. One test per defect, each on a purpose-made record
named in its `name`, that the old rules (commit 5418c43) got wrong."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re

import pytest

from planner import uscc
from planner.cli import main
from planner.generate import Renderer
from planner.matching import match
from planner.records import Record
from planner.render import Templates
from planner.view import brief_context

from conftest import AS_OF

_SERIAL = itertools.count(1)


def rec(name: str, individual: bool = False, **facts) -> Record:
    """A synthetic record with a valid credit code (92… for an individual business)."""
    prefix = "92330206" if individual else "91330206"
    code = uscc.make(prefix, f"NT{next(_SERIAL):06d}")
    return Record(dict({"id": code, "name": name, **facts}), "test")


def decide(record: Record, kb, as_of: dt.date = AS_OF):
    return match(record, kb, as_of)


def measures(plan) -> dict:
    return {m.id: m for m in plan.measures}


def unmatched(plan) -> dict:
    return {m["id"]: m for m in plan.not_matched}


def all_questions(plan) -> list[str]:
    """Every question a plan asks: the visit questions and each measure's own."""
    return [q.text for q in plan.questions] + [q for m in plan.measures for q in m.questions]


REFUND_OK = dict(vat_taxpayer_type="general", vat_credit_balance=True, tax_credit_rating="A")
REFUND = "citywide_vat_refund"
DEFERRAL = "citywide_social_insurance_deferral"


# --- 1. VAT credit refund -------------------------------------------------------------------------

def test_internet_platform_is_not_in_the_six_industries_but_software_is(kb):
    common = dict(revenue=30000, employees=200, assets=30000, **REFUND_OK)
    platform = decide(rec("互联网平台（I6420，中型）", industry_code="I6420", **common), kb)
    assert REFUND not in measures(platform)
    six = next(r for r in unmatched(platform)[REFUND]["reasons"] if r.startswith("制造业等六个行业"))
    assert "不符合" in six
    software = decide(rec("软件企业（I6510，中型）", industry_code="I6510", **common), kb)
    assert measures(software)[REFUND].branch["id"] == "six_industries"


def test_ecological_firm_fits_six_industries_by_name(kb):
    plan = decide(rec("生态保护企业（N7721，大型）", industry_code="N7721", revenue=100000, employees=2000,
                      assets=100000, **REFUND_OK), kb)
    refund = measures(plan)[REFUND]
    assert refund.branch["id"] == "six_industries"
    assert any("生态保护和环境治理业" in r for r in refund.reasons)


def test_small_wholesaler_by_headcount_is_medium_for_the_refund(kb):
    def wholesaler():
        return rec("4人批发商（F5191，营收20000万元）", industry_code="F5191", employees=4, revenue=20000,
                   **REFUND_OK)

    record = wholesaler()
    june = decide(record, kb, dt.date(2022, 6, 15))
    assert record.facts["vat_refund_size"] == "medium"
    refund = measures(june)[REFUND]
    assert refund.status == "upcoming" and refund.branch["id"] == "seven_industries"
    assert any("2022年7月1日起" in r for r in refund.reasons)
    july = decide(wholesaler(), kb, dt.date(2022, 7, 5))
    assert measures(july)[REFUND].status == "applies"


def test_small_scale_taxpayer_gets_no_refund_and_no_refund_questions(kb):
    plan = decide(rec("小规模纳税人餐馆（H6210，120万元）", individual=True, industry_code="H6210",
                      revenue=120, vat_taxpayer_type="small_scale"), kb)
    assert REFUND in unmatched(plan)
    assert not [q for q in all_questions(plan) if "骗取" in q or "即征即退" in q]


def test_micro_restaurant_has_one_refund_measure_already_in_force(kb):
    plan = decide(rec("微型餐馆（一般纳税人，B级，8人，150万元）", industry_code="H6210", employees=8,
                      revenue=150, vat_taxpayer_type="general", vat_credit_balance=True,
                      tax_credit_rating="B"), kb, dt.date(2022, 6, 15))
    refunds = [m for m in plan.measures if m.id == REFUND or "留抵退税" in m.title]
    assert len(refunds) == 1
    assert refunds[0].status == "applies" and refunds[0].branch["id"] == "small_micro"
    assert not [e for e in plan.timeline() if e["measure"] == REFUND and "开始实施" in e["text"]]


# --- 2. Social-insurance deferral -----------------------------------------------------------------

def test_trader_without_difficulty_is_not_deferred_nor_asked_about_hardship_industry(kb):
    plan = decide(rec("批发商（F5191，无暂时困难）", industry_code="F5191", size="small",
                      temporary_difficulty=False, in_affected_area=False), kb)
    assert DEFERRAL in unmatched(plan)
    assert not [q for q in all_questions(plan) if "困难行业" in q]


@pytest.mark.parametrize("code", ["C3421", "C1810"])
def test_hardship_industry_applies_without_asking_for_the_industry(kb, code):
    plan = decide(rec(f"困难行业企业（{code}，暂时困难）", industry_code=code, size="small",
                      temporary_difficulty=True), kb)
    deferral = measures(plan)[DEFERRAL]
    assert deferral.status == "applies" and deferral.branch["id"] == "hardship_industry"
    assert not [q for q in all_questions(plan) if "困难行业" in q]


def test_owner_only_individual_business_has_no_hired_staff(kb):
    record = rec("个人独资餐馆（仅经营者1人，单位参保）", individual=True, industry_code="H6210", employees=1,
                 insured_as_unit=True, temporary_difficulty=True, in_affected_area=False)
    plan = decide(record, kb)
    assert record.facts["hired_employees"] == 0
    assert DEFERRAL in unmatched(plan)
    hardship = next(r for r in unmatched(plan)[DEFERRAL]["reasons"] if r.startswith("困难行业"))
    assert "雇工人数" in hardship


def test_self_insured_individual_business_gets_the_pension_branch(kb):
    plan = decide(rec("个人参保的理发店（O8010）", individual=True, industry_code="O8010", employees=3,
                      insured_as_unit=False, temporary_difficulty=True), kb)
    deferral = measures(plan)[DEFERRAL]
    assert deferral.status == "applies" and deferral.branch["id"] == "self_insured_pension"


def test_insured_as_unit_is_asked_of_individual_businesses_only(kb, sample_records):
    asked = kb.field_question("insured_as_unit", {})
    shop = decide(rec("参保方式未知的个体餐馆（H6210，5人）", individual=True, industry_code="H6210",
                      employees=5, temporary_difficulty=True, in_affected_area=False), kb)
    assert asked in [q.text for q in shop.questions]
    firm = decide(rec("参保方式未填的企业（C3421）", industry_code="C3421", size="small",
                      temporary_difficulty=True), kb)
    assert asked not in all_questions(firm)
    for record in sample_records:
        if record.facts.get("entity_type") == "enterprise":
            assert asked not in all_questions(decide(copy.deepcopy(record), kb)), record.name


def test_only_one_deferral_measure_is_ever_decided(kb, sample_records):
    for record in [copy.deepcopy(r) for r in sample_records] + [
            rec("困难行业企业（C3421）", industry_code="C3421", size="small", temporary_difficulty=True,
                in_affected_area=True)]:
        plan = decide(record, kb)
        decided = [m.title for m in plan.measures] + [m["title"] for m in plan.not_matched + plan.expired]
        assert len([t for t in decided if "缓缴社会保险" in t or "社保费缓缴" in t]) == 1, record.name


# --- 3. 小升规 ------------------------------------------------------------------------------------

def test_individual_business_goes_through_individual_to_enterprise(kb):
    plan = decide(rec("个体服装加工户（C1819，95万元）", individual=True, industry_code="C1819", revenue=95), kb)
    assert "citywide_small_to_above_scale" in unmatched(plan)
    assert measures(plan)["citywide_individual_to_enterprise"].status == "applies"


def test_small_workshop_is_not_near_above_scale_and_the_setting_is_shown(kb):
    plan = decide(rec("小作坊企业（C3525，150万元）", industry_code="C3525", revenue=150), kb)
    reasons = "；".join(unmatched(plan)["citywide_small_to_above_scale"]["reasons"])
    assert "1000万元" in reasons and "本局设定" in reasons
    near = decide(rec("接近规上企业（C3525，1500万元）", industry_code="C3525", revenue=1500), kb)
    assert "citywide_small_to_above_scale" in measures(near)


# --- 4. Arrears -----------------------------------------------------------------------------------

def test_disputed_and_litigated_receivables_are_handled_apart(kb):
    plan = decide(rec("被事业单位拖欠的中型企业", industry_code="C3421", size="medium", receivables=[
        {"debtor": "某事业单位", "debtor_type": "public_institution", "amount": 80, "disputed": True,
         "in_litigation": False},
        {"debtor": "某大型企业", "debtor_type": "large_enterprise", "amount": 50, "in_litigation": True},
    ]), kb)
    arrears = measures(plan)["citywide_arrears_clearance"]
    disputed, litigated = [i["text"] for i in arrears.items]
    assert "协商、调解" in disputed and "不计入无分歧" in disputed
    assert "司法程序" in litigated
    assert any("《保障中小企业款项支付条例》" in n for n in arrears.notes)


# --- 5. Relevance ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["F5211", "H6210", "F5191"])
def test_champion_cultivation_is_for_manufacturers_only(kb, code):
    plan = decide(rec(f"大型非制造业企业（{code}）", industry_code=code, size="large"), kb)
    assert "citywide_champion_cultivation" not in measures(plan)


def test_micro_apparel_workshop_gets_no_merger_or_listing(kb):
    plan = decide(rec("微型服装作坊（C1810）", industry_code="C1810", size="micro", listing_plan=True), kb)
    assert not {"apparel_merger_restructuring", "citywide_listing_cultivation"} & set(measures(plan))


def test_restaurant_gets_no_chip_or_parts_matchmaking(kb):
    plan = decide(rec("缺芯缺部件的餐馆（H6210）", industry_code="H6210", size="small",
                      difficulties=["chip_shortage", "parts_shortage", "financing", "technology"]), kb)
    assert "citywide_chain_matchmaking" not in measures(plan)
    assert not [a for m in plan.measures for a in m.activities if "芯机" in a or "整零" in a]


def test_city_freight_and_express_targets_are_no_enterprise_deadline(kb, sample_records):
    city = re.compile("快递业务量|公路货物周转量")
    for record in sample_records:
        plan = decide(copy.deepcopy(record), kb)
        titles = [kb.campaign.targets[t["id"]].title + t["statement"] for t in plan.targets]
        titles += [d["title"] for m in plan.measures for d in m.deadlines]
        titles += [e["text"] for e in plan.timeline()]
        assert not [t for t in titles if city.search(t)], record.name


def test_hair_salon_gets_no_digital_or_logistics_measure(kb):
    plan = decide(rec("理发店（O8010，物流、技术困难）", individual=True, industry_code="O8010",
                      difficulties=["logistics", "technology"]), kb)
    assert not {"citywide_digital_transformation", "citywide_logistics"} & set(measures(plan))


# --- 6. Details -----------------------------------------------------------------------------------

def test_utility_no_cutoff_names_six_months_and_late_fees(kb):
    plan = decide(rec("欠缴水电费的小型企业", industry_code="C3421", size="small", temporary_difficulty=True,
                      utility_arrears=True), kb)
    notes = "".join(measures(plan)["citywide_utility_no_cutoff"].notes)
    assert "6个月" in notes and "滞纳金" in notes


def test_rent_relief_shows_three_and_six_months_and_checks_the_risk_area(kb):
    plan = decide(rec("承租国有房屋的小型餐饮企业（H6210）", industry_code="H6210", size="small",
                      rents_premises=True, landlord_type="state"), kb)
    rent = measures(plan)["citywide_rent_relief"]
    assert {b["id"] for b in rent.confirm_branches} == {"state_risk_area", "state_other"}
    notes = {b["id"]: " ".join(b["notes"]) for b in rent.confirm_branches}
    assert "6个月" in notes["state_risk_area"] and "3个月" in notes["state_other"]
    md = Renderer(kb, Templates.from_option(None)).render(plan).plan_md
    section = md[md.index("房租减免（待核实）"):]
    section = section[:section.index("\n### ")]
    assert "减免6个月租金" in section and "减免3个月租金" in section
    assert "in_risk_area" in [c["field"] for c in plan.checklist]
    assert not [q for q in plan.questions if "in_risk_area" in q.fields]


# --- 7. Questions ---------------------------------------------------------------------------------

def _bureau_questions(kb, facts) -> set[str]:
    return {kb.field_question(f, facts) for f, spec in kb.fields.items() if spec.bureau_check}


def test_bureau_held_facts_are_checked_not_asked(kb, sample_records):
    records = [copy.deepcopy(r) for r in sample_records] + [
        rec("行业、区域均未知的企业"),
        rec("重点名单未知的减产企业（C3421）", industry_code="C3421", production_status="reduced"),
    ]
    for record in records:
        plan = decide(record, kb)
        assert not _bureau_questions(kb, plan.enterprise) & set(all_questions(plan)), record.name
        deferred = {k for s in kb.situations if s.id in {x["id"] for x in plan.situations} for k in s.defer}
        held = {f for m in plan.measures if m.kind not in deferred for f in m.missing if kb.fields[f].bureau_check}
        assert held <= {c["field"] for c in plan.checklist}, record.name


def test_stopped_key_enterprise_is_first_asked_why_and_until_when(kb):
    plan = decide(rec("停产的重点企业（C3421）", industry_code="C3421", key_enterprise=True,
                      production_status="stopped"), kb)
    assert [q.fields for q in plan.questions[:2]] == [["stoppage_reason"], ["resume_expected"]]
    told = decide(rec("已说明停产原因和复产时间的重点企业（C3421）", industry_code="C3421", key_enterprise=True,
                      production_status="stopped", stoppage_reason="缺芯", resume_expected="7月中旬"), kb)
    asked = {f for q in told.questions for f in q.fields}
    assert not {"stoppage_reason", "resume_expected"} & asked


def test_stopped_enterprise_is_not_asked_development_facts(kb):
    plan = decide(rec("停产的小规模纳税人企业（C3421）", industry_code="C3421", size="small",
                      key_enterprise=True, production_status="stopped", vat_taxpayer_type="small_scale"), kb)
    texts = [q.text for q in plan.questions]
    assert not [t for t in texts if "荣誉" in t or "纳税信用" in t or "研发" in t]


def test_restaurant_is_asked_about_business_not_production(kb):
    plan = decide(rec("生产状态未知的重点餐馆（H6210）", industry_code="H6210", key_enterprise=True), kb)
    status = next(q.text for q in plan.questions if "production_status" in q.fields)
    assert "经营" in status and "生产" not in status


# --- 8. The brief never asks what is known ----------------------------------------------------------

def _field_wordings(spec) -> list[str]:
    q = spec.question
    return list(q.values()) if isinstance(q, dict) else ([q] if q else [])


def test_no_brief_question_asks_a_known_or_bureau_held_fact(kb, sample_records):
    for record in sample_records:
        plan = decide(copy.deepcopy(record), kb)
        for text in brief_context(plan, kb)["questions"]:
            for fid, spec in kb.fields.items():
                if text in _field_wordings(spec):
                    assert plan.enterprise.get(fid) is None, (record.name, text, fid)
                    assert not spec.bureau_check, (record.name, text, fid)


# --- 9. planner check -------------------------------------------------------------------------------

def test_check_refuses_an_industry_list_without_its_article(runner, sectors_copy):
    path = sectors_copy / "industries.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    article = next(i for i, line in enumerate(lines) if line.strip().startswith("article:"))
    del lines[article]
    path.write_text("".join(lines), encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    assert re.search(r"industries\.yaml[:：第]\s*\d+", result.output), result.output
    assert "缺少必填的键" in result.output and "article" in result.output


# --- 9b. Wording: derivations and open conditions as sentences, dates the Chinese way --------------

def test_open_and_failed_conditions_read_as_sentences(kb):
    plan = decide(rec("研发占比未知的小型软件企业（I6513）", industry_code="I6513", employees=60, revenue=2400,
                      honors=[]), kb)
    high_tech = measures(plan)["citywide_high_tech_doubling"]
    assert "待核实：研发投入占比未知，高新技术企业认定要求不低于3%" in high_tech.reasons
    plan = decide(rec("无留抵税额的一般纳税人（C3421）", industry_code="C3421", vat_taxpayer_type="general",
                      vat_credit_balance=False, tax_credit_rating="A"), kb)
    assert unmatched(plan)["citywide_vat_refund"]["reasons"] == ["不符合：无留抵税额（留抵退税须有留抵税额）"]


def test_derivations_are_plain_words_and_dates_chinese(kb):
    plan = decide(rec("行业代码推算门类的汽车零部件企业（C3670）", industry_code="C3670", employees=520,
                      revenue=31800), kb)
    assert plan.derived["industry_door"] == "按行业代码C3670属制造业"
    text = " ".join(r for m in plan.measures for r in m.reasons)
    assert "推算" not in text and "推断" not in text and "第1-2位" not in text
    upcoming = decide(rec("7月起可退税的商场（F5211）", industry_code="F5211", employees=180, revenue=15000,
                          vat_taxpayer_type="general", vat_credit_balance=True, tax_credit_rating="A"), kb)
    refund = measures(upcoming)["citywide_vat_refund"]
    assert refund.status == "upcoming" and "2022年7月1日起实施，届时可申请" in refund.reasons
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}", r) for m in upcoming.measures for r in m.reasons)
