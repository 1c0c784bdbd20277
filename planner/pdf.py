"""HTML to PDF with WeasyPrint, reading only bundled assets.

Rendering runs in the long-lived worker processes of ``planner.workers`` (a fresh process costs
~0.8 s per PDF against ~0.27 s warm); each process keeps one FontConfiguration.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

ASSET_SUFFIXES = {".css", ".png", ".jpg", ".jpeg", ".svg", ".otf", ".ttf", ".woff", ".woff2"}
FONT_SUFFIXES = {".otf", ".ttf", ".woff", ".woff2"}
MAX_ASSET_BYTES = 5 * 1024 * 1024
MAX_FONT_BYTES = 16 * 1024 * 1024  # a whole-GB2312 face is 5-8 MB

# The GB/T 9704 faces that `make setup` puts into fonts/ (git-ignored), declared in templates/fonts.css.
FONT_FILES = ("FandolFang-Regular.otf", "FandolSong-Bold.otf", "FandolHei-Regular.otf", "FandolKai-Regular.otf")


def font_folder() -> Path | None:
    """The folder of the bundled fonts, or None when any is missing (the CSS then falls back to Noto CJK)."""
    from planner.resources import bundled

    folder = bundled("fonts")
    return folder if all((folder / name).is_file() for name in FONT_FILES) else None


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
                and path.stat().st_size <= (MAX_FONT_BYTES if path.suffix.lower() in FONT_SUFFIXES else MAX_ASSET_BYTES)
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
    target: str = ""
    max_pages: int | None = None
    variant: str | None = None  # a PDF variant WeasyPrint writes, e.g. pdf/a-3b for the archive
    # files embedded as associated files: (name, bytes, description, date) — plan.json in a plan
    attachments: tuple = ()


_FONT_CONFIG = None
_SHEETS: dict = {}  # (css text, folder) → parsed CSS, reused for every document of this process
# pydyf (WeasyPrint's PDF writer) deflates every stream at zlib level 9. For these documents (CJK
# font subsets, text content streams) level 6 gives files 0.4% larger in a tenth less time per
# PDF: 0.162 s against 0.181 s, 12 sample plans and their briefs rendered twice, levels interleaved.
DEFLATE_LEVEL = 6


class _Deflate:
    """zlib for pydyf, with its level-9 requests made at DEFLATE_LEVEL; everything else is zlib's."""

    def __init__(self, zlib_module, level: int):
        self._zlib, self.level = zlib_module, level

    def __getattr__(self, name):
        return getattr(self._zlib, name)

    def compressobj(self, level=-1, *args, **kwargs):
        return self._zlib.compressobj(self.level, *args, **kwargs)

    def compress(self, data, level=-1, **kwargs):
        return self._zlib.compress(data, self.level, **kwargs)


def set_deflate_level(level: int = DEFLATE_LEVEL) -> bool:
    """Make pydyf deflate at ``level`` in this process. Returns False, changing nothing, when pydyf
    no longer calls zlib through its module attribute (a release that changed that)."""
    import zlib

    import pydyf

    current = getattr(pydyf, "zlib", None)
    if isinstance(current, _Deflate):
        current.level = level
        return True
    if current is not zlib:
        return False
    pydyf.zlib = _Deflate(zlib, level)
    return True


def pdf_bytes(job: PdfJob, fetcher_log: list | None = None) -> bytes:
    """Render ``job`` to PDF bytes; raise PageLimitError when it has more than ``max_pages`` pages."""
    global _FONT_CONFIG
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    if _FONT_CONFIG is None:  # one per process: reusing it keeps memory flat
        _FONT_CONFIG = FontConfiguration()
        set_deflate_level()
    folders = sorted({str(base) for _, base in job.stylesheets})
    fetcher = make_fetcher([Path(f) for f in folders], fetcher_log)
    sheets = []
    for text, base in job.stylesheets:
        key = (text, str(base))
        if key not in _SHEETS or fetcher_log is not None:  # a logged render parses afresh, to log it all
            _SHEETS[key] = CSS(string=text, base_url=Path(base).as_uri() + "/", url_fetcher=fetcher,
                               font_config=_FONT_CONFIG)
        sheets.append(_SHEETS[key])
    document = HTML(string=job.html, url_fetcher=fetcher).render(stylesheets=sheets, font_config=_FONT_CONFIG)
    pages = len(document.pages)
    if job.max_pages is not None and pages > job.max_pages:
        raise PageLimitError(job.target, pages, job.max_pages)
    return document.write_pdf(**write_options(job))


def write_options(job: PdfJob) -> dict:
    """write_pdf's options for ``job``: its PDF variant and its embedded files, each dated the day
    it carries (the as-of date), so the same inputs give the same bytes."""
    if not job.variant and not job.attachments:
        return {}
    from weasyprint import Attachment

    attached = []
    for name, data, description, when in job.attachments:
        stamp = dt.datetime.combine(when, dt.time(), dt.timezone.utc)
        attached.append(Attachment(file_obj=io.BytesIO(data), name=name, description=description,
                                   created=stamp, modified=stamp, relationship="Source"))
    return {"pdf_variant": job.variant, "attachments": attached}


def render_pdf(job: PdfJob, fetcher_log: list | None = None) -> None:
    """Render ``job`` and write it to ``job.target`` atomically; nothing is written on error."""
    from planner.store import atomic_write

    atomic_write(Path(job.target), pdf_bytes(job, fetcher_log))


class PageLimitError(Exception):
    """A document came out longer than its limit (a brief on two pages)."""

    def __init__(self, target, pages, limit):
        super().__init__(f"{target}: {pages} pages, at most {limit} allowed")
        self.target, self.pages, self.limit = target, pages, limit

    def __reduce__(self):  # crosses the process boundary back from a worker
        return PageLimitError, (self.target, self.pages, self.limit)


def number_pages(writer, templates) -> None:
    """Lay 第 k 页 / 共 N 页 over each page of a combined print (a pypdf PdfWriter), with
    templates/page-numbers.css: one number run across the route sheet and every brief, whose own
    pages carry none, so a dropped sheet goes back in its place."""
    from html import escape

    from pypdf import PdfReader

    total = len(writer.pages)
    body = "".join(f'<div class="page"><div class="number">{escape(f"第 {k} 页 / 共 {total} 页")}</div></div>'
                   for k in range(1, total + 1))
    fonts = templates.font_sheet()
    sheets = ((fonts,) if fonts else ()) + (templates.stylesheet("page-numbers.css"),)
    html = f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body>{body}</body></html>'
    numbers = PdfReader(io.BytesIO(pdf_bytes(PdfJob(html, sheets, "page-numbers.pdf"))))
    for page, number in zip(writer.pages, numbers.pages):
        page.merge_page(number)
