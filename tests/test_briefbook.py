"""Briefs printed from an output folder: the reviewed versions, each page as its brief.pdf (issue 13)."""

from __future__ import annotations

import re
import shutil

from pypdf import PdfReader

from conftest import EXAMPLES, sample_ids
from test_render import generated  # noqa: F401  (the session's PDFs, generated once)


def page_texts(path) -> list[str]:
    return ["".join(page.extract_text().split()) for page in PdfReader(path).pages]


def test_briefs_of_a_day_from_an_output_folder_are_the_single_briefs_behind_a_route_sheet(
        runner, generated, tmp_path):  # noqa: F811
    from planner.cli import main

    day = [sample_ids()[5], sample_ids()[1], sample_ids()[12]]  # the visits of a day, in the cadre's order
    target = tmp_path / "明天.pdf"
    result = runner.invoke(main, ["briefs", str(generated), "--combined", str(target), "--id", day[0],
                                  "--id", f"{day[1]}，{day[2]}"])
    assert result.exit_code == 0, result.output
    assert "已将3份走访简报（每份一页，另附走访路线单）写入" in result.output
    pages = page_texts(target)
    assert len(pages) == 4
    cover = pages[0]
    assert "走访路线单" in cover
    import json

    names = [json.loads((generated / code / "plan.json").read_text(encoding="utf-8"))["enterprise"]["name"]
             for code in day]
    assert [cover.index(n) for n in names] == sorted(cover.index(n) for n in names)  # in print order
    # the print's pages are numbered across it, so a dropped sheet goes back in its place; a brief
    # alone is one page and carries no number (each brief said 第1页/共1页 inside the print)
    for k, page in enumerate(pages, 1):
        assert page.endswith(f"第{k}页/共4页") and page.count("页/共") == 1
    for code, page in zip(day, pages[1:]):
        alone = page_texts(generated / code / "走访简报.pdf")[0]
        assert "页/共" not in alone
        assert page == alone + f"第{pages.index(page) + 1}页/共4页"  # header, footer, hash: the same page


def test_an_unknown_id_is_named_and_the_others_still_print(runner, generated, tmp_path):  # noqa: F811
    from planner.cli import main

    target = tmp_path / "b.pdf"
    result = runner.invoke(main, ["briefs", str(generated), "--combined", str(target), "--no-cover",
                                  "--id", sample_ids()[0], "--id", "91330200MA0000000X"])
    assert result.exit_code == 1
    assert "91330200MA0000000X：输出目录中没有这家企业（请核对统一社会信用代码，或先为它生成方案）" in result.output
    assert str(generated) not in result.output  # no folder path: the code is what was typed
    assert len(page_texts(target)) == 1


def test_the_route_sheet_names_an_enterprise_asked_for_whose_brief_is_not_printed(runner, generated,
                                                                                  tmp_path):  # noqa: F811
    """A cadre holding the paper (the web's download says nothing else) sees which visit lacks its brief."""
    from planner.cli import main

    target = tmp_path / "b.pdf"
    result = runner.invoke(main, ["briefs", str(generated), "--combined", str(target),
                                  "--id", sample_ids()[0], "--id", "91330200MA0000000X"])
    assert result.exit_code == 1
    pages = page_texts(target)
    assert len(pages) == 2
    assert "另有1家企业未打印简报" in pages[0] and "91330200MA0000000X：输出目录中没有这家企业" in pages[0]
    assert generated.name not in pages[0]  # the paper shows no file path (it showed output/<code>)
    whole = runner.invoke(main, ["briefs", str(generated), "--combined", str(tmp_path / "c.pdf"),
                                 "--id", sample_ids()[0]])
    assert whole.exit_code == 0 and "未打印" not in page_texts(tmp_path / "c.pdf")[0]


def test_a_list_prints_only_the_ids_asked_for_in_that_order(runner, tmp_path):
    from planner.cli import main

    shutil.copy(EXAMPLES / "enterprises.yaml", tmp_path)
    ids = tmp_path / "ids.txt"
    ids.write_text(f"# 周三走访\n{sample_ids()[3]}\n{sample_ids()[0]}  # 上午\n", encoding="utf-8")
    target = tmp_path / "b.pdf"
    result = runner.invoke(main, ["briefs", str(tmp_path / "enterprises.yaml"), "--combined", str(target),
                                  "--ids-file", str(ids), "--as-of", "2022-06-15"])
    assert result.exit_code == 0, result.output
    pages = page_texts(target)
    assert len(pages) == 2
    import yaml

    names = {e["id"]: e["name"] for e in yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text())["enterprises"]}
    assert names[sample_ids()[3]] in pages[0] and names[sample_ids()[0]] in pages[1]


def test_a_folder_that_is_not_an_output_folder_is_refused(runner, tmp_path):
    from planner.cli import main

    result = runner.invoke(main, ["briefs", str(tmp_path), "--combined", str(tmp_path / "b.pdf")])
    assert result.exit_code != 0 and "不是 planner generate 的输出目录" in result.output


def test_the_route_sheet_of_twenty_visits_takes_one_page_with_each_phone_on_one_line(
        runner, generated, tmp_path):  # noqa: F811
    """The columns are sized for what they hold (brief.css): before, 包联干部 wrapped onto three lines
    and 20 visits ran onto a second page (trial 26)."""
    from planner.cli import main

    target = tmp_path / "全部.pdf"
    result = runner.invoke(main, ["briefs", str(generated), "--combined", str(target)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(target)
    briefs = len(list(generated.glob("*/走访简报.pdf")))
    assert len(reader.pages) == briefs + 1  # the route sheet is one page
    cover = reader.pages[0].extract_text()
    phones = [line for line in cover.splitlines() if any(p in line for p in ("0574-", "138000"))]
    assert len(phones) >= briefs - 1  # a phone is never broken across lines
    for line in phones:
        assert re.search(r"(0574-\d{8}|1380000\d{4})", line), line


def test_a_whole_folder_prints_in_piles_by_district_and_cadre(runner, generated, tmp_path):  # noqa: F811
    """Without --id the print runs district by district (vocabulary.yaml's order), a cadre's visits
    together, so each pile can be handed out; it ran by credit code, with 海曙区 at 1 and 19 (trial 28)."""
    import json

    from planner import knowledge
    from planner.cli import main

    target = tmp_path / "全部.pdf"
    assert runner.invoke(main, ["briefs", str(generated), "--combined", str(target)]).exit_code == 0
    cover = PdfReader(target).pages[0].extract_text()
    kb = knowledge.load(EXAMPLES.parent / "sectors")
    order = [v.id for v in kb.vocabularies["districts"]]
    plans = [json.loads(p.read_text(encoding="utf-8"))["enterprise"] for p in generated.glob("*/plan.json")]
    printed = sorted(plans, key=lambda e: cover.index(e["name"]) if e["name"] in cover else 10 ** 6)
    districts = [order.index(e["district"]) for e in printed if e["name"] in cover]
    assert districts == sorted(districts) and len(districts) >= 20
