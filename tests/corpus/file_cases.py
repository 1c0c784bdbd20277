"""Corpus cases: old and odd files (see make.py).

Each case is one way an officer's file arrives that is not a plain list: an old .xls workbook,
a CSV saved under an .xlsx name, a header below a title block, formulas never calculated,
hidden or instruction sheets, merged cells, CSV line endings and cells the csv module refuses.
xlwt (unmaintained) is used here only, to write the .xls fixtures; the planner reads .xls with xlrd.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from registry import case, write_xlsx

from planner import uscc

HEADER = ["统一社会信用代码", "企业名称", "所属产业", "所在区县", "生产状态", "从业人员"]
A = uscc.make("91330206", "NB100001")
B = uscc.make("91330206", "NB100002")
C = uscc.make("91330206", "NB100003")
D = uscc.make("91330211", "NB100004")
ROWS = [
    [A, "宁波甬兴汽车零部件有限公司", "汽车", "北仑区", "减产", 120],
    [B, "宁波北仑明辉模具有限公司", "装备", "北仑区", "正常", 45],
    [C, "宁波港城文具有限公司", "文具", "北仑区", "停产", 30],
]


def _xls(path, sheets, *, merges=None, hidden=(), styles=None):
    """Write ``sheets`` (title → rows) as an Excel 97-2003 workbook; ``merges`` title → (r1, r2,
    c1, c2, value) written with write_merge (0-based, inclusive); ``styles`` (title, r, c) → format."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for title, rows in sheets.items():
        sheet = book.add_sheet(title)
        merged = {(r, c) for r1, r2, c1, c2, _ in (merges or {}).get(title, ())
                  for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if (r, c) in merged or value is None:
                    continue
                fmt = (styles or {}).get((title, r, c))
                if fmt:
                    sheet.write(r, c, value, xlwt.easyxf(num_format_str=fmt))
                else:
                    sheet.write(r, c, value)
        for r1, r2, c1, c2, value in (merges or {}).get(title, ()):
            sheet.write_merge(r1, r2, c1, c2, value)
        if title in hidden:
            sheet.visibility = 1
    book.save(str(path))
    return path


def _csv(path, rows, *, newline="\r\n", encoding="utf-8"):
    text = newline.join(",".join(str(c) for c in row) for row in rows) + newline
    path.write_bytes(text.encode(encoding))
    return path


@case("xls_workbook")
def xls_workbook(folder):
    """An Excel 97-2003 list: a title merged across the row, the header on row 2, 所在区县
    merged over three rows, a percentage cell, a date cell, and a receivables sheet."""
    rows = [
        ["2022年北仑区帮扶企业名单", None, None, None, None, None, None, None],
        [*HEADER, "研发投入占比（%）", "填报日期"],
        [*ROWS[0][:3], None, *ROWS[0][4:], 0.035, dt.datetime(2022, 6, 15)],
        [*ROWS[1][:3], None, *ROWS[1][4:], None, dt.datetime(2022, 6, 16)],
        [*ROWS[2][:3], None, *ROWS[2][4:], None, None],
    ]
    receivables = [["统一社会信用代码", "欠款单位", "欠款单位类型", "金额（万元）"],
                   [A, "某区城建公司", "机关", 80]]
    path = _xls(folder / "名单.xls", {"企业名单": rows, "被拖欠账款": receivables},
                merges={"企业名单": [(0, 0, 0, 7, rows[0][0]), (2, 4, 3, 3, "北仑区")]},
                styles={("企业名单", 2, 6): "0.0%", ("企业名单", 2, 7): "yyyy-mm-dd",
                        ("企业名单", 3, 7): "yyyy-mm-dd"})
    return [path]


@case("xls_named_xlsx")
def xls_namedwrite_xlsx(folder):
    """An .xls workbook renamed to .xlsx (content decides)."""
    path = folder / "名单.xlsx"
    _xls(path, {"Sheet1": [HEADER, *ROWS[:2]]})
    return [path]


@case("csv_named_xlsx")
def csv_namedwrite_xlsx(folder):
    """A CSV file saved under an .xlsx name."""
    return [_csv(folder / "名单.xlsx", [HEADER, *ROWS])]


@case("not_excel")
def not_excel(folder):
    """Neither a workbook nor text: bytes of another program under an .xlsx name."""
    path = folder / "名单.xlsx"
    path.write_bytes(bytes(range(256)) * 4)
    return [path]


@case("zip_not_workbook")
def zip_not_workbook(folder):
    """A zip archive (a Word document, say) under an .xlsx name."""
    path = folder / "名单.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("word/document.xml", (2022, 6, 15, 0, 0, 0)), "<document/>")
    path.write_bytes(buffer.getvalue())
    return [path]


@case("damaged_sheet")
def damaged_sheet(folder):
    """A workbook whose sheet XML was cut short (a copy broken off half-way)."""
    whole = write_xlsx(folder / "whole.xlsx", {"企业名单": [HEADER, *ROWS]})
    path = folder / "名单.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(zipfile.ZipInfo(info.filename, (2022, 6, 15, 0, 0, 0)), data)
    whole.unlink()
    return [path]


@case("html_named_xls")
def html_named_xls(folder):
    """What many web systems export as "Excel": an HTML table under an .xls name."""
    path = folder / "名单.xls"
    cells = "".join(f"<td>{c}</td>" for c in HEADER)
    path.write_text(f"<html><body><table><tr>{cells}</tr></table></body></html>\n", encoding="utf-8")
    return [path]


@case("unknown_format")
def unknown_format(folder):
    """A list saved as plain text (.txt)."""
    return [_csv(folder / "名单.txt", [HEADER, *ROWS])]


@case("empty_workbook")
def empty_workbook(folder):
    """A workbook with nothing in it (three empty sheets, as old Excel made them)."""
    return [write_xlsx(folder / "名单.xlsx", {"Sheet1": [], "Sheet2": [], "Sheet3": []})]


@case("header_only")
def header_only(folder):
    """A workbook whose list has the header and no enterprise."""
    return [write_xlsx(folder / "名单.xlsx", {"企业名单": [HEADER]})]


@case("header_on_row_12")
def header_on_row_12(folder):
    """A title block of eleven rows (title, issuing office, date, notes, blank rows) above the
    header; the header has columns the tool does not know (序号, 备注)."""
    top = [["2022年北仑区“千名干部助企纾困”帮扶企业名单"], ["填报单位：北仑区经济和信息化局"], ["填报日期：2022年6月"],
           [], ["说明：本表由各街道汇总"], [], [], [], [], [], []]
    rows = [["序号", *HEADER, "备注"]] + [[i + 1, *row, "无"] for i, row in enumerate(ROWS)]
    return [write_xlsx(folder / "名单.xlsx", {"企业名单": top + rows})]


@case("formulas_uncomputed")
def formulas_uncomputed(folder):
    """A workbook written by a program with formulas (从业人员 =SUM(…)), never opened in Excel,
    so the file holds no result for them; and a cell showing #DIV/0!."""
    rows = [[*HEADER, "营业收入（万元）"],
            [*ROWS[0][:5], "=SUM(100,20)", 5000],
            [*ROWS[1][:5], 45, "=F3*100"],
            [*ROWS[2], "#DIV/0!"]]
    return [write_xlsx(folder / "名单.xlsx", {"企业名单": rows})]  # openpyxl stores "#DIV/0!" as an error value


@case("hidden_old_list")
def hidden_old_list(folder):
    """A hidden first sheet holding last year's list before the visible list sheet."""
    old = [HEADER, [D, "宁波镇海旧厂有限公司", "绿色石化", "镇海区", "正常", 300]]
    return [write_xlsx(folder / "名单.xlsx", {"2021年名单": old, "企业名单": [HEADER, *ROWS]}, hidden={"2021年名单"})]


@case("instructions_first")
def instructions_first(folder):
    """A 填表说明 sheet first, the 被拖欠账款 sheet second, the list sheet last."""
    notes = [["填表说明"], ["1. 统一社会信用代码为18位，必填。"], ["2. 企业名称填写全称。"], ["3. 被拖欠账款填在“被拖欠账款”表。"]]
    receivables = [["统一社会信用代码", "欠款单位", "欠款单位类型", "金额（万元）"], [B, "某事业单位", "事业单位", 12]]
    return [write_xlsx(folder / "名单.xlsx", {"填表说明": notes, "被拖欠账款": receivables, "企业名单": [HEADER, *ROWS]})]


@case("two_list_sheets")
def two_list_sheets(folder):
    """A list split by district into two visible sheets: both are read, as one list."""
    zhenhai = [HEADER[:4], [D, "宁波镇海化工有限公司", "绿色石化", "镇海区"]]
    return [write_xlsx(folder / "名单.xlsx", {"北仑区": [HEADER, *ROWS], "镇海区": zhenhai})]


@case("xlsx_named_xls")
def xlsx_named_xls(folder):
    """An .xlsx workbook saved under an .xls name (content decides)."""
    return [write_xlsx(folder / "名单.xls", {"企业名单": [HEADER, *ROWS[:2]]})]


@case("merged_district")
def merged_district(folder):
    """所在区县 merged over the three rows of one district."""
    rows = [HEADER] + [[*row[:3], "北仑区" if i == 0 else None, *row[4:]] for i, row in enumerate(ROWS)]
    return [write_xlsx(folder / "名单.xlsx", {"企业名单": rows}, merges={"企业名单": ["D2:D4"]})]


@case("unknown_columns")
def unknown_columns(folder):
    """Columns the tool does not know: 序号, 备注, 填报人."""
    rows = [["序号", *HEADER, "备注", "填报人"]] + [[i + 1, *row, "", "王五"] for i, row in enumerate(ROWS)]
    return [_csv(folder / "名单.csv", rows)]


@case("csv_cr_only")
def csv_cr_only(folder):
    """A CSV with old Mac line endings (CR only)."""
    return [_csv(folder / "名单.csv", [HEADER, *ROWS], newline="\r")]


@case("csv_mixed_endings")
def csv_mixed_endings(folder):
    """A CSV pasted together from several sources: CRLF, LF and CR line endings."""
    lines = [",".join(str(c) for c in row) for row in [HEADER, *ROWS]]
    path = folder / "名单.csv"
    path.write_bytes((lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r" + lines[3] + "\r\n").encode("utf-8"))
    return [path]


@case("csv_long_cell")
def csv_long_cell(folder):
    """A CSV whose 备注 cell holds 140,000 characters (the csv module's default limit is 131,072)."""
    rows = [[*HEADER, "备注"], [*ROWS[0], "情况说明" * 35_000], [*ROWS[1], ""]]
    return [_csv(folder / "名单.csv", rows)]


@case("csv_nul")
def csv_nul(folder):
    """A CSV with NUL bytes inside a name."""
    rows = [HEADER, [ROWS[0][0], "宁波甬兴\x00汽车零部件有限公司", *ROWS[0][2:]], ROWS[1]]
    return [_csv(folder / "名单.csv", rows)]


@case("csv_utf16_tabs")
def csv_utf16_tabs(folder):
    """Excel's "Unicode 文本": UTF-16 with a BOM, tab-separated."""
    path = folder / "名单.csv"
    text = "\r\n".join("\t".join(str(c) for c in row) for row in [HEADER, *ROWS[:2]]) + "\r\n"
    path.write_bytes(text.encode("utf-16"))
    return [path]


@case("yaml_syntax")
def yaml_syntax(folder):
    """A records file with a YAML syntax error on line 3."""
    path = folder / "名单.yaml"
    path.write_text(f"- id: {A}\n  name: 甲\n  sector: [汽车\n", encoding="utf-8")
    return [path]
