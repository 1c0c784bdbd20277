"""Versioned output, history, semantic diffs and redlines, impact of a profile edit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from planner import knowledge
from planner.cli import main
from planner.diff import diff_plans, load_side
from planner.diff_output import as_html, as_markdown, as_terminal
from planner.generate import generate
from planner.render import Templates
from planner.versions import versions_in

from conftest import AS_OF, EXAMPLES

AUTO = "91330206NB0000059N"  # automotive, production normal


def stable(text: str) -> str:
    """A diff's text without the time its versions were generated (local time, minutes)."""
    return re.sub(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", "〈生成时间〉", text)


def write_records(path: Path, change=None) -> Path:
    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    if change:
        change(data["enterprises"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def stop(enterprises):
    next(e for e in enterprises if e["id"] == AUTO)["production_status"] = "stopped"


@pytest.fixture
def two_versions(kb, tmp_path):
    templates = Templates.from_option(None)
    out = tmp_path / "out"
    generate(write_records(tmp_path / "v1.yaml"), out, kb, templates, AS_OF, ("md",))
    generate(write_records(tmp_path / "v2.yaml", stop), out, kb, templates, AS_OF, ("md",))
    return out


def test_a_changed_fact_makes_a_new_version(two_versions, kb, snapshot_md):
    folder = two_versions / AUTO
    assert [v.number for v in versions_in(folder)] == [1, 2]
    v1 = (folder / "history" / "v1" / "plan.md").read_text(encoding="utf-8")
    assert "| 生产状态 | 正常 |" in v1 and "| 生产状态 | 停产 |" in (folder / "plan.md").read_text(encoding="utf-8")
    other = next(p for p in two_versions.iterdir() if p.is_dir() and p.name != AUTO)
    assert [v.number for v in versions_in(other)] == [1]  # the others had nothing to change
    result = diff_plans(load_side(f"{folder}@v1"), load_side(str(folder)), kb)
    assert "新增：多元化拓展供应链渠道（状态：适用） —— 原因：生产状态由“正常”变为“停产”" in [
        m.line() for m in result.measures]
    assert stable(as_terminal(result, color=False)).replace(str(two_versions), "OUT") == snapshot_md


def test_unchanged_rerun_makes_no_version(kb, tmp_path):
    records = write_records(tmp_path / "list.yaml")
    templates = Templates.from_option(None)
    first = generate(records, tmp_path / "out", kb, templates, AS_OF, ("md",))
    again = generate(records, tmp_path / "out", kb, templates, AS_OF, ("md",))
    assert len(first.written) == 20 and again.written == [] and len(again.unchanged) == 20
    assert all(len(versions_in(p)) == 1 for p in (tmp_path / "out").iterdir() if p.is_dir())
    later = generate(records, tmp_path / "out", kb, templates, AS_OF.replace(day=20), ("md",))
    assert len(later.written) == 20
    assert versions_in(tmp_path / "out" / AUTO)[-1].meta["trigger"] == ["基准日变化"]


def test_diff_exit_status_like_diff1(two_versions, runner):
    folder = two_versions / AUTO
    assert runner.invoke(main, ["diff", f"{folder}@v1", f"{folder}@v1"]).exit_code == 0
    assert runner.invoke(main, ["diff", f"{folder}@v1", str(folder)]).exit_code == 1
    missing = runner.invoke(main, ["diff", f"{folder}@v1", f"{folder}@v7"])
    assert missing.exit_code == 2
    assert missing.stderr == f"错误：{folder}@v7：{folder} 中没有第7版（现有版本：v1、v2）\n"


def test_diff_trouble_is_exit_2_with_a_message(two_versions, runner, tmp_path):
    folder = two_versions / AUTO
    nowhere = runner.invoke(main, ["diff", f"{folder}@v1", str(folder), "--format", "pdf", "--output",
                                   str(tmp_path / "no" / "such" / "redline.pdf")])
    assert nowhere.exit_code == 2 and "输出目录" in nowhere.stderr and not (tmp_path / "no").exists()
    broken = tmp_path / "plan.json"
    broken.write_text('{"enterprise": {}, "measures": [{"id": "x"}]}', encoding="utf-8")
    result = runner.invoke(main, ["diff", f"{folder}@v1", str(broken)])
    assert result.exit_code == 2 and "plan.json 内容不完整或已损坏" in result.stderr
    assert "Traceback" not in result.output


def test_an_interrupted_commit_leaves_v1_whole(kb, tmp_path, monkeypatch):
    templates = Templates.from_option(None)
    out = tmp_path / "out"
    generate(write_records(tmp_path / "v1.yaml"), out, kb, templates, AS_OF, ("md",))
    before = {p: p.read_bytes() for p in (out / AUTO).rglob("*") if p.is_file()}

    def boom(*args):
        raise RuntimeError("killed between the temporary write and the rename")

    monkeypatch.setattr("planner.versions.os.rename", boom)
    result = generate(write_records(tmp_path / "v2.yaml", stop), out, kb, templates, AS_OF, ("md",))
    assert result.written == [] and [f[1:] for f in result.failed] == [
        (AUTO, "RuntimeError: killed between the temporary write and the rename")]
    after = {p: p.read_bytes() for p in (out / AUTO).rglob("*") if p.is_file()}
    assert after == before  # v1 and the published files untouched, nothing half-written left
    assert not [p for p in out.rglob("*") if p.name.startswith(".staging") or p.name.endswith(".tmp")]


def test_an_interrupted_file_write_leaves_no_partial_file(tmp_path, monkeypatch):
    from planner.store import atomic_write

    target = tmp_path / "plan.md"
    atomic_write(target, "v1")
    monkeypatch.setattr("planner.store.os.replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, "v2")
    assert target.read_text() == "v1" and [p.name for p in tmp_path.iterdir()] == ["plan.md"]


def test_two_concurrent_runs_give_consistent_versions(tmp_path):
    a = write_records(tmp_path / "a.yaml")
    b = write_records(tmp_path / "b.yaml", stop)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "planner", "generate", "--out", str(out), "--as-of", "2022-06-15",
               "--format", "md"]
    runs = [subprocess.Popen(command + [str(p)], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for p in (a, b)]
    assert all(r.wait(timeout=120) == 0 for r in runs)
    for folder in (p for p in out.iterdir() if p.is_dir()):
        found = versions_in(folder)
        assert [v.number for v in found] == list(range(1, len(found) + 1))
        for v in found:
            names = {p.name for p in v.path.iterdir()} - {"history"}
            assert names == {"brief.md", "plan.json", "plan.md", "version.json"}
            assert v.meta["sizes"] == {n: (v.path / n).stat().st_size for n in ("plan.md", "brief.md", "plan.json")}
    assert len(versions_in(out / AUTO)) == 2  # one run's record, then the other's


def moved_deadline(root: Path) -> None:
    """Move the chip matchmaking's end from 2022-12-31 to 2022-09-30 in a profile copy."""
    path = root / "automotive.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("period: {start: 2022-06-01, end: 2022-12-31}",
                                 "period: {start: 2022-06-01, end: 2022-09-30}", 1), encoding="utf-8")


@pytest.fixture
def edited_sectors(sectors_copy):
    moved_deadline(sectors_copy)
    return sectors_copy


def test_a_profile_edit_makes_new_versions_for_that_sector_only(kb, tmp_path, edited_sectors):
    records = write_records(tmp_path / "list.yaml")
    out = tmp_path / "out"
    templates = Templates.from_option(None)
    first = generate(records, out, kb, templates, AS_OF, ("md",))
    again = generate(records, out, knowledge.load(edited_sectors), templates, AS_OF, ("md",))
    assert sorted(again.written) == ["91330206NB0000059N", "91330282NB0000040U"]  # the two automotive
    assert len(again.unchanged) == len(first.written) - 2
    assert versions_in(out / AUTO)[-1].meta["trigger"] == ["措施库变化"]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_diff_snapshots_deadline_moved_in_a_profile(kb, edited_sectors, tmp_path, snapshot_md, fmt):
    records = write_records(tmp_path / "list.yaml")
    out = tmp_path / "out"
    templates = Templates.from_option(None)
    generate(records, out, kb, templates, AS_OF, ("md",))
    generate(records, out, knowledge.load(edited_sectors), templates, AS_OF, ("md",))
    result = diff_plans(load_side(f"{out / AUTO}@v1"), load_side(f"{out / AUTO}@v2"), kb)
    assert [m.line() for m in result.measures] == [
        "变更：“芯机”对接保障芯片供应（实施期限：2022年6月1日至12月31日 → 2022年6月1日至9月30日） —— 原因：措施库已调整"]
    text = as_markdown(result, templates) if fmt == "md" else as_html(result, templates)
    assert stable(text).replace(str(out), "OUT") == snapshot_md


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_diff_snapshots_normal_to_stopped(two_versions, kb, snapshot_md, fmt):
    folder = two_versions / AUTO
    result = diff_plans(load_side(f"{folder}@v1"), load_side(f"{folder}@v2"), kb)
    templates = Templates.from_option(None)
    text = as_markdown(result, templates) if fmt == "md" else as_html(result, templates)
    assert stable(text).replace(str(two_versions), "OUT") == snapshot_md


def test_redline_of_a_date_shows_the_date_as_one_token_pair():
    from planner.redline import redline

    old = "- **实施期限**：2022-06-01至2022-12-31\n"
    new = "- **实施期限**：2022-06-01至2022-09-30\n"
    [hunk] = redline(old, new)
    assert hunk.blocks[0].pieces == [(0, "实施期限：2022-06-01至"), (-1, "2022-12-31"), (1, "2022-09-30")]


def test_pdf_redline(two_versions, runner, tmp_path):
    from pypdf import PdfReader

    target = tmp_path / "redline.pdf"
    result = runner.invoke(main, ["diff", f"{two_versions / AUTO}@v1", str(two_versions / AUTO),
                                  "--format", "pdf", "--output", str(target)])
    assert result.exit_code == 1
    text = "".join(p.extract_text() for p in PdfReader(target).pages)
    assert "多元化拓展供应链渠道" in "".join(text.split())
    assert PdfReader(target).pages[0].mediabox.width == pytest.approx(595.276, abs=0.5)
    assert len(PdfReader(target).pages) <= 2


def financing(enterprises):
    """The enterprise now also reports 融资难, first among its difficulties."""
    found = next(e for e in enterprises if e["id"] == AUTO)
    found["difficulties"] = ["financing"] + found["difficulties"]


@pytest.fixture
def new_difficulty(kb, tmp_path):
    templates = Templates.from_option(None)
    out = tmp_path / "out"
    generate(write_records(tmp_path / "v1.yaml"), out, kb, templates, AS_OF, ("md",))
    generate(write_records(tmp_path / "v2.yaml", financing), out, kb, templates, AS_OF, ("md",))
    return out


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_diff_snapshots_new_difficulty(new_difficulty, kb, snapshot_md, fmt):
    folder = new_difficulty / AUTO
    result = diff_plans(load_side(f"{folder}@v1"), load_side(f"{folder}@v2"), kb)
    templates = Templates.from_option(None)
    text = as_markdown(result, templates) if fmt == "md" else as_html(result, templates)
    assert stable(text).replace(str(new_difficulty), "OUT") == snapshot_md


def test_pdf_redline_of_a_new_difficulty_is_short_and_reads_as_text(new_difficulty, kb, runner, tmp_path):
    from pypdf import PdfReader

    folder = new_difficulty / AUTO
    target = tmp_path / "redline.pdf"
    result = runner.invoke(main, ["diff", f"{folder}@v1", str(folder), "--format", "pdf", "--output", str(target)])
    assert result.exit_code == 1, result.output
    assert len(PdfReader(target).pages) <= 2
    diff = diff_plans(load_side(f"{folder}@v1"), load_side(str(folder)), kb)
    templates = Templates.from_option(None)
    for text in (as_markdown(diff, templates), as_html(diff, templates), as_terminal(diff, color=False)):
        redline = text[text.index("文本修订"):]
        assert "融资难" in redline
        for syntax in ("**", "|", "###", "\\"):
            assert syntax not in redline, syntax


def test_the_profile_digest_of_a_sector_covers_what_reaches_its_plans(kb, sectors_copy):
    path = sectors_copy / "apparel.yaml"
    text = path.read_text(encoding="utf-8")
    summary_edit = knowledge.load(_edited(sectors_copy, path, text, "summary: ", "summary: 改写："))
    assert summary_edit.digest_for("apparel") != kb.digest_for("apparel")
    assert summary_edit.digest_for("automotive") == kb.digest_for("automotive")  # nothing of apparel's reaches it
    renamed = knowledge.load(_edited(sectors_copy, path, text, "name: 服装", "name: 服装服饰"))
    # a sector's name is printed in other sectors' plans (a citywide condition lists the key sectors)
    assert renamed.digest_for("automotive") != kb.digest_for("automotive")
    assert renamed.digest_for(None) != kb.digest_for(None)


def _edited(root, path, text, old, new):
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def test_a_diff_names_the_case_that_now_fits(kb, tmp_path):
    """宁波甬澜家电商贸有限公司 (wholesale, 3200万元: small for the refund) grows to 20000万元: the refund no longer
    fits as a small enterprise now, only as wholesale from July; the reviewer sees which case changed."""
    wholesaler = "91330206NB00001475"

    def grow(enterprises):
        next(e for e in enterprises if e["id"] == wholesaler)["revenue"] = 20000

    templates = Templates.from_option(None)
    out = tmp_path / "out"
    generate(write_records(tmp_path / "v1.yaml"), out, kb, templates, AS_OF, ("md",))
    generate(write_records(tmp_path / "v2.yaml", grow), out, kb, templates, AS_OF, ("md",))
    result = diff_plans(load_side(f"{out / wholesaler}@v1"), load_side(str(out / wholesaler)), kb)
    lines = [m.line() for m in result.measures]
    refund = next(line for line in lines if "增值税留抵退税" in line)
    assert "适用情形：小微企业（不分行业） → 批发零售业等七个行业（不分规模，含个体工商户）" in refund
    assert "状态：适用 → 即将实施" in refund
