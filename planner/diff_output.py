"""A PlanDiff as terminal text, Markdown, HTML or a printable PDF redline."""

from __future__ import annotations

from pathlib import Path

import click

from planner import __version__
from planner.diff import DELETE, EQUAL, INSERT, PlanDiff
from planner.pdf import PdfJob, render_pdf
from planner.render import MarkdownText, Templates, backtick_fence
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

    out = [visible(f"--- {d.old.label}"), visible(f"+++ {d.new.label}")]
    out += [visible(line) for line in d.header_lines()]
    out.append(visible(f"概要：{d.summary()}"))
    for heading, lines in meaning_lines(d):
        out.append(f"\n{heading}：")
        out += [f"  {visible(line)}" for line in lines]
    if d.redline:
        out.append("\n文本修订：")
        for hunk in d.redline:
            out.append("  @@")
            out += ["  " + "".join(mark(op, text) for op, text in line) for line in hunk]
    return "\n".join(out) + "\n"


def as_markdown(d: PlanDiff, templates: Templates) -> str:
    """Markdown for a reviewer (templates/diff.md.j2); the redline sits in a text block with
    {+inserted+} and [-deleted-]."""
    hunks = [[MarkdownText("".join(plain_mark(op, t) for op, t in line)) for line in hunk] for hunk in d.redline]
    text = templates.render("diff.md.j2", name=d.new.plan["enterprise"].get("name", ""), old=d.old.label,
                            new=d.new.label, summary=d.summary(), sections=meaning_lines(d), hunks=hunks,
                            fence=backtick_fence([t for h in hunks for t in h], least=3))
    return text.rstrip("\n") + "\n"


def as_html(d: PlanDiff, templates: Templates) -> str:
    """An HTML page (templates/diff.html.j2), escaped, with <ins> and <del>."""
    kinds = {EQUAL: "eq", INSERT: "ins", DELETE: "del"}
    hunks = [[[(kinds[op], text) for op, text in line] for line in hunk] for hunk in d.redline]
    css = "\n".join(templates.stylesheet(name)[0] for name in ("diff.css",))
    return templates.render("diff.html.j2", as_html=True, old=d.old.label, new=d.new.label, summary=d.summary(),
                            sections=meaning_lines(d), hunks=hunks, css=css, generator=f"planner {__version__}",
                            name=d.new.plan["enterprise"].get("name", ""))


def write_pdf(d: PlanDiff, templates: Templates, target: Path) -> None:
    """The HTML redline printed on A4 by WeasyPrint."""
    sheets = (templates.stylesheet("print.css"), templates.stylesheet("diff.css"))
    render_pdf(PdfJob(as_html(d, templates), sheets, str(target)))
