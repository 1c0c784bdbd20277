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
from planner.conditions import PASS, UNKNOWN, ItemFacts, Outcome, Reason, item_name
from planner.dates import cn_date, cn_period
from planner.derive import derive
from planner.knowledge import CITYWIDE, Branch, KnowledgeBase, Measure
from planner.plan import Plan, PlanMeasure, Question
from planner.records import Record

_STATUS_ORDER = {"applies": 0, "verify": 1, "upcoming": 2}


class RecordFacts:
    """The facts of one record as conditions read them, shown with labels and derivations."""

    def __init__(self, record: Record, kb: KnowledgeBase):
        self.record = record
        self.kb = kb
        self.requirement = ""  # what the measure being decided calls its conditions: 高新技术企业认定

    def value(self, field_id: str) -> Any:
        return self.record.facts.get(field_id)

    def show(self, field_id: str, value: Any, unit: str = "") -> str:
        top, _, item = field_id.partition(".")
        spec = self.kb.fields.get(top)
        if spec is not None and item:
            spec = spec.items.get(item)
        text = show_value(spec, value, self.kb) + unit
        basis = self.record.derived.get(field_id)
        return with_basis(text, basis)


def with_basis(text: str, basis: str | None) -> str:
    """A derived value with its basis: 制造业（按行业代码C3670）, not 制造业（按行业代码C3670属制造业）."""
    if not basis:
        return text
    if basis.endswith(f"属{text}"):
        basis = basis[: -len(f"属{text}")]
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
        return (f"注意：基准日{cn_date(as_of)}不在行动期（{cn_period(c.start, c.end)}）内，"
                f"有期限的措施将显示为尚未开始或已到期。")
    return None


def record_digest(record: Record) -> str:
    """A hash of the record as given (before derivation), for provenance and change detection."""
    given = {k: v for k, v in record.facts.items() if k not in record.derived}
    blob = orjson.dumps(given, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(blob).hexdigest()[:16]


_RANK = {"applies": 0, "verify": 1, "upcoming": 2, "upcoming_unknown": 3, "expired": 4, "not_matched": 5}


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
        facts.requirement = measure.requirement
        decided = _decide(measure, record, facts, kb, as_of, reported)
        if decided["status"] == "not_matched":
            not_matched.append({"id": measure.id, "title": measure.title, "scope": measure.scope,
                                "reasons": decided["reasons"], "plain": decided["plain"]})
        elif decided["status"] == "expired":
            expired.append({"id": measure.id, "title": measure.title, "scope": measure.scope,
                            "ended": decided["end"].isoformat(), "reasons": decided["reasons"]})
        else:
            proposed.append(_plan_measure(measure, decided, as_of, kb, facts))
    facts.requirement = ""
    # a measure that includes another (covers) is shown instead of it: one entry, not two for the same help
    specs = {m.id: m for m in kb.measures_for(sector_id)}
    covering = {cid: m for m in proposed for cid in specs[m.id].covers}
    # only by a measure at least as sure: one that applies is not folded into one still to confirm
    for m in [m for m in proposed if m.id in covering
              and _STATUS_ORDER[covering[m.id].status] <= _STATUS_ORDER[m.status]]:
        proposed.remove(m)
        reason = f"已并入“{covering[m.id].title}”"
        not_matched.append({"id": m.id, "title": m.title, "scope": m.scope, "reasons": [reason], "plain": [reason]})
    proposed.sort(key=lambda m: (not m.answers, _STATUS_ORDER[m.status], m.scope == CITYWIDE, m.order))
    situations = [s for s in kb.situations if s.condition is not None and s.condition.evaluate(facts).value is True]
    questions, checklist = _questions(proposed, record, situations, kb)
    return Plan(
        enterprise=dict(record.facts),
        derived=dict(record.derived),
        as_of=as_of,
        measures=proposed,
        questions=questions,
        not_matched=not_matched,
        expired=expired,
        pressures=_pressures(sector_id, reported, kb),
        targets=_targets(proposed, kb),
        provenance={"profiles": kb.digest_for(sector_id), "record": digest, "generator": f"planner {__version__}"},
        source=record.where,
        checklist=checklist,
        situations=[{"id": s.id, "title": s.title, "defer": list(s.defer), "brief_first": list(s.brief_first)}
                    for s in situations],
    )


def _and(outcomes: list) -> tuple:
    """Three-valued ``all`` of several outcomes (None parts skipped): (value, parts, missing)."""
    value: bool | None = True
    reasons, missing = [], []
    for o in outcomes:
        if o is None:
            continue
        if o.value is False:
            value = False
        elif o.value is None and value is not False:
            value = None
        reasons.append(o)
        for m in o.missing:
            if m not in missing:
                missing.append(m)
    return value, reasons, missing


def _decide(measure: Measure, record: Record, facts: "RecordFacts", kb: KnowledgeBase, as_of: dt.date,
            reported: list) -> dict:
    """The status of one measure, the branch that fits (or those to confirm) and why."""
    audience = measure.audience.evaluate(facts) if measure.audience is not None else None
    base = measure.condition.evaluate(facts) if measure.condition is not None else None
    if audience is not None and audience.value is False:
        failing = [r for r in audience.reasons if r.state != PASS]
        # whom it is for, once: 面向企业 says enough to a 个体工商户 (not 面向企业；面向制造业企业；…)
        return {"status": "not_matched", "reasons": [_mark(r) for r in failing], "plain": _plain(failing[:1])}
    if base is not None and base.value is False:
        failing = [r for r in base.reasons if r.state != PASS]
        return {"status": "not_matched", "reasons": [_mark(r) for r in failing], "plain": _plain(failing)}
    activities, gate = _activities(measure, record, facts, kb, reported)
    if gate is not None and gate.value is False:
        return {"status": "not_matched", "reasons": [_mark(r) for r in gate.reasons], "plain": _plain(gate.reasons)}
    branches = measure.branches or [Branch("", "", None, measure.start, measure.end, [], [], [])]
    options = []
    for b in branches:
        own = b.condition.evaluate(facts) if b.condition is not None else None
        value, parts, missing = _and([audience, base, gate, own])  # gate: no activity yet, difficulties unknown
        if value is False:
            status = "not_matched"
        elif b.end is not None and as_of > b.end:
            status = "expired"
        elif as_of < b.start:
            status = "upcoming" if value else "upcoming_unknown"
        else:
            status = "applies" if value else "verify"
        options.append({"branch": b, "status": status, "own": own, "missing": missing,
                        "parts": parts})
    best = min(options, key=lambda o: _RANK[o["status"]])
    if best["status"] == "not_matched":
        if measure.branches:
            ruled_out = [(o["branch"].title, _first_failing(o["own"])) for o in options if o["own"] is not None]
            reasons = [f"{title}：{_mark(why)}" for title, why in ruled_out]
            plain = _plain([why for _, why in ruled_out])  # each case's reason once, without its title
        else:
            failing = [r for part in best["parts"] for r in part.reasons if r.state != PASS]
            reasons = [_mark(r) for r in failing]
            plain = _plain(failing)
        return {"status": "not_matched", "reasons": reasons, "plain": plain}
    if best["status"] == "expired":
        end = best["branch"].end
        return {"status": "expired", "end": end, "reasons": [f"已于{cn_date(end)}到期"]}
    status = {"upcoming_unknown": "upcoming"}.get(best["status"], best["status"])
    reasons = []
    answered = [d for d in measure.difficulties if d in reported]
    if answered:
        reasons.append("针对企业反映的" + "、".join(kb.vocab_label("difficulties", d) for d in answered))
    shown = [best]
    if status == "verify" and measure.branches:  # every branch still open now is one to confirm,
        shown = [o for o in options if o["status"] == "verify"]
        settled = [o for o in shown if o["own"] is None or o["own"].value is True]
        shown = settled[:1] or shown  # unless one already fits: then only the measure's own facts are open

    def lines(outcome):
        return [r.text if r.state == PASS else _mark(r) for r in outcome.reasons] if outcome is not None else []

    if audience is not None and audience.value is not True:  # what is still open about whom it is for
        reasons += [_mark(r) for r in audience.reasons if r.state != PASS]
    reasons += lines(base) + lines(gate)
    confirm = []
    for o in shown:
        if measure.branches and status == "verify":
            confirm.append({"id": o["branch"].id, "title": o["branch"].title, "reasons": lines(o["own"]),
                            "notes": list(o["branch"].notes)})
        else:
            reasons += lines(o["own"])
    if measure.branches and status == "verify":
        later = [o for o in options if o["status"] in ("upcoming", "upcoming_unknown")]
        for o in later:
            reasons.append(f"若不属于上述情形：{o['branch'].title}{cn_date(o['branch'].start)}起实施，届时可申请")
    if status == "upcoming":
        reasons.append(f"{cn_date(best['branch'].start)}起实施，届时可申请")
    missing = []
    for o in shown:
        missing += [m for m in o["missing"] if m not in missing]
    if status == "verify" and measure.branches and len(shown) == 1 and shown[0]["own"] is not None \
            and shown[0]["own"].value is True:
        confirm = []
        reasons += lines(shown[0]["own"])
        branch = shown[0]["branch"]
    else:
        branch = best["branch"] if measure.branches and status != "verify" else None
    possible = [o["branch"].id for o in options if o["status"] in ("applies", "verify", "upcoming", "upcoming_unknown")]
    confirming = {c["id"] for c in confirm}
    open_branches = [branch] if branch else [b for b in measure.branches if b.id in confirming]
    return {"status": status, "reasons": [_scope_reason(measure, record, facts, kb)] + reasons, "possible": possible,
            "missing": missing, "answered": answered, "branch": branch, "confirm": confirm, "open": open_branches,
            "start": best["branch"].start, "end": best["branch"].end, "activities": activities,
            "items": _item_cases(measure, record, facts)}


def _first_failing(outcome) -> Reason:
    """Why one alternative does not fit, in one reason: a plain one before a list of alternatives."""
    failing = [r for r in outcome.reasons if r.state != PASS]
    plain = [r for r in failing if not r.text.startswith("下列条件满足其一即可")]
    return (plain or failing)[0]


def _plain(reasons) -> list[str]:
    """Why a measure is left out, as the plan's appendix says it beside the title: each reason in a
    reader's few words (``Reason.plain``: 面向制造业企业, 已获评高新技术企业), once."""
    return list(dict.fromkeys(r.plain or r.text for r in reasons))


def _activities(measure: Measure, record: Record, facts: "RecordFacts", kb: KnowledgeBase,
                reported: list) -> tuple[list, Outcome | None]:
    """The measure's activities that answer something of this enterprise, each saying what; and, for a
    measure that ``needs_activity`` when none does, an outcome: false, or unknown while the difficulties are."""
    out = []
    for aid in measure.activities:
        a = kb.campaign.activities[aid]
        if a.audience is not None and a.audience.evaluate(facts).value is not True:
            continue
        says = [kb.vocab_label("difficulties", d) for d in a.difficulties if d in reported]
        says += [text for cond, text in a.facts if cond.evaluate(facts).value is True]
        if says:
            out.append(f"{a.title}（回应：{'、'.join(says)}）")
    if measure.needs_activity and not out:
        if record.facts.get("difficulties") is None:
            return out, Outcome(None, [Reason(UNKNOWN, "主要困难未知（对接活动按企业反映的困难推荐）")], ["difficulties"])
        return out, Outcome(False, [Reason("fail", "企业反映的困难不在各类对接活动回应的范围内")])
    return out, None


def _item_cases(measure: Measure, record: Record, facts: "RecordFacts") -> list[dict]:
    """How each item of a list is handled (each receivable: cleared, mediated or in court)."""
    if measure.item_cases is None:
        return []
    field_id, cases = measure.item_cases
    spec = facts.kb.fields[field_id]
    out = []
    for no, item in enumerate(record.facts.get(field_id) or [], 1):
        item_facts = ItemFacts(facts, spec, item)
        for cond, text in cases:
            if cond is None or cond.evaluate(item_facts).value is True:
                out.append({"item": item_name(spec, facts, item), "no": no, "text": text})
                break
    return out


FAIL_MARK, UNKNOWN_MARK = "不符合：", "待核实："  # how a failing and an unknown reason begin


def _mark(reason: Reason) -> str:
    """A reason as the plan prints it; failing and unknown tests say so."""
    if reason.state == PASS:
        return reason.text
    return (FAIL_MARK if reason.state == "fail" else UNKNOWN_MARK) + reason.text


def _scope_reason(measure: Measure, record: Record, facts: RecordFacts, kb: KnowledgeBase) -> str:
    if measure.scope == CITYWIDE:
        return "全市通用措施，适用于各类市场主体" if measure.condition is None and measure.audience is None \
            and not measure.branches else "全市通用措施"
    return f"所属产业为{facts.show('sector', record.facts['sector'])}，属本产业措施"


def _plan_measure(measure: Measure, d: dict, as_of, kb, facts) -> PlanMeasure:
    verify = []
    for field_id in d["missing"]:
        spec = kb.fields[field_id]
        if spec.bureau_check:
            continue
        verify.append({"field": field_id, "label": spec.label, "question": kb.field_question(field_id, facts.record.facts)})
    end = d["end"]
    warning = None
    if end is not None and 0 <= (end - as_of).days <= kb.campaign.reminders["deadline_warning_days"]:
        days = (end - as_of).days
        warning = f"{cn_date(end)}截止，仅剩{days}天" if days else f"今日（{cn_date(end)}）截止"
    branch = d["branch"]
    targets = list(measure.targets)
    in_play = [branch] if branch else [b for b in measure.branches if b.id in d["possible"]]
    for b in in_play:  # only the cases that may still fit: a manufacturer gets no deadline of the July industries
        targets += [t for t in b.targets if t not in targets]
    targets = [t for t in targets if kb.campaign.targets[t].level == "enterprise"]
    deadlines = []
    for tid in targets:
        target = kb.campaign.targets[tid]
        if target.due is not None:
            deadlines.append({"date": target.due.isoformat(), "label": target.due_label, "target": tid,
                              "title": target.title})
    source = measure.source.to_json()
    notes = list(measure.notes)
    for b in d["open"]:
        source["notices"] = source["notices"] + [n for n in b.notices if n not in source["notices"]]
    # 14号公告 and 14号公告第一条: the one with the article says it all
    source["notices"] = [n for n in source["notices"] if not any(n != m and n in m for m in source["notices"])]
    if branch is not None:
        notes = list(branch.notes) + notes
    works = kb.works_as(facts.record.facts)
    questions = []
    specs = list(measure.questions) + [q for b in d["open"] for q in b.questions]
    for q in specs if d["status"] == "applies" else []:  # confirming a measure that fits; open facts come first
        if q.audience is not None and q.audience.evaluate(facts).value is not True:
            continue
        if q.asks and all(facts.value(f) is not None or kb.fields[f].bureau_check for f in q.asks):
            continue
        questions.append(q.worded(works))
    return PlanMeasure(
        id=measure.id, title=measure.title, scope=measure.scope, status=d["status"], reasons=d["reasons"],
        verify=verify, lead=list(measure.lead),
        period={"start": d["start"].isoformat(), "end": end.isoformat() if end else None},
        deadline_warning=warning, deadlines=deadlines, source=source,
        actions=list(measure.actions), summary=measure.summary, documents=list(measure.documents),
        questions=questions, notes=notes, answers=d["answered"],
        activities=d["activities"], targets=targets, order=measure.order, kind=measure.kind,
        branch={"id": branch.id, "title": branch.title} if branch else None,
        confirm_branches=d["confirm"], items=d["items"], missing=list(d["missing"]), checks=list(measure.checks),
    )


def _questions(measures: list[PlanMeasure], record: Record, situations: list, kb: KnowledgeBase):
    """The visit questions, in the order a cadre asks them, and the officer's pre-visit checklist.

    First what the enterprise's situation asks first (a stopped enterprise: why, and when it resumes);
    then one question per unknown fact, by the kind of the measures it settles (money first) and by how
    many it settles. Facts the bureau holds are never asked: they go on the checklist. Measures of a
    kind the situation defers ask nothing on this visit."""
    deferred = {k for s in situations for k in s.defer}
    rank = {k: i for i, k in enumerate(kb.question_order)}
    first: list[Question] = []
    leads = [fid for s in situations for fid in s.ask_first] + list(kb.first_questions)
    for fid in leads:  # a stopped enterprise: why and until when, before anything else
        if record.facts.get(fid) is None and all(fid not in q.fields for q in first):
            first.append(Question(kb.field_question(fid, record.facts), "situation", [], [fid]))
    by_text: dict[str, Question] = {}
    best: dict[str, int] = {}
    checklist: dict[str, dict] = {}
    leading: set[str] = set()  # questions that are the first open fact of some measure: asked before the rest
    for m in measures:
        askable = [f for f in m.missing if not kb.fields[f].bureau_check]
        if askable and m.kind not in deferred:
            leading.add(kb.field_question(askable[0], record.facts))
        for fid in m.missing:
            spec = kb.fields[fid]
            if spec.bureau_check:
                if m.kind in deferred:
                    continue
                entry = checklist.setdefault(fid, {"field": fid, "label": spec.label, "text": spec.bureau_check,
                                                   "settles": []})
                entry["settles"].append(m.id)
                continue
            text = kb.field_question(fid, record.facts)
            q = by_text.setdefault(text, Question(text, "fact", [], []))
            if m.id not in q.settles:
                q.settles.append(m.id)
            if fid not in q.fields:
                q.fields.append(fid)
            if m.kind not in deferred:  # a question only deferred measures wait on is left for a later visit
                best[text] = min(best.get(text, 99), rank.get(m.kind, 99))
    # the first open fact of each measure comes first (a small-scale taxpayer need not be asked its credit
    # rating), then by the kind of measure (money first) and by how many measures an answer settles
    asked = sorted((q for q in by_text.values() if q.text in best),
                   key=lambda q: (q.text not in leading, best[q.text], -len(q.settles)))
    asked = [q for q in asked if not any(f in q.fields for f0 in first for f in f0.fields)]
    return first + asked, list(checklist.values())


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
