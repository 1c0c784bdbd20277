"""The web workplace: server-rendered pages over the output folder, the review log and the request
ledger the command line uses (issue 16).

``create_app(data_dir)`` builds the FastAPI application; ``planner serve`` runs it with uvicorn.
Every page needs a login; every state-changing form carries the session's CSRF token, checked
before anything is done; whatever lies outside the user's scope answers 404. The pages live in
one module per part of the work (auth, plans, visits, admin, officer, reviewer), each registering its routes on the
shared ``Site`` (planner.web.site).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from planner.web import admin, auth, officer, plans, reviewer, visits
from planner.web.site import HERE, LoginRequired, PasswordChangeRequired, Site

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
ERRORS = {404: "没有这个页面，或您无权查看。", 403: "请求被拒绝。", 405: "不支持这种请求。",
          429: "尝试次数过多，请稍后再试。"}
PAGES = (auth, plans, visits, admin, officer, reviewer)


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


def create_app(data_dir: Path) -> FastAPI:
    """The application serving the data folder ``data_dir`` (made when missing)."""
    site = Site(Path(data_dir))
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.site = site
    app.state.folder = site.folder
    app.state.accounts = site.accounts

    @app.exception_handler(LoginRequired)
    def _login_required(request: Request, exc):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", 303)

    @app.exception_handler(PasswordChangeRequired)
    def _password_required(request: Request, exc):
        return RedirectResponse("/password", 303)

    @app.exception_handler(HTTPException)
    def _http_error(request: Request, exc: HTTPException):
        detail = exc.detail if isinstance(exc.detail, str) and re.search(r"[\u4e00-\u9fff]", exc.detail) else None
        message = detail or ERRORS.get(exc.status_code, "出错了。")
        return site.page(request, "error.html.j2", site.session_of(request), exc.status_code, message=message,
                         code=exc.status_code)

    for part in PAGES:
        part.register(app, site)
    app.add_middleware(SecurityHeaders)
    return app
