"""The bureau's portfolio summary: counts, coverage against the campaign's targets, open questions,
coming deadlines and estimated relief — from a records list, a folder of generated plans, or a
list checked against its folder.

The summary is made in one pass over a stream of items, one plan in memory at a time: a plan
(a plan.json dict), an enterprise of the list without a current plan (`WithoutPlan`), a record
that could not be identified (`RejectedRecord`), a folder's enterprise no longer in the list
(`NotInList`), or a plan file that could not be read (`Damaged`). Only counters and the names
the report must list are kept. The sources below make such streams; `summarize` consumes one.
"""

from __future__ import annotations

import copy
import datetime as dt
import errno
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from planner.dates import cn_date, cn_month_day, today
from planner.derive import derive
from planner.exceptions import PlannerError
from planner.knowledge import KnowledgeBase
from planner.matching import RecordFacts, match, record_digest, show_value
from planner.plan import deadline_text
from planner.records import ReadResult, Record, RejectedRecord
from planner.requests.machine import shown_state
from planner.requests.rates import Ratio
from planner.textsafe import visible
from planner.versions import META, current_version, read_meta

UNKNOWN = "未知"
PLAN = "plan.json"


@dataclass(frozen=True)
class WithoutPlan:
    """An enterprise of the list that has no current plan in the folder.

    ``reason`` is one of "missing" (no plan), "stale" (made from another version of the record),
    "as_of" (made as of another date: ``detail`` is that date) or "damaged" (``detail`` says
    which file and what is wrong)."""

    facts: dict
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class NotInList:
    """An enterprise folder whose enterprise is no longer in the list: named, not counted."""

    id: str
    name: str


@dataclass(frozen=True)
class Damaged:
    """A plan in the folder that could not be read: named, not counted."""

    where: str
    why: str


class DamagedPlan(Exception):
    """A plan.json whose content is not a plan; the message says what is wrong (Chinese)."""


# --- sources -------------------------------------------------------------------------------


def plans_from_records(read: ReadResult, kb: KnowledgeBase, as_of: dt.date) -> Iterator:
    """Each record of ``read`` matched as of ``as_of``, one plan at a time, then its rejected records."""
    for record in read.records:
        yield match(copy.deepcopy(record), kb, as_of).to_json()
    yield from read.rejected_records


def plans_in_folder(folder: Path, lists: list | None = None) -> Iterator:
    """The latest plan of each enterprise folder under ``folder``, in folder order; a folder whose
    plan cannot be read is yielded as `Damaged`. ``lists``: the lists the folder was generated
    from (``rosters.rosters(folder)``); when there are any, a folder whose enterprise is in none
    of them is `NotInList`, and their rejected records follow the plans."""
    listed = set().union(*(r.ids for r in lists)) if lists else None
    for sub in _enterprise_folders(folder):
        try:
            plan = _read_plan(sub)
        except DamagedPlan as e:
            yield Damaged(f"{sub.name}/", str(e))
            continue
        if listed is not None and sub.name not in listed:
            yield NotInList(sub.name, str(plan["enterprise"].get("name", "")))
            continue
        yield plan
    for roster in lists or ():
        yield from roster.rejected


def plans_for_list(read: ReadResult, folder: Path, kb: KnowledgeBase, as_of: dt.date | None) -> Iterator:
    """The list decides who should be there: for each record, its plan in ``folder`` when that plan
    was made from this record (and, when ``as_of`` is given, as of that date), else `WithoutPlan`
    saying why; then the list's rejected records; then the folder's enterprises no longer in the
    list (`NotInList`)."""
    checker = _Tally(kb)
    for record in read.records:
        sub = Path(folder) / record.id
        try:
            meta = _read_json(sub / META, META) if (sub / META).exists() else None
            if meta is None and not (sub / PLAN).exists():
                yield WithoutPlan(_derived_facts(record, kb), "missing")
                continue
            if meta is None:  # a plan without its version record cannot be told current
                raise DamagedPlan(f"缺少 {META}，无法判断方案是否按最新名单生成")
            if _made_from(meta) != record_digest(record):
                yield WithoutPlan(_derived_facts(record, kb), "stale")
                continue
            plan = _read_plan(sub, meta)
            checker.prepare(_extract(plan))  # countable, or it is named as damaged here
        except DamagedPlan as e:
            yield WithoutPlan(_derived_facts(record, kb), "damaged", str(e))
            continue
        if as_of is not None and plan.get("as_of") != as_of.isoformat():
            yield WithoutPlan(_derived_facts(record, kb), "as_of", str(plan.get("as_of") or UNKNOWN))
            continue
        yield plan
    yield from read.rejected_records
    listed = {r.id for r in read.records}
    for sub in _enterprise_folders(folder):
        if sub.name not in listed:
            try:
                name = _read_plan(sub)["enterprise"]["name"]
            except DamagedPlan:
                name = ""
            yield NotInList(sub.name, name)


def _enterprise_folders(folder: Path) -> Iterator[Path]:
    """The enterprise folders of an output folder (those holding plan.json or version.json)."""
    for sub in sorted(Path(folder).iterdir()):
        if sub.is_dir() and not sub.is_symlink() and ((sub / PLAN).exists() or (sub / META).exists()):
            yield sub


def _made_from(meta: dict):
    inputs = meta.get("inputs") if isinstance(meta, dict) else None
    if not isinstance(inputs, dict):
        raise DamagedPlan(f"{META} 内容不完整（缺少 inputs）")
    return inputs.get("record")


def _read_plan(sub: Path, meta: dict | None = None) -> dict:
    """The plan.json of an enterprise folder's latest whole version: checked against its
    version.json (sizes and content hashes, see ``versions.current_version``), so a mixed or
    corrupted top is never counted; the archived copy of the same version is taken when the top
    is damaged and the archive whole. A folder without version.json is read as it is."""
    if meta is None and not (sub / META).exists():
        plan = _read_json(sub / PLAN, PLAN)
    else:
        version, problem = current_version(sub)
        if version is None:
            problem = problem or f"缺少 {META}"
            raise DamagedPlan(problem.removeprefix(f"{sub}：").removeprefix(f"{sub / META}："))
        plan = _read_json(version.path / PLAN, PLAN)
    _extract(plan)  # a plan whose content is not a plan is named here, before anything is counted
    return plan


def _read_json(path: Path, name: str) -> dict:
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise DamagedPlan(f"缺少 {name}") from None
    except orjson.JSONDecodeError:
        raise DamagedPlan(f"{name} 不是完整的 JSON，文件已损坏或未写完") from None
    except OSError as e:
        why = "无权读取" if e.errno == errno.EACCES else f"读取失败（{errno.errorcode.get(e.errno, e.errno)}）"
        raise DamagedPlan(f"{name} {why}") from None
    if not isinstance(data, dict):
        raise DamagedPlan(f"{name} 内容不是方案记录")
    return data


def _derived_facts(record: Record, kb: KnowledgeBase) -> dict:
    copied = copy.deepcopy(record)
    derive(copied, kb)
    return copied.facts


# --- the single pass -----------------------------------------------------------------------


@dataclass
class _Plan:
    """What one plan contributes, taken out whole before anything is counted."""

    enterprise: dict
    as_of: str | None
    measures: list  # (id, status, [verify labels])
    timeline: list  # (date, text, whether it awaits verification: every measure it comes from is 待核实)
    branches: dict = None  # measure id → the id of the alternative that fits


def _extract(plan: dict) -> _Plan:
    try:
        enterprise = plan["enterprise"]
        if not isinstance(enterprise.get("id"), str) or not isinstance(enterprise.get("name"), str):
            raise TypeError
        measures = [(m["id"], m["status"], tuple(v["label"] for v in m["verify"]) if m["status"] == "verify" else ())
                    for m in plan["measures"]]
        timeline = _timeline(plan)
        as_of = plan.get("as_of")
        branches = {m["id"]: (m.get("branch") or {}).get("id") for m in plan["measures"] if m.get("branch")}
    except (KeyError, TypeError, AttributeError):
        raise DamagedPlan(f"{PLAN} 内容不完整（缺少企业、措施或时间表）") from None
    return _Plan(enterprise, as_of, measures, timeline, branches)


def _timeline(plan: dict) -> list:
    """The plan's dates (plan.json's timeline), each with whether it only awaits verification: a
    start or an end of a measure 待核实, a deadline all of whose measures (those serving its
    target) are 待核实. A deadline no measure names (an older plan.json) counts as applying."""
    status = {m["id"]: m["status"] for m in plan["measures"]}
    by_deadline: dict = {}
    for m in plan["measures"]:
        for d in m.get("deadlines") or ():
            by_deadline.setdefault((d["date"], deadline_text(d)), set()).add(m["status"])
    out = []
    for e in plan.get("timeline", []):
        statuses = {status.get(e["measure"])} if e.get("measure") else by_deadline.get((e["date"], e["text"]), set())
        out.append((e["date"], e["text"], statuses == {"verify"}))
    return out


@dataclass
class _Tally:
    kb: KnowledgeBase
    plans: int = 0
    without_plan: int = 0
    distribution: dict = field(default_factory=lambda: {f: Counter() for f in
                                                        ("sector", "district", "size", "production_status")})
    per_measure: dict = field(default_factory=dict)
    open_questions: dict = field(default_factory=dict)
    timeline: Counter = field(default_factory=Counter)  # (date, text, awaits verification) → enterprises
    dates: set = field(default_factory=set)
    key: int = 0
    covered: int = 0
    uncovered: list = field(default_factory=list)  # {name, id, why, detail}
    rejected: list = field(default_factory=list)  # {where, name, code, why}
    rejected_key: int = 0
    missing: list = field(default_factory=list)  # {name, id, why, detail}: list enterprises without current plan
    not_in_list: list = field(default_factory=list)
    damaged: list = field(default_factory=list)
    relief_payroll: float = 0.0
    relief_eligible: int = 0
    relief_with_payroll: int = 0
    relief_verify: int = 0

    def __post_init__(self):
        target = self.kb.campaign.targets[self.kb.campaign.coverage_target]
        self.target = target
        self.serving = {m.id for m in self.kb.all_measures() if target.id in m.targets}
        self.spec = self.kb.relief["social_insurance_deferral"]

    def in_population(self, facts: dict) -> bool:
        return self.target.population.evaluate(RecordFacts(Record(facts, ""), self.kb)).value is True

    def count_facts(self, facts: dict) -> None:
        for field_id, counter in self.distribution.items():
            counter[facts.get(field_id)] += 1

    def add(self, item) -> None:
        if isinstance(item, dict):
            try:
                self.add_plan(_extract(item))
            except DamagedPlan as e:  # named by its enterprise; the rest is summarised
                who = item.get("enterprise") if isinstance(item.get("enterprise"), dict) else {}
                self.damaged.append({"where": visible(f"{who.get('id', '?')}/"), "why": str(e)})
        elif isinstance(item, WithoutPlan):
            self.without_plan += 1
            self.count_facts(item.facts)
            entry = {"name": visible(item.facts["name"]), "id": visible(item.facts["id"]), "why": item.reason,
                     "detail": item.detail}
            self.missing.append(entry)
            if self.in_population(item.facts):
                self.key += 1
                self.uncovered.append(entry)
        elif isinstance(item, RejectedRecord):
            reasons = [p for p in item.problems if p.level == "rejected"] or list(item.problems)
            why = "；".join(p.message if not p.field or p.field == "-" or p.message.startswith(p.field)
                           else f"{p.field}：{p.message}" for p in reasons)
            where = item.where.rsplit("/", 1)[-1]
            row = where.rpartition(":")[2]
            self.rejected.append({"where": visible(where), "row": row if row.isdigit() else "", "name": visible(item.name),
                                  "code": visible(item.code), "why": visible(why)})
            if self.in_population(item.facts):
                self.key += 1
                self.rejected_key += 1
                self.uncovered.append({"name": visible(item.name), "id": visible(item.code), "why": "rejected",
                                       "detail": ""})
        elif isinstance(item, NotInList):
            self.not_in_list.append({"id": visible(item.id), "name": visible(item.name)})
        elif isinstance(item, Damaged):
            self.damaged.append({"where": visible(item.where), "why": item.why})
        else:
            raise TypeError(f"not a summary item: {type(item).__name__}")

    def prepare(self, plan: _Plan) -> tuple:
        """What one plan adds, worked out before anything is counted: a plan with values that
        cannot be counted (a list where a label should be, text where a number should be) raises
        DamagedPlan here, and no counter has changed."""
        try:
            facts = tuple(plan.enterprise.get(f) for f in self.distribution)
            hash(facts + tuple(plan.measures) + tuple(plan.timeline) + (plan.as_of,))
            key = self.in_population(plan.enterprise)
            serving = any(mid in self.serving for mid, _, _ in plan.measures)
            wanted = self.spec.get("branches")
            deferral = {status for mid, status, _ in plan.measures if mid in self.spec["measures"]
                        and (status != "applies" or not wanted or (plan.branches or {}).get(mid) in wanted)}
            payroll = plan.enterprise.get(self.spec["payroll_field"]) if "applies" in deferral else None
            payroll = None if payroll is None else 0.0 + payroll
        except (TypeError, ValueError, AttributeError):
            raise DamagedPlan(f"{PLAN} 中有无法统计的取值") from None
        return facts, key, serving, deferral, payroll

    def add_plan(self, plan: _Plan) -> None:
        facts, key, serving, deferral, payroll = self.prepare(plan)
        self.plans += 1
        for (field_id, counter), value in zip(self.distribution.items(), facts):
            counter[value] += 1
        self.dates.add(plan.as_of)
        for mid, status, labels in plan.measures:
            self.per_measure.setdefault(mid, Counter())[status] += 1
            if labels:
                self.open_questions.setdefault(mid, Counter()).update(labels)
        self.timeline.update(plan.timeline)
        if key:
            self.key += 1
            if serving:
                self.covered += 1
            else:
                self.uncovered.append({"name": visible(plan.enterprise["name"]), "id": visible(plan.enterprise["id"]),
                                       "why": "no_measure", "detail": ""})
        if "applies" in deferral:
            self.relief_eligible += 1
            if payroll is not None:
                self.relief_with_payroll += 1
                self.relief_payroll += payroll
        elif "verify" in deferral:
            self.relief_verify += 1


def plans_as_of(dates: set) -> dt.date | None:
    """The as-of date of a folder's plans when they all share one (the date to summarise at)."""
    return dt.date.fromisoformat(next(iter(dates))) if len(dates) == 1 and None not in dates else None


def summarize(items: Iterable, kb: KnowledgeBase, as_of: dt.date | None = None, scope: dict | None = None,
              report_date: dt.date | None = None, issuer: str | None = None) -> dict:
    """Everything summary.md.j2 lays out, computed here in one pass over ``items`` (see the module
    docstring). Without ``as_of``, the plans' own as-of date when they share one, else today.
    ``scope`` says what was summarised: {"mode": "list" | "folder" | "list_and_folder", "list": name,
    "folder": name}. ``report_date`` (报送日期, default today) and ``issuer`` (the reporting bureau,
    default the campaign's issuer) are printed under the title."""
    tally = _Tally(kb)
    for item in items:
        tally.add(item)
    if as_of is None:
        as_of = plans_as_of(tally.dates) or today()
    context = _context(tally, kb, as_of, scope or {"mode": "list"})
    context["report_date"] = (report_date or today()).isoformat()
    if issuer:
        context["issuer"] = issuer
    return context


def rate(covered: int, total: int) -> str:
    """A percentage that is 100% only when all are covered: rounded down, to one decimal when
    it is not whole (249 of 250 is 99.6%, 9,999 of 10,000 is 99.9%)."""
    if not total:
        return "—"
    tenths = covered * 1000 // total
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"


def _context(t: _Tally, kb: KnowledgeBase, as_of: dt.date, scope: dict) -> dict:
    def label(field_id, value):
        return show_value(kb.fields[field_id], value, kb) if value is not None else UNKNOWN

    def counts(field_id):
        c = Counter()
        for value, n in t.distribution[field_id].items():
            c[label(field_id, value)] += n
        return sorted(c.items(), key=lambda kv: (kv[0] == UNKNOWN, -kv[1], kv[0]))

    titles = {m.id: m.title if m.scope == "citywide" else f"{m.title}（{kb.sectors[m.scope].name}）"
              for m in kb.all_measures()}
    measure_rows = sorted(
        ({"id": mid, "title": titles.get(mid, mid), "applies": c["applies"], "verify": c["verify"],
          "upcoming": c["upcoming"], "total": sum(c.values())} for mid, c in t.per_measure.items()),
        key=lambda r: (-r["total"], r["title"]))
    question_rows = sorted(
        ({"title": titles.get(mid, mid), "enterprises": t.per_measure[mid]["verify"],
          "facts": "、".join(f"{name}（{n}）" for name, n in sorted(c.items(), key=lambda x: (-x[1], x[0])))}
         for mid, c in t.open_questions.items()),
        key=lambda r: (-r["enterprises"], r["title"]))
    days = kb.campaign.reminders["summary_deadline_days"]
    start, end = as_of.isoformat(), (as_of + dt.timedelta(days=days)).isoformat()
    coming: dict = {}
    for (d, text, verify), n in t.timeline.items():
        if start <= d <= end:
            coming.setdefault((d, text), Counter())[verify] += n
    # enterprises whose plans have the date: those of a measure that applies (or starts later), and
    # apart those of a measure still to be verified (so a target's count reads as the coverage's)
    deadlines = [{"date": d, "text": text, "enterprises": c[False], "verify": c[True]}
                 for (d, text), c in sorted(coming.items())]
    return {
        "title": kb.campaign.documents["summary"],
        "campaign": kb.campaign.title,
        "issuer": kb.campaign.issuer,
        "as_of": as_of.isoformat(),
        "scope": scope,
        "total": t.plans + t.without_plan,
        "with_plan": t.plans,
        "without_plan": t.missing,
        "rejected": t.rejected,
        "not_in_list": t.not_in_list,
        "damaged": t.damaged,
        "by_sector": counts("sector"),
        "by_district": counts("district"),
        "by_size": counts("size"),
        "by_status": counts("production_status"),
        "measures": measure_rows,
        "coverage": {
            "target": t.target.statement(),
            "target_value": f"{t.target.value:g}{t.target.unit}",
            "goal": _goal(t.target),
            "key": t.key,
            "covered": t.covered,
            "rejected": t.rejected_key,
            "rate": rate(t.covered, t.key),
            "meets": Ratio(t.covered, t.key).meets(t.target),  # exactly, as the request rates; None without any
            "short": Ratio(t.covered, t.key).short_of(t.target),
            "missing": t.uncovered,
        },
        "questions": question_rows,
        "deadlines": deadlines,
        "deadline_days": days,
        "relief": _relief(t, kb, as_of),
    }


def _relief(t: _Tally, kb: KnowledgeBase, as_of: dt.date) -> dict:
    """Social-insurance deferral from monthly payroll and the employer rates in relief.yaml, with
    how many enterprises could not be estimated and why."""
    spec = t.spec
    until = spec["until"]
    months = max(0, (until.year - as_of.year) * 12 + until.month - as_of.month + 1)
    rate_sum = sum(r["rate"] for r in spec["rates"])
    total = t.relief_payroll * rate_sum * months
    target = kb.campaign.targets[kb.relief["target"]]
    share = total / 10000 / target.value if target.value else 0
    return {
        "months": months,
        "rates": [{"label": r["label"], "rate": f"{r['rate']:.1%}", "source": r["source"]} for r in spec["rates"]],
        "source": spec["source"],
        "payroll_label": kb.fields[spec["payroll_field"]].label.split("（")[0],  # without its unit
        "eligible": t.relief_eligible,
        "with_payroll": t.relief_with_payroll,
        "unknown_payroll": t.relief_eligible - t.relief_with_payroll,
        "left_out": [(code, n) for code, n in (("verify", t.relief_verify), ("without_plan", t.without_plan),
                                               ("rejected", len(t.rejected))) if n],
        "total_wan": f"{total:,.1f}",
        "total_yi": f"{total / 10000:.4f}",
        "target": target.statement(),
        "share": f"{share:.4%}",
    }


def place_figures(body: str, places: dict, figures: dict) -> str:
    """The summary's HTML ``body`` with its charts: ``places`` names each chart's placeholder
    (a paragraph of its own where the template put the chart), ``figures`` its HTML as a function
    of its number. The charts are numbered 图1, 图2, … in the order the template puts them; one
    whose placeholder the template lacks (a bureau's own template) goes at the end, after the others.
    PlannerError when a placeholder is not a paragraph of its own."""
    spots = {}
    for name, place in places.items():
        paragraph = f"<p>{place}</p>"
        if paragraph in body:
            spots[name] = body.index(paragraph)
        elif place in body:
            raise PlannerError(f"模板 summary.md.j2：{{{{ {name} }}}} 须单独成段（前后各空一行），图表才能放在那里")
    order = sorted(spots, key=spots.get) + [name for name in places if name not in spots]
    for number, name in enumerate(order, 1):
        html = figures[name](number)
        if name in spots:
            body = body.replace(f"<p>{places[name]}</p>", html)
        else:
            body += html
    return body


def summary_figures(templates, context: dict) -> dict:
    """The summary's charts for ``place_figures``: name → its HTML as a function of its number
    (chart.svg.j2, and requests_chart.svg.j2 when there is a 诉求办理 section)."""
    figures = {"chart": lambda n: templates.render("chart.svg.j2", as_html=True, rows=chart_rows(context), number=n)}
    if "requests" in context:
        section = context["requests"]
        figures["requests_chart"] = lambda n: templates.render(
            "requests_chart.svg.j2", as_html=True, rows=requests_chart_rows(section), number=n,
            dimension=section["chart"]["dimension"], target=section["chart"]["target"],
            target_label=section["target_value"])
    return figures


def chart_rows(context: dict) -> list[dict]:
    """Bars of the SVG chart: enterprises per measure, the longest first (the template decides
    how many it draws)."""
    rows = context["measures"]
    top = max((r["total"] for r in rows), default=1) or 1
    return [{"title": r["title"], "total": r["total"], "applies": r["applies"],
             "share": r["total"] / top, "applies_share": r["applies"] / top} for r in rows]


# --- the request ledger (诉求办理) ---------------------------------------------------------------


def requests_context(rates, ledger_name: str) -> dict:
    """What summary.md.j2's 诉求办理 section lays out, from ``planner.requests.rates.compute``:
    every rate as numerator, denominator, percentage (rounded down; None without a denominator)
    and whether it meets the target (exactly). ``ledger_name``: the file the figures come from."""
    target = rates.target

    def ratio(r) -> dict:
        return {"n": r.numerator, "d": r.denominator, "percent": r.percent(), "meets": r.meets(target),
                "short": r.short_of(target)}

    def figures(f) -> dict:
        return {"name": visible(f.name), "registered": f.registered, "withdrawn": f.withdrawn,
                "handling": ratio(f.handling), "on_time": ratio(f.on_time), "satisfaction": ratio(f.satisfaction),
                "overdue": f.overdue}

    breakdowns = {d: [figures(f) for f in rows] for d, rows in rates.breakdowns.items()}
    overdue = [{"id": o.request.id, "enterprise": visible(o.request.enterprise_name),
                "enterprise_id": visible(o.request.enterprise_id), "category": visible(o.request.category),
                "departments": visible("、".join(o.departments)) or "（待重新交办）",
                # as the request lists say it (requests list, the department's sheet): 交办（已退回）,
                # 办理中（1/2 部门已办结：市经信局）
                "state": visible(shown_state(o.state, o.returned, o.departments, o.done)),
                "done": visible("、".join(o.done)),
                "due": o.request.due_date.isoformat(), "days": o.days, "working_days": o.working_days,
                # 6月21日 in the year of the as-of date (the section says it), so the table leaves the
                # departments room for a name whole
                "due_shown": (cn_month_day(o.request.due_date) if o.request.due_date.year == rates.as_of.year
                              else cn_date(o.request.due_date))}
               for o in rates.overdue]
    return {
        "ledger": visible(ledger_name),
        "as_of": rates.as_of.isoformat(),
        "target": target.statement() if target is not None else None,
        "target_value": f"{target.value:g}{target.unit}" if target is not None else None,
        "goal": _goal(target) if target is not None else None,
        "total": figures(rates.total),
        "breakdowns": breakdowns,
        "overdue": overdue,
        "chart": {"dimension": _chart_dimension(breakdowns), "target": _share(target)},
    }


def _goal(target) -> str:
    """The target without its title, as a table beside the rate's name shows it: 不低于95%（持续保持）."""
    return target.statement().removeprefix(target.title)


def _share(target) -> float | None:
    return None if target is None else min(max(target.value / 100, 0.0), 1.0)


def _chart_dimension(breakdowns: dict) -> str:
    """Districts when at least two have requests to handle, else departments."""
    districts = [r for r in breakdowns["district"] if r["handling"]["d"]]
    return "district" if len(districts) >= 2 else "department"


def requests_chart_rows(section: dict) -> list[dict]:
    """Bars of the handling-rate chart: one per group of the chosen dimension with requests to
    handle, the lowest rate first (as the tables), each with its exact share (0…1)."""
    rows = section["breakdowns"][section["chart"]["dimension"]]
    return [{"name": r["name"], "share": r["handling"]["n"] / r["handling"]["d"], "percent": r["handling"]["percent"],
             "n": r["handling"]["n"], "d": r["handling"]["d"], "meets": r["handling"]["meets"]}
            for r in rows if r["handling"]["d"]]
