"""Click's own messages (usage lines, help headings, usage errors) in Chinese, whatever the locale.

Click marks everything it prints with gettext: each of its modules does
``from gettext import gettext as _`` (and ``ngettext``). :func:`install` points those names at
the catalog ``planner/locale/zh_CN/LC_MESSAGES/click.po``, read here when first needed. It does
not go through the process-wide gettext domain or the user's LANG/LC_ALL/LANGUAGE: an officer's
machine set to en_US or C still gets Chinese, and no other library's messages change.

The catalog is an ordinary .po file, so it can be checked with ``msgfmt --check`` and merged
with ``msgmerge`` when click adds a message; ``tests/test_chinese.py`` fails when the installed
click has a message the catalog lacks.
"""

from __future__ import annotations

import ast
import functools
import gettext
import importlib
import pkgutil
import sys
from pathlib import Path

CATALOG = Path(__file__).resolve().parent / "locale" / "zh_CN" / "LC_MESSAGES" / "click.po"


class PoError(ValueError):
    """The catalog file is malformed (a programming error in the shipped .po)."""


def read_po(path: Path) -> tuple[dict, dict, str]:
    """Parse a .po file: ``(singulars, plurals, header)``.

    ``singulars`` maps msgid → msgstr; ``plurals`` maps msgid → list of msgstr[n]. Untranslated
    (empty) and fuzzy entries are left out, as msgfmt leaves them out of a .mo.
    """
    singulars: dict[str, str] = {}
    plurals: dict[str, list[str]] = {}
    header = ""
    entry: dict[str, object] = {}
    flags: set[str] = set()
    key: tuple | None = None

    def finish() -> None:
        nonlocal entry, flags, header
        msgid = entry.get("msgid")
        if msgid is not None and "fuzzy" not in flags and "msgctxt" not in entry:  # click uses no contexts
            if msgid == "":
                header = str(entry.get("msgstr", ""))
            elif "msgid_plural" in entry:
                forms = entry.get("msgstr_n", {})
                if forms and all(forms.values()):
                    plurals[str(msgid)] = [forms[i] for i in sorted(forms)]
            elif entry.get("msgstr"):
                singulars[str(msgid)] = str(entry["msgstr"])
        entry, flags = {}, set()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#,"):
                if "msgid" in entry:
                    finish()
                flags |= {f.strip() for f in line[2:].split(",")}
            continue
        word, _, rest = line.partition(" ")
        if line.startswith('"'):
            if key is None:
                raise PoError(f"{path}:{number}: a continued string outside an entry")
            text = _string(line, path, number)
        elif word in ("msgid", "msgid_plural", "msgstr", "msgctxt") or word.startswith("msgstr["):
            if word in ("msgid", "msgctxt") and "msgid" in entry:
                finish()
            key = (word,)
            text = _string(rest, path, number)
        else:
            raise PoError(f"{path}:{number}: cannot read {line!r}")
        word = key[0]
        if word.startswith("msgstr["):
            forms = entry.setdefault("msgstr_n", {})
            index = int(word[7:-1])
            forms[index] = forms.get(index, "") + text
        else:
            entry[word] = str(entry.get(word, "")) + text
    finish()
    return singulars, plurals, header


def _string(text: str, path: Path, number: int) -> str:
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise PoError(f"{path}:{number}: expected a quoted string, got {text!r}")
    return ast.literal_eval(text)  # a .po string is a C string literal: \n \t \" \\


class Catalog(gettext.NullTranslations):
    """gettext/ngettext over a parsed .po; untranslated messages stay as they are."""

    def __init__(self, path: Path = CATALOG):
        super().__init__()
        self.singulars, self.plurals, header = read_po(path)
        forms = next((line.split(":", 1)[1] for line in header.splitlines()
                      if line.lower().startswith("plural-forms:")), "nplurals=2; plural=(n != 1);")
        expression = forms.split("plural=", 1)[1].strip().rstrip(";")
        self.plural = gettext.c2py(expression)

    def gettext(self, message: str) -> str:
        return self.singulars.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        forms = self.plurals.get(msgid1)
        if forms is None:
            return msgid1 if n == 1 else msgid2
        return forms[min(self.plural(n), len(forms) - 1)]


@functools.cache
def catalog() -> Catalog:
    return Catalog(CATALOG)


def click_modules() -> list:
    """Every click module, imported (Windows-only ones skipped elsewhere)."""
    import click

    for info in pkgutil.iter_modules(click.__path__, "click."):
        if info.name.startswith("click._win") and sys.platform != "win32":
            continue
        importlib.import_module(info.name)
    return [m for name, m in sorted(sys.modules.items()) if name == "click" or name.startswith("click.")]


def install() -> None:
    """Make click speak Chinese: rebind the ``_`` and ``ngettext`` of every click module.

    Call it before any click command is defined: click translates some texts (the version
    message, the Path type's name) when a decorator runs.
    """
    zh = catalog()
    for module in click_modules():
        if getattr(module, "_", None) in (gettext.gettext, zh.gettext):
            module._ = zh.gettext
        if getattr(module, "ngettext", None) in (gettext.ngettext, zh.ngettext):
            module.ngettext = zh.ngettext
    MissingParameter = sys.modules["click.exceptions"].MissingParameter
    if not getattr(MissingParameter.format_message, "chinese", False):
        MissingParameter.format_message = _chinese_missing(MissingParameter.format_message)


def _chinese_missing(format_message):
    """Click joins a missing parameter's message in code, not through gettext:
    ``f"{missing}{hint}.{msg}"``, which read ``缺少选项 '--combined'.`` with an English full stop.
    This ends it with ``。`` (the hint keeps its quotes, as in ``'--workers' 的值无效``)."""

    @functools.wraps(format_message)
    def chinese(self) -> str:
        text = format_message(self)
        head, dot, rest = text.partition("'.")  # click's join after the quoted hint: names have no '.
        return f"{head}'。{rest.strip()}" if dot else text

    chinese.chinese = True
    return chinese

