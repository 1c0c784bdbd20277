"""City-scale batches: incremental reruns, resuming after a killed worker, the bureau's summary."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from planner.cli import main
from planner.generate import generate
from planner.render import Templates
from planner.records import read_records
from planner.summary import plans_from_records, plans_in_folder, summarize
from planner.versions import versions_in

from conftest import AS_OF, EXAMPLES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import run as bench_run  # noqa: E402
import synthetic  # noqa: E402

DOCUMENTS = ("plan.md", "brief.md", "plan.json")


def documents(out: Path) -> dict:
    return {(p.name, name): (p / name).read_bytes() for p in sorted(out.iterdir()) if p.is_dir()
            for name in DOCUMENTS}


def test_a_one_record_edit_regenerates_exactly_one_enterprise(kb, tmp_path):
    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "list.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    templates = Templates.from_option(None)
    generate(path, tmp_path / "out", kb, templates, AS_OF, ("md",), workers=2)
    data["enterprises"][3]["employees"] += 1
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    again = generate(path, tmp_path / "out", kb, templates, AS_OF, ("md",), workers=2)
    assert again.written == [data["enterprises"][3]["id"]]
    assert len(again.unchanged) == 19


def descendants(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                children.append(int(entry))
    return children + [d for c in children for d in descendants(c)]


INTERRUPTED_RECORDS = 2000  # enough that a run is still going when the test stops it


def start_run(tmp_path, out: Path, count: int = 400) -> tuple[list, subprocess.Popen]:
    if not (tmp_path / "list.yaml").exists():
        synthetic.write(tmp_path / "list.yaml", count)
    command = [sys.executable, "-m", "planner", "generate", str(tmp_path / "list.yaml"), "--as-of",
               AS_OF.isoformat(), "--format", "md", "--workers", "2", "-q"]
    run = subprocess.Popen(command + ["--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*/version.json"))) < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    return command, run


def finish_and_compare(tmp_path, command: list, out: Path, count: int = 400) -> None:
    """Rerun into ``out``: only what is missing is made, and the result equals a clean run."""
    done_before = sum(1 for p in out.glob("*/version.json"))
    assert 30 <= done_before < count
    resumed = subprocess.run(command + ["--out", str(out)], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith(f"已生成{count - done_before}家企业的新版本")  # only what was missing
    clean = tmp_path / "clean"
    subprocess.run(command + ["--out", str(clean)], check=True, capture_output=True, timeout=120)
    assert documents(out) == documents(clean)
    assert all([v.number for v in versions_in(p)] == [1] for p in out.iterdir() if p.is_dir())
    assert not list(out.rglob(".*.tmp")) and not list(out.rglob(".staging-*"))


def test_a_killed_worker_costs_only_its_enterprises_and_a_rerun_completes_them(tmp_path):
    out = tmp_path / "interrupted"
    command, run = start_run(tmp_path, out)
    workers = [p for p in descendants(run.pid) if p != run.pid]
    assert workers, "the run finished before a worker could be killed"
    os.kill(workers[-1], signal.SIGKILL)
    _, err = run.communicate(timeout=60)
    err = err.decode()
    assert run.returncode == 1, err
    failed = [line for line in err.splitlines() if line.startswith("错误：") and "工作进程意外退出" in line]
    assert 1 <= len(failed) <= 16  # the killed worker's chunk, less what it had written whole
    assert "再次运行同一命令，只会补齐这些企业" in err
    assert sum(1 for p in out.glob("*/version.json")) == 400 - len(failed)
    finish_and_compare(tmp_path, command, out)


def test_ctrl_c_stops_at_once_and_a_rerun_continues(tmp_path):
    # INTERRUPTED_RECORDS (2,000): with 400, a fast machine could finish the whole run between the
    # 30th version appearing and the signal, and the test would see a run never interrupted.
    out = tmp_path / "interrupted"
    command, run = start_run(tmp_path, out, INTERRUPTED_RECORDS)
    workers = [p for p in descendants(run.pid) if p != run.pid]
    assert run.poll() is None, "the run ended before it could be interrupted"
    os.killpg(run.pid, signal.SIGINT)  # as a terminal sends it: to the whole process group
    _, err = run.communicate(timeout=30)
    assert run.returncode == 130
    assert "已中断" in err.decode() and "Traceback" not in err.decode()
    assert workers and all(wait_gone(pid) for pid in workers)
    finish_and_compare(tmp_path, command, out, INTERRUPTED_RECORDS)


def test_a_killed_planner_leaves_no_worker_behind(tmp_path):
    out = tmp_path / "interrupted"
    command, run = start_run(tmp_path, out, INTERRUPTED_RECORDS)
    workers = [p for p in descendants(run.pid) if p != run.pid]
    assert workers and run.poll() is None, "the run ended before it could be killed"
    run.kill()
    run.wait()
    assert all(wait_gone(pid) for pid in workers)
    finish_and_compare(tmp_path, command, out, INTERRUPTED_RECORDS)


def wait_gone(pid: int, seconds: float = 10) -> bool:
    """Whether ``pid`` has ended (or is a zombie) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_summary_counts_agree_with_the_plans(kb, tmp_path):
    out = tmp_path / "out"
    generate(EXAMPLES / "enterprises.yaml", out, kb, Templates.from_option(None), AS_OF, ("md",))
    from_dir = list(plans_in_folder(out))
    from_records = list(plans_from_records(read_records(EXAMPLES / "enterprises.yaml", kb), kb, AS_OF))
    a, b = summarize(from_dir, kb, AS_OF), summarize(from_records, kb, AS_OF)
    assert a == b
    assert a["total"] == 20 and sum(n for _, n in a["by_sector"]) == 20
    for row in a["measures"]:
        proposing = [p for p in from_dir if any(m["id"] == row["id"] for m in p["measures"])]
        assert row["total"] == len(proposing)
    key = [p for p in from_dir if p["enterprise"].get("key_enterprise")
           and p["enterprise"].get("production_status") in ("reduced", "stopped")]
    assert a["coverage"]["key"] == len(key) == 4


def test_summary_markdown_snapshot(runner, tmp_path, snapshot_md):
    target = tmp_path / "summary.md"
    result = runner.invoke(main, ["summary", str(EXAMPLES / "enterprises.yaml"), "--out", str(target),
                                  "--as-of", AS_OF.isoformat(), "--date", "2022-06-20"])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == snapshot_md


def test_summary_names_a_key_enterprise_without_assistance(kb):
    plans = list(plans_from_records(read_records(EXAMPLES / "enterprises.yaml", kb), kb, AS_OF))
    victim = next(p for p in plans if p["enterprise"].get("key_enterprise")
                  and p["enterprise"].get("production_status") == "stopped")
    victim["measures"] = [m for m in victim["measures"] if m["id"] != "citywide_key_enterprise_assistance"]
    coverage = summarize(plans, kb, AS_OF)["coverage"]
    assert coverage["missing"] == [{"name": victim["enterprise"]["name"], "id": victim["enterprise"]["id"],
                                    "why": "no_measure", "detail": ""}]
    assert coverage["rate"] == "75%"


def test_summary_pdf_has_the_chart(runner, tmp_path):
    from pypdf import PdfReader

    target = tmp_path / "summary.pdf"
    result = runner.invoke(main, ["summary", str(EXAMPLES / "enterprises.yaml"), "--out", str(target),
                                  "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(target).pages)
    assert "图1各项措施覆盖企业数" in text and "停产减产重点企业帮扶覆盖" in text
    # the chart heads its section and says it shows only the 20 most common; the table of all is the appendix
    assert text.index("、各项措施覆盖企业数") < text.index("图1") < text.index("附表各项措施覆盖企业数")
    assert text.index("附表各项措施覆盖企业数") < text.index("措施适用待核实即将实施合计")
    assert "仅列覆盖企业最多的20项" in text and "全部见附表" in text and "图表位置" not in text


def test_summary_of_a_folder_is_as_of_its_plans(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["generate", str(EXAMPLES / "enterprises.yaml"), "--as-of", "2022-06-15",
                                "--format", "md"]).exit_code == 0
    result = runner.invoke(main, ["summary", "output", "--out", "summary.md"])
    assert result.exit_code == 0, result.output
    assert result.output == ("已汇总20家企业（基准日 2022-06-15），写入 summary.md\n"
                             "提示：按文件夹中的方案汇总，无法判断名单中是否有企业缺少方案；"
                             "核对名单请用 .venv/bin/planner summary 名单文件 --plans 输出文件夹"
                             "（已列出生成时名单中未能识别的记录和已不在名单中的企业）\n")
    from_records = runner.invoke(main, ["summary", str(EXAMPLES / "enterprises.yaml"), "--out", "records.md",
                                        "--as-of", "2022-06-15"])
    assert from_records.exit_code == 0
    # the same figures; only the first section says what was counted and what cannot be told
    folder_text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    list_text = (tmp_path / "records.md").read_text(encoding="utf-8")
    folder_only = "仅统计已生成的方案，名单中缺少方案的企业不在其内。"
    assert folder_only in folder_text and folder_only not in list_text
    def figures(text):  # from the coverage on, without the section saying what was checked
        text = text.split("## 二、")[1]
        start = text.index("、名单与方案核对\n")
        return text[:start] + text[text.index("\n## ", start):]

    assert figures(folder_text).replace(folder_only, "") == figures(list_text)
    assert ("本汇总按已生成的帮扶方案统计（方案20份）。按生成方案时所用的企业名单核对："
            "名单中的记录均已识别；已生成方案的企业均在名单中。仅凭已生成的方案无法判断名单中是否有企业缺少方案") in folder_text
    assert "enterprises.yaml" not in folder_text and "output" not in folder_text


def test_progress_is_silent_when_not_a_terminal(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["generate", str(EXAMPLES / "enterprises.yaml"), "--as-of", "2022-06-15",
                                  "--format", "md"])
    assert result.output == "已生成20家企业的新版本，0家未变化（跳过）；输出目录 output/；查看新版本：planner changes output --last-run\n"


@pytest.mark.parametrize("quiet", [True, False])
def test_progress_on_a_terminal(quiet):
    import io

    from planner.progress import Progress

    stream = io.StringIO()
    progress = Progress(4, "生成", stream=stream, enabled=not quiet)
    for _ in range(4):
        progress(1)
    progress.close()
    assert (stream.getvalue() == "") is quiet
    if not quiet:
        assert "4/4" in stream.getvalue()


def test_an_enterprise_that_fails_does_not_stop_the_others(tmp_path):
    """A bureau template that breaks for one sector: those enterprises are named, the rest are made."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "plan-automotive.md.j2").write_text("# {{ name }}\n{{ no_such_value }}\n", encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "planner", "generate", str(EXAMPLES / "enterprises.yaml"), "--out", str(out),
               "--as-of", AS_OF.isoformat(), "--format", "md", "--workers", "2", "--templates", str(templates)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))["enterprises"]
    automotive = {e["id"] for e in data if e.get("sector") == "automotive"}
    assert run.returncode == 1 and len(automotive) == 2
    assert run.stdout.startswith(f"已生成{len(data) - 2}家企业的新版本")
    errors = [line for line in run.stderr.splitlines() if line.startswith("错误：")]
    assert {line.split("：")[2] for line in errors} == automotive
    assert all("enterprises.yaml" in line and "no_such_value" in line for line in errors)
    assert {p.name for p in out.iterdir() if (p / "version.json").exists()} == {e["id"] for e in data} - automotive


def test_an_unchanged_rerun_reads_no_document(kb, tmp_path, monkeypatch):
    """The skip check proves a file by its recorded size, inode and time: no hashing on a rerun
    (hashing the 30,000 files of 10,000 plans costs ~2 s), but a touched file is hashed."""
    from planner import versions

    templates = Templates.from_option(None)
    generate(EXAMPLES / "enterprises.yaml", tmp_path / "out", kb, templates, AS_OF, ("md",))
    read = []
    real = versions._read_bytes
    monkeypatch.setattr(versions, "_read_bytes", lambda path: read.append(Path(path).name) or real(path))
    again = generate(EXAMPLES / "enterprises.yaml", tmp_path / "out", kb, templates, AS_OF, ("md",))
    assert len(again.unchanged) == 20 and read.count("version.json") == 20 and len(read) == 20
    touched = next(p for p in sorted((tmp_path / "out").iterdir()) if p.is_dir()) / "brief.md"
    touched.write_bytes(touched.read_bytes())  # same bytes, new time: hashed, found equal, still unchanged
    read.clear()
    third = generate(EXAMPLES / "enterprises.yaml", tmp_path / "out", kb, templates, AS_OF, ("md",))
    assert len(third.unchanged) == 20 and sorted(set(read)) == ["brief.md", "version.json"] and len(read) == 21


def test_pdfs_added_to_unchanged_versions_are_said_in_the_final_line(runner, tmp_path):
    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    records = tmp_path / "list.yaml"
    records.write_text(yaml.safe_dump({"enterprises": data["enterprises"][:1]}, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    common = [str(records), "--out", str(out), "--as-of", AS_OF.isoformat(), "-q"]
    assert runner.invoke(main, ["generate", *common, "--format", "md"]).exit_code == 0
    result = runner.invoke(main, ["generate", *common])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"已生成0家企业的新版本，1家未变化（跳过，其中1家补齐了 PDF）；输出目录 {out}/\n"
    assert [v.number for v in versions_in(out / data["enterprises"][0]["id"])] == [1]
    again = runner.invoke(main, ["generate", *common])
    assert again.stdout == f"已生成0家企业的新版本，1家未变化（跳过）；输出目录 {out}/\n"


# bench/run.py's table of targets, from fixed measurements (nothing here is timed).

def targets(*args) -> dict:
    return {row.target: row for row in bench_run.target_rows(*args)}


PER, PDF_10K, PDF_2K = ("PDF per enterprise (plan + brief)", "10,000 enterprises, plan + brief PDFs",
                        "2,000 enterprises, plan + brief PDFs")
MD_10K, RATIO = "10,000 enterprises, Markdown + JSON", "our PDF pipeline / bare WeasyPrint, same HTML"


def test_targets_measured_on_two_cores():
    rows = targets(2, {80: 76.1, 250: 228.6, 2000: 1657.4}, {10000: 13.4}, 1.039, 79)
    assert list(rows) == [PER, PDF_10K, PDF_2K, MD_10K, RATIO]
    assert {name: row.result for name, row in rows.items()} == {PER: "FAIL", PDF_10K: "FAIL", PDF_2K: "FAIL",
                                                               MD_10K: "PASS", RATIO: "PASS"}
    assert rows[PER].measured == "0.829 s" and "2,000-record run" in rows[PER].how  # the largest run
    assert rows[PDF_2K].measured == "1,657 s (27.6 min)" and rows[PDF_2K].how == "measured, 2,000 records, 2 cores"
    assert rows[PDF_10K].measured == "8,287 s (138.1 min)"  # 1657.4 / 2000 × 10,000
    assert rows[PDF_10K].how == "projected from 2,000 records (linear), 2 cores"
    assert rows[MD_10K].how == "measured, 10,000 records, 2 cores" and "scaled" not in rows[MD_10K].how
    assert rows[RATIO].measured == "1.039" and rows[RATIO].goal == "≤ 1.10"


def test_targets_projected_linearly_from_the_largest_run():
    rows = targets(2, {16: 4.0, 60: 6.0}, {400: 0.5}, 1.0, 15)
    assert rows[PER].measured == "0.100 s" and rows[PER].result == "PASS"
    assert (rows[PDF_10K].measured, rows[PDF_10K].result) == ("1,000 s (16.7 min)", "PASS")
    assert (rows[PDF_2K].measured, rows[PDF_2K].result) == ("200 s (3.3 min)", "PASS")
    assert rows[PDF_2K].how == "projected from 60 records (linear), 2 cores"
    assert (rows[MD_10K].measured, rows[MD_10K].result) == ("12.5 s", "PASS")
    assert rows[MD_10K].how == "projected from 400 records (linear), 2 cores"
    assert targets(2, {60: 7.3}, {400: 0.61}, 1.0, 15)[PDF_2K].result == "FAIL"  # 243 s
    assert targets(2, {60: 7.3}, {400: 0.61}, 1.0, 15)[MD_10K].result == "FAIL"  # 15.25 s


def test_targets_on_another_core_count_compare_the_figure_scaled_to_two_cores():
    four = targets(4, {2000: 200.0}, {10000: 10.0}, 1.0, 15)  # would pass on 2 cores unscaled
    assert (four[PDF_2K].measured, four[PDF_2K].result) == ("400 s (6.7 min)", "FAIL")
    assert four[PDF_2K].how == ("measured, 2,000 records, 200 s (3.3 min) on 4 cores; "
                                "scaled to 2 cores (4 × s / 2) and that compared")
    assert (four[MD_10K].measured, four[MD_10K].result) == ("20.0 s", "FAIL")
    assert four[PER].measured == "0.200 s" and "0.100 s on 4 cores" in four[PER].how
    one = targets(1, {2000: 400.0}, {10000: 28.0}, 1.0, 15)
    assert (one[PDF_2K].measured, one[PDF_2K].result) == ("200 s (3.3 min)", "PASS")
    assert (one[MD_10K].measured, one[MD_10K].result) == ("14.0 s", "PASS")
    assert "any core count" in one[RATIO].how  # one process: not scaled


def test_the_ratio_target_is_at_most_1_10():
    assert targets(2, {60: 6.0}, {400: 0.5}, 1.10, 59)[RATIO].result == "PASS"
    assert targets(2, {60: 6.0}, {400: 0.5}, 1.1004, 59)[RATIO].result == "FAIL"


def test_the_markdown_report_is_deterministic():
    import datetime as dt

    about = [("CPU", "Example CPU"), ("cores", "2 (os.cpu_count), 2 usable (sched_getaffinity)")]
    rows = [("Markdown + JSON, 400 records, 2 cores", "0.9 s", "444 plans/s", "120 MiB")]
    made = [bench_run.markdown_report("bench/run.py --records 400", dt.date(2026, 12, 2), about, rows,
                                      bench_run.target_rows(2, {60: 6.0}, {400: 0.5}, 1.04, 59)) for _ in range(2)]
    assert made[0] == made[1]
    lines = made[0].splitlines()
    assert lines[0] == "`bench/run.py --records 400`, 2026-12-02:"
    assert "| CPU     | Example CPU " in made[0]
    target_lines = [line for line in lines if line.startswith("| 2,000 enterprises")]
    assert len(target_lines) == 1 and target_lines[0].rstrip(" |").endswith("PASS")
    assert lines[-1] == ("| Markdown + JSON, 400 records, 2 cores | 0.9 s | 444 plans/s | 120 MiB"
                         "                          |")
