"""Generation runs started from the web: each one a process of its own, its progress in files.

    DATA/runs/active.lock       held (flock) by the running run's process, for as long as it runs
    DATA/runs/current           the id of the latest run started
    DATA/runs/<id>/run.json     what was asked: the upload, its list, who, as-of date, formats
    DATA/runs/<id>/progress.json  enterprises done of total, when it started, updated ≥ every second
    DATA/runs/<id>/result.json  what the run made (written when it ends), or why it stopped
    DATA/runs/<id>/log.txt      the process's own output

The server takes the lock, writes the run's record and starts ``python -m planner.web.runs DATA
<id>`` in a session of its own with the locked file handed down, then lets go of its handle: the
lock stays with the run, which goes on when the browser is closed (or the server restarted), and
ends with the process however it ends. So one run at a time per data folder; a start while the lock
is held, or while a command-line run holds the output folder's lock, is refused with a message.
A run's state is read from its files: finished (result.json), running (the lock is held and it is
the current run) or broken off (neither: the process died; what it wrote is whole, as in the CLI).
The progress is the CLI's (planner.progress.Progress), kept in a file instead of on a terminal.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

from planner.progress import Progress
from planner.store import atomic_write

ACTIVE = "active.lock"
CURRENT = "current"
RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")
LOCK_FD_VARIABLE = "PLANNER_RUN_LOCK_FD"
WRITE_EVERY = 0.5  # seconds between progress writes
_CHILDREN: list = []  # Popen objects, polled so that no finished run stays a zombie


class RunBusy(Exception):
    """A run cannot start now: the message says why, in Chinese."""


def runs_folder(root: Path) -> Path:
    folder = Path(root) / "runs"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _write_json(path: Path, data: dict) -> None:
    atomic_write(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _held(path: Path) -> bool:
    """Whether another open handle holds an exclusive or shared flock on ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # releases the probe's lock, if taken
    return False


def _reap() -> None:
    for child in list(_CHILDREN):
        if child.poll() is not None:
            _CHILDREN.remove(child)


def start(root: Path, upload, as_of: dt.date, formats: tuple, by: str) -> str:
    """Start a run over ``upload``'s list (planner.web.uploads.Upload); returns its id. RunBusy when
    a run is going on here or a command-line run holds the output folder."""
    from planner.versions import LOCK

    _reap()
    folder = runs_folder(root)
    fd = os.open(folder / ACTIVE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = current_run(root)
            raise RunBusy("已有一次生成正在进行，请等它结束后再开始" + (f"（运行 {current}）" if current else "")) from None
        if _held(Path(root) / "output" / LOCK):
            raise RunBusy("输出目录正被另一次生成（如命令行的 planner generate）使用，请等它结束后再开始")
        run_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
        run = folder / run_id
        run.mkdir(mode=0o700)
        started = time.time()
        _write_json(run / "run.json", {"id": run_id, "upload": upload.token, "list": upload.name,
                                       "file": upload.generate_from, "rows": upload.rows, "by": by,
                                       "scope": upload.scope, "as_of": as_of.isoformat(),
                                       "formats": list(formats), "started": started})
        _write_json(run / "progress.json", {"done": 0, "total": len(upload.kept), "started": started,
                                            "updated": started})
        atomic_write(folder / CURRENT, run_id + "\n")
        env = {**os.environ, LOCK_FD_VARIABLE: str(fd)}
        with open(run / "log.txt", "wb") as log:
            child = subprocess.Popen([sys.executable, "-m", "planner.web.runs", str(Path(root).resolve()), run_id],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                     pass_fds=(fd,), start_new_session=True, cwd=str(Path(root).resolve()))
        _CHILDREN.append(child)
        return run_id
    finally:
        os.close(fd)  # the lock stays with the run's process, which holds the same open file


def current_run(root: Path) -> str | None:
    try:
        text = (runs_folder(root) / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text if RUN_ID.match(text) else None


def is_running(root: Path) -> bool:
    return _held(runs_folder(root) / ACTIVE)


def status(root: Path, run_id: str) -> dict | None:
    """Everything the progress page shows of run ``run_id``; None when there is no such run."""
    _reap()
    if not RUN_ID.match(run_id):
        return None
    run = runs_folder(root) / run_id
    meta = _read_json(run / "run.json")
    if meta is None:
        return None
    progress = _read_json(run / "progress.json") or {}
    result = _read_json(run / "result.json")
    if result is not None:
        state = result.get("state", "failed")
    elif current_run(root) == run_id and is_running(root):
        state = "running"
    else:
        state = "broken"
    done, total = int(progress.get("done", 0)), int(progress.get("total", 0))
    started = float(progress.get("started", meta.get("started", time.time())))
    until = float(result.get("finished", time.time())) if result else (
        time.time() if state == "running" else float(progress.get("updated", started)))
    elapsed = max(until - started, 0.0)
    rate = done / elapsed if elapsed > 0 and done else 0.0
    left = (total - done) / rate if rate and state == "running" else None
    return {"id": run_id, "meta": meta, "state": state, "done": done, "total": total, "elapsed": elapsed,
            "rate": rate, "left": left, "percent": int(100 * done / total) if total else (100 if result else 0),
            "result": result, "label": STATES[state],
            "started": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds")}


STATES = {"running": "正在生成", "done": "已完成", "failed": "未能完成", "broken": "已中断"}


def recent(root: Path, most: int = 10) -> list[dict]:
    folder = runs_folder(root)
    ids = sorted((p.name for p in folder.iterdir() if RUN_ID.match(p.name)), reverse=True)[:most]
    return [s for s in (status(root, i) for i in ids) if s is not None]


def duration(seconds: float | None) -> str:
    """``seconds`` as people say it: 1分05秒, 42秒."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}小时{seconds % 3600 // 60:02d}分"
    if seconds >= 60:
        return f"{seconds // 60}分{seconds % 60:02d}秒"
    return f"{seconds}秒"


def speed(rate: float) -> str:
    if not rate:
        return "—"
    return f"每秒{rate:.1f}家" if rate >= 1 else f"每分钟{rate * 60:.1f}家"


# -- the run's own process


class FileProgress(Progress):
    """The CLI's progress, written to ``path`` (JSON) at most every WRITE_EVERY seconds."""

    def __init__(self, path: Path, total: int, started: float):
        super().__init__(total, "生成", enabled=False)
        self.path, self.started_at, self._written = Path(path), started, 0.0

    def __call__(self, n: int = 1) -> None:
        super().__call__(n)
        now = time.monotonic()
        if now - self._written >= WRITE_EVERY or self.done >= self.total:
            self.write()

    def write(self) -> None:
        self._written = time.monotonic()
        _write_json(self.path, {"done": self.done, "total": self.total, "started": self.started_at,
                                "updated": time.time()})


def run(root: Path, run_id: str) -> int:
    """Run ``run_id`` of data folder ``root`` to its end; its result goes to result.json."""
    from planner import knowledge
    from planner.exceptions import PlannerError, for_web
    from planner.generate import generate
    from planner.render import Templates
    from planner.resources import bundled
    from planner.workers import usable_cpus

    root = Path(root)
    folder = runs_folder(root) / run_id
    meta = _read_json(folder / "run.json")
    result: dict
    try:
        kb = knowledge.load(bundled("sectors"))
        progress = FileProgress(folder / "progress.json", 0, float(meta["started"]))
        made = generate(root / "uploads" / meta["file"], root / "output", kb, Templates.from_option(None),
                        dt.date.fromisoformat(meta["as_of"]), tuple(meta["formats"]), None,
                        max(1, usable_cpus() - 1), progress)  # a core left for the web pages
        progress.write()
        rows = meta.get("rows", {})
        result = {"state": "done", "written": made.written, "unchanged": made.unchanged,
                  "completed": made.completed, "notes": [for_web(n) for n in made.notes], "rejected": made.rejected,
                  "failed": [{"row": rows.get(code, where.rsplit(":", 1)[-1]), "id": code, "why": why}
                             for where, code, why in made.failed]}
    except PlannerError as exc:
        result = {"state": "failed", "error": exc.web_message()}
    except Exception as exc:  # noqa: BLE001 - whatever it was, the page must say the run stopped
        result = {"state": "failed", "error": f"生成意外中止（{type(exc).__name__}: {exc}）"}
    result["finished"] = time.time()
    _write_json(folder / "result.json", result)
    return 0 if result["state"] == "done" else 1


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]), sys.argv[2]))
