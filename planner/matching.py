"""Matching: decide every measure for one enterprise, as of a date, and explain each decision.

Each measure of the enterprise's sector and every citywide measure is decided as applies,
verify (its decisive facts pass but a fact it needs is unknown) or not matched (a known fact
rules it out). Timing then makes a proposed measure upcoming (starts later) or expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import orjson

from planner import __version__
from planner.conditions import PASS, Reason
from planner.derive import derive
from planner.knowledge import CITYWIDE, KnowledgeBase, Measure
from planner.plan import Plan, PlanMeasure, Question
from planner.records import Record

_STATUS_ORDER = {"applies": 0, "verify": 1, "upcoming": 2}


class RecordFacts:
    """The facts of one record as conditions read them, shown with labels and derivations."""

    def __init__(self, record: Record, kb: KnowledgeBase):
        self.record = record
        self.kb = kb

    def value(self, field_id: str) -> Any:
        return self.record.facts.get(field_id)

    def show(self, field_id: str, value: Any) -> str:
        top, _, item = field_id.partition(".")
        spec = self.kb.fields.get(top)
        if spec is not None and item:
            spec = spec.items.get(item)
        text = show_value(spec, value, self.kb)
        basis = self.record.derived.get(field_id)
        return f"{text}（{basis}）" if basis else text


def show_value(spec, value, kb: KnowledgeBase) -> str:
    """A fact as a Chinese reader sees it: labels for ids, 是/否 for yes/no, plain numbers."""
    if value is None:
        return "未知"
    if spec is None:
        return str(value)
    if spec.type == "bool":
        return "是" if value else "否"
    if spec.type == "enum":
        return kb.vocab_label(spec.vocabulary, value) or str(value)
    if spec.type == "enum_list":
        return "、".join(kb.vocab_label(spec.vocabulary, v) or v for v in value) or "无"
    if spec.type == "number":
        return f"{value:g}" if isinstance(value, float) else str(value)
    if spec.type == "records":
        return f"{len(value)}笔" if value else "无"
    return str(value)


def campaign_notice(kb: KnowledgeBase, as_of: dt.date) -> str | None:
    """One line when ``as_of`` lies outside the campaign, since every measure is then upcoming or expired."""
    c = kb.campaign
    if as_of < c.start or (c.end is not None and as_of > c.end):
        end = c.end.isoformat() if c.end else "长期"
        return (f"注意：基准日{as_of.isoformat()}不在行动期（{c.start.isoformat()}至{end}）内，"
                f"有期限的措施将显示为尚未开始或已到期。")
    return None


def record_digest(record: Record) -> str:
    """A hash of the record as given (before derivation), for provenance and change detection."""
    given = {k: v for k, v in record.facts.items() if k not in record.derived}
    blob = orjson.dumps(given, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(blob).hexdigest()[:16]


def match(record: Record, kb: KnowledgeBase, as_of: dt.date) -> Plan:
    """The plan for ``record`` as of ``as_of``: every measure decided and explained."""
    digest = record_digest(record)
    derive(record, kb)
    facts = RecordFacts(record, kb)
    sector_id = record.facts.get("sector")
    reported = list(record.facts.get("difficulties") or [])
    proposed: list[PlanMeasure] = []
    not_matched: list[dict] = []
    expired: list[dict] = []
    for measure in kb.measures_for(sector_id):
        reasons = [_scope_reason(measure, record, facts, kb)]
        missing: list[str] = []
        if measure.condition is None:
            value = True
        else:
            outcome = measure.condition.evaluate(facts)
            value = outcome.value
            reasons += [r.text if r.state == PASS else _mark(r) for r in outcome.reasons]
            missing = outcome.missing
        if value is False:
            not_matched.append({"id": measure.id, "title": measure.title, "scope": measure.scope,
                                "reasons": [_mark(r) for r in outcome.reasons]})
            continue
        if measure.end is not None and as_of > measure.end:
            expired.append({"id": measure.id, "title": measure.title, "scope": measure.scope,
                            "ended": measure.end.isoformat(),
                            "reasons": [f"已于{measure.end.isoformat()}到期"]})
            continue
        answered = [d for d in measure.difficulties if d in reported]
        if answered:
            labels = "、".join(kb.vocab_label("difficulties", d) for d in answered)
            reasons.insert(1, f"回应企业反映的困难：{labels}")
        status = "verify" if value is None else "applies"
        if as_of < measure.start:
            status = "upcoming"
            reasons.append(f"{measure.start.isoformat()}起实施，届时可申请")
        proposed.append(_plan_measure(measure, status, reasons, missing, answered, as_of, kb))
    proposed.sort(key=lambda m: (not m.answers, _STATUS_ORDER[m.status], m.scope == CITYWIDE, m.order))
    return Plan(
        enterprise=dict(record.facts),
        derived=dict(record.derived),
        as_of=as_of,
        measures=proposed,
        questions=_questions(proposed, kb),
        not_matched=not_matched,
        expired=expired,
        pressures=_pressures(sector_id, reported, kb),
        targets=_targets(proposed, kb),
        provenance={"profiles": kb.digest_for(sector_id), "record": digest, "generator": f"planner {__version__}"},
        source=record.where,
    )


def _mark(reason: Reason) -> str:
    """A reason as the plan prints it; failing and unknown tests say so."""
    if reason.state == PASS:
        return reason.text
    return ("不符合：" if reason.state == "fail" else "待核实：") + reason.text


def _scope_reason(measure: Measure, record: Record, facts: RecordFacts, kb: KnowledgeBase) -> str:
    if measure.scope == CITYWIDE:
        return "全市通用措施，适用于各类市场主体" if measure.condition is None else "全市通用措施"
    return f"所属产业为{facts.show('sector', record.facts['sector'])}，属本产业措施"


def _plan_measure(measure: Measure, status, reasons, missing, answered, as_of, kb) -> PlanMeasure:
    verify = []
    for field_id in missing:
        spec = kb.fields[field_id]
        verify.append({"field": field_id, "label": spec.label, "question": _question_for(field_id, kb)})
    warning = None
    if measure.end is not None and 0 <= (measure.end - as_of).days <= kb.campaign.reminders["deadline_warning_days"]:
        days = (measure.end - as_of).days
        warning = f"{measure.end.isoformat()}截止，仅剩{days}天" if days else f"今日（{measure.end.isoformat()}）截止"
    deadlines = []
    for tid in measure.targets:
        target = kb.campaign.targets[tid]
        if target.due is not None:
            deadlines.append({"date": target.due.isoformat(), "label": target.due_label, "target": tid,
                              "title": target.title})
    return PlanMeasure(
        id=measure.id, title=measure.title, scope=measure.scope, status=status, reasons=reasons,
        verify=verify, lead=list(measure.lead),
        period={"start": measure.start.isoformat(), "end": measure.end.isoformat() if measure.end else None},
        deadline_warning=warning, deadlines=deadlines, source=measure.source.to_json(),
        actions=list(measure.actions), summary=measure.summary, documents=list(measure.documents),
        questions=list(measure.questions), notes=list(measure.notes), answers=answered,
        activities=[kb.campaign.activities[a].title for a in measure.activities], targets=list(measure.targets),
        order=measure.order,
    )


def _question_for(field_id: str, kb: KnowledgeBase) -> str:
    spec = kb.fields[field_id]
    return spec.question or f"请确认{spec.label}。"


def _questions(measures: list[PlanMeasure], kb: KnowledgeBase) -> list[Question]:
    """Few, decisive questions: one per unknown fact, settling every measure that waits on it,
    those that settle most first. Each measure keeps its own confirmation questions."""
    by_text: dict[str, Question] = {}
    for m in measures:
        for v in m.verify:
            q = by_text.setdefault(v["question"], Question(v["question"], "fact", [], []))
            if m.id not in q.settles:
                q.settles.append(m.id)
            if v["field"] not in q.fields:
                q.fields.append(v["field"])
    return sorted(by_text.values(), key=lambda q: -len(q.settles))


def _pressures(sector_id: str | None, reported: list, kb: KnowledgeBase) -> list[dict]:
    sector = kb.sectors.get(sector_id or "")
    out = []
    covered = set()
    for p in sector.pressures.values() if sector else []:
        hits = [d for d in p.signals if d in reported]
        covered.update(hits)
        out.append({"id": p.id, "title": p.title, "description": p.description, "scope": sector.id,
                    "reported": [kb.vocab_label("difficulties", d) for d in hits]})
    out.sort(key=lambda p: not p["reported"])
    for d in reported:
        if d not in covered:
            label = kb.vocab_label("difficulties", d)
            out.append({"id": d, "title": label, "description": "企业自行反映的困难", "scope": "reported",
                        "reported": [label]})
    return out


def _targets(measures: list[PlanMeasure], kb: KnowledgeBase) -> list[dict]:
    seen: dict[str, dict] = {}
    for m in measures:
        for tid in m.targets:
            t = kb.campaign.targets[tid]
            entry = seen.setdefault(tid, {"id": tid, "statement": t.statement(),
                                          "due": t.due.isoformat() if t.due else None, "measures": []})
            entry["measures"].append(m.id)
    return sorted(seen.values(), key=lambda t: (t["due"] or "9999", t["id"]))
