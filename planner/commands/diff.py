"""planner diff: what changed between two versions of a plan, and why."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from planner.commands.options import load_knowledge, sectors_option, templates_option
from planner.diff import DiffError, diff_plans, load_side
from planner.diff_output import as_html, as_markdown, as_terminal, write_pdf
from planner.exceptions import PlannerError
from planner.render import Templates
from planner.store import atomic_write


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(["terminal", "md", "html", "pdf"]), default="terminal",
              show_default=True, help="Coloured terminal text, Markdown, HTML, or a PDF redline (needs --output).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@templates_option
@sectors_option
@click.pass_context
def diff(ctx, old, new, fmt, output, templates_dir, sectors_dir):
    """Compare two plans: OLD and NEW are each a plan.json, a plan folder (its latest
    version) or DIR/<credit code>@v<N>.

    First the meaning (measures added, removed, changed, with causes), then a character-level
    redline of the plan text. Exits 0 when the two are the same, 1 when they differ, 2 on error.
    """
    try:
        if output is not None and not output.parent.is_dir():
            raise DiffError(f"{output}：输出目录 {output.parent} 不存在")
        kb = load_knowledge(sectors_dir)
        templates = Templates.from_option(templates_dir)
        sides = load_side(old), load_side(new)
        try:
            result = diff_plans(*sides, kb)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DiffError(f"{old} 或 {new}：plan.json 内容不完整或已损坏（{type(exc).__name__}: {exc}）") from None
        if fmt == "pdf":
            if output is None:
                raise DiffError("--format pdf 需要用 --output 指定 PDF 文件")
            write_pdf(result, templates, output)
            click.echo(f"{result.summary()}；修订稿已写入 {output}")
        else:
            text = {"terminal": lambda: as_terminal(result, color=output is None and sys.stdout.isatty()),
                    "md": lambda: as_markdown(result, templates), "html": lambda: as_html(result, templates)}[fmt]()
            if output is not None:
                atomic_write(output, text)
            else:
                click.echo(text, nl=False, color=True)
    except PlannerError as exc:
        exc.show()
        ctx.exit(2)
    except OSError as exc:
        PlannerError(f"{exc.filename or output}：{exc.strerror or exc}").show()
        ctx.exit(2)
    ctx.exit(0 if result.same else 1)
