"""The problem list (问题清单.xlsx): every rejected record, warning and notice of a read, one
row each, for the officer to fix and send back.

Columns 行号, 企业名称, 统一社会信用代码, 字段, 原值, 问题, 处理结果 (已跳过 / 按未知处理 /
已按…解读 / 已忽略 / 已保留本行), sorted by row: problems of the list as a whole first, then
the main table row by row, then a second table (the 被拖欠账款 sheet or CSV), whose rows are
shown as ``被拖欠账款:5``. Made to print: landscape, fitted to the page width, header repeated on
every page, text wrapped. Every cell is a text cell, and one that starts with = + - @ tab or CR
carries Excel's quote prefix, so nothing in it can run as a formula, even after it is edited;
control characters are shown as ⟨U+XXXX⟩ (``textsafe.visible``).

A run with no problem removes an earlier run's list (``write_problem_list`` returns None), so
the file in a folder always describes the last run that wrote there.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from planner.records.model import ReadResult, RecordProblem
from planner.store import atomic_write
from planner.textsafe import visible

HEADER = ("行号", "企业名称", "统一社会信用代码", "字段", "原值", "问题", "处理结果")
FILE_NAME = "问题清单.xlsx"
SOURCE_HEADER = "来源文件"  # the column a list of several imported files' problems adds
_ROW = re.compile(r"^(?P<file>.*?):(?P<row>\d+)$")
_SHEET = re.compile(r"^(?P<file>.*?)\[(?P<sheet>[^\]]*)\]$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PREFIX = {"rejected": "错误", "warning": "警告", "notice": "提示"}


def _split(where: str) -> tuple[str, int]:
    m = _ROW.match(where)
    return (m.group("file"), int(m.group("row"))) if m else (where, 0)


def all_problems(read: ReadResult) -> list[RecordProblem]:
    """Rejections, warnings and notices of ``read``, sorted by source (in the order the sources
    first appear, the main table first) and row; problems of a whole file or sheet first."""
    problems = [*read.rejected, *read.warnings]
    order: dict[str, int] = {}
    for record in (*read.records, *read.rejected_records):
        order.setdefault(_split(record.where)[0], len(order))
    for p in problems:
        order.setdefault(_split(p.where)[0], len(order))

    def key(p: RecordProblem):
        source, row = _split(p.where)
        return (0 if row == 0 else 1, order[source] if row else 0, row)

    return sorted(problems, key=key)


def printed(p: RecordProblem) -> str:
    """One problem as printed to the terminal: 错误/警告/提示：where: who: field: message；outcome."""
    return f"{PREFIX.get(p.level, '警告')}：{visible(str(p))}"


def problem_rows(read: ReadResult) -> list[list[str]]:
    """The rows of the problem list under HEADER, as text."""
    problems = all_problems(read)
    main = next((_split(r.where)[0] for r in (*read.records, *read.rejected_records)), None)
    rows = []
    for p in problems:
        source, row = _split(p.where)
        if not row:
            number = ""
        elif source == main or main is None:
            number = str(row)
        else:
            m = _SHEET.match(source)
            number = f"{m.group('sheet') if m else Path(source).name}:{row}"
        rows.append([number, p.name, p.code, p.field, p.value, p.message,
                     p.outcome or ("已跳过" if p.level == "rejected" else "" if p.level == "notice" else "按未知处理")])
    return rows


def counts(read: ReadResult) -> str:
    """The read's part of a command's final line: rejected records and records with warnings,
    counted separately; empty when there is neither."""
    parts = []
    if read.rejected_count:
        parts.append(f"{read.rejected_count}条记录无法识别已跳过")
    if read.warned_count:
        parts.append(f"{read.warned_count}家企业有数据问题已按未知处理")
    return "，".join(parts)


def put_header(sheet, header, widths=(), freeze: str = "A2", alignment=None) -> None:
    """A sheet's first row: ``header`` in bold, as text; column widths in order; the row frozen
    (with the columns left of ``freeze``'s column)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for c, title in enumerate(header, 1):
        cell = sheet.cell(row=1, column=c)
        put_text(cell, title, alignment)
        cell.font = Font(bold=True)
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = freeze


def put_text(cell, value, alignment=None) -> None:
    """``value`` into a spreadsheet cell as text only: nothing from an officer's list may run as
    a formula, now or when the cell is edited later."""
    text = visible(str(value))
    if text:
        cell.value = text
        cell.data_type = "s"
    cell.number_format = "@"  # what is typed into it later stays text too
    if alignment is not None:
        cell.alignment = alignment
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True  # Excel keeps it text, even when the cell is edited


def write_problem_list(read: ReadResult, path: Path, source: str | None = None) -> Path | None:
    """Write 问题清单.xlsx (atomically, creating its folder) when ``read`` has any problem and
    return its path; with none, remove an earlier list at ``path`` and return None. ``source``:
    a last column 来源文件 saying on every row which file (and sheet) it came from. A folder
    that cannot be written raises PlannerError (in Chinese)."""
    path = Path(path)
    rows = problem_rows(read)
    header = list(HEADER)
    if source is not None:
        header.append(SOURCE_HEADER)
        rows = [[*row, source] for row in rows]
    if not rows:
        if path.is_symlink() or path.is_file():
            try:
                path.unlink()  # a link itself, never what it points to
            except OSError as exc:
                from planner.exceptions import PlannerError
                from planner.yamlio import display_path

                raise PlannerError(f"{display_path(path)}：上次运行的问题清单无法删除（{exc.strerror or exc}），"
                                   f"它描述的不是本次运行，请手动删除") from None
        return None
    import openpyxl
    from openpyxl.styles import Alignment, Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "问题清单"
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate([header, *rows], start=1):
        for c, value in enumerate(values, start=1):
            put_text(sheet.cell(row=r, column=c), value, wrap)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (10, 28, 22, 16, 20, 50, 18, 30)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{'ABCDEFGH'[len(header) - 1]}{len(rows) + 1}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    save_book(book, path, "问题清单")
    return path


def save_book(book, path: Path, what: str = "") -> None:
    """An openpyxl workbook written to ``path`` atomically (its folder made if need be); a
    PlannerError naming the file, and what it is, when it cannot be written."""
    buffer = io.BytesIO()
    book.save(buffer)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, buffer.getvalue())
    except OSError as exc:
        from planner.exceptions import PlannerError
        from planner.yamlio import display_path

        raise PlannerError(f"{display_path(path)}：无法写入{what}（{exc.strerror or exc}）") from None
