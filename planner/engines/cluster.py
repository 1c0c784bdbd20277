"""The Dask engine: `planner generate`'s per-enterprise work on a Dask distributed cluster.

The client (the `planner generate` process) does what the local pool's parent does: it reads the
list, holds the output folder's lock, skips by content hash every enterprise whose latest version
was made from the same inputs, and sends out only the rest. Workers make the documents (match,
Markdown, JSON, PDFs, Word) and send them back; the client writes each enterprise's new version
with PlanStore's protocol (temporary files, then rename, version.json last). So workers need no
view of the output folder, the lock is the one `planner generate` always takes, and a task left
running by a client that was killed can write nothing (measured and argued in the README, "On a
cluster (Dask)").

Faults: a worker that dies costs its task, which Dask runs again elsewhere; a task whose workers
die ``ALLOWED_FAILURES + 1`` times (Dask's KilledWorker) is split into its enterprises, and an
enterprise that still kills workers on its own is quarantined: reported as failed with its row,
never retried in this run. Memory: workers never pause (a worker paused at Dask's default 80%
with WeasyPrint's native memory growing never resumed, dask/distributed#5999); the nanny
terminates and restarts one at 95% of its limit, and workers are recycled by lifetime.

Only tasks a few times the cluster's threads are submitted at once: the scheduler's memory and
the documents waiting in the client stay flat however long the list.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import gc
import hashlib
import itertools
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections import deque
from dataclasses import replace
from importlib import metadata
from multiprocessing import forkserver
from pathlib import Path

import dask
from distributed import Client, KilledWorker, LocalCluster, WorkerPlugin, as_completed
from distributed.utils import get_mp_context

from planner import __version__, knowledge
from planner.exceptions import PlannerError
from planner.generate import (Renderer, Settings, chunk_size, failure_text, keep, make)
from planner.render import Templates

ALLOWED_FAILURES = 2  # worker deaths a task may cause and still be retried (Dask's default is 3)
WORKER_MEMORY = 2 * 2**30  # a LocalCluster worker's memory limit, at most (less on a small machine)
WORKER_LIFETIME = "30 minutes"  # then a worker is replaced gracefully (its task finishes first)
WORKER_LIFETIME_STAGGER = "5 minutes"  # so that the workers of one cluster are not all replaced at once
TASKS_AHEAD_PER_THREAD = 2  # tasks submitted per worker thread: one running, one waiting
CONNECT_TIMEOUT = 10  # seconds to reach a scheduler
WORKERS_TIMEOUT = 60  # seconds to wait for a scheduler's first worker

# The memory settings of every LocalCluster the engine starts (a cluster started elsewhere is
# configured by whoever starts it: README, "On a cluster (Dask)").
CONFIG = {
    "distributed.worker.memory.target": False,  # nothing to spill: results leave the worker at once
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,  # a paused worker whose memory is native never resumes (#5999)
    "distributed.worker.memory.terminate": 0.95,  # restart a worker instead
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    "distributed.worker.lifetime.duration": WORKER_LIFETIME,
    "distributed.worker.lifetime.stagger": WORKER_LIFETIME_STAGGER,
    "distributed.worker.lifetime.restart": True,
    # Diagnostics for Dask's dashboard, which a LocalCluster of the engine does not serve. On by
    # default, they cost a PDF worker about a tenth of its time (bench/dask_scaling.py): the
    # statistical profiler samples the running task's stack every 10 ms on the worker's event
    # loop, holding the GIL, and keeps what it gathers for the whole life of the worker.
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",  # the event loop's "blocked for…" check, 20 ms by default
    "distributed.admin.system-monitor.interval": "5s",  # CPU, network and disk graphs, 500 ms by default
}

QUARANTINED = ("生成这家企业时工作进程接连意外退出{tries}次（程序崩溃、被终止或内存不足），已隔离，本次不再重试；"
               "其余企业不受影响")


def local_cluster(workers: int, memory_limit: int | str | None = None, preload: tuple = (),
                  config: dict | None = None) -> LocalCluster:
    """A LocalCluster of ``workers`` single-threaded worker processes configured by ``CONFIG``
    (and ``config``, which overrides it); ``preload``: modules or scripts each worker runs first."""
    if memory_limit is None:
        memory_limit = min(WORKER_MEMORY, _total_memory() // workers)
    settings = {**CONFIG, **(config or {})}
    _use_forkserver()
    with dask.config.set(settings):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                            scheduler_kwargs={"dashboard": False}, silence_logs=logging.CRITICAL,
                            preload=["planner.engines.preload", *preload],
                            config=settings)  # the nannies start every worker process with it, restarts too


FORKSERVER_PRELOAD = ("distributed", "planner.engines.cluster", "weasyprint")


def _use_forkserver() -> None:
    """Worker processes start from a forkserver that has imported Dask and the planner's modules
    once, as the local pool's do (a spawned worker imports them itself: a second or more each).
    Set for the whole process: a nanny reads it again whenever it restarts a worker."""
    dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})
    get_mp_context()  # Dask sets its own forkserver preload when first asked: ours replaces it
    multiprocessing.get_context("forkserver").set_forkserver_preload(list(FORKSERVER_PRELOAD))


def _total_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 * WORKER_MEMORY


class DaskEngine:
    """``generate(..., engine=DaskEngine(scheduler="tcp://host:8786"))`` or ``DaskEngine(local=2)``."""

    def __init__(self, scheduler: str | None = None, local: int | None = None, memory_limit=None,
                 preload: tuple = (), config: dict | None = None):
        if (scheduler is None) == (local is None):
            raise PlannerError("--engine dask 需要 --scheduler tcp://主机:8786（已有的集群）或 --local N（在本机启动 N 个"
                               "工作进程）二者之一")
        self.scheduler, self.local = scheduler, local
        self.memory_limit, self.preload, self.config = memory_limit, preload, config

    def warm_up(self) -> None:
        """For a LocalCluster: start its forkserver now, before the list is read and checked, so
        that the forkserver's imports (Dask, WeasyPrint, the planner: most of a second) are done
        by the time the workers are asked for (bench/dask_scaling.py). A run that turns out to
        have nothing to make has spent them in a process of its own, which ends with this one."""
        if self.local is not None:
            _use_forkserver()
            forkserver.ensure_running()

    @contextlib.contextmanager
    def client(self):
        """A client of the scheduler asked for, or of a LocalCluster started (and stopped) here."""
        if self.local is not None:
            cluster = local_cluster(self.local, self.memory_limit, self.preload, self.config)
            try:
                with Client(cluster, set_as_default=False) as client:
                    yield client
            finally:
                _quietly(cluster.close, timeout=20)
            return
        levels = _silence_dask()  # our own messages say what went wrong, in Chinese
        try:
            client = Client(self.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except Exception as exc:  # OSError, TimeoutError, ValueError for an address Dask cannot read
            _restore(levels)
            raise PlannerError(f"无法连接 Dask 调度器 {self.scheduler}（{type(exc).__name__}: {exc}）；请确认地址和端口"
                               f"正确、调度器已启动（dask scheduler）且本机可以访问它") from None
        try:
            try:
                client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
            except TimeoutError:
                raise PlannerError(f"Dask 调度器 {self.scheduler} 上{WORKERS_TIMEOUT}秒内没有工作进程可用，未生成任何企业；"
                                   f"请先启动工作进程（dask worker {self.scheduler} --nthreads 1）") from None
            yield client
        finally:
            _quietly(client.close, timeout=10)
            _restore(levels)

    def run(self, tasks: list, settings: Settings, kb, store, done, notes: list) -> None:
        """Make every task's documents on the cluster and write them here, calling
        ``done(task, outcome, message)`` as each enterprise is finished."""
        if not tasks:
            return  # nothing to send: no cluster needed
        with self.client() as client:
            _Run(client, tasks, settings, kb, store, done).go()


class _Run:
    def __init__(self, client: Client, tasks: list, settings: Settings, kb, store, done):
        self.client, self.settings, self.kb, self.store, self.done = client, settings, kb, store, done
        self.key = f"planner-{uuid.uuid4().hex[:12]}"
        threads = self.threads()
        size = chunk_size(len(tasks), max(1, threads), settings.formats)
        self.queue = deque(tuple(tasks[i:i + size]) for i in range(0, len(tasks), size))
        self.futures: dict = {}  # future → its chunk of tasks
        self.numbers = itertools.count()
        self.checked = 0.0

    def threads(self) -> int:
        return sum(self.client.nthreads().values())

    def go(self) -> None:
        main = threading.current_thread() is threading.main_thread()
        interrupted = threading.Event()

        def on_sigint(signum, frame):
            # The flag stays set: a KeyboardInterrupt raised where Python drops it (in a finaliser,
            # such as a Future's as it is released) still stops the run at the next result.
            interrupted.set()
            raise KeyboardInterrupt

        setup = _Setup(self.key, self.settings, _bundle(self.kb.root, self.settings.templates),
                       fingerprint(self.settings.formats))
        pending = as_completed(loop=self.client.loop)
        previous = signal.signal(signal.SIGINT, on_sigint) if main else None
        try:
            self.client.register_plugin(setup, name=self.key)
            self.fill(pending)
            for future in pending:
                chunk = self.futures.pop(future)
                try:
                    outcomes = future.result()
                except KilledWorker as exc:  # its workers died again and again
                    if len(chunk) > 1:  # which of them? each alone
                        self.queue.extendleft(reversed([(task,) for task in chunk]))
                    else:
                        self.done(chunk[0], "failed", QUARANTINED.format(tries=exc.allowed_failures + 1))
                except Exception as exc:  # the task could not run or its result not come back
                    for task in chunk:
                        self.done(task, "failed", failure_text(exc))
                else:
                    for task, outcome in zip(chunk, outcomes):
                        self.finish(task, *outcome)
                del future
                if interrupted.is_set():
                    raise KeyboardInterrupt
                self.fill(pending)
        finally:
            if main:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C waits for the clean-up
            try:
                if self.futures:  # Ctrl-C or an error: the cluster stops this run's work
                    _quietly(self.client.cancel, list(self.futures), force=True)
                    self.futures.clear()
                _quietly(self.client.unregister_worker_plugin, self.key)
            finally:
                if main:
                    signal.signal(signal.SIGINT, previous)

    def fill(self, pending) -> None:
        """Submit tasks until each worker thread has ``TASKS_AHEAD_PER_THREAD`` (threads counted
        again now and then: workers come and go)."""
        if not self.queue:
            return
        now = time.monotonic()
        if now - self.checked > 2 or not getattr(self, "limit", 0):
            self.limit = max(1, self.threads()) * TASKS_AHEAD_PER_THREAD
            self.checked = now
        while self.queue and len(self.futures) < self.limit:
            chunk = self.queue.popleft()
            future = self.client.submit(_make_chunk, self.key, chunk, key=f"{self.key}-{next(self.numbers)}",
                                        pure=False)
            self.futures[future] = chunk
            pending.add(future)

    def finish(self, task, kind: str, value) -> None:
        """One enterprise's result from a worker: written here, or failed, or (an old version to
        adopt) proven here and otherwise made again."""
        if kind == "failed":
            self.done(task, "failed", value)
            return
        try:
            if kind == "adopt":
                if self.store.adopt(task.facts["id"], value, self.settings.formats):
                    self.done(task, "unchanged", "")
                else:  # not provably whole: made anew, as the local pool does
                    self.queue.appendleft((replace(task, adopt=False),))
                return
            outcome = keep(value, task, self.store, self.kb, self.settings.formats)
        except Exception as exc:  # one enterprise's failure must not cost the others theirs
            self.done(task, "failed", failure_text(exc))
            return
        self.done(task, outcome, "")


def _silence_dask() -> dict:
    """Dask's loggers of this process quiet but for the critical (each has its own level); returns
    their levels before."""
    names = ["distributed"] + [n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return levels


def _restore(levels: dict) -> None:
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _quietly(fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:
        pass


# What every worker needs, sent to it once as a worker plugin (a worker that joins or restarts
# later gets it too): the settings, the sector tree and templates as bytes, and the fingerprint of
# the client's planner install that the worker's must equal for byte-identical documents.

def fingerprint(formats: tuple) -> dict:
    """What makes this install's documents what they are: the versions of planner and of the
    libraries that write the documents and, for PDFs, the fonts and HarfBuzz subsetting."""
    found = {"planner": __version__}
    for package in ("jinja2", "markdown-it-py", "orjson", "pyyaml"):
        found[package] = metadata.version(package)
    if "pdf" in formats:
        from planner.pdf import font_folder

        for package in ("weasyprint", "pydyf", "fonttools", "pypdf"):
            found[package] = metadata.version(package)
        folder = font_folder()
        found["fonts"] = sorted(f"{p.name} {p.stat().st_size}" for p in folder.iterdir()) if folder else "Noto CJK"
        found["harfbuzz-subset"] = ctypes.util.find_library("harfbuzz-subset")  # without importing WeasyPrint
    if "docx" in formats:
        found["python-docx"] = metadata.version("python-docx")
    return found


def _bundle(sectors: Path, templates: tuple) -> bytes:
    """The sector tree and the template folders, every file's bytes, pickled."""
    def tree(root: Path) -> dict:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*"))
                if p.is_file() and "__pycache__" not in p.parts}

    return pickle.dumps({"sectors": tree(Path(sectors)), "templates": [tree(Path(d)) for d in templates]})


def _unpack(bundle: bytes) -> tuple[Path, list]:
    """The bundle's folders under this machine's temporary folder (once per machine: named by its hash)."""
    digest = hashlib.sha256(bundle).hexdigest()[:20]
    base = Path(tempfile.gettempdir()) / f"planner-dask-{digest}"
    data = pickle.loads(bundle)
    if not base.is_dir():
        work = Path(tempfile.mkdtemp(prefix=".planner-dask-", dir=base.parent))
        for folder, files in [("sectors", data["sectors"])] + [(f"templates-{i}", t)
                                                             for i, t in enumerate(data["templates"])]:
            for name, payload in files.items():
                (work / folder / name).parent.mkdir(parents=True, exist_ok=True)
                (work / folder / name).write_bytes(payload)
            (work / folder).mkdir(exist_ok=True)
        try:
            os.rename(work, base)
        except OSError:  # another worker of this machine was first
            shutil.rmtree(work, ignore_errors=True)
    return base / "sectors", [base / f"templates-{i}" for i in range(len(data["templates"]))]


_SETUPS: dict = {}  # run key → its _Setup, on a worker
_SHARED: dict = {}  # run key → (settings, kb): loaded once per worker process
_LOCK = threading.Lock()
_LOCAL = threading.local()  # each thread its own renderer (WeasyPrint and Jinja state are not shared)


class _Setup(WorkerPlugin):
    def __init__(self, key: str, settings: Settings, bundle: bytes, expected: dict):
        self.key, self.settings, self.bundle, self.expected = key, settings, bundle, expected

    def setup(self, worker=None):
        _SETUPS[self.key] = self

    def teardown(self, worker=None):
        _SETUPS.pop(self.key, None)
        _SHARED.pop(self.key, None)


def _state(key: str) -> dict:
    """This thread's settings, kb and renderer for the run ``key`` (what planner.generate.make needs)."""
    states = _LOCAL.__dict__.setdefault("states", {})
    if key not in states:
        with _LOCK:
            if key not in _SHARED:
                setup = _SETUPS[key]
                own = fingerprint(setup.settings.formats)
                if own != setup.expected:
                    differ = "、".join(f"{k}（本机 {setup.expected.get(k)}，此处 {own.get(k)}）"
                                      for k in sorted(set(own) | set(setup.expected)) if own.get(k) != setup.expected.get(k))
                    raise PlannerError(f"Dask 工作进程（{os.uname().nodename}）的程序环境与运行 planner 的机器不同：{differ}；"
                                       f"各工作进程须安装同一版本的 planner 及其依赖和字体")
                sectors, templates = _unpack(setup.bundle)
                settings = replace(setup.settings, sectors=str(sectors), templates=tuple(str(d) for d in templates),
                                   out_dir="")
                _SHARED[key] = (settings, knowledge.load(sectors))
                # As in the local pool's workers: what is loaded now lives as long as the run; keep
                # the collector from scanning it again and again while WeasyPrint and Jinja make
                # and drop millions of objects.
                gc.collect()
                gc.freeze()
        settings, kb = _SHARED[key]
        for old in [k for k in states if k not in _SHARED]:  # runs that are over
            del states[old]
        states[key] = {"settings": settings, "kb": kb,
                       "renderer": Renderer(kb, Templates([Path(d) for d in settings.templates]), settings.author,
                                            settings.internal)}
    return states[key]


def _make_chunk(key: str, chunk: tuple) -> list:
    """On a worker: each enterprise of ``chunk`` made, nothing written. Returns, per enterprise,
    ("made", planner.generate.Made), ("adopt", its Markdown and JSON, for the client to compare
    with the old version) or ("failed", why)."""
    out = []
    for task in chunk:
        try:
            state = _state(key)
            if task.adopt:
                texts: dict = {}
                make(state, task, lambda enterprise_id, files: texts.update(files) or True)
                out.append(("adopt", texts))
            else:
                out.append(("made", make(state, task)))
        except Exception as exc:  # one enterprise's failure must not cost the others theirs
            out.append(("failed", failure_text(exc)))
    return out
