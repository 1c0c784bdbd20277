"""A pool of long-lived worker processes, one per core, each replaced after a fixed number of tasks.

WeasyPrint's native memory grows with every document, so a worker doing PDF work exits after
``tasks_per_worker`` tasks and a fresh one takes its place (started while the old one finishes
its last task, from a forkserver that has the heavy modules imported already); peak memory stays
flat however long the list. The pool is our own rather than ``ProcessPoolExecutor`` because:

- ``max_tasks_per_child`` can deadlock on Python 3.11 (gh-115634);
- a worker that dies (killed, out of memory) must be reported with the task it was doing;
- Ctrl-C must stop the run at once: workers ignore SIGINT (the terminal sends it to the whole
  process group) and are terminated by the pool, and a worker dies with its parent, so a killed
  planner leaves no orphan behind.

Each worker has one task at a time; results come back in task order. With one worker everything
runs in this process, which keeps tests and small runs simple.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import traceback
from collections import deque
from multiprocessing.connection import wait
from typing import Callable, Iterable

TASKS_PER_WORKER = 40  # PDF tasks (enterprises) before a worker is replaced; a new one costs ~0.5 s
RESULTS_AHEAD_PER_WORKER = 8  # tasks sent out beyond the oldest unfinished one, per worker


def usable_cpus() -> int:
    """The cores this process may run on (respects affinity and container limits)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


MAX_WORKERS_VARIABLE = "PLANNER_MAX_WORKERS"


def worker_count(asked: int | None, tasks: int) -> tuple[int, str | None]:
    """How many workers to run for ``tasks`` tasks when ``asked`` were asked for, and the notice
    to show when fewer than asked will run.

    More workers than usable cores only slow a run down and multiply its memory (each PDF worker
    holds WeasyPrint, ~100 MB), so the count is capped at the usable cores. A machine where more
    is right (cores hidden from affinity, say) sets the environment variable PLANNER_MAX_WORKERS
    to the cap it wants. One task or none runs in this process.
    """
    cores = usable_cpus()
    cap, reason = cores, "超过可用 CPU 核数"
    raised = os.environ.get(MAX_WORKERS_VARIABLE, "").strip()
    if raised.isdigit() and int(raised) > 0:
        cap, reason = int(raised), f"超过 {MAX_WORKERS_VARIABLE}={int(raised)}"
    wanted = asked or cores
    notice = None
    if wanted > cap:
        wanted = cap
        notice = f"--workers {asked} {reason}，已按 {cap} 个工作进程运行"
    return (1 if tasks < 2 else min(wanted, tasks)), notice


_END = object()


class WorkerDied(Exception):
    """A worker process ended while it had a task (killed, or out of memory).

    ``map`` yields it as that task's result and carries on with a fresh worker; it raises it
    only when workers keep dying one after another, which no retry would mend.
    """

    def __init__(self, task, exitcode):
        super().__init__(f"a worker process ended with exit code {exitcode} during a task")
        self.task, self.exitcode = task, exitcode


class WorkerError(Exception):
    """A task raised an exception that could not be sent back as it was."""


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent (the forkserver) ends."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _serve(conn, initializer: Callable, initargs: tuple, limit: int | None) -> None:
    """A worker's life: initialise, then answer (index, fn, task) messages until the limit or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    if os.getppid() == 1:  # the parent ended before we could ask
        return
    failure = None
    try:
        initializer(*initargs)
    except BaseException as exc:  # reported with the first task
        failure = exc
    served = 0
    while limit is None or served < limit:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, fn, task = message
        try:
            if failure is not None:
                raise failure
            reply = (index, True, fn(task))
        except Exception as exc:
            reply = (index, False, exc)
        except BaseException as exc:  # SystemExit and the like must not end the planner itself
            reply = (index, False, WorkerError("".join(traceback.format_exception(exc))))
        try:
            conn.send(reply)
        except OSError:  # the planner is gone (killed): nobody to answer, end quietly
            return
        except Exception:  # the exception would not pickle: send its text
            text = "".join(traceback.format_exception(reply[2])) if not reply[1] else "unpicklable result"
            try:
                conn.send((index, False, WorkerError(text)))
            except OSError:
                return
        served += 1


class _Worker:
    def __init__(self, context, initializer, initargs, limit):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, initializer, initargs, limit), daemon=True)
        self.process.start()
        child.close()
        self.limit = limit
        self.sent = 0
        self.busy = None  # index of the task it is doing

    @property
    def spent(self) -> bool:
        return self.limit is not None and self.sent >= self.limit


_INTERRUPTED = threading.Event()  # set by Ctrl-C while a pool runs


def _on_sigint(signum, frame):
    """Ctrl-C in the planner: stop at once. The flag stays set, so that a KeyboardInterrupt Python
    could not deliver (raised inside a finaliser, where it is printed and dropped) still stops the
    run at the next result."""
    _INTERRUPTED.set()
    raise KeyboardInterrupt


class WorkerPool:
    """``with WorkerPool(n, init, args) as pool: for task, result in pool.map(fn, tasks): ...``"""

    def __init__(self, workers: int | None, initializer: Callable, initargs: tuple = (),
                 tasks_per_worker: int | None = TASKS_PER_WORKER, preload: tuple = ()):
        self.workers = workers or usable_cpus()
        self.initializer, self.initargs = initializer, initargs
        self.tasks_per_worker = tasks_per_worker
        self.preload = preload
        self._context = None
        self._live: list[_Worker] = []
        self._retiring: list[_Worker] = []

    def __enter__(self):
        self._sigint = None
        if threading.current_thread() is threading.main_thread():
            _INTERRUPTED.clear()
            self._sigint = signal.signal(signal.SIGINT, _on_sigint)
        if self.workers > 1:
            self._context = multiprocessing.get_context("forkserver")
            if self.preload:
                self._context.set_forkserver_preload(list(self.preload))
            self._live = [self._start() for _ in range(self.workers)]
        else:
            self.initializer(*self.initargs)
        return self

    def __exit__(self, *exc):
        try:
            self.close(graceful=exc[0] is None)
        finally:
            if self._sigint is not None:
                signal.signal(signal.SIGINT, self._sigint)

    def _start(self) -> _Worker:
        return _Worker(self._context, self.initializer, self.initargs, self.tasks_per_worker)

    def close(self, graceful: bool = True) -> None:
        """Stop every worker: let idle ones exit, terminate the rest (on an error or Ctrl-C)."""
        main_thread = threading.current_thread() is threading.main_thread()
        if main_thread:  # a second Ctrl-C must not cut this short
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            workers = self._live + self._retiring
            self._live, self._retiring = [], []
            for w in workers:
                if graceful and w.busy is None:
                    try:
                        w.conn.send(None)
                    except OSError:
                        pass
                else:
                    w.process.terminate()
            for w in workers:
                w.process.join(5)
                if w.process.is_alive():
                    w.process.kill()
                    w.process.join()
                w.conn.close()
        finally:
            if main_thread:
                signal.signal(signal.SIGINT, previous)

    def map(self, fn: Callable, tasks: Iterable):
        """Yield (task, result) in task order as results come in.

        A task whose worker ended during it (killed, out of memory) gets a WorkerDied as its
        result and a fresh worker takes over. Raises the task's own exception if a task raised
        one, and WorkerDied when workers keep dying; the ``with`` block then stops the rest.
        """
        if self._context is None:
            for task in tasks:
                if _INTERRUPTED.is_set():  # as below: a Ctrl-C whose KeyboardInterrupt was dropped
                    raise KeyboardInterrupt
                yield task, fn(task)
            return
        source = iter(tasks)
        upcoming = next(source, _END)  # one task looked ahead: is there work for a replacement?
        waiting: dict[int, object] = {}  # index → task, sent and not yet yielded
        results: dict[int, object] = {}
        sent = yielded = deaths = 0
        exhausted = upcoming is _END
        window = self.workers * RESULTS_AHEAD_PER_WORKER
        while True:
            dispatched = True
            while dispatched and not exhausted:
                dispatched = False
                while len(self._live) < self.workers:  # replace the spent and the dead while work is left
                    self._live.append(self._start())
                for w in [w for w in self._live if w.busy is None]:
                    if exhausted or sent - yielded >= window:
                        break
                    task, upcoming = upcoming, next(source, _END)
                    exhausted = upcoming is _END
                    waiting[sent] = task
                    w.busy, w.sent = sent, w.sent + 1
                    sent += 1
                    dispatched = True
                    try:
                        w.conn.send((w.busy, fn, task))
                    except OSError:  # it died since we last looked: this task's result is a WorkerDied
                        deaths = self._bury(w, waiting, results, deaths)
                        continue
                    if w.spent:  # its last task: its replacement starts at once if work is left,
                        self._live.remove(w)  # so that start-up overlaps the work
                        self._retiring.append(w)
            busy = [w for w in self._live + self._retiring if w.busy is not None]
            if not busy:
                break  # nothing out and nothing left to send (or to yield: see below)
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            if _INTERRUPTED.is_set():  # a Ctrl-C whose KeyboardInterrupt was swallowed (raised in a __del__)
                raise KeyboardInterrupt
            for w in busy:
                if w.conn in ready or w.conn.poll():
                    try:
                        index, ok, value = w.conn.recv()
                    except (EOFError, OSError):
                        deaths = self._bury(w, waiting, results, deaths)
                        continue
                    except Exception as exc:  # a reply that would not unpickle
                        index, ok, value = w.busy, False, WorkerError(f"{type(exc).__name__}: {exc}")
                    w.busy, deaths = None, 0
                    if not ok:
                        raise value
                    results[index] = value
                elif w.process.sentinel in ready:
                    deaths = self._bury(w, waiting, results, deaths)
            for w in [w for w in self._retiring if w.busy is None and not w.process.is_alive()]:
                self._retiring.remove(w)  # exited after its last task (close() stops any that lingers)
                w.process.join()
                w.conn.close()
            for w in [w for w in self._live if w.busy is None and not w.process.is_alive()]:
                self._live.remove(w)  # died while idle (out of memory, say): replaced quietly
                w.conn.close()
            while yielded in results:
                yield waiting.pop(yielded), results.pop(yielded)
                yielded += 1

    def _bury(self, w: _Worker, waiting: dict, results: dict, deaths: int) -> int:
        """A worker ended during a task: that task's result is a WorkerDied."""
        w.process.join()
        died = WorkerDied(waiting[w.busy], w.process.exitcode)
        results[w.busy] = died
        w.busy = None
        w.conn.close()
        (self._retiring if w in self._retiring else self._live).remove(w)  # replaced while work is left
        if deaths + 1 > 2 * self.workers + 1:  # dying one after another: something is wrong with all
            raise died
        return deaths + 1
