"""planner generate: plans and briefs for every enterprise of a list."""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import (as_of_option, load_knowledge, records_argument, report_read, sectors_option,
                                      templates_option)
from planner.generate import FORMATS, generate as generate_all
from planner.progress import Progress
from planner.render import Templates
from planner.yamlio import display_path


def _formats(ctx, param, value):
    chosen = tuple(f.strip() for f in value.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"use md, pdf or md,pdf (got {value})")
    return chosen


@click.command()
@records_argument
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Folder for DIR/<credit code>/plan.md, plan.pdf, plan.json, brief.md, brief.pdf.")
@as_of_option
@click.option("--format", "formats", default="md,pdf", show_default=True, callback=_formats,
              help="md writes Markdown and JSON only; md,pdf adds the PDFs.")
@click.option("--author", help="PDF author (default: the issuing bureau of campaign.yaml).")
@click.option("--workers", type=click.IntRange(1), help="Worker processes (default: one per core).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (it only shows on a terminal anyway).")
@templates_option
@sectors_option
def generate(records: Path, out_dir: Path, as_of, formats, author, workers, quiet, templates_dir, sectors_dir):
    """Write the plan (一企一策帮扶方案) and visit brief (走访简报) of every enterprise in RECORDS.

    Every version is kept (DIR/<id>/history/); an enterprise whose record, profiles, templates
    and as-of date are unchanged is skipped, so a rerun only does what changed or is missing.
    """
    kb = load_knowledge(sectors_dir)
    progress = None if quiet else Progress(0, "生成")
    try:
        result = generate_all(records, out_dir, kb, Templates.from_option(templates_dir), as_of, formats, author,
                              workers, progress)
    finally:
        if progress:
            progress.close()
    click.echo(f"已生成{len(result.written)}家企业的新版本，{len(result.unchanged)}家未变化（跳过），"
               f"{result.rejected}条记录未通过校验；输出目录 {display_path(out_dir)}/")
    for notice in result.notices:  # e.g. fewer workers than asked for
        click.echo(notice, err=True)
    for where, enterprise_id, why in result.failed:
        click.echo(f"错误：{where}：{enterprise_id}：{why}", err=True)
    if result.failed:
        click.echo(f"{len(result.failed)}家企业未能生成，其余均已保存；处理后再次运行同一命令，只会补齐这些企业。", err=True)
    report_read(result.read, kb, as_of, failed=bool(result.failed))
