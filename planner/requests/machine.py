"""The states of a request and the steps between them, as a table.

    登记 ─交办→ 交办 ─办理中→ 办理中 ─办结→ 办结 ─回访（满意）→ 回访 ─销号→ 销号
                 │  ↖──退回──┘  ↑          │
                 └────办结──────┼──────────┘ (a request answered at once skips 办理中)
                                └── 回访（不满意）: reopened, back to 办理中

- 交办 hands a registered request to its departments; 交办 again from 交办 re-hands it (other
  departments, e.g. after a 退回).
- 退回 (the department returns it: not its business, or it needs another) needs a reason and
  puts the request back to 交办, where the bureau hands it on.
- 回访 needs the enterprise's verdict. Satisfied: the request waits in 回访 for 销号. Not
  satisfied: the request is reopened to 办理中 — the same departments carry on, since they know
  the case; if it belongs elsewhere they 退回 it. Its 办结 date is cleared; the next 办结 counts.
- 督办 (the bureau presses a request that is with its departments, overdue or not) needs a note
  and leaves the request where it is: it only adds the supervision to the request's history.
- 撤回 (the enterprise withdraws it, or it was registered in error) needs a reason, is allowed
  from every open state and is final, like 销号.

A request handed to two or more departments (co-held) is answered by each: its 办理中, 办结 and
退回 name the department whose answer they are (``advance``, ``department``).

- 办结 by one of them records that department's answer; the request is 办结 only when every
  department holding it has answered 办结. Until then it is 办理中, shown as
  “办理中（1/2 部门已办结：市经信局）” (``shown_state``). A 办结 naming no department is the
  request as a whole (a request with one department; the ledger refuses it for a co-held one).
- 退回 by one of them takes only that department off. If others remain the request keeps going
  with them where it is (not back to 交办, not 已退回; 办结 if all that remain have answered 办结);
  if none remain it waits in 交办 as 已退回. A 退回 naming no department takes every department
  off (or hands it on at once to the departments given).
- A 回访 not satisfied reopens the request for every department: each answers 办结 again.

A step is named by the state it leads to (``planner requests update ID --to 办结``); 退回 and 督办
are the steps that are not states. ``step`` gives the state a step leads to or raises
IllegalTransition with a Chinese message naming the request and its current state.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from planner.exceptions import PlannerError, Said

REGISTERED = "登记"
ASSIGNED = "交办"
IN_PROGRESS = "办理中"
DONE = "办结"
VISITED = "回访"
CLOSED = "销号"
WITHDRAWN = "撤回"
RETURN = "退回"  # a step, not a state
SUPERVISE = "督办"  # a step that keeps the state

STATES = (REGISTERED, ASSIGNED, IN_PROGRESS, DONE, VISITED, CLOSED, WITHDRAWN)
FINAL = frozenset({CLOSED, WITHDRAWN})
OPEN = tuple(s for s in STATES if s not in FINAL)
# Counted as handled (办结) by the handling rate: done, followed up, signed off.
HANDLED = frozenset({DONE, VISITED, CLOSED})
# Still with the departments: overdue when past the due date.
PENDING = frozenset({REGISTERED, ASSIGNED, IN_PROGRESS})


@dataclass(frozen=True)
class Step:
    name: str
    sources: frozenset  # states it may start from
    target: str  # the state it leads to (回访 not satisfied: REOPEN_TO; "": the state it starts from)
    verb: str  # how a message says it: 不能{verb}
    needs_reason: bool = False
    needs_verdict: bool = False  # 回访: satisfied or not


REOPEN_TO = IN_PROGRESS

STEPS = {s.name: s for s in (
    Step(ASSIGNED, frozenset({REGISTERED, ASSIGNED}), ASSIGNED, "交办"),
    Step(IN_PROGRESS, frozenset({ASSIGNED}), IN_PROGRESS, "开始办理"),
    Step(DONE, frozenset({ASSIGNED, IN_PROGRESS}), DONE, "办结"),
    Step(VISITED, frozenset({DONE}), VISITED, "回访", needs_verdict=True),
    Step(CLOSED, frozenset({VISITED}), CLOSED, "销号"),
    Step(RETURN, frozenset({ASSIGNED, IN_PROGRESS}), ASSIGNED, "退回", needs_reason=True),
    Step(SUPERVISE, frozenset({ASSIGNED, IN_PROGRESS}), "", "督办", needs_reason=True),
    Step(WITHDRAWN, frozenset(OPEN), WITHDRAWN, "撤回", needs_reason=True),
)}


class LedgerError(PlannerError):
    """Anything the request ledger refuses."""


class IllegalTransition(LedgerError):
    """A step the state machine does not allow from the request's current state."""

    def __init__(self, request_id: str, state: str, step: str, message: str):
        self.request_id, self.state, self.step = request_id, state, step
        super().__init__(message)


def is_returned(state: str, last_step: str) -> bool:
    """Sent back by its department (退回) and not yet handed on: in 交办, its last step but 督办 a 退回."""
    return state == ASSIGNED and last_step == RETURN


def shown_state(state: str, returned: bool, departments=(), done=()) -> str:
    """A state as lists and documents show it: 交办（已退回） for a returned request; a co-held
    request some of whose departments have answered 办结: 办理中（1/2 部门已办结：市经信局）."""
    if returned:
        return f"{state}（已退回）"
    if state == IN_PROGRESS and done:
        return f"{state}（{len(done)}/{len(departments)} 部门已办结：{'、'.join(done)}）"
    return state


def keeps_going(step: str, department: str | None, departments_after) -> bool:
    """A 退回 by one of a request's departments that leaves it with others: like 督办 it does not
    change where the request stands (it is not 已退回), so ``is_returned`` looks past it."""
    return step == RETURN and bool(department) and bool(departments_after)


def advance(state: str, step: str, departments, done=(), satisfied: bool | None = None,
            department: str | None = None, handed=None) -> tuple[str, tuple, tuple]:
    """What a legal step makes of a request: (state, departments, done), ``done`` being the
    departments that have answered 办结 while others have not (办理中 only, else empty).
    ``department``: whose answer the step is (办理中, 办结, 退回), None for the request as a whole;
    ``handed``: the departments a 交办 or 退回 hands it to (a department's 退回: those that remain)."""
    departments, done = tuple(departments), tuple(done)
    before, state = state, result(state, step, satisfied)
    if step == ASSIGNED:
        departments = tuple(handed) if handed is not None else departments
        done = ()
    elif step == RETURN:
        if department:
            departments = tuple(handed) if handed is not None else tuple(d for d in departments if d != department)
            done = tuple(d for d in done if d in departments)
            if not departments:
                state = ASSIGNED
            elif all(d in done for d in departments):
                state = DONE
            else:  # the others carry on where it stood
                state = before
        else:
            departments, done = (tuple(handed) if handed is not None else ()), ()
    elif step == DONE and department:
        done = done + (department,) if department not in done else done
        if not all(d in done for d in departments):
            state = IN_PROGRESS
    if state != IN_PROGRESS:
        done = ()
    return state, departments, done


def step_names() -> str:
    return "、".join(STEPS)


def result(state: str, step: str, satisfied: bool | None = None) -> str:
    """The state ``step`` leads to from ``state`` (legal steps only; see ``check``)."""
    if step == VISITED and satisfied is False:
        return REOPEN_TO
    return STEPS[step].target or state


def check(request_id: str, state: str, step: str, note: str = "", satisfied: bool | None = None) -> str:
    """The state ``step`` leads to from ``state``; IllegalTransition otherwise."""
    head = f"{request_id}：当前状态为“{state}”，"
    spec = STEPS.get(step)
    if spec is None:
        raise IllegalTransition(request_id, state, step,
                                f"{request_id}：没有“{step}”这一步（可选：{step_names()}）")
    if state in FINAL:
        raise IllegalTransition(request_id, state, step, f"{head}已经{'销号' if state == CLOSED else '撤回'}，"
                                                         f"不能再{spec.verb}")
    if state not in spec.sources:
        if state == spec.target and step in (DONE, VISITED, IN_PROGRESS):
            raise IllegalTransition(request_id, state, step, f"{head}已{spec.verb}，不能重复{spec.verb}")
        path = _path_to(state, spec.sources)
        if path:
            hint = "须先" + _join([STEPS[p].verb for p in path])
            raise IllegalTransition(request_id, state, step, f"{head}不能直接{spec.verb}（{hint}）")
        allowed = "".join(f"“{s}”" for s in STATES if s in spec.sources)
        raise IllegalTransition(request_id, state, step,
                                f"{head}不能{spec.verb}（只有状态为{allowed}的诉求可以{spec.verb}）")
    if spec.needs_reason and not (note or "").strip():
        what = "督办意见" if step == SUPERVISE else "理由"
        raise IllegalTransition(request_id, state, step, f"{request_id}：{spec.verb}须写明{what}")
    # the command line says which option it takes; the web page, which has its own field, does not
    if spec.needs_verdict and satisfied is None:
        raise IllegalTransition(request_id, state, step, Said(
            f"{request_id}：回访须注明企业是否满意（--satisfied 或 --not-satisfied）",
            f"{request_id}：回访须注明企业是否满意"))
    if not spec.needs_verdict and satisfied is not None:
        raise IllegalTransition(request_id, state, step, Said(
            f"{request_id}：只有回访才注明是否满意（{step}时不用 --satisfied、--not-satisfied）",
            f"{request_id}：只有回访才注明是否满意"))
    return result(state, step, satisfied)


def _join(verbs: list[str]) -> str:
    if len(verbs) == 1:
        return verbs[0]
    return "、".join(verbs[:-1]) + "并" + verbs[-1]


def _path_to(state: str, goals: frozenset) -> list[str]:
    """The shortest sequence of forward steps (not 退回, 撤回, not a 不满意 回访) from ``state``
    to one of ``goals``; [] when there is none."""
    forward = [s for s in STEPS.values() if s.name not in (RETURN, WITHDRAWN, SUPERVISE)]
    seen = {state}
    queue = deque([(state, [])])
    while queue:
        here, path = queue.popleft()
        for s in forward:
            if here in s.sources and s.target not in seen:
                route = path + [s.name]
                if s.target in goals:
                    return route
                seen.add(s.target)
                queue.append((s.target, route))
    return []
