"""planner export: the latest versions of an output folder as a tree to hand over or zip.

    FOLDER/北仑区/宁波珂屹汽车部件有限公司/帮扶方案.pdf, 走访简报.pdf, 帮扶方案.docx, 走访简报.docx

Each enterprise folder carries a marker with its credit code. A name that two enterprises share
in one group (or a folder already holding another enterprise) gets the credit code appended, so
an export never writes one enterprise's files over another's, whatever the order; exporting again
gives the same tree. Names from records are made safe for every file system (no separators, no
control characters, no leading dots), so a record can never place a file outside FOLDER.
"""

from __future__ import annotations

import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from planner.exceptions import PlannerError
from planner.knowledge import KnowledgeBase
from planner.store import atomic_write
from planner.review import pick, review_required
from planner.versions import BRIEF_DOCX, BRIEF_PDF, PLAN_DOCX, PLAN_PDF

MARKER = ".planner-enterprise"  # in each exported enterprise folder: its credit code
# what people open, under the names they look for (a version's names on the left: the same now; a
# version an earlier planner wrote has plan.pdf and the others)
HANDED_OVER = ((PLAN_PDF, PLAN_PDF), (BRIEF_PDF, BRIEF_PDF), (PLAN_DOCX, PLAN_DOCX), (BRIEF_DOCX, BRIEF_DOCX),
               ("plan.pdf", PLAN_PDF), ("brief.pdf", BRIEF_PDF), ("plan.docx", PLAN_DOCX), ("brief.docx", BRIEF_DOCX))
MARKDOWN = (("plan.md", "帮扶方案.md"), ("brief.md", "走访简报.md"))  # only when a version has neither
GROUPS = {"district": ("district", "未填所在区县"), "cadre": ("cadre", "未填包联干部"), "none": (None, "")}
NAME_MOST = 80  # characters of a folder name (file systems allow 255 bytes; 80 CJK characters is 240)
UNSAFE = set('/\\:*?"<>|')


@dataclass
class ExportResult:
    exported: list = field(default_factory=list)  # (credit code, path relative to the target)
    skipped: list = field(default_factory=list)  # (credit code, why)
    withheld: list = field(default_factory=list)  # (credit code, name, why): no version that may go out (planner.review)
    older: list = field(default_factory=list)  # (credit code, name, number, newer's state): an earlier approved version
    notes: list = field(default_factory=list)  # damaged review lines
    review: bool = False  # whether the folder requires review


def safe_name(text: str, fallback: str) -> str:
    """``text`` as one folder name: separators and characters Windows refuses become ＿, control
    characters go, no leading dots or trailing spaces or dots; ``fallback`` when nothing is left."""
    out = "".join("＿" if c in UNSAFE else c for c in str(text) if unicodedata.category(c)[0] != "C")
    out = out.strip().lstrip(".").rstrip(". ")[:NAME_MOST].rstrip(". ")
    return out or fallback


def _marker_of(folder: Path) -> str | None:
    try:
        return (folder / MARKER).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def export(out_dir: Path, target: Path, kb: KnowledgeBase, by: str = "district", district: str | None = None,
           cadre: str | None = None, zone: str | None = None) -> ExportResult:
    """Copy each enterprise's latest whole version into ``target``, grouped ``by`` district, cadre
    or not at all, filtered as ``planner briefs`` filters. When the folder requires review
    (planner.review), the latest approved version instead; a rejected version never goes out."""
    from types import SimpleNamespace

    from planner.briefbook import enterprise_folders
    from planner.generate import select_plans
    from planner.listing import listing_row

    out_dir, target = Path(out_dir), Path(target)
    inside = out_dir.resolve() in target.resolve().parents or target.resolve() in out_dir.resolve().parents
    if target.resolve() == out_dir.resolve() or inside:
        raise PlannerError(f"导出目录 {target} 与输出目录 {out_dir} 不能互相包含")
    result = ExportResult(review=review_required(out_dir))
    found = []
    for sub in enterprise_folders(out_dir):
        chosen = pick(sub, result.review)
        result.notes += chosen.notes
        if chosen.withheld and chosen.top_plan is not None:  # said only when the filters would take it
            found.append(SimpleNamespace(id=sub.name, enterprise=chosen.top_plan.get("enterprise", {}),
                                         withheld=chosen.withheld))
            continue
        if chosen.plan is None:
            result.skipped.append((sub.name, chosen.withheld or chosen.problem or "没有完整的版本"))
            continue
        found.append(SimpleNamespace(id=sub.name, enterprise=chosen.plan["enterprise"], version=chosen.version,
                                     row=listing_row(chosen.plan, kb), older=chosen.older, newer=chosen.newer,
                                     withheld=None))
    chosen = select_plans(found, kb, district, cadre, zone, source="输出目录") if found else []
    result.withheld = [(p.id, str(p.enterprise.get("name", "")), p.withheld) for p in chosen if p.withheld]
    chosen = [p for p in chosen if not p.withheld]
    field_id, missing = GROUPS[by]
    placed = []
    for p in chosen:
        group = safe_name(p.row.get(field_id, "") or missing, missing) if field_id else ""
        placed.append((p, group, safe_name(p.row["name"], p.id)))
    names = [(group, name) for _, group, name in placed]
    for p, group, name in placed:
        base = target / group if group else target
        folder = base / name
        if names.count((group, name)) > 1 or _marker_of(folder) not in (None, p.id):
            suffix = f"（{p.id}）"  # shared, or another enterprise's already: the code always kept whole
            folder = base / (safe_name(name[:NAME_MOST - len(suffix)], p.id) + suffix)
        if folder.exists() and _marker_of(folder) not in (None, p.id):
            result.skipped.append((p.id, f"{folder} 已有另一家企业的文件，未覆盖"))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / MARKER, (p.id + "\n").encode("utf-8"))
        recorded = p.version.meta.get("sizes", {})  # the version's own files, never a stray one beside them
        present = [(src, dst) for src, dst in HANDED_OVER if src in recorded and (p.version.path / src).is_file()]
        for src, dst in present or [(s, d) for s, d in MARKDOWN if (p.version.path / s).is_file()]:
            tmp = folder / f".{dst}.tmp"
            shutil.copyfile(p.version.path / src, tmp)
            tmp.replace(folder / dst)
        result.exported.append((p.id, folder.relative_to(target).as_posix()))
        if p.older:
            result.older.append((p.id, p.row["name"], p.version.number, p.newer))
    return result
