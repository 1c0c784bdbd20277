"""Writing records back as an officer's table: XLSX (two sheets) or CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from planner.exceptions import RecordsError
from planner.knowledge import KnowledgeBase
from planner.records.model import Record
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


def write_table(records: list[Record], path: Path, kb: KnowledgeBase) -> list[Path]:
    """Write records as XLSX (two sheets) or CSV (UTF-8 with BOM, receivables beside it)."""
    path = Path(path)
    enterprises, receivables = table_rows(records, kb)
    records_label = next(f for f in kb.fields.values() if f.type == "records").label
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "企业名单"
        second = book.create_sheet(records_label)
        for target, rows in ((sheet, enterprises), (second, receivables)):
            for row in rows:
                target.append(row)
            for cells in target.iter_rows():
                for cell in cells:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"  # record text is data, never a formula
        book.save(path)
        return [path]
    if path.suffix.lower() == ".csv":
        side = path.with_name(f"{path.stem}.receivables.csv")
        for target, rows in ((path, enterprises), (side, receivables)):
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\r\n").writerows(["" if c is None else c for c in r] for r in rows)
            target.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
        return [path, side]
    raise RecordsError(f"{display_path(path)}: can write .xlsx or .csv, not {path.suffix or '(none)'}")
