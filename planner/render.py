"""Templates to Markdown, Markdown to HTML: the text half of rendering.

Every value a template prints is Markdown-escaped on the way out (Jinja's ``finalize``), so a
record field such as ``[a](javascript:x)`` or ``| a | b |`` prints literally; markdown-it then
escapes it for HTML, with raw HTML and images disabled. Control characters, terminal escapes and
bidi marks in a value are shown as visible ⟨U+XXXX⟩ marks (``planner.textsafe.visible``). Record
fields are data only: they are never used as template source.

Templates themselves are untrusted too (a bureau's ``--templates`` folder, later an upload): they
run in Jinja's immutable sandbox, so they can print the values handed in, use filters, tests and
loops, and include or extend templates on the search path, but cannot reach Python internals
(``cycler.__init__.__globals__``), call mutating methods, or load a file from outside the search
path (a symlink that leads outside is refused).
"""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jinja2.runtime
import jinja2.sandbox
from markdown_it import MarkdownIt
from markupsafe import Markup

from planner.dates import cn_date_text
from planner.exceptions import RenderError
from planner.resources import bundled
from planner.textsafe import visible

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&$^])")
_LINE_START = re.compile(r"^(\d+)([.)])(?=\s|$)|^([-=:>])")


class MarkdownText(str):
    """Text that is already Markdown and must not be escaped again."""


# What needs escaping, splitting or marking (controls, escapes and bidi marks: see textsafe).
_NEEDS_WORK = re.compile(r"[\\`*_{}\[\]<>()#+!|~&$^\s\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
                         r"|^[-=:>\d]")


def md_escape(value) -> str:
    """``value`` as Markdown that renders as exactly that text, on one line."""
    if isinstance(value, MarkdownText):
        return value
    return _escape(str(value))


@functools.lru_cache(maxsize=1 << 16)  # profile text repeats in every plan
def _escape(text: str) -> str:
    if not _NEEDS_WORK.search(text):
        return text
    text = " ".join(visible(text).split())  # marks first: str.split() would take \x1c-\x1f for spaces
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3)}", text)


def backtick_fence(texts, least: int = 1) -> MarkdownText:
    """Backticks enough to fence ``texts`` as code: more than any run inside them, ``least`` at least."""
    longest = max((len(run) for text in texts for run in re.findall(r"`+", text)), default=0)
    return MarkdownText("`" * max(least, longest + 1))


def md_code(value) -> MarkdownText:
    """``value`` as a Markdown code span (the ``code`` filter): shown exactly (controls made
    visible). Not for table cells, where a ``|`` would still split it."""
    text = " ".join(visible(str(value)).split())
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


class _Environment(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """The sandbox, looking ``row.title`` up as a key first when ``row`` is a plain dict, as the
    view builds them.

    Jinja tries the attribute first and the key after an AttributeError; with hundreds of
    lookups per plan that exception was a third of the Markdown rendering time. A dict's keys
    are data, so the sandbox has nothing to check there; nor on the public attributes of Jinja's
    own loop object (``loop.index``), a hundred lookups per plan.
    """

    def getattr(self, obj, attribute):
        if obj.__class__ is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        elif obj.__class__ is _LoopContext and attribute[:1] != "_":
            try:
                return getattr(obj, attribute)
            except AttributeError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


_LoopContext = jinja2.runtime.LoopContext


class _Loader(jinja2.FileSystemLoader):
    """The search path, and nothing outside it: a template reached through a symlink that leads
    out of its folder is not found."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        if not _inside(filename, self.searchpath):
            raise jinja2.TemplateNotFound(template)
        return source, filename, uptodate


def _inside(filename: str, folders) -> bool:
    real = os.path.realpath(filename)
    return any(os.path.commonpath([real, os.path.realpath(f)]) == os.path.realpath(f) for f in folders)


def _template_error(exc: jinja2.TemplateError, fallback: str, dirs) -> str:
    """A template failure as the officer should read it: which file, which line, what."""
    name, line = getattr(exc, "name", None), getattr(exc, "lineno", None)
    if line is None:  # a runtime error: the innermost frame Jinja mapped back onto a template file
        tb = sys.exc_info()[2]
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.endswith(".j2") and _inside(filename, dirs):
                name, line = os.path.basename(filename), tb.tb_lineno
            tb = tb.tb_next
    name = name or fallback
    where = f"模板 {name}" + (f" 第{line}行" if line else "")
    message = exc.message or str(exc)
    if isinstance(exc, jinja2.exceptions.SecurityError):
        what = f"使用了模板不允许的属性或方法（{message}）；模板只能使用传入的变量和过滤器"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        what = f"模板语法错误（{message}）"
    elif isinstance(exc, jinja2.TemplateNotFound):
        what = f"找不到模板 {exc.name}（只能引用模板目录中的文件）"
    elif isinstance(exc, jinja2.UndefinedError):
        undefined = re.fullmatch(r"'([^']+)' is undefined", message)
        what = f"未定义的变量 {undefined.group(1)}" if undefined else f"未定义的变量或属性（{message}）"
    else:
        what = message
    return f"{where}出错：{what}"


_CSS_IMPORT = re.compile(r'^@import\s+"([\w.-]+\.css)";[^\n]*$', re.MULTILINE)


@dataclass
class Templates:
    """The template search path: the user's folder first, then the bundled templates."""

    dirs: list

    @classmethod
    def from_option(cls, user_dir: Path | None) -> "Templates":
        if user_dir and not Path(user_dir).is_dir():
            raise RenderError(f"{user_dir}：模板文件夹不存在")
        dirs = [Path(user_dir).resolve()] if user_dir else []
        return cls(dirs + [bundled("templates").resolve()])

    def __post_init__(self):
        loader = _Loader([str(d) for d in self.dirs])
        # No auto-reload: a template does not change during a run, and the check costs a stat per render.
        common = dict(loader=loader, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, auto_reload=False)
        # Templates are the bureau's own files; record text only ever arrives as escaped data.
        self.markdown_env = _Environment(finalize=_finalize, autoescape=False, **common)
        self.markdown_env.filters["code"] = md_code
        self.markdown_env.filters["cn_date"] = cn_date_text  # 2022年6月15日, as Chinese documents write dates
        self.html_env = _Environment(autoescape=True, **common)

    def markdown(self, kind: str, context: dict, sector: str | None = None) -> str:
        """Render ``kind`` (plan or brief), preferring ``kind-<sector>.md.j2`` when it exists."""
        names = ([f"{kind}-{sector}.md.j2"] if sector else []) + [f"{kind}.md.j2"]
        template = None
        try:
            template = self.markdown_env.select_template(names)
            return template.render(**context)
        except jinja2.TemplateError as exc:
            fallback = template.name if template is not None else names[-1]
            raise RenderError(_template_error(exc, fallback, self.dirs)) from None

    def render(self, template: str, /, *, as_html: bool = False, **context) -> str:
        """Render the template named ``template`` (Markdown-escaping, or HTML-escaping with
        ``as_html``); an error in it is a RenderError naming the template and line, as for plans."""
        try:
            return (self.html_env if as_html else self.markdown_env).get_template(template).render(**context)
        except jinja2.TemplateError as exc:
            raise RenderError(_template_error(exc, template, self.dirs)) from None

    def html(self, body_html: str, meta: dict) -> str:
        """The full HTML document handed to WeasyPrint."""
        try:
            meta = {"figure": None, **{k: visible(v) if isinstance(v, str) else v for k, v in meta.items()}}
            # (figure: bureau copies of document.html.j2 may still test it; visible: the PDF's metadata)
            meta["title"] = " ".join(str(meta.get("title", "")).split())
            meta.setdefault("running_title", meta.get("doc_title", ""))
            return self.html_env.get_template("document.html.j2").render(body=Markup(body_html), **meta)
        except jinja2.TemplateError as exc:
            raise RenderError(_template_error(exc, "document.html.j2", self.dirs)) from None

    def stylesheet(self, name: str, _importing: tuple = ()) -> tuple[str, Path]:
        """The text of a stylesheet on the search path, and the folder it was found in. Its
        ``@import "other.css";`` lines are replaced by that sheet, found on the search path too, so
        a bureau's own folder may override a shared piece (letterhead.css) and the fetcher is never
        asked for it."""
        if name in _importing:
            raise RenderError(f"样式表 {name} 引用了自身（@import 循环：{' → '.join(_importing + (name,))}）")
        for folder in self.dirs:
            path = folder / name
            if path.is_file() and _inside(str(path), [folder]):
                text = path.read_text(encoding="utf-8")
                text = _CSS_IMPORT.sub(lambda m: self.stylesheet(m.group(1), _importing + (name,))[0], text)
                return text, folder
        raise RenderError(f"在模板文件夹 {'、'.join(str(d) for d in self.dirs)} 中找不到样式表 {name}")


    def font_sheet(self) -> tuple[str, Path] | None:
        """templates/fonts.css (the @font-face rules), read against the bundled font folder, or None
        when the fonts are not there (make setup fetches them); the fetcher reads that folder only."""
        from planner.pdf import font_folder

        folder = font_folder()
        return None if folder is None else (self.stylesheet("fonts.css")[0], folder)


def markdown_to_html(text: str) -> str:
    """CommonMark plus tables, with raw HTML and images disabled. A table column's alignment
    (``:---``, ``---:``, ``:---:``) becomes a class (``align-left`` …) instead of markdown-it's
    inline style, which the web pages' Content-Security-Policy (style-src 'self') would refuse;
    the stylesheets give it its meaning (summary.css: a label or number kept on one line)."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").disable("image")
    return _ALIGN_STYLE.sub(r' class="align-\1"', md.render(text))


# markdown-it writes this attribute only on table cells; cell text has its quotes escaped
_ALIGN_STYLE = re.compile(r' style="text-align:(left|right|center)"')
