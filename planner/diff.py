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
from types import SimpleNamespace

from planner.dates import cn_date_text, cn_period, local_time
from planner.exceptions import PlannerError
from planner.knowledge import KnowledgeBase
from planner.matching import show_value
from planner.redline import redline as rendered_redline
from planner.view import completion_date, measure_section, timeline_kept
from planner.versions import HISTORY, META, Version, current_version, missing_enterprise, read_meta, scan_versions

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
    """A plan.json file, a plan folder (its latest version) or ``DIR/<id>@v<N>`` (or ``@<N>``).

    A version is read only when its files match its version.json (sizes and SHA-256): a damaged
    version.json, or a plan.json or plan.md that differs from what was recorded, is a DiffError
    (exit 2) naming the file, never a difference.
    """
    match = re.fullmatch(r"(.+)@(v?)(\d+)", spec)
    if match and (match.group(2) or not os.path.lexists(spec)):  # DIR/<id>@1 is DIR/<id>@v1
        folder, number = Path(match.group(1)), int(match.group(3))
        if not os.path.lexists(folder / META) and not (folder / HISTORY).is_dir():
            raise DiffError(missing_enterprise(folder))
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
        if "@" in spec and not os.path.lexists(spec):
            raise DiffError(f"{spec}：版本应写作 输出目录/<统一社会信用代码>@v<N>（或 @<N>），例如 @v1")
        if not os.path.lexists(spec):
            raise DiffError(missing_enterprise(path) if path.suffix != ".json" else f"{spec}：文件不存在")
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


SECTIONS = {"core": "重点帮扶措施", "universal": "普惠政策"}
# matching.py words the reason a measure answers reported difficulties so: 针对企业反映的<labels>
ANSWERED = "针对企业反映的"
# provenance keys (plan.json "provenance", version.json "inputs") as a reader names them
FINGERPRINTS = {"record": "记录", "profiles": "措施库", "templates": "模板", "generator": "程序"}


@dataclass
class MeasureChange:
    kind: str  # added, removed, changed (a measure moved between sections is changed, with ``moved``)
    id: str
    title: str
    details: list = field(default_factory=list)
    cause: str = ""
    moved: tuple | None = None  # (old section, new section) as SECTIONS names them

    def line(self) -> str:
        if self.moved:
            text = f"调整：{self.title} 由“{self.moved[0]}”移至“{self.moved[1]}”"
            inner = self.details + ([f"原因：{self.cause}"] if self.cause else [])
            return text + ("（" + "；".join(inner) + "）" if inner else "")
        head = {"added": "新增", "removed": "移除", "changed": "变更"}[self.kind]
        text = f"{head}：{self.title}"
        if self.details:
            text += "（" + "；".join(self.details) + "）"
        return text + (f" —— 原因：{self.cause}" if self.cause else "")


@dataclass
class ReasonChange:
    """One reason added to (or removed from) the same wording in several measures."""

    kind: str  # added, removed
    text: str
    titles: list

    def line(self) -> str:
        head = "新增" if self.kind == "added" else "不再有"
        return f"{len(self.titles)}项措施{head}理由“{self.text}”（{'、'.join(self.titles)}）"


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
    reasons: list = field(default_factory=list)  # ReasonChange, for measures on both sides
    fact_phrases: list = field(default_factory=list)  # 主要困难新增“融资难”, 生产状态由“正常”变为“停产”
    dates: list = field(default_factory=list)  # what a new base date moves as the plan reads: 完成时限3处

    @property
    def same_meaning(self) -> bool:
        """Nothing changed but, perhaps, dates and wording: no fact, measure, reason or question."""
        return not (self.facts or self.measures or self.questions_added or self.questions_settled
                    or self.reasons)

    def headline(self) -> str:
        """The one line a reviewer reads first: 仅日期变化：… when only the base date and what it moves
        (完成时限, 时间节点) changed, 无实质变化 only when the plans say the same on the same date,
        else ``summary``."""
        if not self.same_meaning:
            return self.summary()
        moved = self.dates_line()
        if not moved:
            return SAME_PLAN
        wording = _fingerprints_changed(self.old, self.new)
        if "模板" in wording or "程序" in wording:
            return f"日期变化：{moved}；另有文字或模板调整"
        return f"仅日期变化：{moved}"

    def dates_line(self) -> str:
        """基准日由…变为…，完成时限3处、时间节点2处; empty when the base date is the same."""
        old_as_of, new_as_of = self.old.plan.get("as_of"), self.new.plan.get("as_of")
        if old_as_of == new_as_of:
            return ""
        line = f"基准日由{cn_date_text(old_as_of)}变为{cn_date_text(new_as_of)}"
        return line + ("，" + "、".join(self.dates) if self.dates else "")

    @property
    def same(self) -> bool:
        return not (self.facts or self.measures or self.questions_added or self.questions_settled
                    or self.reasons or self.redline)

    @property
    def measures_unchanged_in_number(self) -> bool:
        """No measure came or went (some may have changed, moved or got other reasons)."""
        return not any(m.kind in ("added", "removed") for m in self.measures)

    def summary(self) -> str:
        """One line, the most important first: facts, measures added or removed, then the rest."""
        if self.same:
            return "无变化"
        parts = list(self.fact_phrases) + list(self.context)
        counts = {k: sum(1 for m in self.measures if m.kind == k and not m.moved) for k in ("added", "removed", "changed")}
        moved = sum(1 for m in self.measures if m.moved)
        shown = [f"{label}{counts[k]}项" for k, label in (("added", "新增"), ("removed", "移除")) if counts[k]]
        if shown:
            parts.append("措施" + "、".join(shown))
        elif (self.facts or self.context or self.measures or self.reasons or self.questions_added
              or self.questions_settled):  # said even when only facts changed: the reader asks it first
            parts.append("措施无增减")
        if self.dates:
            parts.append("随基准日变化：" + "、".join(self.dates))
        if moved:
            parts.append(f"{moved}项措施调整栏目")
        if counts["changed"]:
            parts.append(f"{counts['changed']}项措施内容变更")
        changed_reasons = {t for r in self.reasons for t in r.titles}
        if changed_reasons:
            parts.append(f"{len(changed_reasons)}项措施理由变化")
        questions = [f"{label}{len(q)}个" for label, q in (("新增", self.questions_added), ("已解决", self.questions_settled)) if q]
        if questions:
            parts.append("待核实问题" + "、".join(questions))
        return "；".join(parts) or "仅文字调整"

    def header_lines(self) -> list[str]:
        """Who and which versions: the enterprise, each side's version, time and trigger, the as-of
        dates, and whether the inputs' fingerprints differ (never the hashes themselves)."""
        a, b = self.old.plan.get("enterprise", {}), self.new.plan.get("enterprise", {})
        lines = [f"企业：{b.get('name', '')}（统一社会信用代码：{b.get('id', '')}）"]
        if (a.get("id"), a.get("name")) != (b.get("id"), b.get("name")):
            lines = [f"原方案企业：{a.get('name', '')}（统一社会信用代码：{a.get('id', '')}）",
                     f"新方案企业：{b.get('name', '')}（统一社会信用代码：{b.get('id', '')}）"]
        for head, side in (("原方案", self.old), ("新方案", self.new)):
            lines.append(f"{head}：{_side_line(side)}")
        old_as_of, new_as_of = self.old.plan.get("as_of"), self.new.plan.get("as_of")
        if old_as_of == new_as_of:
            lines.append(f"基准日：{cn_date_text(new_as_of)}")
        else:
            lines.append(f"基准日：{cn_date_text(old_as_of)} → {cn_date_text(new_as_of)}")
        changed = _fingerprints_changed(self.old, self.new)
        if changed:
            lines.append(f"数据指纹：{'/'.join(changed)}已更新")
        return lines


def _side_line(side: Side) -> str:
    """第2版 · 2026年12月3日 02:27 · 企业记录变化, or the label of a bare plan.json."""
    meta = side.meta
    if not meta or side.number is None:
        return side.label
    parts = [f"第{side.number}版"]
    if meta.get("generated"):
        parts.append(local_time(meta["generated"]))
    trigger = meta.get("trigger")
    if trigger:
        parts.append("、".join(str(t) for t in trigger) if isinstance(trigger, list) else str(trigger))
    return " · ".join(parts)


def _fingerprints_changed(old: Side, new: Side) -> list[str]:
    def prints(side: Side) -> dict:
        found = dict(side.plan.get("provenance") or {})
        if side.meta and isinstance(side.meta.get("inputs"), dict):
            found.update(side.meta["inputs"])
        return found

    a, b = prints(old), prints(new)
    return [name for key, name in FINGERPRINTS.items() if key in a and key in b and a[key] != b[key]]


def diff_plans(old: Side, new: Side, kb: KnowledgeBase) -> PlanDiff:
    """The meaning and the redline of the change from ``old`` to ``new``."""
    facts = _fact_changes(old.plan, new.plan, kb)
    changed_fields = {f[3] for f in facts}
    context = []
    if old.plan.get("as_of") != new.plan.get("as_of"):
        context.append(f"基准日由{cn_date_text(old.plan.get('as_of'))}变为{cn_date_text(new.plan.get('as_of'))}")
    old_prov, new_prov = old.plan.get("provenance", {}), new.plan.get("provenance", {})
    same_sector = old.plan["enterprise"].get("sector") == new.plan["enterprise"].get("sector")
    if old_prov.get("profiles") != new_prov.get("profiles") and same_sector:  # else the record moved it
        context.append("措施库已调整")
    measures = _measure_changes(old.plan, new.plan, kb, facts, changed_fields, context)
    old_q = [q["text"] for q in old.plan.get("questions", [])]
    new_q = [q["text"] for q in new.plan.get("questions", [])]
    redline = rendered_redline(old.markdown, new.markdown) if old.markdown is not None and new.markdown is not None else []
    return PlanDiff(old, new, [f[:3] for f in facts], context, measures,
                    [q for q in new_q if q not in old_q], [q for q in old_q if q not in new_q], redline,
                    _reason_changes(old.plan, new.plan, kb), [f[4] for f in facts], _date_changes(old.plan, new.plan, kb))


def _date_changes(old: dict, new: dict, kb: KnowledgeBase) -> list[str]:
    """What a new base date moves in the plan as it reads, counted over what both sides show:
    完成时限 of the task table (its measures' nearest deadline ahead), rows of 时间节点 gained, lost
    or newly marked 已过. Empty when the base date is the same."""
    old_as_of, new_as_of = old.get("as_of"), new.get("as_of")
    if not old_as_of or not new_as_of or old_as_of == new_as_of:
        return []
    before = {m["id"]: m for m in old.get("measures", [])}
    specs = {m.id: m for m in kb.all_measures()}
    due = 0
    for m in new.get("measures", []):
        was = before.get(m["id"])
        tasks = was is not None and "core" == _section(was, specs.get(m["id"])) == _section(m, specs.get(m["id"]))
        if tasks and _due(was, old_as_of) != _due(m, new_as_of):  # both in the task table, its 完成时限 moved
            due += 1

    both = set(before) & {m["id"] for m in new.get("measures", [])}  # a measure's own rows come and go with it

    def shown(plan: dict, as_of: str) -> set:
        measures = plan.get("measures", [])
        rows, _ = timeline_kept(plan.get("timeline", []), {m["id"]: m["period"]["end"] for m in measures},
                                {m["id"] for m in measures if m.get("deadline_warning")}, as_of)
        return {(e["date"], e["text"], e["past"]) for e in rows if e["measure"] is None or e["measure"] in both}

    a, b = shown(old, old_as_of), shown(new, new_as_of)
    nodes = len({(d, t) for d, t, _ in a ^ b})
    return [f"{label}{n}处" for label, n in (("完成时限", due), ("时间节点", nodes)) if n]


def _due(m: dict, as_of: str) -> str:
    """A plan.json measure's 完成时限 as the task table shows it on ``as_of``."""
    try:
        return completion_date(SimpleNamespace(deadlines=m.get("deadlines") or [], period=m["period"]), None, as_of)
    except (KeyError, TypeError):
        return ""


def _fact_changes(old: dict, new: dict, kb: KnowledgeBase) -> list[tuple]:
    """(label, old shown, new shown, field id, phrase) for each fact that differs."""
    a, b = old["enterprise"], new["enterprise"]
    out = []
    for field_id, spec in kb.fields.items():
        if a.get(field_id) != b.get(field_id):
            shown_a, shown_b = show_value(spec, a.get(field_id), kb), show_value(spec, b.get(field_id), kb)
            out.append((spec.label, shown_a, shown_b, field_id, _fact_phrase(spec, a.get(field_id), b.get(field_id),
                                                                             shown_a, shown_b, kb)))
    return out


def _fact_phrase(spec, a, b, shown_a, shown_b, kb) -> str:
    """主要困难新增“融资难”、移除“人才短缺” for a list; 生产状态由“正常”变为“停产” otherwise."""
    if spec.type == "enum_list" and isinstance(a, list) and isinstance(b, list):
        def label(v):
            return kb.vocab_label(spec.vocabulary, v) or str(v)
        added = [label(v) for v in b if v not in a]
        removed = [label(v) for v in a if v not in b]
        parts = ([f"新增“{'、'.join(added)}”"] if added else []) + ([f"移除“{'、'.join(removed)}”"] if removed else [])
        if parts:
            return spec.label + "、".join(parts)
    return f"{spec.label}由“{shown_a}”变为“{shown_b}”"


def _section(m: dict, spec) -> str:
    """The section a plan.json measure is shown in (planner.view.measure_section decides)."""
    return measure_section(SimpleNamespace(scope=m.get("scope"), answers=m.get("answers") or []), spec)


def _measure_changes(old, new, kb, facts, changed_fields, context) -> list[MeasureChange]:
    before = {m["id"]: m for m in old["measures"]}
    after = {m["id"]: m for m in new["measures"]}
    by_id = {m.id: m for m in kb.all_measures()}
    expired_now = {m["id"]: m for m in new.get("expired", [])}
    out = []

    def cause(measure_id: str) -> str:
        measure = by_id.get(measure_id)
        used = {"sector"}
        if measure is not None:  # the facts its eligibility, its cases and its audience read
            for condition in [measure.condition, measure.audience] + [b.condition for b in measure.branches]:
                if condition is not None:
                    used.update(condition.fields())
        a, b = before.get(measure_id, {}), after.get(measure_id, {})
        if (measure and measure.difficulties) or a.get("answers") != b.get("answers"):
            used.add("difficulties")  # the difficulties it answers place it and give it reasons
        because = [phrase for label, x, y, fid, phrase in facts if fid in used]
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
            spec = by_id.get(mid)
            was, now = SECTIONS[_section(before[mid], spec)], SECTIONS[_section(m, spec)]
            moved = (was, now) if was != now else None
            if details or moved:
                out.append(MeasureChange("changed", mid, m["title"], details, cause(mid), moved))
    return out


def _reason_changes(old: dict, new: dict, kb: KnowledgeBase) -> list[ReasonChange]:
    """Reasons added or removed, grouped by wording across the measures on both sides.

    The reason that a measure answers reported difficulties names them all in one phrase
    (针对企业反映的成本高利润薄、融资难); it is compared difficulty by difficulty, so a new difficulty
    reads as one reason added to every measure that answers it."""
    before = {m["id"]: m for m in old["measures"]}
    grouped: dict[tuple, list] = {}

    def label(d):
        return kb.vocab_label("difficulties", d) or str(d)

    for m in new["measures"]:
        was = before.get(m["id"])
        if was is None:
            continue
        a = [r for r in was.get("reasons", []) if not r.startswith(ANSWERED)]
        b = [r for r in m.get("reasons", []) if not r.startswith(ANSWERED)]
        answers_a, answers_b = was.get("answers") or [], m.get("answers") or []
        found = [("added", r) for r in b if r not in a] + [("removed", r) for r in a if r not in b]
        found += [("added", ANSWERED + label(d)) for d in answers_b if d not in answers_a]
        found += [("removed", ANSWERED + label(d)) for d in answers_a if d not in answers_b]
        for key in found:
            grouped.setdefault(key, []).append(m["title"])
    return [ReasonChange(kind, text, titles) for (kind, text), titles in grouped.items()]


def _field_changes(a: dict, b: dict) -> list[str]:
    def period(p):
        return cn_period(p["start"], p["end"]) if p.get("start") else f"至{cn_date_text(p.get('end')) or '长期'}"

    def deadlines(m):
        return "；".join(f"{cn_date_text(d['date'])} {d['title']}" for d in m.get("deadlines", [])) or "无"

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
        ("具体举措", lambda m: m["actions"]),
        ("走访核实", lambda m: m.get("checks", [])),
        ("待核实", verify),
        ("名称", lambda m: m["title"]),
        ("内容摘要", lambda m: m.get("summary", "")),
        ("需准备材料", lambda m: m.get("documents", [])),
        ("走访确认", lambda m: m.get("questions", [])),
        ("对接活动", lambda m: m.get("activities", [])),
        ("说明", lambda m: m.get("notes", [])),
        ("政策依据", lambda m: (m.get("source") or {}).get("quote", "") + "；".join((m.get("source") or {}).get("notices", []))),
    ]
    out = []
    for name, get in checks:
        before, after = get(a), get(b)
        if before == after:
            continue
        if isinstance(before, list) and isinstance(after, list):
            out.append(f"{name}：{_list_change(before, after)}")
        else:
            out.append(f"{name}：{before} → {after}")
    return out


def _list_change(before: list, after: list) -> str:
    """What a list of a measure gained and lost, item by item: 新增“产融对接（回应：融资难）”;
    the whole lists when only their order changed."""
    added = [item for item in after if item not in before]
    removed = [item for item in before if item not in after]
    if not added and not removed:
        return f"次序调整为{'；'.join(after)}"
    parts = []
    if added:
        parts.append("新增" + "、".join(f"“{item}”" for item in added))
    if removed:
        parts.append("删去" + "、".join(f"“{item}”" for item in removed))
    return "，".join(parts)


def change_summary(previous_json: Path | None, new_json_text: str, kb: KnowledgeBase) -> str:
    """One line saying what a new version changed against the previous one."""
    if previous_json is None or not Path(previous_json).is_file():
        return "首个版本"
    old = Side("old", json.loads(Path(previous_json).read_text(encoding="utf-8")), None)
    new = Side("new", json.loads(new_json_text), None)
    return diff_plans(old, new, kb).headline()


SAME_PLAN = "无实质变化（文字或模板调整）"  # change_summary's line when the plans say the same



_RECOMPUTED: dict = {}  # (plan.json paths with their mtimes and sizes) -> headline; see shown_summary
_RECOMPUTED_MOST = 4096


def shown_summary(version: Version, previous: Version | None, kb) -> str:
    """The summary line of ``version`` as a page or list shows it: the one in its version.json,
    except a stale one. A planner before 仅日期变化 wrote SAME_PLAN (or, when the enterprise's
    requests changed too, the requests' line alone) for a version whose only change was the base
    date and the 完成时限 and 时间节点 it moves; such a version has another as_of than
    ``previous`` (the version before it), so only then is the line recomputed from the two
    plan.json files (cached by their paths, mtimes and sizes). When a plan.json cannot be read,
    the date change is said before the stored line. ``kb``: the KnowledgeBase, or a function
    giving it (called only when a line is recomputed)."""
    stored = str(version.meta.get("summary") or "")
    requests_only = _REQUESTS_LINE.fullmatch(stored)
    if (stored != SAME_PLAN and not requests_only) or previous is None:
        return stored
    old_as_of, new_as_of = previous.meta.get("as_of"), version.meta.get("as_of")
    if not old_as_of or not new_as_of or old_as_of == new_as_of:
        return stored  # the same base date: what headline() says too
    old_json, new_json = Path(previous.path) / "plan.json", Path(version.path) / "plan.json"
    try:
        key = tuple((str(p), s.st_mtime_ns, s.st_size) for p, s in ((p, p.stat()) for p in (old_json, new_json)))
        if key not in _RECOMPUTED:
            kb = kb() if callable(kb) else kb
            if len(_RECOMPUTED) >= _RECOMPUTED_MOST:
                _RECOMPUTED.clear()
            old = Side("old", json.loads(old_json.read_text(encoding="utf-8")), None)
            new = Side("new", json.loads(new_json.read_text(encoding="utf-8")), None)
            _RECOMPUTED[key] = diff_plans(old, new, kb).headline()
        headline = _RECOMPUTED[key]
    except (OSError, ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        moved = f"日期变化：基准日由{cn_date_text(old_as_of)}变为{cn_date_text(new_as_of)}"
        if requests_only:
            return f"{moved}（方案文件无法比较，完成时限等随日期的变化未计）；{stored}"
        return f"{moved}；生成时记为“{SAME_PLAN}”（方案文件无法比较，完成时限等随日期的变化未计）"
    if headline == SAME_PLAN:
        return stored
    return f"{headline}；{stored}" if requests_only else headline


_REQUESTS_LINE = re.compile(r"诉求办理情况更新（[^（）]*）")  # planner.generate._summary's line when only requests changed
