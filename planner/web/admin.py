"""The administrator's pages: the audit log and the accounts."""

from __future__ import annotations

from fastapi import FastAPI, Request

from planner.web.accounts import SERVER_ACTOR
from planner.web.site import Site

# the actions whose target is an upload's generated name (its token), with the kind of file uploaded
UPLOAD_KINDS = {"上传名单": "企业名单", "下载问题清单": "企业名单", "措施库调整影响评估": "措施库修改稿"}


def shown_entry(entry: dict, site: Site) -> dict:
    """An audit entry as the page shows it: an upload by its kind and the name it was uploaded
    as, never by its token (a generated file name the user never saw); the name is left out of
    the detail when the detail begins with it."""
    from planner.web import proposals, uploads

    kind = UPLOAD_KINDS.get(entry["action"])
    target, detail = str(entry["target"] or ""), str(entry["detail"] or "")
    if kind is None or not uploads.TOKEN.match(target):
        return entry
    if kind == "企业名单":
        upload = uploads.load(site.folder.uploads, target)
        name = upload.name if upload is not None else None
    else:
        meta = proposals.load(site.folder.root, target)
        name = str(meta.get("name") or "") if meta is not None else None
    head, said, rest = detail.partition("：")
    if name is None and said:  # the upload is gone: its name as the entry's detail gave it
        name = head
    if name and detail.startswith(f"{name}："):
        detail = detail[len(name) + 1:]
    elif name and detail == name:
        detail = ""
    return {**entry, "target": f"{kind}“{name}”" if name else f"{kind}（文件已删除）", "detail": detail}


def register(app: FastAPI, site: Site) -> None:
    @app.get("/audit")
    def audit_page(request: Request):
        session = site.need(request, "admin")
        entries = [shown_entry(entry, site) for entry in site.accounts.audit_log()]
        return site.page(request, "audit.html.j2", session, entries=entries,
                         users=site.accounts.all(), server_actor=SERVER_ACTOR)
