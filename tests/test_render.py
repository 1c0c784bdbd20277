"""Plans and briefs: snapshots of the Markdown and HTML, PDFs read back as a reader sees them."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from planner.cli import main
from planner.generate import Renderer, generate
from planner.matching import match
from planner.pdf import harfbuzz_subsetting
from planner.render import Templates

from conftest import AS_OF, EXAMPLES, sample_ids

STRESS = Path(__file__).parent / "fixtures" / "stress.yaml"


@pytest.fixture(scope="session")
def generated(kb, tmp_path_factory):
    """Every sample enterprise and the stress record, generated once with PDFs."""
    out = tmp_path_factory.mktemp("output")
    templates = Templates.from_option(None)
    generate(EXAMPLES / "enterprises.yaml", out, kb, templates, AS_OF, workers=2)
    generate(STRESS, out, kb, templates, AS_OF, workers=1)
    return out


def pdf_text(path: Path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages)


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("code", sample_ids())
def test_plan_markdown_snapshot(generated, snapshot_md, code):
    assert (generated / code / "plan.md").read_text(encoding="utf-8") == snapshot_md


@pytest.mark.parametrize("code", sample_ids())
def test_brief_markdown_snapshot(generated, snapshot_md, code):
    assert (generated / code / "brief.md").read_text(encoding="utf-8") == snapshot_md


@pytest.mark.parametrize("code", ["91330282NB0000040U", "92330205NB00001714"])
def test_html_handed_to_weasyprint_snapshot(kb, sample_records, snapshot_md, code):
    plan = match(copy.deepcopy(next(r for r in sample_records if r.id == code)), kb, AS_OF)
    renderer = Renderer(kb, Templates.from_option(None))
    rendered = renderer.render(plan)
    html = renderer.html(plan, rendered.plan_md, "plan") + renderer.html(plan, rendered.brief_md, "brief")
    assert html == snapshot_md


@pytest.mark.parametrize("code", sample_ids())
def test_pdf_text_has_the_name_and_every_measure(generated, code):
    plan = json.loads((generated / code / "plan.json").read_text(encoding="utf-8"))
    text = squash(pdf_text(generated / code / "帮扶方案.pdf"))
    assert squash(plan["enterprise"]["name"]) in text
    for measure in plan["measures"]:
        assert squash(measure["title"]) in text, measure["title"]


@pytest.mark.parametrize("code", sample_ids() + ["91330206NB9999997D"])
def test_brief_is_one_page(generated, code):
    reader = PdfReader(generated / code / "走访简报.pdf")
    assert len(reader.pages) == 1
    assert squash("走访简报") in squash(reader.pages[0].extract_text())


def test_stress_brief_cuts_by_priority_with_a_pointer(generated):
    brief = (generated / "91330206NB9999997D" / "brief.md").read_text(encoding="utf-8")
    assert re.search(r"^## 宣讲措施（另有\d+项，详见帮扶方案）$", brief, re.M)  # the pointer in the heading
    assert "## 诉求记录" in brief and "企业签字" in brief


def embedded_fonts(path: Path) -> list[tuple[str, bool]]:
    fonts = []
    for page in PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts.append((str(font["/BaseFont"]), embedded))
    return fonts


def test_fonts_are_embedded_and_subset(generated):
    fonts = embedded_fonts(generated / "91330282NB0000040U" / "帮扶方案.pdf")
    assert fonts and all(embedded for _, embedded in fonts)
    assert all(name.split("+")[0].isupper() and "+" in name for name, _ in fonts)  # subset tag: ABCDEF+
    assert any("Fandol" in name for name, _ in fonts)  # the GB/T 9704 faces (tests/test_look.py)
    assert (generated / "91330282NB0000040U" / "帮扶方案.pdf").stat().st_size < 2_000_000


def test_weasyprint_has_harfbuzz_subsetting():
    # Without libharfbuzz-subset0 WeasyPrint falls back to Python subsetting: 25x slower.
    assert harfbuzz_subsetting(), "install Debian's libharfbuzz-subset0 (make setup does, as root)"


def test_pdf_streams_are_deflated_at_level_6(generated):
    # planner.pdf sets pydyf's deflate level (level 9 cost ~30 ms a PDF for 0.4% smaller files);
    # zlib's header says the level: 78 9C is the default level (6), 78 DA is 7-9.
    data = (generated / "91330282NB0000040U" / "帮扶方案.pdf").read_bytes()
    headers = re.findall(rb"/Filter\s*/FlateDecode[^>]*>>\s*stream\r?\n(..)", data, re.S)
    assert len(headers) >= 5
    assert set(headers) == {b"\x78\x9c"}, set(headers)


def test_pdf_metadata(generated):
    meta = PdfReader(generated / "91330282NB0000040U" / "帮扶方案.pdf").metadata
    assert meta.title == "宁波甬锐汽车电子部件有限公司 一企一策帮扶方案"
    assert meta.author == "宁波市经济和信息化局"
    assert meta.subject == "宁波市“稳企业强主体”“畅循环稳工业”两大攻坚行动"
    assert meta["/CreationDate"].startswith("D:20220615")


def test_same_inputs_give_identical_outputs(kb, tmp_path):
    templates = Templates.from_option(None)
    for run in ("a", "b"):
        generate(STRESS, tmp_path / run, kb, templates, AS_OF, workers=1)
    for name in ("plan.md", "brief.md", "plan.json", "帮扶方案.pdf", "走访简报.pdf"):
        a = (tmp_path / "a" / "91330206NB9999997D" / name).read_bytes()
        assert a == (tmp_path / "b" / "91330206NB9999997D" / name).read_bytes(), name


def test_generate_command(runner, tmp_path, monkeypatch):
    shutil.copy(EXAMPLES / "enterprises.yaml", tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["generate", "enterprises.yaml", "--as-of", "2022-06-15", "--format", "md"])
    assert result.exit_code == 0, result.output
    assert result.output == "已生成20家企业的新版本，0家未变化（跳过）；输出目录 output/；查看新版本：planner changes output --last-run\n"
    assert sorted(p.name for p in (tmp_path / "output" / "91330282NB0000040U").iterdir()) == [
        "brief.md", "plan.json", "plan.md", "version.json"]
    again = runner.invoke(main, ["generate", "enterprises.yaml", "--as-of", "2022-06-15", "--format", "md"])
    assert again.output == "已生成0家企业的新版本，20家未变化（跳过）；输出目录 output/\n"


def test_sector_template_takes_precedence(kb, sample_records, tmp_path):
    (tmp_path / "plan-automotive.md.j2").write_text("# 汽车专用：{{ name }}\n", encoding="utf-8")
    renderer = Renderer(kb, Templates.from_option(tmp_path))
    auto = next(r for r in sample_records if r.facts.get("sector") == "automotive")
    other = next(r for r in sample_records if r.facts.get("sector") == "apparel")
    assert renderer.render(match(copy.deepcopy(auto), kb, AS_OF)).plan_md == f"# 汽车专用：{auto.name}\n"
    assert renderer.render(match(copy.deepcopy(other), kb, AS_OF)).plan_md.startswith(f"# {other.name}“一企一策”")


def test_combined_briefs_one_page_each(runner, tmp_path):
    target = tmp_path / "beilun.pdf"
    result = runner.invoke(main, ["briefs", str(EXAMPLES / "enterprises.yaml"), "--combined", str(target),
                                  "--district", "北仑区", "--as-of", "2022-06-15"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("已将3份走访简报（北仑区，每份一页）写入 ")  # the filter said back
    pages = PdfReader(target).pages
    assert len(pages) == 3
    assert all("北仑区" in squash(p.extract_text()) for p in pages)


def test_a_stylesheet_takes_in_its_shared_piece_from_the_search_path(tmp_path):
    """plan.css and summary.css share letterhead.css (the red 版头, the page): it is put in their
    place when read, the bureau's own copy first, and a sheet that takes in itself is refused."""
    from planner.render import RenderError

    bundled = Templates.from_option(None)
    letterhead = bundled.stylesheet("letterhead.css")[0]
    for name in ("plan.css", "summary.css"):
        text = bundled.stylesheet(name)[0]
        assert not re.search(r"^@import", text, re.MULTILINE) and letterhead in text and ".banner {" in text
    (tmp_path / "letterhead.css").write_text(".banner { color: #c00000; }\n", encoding="utf-8")
    own = Templates.from_option(tmp_path).stylesheet("summary.css")
    assert ".banner { color: #c00000; }" in own[0] and letterhead not in own[0]
    (tmp_path / "summary.css").write_text('@import "summary.css";\n', encoding="utf-8")
    with pytest.raises(RenderError, match="样式表 summary.css 引用了自身"):
        Templates.from_option(tmp_path).stylesheet("summary.css")
