"""planner impact: which enterprises' plans a proposed profile edit would change. Writes nothing."""

from __future__ import annotations

from pathlib import Path

import click

from planner import knowledge
from planner.commands.options import as_of_option, records_argument, report_read
from planner.impact import impact_report
from planner.resources import bundled


@click.command()
@records_argument
@click.option("--sectors", "new_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The edited copy of the sector profiles.")
@click.option("--base", "base_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The profiles in force (default: the bundled ones).")
@as_of_option
def impact(records: Path, new_dir: Path, base_dir, as_of):
    """Which enterprises of RECORDS would get a different plan under the profiles in --sectors,
    and how: measures added, removed and changed per enterprise, then totals per measure."""
    base = knowledge.load(base_dir or bundled("sectors"))
    proposed = knowledge.load(new_dir)
    text, read = impact_report(records, base, proposed, as_of)
    click.echo(text)
    # Writes nothing, so the problems are printed (stderr) only.
    report_read(read, base, as_of)
