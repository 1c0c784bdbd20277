"""The rules of the request ledger, as data: sectors/requests.yaml (categories with their measures
and departments, urgencies with their time limits, other spellings of the steps, the holiday
calendar).

``load(sectors_dir)`` reads and checks the file; every problem names the file, line and key, in
Chinese, as ``planner check`` prints them. With the knowledge base (``kb``) the measure ids are
checked against the measures of the tree too.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from planner.exceptions import PlannerError
from planner.requests import machine
from planner.requests.calendar import Calendar
from planner.resources import bundled
from planner.schema import REQUESTS_FILE
from planner.yamlio import Problem, YamlSyntaxError, display_path, load_document

FILE_NAME = "requests.yaml"


class RulesError(PlannerError):
    """sectors/requests.yaml has problems; ``problems`` lists them all."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in {FILE_NAME}")

    def format_message(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@dataclass(frozen=True)
class Category:
    name: str
    aliases: tuple[str, ...]
    measures: tuple[str, ...]  # measure ids of sectors/
    departments: tuple[str, ...]  # default routing
    working_days: dict  # urgency name -> working days, overriding the urgency's own


@dataclass(frozen=True)
class Urgency:
    name: str
    aliases: tuple[str, ...]
    working_days: int
    description: str


@dataclass(frozen=True)
class Rules:
    categories: dict  # name -> Category, in file order
    urgencies: dict  # name -> Urgency, in file order
    urgency_source: str
    calendar: Calendar
    file: str  # as shown in messages
    _lookup_category: dict  # normalised name or alias -> canonical name
    _lookup_urgency: dict
    _lookup_step: dict = field(default_factory=dict)  # normalised step name or alias -> step name

    def category(self, value: str) -> Category | None:
        """The category ``value`` names (its name or an alias; spaces and width ignored), or None."""
        name = self._lookup_category.get(_norm(value))
        return self.categories[name] if name else None

    def urgency(self, value: str) -> Urgency | None:
        name = self._lookup_urgency.get(_norm(value))
        return self.urgencies[name] if name else None

    def step(self, value: str) -> str:
        """The step ``value`` names: a step's own name, or its other spelling (``steps``: 已办结 →
        办结; spaces and width ignored); else ``value`` as it is, for the ledger to refuse."""
        return self._lookup_step.get(_norm(value), str(value).strip())

    def step_aliases(self, name: str) -> tuple[str, ...]:
        """The other spellings ``steps`` gives for step ``name``."""
        return tuple(k for k, v in self._lookup_step.items() if v == name and k != _norm(name))

    def working_days(self, category: str, urgency: str) -> int:
        """Working days a request of ``category`` and ``urgency`` (canonical names) has."""
        own = self.categories[category].working_days
        return own[urgency] if urgency in own else self.urgencies[urgency].working_days

    def due_date(self, category: str, urgency: str, visit_date: dt.date) -> dt.date:
        """The due date: that many working days after the visit (the day the enterprise asked)."""
        return self.calendar.add_working_days(visit_date, self.working_days(category, urgency))

    def category_names(self) -> str:
        return "、".join(self.categories)

    def urgency_names(self) -> str:
        return "、".join(self.urgencies)


def _spellings(raw: dict, name: str, where: tuple, lookup: dict, what: str, report) -> None:
    """Enter an entry's name and aliases in ``lookup`` (normalised spelling → name), reporting a
    spelling that another entry (or this one) already has."""
    for j, spelling in enumerate([name, *raw.get("aliases", [])]):
        key = _norm(spelling)
        if key in lookup:
            place = (*where, "name") if j == 0 else (*where, "aliases", j - 1)
            report(place, f"“{spelling}”重复：已是{what}“{lookup[key]}”的名称或别名")
        else:
            lookup[key] = name


def _norm(value) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).lower()


def load(sectors_dir: Path | None = None, kb=None) -> Rules:
    """The rules of ``sectors_dir`` (default: the bundled sectors/); RulesError listing every
    problem otherwise."""
    rules, problems = read(sectors_dir, kb)
    if problems:
        raise RulesError(problems)
    return rules


def read(sectors_dir: Path | None = None, kb=None) -> tuple[Rules | None, list[Problem]]:
    """The rules and the problems found (rules is None when the file cannot be used at all)."""
    path = Path(sectors_dir or bundled("sectors")) / FILE_NAME
    shown = display_path(path)
    if not path.is_file():
        return None, [Problem(shown, 1, (), "缺少这个文件（诉求类别、办理时限和节假日）")]
    try:
        doc, problems = load_document(path, shown)
    except YamlSyntaxError as exc:
        return None, [exc.problem]
    structural: list[Problem] = []
    REQUESTS_FILE.check(doc.data, (), lambda p, m: structural.append(doc.problem(p, m)))
    problems = problems + structural
    if structural:
        return None, _sorted(problems)
    rules = _build(doc, problems, kb)
    return rules, _sorted(problems)


def _sorted(problems):
    return sorted(set(problems), key=lambda p: (p.file, p.line, str(p.path)))


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _build(doc, problems: list[Problem], kb) -> Rules:
    data = doc.data

    def report(path, message):
        problems.append(doc.problem(path, message))

    known_measures = {m.id for m in kb.all_measures()} if kb is not None else None

    urgencies: dict = {}
    lookup_urgency: dict = {}
    for i, raw in enumerate(data["urgencies"]):
        name = raw["name"].strip()
        if not _count(raw["working_days"]):
            report(("urgencies", i, "working_days"), f"应为不小于0的整数，实为“{raw['working_days']}”")
        _spellings(raw, name, ("urgencies", i), lookup_urgency, "紧急程度", report)
        urgencies[name] = Urgency(name, tuple(raw.get("aliases", [])), raw["working_days"], raw["description"])

    categories: dict = {}
    lookup_category: dict = {}
    for i, raw in enumerate(data["categories"]):
        name = raw["name"].strip()
        _spellings(raw, name, ("categories", i), lookup_category, "诉求类别", report)
        seen = set()
        for j, measure in enumerate(raw["measures"]):
            if measure in seen:
                report(("categories", i, "measures", j), f"措施“{measure}”重复")
            seen.add(measure)
            if known_measures is not None and measure not in known_measures:
                report(("categories", i, "measures", j), f"未知的措施“{measure}”（须为 sectors/ 中某项措施的 id）")
        departments = [d.strip() for d in raw["departments"]]
        if len(set(departments)) != len(departments):
            report(("categories", i, "departments"), "部门重复")
        own = {}
        for urgency, days in raw.get("working_days", {}).items():
            where = ("categories", i, "working_days", urgency)
            if urgency not in urgencies:
                report(where, f"未知的紧急程度“{urgency}”（可选：{'、'.join(urgencies)}）")
            elif not _count(days):
                report(where, f"应为不小于0的整数，实为“{days}”")
            else:
                own[urgency] = days
        categories[name] = Category(name, tuple(raw.get("aliases", [])), tuple(raw["measures"]),
                                    tuple(departments), own)

    lookup_step = {_norm(name): name for name in machine.STEPS}
    for name, spellings in (data.get("steps") or {}).items():
        if name not in machine.STEPS:
            report(("steps", name), f"未知的步骤“{name}”（可选：{machine.step_names()}）")
            continue
        for j, spelling in enumerate(spellings):
            key = _norm(spelling)
            if key in lookup_step:
                report(("steps", name, j), f"“{spelling}”重复：已是步骤“{lookup_step[key]}”的名称或别名")
            else:
                lookup_step[key] = name

    calendar = _calendar(data["calendar"], report)
    return Rules(categories, urgencies, data["urgency_source"], calendar, doc.file, lookup_category, lookup_urgency,
                 lookup_step)


def _calendar(entries, report) -> Calendar:
    days_off: dict = {}
    working: set = set()
    years: set = set()
    for i, entry in enumerate(entries):
        year = entry["year"]
        if not isinstance(year, int) or isinstance(year, bool):
            report(("calendar", i, "year"), f"应为年份，实为“{year}”")
            continue
        if year in years:
            report(("calendar", i, "year"), f"{year}年重复")
        years.add(year)
        # A year's notice may start its 元旦 holiday on 31 December of the year before.
        first, last = dt.date(year - 1, 12, 1), dt.date(year, 12, 31)
        for j, holiday in enumerate(entry["days_off"]):
            start, end = holiday["from"], holiday["to"]
            where = ("calendar", i, "days_off", j)
            if end < start:
                report(where + ("to",), f"结束日 {end.isoformat()} 早于开始日 {start.isoformat()}")
                continue
            if start < first or end > last or (end - start).days > 14:
                report(where, f"{holiday['name']}（{start.isoformat()}至{end.isoformat()}）不在{year}年内或长于15天")
                continue
            day = start
            while day <= end:
                if day in days_off:
                    report(where, f"{day.isoformat()} 已列为{days_off[day]}放假")
                days_off.setdefault(day, holiday["name"])
                day += dt.timedelta(days=1)
        for j, day in enumerate(entry["working_weekends"]):
            where = ("calendar", i, "working_weekends", j)
            if day.weekday() < 5:
                report(where, f"{day.isoformat()} 不是周六或周日（调休上班只列周末）")
            if day in days_off:
                report(where, f"{day.isoformat()} 同时列为{days_off[day]}放假")
            if day in working:
                report(where, f"{day.isoformat()} 重复")
            working.add(day)
    return Calendar(frozenset(days_off), frozenset(working), frozenset(years), dict(days_off))
