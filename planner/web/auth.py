"""Logging in and out, and changing one's password."""

from __future__ import annotations

import hmac
import secrets

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

from planner.web.accounts import SESSION_HOURS, AccountError
from planner.web.site import LOGIN_COOKIE, SESSION_COOKIE, Site


def safe_next(target: str) -> str:
    """Only a path of this site: never another origin (//host, https://…, \\host)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target or "\r" in target:
        return "/"
    return target


def register(app: FastAPI, site: Site) -> None:
    accounts, need, page = site.accounts, site.need, site.page

    @app.get("/")
    def home(request: Request):
        session = need(request)
        return RedirectResponse("/requests" if session.user.role == "department" else "/enterprises", 303)

    @app.get("/login")
    def login_form(request: Request, next: str = "/"):
        token = secrets.token_urlsafe(24)
        response = page(request, "login.html.j2", None, login_csrf=token, next=safe_next(next), error="")
        response.set_cookie(LOGIN_COOKIE, token, max_age=1800, httponly=True, samesite="strict",
                            secure=site.secure(request), path="/login")
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
            return page(request, "login.html.j2", None, 429 if why == "locked" else 401, login_csrf=cookie,
                        next=safe_next(next), error=message)
        response = RedirectResponse(safe_next(next), 303)
        response.set_cookie(SESSION_COOKIE, site.signer.sign(token).decode(), max_age=SESSION_HOURS * 3600,
                            httponly=True, samesite="lax", secure=site.secure(request), path="/")
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")):
        session = need(request, allow_must_change=True)
        site.check_csrf(session, csrf)
        raw = request.cookies.get(SESSION_COOKIE, "")
        accounts.logout(site.signer.unsign(raw).decode())
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
        site.check_csrf(session, csrf)
        error = ""
        if new != again:
            error = "两次输入的新密码不一致"
        else:
            try:
                if not accounts.change_own_password(session.user.name, old, new):
                    error = "原密码不正确"
            except AccountError as exc:
                error = exc.web_message()
        if error:
            return page(request, "password.html.j2", session, 400, error=error)
        return RedirectResponse("/", 303)
