"""What the templates see: a plan turned into labelled, ordered, ready-to-print values.

Everything computed — labels, periods, which items fit on the brief — is computed here, so
templates hold only wording and layout.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from planner.knowledge import CITYWIDE, KnowledgeBase
from planner.matching import show_value
from planner.plan import Plan

STATUS_LABELS = {"applies": "适用", "verify": "待核实", "upcoming": "即将实施"}
BASIC_FIELDS = ("id", "name", "entity_type", "sector", "industry_code", "industry_door", "district", "zone",
                "size", "employees", "revenue", "assets", "above_scale", "production_status", "key_enterprise")
CONTACT_FIELDS = ("contact", "phone", "cadre")


@dataclass(frozen=True)
class BriefLimits:
    """What fits on one A4 page: caps per section and a budget of body lines.

    The fixed parts of the brief (title, facts table, request lines, signatures) take about
    two thirds of the page; ``lines`` is what is left for difficulties, measures and questions
    at 10.5pt, one line each (a question may take two). Measured on the stress record.
    """

    difficulties: int = 5
    measures: int = 8
    questions: int = 6
    request_lines: int = 5
    lines: int = 18
    name_width: int = 116  # display columns of the name: with 走访简报： two title lines; the rest is cut with …
    cell_width: int = 60  # of a record value in the facts table (contact, cadre: one table line)


LINE_WIDTH = 92  # display columns of one body line (a Chinese character counts two)
TITLE_WIDTH = 64  # of one line of the 15pt title


@functools.lru_cache(maxsize=1 << 14)
def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` display columns, ending with … when cut (the brief has one page;
    the plan and plan.json keep the whole text)."""
    if display_width(text) <= width:
        return text
    out, used = [], 1
    for c in text:
        used += 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if used > width:
            break
        out.append(c)
    return "".join(out) + "…"


def line_count(text: str, width: int = LINE_WIDTH, most: int = 2) -> int:
    return min(most, max(1, -(-display_width(text) // width)))


def fit_brief(difficulties: list, measures: list, questions: list, limits: BriefLimits, title_lines: int):
    """Cut the three lists by priority to fit the line budget: at least three of each where there
    are, then questions, measures and difficulties in turn; a cut list costs a line for its pointer."""
    budget = limits.lines - (title_lines - 1) * 2
    caps = {"d": min(len(difficulties), limits.difficulties), "m": min(len(measures), limits.measures),
            "q": min(len(questions), limits.questions)}
    question_lines = [line_count(q) for q in questions]
    cost = {"d": lambda i: 1, "m": lambda i: 1, "q": lambda i: question_lines[i]}
    taken = {"d": 0, "m": 0, "q": 0}
    totals = {"d": len(difficulties), "m": len(measures), "q": len(questions)}

    def used():
        pointers = sum(1 for k in ("d", "m", "q") if taken[k] < totals[k])
        return sum(cost[k](i) for k in taken for i in range(taken[k])) + pointers

    for floor in (3, None):
        progress = True
        while progress:
            progress = False
            for k in ("q", "m", "d"):
                limit = caps[k] if floor is None else min(caps[k], floor)
                if taken[k] < limit:
                    taken[k] += 1
                    if used() <= budget:
                        progress = True
                    else:
                        taken[k] -= 1
    return difficulties[: taken["d"]], measures[: taken["m"]], questions[: taken["q"]]


def fact_rows(plan: Plan, kb: KnowledgeBase, fields=None) -> list[dict]:
    """The known facts of the enterprise as label/value rows; derived ones carry their basis."""
    rows = []
    for field_id, spec in kb.fields.items():
        if fields is not None and field_id not in fields:
            continue
        if spec.type == "records" or field_id in ("name",):
            continue
        value = plan.enterprise.get(field_id)
        if value is None:
            continue
        rows.append({"field": field_id, "label": spec.label, "value": show_value(spec, value, kb),
                     "derived": field_id in plan.derived, "basis": plan.derived.get(field_id, "")})
    return rows


def receivable_rows(plan: Plan, kb: KnowledgeBase) -> list[dict]:
    spec = next(f for f in kb.fields.values() if f.type == "records")
    rows = []
    for item in plan.enterprise.get(spec.id) or []:
        rows.append({k: show_value(spec.items[k], item.get(k), kb) if item.get(k) is not None else "未知"
                     for k in spec.items})
    return rows


def period_text(period: dict) -> str:
    if period["end"]:
        return f"{period['start']}至{period['end']}"
    return f"{period['start']}起，长期有效"


def source_text(source: dict, kb: KnowledgeBase) -> str:
    parts = {a["part"]: a["title"] for a in kb.campaign.actions.values()}
    text = f"{kb.campaign.title}·{parts.get(source['part'], source['part'])}：“{source['quote']}”"
    if source.get("notices"):
        text += "；依据" + "、".join(source["notices"])
    return text


def plan_context(plan: Plan, kb: KnowledgeBase) -> dict:
    """The values plan.md.j2 lays out."""
    by_id = {m.id: m for m in plan.measures}
    measures = []
    for m in plan.measures:
        measures.append({
            "id": m.id, "title": m.title, "status": m.status, "status_label": STATUS_LABELS[m.status],
            "scope_label": "全市通用" if m.scope == CITYWIDE else f"{kb.sectors[m.scope].name}产业",
            "summary": m.summary, "reasons": m.reasons,
            "verify": m.verify, "lead": "、".join(m.lead), "period": period_text(m.period),
            "deadlines": [f"{d['date']} {d['title']}（{d['label']}）" for d in m.deadlines],
            "warning": m.deadline_warning, "actions": m.actions, "documents": m.documents,
            "questions": m.questions, "notes": m.notes, "activities": "、".join(m.activities),
            "source": source_text(m.source, kb),
        })
    questions = [{"text": q.text, "settles": "、".join(by_id[s].title for s in q.settles)} for q in plan.questions]
    confirm: dict[str, list] = {}
    for m in plan.measures:
        for text in m.questions:
            confirm.setdefault(text, []).append(m.title)
    return {
        "doc_title": kb.campaign.documents["plan"],
        "name": plan.name,
        "id": plan.id,
        "as_of": plan.as_of.isoformat(),
        "campaign": kb.campaign.title,
        "issuer": kb.campaign.issuer,
        "facts": fact_rows(plan, kb, BASIC_FIELDS + ("difficulties", "honors", "tax_credit_rating", "rd_ratio",
                                                    "payroll_monthly", "major_project", "listing_plan",
                                                    "in_affected_area", "temporary_difficulty",
                                                    "utility_arrears", "rents_premises")),
        "contacts": fact_rows(plan, kb, CONTACT_FIELDS),
        "receivables": receivable_rows(plan, kb),
        "pressures": plan.pressures,
        "measures": measures,
        "counts": {s: sum(1 for m in plan.measures if m.status == s) for s in STATUS_LABELS},
        "questions": questions,
        "confirm_questions": [{"text": t, "settles": "、".join(titles)} for t, titles in confirm.items()],
        "timeline": [{**e, "past": e["date"] < plan.as_of.isoformat()} for e in plan.timeline()],
        "targets": plan.targets,
        "not_matched": plan.not_matched,
        "expired": plan.expired,
        "provenance": provenance_line(plan),
    }


def provenance_line(plan: Plan) -> str:
    p = plan.provenance
    return f"{p['generator']} · 基准日 {plan.as_of.isoformat()} · 方案库 {p['profiles']} · 企业记录 {p['record']}"


def brief_context(plan: Plan, kb: KnowledgeBase, limits: BriefLimits = BriefLimits()) -> dict:
    """The values brief.md.j2 lays out, cut by priority to fit one page."""
    e = plan.enterprise

    def shown(field_id):
        value = e.get(field_id)
        return clip(str(show_value(kb.fields[field_id], value, kb)), limits.cell_width) if value is not None else "—"

    location = shown("district") + (f"·{shown('zone')}" if e.get("zone") else "")
    difficulties = []
    for d in e.get("difficulties") or []:
        difficulties.append({"title": kb.vocab_label("difficulties", d), "note": "企业反映"})
    for p in plan.pressures:
        if p["scope"] not in ("reported",) and not p["reported"]:
            difficulties.append({"title": p["title"], "note": "产业共性"})
    measures = [{"title": m.title, "status_label": STATUS_LABELS[m.status], "lead": "、".join(m.lead),
                 "warning": m.deadline_warning} for m in plan.measures]
    questions = [q.text for q in plan.questions]
    for m in plan.measures[: limits.measures]:
        questions += [q for q in m.questions if q not in questions]
    name = clip(str(plan.name), limits.name_width)
    title = f"走访简报：{name}"
    kept_d, kept_m, kept_q = fit_brief(difficulties, measures, questions, limits, line_count(title, TITLE_WIDTH))
    return {
        "doc_title": kb.campaign.documents["brief"],
        "name": name,
        "rows": [
            ("统一社会信用代码", plan.id, "所属产业", shown("sector")),
            ("所在区县", location, "企业规模", shown("size")),
            ("生产状态", shown("production_status"), "重点企业", shown("key_enterprise")),
            ("联系人", shown("contact"), "联系电话", shown("phone")),
            ("包联干部", shown("cadre"), "基准日", plan.as_of.isoformat()),
        ],
        "difficulties": kept_d,
        "more_difficulties": len(difficulties) - len(kept_d),
        "measures": kept_m,
        "more_measures": len(measures) - len(kept_m),
        "questions": kept_q,
        "more_questions": len(questions) - len(kept_q),
        "request_lines": limits.request_lines,
        "provenance": provenance_line(plan),
    }
