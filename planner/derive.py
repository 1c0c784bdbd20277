"""Derived facts: industry door, entity type, sector, size, VAT-refund size, above-scale status,
hired staff and insurance as a unit, each with its basis.

A derived fact is recorded in ``Record.derived`` with a plain sentence saying where it came from.
A plan prints it in parentheses after the value, e.g. 企业规模：小型（从业人员150人、营业收入5000万元，
按工业标准为小型，从业人员未达中型下限300人）, so a basis reads as a clause: figures first, then
the rule that decided. A fact the record gives is never overwritten.
"""

from __future__ import annotations

from planner.knowledge import OTHER_SECTOR, KnowledgeBase
from planner.records import Record

TIERS = ("large", "medium", "small")
_UNITS = {"employees": "人", "revenue": "万元", "assets": "万元"}
_TIER_LABEL = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
_HIGHER = {"medium": "large", "small": "medium"}
_INDIVIDUAL_PREFIX = "92"  # GB 32100: authority 9 (market regulation), type 2 (个体工商户)


def derive(record: Record, kb: KnowledgeBase) -> Record:
    """Fill the derivable facts that ``record`` does not give; returns the same record."""
    facts = record.facts
    code = facts.get("industry_code")
    if code:
        door = code[0]
        if door in kb.vocabularies["industry_doors"]:
            facts["industry_door"] = door
            record.derived["industry_door"] = f"按行业代码{code}属{kb.vocab_label('industry_doors', door)}"
    if "entity_type" not in facts and facts.get("id"):
        prefix = facts["id"][:2]
        entity = "individual_business" if prefix == _INDIVIDUAL_PREFIX else "enterprise"
        facts["entity_type"] = entity
        label = kb.vocab_label("entity_types", entity)
        if prefix in (_INDIVIDUAL_PREFIX, "91"):
            record.derived["entity_type"] = f"统一社会信用代码以“{prefix}”开头，登记为{label}"
        else:
            record.derived["entity_type"] = f"统一社会信用代码以“{prefix}”开头，不是个体工商户，按{label}对待"
    if "sector" not in facts and code:
        facts["sector"] = sector_of(facts, kb)
        if facts["sector"] != OTHER_SECTOR:
            record.derived["sector"] = f"行业代码{code}属{kb.sectors[facts['sector']].name}产业"
        else:
            record.derived["sector"] = f"行业代码{code}不属于{_chinese_count(len(kb.sectors))}个重点产业"
    # Individual businesses are classified by the same standard (工信部联企业〔2011〕300号, art. 7).
    if "size" not in facts and code:
        size = classify_size(code, facts, kb)
        if size:
            facts["size"], record.derived["size"] = size
    # The refund size differs from the SME size (no employees): derived even when size is given.
    if "vat_refund_size" not in facts and code:
        refund = classify_vat_refund_size(code, facts, kb)
        if refund:
            facts["vat_refund_size"], record.derived["vat_refund_size"] = refund
    if "above_scale" not in facts and code:
        rule = kb.size_standard["above_scale"]
        revenue = facts.get("revenue")
        if revenue is not None and any(code.startswith(p) for p in rule["codes"]):
            line = rule["revenue_min"]
            facts["above_scale"] = revenue >= line
            verdict = "达到" if revenue >= line else "低于"
            record.derived["above_scale"] = f"营业收入{_num(revenue)}万元，{verdict}规上标准{_num(line)}万元"
    entity = facts.get("entity_type")
    employees = facts.get("employees")
    # 从业人员 counts the owner: an individual business of one person has no hired staff. With more
    # people the number hired is not known (an owner's family may work without being hired).
    if facts.get("hired_employees") is None and entity == "individual_business" \
            and employees is not None and employees <= 1:
        facts["hired_employees"] = 0
        owner = "，即经营者本人" if employees == 1 else ""
        record.derived["hired_employees"] = f"从业人员{_num(employees)}人{owner}，无雇工"
    if facts.get("insured_as_unit") is None and entity == "enterprise":
        facts["insured_as_unit"] = True
        record.derived["insured_as_unit"] = "企业以单位方式为职工参保"
    for field_id, condition, value, basis in kb.implied:  # fields.yaml `implied`: e.g. 停产 → 暂时困难
        if facts.get(field_id) is None and condition.evaluate(_PlainFacts(facts)).value is True:
            facts[field_id] = value
            record.derived[field_id] = basis
    return record


class _PlainFacts:
    """The record's facts as a condition reads them, for implied facts (no wording needed)."""

    def __init__(self, facts: dict):
        self.facts = facts

    def value(self, field_id: str):
        return self.facts.get(field_id)

    def show(self, field_id: str, value, unit: str = "") -> str:
        return f"{value}{unit}"


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


def grade(values: dict, bounds: dict) -> tuple[str, tuple[str, str] | None] | None:
    """The standard's tiering of ``values`` (indicator → figure or None) against ``bounds``.

    Large, medium and small must meet every bound of their tier; micro is below the small bound
    on any one indicator. A missing figure leaves the tier unknown (None) unless another figure
    is already below the small bound. Returns (tier, reason): reason is (indicator, tier) of the
    bound that decided it — for micro the small bound it is below; for a lower tier the bound of
    the tier above that it missed while another indicator met that tier — else None.
    """
    below_small = [k for k, v in values.items() if v is not None and v < bounds[k]["small"]]
    if below_small:
        return "micro", (below_small[0], "small")
    if any(v is None for v in values.values()):
        return None
    missed = None
    for tier in TIERS:
        failing = [k for k, v in values.items() if v < bounds[k][tier]]
        if not failing:
            return tier, missed
        # Dropped a tier on one indicator while another met it: that bound decided.
        missed = (failing[0], tier) if len(failing) < len(values) else None
    return None  # unreachable: a value below every small bound returned micro above


def classify_size(code: str, facts: dict, kb: KnowledgeBase) -> tuple[str, str] | None:
    """(size, basis) by the national standard, or None when the figures do not decide it."""
    cls = size_class(code, kb)
    if cls is None:
        return None
    names = kb.size_standard["indicators"]
    bounds = cls["bounds"]
    values = {k: facts.get(k) for k in bounds}
    graded = grade(values, bounds)
    if graded is None:
        return None
    tier, reason = graded
    shown = "、".join(f"{names[k]}{_num(v)}{_UNITS.get(k, '')}" for k, v in values.items() if v is not None)
    if tier == "micro":
        k = reason[0]
        return tier, (f"{shown}，{cls['term']}企业{names[k]}{_below(k)}{_num(bounds[k]['small'])}"
                      f"{_UNITS.get(k, '')}即为微型")
    return tier, f"{shown}，按{cls['term']}标准为{_TIER_LABEL[tier]}{_missed(reason, bounds, names)}"


def classify_vat_refund_size(code: str, facts: dict, kb: KnowledgeBase) -> tuple[str, str] | None:
    """(size, basis) for the VAT credit refund (size_standard.yaml vat_refund), or None when unknown.

    财政部 税务总局公告2022年第14号第六条: the SME standard's operating-revenue and total-assets
    indicators only, operating revenue read as the previous year's VAT sales (the record's
    ``revenue_as`` field when given, else its revenue). An industry whose class uses neither, and
    one the standard does not list, is sized by VAT sales alone (``fallback``); the ``no_sizing``
    codes (finance, another standard) are left unknown.
    """
    standard = kb.size_standard
    vat = standard["vat_refund"]
    if any(code.startswith(p) for p in vat["no_sizing"]["codes"]):
        return None
    names = standard["indicators"]
    cls = size_class(code, kb)
    used = {k: b for k, b in (cls["bounds"] if cls else {}).items() if k in vat["indicators"]}
    fallback = not used
    bounds = vat["fallback"]["bounds"] if fallback else used
    values, shown = {}, []
    for k in bounds:
        value, text = _vat_figure(k, facts, vat, names, fallback)
        values[k] = value
        if text:
            shown.append(text)
    graded = grade(values, bounds)
    if graded is None:
        return None
    tier, reason = graded
    figures = "、".join(shown)
    if fallback:
        note = vat["fallback"]["no_indicator" if cls else "unlisted"]
        k = reason[0] if reason else next(iter(bounds))
        unit = _UNITS.get(k, "")
        low = bounds[k]["small" if tier == "micro" else tier]
        if tier == "micro":
            rule = f"低于{_num(low)}{unit}为微型"
        elif tier == "large":
            rule = f"达到{_num(low)}{unit}为大型"
        else:
            rule = f"达到{_num(low)}{unit}、不足{_num(bounds[k][_HIGHER[tier]])}{unit}为{_TIER_LABEL[tier]}"
        return tier, f"按{figures}，{rule}；{note}"
    unused = [names[k] for k in cls["bounds"] if k not in used]
    tail = f"；{vat['label']}不看{'、'.join(unused)}" if unused else ""
    if tier == "micro":
        k = reason[0]
        return tier, (f"按{figures}，{cls['term']}{names[k]}低于{_num(bounds[k]['small'])}{_UNITS.get(k, '')}"
                      f"即为微型{tail}")
    return tier, f"按{figures}，达到{cls['term']}{_TIER_LABEL[tier]}标准{_missed(reason, bounds, names)}{tail}"


def _vat_figure(k: str, facts: dict, vat: dict, names: dict, fallback: bool) -> tuple:
    """(value, shown text) of indicator ``k`` for the refund sizing; revenue is the VAT sales."""
    if k != "revenue":
        value = facts.get(k)
        return value, (f"{names[k]}{_num(value)}{_UNITS.get(k, '')}" if value is not None else "")
    sales = facts.get(vat["revenue_as"])
    if sales is not None:
        return sales, (f"上年度增值税销售额{_num(sales)}万元" if fallback
                       else f"上年度增值税销售额{_num(sales)}万元")
    revenue = facts.get("revenue")
    if revenue is None:
        return None, ""
    return revenue, f"营业收入{_num(revenue)}万元，暂代上年度增值税销售额"


def _missed(reason, bounds: dict, names: dict) -> str:
    """"，营业收入未达中型下限2000万元" when a tier was missed, else ""."""
    if not reason:
        return ""
    k, tier = reason
    return f"，{names[k]}未达{_TIER_LABEL[tier]}下限{_num(bounds[k][tier])}{_UNITS.get(k, '')}"


def _below(indicator: str) -> str:
    return "不足" if indicator == "employees" else "低于"


def _chinese_count(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
