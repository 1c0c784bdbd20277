"""Dates as Chinese documents write them: 2022年6月1日, 2022年6月1日至12月31日.

plan.json and the decision table keep ISO dates; whatever a reader sees in a plan or a brief
goes through here.
"""

from __future__ import annotations

import datetime as dt


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def cn_date(value) -> str:
    """2022年6月1日 (from a date or an ISO string)."""
    d = _date(value)
    return f"{d.year}年{d.month}月{d.day}日"


def cn_month_day(value) -> str:
    """6月1日: a date in a year already named."""
    d = _date(value)
    return f"{d.month}月{d.day}日"


def cn_period(start, end) -> str:
    """2022年6月1日至12月31日; 2022年4月1日起长期有效 when there is no end; the year is written once
    when both ends fall in it."""
    if end is None:
        return f"{cn_date(start)}起长期有效"
    s, e = _date(start), _date(end)
    return f"{cn_date(s)}至{cn_month_day(e) if s.year == e.year else cn_date(e)}"


def cn_date_text(value) -> str:
    """``cn_date`` of an ISO date; any other text as it is (the ``cn_date`` template filter: a
    date read back from a damaged plan.json may be anything)."""
    if value is None:
        return ""
    try:
        return cn_date(value)
    except (TypeError, ValueError):
        return str(value)


DEFAULT_TZ = "Asia/Shanghai"


def local_zone():
    """The time zone people read times in: $PLANNER_TZ, else Asia/Shanghai (an unknown name is
    Asia/Shanghai too, so a typo never shows UTC as local time)."""
    import os
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("PLANNER_TZ") or DEFAULT_TZ
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def local_time(value) -> str:
    """An ISO timestamp (as version.json records it, in UTC) as local time: 2022年6月15日 14:05; a
    day alone (2022-06-15, as the ledger keeps a step dated by a day) as the day, 2022年6月15日.
    Text that is not a timestamp comes back as it is."""
    if value is None:
        return ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return cn_date(value)
    if isinstance(value, str) and len(value) == 10:  # a day without a time (a step dated by --at or a sheet)
        try:
            return cn_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    try:
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    here = moment.astimezone(local_zone())
    return f"{cn_date(here.date())} {here:%H:%M}"


def today() -> dt.date:
    """Today where people read dates (``local_zone``): a server kept on UTC still dates a 报送日期,
    a download or a default 基准日 by Beijing's calendar, as the times beside them are."""
    return dt.datetime.now(local_zone()).date()

