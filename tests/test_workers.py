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


def test_the_worker_count_is_capped_at_the_usable_cores(monkeypatch):
    from planner import workers

    monkeypatch.setattr(workers, "usable_cpus", lambda: 2)
    monkeypatch.delenv("PLANNER_MAX_WORKERS", raising=False)
    assert workers.worker_count(1000, 50) == (2, "--workers 1000 超过可用 CPU 核数，已按 2 个工作进程运行")
    assert workers.worker_count(None, 50) == (2, None)
    assert workers.worker_count(2, 50) == (2, None)
    assert workers.worker_count(1000, 1) == (1, "--workers 1000 超过可用 CPU 核数，已按 2 个工作进程运行")
    assert workers.worker_count(None, 1) == (1, None)


def test_more_workers_than_cores_only_with_an_explicit_cap(monkeypatch):
    from planner import workers

    monkeypatch.setattr(workers, "usable_cpus", lambda: 2)
    monkeypatch.setenv("PLANNER_MAX_WORKERS", "8")
    assert workers.worker_count(6, 50) == (6, None)
    assert workers.worker_count(1000, 50) == (8, "--workers 1000 超过 PLANNER_MAX_WORKERS=8，已按 8 个工作进程运行")
    monkeypatch.setenv("PLANNER_MAX_WORKERS", "many")  # not a number: the cores again
    assert workers.worker_count(1000, 50) == (2, "--workers 1000 超过可用 CPU 核数，已按 2 个工作进程运行")


def test_generate_runs_no_more_workers_than_cores_and_says_so(kb, tmp_path, monkeypatch):
    from planner import generate as generate_module
    from planner.render import Templates
    from planner.workers import usable_cpus

    from conftest import AS_OF, EXAMPLES

    monkeypatch.delenv("PLANNER_MAX_WORKERS", raising=False)
    started = []

    class Spy(WorkerPool):
        def __init__(self, count, *args, **kwargs):
            started.append(count)
            super().__init__(count, *args, **kwargs)

    monkeypatch.setattr(generate_module, "WorkerPool", Spy)
    result = generate_module.generate(EXAMPLES / "enterprises.yaml", tmp_path / "out", kb, Templates.from_option(None),
                                      AS_OF, ("md",), workers=1000)
    cores = usable_cpus()
    assert started == [cores] and len(result.written) == 20
    assert result.notes == [f"--workers 1000 超过可用 CPU 核数，已按 {cores} 个工作进程运行"]


def test_a_killed_planner_leaves_no_traceback_behind(tmp_path):
    """kill -9 of the planner while workers make PDFs: the workers end quietly (they inherit stderr)."""
    import signal
    import subprocess
    import sys
    import time

    from conftest import EXAMPLES

    out, err = tmp_path / "out", tmp_path / "stderr.txt"
    with open(err, "w") as handle:
        planner = subprocess.Popen([sys.executable, "-m", "planner", "generate", str(EXAMPLES / "enterprises.yaml"),
                                    "--out", str(out), "--as-of", "2022-06-15", "--workers", "2", "--quiet"],
                                   stdout=subprocess.DEVNULL, stderr=handle, start_new_session=True,
                                   env={**os.environ, "PLANNER_MAX_WORKERS": "2"})  # two workers even on one core
        try:
            deadline = time.monotonic() + 120
            while not list(out.glob("*/version.json")) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert list(out.glob("*/version.json")), "no enterprise finished within two minutes"
            time.sleep(0.5)  # workers are in the middle of their next PDFs
            os.kill(planner.pid, signal.SIGKILL)
            planner.wait()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # until the whole process group is gone
                try:
                    os.killpg(planner.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
            else:
                os.killpg(planner.pid, signal.SIGKILL)
                pytest.fail("workers outlived the planner by a minute")
        finally:
            if planner.poll() is None:
                planner.kill()
    text = err.read_text(encoding="utf-8")
    assert "Traceback" not in text and "BrokenPipe" not in text, text
