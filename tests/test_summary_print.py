"""The summary as the officials it is reported to read it (a district bureau's 汇总 sent to the
city): the bureau's red 版头 and the 报送 line, no program, file or folder named on the page, the
headline figures first, and no short term or number broken across the lines of a table cell.

The data are those of `make demo`: the sample list, the visits' request sheet, the departments'
answers."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from planner import __version__
from planner.cli import main

from conftest import EXAMPLES

INTERNAL = ("planner", ".yaml", ".db", ".xlsx", ".json", __version__, "requests", "sectors/", "output")


def demo_follow_ups() -> list:
    """The cadres' 回访 and the bureau's 销号 of the Makefile's demo-ledger, read from it, so this
    folder is the demo's: (request, to, flags, by, at)."""
    makefile = (EXAMPLES.parent / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    steps = []
    for line in makefile.splitlines():
        if "planner requests update" in line:
            words = shlex.split(line.split("planner requests update", 1)[1])
            sq, _dir, *rest = words
            to = rest[rest.index("--to") + 1]
            by = rest[rest.index("--by") + 1]
            at = rest[rest.index("--at") + 1]
            more = [w for w in rest if w in ("--satisfied", "--not-satisfied")]
            if "--note" in rest:
                more += ["--note", rest[rest.index("--note") + 1]]
            steps.append((sq, to, more, by, at))
    assert len(steps) >= 4, "the Makefile's demo-ledger takes follow-ups"
    return steps


DEMO_FOLLOW_UPS = demo_follow_ups()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's output folder, made as `make demo` makes it (plans as of 30 June, the ledger)."""
    from click.testing import CliRunner

    runner = CliRunner()
    out = tmp_path_factory.mktemp("demo") / "output"
    steps = [
        ["generate", str(EXAMPLES / "enterprises.yaml"), "--out", str(out), "--as-of", "2022-06-15", "--format", "md"],
        ["requests", "import", str(EXAMPLES / "走访诉求登记表.xlsx"), str(out)],
        *(["requests", "assign", str(out), "--by", "市经信局", "--at", at] for at in ("2022-06-17", "2022-06-22",
                                                                                       "2022-06-27")),
        ["requests", "import", str(EXAMPLES / "部门办理结果.xlsx"), str(out)],
        *(["requests", "update", sq, str(out), "--to", to, *more, "--by", by, "--at", at] for sq, to, more, by, at in
          DEMO_FOLLOW_UPS),
        ["generate", str(EXAMPLES / "enterprises.yaml"), "--out", str(out), "--as-of", "2022-06-30", "--format", "md"],
    ]
    for args in steps:
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
    return out


@pytest.fixture(scope="module")
def summaries(demo):
    """The demo's summary as PDF and as Markdown, dated 1 July 2022."""
    from click.testing import CliRunner

    runner = CliRunner()
    made = {}
    for suffix in ("pdf", "md"):
        target = demo.parent / f"汇总.{suffix}"
        result = runner.invoke(main, ["summary", str(EXAMPLES / "enterprises.yaml"), "--plans", str(demo),
                                      "--out", str(target), "--date", "2022-07-01"])
        assert result.exit_code == 0, result.output
        made[suffix] = target
    return made


def pdf_text(path) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_the_page_names_no_program_version_file_or_folder(summaries):
    text, markdown = pdf_text(summaries["pdf"]), summaries["md"].read_text(encoding="utf-8")
    for page in (text, markdown):
        assert not [word for word in INTERNAL if word in page]
    # where the figures come from, in the reader's words
    assert "数据截至2022年6月30日；企业名单20家；诉求台账登记诉求30件。" in text
    # the program's version stays in the PDF's properties, off the page
    assert PdfReader(summaries["pdf"]).metadata["/Creator"] == f"planner {__version__}"


def test_the_first_page_has_the_red_letterhead_the_title_and_the_report_line(summaries):
    reader = PdfReader(summaries["pdf"])
    first = "".join(reader.pages[0].extract_text().split())
    assert first.startswith("宁波市经济和信息化局助企纾困“一企一策”帮扶工作汇总")
    assert "报送单位：宁波市经济和信息化局报送日期：2022年7月1日" in first
    red = rb"0\.90196\d* 0 0 (rg|RG)"  # #e60000, the plan's 版头 and its rule
    assert re.search(red, reader.pages[0].get_contents().get_data())
    assert not re.search(red, reader.pages[1].get_contents().get_data())  # on page 1 only, as in the plan
    assert "— 1 —" in reader.pages[0].extract_text() and "第 1 页" not in reader.pages[0].extract_text()


def test_the_reporting_bureau_can_be_named(demo, runner, tmp_path):
    target = tmp_path / "汇总.pdf"
    result = runner.invoke(main, ["summary", str(demo), "--out", str(target), "--author", "北仑区经济和信息化局",
                                  "--date", "2022-07-01"])
    assert result.exit_code == 0, result.output
    reader = PdfReader(target)
    assert "".join(reader.pages[0].extract_text().split()).startswith("北仑区经济和信息化局")
    assert "报送单位：北仑区经济和信息化局" in pdf_text(target)
    assert reader.metadata["/Author"] == "北仑区经济和信息化局"


def test_the_headline_figures_come_first_with_their_fractions_and_the_target(summaries):
    text = pdf_text(summaries["pdf"])
    head = text[:text.index("二、")]
    assert "一、主要指标" in head
    assert "停产减产重点企业帮扶覆盖率100%（4/4）达到100%（上半年）达标" in head
    assert "诉求办理率63.3%（19/30）不低于95%（持续保持）未达标，还需办结10件" in head  # one reopened by its 回访
    assert "超期未办结诉求9件" in head
    assert "诉求办理率=（办结＋回访＋销号）÷（登记−撤回）" in head


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_no_label_or_number_of_a_table_breaks_across_lines(summaries):
    """Every cell of a label, number or verdict column (aligned in the template), each enterprise
    and each department named in a table, is found whole on one printed line as often as the
    tables hold it: a cell broken in two (账款拖/欠) would be missing from the lines."""
    markdown = summaries["md"].read_text(encoding="utf-8")
    layout = subprocess.run(["pdftotext", "-layout", str(summaries["pdf"]), "-"], capture_output=True, text=True,
                            check=True).stdout
    lines = ["".join(line.split()) for line in layout.splitlines()]
    wanted = {}
    for block in re.findall(r"(?:^\|.*\|\n)+", markdown, re.MULTILINE):
        rows = [[c.strip() for c in row.strip("|").split("|")] for row in block.strip().splitlines()]
        header, aligns, body = rows[0], rows[1], rows[2:]
        for row in body:
            for name, align, cell in zip(header, aligns, row):
                parts = cell.split("、") if name == "承办部门" else [cell]
                for part in parts:
                    part = "".join(part.split())
                    label = align != "---" or name in ("类别", "诉求类别", "状态")
                    if len(part) >= 2 and (label or (name == "承办部门" and len(part) <= 8)):
                        wanted[part] = wanted.get(part, 0) + 1
    assert "账款拖欠" in wanted and "政策兑现" in wanted and "66.6%（4/6）" in wanted and "市人力社保局" in wanted
    broken = {term: (n, found) for term, n in wanted.items()
              if (found := sum(line.count(term) for line in lines)) < n}
    assert not broken


def test_no_table_header_is_left_at_the_foot_of_a_page(summaries):
    """A table's header row is never the last line of a page, away from its rows."""
    layout = subprocess.run(["pdftotext", "-layout", str(summaries["pdf"]), "-"], capture_output=True, text=True,
                            check=True).stdout if shutil.which("pdftotext") else None
    if layout is None:
        pytest.skip("needs poppler's pdftotext")
    headers = ("指标完成情况", "区县（市）登记", "企业类别承办部门", "措施适用待核实", "日期事项", "险种单位费率",
               "措施待核实企业", "所属产业企业数")
    for page in layout.split("\f"):
        lines = ["".join(line.split()) for line in page.splitlines() if line.strip()]
        body = [line for line in lines if not re.fullmatch(r"—\d+—", line)]
        assert not (body and body[-1].startswith(headers)), body[-1]


def test_a_column_alignment_is_a_class_not_an_inline_style():
    """The web pages refuse inline styles (Content-Security-Policy style-src 'self'): the summary's
    aligned columns must reach them, and WeasyPrint, as classes."""
    from planner.render import markdown_to_html

    html = markdown_to_html('| 名称 | 企业数 | 对照 |\n| :--- | ---: | :---: |\n| a"style="x | 1 | 达标 |\n')
    assert "style=" not in html.replace("&quot;style=&quot;", "")
    assert '<td class="align-left">a&quot;style=&quot;x</td>' in html
    assert '<th class="align-right">企业数</th>' in html and '<td class="align-center">达标</td>' in html


def test_the_figures_are_numbered_in_the_order_they_appear(summaries):
    """The 诉求办理 chart (section 三) comes before the measures' chart (section 五): 图1, then 图2."""
    text = pdf_text(summaries["pdf"])
    first, second = text.index("图1"), text.index("图2")
    assert first < second and "图3" not in text
    assert text[first:].startswith("图1各区县（市）诉求办理率") and text[second:].startswith("图2各项措施覆盖企业数")
    assert text.index("三、诉求办理") < first < text.index("四、") < text.index("五、") < second


def test_the_overdue_table_says_a_state_as_the_request_lists_do(summaries, demo):
    """SQ-2022-000011, returned by both its departments, is 交办（已退回） in requests list and on the
    department's sheet: the summary's overdue table says the same."""
    from click.testing import CliRunner

    listed = CliRunner().invoke(main, ["requests", "list", str(demo), "--status", "退回", "--as-of", "2022-06-30"])
    (line,) = listed.stdout.splitlines()
    assert line.split("  ")[3] == "交办（已退回）"
    markdown = summaries["md"].read_text(encoding="utf-8")
    (row,) = [r for r in markdown.splitlines() if r.startswith("| 宁波恒屹智能装备有限公司 | 技术 |")]
    assert "| （待重新交办） | 交办（已退回） |" in row
    assert "| 已退回 |" not in markdown
    assert "交办（已退回）" in pdf_text(summaries["pdf"])


def test_a_deadline_of_the_coverage_target_counts_as_the_coverage_does(summaries):
    """停产减产重点企业帮扶率 is due 30 June: 4 key enterprises (the coverage's 4/4) have the measure
    that serves it; 3 more have it only to be verified. The row says 4, and the 3 apart."""
    markdown = summaries["md"].read_text(encoding="utf-8")
    assert "停产减产重点企业帮扶覆盖率 | 100%（4/4）" in markdown
    assert "| 日期 | 事项 | 涉及企业 | 待核实企业 |" in markdown
    assert "| 2022年6月30日 | 停产减产重点企业帮扶率（上半年） | 4 | 3 |" in markdown
    assert "| 2022年6月30日 | 惠企政策全部落地兑现（6月底） | 20 | 0 |" in markdown
    assert "待核实企业：该措施是否适用尚待走访核实的企业，不计入涉及企业" in markdown
    # the measures' table says the same split: 适用 4, 待核实 3
    assert "| 停产减产重点企业帮扶 | 4 | 3 | 0 | 7 |" in markdown
