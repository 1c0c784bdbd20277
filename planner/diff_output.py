"""A PlanDiff as terminal text, Markdown, HTML or a printable PDF redline."""

from __future__ import annotations

from pathlib import Path

import click

from planner import __version__
from planner.diff import PlanDiff
from planner.pdf import PdfJob, render_pdf
from planner.redline import DELETE, EQUAL, INSERT, Block, Hunk
from planner.render import MarkdownText, Templates, backtick_fence, md_code
from planner.textsafe import visible


def meaning_lines(d: PlanDiff) -> list[tuple[str, list[str]]]:
    """The semantic part as (heading, lines) sections, in the order a reviewer reads them: the
    facts that changed, then what they did to the measures (each with its cause), the reasons
    that changed across measures, and the questions for the visit."""
    sections = []
    if d.facts:
        sections.append(("企业信息变化", [f"{label}：{a} → {b}" for label, a, b in d.facts]))
    if d.context:
        sections.append(("背景", d.context))
    if d.measures or d.reasons or d.facts or d.context or d.questions_added or d.questions_settled:
        order = {"added": 0, "removed": 1, "changed": 2}
        ordered = sorted(d.measures, key=lambda m: (order[m.kind], m.moved is None))
        lines = [m.line() for m in ordered]
        if d.measures_unchanged_in_number:
            lines.insert(0, "措施无增减")
        sections.append(("措施变化", lines))
    if d.reasons:
        sections.append(("适用理由变化", [r.line() for r in d.reasons]))
    if d.questions_added or d.questions_settled:
        sections.append(("走访核实事项",
                         [f"新增问题：{q}" for q in d.questions_added] + [f"已解决：{q}" for q in d.questions_settled]))
    return sections


def plain_mark(op: int, text: str) -> str:
    """A redline piece without colour: {+inserted+}, [-deleted-], or the text as it was."""
    return {INSERT: f"{{+{text}+}}", DELETE: f"[-{text}-]"}.get(op, text)


def header_lines(d: PlanDiff) -> list[str]:
    """The lines above the meaning: PlanDiff.header_lines() when it has them, else the two labels."""
    if hasattr(d, "header_lines"):
        return list(d.header_lines())
    return [f"旧版本：{d.old.label}", f"新版本：{d.new.label}"]


def _where(hunk: Hunk) -> str:
    return " › ".join(h.text for h in hunk.context)


def block_lines(block: Block, mark) -> list[str]:
    """A redline block as plain text lines, each piece passed through ``mark(op, text)``: the
    rendered text only, never the plan's Markdown."""
    def marked(pieces):
        return "".join(mark(op, text) for op, text in pieces)

    note = mark(EQUAL, block.note) if block.note else ""
    if block.kind == "table":
        lines = ["表头：" + "　".join(mark(EQUAL, cell) for cell in block.header if cell)]
        for row in block.rows:
            texts = ["".join(t for _, t in cell) for cell in row.cells]
            if row.change in ("inserted", "deleted"):  # a whole row in or out: one mark around it
                op = INSERT if row.change == "inserted" else DELETE
                lines.append("· " + mark(op, "　".join(t for t in texts if t)))
            else:
                lines.append("· " + "　".join(marked(cell) for cell, t in zip(row.cells, texts) if t))
        return lines
    text = marked(block.pieces) + note
    if block.kind == "heading":
        return ["■ " + text]
    if block.kind == "item":
        return ["  " * (block.level - 1) + (mark(EQUAL, block.marker) + " " if block.marker else "• ") + text]
    if block.kind == "quote":
        return ["  " + text]
    return [text]


def redline_text(d: PlanDiff, mark) -> list[str]:
    """The redline as text lines: each hunk under a line naming where it is, …… between hunks."""
    out = []
    for k, hunk in enumerate(d.redline):
        if k:
            out.append("……")
        if hunk.context:
            out.append(mark(EQUAL, f"〔{_where(hunk)}〕"))
        for block in hunk.blocks:
            out += block_lines(block, mark)
    return out


def as_terminal(d: PlanDiff, color: bool) -> str:
    """Coloured text: insertions underlined green, deletions struck through red. Control
    characters, escapes and bidi marks from the plans are shown as ⟨U+XXXX⟩, never sent."""

    def mark(op, text):
        text = visible(text)
        if not color:
            return plain_mark(op, text)
        if op == INSERT:
            return click.style(text, fg="green", underline=True)
        if op == DELETE:
            return click.style(text, fg="red", strikethrough=True)
        return text

    out = [visible(line) for line in header_lines(d)] + [visible(f"概要：{d.summary()}")]
    for heading, lines in meaning_lines(d):
        out.append(f"\n{heading}：")
        out += [f"  {visible(line)}" for line in lines]
    if d.redline:
        out.append("\n文本修订（新增以 {+…+} 标出，删除以 [-…-] 标出）：")
        out += ["  " + line for line in redline_text(d, mark)]
    return "\n".join(out) + "\n"


def _md_header(d: PlanDiff) -> list:
    if hasattr(d, "header_lines"):
        return header_lines(d)
    return [MarkdownText(f"旧版本：{md_code(d.old.label)}"), MarkdownText(f"新版本：{md_code(d.new.label)}")]


def as_markdown(d: PlanDiff, templates: Templates) -> str:
    """Markdown for a reviewer (templates/diff.md.j2); the redline sits in a text block of
    rendered plan text with {+inserted+} and [-deleted-]."""
    lines = redline_text(d, lambda op, text: plain_mark(op, visible(text)))
    text = templates.render("diff.md.j2", name=d.new.plan["enterprise"].get("name", ""), header=_md_header(d),
                            summary=d.summary(), sections=meaning_lines(d),
                            redline=[MarkdownText(line) for line in lines],
                            fence=backtick_fence(lines, least=3))
    return text.rstrip("\n") + "\n"


_KIND = {EQUAL: "eq", INSERT: "ins", DELETE: "del"}


def _html_block(block: Block) -> dict:
    def pieces(items):
        return [(_KIND[op], text) for op, text in items]

    tag = {"heading": f"h{min(6, block.level + 1)}", "paragraph": "p", "quote": "blockquote", "item": "li",
           "table": "table"}[block.kind]
    return {"kind": block.kind, "tag": tag, "change": block.change, "pieces": pieces(block.pieces),
            "marker": block.marker, "note": block.note, "level": block.level, "header": block.header,
            "rows": [{"change": row.change, "cells": [pieces(c) for c in row.cells]} for row in block.rows]}


def _html_context(d: PlanDiff) -> dict:
    return {"header": header_lines(d), "summary": d.summary(), "sections": meaning_lines(d),
            "hunks": [{"where": _where(h), "blocks": [_html_block(b) for b in h.blocks]} for h in d.redline],
            "name": d.new.plan["enterprise"].get("name", "")}


def as_html(d: PlanDiff, templates: Templates) -> str:
    """An HTML page (templates/diff.html.j2), escaped: the changed blocks as headings, paragraphs,
    lists and tables, with <ins> and <del> inside."""
    css = "\n".join(templates.stylesheet(name)[0] for name in ("diff.css",))
    return templates.render("diff.html.j2", as_html=True, css=css, generator=f"planner {__version__}",
                            **_html_context(d))


def as_html_body(d: PlanDiff, templates: Templates) -> str:
    """The content of ``as_html``'s page without the page (templates/diff_body.html.j2), escaped,
    for a page of its own around it; it needs diff.css."""
    return templates.render("diff_body.html.j2", as_html=True, **_html_context(d))


def write_pdf(d: PlanDiff, templates: Templates, target: Path) -> None:
    """The HTML redline printed on A4 by WeasyPrint."""
    sheets = (templates.stylesheet("print.css"), templates.stylesheet("diff.css"))
    render_pdf(PdfJob(as_html(d, templates), sheets, str(target)))
