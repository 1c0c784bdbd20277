"""The request ledger (planner.requests): state machine, append-only events, migrations,
concurrency, crash safety, routing and due dates over the 2022 holidays."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.requests import (Conflict, IllegalTransition, Ledger, LedgerError, RulesError, UnknownRequest,
                              ledger_path, load_rules)
from planner.resources import bundled

ENTERPRISE = "91330206MA2H000001"
VISIT = dt.date(2022, 6, 15)


@pytest.fixture
def ledger(tmp_path):
    with Ledger.open(tmp_path / "out" / "requests.db") as opened:
        yield opened


def _register(ledger, text="希望协调一笔低息贷款", category="融资", urgency="简单", visit=VISIT, **kw):
    kw.setdefault("at", visit)
    return ledger.register(ENTERPRISE, "宁波某某机械有限公司", category, text, urgency, visit, "王明", **kw)


# --- the state machine, driven at random -------------------------------------------------------

# The model, written out here independently of planner.requests.machine: (state, step) -> next
# state; 回访 by verdict. Anything not listed is illegal.
OPEN_STATES = ["登记", "交办", "办理中", "办结", "回访"]
MODEL = {
    ("登记", "交办"): "交办",
    ("交办", "交办"): "交办",
    ("交办", "办理中"): "办理中",
    ("交办", "办结"): "办结",
    ("办理中", "办结"): "办结",
    ("办结", "回访", True): "回访",
    ("办结", "回访", False): "办理中",
    ("回访", "销号"): "销号",
    ("交办", "退回"): "交办",
    ("办理中", "退回"): "交办",
    ("交办", "督办"): "交办",
    ("办理中", "督办"): "办理中",
    **{(state, "撤回"): "撤回" for state in OPEN_STATES},
}
ALL_STATES = {"登记", "交办", "办理中", "办结", "回访", "销号", "撤回"}
STEP_NAMES = ["交办", "办理中", "办结", "回访", "销号", "退回", "督办", "撤回", "登记", "作废"]


def _model_next(state, step, note, satisfied, departments, handed=("市经信局",)):
    """The next state, or None when the step must be refused (``handed``: the departments the
    request is with now; a 退回 without new ones leaves none, and 交办 then needs them)."""
    if step == "回访":
        if satisfied is None:
            return None
        nxt = MODEL.get((state, step, satisfied))
    else:
        if satisfied is not None:
            return None
        nxt = MODEL.get((state, step))
    if nxt is None:
        return None
    if step in ("退回", "撤回", "督办") and not note:
        return None
    if departments is not None and step not in ("交办", "退回"):
        return None
    if step == "交办" and departments is None and not handed:
        return None
    return nxt


DEPARTMENT_NAMES = [None, None, "市经信局", "市商务局", "市地方金融监管局"]


def _model_step(m: dict, step, note, satisfied, departments, department):
    """The request ``m`` (state, handed, done, returned) after the step, or None when the step must
    be refused. A co-held request (two or more departments) is 办结 when every department has
    answered 办结 (until then 办理中); a department's 退回 takes it alone off, the others carrying
    on where the request stood; 办结 and 退回 of a co-held request must name their department."""
    state, handed, done = m["state"], m["handed"], m["done"]
    nxt = _model_next(state, step, note, satisfied, departments, handed)
    if nxt is None:
        return None
    if department is not None:
        if step not in ("办理中", "办结", "退回") or departments is not None or department not in handed:
            return None
        if step == "办结" and department in done:
            return None
    elif len(handed) > 1 and departments is None and step in ("办结", "退回"):
        return None
    returned = m["returned"]
    if step == "交办":
        handed, done, state, returned = (departments if departments is not None else handed), (), nxt, False
    elif step == "退回" and department is not None:
        handed = tuple(d for d in handed if d != department)
        done = tuple(d for d in done if d in handed)
        if not handed:
            state, returned = "交办", True
        elif all(d in done for d in handed):
            state, returned = "办结", False
        # else: the others carry on, the request where it was (returned as it was)
    elif step == "退回":
        handed, done, state, returned = (departments if departments is not None else ()), (), "交办", True
    elif step == "办结" and department is not None:
        done = done + (department,)
        state = "办结" if all(d in done for d in handed) else "办理中"
        returned = False
    elif step == "督办":
        pass
    else:
        state, returned = nxt, False
    if state != "办理中":
        done = ()
    return {"state": state, "handed": handed, "done": done, "returned": returned}


step_strategy = st.tuples(
    st.integers(0, 2),  # which request
    st.sampled_from(STEP_NAMES),
    st.sampled_from(["", "企业已另行解决"]),
    st.sampled_from([None, True, False]),
    st.sampled_from([None, ("市经信局",), ("市商务局", "市经信局")]),
    st.sampled_from(DEPARTMENT_NAMES),  # whose answer it is
)


@settings(max_examples=80, deadline=None)
@given(steps=st.lists(step_strategy, max_size=40), in_one_transaction=st.booleans())
def test_random_steps_never_reach_an_illegal_state_and_replay_agrees(steps, in_one_transaction):
    with tempfile.TemporaryDirectory() as folder, Ledger.open(Path(folder) / "requests.db") as ledger:
        ids = [_register(ledger, text=f"诉求{i}").id for i in range(3)]
        model = {rid: {"state": "登记", "handed": ledger.get(rid).departments, "done": (), "returned": False}
                 for rid in ids}

        def run():
            for which, step, note, satisfied, departments, department in steps:
                rid = ids[which]
                before, events_before = ledger.get(rid), len(ledger.events())
                expected = _model_step(model[rid], step, note, satisfied, departments, department)
                if expected is None:
                    with pytest.raises(LedgerError):
                        ledger.transition(rid, step, by="测试员", note=note, departments=departments,
                                          satisfied=satisfied, department=department, at=VISIT)
                    assert ledger.get(rid) == before  # nothing written
                    assert len(ledger.events()) == events_before
                    continue
                after = ledger.transition(rid, step, by="测试员", note=note, departments=departments,
                                          satisfied=satisfied, department=department, at=VISIT)
                model[rid] = expected
                assert (after.state, after.departments, after.done, after.returned) == (
                    expected["state"], expected["handed"], expected["done"], expected["returned"])
                assert after.state in ALL_STATES
                if after.done:
                    assert after.shown_state == (f"办理中（{len(after.done)}/{len(after.departments)} 部门已办结："
                                                 f"{'、'.join(after.done)}）")
                assert len(ledger.events()) == events_before + 1

        if in_one_transaction:
            with ledger.transaction():
                run()
        else:
            run()
        replayed = ledger.replay()
        for rid in ids:
            request, m = ledger.get(rid), model[rid]
            assert request.state == m["state"] == replayed[rid].state
            assert request.departments == m["handed"] == replayed[rid].departments
            assert request.done == m["done"] == replayed[rid].done
            assert request.returned == m["returned"] == replayed[rid].returned
            assert request.event_count == replayed[rid].events == len(ledger.events(rid))
            assert request.closed_at == replayed[rid].closed_at
        assert ledger.verify() == []


def test_illegal_step_names_request_and_state(ledger):
    rid = _register(ledger).id
    ledger.transition(rid, "交办", by="市经信局", at=VISIT)
    ledger.transition(rid, "办理中", by="市地方金融监管局", at=VISIT)
    with pytest.raises(IllegalTransition) as caught:
        ledger.transition(rid, "销号", by="王明", at=VISIT)
    assert caught.value.format_message() == "SQ-2022-000001：当前状态为“办理中”，不能直接销号（须先办结并回访）"
    with pytest.raises(IllegalTransition) as caught:
        ledger.transition(rid, "交办", by="市经信局", at=VISIT)
    assert caught.value.format_message() == \
        "SQ-2022-000001：当前状态为“办理中”，不能交办（只有状态为“登记”“交办”的诉求可以交办）"
    with pytest.raises(IllegalTransition, match="退回须写明理由"):
        ledger.transition(rid, "退回", by="市地方金融监管局", at=VISIT)
    ledger.transition(rid, "退回", by="市地方金融监管局", note="属商业银行授信事项", departments=["市经信局"], at=VISIT)
    assert ledger.get(rid).state == "交办"
    assert ledger.get(rid).departments == ("市经信局",)
    ledger.transition(rid, "撤回", by="王明", note="企业已自行解决", at=VISIT)
    assert ledger.find(status="退回") == []  # withdrawn since
    with pytest.raises(IllegalTransition) as caught:
        ledger.transition(rid, "交办", by="市经信局", at=VISIT)
    assert caught.value.format_message() == "SQ-2022-000001：当前状态为“撤回”，已经撤回，不能再交办"
    with pytest.raises(UnknownRequest, match="没有编号为“SQ-2022-000099”的诉求"):
        ledger.transition("SQ-2022-000099", "交办", by="x")


def test_a_department_that_returns_a_request_is_taken_off_it_until_it_is_handed_on(ledger):
    rid = _register(ledger, departments=["市地方金融监管局", "市经信局"]).id
    ledger.transition(rid, "交办", by="市经信局", at=VISIT)
    with pytest.raises(LedgerError, match="现由市地方金融监管局、市经信局承办，不由市商务局承办，市商务局不能退回"):
        ledger.transition(rid, "退回", by="李四", note="不属本局", returned_by="市商务局", at=VISIT)
    with pytest.raises(LedgerError, match="只有退回时才注明退回的部门"):
        ledger.transition(rid, "办理中", by="李四", returned_by="市经信局", at=VISIT)
    with pytest.raises(LedgerError, match="由市地方金融监管局、市经信局共同承办，退回须注明是哪个部门退回"):
        ledger.transition(rid, "退回", by="张三", note="不属本局", at=VISIT)  # not every department at once
    one = ledger.transition(rid, "退回", by="张三", note="属商业银行授信事项", returned_by="市地方金融监管局", at=VISIT)
    # the other department carries on: not back to be handed on, not 已退回
    assert (one.state, one.departments, one.returned, one.shown_state) == ("交办", ("市经信局",), False, "交办")
    assert ledger.find(status="退回") == []
    assert [r.id for r in ledger.find(department="市地方金融监管局")] == []
    assert ledger.events(rid)[-1].department == "市地方金融监管局"
    ledger.transition(rid, "办理中", by="王五", at=VISIT)
    assert ledger.find(status="退回") == [] and not ledger.get(rid).returned
    none = ledger.transition(rid, "退回", by="王五", note="须由区里办理", at=VISIT)
    assert (none.departments, none.shown_state) == ((), "交办（已退回）")
    assert ledger.find(department="市经信局") == []
    with pytest.raises(LedgerError, match="已被退回，尚无承办部门；交办须指明承办部门"):
        ledger.transition(rid, "交办", by="市经信局", at=VISIT)
    again = ledger.transition(rid, "交办", by="市经信局", departments=["北仑区经信局"], at=VISIT)
    assert (again.departments, again.returned, again.shown_state) == (("北仑区经信局",), False, "交办")
    assert ledger.replay()[rid].departments == ("北仑区经信局",)
    assert [r.id for r in ledger.find(status=["退回", "交办"])] == [rid]
    assert ledger.verify() == []


def test_a_co_held_request_is_done_when_every_department_has_answered_done(ledger):
    rid = _register(ledger, departments=["市经信局", "市商务局", "市地方金融监管局"]).id
    ledger.transition(rid, "交办", by="市经信局", at="2022-06-16")
    with pytest.raises(LedgerError) as caught:
        ledger.transition(rid, "办结", by="张三", at="2022-06-17")  # one of them alone, unnamed
    assert caught.value.format_message() == ("SQ-2022-000001：由市经信局、市商务局、市地方金融监管局共同承办，"
                                             "办结须注明是哪个部门办结（各部门都办结后诉求才办结）")
    first = ledger.transition(rid, "办结", by="张三", note="已对接", department="市经信局", at="2022-06-17")
    assert (first.state, first.done, first.closed_at) == ("办理中", ("市经信局",), None)
    assert first.shown_state == "办理中（1/3 部门已办结：市经信局）"
    with pytest.raises(LedgerError, match="市经信局已办结，不能重复办结（尚待市商务局、市地方金融监管局办结）"):
        ledger.transition(rid, "办结", by="张三", department="市经信局", at="2022-06-17")
    # one returns it while the others work on: it alone is taken off, the request goes on
    back = ledger.transition(rid, "退回", by="李四", note="不属本局", department="市商务局", at="2022-06-18")
    assert (back.state, back.departments, back.done, back.returned) == (
        "办理中", ("市经信局", "市地方金融监管局"), ("市经信局",), False)
    assert back.shown_state == "办理中（1/2 部门已办结：市经信局）"
    done = ledger.transition(rid, "办结", by="王五", department="市地方金融监管局", at="2022-06-20")
    assert (done.state, done.done, done.closed_at, done.shown_state) == ("办结", (), dt.date(2022, 6, 20), "办结")
    assert [(e.step, e.department) for e in ledger.events(rid)][2:] == [
        ("办结", "市经信局"), ("退回", "市商务局"), ("办结", "市地方金融监管局")]
    # a 回访 not satisfied reopens it for every department
    again = ledger.transition(rid, "回访", by="王明", satisfied=False, at="2022-06-21")
    assert (again.state, again.done, again.closed_at) == ("办理中", (), None)
    ledger.transition(rid, "办结", by="张三", department="市经信局", at="2022-06-22")
    assert ledger.get(rid).state == "办理中"
    # the last to answer returning it leaves the request 办结 with those that answered
    last = ledger.transition(rid, "退回", by="王五", note="须由区里办理", department="市地方金融监管局", at="2022-06-23")
    assert (last.state, last.departments, last.closed_at) == ("办结", ("市经信局",), dt.date(2022, 6, 23))
    assert ledger.replay()[rid] == ledger.replay(as_of="2022-06-23")[rid]
    assert ledger.replay(as_of="2022-06-18")[rid].done == ("市经信局",)
    assert ledger.verify() == []


def test_follow_up_not_satisfied_reopens_and_clears_the_done_date(ledger):
    rid = _register(ledger, departments=["市地方金融监管局"]).id
    ledger.transition(rid, "交办", by="市经信局", at="2022-06-16")
    ledger.transition(rid, "办结", by="市地方金融监管局", at="2022-06-17")
    assert ledger.get(rid).closed_at == dt.date(2022, 6, 17)
    with pytest.raises(IllegalTransition, match="回访须注明企业是否满意"):
        ledger.transition(rid, "回访", by="王明", at="2022-06-18")
    reopened = ledger.transition(rid, "回访", by="王明", satisfied=False, note="利率仍偏高", at="2022-06-18")
    assert (reopened.state, reopened.closed_at, reopened.satisfied) == ("办理中", None, False)
    ledger.transition(rid, "办结", by="市地方金融监管局", at="2022-06-21")
    ledger.transition(rid, "回访", by="王明", satisfied=True, at="2022-06-22")
    closed = ledger.transition(rid, "销号", by="市经信局", at="2022-06-22")
    assert (closed.state, closed.closed_at, closed.satisfied) == ("销号", dt.date(2022, 6, 21), True)
    assert [e.step for e in ledger.events(rid)] == ["登记", "交办", "办结", "回访", "办结", "回访", "销号"]
    assert [e.to_state for e in ledger.events(rid)] == ["登记", "交办", "办结", "办理中", "办结", "回访", "销号"]
    # As of a date, only the events up to it count.
    assert ledger.replay(as_of="2022-06-18")[rid].state == "办理中"
    assert ledger.replay(as_of="2022-06-17")[rid].closed_at == dt.date(2022, 6, 17)
    assert ledger.replay(as_of="2022-06-14") == {}


def test_a_step_dated_before_the_previous_one_is_refused(ledger):
    rid = _register(ledger, departments=["市经信局"]).id
    ledger.transition(rid, "交办", by="市经信局", at="2022-06-20")
    with pytest.raises(LedgerError, match="办结的日期 2022-06-19 早于上一步（交办，2022-06-20）"):
        ledger.transition(rid, "办结", by="市经信局", at="2022-06-19")
    with pytest.raises(LedgerError, match="登记时间 2022-06-14 早于走访日期 2022-06-15"):
        _register(ledger, text="另一条", at="2022-06-14")


# --- registering: routing, due dates, the natural key ------------------------------------------

def test_registration_routes_by_category_and_is_idempotent(ledger):
    first = _register(ledger, category="贷款", district="北仑区", visit_ref="ZF-2022-0001")
    assert (first.id, first.category, first.state, first.created) == ("SQ-2022-000001", "融资", "登记", True)
    assert first.departments == ("市地方金融监管局", "人民银行宁波市中心支行")
    assert first.due_date == dt.date(2022, 6, 16)
    again = _register(ledger, text=" 希望协调一笔低息贷款 ", category="融资", urgency="一般", district="北仑区",
                      visit_ref="ZF-2022-0001")
    assert (again.id, again.created) == (first.id, False)
    assert len(ledger.find()) == 1 and len(ledger.events()) == 1
    with pytest.raises(Conflict) as caught:
        _register(ledger, urgency="复杂", district="北仑区", visit_ref="ZF-2022-0001")
    assert caught.value.existing.id == first.id
    assert caught.value.format_message() == ("与已登记的诉求 SQ-2022-000001 相同（企业、走访日期、类别和内容一致），"
                                             "但紧急程度原为“简单”，现为“复杂”")
    with pytest.raises(Conflict, match="承办部门原为“市地方金融监管局、人民银行宁波市中心支行”，现为“市经信局”"):
        _register(ledger, district="北仑区", visit_ref="ZF-2022-0001", departments=["市经信局"])
    own = _register(ledger, text="招工难，缺熟练焊工", category="用工", departments=["市人力社保局", "北仑区人力社保局"])
    assert own.departments == ("市人力社保局", "北仑区人力社保局")
    assert len(ledger.find()) == 2


def test_unknown_category_and_urgency_list_the_choices(ledger):
    with pytest.raises(LedgerError, match="未知的诉求类别“贷款难题”（可选：融资、用工、用地"):
        _register(ledger, category="贷款难题")
    with pytest.raises(LedgerError, match="未知的紧急程度“特急”（可选：简单、复杂）"):
        _register(ledger, urgency="特急")
    with pytest.raises(LedgerError, match="诉求内容不能为空"):
        _register(ledger, text="  ")


@pytest.mark.parametrize("visit, urgency, due", [
    # 中秋节 10–12 September: Friday the 9th, one working day -> Tuesday the 13th.
    ("2022-09-09", "简单", "2022-09-13"),
    # 国庆节 1–7 October, then Saturday 8 and Sunday 9 October are working days: 3 -> Monday the 10th.
    ("2022-09-30", "复杂", "2022-10-10"),
    # Sunday 24 April 2022 is a working day (劳动节调休): Friday the 22nd + 1 -> that Sunday.
    ("2022-04-22", "简单", "2022-04-24"),
    # 29 and 30 January (Sat, Sun) worked, 春节 31 January – 6 February off: 3 -> Monday 7 February.
    ("2022-01-28", "复杂", "2022-02-07"),
    # 元旦 2023 starts on Saturday 31 December 2022 (国办发明电〔2022〕16号): Friday 30 + 1 -> Tuesday 3 January.
    ("2022-12-30", "简单", "2023-01-03"),
    # An ordinary week: Wednesday + 3 -> Monday.
    ("2022-06-15", "复杂", "2022-06-20"),
])
def test_due_dates_over_holidays_and_adjusted_weekends(ledger, visit, urgency, due):
    request = _register(ledger, visit=dt.date.fromisoformat(visit), urgency=urgency)
    assert request.due_date == dt.date.fromisoformat(due)


def test_calendar_outside_the_listed_years_is_monday_to_friday():
    calendar = load_rules().calendar
    assert calendar.covers(dt.date(2022, 6, 1)) and not calendar.covers(dt.date(2025, 6, 1))
    assert calendar.add_working_days(dt.date(2025, 5, 30), 1) == dt.date(2025, 6, 2)
    assert calendar.working_days_between(dt.date(2022, 9, 30), dt.date(2022, 10, 10)) == 3


def test_a_category_may_set_its_own_time_limit(tmp_path):
    sectors = tmp_path / "sectors"
    shutil.copytree(bundled("sectors"), sectors)
    path = sectors / "requests.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    departments: [市自然资源和规划局]\n",
                        "    departments: [市自然资源和规划局]\n    working_days: {复杂: 10}\n")
    path.write_text(text, encoding="utf-8")
    rules = load_rules(sectors)
    # 10 working days after Wednesday 15 June 2022: 16, 17, 20–24, 27, 28, 29 June.
    assert rules.due_date("用地", "复杂", VISIT) == dt.date(2022, 6, 29)
    assert rules.due_date("用地", "简单", VISIT) == dt.date(2022, 6, 16)
    assert rules.due_date("融资", "复杂", VISIT) == dt.date(2022, 6, 20)


def test_broken_rules_name_file_line_and_key(tmp_path, monkeypatch, runner):
    sectors = tmp_path / "sectors"
    shutil.copytree(bundled("sectors"), sectors)
    monkeypatch.chdir(tmp_path)
    path = sectors / "requests.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("measures: [citywide_logistics,", "measures: [citywide_logistix,")
    text = text.replace("2022-04-24, 2022-05-07", "2022-04-25, 2022-05-07")
    text = text.replace("    aliases: [其它]\n", "    aliases: [其它, 贷款]\n")
    text = text.replace("  撤回: [已撤回]\n", "  撤回: [已撤回, 已退回]\n  完成: [已完成了]\n")
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["check", "--sectors", "sectors"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(l.endswith("categories[4].measures[0]: 未知的措施“citywide_logistix”（须为 sectors/ 中某项措施的 id）")
               and l.startswith("sectors/requests.yaml:") for l in lines), lines
    assert any(l.endswith("categories[11].aliases[1]: “贷款”重复：已是诉求类别“融资”的名称或别名") for l in lines)
    assert any(l.endswith("calendar[0].working_weekends[3]: 2022-04-25 不是周六或周日（调休上班只列周末）") for l in lines)
    assert any(l.endswith("steps.撤回[1]: “已退回”重复：已是步骤“退回”的名称或别名") for l in lines), lines
    assert any(l.endswith("steps.完成: 未知的步骤“完成”（可选：交办、办理中、办结、回访、销号、退回、督办、撤回）")
               for l in lines), lines
    assert len(lines) == 5
    text = text.replace("    working_days: 1\n", "    workdays: 1\n")
    (sectors / "requests.yaml").write_text(text, encoding="utf-8")
    lines = text.splitlines()
    item = lines.index("  - name: 简单") + 1
    key = lines.index("    workdays: 1") + 1
    with pytest.raises(RulesError) as caught:
        load_rules(sectors)
    assert caught.value.format_message() == (
        f"sectors/requests.yaml:{item}: urgencies[0].working_days: 缺少必填的键\n"
        f"sectors/requests.yaml:{key}: urgencies[0].workdays: 未知的键“workdays”（是否应为“working_days”？）")


# --- finding -----------------------------------------------------------------------------------

def test_find_filters_and_overdue(ledger):
    a = _register(ledger, district="北仑区")  # 简单: due 16 June
    b = _register(ledger, text="厂房用地指标", category="用地", urgency="复杂", district="鄞州区")  # due 20 June
    c = _register(ledger, text="物流通行证", category="物流")  # due 16 June
    ledger.transition(c.id, "交办", by="市经信局", at="2022-06-15")
    ledger.transition(c.id, "办结", by="市交通运输局", department="市交通运输局", at="2022-06-16")
    ledger.transition(c.id, "办结", by="市邮政管理局", department="市邮政管理局", at="2022-06-16")
    assert [r.id for r in ledger.find(department="市自然资源和规划局")] == [b.id]
    assert [r.id for r in ledger.find(department="市经信局")] == []
    assert [r.id for r in ledger.find(district="北仑区")] == [a.id]
    assert [r.id for r in ledger.find(status="办结")] == [c.id]
    assert [r.id for r in ledger.find(status=["登记", "办结"])] == [a.id, b.id, c.id]
    assert [r.id for r in ledger.find(overdue_as_of="2022-06-17")] == [a.id]
    assert [r.id for r in ledger.find(overdue_as_of="2022-06-21")] == [a.id, b.id]
    assert ledger.get(a.id).is_overdue(dt.date(2022, 6, 17)) and not ledger.get(c.id).is_overdue(dt.date(2022, 7, 1))
    assert [r.id for r in ledger.find(cadre="王明", enterprise_id=ENTERPRISE.lower())] == [a.id, b.id, c.id]
    with pytest.raises(LedgerError, match="未知的状态“完成”"):
        ledger.find(status="完成")


# --- the database: migrations, append-only, transactions -------------------------------------

def test_migrations_are_recorded_once_and_a_newer_ledger_is_refused(tmp_path):
    path = ledger_path(tmp_path / "out")
    assert path == tmp_path / "out" / "requests.db"
    assert ledger_path(tmp_path / "out", db=tmp_path / "city.db") == tmp_path / "city.db"
    with Ledger.open(path) as ledger:
        first = ledger.migrations()
        _register(ledger)
    assert [(v, n) for v, n, _ in first] == [(1, "initial"), (2, "coheld"), (3, "account")]
    with Ledger.open(path) as ledger:
        assert ledger.migrations() == first  # not applied again
        assert len(ledger.find()) == 1
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.execute("INSERT INTO schema_migrations VALUES (99, 'from_the_future', '2030-01-01T00:00:00+00:00')")
    raw.commit()
    raw.close()
    with pytest.raises(LedgerError, match="不认识的数据库迁移 0099_from_the_future"):
        Ledger.open(path)


def test_a_ledger_of_the_first_schema_is_migrated_and_its_old_steps_replay_as_they_were(tmp_path):
    """A ledger made before co-held requests were answered department by department: 0002 adds the
    columns, and a co-held request 办结 by one department then (no department on its event) stays
    办结 in the replay."""
    from planner.requests.db import MIGRATIONS, _statements

    path = tmp_path / "requests.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "applied_at TEXT NOT NULL)")
    for statement in _statements((MIGRATIONS / "0001_initial.sql").read_text(encoding="utf-8")):
        raw.execute(statement)
    raw.execute("INSERT INTO schema_migrations VALUES (1, 'initial', '2022-06-01T00:00:00+00:00')")
    deps = '["市地方金融监管局", "人民银行宁波市中心支行"]'
    raw.execute("INSERT INTO requests VALUES ('SQ-2022-000001', 1, 'k', ?, '某公司', '', '王明', '2022-06-15', '', "
                "'融资', '简单', '贷款', '2022-06-16', '2022-06-15', '王明', '办结', ?, '2022-06-16', NULL, "
                "'2022-06-16', 3)", (ENTERPRISE, deps))
    for seq, step, src, dst, day, departments in ((1, "登记", None, "登记", "2022-06-15", deps),
                                                  (2, "交办", "登记", "交办", "2022-06-15", deps),
                                                  (3, "办结", "交办", "办结", "2022-06-16", None)):
        raw.execute("INSERT INTO request_events VALUES (?, 'SQ-2022-000001', ?, ?, ?, ?, ?, '市经信局', '', ?, NULL, "
                    "'2022-06-16T00:00:00+00:00')", (seq, seq, step, src, dst, day, departments))
    raw.commit()
    raw.close()
    with Ledger.open(path) as ledger:
        assert [v for v, _, _ in ledger.migrations()] == [1, 2, 3]
        old = ledger.get("SQ-2022-000001")
        assert (old.state, old.done, old.closed_at) == ("办结", (), dt.date(2022, 6, 16))
        assert ledger.verify() == []
        assert ledger.events("SQ-2022-000001")[-1].department is None


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path):
    path = tmp_path / "requests.db"
    path.write_bytes(b"not a database at all, just text" * 100)
    with pytest.raises(LedgerError, match="不是诉求账本"):
        Ledger.open(path)


def test_events_are_append_only(ledger):
    rid = _register(ledger, departments=["市地方金融监管局"]).id
    ledger.transition(rid, "交办", by="市经信局", at=VISIT)
    before = ledger.events()
    raw = sqlite3.connect(ledger.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("UPDATE request_events SET note = 'changed' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("DELETE FROM request_events")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        raw.execute("DELETE FROM requests")
    with pytest.raises(sqlite3.IntegrityError, match="registration is never changed"):
        raw.execute("UPDATE requests SET text = 'other'")
    raw.close()
    ledger.transition(rid, "办结", by="市地方金融监管局", at=VISIT)
    ledger.transition(rid, "撤回", by="王明", note="登记有误", at=VISIT)
    after = ledger.events()
    assert after[:len(before)] == before
    assert [e.step for e in after[len(before):]] == ["办结", "撤回"]
    assert ledger.get(rid).state == "撤回" and len(ledger.find()) == 1  # withdrawn, not deleted


def test_a_failed_step_inside_an_import_is_rolled_back_alone(ledger):
    with pytest.raises(RuntimeError):
        with ledger.transaction():
            _register(ledger, text="第一条")
            _register(ledger, text="第二条")
            raise RuntimeError("the import broke")
    assert ledger.find() == [] and ledger.events() == []
    with ledger.transaction():
        kept = _register(ledger, text="第一条")
        with pytest.raises(IllegalTransition):
            ledger.transition(kept.id, "销号", by="x", at=VISIT)
        with pytest.raises(Conflict):
            _register(ledger, text="第一条", urgency="复杂")
        _register(ledger, text="第二条")
    assert [r.text for r in ledger.find()] == ["第一条", "第二条"]
    assert len(ledger.events()) == 2


# --- two processes, and a process killed mid-import ------------------------------------------

WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from planner.requests import Ledger
    path, tag, n, shared, gate = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], Path(sys.argv[5])
    ledger = Ledger.open(path)
    while not gate.exists():
        time.sleep(0.005)
    for i in range(n):
        r = ledger.register("91330206MA2H000001", "宁波某某机械有限公司", "融资", f"{tag}-{i}", "简单",
                            "2022-06-15", "王明", at="2022-06-15")
        ledger.transition(r.id, "交办", by=tag, at="2022-06-16")
        ledger.transition(shared, "交办", by=tag, note=f"{tag}-{i}", at="2022-06-16")
    print("done", flush=True)
""")


def test_concurrent_processes_never_lose_an_event(tmp_path):
    path = tmp_path / "requests.db"
    with Ledger.open(path) as ledger:
        shared = _register(ledger, text="共用的一条").id
        ledger.transition(shared, "交办", by="市经信局", at="2022-06-16")
    gate = tmp_path / "go"
    procs, n = 3, 40
    children = [subprocess.Popen([sys.executable, "-c", WORKER, str(path), f"p{k}", str(n), shared, str(gate)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(procs)]
    time.sleep(0.3)
    gate.write_text("go")
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.strip() == "done"
    with Ledger.open(path) as ledger:
        events = ledger.events()
        assert len(events) == 2 + procs * n * 3
        assert len(ledger.find()) == 1 + procs * n
        assert sorted(e.id for e in events) == list(range(1, len(events) + 1))
        assert [e.seq for e in ledger.events(shared)] == list(range(1, 2 + procs * n + 1))
        assert {e.note for e in ledger.events(shared)[2:]} == {f"p{k}-{i}" for k in range(procs) for i in range(n)}
        assert ledger.verify() == []


IMPORTER = textwrap.dedent("""
    import sys
    from planner.requests import Ledger
    path, n, pause_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ledger = Ledger.open(path)
    created = 0
    with ledger.transaction():
        for i in range(n):
            r = ledger.register("91330206MA2H000001", "宁波某某机械有限公司", "用工", f"批量诉求{i}：" + "需要协调熟练工" * 80,
                                "复杂", "2022-06-15", "王明", at="2022-06-15")
            created += r.created
            if i == pause_at:
                print("midway", flush=True)
                sys.stdin.readline()  # killed here, in the middle of the transaction
    print(created, flush=True)
""")


def test_kill_9_mid_import_leaves_the_ledger_whole_and_a_rerun_completes_it(tmp_path):
    path = tmp_path / "requests.db"
    with Ledger.open(path) as ledger:
        for i in range(5):
            _register(ledger, text=f"此前已登记{i}")
    n = 3000
    child = subprocess.Popen([sys.executable, "-c", IMPORTER, str(path), str(n), str(n - 500)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "midway", child.stderr.read()
    wal = Path(f"{path}-wal")
    assert wal.stat().st_size > 1_000_000  # the uncommitted batch had reached the disk
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert raw.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 5  # none of the batch
    assert raw.execute("SELECT COUNT(*) FROM request_events").fetchone()[0] == 5
    raw.close()

    def rerun():
        done = subprocess.run([sys.executable, "-c", IMPORTER, str(path), str(n), str(n + 1)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return int(done.stdout.strip())

    assert rerun() == n  # the whole batch
    assert rerun() == 0  # and again: nothing added
    with Ledger.open(path) as ledger:
        assert len(ledger.find()) == 5 + n
        assert len(ledger.events()) == 5 + n
        assert ledger.verify() == []


def test_a_step_taken_twice_says_it_was_taken(ledger):
    rid = _register(ledger, departments=["市地方金融监管局"]).id
    ledger.transition(rid, "交办", by="市经信局", at=VISIT)
    ledger.transition(rid, "办理中", by="市地方金融监管局", at=VISIT)
    with pytest.raises(IllegalTransition) as caught:
        ledger.transition(rid, "办理中", by="市地方金融监管局", at=VISIT)
    assert caught.value.format_message() == "SQ-2022-000001：当前状态为“办理中”，已开始办理，不能重复开始办理"
    ledger.transition(rid, "办结", by="市地方金融监管局", at=VISIT)
    with pytest.raises(IllegalTransition) as caught:
        ledger.transition(rid, "办结", by="市地方金融监管局", at=VISIT)
    assert caught.value.format_message() == "SQ-2022-000001：当前状态为“办结”，已办结，不能重复办结"


def test_the_event_of_a_return_names_the_department_that_sent_the_request_back(ledger):
    # the only department: the 退回 leaves none to hold the request, and the event still says whose it was
    rid = _register(ledger, departments=["市地方金融监管局"]).id
    ledger.transition(rid, "交办", by="市经信局", at=VISIT)
    back = ledger.transition(rid, "退回", by="张三", note="属商业银行授信事项", at=VISIT)
    assert (back.state, back.departments, back.returned, back.shown_state) == ("交办", (), True, "交办（已退回）")
    assert ledger.events(rid)[-1].department == "市地方金融监管局"
    assert ledger.verify() == []  # a replay of the events gives the same request
    assert [r.id for r in ledger.find(status="退回")] == [rid]
