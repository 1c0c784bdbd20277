"""Briefs printed from an output folder: the reviewed versions, exactly as each brief.pdf.

`planner briefs DIR --combined FILE.pdf [--id ID …]` joins the latest whole version's brief.pdf
of each chosen enterprise (so every page is that enterprise's brief, header, footer, page number
and record hash included) behind a cover page, the cadre's route sheet: the enterprises in print
order with their district, contact and phone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from planner.exceptions import RenderError, Said, for_web
from planner.knowledge import KnowledgeBase
from planner.store import atomic_write
from planner.versions import BRIEF_PDF


@dataclass
class FolderBriefs:
    """What a print from an output folder took: the enterprises printed, in order, and those asked
    for that could not be (credit code, why)."""

    printed: list = field(default_factory=list)  # plan.json dicts, in print order
    missing: list = field(default_factory=list)  # (credit code, why)
    withheld: list = field(default_factory=list)  # (credit code, name, why): no version that may go out (planner.review)
    older: list = field(default_factory=list)  # (credit code, name, number, newer's state): an earlier approved version
    notes: list = field(default_factory=list)  # damaged review lines


def enterprise_folders(folder: Path) -> list[Path]:
    """The enterprise folders of an output folder, by credit code (a version.json or plan.json in it)."""
    return [sub for sub in sorted(Path(folder).iterdir())
            if sub.is_dir() and not sub.is_symlink() and ((sub / "version.json").exists() or (sub / "plan.json").exists())]


def is_output_folder(path: Path) -> bool:
    return Path(path).is_dir() and bool(enterprise_folders(path))


def read_ids(values: tuple, ids_file: Path | None) -> list[str]:
    """The credit codes asked for, in the order given: --id values (each may hold several, split
    by spaces, commas or 、) and the lines of --ids-file (# starts a comment); each once."""
    raw = list(values)
    if ids_file is not None:
        for line in Path(ids_file).read_text(encoding="utf-8-sig").splitlines():
            raw.append(line.split("#", 1)[0])
    out = []
    for value in raw:
        for part in value.replace("，", ",").replace("、", ",").replace(",", " ").split():
            code = part.strip().upper()
            if code and code not in out:
                out.append(code)
    return out


def folder_briefs(folder: Path, kb: KnowledgeBase, ids: list[str] | None = None, district: str | None = None,
                  cadre: str | None = None, zone: str | None = None) -> tuple[list, FolderBriefs]:
    """The (plan.json, brief.pdf path) of each enterprise to print: those of ``ids`` in that order,
    else every enterprise of the folder, by district, zone and cadre (``_pile``); then the district,
    zone and cadre filters."""
    from planner.generate import select_plans
    from planner.review import pick, review_required

    required = review_required(folder)
    result = FolderBriefs()
    subs = {sub.name: sub for sub in enterprise_folders(folder)}
    wanted = ids if ids else list(subs)
    found = []
    for code in wanted:
        sub = subs.get(code)
        if sub is None:
            result.missing.append((code, "输出目录中没有这家企业（请核对统一社会信用代码，或先为它生成方案）"))
            continue
        chosen = pick(sub, required)
        result.notes += chosen.notes
        if chosen.withheld and chosen.top_plan is not None:  # said only when the filters would take it
            found.append(SimpleNamespace(id=code, enterprise=chosen.top_plan.get("enterprise", {}),
                                         withheld=chosen.withheld))
            continue
        if chosen.plan is None:
            result.missing.append((code, chosen.withheld or chosen.problem or Said("没有完整的版本，请重新运行 planner generate",
                                                                                   "没有完整的版本，请重新生成该企业的方案")))
            continue
        plan = chosen.plan
        found.append(SimpleNamespace(id=code, enterprise=plan["enterprise"], plan=plan, withheld=None,
                                     brief=chosen.version.path / BRIEF_PDF, version=chosen.version, older=chosen.older,
                                     newer=chosen.newer))
    chosen = select_plans(found, kb, district, cadre, zone, source="输出目录") if found else []
    if not ids:  # a whole folder or a filter: in piles to hand out, by district, zone and cadre
        districts = {v.id: i for i, v in enumerate(kb.vocabularies["districts"])}
        chosen.sort(key=lambda p: _pile(districts, p.enterprise) + (p.id,))
    if ids:  # asked for by code and left out by a filter: said, not dropped silently
        kept = {p.id for p in chosen}
        result.missing += [(p.id, "不符合筛选条件（区县、功能区或包联干部）") for p in found if p.id not in kept]
    result.withheld = [(p.id, str(p.enterprise.get("name", "")), p.withheld) for p in chosen if p.withheld]
    printable = []
    for p in (p for p in chosen if not p.withheld):  # only the chosen need their PDF
        if p.older:
            result.older.append((p.id, str(p.enterprise.get("name", "")), p.version.number, p.newer))
        if p.brief.is_file():
            printable.append(p)
        else:
            result.missing.append((p.id, Said("该版本没有走访简报 PDF（用 --format md,pdf 重新生成）",
                                              "该版本没有走访简报 PDF（须重新生成，生成时选择输出 PDF）")))
    return printable, result


def _pile(districts: dict, e: dict) -> tuple:
    """Where a brief goes in a print of many: its district (``districts``: id → place in
    vocabulary.yaml's order; the unknown last), its zone, its cadre."""
    return (districts.get(e.get("district"), len(districts)), str(e.get("zone") or ""), str(e.get("cadre") or ""))


def route_sheet_markdown(chosen: list, kb: KnowledgeBase, title: str, left_out: tuple = ()) -> str:
    """The cover page: the visits in print order, with where, whom to ask for and the phone;
    then ``left_out``, (credit code, name, why) of each enterprise asked for whose brief is not in
    the print, so that a cadre holding the paper knows a visit lacks its brief."""
    from planner.listing import fact_label
    from planner.render import md_escape as escape_markdown

    def shown(e: dict, field_id: str) -> str:
        return escape_markdown(fact_label(kb, e, field_id, "—"))

    rows = ["| 序号 | 企业名称 | 所在区县 | 联系人 | 联系电话 | 包联干部 |", "| --- | --- | --- | --- | --- | --- |"]
    for n, p in enumerate(chosen, 1):
        e = p.enterprise
        where = shown(e, "district") + (f"·{shown(e, 'zone')}" if e.get("zone") else "")
        rows.append(f"| {n} | {escape_markdown(str(e.get('name', '')))} | {where} | {shown(e, 'contact')} | "
                    f"{shown(e, 'phone')} | {shown(e, 'cadre')} |")
    text = f"# {title}\n\n共{len(chosen)}家企业，按打印顺序排列；其后每页一份走访简报。\n\n" + "\n".join(rows) + "\n"
    if left_out:
        text += f"\n**另有{len(left_out)}家企业未打印简报：**\n\n" + "".join(
            f"- {escape_markdown(code)}{f'（{escape_markdown(name)}）' if name else ''}：{escape_markdown(why)}\n"
            for code, name, why in left_out)
    return text


def write_folder_briefs(folder: Path, target: Path, kb: KnowledgeBase, renderer, ids=None, district=None,
                        cadre=None, zone=None, cover: bool = True) -> FolderBriefs:
    """Write ``target``: the route sheet (unless ``cover`` is off), then each chosen enterprise's
    brief.pdf as it is. Raises RenderError when nothing can be printed; nothing is written then."""
    from pypdf import PdfWriter

    from planner.pdf import PdfJob, number_pages, pdf_bytes
    from planner.render import markdown_to_html

    chosen, result = folder_briefs(folder, kb, ids, district, cadre, zone)
    if not chosen:
        def why(say) -> str:
            said = "；".join([f"{code}：{say(reason)}" for code, reason in result.missing]
                             + [f"{code}：{say(reason)}" for code, _, reason in result.withheld])
            return "没有可打印的走访简报，未写入任何文件" + (f"（{said}）" if said else "")

        raise RenderError(why(str), web=why(for_web))
    doc_title = kb.campaign.documents["brief"]
    writer = PdfWriter()
    if cover:
        title = "走访路线单"
        left_out = tuple([(code, "", for_web(why)) for code, why in result.missing]
                         + [(code, name, for_web(why)) for code, name, why in result.withheld])
        html = renderer.document(markdown_to_html(route_sheet_markdown(chosen, kb, title, left_out)), "brief",
                                 title=title, keywords=doc_title, created=_as_of(chosen))
        writer.append(io.BytesIO(pdf_bytes(PdfJob(html, renderer.stylesheets("brief"), "route.pdf"))))
    for p in chosen:
        writer.append(str(p.brief))
    number_pages(writer, renderer.templates)
    writer.add_metadata({"/Title": f"{doc_title}（{len(chosen)}份）", "/Author": renderer.author,
                         "/Subject": kb.campaign.title})
    buffer = io.BytesIO()
    writer.write(buffer)
    atomic_write(Path(target), buffer.getvalue())
    result.printed = [p.plan for p in chosen]
    return result


def _as_of(chosen: list):
    import datetime as dt

    return max(dt.date.fromisoformat(p.plan["as_of"]) for p in chosen)
