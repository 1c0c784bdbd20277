"""What an output folder was generated from: for each list file run into it, the enterprises the
list held and the records it could not identify. ``planner summary DIR`` reads this, so a report
of the folder alone still names the rejected records of its lists (a stopped key enterprise with
a wrong check character is a gap, not a silent omission) and the folders whose enterprise has
left every list.

Kept in ``DIR/.planner-lists.json``, one entry per list (keyed by the list's resolved path), the
entry replaced by the next run of that list: a folder made from several district lists knows them
all, and a list run again forgets what its earlier run rejected. Written under the run's lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import orjson

from planner.records import ReadResult, RecordProblem, RejectedRecord
from planner.store import atomic_write

FILE = ".planner-lists.json"


@dataclass(frozen=True)
class Roster:
    """One list as last run into the folder."""

    name: str  # the list's file name, as the officer knows it
    read_at: str  # local time of that run, ISO 8601
    ids: frozenset
    rejected: tuple  # RejectedRecord


def record(out_dir: Path, list_path: Path, read: ReadResult) -> None:
    """Remember ``read`` (the list at ``list_path``) as the latest run of that list into ``out_dir``.

    Nothing is written when the entry would only change its time, or when the folder cannot be
    written (a read-only folder with nothing to generate must still work)."""
    resolved = str(Path(list_path).resolve())
    entry = {
        "list": Path(list_path).name,
        "read_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "ids": [r.id for r in read.records],
        "rejected": [{"where": r.where, "name": r.name, "code": r.code, "facts": r.facts,
                      "reasons": [{"field": p.field, "message": p.message} for p in r.problems
                                  if p.level == "rejected"]} for r in read.rejected_records],
    }
    entries = _load(out_dir)
    old = entries.get(resolved)
    if isinstance(old, dict) and {**old, "read_at": None} == orjson.loads(orjson.dumps({**entry, "read_at": None},
                                                                                       default=str)):
        return
    entries[resolved] = entry
    try:
        atomic_write(Path(out_dir) / FILE, orjson.dumps(entries, default=str, option=orjson.OPT_INDENT_2))
    except OSError:
        pass


def _load(out_dir: Path) -> dict:
    try:
        data = orjson.loads((Path(out_dir) / FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def rosters(out_dir: Path) -> list[Roster]:
    """Every list remembered in ``out_dir``, oldest run first; an entry that cannot be read is
    passed over (it only ever adds names to a report, never removes any)."""
    found = []
    for data in _load(out_dir).values():
        try:
            rejected = tuple(
                RejectedRecord(str(r["where"]), str(r["name"]), str(r["code"]), dict(r["facts"]),
                               tuple(RecordProblem(str(r["where"]), str(p["field"]), str(p["message"]),
                                                   level="rejected") for p in r["reasons"]))
                for r in data["rejected"])
            found.append(Roster(str(data["list"]), str(data["read_at"]), frozenset(map(str, data["ids"])), rejected))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return sorted(found, key=lambda r: r.read_at)
