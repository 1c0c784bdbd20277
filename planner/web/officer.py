"""The officer's pages: upload an enterprise list and see its problem list, start a generation and
watch it, download the export tree as a zip, and see the summary with its charts.

Upload, generation and export are for admins and officers; the summary also for reviewers. A
district officer's upload makes plans for the district only (planner.web.uploads: other rows are
problems of the list), its export and summary hold the district's enterprises only.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
import zipfile
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from planner.dates import today
from planner.web import runs, uploads
from planner.web.site import Site

OFFICERS = ("admin", "officer")
SUMMARY_ROLES = ("admin", "officer", "reviewer")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMAT_CHOICES = {"md,pdf": ("md", "pdf"), "md,pdf,docx": ("md", "pdf", "docx"), "md": ("md",)}
CHART_PLACE = "图表位置-{nonce}"


def campaign_period(kb) -> str:
    """The campaign's dates as the generate form shows them: 2022年6月1日至2022年12月31日."""
    from planner.dates import cn_date

    c = kb.campaign
    return f"{cn_date(c.start)}至{cn_date(c.end) if c.end else '长期'}"


def attachment(name: str) -> dict:
    return {"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


def register(app: FastAPI, site: Site) -> None:
    need, page = site.need, site.page
    root = site.folder.root

    def district_id(session) -> str | None:
        """The id of the officer's district (None: the city, or not an officer)."""
        user = session.user
        if user.role != "officer" or not user.district:
            return None
        found = site.kb().vocabularies["districts"].resolve(user.district)
        return found or user.district

    def sees_upload(session, upload) -> bool:
        user = session.user
        return user.role == "admin" or not user.district or upload.scope == user.district

    def upload_of(session, token: str):
        upload = uploads.load(site.folder.uploads, token)
        if upload is None or not sees_upload(session, upload):
            raise HTTPException(404)
        return upload

    def sees_run(session, state) -> bool:
        user = session.user
        return user.role == "admin" or not user.district or state["meta"].get("scope") == user.district

    def upload_page(request, session, status=200, error=""):
        shown = [u for u in uploads.recent(site.folder.uploads) if sees_upload(session, u)]
        current = runs.current_run(root)
        state = runs.status(root, current) if current else None
        return page(request, "upload.html.j2", session, status, error=error, limits=uploads.limits_text(),
                    uploads=shown, run=state if state and sees_run(session, state) else None)

    @app.get("/upload")
    def upload_form(request: Request):
        session = need(request, *OFFICERS)
        return upload_page(request, session)

    @app.post("/upload")
    async def upload_list(request: Request):
        session = need(request, *OFFICERS)
        try:
            got = await uploads.receive(request, site.folder.uploads, session.csrf)
        except uploads.TokenRefused:
            site.check_csrf(session, "")  # raises 403
        except uploads.UploadRefused as exc:
            await run_in_threadpool(site.accounts.audit, session.user.name, "上传名单被拒", "", str(exc))
            return upload_page(request, session, 400, str(exc))
        try:
            site.check_csrf(session, got.fields.get("csrf", ""))
        except HTTPException:
            got.discard()
            raise
        if got.path is None:
            return upload_page(request, session, 400, "请先选择要上传的企业名单文件")
        return await run_in_threadpool(_triaged, session, got)

    def _triaged(session, got):
        upload = uploads.Upload(got.token, got.name, session.user.name, session.user.district, uploads.now(),
                                got.path)
        wanted = district_id(session)
        holders = {row["id"]: row["district"] for row in site.enterprise_rows()} if wanted else {}
        try:
            uploads.triage(upload, site.kb(), wanted, holders)
        except Exception as exc:  # noqa: BLE001 - a file no reader foresaw: said, never a server error
            from planner.exceptions import PlannerError

            upload.read_error = (exc.web_message() if isinstance(exc, PlannerError)
                                 else f"文件无法读取（{type(exc).__name__}）；请在 Excel 或 WPS 中重新保存后上传")
        uploads.save(upload)
        site.accounts.audit(session.user.name, "上传名单", upload.token,
                            f"{upload.name}：可生成{len(upload.kept)}家，问题{len(upload.problems)}条"
                            + (f"；{upload.read_error}" if upload.read_error else ""))
        return RedirectResponse(f"/uploads/{upload.token}", 303)

    @app.get("/uploads/{token}")
    def upload_result(request: Request, token: str):
        session = need(request, *OFFICERS)
        upload = upload_of(session, token)
        return page(request, "upload_result.html.j2", session, upload=upload, busy=runs.is_running(root),
                    current=runs.current_run(root), today=today().isoformat(), error="",
                    has_problems=upload.problems_file.is_file(), ask_outside=False,
                    campaign_period=campaign_period(site.kb()))

    @app.get("/uploads/{token}/问题清单.xlsx")
    def upload_problems(request: Request, token: str):
        session = need(request, *OFFICERS)
        upload = upload_of(session, token)
        if not upload.problems_file.is_file():
            raise HTTPException(404, "这份名单没有问题，没有问题清单")
        site.accounts.audit(session.user.name, "下载问题清单", token, upload.name)
        return FileResponse(upload.problems_file, media_type=XLSX,
                            filename=f"{Path(upload.name).stem}-问题清单.xlsx")

    @app.post("/uploads/{token}/generate")
    def upload_generate(request: Request, token: str, as_of: str = Form(""), formats: str = Form("md,pdf"),
                        outside: str = Form(""), csrf: str = Form("")):
        from planner.matching import campaign_notice
        from planner.records.values import not_a_date, parse_date

        session = need(request, *OFFICERS)
        site.check_csrf(session, csrf)
        upload = upload_of(session, token)

        def refused(status, message, ask_outside=False):
            return page(request, "upload_result.html.j2", session, status, upload=upload,
                        busy=runs.is_running(root), current=runs.current_run(root),
                        today=as_of or today().isoformat(), error=message,
                        has_problems=upload.problems_file.is_file(), ask_outside=ask_outside,
                        campaign_period=campaign_period(site.kb()))

        if upload.read_error or not upload.kept:
            return refused(400, "这份名单没有可生成方案的企业")
        date = parse_date(as_of.strip()) if as_of.strip() else today()
        if date is None:
            return refused(400, f"“{as_of}”{not_a_date(as_of)}")
        if formats not in FORMAT_CHOICES:
            return refused(400, "未知的文件格式选项")
        notice = campaign_notice(site.kb(), date)
        if notice and outside != "1":  # one click must not remake every plan as of a day outside the campaign
            return refused(400, notice.removeprefix("注意：") + "如确需按此日期生成，请勾选下面的确认框后再提交。",
                           ask_outside=True)
        try:
            run_id = runs.start(root, upload, date, FORMAT_CHOICES[formats], session.user.name)
        except runs.RunBusy as exc:
            return refused(409, str(exc))
        site.accounts.audit(session.user.name, "开始生成", run_id,
                            f"{upload.name}：{len(upload.kept)}家，基准日{date.isoformat()}，{formats}")
        return RedirectResponse(f"/runs/{run_id}", 303)

    def run_of(session, run_id: str):
        state = runs.status(root, run_id)
        if state is None or not sees_run(session, state):
            raise HTTPException(404)
        return state

    def run_context(state) -> dict:
        names = {row["id"]: row["name"] for row in site.enterprise_rows()} if state["result"] else {}
        return {"run": state, "names": names, "elapsed": runs.duration(state["elapsed"]), "left": runs.duration(state["left"]),
                "speed": runs.speed(state["rate"])}

    @app.get("/runs/{run_id}")
    def run_page(request: Request, run_id: str):
        session = need(request, *OFFICERS)
        return page(request, "run.html.j2", session, **run_context(run_of(session, run_id)))

    @app.get("/runs/{run_id}/progress")
    def run_progress(request: Request, run_id: str):
        session = need(request, *OFFICERS)
        return page(request, "run_progress.html.j2", session, **run_context(run_of(session, run_id)))

    # -- the export tree as a zip

    @app.get("/export.zip")
    def export_zip(request: Request, by: str = "district"):
        from planner.exceptions import PlannerError
        from planner.export import GROUPS, export

        session = need(request, *OFFICERS)
        if by not in GROUPS:
            raise HTTPException(400, "未知的分组方式")
        district = session.user.district if session.user.role == "officer" and session.user.district else None
        work = Path(tempfile.mkdtemp(prefix=".export-", dir=root))
        try:
            tree = work / "tree"
            try:
                result = export(site.folder.output, tree, site.kb(), by, district=district)
            except PlannerError as exc:
                raise HTTPException(409, exc.web_message()) from None
            if not result.exported:
                raise HTTPException(404, "没有可导出的企业" + ("（没有审核通过的版本）" if result.review else ""))
            target = work / "export.zip"
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(tree.rglob("*")):
                    if path.is_file() and not path.name.startswith("."):
                        archive.write(path, path.relative_to(tree).as_posix())
        except BaseException:
            _remove(work)
            raise
        site.accounts.audit(session.user.name, "导出压缩包", district or "全市", f"{len(result.exported)}家企业")
        name = f"帮扶方案导出-{district or '全市'}-{today().isoformat()}.zip"
        return FileResponse(target, media_type="application/zip", headers=attachment(name),
                            background=BackgroundTask(_remove, work))

    # -- the summary

    def summary_of(session) -> tuple[dict, str, dict]:
        """The summary context, its Markdown and the charts' places in it, for the user's scope."""
        from planner import __version__
        from planner.render import MarkdownText, Templates
        from planner.rosters import rosters
        from planner.summary import plans_in_folder, summarize

        wanted = district_id(session)
        output = site.folder.output
        items = plans_in_folder(output, rosters(output) if wanted is None else None)
        if wanted is not None:
            items = (i for i in items if isinstance(i, dict) and i.get("enterprise", {}).get("district") == wanted)
        lists = [uploads.shown_name(site.folder.uploads, r.name) for r in rosters(output)] if wanted is None else []
        context = summarize(items, site.kb(), None, {"mode": "folder", "folder": "output", "web": True,
                                                      "lists": list(dict.fromkeys(n for n in lists if n))})
        for r in context["rejected"]:  # a row of an upload is named by the file the user uploaded
            stored, sep, rest = r["where"].partition(":")
            if sep and uploads.STORED.match(stored):
                r["where"] = (uploads.shown_name(site.folder.uploads, stored) or "上传的名单") + sep + rest
        if wanted is None and site.has_ledger():
            context["requests"] = _requests_section(site, context)
        places = {name: CHART_PLACE.format(nonce=uuid.uuid4().hex) for name in ("chart", "requests_chart")}
        if "requests" not in context:
            places.pop("requests_chart")
        text = Templates.from_option(None).markdown("summary", {**context, "generator": f"planner {__version__}",
                                                               **{n: MarkdownText(p) for n, p in places.items()}})
        return context, text, places

    def summary_html(context, text, places) -> str:
        from planner.render import Templates, markdown_to_html
        from planner.summary import place_figures, summary_figures

        templates = Templates.from_option(None)
        return place_figures(markdown_to_html(text), places, summary_figures(templates, context))

    def no_summary(context):
        if not context["total"] and not context["rejected"]:
            raise HTTPException(404, "输出目录中还没有方案，无法汇总")

    @app.get("/summary")
    def summary_page(request: Request):
        session = need(request, *SUMMARY_ROLES)
        context, text, places = summary_of(session)
        empty = not context["total"] and not context["rejected"]
        body = "" if empty else summary_html(context, text, places)
        return page(request, "summary.html.j2", session, body=Markup(body), empty=empty,
                    district=session.user.district if district_id(session) else "",
                    with_requests="requests" in context)

    @app.get("/summary.md")
    def summary_markdown(request: Request):
        session = need(request, *SUMMARY_ROLES)
        context, text, places = summary_of(session)
        no_summary(context)
        for place in places.values():
            text = text.replace(place, "")
        site.accounts.audit(session.user.name, "下载汇总", "汇总.md", session.user.district or "全市")
        return Response(text, media_type="text/markdown; charset=utf-8", headers=attachment(_summary_name(session, "md")))

    @app.get("/summary.pdf")
    def summary_pdf(request: Request):
        from planner.exceptions import PlannerError
        from planner.generate import Renderer
        from planner.pdf import PdfJob, pdf_bytes
        from planner.render import Templates

        session = need(request, *SUMMARY_ROLES)
        context, text, places = summary_of(session)
        no_summary(context)
        templates = Templates.from_option(None)
        html = Renderer(site.kb(), templates).document(summary_html(context, text, places), "summary",
                                                       title=context["title"], keywords="汇总",
                                                       created=dt.date.fromisoformat(context["as_of"]))
        sheets = (templates.stylesheet("print.css"), templates.stylesheet("summary.css"))
        try:
            data = pdf_bytes(PdfJob(html, sheets, "summary.pdf"))
        except PlannerError as exc:
            raise HTTPException(409, exc.web_message()) from None
        site.accounts.audit(session.user.name, "下载汇总", "汇总.pdf", session.user.district or "全市")
        return Response(data, media_type="application/pdf", headers=attachment(_summary_name(session, "pdf")))


def _summary_name(session, suffix: str) -> str:
    scope = session.user.district if session.user.role == "officer" and session.user.district else "全市"
    return f"帮扶工作汇总-{scope}-{today().isoformat()}.{suffix}"


def _requests_section(site: Site, context: dict) -> dict:
    from planner.requests import Ledger, ledger_path, load_rules
    from planner.requests.rates import compute
    from planner.summary import requests_context

    kb = site.kb()
    target = kb.campaign.targets.get(kb.campaign.request_rate_target)
    path = ledger_path(site.folder.output)
    with Ledger.open(path, load_rules(None, kb)) as ledger:
        rates = compute(ledger, dt.date.fromisoformat(context["as_of"]), target)
    return requests_context(rates, path.name)


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
