"""Writing records back as an officer's table: XLSX (two sheets) or CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from planner.exceptions import RecordsError
from planner.knowledge import KnowledgeBase
from planner.records.model import Record, RecordProblem
from planner.store import atomic_write
from planner.yamlio import display_path


def table_rows(records: list[Record], kb: KnowledgeBase) -> tuple[list[list], list[list]]:
    """The records as two tables with Chinese headers and labels: enterprises, receivables.

    Only the facts a record gives are written (derived ones are recomputed on reading).
    """
    from planner.matching import show_value

    main_fields = [f for f in kb.fields.values() if not f.derived]
    records_field = next(f for f in kb.fields.values() if f.type == "records")
    item_fields = list(records_field.items.values())
    enterprises = [[f.label for f in main_fields]]
    receivables = [[kb.fields["id"].label] + [f.label for f in item_fields]]
    for record in records:
        given = {k: v for k, v in record.facts.items() if k not in record.derived}
        row = []
        for f in main_fields:
            value = given.get(f.id)
            if f.type == "records":
                row.append(None if value is None else ("无" if not value else f"{len(value)}笔，见{f.label}表"))
            else:
                row.append(value if value is None or f.type in ("number", "text") else show_value(f, value, kb))
        enterprises.append(row)
        for item in given.get(records_field.id) or []:
            receivables.append([record.id] + [
                item.get(f.id) if item.get(f.id) is None or f.type in ("number", "text")
                else show_value(f, item[f.id], kb) for f in item_fields
            ])
    return enterprises, receivables


# OWASP's rule against CSV/formula injection: a cell starting with one of these is prefixed with
# "'" so no spreadsheet runs it (full-width forms too, which Chinese input methods type).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def inert(value):
    """A cell as it may be written to a CSV file: text a spreadsheet would run is prefixed."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _xlsx_text(value: str, where: str, label: str, record, warnings) -> str:
    """Text without the control characters XLSX cannot hold, each shown as ⟨U+XXXX⟩, with a warning."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if ILLEGAL_CHARACTERS_RE.search(value) is None:
        return value
    escaped = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", value)
    if warnings is not None:
        codes = "、".join(dict.fromkeys(f"U+{ord(c):04X}" for c in ILLEGAL_CHARACTERS_RE.findall(value)))
        warnings.append(RecordProblem(where, label, f"含有 Excel 工作簿不能保存的控制字符（{codes}）",
                                      name=str(record.facts.get("name", "")) if record else "",
                                      code=str(record.facts.get("id", "")) if record else "",
                                      value=escaped, outcome="已写为“⟨U+XXXX⟩”形式"))
    return escaped


def write_table(records: list[Record], path: Path, kb: KnowledgeBase, warnings: list | None = None) -> list[Path]:
    """Write records as XLSX (two sheets) or CSV (UTF-8 with BOM, receivables beside it), each
    file atomically. Nothing in them can run as a formula: XLSX cells of text are stored as text,
    CSV cells that a spreadsheet would run are prefixed with "'". Control characters XLSX cannot
    hold are written as ⟨U+XXXX⟩, with a RecordProblem appended to ``warnings`` for each cell."""
    path = Path(path)
    enterprises, receivables = table_rows(records, kb)
    records_label = next(f for f in kb.fields.values() if f.type == "records").label
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import openpyxl

        by_id = {r.id: r for r in records}
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "企业名单"
        second = book.create_sheet(records_label)
        for target, rows in ((sheet, enterprises), (second, receivables)):
            header = rows[0]
            target.append(header)
            for i, row in enumerate(rows[1:], start=2):
                owner = records[i - 2] if target is sheet else by_id.get(row[0])
                where = owner.where if owner is not None else f"{display_path(path)}[{target.title}]:{i}"
                target.append([_xlsx_text(c, where, header[j], owner, warnings) if isinstance(c, str) else c
                               for j, c in enumerate(row)])
            for cells in target.iter_rows():
                for cell in cells:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"  # record text is data, never a formula
        buffer = io.BytesIO()
        book.save(buffer)
        atomic_write(path, buffer.getvalue())
        return [path]
    if suffix == ".csv":
        side = path.with_name(f"{path.stem}.receivables.csv")
        for target, rows in ((path, enterprises), (side, receivables)):
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\r\n").writerows(["" if c is None else inert(c) for c in r] for r in rows)
            atomic_write(target, buffer.getvalue().encode("utf-8-sig"))
        return [path, side]
    raise RecordsError(f"{display_path(path)}：只能写为 .xlsx 或 .csv 文件，不能写为“{path.suffix or '（无扩展名）'}”")
