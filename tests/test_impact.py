"""planner impact: the keys a proposed profile edit changes, the enterprises it affects, and the
report written as Markdown, a workbook or a PDF to circulate."""

from __future__ import annotations

import subprocess

import openpyxl
import pytest

from planner.cli import main
from planner.impact import tree_changes

from conftest import EXAMPLES
from test_versions import edited_sectors  # noqa: F401  (a fixture)

LIST = str(EXAMPLES / "enterprises.yaml")
LOGISTICS_LINE = "automotive.yaml: automotive_logistics.period.end 2022-12-31 → 2022-09-30"


def edit(root, old: str, new: str, after: str | None = None, name: str = "automotive.yaml") -> None:
    """Replace the first ``old`` (after ``after`` when given) in a file of a tree copy."""
    path = root / name
    text = path.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")


@pytest.fixture
def logistics_moved(sectors_copy):
    edit(sectors_copy, "end: 2022-12-31", "end: 2022-09-30", after="- id: automotive_logistics")
    return sectors_copy


def impact(runner, sectors, *more):
    return runner.invoke(main, ["impact", LIST, "--sectors", str(sectors), "--as-of", "2022-06-15", *more])


def test_impact_lists_exactly_the_affected_enterprises(runner, edited_sectors):  # noqa: F811
    result = impact(runner, edited_sectors)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == ["措施库改动（共1处）：",
                         "  automotive.yaml: automotive_chip_matchmaking.period.end 2022-12-31 → 2022-09-30"]
    automotive = ["91330206NB0000059N", "91330282NB0000040U"]
    named = [line for line in lines if line and not line.startswith(" ") and "（9" in line]
    assert sorted(line.split("（")[1].split("）")[0] for line in named) == automotive
    assert "拟调整措施库影响2家企业（共20家）。" in lines
    assert "  “芯机”对接保障芯片供应（automotive_chip_matchmaking）：变更2家" in lines


def test_impact_names_the_changed_key(runner, logistics_moved):
    result = impact(runner, logistics_moved)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == ["措施库改动（共1处）：", f"  {LOGISTICS_LINE}"]
    assert "  畅通汽车产业链物流（automotive_logistics）：变更2家" in result.output


def test_impact_reports_a_wording_edit(runner, sectors_copy):
    edit(sectors_copy, "拓展芯片供应渠道，着力解决缺芯问题。", "拓展芯片供应渠道，优先保障重点整车企业。")
    result = impact(runner, sectors_copy)
    assert result.exit_code == 0, result.output
    assert "拟调整措施库影响2家企业（共20家）。" in result.output
    assert ("  automotive.yaml: automotive_chip_matchmaking.summary 组织芯片企业与整车、零部件企业开展“芯机”对接，"
            "拓展芯片供应渠道，着力解决缺芯问题。 → 组织芯片企业与整车、零部件企业开展“芯机”对接，"
            "拓展芯片供应渠道，优先保障重点整车企业。") in result.output
    assert "内容摘要：组织芯片企业与整车、零部件企业开展“芯机”对接，拓展芯片供应渠道，着力解决缺芯问题。 → " in result.output


def test_tree_changes_name_new_and_removed_files_keys_and_measures(sectors_copy, tmp_path):
    base = tmp_path / "base"
    import shutil

    shutil.copytree(sectors_copy, base)
    (sectors_copy / "apparel.yaml").unlink()
    (sectors_copy / "textile.yaml").write_text("id: textile\n", encoding="utf-8")
    edit(sectors_copy, "    questions:\n      - 当前物流受阻的具体线路和货物是什么？\n", "",
         after="- id: automotive_logistics")
    edit(sectors_copy, "  - id: automotive_supply_chain_security\n",
         "  - id: automotive_new\n    title: 新措施\n  - id: automotive_supply_chain_security\n")
    edit(sectors_copy, "# 汽车", "# 汽车产业")  # a comment only
    edit(sectors_copy, "lead: [市经信局]", "lead: [市经信局, 市商务局]", after="- id: automotive_supply_chain_security")
    lines = [c.line() for c in tree_changes(base, sectors_copy)]
    assert lines == [
        "apparel.yaml: 文件已删除",
        "automotive.yaml: automotive_logistics.questions 删除（原为 [当前物流受阻的具体线路和货物是什么？]）",
        "automotive.yaml: automotive_supply_chain_security.lead [市经信局] → [市经信局, 市商务局]",
        "automotive.yaml: automotive_new 新增 “新措施”",
        "textile.yaml: 新增文件",
    ]
    edit(sectors_copy, "# 汽车产业", "# 汽车")
    assert tree_changes(base, base) == []


def test_a_comment_only_edit_is_named_as_such(sectors_copy, tmp_path):
    import shutil

    shutil.copytree(sectors_copy, tmp_path / "base")
    edit(sectors_copy, "# 汽车", "# 汽车产业")
    assert [c.line() for c in tree_changes(tmp_path / "base", sectors_copy)] == [
        "automotive.yaml: （仅注释或格式不同） → （内容相同）"]


def test_impact_markdown_report(runner, logistics_moved, tmp_path, snapshot_md):
    target = tmp_path / "影响评估.md"
    result = impact(runner, logistics_moved, "--format", "md", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("影响评估报告（Markdown）已写入 影响评估.md：1处措施库改动，影响2家企业（共20家）")
    text = target.read_text(encoding="utf-8")
    assert "- `automotive.yaml`: `automotive_logistics.period.end` 2022-12-31 → 2022-09-30" in text
    assert "| 畅通汽车产业链物流 | automotive\\_logistics | 0 | 0 | 2 |" in text
    assert text == snapshot_md


def test_impact_markdown_escapes_what_it_prints(runner, sectors_copy, tmp_path):
    edit(sectors_copy, "title: 畅通汽车产业链物流", "title: 畅通<b>物流</b> | [x](javascript:y)")
    target = tmp_path / "r.md"
    assert impact(runner, sectors_copy, "--output", str(target)).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert "\\<b\\>物流\\</b\\> \\| \\[x\\]\\(javascript:y\\)" in text and "<b>" not in text.replace("\\<b\\>", "")


def test_impact_workbook(runner, logistics_moved, tmp_path):
    target = tmp_path / "影响评估.xlsx"
    result = impact(runner, logistics_moved, "--output", str(target))  # the format from the suffix
    assert result.exit_code == 0, result.output
    assert "影响评估报告（Excel）已写入" in result.stdout
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["措施库改动", "受影响企业", "按措施汇总"]
    changes = [[c.value for c in row] for row in book["措施库改动"].iter_rows()]
    assert changes == [["文件", "键", "改动", "现行", "拟调整"],
                       ["automotive.yaml", "automotive_logistics.period.end", "修改", "2022-12-31", "2022-09-30"]]
    enterprises = [[c.value for c in row] for row in book["受影响企业"].iter_rows()]
    assert enterprises[0] == ["企业名称", "统一社会信用代码", "变化概要", "措施变化"]
    assert sorted(r[1] for r in enterprises[1:]) == ["91330206NB0000059N", "91330282NB0000040U"]
    assert all(r[3].startswith("变更：畅通汽车产业链物流（实施期限：2022年6月1日至12月31日 → 2022年6月1日至9月30日）")
               for r in enterprises[1:])
    assert [[c.value for c in row] for row in book["按措施汇总"].iter_rows()][1] == [
        "畅通汽车产业链物流", "automotive_logistics", 0, 0, 2]
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames)
    assert book["措施库改动"]["A1"].font.bold


def test_impact_pdf(runner, logistics_moved, tmp_path):
    target = tmp_path / "影响评估.pdf"
    result = impact(runner, logistics_moved, "--format", "pdf", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert "影响评估报告（PDF）已写入" in result.stdout
    text = subprocess.run(["pdftotext", "-raw", str(target), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "措施库调整影响评估" in flat
    assert "".join(LOGISTICS_LINE.split()) in flat
    assert "拟调整措施库影响2家企业（共20家）。" in flat and "宁波珂屹汽车部件有限公司（91330206NB0000059N）" in flat


def test_impact_pdf_needs_an_output_and_an_existing_folder(runner, logistics_moved, tmp_path):
    result = impact(runner, logistics_moved, "--format", "pdf")
    assert result.exit_code != 0 and "--format pdf 需要用 --output 指定要写入的文件" in result.stderr
    missing = impact(runner, logistics_moved, "--output", str(tmp_path / "no" / "r.xlsx"))
    assert missing.exit_code != 0 and "输出目录" in missing.stderr and not (tmp_path / "no").exists()


def test_control_characters_in_a_profile_are_shown_not_sent(runner, sectors_copy):
    edit(sectors_copy, "title: 畅通汽车产业链物流", "title: 畅通\u202e汽车产业链物流")
    result = impact(runner, sectors_copy)
    assert result.exit_code == 0, result.output
    assert "\u202e" not in result.output
    assert "  automotive.yaml: automotive_logistics.title 畅通汽车产业链物流 → 畅通⟨U+202E⟩汽车产业链物流" in result.output
