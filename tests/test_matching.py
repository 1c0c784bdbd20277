"""Matching: decisions, timing, ordering and questions, on the sample enterprises."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from planner.decisions import decision_table
from planner.matching import RecordFacts, campaign_notice, match

from conftest import AS_OF, sample_ids


def record_by_id(records, code):
    return copy.deepcopy(next(r for r in records if r.id == code))


@pytest.mark.parametrize("code", sample_ids())
def test_decision_table_snapshot(kb, sample_records, snapshot_md, code):
    plan = match(record_by_id(sample_records, code), kb, AS_OF)
    assert decision_table(plan, kb) + "\n" == snapshot_md


def test_every_measure_is_decided_once(kb, sample_records):
    for record in sample_records:
        plan = match(copy.deepcopy(record), kb, AS_OF)
        decided = [m.id for m in plan.measures] + [m["id"] for m in plan.not_matched + plan.expired]
        expected = [m.id for m in kb.measures_for(plan.enterprise["sector"])]
        assert sorted(decided) == sorted(expected)
        assert all(m.reasons for m in plan.measures)


def test_unknown_is_neither_true_nor_false(kb, sample_records):
    record = record_by_id(sample_records, "91330226NB00001399")  # no size, no revenue
    plan = match(record, kb, AS_OF)
    statuses = {m.id: m.status for m in plan.measures}
    assert statuses["citywide_vat_refund"] == "verify"
    assert "citywide_vat_refund" not in [m["id"] for m in plan.not_matched]


def test_upcoming_expired_and_deadline_warning(kb, sample_records):
    record = record_by_id(sample_records, "91330206NB00001475")  # wholesale, July VAT expansion
    record.facts.update(vat_taxpayer_type="general", vat_credit_balance=True, tax_credit_rating="A",
                        revenue=20000, employees=40)  # medium for the refund: only the July case fits
    june = {m.id: m for m in match(copy.deepcopy(record), kb, dt.date(2022, 6, 15)).measures}
    assert june["citywide_vat_refund"].status == "upcoming"
    assert june["citywide_vat_refund"].branch["id"] == "seven_industries"
    assert "2022年7月1日起实施，届时可申请" in june["citywide_vat_refund"].reasons
    july = {m.id: m for m in match(copy.deepcopy(record), kb, dt.date(2022, 7, 5)).measures}
    assert july["citywide_vat_refund"].status == "applies"
    december = match(copy.deepcopy(record), kb, dt.date(2022, 12, 10))
    warned = {m.id: m.deadline_warning for m in december.measures if m.deadline_warning}
    assert warned["citywide_utility_cost_reduction"] == "2022年12月31日截止，仅剩21天"
    later = match(copy.deepcopy(record), kb, dt.date(2023, 1, 5))
    assert "citywide_utility_cost_reduction" in [m["id"] for m in later.expired]


def test_measures_answering_reported_difficulties_come_first(kb, sample_records):
    plan = match(record_by_id(sample_records, "91330282NB0000040U"), kb, AS_OF)
    answering = [bool(m.answers) for m in plan.measures]
    assert answering == sorted(answering, reverse=True) and answering[0]


def test_one_question_settles_every_measure_waiting_on_the_same_fact(kb, sample_records):
    record = record_by_id(sample_records, "91330226NB00001399")
    plan = match(record, kb, AS_OF)
    texts = [q.text for q in plan.questions]
    assert len(texts) == len(set(texts))
    for q in plan.questions:
        waiting = [m.id for m in plan.measures if any(v["question"] == q.text for v in m.verify)]
        assert q.settles == waiting
    # money first (visits.yaml order), then by how many measures an answer settles
    rank = {k: i for i, k in enumerate(kb.question_order)}
    kinds = {m.id: m.kind for m in plan.measures}
    deferred = {k for s in kb.situations if s.condition.evaluate(RecordFacts(record, kb)).value for k in s.defer}
    leading = set()
    for m in plan.measures:
        open_facts = [f for f in m.missing if not kb.fields[f].bureau_check]
        if open_facts and m.kind not in deferred:
            leading.add(kb.field_question(open_facts[0], record.facts))
    keys = [(q.text not in leading, min(rank[kinds[s]] for s in q.settles if kinds[s] not in deferred),
             -len(q.settles)) for q in plan.questions if q.kind == "fact"]
    assert keys == sorted(keys) and keys


def test_campaign_notice(kb):
    assert campaign_notice(kb, AS_OF) is None
    assert campaign_notice(kb, dt.date(2026, 11, 26)) == (
        "注意：基准日2026年11月26日不在行动期（2022年6月1日至12月31日）内，有期限的措施将显示为尚未开始或已到期。"
    )


def test_plan_json_contract(kb, sample_records):
    data = match(record_by_id(sample_records, "91330282NB0000040U"), kb, AS_OF).to_json()
    assert {"enterprise", "as_of", "measures", "questions", "not_matched", "expired", "provenance"} <= set(data)
    assert data["enterprise"]["size"] == "medium"
    m = data["measures"][0]
    assert {"id", "title", "scope", "status", "reasons", "verify", "lead", "period", "deadline_warning",
            "source", "actions"} <= set(m)
    assert set(data["provenance"]) == {"profiles", "record", "generator"}
