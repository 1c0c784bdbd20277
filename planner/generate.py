"""planner generate: every enterprise's plan and brief, as Markdown, JSON and PDF, versioned.

Each enterprise is one task: match, render, write a new version. Tasks run in worker processes
(one per core); an enterprise whose inputs are those of its latest version is skipped before any
work is sent out, so a rerun after editing one record redoes one enterprise.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import io
import multiprocessing
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson

from planner import __version__, knowledge, rosters
from planner.dates import cn_date
from planner.derive import sector_of
from planner.diff import SAME_PLAN, change_summary
from planner.exceptions import PlannerError, RenderError, Said
from planner.knowledge import KnowledgeBase
from planner.listing import listing_row, refresh_enterprise_list
from planner.matching import match, record_digest
from planner.pdf import PageLimitError, PdfJob, number_pages, pdf_bytes
from planner.pipeline import plan_records
from planner.plan import Plan
from planner.records import PROBLEM_LIST, Record, read_records, write_problem_list
from planner.requests import OPEN, PENDING, Ledger, ledger_path, load_rules
from planner.requests.rules import FILE_NAME as RULES_FILE
from planner.render import Templates, markdown_to_html
from planner.store import atomic_write
from planner.versions import (BRIEF_DOCX, BRIEF_PDF, PLAN_DOCX, PLAN_PDF, DamagedVersion, PlanStore, UnsafeLink,
                              is_complete, read_meta, templates_digest)
from planner.view import BriefLimits, brief_context, plan_context
from planner.workers import TASKS_PER_WORKER, WorkerDied, WorkerPool, worker_count
from planner.yamlio import display_path

FORMATS = ("md", "pdf", "docx")
DEFAULT_FORMATS = ("md", "pdf")  # docx when asked for: bureaus that edit plans before issuing them
BINARY_FORMATS = ("pdf", "docx")  # made beside the Markdown and JSON, which every version has
# Smaller and smaller briefs, tried in turn should one ever run onto a second page.
FALLBACK_LIMITS = (BriefLimits(lines=15), BriefLimits(lines=12, request_lines=4),
                   BriefLimits(difficulties=4, measures=4, questions=3, checklist=1, open_requests=2, request_lines=3,
                               lines=10, name_width=60, cell_width=24))  # the last resort: the least of each


ARCHIVE_VARIANT = "pdf/a-3b"  # plans are archived with their data: PDF/A-3 allows embedded files


@dataclass
class Rendered:
    """One enterprise's documents as text, ready to write."""

    plan: Plan
    plan_md: str
    brief_md: str
    plan_json: str
    brief_limits: BriefLimits = BriefLimits()  # shorter ones when the brief had to be cut to fit its page
    requests: tuple = ()  # the enterprise's requests from the ledger (see view.plan_requests), in both documents


@dataclass
class GenerateResult:
    written: list = field(default_factory=list)  # enterprise ids with a new version
    unchanged: list = field(default_factory=list)  # enterprise ids whose inputs had not changed
    completed: list = field(default_factory=list)  # of those, the ids whose version got the PDFs it lacked
    failed: list = field(default_factory=list)  # (where, enterprise id, why) of those that could not be made
    notes: list = field(default_factory=list)  # lines worth telling (注意：…): a damaged version healed, fewer workers
    rejected: int = 0
    out_dir: Path | None = None
    read: object = None
    problems_file: Path | None = None  # 问题清单.xlsx in out_dir, when the read had any problem
    enterprise_list: Path | None = None  # 企业清单.xlsx in out_dir: every enterprise folder, with links


class Renderer:
    """Turns plans into Markdown, HTML and PDF jobs with one template set and one author."""

    def __init__(self, kb: KnowledgeBase, templates: Templates, author: str | None = None, internal: bool = False):
        self.kb = kb
        self.templates = templates
        self.author = author or kb.campaign.issuer  # also the 版头 of the plan
        self.internal = internal  # the bureau's own copy: a provenance line in the footer of every page
        self._css = {name: templates.stylesheet(name) for name in ("print.css", "plan.css", "brief.css")}
        self._fonts = templates.font_sheet()
        self._docx = None  # the DocxWriter, made when a .docx is first asked for

    def docxs(self, rendered: Rendered) -> dict:
        """帮扶方案.docx and 走访简报.docx as bytes, from the contexts the Markdown templates get (the brief
        with the limits its PDF needed, so both say the same)."""
        from planner.docx_render import DocMeta, DocxWriter

        if self._docx is None:
            self._docx = DocxWriter(self.templates)
        plan, kb = rendered.plan, self.kb
        out = {}
        requests = rendered.requests
        for kind, context in (("plan", plan_context(plan, kb, requests)),
                              ("brief", brief_context(plan, kb, rendered.brief_limits, requests))):
            doc_title = kb.campaign.documents[kind]
            meta = DocMeta(title=f"{plan.name} {doc_title}", author=self.author, subject=kb.campaign.title,
                           keywords=f"{plan.id}, {doc_title}", created=plan.as_of)
            out[PLAN_DOCX if kind == "plan" else BRIEF_DOCX] = getattr(self._docx, kind)(context, meta, self.internal)
        return out

    def render(self, plan: Plan, limits: BriefLimits = BriefLimits(), requests: tuple = ()) -> Rendered:
        """``requests``: the enterprise's requests from the ledger (none: the documents without them)."""
        sector = plan.enterprise.get("sector")
        plan_md = self.templates.markdown("plan", plan_context(plan, self.kb, requests), sector)
        brief_md = self.brief_markdown(plan, limits, requests)
        plan_json = plan.dumps()
        return Rendered(plan, plan_md, brief_md, plan_json, requests=requests)

    def brief_markdown(self, plan: Plan, limits: BriefLimits, requests: tuple = ()) -> str:
        return self.templates.markdown("brief", brief_context(plan, self.kb, limits, requests),
                                       plan.enterprise.get("sector"))

    def html(self, plan: Plan, markdown_text: str, kind: str) -> str:
        """The HTML document WeasyPrint renders; its head carries the PDF metadata."""
        doc_title = self.kb.campaign.documents[kind]
        return self.document(markdown_to_html(markdown_text), kind, title=f"{plan.name} {doc_title}",
                             running_title=f"{_shorten(plan.name, 28)} · {doc_title}",
                             keywords=f"{plan.id}, {doc_title}", created=plan.as_of, provenance=plan.provenance)

    def briefs_html(self, plans: list, limits: dict, as_of: dt.date, requests: dict | None = None) -> str:
        """One HTML document of several briefs, one page each (``limits``: id → BriefLimits;
        ``requests``: id → the enterprise's requests, as ``render`` takes them)."""
        requests = requests or {}
        body = "".join(f'<section class="brief-page">'
                       f'{markdown_to_html(self.brief_markdown(p, limits[p.id], requests.get(p.id, ())))}</section>'
                       for p in plans)
        doc_title = self.kb.campaign.documents["brief"]
        return self.document(body, "brief", title=f"{doc_title}（{len(plans)}份）", keywords=doc_title, created=as_of)

    def document(self, body_html: str, kind: str, title: str, keywords: str, created: dt.date,
                 running_title: str | None = None, provenance: dict | None = None) -> str:
        """The HTML of one document. The generator and hashes stay in the metadata; they are printed
        (in the page footer) only on an internal copy, never on the enterprise's (``provenance``:
        the plan's, shown when the renderer is ``internal``)."""
        meta = {"title": title, "doc_title": self.kb.campaign.documents[kind], "author": self.author,
                "issuer": self.author, "subject": self.kb.campaign.title, "keywords": keywords,
                "generator": f"planner {__version__}", "created": created.isoformat(), "as_of": cn_date(created),
                "kind": kind, "provenance": provenance if self.internal else None}
        if running_title:
            meta["running_title"] = running_title
        return self.templates.html(body_html, meta)

    def pdfs(self, rendered: Rendered) -> dict:
        """帮扶方案.pdf and 走访简报.pdf as bytes; if the brief had to be cut further to fit one page,
        the shorter brief.md comes back too."""
        plan = rendered.plan
        out = {PLAN_PDF: pdf_bytes(self.plan_pdf_job(rendered, PLAN_PDF))}
        brief_md = rendered.brief_md
        for limits in (None,) + FALLBACK_LIMITS:
            if limits is not None:
                brief_md = self.brief_markdown(plan, limits, rendered.requests)
            try:
                out[BRIEF_PDF] = pdf_bytes(self.pdf_job(plan, brief_md, "brief", BRIEF_PDF))
            except PageLimitError:
                continue
            if limits is not None:
                out["brief.md"] = brief_md
                rendered.brief_limits = limits
            return out
        raise RenderError(f"{plan.id} 的走访简报压缩到最短仍排不进一页")

    def stylesheets(self, kind: str) -> tuple:
        fonts = (self._fonts,) if self._fonts else ()
        return fonts + (self._css["print.css"], self._css[f"{kind}.css"])

    def plan_pdf_job(self, rendered: Rendered, target) -> PdfJob:
        """The plan for the archive: PDF/A-3b with the plan.json it was made from embedded as an
        associated file (AFRelationship Source), dated the as-of date so the bytes never vary."""
        job = self.pdf_job(rendered.plan, rendered.plan_md, "plan", target)
        data = rendered.plan_json.encode("utf-8")
        return replace(job, variant=ARCHIVE_VARIANT,
                       attachments=(("plan.json", data, "帮扶方案所依据的数据（plan.json）", rendered.plan.as_of),))

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
    internal: bool = False


@dataclass(frozen=True)
class Task:
    """One enterprise to (re)generate: ``complete`` adds missing PDFs to an unchanged version;
    ``adopt`` first tries to prove an unchanged version written without hashes by an older
    planner (its Markdown and JSON made again and compared), sparing its PDFs a new render."""

    facts: dict
    where: str
    inputs: dict
    complete: bool = False
    adopt: bool = False
    requests: tuple = ()  # the enterprise's requests, read from the ledger by the parent (plain data)
    requests_changed: bool = False  # they differ from those of its latest version
    missing: tuple = ()  # for ``complete``: the binary formats its version lacks


_WORKER: dict = {}


def _start_worker(settings: Settings, kb: KnowledgeBase | None = None) -> None:
    kb = kb or knowledge.load(Path(settings.sectors))
    _WORKER.update(settings=settings, kb=kb, store=PlanStore(Path(settings.out_dir)),
                   renderer=Renderer(kb, Templates([Path(d) for d in settings.templates]), settings.author,
                                             settings.internal))
    if multiprocessing.parent_process() is not None:  # a worker process, not the caller's
        # What is loaded now lives as long as the worker: keep the collector from scanning it
        # again and again while WeasyPrint and Jinja make and drop millions of objects.
        gc.collect()
        gc.freeze()


MARKDOWN_CHUNK = 16  # enterprises per round trip to a worker when only Markdown is made (~30 ms of work)


def chunk_size(tasks: int, workers: int, formats: tuple) -> int:
    """Enterprises sent to a worker at once: one for PDF work (a second or more each), for
    Markdown several to save round trips, but small enough that every worker has a fair share."""
    if "pdf" in formats:
        return 1
    if workers < 2:
        return MARKDOWN_CHUNK
    return max(1, min(MARKDOWN_CHUNK, tasks // (workers * 4)))


def _process_chunk(tasks: tuple) -> list[tuple[str, str]]:
    return [_process(task) for task in tasks]


def _process(task: Task) -> tuple[str, str]:
    """Match, render and write one enterprise; runs in a worker. Returns (outcome, message):
    written, unchanged (PDFs added to an unchanged version) or failed, with why."""
    try:
        return _do_process(task), ""
    except Exception as exc:  # one enterprise's failure must not cost the others theirs
        return "failed", failure_text(exc)


def _do_process(task: Task) -> str:
    settings, store = _WORKER["settings"], _WORKER["store"]
    made = make(_WORKER, task, lambda enterprise_id, files: store.adopt(enterprise_id, files, settings.formats))
    return "unchanged" if made is None else keep(made, task, store, _WORKER["kb"], settings.formats)


@dataclass
class Made:
    """One enterprise's documents, made and not yet written: the files of its new version or,
    for a ``complete`` task, the documents its unchanged version lacks. Plain data, so that a
    cluster worker can send it back for the caller to write (planner.engines)."""

    enterprise_id: str
    files: dict  # name → text or bytes
    complete: bool = False


def make(state: dict, task: Task, adopt=None) -> Made | None:
    """Match and render one enterprise, writing nothing. ``state``: the worker's settings, kb and
    renderer (see ``_start_worker``). ``adopt(enterprise_id, markdown_files)``, for an adopt task:
    asked first, with the Markdown and JSON made again; True (the old version proven whole) means
    nothing more is made and None is returned."""
    settings, renderer = state["settings"], state["renderer"]
    plan = match(Record(dict(task.facts), task.where), state["kb"], settings.as_of)
    rendered = renderer.render(plan, requests=task.requests)
    if task.adopt and adopt is not None and adopt(plan.id, {"plan.md": rendered.plan_md, "brief.md": rendered.brief_md,
                                                            "plan.json": rendered.plan_json}):
        return None
    missing = task.missing if task.complete else settings.formats  # complete: only the formats it lacks
    pdfs = renderer.pdfs(rendered) if "pdf" in missing else {}
    if "docx" in missing:
        if "pdf" not in missing:  # the brief's cut comes from its PDF's page: find it without writing one
            rendered.brief_limits = _limits_that_fit(renderer, plan, task.requests)
            if rendered.brief_limits != BriefLimits() and not task.complete:
                pdfs["brief.md"] = renderer.brief_markdown(plan, rendered.brief_limits, task.requests)
        pdfs.update(renderer.docxs(rendered))
    if task.complete:
        return Made(plan.id, pdfs, complete=True)
    files = {"plan.md": rendered.plan_md, "brief.md": rendered.brief_md, "plan.json": rendered.plan_json}
    if "brief.md" in pdfs:  # the brief had to be cut further to fit its page
        files["brief.md"] = pdfs.pop("brief.md")
    files.update(pdfs)
    return Made(plan.id, files)


def keep(made: Made, task: Task, store: PlanStore, kb: KnowledgeBase, formats: tuple) -> str:
    """Write what ``make`` made, by the version protocol of PlanStore: "written" (a new version) or
    "unchanged" (documents added to the unchanged one)."""
    if made.complete:
        store.add_files(made.enterprise_id, made.files, formats)
        return "unchanged"
    plan_json = made.files["plan.json"]
    store.write_version(made.enterprise_id, made.files, task.inputs, formats,
                        lambda previous: _summary(change_summary(previous, plan_json, kb), task),
                        listing_row(orjson.loads(plan_json), kb))
    return "written"


def generate(records: Path, out_dir: Path, kb: KnowledgeBase, templates: Templates, as_of: dt.date,
             formats: tuple = DEFAULT_FORMATS, author: str | None = None, workers: int | None = None,
             progress=None, internal: bool = False, db: Path | None = None, engine=None) -> GenerateResult:
    """Plans and briefs for every good record of ``records`` under ``out_dir/<id>/``, versioned.
    ``db``: the request ledger the documents follow up (default DIR/requests.db, when there).

    ``progress(n)`` is called as enterprises are done (skipped ones included). An enterprise
    that fails (or whose worker was killed) is listed in ``result.failed`` and the rest go on.
    Ctrl-C stops at once with ``Interrupted``; what was written stays, whole. Every problem of
    the list goes into ``out_dir/问题清单.xlsx`` (``result.problems_file``); a run without any
    removes an earlier run's list. ``internal``: the bureau's copy, provenance in every page's footer.
    ``engine``: where the work runs when not in the local pool (planner.engines: a Dask cluster);
    it makes the documents and hands them back, and they are written here, under this run's lock.
    """
    read = read_records(records, kb)
    store = PlanStore(out_dir)
    result = GenerateResult(rejected=read.rejected_count, out_dir=out_dir, read=read)
    result.problems_file = write_problem_list(read, Path(out_dir) / PROBLEM_LIST)  # or an old one removed
    started = dt.datetime.now(dt.timezone.utc)
    try:
        _generate(read, store, result, kb, templates, as_of, formats, author, workers, progress, records, internal,
                  db, engine)
    except KeyboardInterrupt:
        raise Interrupted(len(result.written)) from None
    finally:
        _record_run(out_dir, result, started)
    result.enterprise_list = refresh_enterprise_list(out_dir, kb, changed=bool(result.written or result.completed),
                                                     notes=result.notes)
    return result


def _record_run(out_dir: Path, result: GenerateResult, started: dt.datetime) -> None:
    """The run in DIR/.planner-runs.jsonl (planner changes --last-run); a folder that cannot take it
    gets a note when the run wrote something, never an error: the plans are what the run is for."""
    from planner.changes import record_run

    try:
        record_run(out_dir, result.written, started)
    except OSError as exc:
        if result.written:
            why = f"运行记录无法写入（{exc.strerror or exc}），"
            result.notes.append(Said(f"{why}planner changes --last-run 将看不到本次运行",
                                     f"{why}“新版本审核”页将看不到本次运行"))


def _summary(summary: str, task: Task) -> str:
    """A version's summary line, saying so when the enterprise's requests changed (the plan itself
    may not have: then that is the whole change)."""
    if not task.requests_changed:
        return summary
    pending = sum(1 for r in task.requests if r["pending"])
    said = f"诉求办理情况更新（共{len(task.requests)}件，未办结{pending}件）"
    return said if summary == SAME_PLAN or not summary else f"{summary}；{said}"


def inputs_of(record: Record, kb: KnowledgeBase, template_hash: str, as_of: dt.date,
              internal: bool = False, requests: tuple = ()) -> dict:
    """What a version is made from; an enterprise whose inputs equal its latest version's is skipped
    (an internal copy is another input: its PDFs differ). ``requests``: the enterprise's requests
    from the ledger, an input only when it has some (so a folder without a ledger keeps its inputs)."""
    sector = sector_of(record.facts, kb)
    inputs = {"record": record_digest(record), "sector": sector, "profiles": kb.digest_for(sector),
              "templates": template_hash, "as_of": as_of.isoformat()}
    if requests:
        inputs["requests"] = requests_digest(requests)
    return {**inputs, "copy": "internal"} if internal else inputs


def requests_digest(requests: tuple) -> str:
    """A hash of what the documents show of an enterprise's requests: ids, categories, texts,
    states, departments, due dates and the measures they relate to."""
    return hashlib.sha256(orjson.dumps(list(requests), option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def request_data(request, rules, snapshot=None) -> dict:
    """A ledger Request as the plain data a task carries and view.plan_requests reads; with
    ``snapshot`` (Ledger.replay as of the plans' date), its state and departments on that date."""
    category = rules.categories.get(request.category)
    state = snapshot.state if snapshot is not None else request.state
    departments = snapshot.departments if snapshot is not None else request.departments
    data = {"id": request.id, "category": request.category, "text": request.text, "state": state,
            "departments": list(departments), "due": request.due_date.isoformat(),
            "pending": state in PENDING, "open": state in OPEN,
            "measures": list(category.measures) if category is not None else []}
    if (snapshot if snapshot is not None else request).returned:
        data["returned"] = True  # sent back by its department, not yet handed on (only then: same inputs)
    done = (snapshot if snapshot is not None else request).done
    if done:
        data["done"] = list(done)  # co-held: the departments that have answered 办结 (only then: same inputs)
    return data


def ledger_requests(out_dir: Path, kb: KnowledgeBase, as_of: dt.date | None = None,
                    db: Path | None = None) -> dict[str, tuple]:
    """Every enterprise's requests in the output folder's ledger (DIR/requests.db), read once for
    the whole run: credit code → tuple of ``request_data``, in registration order. ``as_of``: the
    ledger as it stood on the plans' date, as ``planner summary`` reads it (a request registered
    later is left out; a step taken later is not yet taken). No ledger file: no requests (none is
    created). A file that is not a ledger stops the run (LedgerError). ``db``: another ledger file
    (``--db``)."""
    path = ledger_path(out_dir, db)
    if not path.is_file():
        return {}
    own = Path(kb.root) / RULES_FILE
    rules = load_rules(own.parent) if own.is_file() else load_rules()
    with Ledger.open(path, rules) as ledger:
        found = ledger.find()
        snapshots = ledger.replay(as_of) if as_of is not None else None
    out: dict[str, list] = {}
    for request in found:
        if snapshots is not None and request.id not in snapshots:
            continue
        out.setdefault(request.enterprise_id, []).append(
            request_data(request, rules, snapshots[request.id] if snapshots is not None else None))
    return {k: tuple(v) for k, v in out.items()}


def _generate(read, store: PlanStore, result: GenerateResult, kb: KnowledgeBase, templates: Templates,
              as_of: dt.date, formats: tuple, author: str | None, workers: int | None, progress,
              list_path: Path | None = None, internal: bool = False, db: Path | None = None,
              engine=None) -> None:
    tick = progress or (lambda n: None)
    if progress is not None and hasattr(progress, "total"):
        progress.total = len(read.records)
    template_hash = templates_digest(templates.dirs)
    settings = Settings(str(kb.root), tuple(str(d) for d in templates.dirs), author, as_of, tuple(formats),
                        str(store.root), internal)
    with store.locked():
        if list_path is not None:  # a summary of the folder alone then still names the list's rejected records
            rosters.record(store.root, list_path, read)
        requests = ledger_requests(store.root, kb, as_of, db)  # once for the run; each task carries its enterprise's
        tasks = []
        damaged = {}  # enterprise id → the DamagedVersion of its latest version.json
        present = store.entries()  # one directory read instead of a failed open per new enterprise
        for record in read.records:
            own = requests.get(record.id, ())
            inputs = inputs_of(record, kb, template_hash, as_of, internal, own)
            folder = store.folder(record.id)
            if record.id not in present:
                tasks.append(Task(record.facts, record.where, inputs, requests=own))
                continue
            if present[record.id]:  # a link to elsewhere: never written through
                result.failed.append((record.where, record.id, UnsafeLink(folder).format_message()))
                tick(1)
                continue
            try:
                meta = read_meta(folder)
            except DamagedVersion as exc:  # made anew; the damaged files are kept (PlanStore.write_version)
                damaged[record.id] = exc
                meta = None
            if meta is not None and meta.get("inputs") == inputs:
                if is_complete(folder, meta, formats):
                    result.unchanged.append(record.id)
                    tick(1)
                    continue
                complete = is_complete(folder, meta, ("md",)) and any(f in formats for f in BINARY_FORMATS)
                missing = tuple(f for f in formats if f in BINARY_FORMATS and not is_complete(folder, meta, (f,)))
                tasks.append(Task(record.facts, record.where, inputs, complete, adopt="sha256" not in meta,
                                  requests=own, missing=missing if complete else ()))
            else:
                changed = meta is not None and meta.get("inputs", {}).get("requests") != inputs.get("requests")
                tasks.append(Task(record.facts, record.where, inputs, requests=own, requests_changed=changed))
        if tasks and store.read_only:
            said = f"输出目录不可写（{store.read_only}），有{len(tasks)}家企业需要生成新版本，未写入任何文件；"
            raise PlannerError(f"{store.root}：{said}请换一个可写的 --out 目录或修改权限后再次运行",
                               web=f"{said}请管理员检查数据目录的权限后再次生成")
        if engine is not None:  # elsewhere than the local pool (planner.engines): it calls done() per task
            engine.run(tasks, settings, kb, store, lambda task, outcome, message: _tally(result, task, outcome,
                                                                                          message, tick), result.notes)
            _in_list_order(result, read.records)
            _damage_notes(store, damaged, result)
            return
        count, notice = worker_count(workers, len(tasks))  # capped at the usable cores
        result.notes += [notice] if notice else []
        init_args = (settings, kb) if count == 1 else (settings,)  # in this process: the kb at hand
        size = chunk_size(len(tasks), count, formats)
        chunks = [tuple(tasks[i:i + size]) for i in range(0, len(tasks), size)]
        # Markdown work does not grow a worker's memory; PDF work does, so those workers are replaced.
        recycle = TASKS_PER_WORKER if "pdf" in formats else None
        preload = ("planner.generate", "weasyprint") if "pdf" in formats else ("planner.generate",)
        try:
            with WorkerPool(count, _start_worker, init_args, recycle, preload) as pool:
                for chunk, outcomes in pool.map(_process_chunk, chunks):
                    if isinstance(outcomes, WorkerDied):  # some of the chunk may have been written whole
                        outcomes = [(("unchanged" if t.complete else "written"), "") if _finished(store, t, formats)
                                    else ("failed", WORKER_DIED) for t in chunk]
                    for task, (outcome, message) in zip(chunk, outcomes):
                        _tally(result, task, outcome, message)
                    tick(len(chunk))
        except WorkerDied:
            raise PlannerError(f"工作进程接连意外退出（被终止或内存不足），已停止；本次已生成{len(result.written)}家企业，"
                               f"均已完整保存。请检查内存后再次运行同一命令，只会补齐其余企业。") from None
        _damage_notes(store, damaged, result)


WORKER_DIED = "生成这家企业时工作进程意外退出（被终止或内存不足）"


def _tally(result: GenerateResult, task: Task, outcome: str, message: str, tick=None) -> None:
    """One task's outcome into ``result`` (written, unchanged and completed, or failed with why)."""
    if outcome == "failed":
        result.failed.append((task.where, task.facts["id"], message))
    else:
        (result.written if outcome == "written" else result.unchanged).append(task.facts["id"])
        if outcome != "written" and task.complete:
            result.completed.append(task.facts["id"])
    if tick is not None:
        tick(1)


def _in_list_order(result: GenerateResult, records: list) -> None:
    """Put the outcomes of an engine that reports tasks as they finish back in the list's order."""
    place = {record.id: i for i, record in enumerate(records)}
    for outcomes in (result.written, result.unchanged, result.completed):
        outcomes.sort(key=lambda enterprise_id: place.get(enterprise_id, len(place)))
    result.failed.sort(key=lambda failure: place.get(failure[1], len(place)))


def _damage_notes(store: PlanStore, damaged: dict, result: GenerateResult) -> None:
    """A note for each enterprise whose damaged version was made anew: which file, what was wrong,
    where its files were kept and the new version's number."""
    for enterprise_id in (e for e in result.written if e in damaged):
        try:
            meta = read_meta(store.folder(enterprise_id)) or {}
        except DamagedVersion:
            continue
        exc = damaged[enterprise_id]
        if "damaged" in meta:
            result.notes.append(f"{exc.format_message()}；原有文件已保存到 "
                                f"{store.folder(enterprise_id)}/{meta['damaged']['kept']}/，已重新生成为第{meta['version']}版")


def _finished(store: PlanStore, task: Task, formats: tuple) -> bool:
    """Whether ``task``'s enterprise has a whole version made from its current inputs."""
    try:
        meta = store.latest_meta(task.facts["id"])
    except DamagedVersion:
        return False
    return meta is not None and meta.get("inputs") == task.inputs and is_complete(
        store.folder(task.facts["id"]), meta, formats)


class Interrupted(PlannerError):
    """Ctrl-C: the run stopped; every enterprise finished so far is kept whole."""

    exit_code = 130
    prefix = ""

    def __init__(self, written: int):
        super().__init__(f"已中断：已生成的企业均已完整保存（本次至少{written}家）；"
                         f"再次运行同一命令即可从中断处继续，只会补齐其余企业。")


def select_plans(plans: list, kb: KnowledgeBase, district: str | None = None, cadre: str | None = None,
                 zone: str | None = None, source: str = "名单") -> list:
    """The plans of one district (name, id or code), one functional zone and/or one cadre (name
    contained in 包联干部); ``source`` names where they came from in a message (名单, 输出目录)."""
    chosen = plans
    for field_id, vocabulary, value in (("zone", "zones", zone), ("district", "districts", district)):
        if value:
            wanted = kb.vocabularies[vocabulary].resolve(value)
            if wanted is None:
                labels = "、".join(e.label for e in kb.vocabularies[vocabulary])
                what = {"zone": "功能区", "district": "区县"}[field_id]
                message = f"没有“{value}”这个{what}（可选：{labels}）"
                # a zone given as a district (东钱湖) or the other way round: say which option takes it
                other, other_vocabulary, other_what = {"zone": ("district", "districts", "区县"),
                                                       "district": ("zone", "zones", "功能区")}[field_id]
                found = kb.vocabularies[other_vocabulary].resolve(value)
                if found is not None:
                    label = kb.vocabularies[other_vocabulary].entries[found].label
                    raise RenderError(f"{message}；{label}是{other_what}，请用 --{other} {label}",
                                      web=f"{message}；{label}是{other_what}")
                raise RenderError(message)
            chosen = [p for p in chosen if p.enterprise.get(field_id) == wanted]
    if cadre:
        if not any(cadre.strip() in str(p.enterprise.get("cadre") or "") for p in plans):
            names = list(dict.fromkeys(str(p.enterprise["cadre"]) for p in plans if p.enterprise.get("cadre")))
            shown = "、".join(names[:CADRES_SHOWN]) + (f"等{len(names)}人" if len(names) > CADRES_SHOWN else "")
            raise RenderError(f"{source}中没有包联干部“{cadre}”（{source}中的包联干部：{shown or '无'}）")
        chosen = [p for p in chosen if cadre.strip() in str(p.enterprise.get("cadre") or "")]
    return chosen


CADRES_SHOWN = 20  # an unknown --cadre lists at most this many of the list's cadres


BRIEFS_PER_CHUNK = 50
BRIEF_CHUNKS_PER_WORKER = 2  # a worker renders 100 briefs, then a fresh one takes over


@dataclass(frozen=True)
class BriefChunk:
    """Consecutive briefs rendered as one document by one worker (one font subset per chunk)."""

    records: tuple  # (facts, where) pairs
    requests: tuple = ()  # (credit code, its requests as request_data) for the records that have some


def _render_chunk(chunk: BriefChunk) -> tuple[list, list]:
    """The chunk's briefs as PDFs, one page each, and the briefs that could not be made; runs in
    a worker. Returns ([pdf bytes, ...], [(where, id, why), ...]): normally one PDF for the whole
    chunk (one font subset); a brief that cannot be made costs only itself."""
    settings, kb, renderer = (_WORKER[k] for k in ("settings", "kb", "renderer"))
    plans, failed = [], []
    for facts, where in chunk.records:
        try:
            plans.append((match(Record(dict(facts), where), kb, settings.as_of), where))
        except Exception as exc:
            failed.append((where, facts.get("id"), failure_text(exc)))
    limits = {p.id: BriefLimits() for p, _ in plans}
    requests = dict(chunk.requests)
    for attempt in range(2):
        if not plans:
            return [], failed
        try:
            chosen = [p for p, _ in plans]
            job = PdfJob(renderer.briefs_html(chosen, limits, settings.as_of, requests), renderer.stylesheets("brief"),
                         "briefs", max_pages=len(chosen))
            return [pdf_bytes(job)], failed
        except Exception:  # rare: a brief overflows its page, or one brief cannot be rendered
            pass
        if attempt == 0:  # find the briefs that fail on their own: print the others, shorter where needed
            kept = []
            for plan, where in plans:
                try:
                    limits[plan.id] = _limits_that_fit(renderer, plan, requests.get(plan.id, ()))
                    kept.append((plan, where))
                except Exception as exc:
                    failed.append((where, plan.id, failure_text(exc)))
            plans = kept
    # Each brief fits alone yet not together: print them one by one.
    pieces = []
    for plan, where in plans:
        try:
            brief_md = renderer.brief_markdown(plan, limits[plan.id], requests.get(plan.id, ()))
            pieces.append(pdf_bytes(renderer.pdf_job(plan, brief_md, "brief", BRIEF_PDF)))
        except Exception as exc:
            failed.append((where, plan.id, failure_text(exc)))
    return pieces, failed


def failure_text(exc: Exception) -> str:
    """What an enterprise's failure says: a PlannerError's message, else the exception's type and text."""
    return exc.format_message() if isinstance(exc, PlannerError) else f"{type(exc).__name__}: {exc}"


class BriefsIncomplete(RenderError):
    """The combined PDF was written without the briefs that could not be made; ``failed`` lists
    them as (where, enterprise id, why), ``plans`` the plans printed, ``read`` the list read."""

    def __init__(self, target: Path, plans: list, read, failed: list):
        self.target, self.plans, self.read, self.failed = target, plans, read, failed
        lines = [f"{where}：{enterprise_id}：{why}" for where, enterprise_id, why in failed]
        if plans:
            lines.append(f"以上{len(failed)}家企业的走访简报未能生成；其余{len(plans)}份已写入 {display_path(target)}，"
                         f"处理后再次运行同一命令即可。")
        else:
            lines.append(f"以上{len(failed)}家企业的走访简报均未能生成，未写入任何文件。")
        super().__init__("\n".join(lines))


def combined_briefs(records: Path, target: Path, kb: KnowledgeBase, templates: Templates, as_of: dt.date,
                    district: str | None = None, cadre: str | None = None, author: str | None = None,
                    zone: str | None = None, workers: int | None = None, ids: list | None = None,
                    db: Path | None = None):
    """One PDF of briefs, one page each, in list order, to print in one job. Returns (plans, read).

    Each brief carries the enterprise's open requests as ``planner generate`` prints them: the
    ledger ``db`` (when it exists; none: the briefs without requests) read once for the run, as
    it stood on ``as_of``.

    Chunks of briefs are rendered on every core (``workers``, capped at the usable cores: see
    ``planner.workers.worker_count``) and joined;
    the file is written atomically. A brief that cannot be made (a template error, a page it
    cannot fit) costs only its enterprise: the others are written, then BriefsIncomplete names it.
    """
    from pypdf import PdfWriter

    batch = plan_records(records, kb, as_of)
    plans = select_plans(batch.plans, kb, district, cadre, zone)
    if ids:  # exactly these visits, in the order given
        by_plan = {p.id: p for p in plans}
        plans = [by_plan[i] for i in ids if i in by_plan]
    if not plans:
        chosen = "、".join(f"{k}“{v}”" for k, v in (("区县", district), ("功能区", zone), ("包联干部", cadre)) if v)
        raise RenderError(f"没有符合筛选条件（{chosen}）的企业，未写入任何文件" if chosen
                          else "名单中没有可打印简报的企业，未写入任何文件")
    by_id = {r.id: r for r in batch.read.records}
    requests = ledger_requests(Path(db).parent, kb, as_of, Path(db)) if db is not None else {}
    chunks = []
    for i in range(0, len(plans), BRIEFS_PER_CHUNK):
        part = plans[i:i + BRIEFS_PER_CHUNK]
        chunks.append(BriefChunk(tuple((by_id[p.id].facts, by_id[p.id].where) for p in part),
                                 tuple((p.id, requests[p.id]) for p in part if p.id in requests)))
    settings = Settings(str(kb.root), tuple(str(d) for d in templates.dirs), author, as_of, ("pdf",), "")
    count, _ = worker_count(workers, len(chunks))
    writer = PdfWriter()
    failed: list = []
    with WorkerPool(count, _start_worker, (settings, kb) if count == 1 else (settings,), BRIEF_CHUNKS_PER_WORKER,
                    ("planner.generate", "weasyprint")) as pool:
        for chunk, outcome in pool.map(_render_chunk, chunks):
            if isinstance(outcome, WorkerDied):
                failed += [(where, facts.get("id"), WORKER_DIED) for facts, where in chunk.records]
                continue
            pieces, chunk_failed = outcome
            failed += chunk_failed
            for data in pieces:
                writer.append(io.BytesIO(data))
    failed_ids = {enterprise_id for _, enterprise_id, _ in failed}
    printed = [p for p in plans if p.id not in failed_ids]
    if not printed:
        raise BriefsIncomplete(target, [], batch.read, failed)
    number_pages(writer, templates)
    writer.add_metadata({"/Title": f"{kb.campaign.documents['brief']}（{len(printed)}份）",
                         "/Author": author or kb.campaign.issuer, "/Subject": kb.campaign.title})
    buffer = io.BytesIO()
    writer.write(buffer)
    atomic_write(target, buffer.getvalue())
    if failed:
        raise BriefsIncomplete(target, printed, batch.read, failed)
    return plans, batch.read


def _limits_that_fit(renderer: Renderer, plan: Plan, requests: tuple = ()) -> BriefLimits:
    """The longest brief limits with which ``plan``'s brief fits one page."""
    for limits in (BriefLimits(),) + FALLBACK_LIMITS:
        try:
            pdf_bytes(renderer.pdf_job(plan, renderer.brief_markdown(plan, limits, requests), "brief", BRIEF_PDF))
            return limits
        except PageLimitError:
            continue
    raise RenderError(f"{plan.id} 的走访简报压缩到最短仍排不进一页")
