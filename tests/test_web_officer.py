"""The officer's part of the web workplace, through the test client: uploading a list and its
problem list, the limits on uploads, a district officer's scope, generation runs with their
progress (a run is a process of its own: it goes on without the page, and one runs at a time),
the export zip and the summary, per role, with CSRF refused and every change in the audit log.

One data folder for the module: the sample list generated once (Markdown only, to keep it quick).
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from planner.web import create_app, runs, uploads  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "examples" / "enterprises.yaml"
PASSWORD = "correct-horse-42"
BEILUN = ("91330206NB0000059N", "91330206NB00001475")  # two 北仑区 enterprises without receivables
ZHENHAI = "91330211NB0000016G"
CIXI = "91330282NB00000914"  # 慈溪市, already in the output folder
USERS = {  # name: (role, district, cadre name, department)
    "admin": ("admin", "", "", ""),
    "王芳": ("reviewer", "", "", ""),
    "city": ("officer", "", "", ""),
    "beilun": ("officer", "北仑区", "", ""),
    "cixi": ("officer", "慈溪市", "", ""),
    "罗建华": ("cadre", "", "罗建华", ""),
    "jxj": ("department", "", "", "市经信局"),
}


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> list[list[str]]:
    """The sample list as CSV rows (header first), as `planner convert` writes it."""
    out = tmp_path_factory.mktemp("table") / "all.csv"
    result = subprocess.run([sys.executable, "-m", "planner", "convert", str(RECORDS), str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))


def as_csv(table, codes, bad: bool = False, changes: dict | None = None) -> bytes:
    """A list of the rows of ``codes`` (in that order), a bad row (a credit code of five digits)
    at the end when ``bad``; ``changes``: code → {header: new value}."""
    header = table[0]
    by_code = {row[0]: row for row in table[1:]}
    rows = [header]
    for code in codes:
        row = list(by_code[code])
        for key, value in (changes or {}).get(code, {}).items():
            row[header.index(key)] = value
        rows.append(row)
    if bad:
        row = list(by_code[codes[0]])
        row[0], row[1] = "12345", "坏行测试企业"
        rows.append(row)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("officer-data")
    result = subprocess.run([sys.executable, "-m", "planner", "generate", str(RECORDS), "--out", str(root / "output"),
                             "--as-of", "2022-06-15", "--format", "md"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    app = create_app(root)
    for name, (role, district, cadre, department) in USERS.items():
        app.state.accounts.add(name, role, district, cadre, department, password=PASSWORD)
    return root


@pytest.fixture(scope="module")
def app(data):
    return create_app(data)


def client(app) -> TestClient:
    return TestClient(app, follow_redirects=False, client=("10.0.0.7", 50000))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(app, name: str) -> TestClient:
    c = client(app)
    form = c.get("/login")
    r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf_of(form.text), "next": "/"})
    assert r.status_code == 303, r.text
    return c


def token(c: TestClient) -> str:
    return csrf_of(c.get("/password").text)


def upload(c: TestClient, content: bytes, name: str = "名单.csv", csrf: str | None = None):
    return c.post("/upload", data={"csrf": token(c) if csrf is None else csrf},
                  files={"file": (name, content, "application/octet-stream")})


def uploaded(c, table, codes, bad=False, changes=None) -> str:
    r = upload(c, as_csv(table, codes, bad, changes))
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def filename_of(r) -> str:
    from urllib.parse import unquote

    return unquote(r.headers["content-disposition"].split("''", 1)[1])


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def stored(data: Path) -> set[str]:
    return {p.name for p in (data / "uploads").iterdir()}


def wait_for(c: TestClient, run_id: str, seconds: float = 120) -> str:
    """The progress fragment of ``run_id`` once the run has ended (it stops asking to be polled)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r = c.get(f"/runs/{run_id}/progress")
        assert r.status_code == 200
        if "hx-trigger" not in r.text:
            return r.text
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not end")


def start(c, tok: str, formats: str = "md"):
    return c.post(f"/uploads/{tok}/generate", data={"csrf": token(c), "as_of": "2022-06-15", "formats": formats})


def audit(app, action: str) -> list[dict]:
    return [e for e in app.state.accounts.audit_log() if e["action"] == action]


# -- who may do what

GETS = ["/upload", "/uploads/0123456789abcdef0123456789abcdef", "/uploads/0123456789abcdef0123456789abcdef/问题清单.xlsx",
        "/runs/20220615-120000-abcdef", "/runs/20220615-120000-abcdef/progress", "/export.zip", "/summary",
        "/summary.pdf", "/summary.md"]
POSTS = ["/upload", "/uploads/0123456789abcdef0123456789abcdef/generate"]


@pytest.mark.parametrize("method,url", [("GET", u) for u in GETS] + [("POST", u) for u in POSTS])
def test_every_officer_page_and_action_needs_a_login(app, method, url):
    c = client(app)
    r = c.post(url, data={}) if method == "POST" else c.get(url)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("who", ["王芳", "罗建华", "jxj"])
def test_only_admins_and_officers_upload_generate_and_export(app, table, who):
    c = login(app, who)
    for url in ("/upload", "/export.zip"):
        assert c.get(url).status_code == 404, url
    r = c.post("/upload", data={"csrf": token(c)}, files={"file": ("名单.csv", as_csv(table, BEILUN), "text/csv")})
    assert r.status_code == 404
    owner = login(app, "admin")
    tok = uploaded(owner, table, BEILUN)
    assert c.get(f"/uploads/{tok}").status_code == 404
    assert c.post(f"/uploads/{tok}/generate", data={"csrf": token(c)}).status_code == 404
    assert "/upload" not in c.get("/requests").text  # no link to what they may not use


@pytest.mark.parametrize("who,status", [("王芳", 200), ("admin", 200), ("city", 200), ("beilun", 200),
                                        ("罗建华", 404), ("jxj", 404)])
def test_the_summary_is_for_officers_admins_and_reviewers(app, who, status):
    c = login(app, who)
    assert c.get("/summary").status_code == status
    assert ('href="/summary"' in c.get("/requests").text) == (status == 200)


# -- uploading and the problem list

def test_the_upload_page_states_the_limits_in_chinese(app):
    html = login(app, "city").get("/upload").text
    assert f"文件不超过{uploads.MAX_BYTES // (1024 * 1024)}MB" in html
    assert f"名单不超过{uploads.MAX_ROWS}家企业" in html
    assert ".xlsx" in html and ".csv" in html and 'enctype="multipart/form-data"' in html


def test_an_upload_shows_its_problem_list_at_once_and_as_xlsx(app, data, table):
    import openpyxl

    c = login(app, "city")
    tok = uploaded(c, table, [*BEILUN, ZHENHAI], bad=True)
    html = c.get(f"/uploads/{tok}").text
    text = text_of(html)
    assert "可生成方案 3 家" in text and "已跳过 1 条" in text
    rows = re.findall(r"<tr>((?:<td>.*?</td>)+)</tr>", html.split('class="problems"')[1].split("</table>")[0])
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in rows]
    assert cells == [["5", "坏行测试企业", "12345", "统一社会信用代码", "12345",
                      "统一社会信用代码应为18位，实为5位（“12345”），无法识别企业", "已跳过"]]
    r = c.get(f"/uploads/{tok}/问题清单.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert filename_of(r) == "名单-问题清单.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    got = [[str(v or "") for v in row] for row in sheet.iter_rows(values_only=True)]
    assert got[0] == ["行号", "企业名称", "统一社会信用代码", "字段", "原值", "问题", "处理结果"]
    assert got[1:] == cells
    assert {f"{tok}.csv", f"{tok}.json", f"{tok}{uploads.PROBLEMS_SUFFIX}"} <= stored(data)
    entry = audit(app, "上传名单")[0]
    assert (entry["actor"], entry["target"]) == ("city", tok) and "可生成3家" in entry["detail"]


def test_the_audit_log_names_an_upload_by_its_kind_and_file_name_never_its_token(app, data, table):
    c = login(app, "city")
    hostile = "<script>名单&amp;.csv"
    tok = uploaded_as(c, table, hostile)
    tok_gone = uploaded_as(c, table, "五月名单.csv")
    (data / "uploads" / f"{tok_gone}.json").unlink()  # the upload's record gone: its name from the entry
    assert c.get(f"/uploads/{tok}/问题清单.xlsx").status_code == 404  # a clean list: not an audited download
    log = login(app, "admin").get("/audit").text
    assert tok not in log and tok_gone not in log
    assert "<td>企业名单“&lt;script&gt;名单&amp;amp;.csv”</td><td>可生成2家，问题0条</td>" in log
    assert "<script>名单" not in log
    assert "<td>企业名单“五月名单.csv”</td><td>可生成2家，问题0条</td>" in log
    assert any(e["target"] == tok for e in audit(app, "上传名单"))  # the log itself keeps the token


def uploaded_as(c, table, name: str) -> str:
    r = upload(c, as_csv(table, BEILUN), name=name)
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def test_a_clean_list_has_no_problem_list_to_download(app, table):
    c = login(app, "city")
    tok = uploaded(c, table, BEILUN)
    assert "名单中没有发现问题" in c.get(f"/uploads/{tok}").text
    assert c.get(f"/uploads/{tok}/问题清单.xlsx").status_code == 404


def test_an_upload_without_its_token_is_refused_and_nothing_is_kept(app, data, table):
    c = login(app, "city")
    before = stored(data)
    assert upload(c, as_csv(table, BEILUN), csrf="").status_code == 403
    assert upload(c, as_csv(table, BEILUN), csrf="forged-token").status_code == 403
    # a form that sends its file before the token: stored while read, then removed
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"名单.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + as_csv(table, BEILUN) + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nforged\r\n--{boundary}--\r\n").encode()
    r = c.post("/upload", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 403
    assert stored(data) == before


def test_the_client_file_name_is_never_a_path(app, data, table):
    c = login(app, "city")
    before = stored(data)
    r = upload(c, as_csv(table, BEILUN), name="../../../output/evil.csv")
    assert r.status_code == 303
    tok = r.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{32}", tok)
    new = stored(data) - before
    assert new == {f"{tok}.csv", f"{tok}.json"}
    assert not (data / "output" / "evil.csv").exists() and not list(data.rglob("evil.csv"))
    assert "<h1>evil.csv</h1>" in c.get(f"/uploads/{tok}").text  # shown, as text only


@pytest.mark.parametrize("name,content,message", [
    ("名单.txt", b"a,b\n1,2\n", "无法识别的文件格式“.txt”"),
    ("名单.exe", b"MZ\x90\x00", "无法识别的文件格式“.exe”"),
    ("名单.csv", b"", "文件是空的"),
    ("名单.xlsx", b"PK\x03\x04 this is not a workbook", "文件已损坏"),
])
def test_a_file_that_is_not_a_list_is_refused_in_chinese(app, data, name, content, message):
    c = login(app, "city")
    before = stored(data)
    r = upload(c, content, name=name)
    assert r.status_code == 400 and message in text_of(r.text)
    assert stored(data) == before
    assert message in audit(app, "上传名单被拒")[0]["detail"]


def test_a_list_the_reader_cannot_read_says_why_by_its_own_name(app, table):
    c = login(app, "city")
    r = upload(c, "<html><table><tr><td>x</td></tr></table></html>".encode(), name="导出.xls")
    assert r.status_code == 303
    text = text_of(c.get(r.headers["location"]).text)
    assert "无法读取这份名单：导出.xls：" in text and "网页（HTML）表格" in text
    assert "生成方案" not in text.split("无法读取")[1]  # nothing to generate


def test_a_zip_that_is_no_workbook_is_named_so(app):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    c = login(app, "city")
    r = upload(c, buffer.getvalue(), name="名单.xlsx")
    assert r.status_code == 303
    assert "无法读取这份名单：名单.xlsx：不是有效的 Excel 工作簿" in text_of(c.get(r.headers["location"]).text)


def test_a_file_over_the_size_limit_is_refused_while_it_arrives(app, data, table, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_BYTES", 2048)
    monkeypatch.setattr(uploads, "FORM_SLACK", 1 << 20)  # past the length check: refused as it is written
    c = login(app, "city")
    before = stored(data)
    r = upload(c, as_csv(table, [row[0] for row in table[1:]]))
    assert r.status_code == 400 and "文件超过2KB的上限，未保存" in r.text
    assert stored(data) == before
    monkeypatch.setattr(uploads, "FORM_SLACK", 0)  # a length said beforehand: refused unread
    r = upload(c, as_csv(table, [row[0] for row in table[1:]]))
    assert r.status_code == 400 and "文件超过2KB的上限" in r.text
    assert stored(data) == before


def test_a_workbook_that_unpacks_too_large_is_refused(app, data, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNPACKED", 1024)
    c = login(app, "city")
    before = stored(data)
    r = upload(c, (ROOT / "examples" / "enterprises.xlsx").read_bytes(), name="名单.xlsx")
    assert r.status_code == 400 and "工作簿解压后超过1KB" in r.text
    assert stored(data) == before


def test_a_list_over_the_row_limit_is_not_read(app, data, table, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ROWS", 2)
    c = login(app, "city")
    tok = uploaded(c, table, [*BEILUN, ZHENHAI])
    text = text_of(c.get(f"/uploads/{tok}").text)
    assert "名单有3家企业，超过每次2家的上限，未读取" in text
    before = {p.name for p in runs.runs_folder(data).iterdir() if runs.RUN_ID.match(p.name)}
    assert start(c, tok).status_code == 400
    assert {p.name for p in runs.runs_folder(data).iterdir() if runs.RUN_ID.match(p.name)} == before


def test_an_xlsx_list_is_read_as_planner_generate_reads_it(app):
    c = login(app, "city")
    r = upload(c, (ROOT / "examples" / "enterprises.xlsx").read_bytes(), name="enterprises.xlsx")
    assert r.status_code == 303
    assert "可生成方案 20 家" in text_of(c.get(r.headers["location"]).text)


# -- a district officer's scope

def test_a_district_officer_generates_only_for_the_district(app, data, table):
    c = login(app, "beilun")
    tok = uploaded(c, table, [*BEILUN, ZHENHAI, CIXI], bad=True, changes={CIXI: {"所在区县": "北仑区"}})
    html = c.get(f"/uploads/{tok}").text
    text = text_of(html)
    assert "可生成方案 2 家" in text and "（其中不属于本区2条）" in text
    assert "所在区县为“镇海区”，不是北仑区" in text
    assert "输出目录中这家企业属于慈溪市，不是北仑区，不能由本区更新" in text
    assert text.count("不属于本区，未生成") == 2
    meta = json.loads((data / "uploads" / f"{tok}.json").read_text())
    assert meta["kept"] == list(BEILUN) and meta["scope"] == "北仑区"
    # the city, and the district, see the upload; another district does not
    assert login(app, "city").get(f"/uploads/{tok}").status_code == 200
    assert login(app, "cixi").get(f"/uploads/{tok}").status_code == 404
    assert tok not in login(app, "cixi").get("/upload").text
    assert tok in c.get("/upload").text
    before = {code: (data / "output" / code / "version.json").read_text() for code in (ZHENHAI, CIXI)}
    r = start(c, tok)
    assert r.status_code == 303
    run_id = r.headers["location"].rsplit("/", 1)[1]
    done = text_of(wait_for(c, run_id))
    assert "已完成" in done and "未能生成" not in done
    result = json.loads((data / "runs" / run_id / "result.json").read_text())
    assert sorted(result["written"] + result["unchanged"]) == sorted(BEILUN)
    after = {code: (data / "output" / code / "version.json").read_text() for code in (ZHENHAI, CIXI)}
    assert after == before  # other districts' enterprises untouched
    assert login(app, "cixi").get(f"/runs/{run_id}").status_code == 404
    assert login(app, "city").get(f"/runs/{run_id}").status_code == 200


def test_a_district_officer_cannot_start_another_districts_upload(app, table):
    tok = uploaded(login(app, "cixi"), table, [CIXI])
    c = login(app, "beilun")
    assert start(c, tok).status_code == 404
    assert c.get(f"/uploads/{tok}/问题清单.xlsx").status_code == 404


# -- generation runs

def test_a_run_shows_its_progress_and_result_and_is_audited(app, data, table):
    c = login(app, "city")
    tok = uploaded(c, table, [*BEILUN, ZHENHAI], changes={ZHENHAI: {"从业人员": "1851"}})
    r = start(c, tok)
    assert r.status_code == 303 and r.headers["location"].startswith("/runs/")
    run_id = r.headers["location"].rsplit("/", 1)[1]
    page = c.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert f'hx-get="/runs/{run_id}/progress"' in page.text or "已完成" in page.text
    for label in ("已完成", "速度", "已用时间", "预计剩余"):
        assert label in page.text
    final = wait_for(c, run_id)
    text = text_of(final)
    assert "已完成" in text and "3/3家（100%）" in text
    assert "新生成 1 家，未变化 2 家" in text
    assert f'href="/e/{ZHENHAI}"' in final and "宁波岚晟石化有限公司" in final
    assert 'href="/enterprises"' in final
    version = json.loads((data / "output" / ZHENHAI / "version.json").read_text())
    assert version["version"] == 2
    entry = audit(app, "开始生成")[0]
    assert (entry["actor"], entry["target"]) == ("city", run_id) and "3家" in entry["detail"]
    progress = json.loads((data / "runs" / run_id / "progress.json").read_text())
    assert (progress["done"], progress["total"]) == (3, 3)


def test_a_run_goes_on_without_the_page_and_shows_when_reopened(data, table):
    first = create_app(data)
    c = login(first, "admin")
    tok = uploaded(c, table, [*BEILUN], changes={BEILUN[0]: {"从业人员": "321"}})
    r = start(c, tok)
    run_id = r.headers["location"].rsplit("/", 1)[1]
    c.close()
    del c, first  # the browser closed, and the server too: the run is a process of its own
    deadline = time.monotonic() + 120
    while not (data / "runs" / run_id / "result.json").exists():
        assert time.monotonic() < deadline
        time.sleep(0.2)
    again = create_app(data)
    c = login(again, "city")
    page = c.get("/upload")
    assert f'href="/runs/{run_id}"' in page.text and "已完成" in text_of(page.text)
    text = text_of(c.get(f"/runs/{run_id}").text)
    assert "新生成 1 家" in text and "2/2家" in text


def test_one_run_at_a_time(app, data, table):
    c = login(app, "city")
    tok = uploaded(c, table, [*BEILUN])
    folder = runs.runs_folder(data)
    before = {p.name for p in folder.iterdir() if runs.RUN_ID.match(p.name)}
    fd = os.open(folder / runs.ACTIVE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running run holds it
        r = start(c, tok)
        assert r.status_code == 409 and "已有一次生成正在进行" in r.text
        assert "已有一次生成正在进行" in c.get(f"/uploads/{tok}").text  # no start button meanwhile
        assert 'action="/uploads/' not in c.get(f"/uploads/{tok}").text
    finally:
        os.close(fd)
    lock = data / "output" / ".planner.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as `planner generate` holds the output folder
        r = start(c, tok)
        assert r.status_code == 409 and "命令行" in r.text
    finally:
        os.close(fd)
    assert {p.name for p in folder.iterdir() if runs.RUN_ID.match(p.name)} == before  # none recorded or started


def test_a_run_whose_process_died_is_shown_as_broken_off(app, data):
    run_id = "20220101-000000-abcdef"
    folder = runs.runs_folder(data) / run_id
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({"id": run_id, "list": "旧名单.csv", "by": "city", "scope": "",
                                                 "as_of": "2022-06-15", "formats": ["md"], "started": 1.0}))
    (folder / "progress.json").write_text(json.dumps({"done": 4, "total": 10, "started": 1.0, "updated": 9.0}))
    text = text_of(login(app, "city").get(f"/runs/{run_id}").text)
    assert "已中断" in text and "4/10家" in text and "已生成的企业均已完整保存" in text
    assert "hx-trigger" not in login(app, "city").get(f"/runs/{run_id}/progress").text


def test_a_bad_date_or_format_starts_nothing(app, data, table):
    c = login(app, "city")
    tok = uploaded(c, table, [*BEILUN])
    before = {p.name for p in runs.runs_folder(data).iterdir() if runs.RUN_ID.match(p.name)}
    r = c.post(f"/uploads/{tok}/generate", data={"csrf": token(c), "as_of": "明天", "formats": "md"})
    assert r.status_code == 400 and "“明天”不是日期" in r.text
    r = c.post(f"/uploads/{tok}/generate", data={"csrf": token(c), "as_of": "2022-06-15", "formats": "exe"})
    assert r.status_code == 400 and "未知的文件格式" in r.text
    r = c.post(f"/uploads/{tok}/generate", data={"as_of": "2022-06-15", "formats": "md"})
    assert r.status_code == 403
    # a day outside the campaign (today's, left in the form) asks for a tick first
    r = c.post(f"/uploads/{tok}/generate", data={"csrf": token(c), "as_of": "2026-12-03", "formats": "md"})
    assert r.status_code == 400 and "基准日2026年12月3日不在行动期（2022年6月1日至12月31日）内" in r.text
    assert 'name="outside"' in r.text and "请勾选下面的确认框" in r.text
    assert {p.name for p in runs.runs_folder(data).iterdir() if runs.RUN_ID.match(p.name)} == before
    r = c.post(f"/uploads/{tok}/generate", data={"csrf": token(c), "as_of": "2026-12-03", "formats": "md",
                                                 "outside": "1"})
    assert r.status_code == 303  # ticked: the officer meant it
    wait_for(c, r.headers["location"].rsplit("/", 1)[1])


@pytest.mark.parametrize("run_id", ["../../etc", "20220615-120000-ABCDEF", "x", "20990101-000000-000000"])
def test_an_unknown_run_is_404(app, run_id):
    c = login(app, "admin")
    assert c.get(f"/runs/{run_id}").status_code == 404
    assert c.get(f"/runs/{run_id}/progress").status_code == 404


def test_progress_shows_rate_and_time_left_while_running(app, data):
    run_id = "20220102-000000-abcdef"
    folder = runs.runs_folder(data) / run_id
    folder.mkdir()
    now = time.time()
    (folder / "run.json").write_text(json.dumps({"id": run_id, "list": "名单.csv", "by": "city", "scope": "",
                                                 "as_of": "2022-06-15", "formats": ["md"], "started": now - 10}))
    (folder / "progress.json").write_text(json.dumps({"done": 20, "total": 60, "started": now - 10, "updated": now}))
    current = folder.parent / runs.CURRENT
    saved = current.read_text() if current.exists() else None
    current.write_text(run_id)
    fd = os.open(folder.parent / runs.ACTIVE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        html = login(app, "city").get(f"/runs/{run_id}/progress").text
    finally:
        os.close(fd)
        if saved is not None:
            current.write_text(saved)
    assert 'hx-trigger="every 1s"' in html and f'hx-get="/runs/{run_id}/progress"' in html
    text = text_of(html)
    assert "正在生成" in text and "20/60家（33%）" in text
    rate = re.search(r"每秒(\d+\.\d)家", text)
    assert rate and 1.5 <= float(rate.group(1)) <= 2.0
    left = re.search(r"预计剩余 (\d+)秒", text)
    assert left and 18 <= int(left.group(1)) <= 22


# -- export and summary

def test_the_export_zip_keeps_chinese_names_and_the_officers_scope(app, data):
    c = login(app, "beilun")
    r = c.get("/export.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert re.fullmatch(r"帮扶方案导出-北仑区-\d{4}-\d{2}-\d{2}\.zip", filename_of(r))
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    names = archive.namelist()
    listing = {p.name: json.loads((p / "version.json").read_text())["listing"]
               for p in (data / "output").iterdir() if (p / "version.json").is_file()}
    beilun = {code: row for code, row in listing.items() if row["district"] == "北仑区"}
    assert {n.split("/")[1] for n in names} == {row["name"] for row in beilun.values()}
    assert all(n.startswith("北仑区/") for n in names)
    assert all(info.flag_bits & 0x800 for info in archive.infolist())  # UTF-8 names
    code, row = next(iter(beilun.items()))
    from planner.versions import current_version

    version, _ = current_version(data / "output" / code)
    assert archive.read(f"北仑区/{row['name']}/帮扶方案.md") == (version.path / "plan.md").read_bytes()
    whole = zipfile.ZipFile(io.BytesIO(login(app, "city").get("/export.zip").content))
    assert {n.split("/")[1] for n in whole.namelist()} == {row["name"] for row in listing.values()}
    assert not [p for p in data.iterdir() if p.name.startswith(".export-")]  # its temporary folder is gone
    assert audit(app, "导出压缩包")[0]["detail"] == f"{len(listing)}家企业"


def test_the_summary_shows_the_officers_scope_with_its_charts(app, data):
    listing = [json.loads((p / "version.json").read_text())["listing"]
               for p in (data / "output").iterdir() if (p / "version.json").is_file()]
    html = login(app, "beilun").get("/summary").text
    assert "帮扶工作汇总（北仑区）" in html and "<svg" in html and "图1" in html
    beilun = sum(1 for row in listing if row["district"] == "北仑区")
    assert f"企业{beilun}家" in html
    city = login(app, "王芳").get("/summary").text
    assert f"企业{len(listing)}家" in city and 'href="/export.zip"' not in city
    # the check against the lists names no folder of the server: 已生成的帮扶方案, as the report says it
    assert "本汇总按已生成的帮扶方案统计" in city and "文件夹 output" not in city and "仅凭文件夹" not in city
    assert not re.search(r"(?i)\son[a-z]+\s*=|<script(?![^>]*\bsrc=\"/static/)", html + city)


def test_the_summary_downloads(app):
    from pypdf import PdfReader

    c = login(app, "beilun")
    pdf = c.get("/summary.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert filename_of(pdf).startswith("帮扶工作汇总-北仑区-")
    assert "北仑区" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    md = c.get("/summary.md")
    assert md.status_code == 200 and md.text.startswith("# ") and "图表位置" not in md.text
    assert [e["target"] for e in audit(app, "下载汇总")[:2]] == ["汇总.md", "汇总.pdf"]


def test_new_pages_reference_nothing_outside_the_app(app, table):
    c = login(app, "admin")
    tok = uploaded(c, table, [*BEILUN], bad=True)
    for url in ("/upload", f"/uploads/{tok}", "/summary"):
        html = c.get(url).text
        refs = re.findall(r'\b(?:href|src|action)\s*=\s*"((?:[a-z][a-z0-9+.-]*:|//)[^"]*)"', html, re.I)
        assert refs == [], url
        assert not re.search(r"(?i)\son[a-z]+\s*=", html), url


def test_record_text_in_the_problem_list_is_inert(app, table):
    c = login(app, "city")
    header = table[0]
    row = list(next(r for r in table[1:] if r[0] == BEILUN[0]))
    row[0], row[1] = "12345", "<script>alert(1)</script>\x07企业"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, row])
    r = upload(c, buffer.getvalue().encode("utf-8"))
    html = c.get(r.headers["location"]).text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;⟨U+0007⟩企业" in html


CLI_HINT = re.compile(r"planner\s+[a-z]|(?<![\w-])--[a-z]")  # a command or an option of the command line


def test_pages_say_what_to_click_and_name_the_file_the_user_uploaded(app, data, table):
    c = login(app, "admin")
    r = upload(c, as_csv(table, [*BEILUN], bad=True), name="六月名单.csv")
    tok = r.headers["location"].rsplit("/", 1)[1]
    r = start(c, tok)
    run_id = r.headers["location"].rsplit("/", 1)[1]
    wait_for(c, run_id)
    stored_names = {p.name for p in (data / "uploads").iterdir() if p.name.startswith(tok)}
    pages = ["/enterprises", f"/e/{BEILUN[0]}", "/upload", f"/uploads/{tok}", f"/runs/{run_id}", "/summary",
             "/summary.md", "/audit", "/impact", "/requests", "/changes"]
    for url in pages:
        got = c.get(url)
        assert got.status_code == 200, url
        shown = text_of(got.text)
        assert not CLI_HINT.search(shown), (url, CLI_HINT.search(shown) and shown[CLI_HINT.search(shown).start() - 40:][:120])
        assert tok not in shown and not any(name in shown for name in stored_names), url
    log = c.get("/audit").text
    assert "<td>企业名单“六月名单.csv”</td><td>可生成2家，问题1条</td>" in log  # the kind and the name uploaded
    assert "<td>企业名单“六月名单.csv”</td><td>2家，基准日" not in log  # a run is named by its own id
    summary = text_of(c.get("/summary").text)
    assert "六月名单.csv" in summary  # the list the plans were generated from, by the name it was uploaded as
    assert "六月名单.csv:" in summary and "坏行测试企业" in summary  # its unidentified row, named by that file
    assert "上传名单与生成" in summary
    # a version without PDFs (this folder has Markdown only): what to do, in the web's words
    plan = text_of(c.get(f"/e/{BEILUN[0]}").text)
    assert "该版本没有 PDF 或 Word 文件" in plan and "上传名单与生成" in plan
    refused = c.get(f"/briefs.pdf?id={BEILUN[0]}")
    assert refused.status_code == 409 and "没有走访简报 PDF" in refused.text
    assert not CLI_HINT.search(text_of(refused.text)) and "生成时选择输出 PDF" in refused.text
