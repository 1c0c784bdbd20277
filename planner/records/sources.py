"""The sources of an officer's list: YAML, CSV, XLSX and XLS files read into raw rows
(header → cell), each with where it came from, before any value is converted.

What a file holds decides how it is read, not only its name: a CSV saved as ``名单.xlsx`` is
read as CSV, an old ``.xls`` workbook renamed ``.xlsx`` as XLS, an ``.xlsx`` saved as ``.xls``
as XLSX, each with a notice. In a workbook every visible sheet whose header has the
统一社会信用代码 and 企业名称 columns is a list sheet, and all of them are read, in workbook
order, as one list (a list split by district into sheets); without such a sheet, the visible
sheet whose header names the most known columns. The receivables sheet is found by its name or
its headers; hidden sheets and sheets that are not lists (填表说明) are skipped, and a notice
says which sheets were read. The header may be on any of the first HEADER_SEARCH_ROWS rows. A
merged range spanning rows gives its value to every cell of the range; a formula whose result
the file does not hold is unknown, with a warning. A sum row (合计 in any column, also one the
tool does not know such as 序号, and no credit code) is skipped with one notice.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator
from xml.etree import ElementTree

from planner.exceptions import RecordsError
from planner.records.model import Raw, RecordProblem
from planner.records.values import blank, norm_header, plain, says_no, says_total
from planner.yamlio import YamlSyntaxError, display_path, load_document

RECEIVABLES_SHEETS = ("被拖欠账款", "receivables", "账款")
HEADER_SEARCH_ROWS = 50
SAVE_AS = "请用 Excel 打开后选择 文件→另存为→Excel 工作簿(*.xlsx)，再用保存的文件"
FORMATS = "请使用 .xlsx、.xls、.csv 或 .yaml 文件"

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-document header of .xls (BIFF) files
_KIND_OF_SUFFIX = {".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}
_KIND_NAME = {"csv": "CSV文本", "xlsx": "Excel工作簿（.xlsx）", "xls": "旧版Excel工作簿（.xls）"}


@dataclass(frozen=True)
class Formula:
    """A formula cell whose result the file does not hold (saved by a program, never calculated)."""

    text: str
    cell: str


@dataclass(frozen=True)
class CellError:
    """A cell showing an Excel error value such as #DIV/0! or #REF!."""

    code: str
    cell: str


@dataclass(frozen=True)
class Merged:
    """A cell inside a merged range spanning rows: it takes the range's value."""

    value: Any
    ref: str
    first_row: int
    last_row: int
    first_column: int  # the top-left cell, which holds the value, is (first_row, first_column)


def read_raw(path: Path, kb, warnings: list) -> list[Raw]:
    """The raw rows of ``path``; problems of the file as a whole raise RecordsError."""
    path = Path(path)
    shown = display_path(path)
    if not path.exists():
        raise RecordsError(f"{shown}：找不到该文件")
    if not path.is_file():
        raise RecordsError(f"{shown}：不是文件（是文件夹？）")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _read_yaml(path, kb, warnings)
    named = _KIND_OF_SUFFIX.get(suffix)
    if named is None:
        raise RecordsError(f"{shown}：无法识别的文件格式“{suffix or '（无扩展名）'}”；{FORMATS}")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head:
        raise RecordsError(f"{shown}：文件是空的（0字节），没有企业名单")
    kind = "xlsx" if head.startswith(b"PK") else "xls" if head.startswith(_OLE) else "csv"
    if kind == "csv" and named != "csv" and _looks_like_html(head):
        raise RecordsError(f"{shown}：文件扩展名是{suffix}，但内容是网页（HTML）表格，不是 Excel 工作簿；{SAVE_AS}")
    if kind != named:
        warnings.append(RecordProblem(shown, "-", f"文件扩展名是{suffix}，但内容是{_KIND_NAME[kind]}；已按{_KIND_NAME[kind]}读取",
                                      outcome=f"已按{_KIND_NAME[kind]}读取", level="notice"))
    if kind == "csv":
        return _read_csv(path, kb, warnings, renamed=named != "csv")
    if kind == "xls":
        return _read_book(shown, _xls_sheets(path, shown), kb, warnings)
    return _read_xlsx(path, kb, warnings)


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    return start.startswith(b"<") and any(tag in head.lower() for tag in (b"<html", b"<table", b"<!doctype"))


# --- YAML ---------------------------------------------------------------------------------

def _read_yaml(path: Path, kb, warnings) -> list[Raw]:
    try:
        doc, dup = load_document(path, fast=True)
    except YamlSyntaxError as exc:
        p = exc.problem
        raise RecordsError(f"{p.file}:{p.line}: {p.message}") from None
    data = doc.data
    if isinstance(data, dict) and "enterprises" in data:
        items, base = data["enterprises"], ("enterprises",)
    else:
        items, base = data, ()
    if not isinstance(items, list):
        raise RecordsError(f"{doc.file}:1: 应为企业列表（或含有 enterprises: 企业列表的映射）")
    for p in dup:
        warnings.append(RecordProblem(f"{p.file}:{p.line}", str(p.path[-1]), "重复的键，仅保留第一个"))
    raws = []
    for i, item in enumerate(items):
        where = f"{doc.file}:{doc.line(base + (i,))}"
        if not isinstance(item, dict):
            raws.append(Raw({}, where, mapping=False))
            continue
        values = dict(item)
        receivables = values.pop("receivables", None)
        for key in list(values):
            if key in kb.fields and kb.fields[key].type == "records":
                receivables = values.pop(key)
        if receivables is not None and not isinstance(receivables, list):
            receivables = [receivables]
        raws.append(Raw(values, where, receivables))
    return raws


# --- CSV ----------------------------------------------------------------------------------

def _decode(data: bytes, shown: str) -> str:
    """UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text"), else GB18030
    (what Chinese Excel saves as 'CSV')."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise RecordsError(f"{shown}：无法识别文件编码（不是 UTF-8 或 GB18030 文本）；"
                           "请在 Excel 中另存为“CSV UTF-8(逗号分隔)(*.csv)”或 Excel 工作簿(*.xlsx)") from None


# The inverse of write.py's guard against formula injection: a cell it wrote as '=x reads as =x.
_ESCAPED = re.compile(r"^'(?=[=+\-@\t\r＝＋－＠])")


@dataclass(frozen=True)
class _Unreadable:
    """A CSV row the csv module could not parse."""

    reason: str


def _csv_rows(text: str) -> list[tuple[int, Any]]:
    """Numbered rows of a CSV text: any line endings (CRLF, LF, CR, mixed), any cell length,
    comma- or tab-separated. A row that still cannot be parsed is an _Unreadable, not an abort."""
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, len(text) + 1))  # a cell cannot be longer than the file
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows: list[tuple[int, Any]] = []
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                rows.append((len(rows) + 1, _Unreadable(str(exc))))
                continue
            rows.append((len(rows) + 1, [_ESCAPED.sub("", c) for c in row]))
        return rows
    finally:
        csv.field_size_limit(previous)


def _read_csv(path: Path, kb, warnings, renamed: bool = False) -> list[Raw]:
    shown = display_path(path)
    if renamed:
        try:
            rows = _csv_rows(_decode(path.read_bytes(), shown))
        except RecordsError:
            rows = []
        table = _find_header(rows, kb.fields)
        if table is None:
            raise RecordsError(f"{shown}：不是有效的 Excel 文件（既不是 .xlsx/.xls 工作簿，也不是可读的 CSV 文本）；{SAVE_AS}")
    else:
        rows = _csv_rows(_decode(path.read_bytes(), shown))
        table = _find_header(rows, kb.fields)
        if table is None:
            if not any(_has_content(r) for _, r in rows):
                raise RecordsError(f"{shown}：文件是空的，没有企业名单")
            raise RecordsError(_no_header(shown, kb.fields))
    number, header, _ = table
    raws = _rows_to_raws(header, number, rows, shown, kb, warnings)
    for candidate in (path.with_name(f"{path.stem}.receivables.csv"), path.with_name(f"{path.stem}_被拖欠账款.csv")):
        if candidate.is_file():
            rshown = display_path(candidate)
            rrows = _csv_rows(_decode(candidate.read_bytes(), rshown))
            rtable = _find_header(rrows, _receivable_specs(kb))
            if rtable is None:
                if any(_has_content(r) for _, r in rrows):
                    warnings.append(RecordProblem(rshown, "-", f"前{HEADER_SEARCH_ROWS}行中没有找到表头，该表已忽略",
                                                  outcome="已忽略"))
                continue
            _attach_receivables(raws, rtable[1], rtable[0], rrows, rshown, kb, warnings)
    return raws


# --- Tables (any format) ------------------------------------------------------------------

def _plain(cell):
    """A cell's own value: a merged cell's value, None for a formula without result or an error."""
    if isinstance(cell, Merged):
        cell = cell.value
    return None if isinstance(cell, (Formula, CellError, _Unreadable)) else cell


def _text(cell) -> str:
    value = _plain(cell)
    return "" if value is None else str(value).strip()


def _has_content(row) -> bool:
    return isinstance(row, _Unreadable) or any(not blank(_plain(c)) for c in row)


def _lookup(specs: dict) -> dict[str, str]:
    """Every accepted spelling of a column header (normalised) → its field id."""
    lookup: dict[str, str] = {}
    for spec in specs.values():
        for spelling in (spec.id, spec.label, *spec.aliases):
            lookup.setdefault(norm_header(spelling), spec.id)
    return lookup


def _find_header(rows: Iterable[tuple[int, Any]], specs: dict):
    """(row number, header cells, known field ids) of the first of the first HEADER_SEARCH_ROWS
    rows that names at least two known columns, or None. A title row above it (common in
    official lists) is skipped."""
    lookup = _lookup(specs)
    for number, row in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        if isinstance(row, _Unreadable):
            continue
        cells = [_text(c) for c in row]
        known = {lookup[norm_header(c)] for c in cells if c and norm_header(c) in lookup}
        if len(known) >= 2:
            return number, cells, known
    return None


def _no_header(shown: str, specs: dict) -> str:
    expected = "“" + "”“".join(spec.label for spec in list(specs.values())[:3]) + "”"
    return f"{shown}：前{HEADER_SEARCH_ROWS}行中没有找到表头（应有{expected}等列）"


def _receivable_specs(kb) -> dict:
    records_field = next(f for f in kb.fields.values() if f.type == "records")
    return {**records_field.items, "id": kb.fields["id"]}


def _header_map(header: list[str], number: int, specs: dict, shown: str, warnings) -> dict[int, str]:
    """Column index → field id; the columns the tool does not know are named in one notice."""
    lookup = _lookup(specs)
    columns: dict[int, str] = {}
    unknown = []
    if number > 1:
        warnings.append(RecordProblem(f"{shown}:{number}", "-", f"以第{number}行为表头，其上{number - 1}行（标题等）已跳过",
                                      level="notice"))
    for i, name in enumerate(header):
        if not name:
            continue
        field_id = lookup.get(norm_header(name))
        if field_id is None or specs[field_id].derived:
            unknown.append(name)
        elif field_id in columns.values():
            warnings.append(RecordProblem(f"{shown}:{number}", name, f"与前面的列“{specs[field_id].label}”重复，已忽略",
                                          outcome="已忽略"))
        else:
            columns[i] = field_id
    if unknown:
        warnings.append(RecordProblem(f"{shown}:{number}", "、".join(unknown), "未识别的列，已忽略",
                                      outcome="已忽略", level="notice"))
    return columns


def _row_values(row, number: int, header: list[str], header_number: int, columns: dict[int, str], shown: str,
                pending: list) -> dict | None:
    """Field id → cell of one body row, or None for a row with nothing of its own in a known
    column. Formulas without a result and error cells become unknown, each with a problem, put
    in ``pending`` until the row's enterprise is known."""
    values: dict[str, Any] = {}
    own = False
    where = f"{shown}:{number}"
    for i, cell in enumerate(row):
        field_id = columns.get(i)
        if field_id is None:
            continue
        if cell.__class__ is str and "\x00" not in cell:  # the common case, first: a plain text cell
            if cell.strip():
                values[field_id] = cell
                own = True
            continue
        label = header[i]
        if isinstance(cell, Merged):
            if cell.first_row <= header_number:
                continue  # a header merged down over the rows below it is no value
            if (number, i + 1) == (cell.first_row, cell.first_column):
                own = True  # the cell that holds the value
                if not isinstance(cell.value, (Formula, CellError)):
                    pending.append(RecordProblem(where, label, f"合并单元格{cell.ref}（第{cell.first_row}-{cell.last_row}行）",
                                                 value=str(cell.value), outcome="已按合并值读取",
                                                 level="notice"))
            cell = cell.value
        else:
            own = own or not blank(cell)
        if isinstance(cell, Formula):
            own = True
            pending.append(RecordProblem(where, label, f"单元格{cell.cell}是公式，文件中没有它的计算结果"
                                         "（文件由程序生成、未在 Excel 中打开保存过），按未知处理",
                                         value=cell.text, outcome="按未知处理"))
            continue
        if isinstance(cell, CellError):
            own = True
            pending.append(RecordProblem(where, label, f"单元格{cell.cell}显示错误值{cell.code}，按未知处理",
                                         value=cell.code, outcome="按未知处理"))
            continue
        if isinstance(cell, str) and "\x00" in cell:
            cleaned = cell.replace("\x00", "")
            pending.append(RecordProblem(where, label, "单元格中有空字符（NUL）", value=cell.replace("\x00", "\\0"),
                                         outcome="已删除空字符"))
            cell = cleaned
        if not blank(cell):
            values[field_id] = cell
    return values if own else None


def _flush(pending: list, values: dict, warnings: list) -> None:
    """Problems of one row, now named by the row's enterprise."""
    name = str(values.get("name") or "").strip()
    code = str(values.get("id") or "").strip()
    for p in pending:
        warnings.append(RecordProblem(p.where, p.field, p.message, name or p.name, code or p.code, p.value,
                                      p.outcome, p.level))
    pending.clear()


def _is_total_row(row, columns: dict[int, str], kb, warnings, where: str) -> bool:
    """Whether ``row`` is a sum row (合计 in the 序号 column, =SUM cells, no credit code): one of
    its cells, in any column, known or not, names a sum row (``says_total``), and its credit-code
    and name cells are empty or that word. It is skipped with one notice; its cells (formulas
    among them) are not read."""
    for i, field_id in columns.items():  # first, as it settles almost every row: an enterprise has a code or name
        if field_id in ("id", "name") and i < len(row):
            text = _text(row[i])
            if text and not says_total(text, kb):
                return False
    word = next((_text(c) for c in row if says_total(_text(c), kb)), None)
    if word is None:
        return False
    number = where.rsplit(":", 1)[-1]
    warnings.append(RecordProblem(where, "-", f"第{number}行是合计行，不是企业，已跳过", value=word,
                                  outcome="已跳过", level="notice"))
    return True


def _rows_to_raws(header, header_number, rows, shown, kb, warnings) -> list[Raw]:
    columns = _header_map(header, header_number, kb.fields, shown, warnings)
    raws = []
    pending: list = []
    for number, row in rows:
        if number <= header_number:
            continue
        if isinstance(row, _Unreadable):
            warnings.append(RecordProblem(f"{shown}:{number}", "-", f"该行无法按 CSV 格式读取（{row.reason}），已跳过",
                                          outcome="已跳过", level="rejected"))
            continue
        if _is_total_row(row, columns, kb, warnings, f"{shown}:{number}"):
            continue
        values = _row_values(row, number, header, header_number, columns, shown, pending)
        if values is None:
            _flush(pending, {}, warnings)
            continue
        _flush(pending, values, warnings)
        receivables, expects = None, False
        for field_id in [k for k in values if kb.fields[k].type == "records"]:
            # The main table says only whether there are any ("无" = known none); items come from
            # the receivables table.
            if says_no(values.pop(field_id), kb):
                receivables = []
            else:
                expects = True
        raws.append(Raw(values, f"{shown}:{number}", receivables, expects))
    if not raws:
        raise RecordsError(f"{shown}：名单只有表头（第{header_number}行），没有企业")
    return raws


def _attach_receivables(raws, header, header_number, rows, shown, kb, warnings) -> None:
    specs = _receivable_specs(kb)
    found: list = []
    columns = _header_map(header, header_number, specs, shown, found)
    id_label = kb.fields["id"].label
    if "id" in columns.values():
        warnings.extend(found)
    else:  # the table is ignored: its columns need no notice
        warnings.append(RecordProblem(f"{shown}:{header_number}", id_label,
                                      f"被拖欠账款表缺少“{id_label}”列，无法对应到企业，该表已忽略", outcome="已忽略"))
        return
    by_id = {}
    for raw in raws:
        code = raw.values.get("id")
        if code is not None:
            by_id.setdefault(plain(code).upper(), raw)  # as normalise will read it (full-width, spaces)
    pending: list = []
    for number, row in rows:
        if number <= header_number or isinstance(row, _Unreadable):
            if isinstance(row, _Unreadable) and number > header_number:
                warnings.append(RecordProblem(f"{shown}:{number}", "-", f"该行无法按 CSV 格式读取（{row.reason}），已跳过",
                                              outcome="已跳过"))
            continue
        if _is_total_row(row, columns, kb, warnings, f"{shown}:{number}"):
            continue
        values = _row_values(row, number, header, header_number, columns, shown, pending)
        if values is None:
            _flush(pending, {}, warnings)
            continue
        code = plain(values.pop("id", "")).upper()
        owner = by_id.get(code)
        _flush(pending, {"id": code, "name": owner.values.get("name", "") if owner else ""}, warnings)
        if owner is None:
            warnings.append(RecordProblem(f"{shown}:{number}", id_label, f"企业名单中没有统一社会信用代码“{code}”，该笔账款已忽略",
                                          code=code, value=code, outcome="已忽略"))
            continue
        values["_where"] = f"{shown}:{number}"
        owner.receivables = (owner.receivables or []) + [values]


# --- Workbooks ----------------------------------------------------------------------------

class _Sheet:
    """One worksheet of a workbook: its title, whether it is hidden, and its numbered rows."""

    title: str
    hidden: bool

    def rows(self, full: bool = True) -> Iterator[tuple[int, list]]:
        """Rows numbered from 1; ``full`` fills merged ranges and marks formulas without a result
        (the survey of the first rows needs neither)."""
        raise NotImplementedError


def _fill_merged(rows: Iterable[tuple[int, list]], ranges: list[tuple[int, int, int, int, str]]):
    """Every cell of a merged range spanning rows takes the range's (top-left) value. A range
    within one row is layout (a wide cell) and left alone. Only the ranges being passed are
    held, so memory does not grow with the list."""
    starting = defaultdict(list)
    for r1, c1, r2, c2, ref in ranges:
        if r2 > r1:
            starting[r1].append((r1, c1, r2, c2, ref))
    active: list = []
    for number, row in rows:
        for r1, c1, r2, c2, ref in starting.pop(number, ()):
            value = row[c1 - 1] if len(row) >= c1 else None
            if isinstance(value, Merged) or blank(value):
                continue
            active.append((Merged(value, ref, r1, r2, c1), c1, c2))
        if active:
            row = list(row)
            for merged, c1, c2 in active:
                if len(row) < c2:
                    row.extend([None] * (c2 - len(row)))
                for c in range(c1, c2 + 1):
                    row[c - 1] = merged
            active = [a for a in active if a[0].last_row > number]
        yield number, row


def _read_book(shown: str, sheets: list[_Sheet], kb, warnings) -> list[Raw]:
    """The raws of a workbook: its list sheets, and the receivables of its receivables sheet."""
    recv_specs = _receivable_specs(kb)
    items = set(recv_specs) - {"id"}
    survey = []
    for index, sheet in enumerate(sheets):
        first = []
        for number, row in sheet.rows(full=False):
            first.append((number, row))
            if number >= HEADER_SEARCH_ROWS:
                break
        main = _find_header(first, kb.fields)
        recv = _find_header(first, recv_specs)
        main_count = len(main[2] - {"id"}) if main else 0
        recv_count = len(recv[2] & items) if recv else 0
        if sheet.title.strip().casefold() in RECEIVABLES_SHEETS or (recv_count >= 2 and recv_count > main_count):
            kind = "receivables"
        elif main:
            kind = "list"
        else:
            kind = "empty" if not any(_has_content(r) for _, r in first) else "other"
        survey.append((sheet, kind, frozenset(main[2]) if main else frozenset(), index))
    lists = [s for s in survey if s[1] == "list" and not s[0].hidden]
    hidden_lists = [s[0].title for s in survey if s[1] == "list" and s[0].hidden]
    if not lists:
        if hidden_lists:
            raise RecordsError(f"{shown}：工作簿中没有可见的企业名单工作表；隐藏的工作表“{'”“'.join(hidden_lists)}”"
                               "像企业名单，如要使用，请在 Excel 中取消隐藏后保存")
        others = [s[0].title for s in survey if s[1] == "other" and not s[0].hidden]
        if not others:
            raise RecordsError(f"{shown}：工作簿中没有企业名单（工作表都是空的）")
        raise RecordsError(f"{shown}：工作簿中没有企业名单：工作表“{'”“'.join(others)}”"
                           f"{_no_header('', kb.fields).removeprefix('：')}")
    # Every visible sheet whose header has the credit-code and name columns is a list: a list
    # split by district into sheets is one list, read in workbook order. Without such a sheet,
    # the one naming the most known columns is read (its rows then say what is missing).
    identified = [s for s in lists if {"id", "name"} <= s[2]]
    mains = identified or [max(lists, key=lambda s: (len(s[2]), -s[3]))]
    main_sheets = [s[0] for s in mains]
    receivables = next((s[0] for s in survey if s[1] == "receivables" and not s[0].hidden
                        and s[0].title.strip().casefold() in RECEIVABLES_SHEETS), None) \
        or next((s[0] for s in survey if s[1] == "receivables" and not s[0].hidden), None)
    skipped = [s for s in survey if s[0] not in main_sheets and s[0] is not receivables and s[1] != "empty"]
    if skipped or mains[0][3] != 0 or len(mains) > 1:
        text = f"已读取工作表“{'”“'.join(sheet.title for sheet in main_sheets)}”"
        if len(mains) > 1:
            text += f"（{len(mains)}个名单工作表，按顺序合为一个名单）"
        text += f"和“{receivables.title}”" if receivables else ""
        reasons = []
        for sheet, kind, _, _ in skipped:
            if sheet.hidden:
                looks = {"list": "，看起来是企业名单", "receivables": "，看起来是被拖欠账款表"}.get(kind, "")
                reasons.append(f"“{sheet.title}”（隐藏的工作表{looks}；只读取可见的工作表，如需读取请在 Excel 中取消隐藏）")
            elif kind == "other":
                reasons.append(f"“{sheet.title}”（不是企业名单）")
        if reasons:
            text += "；未读取" + "、".join(reasons)
        where = f"{shown}[{main_sheets[0].title}]" if len(mains) == 1 else shown
        warnings.append(RecordProblem(where, "-", text, level="notice"))
    for sheet, kind, known, _ in skipped:
        if sheet.hidden:
            continue
        where = f"{shown}[{sheet.title}]"
        if kind == "list":
            missing = "”和“".join(kb.fields[f].label for f in ("id", "name") if f not in known)
            warnings.append(RecordProblem(where, "-", f"工作表“{sheet.title}”像企业名单，但表头没有“{missing}”列，"
                                          "无法识别其中的企业，未读取；如需处理，请补上该列", outcome="已忽略"))
        elif kind == "receivables":
            warnings.append(RecordProblem(where, "-", f"工作表“{sheet.title}”像被拖欠账款表，未读取：只读取一个被拖欠账款表"
                                          f"（“{receivables.title}”）", outcome="已忽略"))
    raws: list[Raw] = []
    empty = None
    for sheet in main_sheets:
        mshown = f"{shown}[{sheet.title}]"
        table = _find_header(sheet.rows(full=False), kb.fields)
        try:
            raws.extend(_rows_to_raws(table[1], table[0], sheet.rows(), mshown, kb, warnings))
        except RecordsError as exc:  # a sheet with its header only
            if len(main_sheets) == 1:
                raise
            empty = empty or exc
            warnings.append(RecordProblem(mshown, "-", f"工作表“{sheet.title}”只有表头（第{table[0]}行），没有企业",
                                          level="notice"))
    if not raws:
        raise empty
    if receivables is not None:
        rshown = f"{shown}[{receivables.title}]"
        rtable = _find_header(receivables.rows(full=False), recv_specs)
        if rtable is not None:
            _attach_receivables(raws, rtable[1], rtable[0], receivables.rows(), rshown, kb, warnings)
        elif any(_has_content(r) for _, r in receivables.rows(full=False)):
            warnings.append(RecordProblem(rshown, "-", f"前{HEADER_SEARCH_ROWS}行中没有找到表头，该表已忽略", outcome="已忽略"))
    return raws


# --- XLSX ---------------------------------------------------------------------------------

_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_MERGE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?ref=\"([A-Za-z]+[0-9]+:[A-Za-z]+[0-9]+)\"")


def _scan_sheet_xml(archive: zipfile.ZipFile, member: str) -> tuple[bool, list[str]]:
    """Whether a sheet's XML has formulas, and its merged ranges: read in chunks, since read-only
    openpyxl exposes neither and a full load holds the whole sheet in memory."""
    has_formula = False
    merges: list[str] = []
    tail = b""
    with archive.open(member) as source:
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                break
            buffer = tail + chunk
            if not has_formula and _FORMULA_TAG.search(buffer):
                has_formula = True
            merges.extend(m.group(1).decode("ascii") for m in _MERGE_TAG.finditer(buffer) if m.end() > len(tail))
            tail = buffer[-512:]
    return has_formula, merges


def _ranges(refs: list[str]) -> list[tuple[int, int, int, int, str]]:
    from openpyxl.utils.cell import range_boundaries

    out = []
    for ref in refs:
        c1, r1, c2, r2 = range_boundaries(ref)
        out.append((r1, c1, r2, c2, ref.upper()))
    return out


class _XlsxSheet(_Sheet):
    def __init__(self, path: Path, book, ws, index: int):
        self._path, self._book, self._ws, self._index = path, book, ws, index
        self.title = ws.title
        self.hidden = ws.sheet_state != "visible"
        self._scan = None

    def _scanned(self) -> tuple[bool, list[str]]:
        if self._scan is None:
            member = getattr(self._ws, "_worksheet_path", None)
            try:
                with zipfile.ZipFile(self._path) as archive:
                    self._scan = _scan_sheet_xml(archive, member.lstrip("/"))
            except (KeyError, AttributeError, OSError, zipfile.BadZipFile):
                self._scan = (True, [])  # cannot tell: look for formulas the slow way, no merges
        return self._scan

    def rows(self, full: bool = True):
        rows = self._values(full)
        if full:
            merges = self._scanned()[1]
            if merges:
                rows = _fill_merged(rows, _ranges(merges))
        return rows

    def _values(self, full: bool):
        import openpyxl

        self._ws.reset_dimensions()  # a wrong <dimension> must not cut rows or columns off
        data = self._ws.iter_rows()
        formulas = None
        if full and self._scanned()[0]:
            # Read-only openpyxl gives a formula cell's result or its text, not both: a second
            # streamed pass over the formulas says which empty results are formulas never computed.
            handle = open(self._path, "rb")  # a file object: openpyxl refuses a name not ending .xlsx
            try:
                book = openpyxl.load_workbook(handle, read_only=True, data_only=False)
            except BaseException:
                handle.close()
                raise
            try:
                ws = book.worksheets[self._index]
                ws.reset_dimensions()
                formulas = ws.iter_rows()
                for number, (cells, fcells) in enumerate(zip(data, formulas), start=1):
                    yield number, [_xlsx_value(c, f) for c, f in zip(cells, (*fcells, *([None] * len(cells))))]
            finally:
                book.close()
                handle.close()
            return
        for number, cells in enumerate(data, start=1):
            yield number, [_xlsx_value(c, None) for c in cells]


def _xlsx_value(cell, formula_cell):
    value = cell.value
    data_type = getattr(cell, "data_type", "n")
    if value is None:
        if formula_cell is not None and data_type == "n" and getattr(formula_cell, "data_type", None) == "f":
            return Formula(str(formula_cell.value), formula_cell.coordinate)
        return None
    if data_type == "e":
        return CellError(str(value), cell.coordinate)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in str(cell.number_format or ""):
        # A number formatted as a percentage in Excel (0.062 shown as 6.2%) is the percentage
        # the officer sees.
        value = round(value * 100, 10)
    return value


def _read_xlsx(path: Path, kb, warnings) -> list[Raw]:
    import openpyxl  # imported here: only XLSX lists need it

    shown = display_path(path)
    # Opened as a file object, so that the name does not matter: openpyxl refuses a workbook
    # whose name does not end in .xlsx/.xlsm (an .xlsx saved as 名单.xls), whatever it holds.
    handle = open(path, "rb")
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        handle.close()
        raise RecordsError(f"{shown}：不是有效的 Excel 工作簿，无法读取（文件可能已损坏，或不是 Excel 保存的 .xlsx 文件）；"
                           f"{SAVE_AS}") from None
    try:
        sheets = [_XlsxSheet(path, book, ws, i) for i, ws in enumerate(book.worksheets)]
        return _read_book(shown, sheets, kb, warnings)
    except (zipfile.BadZipFile, KeyError, EOFError, zlib.error, ElementTree.ParseError):
        # a sheet damaged inside a readable workbook shows only when its rows are streamed
        raise RecordsError(f"{shown}：工作簿已损坏，工作表内容不完整，无法读取；{SAVE_AS}（Excel 会先尝试修复）") from None
    finally:
        book.close()
        handle.close()


# --- XLS (Excel 97-2003) ------------------------------------------------------------------

class _XlsSheet(_Sheet):
    def __init__(self, book, sheet):
        self._book, self._sheet = book, sheet
        self.title = sheet.name
        self.hidden = sheet.visibility != 0

    def rows(self, full: bool = True):
        rows = self._values()
        if full and self._sheet.merged_cells:
            rows = _fill_merged(rows, [(rlo + 1, clo + 1, rhi, chi, _xls_ref(rlo, clo, rhi, chi))
                                       for rlo, rhi, clo, chi in self._sheet.merged_cells])
        return rows

    def _values(self):
        for r in range(self._sheet.nrows):
            yield r + 1, [_xls_value(self._book, cell, r, c) for c, cell in enumerate(self._sheet.row(r))]


def _xls_ref(rlo, clo, rhi, chi) -> str:
    import xlrd

    return f"{xlrd.formula.cellname(rlo, clo)}:{xlrd.formula.cellname(rhi - 1, chi - 1)}"


def _xls_value(book, cell, r: int, c: int):
    import xlrd

    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_TEXT:
        return cell.value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if kind == xlrd.XL_CELL_ERROR:
        return CellError(xlrd.error_text_from_code.get(cell.value, "#错误"), xlrd.formula.cellname(r, c))
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, book.datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return CellError("#日期无效", xlrd.formula.cellname(r, c))
    value = cell.value
    fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key) if book.xf_list else None
    if fmt is not None and "%" in fmt.format_str:
        value = round(value * 100, 10)
    return int(value) if float(value).is_integer() else value


def _xls_sheets(path: Path, shown: str) -> list[_Sheet]:
    import xlrd  # the maintained reader of .xls (BIFF) workbooks

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=False)
    except Exception:  # xlrd raises many kinds for a damaged or encrypted file
        raise RecordsError(f"{shown}：无法读取该工作簿（旧版 Excel 格式，文件可能已损坏；若设置了打开密码，请先取消密码）；"
                           f"{SAVE_AS}") from None
    return [_XlsSheet(book, sheet) for sheet in book.sheets()]
