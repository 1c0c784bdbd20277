"""planner summary: the bureau's portfolio summary, to report upward."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import click

from planner import __version__
from planner.commands.options import load_knowledge, parse_date, report_read, sectors_option, templates_option
from planner.exceptions import PlannerError
from planner.generate import Renderer
from planner.pdf import PdfJob, render_pdf
from planner.render import MarkdownText, Templates, markdown_to_html
from planner.store import atomic_write
from planner.summary import chart_rows, load_plans, plans_as_of, summarize
from planner.yamlio import display_path


CHART_PLACE = "图表位置-{nonce}"  # a paragraph of its own in the Markdown, replaced by the chart in the PDF


@click.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.md or FILE.pdf (the PDF adds a bar chart of enterprises per measure).")
@click.option("--as-of", "as_of_text", metavar="YYYY-MM-DD",
              help="Summarise as of this date (default: the plans' own as-of date for a folder, else today).")
@templates_option
@sectors_option
def summary(source: Path, target: Path, as_of_text, templates_dir, sectors_dir):
    """Summarise SOURCE (a records list, or a folder written by planner generate) for the bureau:
    enterprises by sector, district, size and status; enterprises per measure; coverage of stopped
    and reduced key enterprises; open questions; coming deadlines; estimated relief."""
    if target.suffix.lower() not in (".md", ".pdf"):
        raise PlannerError(f"{target}：--out 须以 .md 或 .pdf 结尾")
    if not target.parent.is_dir():
        raise PlannerError(f"{target}：输出目录 {target.parent} 不存在")
    as_of = parse_date(as_of_text) if as_of_text else None
    kb = load_knowledge(sectors_dir)
    templates = Templates.from_option(templates_dir)
    plans, read = load_plans(source, kb, as_of or dt.date.today())  # a records list is matched as of this
    if not plans:
        raise PlannerError(f"{source}：没有找到方案或企业记录")
    if as_of is None:  # a folder's plans carry their own date
        as_of = (read is None and plans_as_of(plans)) or dt.date.today()
    context = summarize(plans, kb, as_of)
    place = CHART_PLACE.format(nonce=uuid.uuid4().hex)
    pdf = target.suffix.lower() == ".pdf"
    text = templates.markdown("summary", {**context, "generator": f"planner {__version__}",
                                          "chart": MarkdownText(place) if pdf else None})
    if not pdf:
        atomic_write(target, text)
    else:
        figure = templates.html_env.get_template("chart.svg.j2").render(rows=chart_rows(context))
        body = markdown_to_html(text)
        if f"<p>{place}</p>" in body:
            body = body.replace(f"<p>{place}</p>", figure)
        elif place in body:
            raise PlannerError("模板 summary.md.j2：{{ chart }} 须单独成段（前后各空一行），图表才能放在那里")
        else:  # a bureau template without {{ chart }}: the chart goes at the end
            body += figure
        html = Renderer(kb, templates).document(body, "summary", title=context["title"], keywords="汇总",
                                                created=as_of)
        sheets = (templates.stylesheet("print.css"), templates.stylesheet("summary.css"))
        render_pdf(PdfJob(html, sheets, str(target)))
    click.echo(f"已汇总{len(plans)}家企业（基准日 {as_of.isoformat()}），写入 {display_path(target)}")
    if read is not None:
        report_read(read, kb, as_of)
