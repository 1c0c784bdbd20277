"""HTML to PDF with WeasyPrint, in long-lived worker processes, reading only bundled assets.

A fresh process costs ~0.8 s per PDF against ~0.27 s warm, so workers live for many
documents and keep one FontConfiguration each (memory stays flat); they are still recycled
after a fixed number of tasks, since WeasyPrint's native memory creeps up.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

ASSET_SUFFIXES = {".css", ".png", ".jpg", ".jpeg", ".svg", ".otf", ".ttf", ".woff", ".woff2"}
MAX_ASSET_BYTES = 5 * 1024 * 1024
TASKS_PER_WORKER = 200


def harfbuzz_subsetting() -> bool:
    """Whether WeasyPrint found libharfbuzz-subset (without it every PDF takes ~25x longer)."""
    from weasyprint.text import ffi

    return ffi.harfbuzz_subset is not None


def make_fetcher(asset_dirs: list[Path], log: list | None = None):
    """A URL fetcher that serves files from ``asset_dirs`` only; everything else is refused."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = [Path(d).resolve() for d in asset_dirs]

    class BundledAssetsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            allowed = (
                path is not None
                and path.suffix.lower() in ASSET_SUFFIXES
                and any(path.is_relative_to(root) for root in roots)
                and path.is_file()
                and path.stat().st_size <= MAX_ASSET_BYTES
            )
            if log is not None:
                log.append((url, allowed))
            if not allowed:
                raise ValueError(f"refused to fetch {url}: only bundled assets may be read")
            return URLFetcherResponse(path.as_uri(), path.read_bytes())

    return BundledAssetsOnly(allow_redirects=False)


@dataclass(frozen=True)
class PdfJob:
    """One document to render: its HTML, stylesheets, where to write it, and its page limit."""

    html: str
    stylesheets: tuple  # (css text, base folder) pairs
    target: str
    max_pages: int | None = None


_FONT_CONFIG = None


def render_pdf(job: PdfJob, fetcher_log: list | None = None) -> int:
    """Render ``job`` to its target (atomically); return the page count.

    Raises PageLimitError when the document has more pages than ``job.max_pages``; nothing is
    written then.
    """
    global _FONT_CONFIG
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from planner.store import atomic_write

    if _FONT_CONFIG is None:
        _FONT_CONFIG = FontConfiguration()
    folders = sorted({str(base) for _, base in job.stylesheets})
    fetcher = make_fetcher([Path(f) for f in folders], fetcher_log)
    sheets = [CSS(string=text, base_url=Path(base).as_uri() + "/", url_fetcher=fetcher, font_config=_FONT_CONFIG)
              for text, base in job.stylesheets]
    document = HTML(string=job.html, url_fetcher=fetcher).render(stylesheets=sheets, font_config=_FONT_CONFIG)
    pages = len(document.pages)
    if job.max_pages is not None and pages > job.max_pages:
        raise PageLimitError(job.target, pages, job.max_pages)
    atomic_write(Path(job.target), document.write_pdf())
    return pages


class PageLimitError(Exception):
    """A document came out longer than its limit (a brief on two pages)."""

    def __init__(self, target, pages, limit):
        super().__init__(f"{target}: {pages} pages, at most {limit} allowed")
        self.target, self.pages, self.limit = target, pages, limit

    def __reduce__(self):  # crosses the process boundary back from a worker
        return PageLimitError, (self.target, self.pages, self.limit)


def _run(job: PdfJob):
    try:
        return render_pdf(job)
    except PageLimitError as exc:
        return exc


class PdfPool:
    """Renders PdfJobs on every core in recycled worker processes; in-process with one worker."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self._executor = None

    def __enter__(self):
        if self.workers > 1:
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context,
                                                 max_tasks_per_child=TASKS_PER_WORKER)
        return self

    def __exit__(self, *exc):
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def map(self, jobs):
        """Yield (job, result) in order; result is a page count or a PageLimitError.

        ``jobs`` may be a generator: only a few jobs per worker are in flight at once, so the
        HTML of a long list is never all in memory.
        """
        if self._executor is None:
            for job in jobs:
                yield job, _run(job)
            return
        window = deque()
        for job in jobs:
            window.append((job, self._executor.submit(_run, job)))
            if len(window) >= self.workers * 4:
                done, future = window.popleft()
                yield done, future.result()
        while window:
            done, future = window.popleft()
            yield done, future.result()
