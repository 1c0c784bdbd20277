"""The problem list (问题清单): every rejected record and every warning of a read, one row each,
for the officer to fix and send back."""

from __future__ import annotations

import re
from pathlib import Path

from planner.records.model import ReadResult, RecordProblem
from planner.store import atomic_write

HEADER = ("行号", "企业名称", "统一社会信用代码", "字段", "原值", "问题", "处理结果")
FILE_NAME = "问题清单.xlsx"
_ROW = re.compile(r"^(?P<file>.*?):(?P<row>\d+)$")


def all_problems(read: ReadResult) -> list[RecordProblem]:
    """Rejections, warnings and notices of ``read``, sorted by file and row (file-level ones first)."""
    def key(p: RecordProblem):
        m = _ROW.match(p.where)
        return (m.group("file") if m else p.where, int(m.group("row")) if m else 0)

    return sorted([*read.rejected, *read.warnings], key=key)


def problem_rows(read: ReadResult) -> list[list[str]]:
    """The rows of the problem list under HEADER, as text."""
    rows = []
    for p in all_problems(read):
        m = _ROW.match(p.where)
        rows.append([m.group("row") if m else "", p.name, p.code, p.field, p.value, p.message,
                     p.outcome or ("已跳过" if p.level == "rejected" else "")])
    return rows


def write_problem_list(read: ReadResult, path: Path) -> Path | None:
    """Write 问题清单.xlsx (atomically) when ``read`` has any problem; return its path, or None."""
    rows = problem_rows(read)
    if not rows:
        return None
    import io

    import openpyxl
    from openpyxl.styles import Alignment, Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "问题清单"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.data_type = "s"  # text only: nothing in an officer's list may run as a formula
            cell.number_format = "@"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFG", (8, 28, 22, 16, 20, 48, 16)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    book.save(buffer)
    path = Path(path)
    atomic_write(path, buffer.getvalue())
    return path
