"""planner generate: every enterprise's plan and brief, as Markdown, JSON and PDF."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from planner import __version__
from planner.exceptions import RenderError
from planner.knowledge import KnowledgeBase
from planner.pdf import PageLimitError, PdfJob, PdfPool, render_pdf
from planner.pipeline import plan_records
from planner.plan import Plan
from planner.render import Templates, markdown_to_html
from planner.store import atomic_write
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
    written: list = field(default_factory=list)  # enterprise ids
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


def write_enterprise(folder: Path, rendered: Rendered) -> None:
    """Write the text outputs of one enterprise (each atomically)."""
    atomic_write(folder / "plan.md", rendered.plan_md)
    atomic_write(folder / "brief.md", rendered.brief_md)
    atomic_write(folder / "plan.json", rendered.plan_json)


def generate(records: Path, out_dir: Path, kb: KnowledgeBase, templates: Templates, as_of: dt.date,
             formats: tuple = FORMATS, author: str | None = None, workers: int | None = None) -> GenerateResult:
    """Plans and briefs for every good record of ``records`` under ``out_dir/<id>/``."""
    batch = plan_records(records, kb, as_of)
    renderer = Renderer(kb, templates, author)
    result = GenerateResult(rejected=batch.read.rejected_count, out_dir=out_dir, read=batch.read)
    rendered_by_target = {}

    def jobs():
        for plan in batch.plans:
            rendered = renderer.render(plan)
            folder = out_dir / plan.id
            write_enterprise(folder, rendered)
            result.written.append(plan.id)
            if "pdf" in formats:
                rendered_by_target[str(folder / "brief.pdf")] = rendered
                yield renderer.pdf_job(plan, rendered.plan_md, "plan", folder / "plan.pdf")
                yield renderer.pdf_job(plan, rendered.brief_md, "brief", folder / "brief.pdf")

    with PdfPool(workers if "pdf" in formats else 1) as pool:
        for job, outcome in pool.map(jobs()):
            if isinstance(outcome, PageLimitError):
                _shrink_brief(renderer, rendered_by_target[job.target], Path(job.target))
            rendered_by_target.pop(job.target, None)
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
