"""Output folders written by a planner before 仅日期变化: their version.json says 无实质变化 of a
version whose only change was the base date. Every place that shows a stored summary (planner
changes, planner history, the web's version list and review list) says what the plans say."""

from __future__ import annotations

import re

import orjson
import pytest

from planner.diff import SAME_PLAN
from planner.store import atomic_write

from test_changes import run, write_list

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from planner.web import create_app  # noqa: E402

PASSWORD = "correct-horse-42"


def _meta(folder):
    return orjson.loads((folder / "version.json").read_bytes())


def _store_summary(folder, summary: str) -> None:
    """What an older planner wrote (version.json replaced, not rewritten: the archive links to it)."""
    meta = _meta(folder)
    meta["summary"] = summary
    atomic_write(folder / "version.json", orjson.dumps(meta, option=orjson.OPT_INDENT_2) + b"\n")


@pytest.fixture(scope="module")
def old_folder(tmp_path_factory):
    """Three enterprises generated as of 2022-06-15 and again as of 2022-07-20 (only dates move),
    the second versions' summaries then set back to the old planner's 无实质变化."""
    from click.testing import CliRunner

    runner = CliRunner()
    root = tmp_path_factory.mktemp("old-folder")
    out = root / "output"
    records, ids = write_list(root / "list.yaml")
    for as_of in ("2022-06-15", "2022-07-20"):
        assert run(runner, "generate", records, "--out", out, "--as-of", as_of, "--format", "md").exit_code == 0
    true = {code: _meta(out / code)["summary"] for code in ids}
    dated = [code for code in ids if true[code].startswith("仅日期变化：基准日由2022年6月15日变为2022年7月20日")]
    assert len(dated) >= 2, true
    for code in dated:
        _store_summary(out / code, SAME_PLAN)
    return root, out, dated, true


def test_planner_changes_and_history_recompute_a_stale_no_change(old_folder, runner):
    root, out, dated, true = old_folder
    assert all(_meta(out / code)["summary"] == SAME_PLAN for code in dated)
    listed = run(runner, "changes", out, "--last-run")
    assert listed.exit_code == 0, listed.output
    assert "无实质变化" not in listed.stdout
    for code in dated:
        line = next(line for line in listed.stdout.splitlines() if code in line)
        assert true[code] in line
    md = run(runner, "changes", out, "--since", "2000-01-01", "--format", "md")
    assert md.exit_code == 0 and "无实质变化" not in md.stdout
    for code in dated:
        shown = run(runner, "history", out / code)
        assert shown.exit_code == 0 and f"变化：{true[code]}" in shown.stdout and "无实质变化" not in shown.stdout


def test_the_web_pages_recompute_a_stale_no_change(old_folder):
    root, out, dated, true = old_folder
    app = create_app(root)
    app.state.accounts.add("王芳", "reviewer", "", "", "", password=PASSWORD)
    c = TestClient(app, follow_redirects=False)
    form = c.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    assert c.post("/login", data={"name": "王芳", "password": PASSWORD, "csrf": token, "next": "/"}).status_code == 303
    changes = c.get("/changes")
    assert changes.status_code == 200 and "无实质变化" not in changes.text
    for code in dated:
        assert true[code] in changes.text
        page = c.get(f"/e/{code}")
        assert page.status_code == 200 and "无实质变化" not in page.text
        assert page.text.count(true[code]) == 2  # the current version's line and its entry in the list


def test_a_stale_line_is_marked_when_the_plans_cannot_be_compared(old_folder, kb, tmp_path):
    """No plan.json to compare: the date change from version.json, said as recorded; a requests
    line alone (the old planner's when the requests changed too) gets the dates before it."""
    import shutil

    from planner.diff import shown_summary
    from planner.versions import Version

    root, out, dated, true = old_folder
    code = dated[0]
    copy = tmp_path / code
    shutil.copytree(out / code, copy)
    old = Version(1, copy / "history" / "v1", _meta(copy / "history" / "v1"))
    new = Version(2, copy, _meta(copy))
    assert shown_summary(new, old, kb) == true[code]
    assert shown_summary(new, None, kb) == SAME_PLAN  # nothing to compare with: as recorded
    requests = "诉求办理情况更新（共2件，未办结1件）"
    asked = Version(2, copy, {**new.meta, "summary": requests})
    assert shown_summary(asked, old, kb) == f"{true[code]}；{requests}"
    (copy / "history" / "v1" / "plan.json").unlink()
    marked = shown_summary(new, old, kb)
    assert marked.startswith("日期变化：基准日由2022年6月15日变为2022年7月20日") and "方案文件无法比较" in marked
    assert shown_summary(asked, old, kb).endswith(f"；{requests}")
    same_day = Version(2, copy, {**new.meta, "as_of": old.meta["as_of"]})
    assert shown_summary(same_day, old, kb) == SAME_PLAN  # the same base date: true as stored
