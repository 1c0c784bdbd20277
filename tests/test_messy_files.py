"""Old and odd files as officers send them (the corpus of tests/corpus/file_cases.py): each is
read, or refused with a Chinese message naming the file; what was done is said once, in the
problem list's rows."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from planner.cli import main
from planner.exceptions import RecordsError
from planner.records import counts, problem_rows, read_records, write_table
from planner.records.sources import _fill_merged, _xls_sheets, read_raw

CORPUS = Path(__file__).parent / "corpus"
FILES = CORPUS / "files"
sys.path.insert(0, str(CORPUS))

import file_cases  # noqa: E402
from file_cases import A, B, C  # noqa: E402

NAMES = {A: "宁波甬兴汽车零部件有限公司", B: "宁波北仑明辉模具有限公司", C: "宁波港城文具有限公司"}
FORMULA = "是公式，文件中没有它的计算结果（文件由程序生成、未在 Excel 中打开保存过），按未知处理"
SAVE_AS = "请用 Excel 打开后选择 文件→另存为→Excel 工作簿(*.xlsx)，再用保存的文件"


@pytest.fixture(autouse=True)
def in_corpus(monkeypatch):
    monkeypatch.chdir(FILES)  # messages name files as the officer typed them: case/名单.xlsx


def read(case: str, kb):
    (path,) = (FILES / case).iterdir()
    return read_records(Path(case) / path.name, kb)


def refused(case: str, kb) -> str:
    with pytest.raises(RecordsError) as caught:
        read(case, kb)
    return caught.value.format_message()


def ids(result) -> list[str]:
    return [r.id for r in result.records]


def messages(result) -> list[str]:
    return [str(w) for w in result.warnings]


def test_the_committed_corpus_is_what_the_script_makes(tmp_path):
    import make

    made = make.make(tmp_path)
    ours = {name for name, build in make.CASES.items() if build.__module__ == "file_cases"}
    assert ours == {p.name for p in FILES.iterdir() if p.name in ours}
    for name in sorted(ours):
        assert sorted(p.name for p in made[name]) == sorted(p.name for p in (FILES / name).iterdir()), name
        for new in made[name]:
            assert new.read_bytes() == (FILES / name / new.name).read_bytes(), name


# --- old and renamed formats --------------------------------------------------------------

def test_xls_workbook_is_read_with_merges_percentages_and_receivables(kb):
    result = read("xls_workbook", kb)
    assert ids(result) == [A, B, C]
    assert [r.facts.get("district") for r in result.records] == ["beilun"] * 3  # D3:D5 merged
    assert result.records[0].facts["rd_ratio"] == 3.5  # 0.035 formatted 0.0% in Excel
    assert result.records[0].facts["employees"] == 120
    assert result.records[0].facts["receivables"] == [{"debtor": "某区城建公司", "debtor_type": "government", "amount": 80}]
    assert messages(result) == [
        "xls_workbook/名单.xls[企业名单]:2: -: 以第2行为表头，其上1行（标题等）已跳过",
        "xls_workbook/名单.xls[企业名单]:2: 填报日期: 未识别的列，已忽略",
        f"xls_workbook/名单.xls[企业名单]:3: {NAMES[A]}：所在区县: 合并单元格D3:D5（第3-5行）；已按合并值读取",
    ]
    assert problem_rows(result) == [
        ["2", "", "", "-", "", "以第2行为表头，其上1行（标题等）已跳过", ""],
        ["2", "", "", "填报日期", "", "未识别的列，已忽略", "已忽略"],
        ["3", NAMES[A], A, "所在区县", "北仑区", "合并单元格D3:D5（第3-5行）", "已按合并值读取"],
    ]


def test_xls_dates_are_datetimes_not_serial_numbers():
    (sheet, _) = _xls_sheets(FILES / "xls_workbook" / "名单.xls", "名单.xls")
    rows = dict(sheet.rows())
    assert rows[3][7] == dt.datetime(2022, 6, 15) and rows[4][7] == dt.datetime(2022, 6, 16)
    assert rows[5][7] is None


def test_xls_saved_as_xlsx_is_read_as_xls_with_a_notice(kb):
    result = read("xls_named_xlsx", kb)
    assert ids(result) == [A, B]
    notice = "文件扩展名是.xlsx，但内容是旧版Excel工作簿（.xls）；已按旧版Excel工作簿（.xls）读取"
    assert messages(result) == [f"xls_named_xlsx/名单.xlsx: -: {notice}"]
    assert problem_rows(result) == [["", "", "", "-", "", notice, "已按旧版Excel工作簿（.xls）读取"]]


def test_csv_saved_as_xlsx_is_read_as_csv_with_a_notice(kb):
    result = read("csv_named_xlsx", kb)
    assert ids(result) == [A, B, C]
    notice = "文件扩展名是.xlsx，但内容是CSV文本；已按CSV文本读取"
    assert messages(result) == [f"csv_named_xlsx/名单.xlsx: -: {notice}"]
    assert problem_rows(result) == [["", "", "", "-", "", notice, "已按CSV文本读取"]]


def test_bytes_of_another_program_are_refused(kb):
    assert refused("not_excel", kb) == \
        f"not_excel/名单.xlsx：不是有效的 Excel 文件（既不是 .xlsx/.xls 工作簿，也不是可读的 CSV 文本）；{SAVE_AS}"


def test_a_zip_that_is_no_workbook_is_refused(kb):
    assert refused("zip_not_workbook", kb) == ("zip_not_workbook/名单.xlsx：不是有效的 Excel 工作簿，无法读取"
                                                f"（文件可能已损坏，或不是 Excel 保存的 .xlsx 文件）；{SAVE_AS}")


def test_a_damaged_sheet_is_refused_not_a_traceback(kb):
    assert refused("damaged_sheet", kb) == \
        f"damaged_sheet/名单.xlsx：工作簿已损坏，工作表内容不完整，无法读取；{SAVE_AS}（Excel 会先尝试修复）"


def test_an_html_table_named_xls_is_refused_saying_how_to_save(kb):
    assert refused("html_named_xls", kb) == \
        f"html_named_xls/名单.xls：文件扩展名是.xls，但内容是网页（HTML）表格，不是 Excel 工作簿；{SAVE_AS}"


def test_an_unknown_format_is_refused(kb):
    assert refused("unknown_format", kb) == \
        "unknown_format/名单.txt：无法识别的文件格式“.txt”；请使用 .xlsx、.xls、.csv 或 .yaml 文件"


def test_a_missing_file_or_a_folder_is_named(kb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RecordsError, match="^名单.xlsx：找不到该文件$"):
        read_records(Path("名单.xlsx"), kb)
    (tmp_path / "名单.csv").mkdir()
    with pytest.raises(RecordsError, match=r"^名单.csv：不是文件（是文件夹？）$"):
        read_records(Path("名单.csv"), kb)
    (tmp_path / "空.csv").write_bytes(b"")
    with pytest.raises(RecordsError, match=r"^空.csv：文件是空的（0字节），没有企业名单$"):
        read_records(Path("空.csv"), kb)


def test_a_yaml_syntax_error_is_said_in_chinese_with_its_line(kb):
    assert refused("yaml_syntax", kb) == ("yaml_syntax/名单.yaml:4: YAML 格式错误，请检查这一行及上一行的缩进、冒号、引号和括号"
                                          "（did not find expected ',' or ']'）")


def test_a_yaml_list_of_nothing_has_no_enterprise(kb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("名单.yaml").write_text("enterprises: []\n", encoding="utf-8")
    with pytest.raises(RecordsError, match="^名单.yaml：名单中没有企业记录$"):
        read_records(Path("名单.yaml"), kb)
    Path("名单.yaml").write_text("enterprises: 3\n", encoding="utf-8")
    with pytest.raises(RecordsError, match=r"^名单.yaml:1: 应为企业列表（或含有 enterprises: 企业列表的映射）$"):
        read_records(Path("名单.yaml"), kb)


# --- workbooks without a plain list -------------------------------------------------------

def test_an_empty_workbook_has_no_list(kb):
    assert refused("empty_workbook", kb) == "empty_workbook/名单.xlsx：工作簿中没有企业名单（工作表都是空的）"


def test_a_header_without_enterprises(kb):
    assert refused("header_only", kb) == "header_only/名单.xlsx[企业名单]：名单只有表头（第1行），没有企业"


def test_no_header_in_the_first_50_rows_names_the_sheets(kb, tmp_path, monkeypatch):
    import openpyxl

    monkeypatch.chdir(tmp_path)
    book = openpyxl.Workbook()
    book.active.title = "名单"
    for _ in range(50):
        book.active.append(["说明文字"])
    book.active.append(file_cases.HEADER)
    book.active.append(file_cases.ROWS[0])
    book.create_sheet("备用").append(["无关内容"])
    book.save("名单.xlsx")
    with pytest.raises(RecordsError) as caught:
        read_records(Path("名单.xlsx"), kb)
    assert caught.value.format_message() == ("名单.xlsx：工作簿中没有企业名单：工作表“名单”“备用”前50行中没有找到表头"
                                             "（应有“统一社会信用代码”“企业名称”“所属产业”等列）")
    Path("名单.csv").write_text("甲,乙\n1,2\n", encoding="utf-8")
    with pytest.raises(RecordsError) as caught:
        read_records(Path("名单.csv"), kb)
    assert caught.value.format_message() == "名单.csv：前50行中没有找到表头（应有“统一社会信用代码”“企业名称”“所属产业”等列）"


def test_a_header_below_a_title_block_is_found_and_named(kb):
    result = read("header_on_row_12", kb)
    assert ids(result) == [A, B, C]
    assert [r.where for r in result.records] == [f"header_on_row_12/名单.xlsx[企业名单]:{n}" for n in (13, 14, 15)]
    assert messages(result) == [  # the header warnings name row 12, where the header is
        "header_on_row_12/名单.xlsx[企业名单]:12: -: 以第12行为表头，其上11行（标题等）已跳过",
        "header_on_row_12/名单.xlsx[企业名单]:12: 序号、备注: 未识别的列，已忽略",
    ]
    assert problem_rows(result) == [
        ["12", "", "", "-", "", "以第12行为表头，其上11行（标题等）已跳过", ""],
        ["12", "", "", "序号、备注", "", "未识别的列，已忽略", "已忽略"],
    ]


def test_formulas_without_results_are_unknown_never_their_text(kb):
    result = read("formulas_uncomputed", kb)
    assert ids(result) == [A, B, C]
    first, second, third = (r.facts for r in result.records)
    assert "employees" not in first and first["revenue"] == 5000
    assert second["employees"] == 45 and "revenue" not in second
    assert "revenue" not in third
    where = "formulas_uncomputed/名单.xlsx[企业名单]"
    assert messages(result) == [
        f"{where}:2: {NAMES[A]}：从业人员: 单元格F2{FORMULA}",
        f"{where}:3: {NAMES[B]}：营业收入（万元）: 单元格G3{FORMULA}",
        f"{where}:4: {NAMES[C]}：营业收入（万元）: 单元格G4显示错误值#DIV/0!，按未知处理",
    ]
    assert problem_rows(result) == [
        ["2", NAMES[A], A, "从业人员", "=SUM(100,20)", f"单元格F2{FORMULA}", "按未知处理"],
        ["3", NAMES[B], B, "营业收入（万元）", "=F3*100", f"单元格G3{FORMULA}", "按未知处理"],
        ["4", NAMES[C], C, "营业收入（万元）", "#DIV/0!", "单元格G4显示错误值#DIV/0!，按未知处理", "按未知处理"],
    ]


def test_a_hidden_old_list_is_skipped_and_the_visible_one_read(kb):
    result = read("hidden_old_list", kb)
    assert ids(result) == [A, B, C]
    notice = ("已读取工作表“企业名单”；未读取“2021年名单”（隐藏的工作表，看起来是企业名单；只读取可见的工作表，"
              "如需读取请在 Excel 中取消隐藏）")
    assert messages(result) == [f"hidden_old_list/名单.xlsx[企业名单]: -: {notice}"]
    assert problem_rows(result) == [["", "", "", "-", "", notice, ""]]


def test_a_list_after_the_instructions_and_the_receivables_sheet(kb):
    result = read("instructions_first", kb)
    assert ids(result) == [A, B, C]
    assert result.records[1].facts["receivables"] == [
        {"debtor": "某事业单位", "debtor_type": "public_institution", "amount": 12}]
    notice = "已读取工作表“企业名单”和“被拖欠账款”；未读取“填表说明”（不是企业名单）"
    assert messages(result) == [f"instructions_first/名单.xlsx[企业名单]: -: {notice}"]
    assert problem_rows(result) == [["", "", "", "-", "", notice, ""]]


def test_every_visible_list_sheet_is_read_as_one_list(kb):
    result = read("two_list_sheets", kb)
    assert ids(result) == [A, B, C, file_cases.D]
    assert [r.where for r in result.records][2:] == ["two_list_sheets/名单.xlsx[北仑区]:4",
                                                      "two_list_sheets/名单.xlsx[镇海区]:2"]
    notice = "已读取工作表“北仑区”“镇海区”（2个名单工作表，按顺序合为一个名单）"
    assert messages(result) == [f"two_list_sheets/名单.xlsx: -: {notice}"]
    assert [w.level for w in result.warnings] == ["notice"]
    assert problem_rows(result) == [["", "", "", "-", "", notice, ""]]


def test_list_sheets_together_a_hidden_one_never_and_duplicates_across_them(kb, tmp_path, monkeypatch):
    # The same enterprise on two sheets is kept once; a sheet without the name column is not a
    # list to read; a hidden list is never read.
    monkeypatch.chdir(tmp_path)
    header, rows = file_cases.HEADER, file_cases.ROWS
    file_cases.write_xlsx(Path("名单.xlsx"), {
        "北仑区": [header, *rows[:2]], "旧表": [header, rows[2]], "统计": [["统一社会信用代码", "所属产业"], [C, "文具"]],
        "镇海区": [["序号", *header], ["合计", None, None], [1, *rows[0]], [2, *rows[2]]]}, hidden={"旧表"})
    result = read_records(Path("名单.xlsx"), kb)
    assert ids(result) == [A, B, C]
    assert [r.where for r in result.records] == ["名单.xlsx[北仑区]:2", "名单.xlsx[北仑区]:3", "名单.xlsx[镇海区]:4"]
    assert result.rejected_count == 1
    hidden = "“旧表”（隐藏的工作表，看起来是企业名单；只读取可见的工作表，如需读取请在 Excel 中取消隐藏）"
    assert messages(result) == [
        f"名单.xlsx: -: 已读取工作表“北仑区”“镇海区”（2个名单工作表，按顺序合为一个名单）；未读取{hidden}",
        "名单.xlsx[统计]: -: 工作表“统计”像企业名单，但表头没有“企业名称”列，无法识别其中的企业，未读取；如需处理，请补上该列；已忽略",
        "名单.xlsx[镇海区]:1: 序号: 未识别的列，已忽略",
        "名单.xlsx[镇海区]:2: -: 第2行是合计行，不是企业，已跳过",
        f"名单.xlsx[北仑区]:2: {NAMES[A]}：统一社会信用代码: 工作表“镇海区”第3行（{NAMES[A]}）与本行统一社会信用代码相同、"
        "企业名称相同，已按重复行跳过；已保留本行",
    ]
    assert [str(p) for p in result.rejected] == [
        f"名单.xlsx[镇海区]:3: {NAMES[A]}：统一社会信用代码: 与工作表“北仑区”第2行（{NAMES[A]}）统一社会信用代码相同、"
        "企业名称相同，是重复行，保留先出现的一行；已跳过"]
    assert [r[0] for r in problem_rows(result)] == ["", "", "2", "镇海区:1", "镇海区:2", "镇海区:3"]


def test_a_list_sheet_with_its_header_only_costs_nothing_beside_another(kb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    header = file_cases.HEADER
    file_cases.write_xlsx(Path("名单.xlsx"), {"北仑区": [header, *file_cases.ROWS], "镇海区": [header]})
    result = read_records(Path("名单.xlsx"), kb)
    assert ids(result) == [A, B, C]
    assert messages(result) == ["名单.xlsx: -: 已读取工作表“北仑区”“镇海区”（2个名单工作表，按顺序合为一个名单）",
                                "名单.xlsx[镇海区]: -: 工作表“镇海区”只有表头（第1行），没有企业"]
    file_cases.write_xlsx(Path("名单.xlsx"), {"北仑区": [header], "镇海区": [header]})
    with pytest.raises(RecordsError) as caught:
        read_records(Path("名单.xlsx"), kb)
    assert caught.value.format_message() == "名单.xlsx[北仑区]：名单只有表头（第1行），没有企业"


def test_an_xlsx_saved_under_an_xls_name_is_read_as_xlsx(kb):
    result = read("xlsx_named_xls", kb)
    assert ids(result) == [A, B]
    notice = "文件扩展名是.xls，但内容是Excel工作簿（.xlsx）；已按Excel工作簿（.xlsx）读取"
    assert messages(result) == [f"xlsx_named_xls/名单.xls: -: {notice}"]
    assert problem_rows(result) == [["", "", "", "-", "", notice, "已按Excel工作簿（.xlsx）读取"]]


def test_records_with_warnings_of_the_reader_are_counted(kb):
    # formulas never calculated and an error cell are the reader's warnings, not normalise's
    result = read("formulas_uncomputed", kb)
    assert result.warned_count == 3
    assert counts(result) == "3家企业有数据问题已按未知处理"


def test_a_total_row_of_the_receivables_sheet_is_a_notice(kb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    file_cases.write_xlsx(Path("名单.xlsx"), {
        "企业名单": [file_cases.HEADER, *file_cases.ROWS],
        "被拖欠账款": [["统一社会信用代码", "欠款单位", "金额（万元）"], [A, "某公司", 5], ["合计", None, "=SUM(C2)"]]})
    result = read_records(Path("名单.xlsx"), kb)
    assert result.records[0].facts["receivables"] == [{"debtor": "某公司", "amount": 5}]
    assert messages(result) == ["名单.xlsx[被拖欠账款]:3: -: 第3行是合计行，不是企业，已跳过"]
    assert result.warned_count == 0


def test_a_merged_district_gives_every_row_its_value(kb):
    result = read("merged_district", kb)
    assert [r.facts.get("district") for r in result.records] == ["beilun"] * 3
    assert messages(result) == [f"merged_district/名单.xlsx[企业名单]:2: {NAMES[A]}：所在区县: 合并单元格D2:D4（第2-4行）；已按合并值读取"]
    assert problem_rows(result) == [["2", NAMES[A], A, "所在区县", "北仑区", "合并单元格D2:D4（第2-4行）", "已按合并值读取"]]


def test_merged_ranges_are_held_only_while_passed():
    rows = [(1, ["区县", "x"]), (2, ["北仑区", 1]), (3, [None, 2]), (4, [None]), (5, [None, 5])]
    filled = list(_fill_merged(iter(rows), [(2, 1, 4, 1, "A2:A4"), (1, 1, 1, 2, "A1:B1")]))
    assert [r[0].value if hasattr(r[0], "value") else r[0] for _, r in filled] == ["区县", "北仑区", "北仑区", "北仑区", None]
    assert filled[0][1] == ["区县", "x"]  # a range within one row is layout, left alone


def test_a_merged_district_over_many_rows(kb, tmp_path, monkeypatch):
    import openpyxl

    monkeypatch.chdir(tmp_path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "企业名称", "所属产业", "所在区县"])
    from planner import uscc
    for i in range(600):
        sheet.append([uscc.make("91330206", f"NB{i:06d}"), f"企业{i}", "汽车", ["北仑区", "镇海区"][i // 300] if i % 300 == 0 else None])
    sheet.merge_cells("D2:D301")
    sheet.merge_cells("D302:D601")
    book.save("名单.xlsx")
    result = read_records(Path("名单.xlsx"), kb)
    assert [r.facts["district"] for r in result.records] == ["beilun"] * 300 + ["zhenhai"] * 300
    assert [p[5] for p in problem_rows(result)] == ["合并单元格D2:D301（第2-301行）",
                                                     "合并单元格D302:D601（第302-601行）"]


def test_unknown_columns_make_one_notice(kb):
    result = read("unknown_columns", kb)
    assert ids(result) == [A, B, C]
    assert messages(result) == ["unknown_columns/名单.csv:1: 序号、备注、填报人: 未识别的列，已忽略"]
    assert [w.level for w in result.warnings] == ["notice"]
    assert problem_rows(result) == [["1", "", "", "序号、备注、填报人", "", "未识别的列，已忽略", "已忽略"]]


# --- CSV the csv module refuses -----------------------------------------------------------

@pytest.mark.parametrize("case", ["csv_cr_only", "csv_mixed_endings"])
def test_any_line_endings(kb, case):
    result = read(case, kb)
    assert ids(result) == [A, B, C]
    assert [r.where for r in result.records] == [f"{case}/名单.csv:{n}" for n in (2, 3, 4)]
    assert problem_rows(result) == []


def test_a_cell_over_the_csv_field_limit(kb):
    import csv

    before = csv.field_size_limit()
    result = read("csv_long_cell", kb)
    assert ids(result) == [A, B]
    assert csv.field_size_limit() == before  # raised for the read only
    assert problem_rows(result) == [["1", "", "", "备注", "", "未识别的列，已忽略", "已忽略"]]


def test_nul_bytes_are_removed_with_a_warning(kb):
    result = read("csv_nul", kb)
    assert ids(result) == [A, B]
    assert result.records[0].name == NAMES[A]
    assert messages(result) == [f"csv_nul/名单.csv:2: {NAMES[A]}：企业名称: 单元格中有空字符（NUL）；已删除空字符"]
    assert problem_rows(result) == [["2", NAMES[A], A, "企业名称", "宁波甬兴\\0汽车零部件有限公司",
                                     "单元格中有空字符（NUL）", "已删除空字符"]]


def test_excel_unicode_text_utf16_with_tabs(kb):
    result = read("csv_utf16_tabs", kb)
    assert ids(result) == [A, B]
    assert [r.facts["district"] for r in result.records] == ["beilun", "beilun"]
    assert problem_rows(result) == []


# --- writing lists (planner convert) ------------------------------------------------------

HOSTILE = ["=HYPERLINK(\"http://x\",\"点我\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\t=1", "\r=1", "＝1+1"]


def _hostile_records(kb, tmp_path):
    import json

    from planner import uscc
    path = tmp_path / "list.yaml"
    body = "".join(f"  - id: {uscc.make('91330206', f'NB9{i:05d}')}\n    name: {json.dumps(text, ensure_ascii=False)}\n"
                   f"    sector: other\n    major_project: {json.dumps(text, ensure_ascii=False)}\n"
                   for i, text in enumerate(HOSTILE))
    path.write_text("enterprises:\n" + body, encoding="utf-8")
    result = read_records(path, kb)
    assert [r.name for r in result.records] == HOSTILE
    return result.records


def test_csv_cells_that_a_spreadsheet_would_run_are_prefixed(kb, tmp_path):
    records = _hostile_records(kb, tmp_path)
    written = write_table(records, tmp_path / "out.csv", kb)
    import csv
    import io
    rows = list(csv.reader(io.StringIO(written[0].read_bytes().decode("utf-8-sig"), newline="")))
    names = [row[1] for row in rows[1:]]
    assert names == ["'" + text for text in HOSTILE]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r", "＝")) for row in rows for cell in row)
    again = read_records(written[0], kb)  # reading it back gives the text as it was
    assert [r.name for r in again.records] == HOSTILE
    assert [r.facts["major_project"] for r in again.records] == HOSTILE


def test_the_receivables_csv_is_prefixed_too(kb, tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text(f"- id: {A}\n  name: 甲\n  sector: other\n  receivables:\n"
                    "    - {debtor: '=HYPERLINK(\"http://x\")', debtor_type: 其他, amount: 3}\n", encoding="utf-8")
    _, side = write_table(read_records(path, kb).records, tmp_path / "out.csv", kb)
    assert side.read_text(encoding="utf-8-sig").splitlines()[1].startswith(f"{A},\"'=HYPERLINK(")


def test_xlsx_keeps_every_text_cell_as_text(kb, tmp_path):
    import openpyxl

    records = _hostile_records(kb, tmp_path)
    (path,) = write_table(records, tmp_path / "out.xlsx", kb)
    sheet = openpyxl.load_workbook(path)["企业名单"]
    # XML turns a stored CR into LF on reading (its line-end rule); the text is otherwise kept.
    assert [sheet.cell(row=r, column=2).value for r in range(2, 2 + len(HOSTILE))] == \
        [text.replace("\r", "\n") for text in HOSTILE]
    assert {sheet.cell(row=r, column=2).data_type for r in range(2, 2 + len(HOSTILE))} == {"s"}


def test_control_characters_are_escaped_with_a_warning_not_a_crash(kb, tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("list.yaml").write_text(f"- id: {A}\n  name: \"甬兴\\u0007汽车\\u001b[31m\"\n  sector: other\n", encoding="utf-8")
    warnings = []
    (path,) = write_table(read_records(Path("list.yaml"), kb).records, Path("out.xlsx"), kb, warnings)
    import openpyxl
    assert openpyxl.load_workbook(path)["企业名单"]["B2"].value == "甬兴⟨U+0007⟩汽车⟨U+001B⟩[31m"
    message = "含有 Excel 工作簿不能保存的控制字符（U+0007、U+001B）"
    assert [str(w) for w in warnings] == [f"list.yaml:1: 甬兴\x07汽车\x1b[31m：企业名称: {message}；已写为“⟨U+XXXX⟩”形式"]
    assert [(w.code, w.value, w.outcome) for w in warnings] == [(A, "甬兴⟨U+0007⟩汽车⟨U+001B⟩[31m", "已写为“⟨U+XXXX⟩”形式")]
    result = runner.invoke(main, ["convert", "list.yaml", "again.xlsx"])
    assert result.exit_code == 0, result.output
    assert Path("again.xlsx").is_file()
    assert message in result.stderr


def test_raw_rows_keep_their_sheet_and_row(kb):
    warnings = []
    raws = read_raw(Path("instructions_first/名单.xlsx"), kb, warnings)
    assert [r.where for r in raws] == [f"instructions_first/名单.xlsx[企业名单]:{n}" for n in (2, 3, 4)]
    assert raws[1].receivables == [{"debtor": "某事业单位", "debtor_type": "事业单位", "amount": 12,
                                     "_where": "instructions_first/名单.xlsx[被拖欠账款]:2"}]


def test_a_list_only_in_a_hidden_sheet_is_refused_saying_how_to_use_it(kb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    file_cases.write_xlsx(Path("名单.xlsx"), {"说明": [["见隐藏表"]], "名单": [file_cases.HEADER, *file_cases.ROWS]},
                     hidden={"名单"})
    with pytest.raises(RecordsError) as caught:
        read_records(Path("名单.xlsx"), kb)
    assert caught.value.format_message() == ("名单.xlsx：工作簿中没有可见的企业名单工作表；隐藏的工作表“名单”像企业名单，"
                                             "如要使用，请在 Excel 中取消隐藏后保存")


def test_a_receivables_sheet_without_credit_codes_costs_no_enterprise(kb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    header = [*file_cases.HEADER, "被拖欠账款"]
    file_cases.write_xlsx(Path("名单.xlsx"), {"企业名单": [header, [*file_cases.ROWS[0], "有"], file_cases.ROWS[1]],
                                        "被拖欠账款": [["企业名称", "欠款单位", "金额（万元）"], [NAMES[A], "某公司", 5]]})
    result = read_records(Path("名单.xlsx"), kb)
    assert ids(result) == [A, B]
    assert messages(result) == [
        "名单.xlsx[被拖欠账款]:1: 统一社会信用代码: 被拖欠账款表缺少“统一社会信用代码”列，无法对应到企业，该表已忽略",
        "名单.xlsx[企业名单]:2: 宁波甬兴汽车零部件有限公司：被拖欠账款: 名单注明有被拖欠账款，但未找到被拖欠账款表（XLSX的“被拖欠账款”工作表或同名的 .receivables.csv）；按未知处理",
    ]


def test_an_old_format_file_that_xlrd_cannot_open(kb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # what a password-protected workbook looks like from outside
    Path("名单.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(RecordsError) as caught:
        read_records(Path("名单.xlsx"), kb)
    assert caught.value.format_message() == ("名单.xlsx：无法读取该工作簿（旧版 Excel 格式，文件可能已损坏；若设置了打开密码，"
                                             f"请先取消密码）；{SAVE_AS}")
