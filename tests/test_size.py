"""Enterprise size by the national standard (DOMAIN.md §3): every row, both sides of each bound."""

from __future__ import annotations

import pytest

from planner.derive import classify_size, classify_vat_refund_size

# The table of DOMAIN.md §3, written out here independently of sectors/size_standard.yaml:
# (a code of the industry, {indicator: (large, medium, small)}).
TABLE = [
    ("A0111", {"revenue": (20000, 500, 50)}),
    ("B0610", {"employees": (1000, 300, 20), "revenue": (40000, 2000, 300)}),
    ("C3670", {"employees": (1000, 300, 20), "revenue": (40000, 2000, 300)}),
    ("D4411", {"employees": (1000, 300, 20), "revenue": (40000, 2000, 300)}),
    ("E4710", {"revenue": (80000, 6000, 300), "assets": (80000, 5000, 300)}),
    ("F5137", {"employees": (200, 20, 5), "revenue": (40000, 5000, 1000)}),
    ("F5211", {"employees": (300, 50, 10), "revenue": (20000, 500, 100)}),
    ("G5430", {"employees": (1000, 300, 20), "revenue": (30000, 3000, 200)}),
    ("G5920", {"employees": (200, 100, 20), "revenue": (30000, 1000, 100)}),
    ("G6010", {"employees": (1000, 300, 20), "revenue": (30000, 2000, 100)}),
    ("H6110", {"employees": (300, 100, 10), "revenue": (10000, 2000, 100)}),
    ("H6210", {"employees": (300, 100, 10), "revenue": (10000, 2000, 100)}),
    ("I6311", {"employees": (2000, 100, 10), "revenue": (100000, 1000, 100)}),
    ("I6510", {"employees": (300, 100, 10), "revenue": (10000, 1000, 50)}),
    ("K7010", {"revenue": (200000, 1000, 100), "assets": (10000, 5000, 2000)}),
    ("K7020", {"employees": (1000, 300, 100), "revenue": (5000, 1000, 500)}),
    ("L7212", {"employees": (300, 100, 10), "assets": (120000, 8000, 100)}),
    ("M7320", {"employees": (300, 100, 10)}),
]
TIERS = ("large", "medium", "small")
BELOW = {"large": "medium", "medium": "small", "small": "micro"}
LABEL = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}


def cases():
    for code, bounds in TABLE:
        for t, tier in enumerate(TIERS):
            at = {k: v[t] for k, v in bounds.items()}
            yield code, at, tier
            for k in bounds:  # one indicator just below drops exactly one tier
                below = dict(at, **{k: bounds[k][t] - 1})
                yield code, below, BELOW[tier]


@pytest.mark.parametrize("code,facts,expected", list(cases()), ids=lambda v: str(v))
def test_each_bound_from_both_sides(kb, code, facts, expected):
    size, basis = classify_size(code, facts, kb)
    assert size == expected
    for value in facts.values():  # the basis names every figure and the tier
        assert str(value) in basis
    assert LABEL[expected] in basis
    assert "推算" not in basis and not basis.startswith("按")


@pytest.mark.parametrize(
    "facts,expected",
    [
        ({"employees": 150, "revenue": 5000}, "small"),  # fails medium's employee bound
        ({"employees": 15, "revenue": 2500}, "micro"),  # employees below 20
        ({"employees": 400, "revenue": 1500}, "small"),  # fails medium's revenue bound
        ({"employees": 1200, "revenue": 30000}, "medium"),  # drops from large on revenue
    ],
)
def test_domain_examples(kb, facts, expected):
    assert classify_size("C3670", facts, kb)[0] == expected


def test_basis_names_the_figures_and_the_bound_missed(kb):
    assert classify_size("C3670", {"employees": 150, "revenue": 5000}, kb)[1] == (
        "从业人员150人、营业收入5000万元，按工业标准为小型，从业人员未达中型下限300人"
    )
    assert classify_size("C3670", {"employees": 400, "revenue": 1500}, kb)[1] == (
        "从业人员400人、营业收入1500万元，按工业标准为小型，营业收入未达中型下限2000万元"
    )


def test_basis_of_a_tier_met_outright_names_no_bound(kb):
    # 520 < 1000 and 31800 < 40000: both short of large, so no single bound decided it.
    assert classify_size("C3670", {"employees": 520, "revenue": 31800}, kb)[1] == (
        "从业人员520人、营业收入31800万元，按工业标准为中型"
    )


def test_basis_of_micro_names_the_bound_it_is_below(kb):
    assert classify_size("C3670", {"employees": 6, "revenue": 95}, kb)[1] == (
        "从业人员6人、营业收入95万元，工业企业从业人员不足20人即为微型"
    )


def test_micro_is_known_from_one_figure(kb):
    assert classify_size("C3670", {"employees": 8}, kb)[0] == "micro"


def test_missing_figure_leaves_size_unknown(kb):
    assert classify_size("C3670", {"employees": 500}, kb) is None


@pytest.mark.parametrize("code", ["J6620", "P8310", "Q8411", "S9221", "G5310"])
def test_unclassified_industries_need_a_given_size(kb, code):
    assert classify_size(code, {"employees": 50, "revenue": 500, "assets": 500}, kb) is None


def test_health_outside_q84_is_classified(kb):
    assert classify_size("Q8510", {"employees": 50}, kb)[0] == "small"


# --- VAT-refund size (财政部 税务总局公告2022年第14号第六条, DOMAIN.md §9): the same table on revenue
# (read as VAT sales) and assets only; classes with neither, and unlisted industries, by VAT sales.
FALLBACK = {"revenue": (10000, 2000, 100)}  # micro < 100万元 ≤ small < 2000万元 ≤ medium < 1亿元 ≤ large


def vat_cases():
    for code, bounds in TABLE + [("P8310", {}), ("G5310", {}), ("Q8411", {})]:
        used = {k: v for k, v in bounds.items() if k in ("revenue", "assets")} or FALLBACK
        for t, tier in enumerate(TIERS):
            at = {k: v[t] for k, v in used.items()}
            yield code, at, tier
            for k in used:
                yield code, dict(at, **{k: used[k][t] - 1}), BELOW[tier]


@pytest.mark.parametrize("code,facts,expected", list(vat_cases()), ids=lambda v: str(v))
def test_vat_refund_size_each_bound_from_both_sides(kb, code, facts, expected):
    # employees 1 is below every small bound: the refund size must not look at it.
    given = dict(facts, employees=1)
    size, basis = classify_vat_refund_size(code, given, kb)
    assert size == expected
    for value in facts.values():
        assert str(value) in basis
    assert LABEL[expected] in basis


@pytest.mark.parametrize("code,facts,expected", [c for c in vat_cases() if "revenue" in c[1]],
                         ids=lambda v: str(v))
def test_vat_refund_size_reads_vat_sales_before_revenue(kb, code, facts, expected):
    given = dict(facts, vat_sales=facts["revenue"], revenue=facts["revenue"] * 1000 + 7)
    size, basis = classify_vat_refund_size(code, given, kb)
    assert size == expected
    assert "增值税销售额" in basis and str(facts["revenue"] * 1000 + 7) not in basis


def test_vat_refund_size_of_finance_is_unknown(kb):
    assert classify_vat_refund_size("J6620", {"vat_sales": 50, "revenue": 50, "assets": 50}, kb) is None
