"""From raw rows to records: convert every value; reject only what cannot be identified.

A row is **rejected** (level ``rejected``, 已跳过) only when it has no usable identity:

- no 统一社会信用代码, or one that fails the check (after NFKC and removing spaces, so a
  full-width ``９１３３…`` is read, with a notice);
- no 企业名称;
- a credit code already used by an earlier row. The *earlier* row is kept and the later one is
  rejected; the rejection names the earlier row, and the earlier row gets a notice naming the
  later one, so the problem list shows both. Keeping the first is what an officer expects of a
  list in which a row was pasted twice, and an enterprise is never lost because of a duplicate:
  at worst the officer corrects which row is current.

Every other bad value keeps the enterprise: the fact is left out (unknown, so the measures that
need it are 待核实 and its question goes on the brief) and a warning names the row, the
enterprise, the column, the value and 按未知处理. This includes a malformed industry code, a
record with neither 所属产业 nor 行业代码, an unknown key in a YAML record (ignored, as an
unknown XLSX column is) and every field of a receivable; a receivable that is not an item at
all, or has nothing readable, is skipped with a warning, never its enterprise.

A sum row (名称 or first cell 合计/总计/小计…, ``reading.total_rows`` of vocabulary.yaml, and no
credit code) is skipped with a notice and not counted as a rejected record.
"""

from __future__ import annotations

import re
from typing import Any

from planner import uscc
from planner.knowledge import FieldSpec, KnowledgeBase
from planner.records.model import Raw, ReadResult, Record, RecordProblem, RejectedRecord
from planner.records.values import UNKNOWN, blank, convert, norm_header, plain, shown

INDUSTRY_CODE = re.compile(r"^[A-T]\d{2,4}$")
SKIPPED = "已跳过"
IGNORED = "已忽略"


def normalise_all(raws: list[Raw], kb: KnowledgeBase, warnings) -> ReadResult:
    records, rejected = [], []
    seen: dict[str, tuple[str, str]] = {}  # credit code → (where, name) of the row kept
    rejected_records: list[RejectedRecord] = []
    warned = 0
    labels = {k: f.label for k, f in kb.fields.items()}
    for raw in raws:
        total = _total_row(raw, kb)
        if total is not None:
            warnings.append(RecordProblem(raw.where, "-", f"“{total}”行是合计行，不是企业，已忽略", value=total,
                                          outcome=IGNORED, level="notice"))
            continue
        problems: list[RecordProblem] = []
        facts = _normalise(raw, kb, problems)
        code, name = facts.get("id"), str(facts.get("name") or "")
        if code and code in seen and not any(p.level == "rejected" for p in problems):
            first_where, first_name = seen[code]
            problems.append(RecordProblem(
                raw.where, labels["id"], f"统一社会信用代码与{first_where}（{first_name}）重复，保留先出现的一行",
                name, code, code, SKIPPED, "rejected"))
            warnings.append(RecordProblem(
                first_where, labels["id"], f"统一社会信用代码在{raw.where}（{name}）再次出现，该行已跳过",
                first_name, code, code, "已保留本行", "notice"))
        if any(p.level == "rejected" for p in problems):
            rejected.extend(problems)
            rejected_records.append(RejectedRecord(raw.where, name or shown(raw.values.get("name") or ""),
                                                   str(code or shown(raw.values.get("id") or "")), facts,
                                                   tuple(problems)))
            continue
        warnings.extend(problems)
        if any(p.level == "warning" for p in problems):
            warned += 1
        seen[code] = (raw.where, name)
        records.append(Record(facts, raw.where))
    return ReadResult(records, rejected, warnings, len(rejected_records), rejected_records, warned)


def _total_row(raw: Raw, kb: KnowledgeBase) -> str | None:
    """The word of a sum row (合计…), when ``raw`` is one: no credit code, and its name or its
    first cell is one of ``reading.total_rows``."""
    words = {plain(w) for w in kb.reading.get("total_rows") or ()}
    if not words or not raw.values or not blank(raw.values.get("id")):
        return None
    first = next(iter(raw.values.values()))
    for cell in (raw.values.get("name"), first):
        if not blank(cell) and plain(shown(cell)).rstrip(":：") in words:
            return shown(cell).strip()
    return None


def _normalise(raw: Raw, kb: KnowledgeBase, problems: list) -> dict:
    facts: dict[str, Any] = {}
    labels = {k: f.label for k, f in kb.fields.items()}
    if not raw.values and raw.receivables is None:
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
