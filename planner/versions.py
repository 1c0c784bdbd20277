"""Plan versions: every generated version is kept, the latest is also at the top of the folder.

Layout of one enterprise's folder::

    DIR/<id>/plan.md, plan.pdf, plan.json, brief.md, brief.pdf   the latest version
    DIR/<id>/history/v1/ ... v<N>/                                 every version, never changed
    DIR/<id>/history/v<N>/version.json                             what made it

A version is written into a staging folder and renamed into place whole, so an interrupted run
leaves the previous version intact. A run holds a lock on DIR, so two runs cannot interleave.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from planner.exceptions import PlannerError
from planner.store import atomic_write

HISTORY = "history"
META = "version.json"
DOCUMENTS = ("plan.md", "plan.json", "brief.md", "plan.pdf", "brief.pdf")
TRIGGERS = {"record": "企业记录变化", "profiles": "措施库变化", "templates": "模板变化", "as_of": "基准日变化"}
_VERSION_DIR = re.compile(r"^v(\d+)$")


@dataclass
class Version:
    """One kept version of one enterprise's documents."""

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
                h.update(f"{folder}:{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


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

    def versions(self, enterprise_id: str) -> list[Version]:
        return versions_in(self.folder(enterprise_id))

    def latest(self, enterprise_id: str) -> Version | None:
        found = self.versions(enterprise_id)
        return found[-1] if found else None

    def stage(self, enterprise_id: str) -> Path:
        """A fresh staging folder for a version being written."""
        path = self.folder(enterprise_id) / HISTORY / f".staging-{uuid.uuid4().hex[:12]}"
        path.mkdir(parents=True)
        return path

    def clean_staging(self, enterprise_id: str) -> None:
        """Remove what an interrupted run left half-written (never a version)."""
        history = self.folder(enterprise_id) / HISTORY
        for path in history.glob(".staging-*") if history.is_dir() else []:
            shutil.rmtree(path, ignore_errors=True)

    def commit(self, enterprise_id: str, staging: Path, inputs: dict, formats: tuple, summary: str) -> Version:
        """Turn a complete staging folder into the next version, then publish it as the latest."""
        previous = self.latest(enterprise_id)
        number = previous.number + 1 if previous else 1
        if previous is None:
            trigger = ["首次生成"]
        else:
            trigger = [TRIGGERS[k] for k in TRIGGERS if previous.inputs.get(k) != inputs.get(k)] or ["重新生成"]
        meta = {
            "version": number,
            "generated": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "as_of": inputs["as_of"],
            "inputs": inputs,
            "formats": list(formats),
            "trigger": trigger,
            "summary": summary,
        }
        atomic_write(staging / META, json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
        target = staging.parent / f"v{number}"
        if target.exists():
            raise PlannerError(f"{target} already exists; a version is never overwritten")
        try:
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        version = Version(number, target, meta)
        self.publish(enterprise_id, version)
        return version

    def publish(self, enterprise_id: str, version: Version) -> None:
        """Make the top of the folder show ``version`` (repairs a half-published one)."""
        folder = self.folder(enterprise_id)
        for name in DOCUMENTS:
            source = version.path / name
            if not source.is_file():
                continue
            current = folder / name
            data = source.read_bytes()
            if not current.is_file() or current.read_bytes() != data:
                atomic_write(current, data)


def versions_in(folder: Path) -> list[Version]:
    """The versions kept in an enterprise folder, oldest first."""
    history = Path(folder) / HISTORY
    found = []
    for path in history.iterdir() if history.is_dir() else []:
        match = _VERSION_DIR.match(path.name)
        if match and (path / META).is_file():
            meta = json.loads((path / META).read_text(encoding="utf-8"))
            found.append(Version(int(match.group(1)), path, meta))
    return sorted(found, key=lambda v: v.number)
