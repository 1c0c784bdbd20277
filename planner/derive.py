"""Derived facts: industry door, sector, size and above-scale status, each with its basis.

A derived fact is recorded in ``Record.derived`` with the figures it came from, so a plan can
say 企业规模为小型（按从业人员150人、营业收入5000万元推算）. A fact the record gives is never
overwritten.
"""

from __future__ import annotations

from planner.knowledge import OTHER_SECTOR, KnowledgeBase
from planner.records import Record

TIERS = ("large", "medium", "small")
_UNITS = {"employees": "人", "revenue": "万元", "assets": "万元"}


def derive(record: Record, kb: KnowledgeBase) -> Record:
    """Fill the derivable facts that ``record`` does not give; returns the same record."""
    facts = record.facts
    code = facts.get("industry_code")
    if code:
        door = code[0]
        if door in kb.vocabularies["industry_doors"]:
            facts["industry_door"] = door
            record.derived["industry_door"] = f"按行业代码{code}"
    if "entity_type" not in facts and facts.get("id"):
        entity = "individual_business" if facts["id"][:2] == "92" else "enterprise"
        facts["entity_type"] = entity
        record.derived["entity_type"] = f"按统一社会信用代码第1-2位“{facts['id'][:2]}”推断"
    if "sector" not in facts and code:
        facts["sector"] = sector_of(facts, kb)
        if facts["sector"] != OTHER_SECTOR:
            record.derived["sector"] = f"按行业代码{code}推断"
        else:
            record.derived["sector"] = f"行业代码{code}不属于任何重点产业"
    # Individual businesses are classified by the same standard (工信部联企业〔2011〕300号, art. 7).
    if "size" not in facts and code:
        size = classify_size(code, facts, kb)
        if size:
            facts["size"], record.derived["size"] = size
    if "above_scale" not in facts and code:
        rule = kb.size_standard["above_scale"]
        revenue = facts.get("revenue")
        if revenue is not None and any(code.startswith(p) for p in rule["codes"]):
            line = rule["revenue_min"]
            facts["above_scale"] = revenue >= line
            record.derived["above_scale"] = f"按营业收入{_num(revenue)}万元推算，规上标准为{_num(line)}万元"
    return record


def sector_of(facts: dict, kb: KnowledgeBase) -> str | None:
    """The sector of a record: as given, else by its industry code (None without either)."""
    if facts.get("sector"):
        return facts["sector"]
    code = facts.get("industry_code")
    if not code:
        return None
    match = kb.sector_for_code(code)
    return match[0] if match else OTHER_SECTOR


def size_class(code: str, kb: KnowledgeBase) -> dict | None:
    """The size-standard class of an industry code (longest prefix), or None when unclassified."""
    standard = kb.size_standard
    best, best_len = None, -1
    for cls in standard["classes"]:
        for prefix in cls["codes"]:
            if code.startswith(prefix) and len(prefix) > best_len:
                best, best_len = cls, len(prefix)
    for prefix in standard["unclassified"]["codes"]:
        if code.startswith(prefix) and len(prefix) >= best_len:
            return None
    return best


def classify_size(code: str, facts: dict, kb: KnowledgeBase) -> tuple[str, str] | None:
    """(size, basis) by the national standard, or None when the figures do not decide it.

    Large, medium and small must meet every bound of their tier; micro is below the small
    bound on any one indicator. A missing figure leaves the size unknown unless another
    figure is already below the small bound.
    """
    cls = size_class(code, kb)
    if cls is None:
        return None
    names = kb.size_standard["indicators"]
    bounds = cls["bounds"]
    values = {k: facts.get(k) for k in bounds}
    shown = "、".join(f"{names[k]}{_num(v)}{_UNITS.get(k, '')}" for k, v in values.items() if v is not None)
    below_small = [k for k, v in values.items() if v is not None and v < bounds[k]["small"]]
    if below_small:
        k = below_small[0]
        return "micro", (f"按{shown}推算，{cls['label']}{names[k]}低于小型下限"
                         f"{_num(bounds[k]['small'])}{_UNITS.get(k, '')}")
    if any(v is None for v in values.values()):
        return None
    short_of = ""
    for tier in TIERS:
        failing = [k for k, v in values.items() if v < bounds[k][tier]]
        if not failing:
            detail = f"，{cls['label']}{short_of}" if short_of else f"（{cls['label']}标准）"
            return tier, f"按{shown}推算{detail}"
        k = failing[0]
        short_of = f"{names[k]}未达{_TIER_LABEL[tier]}下限{_num(bounds[k][tier])}{_UNITS.get(k, '')}"
    return None  # unreachable: a value below every small bound returned micro above


_TIER_LABEL = {"large": "大型", "medium": "中型", "small": "小型"}


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
