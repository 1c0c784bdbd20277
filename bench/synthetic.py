"""Synthetic, valid enterprise records for the benchmark: every sector, realistic spreads.

Credit codes are made with planner.uscc from a synthetic body (never real companies' codes).
The same seed gives the same records.
"""

from __future__ import annotations

import random

import yaml

from planner import uscc

SECTOR_CODES = {
    "petrochemical": ["C2614", "C2619", "C2811"],
    "optical_film": ["C2921", "C3976"],
    "magnetic_materials": ["C3985", "C3232"],
    "automotive": ["C3670", "C3660", "C3610"],
    "equipment": ["C3523", "C3525", "C3446", "C4011"],
    "appliances": ["C3854", "C3857", "C3851"],
    "apparel": ["C1819", "C1820"],
    "stationery": ["C2411", "C2412"],
    "other": ["F5137", "F5211", "H6210", "I6513", "C3311", "G5430"],
}
REGIONS = ["330203", "330205", "330206", "330211", "330212", "330213", "330225", "330226", "330281", "330282"]
DISTRICTS = ["haishu", "jiangbei", "beilun", "zhenhai", "yinzhou", "fenghua", "xiangshan", "ninghai", "yuyao", "cixi"]
DIFFICULTIES = ["chip_shortage", "parts_shortage", "labor_shortage", "order_shortage", "logistics", "energy_quota",
                "emission_quota", "land", "energy_supply", "downstream_demand", "financing", "receivables_overdue",
                "technology", "market_adoption", "talent", "costs"]
HONORS = ["top100", "eagle", "single_champion", "little_giant", "specialized_sme", "high_tech"]
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _body(n: int) -> str:
    digits = []
    for _ in range(6):
        n, r = divmod(n, 31)
        digits.append(ALPHABET[r])
    return "BM" + "".join(reversed(digits))


def records(count: int, seed: int = 2022) -> list[dict]:
    """``count`` records; sizes skew small as in a real list (most enterprises are small or micro)."""
    rng = random.Random(seed)
    out = []
    sectors = list(SECTOR_CODES)
    for i in range(count):
        sector = sectors[i % len(sectors)]
        region = rng.choice(range(len(REGIONS)))
        individual = sector == "other" and rng.random() < 0.15
        code = uscc.make(("92" if individual else "91") + REGIONS[region], _body(i))
        tier = rng.choices(["micro", "small", "medium", "large"], weights=[30, 45, 20, 5])[0]
        employees = {"micro": rng.randint(2, 19), "small": rng.randint(20, 299), "medium": rng.randint(300, 999),
                     "large": rng.randint(1000, 5000)}[tier]
        revenue = {"micro": rng.randint(50, 299), "small": rng.randint(300, 1999),
                   "medium": rng.randint(2000, 39999), "large": rng.randint(40000, 400000)}[tier]
        record = {
            "id": code,
            "name": f"宁波示例{sector}企业{i:05d}有限公司",
            "industry_code": rng.choice(SECTOR_CODES[sector]),
            "district": DISTRICTS[region],
            "employees": employees,
            "revenue": revenue,
            "production_status": rng.choices(["normal", "reduced", "stopped"], weights=[80, 15, 5])[0],
            "key_enterprise": rng.random() < 0.2,
            "difficulties": rng.sample(DIFFICULTIES, rng.randint(0, 4)),
            "payroll_monthly": round(employees * rng.uniform(0.5, 1.2), 1),
            "contact": f"联系人{i:05d}",
            "phone": f"1380000{i % 10000:04d}",
            "cadre": f"干部{i % 997:03d}",
        }
        if sector != "other":
            record["sector"] = sector
        if individual:
            record["entity_type"] = "individual_business"
        if rng.random() < 0.7:
            record["tax_credit_rating"] = rng.choice(["A", "B", "B", "M", "C"])
        if rng.random() < 0.6:
            record["in_affected_area"] = rng.random() < 0.3
            record["temporary_difficulty"] = rng.random() < 0.4
        if rng.random() < 0.2:
            record["honors"] = rng.sample(HONORS, rng.randint(1, 2))
        if rng.random() < 0.15:
            record["receivables"] = [{"debtor": f"某单位{j}", "debtor_type": rng.choice(
                ["government", "public_institution", "large_enterprise", "other"]), "amount": rng.randint(5, 500),
                "disputed": rng.random() < 0.2, "in_litigation": rng.random() < 0.1} for j in range(rng.randint(1, 3))]
        out.append(record)
    return out


def write(path, count: int, seed: int = 2022) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"enterprises": records(count, seed)}, handle, allow_unicode=True, sort_keys=False,
                       width=1000)
