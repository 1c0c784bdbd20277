"""The reviewer's impact page (planner.web.reviewer, planner.web.proposals): a zip of an edited
sectors/ (and/or templates/) folder, read safely, its impact on the output folder's enterprises
shown as a page that agrees with planner impact; a broken profile named by file and line; only
reviewers and admins; CSRF."""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from planner import knowledge  # noqa: E402
from planner.impact import build_impact  # noqa: E402
from planner.resources import bundled  # noqa: E402
from planner.web import create_app, proposals  # noqa: E402

from test_web import PASSWORD, RECORDS, _generate, csrf_of  # noqa: E402

AUTOMOTIVE = bundled("sectors") / "automotive.yaml"
LOGISTICS_EDIT = ("end: 2022-12-31", "end: 2022-09-30", "- id: automotive_logistics")
USERS = {"admin": ("admin", "", "", ""), "王芳": ("reviewer", "", "", ""), "city": ("officer", "", "", ""),
         "罗建华": ("cadre", "", "罗建华", ""), "jxj": ("department", "", "", "市经信局")}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("impact-data")
    _generate(RECORDS, root / "output")
    return root


@pytest.fixture(scope="module")
def app(data):
    app = create_app(data)
    for name, (role, district, cadre, department) in USERS.items():
        app.state.accounts.add(name, role, district, cadre, department, password=PASSWORD)
    return app


def login(app, name: str) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    form = c.get("/login")
    r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf_of(form.text), "next": "/"})
    assert r.status_code == 303
    return c


def edited(old: str, new: str, after: str = "") -> bytes:
    text = AUTOMOTIVE.read_text(encoding="utf-8")
    at = text.index(old, text.index(after) if after else 0)
    return (text[:at] + new + text[at + len(old):]).encode("utf-8")


def zipped(files: dict, links: tuple = ()) -> bytes:
    """A zip of ``files`` (name → bytes); ``links``: names stored as symbolic links."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in files.items():
            book.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            book.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def upload(c: TestClient, data: bytes, name: str = "修改稿.zip", as_of: str = "2022-06-15", token: str | None = None):
    token = csrf_of(c.get("/impact").text) if token is None else token
    return c.post("/impact", data={"csrf": token, "as_of": as_of} if token else {"as_of": as_of},
                  files={"file": (name, data, "application/zip")})


def stored(data: Path) -> set[str]:
    folder = data / "proposals"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def report_of(c: TestClient, r) -> str:
    assert r.status_code == 303, r.text
    assert re.fullmatch(r"/impact/[0-9a-f]{32}", r.headers["location"])
    page = c.get(r.headers["location"])
    assert page.status_code == 200
    return page.text


def test_the_report_names_the_key_and_exactly_the_enterprises_planner_impact_names(app, data, tmp_path):
    c = login(app, "王芳")
    r = upload(c, zipped({"sectors/automotive.yaml": edited(*LOGISTICS_EDIT)}))
    page = report_of(c, r)
    # the same edit through the command line's impact, over the list the output was made from
    tree = tmp_path / "sectors"
    import shutil

    shutil.copytree(bundled("sectors"), tree)
    (tree / "automotive.yaml").write_bytes(edited(*LOGISTICS_EDIT))
    import datetime as dt

    base = knowledge.load(bundled("sectors"))
    expected, _ = build_impact(RECORDS, base, knowledge.load(tree), dt.date(2022, 6, 15), bundled("sectors"), tree)
    assert expected.affected
    assert expected.headline() in page
    shown = set(re.findall(r'<a href="/e/([0-9A-Z]{18})"><strong>', page))
    assert shown == {record.id for record, _ in expected.affected}
    for record, result in expected.affected:
        assert record.name in page and result.measures[0].line() in page
    assert "<code>automotive.yaml</code>" in page and "<code>automotive_logistics.period.end</code>" in page
    assert "2022-12-31" in page and "2022-09-30" in page
    assert "畅通汽车产业链物流" in page  # the totals per measure
    # stored under a generated name, the client's name kept as text only
    token = r.headers["location"].rsplit("/", 1)[1]
    assert (data / "uploads" / f"{token}.zip").is_file() and token in stored(data)
    assert (data / "proposals" / token / "sectors" / "automotive.yaml").read_bytes() == edited(*LOGISTICS_EDIT)
    assert (data / "proposals" / token / "sectors" / "citywide.yaml").is_file()  # the rest: the current tree
    assert "修改稿.zip" in c.get("/impact").text
    assert any(e["action"] == "措施库调整影响评估" and e["target"] == token for e in app.state.accounts.audit_log())
    log = login(app, "admin").get("/audit").text  # the page: the kind and the name uploaded, never the token
    assert token not in log and "<td>措施库调整影响评估</td><td>措施库修改稿“修改稿.zip”</td>" in log


def test_layouts_a_folder_around_sectors_or_the_files_at_the_top(app):
    c = login(app, "admin")
    for files in ({"proposal/sectors/automotive.yaml": edited(*LOGISTICS_EDIT)},
                  {"automotive.yaml": edited(*LOGISTICS_EDIT)},
                  {"my-sectors/automotive.yaml": edited(*LOGISTICS_EDIT), "__MACOSX/._automotive.yaml": b"\x00\x01"}):
        page = report_of(c, upload(c, zipped(files)))
        assert "<code>automotive_logistics.period.end</code>" in page, files
    assert "已忽略压缩包中的隐藏文件：__MACOSX/._automotive.yaml" in page


def test_the_as_of_date_defaults_to_the_output_and_a_bad_one_is_said(app, data):
    c = login(app, "王芳")
    page = report_of(c, upload(c, zipped({"sectors/automotive.yaml": edited(*LOGISTICS_EDIT)}), as_of=""))
    assert "基准日 2022-06-15" in page
    before = stored(data)
    r = upload(c, zipped({"sectors/automotive.yaml": b"x: 1\n"}), as_of="六月")
    assert r.status_code == 400 and "基准日“六月”不是日期" in r.text and stored(data) == before


def test_a_broken_profile_is_named_by_file_and_line(app, data):
    c = login(app, "王芳")
    lines = AUTOMOTIVE.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[11] = "  bad: [unclosed\n"
    page = report_of(c, upload(c, zipped({"sectors/automotive.yaml": "".join(lines).encode()})))
    assert "修改稿有错误，未评估影响" in page
    assert "sectors/automotive.yaml:12:" in page and "YAML 格式错误" in page
    assert str(data) not in page and "proposals" not in page  # no server path
    page = report_of(c, upload(c, zipped({"sectors/automotive.yaml": edited("  - id: automotive_logistics\n    title:",
                                                                            "  - id: automotive_logistics\n    titl:")})))
    assert re.search(r"sectors/automotive.yaml:\d+: measures\[\d\]\.titl: 未知的键“titl”", page)


def test_a_broken_template_is_named_by_file_and_line(app):
    c = login(app, "王芳")
    plan = (bundled("templates") / "plan.md.j2").read_text(encoding="utf-8").splitlines(keepends=True)
    plan.append("{% if %}\n")
    page = report_of(c, upload(c, zipped({"templates/plan.md.j2": "".join(plan).encode()})))
    assert "修改稿有错误" in page and f"templates/plan.md.j2 第{len(plan)}行：模板语法错误" in page


def test_an_edited_template_lists_the_plans_whose_text_changes(app, data):
    c = login(app, "王芳")
    brief = (bundled("templates") / "brief.md.j2").read_text(encoding="utf-8") + "\n本简报仅供走访参考。\n"
    page = report_of(c, upload(c, zipped({"templates/brief.md.j2": brief.encode()})))
    assert "文书变化（上传了模板）" in page and "<code>templates/brief.md.j2</code>" in page
    changed = re.findall(r'<li><a href="/e/([0-9A-Z]{18})">[^<]+</a>：走访简报(\d+)行不同</li>', page)
    outputs = [p for p in (data / "output").iterdir() if (p / "version.json").is_file()]
    assert len(changed) == len(outputs) and all(n == "2" for _, n in changed)  # a blank line and the text
    assert "没有企业的方案措施会因此改变" in page  # a template changes no measure


@pytest.mark.parametrize("files,links,said", [
    ({"../automotive.yaml": b"x"}, (), "路径不安全"),
    ({"/etc/automotive.yaml": b"x"}, (), "路径不安全"),
    ({"sectors\\..\\automotive.yaml": b"x"}, (), "路径不安全"),
    ({"sectors/automotive.yaml": b"x: 1\n"}, ("sectors/citywide.yaml",), "是符号链接"),
    ({"sectors/run.py": b"import os\n"}, (), "只接受.yaml、.txt、.md文件"),
    ({"templates/plan.html": b"<p>"}, (), "只接受.j2、.css、.yaml、.md文件"),
    ({"sectors/deep/automotive.yaml": b"x"}, (), "不读取子文件夹"),
    ({"sectors/automotive.yaml": "键: 值\n".encode("gbk")}, (), "sectors/automotive.yaml 第1行：不是 UTF-8 编码"),
    ({".DS_Store": b"x"}, (), "压缩包中没有文件"),
])
def test_an_unsafe_or_unusable_zip_is_refused_and_nothing_kept(app, data, files, links, said):
    c = login(app, "王芳")
    before, uploads_before = stored(data), set((data / "uploads").iterdir())
    r = upload(c, zipped(files, links))
    assert r.status_code == 400 and said in r.text, r.text[-800:]
    assert stored(data) == before and set((data / "uploads").iterdir()) == uploads_before


def test_size_limits(app, data, monkeypatch):
    c = login(app, "王芳")
    before = stored(data)
    r = upload(c, b"PK not really a zip")
    assert r.status_code == 400 and "不是有效的 zip 压缩包" in r.text
    r = upload(c, b"x", name="修改稿.rar")
    assert r.status_code == 400 and "请上传 zip 压缩包" in r.text
    monkeypatch.setattr(proposals, "MAX_FILE", 1000)
    r = upload(c, zipped({"sectors/automotive.yaml": b"#" * 5000}))
    assert r.status_code == 400 and "超过" in r.text
    monkeypatch.setattr(proposals, "MAX_FILE", 10**6)
    monkeypatch.setattr(proposals, "MAX_UNPACKED", 8000)  # counted as read, however small the zip
    r = upload(c, zipped({f"sectors/f{i}.yaml": b"#" * 3000 for i in range(4)}))
    assert r.status_code == 400 and "解压后超过" in r.text
    assert stored(data) == before


def test_a_zip_over_the_upload_limit_is_not_stored(app, data, monkeypatch):
    import dataclasses

    monkeypatch.setattr(proposals, "ZIP", dataclasses.replace(proposals.ZIP, max_bytes=2048))
    c = login(app, "王芳")
    uploads_before = set((data / "uploads").iterdir())
    r = upload(c, zipped({"sectors/automotive.yaml": os.urandom(4096).hex().encode()}))
    assert r.status_code == 400 and "文件超过2KB的上限" in r.text
    assert set((data / "uploads").iterdir()) == uploads_before


@pytest.mark.parametrize("who", ["city", "罗建华", "jxj"])
def test_only_reviewers_and_admins_see_the_impact_pages(app, data, who):
    reviewer = login(app, "王芳")
    r = upload(reviewer, zipped({"automotive.yaml": edited(*LOGISTICS_EDIT)}))
    token = r.headers["location"].rsplit("/", 1)[1]
    assert reviewer.get(f"/impact/{token}").status_code == 200
    c = login(app, who)
    before = stored(data)
    assert c.get("/impact").status_code == 404
    assert c.get(f"/impact/{token}").status_code == 404
    r = c.post("/impact", data={"csrf": csrf_of(c.get("/password").text)},
               files={"file": ("a.zip", zipped({"automotive.yaml": b"x: 1\n"}), "application/zip")})
    assert r.status_code == 404 and stored(data) == before
    assert "/impact" not in c.get("/password").text  # not in the menu either
    assert 'href="/impact"' in reviewer.get("/password").text


def test_an_upload_without_its_token_is_refused_and_not_stored(app, data):
    c = login(app, "王芳")
    before, uploads_before = stored(data), set((data / "uploads").iterdir())
    r = upload(c, zipped({"automotive.yaml": edited(*LOGISTICS_EDIT)}), token="")
    assert r.status_code == 403
    r = upload(c, zipped({"automotive.yaml": edited(*LOGISTICS_EDIT)}), token="forged")
    assert r.status_code == 403
    assert stored(data) == before and set((data / "uploads").iterdir()) == uploads_before


def test_unknown_or_malformed_tokens_are_404(app):
    c = login(app, "admin")
    for token in ("0" * 32, "../secret", "ABC"):
        assert c.get(f"/impact/{token}").status_code == 404


def test_the_pages_need_a_login(app):
    c = TestClient(app, follow_redirects=False)
    for r in (c.get("/impact"), c.get(f"/impact/{'0' * 32}"), c.post("/impact", data={})):
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_the_proposals_text_is_inert_on_the_page(app):
    c = login(app, "王芳")
    hostile = edited("  - id: automotive_logistics\n    title: ", "  - id: automotive_logistics\n    title: <script>alert(1)</script>")
    page = report_of(c, upload(c, zipped({"sectors/automotive.yaml": hostile})))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
