"""The demo data folder of ``make serve`` (``planner serve --demo OUTPUT``): the output folder of
``make demo`` (plans, versions and the request ledger imported from examples/走访诉求登记表.xlsx)
copied into DATA/output, and one account of each role with a one-time password.

The accounts are chosen from the data, not named here: the cadre is the 包联干部 with the most
requests in the ledger among those who have enterprises in the folder (so the cadre's list and
requests are not empty), the district officer is of that cadre's district, the department is the
one handed the most requests. Ties go to the name first in code-point order.

A demo folder is marked by DATA/.planner-demo. Building it again resets it: the folder is removed
and made anew from the output folder, with new passwords (whatever was done in the demo is gone).
A folder without the mark that is not empty is never touched: it may be a bureau's real data.
"""

from __future__ import annotations

import shutil
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from planner.exceptions import PlannerError
from planner.web.folder import cadre_names

MARK = ".planner-demo"
DEFAULT_DATA = Path("demo-data")


@dataclass(frozen=True)
class DemoAccount:
    label: str  # the role as the table says it: 包联干部（罗建华）
    name: str
    password: str


def _short(cadre: str) -> str:
    """罗建华（慈溪市经信局） → 罗建华."""
    return min(cadre_names(cadre), key=len) if cadre_names(cadre) else ""


def _choose(rows: list[dict], output: Path) -> tuple[str, str, str]:
    """(cadre name, the cadre's district label, department) for the demo accounts, from the
    listing ``rows`` of the enterprises and the ledger of ``output``."""
    from planner.requests import Ledger, ledger_path

    if not rows:
        raise PlannerError(f"{output}：没有生成好的企业方案；请先运行 make demo")
    districts: dict[str, str] = {}
    for row in rows:
        for name in cadre_names(row["cadre"]):
            districts.setdefault(name, row["district"])
    with Ledger.open(ledger_path(output)) as book:
        found = book.find()
    if not found:
        raise PlannerError(f"{output}/requests.db：诉求账本是空的；请先运行 make demo")
    per_cadre = Counter(_short(r.cadre) for r in found if _short(r.cadre) in districts)
    # handed over (not just routed, as a registered request is): what the department's page lists
    per_department = Counter(d for r in found if r.state != "登记" for d in r.departments) or \
        Counter(d for r in found for d in r.departments)
    if not per_cadre or not per_department:
        raise PlannerError(f"{output}：账本中的诉求没有对应本目录企业的包联干部或承办部门")
    cadre = min(per_cadre, key=lambda name: (-per_cadre[name], name))
    department = min(per_department, key=lambda name: (-per_department[name], name))
    return cadre, districts[cadre], department


def build(data_dir: Path, output: Path) -> list[DemoAccount]:
    """Make (or make again) the demo folder ``data_dir`` from the output folder ``output``; the
    accounts with their one-time passwords, in the order of the table."""
    data_dir, output = Path(data_dir), Path(output)
    if not output.is_dir():
        raise PlannerError(f"{output}：输出目录不存在；请先运行 make demo")
    if data_dir.resolve() == output.resolve() or output.resolve().is_relative_to(data_dir.resolve()):
        raise PlannerError(f"{data_dir}：演示数据目录不能是输出目录 {output}，也不能包含它")
    if not (output / "requests.db").is_file():
        raise PlannerError(f"{output}：没有诉求账本 requests.db；请先运行 make demo（导入 examples/走访诉求登记表.xlsx）")
    if data_dir.exists():
        if not (data_dir / MARK).is_file() and (not data_dir.is_dir() or any(data_dir.iterdir())):
            raise PlannerError(f"{data_dir}：这个目录不是演示数据目录（没有 {MARK} 标记），未作任何改动；"
                               f"请用 --data 另指定一个新目录")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / MARK).write_text(f"make serve 的演示数据目录，由 {output} 复制而来；再次运行时整个目录重建。\n",
                                 encoding="utf-8")
    shutil.copytree(output, data_dir / "output", symlinks=False,
                    ignore=shutil.ignore_patterns(".planner-lock*", "*.part"))
    from planner.web.site import Site

    site = Site(data_dir)
    cadre, district, department = _choose(site.enterprise_rows(), site.folder.output)
    accounts = site.accounts
    wanted = (
        ("管理员", "admin", "admin", {}),
        ("经信部门（全市）", "city", "officer", {}),
        (f"经信部门（{district}）", "district", "officer", {"district": district}),
        ("审核人", "reviewer", "reviewer", {}),
        (f"包联干部（{cadre}）", "cadre", "cadre", {"cadre_name": cadre}),
        (f"承办部门（{department}）", "department", "department", {"department": department}),
    )
    return [DemoAccount(label, name, accounts.add(name, role, by="make serve", **scope))
            for label, name, role, scope in wanted]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(accounts: list[DemoAccount]) -> str:
    """The accounts as a small table for a terminal (columns aligned for Chinese characters)."""
    rows = [("角色", "用户名", "密码")] + [(a.label, a.name, a.password) for a in accounts]
    widths = [max(_width(row[i]) for row in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
