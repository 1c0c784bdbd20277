"""Hostile input stays harmless: alias bombs, long names, a killed planner, a thousand workers.

Whatever could run away (memory, time) runs in a subprocess with a memory limit and a timeout,
so a regression fails its test instead of taking the suite down.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# "Billion laughs": 342 bytes that expand to 9^9 strings.
BOMB = "a: &a [" + ",".join(['"lol"'] * 9) + "]\n" + "".join(
    f"{name}: &{name} [{','.join(['*' + prev] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi"))


def bounded(code: str, memory_mib: int = 1536, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter limited to ``memory_mib`` of address space."""
    prelude = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({memory_mib} << 20, {memory_mib} << 20))
    """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_the_bomb_is_the_classic_one():
    assert len(BOMB.encode()) == 342 and BOMB.count("*") == 72


@pytest.mark.parametrize("fast", [True, False])
def test_an_alias_bomb_in_a_records_file_is_refused_at_once(tmp_path, fast):
    path = tmp_path / "名单.yaml"
    path.write_text(BOMB, encoding="utf-8")
    done = bounded(f"""
        import time
        from planner.yamlio import YamlSyntaxError, load_document
        start = time.perf_counter()
        try:
            load_document({str(path)!r}, "名单.yaml", fast={fast})
        except YamlSyntaxError as exc:
            print(exc.problem.line, exc.problem.message, round(time.perf_counter() - start, 1), sep="|")
    """)
    assert done.returncode == 0, done.stderr
    line, message, seconds = done.stdout.strip().split("|")
    assert (line, message) == ("5", "YAML 别名展开过多（超过 10000 个节点），疑似恶意文件，已拒绝读取")
    assert float(seconds) < 2


def test_an_alias_bomb_in_the_records_read_is_a_records_error(tmp_path):
    path = tmp_path / "名单.yaml"
    path.write_text("enterprises:\n  - name: x\n    note: &x [1, 2]\n" + BOMB, encoding="utf-8")
    done = bounded(f"""
        from planner import knowledge
        from planner.exceptions import RecordsError
        from planner.records import read_records
        from planner.resources import bundled
        try:
            read_records({str(path)!r}, knowledge.load(bundled("sectors")))
        except RecordsError as exc:
            print(exc)
    """)
    assert done.returncode == 0, done.stderr
    assert "YAML 别名展开过多（超过 10000 个节点），疑似恶意文件，已拒绝读取" in done.stdout
    assert "名单.yaml:8:" in done.stdout  # the line of e:, whose aliases cross the bound


def test_an_alias_bomb_in_the_sector_tree_is_a_problem_of_that_file(sectors_copy):
    (sectors_copy / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    done = bounded(f"""
        from pathlib import Path
        from planner import knowledge
        try:
            knowledge.load(Path({str(sectors_copy)!r}))
        except knowledge.KnowledgeError as exc:
            print("\\n".join(f"{{p.file}}|{{p.line}}|{{p.message}}" for p in exc.problems if "bomb" in p.file))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{sectors_copy / 'bomb.yaml'}|5|YAML 别名展开过多（超过 10000 个节点），疑似恶意文件，已拒绝读取"]


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    from planner.yamlio import YamlSyntaxError, load_document

    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb: &b [1, {c: *b}]\n", encoding="utf-8")
    for fast in (True, False):
        with pytest.raises(YamlSyntaxError) as caught:
            load_document(path, "x.yaml", fast=fast)
        assert (caught.value.problem.line, caught.value.problem.message) == (
            2, "YAML 别名引用了它自身所在的结构（循环引用），已拒绝读取")


def test_a_modest_use_of_aliases_still_loads(tmp_path):
    from planner.yamlio import load_document

    path = tmp_path / "x.yaml"
    path.write_text("base: &base {size: small, district: beilun}\n"
                    + "".join(f"e{i}: *base\n" for i in range(1000)), encoding="utf-8")
    for fast in (True, False):
        doc, _ = load_document(path, "x.yaml", fast=fast)
        assert doc.data["e999"] == {"size": "small", "district": "beilun"} and len(doc.data) == 1001


def three_records(tmp_path, name: str | None = None, **changes) -> Path:
    """The first three sample enterprises; the second one renamed to ``name`` and changed."""
    import yaml

    data = yaml.safe_load((ROOT / "examples" / "enterprises.yaml").read_text(encoding="utf-8"))["enterprises"][:3]
    if name is not None:
        data[1]["name"] = name
    data[1].update(changes)
    path = tmp_path / "名单.yaml"
    path.write_text(yaml.safe_dump({"enterprises": data}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


LONG_NAME = "宁波" + "甬江" * 1499  # 3,000 characters


def test_a_long_name_still_gets_its_documents_with_the_brief_name_cut(kb, tmp_path):
    from planner.generate import generate
    from planner.render import Templates

    from conftest import AS_OF

    records = three_records(tmp_path, LONG_NAME)
    result = generate(records, tmp_path / "out", kb, Templates.from_option(None), AS_OF, ("md", "pdf"), workers=1)
    assert result.failed == [] and len(result.written) == 3
    folder = tmp_path / "out" / "91330205NB0000024M"
    brief = (folder / "brief.md").read_text(encoding="utf-8")
    assert brief.startswith("# 走访简报：" + LONG_NAME[:57] + "…\n")  # 57 characters and …: 115 of 116 columns
    assert LONG_NAME in (folder / "plan.md").read_text(encoding="utf-8")
    assert LONG_NAME in (folder / "plan.json").read_text(encoding="utf-8")
    from pypdf import PdfReader

    assert len(PdfReader(folder / "走访简报.pdf").pages) == 1


def test_combined_briefs_print_a_long_name(kb, tmp_path):
    from pypdf import PdfReader

    from planner.generate import combined_briefs
    from planner.render import Templates

    from conftest import AS_OF

    plans, _ = combined_briefs(three_records(tmp_path, LONG_NAME), tmp_path / "briefs.pdf", kb,
                               Templates.from_option(None), AS_OF, workers=1)
    assert len(plans) == 3 and len(PdfReader(tmp_path / "briefs.pdf").pages) == 3


def test_one_brief_that_cannot_be_made_does_not_stop_the_print_job(kb, tmp_path):
    """A bureau brief template that breaks for one sector: the others are printed, that one named."""
    from pypdf import PdfReader

    from planner.generate import BriefsIncomplete, combined_briefs
    from planner.render import Templates

    from conftest import AS_OF

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "brief-optical_film.md.j2").write_text("# {{ name }}\n{{ no_such_value }}\n", encoding="utf-8")
    target = tmp_path / "briefs.pdf"
    with pytest.raises(BriefsIncomplete) as caught:
        combined_briefs(three_records(tmp_path), target, kb, Templates.from_option(folder), AS_OF, workers=1)
    where = f"{caught.value.read.records[1].where}"
    assert caught.value.format_message() == (
        f"{where}：91330205NB0000024M：模板 brief-optical_film.md.j2 第2行出错：未定义的变量 no_such_value\n"
        f"以上1家企业的走访简报未能生成；其余2份已写入 {target}，处理后再次运行同一命令即可。")
    assert [p.id for p in caught.value.plans] == ["91330211NB0000016G", "91330212NB0000032L"]
    assert len(PdfReader(target).pages) == 2


def test_the_briefs_command_exits_non_zero_and_names_the_enterprise(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "brief-optical_film.md.j2").write_text("# {{ name }}\n{{ no_such_value }}\n", encoding="utf-8")
    records, target = three_records(tmp_path), tmp_path / "briefs.pdf"
    run = subprocess.run([sys.executable, "-m", "planner", "briefs", str(records), "--combined", str(target),
                          "--as-of", "2022-06-15", "--templates", str(folder)],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "91330205NB0000024M：模板 brief-optical_film.md.j2 第2行出错：未定义的变量 no_such_value" in run.stderr
    assert target.is_file()
    assert run.stdout.startswith(f"已将2份走访简报（每份一页）写入 {target.name}")


HOSTILE = "\x1b]8;;http://x\x07链接\x1b]8;;\x07\x1b[2J\u202e反转\x00"
MARKED = "⟨U+001B⟩]8;;http://x⟨U+0007⟩链接⟨U+001B⟩]8;;⟨U+0007⟩⟨U+001B⟩[2J⟨U+202E⟩反转⟨U+0000⟩"
RAW = set("\x1b\x07\x00\u202e")


def test_control_characters_and_escapes_are_shown_not_sent_in_plan_and_brief(kb, tmp_path):
    from planner.generate import generate
    from planner.render import Templates

    from conftest import AS_OF

    records = three_records(tmp_path, f"宁波{HOSTILE}公司", contact=HOSTILE)
    result = generate(records, tmp_path / "out", kb, Templates.from_option(None), AS_OF, ("md",), workers=1)
    assert result.failed == [] and len(result.written) == 3
    folder = tmp_path / "out" / "91330205NB0000024M"
    for name in ("plan.md", "brief.md"):
        text = (folder / name).read_text(encoding="utf-8")
        assert not RAW & set(text), name
        assert MARKED.replace("[", "\\[").replace("]", "\\]").replace("+", "\\+") in text, name


def test_the_terminal_diff_shows_control_characters_as_marks(kb, tmp_path):
    from planner.diff import diff_plans, load_side
    from planner.diff_output import as_terminal
    from planner.generate import generate
    from planner.render import Templates

    from conftest import AS_OF

    out = tmp_path / "out"
    generate(three_records(tmp_path), out, kb, Templates.from_option(None), AS_OF, ("md",), workers=1)
    generate(three_records(tmp_path, f"宁波{HOSTILE}公司", contact=HOSTILE), out, kb, Templates.from_option(None),
             AS_OF, ("md",), workers=1)
    folder = out / "91330205NB0000024M"
    for color in (False, True):
        text = as_terminal(diff_plans(load_side(f"{folder}@v1"), load_side(str(folder)), kb), color=color)
        assert MARKED in text and not set("\x07\x00\u202e") & set(text)
        if color:  # the only escapes are click's own colours
            assert not [c for c in text.split("\x1b[")[1:] if not c[:1].isdigit()]
        else:
            assert "\x1b" not in text


def test_the_pdf_metadata_shows_control_characters_as_marks(kb):
    from planner.generate import Renderer
    from planner.matching import match
    from planner.records import Record
    from planner.render import Templates

    from conftest import AS_OF

    renderer = Renderer(kb, Templates.from_option(None))
    plan = match(Record({"id": "91330206NB00000169", "name": f"宁波{HOSTILE}公司", "sector": "automotive",
                         "industry_code": "C3670"}, "test"), kb, AS_OF)
    page = renderer.html(plan, renderer.render(plan).brief_md, "brief")
    assert not RAW & set(page)
    assert f"<title>宁波{MARKED}公司 {kb.campaign.documents['brief']}</title>" in page


def test_match_shows_control_characters_as_marks_and_keeps_json_data_whole(runner, tmp_path):
    import json

    from planner.cli import main

    records = three_records(tmp_path, f"宁波{HOSTILE}公司")
    table = runner.invoke(main, ["match", str(records), "--as-of", "2022-06-15", "--id", "91330205NB0000024M"])
    assert not RAW & set(table.output) and "⟨U+202E⟩" in table.output
    raw_json = runner.invoke(main, ["match", str(records), "--as-of", "2022-06-15", "--id", "91330205NB0000024M",
                                    "--json"]).stdout
    assert not RAW & set(raw_json) and "\\u202e" in raw_json
    assert json.loads(raw_json)["enterprise"]["name"] == f"宁波{HOSTILE}公司"  # the data itself unchanged


def test_a_broken_bureau_diff_or_chart_template_is_a_chinese_error_not_a_traceback(runner, kb, tmp_path):
    from planner.cli import main
    from planner.generate import generate
    from planner.render import Templates

    from conftest import AS_OF

    records = three_records(tmp_path)
    generate(records, tmp_path / "out", kb, Templates.from_option(None), AS_OF, ("md",), workers=1)
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "diff.md.j2").write_text("{{ name }}\n{{ no_such_value }}\n", encoding="utf-8")
    (folder / "chart.svg.j2").write_text("<svg>{{ rows.__class__.__mro__ }}</svg>", encoding="utf-8")
    side = str(tmp_path / "out" / "91330205NB0000024M")
    result = runner.invoke(main, ["diff", side, side, "--format", "md", "--templates", str(folder)])
    assert result.exit_code == 2
    assert result.output == "错误：模板 diff.md.j2 第2行出错：未定义的变量 no_such_value\n"
    result = runner.invoke(main, ["summary", str(tmp_path / "out"), "--out", str(tmp_path / "s.pdf"),
                                  "--templates", str(folder)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("错误：模板 chart.svg.j2 第1行出错：使用了模板不允许的属性或方法")
