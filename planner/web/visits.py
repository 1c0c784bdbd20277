"""Requests (诉求): a cadre registers what an enterprise asked for after a visit and records the
return visit (回访); departments and officers move requests through the other steps of the
ledger's machine (planner.requests.machine), each role offered only the steps it may take from
the request's state; a step the ledger refuses shows its message. Everyone sees the requests in
their scope."""

from __future__ import annotations

import re

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

from planner.dates import today
from planner.web.accounts import ROLES
from planner.web.folder import cadre_as_written, sees_request
from planner.web.site import Site

# which steps of the request machine each role may take: the department works a request and
# returns it; the cadre of record does the 回访 (the enterprise's verdict); the bureau hands it on,
# presses it (督办), signs it off (销号) or withdraws it; the admin may do every step
STEPS_BY_ROLE = {"department": ("办理中", "办结", "退回"), "cadre": ("回访",),
                 "officer": ("交办", "督办", "销号", "退回", "撤回"),
                 "admin": ("交办", "督办", "办理中", "办结", "回访", "销号", "退回", "撤回")}
# who may hand a request to other departments (交办 with departments named), and name the department
# whose answer a step of a co-held request is (a department's own steps are its answers)
REHANDS = ("officer", "admin")
ANSWERS = ("办理中", "办结", "退回")  # the steps that are one department's answer
VERDICTS = {"满意": True, "不满意": False}
SIDE_STEPS = ("退回", "督办", "撤回")  # steps that do not carry a request on to its end
_DEPARTMENT_SPLIT = re.compile(r"[、，,;；\s]+")
FORM_FIELDS = ("category", "urgency", "text", "visit_date")
PERSON_MAX = 40  # characters of the 办理人 field kept


def next_hint(state: str, returned: bool, role: str, steps: list) -> str:
    """What an open request waits for in ``state`` and who takes that step (下一步：由经信部门销号),
    for a user with no step of their own to take now; empty when the user can act."""
    from planner.requests.machine import ASSIGNED, PENDING, STEPS

    if steps:
        return ""
    if returned:  # taken off its departments: the bureau hands it on again
        forward = [STEPS[ASSIGNED]]
    else:
        forward = [s for s in STEPS.values()
                   if state in s.sources and s.target and s.target != state and s.name not in SIDE_STEPS]
    if not forward:
        return ""
    step = forward[0]
    who = [ROLES[r] for r, taken in STEPS_BY_ROLE.items() if r != "admin" and step.name in taken]
    hint = f"下一步：由{'或'.join(who)}{'重新' if returned else ''}{step.verb}。"
    if role == "cadre" and state in PENDING:
        hint += "诉求办结后，请回访企业并在这里登记企业是否满意。"
    return hint


def steps_of(user, found) -> list[str]:
    """The steps ``user`` may take on request ``found`` now (a department that answered 办结 of a
    co-held request has no 办结 left: the others' turn)."""
    from planner.requests import STEPS

    steps = [s for s in STEPS_BY_ROLE.get(user.role, ()) if found.state in STEPS[s].sources]
    if user.role == "department" and user.department in found.done:
        steps = [s for s in steps if s != "办结"]
    return steps


def next_line(user, found) -> tuple[str, bool]:
    """What the list says of an open request: (待您开始办理或办结, True) when the user's own step
    carries it on, else (下一步：由…, False); ("", False) for a request that is closed."""
    from planner.requests import STEPS

    if not found.is_open:
        return "", False
    steps = steps_of(user, found)
    forward = [s for s in steps if s not in SIDE_STEPS  # 交办 again is a re-handing, unless it was returned
               and (STEPS[s].target != found.state or found.returned)]
    if forward:
        return "待您" + "或".join(STEPS[s].verb for s in forward), True
    return next_hint(found.state, found.returned, "", []), False  # the cadre's 回访 reminder is for the page


def register(app: FastAPI, site: Site) -> None:
    need, page, enterprise = site.need, site.page, site.enterprise

    def request_form_page(request, session, code, row, book, status=200, error="", form=None):
        return page(request, "request_new.html.j2", session, status, code=code, row=row,
                    categories=list(book.rules.categories), urgencies=list(book.rules.urgencies),
                    today=today().isoformat(), error=error, form=form or dict.fromkeys(FORM_FIELDS, ""))

    @app.get("/e/{code}/requests/new")
    def request_form(request: Request, code: str):
        session = need(request, "cadre")
        sub, version, row = enterprise(session, code)
        with site.ledger() as book:
            return request_form_page(request, session, code, row, book)

    @app.post("/e/{code}/requests")
    def request_register(request: Request, code: str, category: str = Form(""), urgency: str = Form(""),
                         text: str = Form(""), visit_date: str = Form(""), csrf: str = Form("")):
        from planner.requests import LedgerError

        session = need(request, "cadre")
        site.check_csrf(session, csrf)
        sub, version, row = enterprise(session, code)
        with site.ledger() as book:
            try:
                made = book.register(code, row.get("name", ""), category, text, urgency, visit_date,
                                     cadre=cadre_as_written(row.get("cadre", ""), session.user.cadre_name),
                                     district=row.get("district", ""),
                                     by=session.user.display_name, account=session.user.name)
            except LedgerError as exc:
                form = {"category": category, "urgency": urgency, "text": text, "visit_date": visit_date}
                return request_form_page(request, session, code, row, book, 400, exc.web_message(), form)
        if made.created:
            site.accounts.audit(session.user.name, "登记诉求", made.id, f"{code}：{made.category}")
        return RedirectResponse(f"/requests/{made.id}", 303)

    @app.get("/requests")
    def requests_page(request: Request):
        session = need(request)
        if not site.has_ledger():
            found = []
        else:
            with site.ledger() as book:
                user = session.user
                if user.role == "department":  # handed to it: a request still 登记 is not yet the department's
                    found = [r for r in book.find(department=user.department) if r.state != "登记"]
                else:
                    found = [r for r in book.find() if sees_request(user, r)]
        return page(request, "requests.html.j2", session, requests=found,
                    nexts={r.id: next_line(session.user, r) for r in found})

    def request_view(request, session, book, found, status=200, error="", failed=""):
        from planner.requests import STEPS

        role = session.user.role
        steps = steps_of(session.user, found)
        # what the request waits for, unless the user's own step carries it on: an officer whose
        # only steps are 督办 or 撤回 (a side step) still reads whose turn it is
        forward = [s for s in steps if s not in SIDE_STEPS and (STEPS[s].target != found.state or found.returned)]
        hint = next_hint(found.state, found.returned, role, forward) if found.is_open else ""
        answering = found.departments if found.co_held and role in REHANDS else ()
        return page(request, "request.html.j2", session, status, r=found, events=book.events(found.id), steps=steps,
                    rehands=role in REHANDS, answering=answering, answers=ANSWERS, error=error, failed=failed,
                    hint=hint)

    @app.get("/requests/{rid}")
    def request_page(request: Request, rid: str):
        session = need(request)
        if not site.has_ledger():
            raise HTTPException(404)
        with site.ledger() as book:
            found = site.request_in_scope(session, book, rid)
            return request_view(request, session, book, found)

    @app.post("/requests/{rid}/step")
    def request_step(request: Request, rid: str, step: str = Form(""), note: str = Form(""),
                     satisfied: str = Form(""), departments: str = Form(""), department: str = Form(""),
                     person: str = Form(""), csrf: str = Form("")):
        from planner.requests import LedgerError

        session = need(request, *STEPS_BY_ROLE)
        site.check_csrf(session, csrf)
        if not site.has_ledger():
            raise HTTPException(404)
        role = session.user.role
        with site.ledger() as book:
            found = site.request_in_scope(session, book, rid)
            if step not in STEPS_BY_ROLE[role]:
                raise HTTPException(403, "您的角色不能办理这一步")
            handed = None
            if departments.strip() and role in REHANDS and step == "交办":
                handed = [d for d in _DEPARTMENT_SPLIT.split(departments) if d]
                if tuple(handed) == found.departments:
                    handed = None
            verdict = VERDICTS.get(satisfied) if step == "回访" else None
            try:
                # a department's step is its own answer (a 退回 takes it alone off; a co-held request is
                # 办结 when each has answered); the bureau names the department for a co-held one
                answer = None
                if step in ANSWERS:
                    answer = session.user.department if role == "department" else (department.strip() or None)
                # who did it (办理人, by default the account's name) and the login that says so
                who = " ".join(person.split())[:PERSON_MAX] or session.user.display_name
                done = book.transition(found.id, step, by=who, note=note, departments=handed, satisfied=verdict,
                                       department=answer, account=session.user.name)
            except LedgerError as exc:
                return request_view(request, session, book, found, 400, exc.web_message(), step)
        detail = "；".join(part for part in (
            f"办理人{who}" if who != session.user.display_name else "",
            {True: "满意", False: "不满意，重新办理"}.get(verdict, ""),
            f"改交{'、'.join(done.departments)}" if handed else "", note.strip()) if part)
        site.accounts.audit(session.user.name, f"诉求{step}", found.id, detail)
        if not sees_request(session.user, done):  # returned by this department: no longer its request
            return RedirectResponse("/requests", 303)
        return RedirectResponse(f"/requests/{found.id}", 303)
