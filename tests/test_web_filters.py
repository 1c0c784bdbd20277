"""The enterprise list's 功能区 and 有未办结诉求 filters and its 未办结诉求 column (planner.web.plans),
per role: each filter narrows the user's own scope and never widens it, keeps working across
pages and in htmx's fragments, and the counts are those of the requests the user may see, not yet
办结 as the ledger counts them (Ledger.pending_counts). The counts are kept while the ledger's
files stay the same, so an unchanged ledger is not opened for every list.

One data folder for the module: the sample list (Markdown only) and the sample request sheet
(30 requests, all 登记), then some of them taken on: LUO[1]'s one request withdrawn (撤回), one of
CHANGED's two answered (办结), one of HANDED's two 交办 (still open), and a request for LUO[0]
registered by another cadre (王明), whom 罗建华's count leaves out.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from planner.web import create_app, site  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-42"
LUO = ("91330282NB00000839", "91330282NB00000914")  # 罗建华's two, in 慈溪市
QIANWAN = "91330282NB0000040U"  # 胡志强's, in 慈溪市 too, in 前湾新区
BONDED = "91330206NB00001475"  # 方卫东's, in 北仑区, in 保税区
CHANGED = "91330206NB0000059N"  # 郑晓岚's, in 北仑区: one of its two requests 办结
OTHER_OF_ZHENG = "91330206NB0000067H"
HANDED = "91330211NB0000016G"  # 陈立峰's, in 镇海区: one of its two requests 交办
USERS = {  # name: (role, district, cadre name)
    "王芳": ("reviewer", "", ""),
    "admin": ("admin", "", ""),
    "city": ("officer", "", ""),
    "beilun": ("officer", "北仑区", ""),
    "cixi": ("officer", "慈溪市", ""),
    "罗建华": ("cadre", "", "罗建华"),
    "郑晓岚": ("cadre", "", "郑晓岚"),
}


def _planner(*args) -> None:
    result = subprocess.run([sys.executable, "-m", "planner", *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    from planner.requests import Ledger, ledger_path

    root = tmp_path_factory.mktemp("filters")
    _planner("generate", ROOT / "examples" / "enterprises.yaml", "--out", root / "output", "--as-of", "2022-06-15",
             "--format", "md", "-q")
    _planner("requests", "import", ROOT / "examples" / "走访诉求登记表.xlsx", "--out", root / "output")
    with Ledger.open(ledger_path(root / "output")) as book:
        of = {code: [r.id for r in book.find(enterprise_id=code)] for code in (LUO[1], CHANGED, HANDED)}
        assert len(of[LUO[1]]) == 1 and len(of[CHANGED]) == 2 and len(of[HANDED]) == 2
        book.transition(of[LUO[1]][0], "撤回", by="city", note="企业已自行解决")
        book.transition(of[CHANGED][0], "交办", by="city", departments=["市经信局"])
        book.transition(of[CHANGED][0], "办结", by="市经信局")
        book.transition(of[HANDED][0], "交办", by="city")
        luo = book.find(enterprise_id=LUO[0])[0]
        book.register(LUO[0], luo.enterprise_name, "融资", "希望对接低息贷款", "简单", "2022-06-20", cadre="王明",
                      district=luo.district)
    app = create_app(root)
    for name, (role, district, cadre) in USERS.items():
        app.state.accounts.add(name, role, district, cadre, password=PASSWORD)
    return root


@pytest.fixture(scope="module")
def app(data):
    return create_app(data)


def login(app, name: str) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    form = c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf": token, "next": "/"})
    assert r.status_code == 303, r.text
    return c


def listing(data: Path) -> dict:
    return {sub.name: json.loads((sub / "version.json").read_text())["listing"]
            for sub in sorted((data / "output").iterdir()) if (sub / "version.json").is_file()}


def rows_of(html: str) -> dict[str, list[str]]:
    """Credit code → the texts of its table row's cells."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        code = re.search(r'href="/e/([0-9A-Z]{18})"', row)
        if code:
            cells = re.findall(r"<td>(.*?)</td>", row, re.S)
            found[code.group(1)] = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]
    return found


def pending(data: Path) -> dict[str, int]:
    """Credit code → its requests not yet 办结, of every cadre and district."""
    from planner.requests import PENDING, Ledger, ledger_path

    counts: dict[str, int] = {}
    with Ledger.open(ledger_path(data / "output")) as book:
        for r in book.find(status=sorted(PENDING)):
            counts[r.enterprise_id] = counts.get(r.enterprise_id, 0) + 1
    return counts


HEAD = re.compile(r"<thead><tr>(.*?)</tr></thead>", re.S)


def count_column(html: str) -> int:
    heads = re.findall(r"<th>(.*?)</th>", HEAD.search(html).group(1))
    return heads.index("未办结诉求")


def test_the_count_column_shows_the_requests_not_yet_handled(app, data):
    everyone = pending(data)
    assert LUO[1] not in everyone and everyone[CHANGED] == 1 and everyone[HANDED] == 2  # 撤回, 办结, 交办
    page = login(app, "city").get("/enterprises").text
    column = count_column(page)
    shown = {code: cells[column] for code, cells in rows_of(page).items()}
    assert shown == {code: str(everyone[code]) if code in everyone else "—" for code in listing(data)}


def test_a_cadre_counts_only_the_requests_of_their_own(app, data):
    page = login(app, "罗建华").get("/enterprises").text
    column = count_column(page)
    shown = {code: cells[column] for code, cells in rows_of(page).items()}
    assert shown == {LUO[0]: "2", LUO[1]: "—"}  # 王明's request for LUO[0] is not 罗建华's
    assert pending(data)[LUO[0]] == 3
    page = login(app, "cixi").get("/enterprises").text
    assert rows_of(page)[LUO[0]][count_column(page)] == "3"  # the district's officer sees all three


@pytest.mark.parametrize("who", list(USERS))
def test_the_open_requests_filter_narrows_each_users_own_list(app, data, who):
    c = login(app, who)
    own = rows_of(c.get("/enterprises").text)
    got = rows_of(c.get("/enterprises", params={"requests": "1"}).text)
    page = c.get("/enterprises").text
    column = count_column(page)
    assert set(got) == {code for code, cells in own.items() if cells[column] != "—"}
    assert set(got) <= set(own) and got
    assert LUO[1] not in got  # its one request withdrawn
    assert (LUO[0] in got) == (LUO[0] in own) and (HANDED in got) == (HANDED in own)  # 交办 is open
    assert 'name="requests" value="1" checked' in c.get("/enterprises", params={"requests": "1"}).text


def test_the_zone_filter(app, data):
    rows = listing(data)
    zones = sorted({r["zone"] for r in rows.values() if r["zone"]})
    assert zones == ["东钱湖", "保税区", "前湾新区", "高新区"]
    city = login(app, "city")
    page = city.get("/enterprises").text
    assert '<label>功能区' in page and all(f'<option value="{z}">{z}</option>' in page for z in zones)
    for zone in zones:
        assert set(rows_of(city.get("/enterprises", params={"zone": zone}).text)) == {
            code for code, r in rows.items() if r["zone"] == zone}
    assert set(rows_of(city.get("/enterprises", params={"zone": "前湾新区", "requests": "1"}).text)) == {QIANWAN}
    assert rows_of(city.get("/enterprises", params={"zone": "梅山"}).text) == {}
    beilun = login(app, "beilun")
    page = beilun.get("/enterprises").text
    assert '<option value="保税区">' in page and '<option value="前湾新区">' not in page  # the district's zones
    assert set(rows_of(beilun.get("/enterprises", params={"zone": "保税区"}).text)) == {BONDED}
    assert rows_of(beilun.get("/enterprises", params={"zone": "前湾新区"}).text) == {}  # in 慈溪市


def test_a_cadres_filters_never_show_another_cadres_enterprise(app, data):
    rows = listing(data)
    c = login(app, "罗建华")
    page = c.get("/enterprises").text
    assert '<label>功能区' not in page  # none of 罗建华's is in a zone
    assert '<label>包联干部' not in page
    tries = [{"zone": "前湾新区"}, {"zone": "前湾新区", "requests": "1"}, {"district": "慈溪市", "requests": "1"},
             {"cadre": rows[QIANWAN]["cadre"]}, {"cadre": rows[QIANWAN]["cadre"], "requests": "1"},
             {"requests": "1", "questions": "1"}, {"q": "慈溪市"}, {"q": QIANWAN}, {"requests": "1", "page": "2"}]
    for params in tries:
        for headers in ({}, {"HX-Request": "true"}):
            shown = set(rows_of(c.get("/enterprises", params=params, headers=headers).text))
            assert shown <= set(LUO), params
    assert set(rows_of(c.get("/enterprises", params={"requests": "1"}).text)) == {LUO[0]}
    assert rows_of(c.get("/enterprises", params={"zone": "前湾新区"}).text) == {}
    zheng = login(app, "郑晓岚")
    assert set(rows_of(zheng.get("/enterprises", params={"requests": "1"}).text)) == {CHANGED, OTHER_OF_ZHENG}
    assert rows_of(zheng.get("/enterprises", params={"zone": "保税区"}).text) == {}  # 方卫东's, in 北仑区 too


def test_the_new_filters_keep_across_pages_and_in_htmx(app, data, monkeypatch):
    import planner.web.plans

    monkeypatch.setattr(planner.web.plans, "PER_PAGE", 2)
    everyone = pending(data)
    rows = listing(data)
    wanted = {code for code in rows if code in everyone}
    c = login(app, "city")
    got, url, links = set(), "/enterprises?requests=1", 0
    while url:
        part = c.get(url, headers={"HX-Request": "true"})
        assert part.text.startswith('<div id="list">')
        assert part.headers["hx-push-url"] == re.sub(r"&page=1$", "", url)
        got |= set(rows_of(part.text))
        found = re.search(r'<a href="([^"]+)" hx-get="[^"]+" hx-target="#list" hx-swap="outerHTML" '
                          r'hx-push-url="true" rel="next">', part.text)
        url = found.group(1).replace("&amp;", "&") if found else ""
        if url:
            assert "requests=1" in url and "page=" in url
            links += 1
    assert got == wanted and links == -(-len(wanted) // 2) - 1
    part = c.get("/enterprises", params={"zone": "前湾新区", "requests": "1", "sector": ""},
                 headers={"HX-Request": "true"})
    assert part.headers["hx-push-url"] == "/enterprises?zone=%E5%89%8D%E6%B9%BE%E6%96%B0%E5%8C%BA&requests=1"
    # the way back from a plan keeps them too
    came = "http://testserver/enterprises?zone=%E5%89%8D%E6%B9%BE%E6%96%B0%E5%8C%BA&requests=1&page=1"
    plan = c.get(f"/e/{QIANWAN}", headers={"referer": came}).text
    assert '<a href="/enterprises?zone=%E5%89%8D%E6%B9%BE%E6%96%B0%E5%8C%BA&amp;requests=1">← 返回企业清单</a>' in plan


def test_no_ledger_no_counts(tmp_path, data):
    root = tmp_path / "data"
    shutil.copytree(data, root)
    for name in ("requests.db", "requests.db-wal", "requests.db-shm"):
        (root / "output" / name).unlink(missing_ok=True)
    app = create_app(root)
    c = login(app, "city")
    page = c.get("/enterprises").text
    assert set(cells[count_column(page)] for cells in rows_of(page).values()) == {"—"}
    assert rows_of(c.get("/enterprises", params={"requests": "1"}).text) == {}
    assert not (root / "output" / "requests.db").exists()  # the list does not make a ledger


def test_an_unchanged_ledger_is_not_opened_for_every_list(tmp_path, data, monkeypatch):
    from planner.requests import Ledger, ledger_path

    root = tmp_path / "data"
    shutil.copytree(data, root)
    monkeypatch.setattr(site, "RACY_NS", 0)
    opened = []
    real = Ledger.open.__func__

    def counting(cls, path, rules=None):
        opened.append(Path(path).name)
        return real(cls, path, rules)

    monkeypatch.setattr(Ledger, "open", classmethod(counting))
    c = login(create_app(root), "罗建华")
    for _ in range(3):  # the first lists may see the ledger's log made and removed by their own reading
        c.get("/enterprises")
    opened.clear()
    for params in ({}, {"requests": "1"}, {"page": "2"}):
        assert c.get("/enterprises", params=params).status_code == 200
    assert opened == []
    page = c.get("/enterprises").text
    assert rows_of(page)[LUO[1]][count_column(page)] == "—"
    with real(Ledger, ledger_path(root / "output")) as book:  # written meanwhile: shows at once
        name = book.find(enterprise_id=LUO[1])[0].enterprise_name
        book.register(LUO[1], name, "用工", "急需熟练工", "简单", "2022-06-21", cadre="罗建华（慈溪市经信局）",
                      district="慈溪市")
    page = c.get("/enterprises").text
    assert rows_of(page)[LUO[1]][count_column(page)] == "1" and opened == ["requests.db"]
    assert set(rows_of(c.get("/enterprises", params={"requests": "1"}).text)) == set(LUO)
