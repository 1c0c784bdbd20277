"""planner history: the versions of one enterprise's plan."""

from __future__ import annotations

from pathlib import Path

import click

from planner.exceptions import PlannerError
from planner.versions import versions_in


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def history(folder: Path):
    """List the versions kept in FOLDER (DIR/<credit code>): number, dates, trigger, summary."""
    found = versions_in(folder)
    if not found:
        raise PlannerError(f"{folder}: no plan versions here (expected DIR/<credit code> written by planner generate)")
    click.echo("版本\t生成时间\t基准日\t触发原因\t变化概要")
    for v in found:
        m = v.meta
        click.echo(f"v{v.number}\t{m['generated']}\t{m['as_of']}\t{'、'.join(m['trigger'])}\t{m['summary']}")
