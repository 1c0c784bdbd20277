"""What every page of the workplace shares: the data folder, accounts, sessions, the CSRF check,
page rendering and the user's scope over enterprises and requests.

A ``Site`` is made once by ``create_app``; each page module (``auth``, ``plans``, ``visits``,
``admin`` …) registers its routes with ``register(app, site)`` and asks the site for the session
(``site.need``), the enterprise in scope (``site.enterprise``) or the ledger (``site.ledger``).
Whatever lies outside the user's scope raises 404.
"""

from __future__ import annotations

import hmac
import re
from pathlib import Path
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, TimestampSigner
from starlette.exceptions import HTTPException

from planner.dates import local_time
from planner.web.accounts import ROLES, SESSION_HOURS, Session
from planner.web.folder import CODE, DataFolder, ensure_secret, sees_enterprise, sees_request

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "planner_session"
LOGIN_COOKIE = "planner_login"  # the pre-login CSRF token (double submit)
SEES_ENTERPRISES = ("admin", "officer", "reviewer", "cadre")
REQUEST_ID = re.compile(r"^SQ-\d{4}-\d{6}$")


class LoginRequired(Exception):
    pass


class PasswordChangeRequired(Exception):
    pass


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["local_time"] = local_time
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
        from planner.briefbook import enterprise_folders
        from planner.versions import current_version

        rows = []
        output = self.folder.output
        if not output.is_dir():
            return rows
        for sub in enterprise_folders(output):
            version, _ = current_version(sub)
            if version is None or not isinstance(version.meta.get("listing"), dict):
                continue
            listing = version.meta["listing"]
            rows.append({"id": sub.name, "name": str(listing.get("name", "")),
                         "district": str(listing.get("district", "")), "zone": str(listing.get("zone", "")),
                         "cadre": str(listing.get("cadre", "")), "sector": str(listing.get("sector", "")),
                         "production_status": str(listing.get("production_status", "")),
                         "measures": len(listing.get("measures", []) or []),
                         "questions": int(listing.get("questions", 0) or 0), "version": version.number,
                         "generated": version.meta.get("generated", "")})
        return rows

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

        return Ledger.open(ledger_path(self.folder.output))

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
