"""The sources of an officer's list: YAML, CSV and XLSX files read into raw rows (header → cell),
each with where it came from, before any value is converted."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterable

from planner.exceptions import RecordsError
from planner.records.model import Raw, RecordProblem
from planner.records.values import FALSE_WORDS, NONE_WORDS, blank, norm_header
from planner.yamlio import YamlSyntaxError, display_path, load_document

RECEIVABLES_SHEETS = ("被拖欠账款", "receivables", "账款")


def read_raw(path: Path, kb, warnings: list) -> list[Raw]:
    """The raw rows of ``path``, by its suffix; problems of the file as a whole raise RecordsError."""
    path = Path(path)
    if not path.is_file():
        raise RecordsError(f"{display_path(path)}: no such file")
    suffix = path.suffix.lower()
    reader = {".yaml": _read_yaml, ".yml": _read_yaml, ".csv": _read_csv, ".xlsx": _read_xlsx}.get(suffix)
    if reader is None:
        raise RecordsError(f"{display_path(path)}: unknown format {suffix or '(none)'}; use .yaml, .csv or .xlsx")
    return reader(path, kb, warnings)


def _read_yaml(path: Path, kb, warnings) -> list[Raw]:
    try:
        doc, dup = load_document(path, fast=True)
    except YamlSyntaxError as exc:
        raise RecordsError(str(exc.problem)) from None
    data = doc.data
    if isinstance(data, dict) and "enterprises" in data:
        items, base = data["enterprises"], ("enterprises",)
    else:
        items, base = data, ()
    if not isinstance(items, list):
        raise RecordsError(f"{doc.file}:1: expected a list of enterprises (or a key enterprises: with one)")
    for p in dup:
        warnings.append(RecordProblem(f"{p.file}:{p.line}", str(p.path[-1]), "重复的键，仅保留第一个"))
    raws = []
    for i, item in enumerate(items):
        where = f"{doc.file}:{doc.line(base + (i,))}"
        if not isinstance(item, dict):
            raws.append(Raw({}, where))
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


def _decode(data: bytes, shown: str) -> str:
    """UTF-8 with or without BOM, else GB18030 (what Chinese Excel saves as 'CSV')."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise RecordsError(f"{shown}: not UTF-8 or GB18030 text") from None


HEADER_SEARCH_ROWS = 10


def _table_rows(rows: Iterable[list], shown: str, specs: dict) -> tuple[list[str], list[tuple[int, list]]]:
    """The header row and the body rows (with their row numbers) of a table.

    The header is the first row naming at least two known columns, so a title row above it
    (common in official lists) is skipped.
    """
    known = {norm_header(s) for spec in specs.values() for s in (spec.id, spec.label, *spec.aliases)}
    rows = iter(rows)
    for number, row in enumerate(rows, start=1):
        cells = [("" if c is None else str(c)).strip() for c in row]
        if sum(1 for c in cells if c and norm_header(c) in known) >= 2:
            body = [(n, r) for n, r in enumerate(rows, start=number + 1) if any(blank(c) is False for c in r)]
            return cells, body
        if number >= HEADER_SEARCH_ROWS:
            break
    expected = "、".join(spec.label for spec in list(specs.values())[:3])
    raise RecordsError(f"{shown}: no header row in the first {HEADER_SEARCH_ROWS} rows (expected columns such as {expected})")


def _read_csv(path: Path, kb, warnings) -> list[Raw]:
    shown = display_path(path)
    header, body = _table_rows(csv.reader(io.StringIO(_decode(path.read_bytes(), shown))), shown, kb.fields)
    raws = _rows_to_raws(header, body, shown, kb, warnings)
    for candidate in (path.with_name(f"{path.stem}.receivables.csv"), path.with_name(f"{path.stem}_被拖欠账款.csv")):
        if candidate.is_file():
            rshown = display_path(candidate)
            rheader, rbody = _table_rows(csv.reader(io.StringIO(_decode(candidate.read_bytes(), rshown))), rshown,
                                         _receivable_specs(kb))
            _attach_receivables(raws, rheader, rbody, rshown, kb, warnings)
    return raws


def _read_xlsx(path: Path, kb, warnings) -> list[Raw]:
    import openpyxl  # imported here: only XLSX lists need it

    shown = display_path(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RecordsError(f"{shown}: not a readable XLSX workbook ({exc})") from None
    try:
        sheets = book.worksheets
        main = sheets[0]
        header, body = _table_rows(_cell_values(main), f"{shown}[{main.title}]", kb.fields)
        raws = _rows_to_raws(header, body, f"{shown}[{main.title}]", kb, warnings)
        for sheet in sheets[1:]:
            if sheet.title.strip().lower() in RECEIVABLES_SHEETS:
                rshown = f"{shown}[{sheet.title}]"
                rheader, rbody = _table_rows(_cell_values(sheet), rshown, _receivable_specs(kb))
                _attach_receivables(raws, rheader, rbody, rshown, kb, warnings)
            else:
                warnings.append(RecordProblem(f"{shown}[{sheet.title}]", "-", "未识别的工作表，已忽略"))
    finally:
        book.close()
    return raws


def _cell_values(sheet):
    """Cell values; a number formatted as a percentage in Excel (0.062 shown as 6.2%) is read
    as the percentage the officer sees."""
    for row in sheet.iter_rows():
        values = []
        for cell in row:
            value = getattr(cell, "value", None)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in str(
                    getattr(cell, "number_format", "") or ""):
                value = round(value * 100, 10)
            values.append(value)
        yield values


def _receivable_specs(kb) -> dict:
    records_field = next(f for f in kb.fields.values() if f.type == "records")
    return {**records_field.items, "id": kb.fields["id"]}


def _header_map(header: list[str], specs: dict, shown: str, warnings) -> dict[int, str]:
    lookup = {}
    for spec in specs.values():
        for spelling in (spec.id, spec.label, *spec.aliases):
            lookup.setdefault(norm_header(spelling), spec.id)
    columns = {}
    for i, name in enumerate(header):
        if not name:
            continue
        field_id = lookup.get(norm_header(name))
        if field_id is None or specs[field_id].derived:
            warnings.append(RecordProblem(f"{shown}:1", name, "未识别的列，已忽略"))
        elif field_id in columns.values():
            warnings.append(RecordProblem(f"{shown}:1", name, f"与前面的列重复（{field_id}），已忽略"))
        else:
            columns[i] = field_id
    return columns


def _rows_to_raws(header, body, shown, kb, warnings) -> list[Raw]:
    columns = _header_map(header, kb.fields, shown, warnings)
    raws = []
    for number, row in body:
        values = {columns[i]: cell for i, cell in enumerate(row) if i in columns and not blank(cell)}
        receivables, expects = None, False
        for field_id in [k for k in values if kb.fields[k].type == "records"]:
            # The main table says only whether there are any ("无" = known none); items come from
            # the receivables table.
            if str(values.pop(field_id)).strip().casefold() in NONE_WORDS | FALSE_WORDS:
                receivables = []
            else:
                expects = True
        raws.append(Raw(values, f"{shown}:{number}", receivables, expects))
    return raws


def _attach_receivables(raws, header, body, shown, kb, warnings) -> None:
    specs = _receivable_specs(kb)
    columns = _header_map(header, specs, shown, warnings)
    if "id" not in columns.values():
        raise RecordsError(f"{shown}:1: the receivables table needs a column {kb.fields['id'].label}")
    by_id = {}
    for raw in raws:
        code = raw.values.get("id")
        if code is not None:
            by_id.setdefault(str(code).strip().upper(), raw)
    for number, row in body:
        values = {columns[i]: cell for i, cell in enumerate(row) if i in columns and not blank(cell)}
        code = str(values.pop("id", "")).strip().upper()
        owner = by_id.get(code)
        if owner is None:
            warnings.append(RecordProblem(f"{shown}:{number}", "id", f"企业名单中没有统一社会信用代码“{code}”，该笔账款已忽略"))
            continue
        values["_where"] = f"{shown}:{number}"
        owner.receivables = (owner.receivables or []) + [values]
