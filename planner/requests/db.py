"""The request ledger in SQLite: requests, their append-only events, the migrations that made them.

One file per output folder (``ledger_path``: DIR/requests.db, or the ``--db`` given), opened in
WAL mode with foreign keys on and a busy timeout, so a second process waits for a writer instead
of failing. Every write runs in one ``BEGIN IMMEDIATE`` transaction: the event is appended and
the request's ``state`` (and departments, 办结 date, 回访 verdict) updated together, or neither.
``with ledger.transaction():`` makes a whole import one transaction (all or nothing); a step
inside it that fails is rolled back to its savepoint alone, so an import can report the row and
go on. Nothing is ever deleted, and events are never changed: triggers refuse it.

Migrations are the files ``migrations/NNNN_name.sql`` beside this module, applied in order, each
in a transaction with its row in ``schema_migrations`` (version, name, applied_at). A database
with a migration this planner does not know (made by a newer planner) is refused.

PostgreSQL later
----------------
The SQL is kept portable (TEXT and INTEGER columns, ISO dates as TEXT, ids allocated by the
ledger inside its transaction rather than AUTOINCREMENT, SAVEPOINTs, no JSON functions: the
departments list is JSON text filtered with LIKE). Pointing the ledger at a city-wide
PostgreSQL server would take:

- a driver (psycopg) behind ``Ledger.open("postgresql://…")``, and ``?`` placeholders written
  as ``%s`` (or the SQL rewritten once through a small helper);
- no PRAGMA lines (WAL, foreign_keys, busy_timeout are SQLite's); ``BEGIN IMMEDIATE`` becomes
  ``BEGIN`` plus ``LOCK TABLE requests IN SHARE ROW EXCLUSIVE MODE`` (or SERIALIZABLE with a
  retry), so the number and event id allocated as MAX+1 stay unique; or identity columns /
  sequences (``GENERATED ALWAYS AS IDENTITY``) for ``requests.number`` and ``request_events.id``;
- the triggers of 0001_initial.sql rewritten as one plpgsql function raising an exception and
  ``CREATE TRIGGER … BEFORE UPDATE OR DELETE … EXECUTE FUNCTION``; ``INTEGER PRIMARY KEY``
  becomes ``BIGINT PRIMARY KEY``; the rest of the DDL runs as it is;
- the migration runner taking a dialect (``migrations/postgresql/`` for the files that differ)
  and its statement splitter (``sqlite3.complete_statement``) replaced by the driver running a
  whole file;
- ``PRAGMA integrity_check`` in the tests replaced by the server's own guarantees.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from planner.dates import local_zone
from planner.requests import machine
from planner.requests.machine import LedgerError
from planner.requests.rules import Rules, load as load_rules

DB_NAME = "requests.db"
BUSY_TIMEOUT_S = 10.0
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def ledger_path(out_dir, db=None) -> Path:
    """The ledger of an output folder: ``db`` when given (``--db``), else DIR/requests.db."""
    return Path(db) if db else Path(out_dir) / DB_NAME


class UnknownRequest(LedgerError):
    """No request has this id."""


class Conflict(LedgerError):
    """A request with the same natural key (enterprise, visit date, category, text) exists, with
    other values: reported, never overwritten. ``existing`` is the stored request,
    ``differences`` (Chinese label, stored value, new value) what differs."""

    def __init__(self, existing: Request, differences: list[tuple[str, str, str]]):
        self.existing = existing
        self.differences = differences
        shown = "；".join(f"{label}原为“{old}”，现为“{new}”" for label, old, new in differences)
        super().__init__(f"与已登记的诉求 {existing.id} 相同（企业、走访日期、类别和内容一致），但{shown}")


@dataclass(frozen=True)
class Request:
    id: str
    number: int
    enterprise_id: str
    enterprise_name: str
    district: str
    cadre: str
    visit_date: dt.date
    visit_ref: str
    category: str
    urgency: str
    text: str
    due_date: dt.date
    natural_key: str
    created_at: str
    created_by: str
    state: str
    departments: tuple[str, ...]
    closed_at: dt.date | None  # date of the 办结 that stands
    satisfied: bool | None  # the last 回访
    updated_at: str
    event_count: int
    last_step: str = ""  # the step of its last event but 督办 (退回: returned, waiting to be handed on)
    done: tuple[str, ...] = ()  # co-held, 办理中: the departments that have answered 办结 (machine.advance)
    created: bool = True  # register(): False when the request was there already

    @property
    def returned(self) -> bool:
        """Sent back (退回) by a department and not yet handed on (``machine.is_returned``)."""
        return machine.is_returned(self.state, self.last_step)

    @property
    def co_held(self) -> bool:
        """Handed to two or more departments, each of which answers."""
        return len(self.departments) > 1

    @property
    def shown_state(self) -> str:
        """The state as a list shows it: 交办（已退回） for a returned request, 办理中（1/2 部门已办结：…）
        for a co-held one some of whose departments have answered 办结."""
        return machine.shown_state(self.state, self.returned, self.departments, self.done)

    @property
    def is_open(self) -> bool:
        return self.state not in machine.FINAL

    def is_overdue(self, as_of: dt.date) -> bool:
        """Still with the departments (登记, 交办, 办理中) after its due date."""
        return self.state in machine.PENDING and self.due_date < as_of


@dataclass(frozen=True)
class Event:
    id: int
    request_id: str
    seq: int
    step: str
    from_state: str | None
    to_state: str
    at: str
    by: str
    note: str
    departments: tuple[str, ...] | None
    satisfied: bool | None
    recorded_at: str
    department: str | None = None  # whose answer the step is (co-held requests); None: the request's
    account: str | None = None  # the web login that submitted it (``by`` is the person); None elsewhere

    @property
    def date(self) -> dt.date:
        return dt.date.fromisoformat(self.at[:10])


@dataclass(frozen=True)
class Snapshot:
    """A request as its events alone make it (``Ledger.replay``)."""

    state: str
    departments: tuple[str, ...]
    closed_at: dt.date | None
    satisfied: bool | None
    events: int
    last_step: str = ""  # the step of its last event but 督办 (退回: returned, waiting to be handed on)
    done: tuple[str, ...] = ()  # co-held, 办理中: the departments that have answered 办结
    at: str = ""  # when its last event (of those replayed) happened

    @property
    def returned(self) -> bool:
        return machine.is_returned(self.state, self.last_step)


_REQUEST_COLUMNS = ("id, number, enterprise_id, enterprise_name, district, cadre, visit_date, visit_ref, category, "
                    "urgency, text, due_date, natural_key, created_at, created_by, state, departments, closed_at, "
                    "satisfied, updated_at, events, done_departments")
# what reading a request selects: its columns and the step of its last event (督办 is not
# counted: it keeps the request where it is, a returned one returned; nor a 退回 by one department
# that leaves the request with others, machine.keeps_going)
_LAST_STEP = ("(SELECT e.step FROM request_events e WHERE e.request_id = requests.id "
              f"AND e.step <> '{machine.SUPERVISE}' AND NOT (e.step = '{machine.RETURN}' "
              "AND COALESCE(e.department, '') <> '' AND COALESCE(e.departments, '[]') <> '[]') "
              "ORDER BY e.seq DESC LIMIT 1)")
_SELECT_REQUEST = _REQUEST_COLUMNS + f", {_LAST_STEP} AS last_step"
_EVENT_COLUMNS = ("id, request_id, seq, step, from_state, to_state, at, actor, note, departments, satisfied, "
                  "recorded_at, department, account")


def _request(row) -> Request:
    (rid, number, ent, name, district, cadre, visit, ref, category, urgency, text, due, key, created_at, created_by,
     state, departments, closed, satisfied, updated, events, done, last_step) = row
    return Request(rid, number, ent, name, district, cadre, dt.date.fromisoformat(visit), ref, category, urgency, text,
                   dt.date.fromisoformat(due), key, created_at, created_by, state, tuple(json.loads(departments)),
                   dt.date.fromisoformat(closed) if closed else None, None if satisfied is None else bool(satisfied),
                   updated, events, last_step or "", tuple(json.loads(done or "[]")))


def _event(row) -> Event:
    eid, rid, seq, step, src, dst, at, actor, note, departments, satisfied, recorded, department, account = row
    return Event(eid, rid, seq, step, src, dst, at, actor, note,
                 None if departments is None else tuple(json.loads(departments)),
                 None if satisfied is None else bool(satisfied), recorded, department or None, account or None)


def normalise_text(text: str) -> str:
    """A request's text as its natural key reads it: NFKC (full-width letters and digits as
    half-width), without any whitespace, lowercase."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def natural_key(enterprise_id: str, visit_date: dt.date, category: str, text: str) -> str:
    """The natural key of a request: the same enterprise, visit, category and text (normalised)
    are the same request, however often a sheet is imported."""
    blob = "\x1f".join((enterprise_id.strip().upper(), visit_date.isoformat(), category, normalise_text(text)))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _moment(at) -> str:
    """When a step happened: a date stays a date (YYYY-MM-DD); a time is written in local time
    with its offset; None is now."""
    zone = local_zone()
    if at is None:
        return dt.datetime.now(zone).isoformat(timespec="seconds")
    if isinstance(at, str):
        text = at.strip()
        try:
            at = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
        except ValueError:
            raise LedgerError(f"“{at}”不是日期或时间（请写作 2022-06-15 或 2022-06-15T14:30）") from None
    if isinstance(at, dt.datetime):
        at = at.astimezone(zone) if at.tzinfo else at.replace(tzinfo=zone)
        return at.isoformat(timespec="seconds")
    if isinstance(at, dt.date):
        return at.isoformat()
    raise LedgerError(f"“{at}”不是日期或时间")


def _date(value, label: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise LedgerError(f"{label}“{value}”不是日期（请写作 YYYY-MM-DD）") from None


def _utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _text(value, label: str, required: bool = True) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise LedgerError(f"{label}不能为空")
    return text


def _departments(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    out: list[str] = []
    for item in value:
        name = _text(item, "承办部门")
        if name not in out:
            out.append(name)
    if not out:
        raise LedgerError("承办部门不能为空")
    return tuple(out)


def _dumps(departments) -> str:
    return json.dumps(list(departments), ensure_ascii=False)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Ledger:
    """An open request ledger. One connection: use it from one thread (a process may open
    several ledgers on the same file; other processes wait for the writer, up to 10 s)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, rules: Rules):
        self._conn = conn
        self.path = path
        self.rules = rules
        self._depth = 0

    # -- opening

    @classmethod
    def open(cls, path, rules: Rules | None = None) -> Ledger:
        """Open (creating it and its folder when missing) the ledger at ``path`` and apply the
        migrations it lacks. ``rules``: sectors/requests.yaml, by default the bundled one."""
        path = Path(path)
        rules = rules or load_rules()
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            _migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise LedgerError(f"{path}：诉求账本正被其他程序写入，{BUSY_TIMEOUT_S:g}秒内未能打开，请稍后再试") from None
            raise LedgerError(f"{path}：不是诉求账本，无法作为 SQLite 数据库打开（{exc}）") from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, rules)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def migrations(self) -> list[tuple[int, str, str]]:
        """The migrations applied: (version, name, applied_at), in order."""
        return list(self._conn.execute("SELECT version, name, applied_at FROM schema_migrations ORDER BY version"))

    # -- transactions

    @contextmanager
    def transaction(self):
        """All or nothing: the outermost is one BEGIN IMMEDIATE … COMMIT (waiting for another
        writer up to the busy timeout); one inside it is a savepoint, rolled back alone when
        what it wraps raises."""
        conn = self._conn
        if self._depth == 0:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise LedgerError(f"{self.path}：诉求账本正被其他程序写入，{BUSY_TIMEOUT_S:g}秒内未能开始写入，"
                                  f"请稍后再试（{exc}）") from None
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._depth = 0
                conn.execute("ROLLBACK")
                raise
            self._depth = 0
            conn.execute("COMMIT")
            return
        name = f"sp{self._depth}"
        conn.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        self._depth -= 1
        conn.execute(f"RELEASE {name}")

    # -- writing

    def register(self, enterprise_id, enterprise_name, category, text, urgency, visit_date, cadre, district="",
                 visit_ref="", departments=None, by=None, at=None, account=None) -> Request:
        """Register (登记) a request a cadre brought back from a visit.

        ``category`` and ``urgency`` are names or aliases of sectors/requests.yaml; the
        departments are routed by category unless given; the due date is the urgency's working
        days after the visit. The same request again (same enterprise, visit date, category and
        text) returns the stored one with ``created=False``; with other values (name, district,
        cadre, visit reference, urgency, or departments given) it raises Conflict. ``by``: who
        registers it (default the cadre); ``at``: when (default now); ``account``: the web login
        that submitted it.
        """
        enterprise_id = _text(enterprise_id, "企业统一社会信用代码").upper()
        enterprise_name = _text(enterprise_name, "企业名称")
        text = _text(text, "诉求内容")
        cadre = _text(cadre, "走访干部")
        district = _text(district, "区县（市）", required=False)
        visit_ref = _text(visit_ref, "走访编号", required=False)
        visit = _date(visit_date, "走访日期")
        found = self.rules.category(_text(category, "诉求类别"))
        if found is None:
            raise LedgerError(f"未知的诉求类别“{category}”（可选：{self.rules.category_names()}）")
        level = self.rules.urgency(_text(urgency, "紧急程度"))
        if level is None:
            raise LedgerError(f"未知的紧急程度“{urgency}”（可选：{self.rules.urgency_names()}）")
        given = None if departments is None else _departments(departments)
        routed = given or found.departments
        by = _text(by, "登记人") if by is not None else cadre
        moment = _moment(at)
        if moment[:10] < visit.isoformat():
            raise LedgerError(f"登记时间 {moment[:10]} 早于走访日期 {visit.isoformat()}")
        key = natural_key(enterprise_id, visit, found.name, text)
        due = self.rules.due_date(found.name, level.name, visit)
        with self.transaction():
            row = self._conn.execute(f"SELECT {_SELECT_REQUEST} FROM requests WHERE natural_key = ?", (key,)).fetchone()
            if row is not None:
                existing = _request(row)
                differences = self._differences(existing, enterprise_name, district, cadre, visit_ref, level.name, given)
                if differences:
                    raise Conflict(existing, differences)
                return replace(existing, created=False)
            number = self._conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM requests").fetchone()[0]
            rid = f"SQ-{visit.year}-{number:06d}"
            self._conn.execute(
                f"INSERT INTO requests ({_REQUEST_COLUMNS}) VALUES ({', '.join('?' * 22)})",
                (rid, number, enterprise_id, enterprise_name, district, cadre, visit.isoformat(), visit_ref, found.name,
                 level.name, text, due.isoformat(), key, moment, by, machine.REGISTERED, _dumps(routed), None, None,
                 moment, 1, "[]"))
            self._append(rid, 1, machine.REGISTERED, None, machine.REGISTERED, moment, by, "", routed, None,
                         account=_text(account, "账户", required=False) or None)
        return self.get(rid)

    def _differences(self, existing: Request, name, district, cadre, visit_ref, urgency, departments):
        out = []
        for label, old, new in (("企业名称", existing.enterprise_name, name), ("区县（市）", existing.district, district),
                                ("走访干部", existing.cadre, cadre), ("走访编号", existing.visit_ref, visit_ref),
                                ("紧急程度", existing.urgency, urgency)):
            if old != new:
                out.append((label, old, new))
        if departments is not None:
            first = self._conn.execute("SELECT departments FROM request_events WHERE request_id = ? AND seq = 1",
                                       (existing.id,)).fetchone()[0]
            registered = tuple(json.loads(first))
            if registered != departments:
                out.append(("承办部门", "、".join(registered), "、".join(departments)))
        return out

    def transition(self, request_id, to_state, by, note="", departments=None, at=None, satisfied=None,
                   returned_by=None, department=None, account=None) -> Request:
        """Take a request one step (``to_state``: 交办, 办理中, 办结, 回访, 销号, 退回 or 撤回; see
        ``machine``). IllegalTransition, and nothing written, when the machine does not allow
        it. ``departments`` (交办, 退回 only) re-hands it; ``satisfied`` is the 回访 verdict;
        ``note`` is the reason 退回 and 撤回 need; ``at`` (default now) may not be earlier than
        the request's previous step.

        ``department`` (办理中, 办结, 退回; ``returned_by`` says the same for a 退回): the department
        whose answer the step is, one the request is handed to. A co-held request (two or more
        departments) is 办结 only when each has answered 办结, and a 退回 takes only the returning
        department off, the others carrying on (``machine.advance``); for it, 办结 and 退回 must
        name their department. A 退回 of a request's only department (or naming none, for a
        request with one) leaves it waiting in 交办 as 已退回 (``Request.returned``,
        ``find(status="退回")``) until it is handed on (交办 with ``departments``); given
        ``departments``, a 退回 hands it on at once. ``by`` is the person who did the step (办理人),
        ``account`` the web login that submitted it (kept apart, for the audit)."""
        by = _text(by, "办理人")
        account = _text(account, "账户", required=False) or None
        step = _text(to_state, "目标状态")
        note = _text(note, "备注", required=False)
        given = None if departments is None else _departments(departments)
        moment = _moment(at)
        with self.transaction():
            current = self.get(request_id)
            new_state = machine.check(current.id, current.state, step, note, satisfied)
            if given is not None and step not in (machine.ASSIGNED, machine.RETURN):
                raise LedgerError(f"{current.id}：只有交办或退回时才能改变承办部门")
            if returned_by is not None and step != machine.RETURN:
                raise LedgerError(f"{current.id}：只有退回时才注明退回的部门")
            answer = _text(returned_by if returned_by is not None else department, "承办部门", required=False) or None
            held = "、".join(current.departments) or "（无）"
            verb = machine.STEPS[step].verb
            if answer is not None:
                if step not in (machine.IN_PROGRESS, machine.DONE, machine.RETURN):
                    raise LedgerError(f"{current.id}：只有开始办理、办结或退回时才注明承办部门")
                if given is not None:
                    raise LedgerError(f"{current.id}：退回时注明了退回的部门，就不能同时改交其他部门")
                if answer not in current.departments:
                    raise LedgerError(f"{current.id}：现由{held}承办，不由{answer}承办，{answer}不能{verb}")
                if step == machine.DONE and answer in current.done:
                    waiting = "、".join(d for d in current.departments if d not in current.done)
                    raise LedgerError(f"{current.id}：{answer}已办结，不能重复办结（尚待{waiting}办结）")
            elif current.co_held and given is None and step in (machine.DONE, machine.RETURN):
                raise LedgerError(f"{current.id}：由{held}共同承办，{verb}须注明是哪个部门{verb}"
                                  f"（{'各部门都办结后诉求才办结' if step == machine.DONE else '退回只去掉这个部门'}）")
            if step == machine.ASSIGNED and given is None and not current.departments:
                raise LedgerError(f"{current.id}：已被退回，尚无承办部门；交办须指明承办部门")
            last, last_step = self._conn.execute(
                "SELECT at, step FROM request_events WHERE request_id = ? ORDER BY seq DESC LIMIT 1",
                (current.id,)).fetchone()
            if moment[:10] < last[:10]:
                raise LedgerError(f"{current.id}：{step}的日期 {moment[:10]} 早于上一步（{last_step}，{last[:10]}）")
            new_state, holding, done = machine.advance(current.state, step, current.departments, current.done,
                                                       satisfied, answer, given)
            changed = step in (machine.ASSIGNED, machine.RETURN)  # the event says who holds it then
            closed = _closed(current.state, new_state, step, satisfied, current.closed_at, moment[:10])
            verdict = current.satisfied if step != machine.VISITED else bool(satisfied)
            seq = current.event_count + 1
            # the event says which department sent a request back, even when it held it alone
            # (replaying it with that department gives the same state: none is left to hold it)
            sender = answer
            if sender is None and step == machine.RETURN and given is None and len(current.departments) == 1:
                sender = current.departments[0]
            self._append(current.id, seq, step, current.state, new_state, moment, by, note,
                         holding if changed else None, None if step != machine.VISITED else bool(satisfied),
                         department=sender, account=account)
            self._conn.execute(
                "UPDATE requests SET state = ?, departments = ?, closed_at = ?, satisfied = ?, updated_at = ?, "
                "events = ?, done_departments = ? WHERE id = ? AND events = ?",
                (new_state, _dumps(holding), closed, None if verdict is None else int(verdict), moment, seq,
                 _dumps(done), current.id, current.event_count))
        return self.get(current.id)

    def _append(self, rid, seq, step, src, dst, moment, by, note, departments, satisfied, department=None,
                account=None) -> None:
        eid = self._conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM request_events").fetchone()[0]
        self._conn.execute(
            f"INSERT INTO request_events ({_EVENT_COLUMNS}) VALUES ({', '.join('?' * 14)})",
            (eid, rid, seq, step, src, dst, moment, by, note, None if departments is None else _dumps(departments),
             None if satisfied is None else int(satisfied), _utc_now(), department, account))

    # -- reading

    def get(self, request_id) -> Request:
        rid = _text(request_id, "诉求编号").upper()
        row = self._conn.execute(f"SELECT {_SELECT_REQUEST} FROM requests WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise UnknownRequest(f"没有编号为“{request_id}”的诉求")
        return _request(row)

    def find(self, status=None, department=None, district=None, cadre=None, enterprise_id=None, overdue_as_of=None,
             category=None, as_of=None) -> list[Request]:
        """Requests matching every filter given, in registration order. ``status``: a state or a
        list of states; ``department``: one the request is handed to now; ``overdue_as_of``: still
        登记, 交办 or 办理中 with a due date before that date.

        ``as_of``: each request as it stood at the end of that day, from its events of that day
        and before alone (``replay``: state, departments, 办结 date, 回访 verdict, last step),
        a request registered later left out; ``status``, ``department`` and ``overdue_as_of``
        then look at it as it stood, as the rates (``rates.compute``) do."""
        states = None
        if status is not None:
            states = [status] if isinstance(status, str) else list(status)
            unknown = [s for s in states if s not in machine.STATES and s != machine.RETURN]
            if unknown:
                raise LedgerError(f"未知的状态“{unknown[0]}”（可选：{'、'.join(machine.STATES)}，"
                                  f"或{machine.RETURN}：已退回、待重新交办的）")
        if as_of is not None:
            return self._find_as_of(_date(as_of, "基准日"), states, department, district, cadre, enterprise_id,
                                    overdue_as_of, category)
        where, args = [], []
        if states is not None:
            plain = [s for s in states if s != machine.RETURN]
            either = []
            if plain:
                either.append(f"state IN ({', '.join('?' * len(plain))})")
                args += plain
            if machine.RETURN in states:  # 交办 whose last step is 退回
                either.append(f"(state = ? AND {_LAST_STEP} = ?)")
                args += [machine.ASSIGNED, machine.RETURN]
            where.append("(" + " OR ".join(either) + ")")
        if department is not None:
            where.append("departments LIKE ? ESCAPE '\\'")
            args.append(f"%{_like_escape(json.dumps(str(department).strip(), ensure_ascii=False))}%")
        for column, value in (("district", district), ("cadre", cadre), ("category", category)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(str(value).strip())
        if enterprise_id is not None:
            where.append("enterprise_id = ?")
            args.append(str(enterprise_id).strip().upper())
        if overdue_as_of is not None:
            pending = sorted(machine.PENDING)
            where.append(f"state IN ({', '.join('?' * len(pending))}) AND due_date < ?")
            args += pending + [_date(overdue_as_of, "基准日").isoformat()]
        sql = f"SELECT {_SELECT_REQUEST} FROM requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_request(row) for row in self._conn.execute(sql + " ORDER BY number", args)]

    def pending_counts(self) -> list[tuple[str, str, str, int]]:
        """The requests not yet 办结 (``machine.PENDING``: 登记, 交办, 办理中) counted in one query, per
        (enterprise, district, cadre) as registered: what a list of enterprises shows beside each,
        each user counting the requests of their scope (the district and cadre decide it)."""
        pending = sorted(machine.PENDING)
        sql = (f"SELECT enterprise_id, district, cadre, COUNT(*) FROM requests "
               f"WHERE state IN ({', '.join('?' * len(pending))}) GROUP BY enterprise_id, district, cadre")
        return [(ent, district, cadre, n) for ent, district, cadre, n in self._conn.execute(sql, pending)]

    def _find_as_of(self, day: dt.date, states, department, district, cadre, enterprise_id, overdue_as_of,
                    category) -> list[Request]:
        snapshots = self.replay(day)
        wanted = None if department is None else str(department).strip()
        late = None if overdue_as_of is None else _date(overdue_as_of, "基准日")
        out = []
        for request in self.find(district=district, cadre=cadre, enterprise_id=enterprise_id, category=category):
            snap = snapshots.get(request.id)
            if snap is None:  # registered after the day
                continue
            then = replace(request, state=snap.state, departments=snap.departments, closed_at=snap.closed_at,
                           satisfied=snap.satisfied, updated_at=snap.at, event_count=snap.events,
                           last_step=snap.last_step, done=snap.done)
            if states is not None and not (then.state in states or machine.RETURN in states and then.returned):
                continue
            if wanted is not None and wanted not in then.departments:
                continue
            if late is not None and not then.is_overdue(late):
                continue
            out.append(then)
        return out

    def events(self, request_id=None) -> list[Event]:
        """The events of one request, or of all, in the order they were written."""
        if request_id is None:
            rows = self._conn.execute(f"SELECT {_EVENT_COLUMNS} FROM request_events ORDER BY id")
        else:
            rid = self.get(request_id).id
            rows = self._conn.execute(f"SELECT {_EVENT_COLUMNS} FROM request_events WHERE request_id = ? ORDER BY seq",
                                      (rid,))
        return [_event(row) for row in rows]

    def replay(self, as_of=None) -> dict[str, Snapshot]:
        """Every request as its events alone make it, through the state machine (not the stored
        ``to_state``): its state, departments, the departments that have answered 办结, 办结 date
        and 回访 verdict. ``as_of``: only the events of that day and before (a request registered
        later is left out)."""
        limit = None if as_of is None else _date(as_of, "基准日").isoformat()
        out: dict[str, Snapshot] = {}
        for event, _, after in _fold(self.events(), limit):
            out[event.request_id] = after
        return out

    def verify(self) -> list[str]:
        """What does not agree (Chinese, one line each): an event whose from/to states break the
        chain or the machine, a request whose stored state differs from the replay of its events."""
        problems = []
        for event, before, after in _fold(self.events()):
            expected_from = None if before is None else before.state
            if event.from_state != expected_from or event.to_state != after.state:
                problems.append(f"{event.request_id} 第{event.seq}步（{event.step}）：记录为“{event.from_state}”→"
                                f"“{event.to_state}”，按状态流转应为“{expected_from}”→“{after.state}”")
        replayed = self.replay()
        for request in self.find():
            snap = replayed.get(request.id)
            mine = (request.state, request.departments, request.done, request.closed_at, request.satisfied,
                    request.event_count)
            if snap is None or mine != (snap.state, snap.departments, snap.done, snap.closed_at, snap.satisfied,
                                        snap.events):
                problems.append(f"{request.id}：账本记录的状态与其办理记录推算的不一致")
        return problems


def _closed(before: str, after: str, step: str, satisfied, closed_at, day: str) -> str | None:
    """The 办结 date that stands after a step: the day it became 办结 as a whole; cleared by a
    回访 not satisfied."""
    if after == machine.DONE and before != machine.DONE:
        return day
    if step == machine.VISITED and satisfied is False:
        return None
    return closed_at.isoformat() if isinstance(closed_at, dt.date) else closed_at


def _fold(events, limit: str | None = None):
    """(event, the request before it or None, after it) for each event (of ``limit``'s day and
    before), the request made by its events alone through ``machine.advance``."""
    now: dict[str, Snapshot] = {}
    for event in events:
        if limit is not None and event.at[:10] > limit:
            continue
        before = now.get(event.request_id)
        if before is None:
            after = Snapshot(machine.REGISTERED, event.departments or (), None, None, 1, machine.REGISTERED,
                             at=event.at)
        else:
            state, departments, done = machine.advance(before.state, event.step, before.departments, before.done,
                                                       event.satisfied, event.department, event.departments)
            closed = _closed(before.state, state, event.step, event.satisfied, before.closed_at, event.at[:10])
            satisfied = event.satisfied if event.step == machine.VISITED else before.satisfied
            passing = event.step == machine.SUPERVISE or machine.keeps_going(event.step, event.department, departments)
            after = Snapshot(state, departments, dt.date.fromisoformat(closed) if closed else None, satisfied,
                             before.events + 1, before.last_step if passing else event.step, done, event.at)
        now[event.request_id] = after
        yield event, before, after


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise RuntimeError(f"migration file name not NNNN_name.sql: {path.name}")
        found.append((int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError("two migrations share a version")
    return found


def _statements(sql: str):
    """The statements of a migration file, one by one (a trigger's BEGIN … END is one)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    rest = "\n".join(l for l in buffer.splitlines() if not l.strip().startswith("--")).strip()
    if rest:
        raise RuntimeError(f"incomplete statement at the end of a migration: {rest[:60]}")


def _applied(conn) -> dict[int, str] | None:
    exists = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").fetchone()
    if exists is None:
        return None
    return dict(conn.execute("SELECT version, name FROM schema_migrations"))


def _migrate(conn: sqlite3.Connection) -> None:
    available = _migrations()
    applied = _applied(conn)
    if applied is not None and {v for v, _, _ in available} <= set(applied):
        _refuse_newer(applied, available)
        return
    conn.execute("BEGIN IMMEDIATE")  # a second process opening a new ledger waits here, then finds it done
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "applied_at TEXT NOT NULL)")
        applied = _applied(conn) or {}
        _refuse_newer(applied, available)
        for version, name, sql in available:
            if version in applied:
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                         (version, name, _utc_now()))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _refuse_newer(applied: dict, available: list) -> None:
    unknown = sorted(set(applied) - {v for v, _, _ in available})
    if unknown:
        raise LedgerError(f"诉求账本含有本版 planner 不认识的数据库迁移 {unknown[0]:04d}_{applied[unknown[0]]}"
                          f"（由较新版本的 planner 创建），请升级 planner 后再打开")
