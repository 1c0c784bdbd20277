"""The web workplace in a real browser: Debian's chromium driven by Playwright, the app served by
uvicorn on a free loopback port. The browser may make no request outside the app's own origin:
every request is checked, and one to anywhere else fails the test; so does any console error
(a Content-Security-Policy violation is one).

The data folder: the sample list generated (Markdown and PDF), generated again with one
enterprise's difficulties changed (a second version for the reviewer), and the sample request
sheet imported into the ledger. With PLANNER_SCREENSHOTS=1 the main page of each role is saved
under docs/ (tests/screenshots.py): web-enterprises, web-plan, web-changes, web-redline,
web-impact, web-cadre-phone, web-request-form-phone, web-requests and web-request.

Skipped, with the reason, where chromium (``make test`` installs it as root) or Playwright's
Python package is missing.
"""

from __future__ import annotations

import io
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

from screenshots import shot  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "browser-pass-42"
REVIEWED = "91330206NB0000067H"
CHANGED = "91330206NB0000059N"  # a second version: its difficulties changed
LUO = ("91330282NB00000839", "91330282NB00000914")
DESKTOP = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _planner(*args) -> None:
    result = subprocess.run([sys.executable, "-m", "planner", *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-data")
    records = ROOT / "examples" / "enterprises.yaml"
    _planner("generate", records, "--out", root / "output", "--as-of", "2022-06-15", "--format", "md,pdf")
    text = records.read_text(encoding="utf-8")
    at = text.index("difficulties: [costs", text.index(f"id: {CHANGED}"))
    edited = root / "edited.yaml"
    edited.write_text(text[:at] + "difficulties: [financing, costs" + text[at + len("difficulties: [costs"):],
                      encoding="utf-8")
    _planner("generate", edited, "--out", root / "output", "--as-of", "2022-06-15", "--format", "md,pdf")
    _planner("requests", "import", ROOT / "examples" / "走访诉求登记表.xlsx", "--out", root / "output")
    app = create_app(root)
    app.state.accounts.add("王芳", "reviewer", password=PASSWORD)
    app.state.accounts.add("罗建华", "cadre", cadre_name="罗建华", password=PASSWORD)
    app.state.accounts.add("市经信局办公室", "department", department="市经信局", password=PASSWORD)
    app.state.accounts.add("city", "officer", password=PASSWORD)
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


class Watched:
    """A browser context whose pages may reach the app only, and must log no console error."""

    def __init__(self, browser, origin: str, **options):
        self.origin = origin
        self.context = browser.new_context(accept_downloads=True, locale="zh-CN", base_url=origin, **options)
        self.page = self.context.new_page()
        self.outside, self.errors = [], []
        self.page.route("**/*", self._check)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _check(self, route):
        url = route.request.url
        if url == self.origin or url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def close(self):
        self.context.close()
        assert self.outside == [], f"requests outside the app: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def page(browser, server):
    watched = Watched(browser, server[0], viewport=DESKTOP)
    yield watched.page
    watched.close()


def _login(page, name, landing="**/enterprises"):
    page.goto("/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(landing)


def test_a_reviewer_opens_a_plan_downloads_its_pdf_and_approves_it(page, server):
    from planner.requests import PENDING, Ledger, ledger_path

    origin, root = server
    _login(page, "王芳")
    rows = page.locator("tbody tr")
    total = rows.count()
    assert total == len([p for p in (root / "output").iterdir() if (p / "version.json").is_file()])
    page.get_by_label("产业").select_option("汽车")  # htmx refreshes the list in place
    page.wait_for_url("**sector=%E6%B1%BD%E8%BD%A6**")
    page.wait_for_function(f"document.querySelectorAll('tbody tr').length < {total}")
    cars = rows.count()
    assert 0 < cars < total
    with Ledger.open(ledger_path(root / "output")) as book:  # the sample sheet's, not yet 办结
        open_cars = {r.enterprise_id for r in book.find(status=sorted(PENDING))} & {
            p.name for p in (root / "output").iterdir() if (p / "version.json").is_file()
            and json.loads((p / "version.json").read_text())["listing"]["sector"] == "汽车"}
    assert 0 < len(open_cars) <= cars
    page.get_by_label("有未办结诉求").check()
    page.wait_for_url("**sector=%E6%B1%BD%E8%BD%A6&requests=1")
    playwright.expect(rows).to_have_count(len(open_cars))
    counts = page.locator("tbody tr td:nth-child(9)").all_inner_texts()
    assert all(c.isdigit() and int(c) > 0 for c in counts)
    shot(page, "web-enterprises.png")
    page.get_by_label("有未办结诉求").uncheck()
    playwright.expect(rows).to_have_count(cars)
    page.get_by_label("功能区").select_option("前湾新区")
    page.wait_for_url("**zone=%E5%89%8D%E6%B9%BE%E6%96%B0%E5%8C%BA**")
    playwright.expect(rows).to_have_count(1)
    assert "前湾新区" in rows.first.inner_text()
    page.goto(f"/e/{REVIEWED}")
    name = json.loads((root / "output" / REVIEWED / "version.json").read_text())["listing"]["name"]
    assert page.locator("main > h1").inner_text() == name
    assert page.locator("article.plan h2").count() >= 3  # the plan, rendered
    shot(page, "web-plan.png")
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
    phone = Watched(browser, origin, viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.page
    _login(page, "罗建华")
    boxes = page.locator('input[name="id"]')
    assert boxes.count() == 2
    # on the phone: the tick, the enterprise with its district and status under its name, the
    # measures, open questions and requests not yet 办结, each heading on one line (not 区/县 a
    # character a line)
    heads = page.locator("table.enterprises thead th:visible")
    assert heads.all_inner_texts() == ["简报", "企业名称", "措施", "待核实", "未办结诉求"]
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('table.enterprises th')).lineHeight)")
    assert all(h <= line * 1.5 + 16 for h in heads.evaluate_all("cells => cells.map(c => c.clientHeight)"))
    assert page.locator("table.enterprises tbody tr").first.locator(".phone").is_visible()
    assert page.evaluate("document.querySelector('.table').scrollWidth <= document.querySelector('.table').clientWidth")
    page.get_by_role("button", name="把勾选企业的走访简报合成一个 PDF 下载").click()  # nothing ticked yet
    assert page.locator("main h1").inner_text() == "没有勾选企业"
    assert phone.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    phone.errors.clear()  # the page's own status (nothing ticked is a bad request), nothing else
    page.get_by_role("link", name="返回我的企业").click()
    page.wait_for_url("**/enterprises")
    boxes.nth(0).check()
    boxes.nth(1).check()
    shot(page, "web-cadre-phone.png")
    with page.expect_download() as info:
        page.get_by_role("button", name="把勾选企业的走访简报合成一个 PDF 下载").click()
    pdf = PdfReader(info.value.path())
    assert len(pdf.pages) == 1 + sum(len(PdfReader(root / "output" / c / "走访简报.pdf").pages) for c in LUO)
    page.goto(f"/e/{LUO[0]}")
    page.get_by_role("link", name="登记走访诉求").click()
    page.get_by_label("诉求类别").select_option("融资")
    page.get_by_label("诉求内容").fill("希望对接低息贷款")
    shot(page, "web-request-form-phone.png")
    page.get_by_role("button", name="登记").click()
    page.wait_for_url("**/requests/SQ-*")
    assert "登记" in page.locator("main > h1").inner_text()
    page.goto("/requests")
    assert "希望对接低息贷款" in page.locator("main").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the request list is wider than the phone"
    phone.close()


def test_a_reviewer_sees_what_the_run_changed_and_opens_the_redline(page, server):
    _login(page, "王芳")
    page.get_by_role("link", name="新版本审核").click()
    page.wait_for_url("**/changes")
    row = page.locator("tbody tr", has_text=CHANGED)
    assert row.count() == 1 and "企业记录变化" in row.inner_text()
    shot(page, "web-changes.png")
    row.get_by_role("link", name="修订对照").click()
    page.wait_for_url(f"**/e/{CHANGED}/redline?old=1&new=2")
    assert page.locator("ins, del").count() >= 1  # the redline marks what was added and removed
    ins = page.locator("article.diff ins").first
    assert ins.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"  # /redline.css applies
    assert page.locator("header.top nav").get_by_role("link", name="新版本审核").is_visible()
    shot(page, "web-redline.png")
    page.get_by_label("退回理由（必填）").fill("融资措施待核实")
    page.get_by_role("button", name="退回第2版").click()
    page.wait_for_url("**/changes")  # decided from the redline, the reviewer is back at the list
    assert "已退回（王芳：融资措施待核实）" in page.locator("tbody tr", has_text=CHANGED).inner_text()


def _proposal_zip(tmp_path) -> Path:
    """An edit a reviewer might propose: the logistics measure of the automotive profile ends in September."""
    import zipfile

    from planner.resources import bundled

    text = (bundled("sectors") / "automotive.yaml").read_text(encoding="utf-8")
    at = text.index("end: 2022-12-31", text.index("- id: automotive_logistics"))
    target = tmp_path / "汽车物流调整.zip"
    with zipfile.ZipFile(target, "w") as book:
        book.writestr("sectors/automotive.yaml", text[:at] + "end: 2022-09-30" + text[at + len("end: 2022-12-31"):])
    return target


def test_a_reviewer_uploads_a_profile_edit_and_reads_its_impact(page, server, tmp_path):
    _login(page, "王芳")
    page.get_by_role("link", name="措施库调整影响").click()
    page.wait_for_url("**/impact")
    page.get_by_label("基准日（可不填：按输出目录中方案的基准日）").fill("2022-06-15")
    page.get_by_label("修改稿压缩包（.zip）").set_input_files(_proposal_zip(tmp_path))
    page.get_by_role("button", name="上传并评估影响").click()
    page.wait_for_url("**/impact/*")
    assert "拟调整措施库影响2家企业（共20家）" in page.locator("main").inner_text()
    assert page.locator("table.changes tbody tr").count() == 1
    assert page.locator("ul.affected > li").count() == 2
    shot(page, "web-impact.png", full_page=True)
    page.goto("/impact")
    assert "汽车物流调整.zip" in page.locator("main").inner_text()


def _step(page, label: str, note: str = "", satisfied: str | None = None) -> None:
    form = page.get_by_role("form", name=label)
    if satisfied:
        form.get_by_label(satisfied, exact=False).first.check()
    if note:
        form.locator("textarea").fill(note)
    form.get_by_role("button", name=label).click()
    page.wait_for_load_state()


def test_a_request_goes_round_the_loop_in_the_browser(browser, server):
    """交办 (officer) → 办理中 and 办结 (department) → 回访, satisfied (the cadre, on a phone) → 销号 (officer)."""
    from planner.requests import Ledger, ledger_path

    origin, root = server
    with Ledger.open(ledger_path(root / "output")) as book:
        rid = next(r.id for r in book.find(status="登记", department="市经信局") if r.cadre.startswith("罗建华"))
    officer = Watched(browser, origin, viewport=DESKTOP)
    _login(officer.page, "city")
    officer.page.get_by_role("link", name="企业诉求").click()
    officer.page.wait_for_url("**/requests")
    assert officer.page.locator("ul.cards > li").count() >= 30  # the imported sheet
    shot(officer.page, "web-requests.png")
    officer.page.goto(f"/requests/{rid}")
    # handed to 市经信局 alone (routed to two departments, it would be 办结 when both have answered)
    officer.page.get_by_role("form", name="交办").get_by_label("承办部门（用“、”分隔）").fill("市经信局")
    _step(officer.page, "交办", "请于5个工作日内答复")
    assert "交办" in officer.page.locator("main > h1").inner_text()

    department = Watched(browser, origin, viewport=DESKTOP)
    _login(department.page, "市经信局办公室", "**/requests")
    assert rid in department.page.locator("main").inner_text()
    department.page.goto(f"/requests/{rid}")
    _step(department.page, "开始办理", "已联系企业")
    department.page.get_by_role("form", name="办结").get_by_label("办理人").fill("张伟")
    _step(department.page, "办结", "已协调解决")
    assert department.page.locator("main > h1").inner_text().endswith("办结")
    assert "办理人：张伟，市经信局；账户：市经信局办公室" in department.page.locator("ol.events").inner_text()
    department.close()

    phone = Watched(browser, origin, viewport=PHONE, is_mobile=True, has_touch=True)
    _login(phone.page, "罗建华")
    phone.page.goto(f"/requests/{rid}")
    _step(phone.page, "登记回访", "企业表示满意", satisfied="满意")
    assert "回访" in phone.page.locator("main > h1").inner_text()
    phone.close()

    officer.page.goto(f"/requests/{rid}")
    steps = officer.page.locator("ol.events li")
    assert steps.count() == 5 and "回访（满意）" in steps.nth(4).inner_text()
    shot(officer.page, "web-request.png", full_page=True)
    _step(officer.page, "销号")
    assert officer.page.locator("main > h1").inner_text().endswith("销号")
    assert officer.page.locator("form.step").count() == 0
    officer.close()
    with Ledger.open(ledger_path(root / "output")) as book:
        assert [e.step for e in book.events(rid)] == ["登记", "交办", "办理中", "办结", "回访", "销号"]
        assert book.get(rid).satisfied is True


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_deeply_nested_list_in_the_redline_shows_every_level_further_in(browser, viewport):
    """The redline page of two plans whose list nests eight deep (near the Markdown parser's limit),
    every level edited: each level's item starts further right than the one above it, to the
    eighth, and none runs off the page."""
    from planner.diff_output import as_html
    from planner.render import Templates

    from test_redline import nested_diff

    html = as_html(nested_diff(8, changed=range(1, 9)), Templates.from_option(None))
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    outside = []
    page.route("**/*", lambda route: (outside.append(route.request.url), route.abort()))
    page.set_content(html)
    lefts = page.eval_on_selector_all("ul.rl li", "items => items.map(li => li.getBoundingClientRect().left)")
    widest = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert outside == []
    assert len(lefts) == 8
    steps = [b - a for a, b in zip(lefts, lefts[1:])]
    assert all(step >= 6 for step in steps), steps  # every level shows, as a visible step
    assert steps[-1] < steps[0]  # past the sixth level the step is smaller
    assert widest <= viewport["width"]
