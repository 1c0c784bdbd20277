"""planner generate: every enterprise's plan and brief, as Markdown, JSON and PDF."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from planner import __version__
from planner.diff import change_summary
from planner.exceptions import RenderError
from planner.knowledge import KnowledgeBase
from planner.pdf import PageLimitError, PdfJob, PdfPool, render_pdf
from planner.pipeline import plan_records
from planner.plan import Plan
from planner.render import Templates, markdown_to_html
from planner.store import atomic_write
from planner.versions import PlanStore, templates_digest
from planner.view import BriefLimits, brief_context, plan_context

FORMATS = ("md", "pdf")
# Smaller and smaller briefs, tried in turn should one ever run onto a second page.
FALLBACK_LIMITS = (BriefLimits(lines=16), BriefLimits(lines=13, request_lines=4), BriefLimits(4, 4, 3, 3, 10))


@dataclass
class Rendered:
    """One enterprise's documents as text, ready to write."""

    plan: Plan
    plan_md: str
    brief_md: str
    plan_json: str


@dataclass
class GenerateResult:
    written: list = field(default_factory=list)  # enterprise ids with a new version
    unchanged: list = field(default_factory=list)  # enterprise ids whose inputs had not changed
    rejected: int = 0
    out_dir: Path | None = None
    read: object = None


class Renderer:
    """Turns plans into Markdown, HTML and PDF jobs with one template set and one author."""

    def __init__(self, kb: KnowledgeBase, templates: Templates, author: str | None = None):
        self.kb = kb
        self.templates = templates
        self.author = author or kb.campaign.issuer
        self._css = {name: templates.stylesheet(name) for name in ("print.css", "plan.css", "brief.css")}

    def render(self, plan: Plan, limits: BriefLimits = BriefLimits()) -> Rendered:
        sector = plan.enterprise.get("sector")
        plan_md = self.templates.markdown("plan", plan_context(plan, self.kb), sector)
        brief_md = self.brief_markdown(plan, limits)
        plan_json = json.dumps(plan.to_json(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
        return Rendered(plan, plan_md, brief_md, plan_json)

    def brief_markdown(self, plan: Plan, limits: BriefLimits) -> str:
        return self.templates.markdown("brief", brief_context(plan, self.kb, limits), plan.enterprise.get("sector"))

    def html(self, plan: Plan, markdown_text: str, kind: str) -> str:
        """The HTML document WeasyPrint renders; its head carries the PDF metadata."""
        doc_title = "一企一策帮扶方案" if kind == "plan" else "千名干部助企纾困走访简报"
        meta = {
            "title": f"{plan.name} {doc_title}",
            "doc_title": doc_title,
            "author": self.author,
            "subject": self.kb.campaign.title,
            "keywords": f"{plan.id}, {doc_title}",
            "generator": f"planner {__version__}",
            "created": plan.as_of.isoformat(),
            "kind": kind,
        }
        return self.templates.html(markdown_to_html(markdown_text), meta)

    def stylesheets(self, kind: str) -> tuple:
        return self._css["print.css"], self._css[f"{kind}.css"]

    def pdf_job(self, plan: Plan, markdown_text: str, kind: str, target: Path) -> PdfJob:
        return PdfJob(self.html(plan, markdown_text, kind), self.stylesheets(kind), str(target),
                      max_pages=1 if kind == "brief" else None)


def write_texts(folder: Path, rendered: Rendered) -> None:
    """Write the text documents of one enterprise into ``folder`` (each atomically)."""
    atomic_write(folder / "plan.md", rendered.plan_md)
    atomic_write(folder / "brief.md", rendered.brief_md)
    atomic_write(folder / "plan.json", rendered.plan_json)


@dataclass
class _Pending:
    """An enterprise whose PDFs are being rendered; committed when the last one is done."""

    staging: Path
    inputs: dict
    summary: str
    remaining: int
    complete_existing: object = None  # a kept Version being completed with missing PDFs


def generate(records: Path, out_dir: Path, kb: KnowledgeBase, templates: Templates, as_of: dt.date,
             formats: tuple = FORMATS, author: str | None = None, workers: int | None = None,
             progress=None) -> GenerateResult:
    """Plans and briefs for every good record of ``records`` under ``out_dir/<id>/``, versioned.

    An enterprise whose inputs (record, profiles, templates, as-of date) are those of its latest
    version is skipped; any change makes a new version. ``progress(done)`` is called per enterprise.
    """
    batch = plan_records(records, kb, as_of)
    renderer = Renderer(kb, templates, author)
    store = PlanStore(out_dir)
    template_hash = templates_digest(templates.dirs)
    result = GenerateResult(rejected=batch.read.rejected_count, out_dir=out_dir, read=batch.read)
    pending: dict[str, tuple] = {}  # folder being written → (enterprise id, _Pending)
    rendered_by_target: dict[str, Rendered] = {}
    tick = progress or (lambda done: None)

    def finish(eid: str, entry: _Pending) -> None:
        if entry.complete_existing is not None:
            store.publish(eid, entry.complete_existing)
            result.unchanged.append(eid)
        else:
            store.commit(eid, entry.staging, entry.inputs, formats, entry.summary)
            result.written.append(eid)
        tick(1)

    def jobs():
        for plan in batch.plans:
            eid = plan.id
            store.clean_staging(eid)
            inputs = {"record": plan.provenance["record"], "profiles": kb.digest, "templates": template_hash,
                      "as_of": as_of.isoformat()}
            latest = store.latest(eid)
            wanted = [f"{kind}.pdf" for kind in ("plan", "brief")] if "pdf" in formats else []
            if latest is not None and latest.inputs == inputs:
                missing = [name for name in wanted if not (latest.path / name).is_file()]
                if not missing:
                    store.publish(eid, latest)
                    result.unchanged.append(eid)
                    tick(1)
                    continue
                folder, entry = latest.path, _Pending(latest.path, inputs, "", len(missing), latest)
            else:
                folder = store.stage(eid)
                missing = wanted
                previous = latest.path / "plan.json" if latest else None
                entry = _Pending(folder, inputs, "", len(missing))
            rendered = renderer.render(plan)
            if entry.complete_existing is None:
                write_texts(folder, rendered)
                entry.summary = change_summary(previous, rendered.plan_json, kb)
            if not missing:
                finish(eid, entry)
                continue
            pending[str(folder)] = (eid, entry)
            for name in missing:
                kind = name.split(".")[0]
                target = folder / name
                if kind == "brief":
                    rendered_by_target[str(target)] = rendered
                markdown_text = rendered.plan_md if kind == "plan" else rendered.brief_md
                yield renderer.pdf_job(plan, markdown_text, kind, target)

    with store.locked(), PdfPool(workers if "pdf" in formats else 1) as pool:
        for job, outcome in pool.map(jobs()):
            target = Path(job.target)
            if isinstance(outcome, PageLimitError):
                _shrink_brief(renderer, rendered_by_target[job.target], target)
            rendered_by_target.pop(job.target, None)
            eid, entry = pending[str(target.parent)]
            entry.remaining -= 1
            if entry.remaining == 0:
                del pending[str(target.parent)]
                finish(eid, entry)
    return result


def _shrink_brief(renderer: Renderer, rendered: Rendered, target: Path) -> None:
    """Cut a brief that ran onto a second page by priority until it fits, then rewrite brief.md too."""
    for limits in FALLBACK_LIMITS:
        brief_md = renderer.brief_markdown(rendered.plan, limits)
        try:
            render_pdf(renderer.pdf_job(rendered.plan, brief_md, "brief", target))
        except PageLimitError:
            continue
        atomic_write(target.with_suffix(".md"), brief_md)
        return
    raise RenderError(f"{target}: the brief does not fit on one page even at its shortest")


def select_plans(plans: list, kb: KnowledgeBase, district: str | None = None, cadre: str | None = None) -> list:
    """The plans of one district (name, id or code) and/or one cadre (name contained in 包联干部)."""
    chosen = plans
    if district:
        wanted = kb.vocabularies["districts"].resolve(district)
        if wanted is None:
            labels = "、".join(e.label for e in kb.vocabularies["districts"])
            raise RenderError(f"unknown district {district} (one of {labels})")
        chosen = [p for p in chosen if p.enterprise.get("district") == wanted]
    if cadre:
        chosen = [p for p in chosen if cadre.strip() in str(p.enterprise.get("cadre", ""))]
    return chosen


def combined_briefs(records: Path, target: Path, kb: KnowledgeBase, templates: Templates, as_of: dt.date,
                    district: str | None = None, cadre: str | None = None, author: str | None = None):
    """One PDF of briefs, one page each, in list order, to print in one job. Returns (plans, read)."""
    batch = plan_records(records, kb, as_of)
    plans = select_plans(batch.plans, kb, district, cadre)
    if not plans:
        raise RenderError("no enterprise matches the selection; nothing written")
    renderer = Renderer(kb, templates, author)
    limits = {plan.id: BriefLimits() for plan in plans}
    for attempt in range(2):
        body = "".join(
            f'<section class="brief-page">{markdown_to_html(renderer.brief_markdown(p, limits[p.id]))}</section>'
            for p in plans
        )
        meta = {"title": f"千名干部助企纾困走访简报（{len(plans)}份）", "doc_title": "千名干部助企纾困走访简报",
                "author": renderer.author, "subject": kb.campaign.title, "keywords": "走访简报",
                "generator": f"planner {__version__}", "created": as_of.isoformat(), "kind": "brief"}
        job = PdfJob(templates.html(body, meta), renderer.stylesheets("brief"), str(target), max_pages=len(plans))
        try:
            render_pdf(job)
            return plans, batch.read
        except PageLimitError:
            if attempt:
                raise RenderError(f"{target}: a brief ran onto a second page; nothing written") from None
            # Rare: find the briefs that overflow on their own and print them shorter.
            limits = {p.id: _limits_that_fit(renderer, p) for p in plans}
    raise AssertionError("unreachable")


def _limits_that_fit(renderer: Renderer, plan: Plan) -> BriefLimits:
    """The longest brief limits with which ``plan``'s brief fits one page."""
    with tempfile.TemporaryDirectory() as tmp:
        for limits in (BriefLimits(),) + FALLBACK_LIMITS:
            job = renderer.pdf_job(plan, renderer.brief_markdown(plan, limits), "brief", Path(tmp) / "brief.pdf")
            try:
                render_pdf(job)
                return limits
            except PageLimitError:
                continue
    raise RenderError(f"the brief of {plan.id} does not fit on one page even at its shortest")
