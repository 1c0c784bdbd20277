"""The planner's exceptions: user mistakes print one clean line and exit non-zero."""

from __future__ import annotations

import click


class Said(str):
    """A message (str() is the command line's wording) with another for the web workplace, where
    there is no command line to run: what to click instead, or nothing."""

    web: str

    def __new__(cls, text: str, web: str) -> "Said":
        said = super().__new__(cls, text)
        said.web = web
        return said


def for_web(text) -> str:
    """A message as a web page says it: its web wording when it has one (``Said``)."""
    return getattr(text, "web", None) or str(text)


class PlannerError(click.ClickException):
    """Base of every error the user can cause and fix. ``web``: how a web page says it, when the
    message names a command or an option (else the page says the message as it is)."""

    prefix = "错误："

    def __init__(self, message: str, web: str | None = None):
        super().__init__(message)
        self.web = web

    def web_message(self) -> str:
        return self.web or for_web(self.format_message())

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
