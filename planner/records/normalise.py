"""From raw rows to records: convert every value, check identity, reject what cannot be identified."""

from __future__ import annotations

from typing import Any

from planner import uscc
from planner.knowledge import FieldSpec, KnowledgeBase
from planner.records.model import Raw, ReadResult, Record, RecordProblem, RejectedRecord
from planner.records.values import blank, convert, norm_header

INDUSTRY_CODE = __import__("re").compile(r"^[A-T]\d{2,4}$")


def normalise_all(raws: list[Raw], kb: KnowledgeBase, warnings) -> ReadResult:
    records, rejected = [], []
    seen: dict[str, str] = {}
    rejected_count = 0
    rejected_records: list[RejectedRecord] = []
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
            rejected_records.append(RejectedRecord(raw.where, str(facts.get("name") or raw.values.get("name") or ""),
                                                   str(facts.get("id") or raw.values.get("id") or ""), facts,
                                                   tuple(problems)))
            continue
        seen[code] = raw.where
        records.append(Record(facts, raw.where))
    return ReadResult(records, rejected, warnings, rejected_count, rejected_records)


def _normalise(raw: Raw, kb: KnowledgeBase, problems: list) -> dict:
    facts: dict[str, Any] = {}
    if not raw.values and raw.receivables is None:
        problems.append(RecordProblem(raw.where, "-", "不是一条企业记录（应为键值映射）"))
        return facts
    for key, value in raw.values.items():
        spec = _spec_for(key, kb.fields)
        if spec is None or spec.derived or spec.type == "records":
            problems.append(RecordProblem(raw.where, str(key), "未知字段"))
            continue
        converted = convert(value, spec, kb, raw.where, problems)
        if converted is not None:
            facts[spec.id] = converted
    if raw.receivables is not None:
        facts["receivables"] = _receivables(raw.receivables, kb, raw.where, problems)
    _check_record(facts, raw.where, problems, {k: f.label for k, f in kb.fields.items()})
    return facts


def _spec_for(key, specs: dict) -> FieldSpec | None:
    if key in specs:
        return specs[key]
    wanted = norm_header(key)
    for spec in specs.values():
        if wanted in {norm_header(s) for s in (spec.id, spec.label, *spec.aliases)}:
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
            if blank(value):
                continue
            converted = convert(value, sub, kb, item_where, problems, prefix=f"{spec.label}[{i + 1}].")
            if converted is not None:
                entry[sub.id] = converted
        out.append(entry)
    return out


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
