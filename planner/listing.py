"""企业清单.xlsx: the output folder as an officer browses it, refreshed by every generate run.

One row per enterprise folder (the latest whole version of each): who and where it is, what its
plan proposes, what is still open, which version is current and of what date, and links to the
files to open. Every value from a record is written as text only (never a formula); the links are
the enterprise's own files, relative to the folder, never a value from the record.
"""

from __future__ import annotations

import io
from pathlib import Path

from planner.dates import local_time
from planner.knowledge import KnowledgeBase
from planner.store import atomic_write
from planner.versions import BRIEF_PDF, PLAN_PDF, current_version, verified_plan

ENTERPRISE_LIST = "企业清单.xlsx"
HEADER = ("企业名称", "统一社会信用代码", "所在区县", "功能区", "包联干部", "所属产业", "生产状态",
          "措施数", "提出的措施", "待核实问题", "当前版本", "基准日", "生成时间", "帮扶方案", "走访简报")
WIDTHS = (30, 21, 10, 12, 22, 8, 8, 8, 60, 10, 8, 12, 18, 10, 10)
LINKS = (("帮扶方案", PLAN_PDF, "plan.md"), ("走访简报", BRIEF_PDF, "brief.md"))


def fact_label(kb: KnowledgeBase, enterprise: dict, field_id: str, unknown: str = "") -> str:
    """An enterprise's fact as a reader sees it (matching.show_value); ``unknown`` when not on record."""
    from planner.matching import show_value

    value = enterprise.get(field_id)
    return unknown if value is None else str(show_value(kb.fields.get(field_id), value, kb))


def listing_row(plan: dict, kb: KnowledgeBase) -> dict:
    """What the list shows of one plan (its plan.json), kept in its version.json."""
    e = plan.get("enterprise", {})
    shown = {f: fact_label(kb, e, f) for f in ("district", "zone", "cadre", "sector", "production_status")}
    return {"name": str(e.get("name", "")), **shown, "measures": [m.get("title", "") for m in plan.get("measures", [])],
            "questions": len(plan.get("questions", []))}


def enterprise_rows(out_dir: Path, kb: KnowledgeBase) -> list[dict]:
    """The rows of the list, by credit code: each enterprise folder's latest whole version, from its
    version.json (a version written before the list existed: from its plan.json)."""
    from planner.briefbook import enterprise_folders

    rows = []
    for sub in enterprise_folders(out_dir):
        version, _ = current_version(sub)
        if version is None:
            continue
        row = version.meta.get("listing")
        if not isinstance(row, dict):
            plan = verified_plan(sub)
            if plan is None:
                continue
            row = listing_row(plan, kb)
        links = {}
        for title, *names in LINKS:  # the PDF where the version has it, else the Markdown
            name = next((n for n in names if (version.path / n).is_file()), None)
            if name:
                links[title] = (version.path / name).relative_to(out_dir).as_posix()
        rows.append({
            "企业名称": row.get("name", ""), "统一社会信用代码": sub.name, "所在区县": row.get("district", ""),
            "功能区": row.get("zone", ""), "包联干部": row.get("cadre", ""), "所属产业": row.get("sector", ""),
            "生产状态": row.get("production_status", ""), "措施数": len(row.get("measures", [])),
            "提出的措施": "；".join(row.get("measures", [])), "待核实问题": int(row.get("questions", 0)),
            "当前版本": f"第{version.number}版", "基准日": str(version.meta.get("as_of", "")),
            "生成时间": local_time(version.meta.get("generated")),
            "links": links,
        })
    return rows


def refresh_enterprise_list(out_dir: Path, kb: KnowledgeBase, changed: bool, notes: list) -> Path | None:
    """Keep 企业清单.xlsx current after a run: rewritten when a version was written or it is missing
    (a run that changed nothing leaves the list it found); a folder that cannot be written gets a
    note, not an error — the plans are what the run is for."""
    target = Path(out_dir) / ENTERPRISE_LIST
    if not changed and target.is_file():
        return target
    try:
        return write_enterprise_list(out_dir, kb)
    except OSError as exc:
        notes.append(f"注意：企业清单无法写入（{exc.strerror or exc}），方案均已保存")
        return None


def write_enterprise_list(out_dir: Path, kb: KnowledgeBase) -> Path | None:
    """Write out_dir/企业清单.xlsx from the folder as it now is (atomically); None when the folder
    holds no enterprise yet."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    from planner.records.problems import put_header, put_text

    out_dir = Path(out_dir)
    rows = enterprise_rows(out_dir, kb)
    if not rows:
        return None
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "企业清单"
    top = Alignment(vertical="top", wrap_text=True)
    put_header(sheet, HEADER, WIDTHS, freeze="C2")
    for r, row in enumerate(rows, 2):
        for c, title in enumerate(HEADER, 1):
            cell = sheet.cell(row=r, column=c)
            if title in row["links"]:  # a link to the enterprise's own file, never a record value
                cell.value = "打开"
                cell.hyperlink = row["links"][title]
                cell.font = Font(color="0563C1", underline="single")
            elif isinstance(row.get(title), int):
                cell.value = row[title]
            else:
                put_text(cell, row.get(title, ""), top)
    sheet.auto_filter.ref = f"A1:{openpyxl.utils.get_column_letter(len(HEADER))}{len(rows) + 1}"
    book.properties.creator = kb.campaign.issuer
    book.properties.title = "企业清单"
    buffer = io.BytesIO()
    book.save(buffer)
    target = out_dir / ENTERPRISE_LIST
    atomic_write(target, buffer.getvalue())
    return target
