"""What every page of the workplace shares: the data folder, accounts, sessions, the CSRF check,
page rendering and the user's scope over enterprises and requests.

A ``Site`` is made once by ``create_app``; each page module (``auth``, ``plans``, ``visits``,
``admin`` …) registers its routes with ``register(app, site)`` and asks the site for the session
(``site.need``), the enterprise in scope (``site.enterprise``) or the ledger (``site.ledger``).
Whatever lies outside the user's scope raises 404.
"""

from __future__ import annotations

import functools
import hmac
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, TimestampSigner
from starlette.exceptions import HTTPException

from planner.dates import cn_date, local_time
from planner.web.accounts import ROLES, SESSION_HOURS, Session
from planner.web.folder import CODE, DataFolder, ensure_secret, sees_enterprise, sees_request

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "planner_session"
LOGIN_COOKIE = "planner_login"  # the pre-login CSRF token (double submit)
SEES_ENTERPRISES = ("admin", "officer", "reviewer", "cadre")
REQUEST_ID = re.compile(r"^SQ-\d{4}-\d{6}$")
PLAN_HTML_KEPT = 1000  # plan bodies kept as HTML (some 10 KB each), the latest read
RACY_NS = 2_000_000_000  # a folder changed this recently is read again: a change in the same clock tick keeps its time


class Row(dict):
    """A list row: a dict whose keys also read as attributes, as the templates write them
    (row.name), without Jinja first failing an attribute lookup on every cell."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class LoginRequired(Exception):
    pass


class PasswordChangeRequired(Exception):
    pass


@functools.lru_cache(maxsize=4096)
def _local_time_in(value: str, zone: str | None) -> str:
    return local_time(value)


def _local_time(value) -> str:
    """planner.dates.local_time, remembered per text and $PLANNER_TZ: a list shows one per row."""
    return _local_time_in(value, os.environ.get("PLANNER_TZ")) if isinstance(value, str) else local_time(value)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["local_time"] = _local_time
    env.filters["cn_date"] = cn_date  # 2022年6月17日, as the plans and the request's history write a day
    env.filters["q"] = lambda value: quote(str(value), safe="")
    return env


class Site:
    """The data folder served, with the helpers every page needs."""

    def __init__(self, data_dir: Path):
        self.folder = DataFolder(Path(data_dir))
        self.accounts = self.folder.accounts()
        self.signer = TimestampSigner(ensure_secret(self.folder.secret_file), salt="planner-session")
        self.env = environment()
        self.cache: dict = {}
        self._listed: dict[str, tuple] = {}  # enterprise folder name: (its _folder_key, its row or None)
        self._plan_html: OrderedDict[str, tuple] = OrderedDict()  # plan.md path: (its stat key, its HTML)
        self._pending: tuple | None = None  # (the ledger files' stat key, Ledger.pending_counts())

    # -- knowledge and renderer, lazily (the first page that needs them pays)

    def kb(self):
        if "kb" not in self.cache:
            from planner import knowledge
            from planner.resources import bundled

            self.cache["kb"] = knowledge.load(bundled("sectors"))
        return self.cache["kb"]

    def renderer(self):
        if "renderer" not in self.cache:
            from planner.generate import Renderer
            from planner.render import Templates

            self.cache["renderer"] = Renderer(self.kb(), Templates.from_option(None))
        return self.cache["renderer"]

    # -- sessions

    def session_of(self, request: Request) -> Session | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            token = self.signer.unsign(raw, max_age=SESSION_HOURS * 3600).decode()
        except BadSignature:
            return None
        return self.accounts.session(token)

    def need(self, request: Request, *roles: str, allow_must_change: bool = False) -> Session:
        """The session of a logged-in user with one of ``roles`` (any role when none is named)."""
        session = self.session_of(request)
        if session is None:
            raise LoginRequired()
        if session.user.must_change and not allow_must_change:
            raise PasswordChangeRequired()
        if roles and session.user.role not in roles:
            raise HTTPException(404)
        return session

    @staticmethod
    def check_csrf(session: Session, token: str) -> None:
        if not token or not hmac.compare_digest(token, session.csrf):
            raise HTTPException(403, "表单已失效或来源不明（缺少或不符的安全令牌），请刷新页面后重试")

    def render(self, name: str, request: Request, session: Session | None, **context) -> str:
        return self.env.get_template(name).render(session=session, user=session.user if session else None,
                                                  roles=ROLES, path=request.url.path, **context)

    def page(self, request: Request, name: str, session: Session | None, status: int = 200,
             **context) -> HTMLResponse:
        return HTMLResponse(self.render(name, request, session, **context), status)

    @staticmethod
    def secure(request: Request) -> bool:
        return request.url.scheme == "https"

    # -- enterprises in scope

    def enterprise_rows(self) -> list[dict]:
        """A row per enterprise of the output folder with a whole current version (its listing),
        by credit code. Each folder's row is kept (``_listed``) for as long as the folder stays
        as it was (``_folder_key``), so a page reads one directory and a stat per enterprise
        instead of every version.json."""
        output = self.folder.output
        try:
            entries = sorted((e.name, e.path) for e in os.scandir(output) if e.is_dir(follow_symlinks=False))
        except (FileNotFoundError, NotADirectoryError):
            return []
        kept, listed = self._listed, {}
        rows = []
        for name, path in entries:
            key = _folder_key(path)
            if key is None:
                continue  # gone meanwhile
            known = kept.get(name)
            if known is not None and known[0] == key:
                listed[name] = known
                row = known[1]
            else:
                row, keep = _listing_row(Path(path))
                if keep and time.time_ns() - max(key[0], key[1]) >= RACY_NS:
                    listed[name] = (key, row)
            if row is not None:
                rows.append(Row(row))  # a copy: a page may add to its rows
        self._listed = listed
        return rows

    def plan_html(self, version_path: Path) -> str:
        """plan.md of a version as HTML, kept while the file stays the same one (atomic writes make
        a new file: a new inode). Raises OSError or UnicodeDecodeError as reading it does."""
        from planner.render import markdown_to_html

        path = os.path.join(version_path, "plan.md")
        status = os.stat(path)
        key = (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
        known = self._plan_html.get(path)
        if known is not None and known[0] == key:
            return known[1]
        with open(path, encoding="utf-8") as handle:
            html = markdown_to_html(handle.read())
        if time.time_ns() - max(key[2], key[3]) >= RACY_NS:
            self._plan_html[path] = (key, html)
            while len(self._plan_html) > PLAN_HTML_KEPT:
                self._plan_html.popitem(last=False)
        return html

    def visible_rows(self, session: Session) -> list[dict]:
        return [row for row in self.enterprise_rows() if sees_enterprise(session.user, row)]

    def enterprise(self, session: Session, code: str):
        """(folder, current version, listing row) of an enterprise the user may see; 404 otherwise."""
        from planner.versions import current_version

        if not CODE.match(code) or session.user.role not in SEES_ENTERPRISES:
            raise HTTPException(404)
        sub = self.folder.output / code
        if sub.is_symlink() or not sub.is_dir():
            raise HTTPException(404)
        version, _ = current_version(sub)
        if version is None or not isinstance(version.meta.get("listing"), dict):
            raise HTTPException(404)
        row = {k: str(v) for k, v in version.meta["listing"].items() if isinstance(v, str)}
        if not sees_enterprise(session.user, row):
            raise HTTPException(404)
        return sub, version, row

    # -- the request ledger

    def has_ledger(self) -> bool:
        return (self.folder.output / "requests.db").exists()

    def ledger(self):
        from planner.requests import Ledger, ledger_path

        if "request_rules" not in self.cache:  # sectors/requests.yaml, read once as the knowledge is
            from planner.requests import load_rules

            self.cache["request_rules"] = load_rules()
        return Ledger.open(ledger_path(self.folder.output), self.cache["request_rules"])

    def pending_requests(self, session: Session) -> dict[str, int]:
        """Credit code → how many of its requests in the user's scope are not yet 办结
        (Ledger.pending_counts). The counts are kept while the ledger's files (requests.db and its
        WAL) stay as they were, so a list page stats two files instead of opening the ledger;
        a ledger written this moment is read again (RACY_NS), as the list's rows are."""
        from planner.requests import ledger_path

        path = ledger_path(self.folder.output)
        key = _ledger_key(path)
        if key is None:
            return {}
        known = self._pending
        if known is not None and known[0] == key:
            groups = known[1]
        else:
            with self.ledger() as book:
                groups = book.pending_counts()
            if time.time_ns() - max(max(k[0], k[1]) for k in key if k) >= RACY_NS:
                self._pending = (key, groups)
        counts: dict[str, int] = {}
        for enterprise_id, district, cadre, n in groups:
            if sees_request(session.user, _Held(district, cadre)):
                counts[enterprise_id] = counts.get(enterprise_id, 0) + n
        return counts

    @staticmethod
    def request_in_scope(session: Session, book, rid: str):
        from planner.requests import UnknownRequest

        if not REQUEST_ID.match(rid):
            raise HTTPException(404)
        try:
            found = book.get(rid)
        except UnknownRequest:
            raise HTTPException(404) from None
        if not sees_request(session.user, found):
            raise HTTPException(404)
        return found


@dataclass(frozen=True)
class _Held:
    """What decides whether a user sees a request (folder.sees_request), for counting them."""

    district: str
    cadre: str
    departments: tuple = ()


def _ledger_key(path: Path) -> tuple | None:
    """What the ledger's contents depend on, from two stats: the times, size and inode of
    requests.db and of its write-ahead log (a commit appends to the log, a checkpoint writes the
    file); None when there is no ledger."""
    keys = []
    for name in (path, path.with_name(path.name + "-wal")):
        try:
            found = os.stat(name)
        except (FileNotFoundError, NotADirectoryError):
            if name == path:
                return None
            keys.append(())
            continue
        keys.append((found.st_mtime_ns, found.st_ctime_ns, found.st_size, found.st_ino))
    return tuple(keys)


def _folder_key(path: str) -> tuple | None:
    """What an enterprise folder's listed row depends on, from one stat: the folder's modification
    and change times and inode. Whatever writes a version (planner.versions) writes each file to a
    temporary file renamed into the folder (version.json last) and removes files by unlinking,
    each of which changes both times; a tool that sets the modification time back still changes
    the change time. (A file rewritten in place, which no writer does, is seen by the plan page,
    which checks every file, and by the list when the folder next changes.)"""
    try:
        folder = os.stat(path, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (folder.st_mtime_ns, folder.st_ctime_ns, folder.st_ino)


def _listing_row(sub: Path) -> tuple[dict | None, bool]:
    """The list row of enterprise folder ``sub`` (None: no whole version with a listing), and
    whether it may be kept: a row read from a whole top of the folder, or none for a folder
    without version.json (an archived copy's row, or none for a damaged version, depends on
    history/ too)."""
    from planner.versions import current_version

    version, why = current_version(sub)
    keep = version.path == sub if version is not None else why is None  # why None: no version.json
    if version is None or not isinstance(version.meta.get("listing"), dict):
        return None, keep
    listing = version.meta["listing"]
    row = {"id": sub.name, "name": str(listing.get("name", "")),
           "district": str(listing.get("district", "")), "zone": str(listing.get("zone", "")),
           "cadre": str(listing.get("cadre", "")), "sector": str(listing.get("sector", "")),
           "production_status": str(listing.get("production_status", "")),
           "measures": len(listing.get("measures", []) or []),
           "questions": int(listing.get("questions", 0) or 0), "version": version.number,
           "generated": version.meta.get("generated", "")}
    return row, keep
