"""How a plan reads (issue 12): sections, core measures first, a task table, a signature, sources
once, no provenance in the enterprise's copy, and a page budget over the bundled samples."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import statistics

import pytest
from pypdf import PdfReader

from planner import uscc
from planner.generate import Renderer
from planner.matching import match
from planner.records import Record
from planner.render import Templates
from planner.view import LINE_WIDTH, display_width, measure_section, plan_context

from conftest import AS_OF, EXAMPLES, sample_ids
from test_render import STRESS, generated, pdf_text, squash  # noqa: F401  (the session's PDFs, generated once)

STRESS_ID = "91330206NB9999997D"
TASK_HEADER = "| 序号 | 措施 | 责任单位 | 责任人 | 完成时限 | 办理情况 |"


def factory(**facts) -> dict:
    """A medium automotive manufacturer with a cadre, reporting chip shortage."""
    return {"id": uscc.make("91330282", "LC000002"), "name": "宁波版式测试汽车部件有限公司", "sector": "automotive",
            "industry_code": "C3670", "district": "cixi", "entity_type": "enterprise", "employees": 400,
            "revenue": 20000, "assets": 18000, "production_status": "normal", "cadre": "王版式（慈溪市经信局）",
            "difficulties": ["chip_shortage"], **facts}


def plan_of(kb, facts, as_of=AS_OF):
    return match(Record(dict(facts), "test"), kb, as_of)


def render(kb, plan):
    return Renderer(kb, Templates.from_option(None)).render(plan)


def section(md: str, heading: str) -> str:
    """The text of one ``## `` section of a plan."""
    start = md.index(f"## {heading}")
    rest = md[start + 3:]
    end = rest.find("\n## ")
    return rest if end < 0 else rest[:end]


def test_the_plan_has_its_sections_in_order(kb):
    md = render(kb, plan_of(kb, factory())).plan_md
    headings = re.findall(r"^## (.+)$", md, re.M)
    assert headings == ["一、企业基本情况", "二、企业面临的主要困难", "三、重点帮扶措施", "四、可享受的普惠政策",
                        "五、待核实事项", "六、时间节点", "七、任务分解表", "附：政策依据", "附：未纳入的措施及原因"]


def test_the_facts_table_is_four_columns_wide(kb):
    md = render(kb, plan_of(kb, factory())).plan_md
    table = [line for line in section(md, "一、企业基本情况").splitlines() if line.startswith("|")]
    assert table[0] == "| 项目 | 内容 | 项目 | 内容 |"
    assert all(line.count("|") == 5 for line in table)
    assert "| 从业人员 | 400 |" in md and "| 行业门类 | 制造业（按行业代码C3670） |" in md  # a derived fact: its basis


def test_the_task_table_has_a_row_per_core_measure_with_cadre_and_chinese_date(kb):
    plan = plan_of(kb, factory())
    context = plan_context(plan, kb)
    md = render(kb, plan).plan_md
    table = section(md, "七、任务分解表").splitlines()
    assert TASK_HEADER in table
    rows = [line for line in table if re.match(r"^\| \d+ \|", line)]
    assert context["measures"] and context["universal"], "the test needs measures in both sections"
    assert len(rows) == len(context["measures"])
    for row, m in zip(rows, context["measures"]):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == m["title"] and cells[2] == m["city_lead"]
        assert cells[3] == "王版式"  # the name; the plan names the cadre with the unit below the table
        assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日|长期有效", cells[4]), cells[4]
        assert cells[5] == ""
    assert "责任人为包联干部王版式（慈溪市经信局）。" in section(md, "七、任务分解表")
    for u in context["universal"]:  # a universal measure is a row of 四, not a task
        assert not any(f"| {u['title']} |" in r for r in rows)
    assert "属地责任单位：慈溪市经济和信息化局。" in section(md, "七、任务分解表")  # the local unit, once
    # the signature: one paragraph of two lines (plan.css sets it as GB/T 9704 does, on the right)
    assert "宁波市经济和信息化局\\\n2022年6月15日\n" in section(md, "七、任务分解表")


def test_without_a_cadre_the_responsible_person_is_left_blank(kb):
    facts = factory()
    del facts["cadre"]
    md = render(kb, plan_of(kb, facts)).plan_md
    rows = [line for line in section(md, "七、任务分解表").splitlines() if re.match(r"^\| \d+ \|", line)]
    assert rows and all(row.split("|")[4].strip() == "" for row in rows)


def test_a_task_is_due_at_the_enterprise_deadline_before_the_measure_ends(kb):
    plan = plan_of(kb, factory(production_status="stopped", key_enterprise=True))
    by_title = {m["title"]: m for m in plan_context(plan, kb)["measures"]}
    assert by_title["停产减产重点企业帮扶"]["due"] == "2022年6月30日"  # 帮扶率 due at the half year
    assert by_title["“芯机”对接保障芯片供应"]["due"] == "2022年12月31日"


def test_section_follows_eligibility_and_the_reported_difficulties(kb):
    specs = {m.id: m for m in kb.all_measures()}
    quiet = plan_of(kb, factory(difficulties=[]))
    costly = plan_of(kb, factory(difficulties=["chip_shortage", "energy_supply"]))
    cost = next(m for m in quiet.measures if m.id == "citywide_utility_cost_reduction")
    assert measure_section(cost, specs[cost.id]) == "universal"  # for all, no eligibility, nothing answered
    cost = next(m for m in costly.measures if m.id == "citywide_utility_cost_reduction")
    assert measure_section(cost, specs[cost.id]) == "core"  # it answers 用能保障, which the enterprise reported
    for plan in (quiet, costly):
        for m in plan.measures:
            if m.scope != "citywide":
                assert measure_section(m, specs[m.id]) == "core"
        vat = next(m for m in plan.measures if m.id == "citywide_vat_refund")
        assert measure_section(vat, specs[vat.id]) == "core"  # decided by its eligibility and branches
    cadre = next(m for m in costly.measures if m.id == "citywide_cadre_service")
    assert specs[cadre.id].section == "universal" and measure_section(cadre, specs[cadre.id]) == "universal"


def test_one_more_difficulty_does_not_reshuffle_the_core_measures(kb):
    one = [m["id"] for m in plan_context(plan_of(kb, factory()), kb)["measures"]]
    two = [m["id"] for m in plan_context(plan_of(kb, factory(difficulties=["chip_shortage", "costs"])),
                                         kb)["measures"]]
    assert [i for i in two if i in one] == [i for i in one if i in two]
    assert len(two) > len(one), "the test needs the added difficulty to bring a measure in"


def test_sources_are_listed_once_and_every_reference_resolves(kb):
    md = render(kb, plan_of(kb, factory(production_status="stopped", key_enterprise=True))).plan_md
    sources = re.findall(r"〔(\d+)〕([^；。]+)", section(md, "附：政策依据"))
    assert [int(n) for n, _ in sources] == list(range(1, len(sources) + 1))
    assert len({text for _, text in sources}) == len(sources)
    refs = {int(n) for ref in re.findall(r"〔依据([\d、]+)〕", md) for n in ref.split("、")}
    assert refs == set(range(1, len(sources) + 1))
    assert "政策依据**" not in section(md, "三、重点帮扶措施")  # no long quote per measure any more


def test_the_timeline_keeps_real_dates_and_folds_the_common_end(kb):
    plan = plan_of(kb, factory(production_status="stopped", key_enterprise=True))
    md = render(kb, plan).plan_md
    timeline = section(md, "六、时间节点")
    assert "截止 |" not in timeline
    assert "其余措施实施期限至2022年12月31日。" in timeline
    day = next(line for line in timeline.splitlines() if line.startswith("| 2022年6月30日 |"))
    assert "停产减产重点企业帮扶率（上半年）" in day and "；" in day  # one row a day, its events joined
    assert len([line for line in timeline.splitlines() if line.startswith("| 2022年6月30日 |")]) == 1
    late = plan_of(kb, factory(), dt.date(2022, 12, 20))  # a measure about to end is a date to act on
    assert "截止 |" in section(render(kb, late).plan_md, "六、时间节点")


def test_the_brief_shows_scale_and_facts_on_record(kb):
    debts = [{"debtor": "某区住建局", "debtor_type": "government", "amount": 120, "disputed": False,
              "in_litigation": False},
             {"debtor": "某国企", "debtor_type": "large", "amount": 30.5, "disputed": True, "in_litigation": False}]
    brief = render(kb, plan_of(kb, factory(receivables=debts, utility_arrears=True, rents_premises=False))).brief_md
    assert "| 从业人员 | 400 | 营业收入（万元） | 20000 |" in brief
    assert "| 被拖欠账款 | 2笔，合计150.5万元 | 水电气欠费 | 是 |" in brief
    assert "| 租赁经营场所 | 否 |" in brief


def small_manufacturer(**facts) -> dict:
    """The factory's enterprise made small, with a VAT credit to refund and in temporary difficulty."""
    return factory(size="small", employees=60, revenue=3000, assets=2000, vat_taxpayer_type="general",
                   vat_credit_balance=True, tax_credit_rating="A", temporary_difficulty=True, **facts)


def measure_lines(brief_md: str) -> dict:
    """The brief's measure lines by title: the text after 〔status〕."""
    part = brief_md[brief_md.index("## 宣讲措施"):brief_md.index("## 走访提问")]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\d+\. (.+?)〔[^〕]+〕(.+)$", part, re.M)}


def test_a_brief_states_the_benefit_of_the_case_that_fits(kb):
    plan = plan_of(kb, small_manufacturer())
    cases = {m.id: m.branch["id"] for m in plan.measures if m.branch}
    assert cases["citywide_vat_refund"] == "six_industries", "the test needs the manufacturing case"
    assert cases["citywide_social_insurance_deferral"] == "hardship_industry", "the test needs the C36 case"
    lines = measure_lines(render(kb, plan).brief_md)
    assert lines["增值税留抵退税"] == "制造业等六行业按月全额退还增量、一次性退还存量留抵税额"
    # 人社部发〔2022〕31号: in a hardship industry the pension deferral ends with 2022, the other two may run a year
    assert lines["阶段性缓缴社会保险费"] == "养老缓缴至年底，失业、工伤最长缓缴1年，免滞纳金"

    affected = plan_of(kb, small_manufacturer(in_affected_area=True))  # the affected-area case: all three to year-end
    assert {m.id: m.branch["id"] for m in affected.measures if m.branch}[
        "citywide_social_insurance_deferral"] == "affected_area"
    assert measure_lines(render(kb, affected).brief_md)["阶段性缓缴社会保险费"].startswith(
        "养老、失业、工伤单位缴费部分缓缴至年底，免滞纳金")


def test_a_measure_without_a_case_states_its_own_benefit(kb):
    plan = plan_of(kb, factory())
    lines = measure_lines(render(kb, plan).brief_md)
    chip = next(m for m in plan.measures if m.id == "automotive_chip_matchmaking")
    assert chip.branch is None and chip.status == "applies"
    assert lines["“芯机”对接保障芯片供应"] == "“芯机”对接拓展芯片货源，协调替代型号验证"


def test_a_brief_leads_with_what_the_plan_leads_with(kb):
    """The brief presents the plan's 重点帮扶措施 before its 普惠政策: an automotive factory hears of
    the chip and parts matchmaking its plan opens with, not of umbrella services first (trial 26)."""
    rendered = render(kb, plan_of(kb, factory()))
    core = re.findall(r"^### （[一二三四五六七八九十]+）(.+)$", section(rendered.plan_md, "三、重点帮扶措施"), re.M)
    shown = list(measure_lines(rendered.brief_md))
    assert "“芯机”对接保障芯片供应" in core[:2]
    assert shown == [t for t in shown if t in core] + [t for t in shown if t not in core]  # core first
    assert set(core[:3]) <= set(shown)  # the plan's first core measures all reach the brief
    # money first among them (visits.yaml order): the VAT refund, when it applies, leads
    if "增值税留抵退税" in core:
        assert shown[0] == "增值税留抵退税"


def test_a_long_cadre_is_printed_whole_on_two_lines_of_its_cell(kb):
    """A zone bureau's cadre is wider than the facts table's value cell: it wraps onto a second line
    of the cell, whole, and the brief (which counts that line) still takes one page at the full
    budget. Before, it was cut to 袁志华（东钱湖旅游度假… (trial 26)."""
    from planner.generate import BRIEF_PDF
    from planner.view import FACT_WIDTH

    cadre = "袁志华（杭州湾新区开发建设管委会经发局）"
    assert FACT_WIDTH < display_width(cadre) <= 2 * FACT_WIDTH
    renderer = Renderer(kb, Templates.from_option(None))
    rendered = renderer.render(plan_of(kb, factory(cadre=cadre)))
    assert f"| 包联干部 | {cadre} |" in rendered.brief_md
    short = renderer.render(plan_of(kb, factory()))
    count = lambda md: len(re.findall(r"^\d+\. ", md, re.M))  # noqa: E731  (measure and question lines)
    assert count(rendered.brief_md) == count(short.brief_md) - 1  # the cell's second line is paid for
    pdfs = renderer.pdfs(rendered)
    assert "brief.md" not in pdfs  # no fallback was needed
    reader = PdfReader(io.BytesIO(pdfs[BRIEF_PDF]))
    assert len(reader.pages) == 1
    assert squash(cadre) in squash(reader.pages[0].extract_text())


def test_without_a_benefit_a_case_falls_back_to_its_short_note(sectors_copy):
    from planner import knowledge

    path = sectors_copy / "citywide.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text("".join(line for line in text.splitlines(keepends=True) if " benefit: " not in line),
                    encoding="utf-8")
    kb = knowledge.load(sectors_copy)
    plan = plan_of(kb, small_manufacturer(in_affected_area=True))
    lines = measure_lines(render(kb, plan).brief_md)
    assert lines["阶段性缓缴社会保险费"] == "三项社会保险费单位缴费部分缓缴至2022年底，缓缴期间免收滞纳金"
    assert lines["增值税留抵退税"].startswith("市税务局")  # its note is too long for a brief line: its lead


def test_every_measure_has_a_short_benefit(kb):
    from planner.view import display_width

    for m in kb.all_measures():
        assert m.benefit and display_width(m.benefit) <= 60 and not m.benefit.endswith("。"), m.id
        for b in m.branches:
            assert not b.benefit or display_width(b.benefit) <= 60, (m.id, b.id)


@pytest.mark.parametrize("code", sample_ids() + [STRESS_ID])
def test_a_measure_line_is_printed_whole(generated, code):  # noqa: F811
    """A measure's line (title, status, benefit) is printed whole, never clipped; one that wraps onto
    a second line of the PDF is counted so by fit_brief."""
    md = (generated / code / "brief.md").read_text(encoding="utf-8")
    part = md[md.index("## 宣讲措施"):md.index("## 走访提问")]
    lines = [line.split(". ", 1)[1] for line in part.splitlines() if re.match(r"^\d+\. ", line)]
    assert lines
    text = squash(pdf_text(generated / code / "走访简报.pdf"))
    for line in lines:
        assert squash(line) in text


def test_every_brief_fits_one_page_with_the_full_budget(kb, generated):  # noqa: F811
    """No brief of the samples or the stress record needs a fallback: what generate wrote is the brief
    of the default limits (a fallback costs a second PDF rendering and cuts more)."""
    from planner.records import read_records

    for source in (STRESS, EXAMPLES / "enterprises.yaml"):
        for record in read_records(source, kb).records:
            plan = match(record, kb, AS_OF)
            assert (generated / plan.id / "brief.md").read_text(encoding="utf-8") == render(kb, plan).brief_md, plan.id


@pytest.mark.parametrize("code", sample_ids() + [STRESS_ID])
def test_no_hash_or_version_on_the_enterprise_copy(generated, code):  # noqa: F811
    provenance = json.loads((generated / code / "plan.json").read_text(encoding="utf-8"))["provenance"]
    for name in ("plan.md", "brief.md"):
        text = (generated / code / name).read_text(encoding="utf-8")
        assert "planner 0." not in text and provenance["generator"] not in text
        assert provenance["profiles"] not in text and provenance["record"] not in text
        assert not re.search(r"\b[0-9a-f]{16}\b", text)


def page_counts(generated):  # noqa: F811
    codes = sample_ids() + [STRESS_ID]
    plans = {c: len(PdfReader(generated / c / "帮扶方案.pdf").pages) for c in codes}
    briefs = {c: len(PdfReader(generated / c / "走访简报.pdf").pages) for c in codes}
    return plans, briefs


def test_every_brief_is_one_page(generated):  # noqa: F811
    _, briefs = page_counts(generated)
    assert set(briefs.values()) == {1}, briefs


def test_plans_keep_to_the_page_budget(generated):  # noqa: F811
    plans, _ = page_counts(generated)
    assert statistics.median(plans.values()) <= 4, plans
    assert max(plans.values()) <= 6, plans


def test_check_refuses_an_unknown_section(runner, sectors_copy):
    from planner.cli import main

    path = sectors_copy / "citywide.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    section: universal" in text
    path.write_text(text.replace("    section: universal", "    section: appendix", 1), encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code != 0
    assert "appendix" in result.output and "section" in result.output


def test_check_refuses_a_benefit_that_is_not_a_text_naming_file_and_line(runner, sectors_copy):
    from planner.cli import main

    path = sectors_copy / "citywide.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    measure = next(i for i, line in enumerate(lines) if line.startswith("    benefit: 无分歧欠款100%清偿"))
    branch = next(i for i, line in enumerate(lines) if line.startswith("        benefit: 2022年减免3个月租金"))
    lines[measure] = "    benefit: [a, b]\n"
    lines[branch] = "        benefit: " + "减免租金" * 9 + "\n"  # 36 characters: more than two brief lines
    path.write_text("".join(lines), encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code != 0
    assert f"citywide.yaml:{measure + 1}: " in result.output and "benefit: 应为文字，实为列表" in result.output
    assert f"citywide.yaml:{branch + 1}: " in result.output and "branches[1].benefit: 太长（36个字）" in result.output


def test_each_brief_fallback_asks_no_more_room_than_the_one_before():
    """A brief that overflows is retried with FALLBACK_LIMITS in turn: each must cut, never grow
    (the last one once had ten request lines, by position, where ten body lines were meant)."""
    from dataclasses import fields as dataclass_fields

    from planner.generate import FALLBACK_LIMITS
    from planner.view import BriefLimits

    chain = (BriefLimits(),) + FALLBACK_LIMITS
    for before, after in zip(chain, chain[1:]):
        for f in dataclass_fields(BriefLimits):
            assert getattr(after, f.name) <= getattr(before, f.name), (f.name, before, after)


def test_a_measure_that_covers_another_is_shown_instead_of_it(kb):
    """畅通汽车产业链物流 covers the citywide 物流运输畅通: an automotive firm with blocked logistics
    gets one logistics measure, and the plan says where the other went."""
    plan = plan_of(kb, factory(difficulties=["logistics"]))
    ids = [m.id for m in plan.measures]
    assert "automotive_logistics" in ids and "citywide_logistics" not in ids
    left = next(m for m in plan.not_matched if m["id"] == "citywide_logistics")
    assert left["reasons"] == ["已并入“畅通汽车产业链物流”"]
    assert "物流运输畅通（已并入“畅通汽车产业链物流”）" in section(render(kb, plan).plan_md, "附：未纳入的措施及原因")
    other = plan_of(kb, factory(sector="equipment", industry_code="C3421", difficulties=["logistics"]))
    assert "citywide_logistics" in [m.id for m in other.measures]  # no sector measure covers it there


def test_check_refuses_a_cover_outside_the_profile_and_the_citywide_measures(runner, sectors_copy):
    from planner.cli import main

    path = sectors_copy / "automotive.yaml"
    text = path.read_text(encoding="utf-8")
    assert "covers: [citywide_logistics]" in text
    path.write_text(text.replace("covers: [citywide_logistics]", "covers: [equipment_first_use]"), encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code != 0
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "covers:" in t)
    assert f"automotive.yaml:{line}" in result.output and "equipment_first_use" in result.output, result.output


def test_fact_finding_steps_stay_off_the_plan_but_in_plan_json(kb):
    plan = plan_of(kb, factory())
    chip = next(m for m in plan.measures if m.id == "automotive_chip_matchmaking")
    assert chip.checks and chip.actions
    out = render(kb, plan)
    core = section(out.plan_md, "三、重点帮扶措施")
    assert all(c not in core for c in chip.checks) and all(a in core for a in chip.actions)
    assert next(m for m in json.loads(out.plan_json)["measures"]
                if m["id"] == "automotive_chip_matchmaking")["checks"] == chip.checks


def test_check_refuses_a_chain_of_covers(runner, sectors_copy):
    from planner.cli import main

    path = sectors_copy / "citywide.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "  - id: citywide_logistics\n"
    assert anchor in text
    path.write_text(text.replace(anchor, anchor + "    covers: [citywide_chain_request_handling]\n"), encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code != 0 and "citywide_logistics" in result.output and "自己也有 covers" in result.output


def drawn_right_edge(pdf_path) -> float:
    """The rightmost x (pt) of any rule or box drawn on the first page: WeasyPrint draws in CSS px
    under one 0.75 scale, so the operands are read as they are."""
    from pypdf.generic import ContentStream

    reader = PdfReader(pdf_path)
    ops = ContentStream(reader.pages[0].get_contents(), reader).operations
    assert sum(op == b"cm" for _, op in ops) == 2, "a nested transform: the operands would need it"
    xs = [float(o[0]) + float(o[2]) for o, op in ops if op == b"re"] + [float(o[0]) for o, op in ops
                                                                         if op in (b"l", b"m")]
    return max(xs) * 0.75


@pytest.mark.parametrize("code", sample_ids()[:6] + [STRESS_ID])
def test_a_briefs_tables_stay_inside_the_page_margins(generated, code):  # noqa: F811
    """brief.css's 15 mm side margins hold for every table: the facts table's cells once summed to
    100% before their padding and ran 36 pt past the right margin (trial 28)."""
    path = generated / code / "走访简报.pdf"
    width = float(PdfReader(path).pages[0].mediabox.width)
    assert drawn_right_edge(path) <= width - 15 / 25.4 * 72 + 0.5
