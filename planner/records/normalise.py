"""From raw rows to records: convert every value; reject only what cannot be identified.

A row is **rejected** (level ``rejected``, 已跳过) only when it has no usable identity:

- no 统一社会信用代码, or one that fails the check (after NFKC and removing spaces, so a
  full-width ``９１３３…`` is read, with a notice);
- no 企业名称 (a row with neither code nor name: one rejection saying both are missing);
- a credit code that another row has too. When the rows also have the same 企业名称 (after NFKC
  and removing spaces) the enterprise was listed twice: the first row is kept, each later one is
  rejected naming the first, and the first gets a notice naming the later one. When the names
  differ the list cannot tell whose code it is: every row with that code is rejected, each
  naming the others, and the officer decides.

A rejected row keeps the problems that explain the rejection (first) and its warnings, from any
stage of reading; its notices (how a value was read leniently) are dropped.

Every other bad value keeps the enterprise: the fact is left out (unknown, so the measures that
need it are 待核实 and its question goes on the brief) and a warning names the row, the
enterprise, the column, the value and 按未知处理. This includes a malformed industry code, a
record with neither 所属产业 nor 行业代码, an unknown key in a YAML record (ignored, as an
unknown XLSX column is) and every field of a receivable; a receivable that is not an item at
all, or has nothing readable, is skipped with a warning, never its enterprise.

A sum row (合计/总计/小计…, ``reading.total_rows`` of vocabulary.yaml, and no credit code) is
skipped with a notice and not counted as a rejected record: a table's is found by the reader,
which sees every cell of the row (sources); a YAML item's here, by its name or first value.
"""

from __future__ import annotations

import re
from typing import Any

from planner import uscc
from planner.knowledge import FieldSpec, KnowledgeBase
from planner.records.model import Raw, ReadResult, Record, RecordProblem, RejectedRecord
from planner.records.values import UNKNOWN, blank, convert, norm_header, plain, says_total, shown

INDUSTRY_CODE = re.compile(r"^[A-T]\d{2,4}$")
SKIPPED = "已跳过"
IGNORED = "已忽略"


def normalise_all(raws: list[Raw], kb: KnowledgeBase, warnings) -> ReadResult:
    """Records and rejected rows of ``raws``; ``warnings`` holds the readers' problems so far
    (of the file and of rows) and receives every problem of the kept records."""
    labels = {k: f.label for k, f in kb.fields.items()}
    rows: list[tuple[Raw, dict, list]] = []
    for raw in raws:
        total = _total_row(raw, kb)
        if total is not None:
            warnings.append(RecordProblem(raw.where, "-", f"“{total}”行是合计行，不是企业，已忽略", value=total,
                                          outcome=IGNORED, level="notice"))
            continue
        problems: list[RecordProblem] = []
        facts = _normalise(raw, kb, problems)
        rows.append((raw, facts, problems))
    _duplicates(rows, labels)
    rejected_wheres = {raw.where for raw, _, problems in rows if any(p.level == "rejected" for p in problems)}
    # A rejected row's problems from the reader (a formula without result, a merged cell …) belong to it.
    earlier: dict[str, list[RecordProblem]] = {}
    kept_warnings = []
    for p in warnings:
        if p.where in rejected_wheres:
            earlier.setdefault(p.where, []).append(p)
        else:
            kept_warnings.append(p)
    warnings[:] = kept_warnings
    records, rejected, rejected_records = [], [], []
    for raw, facts, problems in rows:
        if raw.where in rejected_wheres:
            # The reasons first (the summary shows them as 原因), then the row's warnings; how a
            # value of a skipped row was read leniently (notices) does not matter any more.
            kept = [p for p in problems if p.level == "rejected"] + \
                [p for p in (*earlier.get(raw.where, ()), *problems) if p.level == "warning"]
            rejected.extend(kept)
            code, name = facts.get("id"), str(facts.get("name") or "")
            rejected_records.append(RejectedRecord(raw.where, name or shown(raw.values.get("name") or ""),
                                                   str(code or shown(raw.values.get("id") or "")), facts,
                                                   tuple(kept)))
            continue
        warnings.extend(problems)
        records.append(Record(facts, raw.where))
    return ReadResult(records, rejected, warnings, len(rejected_records), rejected_records,
                      _warned(records, {raw.where for raw in raws}, warnings))


def _warned(records: list[Record], raw_wheres: set, problems) -> int:
    """How many of ``records`` have a problem of level "warning": on their own row (from any
    stage) or on a row of a second table (被拖欠账款) that names their credit code."""
    wheres, codes = set(), set()
    for p in problems:
        if p.level != "warning":
            continue
        wheres.add(p.where)
        if p.code and p.where not in raw_wheres and _ROW.match(p.where):
            codes.add(p.code)
    return sum(1 for r in records if r.where in wheres or r.facts.get("id") in codes)


def _duplicates(rows: list[tuple[Raw, dict, list]], labels: dict) -> None:
    """Rows that share a credit code (and are not rejected otherwise). With the same enterprise
    name the enterprise is listed twice: the first row is kept, each later one rejected, and
    both rows say so. With different names the list cannot tell whose code it is: every row of
    the code is rejected, each naming the others."""
    by_code: dict[str, list[int]] = {}
    for i, (_, facts, problems) in enumerate(rows):
        if facts.get("id") and not any(p.level == "rejected" for p in problems):
            by_code.setdefault(facts["id"], []).append(i)
    for code, group in by_code.items():
        if len(group) < 2:
            continue
        names = [str(rows[i][1].get("name") or "") for i in group]
        label = labels["id"]
        if len({plain(n) for n in names}) == 1:
            first_raw, _, first_problems = rows[group[0]]
            for i in group[1:]:
                raw, _, problems = rows[i]
                ref, first_ref = _ref(first_raw.where, raw.where), _ref(raw.where, first_raw.where)
                problems.append(RecordProblem(
                    raw.where, label, f"与{ref}（{names[0]}）统一社会信用代码相同、企业名称相同，是重复行，保留先出现的一行",
                    names[group.index(i)], code, code, SKIPPED, "rejected"))
                first_problems.append(RecordProblem(
                    first_raw.where, label, f"{first_ref}（{names[group.index(i)]}）与本行统一社会信用代码相同、企业名称相同，"
                    "已按重复行跳过", names[0], code, code, "已保留本行", "notice"))
            continue
        for k, i in enumerate(group):
            raw, _, problems = rows[i]
            others = "、".join(f"{_ref(rows[j][0].where, raw.where)}（{names[n]}）"
                              for n, j in enumerate(group) if j != i)
            problems.append(RecordProblem(
                raw.where, label, f"统一社会信用代码与{others}相同而企业名称不同，无法判断属于哪家企业，均已跳过",
                names[k], code, code, SKIPPED, "rejected"))


_ROW = re.compile(r"^(?P<source>.*?):(?P<row>\d+)$")
_SHEET = re.compile(r"^(?P<file>.*?)\[(?P<sheet>[^\]]*)\]$")


def _ref(where: str, here: str) -> str:
    """Row ``where`` as named on row ``here``: 第9行 in the same table, 工作表“镇海区”第2行 in
    another sheet of the same workbook, else the file and row."""
    m, h = _ROW.match(where), _ROW.match(here)
    if not m:
        return where
    if h and h.group("source") == m.group("source"):
        return f"第{m.group('row')}行"
    sheet, other = _SHEET.match(m.group("source")), _SHEET.match(h.group("source")) if h else None
    if sheet and other and sheet.group("file") == other.group("file"):
        return f"工作表“{sheet.group('sheet')}”第{m.group('row')}行"
    return where


def _total_row(raw: Raw, kb: KnowledgeBase) -> str | None:
    """The word of a sum row (合计…), when ``raw`` is one: no credit code, and its name or its
    first value names a sum row (``says_total``)."""
    if not raw.values or not blank(raw.values.get("id")):
        return None
    first = next(iter(raw.values.values()))
    for cell in (raw.values.get("name"), first):
        if says_total(cell, kb):
            return shown(cell).strip()
    return None


def _normalise(raw: Raw, kb: KnowledgeBase, problems: list) -> dict:
    facts: dict[str, Any] = {}
    labels = {k: f.label for k, f in kb.fields.items()}
    if not raw.mapping:  # a YAML list item that is no mapping
        problems.append(RecordProblem(raw.where, "-", "不是一条企业记录（应为键值映射）", outcome=SKIPPED, level="rejected"))
        return facts
    name, code = _identity(raw, kb, facts, problems, labels)

    def noter(where: str, label: str, given):
        def note(message, outcome=UNKNOWN, value=None, level="warning"):
            problems.append(RecordProblem(where, label, message, name, code,
                                          shown(given) if value is None else value, outcome, level))
        return note

    for key, value in raw.values.items():
        spec = _spec_for(key, kb.fields)
        if spec is None or spec.derived or spec.type == "records":
            noter(raw.where, str(key), value)(f"未识别的字段“{key}”", IGNORED)
            continue
        if spec.id in ("id", "name"):
            continue
        converted = convert(value, spec, kb, noter(raw.where, spec.label, value))
        if converted is not None:
            facts[spec.id] = converted
    if raw.receivables is not None:
        facts["receivables"] = _receivables(raw.receivables, kb, raw.where, noter)
    _check_sector(facts, raw.where, noter, labels)
    return facts


def _identity(raw: Raw, kb: KnowledgeBase, facts: dict, problems: list, labels: dict) -> tuple[str, str]:
    """The credit code and name of ``raw`` into ``facts``; rejections when either is unusable."""
    given_name = raw.values.get("name")
    name = "" if blank(given_name) else (given_name if isinstance(given_name, str) else shown(given_name))
    given_code = raw.values.get("id")
    code = "" if blank(given_code) else shown(given_code).strip().upper()
    if code:
        normal = plain(code).upper()
        if normal != code:
            problems.append(RecordProblem(raw.where, labels["id"], "统一社会信用代码含全角字符或空格", name, normal,
                                          shown(given_code), f"已按“{normal}”解读", "notice"))
            code = normal
        facts["id"] = code
    if name.strip():
        facts["name"] = name
    reject = lambda field, message: problems.append(  # noqa: E731
        RecordProblem(raw.where, labels[field], message, name, code, "" if blank(raw.values.get(field)) else
                      shown(raw.values[field]), SKIPPED, "rejected"))
    if not code and not name.strip():
        problems.append(RecordProblem(raw.where, "-", f"缺少{labels['id']}和{labels['name']}，无法识别企业",
                                      outcome=SKIPPED, level="rejected"))
        return name, code
    if not code:
        reject("id", "缺少统一社会信用代码，无法识别企业")
    else:
        why = uscc.problem(code)
        if why:
            reject("id", f"{why}（“{code}”），无法识别企业")
    if not name.strip():
        reject("name", "缺少企业名称，无法识别企业")
    return name, code


def _spec_for(key, specs: dict) -> FieldSpec | None:
    if key in specs:
        return specs[key]
    wanted = norm_header(key)
    for spec in specs.values():
        if wanted in {norm_header(s) for s in (spec.id, spec.label, *spec.aliases)}:
            return spec
    return None


def _receivables(items: list, kb, where, noter) -> list[dict]:
    spec = next(f for f in kb.fields.values() if f.type == "records")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            noter(where, f"{spec.label}[{i + 1}]", item)("应为一笔账款（欠款单位、类型、金额……），该笔已跳过", SKIPPED)
            continue
        item = dict(item)
        table = "_where" in item  # from the receivables sheet: the officer sees its columns
        item_where = item.pop("_where", where)
        prefix = "" if table else f"{spec.label}[{i + 1}]."
        entry, problems_before = {}, 0
        for key, value in item.items():
            sub = _spec_for(key, spec.items)
            if sub is None:
                noter(item_where, f"{prefix}{key}", value)(f"未识别的字段“{key}”", IGNORED)
                continue
            if blank(value):
                continue
            converted = convert(value, sub, kb, noter(item_where, prefix + sub.label, value))
            if converted is not None:
                entry[sub.id] = converted
            else:
                problems_before += 1
        if not entry:
            if problems_before:
                noter(item_where, f"{prefix}{spec.label}" if prefix else spec.label, "")(
                    "该笔账款没有可读取的内容，已跳过", SKIPPED)
            continue
        out.append(entry)
    return out


def _check_sector(facts: dict, where: str, noter, labels: dict) -> None:
    industry_code = facts.get("industry_code")
    if industry_code is not None:
        normal = plain(industry_code).upper()
        if INDUSTRY_CODE.match(normal):
            facts["industry_code"] = normal
        else:
            del facts["industry_code"]
            noter(where, labels["industry_code"], industry_code)(
                f"行业代码应为门类字母加2-4位数字（如C3670），实为“{industry_code}”")
    if "sector" not in facts and "industry_code" not in facts:
        noter(where, labels["sector"], "")("所属产业和行业代码均未填写或无法读取，产业待核实")
