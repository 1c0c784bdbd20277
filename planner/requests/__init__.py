"""The ledger of enterprise requests (诉求): what a cadre brings back from a visit, from 登记 to
销号, in a SQLite file beside the plans (issue 15).

    from planner.requests import Ledger, ledger_path
    with Ledger.open(ledger_path(out_dir)) as ledger:
        r = ledger.register("91330200…", "某某公司", "融资", "希望对接低息贷款", "简单",
                            visit_date=date(2022, 6, 15), cadre="王明")
        ledger.transition(r.id, "交办", by="市经信局")
        ledger.find(overdue_as_of=date(2022, 6, 20))

``db`` holds the database and the migrations (and what PostgreSQL would take), ``machine`` the
states and steps, ``rules`` sectors/requests.yaml (categories, routing, time limits, holidays),
``calendar`` the working-day arithmetic.
"""

from planner.requests.calendar import Calendar
from planner.requests.db import (DB_NAME, Conflict, Event, Ledger, Request, Snapshot, UnknownRequest, ledger_path,
                                 natural_key, normalise_text)
from planner.requests.machine import (FINAL, HANDLED, OPEN, PENDING, RETURN, STATES, STEPS, IllegalTransition,
                                      LedgerError)
from planner.requests.refs import parse_visit_ref, visit_ref
from planner.requests.rules import Category, Rules, RulesError, Urgency, load as load_rules

__all__ = [
    "Calendar", "Category", "Conflict", "DB_NAME", "Event", "FINAL", "HANDLED", "IllegalTransition", "Ledger",
    "LedgerError", "OPEN", "PENDING", "RETURN", "Request", "Rules", "RulesError", "STATES", "STEPS", "Snapshot",
    "UnknownRequest", "Urgency", "ledger_path", "load_rules", "natural_key", "normalise_text", "parse_visit_ref",
    "visit_ref",
]
