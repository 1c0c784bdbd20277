"""Templates to Markdown, Markdown to HTML: the text half of rendering.

Every value a template prints is Markdown-escaped on the way out (Jinja's ``finalize``), so a
record field such as ``[a](javascript:x)`` or ``| a | b |`` prints literally; markdown-it then
escapes it for HTML, with raw HTML and images disabled. Record fields are data only: they are
never used as template source.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from planner.exceptions import RenderError
from planner.resources import bundled

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&$^])")
_LINE_START = re.compile(r"^(\d+)([.)])(?=\s|$)|^([-=:>])")


class MarkdownText(str):
    """Text that is already Markdown and must not be escaped again."""


_NEEDS_WORK = re.compile(r"[\\`*_{}\[\]<>()#+!|~&$^\s]|^[-=:>\d]")


def md_escape(value) -> str:
    """``value`` as Markdown that renders as exactly that text, on one line."""
    if isinstance(value, MarkdownText):
        return value
    return _escape(str(value))


@functools.lru_cache(maxsize=1 << 16)  # profile text repeats in every plan
def _escape(text: str) -> str:
    if not _NEEDS_WORK.search(text):
        return text
    text = " ".join(text.split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3)}", text)


def backtick_fence(texts, least: int = 1) -> MarkdownText:
    """Backticks enough to fence ``texts`` as code: more than any run inside them, ``least`` at least."""
    longest = max((len(run) for text in texts for run in re.findall(r"`+", text)), default=0)
    return MarkdownText("`" * max(least, longest + 1))


def md_code(value) -> MarkdownText:
    """``value`` as a Markdown code span (the ``code`` filter): shown exactly. Not for table
    cells, where a ``|`` would still split it."""
    text = " ".join(str(value).split())
    if not text:
        return MarkdownText("")
    fence = backtick_fence([text])
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return MarkdownText(f"{fence}{pad}{text}{pad}{fence}")


def _finalize(value):
    if value.__class__ is str:  # the common case, first: plain text, escaped once per distinct value
        return _escape(value)
    if value is None:
        return ""
    return md_escape(value)


class _Environment(jinja2.Environment):
    """Looks ``row.title`` up as a key first when ``row`` is a plain dict, as the view builds them.

    Jinja tries the attribute first and the key after an AttributeError; with hundreds of
    lookups per plan that exception was a third of the Markdown rendering time.
    """

    def getattr(self, obj, attribute):
        if obj.__class__ is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@dataclass
class Templates:
    """The template search path: the user's folder first, then the bundled templates."""

    dirs: list

    @classmethod
    def from_option(cls, user_dir: Path | None) -> "Templates":
        if user_dir and not Path(user_dir).is_dir():
            raise RenderError(f"{user_dir}: templates folder not found")
        dirs = [Path(user_dir).resolve()] if user_dir else []
        return cls(dirs + [bundled("templates").resolve()])

    def __post_init__(self):
        loader = jinja2.FileSystemLoader([str(d) for d in self.dirs])
        # No auto-reload: a template does not change during a run, and the check costs a stat per render.
        common = dict(loader=loader, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, auto_reload=False)
        # Templates are the bureau's own files; record text only ever arrives as escaped data.
        self.markdown_env = _Environment(finalize=_finalize, autoescape=False, **common)
        self.markdown_env.filters["code"] = md_code
        self.html_env = _Environment(autoescape=True, **common)

    def markdown(self, kind: str, context: dict, sector: str | None = None) -> str:
        """Render ``kind`` (plan or brief), preferring ``kind-<sector>.md.j2`` when it exists."""
        names = ([f"{kind}-{sector}.md.j2"] if sector else []) + [f"{kind}.md.j2"]
        template = None
        try:
            template = self.markdown_env.select_template(names)
            return template.render(**context)
        except jinja2.TemplateError as exc:
            name = getattr(exc, "name", None) or (template.name if template is not None else names[-1])
            line = f"第{exc.lineno}行" if getattr(exc, "lineno", None) else ""
            raise RenderError(f"模板 {name} {line}出错：{exc.message or exc}") from None

    def html(self, body_html: str, meta: dict) -> str:
        """The full HTML document handed to WeasyPrint."""
        try:
            meta = {"figure": None, **meta}  # bureau copies of document.html.j2 may still test it
            meta["title"] = " ".join(str(meta.get("title", "")).split())
            meta.setdefault("running_title", meta.get("doc_title", ""))
            return self.html_env.get_template("document.html.j2").render(body=Markup(body_html), **meta)
        except jinja2.TemplateError as exc:
            raise RenderError(f"template document.html.j2: {exc}") from None

    def stylesheet(self, name: str) -> tuple[str, Path]:
        """The text of a stylesheet on the search path, and the folder it was found in."""
        for folder in self.dirs:
            path = folder / name
            if path.is_file():
                return path.read_text(encoding="utf-8"), folder
        raise RenderError(f"stylesheet {name} not found in {', '.join(str(d) for d in self.dirs)}")


def markdown_to_html(text: str) -> str:
    """CommonMark plus tables, with raw HTML and images disabled."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").disable("image")
    return md.render(text)
