"""The bureau's portfolio summary: counts, coverage against the campaign's targets, open questions,
coming deadlines and estimated relief — from a records list or a folder of generated plans."""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from pathlib import Path

import orjson

from planner.knowledge import KnowledgeBase
from planner.matching import RecordFacts, match, show_value
from planner.records import Record, read_records

UNKNOWN = "未知"


def plans_as_of(plans: list[dict]) -> dt.date | None:
    """The as-of date of a folder's plans when they all share one (the date to summarise at)."""
    dates = {p.get("as_of") for p in plans}
    return dt.date.fromisoformat(dates.pop()) if len(dates) == 1 and None not in dates else None


def load_plans(source: Path, kb: KnowledgeBase, as_of: dt.date):
    """Plans as plan.json dicts: the latest of each enterprise under a folder, or matched from a
    records list. Returns (plans, read result or None)."""
    source = Path(source)
    if source.is_dir():
        plans = []
        for path in sorted(source.glob("*/plan.json")):
            plans.append(orjson.loads(path.read_bytes()))
        return plans, None
    read = read_records(source, kb)
    return [match(copy.deepcopy(r), kb, as_of).to_json() for r in read.records], read


def summarize(plans: list[dict], kb: KnowledgeBase, as_of: dt.date) -> dict:
    """Everything summary.md.j2 lays out, computed here."""
    def label(field_id, value):
        return show_value(kb.fields[field_id], value, kb) if value is not None else UNKNOWN

    def counts(field_id):
        c = Counter(label(field_id, p["enterprise"].get(field_id)) for p in plans)
        return sorted(c.items(), key=lambda kv: (kv[0] == UNKNOWN, -kv[1], kv[0]))

    titles = {m.id: m.title if m.scope == "citywide" else f"{m.title}（{kb.sectors[m.scope].name}）"
              for m in kb.all_measures()}
    per_measure: dict[str, Counter] = {}
    open_questions: dict[str, Counter] = {}
    for p in plans:
        for m in p["measures"]:
            per_measure.setdefault(m["id"], Counter())[m["status"]] += 1
            if m["status"] == "verify":
                for v in m["verify"]:
                    open_questions.setdefault(m["id"], Counter())[v["label"]] += 1
    measure_rows = sorted(
        ({"id": mid, "title": titles.get(mid, mid), "applies": c["applies"], "verify": c["verify"],
          "upcoming": c["upcoming"], "total": sum(c.values())} for mid, c in per_measure.items()),
        key=lambda r: (-r["total"], r["title"]))
    question_rows = sorted(
        ({"title": titles.get(mid, mid), "enterprises": per_measure[mid]["verify"],
          "facts": "、".join(f"{name}（{n}）" for name, n in c.most_common())} for mid, c in open_questions.items()),
        key=lambda r: (-r["enterprises"], r["title"]))
    return {
        "title": kb.campaign.documents["summary"],
        "campaign": kb.campaign.title,
        "issuer": kb.campaign.issuer,
        "as_of": as_of.isoformat(),
        "total": len(plans),
        "by_sector": counts("sector"),
        "by_district": counts("district"),
        "by_size": counts("size"),
        "by_status": counts("production_status"),
        "measures": measure_rows,
        "coverage": _coverage(plans, kb),
        "questions": question_rows,
        "deadlines": _deadlines(plans, as_of, kb.campaign.reminders["summary_deadline_days"]),
        "deadline_days": kb.campaign.reminders["summary_deadline_days"],
        "relief": _relief(plans, kb, as_of),
    }


def _coverage(plans: list[dict], kb: KnowledgeBase) -> dict:
    """The enterprises the coverage target counts (its ``population`` in campaign.yaml: stopped
    and reduced key enterprises), and whether each plan proposes a measure serving it."""
    target = kb.campaign.targets[kb.campaign.coverage_target]
    serving = {m.id for m in kb.all_measures() if target.id in m.targets}
    key = [p for p in plans
           if target.population.evaluate(RecordFacts(Record(p["enterprise"], ""), kb)).value is True]
    missing = [p for p in key if not any(m["id"] in serving for m in p["measures"])]
    covered = len(key) - len(missing)
    return {
        "target": target.statement(),
        "key": len(key),
        "covered": covered,
        "rate": f"{covered / len(key):.0%}" if key else "—",
        "missing": [{"name": p["enterprise"]["name"], "id": p["enterprise"]["id"]} for p in missing],
    }


def _deadlines(plans: list[dict], as_of: dt.date, days: int) -> list[dict]:
    end = (as_of + dt.timedelta(days=days)).isoformat()
    c = Counter()
    for p in plans:
        for e in p.get("timeline", []):
            if as_of.isoformat() <= e["date"] <= end:
                c[(e["date"], e["text"])] += 1
    return [{"date": d, "text": t, "enterprises": n} for (d, t), n in sorted(c.items())]


def _relief(plans: list[dict], kb: KnowledgeBase, as_of: dt.date) -> dict:
    """Social-insurance deferral from monthly payroll and the employer rates in relief.yaml."""
    spec = kb.relief["social_insurance_deferral"]
    until = spec["until"]
    months = max(0, (until.year - as_of.year) * 12 + until.month - as_of.month + 1)
    rate = sum(r["rate"] for r in spec["rates"])
    eligible, with_payroll, total = 0, 0, 0.0
    for p in plans:
        if any(m["id"] in spec["measures"] and m["status"] == "applies" for m in p["measures"]):
            eligible += 1
            payroll = p["enterprise"].get(spec["payroll_field"])
            if payroll is not None:
                with_payroll += 1
                total += payroll * rate * months
    target = kb.campaign.targets[kb.relief["target"]]
    share = total / 10000 / target.value if target.value else 0
    return {
        "months": months,
        "rates": [{"label": r["label"], "rate": f"{r['rate']:.1%}", "source": r["source"]} for r in spec["rates"]],
        "source": spec["source"],
        "eligible": eligible,
        "with_payroll": with_payroll,
        "total_wan": f"{total:,.1f}",
        "total_yi": f"{total / 10000:.4f}",
        "target": target.statement(),
        "share": f"{share:.4%}",
    }


def chart_rows(context: dict) -> list[dict]:
    """Bars of the SVG chart: enterprises per measure, the longest first (the template decides
    how many it draws)."""
    rows = context["measures"]
    top = max((r["total"] for r in rows), default=1) or 1
    return [{"title": r["title"], "total": r["total"], "applies": r["applies"],
             "share": r["total"] / top, "applies_share": r["applies"] / top} for r in rows]
