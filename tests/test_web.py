"""The web workplace (planner serve), through the test client: logins, scopes, pages and actions
for every role, CSRF, rate limits, security headers, and what reaches the review log and the
request ledger.

One data folder for the module: the sample list generated once (Markdown and PDF), then again
with one enterprise's difficulties changed, so it has a second version to review and redline.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from planner.cli import main  # noqa: E402
from planner.web import create_app  # noqa: E402
from planner.web.accounts import MAX_FAILURES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "examples" / "enterprises.yaml"
PASSWORD = "correct-horse-42"
CHANGED = "91330206NB0000059N"  # 郑晓岚's, in 北仑区: two versions
OTHER_OF_ZHENG = "91330206NB0000067H"
LUO = ("91330282NB00000839", "91330282NB00000914")  # 罗建华's two, in 慈溪市
USERS = {  # name: (role, district, cadre name, department)
    "admin": ("admin", "", "", ""),
    "王芳": ("reviewer", "", "", ""),
    "city": ("officer", "", "", ""),
    "beilun": ("officer", "北仑区", "", ""),
    "罗建华": ("cadre", "", "罗建华", ""),
    "郑晓岚": ("cadre", "", "郑晓岚", ""),
    "jxj": ("department", "", "", "市经信局"),
    "rsj": ("department", "", "", "市人力社保局"),
}


def _generate(records: Path, out: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "planner", "generate", str(records), "--out", str(out),
                             "--as-of", "2022-06-15", "--format", "md,pdf"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("web-data")
    _generate(RECORDS, root / "output")
    text = RECORDS.read_text(encoding="utf-8")
    start = text.index(f"id: {CHANGED}")
    end = text.index("difficulties: [costs", start)
    changed = text[:end] + "difficulties: [financing, costs" + text[end + len("difficulties: [costs"):]
    edited = root / "edited.yaml"
    edited.write_text(changed, encoding="utf-8")
    _generate(edited, root / "output")
    assert json.loads((root / "output" / CHANGED / "version.json").read_text())["version"] == 2
    app = create_app(root)
    for name, (role, district, cadre, department) in USERS.items():
        app.state.accounts.add(name, role, district, cadre, department, password=PASSWORD)
    return root


@pytest.fixture(scope="module")
def app(data):
    return create_app(data)


def client(app, address: str = "10.0.0.1") -> TestClient:
    return TestClient(app, follow_redirects=False, client=(address, 50000))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(app, name: str, password: str = PASSWORD, address: str = "10.0.0.1") -> TestClient:
    c = client(app, address)
    form = c.get("/login")
    r = c.post("/login", data={"name": name, "password": password, "csrf": csrf_of(form.text), "next": "/"})
    assert r.status_code == 303, r.text
    return c


def csrf(c: TestClient) -> str:
    return csrf_of(c.get("/password").text)


def listing(data: Path) -> dict:
    return {sub.name: json.loads((sub / "version.json").read_text())["listing"]
            for sub in sorted((data / "output").iterdir()) if (sub / "version.json").is_file()}


def listed_ids(html: str) -> set[str]:
    return set(re.findall(r'href="/e/([0-9A-Z]{18})"', html))


# -- logging in

PAGES = ["/", "/enterprises", f"/e/{CHANGED}", f"/e/{CHANGED}/files/帮扶方案.pdf", f"/e/{CHANGED}/redline",
         "/changes", f"/briefs.pdf?id={CHANGED}", f"/e/{CHANGED}/requests/new", "/requests", "/requests/SQ-2022-000001",
         "/audit", "/password"]
POSTS = ["/logout", "/password", f"/e/{CHANGED}/review", f"/e/{CHANGED}/requests", "/requests/SQ-2022-000001/step"]


@pytest.mark.parametrize("method,url", [("GET", u) for u in PAGES] + [("POST", u) for u in POSTS])
def test_every_page_and_action_needs_a_login(app, method, url):
    c = client(app)
    r = c.post(url, data={}) if method == "POST" else c.get(url)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_login_sets_a_signed_http_only_cookie_with_expiry(app):
    c = client(app)
    form = c.get("/login")
    r = c.post("/login", data={"name": "王芳", "password": PASSWORD, "csrf": csrf_of(form.text), "next": "/changes"})
    assert r.status_code == 303 and r.headers["location"] == "/changes"
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("planner_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=28800" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert c.get("/changes").status_code == 200
    tampered = client(app)
    tampered.cookies.set("planner_session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert tampered.get("/changes").status_code == 303


def test_a_login_post_without_its_token_is_refused(app):
    c = client(app)
    r = c.post("/login", data={"name": "王芳", "password": PASSWORD, "next": "/"})
    assert r.status_code == 403
    assert "planner_session" not in r.headers.get("set-cookie", "")


def test_next_never_leaves_the_site(app):
    c = client(app)
    form = c.get("/login")
    r = c.post("/login", data={"name": "王芳", "password": PASSWORD, "csrf": csrf_of(form.text),
                               "next": "//evil.example/x"})
    assert r.headers["location"] == "/"


def test_wrong_passwords_are_rate_limited_per_user_and_address(app, data):
    app.state.accounts.add("limited", "reviewer", password=PASSWORD)
    c = client(app, "10.9.9.9")
    token = csrf_of(c.get("/login").text)
    for _ in range(MAX_FAILURES):
        r = c.post("/login", data={"name": "limited", "password": "wrong-password", "csrf": token, "next": "/"})
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
    r = c.post("/login", data={"name": "limited", "password": PASSWORD, "csrf": token, "next": "/"})
    assert r.status_code == 429 and "10分钟" in r.text
    assert "planner_session" not in r.headers.get("set-cookie", "")
    login(app, "limited", address="10.9.9.10")  # another address is not locked out
    log = app.state.accounts.audit_log()
    assert sum(1 for e in log if e["actor"] == "limited" and e["action"] == "登录失败") == MAX_FAILURES
    assert any(e["actor"] == "limited" and e["action"] == "登录被限制" for e in log)


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(app):
    c = client(app)
    r = c.post("/login", data={"name": "nobody", "password": "x" * 12, "csrf": csrf_of(c.get("/login").text)})
    assert r.status_code == 401 and "用户名或密码不正确" in r.text


def test_a_one_time_password_must_be_changed_first(app):
    one_time = app.state.accounts.add("newcomer", "reviewer")
    c = login(app, "newcomer", one_time)
    assert c.get("/enterprises").headers["location"] == "/password"
    token = csrf_of(c.get("/password").text)
    r = c.post("/password", data={"old": one_time, "new": "short", "again": "short", "csrf": token})
    assert r.status_code == 400 and "至少10个字符" in r.text
    r = c.post("/password", data={"old": one_time, "new": "my-own-password", "again": "my-own-password"})
    assert r.status_code == 403  # no token: refused, nothing changed
    assert c.get("/enterprises").status_code == 303
    r = c.post("/password", data={"old": one_time, "new": "my-own-password", "again": "my-own-password", "csrf": token})
    assert r.status_code == 303
    assert c.get("/enterprises").status_code == 200
    login(app, "newcomer", "my-own-password")


def test_logout_ends_the_session_on_the_server(app):
    c = login(app, "王芳")
    saved = dict(c.cookies)
    assert c.post("/logout", data={"csrf": csrf(c)}).status_code == 303
    replay = client(app)
    for k, v in saved.items():
        replay.cookies.set(k, v)
    assert replay.get("/enterprises").status_code == 303


def test_a_logout_without_token_is_refused(app):
    c = login(app, "王芳")
    assert c.post("/logout", data={}).status_code == 403
    assert c.get("/enterprises").status_code == 200


# -- headers and assets

def test_security_headers_on_pages_errors_and_files(app):
    c = login(app, "罗建华")
    for r in (client(app).get("/login"), c.get("/enterprises"), c.get(f"/e/{CHANGED}"), c.get("/static/style.css"),
              c.get(f"/e/{LUO[0]}/files/帮扶方案.pdf")):
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0] if "script-src" in csp else True
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
    assert "no-store" in c.get("/enterprises").headers["cache-control"]


def test_htmx_is_served_from_the_app_with_its_licence(app):
    c = client(app)
    js = c.get("/static/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:200]
    assert "Zero-Clause BSD" in c.get("/static/htmx-LICENSE.txt").text


ATTRIBUTE = re.compile(r'\b(?:href|src|action|formaction|srcset|poster|data)\s*=\s*["\']?([^"\'\s>]+)', re.I)


def _external(html: str) -> list[str]:
    refs = [v for v in ATTRIBUTE.findall(html) if re.match(r"(?i)(?:[a-z][a-z0-9+.-]*:|//)", v)]
    refs += re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", html)
    return refs + re.findall(r"(?i)@import", html)


@pytest.mark.parametrize("who", ["王芳", "罗建华", "admin", "jxj"])
def test_no_page_references_anything_outside_the_app(app, who):
    c = login(app, who)
    urls = ["/login", "/enterprises", "/changes", "/requests", "/audit", "/password", f"/e/{LUO[0]}",
            f"/e/{CHANGED}", f"/e/{CHANGED}/redline", f"/e/{LUO[0]}/requests/new", "/nowhere"]
    seen = 0
    for url in urls:
        r = c.get(url)
        if r.headers.get("content-type", "").startswith("text/html"):
            assert _external(r.text) == [], url
            assert not re.search(r"(?i)<script(?![^>]*\bsrc=\"/static/)", r.text), url  # no inline script
            assert not re.search(r"(?i)\son[a-z]+\s*=", r.text), url  # no inline event handlers
            seen += 1
    assert seen >= 4
    css = client(app).get("/static/style.css").text
    assert _external(css) == []


# -- enterprises and scopes

def test_each_role_sees_its_own_enterprises(app, data):
    rows = listing(data)
    expect = {
        "王芳": set(rows), "admin": set(rows), "city": set(rows),
        "beilun": {code for code, row in rows.items() if row["district"] == "北仑区"},
        "罗建华": set(LUO), "郑晓岚": {CHANGED, OTHER_OF_ZHENG},
    }
    assert len(expect["beilun"]) >= 2 and expect["beilun"] != set(rows)
    for who, codes in expect.items():
        assert listed_ids(login(app, who).get("/enterprises").text) == codes, who
    assert login(app, "jxj").get("/enterprises").status_code == 404


def test_filters_and_search(app, data):
    rows = listing(data)
    c = login(app, "city")
    assert listed_ids(c.get("/enterprises", params={"district": "北仑区"}).text) == {
        k for k, r in rows.items() if r["district"] == "北仑区"}
    assert listed_ids(c.get("/enterprises", params={"sector": "汽车"}).text) == {
        k for k, r in rows.items() if r["sector"] == "汽车"}
    assert listed_ids(c.get("/enterprises", params={"status": "停产"}).text) == {
        k for k, r in rows.items() if r["production_status"] == "停产"}
    assert listed_ids(c.get("/enterprises", params={"questions": "1"}).text) == {
        k for k, r in rows.items() if r["questions"] > 0}
    name = rows[CHANGED]["name"]
    assert listed_ids(c.get("/enterprises", params={"q": name[2:6]}).text) == {
        k for k, r in rows.items() if name[2:6] in r["name"]}
    assert listed_ids(c.get("/enterprises", params={"q": CHANGED.lower()}).text) == {CHANGED}
    cadre = rows[CHANGED]["cadre"]
    assert listed_ids(c.get("/enterprises", params={"cadre": cadre}).text) == {CHANGED, OTHER_OF_ZHENG}


def _pages(c: TestClient, params: dict | None = None, **headers) -> list[str]:
    """Every page of the enterprise list, following its 下一页 links."""
    from html import unescape

    got = [c.get("/enterprises", params=params or {}, headers=headers).text]
    while (found := re.search(r'<a href="([^"]+)" hx-get="[^"]+" hx-target="#list" hx-swap="outerHTML" '
                              r'hx-push-url="true" rel="next">', got[-1])):
        got.append(c.get(unescape(found.group(1)), headers=headers).text)
    return got


def test_the_list_comes_in_pages_that_keep_the_filters(app, data, monkeypatch):
    import planner.web.plans

    monkeypatch.setattr(planner.web.plans, "PER_PAGE", 2)
    rows = listing(data)
    c = login(app, "city")
    first = c.get("/enterprises").text
    assert f"共{len(rows)}家，第1/{-(-len(rows) // 2)}页，显示第1–2家" in first and len(listed_ids(first)) == 2
    pages = _pages(c)
    assert len(pages) == -(-len(rows) // 2) and "rel=\"next\"" not in pages[-1]
    seen = [listed_ids(p) for p in pages]
    assert set().union(*seen) == set(rows) and sum(map(len, seen)) == len(rows)  # each once
    beilun = {k for k, r in rows.items() if r["district"] == "北仑区"}
    kept = _pages(c, {"district": "北仑区"})
    assert len(kept) == -(-len(beilun) // 2) >= 2
    assert 'href="/enterprises?district=%E5%8C%97%E4%BB%91%E5%8C%BA&amp;page=2"' in kept[0]
    assert set().union(*map(listed_ids, kept)) == beilun and f"共{len(beilun)}家（全部{len(rows)}家）" in kept[0]
    assert listed_ids(c.get("/enterprises", params={"page": "999"}).text) == listed_ids(pages[-1])  # the last
    assert listed_ids(c.get("/enterprises", params={"page": "x"}).text) == listed_ids(first)


def test_htmx_gets_the_list_alone_and_scope_holds_on_every_page(app, data, monkeypatch):
    import planner.web.plans

    monkeypatch.setattr(planner.web.plans, "PER_PAGE", 1)
    c = login(app, "city")
    part = c.get("/enterprises", params={"district": "北仑区", "page": "2"}, headers={"HX-Request": "true"})
    assert part.status_code == 200 and part.text.startswith('<div id="list">') and "<header" not in part.text
    assert "<form method=\"get\" action=\"/enterprises\"" not in part.text and len(listed_ids(part.text)) == 1
    assert part.headers["vary"] == "HX-Request"
    whole = c.get("/enterprises", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<header" in whole.text and 'id="list"' in whole.text  # htmx restoring history needs the page
    rows = listing(data)
    for who, codes in {"罗建华": set(LUO), "beilun": {k for k, r in rows.items() if r["district"] == "北仑区"}}.items():
        user = login(app, who)
        for headers in ({}, {"HX-Request": "true"}):
            pages = _pages(user, **headers)
            assert len(pages) == len(codes) and set().union(*map(listed_ids, pages)) == codes, who
        assert listed_ids(user.get("/enterprises", params={"page": "50"}).text) <= codes


def test_the_way_back_from_a_plan_and_the_address_bar_keep_the_lists_filters_and_page(app, data, monkeypatch):
    import planner.web.plans

    monkeypatch.setattr(planner.web.plans, "PER_PAGE", 1)
    c = login(app, "city")
    came = "http://testserver/enterprises?q=&district=%E5%8C%97%E4%BB%91%E5%8C%BA&sector=&page=2&evil=%3Cx%3E"
    plan = c.get(f"/e/{CHANGED}", headers={"referer": came}).text
    assert '<a href="/enterprises?district=%E5%8C%97%E4%BB%91%E5%8C%BA&amp;page=2">← 返回企业清单</a>' in plan
    for elsewhere in ("http://evil.example/enterprises?district=x", "http://testserver/changes", ""):
        assert '<a href="/enterprises">← 返回企业清单</a>' in c.get(f"/e/{CHANGED}", headers={"referer": elsewhere}).text
    assert '<a href="/enterprises">← 返回我的企业</a>' in login(app, "郑晓岚").get(f"/e/{CHANGED}").text
    # htmx pushes the URL of what the list shows: no empty filters, the page it is on
    part = c.get("/enterprises", params={"q": "", "district": "北仑区", "sector": "", "page": "2"},
                 headers={"HX-Request": "true"})
    assert part.headers["hx-push-url"] == "/enterprises?district=%E5%8C%97%E4%BB%91%E5%8C%BA&page=2"
    assert "hx-push-url" not in c.get("/enterprises").headers
    # nothing ticked: said on a page that leads back to the list as it was
    none = c.get("/briefs.pdf", headers={"referer": came})
    assert none.status_code == 400 and "<h1>没有勾选企业</h1>" in none.text
    assert '<a href="/enterprises?district=%E5%8C%97%E4%BB%91%E5%8C%BA&amp;page=2">返回企业清单</a>' in none.text


def test_the_enterprise_page_shows_the_plan_its_files_and_versions(app, data):
    c = login(app, "郑晓岚")
    r = c.get(f"/e/{CHANGED}")
    assert r.status_code == 200
    plan = (data / "output" / CHANGED / "plan.md").read_text(encoding="utf-8")
    first_heading = next(line for line in plan.splitlines() if line.startswith("## ")).lstrip("# ")
    assert f"<h2>{first_heading}</h2>" in r.text
    assert "第2版" in r.text and "第1版" in r.text
    assert "，基准日2022年6月15日。" in r.text  # the day as the plan writes it, not 2022-06-15
    assert f'href="/e/{CHANGED}/files/%E5%B8%AE%E6%89%B6%E6%96%B9%E6%A1%88.pdf"' in r.text
    assert "登记走访诉求" in r.text and "审核通过第2版" not in r.text  # a cadre does not review


def test_downloads_are_the_current_files(app, data):
    c = login(app, "郑晓岚")
    for name in ("帮扶方案.pdf", "走访简报.pdf"):
        r = c.get(f"/e/{CHANGED}/files/{name}")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.content == (data / "output" / CHANGED / name).read_bytes()
    for name in ("plan.json", "version.json", "../" + LUO[0] + "/帮扶方案.pdf", "帮扶方案.docx"):
        assert c.get(f"/e/{CHANGED}/files/{name}").status_code == 404


def test_a_cadre_gets_404_for_another_cadres_enterprise(app, data):
    name = listing(data)[CHANGED]["name"]
    c = login(app, "罗建华")
    for url in (f"/e/{CHANGED}", f"/e/{CHANGED}/files/帮扶方案.pdf", f"/e/{CHANGED}/files/走访简报.pdf",
                f"/briefs.pdf?id={CHANGED}", f"/briefs.pdf?id={LUO[0]}&id={CHANGED}", f"/e/{CHANGED}/requests/new",
                f"/e/{CHANGED}/redline", "/e/XXXXXXXXXXXXXXXXXX", "/e/..%2F..%2Fetc"):
        r = c.get(url)
        assert r.status_code == 404, url
        assert name not in r.text and CHANGED not in r.text.replace(url, "")
    r = c.post(f"/e/{CHANGED}/requests", data={"csrf": csrf(c), "category": "融资", "urgency": "简单",
                                               "text": "不该登记", "visit_date": "2022-06-20"})
    assert r.status_code == 404


def test_a_district_officer_gets_404_outside_the_district(app):
    c = login(app, "beilun")
    assert c.get(f"/e/{CHANGED}").status_code == 200
    assert c.get(f"/e/{LUO[0]}").status_code == 404
    assert c.get(f"/e/{LUO[0]}/files/帮扶方案.pdf").status_code == 404


def test_a_cadre_prints_the_briefs_of_the_ticked_enterprises(app, data):
    from pypdf import PdfReader

    c = login(app, "罗建华")
    page = c.get("/enterprises").text
    assert page.count('type="checkbox" name="id"') == 2
    r = c.get("/briefs.pdf", params=[("id", LUO[1]), ("id", LUO[0])])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    pages = PdfReader(io.BytesIO(r.content)).pages
    singles = [len(PdfReader(data / "output" / code / "走访简报.pdf").pages) for code in LUO]
    assert len(pages) == 1 + sum(singles)  # the route sheet, then each brief as it is
    route = pages[0].extract_text()
    assert route.index(listing(data)[LUO[1]]["name"][:6]) < route.index(listing(data)[LUO[0]]["name"][:6])
    assert c.get("/briefs.pdf").status_code == 400
    assert any(e["action"] == "打印简报" and e["actor"] == "罗建华" for e in app.state.accounts.audit_log())


# -- review

def test_the_reviewer_sees_the_last_runs_changes_and_the_redline(app):
    c = login(app, "王芳")
    r = c.get("/changes")
    assert r.status_code == 200
    assert listed_ids(r.text) == {CHANGED}  # the last run wrote only the changed enterprise
    assert "第1版→第2版" in r.text and f"/e/{CHANGED}/redline?old=1&amp;new=2" in r.text
    red = c.get(f"/e/{CHANGED}/redline?old=1&new=2")
    assert red.status_code == 200 and "<ins>" in red.text and "帮扶方案版本比较" in red.text
    csp = red.headers["content-security-policy"]  # the site's own: no inline script or style
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert ' style="' not in red.text
    # the site's layout: its navigation, the way back to the enterprise and to the review list
    assert 'class="top"' in red.text and 'href="/enterprises"' in red.text
    crumbs = red.text[red.text.index('class="crumbs"'):red.text.index("</nav>", red.text.index('class="crumbs"'))]
    assert f'href="/e/{CHANGED}"' in crumbs and 'href="/changes"' in crumbs
    assert "审核通过第2版" in red.text and "退回第2版" in red.text and csrf_of(red.text)
    # the decision after the redline it is made on, the state and a link to it at the top
    assert red.text.index('<article class="diff">') < red.text.index(f'action="/e/{CHANGED}/review"')
    assert red.text.index('href="#review"') < red.text.index('<article class="diff">') and 'id="review"' in red.text
    sheet = c.get("/redline.css")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css") and "ins" in sheet.text
    assert c.get(f"/e/{LUO[0]}/redline").status_code == 404  # one version only
    for who in ("罗建华", "jxj"):
        assert login(app, who).get("/changes").status_code == 404
    for who in ("city", "admin"):  # may read the redline, may not decide
        other = login(app, who).get(f"/e/{CHANGED}/redline?old=1&new=2")
        assert other.status_code == 200 and "<ins>" in other.text and "审核通过" not in other.text
        assert 'action="/e/' not in other.text
    assert 'href="/changes"' not in login(app, "city").get(f"/e/{CHANGED}/redline").text.split("</header>")[1]


def test_the_changes_page_without_a_run_or_with_a_damaged_record_says_so_in_a_users_words(data, tmp_path):
    from planner.changes import RUNS

    empty = create_app(tmp_path / "empty")
    empty.state.accounts.add("王芳", "reviewer", password=PASSWORD)
    r = login(empty, "王芳").get("/changes")
    assert r.status_code == 200 and "还没有生成记录：上传名单并生成方案后，这里列出最近一次生成的新版本" in r.text
    assert RUNS not in r.text and "--since" not in r.text
    copy = tmp_path / "copy"
    shutil.copytree(data, copy)
    with open(copy / "output" / RUNS, "a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    shutil.rmtree(copy / "output" / CHANGED)  # the last run's one enterprise, gone meanwhile
    r = login(create_app(copy), "王芳").get("/changes")
    lines = (copy / "output" / RUNS).read_text().splitlines()
    assert f"运行记录第{len(lines)}行已损坏，已忽略该行" in r.text and f"{CHANGED}：企业文件夹已不存在" in r.text
    assert str(copy) not in r.text and RUNS not in r.text
    (copy / "output" / RUNS).write_text("{not json\n", encoding="utf-8")
    r = login(create_app(copy), "王芳").get("/changes")
    assert r.status_code == 200 and "运行记录已损坏，无法确定最近一次生成" in r.text and str(copy) not in r.text


def test_the_reviewer_approves_from_the_redline_and_is_back_at_the_list(app, data):
    c = login(app, "王芳")
    red = c.get(f"/e/{CHANGED}/redline?old=1&new=2").text
    before = _reviews(data, CHANGED)
    r = c.post(f"/e/{CHANGED}/review", data={"decision": "approved", "version": "2", "back": "changes"})
    assert r.status_code == 403 and _reviews(data, CHANGED) == before  # the same handler: no token, nothing
    r = c.post(f"/e/{CHANGED}/review", data={"decision": "approved", "version": "2", "text": "日期核对无误",
                                             "back": "changes", "csrf": csrf_of(red)})
    assert r.status_code == 303 and r.headers["location"] == "/changes"
    last = _reviews(data, CHANGED)[-1]
    assert (last["reviewer"], last["decision"], last["version"], last["note"]) == ("王芳", "approved", 2, "日期核对无误")
    assert "已通过（王芳" in c.get(f"/e/{CHANGED}/redline?old=1&new=2").text
    r = c.post(f"/e/{CHANGED}/review", data={"decision": "approved", "version": "2", "back": "https://evil.example/",
                                             "csrf": csrf_of(red)})
    assert r.headers["location"] == f"/e/{CHANGED}"  # only the review list is a way back


def _reviews(data: Path, code: str) -> list[dict]:
    path = data / "output" / code / "reviews.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_approve_through_the_web_records_the_reviewer(app, data):
    code = OTHER_OF_ZHENG
    c = login(app, "王芳")
    page = c.get(f"/e/{code}").text
    assert "审核通过第1版" in page and "退回第1版" in page
    token = csrf_of(page)
    before = _reviews(data, code)
    r = c.post(f"/e/{code}/review", data={"decision": "approved", "version": "1", "text": "同意"})
    assert r.status_code == 403 and _reviews(data, code) == before  # no token: nothing recorded
    r = c.post(f"/e/{code}/review", data={"decision": "approved", "version": "1", "text": "同意", "csrf": "forged"})
    assert r.status_code == 403 and _reviews(data, code) == before
    r = c.post(f"/e/{code}/review", data={"decision": "approved", "version": "1", "text": "同意", "csrf": token})
    assert r.status_code == 303
    last = _reviews(data, code)[-1]
    assert (last["reviewer"], last["decision"], last["version"], last["note"]) == ("王芳", "approved", 1, "同意")
    assert "已通过（王芳" in c.get(f"/e/{code}").text
    assert any(e["action"] == "审核通过" and e["target"] == code and e["actor"] == "王芳"
               for e in app.state.accounts.audit_log())


def test_a_rejection_needs_a_reason(app, data):
    c = login(app, "王芳")
    token = csrf(c)
    before = _reviews(data, CHANGED)
    r = c.post(f"/e/{CHANGED}/review", data={"decision": "rejected", "version": "2", "text": " ", "csrf": token})
    assert r.status_code == 400 and "理由" in r.text and _reviews(data, CHANGED) == before
    r = c.post(f"/e/{CHANGED}/review", data={"decision": "rejected", "version": "2", "text": "融资措施待核实",
                                             "csrf": token})
    assert r.status_code == 303
    assert _reviews(data, CHANGED)[-1]["reason"] == "融资措施待核实"


@pytest.mark.parametrize("who", ["罗建华", "郑晓岚", "city", "jxj", "admin"])
def test_only_reviewers_decide(app, data, who):
    c = login(app, who)
    before = _reviews(data, CHANGED)
    r = c.post(f"/e/{CHANGED}/review", data={"decision": "approved", "version": "2", "csrf": csrf(c)})
    assert r.status_code == 404 and _reviews(data, CHANGED) == before


# -- requests

def _register(c: TestClient, code: str, text: str, category: str = "供应链") -> str:
    form = c.get(f"/e/{code}/requests/new")
    assert form.status_code == 200 and "诉求内容" in form.text
    r = c.post(f"/e/{code}/requests", data={"csrf": csrf_of(form.text), "category": category, "urgency": "简单",
                                            "text": text, "visit_date": "2022-06-20"})
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def test_a_cadre_enters_a_request_and_sees_it_with_its_state(app, data):
    from planner.requests import Ledger, ledger_path

    c = login(app, "罗建华")
    rid = _register(c, LUO[0], "芯片缺口约三成，希望对接本地供应商")
    with Ledger.open(ledger_path(data / "output")) as book:
        stored = book.get(rid)
    # the cadre as the list writes 包联干部, so that an imported sheet's request of the same visit agrees
    assert (stored.enterprise_id, stored.cadre, stored.created_by, stored.state) == (
        LUO[0], listing(data)[LUO[0]]["cadre"], "罗建华", "登记")
    assert stored.cadre.startswith("罗建华（")
    assert stored.district == listing(data)[LUO[0]]["district"]
    page = c.get("/requests").text
    assert rid in page and "登记" in page and "芯片缺口约三成" in page
    assert c.get(f"/requests/{rid}").status_code == 200
    other = login(app, "郑晓岚")
    assert rid not in other.get("/requests").text
    assert other.get(f"/requests/{rid}").status_code == 404
    assert login(app, "rsj").get(f"/requests/{rid}").status_code == 404  # not handed to 市人力社保局
    assert login(app, "beilun").get(f"/requests/{rid}").status_code == 404  # not in 北仑区
    assert any(e["action"] == "登记诉求" and e["target"] == rid for e in app.state.accounts.audit_log())


def test_a_bad_request_form_is_shown_again_with_the_reason(app, data):
    c = login(app, "罗建华")
    r = c.post(f"/e/{LUO[1]}/requests", data={"csrf": csrf(c), "category": "没有这类", "urgency": "简单",
                                              "text": "内容", "visit_date": "2022-06-20"})
    assert r.status_code == 400 and "未知的诉求类别" in r.text and "内容" in r.text


def test_a_request_post_without_token_changes_nothing(app, data):
    from planner.requests import Ledger, ledger_path

    c = login(app, "罗建华")
    with Ledger.open(ledger_path(data / "output")) as book:
        before = len(book.find())
    r = c.post(f"/e/{LUO[1]}/requests", data={"category": "融资", "urgency": "简单", "text": "无令牌",
                                              "visit_date": "2022-06-20"})
    assert r.status_code == 403
    with Ledger.open(ledger_path(data / "output")) as book:
        assert len(book.find()) == before


def _card(html: str, rid: str) -> str:
    """The list's card of request ``rid``."""
    start = html.index(f'<a href="/requests/{rid}">')
    return html[start:html.index("</li>", start)]


def test_a_department_moves_the_requests_handed_to_it(app, data):
    from planner.requests import Ledger, ledger_path

    rid = _register(login(app, "罗建华"), LUO[1], "上游零部件断供，希望协调整零对接")
    dept = login(app, "jxj")
    assert rid not in dept.get("/requests").text  # registered, not yet handed over
    officer = login(app, "city")
    r = officer.post(f"/requests/{rid}/step", data={"step": "交办", "note": "", "csrf": csrf(officer)})
    assert r.status_code == 303
    assert rid in dept.get("/requests").text
    card = _card(dept.get("/requests").text, rid)
    assert '<span class="next mine">待您开始办理或办结</span>' in card  # the department's turn, said on the list
    assert '<span class="next">下一步：由承办部门开始办理。</span>' in _card(officer.get("/requests").text, rid)
    assert rid not in login(app, "rsj").get("/requests").text
    r = dept.post(f"/requests/{rid}/step", data={"step": "办理中", "note": "已联系"})
    assert r.status_code == 403  # no token
    r = dept.post(f"/requests/{rid}/step", data={"step": "销号", "note": "", "csrf": csrf(dept)})
    assert r.status_code == 403  # not a department's step
    r = dept.post(f"/requests/{rid}/step", data={"step": "办理中", "note": "已联系", "csrf": csrf(dept)})
    assert r.status_code == 303
    with Ledger.open(ledger_path(data / "output")) as book:
        assert book.get(rid).state == "办理中"
        last = book.events(rid)[-1]
        assert (last.by, last.department, last.account) == ("jxj", "市经信局", "jxj")  # no 办理人 given
    other = login(app, "rsj")
    assert other.post(f"/requests/{rid}/step", data={"step": "办结", "note": "", "csrf": csrf(other)}).status_code == 404
    cadre = login(app, "罗建华")  # the cadre sees the request, but withdrawing it is the bureau's
    r = cadre.post(f"/requests/{rid}/step", data={"step": "撤回", "note": "企业已解决", "csrf": csrf(cadre)})
    assert r.status_code == 403 and "您的角色不能办理这一步" in r.text
    other = login(app, "郑晓岚")  # another cadre's request does not exist for her
    assert _step(other, rid, "回访", satisfied="满意").status_code == 404


def _state(data: Path, rid: str):
    from planner.requests import Ledger, ledger_path

    with Ledger.open(ledger_path(data / "output")) as book:
        return book.get(rid), book.events(rid)


def _step(c: TestClient, rid: str, step: str, **fields):
    return c.post(f"/requests/{rid}/step", data={"step": step, "csrf": csrf(c), **fields})


def _forms(html: str) -> list[str]:
    """The steps the request page offers, one form each."""
    return re.findall(r'name="step" value="([^"]+)"', html)


def test_the_whole_loop_in_the_browser_forms_by_the_right_roles(app, data):
    """登记 (cadre) → 交办 to another department (officer) → 督办 (officer) → 办理中, 办结 (department)
    → 回访 not satisfied (cadre): reopened → 办结 → 回访 satisfied → 销号 (officer)."""
    cadre, officer = login(app, "罗建华"), login(app, "city")
    rid = _register(cadre, LUO[0], "希望协调解决厂房租金减免")
    page = cadre.get(f"/requests/{rid}").text
    assert "走访日期 2022年6月20日 · 办理期限 2022年6月" in page  # days as the history writes them
    assert '<a href="/requests">← 返回我登记的诉求</a>' in page
    assert _forms(page) == []  # nothing for the cadre until it is done; the page says what comes
    assert "下一步：由经信部门交办。诉求办结后，请回访企业并在这里登记企业是否满意。" in page
    page = officer.get(f"/requests/{rid}").text
    assert _forms(page) == ["交办", "撤回"] and 'name="departments"' in page
    assert _step(officer, rid, "交办", departments="市人力社保局", note="请人社局牵头").status_code == 303
    found, events = _state(data, rid)
    assert (found.state, found.departments, events[-1].by) == ("交办", ("市人力社保局",), "city")
    dept = login(app, "rsj")
    page = dept.get(f"/requests/{rid}").text
    assert _forms(page) == ["办理中", "办结", "退回"] and 'name="departments"' not in page
    assert _forms(officer.get(f"/requests/{rid}").text) == ["交办", "督办", "退回", "撤回"]

    r = _step(officer, rid, "督办", note="")  # the ledger refuses, and says why
    assert r.status_code == 400 and f"{rid}：督办须写明督办意见" in r.text
    assert _step(officer, rid, "督办", note="请于本周内答复企业").status_code == 303
    found, events = _state(data, rid)
    assert (found.state, events[-1].step, events[-1].note) == ("交办", "督办", "请于本周内答复企业")

    r = _step(officer, rid, "销号")  # not yet: the ledger's message names the steps first
    assert r.status_code == 400 and "不能直接销号" in r.text and _state(data, rid)[0].state == "交办"
    assert _step(dept, rid, "办理中", note="已对接").status_code == 303
    assert _step(dept, rid, "办结", note="已减免三个月租金").status_code == 303
    assert "下一步：由包联干部回访。" in dept.get(f"/requests/{rid}").text
    page = officer.get(f"/requests/{rid}").text  # its only step a side one (撤回): whose turn it is, too
    assert _forms(page) == ["撤回"] and "下一步：由包联干部回访。" in page
    assert _forms(cadre.get(f"/requests/{rid}").text) == ["回访"]
    r = _step(cadre, rid, "回访")  # no verdict
    assert r.status_code == 400 and "回访须注明企业是否满意" in r.text
    assert "--satisfied" not in r.text  # the page has its own field: no command-line option named
    assert _step(cadre, rid, "回访", satisfied="不满意", note="企业希望减免六个月").status_code == 303
    found, events = _state(data, rid)
    assert (found.state, found.satisfied, found.closed_at, found.departments) == (
        "办理中", False, None, ("市人力社保局",))  # reopened, with the same department
    assert events[-1].satisfied is False and events[-1].by == "罗建华"
    assert "不满意，重新办理" in cadre.get(f"/requests/{rid}").text
    assert _step(dept, rid, "办结", note="已减免六个月").status_code == 303
    assert _step(cadre, rid, "回访", satisfied="满意").status_code == 303
    assert _state(data, rid)[0].state == "回访"
    page = cadre.get(f"/requests/{rid}").text  # the hint follows the state: the 回访 is done
    assert "请回访" not in page and "待回访" not in page and "下一步：由经信部门销号。" in page
    assert _step(dept, rid, "退回", note="不归我部门").status_code == 400  # too late to return it
    assert _forms(officer.get(f"/requests/{rid}").text) == ["销号", "撤回"]
    assert _step(officer, rid, "销号", note="企业满意").status_code == 303
    found, events = _state(data, rid)
    assert found.state == "销号" and [e.step for e in events] == [
        "登记", "交办", "督办", "办理中", "办结", "回访", "办结", "回访", "销号"]
    page = officer.get(f"/requests/{rid}").text
    assert _forms(page) == [] and "（满意）" in page
    r = _step(officer, rid, "撤回", note="误登记")
    assert r.status_code == 400 and "已经销号，不能再撤回" in r.text
    actions = [(e["action"], e["detail"]) for e in app.state.accounts.audit_log() if e["target"] == rid]
    assert ("诉求回访", "不满意，重新办理；企业希望减免六个月") in actions
    assert ("诉求交办", "改交市人力社保局；请人社局牵头") in actions


def test_a_return_goes_back_to_the_bureau_with_its_reason(app, data):
    rid = _register(login(app, "罗建华"), LUO[1], "希望帮助招聘一线工人", category="用工")
    officer, dept = login(app, "city"), login(app, "rsj")
    assert _step(officer, rid, "交办").status_code == 303  # to the routed department
    assert _state(data, rid)[0].departments == ("市人力社保局",)
    r = _step(dept, rid, "退回", note="")
    assert r.status_code == 400 and "退回须写明理由" in r.text
    r = _step(dept, rid, "退回", note="属招商范围，请改交")
    assert r.status_code == 303 and r.headers["location"] == "/requests"  # no longer the department's
    found, events = _state(data, rid)
    assert (found.state, events[-1].note, events[-1].department) == ("交办", "属招商范围，请改交", "市人力社保局")
    assert found.departments == () and found.returned  # taken off it, waiting for the bureau
    assert dept.get(f"/requests/{rid}").status_code == 404 and rid not in dept.get("/requests").text
    assert "交办（已退回）" in officer.get(f"/requests/{rid}").text
    assert "下一步：由经信部门重新交办。" in login(app, "罗建华").get(f"/requests/{rid}").text
    assert '<span class="next mine">待您交办</span>' in _card(officer.get("/requests").text, rid)  # returned: the bureau's
    assert '<span class="next">下一步：由经信部门重新交办。</span>' in _card(login(app, "罗建华").get("/requests").text, rid)
    r = _step(officer, rid, "交办")  # no department to hand it to: said, nothing written
    assert r.status_code == 400 and "已被退回，尚无承办部门；交办须指明承办部门" in r.text
    assert _step(officer, rid, "交办", departments="市商务局、市经信局").status_code == 303
    assert _state(data, rid)[0].departments == ("市商务局", "市经信局")
    assert rid not in dept.get("/requests").text
    assert _step(officer, rid, "撤回", note="").status_code == 400
    assert _step(officer, rid, "撤回", note="企业已自行解决").status_code == 303
    assert _state(data, rid)[0].state == "撤回"


def test_the_person_who_did_a_step_is_recorded_with_the_account_that_submitted_it(app, data):
    rid = _register(login(app, "罗建华"), LUO[1], "希望帮助招聘焊工", category="用工")
    officer, dept = login(app, "city"), login(app, "rsj")
    page = officer.get(f"/requests/{rid}").text
    assert 'name="person" value="city"' in page  # 办理人, by default the account's name
    assert _step(officer, rid, "交办", person="王科长").status_code == 303
    assert 'name="person" value="rsj"' in dept.get(f"/requests/{rid}").text
    assert _step(dept, rid, "办理中", person="  张 伟 ", note="已对接").status_code == 303
    assert _step(dept, rid, "办结", note="已招到焊工8名").status_code == 303  # 办理人 left as it was
    _, events = _state(data, rid)
    assert [(e.step, e.by, e.account) for e in events[1:]] == [
        ("交办", "王科长", "city"), ("办理中", "张 伟", "rsj"), ("办结", "rsj", "rsj")]
    history = officer.get(f"/requests/{rid}").text
    assert "（办理人：王科长；账户：city）" in history
    assert "（办理人：张 伟，市人力社保局；账户：rsj）" in history
    actions = [(e["actor"], e["action"], e["detail"]) for e in app.state.accounts.audit_log() if e["target"] == rid]
    assert ("rsj", "诉求办理中", "办理人张 伟；已对接") in actions  # the login, and who it says did it


def test_a_co_held_request_is_done_when_each_department_has_answered(app, data):
    rid = _register(login(app, "罗建华"), LUO[1], "希望协调招工和用电", category="用工")
    officer, rsj, jxj = login(app, "city"), login(app, "rsj"), login(app, "jxj")
    assert _step(officer, rid, "交办", departments="市人力社保局、市经信局").status_code == 303
    assert _step(rsj, rid, "办结", note="已组织专场招聘").status_code == 303
    found, events = _state(data, rid)
    assert (found.state, found.done, events[-1].department) == ("办理中", ("市人力社保局",), "市人力社保局")
    page = officer.get(f"/requests/{rid}").text
    assert "办理中（1/2 部门已办结：市人力社保局）" in page
    assert 'name="department"' in page  # the bureau names the department that returns it
    assert "办结" not in _forms(rsj.get(f"/requests/{rid}").text)  # answered: the other's turn
    r = _step(officer, rid, "退回", note="请重新研究")  # no department named: refused, said why
    assert r.status_code == 400 and "由市人力社保局、市经信局共同承办，退回须注明是哪个部门退回" in r.text
    assert "办理中（1/2 部门已办结：市人力社保局）" in login(app, "city").get("/requests").text
    assert _step(jxj, rid, "办结", note="已协调用电").status_code == 303
    found, _ = _state(data, rid)
    assert (found.state, found.done) == ("办结", ())


def test_a_district_officer_moves_only_the_districts_requests(app, data):
    rid = _register(login(app, "罗建华"), LUO[1], "希望协调物流通行证")  # 慈溪市
    beilun = login(app, "beilun")
    assert _step(beilun, rid, "交办").status_code == 404
    assert _state(data, rid)[0].state == "登记"
    r = login(app, "罗建华").post(f"/requests/{rid}/step", data={"step": "交办", "note": "x"})
    assert r.status_code == 403 and _state(data, rid)[0].state == "登记"  # no token


def test_an_admin_may_take_every_step(app, data):
    rid = _register(login(app, "罗建华"), LUO[0], "希望对接检测机构")
    admin = login(app, "admin")
    for step, fields in (("交办", {}), ("办理中", {}), ("办结", {}), ("回访", {"satisfied": "满意"}), ("销号", {})):
        assert _step(admin, rid, step, **fields).status_code == 303, step
    assert _state(data, rid)[0].state == "销号"


def test_an_imported_request_is_the_cadres_own_under_the_short_name(app, data, tmp_path):
    """The ledger keeps 包联干部 as the sheet writes it (罗建华（慈溪市经信局）); an account named 罗建华 sees it."""
    from planner.requests import Ledger, ledger_path

    full = listing(data)[LUO[1]]["cadre"]
    with Ledger.open(ledger_path(data / "output")) as book:
        made = book.register(LUO[1], listing(data)[LUO[1]]["name"], "融资", "导入的诉求：希望续贷", "简单",
                             "2022-06-21", cadre=full, district=listing(data)[LUO[1]]["district"])
    cadre = login(app, "罗建华")
    assert made.id in cadre.get("/requests").text and cadre.get(f"/requests/{made.id}").status_code == 200
    assert made.id not in login(app, "郑晓岚").get("/requests").text


# -- administration and the command line

def test_only_the_admin_sees_the_audit_log(app):
    page = login(app, "admin").get("/audit")
    assert page.status_code == 200 and "登录" in page.text and "王芳" in page.text
    for who in ("王芳", "city", "罗建华", "jxj"):
        assert login(app, who).get("/audit").status_code == 404


def test_the_data_folder_keeps_its_secret_private(data):
    mode = stat.S_IMODE(os.stat(data / "secret").st_mode)
    assert mode == 0o600
    assert len((data / "secret").read_bytes().strip()) == 64
    assert stat.S_IMODE(os.stat(data / "uploads").st_mode) == 0o700


def test_users_commands(tmp_path, runner):
    folder = tmp_path / "d"
    r = runner.invoke(main, ["users", "add", "张三", "--role", "officer", "--district", "beilun", "--data", str(folder)])
    assert r.exit_code == 0, r.output
    one_time = re.search(r"一次性密码：(\S+)（", r.output).group(1)
    assert "经信部门·北仑区" in r.output
    r = runner.invoke(main, ["users", "add", "李四", "--role", "cadre", "--password-stdin", "--data", str(folder)],
                      input="a-long-password\n")
    assert r.exit_code == 0 and "一次性密码" not in r.output
    r = runner.invoke(main, ["users", "add", "张三", "--role", "reviewer", "--data", str(folder)])
    assert r.exit_code == 1 and "已存在" in r.output
    r = runner.invoke(main, ["users", "add", "王五", "--role", "officer", "--district", "火星区", "--data", str(folder)])
    assert r.exit_code == 2 and "没有“火星区”这个区县" in r.output
    r = runner.invoke(main, ["users", "add", "部门", "--role", "department", "--data", str(folder)])
    assert r.exit_code == 1 and "--department" in r.output
    r = runner.invoke(main, ["users", "list", "--data", str(folder)])
    assert "张三　经信部门　北仑区　待修改一次性密码" in r.output and "李四　包联干部　李四　正常" in r.output

    app = create_app(folder)
    c = login(app, "李四", "a-long-password")
    assert c.get("/requests").status_code == 200
    r = runner.invoke(main, ["users", "disable", "李四", "--data", str(folder)])
    assert r.exit_code == 0
    assert c.get("/requests").status_code == 303  # the open session ended
    bad = client(app)
    r = bad.post("/login", data={"name": "李四", "password": "a-long-password", "csrf": csrf_of(bad.get("/login").text)})
    assert r.status_code == 401

    first = login(app, "张三", one_time)
    r = runner.invoke(main, ["users", "passwd", "张三", "--data", str(folder)])
    new = re.search(r"一次性密码：(\S+)（", r.output).group(1)
    assert new != one_time and first.get("/password").status_code == 303
    login(app, "张三", new)
    r = runner.invoke(main, ["users", "passwd", "nobody", "--data", str(folder)])
    assert r.exit_code == 1 and "没有用户" in r.output
    log = app.state.accounts.audit_log()
    assert {"添加用户", "停用用户", "重设密码"} <= {e["action"] for e in log}


def test_serve_builds_the_data_folder(tmp_path):
    folder = tmp_path / "fresh"
    app = create_app(folder)
    assert (folder / "output").is_dir() and (folder / "web.db").is_file() and (folder / "secret").is_file()
    c = client(app)
    assert c.get("/login").status_code == 200
    shutil.rmtree(folder / "output")
    app.state.accounts.add("a", "admin", password=PASSWORD)
    page = login(app, "a").get("/enterprises")
    assert page.status_code == 200 and "还没有可查看的企业" in page.text


def test_a_step_dated_by_a_day_shows_the_day_not_a_midnight_moved_by_the_zone(monkeypatch):
    from planner.dates import local_time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    assert local_time("2022-06-22") == "2022年6月22日"  # not 2022年6月22日 08:00
    assert local_time("2022-06-22T06:30:00+00:00").startswith("2022年6月22日 ")
    assert local_time("第一版") == "第一版"


def test_the_request_form_makes_the_cadre_choose_a_category(app, data):
    c = login(app, "罗建华")
    form = c.get(f"/e/{LUO[1]}/requests/new")
    assert '<option value="" selected>请选择</option>' in form.text  # never 融资 by default
    r = c.post(f"/e/{LUO[1]}/requests", data={"csrf": csrf_of(form.text), "category": "", "urgency": "简单",
                                              "text": "希望协调通行证", "visit_date": "2022-06-20"})
    assert r.status_code == 400 and "类别" in r.text
