"""planner match: the decision table (or plan.json) for one or all enterprises."""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner.commands.options import as_of_option, load_knowledge, records_argument, report_read, sectors_option
from planner.decisions import decision_table
from planner.pipeline import plan_records


@click.command()
@records_argument
@as_of_option
@click.option("--id", "only_id", help="Only the enterprise with this credit code.")
@click.option("--json", "as_json", is_flag=True, help="Write the plan.json form to stdout.")
@sectors_option
def match(records: Path, as_of, only_id, as_json, sectors_dir):
    """Decide every measure for each enterprise of RECORDS and explain why.

    RECORDS is a .yaml, .csv or .xlsx list. Exits 1 when any record was rejected.
    """
    kb = load_knowledge(sectors_dir)
    batch = plan_records(records, kb, as_of, only_id)
    if as_json:
        docs = [p.to_json() for p in batch.plans]
        click.echo(json.dumps(docs[0] if only_id else docs, ensure_ascii=False, indent=2))
    else:
        click.echo("\n\n".join(decision_table(p, kb) for p in batch.plans))
    # The problems are printed (stderr) only; generate writes them as 问题清单.xlsx.
    report_read(batch.read, kb, as_of, f"已判断{len(batch.plans)}家企业", err=True)
