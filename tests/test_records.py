"""Reading officers' lists: formats, encodings, Chinese headers and values, validation."""

from __future__ import annotations

import shutil

import pytest

from planner.cli import main
from planner.records import read_records, write_table

from conftest import AS_OF, EXAMPLES

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def facts(result):
    return [r.facts for r in result.records]


@pytest.fixture(scope="module")
def from_yaml(kb):
    return read_records(EXAMPLES / "enterprises.yaml", kb)


def test_samples_cover_what_the_issue_asks(from_yaml, kb):
    records = [r.facts for r in from_yaml.records]
    assert len(records) >= 16
    sectors = {r.get("sector") for r in records}
    assert set(kb.sectors) <= sectors | {None}
    assert "other" in sectors
    assert any(r.get("entity_type") == "individual_business" for r in records)
    assert {r.get("production_status") for r in records} >= {"normal", "reduced", "stopped"}
    honors = {h for r in records for h in r.get("honors", [])}
    assert honors == set(kb.vocabularies["honors"].entries)
    items = [i for r in records for i in r.get("receivables", [])]
    assert any(i.get("in_litigation") for i in items) and any(i.get("disputed") for i in items)
    assert any(not i.get("in_litigation") and not i.get("disputed") for i in items)
    assert any("size" not in r for r in records) and any("sector" not in r for r in records)


def test_xlsx_with_chinese_headers_gives_the_same_records(kb, from_yaml):
    assert facts(read_records(EXAMPLES / "enterprises.xlsx", kb)) == facts(from_yaml)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_gives_the_same_records(kb, from_yaml, tmp_path, encoding):
    written = write_table(from_yaml.records, tmp_path / "list.csv", kb)
    for path in written:  # re-encode what Excel would have saved
        text = path.read_text(encoding="utf-8-sig")
        path.write_bytes(text.encode(encoding))
    result = read_records(tmp_path / "list.csv", kb)
    assert facts(result) == facts(from_yaml)
    assert not result.rejected


def test_values_in_chinese_and_lists_with_any_separator(kb, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "统一社会信用代码,企业名称,所属产业,企业规模,生产状态,重点企业,主要困难,荣誉资质\n"
        "91330206NB00000169,甲,汽车,小型,减产,是,缺芯、缺工;缺订单,单项冠军，专精特新小巨人\n"
        "91330205NB0000024M,乙,automotive,small,reduced,true,chip_shortage,\n",
        encoding="utf-8",
    )
    a, b = facts(read_records(path, kb))
    assert a["difficulties"] == ["chip_shortage", "labor_shortage", "order_shortage"]
    assert a["honors"] == ["single_champion", "little_giant"]
    assert {k: a[k] for k in ("sector", "size", "production_status", "key_enterprise")} == \
           {k: b[k] for k in ("sector", "size", "production_status", "key_enterprise")}
    assert "honors" not in b  # an empty cell is unknown, not "none"


def test_text_is_kept_exactly(kb, tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- {id: 91330206NB00000169, name: '  宁波 **甬兴** <b>公司</b>  ', sector: other}\n", encoding="utf-8")
    assert read_records(path, kb).records[0].name == "  宁波 **甬兴** <b>公司</b>  "


def test_unknown_columns_are_named_not_silently_dropped(kb, tmp_path, monkeypatch):
    shutil.copy(FIXTURES / "bad_records.csv", tmp_path)
    monkeypatch.chdir(tmp_path)
    result = read_records(tmp_path / "bad_records.csv", kb)
    # (the other warnings are about values of rows, see the next test)
    assert [str(w) for w in result.warnings if w.where.endswith(":1")] == ["bad_records.csv:1: 备注: 未识别的列，已忽略"]


def test_bad_records_one_message_each_good_rows_planned(runner, tmp_path, monkeypatch):
    # Issue #10: only rows without a usable identity (bad check character, one code for two
    # names, no name) are rejected; an unknown sector or a negative head count is an unknown fact.
    shutil.copy(FIXTURES / "bad_records.csv", tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["match", "bad_records.csv", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "提示：bad_records.csv:1: 备注: 未识别的列，已忽略",
        "错误：bad_records.csv:2: 宁波甬兴汽车零部件有限公司：统一社会信用代码: 统一社会信用代码与第6行"
        "（宁波甬兴汽车零部件有限公司（重复））相同而企业名称不同，无法判断属于哪家企业，均已跳过",
        "错误：bad_records.csv:3: 宁波示例坏码有限公司：统一社会信用代码: 统一社会信用代码第18位校验码应为9，实为X"
        "（“91330206NB0000016X”），无法识别企业；已跳过",
        "警告：bad_records.csv:4: 宁波示例未知产业有限公司：所属产业: 所属产业的取值“造船”不在可选范围内"
        "（服装、家电、汽车、装备、磁性材料、光学膜、绿色石化、文具、其他）；按未知处理",
        "警告：bad_records.csv:5: 宁波示例负数有限公司：从业人员: 不能为负数：-5；按未知处理",
        "错误：bad_records.csv:6: 宁波甬兴汽车零部件有限公司（重复）：统一社会信用代码: 统一社会信用代码与第2行"
        "（宁波甬兴汽车零部件有限公司）相同而企业名称不同，无法判断属于哪家企业，均已跳过",
        "错误：bad_records.csv:7: 91330206NB0000059N：企业名称: 缺少企业名称，无法识别企业；已跳过",
        "已判断3家企业；4条记录无法识别已跳过，2家企业有数据问题已按未知处理",
    ]
    planned = [line for line in result.stdout.splitlines() if line.startswith("== ")]
    assert planned == [  # the code of rows 2 and 6 names two enterprises: neither is planned
        "== 宁波示例未知产业有限公司（91330205NB0000024M）· 其他 · 基准日2022年6月15日",
        "== 宁波示例负数有限公司（91330212NB0000032L）· 磁性材料 · 基准日2022年6月15日",
        "== 宁海县乐岚文具有限公司（91330226NB0000120C）· 文具 · 基准日2022年6月15日",
    ]


def test_yaml_record_errors_name_the_line(kb, tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text(
        "enterprises:\n"
        "  - id: 91330206NB00000169\n"
        "    name: 甲\n"
        "    sector: other\n"
        "  - id: 91330205NB0000024M\n"
        "    name: 乙\n"
        "    size: 巨型\n",
        encoding="utf-8",
    )
    result = read_records(path, kb)
    # Issue #10: a bad size and a missing sector keep the enterprise, with warnings on its line.
    assert len(result.records) == 2 and not result.rejected
    assert [p.field for p in result.warnings] == ["企业规模", "所属产业"]
    assert [p.where.rsplit("/", 1)[-1] for p in result.warnings] == ["list.yaml:5", "list.yaml:5"]
    assert result.warned_count == 1 and "size" not in result.records[1].facts
