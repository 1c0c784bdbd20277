"""From a records file to plans: read, validate, derive, match. The library entry point."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from planner.exceptions import PlannerError
from planner.knowledge import KnowledgeBase
from planner.matching import match
from planner.records import ReadResult, read_records
from planner.yamlio import display_path


@dataclass
class Batch:
    """The plans of every good record of a list, and what was rejected on the way."""

    plans: list
    read: ReadResult


def plan_records(path: Path, kb: KnowledgeBase, as_of: dt.date, only_id: str | None = None) -> Batch:
    """Plans for every good record of ``path`` (or only ``only_id``)."""
    read = read_records(path, kb)
    records = read.records
    if only_id is not None:
        records = [r for r in records if r.id == only_id.strip().upper()]
        if not records:
            raise PlannerError(f"{display_path(path)} 中没有统一社会信用代码为 {only_id} 的企业"
                               f"（名单中共{len(read.records)}家企业通过校验）")
    return Batch([match(r, kb, as_of) for r in records], read)
