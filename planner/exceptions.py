"""The planner's exceptions: user mistakes print one clean line and exit non-zero."""

from __future__ import annotations

import click


class PlannerError(click.ClickException):
    """Base of every error the user can cause and fix."""

    prefix = "错误："

    def show(self, file=None) -> None:
        click.echo(f"{self.prefix}{self.format_message()}", err=True, file=file)


class KnowledgeError(PlannerError):
    """The sector tree has problems; `problems` lists them all."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the sector tree")

    def format_message(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class RecordsError(PlannerError):
    """An enterprise list cannot be read at all (missing file, unknown format, no header)."""


class RenderError(PlannerError):
    """A template or a document could not be rendered."""
