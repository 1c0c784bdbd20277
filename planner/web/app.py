"""The web workplace: server-rendered pages over the output folder, the review log and the request
ledger the command line uses (issue 16).

``create_app(data_dir)`` builds the FastAPI application; ``planner serve`` runs it with uvicorn.
Every page needs a login; every state-changing form carries the session's CSRF token, checked
here before anything is done; whatever lies outside the user's scope answers 404.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import tempfile
from pathlib import Path
from urllib.parse import quote

import jinja2
from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from itsdangerous import BadSignature, TimestampSigner
from markupsafe import Markup
from starlette.exceptions import HTTPException

from planner.dates import local_time
from planner.web.accounts import ROLES, SESSION_HOURS, AccountError, Session
from planner.web.folder import CODE, DataFolder, ensure_secret, sees_enterprise, sees_request

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "planner_session"
LOGIN_COOKIE = "planner_login"  # the pre-login CSRF token (double submit)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# the redline is the document planner diff writes (its own <style>): no script at all, no form
REDLINE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
DOWNLOADS = ("帮扶方案.pdf", "走访简报.pdf", "帮扶方案.docx", "走访简报.docx")
MEDIA = {".pdf": "application/pdf",
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
SEES_ENTERPRISES = ("admin", "officer", "reviewer", "cadre")
REQUEST_ID = re.compile(r"^SQ-\d{4}-\d{6}$")
MAX_IDS = 200  # enterprises in one combined brief
# which steps of the request machine each role may take
# (回访 and 销号, which need the verdict of a return visit, are left to `planner requests` for now)
STEPS_BY_ROLE = {"department": ("办理中", "办结", "退回"), "officer": ("交办", "撤回"),
                 "admin": ("交办", "办理中", "办结", "退回", "撤回")}


class LoginRequired(Exception):
    pass


class PasswordChangeRequired(Exception):
    pass


class SecurityHeaders:
    """Adds the security headers to every response (a response that set its own CSP keeps it)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY"),
                         (b"cross-origin-opener-policy", b"same-origin")]
                if not scope["path"].startswith("/static/"):
                    extra.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in extra if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["local_time"] = local_time
    env.filters["q"] = lambda value: quote(str(value), safe="")
    return env


def create_app(data_dir: Path) -> FastAPI:
    """The application serving the data folder ``data_dir`` (made when missing)."""
    folder = DataFolder(Path(data_dir))
    accounts = folder.accounts()
    signer = TimestampSigner(ensure_secret(folder.secret_file), salt="planner-session")
    env = _environment()
    cache: dict = {}

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.folder = folder
    app.state.accounts = accounts

    # -- knowledge, lazily (the first page that needs it pays)

    def kb():
        if "kb" not in cache:
            from planner import knowledge
            from planner.resources import bundled

            cache["kb"] = knowledge.load(bundled("sectors"))
        return cache["kb"]

    # -- sessions

    def session_of(request: Request) -> Session | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            token = signer.unsign(raw, max_age=SESSION_HOURS * 3600).decode()
        except BadSignature:
            return None
        return accounts.session(token)

    def need(request: Request, *roles: str, allow_must_change: bool = False) -> Session:
        session = session_of(request)
        if session is None:
            raise LoginRequired()
        if session.user.must_change and not allow_must_change:
            raise PasswordChangeRequired()
        if roles and session.user.role not in roles:
            raise HTTPException(404)
        return session

    def check_csrf(session: Session, token: str) -> None:
        if not token or not hmac.compare_digest(token, session.csrf):
            raise HTTPException(403, "表单已失效或来源不明（缺少或不符的安全令牌），请刷新页面后重试")

    def page(request: Request, name: str, session: Session | None, status: int = 200, **context) -> HTMLResponse:
        html = env.get_template(name).render(session=session, user=session.user if session else None,
                                             roles=ROLES, path=request.url.path, **context)
        return HTMLResponse(html, status)

    def secure(request: Request) -> bool:
        return request.url.scheme == "https"

    # -- errors

    @app.exception_handler(LoginRequired)
    def _login_required(request: Request, exc):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", 303)

    @app.exception_handler(PasswordChangeRequired)
    def _password_required(request: Request, exc):
        return RedirectResponse("/password", 303)

    @app.exception_handler(HTTPException)
    def _http_error(request: Request, exc: HTTPException):
        messages = {404: "没有这个页面，或您无权查看。", 403: "请求被拒绝。", 405: "不支持这种请求。",
                    429: "尝试次数过多，请稍后再试。"}
        detail = exc.detail if isinstance(exc.detail, str) and re.search(r"[\u4e00-\u9fff]", exc.detail) else None
        message = detail or messages.get(exc.status_code, "出错了。")
        return page(request, "error.html.j2", session_of(request), exc.status_code, message=message,
                    code=exc.status_code)

    # -- enterprises

    def enterprise_rows() -> list[dict]:
        from planner.briefbook import enterprise_folders
        from planner.versions import current_version

        rows = []
        if not folder.output.is_dir():
            return rows
        for sub in enterprise_folders(folder.output):
            version, _ = current_version(sub)
            if version is None or not isinstance(version.meta.get("listing"), dict):
                continue
            listing = version.meta["listing"]
            rows.append({"id": sub.name, "name": str(listing.get("name", "")), "district": str(listing.get("district", "")),
                         "zone": str(listing.get("zone", "")), "cadre": str(listing.get("cadre", "")),
                         "sector": str(listing.get("sector", "")),
                         "production_status": str(listing.get("production_status", "")),
                         "measures": len(listing.get("measures", []) or []),
                         "questions": int(listing.get("questions", 0) or 0), "version": version.number,
                         "generated": version.meta.get("generated", "")})
        return rows

    def visible_rows(session: Session) -> list[dict]:
        return [row for row in enterprise_rows() if sees_enterprise(session.user, row)]

    def enterprise(session: Session, code: str):
        """(folder, current version, listing row) of an enterprise the user may see; 404 otherwise."""
        from planner.versions import current_version

        if not CODE.match(code) or session.user.role not in SEES_ENTERPRISES:
            raise HTTPException(404)
        sub = folder.output / code
        if sub.is_symlink() or not sub.is_dir():
            raise HTTPException(404)
        version, _ = current_version(sub)
        if version is None or not isinstance(version.meta.get("listing"), dict):
            raise HTTPException(404)
        row = {k: str(v) for k, v in version.meta["listing"].items() if isinstance(v, str)}
        if not sees_enterprise(session.user, row):
            raise HTTPException(404)
        return sub, version, row

    # -- pages

    @app.get("/")
    def home(request: Request):
        session = need(request)
        return RedirectResponse("/requests" if session.user.role == "department" else "/enterprises", 303)

    @app.get("/login")
    def login_form(request: Request, next: str = "/"):
        token = secrets.token_urlsafe(24)
        response = page(request, "login.html.j2", None, login_csrf=token, next=_safe_next(next), error="")
        response.set_cookie(LOGIN_COOKIE, token, max_age=1800, httponly=True, samesite="strict", secure=secure(request),
                            path="/login")
        return response

    @app.post("/login")
    def login(request: Request, name: str = Form(""), password: str = Form(""), csrf: str = Form(""),
              next: str = Form("/")):
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        if not csrf or not cookie or not hmac.compare_digest(csrf, cookie):
            raise HTTPException(403, "登录表单已失效，请刷新页面后重新登录")
        address = request.client.host if request.client else "?"
        token, why = accounts.login(name.strip(), password, address)
        if token is None:
            message = ("登录失败次数过多，请10分钟后再试" if why == "locked" else "用户名或密码不正确")
            response = page(request, "login.html.j2", None, 429 if why == "locked" else 401, login_csrf=cookie,
                            next=_safe_next(next), error=message)
            return response
        response = RedirectResponse(_safe_next(next), 303)
        response.set_cookie(SESSION_COOKIE, signer.sign(token).decode(), max_age=SESSION_HOURS * 3600, httponly=True,
                            samesite="lax", secure=secure(request), path="/")
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")):
        session = need(request, allow_must_change=True)
        check_csrf(session, csrf)
        raw = request.cookies.get(SESSION_COOKIE, "")
        accounts.logout(signer.unsign(raw).decode())
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/password")
    def password_form(request: Request):
        session = need(request, allow_must_change=True)
        return page(request, "password.html.j2", session, error="")

    @app.post("/password")
    def password_change(request: Request, old: str = Form(""), new: str = Form(""), again: str = Form(""),
                        csrf: str = Form("")):
        session = need(request, allow_must_change=True)
        check_csrf(session, csrf)
        error = ""
        if new != again:
            error = "两次输入的新密码不一致"
        else:
            try:
                if not accounts.change_own_password(session.user.name, old, new):
                    error = "原密码不正确"
            except AccountError as exc:
                error = exc.format_message()
        if error:
            return page(request, "password.html.j2", session, 400, error=error)
        return RedirectResponse("/", 303)

    @app.get("/enterprises")
    def enterprises(request: Request, q: str = "", district: str = "", sector: str = "", cadre: str = "",
                    status: str = "", questions: str = ""):
        session = need(request, *SEES_ENTERPRISES)
        rows = visible_rows(session)
        choices = {key: sorted({row[key] for row in rows if row[key]})
                   for key in ("district", "sector", "cadre", "production_status")}
        wanted = q.strip()
        shown = [row for row in rows
                 if (not wanted or wanted in row["name"] or wanted.upper() in row["id"])
                 and (not district or row["district"] == district) and (not sector or row["sector"] == sector)
                 and (not cadre or row["cadre"] == cadre) and (not status or row["production_status"] == status)
                 and (not questions or row["questions"] > 0)]
        filters = {"q": q, "district": district, "sector": sector, "cadre": cadre, "status": status,
                   "questions": questions}
        return page(request, "enterprises.html.j2", session, rows=shown, total=len(rows), choices=choices,
                    filters=filters, empty_folder=not rows)

    @app.get("/e/{code}")
    def enterprise_page(request: Request, code: str):
        from planner import review
        from planner.render import markdown_to_html
        from planner.versions import scan_versions

        session = need(request, *SEES_ENTERPRISES)
        sub, version, row = enterprise(session, code)
        try:
            body = markdown_to_html((version.path / "plan.md").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            body = "<p>该版本没有可显示的方案正文。</p>"
        decisions, _ = review.read_reviews(sub)
        found, damaged = scan_versions(sub)
        versions = [{"number": v.number, "generated": v.meta.get("generated", ""), "trigger": v.meta.get("trigger", []),
                     "summary": v.meta.get("summary", ""), "state": review.state_of(v, decisions).label}
                    for v in reversed(found)]
        files = [name for name in DOWNLOADS if (version.path / name).is_file()]
        state = review.state_of(version, decisions)
        return page(request, "enterprise.html.j2", session, code=code, row=row, version=version, body=Markup(body),
                    versions=versions, damaged=[d.message for d in damaged], files=files, state=state,
                    can_review=session.user.role == "reviewer", can_request=session.user.role == "cadre")

    @app.get("/e/{code}/files/{name}")
    def download(request: Request, code: str, name: str):
        session = need(request, *SEES_ENTERPRISES)
        sub, version, row = enterprise(session, code)
        if name not in DOWNLOADS or not (version.path / name).is_file():
            raise HTTPException(404)
        accounts.audit(session.user.name, "下载", code, name)
        return FileResponse(version.path / name, media_type=MEDIA[Path(name).suffix],
                            filename=f"{row.get('name', code)}-{name}")

    @app.get("/e/{code}/redline")
    def redline(request: Request, code: str, old: int | None = Query(None, ge=1), new: int | None = Query(None, ge=1)):
        from planner.diff import DiffError, diff_plans, load_side
        from planner.diff_output import as_html
        from planner.render import Templates

        session = need(request, "admin", "reviewer", "officer")
        sub, version, row = enterprise(session, code)
        new = new or version.number
        old = old or new - 1
        if old < 1 or old >= new:
            raise HTTPException(404, "只有一个版本，没有可比较的修订")
        try:
            result = diff_plans(load_side(f"{sub}@v{old}"), load_side(f"{sub}@v{new}"), kb())
        except DiffError:
            raise HTTPException(404, f"第{old}版或第{new}版不完整，无法比较") from None
        html = as_html(result, Templates.from_option(None))
        return HTMLResponse(html, headers={"content-security-policy": REDLINE_CSP})

    @app.post("/e/{code}/review")
    def review_version(request: Request, code: str, decision: str = Form(""), version: int = Form(0),
                       text: str = Form(""), csrf: str = Form("")):
        from planner import review

        session = need(request, "reviewer")
        check_csrf(session, csrf)
        sub, current, row = enterprise(session, code)
        if decision not in review.DECISIONS:
            raise HTTPException(400, "未知的审核结论")
        try:
            chosen = review.find_version(sub, version or None)
            entry = review.record(sub, chosen, decision, session.user.name, text)
        except review.ReviewError as exc:
            raise HTTPException(400, exc.format_message().replace("用 --reason ", "").replace("用 --reviewer ", ""))
        accounts.audit(session.user.name, "审核通过" if decision == "approved" else "退回", code,
                       f"第{entry.version}版" + (f"：{entry.text}" if entry.text else ""))
        return RedirectResponse(f"/e/{code}", 303)

    @app.get("/changes")
    def changes_page(request: Request):
        from planner import changes

        session = need(request, "admin", "reviewer")
        result = changes.collect(folder.output) if folder.output.is_dir() else changes.Changes("最近一次运行")
        return page(request, "changes.html.j2", session, result=result, headline=changes.headline(result))

    @app.get("/briefs.pdf")
    def combined_briefs(request: Request, id: list[str] = Query([])):
        from planner.briefbook import write_folder_briefs
        from planner.exceptions import RenderError
        from planner.generate import Renderer
        from planner.render import Templates

        session = need(request, *SEES_ENTERPRISES)
        ids = list(dict.fromkeys(code.strip().upper() for code in id if code.strip()))
        if not ids:
            raise HTTPException(400, "请先勾选要打印简报的企业")
        if len(ids) > MAX_IDS:
            raise HTTPException(400, f"一次最多打印{MAX_IDS}家企业的简报")
        for code in ids:
            enterprise(session, code)  # 404 for any out of scope
        if "renderer" not in cache:
            cache["renderer"] = Renderer(kb(), Templates.from_option(None))
        with tempfile.TemporaryDirectory(dir=folder.root) as tmp:
            target = Path(tmp) / "briefs.pdf"
            try:
                result = write_folder_briefs(folder.output, target, kb(), cache["renderer"], ids)
            except RenderError as exc:
                raise HTTPException(409, exc.format_message()) from None
            data = target.read_bytes()
        accounts.audit(session.user.name, "打印简报", "、".join(ids), f"{len(result.printed)}份")
        name = quote(f"走访简报{len(result.printed)}份.pdf")
        return Response(data, media_type="application/pdf",
                        headers={"content-disposition": f"attachment; filename*=UTF-8''{name}"})

    # -- requests

    def ledger():
        from planner.requests import Ledger, ledger_path

        return Ledger.open(ledger_path(folder.output))

    @app.get("/e/{code}/requests/new")
    def request_form(request: Request, code: str):
        session = need(request, "cadre")
        sub, version, row = enterprise(session, code)
        with ledger() as book:
            categories, urgencies = list(book.rules.categories), list(book.rules.urgencies)
        return page(request, "request_new.html.j2", session, code=code, row=row, categories=categories,
                    urgencies=urgencies, today=dt.date.today().isoformat(), error="",
                    form=dict.fromkeys(("category", "urgency", "text", "visit_date"), ""))

    @app.post("/e/{code}/requests")
    def request_register(request: Request, code: str, category: str = Form(""), urgency: str = Form(""),
                         text: str = Form(""), visit_date: str = Form(""), csrf: str = Form("")):
        from planner.requests import LedgerError

        session = need(request, "cadre")
        check_csrf(session, csrf)
        sub, version, row = enterprise(session, code)
        with ledger() as book:
            try:
                made = book.register(code, row.get("name", ""), category, text, urgency, visit_date,
                                     cadre=session.user.cadre_name, district=row.get("district", ""),
                                     by=session.user.name)
            except LedgerError as exc:
                return page(request, "request_new.html.j2", session, 400, code=code, row=row,
                            categories=list(book.rules.categories), urgencies=list(book.rules.urgencies),
                            today=dt.date.today().isoformat(), error=exc.format_message(),
                            form={"category": category, "urgency": urgency, "text": text, "visit_date": visit_date})
        if made.created:
            accounts.audit(session.user.name, "登记诉求", made.id, f"{code}：{made.category}")
        return RedirectResponse(f"/requests/{made.id}", 303)

    @app.get("/requests")
    def requests_page(request: Request):
        session = need(request)
        if not (folder.output / "requests.db").exists():
            found = []
        else:
            with ledger() as book:
                user = session.user
                if user.role == "cadre":
                    found = book.find(cadre=user.cadre_name)
                elif user.role == "department":
                    found = book.find(department=user.department)
                else:
                    found = [r for r in book.find() if sees_request(user, r)]
        return page(request, "requests.html.j2", session, requests=found)

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

    @app.get("/requests/{rid}")
    def request_page(request: Request, rid: str):
        session = need(request)
        if not (folder.output / "requests.db").exists():
            raise HTTPException(404)
        with ledger() as book:
            found = request_in_scope(session, book, rid)
            events = book.events(found.id)
        steps = STEPS_BY_ROLE.get(session.user.role, ())
        return page(request, "request.html.j2", session, r=found, events=events, steps=steps, error="")

    @app.post("/requests/{rid}/step")
    def request_step(request: Request, rid: str, step: str = Form(""), note: str = Form(""), csrf: str = Form("")):
        from planner.requests import LedgerError

        session = need(request, *STEPS_BY_ROLE)
        check_csrf(session, csrf)
        if not (folder.output / "requests.db").exists():
            raise HTTPException(404)
        with ledger() as book:
            found = request_in_scope(session, book, rid)
            if step not in STEPS_BY_ROLE[session.user.role]:
                raise HTTPException(403, "您的角色不能办理这一步")
            try:
                book.transition(found.id, step, by=session.user.department or session.user.name, note=note)
            except LedgerError as exc:
                return page(request, "request.html.j2", session, 400, r=found, events=book.events(found.id),
                            steps=STEPS_BY_ROLE[session.user.role], error=exc.format_message())
        accounts.audit(session.user.name, f"诉求{step}", found.id, note)
        return RedirectResponse(f"/requests/{found.id}", 303)

    # -- administration

    @app.get("/audit")
    def audit_page(request: Request):
        session = need(request, "admin")
        return page(request, "audit.html.j2", session, entries=accounts.audit_log(), users=accounts.all())

    app.add_middleware(SecurityHeaders)
    return app


def _safe_next(target: str) -> str:
    """Only a path of this site: never another origin (//host, https://…, \\host)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target or "\r" in target:
        return "/"
    return target
