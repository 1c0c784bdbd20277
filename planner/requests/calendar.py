"""Working days: Monday to Friday, less the State Council's days off, plus its adjusted working
weekends (调休上班), as sectors/requests.yaml lists them year by year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Calendar:
    """The official working-day calendar of the years in ``years``; outside them, Monday to
    Friday are working days (``covers`` tells which dates the holiday list reaches)."""

    days_off: frozenset = field(default_factory=frozenset)  # dt.date: 放假 (weekend days of a holiday too)
    working_weekends: frozenset = field(default_factory=frozenset)  # dt.date: 调休上班
    years: frozenset = field(default_factory=frozenset)  # int: years whose notice is listed
    names: dict = field(default_factory=dict, compare=False)  # dt.date -> holiday name

    def covers(self, day: dt.date) -> bool:
        """Whether the holiday list reaches ``day`` (its year's notice is listed)."""
        return day.year in self.years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_weekends:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (``start`` itself is not counted, working
        day or not). ``days`` = 0 gives ``start``."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        left = days
        while left:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` <= ``start``)."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count
