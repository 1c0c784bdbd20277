"""planner diff: what changed between two versions of a plan, and why."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from planner.commands.options import load_knowledge, sectors_option, templates_option
from planner.diff import diff_plans, load_side
from planner.diff_output import as_html, as_markdown, as_terminal, write_pdf
from planner.exceptions import PlannerError
from planner.render import Templates


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
        kb = load_knowledge(sectors_dir)
        templates = Templates.from_option(templates_dir)
        result = diff_plans(load_side(old), load_side(new), kb)
        if fmt == "pdf":
            if output is None:
                raise PlannerError("--format pdf needs --output FILE")
            write_pdf(result, templates, output)
            click.echo(f"{result.summary()}；redline written to {output}")
        else:
            text = {"terminal": lambda: as_terminal(result, color=output is None and sys.stdout.isatty()),
                    "md": lambda: as_markdown(result), "html": lambda: as_html(result, templates)}[fmt]()
            if output is not None:
                output.write_text(text, encoding="utf-8")
            else:
                click.echo(text, nl=False, color=True)
    except PlannerError as exc:
        exc.show()
        ctx.exit(2)
    ctx.exit(0 if result.same else 1)
