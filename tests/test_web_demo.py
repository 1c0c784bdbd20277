"""make serve's demo folder (planner.web.demo, planner serve --demo): built from an output folder
made as make demo makes it, one account of each role whose printed password logs in and whose
pages are not empty, rebuilt on a second run, and never made over a folder that is not a demo's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from planner.cli import main  # noqa: E402
from planner.exceptions import PlannerError  # noqa: E402
from planner.web import create_app, demo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROLES = ["管理员", "经信部门（全市）", "经信部门（", "审核人", "包联干部（", "承办部门（"]


def _planner(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    """The output folder of make demo (Markdown only, to be quick): plans, the sheet's requests handed
    over and answered, plans again."""
    out = tmp_path_factory.mktemp("demo") / "output"
    _planner("generate", "examples/enterprises.yaml", "--out", str(out), "--as-of", "2022-06-15", "--format", "md", "-q")
    _planner("requests", "import", "examples/走访诉求登记表.xlsx", "--out", str(out))
    for day in ("2022-06-17", "2022-06-22", "2022-06-27"):
        _planner("requests", "assign", str(out), "--by", "市经信局", "--at", day)
    _planner("requests", "import", "examples/部门办理结果.xlsx", str(out))
    _planner("generate", "examples/enterprises.yaml", "--out", str(out), "--as-of", "2022-06-30", "--format", "md", "-q")
    return out


def _printed(text: str) -> dict[str, tuple[str, str]]:
    """role label → (name, password), read back from the printed table."""
    lines = text.strip().splitlines()
    head = next(i for i, line in enumerate(lines) if line.split() == ["角色", "用户名", "密码"])
    assert set(lines[head + 1]) <= {"-", " "}
    rows = {}
    for line in lines[head + 2:]:
        if not line.strip():
            break
        label, name, password = line.split()
        rows[label] = (name, password)
    return rows


def _login(app, name: str, password: str) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    form = c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = c.post("/login", data={"name": name, "password": password, "csrf": token, "next": "/"})
    assert r.status_code == 303, (name, r.status_code)
    assert c.get("/").headers["location"] == "/password"  # a one-time password: changed first
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/password").text).group(1)
    new = password + "-changed"
    r = c.post("/password", data={"old": password, "new": new, "again": new, "csrf": token})
    assert r.status_code == 303, r.text
    return c


def test_each_printed_password_logs_in_and_each_role_has_something_to_see(output, tmp_path):
    data = tmp_path / "demo-data"
    made = demo.build(data, output)
    rows = _printed(demo.table(made))
    assert len(rows) == 6 and all(any(label.startswith(r) for label in rows) for r in ROLES)
    assert (data / "output" / "requests.db").is_file() and (data / demo.MARK).is_file()
    app = create_app(data)
    by_role = {app.state.accounts.get(name).role + (app.state.accounts.get(name).district and "-district"):
               _login(app, name, password) for name, password in rows.values()}
    assert set(by_role) == {"admin", "officer", "officer-district", "reviewer", "cadre", "department"}
    everyone = set(re.findall(r'href="/e/([0-9A-Z]{18})"', by_role["admin"].get("/enterprises").text))
    assert len(everyone) == 20
    for role in ("officer", "reviewer"):
        assert set(re.findall(r'href="/e/([0-9A-Z]{18})"', by_role[role].get("/enterprises").text)) == everyone
    district = set(re.findall(r'href="/e/([0-9A-Z]{18})"', by_role["officer-district"].get("/enterprises").text))
    assert 0 < len(district) < 20
    mine = set(re.findall(r'href="/e/([0-9A-Z]{18})"', by_role["cadre"].get("/enterprises").text))
    assert 0 < len(mine) < 20 and mine <= district  # the district officer is of the cadre's district
    cadre_requests = set(re.findall(r'href="/requests/(SQ-[0-9-]+)"', by_role["cadre"].get("/requests").text))
    assert cadre_requests  # the sheet's requests of the cadre's visits
    handed = set(re.findall(r'href="/requests/(SQ-[0-9-]+)"', by_role["department"].get("/requests").text))
    assert handed and by_role["department"].get(f"/requests/{sorted(handed)[0]}").status_code == 200
    assert by_role["admin"].get("/audit").status_code == 200
    assert by_role["reviewer"].get("/changes").status_code == 200


def test_a_second_build_resets_the_folder_with_new_passwords(output, tmp_path):
    data = tmp_path / "demo-data"
    first = {a.name: a.password for a in demo.build(data, output)}
    (data / "output" / "stray.txt").write_text("made in the demo", encoding="utf-8")
    second = {a.name: a.password for a in demo.build(data, output)}
    assert set(first) == set(second) and all(first[n] != second[n] for n in first)
    assert not (data / "output" / "stray.txt").exists()
    app = create_app(data)
    c = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"name": "admin", "password": first["admin"], "csrf": token}).status_code == 401


def test_a_folder_that_is_not_a_demo_is_never_touched(output, tmp_path):
    real = tmp_path / "planner-data"
    (real / "output").mkdir(parents=True)
    (real / "web.db").write_bytes(b"the bureau's accounts")
    with pytest.raises(PlannerError, match="不是演示数据目录"):
        demo.build(real, output)
    assert (real / "web.db").read_bytes() == b"the bureau's accounts"
    with pytest.raises(PlannerError, match="请先运行 make demo"):
        demo.build(tmp_path / "d", tmp_path / "no-such-output")
    with pytest.raises(PlannerError, match="不能是输出目录"):
        demo.build(output.parent, output)


def test_planner_serve_demo_prints_the_table_then_serves(output, tmp_path, runner, monkeypatch):
    import uvicorn

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(main, ["serve", "--demo", str(output)])
    assert r.exit_code == 0, r.output
    assert "演示数据目录 demo-data" in r.output and "每次运行重建" in r.output
    rows = _printed(r.output[r.output.index("角色"):])
    assert served["host"] == "127.0.0.1" and (tmp_path / "demo-data" / demo.MARK).is_file()
    name, password = rows["管理员"]
    _login(served["app"], name, password)
    r = runner.invoke(main, ["serve", "--demo", str(output)])  # twice: rebuilt, no error
    assert r.exit_code == 0 and _printed(r.output[r.output.index("角色"):])["管理员"][1] != password
