"""The administrator's pages: the audit log and the accounts."""

from __future__ import annotations

from fastapi import FastAPI, Request

from planner.web.accounts import SERVER_ACTOR
from planner.web.site import Site


def register(app: FastAPI, site: Site) -> None:
    @app.get("/audit")
    def audit_page(request: Request):
        session = site.need(request, "admin")
        return site.page(request, "audit.html.j2", session, entries=site.accounts.audit_log(),
                         users=site.accounts.all(), server_actor=SERVER_ACTOR)
