"""The web workplace in a real browser: Debian's chromium driven by Playwright, the app served by
uvicorn on a free loopback port. The browser may make no request outside the app's own origin:
every request is checked, and one to anywhere else fails the test; so does any console error
(a Content-Security-Policy violation is one).

Skipped, with the reason, where chromium (``make test`` installs it as root) or Playwright's
Python package is missing.
"""

from __future__ import annotations

import json
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

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "browser-pass-42"
REVIEWED = "91330206NB0000067H"
LUO = ("91330282NB00000839", "91330282NB00000914")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-data")
    result = subprocess.run([sys.executable, "-m", "planner", "generate", str(ROOT / "examples" / "enterprises.yaml"),
                             "--out", str(root / "output"), "--as-of", "2022-06-15", "--format", "md,pdf"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    app = create_app(root)
    app.state.accounts.add("王芳", "reviewer", password=PASSWORD)
    app.state.accounts.add("罗建华", "cadre", cadre_name="罗建华", password=PASSWORD)
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
    context = browser.new_context(accept_downloads=True, locale="zh-CN", base_url=origin)
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


def _login(page, name):
    page.goto("/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/enterprises")


def test_a_reviewer_opens_a_plan_downloads_its_pdf_and_approves_it(page, server):
    origin, root = server
    _login(page, "王芳")
    rows = page.locator("tbody tr")
    total = rows.count()
    assert total == len([p for p in (root / "output").iterdir() if (p / "version.json").is_file()])
    page.get_by_label("产业").select_option("汽车")  # htmx refreshes the list in place
    page.wait_for_url("**sector=%E6%B1%BD%E8%BD%A6**")
    page.wait_for_function(f"document.querySelectorAll('tbody tr').length < {total}")
    assert 0 < rows.count() < total
    page.goto(f"/e/{REVIEWED}")
    name = json.loads((root / "output" / REVIEWED / "version.json").read_text())["listing"]["name"]
    assert page.locator("main > h1").inner_text() == name
    assert page.locator("article.plan h2").count() >= 3  # the plan, rendered
    with page.expect_download() as info:
        page.get_by_role("link", name="下载帮扶方案.pdf").click()
    assert Path(info.value.path()).read_bytes() == (root / "output" / REVIEWED / "帮扶方案.pdf").read_bytes()
    page.get_by_label("审核意见（可不填）").fill("已核对")
    page.get_by_role("button", name="审核通过第1版").click()
    page.wait_for_load_state()
    assert "已通过（王芳" in page.locator("section.box h2").first.inner_text()
    last = json.loads((root / "output" / REVIEWED / "reviews.jsonl").read_text().splitlines()[-1])
    assert (last["reviewer"], last["decision"], last["note"]) == ("王芳", "approved", "已核对")


def test_a_cadre_on_a_phone_prints_two_briefs_and_enters_a_request(browser, server):
    from pypdf import PdfReader

    origin, root = server
    context = browser.new_context(accept_downloads=True, locale="zh-CN", base_url=origin,
                                  viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    outside = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(origin + "/")
               else (outside.append(route.request.url), route.abort()))
    try:
        _login(page, "罗建华")
        boxes = page.locator('input[name="id"]')
        assert boxes.count() == 2
        boxes.nth(0).check()
        boxes.nth(1).check()
        with page.expect_download() as info:
            page.get_by_role("button", name="把勾选企业的走访简报合成一个 PDF 下载").click()
        pdf = PdfReader(info.value.path())
        assert len(pdf.pages) == 1 + sum(len(PdfReader(root / "output" / c / "走访简报.pdf").pages) for c in LUO)
        page.goto(f"/e/{LUO[0]}")
        page.get_by_role("link", name="登记走访诉求").click()
        page.get_by_label("诉求类别").select_option("融资")
        page.get_by_label("诉求内容").fill("希望对接低息贷款")
        page.get_by_role("button", name="登记").click()
        page.wait_for_url("**/requests/SQ-*")
        assert "登记" in page.locator("main > h1").inner_text()
        page.goto("/requests")
        assert "希望对接低息贷款" in page.locator("main").inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the request list is wider than the phone"
    finally:
        context.close()
    assert outside == [], f"requests outside the app: {outside}"
