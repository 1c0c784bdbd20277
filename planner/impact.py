"""Impact of a proposed profile edit: what changed in the sector tree, file by file and key by key,
then every enterprise whose plan it would change (each matched under both trees). Nothing written.

The structural diff reads each YAML file with the project's loader (planner.yamlio); dicts are
walked by key and lists of items with an ``id`` (measures, pressures, branches) by that id, so a
change reads ``automotive.yaml: automotive_logistics.period.end 2022-12-31 → 2022-09-30``.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from planner.diff import PlanDiff, Side, diff_plans
from planner.knowledge import KnowledgeBase
from planner.matching import match
from planner.records import read_records
from planner.yamlio import YamlSyntaxError, load_document

KINDS = (("added", "新增"), ("removed", "移除"), ("changed", "变更"))
_TREE_SUFFIXES = (".yaml", ".txt")  # what knowledge.load and the profile digests read


@dataclass(frozen=True)
class ProfileChange:
    """One difference between the current and the proposed sector tree."""

    file: str
    key: str  # "" for a whole file
    kind: str  # changed, added, removed (of a key or, with key "", of a file)
    old: str = ""
    new: str = ""

    def line(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else f"{self.file}:"
        if self.kind == "changed":
            return f"{where} {self.old} → {self.new}"
        if self.kind == "added":
            return f"{where} 新增文件" if not self.key else f"{where} 新增 {self.new}"
        return f"{where} 文件已删除" if not self.key else f"{where} 删除（原为 {self.old}）"

    @property
    def kind_label(self) -> str:
        return {"changed": "修改", "added": "新增", "removed": "删除"}[self.kind]


@dataclass
class ImpactReport:
    """What a proposed tree changes: in its files, and in the plans of the listed enterprises."""

    as_of: dt.date
    profile_changes: list  # ProfileChange
    total: int  # enterprises read from the list
    affected: list  # (record, PlanDiff)
    totals: dict = field(default_factory=dict)  # measure id -> Counter of kinds
    titles: dict = field(default_factory=dict)  # measure id -> title

    def headline(self) -> str:
        return f"拟调整措施库影响{len(self.affected)}家企业（共{self.total}家）。"

    def measure_totals(self) -> list[tuple[str, str, Counter]]:
        """(title, id, counts) of every measure that changes in any plan, in order of first sight."""
        return [(self.titles[mid], mid, count) for mid, count in self.totals.items()]


def counts_text(count: Counter) -> str:
    """新增1家、变更2家: how many plans gain, lose or change one measure."""
    return "、".join(f"{label}{count[k]}家" for k, label in KINDS if count[k])


def build_impact(records: Path, base: KnowledgeBase, proposed: KnowledgeBase, as_of: dt.date,
                 base_dir: Path, new_dir: Path) -> tuple[ImpactReport, object]:
    """The report and the read result (for rejected records)."""
    read = read_records(records, base)
    return impact_of(read.records, base, proposed, as_of, tree_changes(base_dir, new_dir)), read


def impact_of(records: list, base: KnowledgeBase, proposed: KnowledgeBase, as_of: dt.date, changes: list,
              each=None) -> ImpactReport:
    """The report for ``records`` (planner.records.Record), each matched under both trees as of
    ``as_of``; ``changes``: the trees' differences (tree_changes). ``each(record, old_plan,
    new_plan)``, when given, is called with both plans of every record (the web workplace renders
    them with the proposed templates)."""
    report = ImpactReport(as_of, changes, len(records), [])
    for record in records:
        old_plan = match(copy.deepcopy(record), base, as_of)
        new_plan = match(copy.deepcopy(record), proposed, as_of)
        if each is not None:
            each(record, old_plan, new_plan)
        result: PlanDiff = diff_plans(Side("现行", _plain(old_plan.to_json()), None),
                                      Side("拟调整", _plain(new_plan.to_json()), None), proposed)
        if not result.measures:
            continue
        report.affected.append((record, result))
        for change in result.measures:
            report.totals.setdefault(change.id, Counter())[change.kind] += 1
            report.titles[change.id] = change.title
    return report


def _plain(plan_json: dict) -> dict:
    """A plan as plan.json holds it (dates and ids as JSON would give them back)."""
    return json.loads(json.dumps(plan_json, ensure_ascii=False))


# --- the structural diff of two sector trees -------------------------------------------------


def tree_changes(base_dir: Path, new_dir: Path) -> list[ProfileChange]:
    """Every file and key that differs between the two trees, files in name order."""
    def files(root: Path) -> dict[str, Path]:
        return {p.name: p for p in sorted(Path(root).iterdir())
                if p.is_file() and not p.name.startswith((".", "_")) and p.suffix in _TREE_SUFFIXES}

    old, new = files(base_dir), files(new_dir)
    out: list[ProfileChange] = []
    for name in sorted(set(old) | set(new)):
        if name not in new:
            out.append(ProfileChange(name, "", "removed"))
        elif name not in old:
            out.append(ProfileChange(name, "", "added"))
        elif old[name].read_bytes() != new[name].read_bytes():
            if name.endswith(".yaml"):
                out += _yaml_changes(name, _load(old[name]), _load(new[name]))
            else:
                out += _text_changes(name, old[name], new[name])
            if not out or out[-1].file != name:  # the same data, written differently (comments, layout)
                out.append(ProfileChange(name, "", "changed", "（仅注释或格式不同）", "（内容相同）"))
    return out


def _load(path: Path):
    try:
        return load_document(path)[0].data
    except YamlSyntaxError as exc:  # both trees were loaded already; kept for a file changed meanwhile
        from planner.exceptions import PlannerError

        raise PlannerError(str(exc.problem)) from None


def _yaml_changes(name: str, old, new) -> list[ProfileChange]:
    out: list[ProfileChange] = []
    _walk(name, (), old, new, out, top=True)
    return out


def _id_keyed(items) -> dict | None:
    """A list of dicts each with a distinct string ``id``, by id; else None."""
    if not isinstance(items, list) or not items:
        return None
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    if not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        return None
    return dict(zip(ids, items))


def _top_ids_unique(old, new) -> bool:
    """Whether the ids of the top-level id-keyed lists never repeat across lists (then the list's
    name can be left out of a key: ``automotive_logistics.period.end``, not ``measures.…``)."""
    for data in (old, new):
        if not isinstance(data, dict):
            return False
        seen: set = set()
        for value in data.values():
            keyed = _id_keyed(value)
            if keyed:
                if seen & set(keyed):
                    return False
                seen |= set(keyed)
    return True


def _key(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _walk(name: str, path: tuple, old, new, out: list, top: bool = False) -> None:
    if old == new and type(old) is type(new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        short = top and _top_ids_unique(old, new)
        for key in list(old) + [k for k in new if k not in old]:
            sub = path + (key,)
            if key not in new:
                out.append(ProfileChange(name, _key(sub), "removed", old=show(old[key])))
            elif key not in old:
                out.append(ProfileChange(name, _key(sub), "added", new=show(new[key])))
            else:
                a, b = _id_keyed(old[key]), _id_keyed(new[key])
                a = {} if a is None and old[key] == [] and b else a  # a list emptied or first filled
                b = {} if b is None and new[key] == [] and a else b
                if a is not None and b is not None:
                    base = () if short else sub
                    _walk_ids(name, base, a, b, out)
                else:
                    _walk(name, sub, old[key], new[key], out)
        return
    if isinstance(old, list) and isinstance(new, list) and any(isinstance(i, (dict, list)) for i in old + new):
        for i in range(max(len(old), len(new))):
            sub = path + (i,)
            if i >= len(new):
                out.append(ProfileChange(name, _key(sub), "removed", old=show(old[i])))
            elif i >= len(old):
                out.append(ProfileChange(name, _key(sub), "added", new=show(new[i])))
            else:
                _walk(name, sub, old[i], new[i], out)
        return
    out.append(ProfileChange(name, _key(path), "changed", show(old), show(new)))


def _walk_ids(name: str, path: tuple, old: dict, new: dict, out: list) -> None:
    for mid in list(old) + [m for m in new if m not in old]:
        sub = path + (mid,)
        if mid not in new:
            out.append(ProfileChange(name, _key(sub), "removed", old=_item(old[mid])))
        elif mid not in old:
            out.append(ProfileChange(name, _key(sub), "added", new=_item(new[mid])))
        else:
            _walk(name, sub, old[mid], new[mid], out)


def _item(item: dict) -> str:
    """A whole measure (or other item with an id) added or removed: its title when it has one."""
    title = item.get("title") or item.get("name")
    return f"“{title}”" if isinstance(title, str) else show(item)


MAX_SHOWN = 200  # characters of one value in a change line


def show(value) -> str:
    """A YAML value on one line, as it reads in the file: 2022-12-31, [市经信局, 市交通运输局]."""
    text = _flow(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


def _flow(value) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def _text_changes(name: str, old: Path, new: Path) -> list[ProfileChange]:
    """A text file of the tree (campaign.txt) line by line: 第3行 old → new."""
    a = old.read_text(encoding="utf-8", errors="replace").splitlines()
    b = new.read_text(encoding="utf-8", errors="replace").splitlines()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        where = f"第{j1 + 1}行" if j2 - j1 <= 1 else f"第{j1 + 1}-{j2}行"
        if op == "insert":
            out.append(ProfileChange(name, where, "added", new=show(" ".join(b[j1:j2]))))
        elif op == "delete":
            out.append(ProfileChange(name, f"第{i1 + 1}行" if i2 - i1 <= 1 else f"第{i1 + 1}-{i2}行", "removed",
                                     old=show(" ".join(a[i1:i2]))))
        else:
            out.append(ProfileChange(name, where, "changed", show(" ".join(a[i1:i2])), show(" ".join(b[j1:j2]))))
    return out
