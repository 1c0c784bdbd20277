"""Requests (诉求) back into the documents (issue 15, part 7): the brief lists an enterprise's open
requests first and carries its visit reference (走访编号), the plan gains 附：诉求办理情况 naming the
measures the requests relate to, and the requests are an input of the version."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import docx
import orjson
import pytest
import yaml
from pypdf import PdfReader

from planner.generate import Renderer, generate
from planner.matching import match
from planner.records import read_records
from planner.render import Templates, markdown_to_html
from planner.requests import Ledger, ledger_path, visit_ref
from planner.view import LINE_WIDTH, display_width, plan_context

from conftest import AS_OF, EXAMPLES
from test_docx import estimated_height
from test_render import STRESS, pdf_text, squash

CODE = "91330206NB0000059N"  # 宁波珂屹汽车部件有限公司: 增值税留抵退税 among its core measures
OTHER = "91330211NB0000016G"  # 宁波岚晟石化有限公司: never given a request here
STRESS_ID = "91330206NB9999997D"  # the longest brief
HOSTILE = "**加粗** <script>alert(1)</script> [点我](javascript:alert(1)) | 分栏 |\n# 标题 `代码` &amp;"
CONTROLS = "设备\r\n改造\x1b[31m资金\u202e申请"  # a line break, a terminal escape, a bidi override
VISIT = dt.date(2022, 6, 1)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """Three enterprises: two samples and the stress record."""
    samples = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))["enterprises"]
    stress = yaml.safe_load(STRESS.read_text(encoding="utf-8"))["enterprises"]
    chosen = [e for e in samples if e["id"] in (CODE, OTHER)] + stress
    path = tmp_path_factory.mktemp("list") / "list.yaml"
    path.write_text(yaml.safe_dump({"enterprises": chosen}, allow_unicode=True), encoding="utf-8")
    return path


def run(records, out, kb, formats=("md",)):
    result = generate(records, out, kb, Templates.from_option(None), AS_OF, formats, workers=1)
    assert not result.failed, result.failed
    return result


def register(ledger, code, category, text, urgency="简单", visit=VISIT, name="某企业"):
    return ledger.register(code, name, category, text, urgency, visit_date=visit, cadre="王明", at=visit)


def fill_ledger(out, code=CODE):
    """Six requests of ``code``: overdue, not yet due, done (回访 to come), signed off, withdrawn and a
    hostile text; returns them by role."""
    with Ledger.open(ledger_path(out)) as ledger:
        late = register(ledger, code, "融资", "希望对接低息贷款，缓解流动资金压力")
        ahead = register(ledger, code, "物流", "运输受阻，希望协调通行证", "复杂", visit=dt.date(2022, 6, 14))
        done = register(ledger, code, "用工", "缺工200人，希望帮助招工", "复杂")
        ledger.transition(done.id, "交办", by="市经信局", at="2022-06-02")
        ledger.transition(done.id, "办结", by="市人力社保局", at="2022-06-06")
        closed = register(ledger, code, "其他", "咨询厂房租赁政策")
        for step, at in (("交办", "2022-06-01"), ("办结", "2022-06-02")):
            ledger.transition(closed.id, step, by="市经信局", at=at)
        ledger.transition(closed.id, "回访", by="王明", at="2022-06-03", satisfied=True)
        ledger.transition(closed.id, "销号", by="市经信局", at="2022-06-03")
        withdrawn = register(ledger, code, "市场", "希望对接订单")
        ledger.transition(withdrawn.id, "撤回", by="王明", note="企业已自行解决", at="2022-06-02")
        hostile = register(ledger, code, "技术", HOSTILE, visit=dt.date(2022, 6, 13))
    return {"late": late, "ahead": ahead, "done": done, "closed": closed, "withdrawn": withdrawn, "hostile": hostile}


def section(md: str, heading: str) -> str:
    start = md.index(f"## {heading}")
    rest = md[start + 3:]
    end = rest.find("\n## ")
    return rest if end < 0 else rest[:end]


def folder_state(out, code) -> dict:
    """The files of an enterprise's folder (version.json without its time) as bytes."""
    files = {p.name: p.read_bytes() for p in (out / code).iterdir() if p.is_file() and p.name != "version.json"}
    meta = orjson.loads((out / code / "version.json").read_bytes())
    meta.pop("generated")
    return {"files": files, "meta": meta}


@pytest.fixture(scope="module")
def with_requests(kb, records, tmp_path_factory):
    """The three enterprises generated with Markdown and PDFs, then the ledger filled for CODE and
    the stress record, then generated again."""
    out = tmp_path_factory.mktemp("out")
    run(records, out, kb, ("md", "pdf", "docx"))
    before = {c: folder_state(out, c) for c in (CODE, OTHER, STRESS_ID)}
    roles = fill_ledger(out)
    fill_ledger(out, STRESS_ID)
    second = run(records, out, kb, ("md", "pdf", "docx"))
    return out, roles, before, second


def test_the_brief_lists_the_open_requests_first_with_state_and_due_date(with_requests):
    out, roles, _, _ = with_requests
    md = (out / CODE / "brief.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", md, re.M)
    assert headings[0].startswith("待跟进诉求")  # before the difficulties, the measures and the request table
    assert headings[-1] == f"诉求记录（走访编号：{CODE}-20220615）"
    follow = section(md, "待跟进诉求")
    lines = [line for line in follow.splitlines() if line.startswith("- ")]
    # open: late (due 6月2日), done (due 6月7日, 办结 awaiting its 回访), ahead (due 6月17日), hostile
    # (due 6月14日, overdue as of 6月15日); at most three, the overdue ones first; closed and withdrawn never
    assert len(lines) == 3
    assert "另有1件未销号，见帮扶方案或网页工作台" in headings[0]  # a cadre has no ledger; the plan lists them
    assert lines[0] == f"- {roles['late'].id} 融资：希望对接低息贷款，缓解流动资金压力（待交办，6月2日到期，已逾期）"
    assert lines[1].startswith(f"- {roles['hostile'].id} 技术：") and lines[1].endswith("（待交办，6月14日到期，已逾期）")
    due = roles["done"].due_date  # three working days after 6月1日, the 端午 holiday left out
    assert due == dt.date(2022, 6, 7)
    # finished by the department: no due date, the cadre's next step (found in a new-user trial)
    assert lines[2] == f"- {roles['done'].id} 用工：缺工200人，希望帮助招工（已办结，请回访）"
    assert roles["ahead"].id not in md  # not overdue, open, the fourth: counted in the heading
    for gone in ("closed", "withdrawn"):
        assert roles[gone].id not in md
    for line in lines:  # one line each on the page: the text cut to fit (as printed, without Markdown's escapes)
        assert display_width(re.sub(r"\\(.)", r"\1", line[2:])) <= LINE_WIDTH - 2 + 1


def test_the_brief_with_requests_is_one_page_and_its_pdf_says_so(with_requests):
    out, roles, _, _ = with_requests
    for code in (CODE, STRESS_ID):
        assert len(PdfReader(out / code / "走访简报.pdf").pages) == 1, code
        text = squash(pdf_text(out / code / "走访简报.pdf"))
        assert squash(f"走访编号：{code}-20220615") in text
        assert squash("融资：希望对接低息贷款，缓解流动资金压力（待交办，6月2日到期，已逾期）") in text
    assert "诉求办理情况" in pdf_text(out / CODE / "帮扶方案.pdf")
    # the section is small print: a sample's plan keeps its pages; the stress record's, whose sixth
    # page is full without it, takes one more
    pages = {c: (len(PdfReader(out / c / "history" / "v1" / "帮扶方案.pdf").pages),
                 len(PdfReader(out / c / "帮扶方案.pdf").pages)) for c in (CODE, STRESS_ID)}
    assert pages[CODE][1] == pages[CODE][0] <= 4, pages
    assert pages[STRESS_ID][1] <= pages[STRESS_ID][0] + 1, pages


def test_the_plan_lists_the_requests_and_names_the_measure_they_relate_to(kb, with_requests, records):
    out, roles, _, _ = with_requests
    md = (out / CODE / "plan.md").read_text(encoding="utf-8")
    assert "## 附：诉求办理情况" in md
    assert md.index("## 附：诉求办理情况") < md.index("## 附：政策依据")  # the last two appendices stay last
    part = section(md, "附：诉求办理情况")
    # the closed ones are counted, in the order first registered; the open ones listed
    assert "共6件：未办结3件（已逾期2件），已办结待回访、销号1件，已销号1件，已撤回1件。" in part
    rows = [line for line in part.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 4
    # 融资 relates to 产融对接 (a 普惠 measure, named without a number), not to tax refunds
    assert rows[0] == ("| 融资 | 希望对接低息贷款，缓解流动资金压力〔对应措施：标志性产业链和产业集群系列对接活动〕 | "
                       "市地方金融监管局、人民银行宁波市中心支行 | 待交办，已逾期 | 2022年6月2日 |")
    assert rows[2] == "| 用工 | 缺工200人，希望帮助招工 | 市人力社保局 | 已办结，待回访 | 2022年6月7日 |"  # no measure of the plan
    for gone in ("咨询厂房租赁政策", "希望对接订单"):
        assert gone not in md


def test_requests_are_an_input_of_the_version(with_requests):
    out, roles, before, second = with_requests
    assert sorted(second.written) == sorted([CODE, STRESS_ID])
    meta = orjson.loads((out / CODE / "version.json").read_bytes())
    assert meta["version"] == 2 and meta["trigger"] == ["诉求变化"]
    assert meta["summary"] == "诉求办理情况更新（共6件，未办结3件）"
    assert set(meta["inputs"]) == set(before[CODE]["meta"]["inputs"]) | {"requests"}
    assert folder_state(out, OTHER) == before[OTHER]  # no request: not touched


def test_a_changed_request_is_a_new_version_and_an_unchanged_ledger_none(kb, records, tmp_path):
    out = tmp_path / "out"
    run(records, out, kb)
    roles = fill_ledger(out)
    assert run(records, out, kb).written == [CODE]
    again = run(records, out, kb)
    assert not again.written and sorted(again.unchanged) == sorted([CODE, OTHER, STRESS_ID])
    with Ledger.open(ledger_path(out)) as ledger:
        ledger.transition(roles["late"].id, "交办", by="市经信局", at="2022-06-15")
    third = run(records, out, kb, ("md",))
    assert third.written == [CODE]
    meta = orjson.loads((out / CODE / "version.json").read_bytes())
    assert meta["version"] == 3 and meta["trigger"] == ["诉求变化"]
    assert f"{roles['late'].id} 融资：希望对接低息贷款，缓解流动资金压力（已交办，6月2日到期，已逾期）" in (
        out / CODE / "brief.md").read_text(encoding="utf-8")


def test_without_a_ledger_the_documents_and_inputs_are_as_before(kb, records, tmp_path):
    """No ledger file: no requests, nothing created, the inputs without a requests key; a ledger with
    no request of an enterprise leaves its documents and version byte for byte as they were."""
    out = tmp_path / "out"
    run(records, out, kb)
    assert not ledger_path(out).exists()
    state = {c: folder_state(out, c) for c in (CODE, OTHER)}
    assert "requests" not in state[CODE]["meta"]["inputs"]
    md = state[CODE]["files"]
    assert b"\xe5\xbe\x85\xe8\xb7\x9f\xe8\xbf\x9b" not in md["brief.md"]  # 待跟进
    assert "诉求办理情况" not in md["plan.md"].decode("utf-8")
    renderer = Renderer(kb, Templates.from_option(None))
    record = next(r for r in read_records(records, kb).records if r.id == CODE)
    rendered = renderer.render(match(record, kb, AS_OF))
    assert md["plan.md"].decode("utf-8") == rendered.plan_md and md["brief.md"].decode("utf-8") == rendered.brief_md
    fill_ledger(out, STRESS_ID)  # a ledger now, but nothing for these two
    result = run(records, out, kb)
    assert result.written == [STRESS_ID]
    for code in (CODE, OTHER):
        assert folder_state(out, code) == state[code]


def test_a_hostile_request_text_prints_literally(kb, with_requests):
    out, roles, _, _ = with_requests
    plan_html = markdown_to_html((out / CODE / "plan.md").read_text(encoding="utf-8"))
    brief_html = markdown_to_html((out / CODE / "brief.md").read_text(encoding="utf-8"))
    for html in (plan_html, brief_html):
        assert "<script" not in html and "<a " not in html and "<code>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    row = next(r for r in plan_html.split("<tr>") if "<td>技术</td>" in r)
    assert "<strong>" not in row and "<em>" not in row
    assert row.count("<td") == 5  # the | of the text split no cell
    # in full (a sentence or two is not cut), the link and the | as text
    assert "<td>**加粗** &lt;script&gt;alert(1)&lt;/script&gt; [点我](javascript:alert(1)) | 分栏 | # 标题" in row
    assert "…" not in row
    item = next(li for li in brief_html.split("<li>") if roles["hostile"].id in li)
    assert "**加粗** &lt;script&gt;" in item and "<strong>" not in item


def test_control_characters_in_a_request_are_shown_and_counted(kb, records, tmp_path):
    """A terminal escape or a bidi override in a typed-up request is printed as a visible mark, in
    the brief, the plan and the Word documents alike, and its width counted for the brief's line."""
    out = tmp_path / "out"
    with Ledger.open(ledger_path(out)) as ledger:
        register(ledger, CODE, "审批手续", CONTROLS + "，" + "需要协调的事项很多" * 4)
    run(records, out, kb, ("md", "docx"))
    brief = (out / CODE / "brief.md").read_text(encoding="utf-8")
    plan = (out / CODE / "plan.md").read_text(encoding="utf-8")
    line = next(x for x in brief.splitlines() if x.startswith("- SQ-"))
    printed = re.sub(r"\\(.)", r"\1", line[2:])  # as it prints, without Markdown's escapes
    # the carriage return marked as record fields are (textsafe.visible), the line break a space
    assert "审批手续：设备⟨U+000D⟩ 改造⟨U+001B⟩[31m" in printed
    assert printed.endswith("…（待交办，6月2日到期，已逾期）") and display_width(printed) <= LINE_WIDTH - 2 + 1
    assert "| 审批手续 | 设备⟨U\\+000D⟩ 改造⟨U\\+001B⟩\\[31m资金⟨U" in plan
    for text in (brief, plan):
        assert "\x1b" not in text and "\u202e" not in text and "\r" not in text
    words = docx.Document(io.BytesIO((out / CODE / "走访简报.docx").read_bytes()))
    shown = next(p.text for p in words.paragraphs if p.text.startswith("· SQ-"))
    assert shown == "· " + printed


def test_brief_docx_says_what_brief_md_says(with_requests):
    out, roles, _, _ = with_requests
    md = (out / CODE / "brief.md").read_text(encoding="utf-8")
    brief = docx.Document(io.BytesIO((out / CODE / "走访简报.docx").read_bytes()))
    headings = [p.text for p in brief.paragraphs if p.style.name == "Heading 1"]
    assert headings == re.findall(r"^## (.+)$", md, re.M)
    assert f"诉求记录（走访编号：{visit_ref(CODE, AS_OF)}）" in headings
    texts = [p.text for p in brief.paragraphs]
    lines = [line[2:] for line in section(md, "待跟进诉求").splitlines() if line.startswith("- ")]
    shown = [t[2:] for t in texts if t.startswith("· SQ-")]
    assert len(shown) == len(lines) == 3
    assert shown[0] == lines[0] and shown[2] == lines[2]
    assert shown[1].startswith(roles["hostile"].id) and "**加粗** <script>alert(1)</script>" in shown[1]
    height, page = estimated_height(brief)
    assert height <= page - 28, (height, page)

    plan = docx.Document(io.BytesIO((out / CODE / "帮扶方案.docx").read_bytes()))
    plan_md = (out / CODE / "plan.md").read_text(encoding="utf-8")
    assert [p.text for p in plan.paragraphs if p.style.name == "Heading 1"] == re.findall(r"^## (.+)$", plan_md, re.M)
    assert "附：诉求办理情况" in plan_md
    table = next(t for t in plan.tables if t.rows[0].cells[0].text == "类别" and len(t.columns) == 5)
    cells = [[c.text for c in row.cells] for row in table.rows[1:]]
    md_rows = [line.strip("| ").split(" | ") for line in section((out / CODE / "plan.md").read_text(
        encoding="utf-8"), "附：诉求办理情况").splitlines() if line.startswith("| ") and "---" not in line]
    assert len(cells) == len(md_rows) - 1 == 4
    assert cells[0] == md_rows[1]  # the same words, cell by cell
    assert "〔对应措施：标志性产业链和产业集群系列对接活动〕" in cells[0][1] and cells[0][3] == "待交办，已逾期"
    hostile = next(r for r in cells if r[0] == "技术")
    assert hostile[1].startswith("**加粗** <script>alert(1)</script> [点我](javascript:alert(1)) | 分栏 | # 标题")
    assert "共6件：未办结3件（已逾期2件），已办结待回访、销号1件，已销号1件，已撤回1件。" in [p.text for p in plan.paragraphs]


def test_the_ledger_is_read_once_per_run_in_the_parent(kb, records, tmp_path, monkeypatch):
    """The parent reads the whole ledger once and hands each task its enterprise's requests."""
    out = tmp_path / "out"
    fill_ledger(out)
    opened = []
    real = Ledger.open.__func__

    def counting(cls, *args, **kwargs):
        opened.append(args)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(Ledger, "open", classmethod(counting))
    run(records, out, kb)
    assert len(opened) == 1
    assert "待跟进诉求" in (out / CODE / "brief.md").read_text(encoding="utf-8")
    assert "待跟进诉求" not in (out / OTHER / "brief.md").read_text(encoding="utf-8")


def test_a_file_that_is_not_a_ledger_stops_the_run_with_a_chinese_message(kb, records, tmp_path):
    from planner.exceptions import PlannerError

    out = tmp_path / "out"
    out.mkdir()
    ledger_path(out).write_bytes(b"not a database" * 100)
    with pytest.raises(PlannerError, match="不是诉求账本"):
        run(records, out, kb)
    assert not (out / CODE).exists()
    shutil.rmtree(out)


def test_the_documents_read_the_ledger_as_of_their_date(records, kb, tmp_path):
    """As planner summary does: a step taken after the plans' date is not yet taken, and a request
    registered after it is not there yet."""
    out = tmp_path / "out"
    run(records, out, kb)
    with Ledger.open(ledger_path(out)) as ledger:
        early = register(ledger, CODE, "融资", "希望对接低息贷款")
        ledger.transition(early.id, "交办", by="市经信局", at=AS_OF + dt.timedelta(days=3))  # after the date
        later = register(ledger, CODE, "物流", "希望协调通行证", visit=AS_OF + dt.timedelta(days=5))
    run(records, out, kb)
    brief = (out / CODE / "brief.md").read_text(encoding="utf-8")
    assert early.id in brief and later.id not in brief
    assert "（待交办，" in brief.split(early.id, 1)[1].splitlines()[0]  # not yet 交办 on the brief's date


def test_generate_db_reads_another_ledger_file(runner, records, tmp_path):
    """``planner generate --db FILE``: the documents follow up the requests of that ledger, as
    summary and the requests commands read it; a missing file is refused before anything is written."""
    from planner.cli import main

    out, other = tmp_path / "out", tmp_path / "shared" / "全市诉求.db"
    other.parent.mkdir()
    with Ledger.open(other) as ledger:
        asked = register(ledger, CODE, "融资", "希望对接低息贷款", visit=AS_OF - dt.timedelta(days=2))
    missing = runner.invoke(main, ["generate", str(records), "--out", str(out), "--as-of", AS_OF.isoformat(),
                                   "--format", "md", "-q", "--db", str(tmp_path / "nowhere.db")])
    assert missing.exit_code == 1 and "nowhere.db：文件不存在（--db 须为已有的诉求账本）" in missing.output
    assert not out.exists()
    done = runner.invoke(main, ["generate", str(records), "--out", str(out), "--as-of", AS_OF.isoformat(),
                                "--format", "md", "-q", "--db", str(other)])
    assert done.exit_code == 0, done.output
    assert asked.id in (out / CODE / "brief.md").read_text(encoding="utf-8")
    assert asked.id not in (out / OTHER / "brief.md").read_text(encoding="utf-8")
    assert not ledger_path(out).exists()  # the folder's own ledger is neither made nor read


def test_a_returned_request_is_said_to_wait_for_a_department(kb, records, tmp_path):
    out = tmp_path / "out"
    run(records, out, kb)
    with Ledger.open(ledger_path(out)) as ledger:
        asked = register(ledger, CODE, "技术", "希望申报市级重大技术专项")
        ledger.transition(asked.id, "交办", by="市经信局", at="2022-06-02")
        for department in ("市科技局", "市经信局"):  # both its departments return it
            ledger.transition(asked.id, "退回", by=department, note="属省级专项", department=department, at="2022-06-06")
    run(records, out, kb)
    row = next(line for line in section((out / CODE / "plan.md").read_text(encoding="utf-8"), "附：诉求办理情况")
               .splitlines() if asked.id in line or "希望申报市级重大技术专项" in line)
    assert "| （待重新交办） | 已退回，已逾期 |" in row
    brief = (out / CODE / "brief.md").read_text(encoding="utf-8")
    assert f"- {asked.id} 技术：希望申报市级重大技术专项（已退回，待重新交办，6月2日到期，已逾期）" in brief
    with Ledger.open(ledger_path(out)) as ledger:  # handed on: as any other again
        ledger.transition(asked.id, "交办", by="市经信局", departments=["市科技局"], at="2022-06-10")
    run(records, out, kb)
    assert "已退回" not in (out / CODE / "brief.md").read_text(encoding="utf-8")


def test_a_co_held_request_half_done_says_which_departments_have_answered(kb, records, tmp_path):
    out = tmp_path / "out"
    run(records, out, kb)
    with Ledger.open(ledger_path(out)) as ledger:
        asked = register(ledger, CODE, "技术", "希望申报市级重大技术专项")  # 市科技局、市经信局
        ledger.transition(asked.id, "交办", by="市经信局", at="2022-06-02")
        ledger.transition(asked.id, "办结", by="张三", department="市科技局", note="已辅导申报", at="2022-06-06")
    run(records, out, kb)
    row = next(line for line in section((out / CODE / "plan.md").read_text(encoding="utf-8"), "附：诉求办理情况")
               .splitlines() if "希望申报市级重大技术专项" in line)
    assert "| 市科技局、市经信局 | 市科技局已办结，尚待市经信局，已逾期 |" in row
    brief = (out / CODE / "brief.md").read_text(encoding="utf-8")
    (line,) = [line for line in brief.splitlines() if line.startswith(f"- {asked.id} 技术：希望申报")]
    # which department has answered and which not (a bare 已办结 misled); the text cut to fit the line
    assert line.endswith("…（市科技局已办结，尚待市经信局，6月2日到期，已逾期）")


def test_briefs_printed_from_a_list_carry_the_requests_as_generate_prints_them(with_requests, records, runner,
                                                                              tmp_path):
    """``planner briefs LIST --combined`` reads the ledger once, as of the briefs' date: each brief
    lists the enterprise's open requests exactly as its brief from ``planner generate``."""
    from planner.cli import main

    out, roles, _, _ = with_requests
    target = tmp_path / "today.pdf"
    result = runner.invoke(main, ["briefs", str(records), "--combined", str(target), "--id", f"{CODE},{OTHER}",
                                  "--db", str(ledger_path(out)), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    pages = [page.extract_text() for page in PdfReader(target).pages]
    assert len(pages) == 2
    line = f"{roles['late'].id} 融资：希望对接低息贷款，缓解流动资金压力（待交办，6月2日到期，已逾期）"
    assert squash(line) in squash(pages[0])
    assert squash(f"走访编号：{CODE}-20220615") in squash(pages[0])
    def body(text):  # the brief without its running footer (the combined PDF's title and page count)
        return squash(text).rsplit("？", 1)[0]

    assert body(pages[0]) == body(pdf_text(out / CODE / "走访简报.pdf"))  # the same brief
    assert "待跟进诉求" not in pages[1]  # no request of its own
    plain = tmp_path / "plain.pdf"  # no ledger (none in ./output): the briefs as before
    result = runner.invoke(main, ["briefs", str(records), "--combined", str(plain), "--id", CODE,
                                  "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "待跟进诉求" not in pdf_text(plain)
    missing = runner.invoke(main, ["briefs", str(records), "--combined", str(plain), "--db", str(tmp_path / "x.db")])
    assert missing.exit_code == 2 and "诉求账本不存在" in missing.output


@pytest.mark.parametrize(("state", "extra", "brief", "plan"), [
    ("登记", {}, "待交办，6月20日到期", "待交办"),
    ("交办", {}, "已交办，6月20日到期", "已交办"),
    ("交办", {"returned": True, "departments": []}, "已退回，待重新交办，6月20日到期", "已退回"),
    ("办理中", {}, "办理中，6月20日到期", "办理中"),
    ("办理中", {"done": ["市人力社保局"]}, "市人力社保局已办结，尚待市经信局，6月20日到期",
     "市人力社保局已办结，尚待市经信局"),
    ("办结", {}, "已办结，请回访", "已办结，待回访"),
    ("回访", {}, "已回访，待销号", "已回访，待销号"),
])
def test_every_open_state_reads_in_a_cadres_words_on_the_brief_and_in_the_plan(state, extra, brief, plan):
    """The ledger's step names (登记, 交办, 办结) are not sentences: each open state says what has
    happened and, once the departments have finished, what comes next, with no due date then; a
    co-held request half answered never reads a bare 已办结 (the new-user trial's 办结，6月23日到期)."""
    from planner.view import _state_shown, follow_up_state

    request = {"id": "SQ-2022-000001", "category": "用工", "text": "招工", "state": state, "due": "2022-06-20",
               "departments": ["市人力社保局", "市经信局"], "pending": state in ("登记", "交办", "办理中"),
               "open": True, "measures": [], **extra}
    assert follow_up_state(request, dt.date(2022, 6, 15)) == brief
    assert _state_shown(request, False) == plan
    if request["pending"]:  # past its due date
        assert follow_up_state(request, dt.date(2022, 6, 21)) == f"{brief}，已逾期"
        assert _state_shown(request, True) == f"{plan}，已逾期"


def test_the_brief_keeps_the_longest_overdue_requests_when_more_are_open():
    """Three lines for five open requests: the two overdue ones, the longest overdue first, then one
    the departments have done (to 回访), not the first three by number (trial 28)."""
    from planner.view import brief_requests

    def req(n, due, state="交办"):
        return {"id": f"SQ-2022-00000{n}", "category": "融资", "text": "文本", "state": state, "departments": ["市经信局"],
                "due": due, "pending": state in ("登记", "交办", "办理中"), "open": True, "measures": []}

    requests = [req(1, "2022-06-28"), req(2, "2022-06-20"), req(3, "2022-06-10"), req(4, "2022-06-24", "办结"),
                req(5, "2022-06-29")]
    kept, more = brief_requests(requests, dt.date(2022, 6, 27), 3)
    assert [r["id"][-1] for r in kept] == ["3", "2", "4"] and more == 2
    assert all(r["overdue"] for r in kept[:2]) and not kept[2]["overdue"]
