"""The decision table: every measure's decision for one enterprise, as terminal text."""

from __future__ import annotations

from planner.dates import cn_date
from planner.knowledge import KnowledgeBase
from planner.matching import show_value
from planner.plan import Plan
from planner.view import STATUS_LABELS as PROPOSED_LABELS

STATUS_LABELS = {**PROPOSED_LABELS, "not_matched": "不适用", "expired": "已到期"}


def decision_table(plan: Plan, kb: KnowledgeBase) -> str:
    """Every decision with its reasons, the facts used, and the visit questions."""
    e = plan.enterprise
    sector = show_value(kb.fields["sector"], e.get("sector"), kb)
    lines = [f"== {e['name']}（{e['id']}）· {sector} · 基准日{cn_date(plan.as_of)}"]
    for m in plan.measures:
        lines.append(f"[{STATUS_LABELS[m.status]}] {m.id} {m.title}")
        if m.branch:
            lines.append(f"    > 适用情形：{m.branch['title']}")
        lines += [f"    - {r}" for r in m.reasons]
        for b in m.confirm_branches:
            lines.append(f"    ? 待确认情形：{b['title']}")
            lines += [f"        - {r}" for r in b["reasons"] + b.get("notes", [])]
        lines += [f"    * {i['item']}：{i['text']}" for i in m.items]
        if m.checks:
            lines.append(f"    · 走访核实：{'；'.join(m.checks)}")
        if m.activities:
            lines.append(f"    · 对接活动：{'；'.join(m.activities)}")
        if m.deadline_warning:
            lines.append(f"    ! {m.deadline_warning}")
    for status, items in (("not_matched", plan.not_matched), ("expired", plan.expired)):
        for m in items:
            lines.append(f"[{STATUS_LABELS[status]}] {m['id']} {m['title']}")
            lines += [f"    - {r}" for r in m["reasons"]]
    if plan.checklist:
        lines.append("走访前由本局核实：")
        for i, c in enumerate(plan.checklist, start=1):
            lines.append(f"  {i}. {c['text']}（涉及{len(c['settles'])}项措施）")
    if plan.questions:
        lines.append("走访提问（需核实的企业信息）：")
        for i, q in enumerate(plan.questions, start=1):
            settles = f"（涉及{len(q.settles)}项措施）" if q.settles else ""
            lines.append(f"  {i}. {q.text}{settles}")
    return "\n".join(lines)
