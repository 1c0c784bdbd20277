"""The officer's part of the web workplace in a real browser (Debian's chromium through Playwright,
the app served by uvicorn on a free loopback port), with the conventions of test_web_browser.py:
no request may leave the app's origin and no console error may occur (a CSP violation is one).

upload a list (two enterprises and a bad row) → its problem list → generate with live progress →
open a plan → download its PDF. With PLANNER_SCREENSHOTS=1 the upload and progress pages are
saved to docs/web-upload.png and docs/web-run.png.

Skipped, with the reason, where chromium or Playwright's Python package is missing.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip("chromium is not installed (make test installs it as root: apt-get install chromium)",
                allow_module_level=True)

import uvicorn  # noqa: E402

from planner.web import create_app  # noqa: E402

from screenshots import shot  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "browser-pass-42"
BEILUN = ("91330206NB0000059N", "91330206NB00001475")
SCREENSHOTS = bool(os.environ.get("PLANNER_SCREENSHOTS"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-officer")  # an empty data folder: the officer makes the plans
    app = create_app(root)
    app.state.accounts.add("北仑经信", "officer", "北仑区", password=PASSWORD)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}", root
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    origin, _ = server
    context = browser.new_context(accept_downloads=True, locale="zh-CN", base_url=origin,
                                  viewport={"width": 1200, "height": 900})
    page = context.new_page()
    outside, errors = [], []

    def check(route):
        url = route.request.url
        if url == origin or url.startswith(origin + "/"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", check)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert outside == [], f"requests outside the app: {outside}"
    assert errors == [], f"console errors: {errors}"


@pytest.fixture(scope="module")
def small_list(tmp_path_factory) -> Path:
    """Two 北仑区 enterprises of the sample list and a row whose credit code cannot be read, as CSV."""
    folder = tmp_path_factory.mktemp("list")
    converted = folder / "all.csv"
    result = subprocess.run([sys.executable, "-m", "planner", "convert", str(ROOT / "examples" / "enterprises.yaml"),
                             str(converted)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(converted.read_text(encoding="utf-8-sig").splitlines()))
    chosen = [row for row in rows[1:] if row[0] in BEILUN]
    bad = list(chosen[0])
    bad[0], bad[1] = "12345", "坏行测试企业"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([rows[0], *chosen, bad])
    target = folder / "北仑区名单.csv"
    target.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return target


def _shot(page, name: str) -> None:
    shot(page, name, full_page=True)


def test_an_officer_uploads_a_list_generates_with_progress_and_downloads_a_plan(page, server, small_list):
    import openpyxl

    origin, root = server
    page.goto("/login")
    page.get_by_label("用户名").fill("北仑经信")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/enterprises")
    page.get_by_role("link", name="上传名单与生成").click()
    page.wait_for_url("**/upload")
    assert "名单不超过" in page.locator("main").inner_text()
    page.get_by_label("企业名单文件（.xlsx、.xls、.csv）").set_input_files(str(small_list))
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_url("**/uploads/*")

    # the problem list, at once
    assert page.locator("main > h1").inner_text() == "北仑区名单.csv"
    assert "可生成方案2家" in page.locator("#triage").inner_text().replace(" ", "")
    problems = page.locator("table.problems tbody tr")
    assert problems.count() == 1
    assert problems.first.locator("td").nth(0).inner_text() == "4"
    assert "无法识别企业" in problems.first.inner_text()
    with page.expect_download() as info:
        page.get_by_role("link", name="下载问题清单.xlsx").click()
    assert info.value.suggested_filename == "北仑区名单-问题清单.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    assert sheet.cell(row=2, column=2).value == "坏行测试企业"
    _shot(page, "web-upload.png")

    # generate, and watch it
    page.get_by_label("基准日（按此日期判断措施是否适用）").fill("2022-06-15")
    page.get_by_label("生成的文件").select_option("md,pdf")
    page.get_by_role("button", name="为2家企业生成方案").click()
    page.wait_for_url("**/runs/*")
    progress = page.locator("#progress")
    assert progress.locator("progress").count() == 1
    for label in ("已完成", "速度", "已用时间", "预计剩余"):
        assert label in progress.inner_text()
    _shot(page, "web-run.png")
    page.wait_for_selector("#progress.run-done", timeout=180_000)  # htmx polls until the run ends
    text = page.locator("#progress").inner_text()
    assert "2/2家" in text and "新生成2家" in text.replace(" ", "")
    if SCREENSHOTS:
        _shot(page, "web-run-done.png")

    # open a plan and download its PDF
    page.locator("ul.made a").first.click()
    page.wait_for_url("**/e/*")
    code = page.url.rsplit("/", 1)[1]
    assert code in BEILUN
    assert page.locator("article.plan h2").count() >= 3
    with page.expect_download() as info:
        page.get_by_role("link", name="下载帮扶方案.pdf").click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF") and data == (root / "output" / code / "帮扶方案.pdf").read_bytes()

    # the summary of the district, with its chart
    page.get_by_role("link", name="汇总").click()
    page.wait_for_url("**/summary")
    assert page.locator("main > h1").inner_text() == "帮扶工作汇总（北仑区）"
    assert page.locator("article.summary figure.chart svg rect").count() >= 2
    _shot(page, "web-summary.png")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载全部方案压缩包（按区县分文件夹）").click()
    import zipfile

    names = zipfile.ZipFile(info.value.path()).namelist()
    assert names and all(n.startswith("北仑区/") for n in names)
