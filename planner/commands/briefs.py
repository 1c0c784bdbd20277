"""planner briefs: one PDF of visit briefs to print in one job."""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import (as_of_option, load_knowledge, records_argument, report_read, sectors_option,
                                      templates_option)
from planner.generate import combined_briefs
from planner.records import PROBLEM_LIST, write_problem_list
from planner.render import Templates
from planner.yamlio import display_path


@click.command()
@records_argument
@click.option("--combined", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The PDF to write, one brief per page.")
@click.option("--district", help="Only enterprises of this district (e.g. 北仑区, beilun or 330206).")
@click.option("--zone", help="Only enterprises of this functional zone (e.g. 前湾新区, 高新区).")
@click.option("--cadre", help="Only enterprises whose 包联干部 contains this name.")
@as_of_option
@click.option("--author", help="PDF author (default: the issuing bureau of campaign.yaml).")
@templates_option
@sectors_option
def briefs(records: Path, target: Path, district, zone, cadre, as_of, author, templates_dir, sectors_dir):
    """Write the visit briefs (走访简报) of RECORDS into one PDF, one A4 page each."""
    kb = load_knowledge(sectors_dir)
    plans, read = combined_briefs(records, target, kb, Templates.from_option(templates_dir), as_of,
                                  district, cadre, author, zone)
    problems = write_problem_list(read, target.with_name(PROBLEM_LIST))  # beside the PDF; an old one removed
    report_read(read, kb, as_of, f"已将{len(plans)}份走访简报（每份一页）写入 {display_path(target)}", problems)
