"""The worker pool: order, replacement after N tasks, a worker that dies, a task that exits."""

from __future__ import annotations

import os

import pytest

from planner.workers import WorkerDied, WorkerError, WorkerPool

_STATE: dict = {}


def _init(tag: str) -> None:
    _STATE["tag"] = tag


def _pid_of(task: int) -> tuple[int, int, str]:
    return task, os.getpid(), _STATE["tag"]


def _die_on_seven(task: int) -> int:
    if task == 7:
        os._exit(9)  # as a worker killed by the OOM killer would vanish
    return task * task


def _exit_on_three(task: int) -> int:
    if task == 3:
        raise SystemExit(4)
    return task


def test_results_come_in_task_order_and_workers_are_replaced():
    with WorkerPool(2, _init, ("x",), tasks_per_worker=3) as pool:
        results = list(pool.map(_pid_of, range(20)))
    assert [task for task, _ in results] == list(range(20))
    assert all(task == r[0] and r[2] == "x" for task, r in results)
    pids = [r[1] for _, r in results]
    assert len(set(pids)) >= 7  # 20 tasks, at most 3 each
    assert all(pids.count(p) <= 3 for p in set(pids))
    assert os.getpid() not in pids


def test_a_worker_that_dies_costs_only_its_task():
    with WorkerPool(2, _init, ("x",), tasks_per_worker=None) as pool:
        results = dict(pool.map(_die_on_seven, range(12)))
    assert isinstance(results.pop(7), WorkerDied)
    assert results == {t: t * t for t in range(12) if t != 7}


def test_a_task_that_exits_does_not_end_the_caller():
    with pytest.raises(WorkerError, match="SystemExit"):
        with WorkerPool(2, _init, ("x",)) as pool:
            list(pool.map(_exit_on_three, range(6)))


def test_one_worker_runs_in_this_process():
    with WorkerPool(1, _init, ("here",)) as pool:
        assert [r for _, r in pool.map(_pid_of, [1, 2])] == [(1, os.getpid(), "here"), (2, os.getpid(), "here")]


def test_no_replacement_is_started_when_no_work_is_left():
    with WorkerPool(2, _init, ("x",), tasks_per_worker=1) as pool:
        results = list(pool.map(_pid_of, range(2)))
        assert pool._live == []  # both workers spent on the only two tasks: none started for nothing
    assert [t for t, _ in results] == [0, 1] and len({r[1] for _, r in results}) == 2
