"""planner changes: what a run changed, one line per enterprise; and a run's final line pointing to it."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
import yaml

from planner.cli import main
from planner.store import atomic_write

from conftest import AS_OF, EXAMPLES

UTC = dt.timezone.utc


def write_list(path, change=None):
    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    data["enterprises"] = data["enterprises"][:3]
    if change:
        change(data["enterprises"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path, [e["id"] for e in data["enterprises"]]


def run(runner, *args):
    return runner.invoke(main, [str(a) for a in args])


def set_generated(folder, when: str) -> None:
    """Give the version at ``folder`` a fixed generation time (version.json is replaced, not
    rewritten in place: the archive holds a hard link to it)."""
    meta = orjson.loads((folder / "version.json").read_bytes())
    meta["generated"] = when
    atomic_write(folder / "version.json", orjson.dumps(meta, option=orjson.OPT_INDENT_2) + b"\n")


@pytest.fixture
def clock(monkeypatch):
    """Fixed times for the run records and the decisions, in the order they are asked for."""
    import planner.changes
    import planner.review

    monkeypatch.setenv("PLANNER_TZ", "Asia/Shanghai")
    runs = iter([dt.datetime(2022, 6, 14, 16, 31, tzinfo=UTC), dt.datetime(2022, 6, 16, 1, 5, tzinfo=UTC)])
    monkeypatch.setattr(planner.changes, "_now", lambda: next(runs))
    monkeypatch.setattr(planner.review, "_now", lambda: "2022-06-15T02:00:00+00:00")


@pytest.fixture
def two_runs(runner, tmp_path, clock):
    """Run 1: three first versions (2022-06-15 00:30 local); one approved. Run 2 (2022-06-16 09:00
    local): one enterprise stopped production, another's first version rejected meanwhile."""
    out = tmp_path / "out"
    first, ids = write_list(tmp_path / "v1.yaml")
    result = run(runner, "generate", first, "--out", out, "--as-of", AS_OF.isoformat(), "--format", "md")
    assert result.exit_code == 0, result.output
    for code in ids:
        set_generated(out / code, "2022-06-14T16:30:00+00:00")  # 2022-06-15 00:30 in Ningbo
    assert run(runner, "approve", out / ids[1], "--reviewer", "张三").exit_code == 0
    assert run(runner, "reject", out / ids[2], "--reviewer", "李四", "--reason", "联系人待核实").exit_code == 0

    def stop(enterprises):
        enterprises[0]["production_status"] = "stopped"

    second, _ = write_list(tmp_path / "v2.yaml", stop)
    result = run(runner, "generate", second, "--out", out, "--as-of", AS_OF.isoformat(), "--format", "md")
    assert result.exit_code == 0, result.output
    set_generated(out / ids[0], "2022-06-16T01:00:00+00:00")
    return out, ids, result


def test_the_last_run_and_the_versions_since_a_date(runner, two_runs, tmp_path, snapshot_md):
    out, ids, generated = two_runs
    assert generated.stdout.splitlines()[-1].endswith(f"；查看新版本：planner changes {out} --last-run")
    last = run(runner, "changes", out, "--last-run")
    assert last.exit_code == 0 and last.stderr == ""
    assert last.stdout == run(runner, "changes", out).stdout  # --last-run is the default
    since = run(runner, "changes", out, "--since", "2022-06-15", "--format", "md")
    assert since.exit_code == 0
    later = run(runner, "changes", out, "--since", "2022年6月16日")
    assert [line.split("（")[1].split("）")[0] for line in later.stdout.splitlines()[1:]] == [ids[0]]
    text = f"## --last-run\n\n```\n{last.stdout}```\n\n## --since 2022-06-15 --format md\n\n{since.stdout}"
    assert text == snapshot_md


def test_the_list_as_files(runner, two_runs, tmp_path):
    import openpyxl

    out, ids, _ = two_runs
    target = tmp_path / "新版本.xlsx"
    result = run(runner, "changes", out, "--since", "2022-06-15", "--format", "xlsx", "--output", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"2022年6月15日以来：3家企业有新版本；清单已写入 {target}\n"
    sheet = openpyxl.load_workbook(target).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["企业名称", "统一社会信用代码", "版本", "触发原因", "变化概要", "审核状态", "生成时间"]
    assert sorted(r[1] for r in rows[1:]) == sorted(ids)
    states = {r[1]: r[5] for r in rows[1:]}
    assert states == {ids[0]: "待审核", ids[1]: "已通过（张三，2022年6月15日 10:00）", ids[2]: "已退回（李四：联系人待核实）"}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []

    md = tmp_path / "新版本.md"
    written = run(runner, "changes", out, "--format", "md", "--output", md)
    assert written.exit_code == 0 and written.stdout == f"最近一次运行（2022年6月16日 09:05）：1家企业有新版本；清单已写入 {md}\n"
    assert md.read_text(encoding="utf-8") == run(runner, "changes", out, "--format", "md").stdout

    refused = run(runner, "changes", out, "--format", "xlsx")
    assert refused.exit_code == 2 and "--output" in refused.stderr


def test_a_run_that_changes_nothing_says_so(runner, tmp_path, clock):
    out = tmp_path / "out"
    records, _ = write_list(tmp_path / "list.yaml")
    assert run(runner, "generate", records, "--out", out, "--as-of", AS_OF.isoformat(), "--format", "md").exit_code == 0
    again = run(runner, "generate", records, "--out", out, "--as-of", AS_OF.isoformat(), "--format", "md")
    assert again.exit_code == 0 and "planner changes" not in again.stdout
    assert len((out / ".planner-runs.jsonl").read_bytes().splitlines()) == 2
    listed = run(runner, "changes", out)
    assert listed.exit_code == 0 and listed.stdout == "最近一次运行（2022年6月16日 09:05）没有企业生成新版本\n"


def test_without_a_run_record_the_user_is_told_to_use_since(runner, tmp_path, clock):
    out = tmp_path / "out"
    records, ids = write_list(tmp_path / "list.yaml")
    assert run(runner, "generate", records, "--out", out, "--as-of", AS_OF.isoformat(), "--format", "md").exit_code == 0
    (out / ".planner-runs.jsonl").unlink()
    result = run(runner, "changes", out)
    assert result.exit_code == 1 and "请用 --since 日期" in result.stderr
    with open(out / ".planner-runs.jsonl", "wb") as handle:
        handle.write(b"{broken\n")
    damaged = run(runner, "changes", out)
    assert damaged.exit_code == 1 and f"{out / '.planner-runs.jsonl'}:1：运行记录已损坏，已忽略该行" in damaged.stderr


def _task_dates(plan_md: str) -> list[str]:
    """The 完成时限 column of plan.md's 任务分解表, row by row."""
    rows, inside = [], False
    for line in plan_md.splitlines():
        if line.startswith("| 序号 | 措施 |"):
            inside = True
        elif inside and line.startswith("| ") and not line.startswith("| ---"):
            rows.append(line.split("|")[5].strip())
        elif inside and not line.startswith("|"):
            break
    return rows


def test_a_version_whose_only_changes_are_dates_says_so_never_no_change(runner, tmp_path, clock, kb):
    from planner.diff import SAME_PLAN, change_summary

    out = tmp_path / "out"
    records, ids = write_list(tmp_path / "list.yaml")
    assert run(runner, "generate", records, "--out", out, "--as-of", "2022-06-15", "--format", "md").exit_code == 0
    assert run(runner, "generate", records, "--out", out, "--as-of", "2022-07-20", "--format", "md").exit_code == 0
    listed = run(runner, "changes", out, "--last-run")
    assert listed.exit_code == 0 and "无实质变化" not in listed.stdout
    dated = 0
    for code in ids:
        old_md = (out / code / "history" / "v1" / "plan.md").read_text(encoding="utf-8")
        new_md = (out / code / "plan.md").read_text(encoding="utf-8")
        moved = sum(a != b for a, b in zip(_task_dates(old_md), _task_dates(new_md)))
        summary = orjson.loads((out / code / "version.json").read_bytes())["summary"]
        assert summary in listed.stdout
        if summary.startswith("仅日期变化"):  # the plan reads the same but for its dates
            dated += 1
            assert summary.startswith("仅日期变化：基准日由2022年6月15日变为2022年7月20日")
            assert (f"完成时限{moved}处" in summary) == bool(moved) and ("完成时限" in summary) == bool(moved)
            assert "（已过）" not in old_md or "时间节点" in summary or new_md.count("（已过）") == old_md.count("（已过）")
    assert dated >= 2  # the sample's first three enterprises: only dates move between these two days
    assert any("完成时限" in orjson.loads((out / c / "version.json").read_bytes())["summary"] for c in ids)
    # the same plan on the same day is still 无实质变化
    same = (out / ids[0] / "plan.json").read_text(encoding="utf-8")
    assert change_summary(out / ids[0] / "plan.json", same, kb) == SAME_PLAN


def test_today_is_the_day_where_people_read_dates(monkeypatch):
    """A server kept on UTC dates a 报送日期 or a default 基准日 by the readers' calendar
    (PLANNER_TZ, Asia/Shanghai by default), as it writes the times beside it (web28)."""
    import datetime as dt

    from planner.dates import today

    monkeypatch.setenv("PLANNER_TZ", "Pacific/Kiritimati")  # UTC+14
    east = today()
    monkeypatch.setenv("PLANNER_TZ", "Etc/GMT+12")  # UTC-12: 26 hours behind
    west = today()
    assert 1 <= (east - west).days <= 2
    monkeypatch.delenv("PLANNER_TZ")
    assert today() == dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
