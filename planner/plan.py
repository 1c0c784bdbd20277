"""The Plan: everything decided for one enterprise, and its JSON form (plan.json)."""

from __future__ import annotations

import datetime as dt

import orjson
from dataclasses import dataclass, field


def deadline_text(deadline: dict) -> str:
    """A measure's deadline (a target's due date) as the plan's timeline names it: 停产减产重点企业帮扶率（上半年）."""
    return f"{deadline['title']}（{deadline['label']}）"


@dataclass
class Question:
    """A visit question and the measures its answer settles."""

    text: str
    kind: str  # "fact": its answer settles unknown facts
    settles: list
    fields: list

    def to_json(self) -> dict:
        return dict(vars(self))


@dataclass
class PlanMeasure:
    """A measure the plan proposes: applies, verify or upcoming, with its reasons."""

    id: str
    title: str
    scope: str
    status: str
    reasons: list
    verify: list
    lead: list
    period: dict
    deadline_warning: str | None
    deadlines: list
    source: dict
    actions: list
    summary: str = ""
    documents: list = field(default_factory=list)
    questions: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    activities: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    order: int = 0
    kind: str = "service"  # funds, relief, service, development
    branch: dict | None = None  # the alternative that fits: {id, title}
    confirm_branches: list = field(default_factory=list)  # alternatives still to confirm: {id, title, reasons}
    items: list = field(default_factory=list)  # how each listed item is handled: {item, text}
    missing: list = field(default_factory=list)  # unknown facts it waits on (field ids)
    checks: list = field(default_factory=list)  # what the cadre establishes first (了解、核实)

    def to_json(self) -> dict:
        data = dict(vars(self))
        data.pop("order")
        return data


@dataclass
class Plan:
    """One enterprise's plan as of a date."""

    enterprise: dict
    derived: dict
    as_of: dt.date
    measures: list
    questions: list
    not_matched: list
    expired: list
    pressures: list
    targets: list
    provenance: dict
    source: str = ""
    checklist: list = field(default_factory=list)  # bureau-held facts an officer checks before the visit
    situations: list = field(default_factory=list)  # {id, title} of visits.yaml situations the enterprise is in

    @property
    def id(self) -> str:
        return self.enterprise["id"]

    @property
    def name(self) -> str:
        return self.enterprise["name"]

    def timeline(self) -> list[dict]:
        """Every date of the plan in order: starts, deadlines, ends, target dates."""
        events: dict[tuple, dict] = {}

        def add(date, text, measure=None):
            if date:
                events.setdefault((date, text), {"date": date, "text": text, "measure": measure})

        for m in self.measures:
            if m.period["start"] > self.as_of.isoformat():
                add(m.period["start"], f"{m.title}开始实施", m.id)
            for d in m.deadlines:
                add(d["date"], deadline_text(d), None)
            if m.period["end"]:
                add(m.period["end"], f"{m.title}截止", m.id)
        return sorted(events.values(), key=lambda e: (e["date"], e["text"]))

    def dumps(self) -> str:
        """plan.json: UTF-8, two-space indent, keys in contract order."""
        return orjson.dumps(self.to_json(), option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"

    def to_json(self) -> dict:
        return {
            "enterprise": {**self.enterprise, "derived": self.derived},
            "as_of": self.as_of.isoformat(),
            "measures": [m.to_json() for m in self.measures],
            "questions": [q.to_json() for q in self.questions],
            "not_matched": self.not_matched,
            "expired": self.expired,
            "pressures": self.pressures,
            "targets": self.targets,
            "checklist": self.checklist,
            "situations": self.situations,
            "timeline": self.timeline(),
            "provenance": self.provenance,
        }
