"""Enterprise records: read an officer's list (YAML, CSV, XLSX), normalise it, reject bad rows.

Headers may be field ids or the Chinese labels of fields.yaml; enumerated values may be ids,
labels or aliases. An empty cell is an unknown fact, never false. A bad record is reported
with its file, row and field, and skipped; every good record is still returned.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from planner import uscc
from planner.exceptions import RecordsError
from planner.knowledge import FieldSpec, KnowledgeBase
from planner.yamlio import YamlSyntaxError, display_path, load_document

LIST_SEPARATORS = re.compile(r"[、;；,，\n]")
TRUE_WORDS = {"是", "有", "true", "yes", "y", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "没有", "false", "no", "n", "0", "×", "✗"}
NONE_WORDS = {"无", "没有", "none"}
INDUSTRY_CODE = re.compile(r"^[A-T]\d{2,4}$")
RECEIVABLES_SHEETS = ("被拖欠账款", "receivables", "账款")


@dataclass
class Record:
    """One enterprise's facts: field id → value; an absent field is unknown."""

    facts: dict
    where: str
    derived: dict = field(default_factory=dict)  # field id → the Chinese basis of the derivation

    @property
    def id(self) -> str:
        return self.facts["id"]

    @property
    def name(self) -> str:
        return self.facts["name"]


@dataclass(frozen=True)
class RecordProblem:
    """Why one record was rejected, or a warning about the list."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


@dataclass
class ReadResult:
    records: list
    rejected: list  # RecordProblem, one or more per rejected record
    warnings: list
    rejected_count: int = 0


@dataclass
class _Raw:
    """A row before normalisation: header → cell, and where it came from."""

    values: dict
    where: str
    receivables: list | None = None
    expects_receivables: bool = False  # the main table says there are some, in the receivables table


def read_records(path: Path, kb: KnowledgeBase) -> ReadResult:
    """Read, normalise and validate every record of ``path``."""
    path = Path(path)
    if not path.is_file():
        raise RecordsError(f"{display_path(path)}: no such file")
    suffix = path.suffix.lower()
    reader = {".yaml": _read_yaml, ".yml": _read_yaml, ".csv": _read_csv, ".xlsx": _read_xlsx}.get(suffix)
    if reader is None:
        raise RecordsError(f"{display_path(path)}: unknown format {suffix or '(none)'}; use .yaml, .csv or .xlsx")
    warnings: list[RecordProblem] = []
    raws = reader(path, kb, warnings)
    if not raws:
        raise RecordsError(f"{display_path(path)}: no enterprise records in the list")
    label = next(f for f in kb.fields.values() if f.type == "records").label
    for raw in raws:
        if raw.expects_receivables and raw.receivables is None:
            warnings.append(RecordProblem(raw.where, label, f"名单注明有{label}，但未找到{label}表"
                                          f"（XLSX的“{label}”工作表或同名的 .receivables.csv），按未知处理"))
    return _normalise_all(raws, kb, warnings)


# ---------------------------------------------------------------- readers

def _read_yaml(path: Path, kb, warnings) -> list[_Raw]:
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
            raws.append(_Raw({}, where))
            continue
        values = dict(item)
        receivables = values.pop("receivables", None)
        for key in list(values):
            if key in kb.fields and kb.fields[key].type == "records":
                receivables = values.pop(key)
        if receivables is not None and not isinstance(receivables, list):
            receivables = [receivables]
        raws.append(_Raw(values, where, receivables))
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
    known = {_norm_header(s) for spec in specs.values() for s in (spec.id, spec.label, *spec.aliases)}
    rows = iter(rows)
    for number, row in enumerate(rows, start=1):
        cells = [("" if c is None else str(c)).strip() for c in row]
        if sum(1 for c in cells if c and _norm_header(c) in known) >= 2:
            body = [(n, r) for n, r in enumerate(rows, start=number + 1) if any(_blank(c) is False for c in r)]
            return cells, body
        if number >= HEADER_SEARCH_ROWS:
            break
    expected = "、".join(spec.label for spec in list(specs.values())[:3])
    raise RecordsError(f"{shown}: no header row in the first {HEADER_SEARCH_ROWS} rows (expected columns such as {expected})")


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _read_csv(path: Path, kb, warnings) -> list[_Raw]:
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


def _read_xlsx(path: Path, kb, warnings) -> list[_Raw]:
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
            lookup.setdefault(_norm_header(spelling), spec.id)
    columns = {}
    for i, name in enumerate(header):
        if not name:
            continue
        field_id = lookup.get(_norm_header(name))
        if field_id is None or specs[field_id].derived:
            warnings.append(RecordProblem(f"{shown}:1", name, "未识别的列，已忽略"))
        elif field_id in columns.values():
            warnings.append(RecordProblem(f"{shown}:1", name, f"与前面的列重复（{field_id}），已忽略"))
        else:
            columns[i] = field_id
    return columns


def _norm_header(text: str) -> str:
    text = re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")")
    return text.replace("\u201c", '"').replace("\u201d", '"').casefold()


def _rows_to_raws(header, body, shown, kb, warnings) -> list[_Raw]:
    columns = _header_map(header, kb.fields, shown, warnings)
    raws = []
    for number, row in body:
        values = {columns[i]: cell for i, cell in enumerate(row) if i in columns and not _blank(cell)}
        receivables, expects = None, False
        for field_id in [k for k in values if kb.fields[k].type == "records"]:
            # The main table says only whether there are any ("无" = known none); items come from
            # the receivables table.
            if str(values.pop(field_id)).strip().casefold() in NONE_WORDS | FALSE_WORDS:
                receivables = []
            else:
                expects = True
        raws.append(_Raw(values, f"{shown}:{number}", receivables, expects))
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
        values = {columns[i]: cell for i, cell in enumerate(row) if i in columns and not _blank(cell)}
        code = str(values.pop("id", "")).strip().upper()
        owner = by_id.get(code)
        if owner is None:
            warnings.append(RecordProblem(f"{shown}:{number}", "id", f"企业名单中没有统一社会信用代码“{code}”，该笔账款已忽略"))
            continue
        values["_where"] = f"{shown}:{number}"
        owner.receivables = (owner.receivables or []) + [values]


# ---------------------------------------------------------------- normalising

def _normalise_all(raws: list[_Raw], kb: KnowledgeBase, warnings) -> ReadResult:
    records, rejected = [], []
    seen: dict[str, str] = {}
    rejected_count = 0
    for raw in raws:
        problems: list[RecordProblem] = []
        facts = _normalise(raw, kb, problems)
        code = facts.get("id")
        if code and code in seen:
            problems.append(RecordProblem(raw.where, kb.fields["id"].label,
                                          f"统一社会信用代码{code}重复（首次出现于{seen[code]}）"))
        if problems:
            rejected.extend(problems)
            rejected_count += 1
            continue
        seen[code] = raw.where
        records.append(Record(facts, raw.where))
    return ReadResult(records, rejected, warnings, rejected_count)


def _normalise(raw: _Raw, kb: KnowledgeBase, problems: list) -> dict:
    facts: dict[str, Any] = {}
    if not raw.values and raw.receivables is None:
        problems.append(RecordProblem(raw.where, "-", "不是一条企业记录（应为键值映射）"))
        return facts
    for key, value in raw.values.items():
        spec = _spec_for(key, kb.fields)
        if spec is None or spec.derived or spec.type == "records":
            problems.append(RecordProblem(raw.where, str(key), "未知字段"))
            continue
        converted = _convert(value, spec, kb, raw.where, problems)
        if converted is not None:
            facts[spec.id] = converted
    if raw.receivables is not None:
        facts["receivables"] = _receivables(raw.receivables, kb, raw.where, problems)
    _check_record(facts, raw.where, problems, {k: f.label for k, f in kb.fields.items()})
    return facts


def _spec_for(key, specs: dict) -> FieldSpec | None:
    if key in specs:
        return specs[key]
    wanted = _norm_header(key)
    for spec in specs.values():
        if wanted in {_norm_header(s) for s in (spec.id, spec.label, *spec.aliases)}:
            return spec
    return None


def _receivables(items: list, kb, where, problems) -> list[dict]:
    spec = next(f for f in kb.fields.values() if f.type == "records")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(RecordProblem(where, f"{spec.label}[{i + 1}]", "应为键值映射（欠款单位、类型、金额……）"))
            continue
        item = dict(item)
        item_where = item.pop("_where", where)
        entry = {}
        for key, value in item.items():
            sub = _spec_for(key, spec.items)
            if sub is None:
                problems.append(RecordProblem(item_where, f"{spec.label}[{i + 1}].{key}", "未知字段"))
                continue
            if _blank(value):
                continue
            converted = _convert(value, sub, kb, item_where, problems, prefix=f"{spec.label}[{i + 1}].")
            if converted is not None:
                entry[sub.id] = converted
        out.append(entry)
    return out


def _convert(value, spec: FieldSpec, kb: KnowledgeBase, where, problems, prefix="") -> Any:
    """The value of ``spec``'s type, None when blank; a problem when it cannot be converted."""
    name = prefix + spec.label  # the column header the officer sees

    def bad(message):
        problems.append(RecordProblem(where, name, message))

    if _blank(value):
        return None
    if spec.type == "text":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        return str(value) if not isinstance(value, str) else value
    if spec.type == "number":
        number = _number(value)
        if number is None:
            bad(f"{spec.label}不是数字：“{value}”")
        elif number < 0:
            bad(f"{spec.label}不能为负数：{value}")
        return number
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().casefold()
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        bad(f"{spec.label}应为“是”或“否”，实为“{value}”")
        return None
    vocab = kb.vocabularies[spec.vocabulary]
    if spec.type == "enum":
        resolved = vocab.resolve(str(value).strip())
        if resolved is None:
            bad(f"{spec.label}的取值“{value}”不在可选范围内（{'、'.join(e.label for e in vocab)}）")
        return resolved
    # enum_list
    if isinstance(value, list):
        parts = [str(v) for v in value]
    elif str(value).strip().casefold() in NONE_WORDS:
        return []
    else:
        parts = LIST_SEPARATORS.split(str(value))
    out = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        resolved = vocab.resolve(part)
        if resolved is None:
            bad(f"{spec.label}中的“{part}”不在可选范围内（{'、'.join(e.label for e in vocab)}）")
        elif resolved not in out:
            out.append(resolved)
    return out


def _number(value) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = value
    else:
        text = str(value).strip().replace(",", "").replace("，", "").removesuffix("%").removesuffix("％")
        try:
            number = float(text)
        except ValueError:
            return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return int(number) if float(number).is_integer() else number


def _check_record(facts: dict, where: str, problems: list, labels: dict) -> None:
    code = facts.get("id")
    if code is None:
        problems.append(RecordProblem(where, labels["id"], "缺少统一社会信用代码"))
    else:
        code = code.strip().upper()
        facts["id"] = code
        why = uscc.problem(code)
        if why:
            problems.append(RecordProblem(where, labels["id"], f"{why}（“{code}”）"))
    if not facts.get("name", "").strip():
        problems.append(RecordProblem(where, labels["name"], "缺少企业名称"))
    industry_code = facts.get("industry_code")
    if industry_code is not None:
        industry_code = industry_code.strip().upper()
        facts["industry_code"] = industry_code
        if not INDUSTRY_CODE.match(industry_code):
            problems.append(RecordProblem(where, labels["industry_code"], f"行业代码应为门类字母加2-4位数字（如C3670），实为“{industry_code}”"))
    if "sector" not in facts and "industry_code" not in facts:
        problems.append(RecordProblem(where, labels["sector"], "所属产业和行业代码至少填写一项"))


# ---------------------------------------------------------------- writing

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
