"""The enterprise list of the web workplace reads each enterprise folder once and keeps its row
until the folder changes (planner.web.site): a regenerated, new, removed or damaged plan shows in
the list at once, and an unchanged folder is not read again. A plan page's body is kept as HTML
until plan.md is replaced, so a regenerated plan shows on its page at once too.

One data folder per test (the sample list, Markdown only); RACY_NS is set to 0 so that rows are
kept even for folders written a moment ago (by default those are read again for two seconds).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

import planner.render  # noqa: E402
import planner.versions  # noqa: E402
from planner.web import create_app, site  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "examples" / "enterprises.yaml"
PASSWORD = "correct-horse-42"
CODE = "91330206NB0000059N"
GONE = "91330282NB00000914"


def _generate(records: Path, out: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "planner", "generate", str(records), "--out", str(out),
                             "--as-of", "2022-06-15", "--format", "md", "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("listing")
    _generate(RECORDS, root / "output")
    return root


@pytest.fixture
def data(generated, tmp_path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(generated, root, symlinks=True)
    return root


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The enterprise folders whose version is read (planner.versions.current_version), in order."""
    seen: list[str] = []
    real = planner.versions.current_version

    def counting(folder, *args, **kwargs):
        seen.append(Path(folder).name)
        return real(folder, *args, **kwargs)

    monkeypatch.setattr(planner.versions, "current_version", counting)
    monkeypatch.setattr(site, "RACY_NS", 0)
    return seen


def admin(data: Path) -> TestClient:
    app = create_app(data)
    app.state.accounts.add("admin", "admin", password=PASSWORD)
    c = TestClient(app, follow_redirects=False)
    form = c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    assert c.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": token, "next": "/"}).status_code == 303
    return c


def rows_of(html: str) -> dict[str, str]:
    """Credit code → the text of its table row."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        code = re.search(r'href="/e/([0-9A-Z]{18})"', row)
        if code:
            found[code.group(1)] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
    return found


def with_one_changed(tmp: Path, name: str) -> Path:
    """The sample record CODE alone, under another name."""
    records = yaml.safe_load(RECORDS.read_text(encoding="utf-8"))["enterprises"]
    record = next(r for r in records if r["id"] == CODE)
    record["name"] = name
    path = tmp / "one.yaml"
    path.write_text(yaml.safe_dump({"enterprises": [record]}, allow_unicode=True), encoding="utf-8")
    return path


def test_an_unchanged_folder_is_read_once(data, reads):
    c = admin(data)
    first = rows_of(c.get("/enterprises").text)
    assert len(first) == 20 and sorted(reads) == sorted(first)
    reads.clear()
    assert rows_of(c.get("/enterprises").text) == first
    assert rows_of(c.get("/enterprises?district=北仑区").text).keys() < first.keys()
    assert reads == []


def test_a_regenerated_plan_shows_up_in_the_list_at_once(data, reads, tmp_path):
    c = admin(data)
    before = rows_of(c.get("/enterprises").text)
    assert "第1版" in before[CODE] and "宁波改名测试有限公司" not in before[CODE]
    reads.clear()
    _generate(with_one_changed(tmp_path, "宁波改名测试有限公司"), data / "output")
    after = rows_of(c.get("/enterprises").text)
    assert "宁波改名测试有限公司" in after[CODE] and "第2版" in after[CODE]
    assert reads == [CODE]  # only the folder that changed was read again
    assert {k: v for k, v in after.items() if k != CODE} == {k: v for k, v in before.items() if k != CODE}
    assert "宁波改名测试有限公司" in rows_of(c.get("/enterprises?q=改名测试").text)[CODE]


def test_a_regenerated_plan_shows_up_at_once_without_the_racy_rule_too(data, tmp_path):
    c = admin(data)
    assert "第1版" in rows_of(c.get("/enterprises").text)[CODE]
    _generate(with_one_changed(tmp_path, "宁波再次改名有限公司"), data / "output")
    assert "宁波再次改名有限公司" in rows_of(c.get("/enterprises").text)[CODE]


def test_removed_new_and_damaged_folders_show_at_once(data, reads, generated):
    c = admin(data)
    assert GONE in rows_of(c.get("/enterprises").text)
    shutil.rmtree(data / "output" / GONE)
    assert GONE not in rows_of(c.get("/enterprises").text)
    shutil.copytree(generated / "output" / GONE, data / "output" / GONE)
    assert GONE in rows_of(c.get("/enterprises").text)
    meta = data / "output" / CODE / "version.json"
    damaged = data / "output" / CODE / "version.json.tmp"
    damaged.write_text("{not json", encoding="utf-8")
    damaged.replace(meta)  # as any writer replaces it: a new file
    shown = rows_of(c.get("/enterprises").text)
    assert CODE not in shown and GONE in shown
    assert c.get(f"/e/{CODE}").status_code == 404


def test_a_row_is_a_copy(data, reads):
    app = create_app(data)
    rows = app.state.site.enterprise_rows()
    rows[0]["name"] = "被页面改掉的名称"
    assert app.state.site.enterprise_rows()[0]["name"] != "被页面改掉的名称"


def test_a_regenerated_plan_shows_on_its_page_at_once(data, reads, tmp_path, monkeypatch):
    rendered: list[int] = []
    real = planner.render.markdown_to_html

    def counting(text):
        rendered.append(len(text))
        return real(text)

    monkeypatch.setattr(planner.render, "markdown_to_html", counting)
    c = admin(data)
    first = c.get(f"/e/{CODE}").text
    assert c.get(f"/e/{CODE}").text == first and len(rendered) == 1  # the body kept as HTML
    _generate(with_one_changed(tmp_path, "宁波页面改名有限公司"), data / "output")
    page = c.get(f"/e/{CODE}").text
    assert "宁波页面改名有限公司" in page and len(rendered) == 2
