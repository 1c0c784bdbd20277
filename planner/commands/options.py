"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

from planner import knowledge
from planner.resources import bundled

sectors_option = click.option(
    "--sectors",
    "sectors_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Sector profiles to use instead of the bundled ones.",
)


def load_knowledge(sectors_dir: Path | None) -> knowledge.KnowledgeBase:
    """Load the sector tree, or exit with every problem in it listed."""
    return knowledge.load(sectors_dir or bundled("sectors"))
