"""Derived facts on purpose-made records: each value and a phrase of its plain-word basis."""

from __future__ import annotations

import pytest

from planner import knowledge
from planner.derive import derive
from planner.exceptions import KnowledgeError
from planner.records import Record

# Purpose-made records (codes are made up; only the first two characters matter to derive).
WHOLESALER_4_PEOPLE = {"id": "91330201TEST00001X", "name": "四人批发商行", "industry_code": "F5191",
                       "employees": 4, "revenue": 20000}
WORKSHOP_6_PEOPLE = {"id": "92330203TEST00002X", "name": "六人五金加工坊", "industry_code": "C3670",
                     "employees": 6, "revenue": 95}
FACTORY_15_PEOPLE = {"id": "91330205TEST00003X", "name": "十五人配件厂", "industry_code": "C3670",
                     "employees": 15, "revenue": 2500}
FACTORY_520_PEOPLE = {"id": "91330206TEST00004X", "name": "五百二十人汽配公司", "industry_code": "C3670",
                      "employees": 520, "revenue": 31800}
LAB_50_PEOPLE = {"id": "91330212TEST00005X", "name": "五十人检测公司", "industry_code": "M7450",
                 "employees": 50, "vat_sales": 150}
SCHOOL_COMPANY = {"id": "91330281TEST00006X", "name": "培训学校有限公司", "industry_code": "P8391",
                  "employees": 80, "revenue": 15000}
BANK_BRANCH = {"id": "91330282TEST00007X", "name": "小额贷款公司", "industry_code": "J6636",
               "employees": 30, "revenue": 3000, "assets": 50000}
NOODLE_STALL_ALONE = {"id": "92330211TEST00008X", "name": "一人面馆", "industry_code": "H6210",
                      "employees": 1, "revenue": 30}
NOODLE_SHOP_FAMILY = {"id": "92330211TEST00009X", "name": "三人面馆", "industry_code": "H6210",
                      "employees": 3, "revenue": 60}
BUILDER_NO_ASSETS = {"id": "91330225TEST00010X", "name": "缺资产数建筑公司", "industry_code": "E4710",
                     "employees": 40, "revenue": 9000}
BUILDER_TINY = {"id": "91330225TEST00011X", "name": "小额工程公司", "industry_code": "E4710",
                "employees": 12, "revenue": 250}


def derived(facts: dict, kb) -> Record:
    return derive(Record(dict(facts), "test.yaml:1"), kb)


def test_wholesaler_micro_by_staff_is_medium_for_the_refund(kb):
    r = derived(WHOLESALER_4_PEOPLE, kb)
    assert r.facts["size"] == "micro"  # employees 4 < 5
    assert r.facts["vat_refund_size"] == "medium"  # 5000 <= 20000 < 40000; employees not a criterion
    assert "营业收入20000万元" in r.derived["vat_refund_size"]
    assert "不看从业人员" in r.derived["vat_refund_size"]
    assert "批发业中型" in r.derived["vat_refund_size"]
    assert "从业人员不足5人即为微型" in r.derived["size"]


def test_refund_basis_says_revenue_stood_in_for_vat_sales(kb):
    assert "暂代上年度增值税销售额" in derived(WHOLESALER_4_PEOPLE, kb).derived["vat_refund_size"]
    r = derived(dict(WHOLESALER_4_PEOPLE, vat_sales=900), kb)  # VAT sales win over revenue
    assert r.facts["vat_refund_size"] == "micro"  # 900 < 1000
    assert r.derived["vat_refund_size"].startswith("按上年度增值税销售额900万元")
    assert "20000" not in r.derived["vat_refund_size"]


def test_workshop_of_6_is_micro_both_ways(kb):
    r = derived(WORKSHOP_6_PEOPLE, kb)
    assert r.facts["size"] == "micro" and r.facts["vat_refund_size"] == "micro"
    assert r.derived["size"] == "从业人员6人、营业收入95万元，工业企业从业人员不足20人即为微型"
    assert "工业营业收入低于300万元即为微型；留抵退税划型不看从业人员" in r.derived["vat_refund_size"]


def test_factory_of_15_is_micro_but_medium_for_the_refund(kb):
    r = derived(FACTORY_15_PEOPLE, kb)
    assert r.facts["size"] == "micro"
    assert r.facts["vat_refund_size"] == "medium"
    assert "达到工业中型标准" in r.derived["vat_refund_size"]


def test_refund_size_is_derived_even_when_the_record_gives_size(kb):
    r = derived(dict(FACTORY_15_PEOPLE, size="small"), kb)
    assert r.facts["size"] == "small" and "size" not in r.derived
    assert r.facts["vat_refund_size"] == "medium"


def test_industry_sized_by_staff_only_falls_back_to_vat_sales(kb):
    r = derived(LAB_50_PEOPLE, kb)
    assert r.facts["size"] == "small"  # other class: 10 <= 50 < 100
    assert r.facts["vat_refund_size"] == "small"  # 100 <= 150 < 2000
    assert r.derived["vat_refund_size"].startswith("按上年度增值税销售额150万元，达到100万元、不足2000万元为小型")
    assert "只看从业人员" in r.derived["vat_refund_size"]


@pytest.mark.parametrize("sales,expected", [(99, "micro"), (100, "small"), (1999, "small"), (2000, "medium"),
                                            (9999, "medium"), (10000, "large")])
def test_fallback_bounds(kb, sales, expected):
    assert derived(dict(LAB_50_PEOPLE, vat_sales=sales), kb).facts["vat_refund_size"] == expected


def test_unlisted_industry_falls_back_to_vat_sales(kb):
    r = derived(SCHOOL_COMPANY, kb)
    assert "size" not in r.facts  # education is not sized by the SME standard
    assert r.facts["vat_refund_size"] == "large"  # 15000 >= 10000
    assert "不在中小企业划型标准之列" in r.derived["vat_refund_size"]


def test_finance_has_no_refund_size_here(kb):
    r = derived(BANK_BRANCH, kb)
    assert "vat_refund_size" not in r.facts and "vat_refund_size" not in r.derived


def test_fallback_without_any_sales_figure_is_unknown(kb):
    facts = {k: v for k, v in LAB_50_PEOPLE.items() if k != "vat_sales"}
    assert "vat_refund_size" not in derived(facts, kb).facts


def test_missing_assets_leaves_a_builder_unknown_unless_already_micro(kb):
    assert "vat_refund_size" not in derived(BUILDER_NO_ASSETS, kb).facts
    r = derived(BUILDER_TINY, kb)  # revenue 250 < 300: micro whatever the assets
    assert r.facts["vat_refund_size"] == "micro"
    assert "建筑业营业收入低于300万元即为微型" in r.derived["vat_refund_size"]
    assert "不看" not in r.derived["vat_refund_size"]  # construction's standard has no staff bound


def test_sole_owner_has_no_hired_staff(kb):
    r = derived(NOODLE_STALL_ALONE, kb)
    assert r.facts["entity_type"] == "individual_business"
    assert r.facts["hired_employees"] == 0
    assert r.derived["hired_employees"] == "从业人员1人，即经营者本人，无雇工"


def test_hired_staff_is_never_guessed_from_a_larger_headcount(kb):
    r = derived(NOODLE_SHOP_FAMILY, kb)
    assert "hired_employees" not in r.facts


def test_given_hired_staff_is_kept(kb):
    r = derived(dict(NOODLE_STALL_ALONE, hired_employees=2), kb)
    assert r.facts["hired_employees"] == 2 and "hired_employees" not in r.derived


def test_enterprise_of_one_gets_no_hired_staff_fact(kb):
    assert "hired_employees" not in derived(dict(WORKSHOP_6_PEOPLE, entity_type="enterprise", employees=1), kb).facts


def test_enterprise_insures_as_a_unit(kb):
    r = derived(FACTORY_15_PEOPLE, kb)
    assert r.facts["insured_as_unit"] is True
    assert r.derived["insured_as_unit"] == "企业以单位方式为职工参保"


def test_individual_business_insurance_is_not_guessed(kb):
    assert "insured_as_unit" not in derived(NOODLE_STALL_ALONE, kb).facts


def test_given_insurance_is_kept(kb):
    r = derived(dict(FACTORY_15_PEOPLE, insured_as_unit=False), kb)
    assert r.facts["insured_as_unit"] is False and "insured_as_unit" not in r.derived


def test_plain_word_bases(kb):
    big = derived(FACTORY_520_PEOPLE, kb).derived
    assert big["industry_door"] == "按行业代码C3670属制造业"
    assert big["entity_type"] == "统一社会信用代码以“91”开头，登记为企业"
    assert big["sector"] == "行业代码C3670属汽车产业"
    assert big["size"] == "从业人员520人、营业收入31800万元，按工业标准为中型"
    assert big["above_scale"] == "营业收入31800万元，达到规上标准2000万元"
    small = derived(WORKSHOP_6_PEOPLE, kb).derived
    assert small["entity_type"] == "统一社会信用代码以“92”开头，登记为个体工商户"
    assert small["above_scale"] == "营业收入95万元，低于规上标准2000万元"
    assert derived(NOODLE_STALL_ALONE, kb).derived["sector"] == "行业代码H6210不属于八个重点产业"


def test_no_jargon_in_any_basis(kb, sample_records):
    records = [derived(f, kb) for f in (WHOLESALER_4_PEOPLE, WORKSHOP_6_PEOPLE, FACTORY_520_PEOPLE,
                                        LAB_50_PEOPLE, SCHOOL_COMPANY, NOODLE_STALL_ALONE)]
    records += [derive(Record(dict(r.facts), r.where), kb) for r in sample_records]
    bases = [b for r in records for b in r.derived.values()]
    assert bases
    for basis in bases:
        assert not any(word in basis for word in ("推算", "推断", "第1-2位")), basis
        assert basis.count("（") == basis.count("）"), basis  # it is printed inside parentheses


# --- size_standard.yaml vat_refund is checked when the tree is loaded


def _load_with(sectors_copy, old: str, new: str):
    path = sectors_copy / "size_standard.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        knowledge.load(sectors_copy)
    return info.value.format_message()


def test_refund_indicators_cannot_include_employees(sectors_copy):
    message = _load_with(sectors_copy, "indicators: [revenue, assets]", "indicators: [revenue, assets, employees]")
    assert "留抵退税划型不看从业人员" in message


def test_refund_revenue_field_must_be_a_number_field(sectors_copy):
    assert "“vat_salez”不是 fields.yaml 中的数字字段" in _load_with(sectors_copy, "revenue_as: vat_sales",
                                                                  "revenue_as: vat_salez")


def test_refund_no_sizing_codes_must_be_unclassified(sectors_copy):
    message = _load_with(sectors_copy, "codes: [J]\n    note: 金融业", "codes: [C]\n    note: 金融业")
    assert "“C”不在 unclassified 中" in message


def test_refund_fallback_bounds_must_fall(sectors_copy):
    message = _load_with(sectors_copy, "{large: 10000, medium: 2000, small: 100}",
                         "{large: 1000, medium: 2000, small: 100}")
    assert "vat_refund.fallback.bounds.revenue" in message and "下限须依次递减" in message


def test_refund_section_is_required(sectors_copy):
    path = sectors_copy / "size_standard.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("vat_refund:\n")], encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        knowledge.load(sectors_copy)
    assert "vat_refund: 缺少必填的键" in info.value.format_message()
