"""Impact of a proposed profile edit: every enterprise matched under both trees, nothing written."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import Counter
from pathlib import Path

from planner.diff import Side, diff_plans
from planner.knowledge import KnowledgeBase
from planner.matching import match
from planner.records import read_records


def impact_report(records: Path, base: KnowledgeBase, proposed: KnowledgeBase, as_of: dt.date):
    """The report text and the read result (for rejected records)."""
    read = read_records(records, base)
    affected = []
    totals: dict[str, Counter] = {}
    titles = {}
    for record in read.records:
        old = match(copy.deepcopy(record), base, as_of).to_json()
        new = match(copy.deepcopy(record), proposed, as_of).to_json()
        result = diff_plans(Side("现行", _plain(old), None), Side("拟调整", _plain(new), None), proposed)
        if not result.measures:
            continue
        affected.append((record, result))
        for change in result.measures:
            totals.setdefault(change.id, Counter())[change.kind] += 1
            titles[change.id] = change.title
    lines = [f"拟调整措施库影响{len(affected)}家企业（共{len(read.records)}家）。"]
    for record, result in affected:
        lines.append(f"\n{record.name}（{record.id}）：{result.summary()}")
        lines += [f"  {m.line()}" for m in result.measures]
    if totals:
        lines.append("\n按措施汇总：")
        for mid, count in totals.items():
            parts = "、".join(f"{label}{count[k]}家" for k, label in (("added", "新增"), ("removed", "移除"),
                                                                     ("changed", "变更")) if count[k])
            lines.append(f"  {titles[mid]}（{mid}）：{parts}")
    return "\n".join(lines), read


def _plain(plan_json: dict) -> dict:
    """A plan as plan.json holds it (dates and ids as JSON would give them back)."""
    return json.loads(json.dumps(plan_json, ensure_ascii=False))
