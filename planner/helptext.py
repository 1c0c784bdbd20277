"""Help pages laid out for Chinese text: wrapped by display width, headings with 用法： and 选项：.

Click wraps help with textwrap, which breaks only at spaces and counts every character as one
column: a Chinese paragraph (two columns a character, no spaces) ran past an 80-column terminal,
and a docstring's line breaks became stray spaces inside Chinese sentences. Here a paragraph's
lines are joined without a space between Chinese characters, a line may break between any two
Chinese characters (never before closing punctuation such as ，。）), ASCII words stay whole,
and widths are display columns.
"""

from __future__ import annotations

import re
import unicodedata

import click

from planner import i18n

CLOSING = set("，。、；：？！）》」』”’％")  # never at the start of a line
# a space run, a short bracketed note such as [默认：md,pdf] (kept whole), an ASCII word (kept
# whole), or one other character
_TOKEN = re.compile(r"\s+|\[[^\[\]\n]{1,24}\]|[!-~]+|.")


def width(text: str) -> int:
    """Display columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _tight(left: str, right: str) -> bool:
    """No space where a line break falls between two Chinese characters, or beside Chinese punctuation."""
    return (_wide(left) and _wide(right)) or any(_wide(c) and unicodedata.category(c).startswith("P")
                                                 for c in (left, right))


def join_lines(lines: list[str]) -> str:
    """One paragraph from its source lines; a line break becomes a space only where one belongs."""
    out = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if out and not _tight(out[-1], line[0]):
            out += " "
        out += line
    return out


def wrap(text: str, columns: int, first: str = "", rest: str = "") -> list[str]:
    """Greedy wrapping of one paragraph to ``columns`` display columns, indents included."""
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        if token in CLOSING and tokens and not tokens[-1].isspace():
            tokens[-1] += token
        else:
            tokens.append(token)
    lines: list[str] = []
    line, used, space = first, width(first), False
    for token in tokens:
        if token.isspace():
            space = line.strip() != ""
            continue
        need = width(token) + (1 if space else 0)
        if used + need > columns and line.strip():
            lines.append(line.rstrip())
            line, used, space = rest, width(rest), False
            need = width(token)
        line += (" " if space else "") + token
        used += need
        space = False
    lines.append(line.rstrip())
    return lines


def wrap_paragraphs(text: str, columns: int, indent: str = "") -> list[str]:
    """Click's paragraph rules (blank lines separate; a paragraph opened by a line holding only
    \\b is kept as written), with :func:`wrap` for the rest."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.expandtabs().strip("\n")):
        lines = block.splitlines()
        if out:
            out.append("")
        if lines and lines[0].strip() == "\b":
            out += [indent + line for line in lines[1:]]
            continue
        extra = " " * (len(lines[0]) - len(lines[0].lstrip())) if lines else ""
        out += wrap(join_lines(lines), columns, indent + extra, indent + extra)
    return out


class HelpFormatter(click.HelpFormatter):
    """Click's help layout, with :func:`wrap_paragraphs` and Chinese punctuation."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, i18n.catalog().gettext("Usage:") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_text(self, text: str) -> None:
        self.write("\n".join(wrap_paragraphs(text, self.width, " " * self.current_indent)) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((width(first) for first, _ in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_paragraphs(second, max(self.width - first_col - 2, 10))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n" if line else "\n")


class Context(click.Context):
    formatter_class = HelpFormatter
