"""planner summary: the bureau's portfolio summary, to report upward."""

from __future__ import annotations

from pathlib import Path

import click
from markupsafe import Markup

from planner import __version__
from planner.commands.options import as_of_option, load_knowledge, report_read, sectors_option, templates_option
from planner.exceptions import PlannerError
from planner.pdf import PdfJob, render_pdf
from planner.render import Templates, markdown_to_html
from planner.store import atomic_write
from planner.summary import chart_rows, load_plans, summarize
from planner.yamlio import display_path


@click.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.md or FILE.pdf (the PDF adds a bar chart of enterprises per measure).")
@as_of_option
@templates_option
@sectors_option
def summary(source: Path, target: Path, as_of, templates_dir, sectors_dir):
    """Summarise SOURCE (a records list, or a folder written by planner generate) for the bureau:
    enterprises by sector, district, size and status; enterprises per measure; coverage of stopped
    and reduced key enterprises; open questions; deadlines in the coming 30 days; estimated relief."""
    if target.suffix.lower() not in (".md", ".pdf"):
        raise PlannerError(f"{target}: --out must end in .md or .pdf")
    kb = load_knowledge(sectors_dir)
    templates = Templates.from_option(templates_dir)
    plans, read = load_plans(source, kb, as_of)
    if not plans:
        raise PlannerError(f"{source}: no plans or enterprises found")
    context = summarize(plans, kb, as_of)
    text = templates.markdown("summary", {**context, "generator": f"planner {__version__}"})
    if target.suffix.lower() == ".md":
        atomic_write(target, text)
    else:
        figure = Markup(templates.html_env.get_template("chart.svg.j2").render(rows=chart_rows(context)))
        html = templates.html(markdown_to_html(text), {
            "title": context["title"], "doc_title": context["title"], "author": kb.campaign.issuer,
            "subject": kb.campaign.title, "keywords": "汇总", "generator": f"planner {__version__}",
            "created": as_of.isoformat(), "kind": "summary", "figure": figure})
        sheets = (templates.stylesheet("print.css"), templates.stylesheet("summary.css"))
        render_pdf(PdfJob(html, sheets, str(target)))
    click.echo(f"summary of {len(plans)} enterprises written to {display_path(target)}")
    if read is not None:
        report_read(read, kb, as_of)
