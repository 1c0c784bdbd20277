"""Untrusted text is inert: record fields print literally in Markdown, HTML and PDF, and nothing is read."""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from planner.exceptions import RenderError
from planner.generate import Renderer
from planner.matching import match
from planner.pdf import PdfJob, render_pdf
from planner.records import Record
from planner.render import Templates

from conftest import AS_OF

EVIL = [
    '<img src="file:///etc/passwd">',
    "**x**",
    "[a](javascript:x)",
    "{{ 7*7 }}",
    "| a | b |",
]


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def renderer(kb):
    return Renderer(kb, Templates.from_option(None))


def evil_plan(kb, text):
    facts = {"id": "91330206NB00000169", "name": f"宁波{text}公司", "sector": "automotive",
             "industry_code": "C3670", "contact": text, "major_project": text,
             "receivables": [{"debtor": text, "debtor_type": "government", "amount": 10,
                              "disputed": False, "in_litigation": False}]}
    return match(Record(facts, "test"), kb, AS_OF)


@pytest.mark.parametrize("text", EVIL)
def test_markdown_and_html_print_it_literally(kb, renderer, text):
    plan = evil_plan(kb, text)
    rendered = renderer.render(plan)
    for markdown_text, kind in ((rendered.plan_md, "plan"), (rendered.brief_md, "brief")):
        assert text not in markdown_text  # always escaped in the Markdown source
        page = renderer.html(plan, markdown_text, kind)
        assert f"宁波{text}公司" in visible_text(page)
        assert "<img" not in page and "<a " not in page and "<strong>x</strong>" not in page
        assert "49" not in visible_text(page).replace(plan.provenance["record"], "").replace(
            plan.provenance["profiles"], "")


def visible_text(page: str) -> str:
    """What a reader sees: tags removed, entities decoded (escaped text holds no real tag)."""
    return htmllib.unescape(re.sub(r"<[^>]*>", "", page))


def test_a_pipe_in_a_cell_does_not_add_columns(kb, renderer):
    plan = evil_plan(kb, "| a | b |")
    page = renderer.html(plan, renderer.render(plan).plan_md, "plan")
    rows = [r.split("</tr>")[0] for r in page.split("<tr>")[1:]]
    rows = [r for r in rows if "| a | b |" in htmllib.unescape(r)]
    assert rows and all(r.count("<td>") in (4, 5) for r in rows)  # facts table: 4 columns; receivables: 5


@pytest.mark.parametrize("text", EVIL)
def test_pdf_prints_it_literally_and_reads_no_file(kb, renderer, text, tmp_path):
    plan = evil_plan(kb, text)
    rendered = renderer.render(plan)
    fetched: list = []
    target = tmp_path / "plan.pdf"
    job = renderer.pdf_job(plan, rendered.plan_md, "plan", target)
    render_pdf(job, fetcher_log=fetched)
    assert squash(f"宁波{text}公司") in squash("".join(p.extract_text() for p in PdfReader(target).pages))
    assert all(allowed for _, allowed in fetched)
    assert not any("passwd" in url for url, _ in fetched)


def test_the_fetcher_refuses_everything_but_bundled_assets(kb, renderer, tmp_path):
    """Even HTML that asks for local files and network addresses gets nothing."""
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }", encoding="utf-8")
    page = (
        '<html><head><link rel="stylesheet" href="file://' + str(secret) + '">'
        '<link rel="attachment" href="file:///etc/passwd"></head><body>'
        '<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
        '<div style="background: url(file:///etc/hostname)">x</div></body></html>'
    )
    fetched: list = []
    target = tmp_path / "out.pdf"
    render_pdf(PdfJob(page, renderer.stylesheets("plan"), str(target)), fetcher_log=fetched)
    refused = {url for url, allowed in fetched if not allowed}
    assert {"file:///etc/passwd", "http://127.0.0.1:9/x.png", "file:///etc/hostname",
            Path(secret).as_uri()} <= refused
    assert not any(allowed for _, allowed in fetched)
    assert not PdfReader(target).attachments


def test_a_code_span_shows_backticks_literally():
    from planner.render import md_code, markdown_to_html

    assert md_code("a`b") == "``a`b``"
    assert markdown_to_html(f"x {md_code('``[a](javascript:x)')} y") == "<p>x <code>``[a](javascript:x)</code> y</p>\n"


def bureau_templates(tmp_path, text: str, name: str = "plan.md.j2") -> Templates:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return Templates.from_option(folder)


def test_a_template_cannot_run_commands(kb, tmp_path):
    marker = tmp_path / "ran"
    templates = bureau_templates(tmp_path, "# {{ name }}\n\n{{ cycler.__init__.__globals__.os.popen('touch "
                                           f"{marker}').read() }}}}\n")
    with pytest.raises(RenderError) as caught:
        Renderer(kb, templates).render(evil_plan(kb, "x"))
    assert str(caught.value) == ("模板 plan.md.j2 第3行出错：使用了模板不允许的属性或方法"
                                 "（access to attribute '__init__' of 'type' object is unsafe.）；"
                                 "模板只能使用传入的变量和过滤器")
    assert not marker.exists()


@pytest.mark.parametrize("reach", ["{{ name.__class__.__mro__ }}", "{{ measures.append(1) }}",
                                   "{{ (facts|first).update(x=1) }}"])
def test_a_template_cannot_reach_python_internals_or_mutate_data(kb, tmp_path, reach):
    templates = bureau_templates(tmp_path, "# {{ name }}\n" + reach + "\n")
    with pytest.raises(RenderError, match="^模板 plan.md.j2 第2行出错：使用了模板不允许的属性或方法"):
        Renderer(kb, templates).render(evil_plan(kb, "x"))


def test_a_template_cannot_read_a_file_outside_the_search_path(kb, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "leak.md.j2").symlink_to(secret)
    for include in (str(secret), "../secret.txt", "leak.md.j2"):
        templates = bureau_templates(tmp_path, "# {{ name }}\n{% include '" + include + "' %}\n")
        with pytest.raises(RenderError) as caught:
            Renderer(kb, templates).render(evil_plan(kb, "x"))
        assert str(caught.value) == f"模板 plan.md.j2 第2行出错：找不到模板 {include}（只能引用模板目录中的文件）"


def test_a_template_may_include_and_extend_templates_on_the_search_path(kb, tmp_path):
    bureau_templates(tmp_path, "{% block body %}{% endblock %}\n", "base.md.j2")
    bureau_templates(tmp_path, "{{ name | upper }}：{{ (measures + universal) | length }}条\n", "part.md.j2")
    templates = bureau_templates(tmp_path, "{% extends 'base.md.j2' %}{% block body %}"
                                           "{% include 'part.md.j2' %}{% for f in facts[:1] %}{{ f.label }}"
                                           "{% endfor %}{% endblock %}")
    plan = evil_plan(kb, "x")
    text = Renderer(kb, templates).render(plan).plan_md
    assert text == f"宁波X公司：{len(plan.measures)}条\n统一社会信用代码"


def test_an_undefined_value_names_the_template_and_line(kb, tmp_path):
    templates = bureau_templates(tmp_path, "# {{ name }}\n\n{% if true %}\n{{ no_such_value }}\n{% endif %}\n")
    with pytest.raises(RenderError) as caught:
        Renderer(kb, templates).render(evil_plan(kb, "x"))
    assert str(caught.value) == "模板 plan.md.j2 第4行出错：未定义的变量 no_such_value"


def test_a_syntax_error_names_the_template_and_line(kb, tmp_path):
    templates = bureau_templates(tmp_path, "# {{ name }}\n{% for x in %}\n")
    with pytest.raises(RenderError) as caught:
        Renderer(kb, templates).render(evil_plan(kb, "x"))
    assert str(caught.value).startswith("模板 plan.md.j2 第2行出错：模板语法错误（")
