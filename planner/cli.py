"""The command line: a click group whose commands each parse options and call one library function."""

from __future__ import annotations

import click

from planner import __version__
from planner.commands import COMMANDS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planner")
def main() -> None:
    """Tailored assistance plans (一企一策) for Ningbo enterprises under the 2022 campaigns."""


for _command in COMMANDS:
    main.add_command(_command)
