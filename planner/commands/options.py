"""Options shared by several commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from planner import knowledge
from planner.dates import today
from planner.matching import campaign_notice
from planner.resources import bundled

sectors_option = click.option(
    "--sectors",
    "sectors_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="改用这个措施库目录（默认：随程序提供的 sectors/）。",
)


class AtLeast(click.IntRange):
    """A whole number no less than ``min``, its range shown in Chinese in the help ([至少为1])."""

    def __init__(self, least: int):
        super().__init__(min=least)

    def _describe_range(self) -> str:
        return f"至少为{self.min}"


def load_knowledge(sectors_dir: Path | None) -> knowledge.KnowledgeBase:
    """Load the sector tree, or exit with every problem in it listed."""
    return knowledge.load(sectors_dir or bundled("sectors"))


def scope_words(kb: knowledge.KnowledgeBase | None, district: str | None = None, zone: str | None = None,
                cadre: str | None = None, department: str | None = None) -> str:
    """The filters a command was given, as a message says them back: ``（北仑区、包联干部郑晓岚）``, with
    a district or zone by its label, so `--district 北仑` is seen to mean 北仑区; empty without any.
    ``kb`` is needed only with a district or zone."""
    words = []
    for vocabulary, value in (("districts", district), ("zones", zone)):
        if value:
            found = kb.vocabularies[vocabulary].resolve(value)
            words.append(kb.vocabularies[vocabulary].entries[found].label if found else value.strip())
    if cadre:
        words.append(f"包联干部{cadre.strip()}")
    if department:
        words.append(department.strip())
    return f"（{'、'.join(words)}）" if words else ""


records_argument = click.argument("records", type=click.Path(dir_okay=False, path_type=Path))


def parse_date(value: str) -> dt.date:
    """A date as officers write it (``records.values.DATE_FORMS``); a Chinese error otherwise."""
    from planner.records.values import not_a_date, parse_date as read_date

    result = read_date(value)
    if result is None:
        raise click.BadParameter(f"“{value}”{not_a_date(value)}") from None
    return result


def _parse_date(ctx, param, value):
    return today() if value is None else parse_date(value)


as_of_option = click.option(
    "--as-of",
    callback=_parse_date,
    metavar="YYYY-MM-DD",
    help="基准日：按此日期判断各项措施是否适用（默认今天），可写作 2022-06-15、2022/6/15、2022年6月15日。",
)


def report_read(read, kb, as_of, summary: str | None = None, problems_file=None, failed: bool = False,
                errors=(), err: bool = False) -> None:
    """Finish a command that read a list: the campaign notice, every problem of the read (sorted
    by row, 错误/警告/提示 to stderr) and ``errors`` (stderr), then the final line: ``summary``
    with the read's counts (rejected records and records with warnings, separately) and the path
    of the problem list last (stdout; stderr with ``err``, e.g. when stdout is JSON). Without
    ``summary`` the counts alone go to stderr when there are any.

    Exits 1 when any record was rejected or (``failed``) any enterprise could not be made; warnings
    and notices alone exit 0 (every enterprise was kept).
    """
    from planner.records import counts, printed
    from planner.records.problems import all_problems
    from planner.yamlio import display_path

    notice = campaign_notice(kb, as_of) if as_of else None
    if notice:
        click.echo(notice, err=True)
    for problem in all_problems(read):
        click.echo(printed(problem), err=True)
    for line in errors:
        click.echo(line, err=True)
    parts = [summary] if summary else []
    if counts(read):
        parts.append(counts(read))
    if problems_file is not None:
        parts.append(f"问题清单：{display_path(problems_file)}")
    if summary:
        click.echo("；".join(parts), err=err)
    elif parts:
        click.echo("；".join(parts), err=True)
    if read.rejected_count or failed:
        raise SystemExit(1)


templates_option = click.option(
    "--templates",
    "templates_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="自定义模板目录：其中的模板优先于内置模板使用。",
)
