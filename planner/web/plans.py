"""Enterprises and their plans: the list, a plan with its downloads and versions, the redline,
review, the last run's changes and the combined brief PDF."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.exceptions import HTTPException

from planner.web.site import SEES_ENTERPRISES, Site

DOWNLOADS = ("帮扶方案.pdf", "走访简报.pdf", "帮扶方案.docx", "走访简报.docx")
MEDIA = {".pdf": "application/pdf",
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
MAX_IDS = 200  # enterprises in one combined brief
PER_PAGE = 50  # enterprises on one page of the list


def page_numbers(current: int, pages: int) -> list:
    """The page links of a list: the first, the last and two either side of ``current``, with None
    for a gap (1 … 4 5 6 7 8 … 20)."""
    wanted = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
    out = []
    for n in wanted:
        if out and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


# what a list's URL may hold: the search, the filters (区县, 功能区, 产业, 包联干部, 生产状态, 有待核实问题,
# 有未办结诉求) and the page
LIST_KEYS = ("q", "district", "zone", "sector", "cadre", "status", "questions", "requests", "page")


def list_link(query: dict) -> str:
    """The enterprise list's URL with the filters and page of ``query`` that are set, in a fixed order."""
    kept = {k: query[k] for k in LIST_KEYS if query.get(k) and not (k == "page" and str(query[k]) == "1")}
    return "/enterprises" + ("?" + urlencode(kept) if kept else "")


def list_came_from(request: Request) -> str:
    """The enterprise list as the user left it (its filters and page, from the Referer when that is
    this site's list), for a way back that does not start over; else the whole list."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or referer.path != "/enterprises":
        return "/enterprises"
    return list_link(dict(parse_qsl(referer.query)))


def register(app: FastAPI, site: Site) -> None:
    need, page, enterprise = site.need, site.page, site.enterprise

    @app.get("/enterprises")
    def enterprises(request: Request, q: str = "", district: str = "", zone: str = "", sector: str = "",
                    cadre: str = "", status: str = "", questions: str = "", requests: str = "",
                    page_no: str = Query("", alias="page")):
        session = need(request, *SEES_ENTERPRISES)
        rows = site.visible_rows(session)
        pending = site.pending_requests(session)  # in the user's scope, as /requests lists them
        for row in rows:
            row["requests"] = pending.get(row["id"], 0)
        choices = {key: sorted({row[key] for row in rows if row[key]})
                   for key in ("district", "zone", "sector", "cadre", "production_status")}
        wanted = q.strip()
        shown = [row for row in rows
                 if (not wanted or wanted in row["name"] or wanted.upper() in row["id"])
                 and (not district or row["district"] == district) and (not zone or row["zone"] == zone)
                 and (not sector or row["sector"] == sector)
                 and (not cadre or row["cadre"] == cadre) and (not status or row["production_status"] == status)
                 and (not questions or row["questions"] > 0) and (not requests or row["requests"] > 0)]
        filters = {"q": q, "district": district, "zone": zone, "sector": sector, "cadre": cadre, "status": status,
                   "questions": questions, "requests": requests}
        pages = max(1, -(-len(shown) // PER_PAGE))
        number = min(int(page_no), pages) if page_no.isdigit() and int(page_no) >= 1 else 1
        first = (number - 1) * PER_PAGE
        def link(n: int) -> str:  # a page of the same filters
            return list_link({**filters, "page": n})

        context = dict(rows=shown[first:first + PER_PAGE], matched=len(shown), total=len(rows), choices=choices,
                       filters=filters, empty_folder=not rows, first=first, page_no=number, pages=pages,
                       page_links=[(n, link(n) if n else "") for n in page_numbers(number, pages)],
                       previous=link(number - 1) if number > 1 else "",
                       next=link(number + 1) if number < pages else "")
        # htmx asks for the list alone when a filter changes or a page link is followed; a history
        # restore (HX-History-Restore-Request) needs the whole page
        fragment = request.headers.get("hx-request") == "true" and not request.headers.get("hx-history-restore-request")
        response = page(request, "enterprises_list.html.j2" if fragment else "enterprises.html.j2", session, **context)
        response.headers["vary"] = "HX-Request"
        if fragment:  # the address bar says what the list shows: no empty filters, the page it is on
            response.headers["hx-push-url"] = link(number)
        return response

    @app.get("/e/{code}")
    def enterprise_page(request: Request, code: str):
        from planner import review
        from planner.diff import shown_summary
        from planner.versions import scan_versions

        session = need(request, *SEES_ENTERPRISES)
        sub, version, row = enterprise(session, code)
        try:
            body = site.plan_html(version.path)
        except (OSError, UnicodeDecodeError):
            body = "<p>该版本没有可显示的方案正文。</p>"
        decisions, _ = review.read_reviews(sub)
        found, damaged = scan_versions(sub)
        by_number = {v.number: v for v in found}
        summaries = {v.number: shown_summary(v, by_number.get(v.number - 1), site.kb) for v in found}
        versions = [{"number": v.number, "generated": v.meta.get("generated", ""),
                     "trigger": v.meta.get("trigger", []), "summary": summaries[v.number],
                     "state": review.state_of(v, decisions).label}
                    for v in reversed(found)]
        files = [name for name in DOWNLOADS if (version.path / name).is_file()]
        state = review.state_of(version, decisions)
        return page(request, "enterprise.html.j2", session, code=code, row=row, version=version,
                    body=Markup(body), versions=versions, damaged=[d.message for d in damaged], files=files,
                    state=state, can_review=session.user.role == "reviewer",
                    can_request=session.user.role == "cadre", list_back=list_came_from(request),
                    summary=summaries.get(version.number, version.meta.get("summary", "")))

    @app.get("/e/{code}/files/{name}")
    def download(request: Request, code: str, name: str):
        session = need(request, *SEES_ENTERPRISES)
        sub, version, row = enterprise(session, code)
        if name not in DOWNLOADS or not (version.path / name).is_file():
            raise HTTPException(404)
        site.accounts.audit(session.user.name, "下载", code, name)
        return FileResponse(version.path / name, media_type=MEDIA[Path(name).suffix],
                            filename=f"{row.get('name', code)}-{name}")

    @app.get("/e/{code}/redline")
    def redline(request: Request, code: str, old: int | None = Query(None, ge=1),
                new: int | None = Query(None, ge=1)):
        from planner import review
        from planner.diff import DiffError, diff_plans, load_side
        from planner.diff_output import as_html_body
        from planner.render import Templates

        session = need(request, "admin", "reviewer", "officer")
        sub, version, row = enterprise(session, code)
        new = new or version.number
        old = old or new - 1
        if old < 1 or old >= new:
            raise HTTPException(404, "只有一个版本，没有可比较的修订")
        try:
            result = diff_plans(load_side(f"{sub}@v{old}"), load_side(f"{sub}@v{new}"), site.kb())
        except DiffError:
            raise HTTPException(404, f"第{old}版或第{new}版不完整，无法比较") from None
        body = as_html_body(result, Templates.from_option(None))  # escaped by diff_body.html.j2
        decisions, _ = review.read_reviews(sub)
        shown = review.find_version(sub, new)
        return page(request, "redline.html.j2", session, code=code, row=row, old=old, new=new,
                    body=Markup(body), state=review.state_of(shown, decisions),
                    can_review=session.user.role == "reviewer")

    @app.get("/redline.css")
    def redline_css(request: Request):
        from planner.render import Templates

        need(request, "admin", "reviewer", "officer")
        css, _ = Templates.from_option(None).stylesheet("diff.css")
        return Response(css, media_type="text/css; charset=utf-8")

    @app.post("/e/{code}/review")
    def review_version(request: Request, code: str, decision: str = Form(""), version: int = Form(0),
                       text: str = Form(""), csrf: str = Form(""), back: str = Form("")):
        from planner import review

        session = need(request, "reviewer")
        site.check_csrf(session, csrf)
        sub, current, row = enterprise(session, code)
        if decision not in review.DECISIONS:
            raise HTTPException(400, "未知的审核结论")
        try:
            chosen = review.find_version(sub, version or None)
            entry = review.record(sub, chosen, decision, session.user.name, text)
        except review.ReviewError as exc:
            raise HTTPException(400, exc.web_message())
        site.accounts.audit(session.user.name, "审核通过" if decision == "approved" else "退回", code,
                            f"第{entry.version}版" + (f"：{entry.text}" if entry.text else ""))
        return RedirectResponse("/changes" if back == "changes" else f"/e/{code}", 303)

    @app.get("/changes")
    def changes_page(request: Request):
        from planner import changes
        from planner.exceptions import PlannerError, for_web

        session = need(request, "admin", "reviewer")
        output = site.folder.output
        try:
            result = changes.collect(output, kb=site.kb)
            headline = changes.headline(result)
        except PlannerError as exc:  # no run yet, or its record damaged: said as a page says it
            result, headline = changes.Changes("最近一次运行"), exc.web_message()
        # a note names a file by its path on the server: the enterprise folder is what a user knows
        notes = [for_web(note).replace(f"{output}/", "") for note in result.notes]
        return page(request, "changes.html.j2", session, result=result, headline=headline, notes=notes)

    @app.get("/briefs.pdf")
    def combined_briefs(request: Request, id: list[str] = Query([])):
        from planner.briefbook import write_folder_briefs
        from planner.exceptions import RenderError

        session = need(request, *SEES_ENTERPRISES)
        ids = list(dict.fromkeys(code.strip().upper() for code in id if code.strip()))
        if not ids:  # the list the button was under, as it was: tick and press again
            return page(request, "error.html.j2", session, 400, code=400, heading="没有勾选企业",
                        message="请先在清单中勾选要打印简报的企业，再按“合成一个 PDF 下载”。",
                        back=(list_came_from(request), "返回" + ("我的企业" if session.user.role == "cadre" else "企业清单")))
        if len(ids) > MAX_IDS:
            raise HTTPException(400, f"一次最多打印{MAX_IDS}家企业的简报")
        for code in ids:
            enterprise(session, code)  # 404 for any out of scope
        with tempfile.TemporaryDirectory(dir=site.folder.root) as tmp:
            target = Path(tmp) / "briefs.pdf"
            try:
                result = write_folder_briefs(site.folder.output, target, site.kb(), site.renderer(), ids)
            except RenderError as exc:
                raise HTTPException(409, exc.web_message()) from None
            data = target.read_bytes()
        site.accounts.audit(session.user.name, "打印简报", "、".join(ids), f"{len(result.printed)}份")
        name = quote(f"走访简报{len(result.printed)}份.pdf")
        return Response(data, media_type="application/pdf",
                        headers={"content-disposition": f"attachment; filename*=UTF-8''{name}"})
