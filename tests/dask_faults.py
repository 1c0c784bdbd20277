"""Faults on purpose in the Dask workers of tests/test_dask.py, installed by a preload script the
test writes (Dask's ``preload``; values in the script itself, since a forkserver's workers have
the environment of the forkserver's start, not the test's).

``poison``: a credit code whose enterprise kills its worker every time (os._exit), as a record
that crashes the renderer would. ``leak_mb``: memory each enterprise leaves behind in its worker,
as WeasyPrint's native memory grows, ``step_s`` seconds apart (so that Dask's memory monitor,
every 100 ms, sees it grow). ``worker_log``: a file each worker process appends its pid to when
it starts (restarts show as more pids than workers).
"""

import os
import time


def install(poison=None, leak_mb=0, step_s=0.0, worker_log=None):
    from planner.engines import cluster

    if worker_log:
        with open(worker_log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
    real, kept = cluster.make, []

    def make(state, task, adopt=None):
        if task.facts["id"] == poison:
            os._exit(70)
        if leak_mb:
            kept.append(b"\1" * (leak_mb << 20))  # written, so resident
            time.sleep(step_s)
        return real(state, task, adopt)

    cluster.make = make


def preload_script(folder, **faults) -> str:
    """A preload script for Dask that installs ``faults`` in each worker; returns its path."""
    path = os.path.join(folder, "faults_setup.py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"import sys\nsys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})\n"
                     f"import dask_faults\n\n\ndef dask_setup(worker=None):\n"
                     f"    dask_faults.install(**{faults!r})\n")
    return path
