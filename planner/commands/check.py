"""planner check: validate the sector tree."""

from __future__ import annotations

import click

from planner.commands.options import load_knowledge, sectors_option
from planner.exceptions import KnowledgeError


@click.command()
@sectors_option
def check(sectors_dir):
    """Check the sector profiles: syntax, keys, types, dates, ids, references, sources.

    Prints every problem as FILE:LINE: key.path: message and exits 1, or a one-line summary.
    """
    try:
        kb = load_knowledge(sectors_dir)
    except KnowledgeError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        click.echo(f"共{len(exc.problems)}处问题，请逐条修改后再运行 planner check。", err=True)
        raise SystemExit(1) from None
    click.echo(kb.summary_line())
