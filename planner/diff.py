"""Diffing two versions of a plan: first what changed in meaning and why, then a redline.

The meaning comes from the two plan.json files: measures added, removed and changed field by
field, questions added or settled, enterprise facts changed, each change with its cause. The
redline compares the two plan.md texts as they read (planner.redline): rendered blocks aligned,
moved blocks shown once, changes marked by whole tokens.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from planner.exceptions import PlannerError
from planner.knowledge import KnowledgeBase
from planner.matching import show_value
from planner.redline import redline as rendered_redline
from planner.versions import META, Version, current_version, read_meta, scan_versions

STATUS = {"applies": "适用", "verify": "待核实", "upcoming": "即将实施"}


class DiffError(PlannerError):
    """A side of a diff cannot be found or read."""

    exit_code = 2


@dataclass
class Side:
    """One side of a diff: its plan.json, its plan.md (when there) and how to name it."""

    label: str
    plan: dict
    markdown: str | None
    meta: dict | None = None  # the version.json of that version, when read from an output folder
    number: int | None = None  # its version number

    @property
    def name(self) -> str:
        return self.plan.get("enterprise", {}).get("name", "")


def load_side(spec: str) -> Side:
    """A plan.json file, a plan folder (its latest version) or ``DIR/<id>@v<N>``.

    A version is read only when its files match its version.json (sizes and SHA-256): a damaged
    version.json, or a plan.json or plan.md that differs from what was recorded, is a DiffError
    (exit 2) naming the file, never a difference.
    """
    match = re.fullmatch(r"(.+)@v(\d+)", spec)
    if match:
        folder, number = Path(match.group(1)), int(match.group(2))
        good, damaged = scan_versions(folder)
        found = {v.number: v for v in good}
        if number not in found:
            for damage in damaged:
                if damage.number == number:
                    raise DiffError(damage.message)
            known = "、".join(f"v{n}" for n in sorted(found)) or "无"
            raise DiffError(f"{spec}：{folder} 中没有第{number}版（现有版本：{known}）")
        json_path = found[number].path / "plan.json"
        version = found[number]
    else:
        version = None
        path = Path(spec)
        json_path = path / "plan.json" if path.is_dir() else path
        if path.is_dir() and os.path.lexists(path / META):  # an enterprise folder: its latest whole version
            version, problem = current_version(path, deep=True)
            if version is None:
                raise DiffError(problem)
            json_path = version.path / "plan.json"
        elif path.is_dir() or path.name == "plan.json":  # a version folder (top or history/v<N>) read directly
            try:
                meta = read_meta(json_path.parent)
            except PlannerError:
                meta = None
            if meta is not None:
                version = Version(meta["version"], json_path.parent, meta)
    if not json_path.is_file():
        raise DiffError(f"{spec}：找不到 plan.json")
    try:
        plan = json.loads(json_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DiffError(f"{json_path}：不是有效的 plan.json（{exc}）") from None
    if not isinstance(plan, dict) or "measures" not in plan or "enterprise" not in plan:
        raise DiffError(f"{json_path}：不是有效的 plan.json（缺少 enterprise 或 measures）")
    md_path = json_path.with_name("plan.md")
    try:
        markdown = md_path.read_text(encoding="utf-8") if md_path.is_file() else None
    except UnicodeDecodeError as exc:
        raise DiffError(f"{md_path}：不是 UTF-8 文本（{exc.reason}）") from None
    if version is not None:
        return Side(spec, plan, markdown, version.meta, version.number)
    return Side(spec, plan, markdown)


@dataclass
class MeasureChange:
    kind: str  # added, removed, changed
    id: str
    title: str
    details: list = field(default_factory=list)
    cause: str = ""

    def line(self) -> str:
        head = {"added": "新增", "removed": "移除", "changed": "变更"}[self.kind]
        text = f"{head}：{self.title}"
        if self.details:
            text += "（" + "；".join(self.details) + "）"
        return text + (f" —— 原因：{self.cause}" if self.cause else "")


@dataclass
class PlanDiff:
    """What changed between two plans, in meaning and in text."""

    old: Side
    new: Side
    facts: list  # (label, old shown, new shown)
    context: list  # as-of date, profiles, generator
    measures: list  # MeasureChange
    questions_added: list
    questions_settled: list
    redline: list  # planner.redline.Hunk: the changed blocks of plan.md as it reads

    @property
    def same(self) -> bool:
        return not (self.facts or self.measures or self.questions_added or self.questions_settled
                    or self.redline)

    def summary(self) -> str:
        counts = {k: sum(1 for m in self.measures if m.kind == k) for k in ("added", "removed", "changed")}
        if self.same:
            return "无变化"
        parts = []
        if any(counts.values()):
            parts.append(f"措施新增{counts['added']}项、移除{counts['removed']}项、变更{counts['changed']}项")
        if self.facts:
            parts.append("企业信息变化：" + "、".join(f[0] for f in self.facts))
        if self.questions_added or self.questions_settled:
            parts.append(f"待核实问题新增{len(self.questions_added)}个、已解决{len(self.questions_settled)}个")
        return "；".join(parts) or "仅文字调整"


def diff_plans(old: Side, new: Side, kb: KnowledgeBase) -> PlanDiff:
    """The meaning and the redline of the change from ``old`` to ``new``."""
    facts = _fact_changes(old.plan, new.plan, kb)
    changed_fields = {f[3] for f in facts}
    context = []
    if old.plan.get("as_of") != new.plan.get("as_of"):
        context.append(f"基准日由{old.plan.get('as_of')}变为{new.plan.get('as_of')}")
    old_prov, new_prov = old.plan.get("provenance", {}), new.plan.get("provenance", {})
    same_sector = old.plan["enterprise"].get("sector") == new.plan["enterprise"].get("sector")
    if old_prov.get("profiles") != new_prov.get("profiles") and same_sector:  # else the record moved it
        context.append("措施库已调整")
    measures = _measure_changes(old.plan, new.plan, kb, facts, changed_fields, context)
    old_q = [q["text"] for q in old.plan.get("questions", [])]
    new_q = [q["text"] for q in new.plan.get("questions", [])]
    redline = rendered_redline(old.markdown, new.markdown) if old.markdown is not None and new.markdown is not None else []
    return PlanDiff(old, new, [f[:3] for f in facts], context, measures,
                    [q for q in new_q if q not in old_q], [q for q in old_q if q not in new_q], redline)


def _fact_changes(old: dict, new: dict, kb: KnowledgeBase) -> list[tuple]:
    a, b = old["enterprise"], new["enterprise"]
    out = []
    for field_id, spec in kb.fields.items():
        if a.get(field_id) != b.get(field_id):
            out.append((spec.label, show_value(spec, a.get(field_id), kb), show_value(spec, b.get(field_id), kb),
                        field_id))
    return out


def _measure_changes(old, new, kb, facts, changed_fields, context) -> list[MeasureChange]:
    before = {m["id"]: m for m in old["measures"]}
    after = {m["id"]: m for m in new["measures"]}
    by_id = {m.id: m for m in kb.all_measures()}
    expired_now = {m["id"]: m for m in new.get("expired", [])}
    out = []

    def cause(measure_id: str) -> str:
        measure = by_id.get(measure_id)
        used = set(measure.condition.fields()) if measure and measure.condition else set()
        used.add("sector")
        because = [f"{label}由“{a}”变为“{b}”" for label, a, b, fid in facts if fid in used]
        if measure_id in expired_now:
            because.append(f"已于{expired_now[measure_id]['ended']}到期")
        return "；".join(because or context)

    for mid, m in after.items():
        if mid not in before:
            out.append(MeasureChange("added", mid, m["title"], [f"状态：{STATUS[m['status']]}"], cause(mid)))
    for mid, m in before.items():
        if mid not in after:
            out.append(MeasureChange("removed", mid, m["title"], [], cause(mid)))
    for mid, m in after.items():
        if mid in before:
            details = _field_changes(before[mid], m)
            if details:
                out.append(MeasureChange("changed", mid, m["title"], details, cause(mid)))
    return out


def _field_changes(a: dict, b: dict) -> list[str]:
    def period(p):
        return f"{p['start']}至{p['end'] or '长期'}"

    def deadlines(m):
        return "；".join(f"{d['date']} {d['title']}" for d in m.get("deadlines", [])) or "无"

    def verify(m):
        return "、".join(v["label"] for v in m.get("verify", [])) or "无"

    checks = [
        ("状态", lambda m: STATUS.get(m["status"], m["status"])),
        ("适用情形", lambda m: (m.get("branch") or {}).get("title")
         or "、".join(b["title"] for b in m.get("confirm_branches", [])) or "无"),
        ("款项处理", lambda m: "；".join(f"{i['item']}：{i['text']}" for i in m.get("items", [])) or "无"),
        ("实施期限", lambda m: period(m["period"])),
        ("时间节点", deadlines),
        ("截止提醒", lambda m: m.get("deadline_warning") or "无"),
        ("牵头部门", lambda m: "、".join(m["lead"])),
        ("具体举措", lambda m: "；".join(m["actions"])),
        ("走访核实", lambda m: "；".join(m.get("checks", [])) or "无"),
        ("待核实", verify),
        ("名称", lambda m: m["title"]),
        ("内容摘要", lambda m: m.get("summary", "")),
        ("需准备材料", lambda m: "；".join(m.get("documents", [])) or "无"),
        ("走访确认", lambda m: "；".join(m.get("questions", [])) or "无"),
        ("对接活动", lambda m: "、".join(m.get("activities", [])) or "无"),
        ("说明", lambda m: "；".join(m.get("notes", [])) or "无"),
        ("政策依据", lambda m: (m.get("source") or {}).get("quote", "") + "；".join((m.get("source") or {}).get("notices", []))),
    ]
    return [f"{name}：{get(a)} → {get(b)}" for name, get in checks if get(a) != get(b)]


def change_summary(previous_json: Path | None, new_json_text: str, kb: KnowledgeBase) -> str:
    """One line saying what a new version changed against the previous one."""
    if previous_json is None or not Path(previous_json).is_file():
        return "首个版本"
    old = Side("old", json.loads(Path(previous_json).read_text(encoding="utf-8")), None)
    new = Side("new", json.loads(new_json_text), None)
    result = diff_plans(old, new, kb)
    return "无实质变化（文字或模板调整）" if result.same else result.summary()

