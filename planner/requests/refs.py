"""The visit reference (走访编号) printed on a brief's request table, so that a typed-up paper
sheet maps back to the enterprise and the visit it came from: ``<credit code>-<YYYYMMDD>``, the
brief's as-of date (the day the brief was made for)."""

from __future__ import annotations

import datetime as dt
import re

_REF = re.compile(r"^([0-9A-Z]{18})-(\d{8})$")


def visit_ref(enterprise_id: str, day: dt.date) -> str:
    """走访编号 of a brief: 91330206NB0000059N-20220615."""
    return f"{enterprise_id}-{day:%Y%m%d}"


def parse_visit_ref(text: str) -> tuple[str, dt.date] | None:
    """(credit code, date) of a 走访编号, or None when the text is not one (spaces and case forgiven)."""
    match = _REF.match(re.sub(r"\s+", "", str(text or "")).upper())
    if not match:
        return None
    try:
        return match.group(1), dt.datetime.strptime(match.group(2), "%Y%m%d").date()
    except ValueError:
        return None
