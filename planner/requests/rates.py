"""The rates of the request ledger as of a date, each with its numerator and denominator (issue 15).

Definitions (the summary's 诉求办理 section states them in the same words):

- 诉求办理率 = requests 办结, 回访 or 销号 ÷ requests registered, less those withdrawn (撤回). A
  request handed to several departments is 办结 only when every one has answered 办结 (until
  then it is 办理中, whichever have answered), so it counts then, with that date.
- 按时办结率 = requests whose standing 办结 date is on or before their due date ÷ requests 办结,
  回访 or 销号. A request reopened by a not-satisfied 回访 has no standing 办结 until it is 办结
  again; then that later date counts.
- 回访满意率 = follow-ups (回访 events) where the enterprise was satisfied ÷ follow-ups; a request
  followed up twice counts twice.
- 超期 = requests still 登记, 交办 or 办理中 after their due date (``Request.is_overdue``); how long
  in calendar days and in working days (the ledger's calendar).

Only events on or before the date count (``Ledger.replay(as_of)``); a request registered later is
not there. A withdrawn request counts in none of the rates (only in ``withdrawn``). Breakdowns
take each request's district, cadre and category as registered, and its departments as of the
date: a request handed to two departments counts once for each, so the department rows add up to
more than the total.

A rate is compared with a target exactly (``Ratio.meets``, fractions, never a rounded percentage)
and printed rounded down (``Ratio.percent``), so a miss never reads as the target.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from planner.requests import machine
from planner.requests.db import Ledger, Request

DIMENSIONS = ("district", "department", "category", "cadre")
UNSET = "（未填）"  # a request registered without a district

_OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "=": lambda a, b: a == b,
}


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> Fraction | None:
        """The exact rate; None when there is nothing to divide by."""
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    def percent(self) -> str | None:
        """Rounded down to one decimal (949 of 1000 is 94.9%, 9999 of 10000 is 99.9%); None
        when the denominator is 0 (never 0% or 100%)."""
        if not self.denominator:
            return None
        tenths = self.numerator * 1000 // self.denominator
        return f"{tenths // 10}.{tenths % 10}%"

    def meets(self, target) -> bool | None:
        """Whether the rate meets ``target`` (a campaign Target in %, by its op), exactly; None
        without a denominator or a target."""
        if self.value is None or target is None:
            return None
        return _OPS[target.op](self.value, Fraction(str(target.value)) / 100)

    def short_of(self, target) -> int:
        """How many more of the numerator (the denominator unchanged) the rate needs to meet a
        ``>=`` or ``>`` target; 0 when it meets it or cannot tell."""
        if self.meets(target) is not False or target.op not in (">=", ">"):
            return 0
        goal = Fraction(str(target.value)) / 100 * self.denominator - self.numerator
        needed = math.ceil(goal) if target.op == ">=" else math.floor(goal) + 1
        return min(max(needed, 0), self.denominator - self.numerator)


@dataclass(frozen=True)
class Figures:
    """The rates of one group of requests (all of them, or one district, department, …)."""

    name: str
    registered: int  # registered by the date, withdrawn ones included
    withdrawn: int
    handling: Ratio  # 诉求办理率
    on_time: Ratio  # 按时办结率
    satisfaction: Ratio  # 回访满意率
    overdue: int


@dataclass(frozen=True)
class Overdue:
    request: Request
    state: str  # as of the date
    departments: tuple[str, ...]
    days: int  # calendar days after the due date
    working_days: int  # working days after the due date, up to and including the date
    returned: bool = False  # sent back (退回) and not yet handed on, as of the date
    done: tuple[str, ...] = ()  # co-held: the departments that had answered 办结 by the date


@dataclass(frozen=True)
class Rates:
    as_of: dt.date
    target: object  # the campaign Target the handling rate is held to, or None
    total: Figures
    breakdowns: dict  # dimension (DIMENSIONS) -> [Figures], the lowest handling rate first
    overdue: list  # [Overdue], the longest overdue first


@dataclass
class _Group:
    registered: int = 0
    withdrawn: int = 0
    handled: int = 0
    on_time: int = 0
    visits: int = 0
    satisfied: int = 0
    overdue: int = 0

    def figures(self, name: str) -> Figures:
        return Figures(name, self.registered, self.withdrawn, Ratio(self.handled, self.registered - self.withdrawn),
                       Ratio(self.on_time, self.handled), Ratio(self.satisfied, self.visits), self.overdue)


@dataclass(frozen=True)
class _Counted:
    """What one request adds to every group it belongs to."""

    withdrawn: bool
    handled: bool
    on_time: bool
    visits: int
    satisfied: int
    overdue: bool

    def add_to(self, group: _Group) -> None:
        group.registered += 1
        if self.withdrawn:
            group.withdrawn += 1
            return
        group.handled += self.handled
        group.on_time += self.on_time
        group.visits += self.visits
        group.satisfied += self.satisfied
        group.overdue += self.overdue


def compute(ledger: Ledger, as_of: dt.date, target=None) -> Rates:
    """The rates of ``ledger`` as of ``as_of`` (events after it ignored), the handling rate held
    to ``target`` (a campaign Target, or None)."""
    snapshots = ledger.replay(as_of)
    visits: Counter = Counter()
    satisfied: Counter = Counter()
    limit = as_of.isoformat()
    for event in ledger.events():
        if event.step == machine.VISITED and event.at[:10] <= limit:
            visits[event.request_id] += 1
            satisfied[event.request_id] += bool(event.satisfied)
    calendar = ledger.rules.calendar
    total = _Group()
    groups: dict = {d: {} for d in DIMENSIONS}
    overdue: list[Overdue] = []
    for request in ledger.find():
        snap = snapshots.get(request.id)
        if snap is None:  # registered after the date
            continue
        late = snap.state in machine.PENDING and request.due_date < as_of
        counted = _Counted(
            withdrawn=snap.state == machine.WITHDRAWN,
            handled=snap.state in machine.HANDLED,
            on_time=snap.state in machine.HANDLED and snap.closed_at is not None and snap.closed_at <= request.due_date,
            visits=visits[request.id], satisfied=satisfied[request.id], overdue=late)
        counted.add_to(total)
        keys = {"district": [request.district or UNSET], "department": list(snap.departments),
                "category": [request.category], "cadre": [request.cadre]}
        for dimension, names in keys.items():
            for name in names:
                counted.add_to(groups[dimension].setdefault(name, _Group()))
        if late:
            overdue.append(Overdue(request, snap.state, snap.departments, (as_of - request.due_date).days,
                                   calendar.working_days_between(request.due_date, as_of), snap.returned, snap.done))
    breakdowns = {d: sorted((g.figures(name) for name, g in found.items()), key=_worst_first)
                  for d, found in groups.items()}
    overdue.sort(key=lambda o: (-o.days, o.request.number))
    return Rates(as_of, target, total.figures("合计"), breakdowns, overdue)


def _worst_first(f: Figures):
    rate = f.handling.value
    return (rate is None, rate if rate is not None else 0, -f.handling.denominator, f.name)
