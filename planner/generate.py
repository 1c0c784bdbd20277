"""planner generate: every enterprise's plan and brief, as Markdown, JSON and PDF, versioned.

Each enterprise is one task: match, render, write a new version. Tasks run in worker processes
(one per core); an enterprise whose inputs are those of its latest version is skipped before any
work is sent out, so a rerun after editing one record redoes one enterprise.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from planner import __version__, knowledge
from planner.diff import change_summary
from planner.exceptions import PlannerError, RenderError
from planner.knowledge import KnowledgeBase
from planner.matching import match, record_digest
from planner.pdf import PageLimitError, PdfJob, pdf_bytes
from planner.pipeline import plan_records
from planner.plan import Plan
from planner.records import Record, read_records
from planner.render import Templates, markdown_to_html
from planner.store import atomic_write
from planner.versions import PlanStore, is_complete, templates_digest
from planner.view import BriefLimits, brief_context, plan_context
from planner.workers import TASKS_PER_WORKER, WorkerPool, usable_cpus

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
        plan_json = plan.dumps()
        return Rendered(plan, plan_md, brief_md, plan_json)

    def brief_markdown(self, plan: Plan, limits: BriefLimits) -> str:
        return self.templates.markdown("brief", brief_context(plan, self.kb, limits), plan.enterprise.get("sector"))

    def html(self, plan: Plan, markdown_text: str, kind: str) -> str:
        """The HTML document WeasyPrint renders; its head carries the PDF metadata."""
        doc_title = "一企一策帮扶方案" if kind == "plan" else "千名干部助企纾困走访简报"
        meta = {
            "title": f"{plan.name} {doc_title}",
            "doc_title": doc_title,
            "running_title": f"{_shorten(plan.name, 28)} · {doc_title}",
            "author": self.author,
            "subject": self.kb.campaign.title,
            "keywords": f"{plan.id}, {doc_title}",
            "generator": f"planner {__version__}",
            "created": plan.as_of.isoformat(),
            "kind": kind,
        }
        return self.templates.html(markdown_to_html(markdown_text), meta)

    def pdfs(self, rendered: Rendered) -> dict:
        """plan.pdf and brief.pdf as bytes; if the brief had to be cut further to fit one page,
        the shorter brief.md comes back too."""
        plan = rendered.plan
        out = {"plan.pdf": pdf_bytes(self.pdf_job(plan, rendered.plan_md, "plan", "plan.pdf"))}
        brief_md = rendered.brief_md
        for limits in (None,) + FALLBACK_LIMITS:
            if limits is not None:
                brief_md = self.brief_markdown(plan, limits)
            try:
                out["brief.pdf"] = pdf_bytes(self.pdf_job(plan, brief_md, "brief", "brief.pdf"))
            except PageLimitError:
                continue
            if limits is not None:
                out["brief.md"] = brief_md
            return out
        raise RenderError(f"the brief of {plan.id} does not fit on one page even at its shortest")

    def stylesheets(self, kind: str) -> tuple:
        return self._css["print.css"], self._css[f"{kind}.css"]

    def pdf_job(self, plan: Plan, markdown_text: str, kind: str, target: Path) -> PdfJob:
        return PdfJob(self.html(plan, markdown_text, kind), self.stylesheets(kind), str(target),
                      max_pages=1 if kind == "brief" else None)


def _shorten(text: str, most: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= most else text[: most - 1] + "…"


@dataclass(frozen=True)
class Settings:
    """What every worker needs to process an enterprise; sent once, when the worker starts."""

    sectors: str
    templates: tuple
    author: str | None
    as_of: dt.date
    formats: tuple
    out_dir: str


@dataclass(frozen=True)
class Task:
    """One enterprise to (re)generate: ``complete`` adds missing PDFs to an unchanged version."""

    facts: dict
    where: str
    inputs: dict
    complete: bool = False


_WORKER: dict = {}


def _start_worker(settings: Settings, kb: KnowledgeBase | None = None) -> None:
    kb = kb or knowledge.load(Path(settings.sectors))
    _WORKER.update(settings=settings, kb=kb, store=PlanStore(Path(settings.out_dir)),
                   renderer=Renderer(kb, Templates([Path(d) for d in settings.templates]), settings.author))
    # What is loaded now lives as long as the worker: keep the collector from scanning it again
    # and again while WeasyPrint and Jinja make and drop millions of objects.
    gc.collect()
    gc.freeze()


TASKS_PER_CHUNK = 8  # enterprises sent to a worker at once: one round trip for several


def _process_chunk(tasks: tuple) -> list[str]:
    return [_process(task) for task in tasks]


def _process(task: Task) -> str:
    """Match, render and write one enterprise; runs in a worker."""
    settings, kb, store, renderer = (_WORKER[k] for k in ("settings", "kb", "store", "renderer"))
    plan = match(Record(dict(task.facts), task.where), kb, settings.as_of)
    rendered = renderer.render(plan)
    pdfs = renderer.pdfs(rendered) if "pdf" in settings.formats else {}
    if task.complete:
        store.add_files(plan.id, pdfs, settings.formats)
        return "unchanged"
    files = {"plan.md": rendered.plan_md, "brief.md": rendered.brief_md, "plan.json": rendered.plan_json}
    if "brief.md" in pdfs:  # the brief had to be cut further to fit its page
        files["brief.md"] = pdfs.pop("brief.md")
    files.update(pdfs)
    summary = change_summary(store.folder(plan.id) / "plan.json", rendered.plan_json, kb)
    store.write_version(plan.id, files, task.inputs, settings.formats, summary)
    return "written"


def generate(records: Path, out_dir: Path, kb: KnowledgeBase, templates: Templates, as_of: dt.date,
             formats: tuple = FORMATS, author: str | None = None, workers: int | None = None,
             progress=None) -> GenerateResult:
    """Plans and briefs for every good record of ``records`` under ``out_dir/<id>/``, versioned.

    ``progress(n)`` is called as enterprises are done (skipped ones included).
    """
    read = read_records(records, kb)
    store = PlanStore(out_dir)
    result = GenerateResult(rejected=read.rejected_count, out_dir=out_dir, read=read)
    tick = progress or (lambda n: None)
    if progress is not None and hasattr(progress, "total"):
        progress.total = len(read.records)
    template_hash = templates_digest(templates.dirs)
    settings = Settings(str(kb.root), tuple(str(d) for d in templates.dirs), author, as_of, tuple(formats),
                        str(out_dir))
    with store.locked():
        tasks = []
        for record in read.records:
            inputs = {"record": record_digest(record), "profiles": kb.digest, "templates": template_hash,
                      "as_of": as_of.isoformat()}
            meta = store.latest_meta(record.id)
            if meta is not None and meta.get("inputs") == inputs:
                folder = store.folder(record.id)
                if is_complete(folder, meta, formats):
                    result.unchanged.append(record.id)
                    tick(1)
                    continue
                complete = is_complete(folder, meta, ("md",)) and "pdf" in formats
                tasks.append(Task(record.facts, record.where, inputs, complete))
            else:
                tasks.append(Task(record.facts, record.where, inputs))
        count = 1 if len(tasks) < 2 else min(workers or usable_cpus(), len(tasks))
        init_args = (settings, kb) if count == 1 else (settings,)  # in this process: the kb at hand
        chunks = [tuple(tasks[i:i + TASKS_PER_CHUNK]) for i in range(0, len(tasks), TASKS_PER_CHUNK)]
        # Markdown work does not grow a worker's memory; PDF work does, so those workers are recycled.
        recycle = TASKS_PER_WORKER if "pdf" in formats else None
        try:
            with WorkerPool(count, _start_worker, init_args, recycle) as pool:
                for chunk, outcomes in pool.map(_process_chunk, chunks):
                    for task, outcome in zip(chunk, outcomes):
                        (result.written if outcome == "written" else result.unchanged).append(task.facts["id"])
                    tick(len(chunk))
        except BrokenProcessPool:
            raise PlannerError(f"a worker process died (killed, or out of memory) after {len(result.written)} new "
                               f"plans; run the same command again to finish: what is done is kept") from None
    return result


def select_plans(plans: list, kb: KnowledgeBase, district: str | None = None, cadre: str | None = None,
                 zone: str | None = None) -> list:
    """The plans of one district (name, id or code), one functional zone and/or one cadre (name
    contained in 包联干部)."""
    chosen = plans
    for field_id, vocabulary, value in (("zone", "zones", zone), ("district", "districts", district)):
        if value:
            wanted = kb.vocabularies[vocabulary].resolve(value)
            if wanted is None:
                labels = "、".join(e.label for e in kb.vocabularies[vocabulary])
                raise RenderError(f"unknown {field_id} {value} (one of {labels})")
            chosen = [p for p in chosen if p.enterprise.get(field_id) == wanted]
    if cadre:
        chosen = [p for p in chosen if cadre.strip() in str(p.enterprise.get("cadre", ""))]
    return chosen


BRIEFS_PER_CHUNK = 50


@dataclass(frozen=True)
class BriefChunk:
    """Consecutive briefs rendered as one document by one worker (one font subset per chunk)."""

    records: tuple  # (facts, where) pairs


def _render_chunk(chunk: BriefChunk) -> bytes:
    """One PDF of the chunk's briefs, one page each; runs in a worker."""
    settings, kb, renderer = (_WORKER[k] for k in ("settings", "kb", "renderer"))
    plans = [match(Record(dict(facts), where), kb, settings.as_of) for facts, where in chunk.records]
    limits = {p.id: BriefLimits() for p in plans}
    for attempt in range(2):
        body = "".join(
            f'<section class="brief-page">{markdown_to_html(renderer.brief_markdown(p, limits[p.id]))}</section>'
            for p in plans)
        meta = {"title": f"千名干部助企纾困走访简报（{len(plans)}份）", "doc_title": "千名干部助企纾困走访简报",
                "author": renderer.author, "subject": kb.campaign.title, "keywords": "走访简报",
                "generator": f"planner {__version__}", "created": settings.as_of.isoformat(), "kind": "brief"}
        job = PdfJob(renderer.templates.html(body, meta), renderer.stylesheets("brief"), "briefs",
                     max_pages=len(plans))
        try:
            return pdf_bytes(job)
        except PageLimitError:
            if attempt:
                raise RenderError("a brief ran onto a second page; nothing written") from None
            # Rare: find the briefs that overflow on their own and print them shorter.
            limits = {p.id: _limits_that_fit(renderer, p) for p in plans}
    raise AssertionError("unreachable")


def combined_briefs(records: Path, target: Path, kb: KnowledgeBase, templates: Templates, as_of: dt.date,
                    district: str | None = None, cadre: str | None = None, author: str | None = None,
                    zone: str | None = None, workers: int | None = None):
    """One PDF of briefs, one page each, in list order, to print in one job. Returns (plans, read).

    Chunks of briefs are rendered on every core and joined; the file is written atomically.
    """
    from pypdf import PdfWriter

    batch = plan_records(records, kb, as_of)
    plans = select_plans(batch.plans, kb, district, cadre, zone)
    if not plans:
        raise RenderError("no enterprise matches the selection; nothing written")
    by_id = {r.id: r for r in batch.read.records}
    chunks = [BriefChunk(tuple((by_id[p.id].facts, by_id[p.id].where) for p in plans[i:i + BRIEFS_PER_CHUNK]))
              for i in range(0, len(plans), BRIEFS_PER_CHUNK)]
    settings = Settings(str(kb.root), tuple(str(d) for d in templates.dirs), author, as_of, ("pdf",), "")
    count = 1 if len(chunks) < 2 else min(workers or usable_cpus(), len(chunks))
    writer = PdfWriter()
    with WorkerPool(count, _start_worker, (settings, kb) if count == 1 else (settings,)) as pool:
        for _, data in pool.map(_render_chunk, chunks):
            writer.append(io.BytesIO(data))
    writer.add_metadata({"/Title": f"千名干部助企纾困走访简报（{len(plans)}份）", "/Author": author or kb.campaign.issuer,
                         "/Subject": kb.campaign.title})
    buffer = io.BytesIO()
    writer.write(buffer)
    atomic_write(target, buffer.getvalue())
    return plans, batch.read


def _limits_that_fit(renderer: Renderer, plan: Plan) -> BriefLimits:
    """The longest brief limits with which ``plan``'s brief fits one page."""
    for limits in (BriefLimits(),) + FALLBACK_LIMITS:
        try:
            pdf_bytes(renderer.pdf_job(plan, renderer.brief_markdown(plan, limits), "brief", "brief.pdf"))
            return limits
        except PageLimitError:
            continue
    raise RenderError(f"the brief of {plan.id} does not fit on one page even at its shortest")
