"""Each rule form, evaluated in three values, with its Chinese explanation."""

from __future__ import annotations

import pytest

from planner.conditions import ConditionError, compile_condition
from planner.matching import RecordFacts
from planner.records import Record


def evaluate(kb, raw, facts):
    condition = compile_condition(raw, kb.fields, kb.vocab_label)
    return condition.evaluate(RecordFacts(Record(dict(facts), "test"), kb))


SIZE = {"field": "size", "in": ["small", "micro"]}


@pytest.mark.parametrize(
    "facts,value,text",
    [
        ({"size": "small"}, True, "企业规模为小型，属于“小型、微型”"),
        ({"size": "large"}, False, "企业规模为大型，不属于“小型、微型”"),
        ({}, None, "企业规模未知（需属于“小型、微型”）"),
    ],
)
def test_in(kb, facts, value, text):
    outcome = evaluate(kb, SIZE, facts)
    assert outcome.value is value
    assert [r.text for r in outcome.reasons] == [text]
    assert outcome.missing == ([] if value is not None else ["size"])


@pytest.mark.parametrize(
    "op,operand,actual,value",
    [("gt", 0, 1, True), ("gt", 0, 0, False), ("gte", 5, 5, True), ("gte", 5, 4.9, False),
     ("lt", 10, 9, True), ("lt", 10, 10, False), ("lte", 10, 10, True), ("lte", 10, 11, False),
     ("eq", 3, 3, True), ("eq", 3, 4, False)],
)
def test_number_comparisons(kb, op, operand, actual, value):
    assert evaluate(kb, {"field": "rd_ratio", op: operand}, {"rd_ratio": actual}).value is value


def test_bool_eq_explains_what_was_needed(kb):
    outcome = evaluate(kb, {"field": "in_affected_area", "eq": True}, {"in_affected_area": False})
    assert outcome.value is False
    assert outcome.reasons[0].text == "不在疫情严重影响地区"  # fields.yaml says: the fact in words


def test_prefix_and_contains(kb):
    assert evaluate(kb, {"field": "industry_code", "prefix": ["N77"]}, {"industry_code": "N7721"}).value is True
    assert evaluate(kb, {"field": "industry_code", "prefix": ["N77"]}, {"industry_code": "N7810"}).value is False
    cond = {"field": "difficulties", "contains": ["chip_shortage", "parts_shortage"]}
    assert evaluate(kb, cond, {"difficulties": ["logistics", "parts_shortage"]}).value is True
    assert evaluate(kb, cond, {"difficulties": []}).value is False  # known: none reported
    assert evaluate(kb, cond, {}).value is None


def test_present(kb):
    cond = {"field": "major_project", "present": True}
    assert evaluate(kb, cond, {"major_project": "40万吨聚烯烃项目"}).reasons[0].text == "在建重大项目：40万吨聚烯烃项目"
    assert evaluate(kb, cond, {}).value is None


@pytest.mark.parametrize(
    "a,b,all_value,any_value",
    [
        ("small", True, True, True),
        ("small", False, False, True),
        ("large", None, False, None),
        ("small", None, None, True),
        (None, None, None, None),
        ("large", False, False, False),
    ],
)
def test_all_any_truth_tables(kb, a, b, all_value, any_value):
    facts = {k: v for k, v in (("size", a), ("key_enterprise", b)) if v is not None}
    parts = [SIZE, {"field": "key_enterprise", "eq": True}]
    assert evaluate(kb, {"all": parts}, facts).value is all_value
    assert evaluate(kb, {"any": parts}, facts).value is any_value


def test_all_with_a_false_part_names_only_what_rules_it_out(kb):
    outcome = evaluate(kb, {"all": [SIZE, {"field": "key_enterprise", "eq": True}]}, {"size": "large"})
    assert [(r.state, r.text) for r in outcome.reasons] == [("fail", "企业规模为大型，不属于“小型、微型”")]
    assert outcome.missing == []


def test_not_inverts_and_keeps_unknown(kb):
    cond = {"not": {"field": "honors", "contains": ["high_tech"]}}
    assert evaluate(kb, cond, {"honors": ["high_tech"]}).value is False
    assert evaluate(kb, cond, {"honors": ["eagle"]}).value is True
    assert evaluate(kb, cond, {}).value is None


ARREARS = {
    "field": "receivables",
    "some": {"all": [
        {"field": "disputed", "eq": False},
        {"field": "in_litigation", "eq": False},
        {"field": "debtor_type", "in": ["government", "public_institution", "large_enterprise"]},
    ]},
}


def item(**kw):
    base = {"debtor": "某局", "debtor_type": "government", "amount": 50, "disputed": False, "in_litigation": False}
    return {**base, **kw}


@pytest.mark.parametrize(
    "items,value",
    [
        ([item()], True),
        ([item(disputed=True)], False),
        ([item(in_litigation=True)], False),
        ([item(debtor_type="other")], False),
        ([item(in_litigation=True), item(debtor="某大型集团", debtor_type="large_enterprise")], True),
        ([{k: v for k, v in item().items() if k != "disputed"}], None),
        ([], False),
    ],
)
def test_some_receivable(kb, items, value):
    assert evaluate(kb, ARREARS, {"receivables": items}).value is value


def test_some_names_the_qualifying_debt(kb):
    outcome = evaluate(kb, ARREARS, {"receivables": [item(debtor="某区住建局", amount=120)]})
    assert outcome.reasons[0].text == (
        "被拖欠账款中有符合条件的款项：某区住建局 120万元（无争议，未进入司法程序，"
        "欠款单位类型为机关，属于“机关、事业单位、大型企业”）"
    )


def test_unknown_receivables_are_unknown(kb):
    outcome = evaluate(kb, ARREARS, {})
    assert outcome.value is None and outcome.missing == ["receivables"]


@pytest.mark.parametrize(
    "raw,path,message",
    [
        ({"field": "scale", "in": ["small"]}, ("field",), "未知的记录字段“scale”"),
        ({"field": "size", "in": ["mini"]}, ("in",), "“mini”不是取值表 sizes 中的值（字段“size”）"),
        ({"field": "size", "gt": 3}, ("gt",), "“gt”不能用于 enum 类型的字段“size”"),
        ({"field": "size", "eval": "1"}, ("eval",),
         "未知的检验“eval”（可用：eq、in、gt、gte、lt、lte、prefix、in_list、contains、present、some）"),
        ({"all": []}, ("all",), "“all”后面须是一组条件（不能为空的列表）"),
        ({"any": [SIZE], "not": SIZE}, ("not",), "“any”旁边不能再有键“not”"),
        ({"field": "employees", "gt": "10"}, ("gt",), "字段“employees”须写数字，这里是“10”"),
        ("size == small", (), "条件须为键值表（all、any、not 或 field）"),
        ({"size": "small"}, (), "应为 all、any、not 或 field，实为“size”"),
        ({"field": "size", "in": ["small"], "eq": "small"}, (), "一个字段条件只能有一种检验，这里有2种"),
        ({"field": "key_enterprise", "eq": "yes"}, ("eq",), "字段“key_enterprise”须写 true 或 false，这里是“yes”"),
    ],
)
def test_malformed_conditions(kb, raw, path, message):
    with pytest.raises(ConditionError) as info:
        compile_condition(raw, kb.fields, kb.vocab_label)
    assert (info.value.path, info.value.message) == (path, message)


def test_not_over_an_unknown_fact_says_what_is_needed(kb):
    outcome = evaluate(kb, {"not": {"field": "honors", "contains": ["high_tech"]}}, {})
    assert [r.text for r in outcome.reasons] == ["尚不清楚是否已获评高新技术企业（已获评的不在此列）"]


def test_not_over_all_is_any_of_the_negations(kb):
    cond = {"not": {"all": [SIZE, {"field": "key_enterprise", "eq": True}]}}
    assert evaluate(kb, cond, {"size": "small", "key_enterprise": True}).value is False
    assert evaluate(kb, cond, {"size": "small", "key_enterprise": False}).value is True
    outcome = evaluate(kb, cond, {"size": "small"})
    assert outcome.value is None and outcome.missing == ["key_enterprise"]


def test_alternatives_are_explained_as_alternatives(kb):
    cond = {"any": [{"field": "size", "in": ["small", "micro"]}, {"field": "entity_type", "eq": "individual_business"}]}
    outcome = evaluate(kb, cond, {"size": "medium", "entity_type": "enterprise"})
    assert [r.text for r in outcome.reasons] == [
        "下列条件满足其一即可：企业规模为中型，不属于“小型、微型”；或主体类型为企业，需为“个体工商户”"]
