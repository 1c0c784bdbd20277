"""A pool of long-lived worker processes, one per core, recycled after a fixed number of tasks.

WeasyPrint's native memory grows with every document, so workers are replaced every
TASKS_PER_WORKER tasks and peak memory stays flat however long the list. Only a few tasks per
worker are in flight, so a long list is never all in memory. With one worker everything runs in
this process, which keeps tests and small runs simple.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable

TASKS_PER_WORKER = 10  # tasks of PDF work; a new worker costs ~0.5 s, a task of PDFs ~10 s
IN_FLIGHT_PER_WORKER = 4


def usable_cpus() -> int:
    """The cores this process may run on (respects affinity and container limits)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class WorkerPool:
    """``with WorkerPool(n, init, args) as pool: for task, result in pool.map(fn, tasks): ...``"""

    def __init__(self, workers: int | None, initializer: Callable, initargs: tuple = (),
                 tasks_per_worker: int | None = TASKS_PER_WORKER):
        self.workers = workers or usable_cpus()
        self.initializer, self.initargs = initializer, initargs
        self.tasks_per_worker = tasks_per_worker
        self._executor = None

    def __enter__(self):
        if self.workers > 1:
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=self.initializer,
                                                 initargs=self.initargs, max_tasks_per_child=self.tasks_per_worker)
        else:
            self.initializer(*self.initargs)
        return self

    def __exit__(self, *exc):
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def map(self, fn: Callable, tasks: Iterable):
        """Yield (task, result) in task order as results come in."""
        if self._executor is None:
            for task in tasks:
                yield task, fn(task)
            return
        window = deque()
        for task in tasks:
            window.append((task, self._executor.submit(fn, task)))
            if len(window) >= self.workers * IN_FLIGHT_PER_WORKER:
                done, future = window.popleft()
                yield done, future.result()
        while window:
            done, future = window.popleft()
            yield done, future.result()
