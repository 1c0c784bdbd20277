"""Corpus cases: cells as officers write them (see make.py).

Each case is a small list made the way a district bureau makes one, with the cells of one kind
of issue #10 item 2 (units, yes/no spellings, synonyms, ambiguous numbers, …). The credit codes
are valid (both check characters) unless a case is about a bad one.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

from registry import case, write_xlsx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from planner.uscc import credit_check, organization_check  # noqa: E402

# The headers as officers write them (labels of sectors/fields.yaml).
HEAD = ["统一社会信用代码", "企业名称", "所属产业", "行业代码", "所在区县"]


def code(n: int, district: str = "330206") -> str:
    """A valid credit code, the n-th of a district."""
    body = f"NB{n:06d}"
    first17 = f"91{district}{body}{organization_check(body)}"
    return first17 + credit_check(first17)


def write_csv(path: Path, rows: list[list]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


@case("units")
def units(folder: Path):
    """Numbers with a unit or a separator, each read when certain, unknown when contradictory."""
    head = HEAD + ["从业人员", "营业收入（万元）", "资产总额（万元）", "研发投入占比（%）"]
    return [write_csv(folder / "名单.csv", [
        head,
        [code(1), "宁波单位人数有限公司", "汽车", "C3670", "北仑区", "120人", "5000万元", "1.2亿元", "3.5%"],
        [code(2), "宁波千位分隔有限公司", "汽车", "C3670", "北仑区", "1,200", "12,000", "８００", "4.5"],
        [code(3), "宁波全角数字有限公司", "汽车", "C3670", "北仑区", "１２０", "５０００万元", "", "３．５％"],
        [code(4), "宁波单位不符有限公司", "汽车", "C3670", "北仑区", "5000万元", "120元", "30人", "3.5万元"],
    ])]


YES = ["是", "有", "√", "✓", "✔", "对", "Y", "true", "1"]
NO = ["否", "无", "×", "✗", "✘", "错", "N", "false", "0"]


@case("booleans")
def booleans(folder: Path):
    """Every spelling of yes and no in 重点企业 / 规上企业, as text; Excel's own TRUE/FALSE and
    1/0 number cells; and 〇, which is not read."""
    head = HEAD + ["重点企业", "规上企业"]
    rows = [head]
    for i, (yes, no) in enumerate(zip(YES, NO), start=1):
        rows.append([code(i), f"宁波是否{i}号有限公司", "装备", "C3400", "镇海区", yes, no])
    rows.append([code(20), "宁波逻辑单元格有限公司", "装备", "C3400", "镇海区", True, False])
    rows.append([code(21), "宁波数字单元格有限公司", "装备", "C3400", "镇海区", 1, 0])
    rows.append([code(22), "宁波圆圈有限公司", "装备", "C3400", "镇海区", "〇", "是"])
    return [write_xlsx(folder / "名单.xlsx", {"企业名单": rows})]


@case("dates")
def dates(folder: Path):
    """Dates in every form officers write, as text, and as Excel date cells."""
    rows = [["写法", "日期"], ["ISO", "2022-06-15"], ["斜杠", "2022/6/15"], ["点", "2022.6.15"],
            ["紧凑", "20220615"], ["中文", "2022年6月15日"], ["Excel日期", dt.datetime(2022, 6, 15)],
            ["Excel日期（date）", dt.date(2022, 6, 15)], ["不存在的日期", "2022-02-30"], ["不是日期", "六月中旬"]]
    return [write_xlsx(folder / "日期.xlsx", {"日期": rows})]


@case("synonyms")
def synonyms(folder: Path):
    """Common variants of vocabulary labels, one unreadable part in a list, and sizes that are
    deliberately not read (小微)."""
    head = HEAD + ["企业规模", "生产状态", "主体类型", "主要困难"]
    return [write_csv(folder / "名单.csv", [
        head,
        [code(1), "宁波缺芯片有限公司", "汽车", "C3670", "宁波市北仑区", "小型企业", "停工", "企业", "缺芯片、招不到人"],
        [code(2), "宁波订单少有限公司", "家电", "C3850", "北仑", "中型", "半停产", "公司", "订单少；资金紧张"],
        [code(3), "宁波个体户服装店", "服装", "C1810", "330206", "微型", "正常生产", "个体户", "缺少芯片,天气不好"],
        [code(4), "宁波小微有限公司", "服装", "C1810", "宁波北仑", "小微", "正常", "个体", "天气不好"],
    ])]


@case("debtor")
def debtor(folder: Path):
    """The 被拖欠账款 sheet: 国企 as a debtor type, an approximate amount, a row with nothing
    readable; the enterprise is kept every time."""
    main = [HEAD + ["生产状态", "重点企业", "被拖欠账款"],
            [code(1), "宁波被拖欠有限公司", "装备", "C3400", "鄞州区", "减产", "是", "见被拖欠账款表"]]
    items = [["统一社会信用代码", "欠款单位", "欠款单位类型", "金额（万元）", "有争议", "已进入司法程序"],
             [code(1), "某国有公司", "国企", 300, "否", "否"],
             [code(1), "某区住建局", "机关单位", "约50", "无", "×"],
             [code(1), "", "央企", "不详", "", ""],
             [code(1), "某大型集团", "大型国企", "1.5亿元", "否", "否"]]
    return [write_xlsx(folder / "名单.xlsx", {"企业名单": main, "被拖欠账款": items})]


@case("ambiguous")
def ambiguous(folder: Path):
    """Numbers whose meaning is not certain: unknown with a warning, never guessed."""
    head = HEAD + ["从业人员", "营业收入（万元）"]
    return [write_csv(folder / "名单.csv", [
        head,
        [code(1), "宁波约数有限公司", "文具", "C2411", "宁海县", "约300", "5000左右"],
        [code(2), "宁波范围有限公司", "文具", "C2411", "宁海县", "300-500人", "3000~4000"],
        [code(3), "宁波以上有限公司", "文具", "C2411", "宁海县", "300以上", "二千"],
    ])]


@case("total_row")
def total_row(folder: Path):
    """A workbook ending in sum rows (no credit code), each skipped with one notice, not rejected:
    合计 in the name column; the bureau layout, 合计 in the 序号 column (unknown to the tool)
    over =SUM formulas never calculated; 合  计 with spaces over a plain total; 总计：2家."""
    head = ["序号"] + HEAD + ["从业人员"]
    rows = [head,
            [1, code(1), "宁波合计前一有限公司", "汽车", "C3670", "北仑区", 100],
            [2, code(2), "宁波合计前二有限公司", "汽车", "C3670", "北仑区", 200],
            ["", "", "合计", "", "", "", 300],
            ["合计", None, None, None, None, None, "=SUM(G2:G3)"],
            ["合  计", None, None, None, None, None, 300],
            ["总计：2家", None, None, None, None, None, 300]]
    return [write_xlsx(folder / "名单.xlsx", {"企业名单": rows})]


@case("identity")
def identity(folder: Path):
    """Rows without a usable identity: one code for two names, no code, no name, a wrong check
    character, neither code nor name; a full-width code, which is read; the same enterprise
    listed twice (its name once with full-width brackets); a name that starts like 小计 but is
    no sum row; a row without name that has a full-width code (notice) and a bad industry code
    (warning)."""
    wrong = code(4)[:17] + ("0" if code(4)[17] != "0" else "1")
    full_width = code(5).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"})
    return [write_csv(folder / "名单.csv", [
        HEAD,
        [code(1), "宁波首次出现有限公司", "汽车", "C3670", "北仑区"],
        [code(1), "宁波再次出现有限公司", "汽车", "C3670", "北仑区"],
        ["", "宁波无代码有限公司", "汽车", "C3670", "北仑区"],
        [code(3), "", "汽车", "C3670", "北仑区"],
        [wrong, "宁波校验位错误有限公司", "汽车", "C3670", "北仑区"],
        [full_width, "宁波全角代码有限公司", "汽车", "C3670", "北仑区"],
        [code(6), "宁波重复列出(北仑)有限公司", "汽车", "C3670", "北仑区"],
        [code(6), "宁波重复列出（北仑）有限公司", "汽车", "C3670", "北仑区"],
        ["", "", "汽车", "C3670", "北仑区"],
        ["", "小计划文具有限公司", "文具", "C2411", "北仑区"],
        [wide(code(7)), "", "汽车", "3670", "北仑区"],
    ])]


def wide(text: str) -> str:
    """``text`` in full-width characters."""
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"})


@case("sector_unknown")
def sector_unknown(folder: Path):
    """No sector and no industry code, a malformed industry code, an unknown key: kept, warned."""
    path = folder / "名单.yaml"
    path.write_text(
        "enterprises:\n"
        f"  - id: {code(1)}\n"
        "    name: 宁波产业未填有限公司\n"
        "    employees: 80\n"
        f"  - id: {code(2)}\n"
        "    name: 宁波行业代码错误有限公司\n"
        "    industry_code: 3670\n"
        f"  - id: {code(3)}\n"
        "    name: 宁波多余字段有限公司\n"
        "    sector: automotive\n"
        "    remark: 去年已走访\n",
        encoding="utf-8")
    return [path]
