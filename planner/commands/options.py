"""Options shared by several commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from planner import knowledge
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


def load_knowledge(sectors_dir: Path | None) -> knowledge.KnowledgeBase:
    """Load the sector tree, or exit with every problem in it listed."""
    return knowledge.load(sectors_dir or bundled("sectors"))


records_argument = click.argument("records", type=click.Path(dir_okay=False, path_type=Path))


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}”不是日期（请用 YYYY-MM-DD）") from None


def _parse_date(ctx, param, value):
    return dt.date.today() if value is None else parse_date(value)


as_of_option = click.option(
    "--as-of",
    callback=_parse_date,
    metavar="YYYY-MM-DD",
    help="基准日：按此日期判断各项措施是否适用（默认今天），可写作 2022-06-15、2022/6/15、2022年6月15日。",
)


def report_read(read, kb, as_of, failed: bool = False) -> None:
    """Print the campaign notice, warnings and rejected records to stderr; exit 1 if any record
    was rejected or (``failed``) any enterprise could not be made."""
    notice = campaign_notice(kb, as_of) if as_of else None
    if notice:
        click.echo(notice, err=True)
    for w in read.warnings:
        click.echo(f"警告：{w}", err=True)
    for p in read.rejected:
        click.echo(f"错误：{p}", err=True)
    if read.rejected_count:
        click.echo(f"{read.rejected_count}条记录未通过校验，已跳过；其余{len(read.records)}条已处理。", err=True)
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
