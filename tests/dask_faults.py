"""Preloaded by the Dask workers of tests/test_dask.py (Dask's ``preload``): faults on purpose.

PLANNER_TEST_POISON: a credit code whose enterprise kills its worker every time (os._exit), as a
record that crashes the renderer would. PLANNER_TEST_LEAK_MB: memory each enterprise leaves
behind in its worker, as WeasyPrint's native memory grows, in steps PLANNER_TEST_STEP_S seconds
apart (so that Dask's memory monitor, every 100 ms, sees it grow). PLANNER_TEST_WORKER_LOG: a file each
worker process appends its pid to when it starts (restarts show as more pids than workers).
"""

import os
import time


def dask_setup(worker=None):
    from planner.engines import cluster

    log = os.environ.get("PLANNER_TEST_WORKER_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
    poison = os.environ.get("PLANNER_TEST_POISON")
    leak = int(os.environ.get("PLANNER_TEST_LEAK_MB", "0"))
    step = float(os.environ.get("PLANNER_TEST_STEP_S", "0"))
    real, kept = cluster.make, []

    def make(state, task, adopt=None):
        if task.facts["id"] == poison:
            os._exit(70)
        if leak:
            kept.append(b"\1" * (leak << 20))  # written, so resident
            time.sleep(step)
        return real(state, task, adopt)

    cluster.make = make
