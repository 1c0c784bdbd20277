"""An ImpactReport as terminal text, Markdown (templates/impact.md.j2), a workbook or a PDF."""

from __future__ import annotations

import io
from pathlib import Path

from planner import __version__
from planner.dates import cn_date
from planner.impact import ImpactReport, counts_text
from planner.knowledge import KnowledgeBase
from planner.pdf import PdfJob, render_pdf
from planner.render import Templates, markdown_to_html
from planner.store import atomic_write

TITLE = "措施库调整影响评估"


def as_text(report: ImpactReport) -> str:
    """The report for a terminal (the caller makes control characters visible)."""
    if report.profile_changes:
        lines = [f"措施库改动（共{len(report.profile_changes)}处）："]
        lines += [f"  {c.line()}" for c in report.profile_changes]
    else:
        lines = ["措施库改动：无（两份措施库的文件内容相同）"]
    lines.append("\n" + report.headline())
    for record, result in report.affected:
        lines.append(f"\n{record.name}（{record.id}）：{result.summary()}")
        lines += [f"  {m.line()}" for m in result.measures]
    if report.totals:
        lines.append("\n按措施汇总：")
        lines += [f"  {title}（{mid}）：{counts_text(count)}" for title, mid, count in report.measure_totals()]
    return "\n".join(lines)


def report_context(report: ImpactReport, sources: dict) -> dict:
    """The report as plain data (strings, numbers, lists), for the templates and the web page."""
    return {
        **sources,
        "title": TITLE,
        "as_of": report.as_of.isoformat(),
        "headline": report.headline(),
        "changes": [{"file": c.file, "key": c.key, "kind": c.kind, "kind_label": c.kind_label, "old": c.old,
                     "new": c.new, "line": c.line()} for c in report.profile_changes],
        "enterprises": [{"name": record.name, "id": record.id, "summary": result.summary(),
                         "lines": [m.line() for m in result.measures],
                         "measures": [{"kind": m.kind, "line": m.line()} for m in result.measures]}
                        for record, result in report.affected],
        "totals": [{"title": title, "id": mid, "added": count["added"], "removed": count["removed"],
                    "changed": count["changed"]} for title, mid, count in report.measure_totals()],
        "generator": f"planner {__version__}",
    }


def as_markdown(report: ImpactReport, templates: Templates, sources: dict) -> str:
    """Markdown to circulate (templates/impact.md.j2); ``sources`` names the two trees and the list
    (keys base, proposed, records). Every value is escaped by the template environment."""
    text = templates.render("impact.md.j2", **report_context(report, sources))
    return text.rstrip("\n") + "\n"


SHEETS = (
    ("措施库改动", ("文件", "键", "改动", "现行", "拟调整"), (18, 44, 8, 50, 50)),
    ("受影响企业", ("企业名称", "统一社会信用代码", "变化概要", "措施变化"), (30, 21, 40, 90)),
    ("按措施汇总", ("措施", "措施编号", "新增（家）", "移除（家）", "变更（家）"), (36, 36, 10, 10, 10)),
)


def xlsx_bytes(report: ImpactReport, kb: KnowledgeBase) -> bytes:
    """A workbook of three sheets (the tree's changes, the affected enterprises one row per measure
    change, the totals per measure), in the style of 企业清单.xlsx: a bold header row, set widths, a
    frozen header and filters. Every text is written as text, never a formula."""
    import openpyxl
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    from planner.records.problems import put_header, put_text

    rows = {
        "措施库改动": [(c.file, c.key or "（整个文件）", c.kind_label, c.old, c.new) for c in report.profile_changes],
        "受影响企业": [(record.name, record.id, result.summary(), m.line())
                   for record, result in report.affected for m in result.measures],
        "按措施汇总": [(title, mid, count["added"], count["removed"], count["changed"])
                   for title, mid, count in report.measure_totals()],
    }
    book = openpyxl.Workbook()
    book.remove(book.active)
    top = Alignment(vertical="top", wrap_text=True)
    for title, header, widths in SHEETS:
        sheet = book.create_sheet(title)
        put_header(sheet, header, widths)
        for r, row in enumerate(rows[title], 2):
            for c, value in enumerate(row, 1):
                cell = sheet.cell(row=r, column=c)
                if isinstance(value, int):
                    cell.value = value
                else:
                    put_text(cell, value, top)
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(len(rows[title]), 1) + 1}"
    book.properties.creator = kb.campaign.issuer
    book.properties.title = TITLE
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_pdf(report: ImpactReport, templates: Templates, kb: KnowledgeBase, sources: dict, target: Path) -> None:
    """The Markdown report printed on A4: Markdown → HTML → WeasyPrint, bundled CSS and fonts only."""
    body = markdown_to_html(as_markdown(report, templates, sources))
    meta = {"title": TITLE, "doc_title": TITLE, "running_title": TITLE, "author": kb.campaign.issuer,
            "issuer": kb.campaign.issuer, "subject": kb.campaign.title, "keywords": "措施库, 影响评估",
            "generator": f"planner {__version__}", "created": report.as_of.isoformat(),
            "as_of": cn_date(report.as_of), "kind": "impact", "provenance": None}
    fonts = templates.font_sheet()
    sheets = ((fonts,) if fonts else ()) + (templates.stylesheet("print.css"), templates.stylesheet("impact.css"))
    render_pdf(PdfJob(templates.html(body, meta), sheets, str(target)))


def write_report(report: ImpactReport, fmt: str, target: Path, templates: Templates, kb: KnowledgeBase,
                 sources: dict) -> None:
    """Write the report as ``fmt`` (terminal text, md, xlsx or pdf) to ``target``, atomically."""
    from planner.textsafe import visible

    if fmt == "pdf":
        write_pdf(report, templates, kb, sources, target)
    elif fmt == "xlsx":
        atomic_write(target, xlsx_bytes(report, kb))
    elif fmt == "md":
        atomic_write(target, as_markdown(report, templates, sources))
    else:
        atomic_write(target, visible(as_text(report)) + "\n")
