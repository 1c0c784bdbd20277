"""Plan versions: the latest at the top of an enterprise's folder, every earlier one kept.

Layout of one enterprise's folder::

    DIR/<id>/plan.md, plan.pdf, plan.json, brief.md, brief.pdf   the latest version
    DIR/<id>/version.json                                          what made it (written last)
    DIR/<id>/history/v1/ ... v<N-1>/                               every earlier version

Before a new version is written, the current one is archived whole into ``history/v<N>/``
(hard links, so no data is copied; a new file always replaces, never rewrites, so the archive
keeps the old bytes). Every file is written to a temporary file and renamed; ``version.json``
comes last, so an interrupted run leaves the previous version whole in the archive and the
next run simply writes the new one again. A run holds a lock on DIR.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import re
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from planner.store import TMP_SUFFIX, atomic_write

HISTORY = "history"
META = "version.json"
DOCUMENTS = ("plan.md", "plan.json", "brief.md", "plan.pdf", "brief.pdf")
TRIGGERS = {"record": "企业记录变化", "profiles": "措施库变化", "templates": "模板变化", "as_of": "基准日变化"}
_VERSION_DIR = re.compile(r"^v(\d+)$")


@dataclass
class Version:
    """One version of one enterprise's documents: the latest (at the top) or an archived one."""

    number: int
    path: Path
    meta: dict

    @property
    def inputs(self) -> dict:
        return self.meta.get("inputs", {})


def templates_digest(dirs: list[Path]) -> str:
    """A hash of every template and stylesheet on the search path, in search order."""
    h = hashlib.sha256()
    for folder in dirs:
        for path in sorted(Path(folder).glob("*")):
            if path.is_file() and path.suffix in (".j2", ".css"):
                h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")  # not the path: a copy is the same
    return h.hexdigest()[:16]


def read_meta(folder: Path) -> dict | None:
    try:
        return orjson.loads((Path(folder) / META).read_bytes())
    except FileNotFoundError:
        return None


def is_complete(folder: Path, meta: dict, formats: tuple) -> bool:
    """Whether the top of ``folder`` holds the version ``meta`` describes, in every wanted format.

    Sizes are checked against those recorded, which catches a run interrupted while replacing
    the files without reading them all back.
    """
    sizes = meta.get("sizes", {})
    wanted = [n for n in DOCUMENTS if n.endswith(".md") or n.endswith(".json") or "pdf" in formats]
    for name in wanted:
        try:
            if (Path(folder) / name).stat().st_size != sizes.get(name, -1):
                return False
        except FileNotFoundError:
            return False
    return True


class PlanStore:
    """The versioned output folder."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @contextmanager
    def locked(self):
        """Hold the folder's lock for a whole run; a second run waits for the first."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".planner.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield self
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def folder(self, enterprise_id: str) -> Path:
        return self.root / enterprise_id

    def latest_meta(self, enterprise_id: str) -> dict | None:
        return read_meta(self.folder(enterprise_id))

    def write_version(self, enterprise_id: str, files: dict, inputs: dict, formats: tuple, summarize) -> dict:
        """Archive the current version, then write ``files`` (name → text or bytes) as the new latest.

        ``summarize(previous)`` says what changed, given the archived plan.json of the version
        being replaced (None for a first version): the archive, not the top of the folder, which
        an interrupted run may already have overwritten with the new plan.
        """
        folder = self.folder(enterprise_id)
        try:
            folder.mkdir(parents=True)
            present = set()  # a new enterprise: nothing to archive, clean or replace
        except FileExistsError:
            present = {entry.name for entry in os.scandir(folder)}
        for name in present:
            if name.startswith(".") and name.endswith(TMP_SUFFIX):  # left by a process killed mid-write
                (folder / name).unlink(missing_ok=True)
        current = read_meta(folder) if META in present else None
        previous = None
        if current is not None:
            previous = self._archive(folder, current) / "plan.json"
        try:
            summary = summarize(previous if previous is not None and previous.is_file() else None)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # an old or damaged plan.json
            summary = f"无法与上一版比较（{type(exc).__name__}）"
        number = current["version"] + 1 if current else 1
        if current is None:
            trigger = ["首次生成"]
        else:
            old = current.get("inputs", {})
            changed = [k for k in TRIGGERS if old.get(k) != inputs.get(k)]
            if "profiles" in changed and "record" in changed and old.get("sector") != inputs.get("sector"):
                changed.remove("profiles")  # another sector's profile because the record moved it there
            trigger = [TRIGGERS[k] for k in changed] or ["重新生成"]
        sizes = {}
        for name, data in files.items():
            payload = data.encode("utf-8") if isinstance(data, str) else data
            atomic_write(folder / name, payload)
            sizes[name] = len(payload)
        for name in DOCUMENTS:  # a document the new version lacks must not pass for part of it
            if name not in files and name in present:
                (folder / name).unlink(missing_ok=True)
        meta = {
            "version": number,
            "generated": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "as_of": inputs["as_of"],
            "inputs": inputs,
            "formats": list(formats),
            "trigger": trigger,
            "summary": summary,
            "sizes": sizes,
        }
        atomic_write(folder / META, orjson.dumps(meta, option=orjson.OPT_INDENT_2) + b"\n")
        return meta

    def add_files(self, enterprise_id: str, files: dict, formats: tuple) -> dict:
        """Complete the latest version with documents it lacks (PDFs asked for later)."""
        folder = self.folder(enterprise_id)
        meta = read_meta(folder)
        for name, data in files.items():
            payload = data.encode("utf-8") if isinstance(data, str) else data
            atomic_write(folder / name, payload)
            meta["sizes"][name] = len(payload)  # bytes, as is_complete compares them
        meta["formats"] = sorted(set(meta["formats"]) | set(formats))
        atomic_write(folder / META, orjson.dumps(meta, option=orjson.OPT_INDENT_2) + b"\n")
        return meta

    def _archive(self, folder: Path, meta: dict) -> Path:
        """Keep the current version whole under history/v<N>/ (once: a rerun after an interrupted
        run finds it there already). Returns that folder."""
        target = folder / HISTORY / f"v{meta['version']}"
        if (target / META).is_file():
            return target
        staging = folder / HISTORY / f".staging-{uuid.uuid4().hex[:12]}"
        staging.mkdir(parents=True)
        try:
            for name in DOCUMENTS + (META,):
                source = folder / name
                if source.is_file():
                    try:
                        os.link(source, staging / name)
                    except OSError:  # a filesystem without hard links
                        shutil.copy2(source, staging / name)
            if target.exists():  # an empty or partial folder left by a killed run
                shutil.rmtree(target)
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target


def versions_in(folder: Path) -> list[Version]:
    """Every version of an enterprise folder, oldest first; the last is the latest (at the top)."""
    folder = Path(folder)
    history = folder / HISTORY
    found = []
    for path in history.iterdir() if history.is_dir() else []:
        match = _VERSION_DIR.match(path.name)
        meta = read_meta(path) if match else None
        if meta is not None:
            found.append(Version(int(match.group(1)), path, meta))
    latest = read_meta(folder)
    if latest is not None:
        found = [v for v in found if v.number != latest["version"]]
        found.append(Version(latest["version"], folder, latest))
    return sorted(found, key=lambda v: v.number)
