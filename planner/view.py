"""What the templates see: a plan turned into labelled, ordered, ready-to-print values.

Everything computed — labels, periods, which items fit on the brief — is computed here, so
templates hold only wording and layout.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from dataclasses import dataclass

from planner.dates import cn_date, cn_period
from planner.knowledge import BENEFIT_WIDTH, CITYWIDE, KnowledgeBase, Locality
from planner.matching import FAIL_MARK, UNKNOWN_MARK, show_value, with_basis
from planner.plan import Plan
from planner.requests.machine import shown_state
from planner.requests.refs import visit_ref
from planner.textsafe import visible

STATUS_LABELS = {"applies": "适用", "verify": "待核实", "upcoming": "即将实施"}
BASIC_FIELDS = ("id", "name", "entity_type", "sector", "industry_code", "industry_door", "district", "zone",
                "size", "employees", "revenue", "assets", "above_scale", "production_status", "key_enterprise")
CONTACT_FIELDS = ("contact", "phone", "cadre")
STATUS_FIELD = "production_status"
STATUS_ROW_LABELS = {"production": "生产状态", "business": "经营状态"}  # as kb.works_as says the enterprise works


@dataclass(frozen=True)
class BriefLimits:
    """What fits on one A4 page: caps per section and a budget of body lines.

    The fixed parts of the brief (title, facts table, request lines, signatures) take about
    two thirds of the page; ``lines`` is what is left for difficulties, measures and questions
    at 10.5pt, one line each (a question, or a measure with its benefit, may take two; brief.css
    wraps both); what a list leaves out is counted in its heading. Measured on the bundled samples
    and the stress record (whose two-line title costs two): with 17 lines a brief ends about 1 mm
    above the bottom margin, with 18 every one runs onto a second page.
    """

    difficulties: int = 5
    measures: int = 8
    questions: int = 6
    checklist: int = 2  # bureau-held facts the officer checks before the visit (a heading line besides)
    open_requests: int = 3  # the enterprise's open requests (诉求) to follow up, a line each (and a heading)
    request_lines: int = 5
    lines: int = 17
    name_width: int = 116  # display columns of the name: with 走访简报： two title lines; the rest is cut with …
    cell_width: int = 48  # of a record value in the facts table: two lines of its cell (FACT_WIDTH)


LINE_WIDTH = 92  # display columns of one body line (a Chinese character counts two)
TITLE_WIDTH = 64  # of one line of the 15pt title
FACT_WIDTH = 24  # of one line of a value cell in the brief's facts table (brief.css: what the labels leave, 12 characters)


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


def measure_line(m: dict) -> str:
    """A measure's line on the brief as brief.md.j2 writes it (for its width):
    1. title〔status〕benefit，warning: one line, what the enterprise gains (the lead departments are
    in the plan; a measure without a benefit shows its lead instead)."""
    said = m.get("benefit") or m["lead"]
    return f"10. {m['title']}〔{m['status_label']}〕{said}" + (f"，{m['warning']}" if m.get("warning") else "")


def benefit_of(m, spec) -> str:
    """The concrete benefit of a measure in a few words, for the brief: the ``benefit`` of the case
    that fits (2022年减免6个月租金), else the measure's own (无分歧欠款100%清偿，有争议的协商调解),
    else the first short note of the case; empty when none. A measure still to confirm between cases
    has no case: it shows the measure's benefit, which holds for all of them."""
    if spec is None:
        return ""
    branch = next((b for b in spec.branches if b.id == m.branch["id"]), None) if m.branch else None
    if branch is not None and branch.benefit:
        return branch.benefit
    if spec.benefit:
        return spec.benefit
    short = [n for n in (branch.notes if branch else []) if display_width(n) <= BENEFIT_WIDTH]
    return short[0].rstrip("。") if short else ""


def fit_brief(difficulties: list, measures: list, questions: list, limits: BriefLimits, title_lines: int,
              reserved: int = 0):
    """Cut the three lists by priority to fit the line budget: at least three of each where there
    are, then questions, measures and difficulties in turn. What a list leaves out is counted in its
    heading (另有N项), at no cost. ``reserved`` lines are taken by other parts (the officer's checklist)."""
    budget = limits.lines - (title_lines - 1) * 2 - reserved
    caps = {"d": min(len(difficulties), limits.difficulties), "m": min(len(measures), limits.measures),
            "q": min(len(questions), limits.questions)}
    question_lines = [line_count(q) for q in questions]
    measure_lines = [line_count(measure_line(m)) for m in measures]
    cost = {"d": lambda i: 1, "m": lambda i: measure_lines[i], "q": lambda i: question_lines[i]}
    taken = {"d": 0, "m": 0, "q": 0}

    def used():
        return sum(cost[k](i) for k in taken for i in range(taken[k]))

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


def local_unit(plan: Plan, kb: KnowledgeBase) -> Locality:
    """Who serves the enterprise where it is (localities.yaml): its zone's 管委会 when the record
    has a zone, else its district's bureau; the generic entry when neither is known."""
    e = plan.enterprise
    zone, district = e.get("zone"), e.get("district")
    found = kb.localities.get("zones", {}).get(zone) if zone else None
    if found is None and district:
        found = kb.localities.get("districts", {}).get(district)
    return found or kb.localities["generic"]


def lead_text(measure_lead: list, plan: Plan, kb: KnowledgeBase, local_too: bool = True) -> str:
    """A measure's lead as a plan and a brief show it: the city departments of the measure, its
    generic local government (各区县（市）政府) replaced by the enterprise's own government or zone
    管委会, then the enterprise's own local unit; each named once."""
    local = local_unit(plan, kb)
    generic = kb.localities["generic"].government
    names = [local.government if name == generic else name for name in measure_lead] + (
        [local.unit] if local_too else [])
    return "、".join(dict.fromkeys(names))


def status_shown(plan: Plan, kb: KnowledgeBase) -> tuple[str, str | None]:
    """The row label and the value of the production status: 经营状态 and the business label
    (正常经营, 停业) for an enterprise that 经营, 生产状态 and the label otherwise; None when unknown."""
    works = kb.works_as(plan.enterprise) or "production"
    value = plan.enterprise.get(STATUS_FIELD)
    if value is None:
        return STATUS_ROW_LABELS[works], None
    entry = kb.vocabularies[kb.fields[STATUS_FIELD].vocabulary].entries.get(value)
    if entry is None:
        return STATUS_ROW_LABELS[works], str(value)
    return STATUS_ROW_LABELS[works], (entry.business_label if works == "business" and entry.business_label
                                      else entry.label)


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
        label, shown = spec.label, show_value(spec, value, kb)
        if field_id == STATUS_FIELD:
            label, shown = status_shown(plan, kb)
        basis = plan.derived.get(field_id, "")
        rows.append({"field": field_id, "label": label, "value": shown, "shown": with_basis(shown, basis),
                     "derived": field_id in plan.derived, "basis": basis})
    return rows


def receivable_rows(plan: Plan, kb: KnowledgeBase) -> list[dict]:
    spec = next(f for f in kb.fields.values() if f.type == "records")
    rows = []
    for no, item in enumerate(plan.enterprise.get(spec.id) or [], 1):
        row = {"no": no} | {k: show_value(spec.items[k], item.get(k), kb) if item.get(k) is not None else "未知"
               for k in spec.items}
        # what a plan says of an item in a sentence: the yes-phrase of each of its true flags (有争议)
        row["flags"] = [f.says["yes"] for k, f in spec.items.items()
                        if f.type == "bool" and f.says and item.get(k) is True]
        rows.append(row)
    return rows


def period_text(period: dict) -> str:
    """2022年6月1日至12月31日; 2022年4月1日起长期有效 (plan.json keeps the ISO dates)."""
    return cn_period(period["start"], period["end"] or None)


CN_DIGITS = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """一, 十二, 二十三: the numbers of （一） headings (1..99)."""
    tens, ones = divmod(n, 10)
    head = "" if not tens else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones or not tens else "")


def measure_section(m, spec) -> str:
    """Where a plan shows a measure: ``core`` (三、重点帮扶措施, in full) when the enterprise's own
    facts or difficulties decide it — every sector measure; a citywide one with an eligibility,
    branches, a ``for`` other than all, or answering a difficulty the enterprise reported — else
    ``universal`` (四、可享受的普惠政策, one row). A measure's ``section`` key overrides."""
    if spec is not None and spec.section:
        return spec.section
    if m.scope != CITYWIDE or m.answers:
        return "core"
    if spec is not None and (spec.condition is not None or spec.branches or spec.audience is not None):
        return "core"
    return "universal"


def fact_table(rows: list[dict]) -> list[tuple]:
    """Fact rows laid out two to a table row: (label, value, label, value); the last may be half empty."""
    cells = [(r["label"], r["shown"]) for r in rows]
    out = []
    for i in range(0, len(cells), 2):
        a = cells[i]
        b = cells[i + 1] if i + 1 < len(cells) else ("", "")
        out.append(a + b)
    return out


def completion_date(m, kb: KnowledgeBase, as_of: str) -> str:
    """A task's 完成时限: the nearest enterprise deadline still ahead, else the measure's end, else
    长期有效 (an open-ended measure)."""
    ahead = sorted(d["date"] for d in m.deadlines if d["date"] >= as_of)
    if ahead:
        return cn_date(ahead[0])
    return cn_date(m.period["end"]) if m.period["end"] else "长期有效"


def timeline_kept(events: list[dict], ends: dict, warned: set, as_of: str) -> tuple[list[dict], dict]:
    """The timeline's rows as the plan shows them, each with ``past`` (its date before ``as_of``),
    and the count by date of the measures' ends left to one line (a measure's end is a row only
    when the measure warns of it). ``ends``: each measure's end; ``warned``: the measures warning."""
    rows, rest = [], {}
    for e in events:
        if e["measure"] is not None and e["text"].endswith("截止") and ends.get(e["measure"]) == e["date"]:
            if e["measure"] not in warned:
                rest[e["date"]] = rest.get(e["date"], 0) + 1
                continue
        rows.append({**e, "past": e["date"] < as_of})
    return rows, rest


def plan_timeline_rows(plan: Plan, kb: KnowledgeBase) -> tuple[list[dict], str]:
    """The 时间节点 an enterprise acts on — measures starting later, the enterprise's deadlines, the
    end of a measure about to close — and one line for the ends of all the other measures."""
    kept, rest = timeline_kept(plan.timeline(), {m.id: m.period["end"] for m in plan.measures},
                               {m.id for m in plan.measures if m.deadline_warning}, plan.as_of.isoformat())
    rows = [{**e, "date": cn_date(e["date"])} for e in kept]
    if not rest:
        return rows, ""
    dates = sorted(rest)
    line = ("其余措施实施期限至" + cn_date(dates[0]) if len(dates) == 1
            else "其余措施实施期限分别至" + "、".join(cn_date(d) for d in dates))
    return rows, line


def item_groups(items: list) -> list[dict]:
    """A measure's items (each receivable) grouped by how they are handled, in the record's order:
    the items' numbers in the facts (第1、3笔), or 该笔账款 when there is one, so a long list of
    debtors is printed once."""
    groups: dict[str, list] = {}
    for i in items:
        groups.setdefault(i["text"], []).append(i)
    if len(items) == 1:  # named in the facts and in the reasons already
        return [{"which": "该笔账款", "text": items[0]["text"]}]
    return [{"which": "第" + "、".join(str(i["no"]) for i in group) + "笔", "text": text}
            for text, group in groups.items()]


TASK_NAME_WIDTH = 8  # display columns of a 责任人 cell: a name; a longer cadre entry is named below the table


def person_name(cadre: str) -> str:
    """The cadre's name without the unit written after it (郑晓岚（北仑区经信局） → 郑晓岚), for the
    task table's 责任人 column; the plan names the unit once, in its text."""
    for bracket in ("（", "("):
        head = cadre.split(bracket, 1)[0].strip()
        if head and head != cadre:
            return head
    return cadre


def activity_titles(m, kb: KnowledgeBase) -> list[str]:
    """The titles of the matchmaking activities that answer this enterprise (a 普惠 row's 如何申请)."""
    return [a.title for a in kb.campaign.activities.values() if any(s.startswith(a.title + "（") for s in m.activities)]


def left_out(not_matched: list) -> list[dict]:
    """The measures left out, those ruled out for the same reasons as one entry (titles, reasons),
    in the order they come: six measures for industrial firms said once for a software company."""
    groups: dict[tuple, list] = {}
    for m in not_matched:
        # a plan.json written before `plain` has `short`, the reasons without the 不符合 mark
        reasons = tuple(m.get("plain") or m.get("short") or [r.removeprefix(FAIL_MARK) for r in m["reasons"]])
        groups.setdefault(reasons, []).append(m["title"])
    return [{"titles": titles, "reasons": list(reasons)} for reasons, titles in groups.items()]


def by_date(rows: list) -> list[tuple]:
    """Timeline rows of the same day as one row (date, [rows]), in the timeline's order."""
    out: list[tuple] = []
    for row in rows:
        if out and out[-1][0] == row["date"]:
            out[-1][1].append(row)
        else:
            out.append((row["date"], [row]))
    return out


# The enterprise's requests (诉求) from the ledger (planner.requests), as plain data the parent of a
# run reads once and hands to each enterprise's task: a tuple of dicts with id, category, text,
# state, departments (list), due (ISO date), pending (still with the departments: overdue once past
# due), open (not 销号 or 撤回) and measures (the ids sectors/requests.yaml relates its category to).
PLAN_REQUESTS = 6  # rows of the plan's 诉求办理情况 (open requests); the rest are counted above the table
PLAN_REQUEST_WIDTH = 120  # display columns of a request's text there: a sentence or two in full; the
# cadre's longer notes are clipped (the ledger keeps them whole)
MEASURES_NAMED = 2  # measures a request names (对应措施)


def is_overdue(request: dict, as_of: dt.date) -> bool:
    """Still with the departments after its due date (as ``Request.is_overdue``)."""
    return bool(request["pending"]) and request["due"] < as_of.isoformat()


def short_date(iso: str, as_of: dt.date) -> str:
    """6月16日 in the as-of year, 2023年1月4日 otherwise: the brief's dates, short."""
    day = dt.date.fromisoformat(iso)
    return f"{day.month}月{day.day}日" if day.year == as_of.year else cn_date(day)


def one_line(text) -> str:
    """Text typed by people as the documents print it, before it is cut to its width: control
    characters and bidi marks as visible ⟨U+XXXX⟩ marks (as the escaping would show them), all
    whitespace one space."""
    return " ".join(visible(str(text)).split())


def follow_up_line(request: dict, as_of: dt.date, text: str | None = None) -> str:
    """A request's line on the brief as brief.md.j2 writes it (for its width):
    SQ-2022-000001 融资：text（办理中，6月16日到期，已逾期）."""
    said = one_line(request["text"]) if text is None else text
    return f"{request['id']} {request['category']}：{said}{follow_up_status(request, as_of)}"


def request_state(request: dict, short: bool = False) -> str:
    """A request's state as the documents print it: 交办（已退回） when its department sent it back
    (``short``, inside the brief's parentheses: 已退回); a co-held one some of whose departments
    have answered 办结: 办理中（1/2 部门已办结：市经信局） (``short``: 办理中，1/2 部门已办结)."""
    if short and request.get("returned"):
        return "已退回"
    if short and request.get("done") and request["state"] == "办理中":
        return f"办理中，{len(request['done'])}/{len(request['departments'])} 部门已办结"
    return shown_state(request["state"], bool(request.get("returned")), request.get("departments", ()),
                       request.get("done", ()))


# How a request's state reads to a cadre (the ledger's 登记, 交办 … are its steps, not sentences):
# what has happened to it and, once the departments have finished, what the cadre does next. The
# brief says it to the cadre (请回访); the plan's 诉求办理情况, which the enterprise may read, states it.
CADRE_WORDS = {"登记": "待交办", "交办": "已交办", "办理中": "办理中"}
CADRE_NEXT = {"办结": "已办结，请回访", "回访": "已回访，待销号"}
PLAN_NEXT = {"办结": "已办结，待回访", "回访": "已回访，待销号"}
RETURNED_WORDS = "已退回，待重新交办"


def cadre_state(request: dict, brief: bool = True) -> str:
    """A request's state in a cadre's words, without its due date: 待交办, 已交办, 已退回，待重新交办,
    办理中; a co-held one some of whose departments have answered 办结: 市人力社保局已办结，尚待市经信局
    (never a bare 已办结 while a department still holds it); finished by the departments:
    已办结，请回访 (``brief``; the plan: 已办结，待回访), 已回访，待销号."""
    state = request["state"]
    if not request["pending"]:
        return (CADRE_NEXT if brief else PLAN_NEXT).get(state, f"已{state}")
    if request.get("returned"):  # the plan's 承办部门 cell already says （待重新交办）
        return RETURNED_WORDS if brief else "已退回"
    done = tuple(request.get("done") or ())
    if done and state == "办理中":
        waiting = [d for d in request.get("departments", ()) if d not in done]
        return f"{'、'.join(done)}已办结" + (f"，尚待{'、'.join(waiting)}" if waiting else "")
    return CADRE_WORDS.get(state, state)


def follow_up_state(request: dict, as_of: dt.date) -> str:
    """Inside a request's brackets on the brief: still with the departments, its state in a cadre's
    words (``cadre_state``), due date and 已逾期; finished by them, what the cadre does next
    (已办结，请回访), with no due date."""
    head = cadre_state(request)
    if not request["pending"]:
        return head
    late = "，已逾期" if is_overdue(request, as_of) else ""
    return f"{head}，{short_date(request['due'], as_of)}到期{late}"


def follow_up_status(request: dict, as_of: dt.date) -> str:
    return f"（{follow_up_state(request, as_of)}）"


def brief_requests(requests, as_of: dt.date, most: int) -> tuple[list[dict], int]:
    """The open requests a cadre follows up on the next visit, each one line (its text cut to fit),
    at most ``most``; and how many more are open. Overdue ones first, the longest overdue first,
    then those the departments have done (办结: the cadre asks the enterprise whether it is
    satisfied), then the rest by due date."""
    def order(r):  # overdue (the earliest due first), then done, then the rest by due date
        late = is_overdue(r, as_of)
        return (not late, not late and bool(r["pending"]), str(r["due"] or ""))

    open_ = sorted((r for r in requests if r["open"]), key=order)
    kept = []
    for r in open_[:most]:
        room = LINE_WIDTH - 2 - display_width(follow_up_line(r, as_of, ""))  # 2: the list mark
        kept.append({"id": r["id"], "category": r["category"], "text": clip(one_line(r["text"]), max(room, 8)),
                     "state": request_state(r, short=True), "due": short_date(r["due"], as_of),
                     "overdue": is_overdue(r, as_of),  # state, due, overdue: for a bureau's own template
                     "status": follow_up_state(r, as_of)})
    return kept, len(open_) - len(kept)


def _state_shown(request: dict, overdue: bool) -> str:
    """The plan's 状态 cell: the state in a cadre's words (``cadre_state``: 待交办, 已退回,
    市科技局已办结，尚待市经信局, 已办结，待回访 …), then 已逾期."""
    return cadre_state(request, brief=False) + ("，已逾期" if overdue else "")


def plan_requests(requests, core: list, universal: list, as_of: dt.date) -> dict:
    """A plan's 附：诉求办理情况: the counts (all; open: not yet 销号 or 撤回, of them pending with the
    departments and overdue, or done and awaiting 回访/销号; each final state), and a row for each
    open request, at most PLAN_REQUESTS, naming the measures of the plan its category
    relates to (core ones by their number); empty when the enterprise has no request."""
    if not requests:
        return {}
    proposed = {m["id"]: f"（{m['number']}）{m['title']}" for m in core}
    proposed.update({u["id"]: u["title"] for u in universal})
    order = {m["id"]: i for i, m in enumerate(core + universal)}
    open_ = [r for r in requests if r["open"]]
    rows = []
    for r in open_[:PLAN_REQUESTS]:
        named = sorted((m for m in dict.fromkeys(r["measures"]) if m in proposed), key=order.get)[:MEASURES_NAMED]
        rows.append({"id": r["id"], "category": r["category"], "text": clip(one_line(r["text"]), PLAN_REQUEST_WIDTH),
                     "departments": "、".join(r["departments"]) or "（待重新交办）", "state": request_state(r),
                     "state_shown": _state_shown(r, is_overdue(r, as_of)),
                     "overdue": is_overdue(r, as_of), "due": cn_date(r["due"]),
                     "measures": "；".join(proposed[m] for m in named)})
    closed: dict[str, int] = {}
    for r in requests:
        if not r["open"]:
            closed[r["state"]] = closed.get(r["state"], 0) + 1
    pending = sum(1 for r in open_ if r["pending"])
    return {"total": len(requests), "open": len(open_), "pending": pending, "awaiting": len(open_) - pending,
            "overdue": sum(1 for r in open_ if is_overdue(r, as_of)),
            "closed": list(closed.items()), "rows": rows, "more": len(open_) - len(rows)}


def plan_context(plan: Plan, kb: KnowledgeBase, requests=()) -> dict:
    """The values plan.md.j2 lays out: the plan in sections, the enterprise's own measures first;
    ``requests``: the enterprise's requests from the ledger (see ``plan_requests``)."""
    by_id = {m.id: m for m in plan.measures}
    specs = {s.id: s for s in kb.measures_for(plan.enterprise.get("sector"))}
    ordered = sorted(plan.measures, key=lambda m: m.order)  # the profile's order, whatever was reported
    # 附：政策依据 lists documents, each once: the campaign's two actions first (in campaign.yaml's
    # order, so their numbers never move), then the national notices as the measures first cite them
    # in the profile's order; a measure refers to its documents by number (〔依据1、3〕). The quotes
    # stay in plan.json (each measure's source).
    parts = {a["part"]: a["title"] for a in kb.campaign.actions.values()}

    def source_ref(m) -> list:  # the documents a measure cites; numbered below, once all are known
        return [parts.get(m.source["part"], m.source["part"])] + list(m.source.get("notices") or [])

    cadre = plan.enterprise.get("cadre")
    cadre = str(show_value(kb.fields["cadre"], cadre, kb)) if cadre is not None and "cadre" in kb.fields else ""
    as_of = plan.as_of.isoformat()
    core, universal = [], []
    for m in ordered:
        lead = lead_text(m.lead, plan, kb)
        if measure_section(m, specs.get(m.id)) == "universal":
            universal.append({"id": m.id, "title": m.title, "lead": lead, "period": period_text(m.period),
                              "city_lead": lead_text(m.lead, plan, kb, local_too=False),
                              "apply": m.actions[0] if m.actions else "",
                              "activities": activity_titles(m, kb), "cites": source_ref(m)})
            continue
        core.append({
            "id": m.id, "title": m.title, "status": m.status, "status_label": STATUS_LABELS[m.status],
            "number": cn_numeral(len(core) + 1),
            "summary": m.summary,
            # the first reason is the scope line (全市通用措施, 属本产业措施), said by the section; the
            # unknown facts are said once, by 需核实
            "reasons": [r.rstrip("。") for r in m.reasons[1:] if not (m.verify and r.startswith(UNKNOWN_MARK))],
            "verify": m.verify, "lead": lead, "city_lead": lead_text(m.lead, plan, kb, local_too=False),
            "period": period_text(m.period),
            "deadlines": [f"{cn_date(d['date'])} {d['title']}（{d['label']}）" for d in m.deadlines],
            "warning": m.deadline_warning, "actions": m.actions, "documents": m.documents,
            "questions": m.questions, "notes": m.notes, "activities": "；".join(m.activities),
            "cites": source_ref(m),
            "branch": m.branch["title"] if m.branch else None,
            # a case still to confirm: what is known of it and its notes; its unknown facts are 需核实
            "confirm_branches": [{**b, "says": [t.rstrip("。") for t in b["reasons"] + b.get("notes", [])
                                                if not (m.verify and t.startswith(UNKNOWN_MARK))]}
                                 for b in m.confirm_branches],
            "items": m.items, "item_groups": item_groups(m.items),
            "due": completion_date(m, kb, as_of),
        })
    cited = [t for m in core + universal for t in m["cites"]]
    numbers = {t: n for n, t in enumerate([t for t in parts.values() if t in cited]
                                          + list(dict.fromkeys(t for t in cited if t not in parts.values())), 1)}
    for m in core + universal:
        m["source_no"] = "、".join(str(numbers[t]) for t in m["cites"])
    situations = "、".join(s["title"] for s in plan.situations)
    questions = [{"text": q.text, "settles": "、".join(by_id[s].title for s in q.settles),
                  "why": ("关系到：" + "、".join(by_id[s].title for s in q.settles)) if q.settles
                  else f"{situations}企业首先了解"} for q in plan.questions]
    reported = [kb.vocab_label("difficulties", d) for d in plan.enterprise.get("difficulties") or []]
    timeline, timeline_rest = plan_timeline_rows(plan, kb)
    facts = fact_rows(plan, kb, BASIC_FIELDS + ("honors", "tax_credit_rating", "rd_ratio", "payroll_monthly",
                                                "major_project", "listing_plan", "in_affected_area",
                                                "temporary_difficulty", "utility_arrears", "rents_premises"))
    return {
        "doc_title": kb.campaign.documents["plan"],
        "name": plan.name,
        "id": plan.id,
        "as_of": cn_date(plan.as_of),
        "campaign": kb.campaign.title,
        "issuer": kb.campaign.issuer,
        "facts": facts,
        # the cadre is named with the local unit that serves the enterprise, below the table
        "fact_table": fact_table(facts + fact_rows(plan, kb, tuple(f for f in CONTACT_FIELDS if f != "cadre"))),
        "receivables": receivable_rows(plan, kb),
        "reported": reported,
        "reported_pressures": [p for p in plan.pressures if p["reported"] and p["scope"] != "reported"],
        "other_pressures": [p for p in plan.pressures if not p["reported"]],
        "pressures": plan.pressures,
        "measures": core,
        "universal": universal,
        "counts": {s: sum(1 for m in plan.measures if m.status == s) for s in STATUS_LABELS},
        "local": local_unit(plan, kb),
        "questions": questions,
        "checklist": [{"text": c["text"], "settles": "、".join(by_id[s].title for s in c["settles"])}
                      for c in plan.checklist],
        "timeline": timeline,
        "timeline_by_date": by_date(timeline),
        "timeline_rest": timeline_rest,
        "cadre": cadre,
        "cadre_name": (person_name(cadre) if display_width(person_name(cadre)) <= TASK_NAME_WIDTH
                       else "包联干部") if cadre else "",
        "campaign_period": cn_period(kb.campaign.start, kb.campaign.end),
        "sources": [{"no": n, "text": t} for t, n in numbers.items()],
        "not_matched": plan.not_matched,
        "left_out": left_out(plan.not_matched),
        "expired": [{**m, "ended": cn_date(m["ended"])} for m in plan.expired],
        "requests": plan_requests(requests, core, universal, plan.as_of),
        "provenance": provenance_line(plan),  # for an internal copy's footer; never in the body
    }


def provenance_line(plan: Plan) -> str:
    p = plan.provenance
    return f"{p['generator']} · 基准日 {cn_date(plan.as_of)} · 方案库 {p['profiles']} · 企业记录 {p['record']}"


def brief_context(plan: Plan, kb: KnowledgeBase, limits: BriefLimits = BriefLimits(), requests=()) -> dict:
    """The values brief.md.j2 lays out, cut by priority to fit one page; ``requests``: the
    enterprise's requests from the ledger, whose open ones the brief lists first."""
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
    # what a cadre presents first: measures that apply, then those to check and those to come; in
    # each, the plan's 重点帮扶措施 before its 普惠政策, so the brief leads with what the plan leads
    # with; among those, money first (visits.yaml order; a stopped key enterprise's assistance before
    # that), then the plan's own order
    first = [k for s in plan.situations for k in s.get("brief_first", [])]
    rank = {k: i for i, k in enumerate(first + [k for k in kb.question_order if k not in first])}
    status_rank = {"applies": 0, "verify": 1, "upcoming": 2}
    specs = {s.id: s for s in kb.measures_for(e.get("sector"))}
    ordered = sorted(plan.measures, key=lambda m: (status_rank[m.status], measure_section(m, specs.get(m.id)) != "core",
                                                   rank.get(m.kind, 99), m.order))
    measures = []
    for m in ordered:
        line = {"title": m.title, "status_label": STATUS_LABELS[m.status], "lead": lead_text(m.lead, plan, kb),
                "warning": m.deadline_warning, "benefit": benefit_of(m, specs.get(m.id))}
        if display_width(measure_line(line)) > 2 * LINE_WIDTH:  # a line may wrap once, never twice
            line["benefit"] = ""
        measures.append(line)
    questions = [q.text for q in plan.questions]
    deferred = {k for s in plan.situations for k in s.get("defer", [])}  # e.g. a stopped enterprise's growth measures
    for m in ordered[: limits.measures]:
        if m.kind not in deferred:
            questions += [q for q in m.questions if q not in questions]
    status_label, status = status_shown(plan, kb)
    name = clip(str(plan.name), limits.name_width)
    title = f"走访简报：{name}"
    checklist = [c["text"] for c in plan.checklist]
    kept_c = checklist[: limits.checklist]
    reserved = sum(line_count(c) for c in kept_c) + (2 if kept_c else 0)  # its items and heading
    follow_up, more_follow_up = brief_requests(requests, plan.as_of, limits.open_requests)
    reserved += len(follow_up) + (2 if follow_up else 0)  # a line each (cut to one) and a heading
    rent = e.get("rents_premises")
    owed = e.get("receivables") or []
    amounts = [r.get("amount") for r in owed]
    known = [a for a in amounts if isinstance(a, (int, float))]
    debts = "未登记" if not owed else f"{len(owed)}笔，合计{sum(known):g}万元" + (
        "（部分金额未知）" if len(known) < len(amounts) else "")
    rows = [
        ("统一社会信用代码", plan.id, "所属产业", shown("sector")),
        ("所在区县", location, "企业规模", shown("size")),
        (kb.fields["employees"].label, shown("employees"), kb.fields["revenue"].label, shown("revenue")),
        (status_label, status or "—", "重点企业", shown("key_enterprise")),
        (kb.fields["receivables"].label, debts, kb.fields["utility_arrears"].label, shown("utility_arrears")),
        (kb.fields["rents_premises"].label, shown("rents_premises") if rent is not None else "—",
         "基准日", cn_date(plan.as_of)),
        ("联系人", clip(" ".join(shown(f) for f in ("contact", "phone") if e.get(f) is not None) or "—",
                      limits.cell_width), "包联干部", shown("cadre")),
    ]
    # a value wider than its cell wraps onto a second line (a zone bureau's cadre, a long contact):
    # that row costs a line more
    reserved += sum(1 for row in rows if max(display_width(str(v)) for v in row[1::2]) > FACT_WIDTH)
    kept_d, kept_m, kept_q = fit_brief(difficulties, measures, questions, limits, line_count(title, TITLE_WIDTH),
                                       reserved)
    return {
        "doc_title": kb.campaign.documents["brief"],
        "name": name,
        "rows": rows,
        "difficulties": kept_d,
        "more_difficulties": len(difficulties) - len(kept_d),
        "measures": kept_m,
        "more_measures": len(measures) - len(kept_m),
        "questions": kept_q,
        "more_questions": len(questions) - len(kept_q),
        "checklist": kept_c,
        "more_checklist": len(checklist) - len(kept_c),
        "follow_up": follow_up,
        "more_follow_up": more_follow_up,
        "request_lines": limits.request_lines,
        "visit_ref": visit_ref(plan.id, plan.as_of),
        "provenance": provenance_line(plan),  # for an internal copy's footer; never in the body
    }
