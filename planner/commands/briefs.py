"""planner briefs: one PDF of visit briefs to print in one job."""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import (as_of_option, load_knowledge, records_argument, report_read, sectors_option,
                                      templates_option)
from planner.generate import BriefsIncomplete, combined_briefs
from planner.records import PROBLEM_LIST, write_problem_list
from planner.render import Templates
from planner.yamlio import display_path


@click.command()
@records_argument
@click.option("--combined", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE.pdf", help="要写入的 PDF 文件，每页一份简报。")
@click.option("--district", metavar="NAME", help="只打印这个区县的企业（如北仑区、beilun 或 330206）。")
@click.option("--zone", metavar="NAME", help="只打印这个功能区的企业（如前湾新区、高新区）。")
@click.option("--cadre", metavar="NAME", help="只打印包联干部中有这个名字的企业。")
@as_of_option
@click.option("--author", metavar="TEXT", help="PDF 文件的作者（默认：campaign.yaml 中的发文单位）。")
@templates_option
@sectors_option
def briefs(records: Path, target: Path, district, zone, cadre, as_of, author, templates_dir, sectors_dir):
    """把名单 RECORDS 中企业的走访简报合成一个 PDF，每份一页 A4。

    可按区县、功能区或包联干部筛选，一次打印全部简报。
    """
    kb = load_knowledge(sectors_dir)
    try:
        plans, read = combined_briefs(records, target, kb, Templates.from_option(templates_dir), as_of,
                                      district, cadre, author, zone)
        errors = []
    except BriefsIncomplete as exc:  # the others were printed: the list's problems still go out
        plans, read, errors = exc.plans, exc.read, [f"错误：{line}" for line in exc.format_message().splitlines()]
    problems = write_problem_list(read, target.with_name(PROBLEM_LIST))  # beside the PDF; an old one removed
    summary = f"已将{len(plans)}份走访简报（每份一页）写入 {display_path(target)}" if plans else "未写入走访简报"
    report_read(read, kb, as_of, summary, problems, failed=bool(errors), errors=errors)
