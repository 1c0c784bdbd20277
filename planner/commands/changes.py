"""planner changes: every enterprise with a new version, one line each."""

from __future__ import annotations

from pathlib import Path

import click

from planner.yamlio import display_path


def _since(ctx, param, value):
    if value is None:
        return None
    from planner.commands.options import parse_date

    return parse_date(value)


@click.command(short_help="列出一次运行或某日以来有新版本的企业及其审核状态。")
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR")
@click.option("--since", callback=_since, metavar="YYYY-MM-DD",
              help="列出这一天（北京时间）以来生成的所有新版本。")
@click.option("--last-run", is_flag=True, help="列出最近一次 planner generate 生成的新版本（默认）。")
@click.option("--format", "fmt", type=click.Choice(["terminal", "md", "xlsx"]), default="terminal", show_default=True,
              help="terminal 显示在终端；md、xlsx 写入 --output 指定的文件。")
@click.option("--output", "target", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="写入这个文件（md 或 xlsx）。")
def changes(out_dir: Path, since, last_run, fmt, target):
    """列出输出目录 DIR 中有新版本的企业，每家一行：企业名称、统一社会信用代码、版本（旧→新）、
    触发原因、变化概要、审核状态（待审核 / 已通过 / 已退回）和生成时间。

    默认（或 --last-run）列出最近一次 planner generate 生成的新版本；--since 日期 列出该日以来的新版本，
    一家企业期间有几个新版本的，写作“第1版→第3版”。
    """
    from planner import changes as listing

    if since is not None and last_run:
        raise click.UsageError("--since 与 --last-run 只能选一个")
    if fmt == "xlsx" and target is None:
        raise click.UsageError("--format xlsx 须用 --output 指定要写入的文件")
    if (out_dir / "version.json").exists():
        raise click.UsageError(f"{display_path(out_dir)} 是一家企业的文件夹；请给出输出目录，例如 "
                               f"planner changes {display_path(out_dir.parent)}（一家企业的各版本见 planner history）")
    if target is not None and fmt != "terminal" and target.suffix.lower() not in (f".{fmt}", ""):
        raise click.UsageError(f"--format {fmt} 与文件名 {target.name} 的扩展名不符")
    result = listing.collect(out_dir, since)
    for line in result.notes:
        click.echo(f"注意：{line}", err=True)
    if target is None:
        text = listing.as_terminal(result) if fmt == "terminal" else listing.as_markdown(result)
        click.echo(text, nl=False)
        return
    if fmt == "terminal":
        fmt = "xlsx" if target.suffix.lower() == ".xlsx" else "md"
    listing.write(result, fmt, target)
    click.echo(f"{listing.headline(result)}；清单已写入 {display_path(target)}")
