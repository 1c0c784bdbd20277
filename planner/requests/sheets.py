"""The sheets requests travel on: the cadre's registration workbook (走访诉求登记表.xlsx), the
department's list (部门办理清单) and reading either back into the ledger.

- ``write_template``: one row per enterprise of an output folder (a cadre's or a district's),
  credit code, name and cadre filled in, dropdowns (data validation) for 诉求类别 and 紧急程度
  from sectors/requests.yaml, and a 填表说明 sheet.
- ``write_department_sheet``: a department's open requests (and those closed lately), with the
  columns it answers in (办理状态 办理中/办结/退回, 办理情况, 办理人, 办理日期).
- ``import_sheet``: either sheet back (told apart by a hidden marker sheet, or by its columns in
  a CSV). Registration rows are checked field by field (credit code and its checksum, the
  enterprise in the folder, category and urgency by name or alias, the visit date, the 走访编号
  against both) and registered; answers become transitions. The whole file is one ledger
  transaction, each row its own savepoint: a refused row costs only itself, a killed import
  leaves nothing half-written, and importing the same sheet again adds nothing (the natural key
  of a request; an answer already in the request's events).

Every cell written is text (``put_text``): nothing from a sheet can become a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from planner import uscc
from planner.dates import today
from planner.exceptions import PlannerError
from planner.requests import machine
from planner.requests.db import Conflict, Ledger, Request, UnknownRequest
from planner.requests.machine import LedgerError
from planner.requests.refs import parse_visit_ref, visit_ref
from planner.records.model import ReadResult, RecordProblem
from planner.records.values import DATE_FORMS, not_a_date, parse_date, plain, shown as shown_cell
from planner.yamlio import display_path

INTAKE_SHEET = "走访诉求登记表"
INTAKE_HEADER = ("走访编号", "统一社会信用代码", "企业名称", "走访日期", "包联干部", "诉求类别", "紧急程度", "诉求内容",
                 "承办部门", "备注")
INTAKE_WIDTHS = (30, 22, 30, 12, 24, 10, 10, 50, 24, 20)
ANSWER_SHEET = "部门办理清单"
ANSWER_HEADER = ("诉求编号", "企业名称", "统一社会信用代码", "所在区县", "包联干部", "诉求类别", "紧急程度", "诉求内容",
                 "走访日期", "办结时限", "当前状态", "承办部门", "办理状态", "办理情况", "办理人", "办理日期")
ANSWER_WIDTHS = (17, 28, 21, 10, 22, 9, 9, 44, 12, 12, 9, 24, 10, 40, 12, 12)
ANSWER_COLUMNS = ("办理状态", "办理情况", "办理人", "办理日期")  # what the department fills in
ANSWERS = (machine.IN_PROGRESS, machine.DONE, machine.RETURN)
GUIDE_SHEET = "填表说明"
MARKER_SHEET = "planner"  # hidden: what the sheet is, for the import
KIND_INTAKE = "requests-intake"
KIND_ANSWERS = "requests-answers"
PROBLEM_LIST = "诉求问题清单（{stem}）.xlsx"  # one per imported file: importing another keeps it
RECENT_DAYS = 30  # a department's list also shows what it closed in these days
ROWS_WITH_DROPDOWNS = 500  # rows below the enterprises that still carry the dropdowns
HEADER_SEARCH_ROWS = 20
_SPLIT = re.compile(r"[、,，;；/\s]+")


# --- the enterprises of an output folder ---------------------------------------------------

@dataclass(frozen=True)
class Enterprise:
    id: str
    name: str
    district: str  # as shown (北仑区)
    cadre: str
    facts: dict  # plan.json's enterprise


def folder_enterprises(out_dir: Path, kb) -> dict[str, Enterprise]:
    """The enterprises of an output folder by credit code, from each one's latest whole plan.json."""
    from planner.briefbook import enterprise_folders
    from planner.listing import fact_label
    from planner.versions import verified_plan

    found = {}
    for sub in enterprise_folders(out_dir):
        plan = verified_plan(sub)
        if plan is None:
            continue
        facts = plan.get("enterprise") or {}
        code = str(facts.get("id") or sub.name)
        found[code] = Enterprise(code, str(facts.get("name", "")), fact_label(kb, facts, "district"),
                                 str(facts.get("cadre") or ""), facts)
    return found


def _require_folder(out_dir: Path) -> None:
    from planner.briefbook import is_output_folder

    if not Path(out_dir).is_dir():
        raise PlannerError(f"{display_path(Path(out_dir))}：文件夹不存在（须为 planner generate 的输出目录）")
    if not is_output_folder(out_dir):
        raise PlannerError(f"{display_path(Path(out_dir))} 不是 planner generate 的输出目录（其中没有企业文件夹）")


# --- writing ----------------------------------------------------------------------------------

def _book():
    import openpyxl

    book = openpyxl.Workbook()
    return book, book.active


def _header(sheet, header, widths) -> None:
    from openpyxl.styles import Alignment

    from planner.records.problems import put_header

    put_header(sheet, header, widths, alignment=Alignment(vertical="center", wrap_text=True))


def _dropdown(sheet, column: int, values, last_row: int, title: str) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(column)
    rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                          showErrorMessage=True, errorTitle=f"{title}不在可选范围内",
                          error=f"请从下拉列表中选择{title}：{'、'.join(values)}", promptTitle=title,
                          prompt=f"可选：{'、'.join(values)}", showInputMessage=True)
    rule.add(f"{letter}2:{letter}{last_row}")
    sheet.add_data_validation(rule)


def _marker(book, kind: str, **values) -> None:
    from planner.records.problems import put_text

    sheet = book.create_sheet(MARKER_SHEET)
    sheet.sheet_state = "hidden"
    for r, (key, value) in enumerate((("kind", kind), *values.items()), 1):
        put_text(sheet.cell(row=r, column=1), key)
        put_text(sheet.cell(row=r, column=2), value)


def _save(book, target: Path) -> None:
    from planner.records.problems import save_book

    save_book(book, Path(target))


def write_template(out_dir: Path, target: Path, kb, rules, cadre: str | None = None, district: str | None = None,
                   visit_date: dt.date | None = None, rows: int = 1, zone: str | None = None) -> list[Enterprise]:
    """Write the registration workbook for the enterprises of ``out_dir`` a cadre (name contained
    in 包联干部), a district or a functional zone has, ``rows`` rows each; the enterprises
    written, by credit code. An unknown cadre, district or zone raises PlannerError listing those
    that exist."""
    from types import SimpleNamespace

    from planner.generate import select_plans

    _require_folder(out_dir)
    everyone = folder_enterprises(out_dir, kb)
    plans = [SimpleNamespace(id=e.id, enterprise=e.facts, item=e) for e in everyone.values()]
    chosen = [p.item for p in select_plans(plans, kb, district, cadre, zone, source="输出目录")] if plans else []
    if not chosen:
        asked = "、".join(x for x in (f"区县“{district}”" if district else "", f"功能区“{zone}”" if zone else "",
                                     f"包联干部“{cadre}”" if cadre else "") if x)
        raise PlannerError(f"输出目录中没有符合筛选条件（{asked or '全部'}）的企业，未写入登记表")
    rows_out = [{"走访编号": visit_ref(e.id, visit_date) if visit_date else "", "统一社会信用代码": e.id,
                 "企业名称": e.name, "走访日期": visit_date or "", "包联干部": e.cadre}
                for e in chosen for _ in range(rows)]
    write_intake_book(Path(target), rows_out, rules, kb.campaign.issuer, prefilled_refs=visit_date is not None)
    return chosen


def write_intake_book(target: Path, rows: list[dict], rules, creator: str = "", prefilled_refs: bool = False) -> None:
    """The registration workbook with ``rows`` (header → value) filled in: text cells (a date, a
    date cell), dropdowns for category and urgency (also on the empty rows below), 填表说明, the
    hidden marker. A row pre-filled but left without category, urgency and text is not imported."""
    from openpyxl.styles import Alignment

    from planner.records.problems import put_text

    book, sheet = _book()
    sheet.title = INTAKE_SHEET
    _header(sheet, INTAKE_HEADER, INTAKE_WIDTHS)
    top = Alignment(vertical="top", wrap_text=True)
    for r, values in enumerate(rows, 2):
        for c, title in enumerate(INTAKE_HEADER, 1):
            value, cell = values.get(title, ""), sheet.cell(row=r, column=c)
            if isinstance(value, dt.date):  # a real Excel date, shown as the guide writes dates
                cell.value, cell.number_format, cell.alignment = value, "yyyy-mm-dd", top
            else:
                put_text(cell, value, top)
    filled = len(rows) + 1
    last = filled + ROWS_WITH_DROPDOWNS
    for r in range(filled + 1, last + 1):  # rows added below keep text cells too
        for c in range(1, len(INTAKE_HEADER) + 1):
            sheet.cell(row=r, column=c).number_format = "@"
    _dropdown(sheet, INTAKE_HEADER.index("诉求类别") + 1, list(rules.categories), last, "诉求类别")
    _dropdown(sheet, INTAKE_HEADER.index("紧急程度") + 1, list(rules.urgencies), last, "紧急程度")
    sheet.auto_filter.ref = f"A1:J{max(filled, 2)}"
    _guide(book, rules, prefilled_refs)
    _marker(book, KIND_INTAKE)
    book.properties.creator = creator
    book.properties.title = INTAKE_SHEET
    _save(book, Path(target))


def _guide(book, rules, visit_date) -> None:
    from openpyxl.styles import Alignment, Font

    from planner.records.problems import put_text

    sheet = book.create_sheet(GUIDE_SHEET)
    lines = [
        ("填表说明", ""),
        ("每行一条诉求", "一家企业有多条诉求时，复制该企业的行（或在表末新增一行，填写统一社会信用代码）。"
                   "诉求类别、紧急程度、诉求内容均未填写的行不导入（预填的信用代码、名称、走访日期等不算填写）。"),
        ("走访编号", "走访简报诉求表上印的编号（统一社会信用代码-走访日期，如 91330206NB0000059N-20220615）。"
                 "可不填；填写时须与本行的信用代码和走访日期一致。"
                 + ("本表已按走访日期预填。" if visit_date else "")),
        ("统一社会信用代码", "必填，18位，须为输出目录中已有方案的企业。"),
        ("企业名称", "可不填；填写时须与该信用代码的企业一致。"),
        ("走访日期", f"必填（已填走访编号时可不填，按编号中的日期），可写{DATE_FORMS}。"
                 + ("本表已按走访日期预填，实际走访日期不同时改为实际日期。" if visit_date else "")),
        ("包联干部", "已按方案预填；换人走访时改为实际走访的干部。"),
        ("诉求类别", "从下拉列表中选择（也可写别名，见下表）。"),
        ("紧急程度", "从下拉列表中选择，决定办结时限（工作日，自走访次日起算）。"),
        ("诉求内容", "必填，按企业原话记录。"),
        ("承办部门", "可不填，按诉求类别交办（见下表）；需要改交其他部门时填写，多个部门用顿号分隔。"),
        ("备注", "不导入。"),
        ("", ""),
        ("诉求类别", "别名；默认承办部门"),
    ]
    for c in rules.categories.values():
        lines.append((c.name, f"{'、'.join(c.aliases) or '—'}；{'、'.join(c.departments)}"))
    lines += [("", ""), ("紧急程度", "办结时限")]
    for u in rules.urgencies.values():
        lines.append((u.name, f"{u.working_days}个工作日：{u.description}"))
    lines.append(("时限依据", rules.urgency_source))
    wrap = Alignment(vertical="top", wrap_text=True)
    for r, (key, text) in enumerate(lines, 1):
        put_text(sheet.cell(row=r, column=1), key, wrap)
        put_text(sheet.cell(row=r, column=2), text, wrap)
        if r == 1 or key in ("诉求类别", "紧急程度") and text in ("别名；默认承办部门", "办结时限"):
            sheet.cell(row=r, column=1).font = Font(bold=True)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 90


def department_requests(ledger: Ledger, department: str, as_of: dt.date,
                        recent_days: int = RECENT_DAYS) -> list[Request]:
    """What a department's list shows, each request as it stood at the end of ``as_of`` (its
    events after that day not yet taken, one registered later absent: ``Ledger.find(as_of=…)``):
    those handed to the department then and still pending (登记, 交办, 办理中), and those handled
    (办结, 回访, 销号) in the ``recent_days`` before ``as_of``, by due date."""
    since = as_of - dt.timedelta(days=recent_days)
    out = [r for r in ledger.find(department=department, as_of=as_of)
           if r.state in machine.PENDING or (r.state in machine.HANDLED and r.closed_at and r.closed_at >= since)]
    return sorted(out, key=lambda r: (r.state not in machine.PENDING, r.due_date, r.number))


def department_answers(ledger: Ledger, department: str, as_of: dt.date) -> dict:
    """The answer of ``department`` that stands for each request at the end of ``as_of``: request
    id → its last 办理中, 办结 or 退回 event of that day or before naming the department (or naming
    none while the department held the request alone), unless a later 交办 handed the request on
    afresh or a 回访 not satisfied reopened it (then there is none until the department answers
    again). What the sheet's answer columns show."""
    limit = as_of.isoformat()
    holders: dict[str, tuple] = {}
    out: dict = {}
    for event in ledger.events():
        if event.at[:10] > limit:
            continue
        rid, before = event.request_id, holders.get(event.request_id, ())
        if event.departments is not None:
            holders[rid] = event.departments
        if event.step == machine.ASSIGNED or (event.step == machine.VISITED and event.satisfied is False):
            out.pop(rid, None)
        elif event.step in ANSWERS and (event.department == department
                                        or event.department is None and before == (department,)):
            out[rid] = event
    return out


def assign(ledger: Ledger, department: str, by: str, at: dt.date) -> list[Request]:
    """Hand over (交办) the registered requests of a department's list, in one transaction; the
    requests handed over."""
    return assign_registered(ledger, by, at, department, note=f"随{department}办理清单交办")


def assign_registered(ledger: Ledger, by: str, at: dt.date, department: str | None = None,
                      note: str = "") -> list[Request]:
    """Hand over (交办) every registered (登记) request to the departments it is routed to, in one
    transaction: all of them, or those of ``department``; a request registered after ``at`` is
    left, since it was not there yet. The requests handed over."""
    handed = []
    with ledger.transaction():
        for request in ledger.find(status=machine.REGISTERED, department=department):
            if request.created_at[:10] <= at.isoformat():
                handed.append(ledger.transition(request.id, machine.ASSIGNED, by=by, at=at, note=note))
    return handed


def write_department_sheet(ledger: Ledger, department: str, target: Path, as_of: dt.date, issuer: str = "",
                           recent_days: int = RECENT_DAYS) -> list[Request]:
    """Write a department's list (see ``department_requests``) with its answer columns; the
    requests written."""
    from openpyxl.styles import Alignment, PatternFill

    from planner.dates import cn_date
    from planner.records.problems import put_text

    chosen = department_requests(ledger, department, as_of, recent_days)
    answers = department_answers(ledger, department, as_of)
    book, sheet = _book()
    sheet.title = ANSWER_SHEET
    _header(sheet, ANSWER_HEADER, ANSWER_WIDTHS)
    answer = PatternFill("solid", fgColor="FFF2CC")
    for c, title in enumerate(ANSWER_HEADER, 1):
        if title in ANSWER_COLUMNS:
            sheet.cell(row=1, column=c).fill = answer
    top = Alignment(vertical="top", wrap_text=True)
    for r, req in enumerate(chosen, 2):
        values = {"诉求编号": req.id, "企业名称": req.enterprise_name, "统一社会信用代码": req.enterprise_id,
                  "所在区县": req.district, "包联干部": req.cadre, "诉求类别": req.category, "紧急程度": req.urgency,
                  "诉求内容": req.text, "走访日期": req.visit_date.isoformat(), "办结时限": req.due_date.isoformat(),
                  "当前状态": req.shown_state, "承办部门": "、".join(req.departments)}
        given = answers.get(req.id)
        if given is not None:  # what the department answered, as it stood: its state always with its date
            values.update({"办理状态": given.step, "办理情况": given.note, "办理人": given.by,
                           "办理日期": given.date.isoformat()})
        for c, title in enumerate(ANSWER_HEADER, 1):
            put_text(sheet.cell(row=r, column=c), values.get(title, ""), top)
    last = len(chosen) + 1
    _dropdown(sheet, ANSWER_HEADER.index("办理状态") + 1, list(ANSWERS), max(last, 2), "办理状态")
    sheet.auto_filter.ref = f"A1:P{last}"
    guide = book.create_sheet(GUIDE_SHEET)
    also = "".join(f"“{a}”" for step in ANSWERS for a in ledger.rules.step_aliases(step)[:1]) or "状态的名称"
    for r, text in enumerate((
            f"{department}诉求办理清单（{cn_date(as_of)}导出）：本部门承办、尚未办结的诉求，及{recent_days}天内办结的诉求。",
            "请在黄色的四列填写办理结果后交回：办理状态选“办理中”“办结”或“退回”"
            f"（也可写{also}）；办理情况写明办理结果（退回须写明理由）；"
            "办理人写经办人；办理日期写开始办理、办结或退回的日期（可写 2022-06-15、2022年6月15日 等）。"
            "办理日期不填的，按导入当天记（导入时逐行提示）；办结日期晚于办结时限即计为超时办结，请填写实际日期。",
            "不需要填写的行留空即可；同一张表再次导入时，已登记过的办理结果不会重复登记。",
            f"办结时限按工作日计算，逾期以办结时限之后仍未办结为准。"), 1):
        put_text(guide.cell(row=r, column=1), text, top)
    guide.column_dimensions["A"].width = 110
    _marker(book, KIND_ANSWERS, department=department, exported=as_of.isoformat())
    book.properties.creator = issuer
    book.properties.title = f"{department}诉求办理清单"
    _save(book, Path(target))
    return chosen


# --- reading --------------------------------------------------------------------------------

@dataclass
class Table:
    kind: str
    shown: str
    rows: list  # (row number, {header: cell})
    marker: dict = field(default_factory=dict)
    path: Path | None = None  # the file read
    sheet: str = ""  # the worksheet read (a workbook's)

    @property
    def source(self) -> str:
        """The file and sheet, as the problem list's 来源文件 names them."""
        name = self.path.name if self.path is not None else self.shown
        return f"{name}（工作表：{self.sheet}）" if self.sheet else name


def _norm_header(value) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or ""))).replace("*", "")


def _kind(header: list[str]) -> str | None:
    names = set(header)
    if {"诉求编号", "办理状态"} <= names:
        return KIND_ANSWERS
    if {"统一社会信用代码", "诉求内容"} <= names:
        return KIND_INTAKE
    return None


def _table(numbered, shown: str) -> tuple[str, list] | None:
    rows = list(numbered)
    for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header = [_norm_header(c) for c in cells]
        kind = _kind(header)
        if kind is None:
            continue
        out = []
        for number, cells in rows[i + 1:]:
            values = {h: cells[j] for j, h in enumerate(header) if h and j < len(cells)}
            if any(not _blank(v) for v in values.values()):
                out.append((number, values))
        return kind, out
    return None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decode(data: bytes, shown: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlannerError(f"{shown}：无法识别文件编码（不是 UTF-8 或 GB18030 文本）；请另存为 CSV UTF-8 或 .xlsx")


def read_sheet(path: Path) -> Table:
    """The rows of a registration sheet or a department's list (.xlsx or .csv)."""
    path = Path(path)
    shown = display_path(path)
    if not path.is_file():
        raise PlannerError(f"{shown}：文件不存在")
    suffix = path.suffix.lower()
    wanted = f"{shown}：没有找到表头（登记表须有“统一社会信用代码”和“诉求内容”列，部门办理清单须有“诉求编号”和“办理状态”列）"
    if suffix == ".csv":
        text = _decode(path.read_bytes(), shown)
        reader = csv.reader(io.StringIO(text, newline=""))
        found = _table(((n, row) for n, row in enumerate(reader, 1)), shown)
        if found is None:
            raise PlannerError(wanted)
        return Table(found[0], shown, found[1], path=path)
    if suffix not in (".xlsx", ".xlsm"):
        raise PlannerError(f"{shown}：须为 .xlsx 工作簿或 .csv 文件")
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise PlannerError(f"{shown}：无法作为 Excel 工作簿打开（{type(exc).__name__}）") from None
    try:
        marker = {}
        if MARKER_SHEET in book.sheetnames:
            for row in book[MARKER_SHEET].iter_rows(max_col=2, values_only=True):
                if row and row[0]:
                    marker[str(row[0])] = "" if row[1] is None else str(row[1])
        for name in book.sheetnames:
            if name in (MARKER_SHEET, GUIDE_SHEET):
                continue
            sheet = book[name]
            found = _table(((n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), 1)), shown)
            if found is not None:
                kind = marker.get("kind") if marker.get("kind") in (KIND_INTAKE, KIND_ANSWERS) else found[0]
                return Table(kind, f"{shown}[{name}]" if len(book.sheetnames) > 1 else shown, found[1], marker,
                             path=path, sheet=name)
    finally:
        book.close()
    raise PlannerError(wanted)


# --- importing ------------------------------------------------------------------------------

@dataclass
class ImportResult:
    kind: str
    shown: str
    created: int = 0
    existing: int = 0
    conflicts: int = 0
    applied: int = 0  # answers
    unchanged: int = 0  # answers already applied
    unanswered: int = 0  # answer rows left blank
    not_filled: int = 0  # registration rows without category or text
    problems: list = field(default_factory=list)  # RecordProblem, level "rejected"
    bad_rows: set = field(default_factory=set)  # row numbers refused for a problem (not a conflict)
    department: str = ""
    source: str = ""  # the file and sheet (Table.source)
    notes: list = field(default_factory=list)  # 注意 lines: what was taken as it is, e.g. a blank 办理日期

    @property
    def refused(self) -> int:
        return len(self.bad_rows) + self.conflicts

    def summary(self) -> str:
        if self.kind == KIND_ANSWERS:
            conflicts = f"冲突{self.conflicts}条，" if self.conflicts else ""
            return (f"{self.department or '部门'}办理结果：已登记{self.applied}条，已登记过{self.unchanged}条（未变），"
                    f"未填办理状态{self.unanswered}条，{conflicts}有问题{len(self.bad_rows)}行")
        return (f"新登记{self.created}条，已存在{self.existing}条（未变），冲突{self.conflicts}条，"
                f"有问题{len(self.bad_rows)}行")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return shown_cell(value).strip()


class _Row:
    """One row's problems, as the problem list names them."""

    def __init__(self, result: ImportResult, number: int, name: str = "", code: str = ""):
        self.result, self.number, self.name, self.code = result, number, name, code
        self.problems: list[RecordProblem] = []

    def problem(self, field_name: str, message: str, value="", outcome: str = "已跳过") -> None:
        self.problems.append(RecordProblem(f"{self.result.shown}:{self.number}", field_name, message, self.name,
                                           self.code, _text(value), outcome, level="rejected"))

    def close(self, conflict: bool = False) -> bool:
        """Record the problems; True when there were any."""
        if self.problems:
            self.result.problems += self.problems
            if not conflict:
                self.result.bad_rows.add(self.number)
        return bool(self.problems)


def import_sheet(sheet: Path | Table, out_dir: Path, ledger: Ledger, kb, by: str | None = None) -> ImportResult:
    """Import a registration sheet or a department's answers (a path, or the Table ``read_sheet``
    made of it) into ``ledger``, as one transaction."""
    table = sheet if isinstance(sheet, Table) else read_sheet(sheet)
    result = ImportResult(table.kind, table.shown, department=table.marker.get("department", ""),
                          source=table.source)
    if table.kind == KIND_INTAKE:
        _require_folder(out_dir)
        known = folder_enterprises(out_dir, kb)
        with ledger.transaction():
            for number, values in table.rows:
                _register_row(ledger, known, result, number, values, by)
    else:
        with ledger.transaction():
            for number, values in table.rows:
                _answer_row(ledger, result, number, values, by)
    return result


def _register_row(ledger: Ledger, known: dict, result: ImportResult, number: int, values: dict, by) -> None:
    rules = ledger.rules
    get = {h: _text(values.get(h)) for h in INTAKE_HEADER}
    if not (get["诉求类别"] or get["诉求内容"] or get["紧急程度"]):
        result.not_filled += 1  # a pre-filled row the cadre did not use
        return
    code = plain(get["统一社会信用代码"]).upper().lstrip("'")
    row = _Row(result, number, get["企业名称"], code)
    enterprise = None
    if not code:
        row.problem("统一社会信用代码", "统一社会信用代码不能为空")
    elif uscc.problem(code):
        row.problem("统一社会信用代码", uscc.problem(code), get["统一社会信用代码"])
    elif code not in known:
        row.problem("统一社会信用代码", "输出目录中没有这家企业的方案（请核对信用代码，或先为它生成方案）",
                    get["统一社会信用代码"])
    else:
        enterprise = known[code]
        row.name = row.name or enterprise.name
        if get["企业名称"] and plain(get["企业名称"]) != plain(enterprise.name):
            row.problem("企业名称", f"与输出目录中该信用代码的企业“{enterprise.name}”不符（请核对信用代码和名称）",
                        get["企业名称"])
    visit = None
    raw_date = values.get("走访日期")
    if not _blank(raw_date):
        visit = parse_date(raw_date)
        if visit is None:
            row.problem("走访日期", not_a_date(raw_date), raw_date)
    ref = get["走访编号"]
    if ref:
        parsed = parse_visit_ref(ref)
        if parsed is None:
            row.problem("走访编号", "不是走访编号（应为“统一社会信用代码-走访日期”，如 91330206NB0000059N-20220615）", ref)
        else:
            ref_code, ref_date = parsed
            if code and ref_code != code:
                row.problem("走访编号", f"编号中的信用代码 {ref_code} 与本行的统一社会信用代码 {code} 不一致", ref)
            if visit is None and _blank(raw_date):
                visit = ref_date
            elif visit is not None and ref_date > visit:
                # the number is the brief's (its as-of, the planned day): a visit may come later, never before
                row.problem("走访编号", f"编号中的日期 {ref_date.isoformat()} 晚于走访日期 {visit.isoformat()}"
                            "（编号是简报上印的，走访不会早于简报的日期，请核对）", ref)
    if visit is None and _blank(raw_date):
        row.problem("走访日期", "走访日期不能为空")
    elif visit is not None and visit > today():
        row.problem("走访日期", f"走访日期 {visit.isoformat()} 晚于今天", raw_date or ref)
    category = rules.category(get["诉求类别"]) if get["诉求类别"] else None
    if not get["诉求类别"]:
        row.problem("诉求类别", f"诉求类别不能为空（可选：{rules.category_names()}）")
    elif category is None:
        row.problem("诉求类别", f"未知的诉求类别（可选：{rules.category_names()}）", get["诉求类别"])
    urgency = rules.urgency(get["紧急程度"]) if get["紧急程度"] else None
    if not get["紧急程度"]:
        row.problem("紧急程度", f"紧急程度不能为空（可选：{rules.urgency_names()}）")
    elif urgency is None:
        row.problem("紧急程度", f"未知的紧急程度（可选：{rules.urgency_names()}）", get["紧急程度"])
    if not get["诉求内容"]:
        row.problem("诉求内容", "诉求内容不能为空")
    cadre = get["包联干部"] or (enterprise.cadre if enterprise else "")
    if enterprise is not None and not cadre:
        row.problem("包联干部", "包联干部不能为空（方案中也没有包联干部）")
    departments = [d for d in _SPLIT.split(get["承办部门"]) if d] or None
    if row.close():
        return
    try:
        with ledger.transaction():
            request = ledger.register(code, enterprise.name, category.name, get["诉求内容"], urgency.name, visit,
                                      cadre, district=enterprise.district, visit_ref=visit_ref(code, visit), departments=departments, by=by or cadre,
                                      at=visit)  # 登记 is the cadre writing it down at the visit
    except Conflict as exc:
        for label, old, new in exc.differences:
            row.problem(label, f"与已登记的诉求 {exc.existing.id} 冲突：原为“{old}”，现为“{new}”", new,
                        outcome="未覆盖（冲突）")
        result.conflicts += 1
        row.close(conflict=True)
        return
    except LedgerError as exc:
        row.problem("-", exc.format_message())
        row.close()
        return
    if request.created:
        result.created += 1
    else:
        result.existing += 1


def _answer_row(ledger: Ledger, result: ImportResult, number: int, values: dict, by) -> None:
    get = {h: _text(values.get(h)) for h in ANSWER_HEADER}
    row = _Row(result, number, get["企业名称"], get["统一社会信用代码"])
    rid = get["诉求编号"]
    status = ledger.rules.step(get["办理状态"]) if get["办理状态"] else ""  # 已办结 is 办结 (sectors/requests.yaml)
    if not status:
        result.unanswered += 1
        return
    if not rid:
        row.problem("诉求编号", "诉求编号不能为空")
        row.close()
        return
    try:
        request = ledger.get(rid)
    except UnknownRequest as exc:
        row.problem("诉求编号", exc.format_message(), rid)
        row.close()
        return
    row.name, row.code = request.enterprise_name, request.enterprise_id
    if status not in ANSWERS:
        row.problem("办理状态", f"应为{'、'.join(ANSWERS)}之一", get["办理状态"])
    note = get["办理情况"]
    if status == machine.RETURN and not note:
        row.problem("办理情况", "退回须在办理情况中写明理由")
    actor = get["办理人"] or by or result.department
    if not actor:
        row.problem("办理人", "办理人不能为空")
    at = None
    raw = values.get("办理日期")
    if _blank(raw):
        raw = values.get("办结日期")  # a sheet exported before the column was 办理日期
    if not _blank(raw):
        at = parse_date(raw)
        if at is None:
            row.problem("办理日期", not_a_date(raw), raw)
    # whose answer the row is: the sheet's department; on a sheet of several departments (no
    # marker), the 承办部门 of the row when it names one
    named = [d for d in _SPLIT.split(get["承办部门"]) if d]
    department = result.department or (named[0] if len(named) == 1 else "")
    if row.close():
        return
    events = ledger.events(request.id)
    if any(e.step == status and e.by == actor and e.note == note
           and (not department or e.department in (None, department)) for e in events):
        result.unchanged += 1  # this answer is in the ledger already
        return
    if status == machine.DONE and (request.state in machine.HANDLED or department in request.done):
        standing = [e for e in events if e.step == machine.DONE and (request.state in machine.HANDLED
                                                                     or e.department == department)]
        if standing and _done_conflict(row, request, standing[-1], actor, note):
            result.conflicts += 1
            row.close(conflict=True)
            return
    if status == machine.IN_PROGRESS and request.state in machine.HANDLED | {machine.IN_PROGRESS}:
        result.unchanged += 1  # in progress, or further on already
        return
    if department and department not in request.departments:
        handed = "、".join(request.departments)
        now = f"现由{handed}承办" if handed else "已被退回、尚待重新交办"
        row.problem("承办部门", f"{request.id} {now}，不再由{department}承办（当前状态为“{request.shown_state}”）")
        row.close()
        return
    try:
        with ledger.transaction():
            ledger.transition(request.id, status, by=actor, note=note, at=at, department=department or None)
    except LedgerError as exc:
        row.problem("办理状态", exc.format_message(), status)
        row.close()
        return
    result.applied += 1
    if at is None:  # as the sheet's 填表说明 says: the day of the import, and said so, row by row
        from planner.dates import cn_date

        today = ledger.events(request.id)[-1].date  # the import's day where the ledger keeps time
        late = (f"，已晚于办结时限{cn_date(request.due_date)}，按时办结率按此计"
                if status == machine.DONE and today > request.due_date else "")
        result.notes.append(f"{result.shown}:{number}: {row.name}：{request.id}（{status}）：未填办理日期，"
                            f"按导入当天（{cn_date(today)}）记{late}")


def _done_conflict(row: _Row, request: Request, standing, actor: str, note: str) -> bool:
    """A 办结 answer for a request already 办结 that says otherwise than the 办结 recorded (a
    correction): its differences named on the row, never written over. True when there are any."""
    found = False
    for label, old, new in (("办理情况", standing.note, note), ("办理人", standing.by, actor)):
        if old != new:
            row.problem(label, f"{request.id} 已办结，登记的{label}原为“{old}”，现为“{new}”", new,
                        outcome="未覆盖（冲突）")
            found = True
    return found


def problem_list(folder: Path, sheet: Path) -> Path:
    """Where the problems of importing ``sheet`` go: 诉求问题清单（<its stem>）.xlsx in ``folder``,
    so that importing another file (another department's list) leaves this one's problems."""
    return Path(folder) / PROBLEM_LIST.format(stem=Path(sheet).stem)


def write_problems(result: ImportResult, path: Path) -> Path | None:
    """The import's problem list at ``path`` (the problem list's layout, and a column 来源文件
    naming the file and sheet); an old one at ``path`` removed when there are none."""
    from planner.records.problems import write_problem_list

    read = ReadResult(records=[], rejected=list(result.problems), warnings=[], rejected_count=result.refused)
    return write_problem_list(read, path, source=result.source)
