"""The reviewer's impact page: upload a proposed profile edit (a zip of an edited sectors/ and/or
templates/ folder) and see what it would change in the plans of the output folder's enterprises
(planner impact's report, planner.web.proposals). For reviewers and admins; everyone else 404."""

from __future__ import annotations


from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from planner.dates import today
from planner.web import proposals, uploads
from planner.web.site import Site

IMPACT_ROLES = ("admin", "reviewer")


def register(app: FastAPI, site: Site) -> None:
    need, page = site.need, site.page
    root = site.folder.root

    def form_page(request, session, status=200, error="", as_of=""):
        return page(request, "impact_upload.html.j2", session, status, error=error, as_of=as_of,
                    limits=proposals.limits_text(), recent=proposals.recent(root))

    @app.get("/impact")
    def impact_form(request: Request):
        session = need(request, *IMPACT_ROLES)
        return form_page(request, session)

    @app.post("/impact")
    async def impact_upload(request: Request):
        session = need(request, *IMPACT_ROLES)
        try:
            got = await uploads.receive(request, site.folder.uploads, session.csrf, kind=proposals.ZIP)
        except uploads.TokenRefused:
            site.check_csrf(session, "")  # raises 403
        except uploads.UploadRefused as exc:
            return form_page(request, session, 400, str(exc))
        try:
            site.check_csrf(session, got.fields.get("csrf", ""))
        except HTTPException:
            got.discard()
            raise
        as_of_text = got.fields.get("as_of", "").strip()
        if got.path is None:
            return form_page(request, session, 400, "请先选择要上传的 zip 压缩包", as_of_text)
        from planner.records.values import DATE_FORMS, parse_date

        as_of = parse_date(as_of_text) if as_of_text else None
        if as_of_text and as_of is None:
            got.discard()
            return form_page(request, session, 400, f"基准日“{as_of_text}”不是日期；可写{DATE_FORMS}", as_of_text)
        return await run_in_threadpool(_assess, request, session, got, as_of)

    def _assess(request, session, got, as_of):
        from planner.resources import bundled

        try:
            unpacked = proposals.read_zip(got.path)
        except uploads.UploadRefused as exc:
            got.discard()
            site.accounts.audit(session.user.name, "上传措施库修改稿被拒", "", f"{got.name}：{exc}")
            return form_page(request, session, 400, f"{got.name}：{exc}", as_of.isoformat() if as_of else "")
        current = bundled("sectors")
        target = proposals.lay_out(root, got.token, unpacked, current)
        meta = {"token": got.token, "name": got.name, "by": session.user.name, "at": uploads.now(),
                "zip": got.path.name, "files": {k: sorted(v) for k, v in unpacked.files.items()},
                "ignored": unpacked.ignored, "error": "", "report": None}
        try:
            meta["report"] = proposals.run(target, site.folder.output, site.kb(), current, as_of)
        except proposals.ProfileBroken as exc:
            meta["error"] = str(exc)
        proposals.save(target, meta)
        outcome = meta["error"].splitlines()[0] if meta["error"] else meta["report"]["headline"]
        site.accounts.audit(session.user.name, "措施库调整影响评估", got.token, f"{got.name}：{outcome}")
        return RedirectResponse(f"/impact/{got.token}", 303)

    @app.get("/impact/{token}")
    def impact_report(request: Request, token: str):
        session = need(request, *IMPACT_ROLES)
        meta = proposals.load(root, token)
        if meta is None:
            raise HTTPException(404)
        return page(request, "impact.html.j2", session, meta=meta, report=meta.get("report"),
                    today=today().isoformat())
