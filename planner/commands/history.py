"""planner history: the versions of one enterprise's plan."""

from __future__ import annotations

from pathlib import Path

import click

from planner.exceptions import PlannerError
from planner.textsafe import visible
from planner.versions import scan_versions


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def history(folder: Path):
    """列出 FOLDER（输出目录/<统一社会信用代码>）中保存的各个版本：版本号、生成时间、基准日、触发原因、变化概要。

    已损坏的版本（version.json 无法读取，或文件与其记录的校验值不符）逐一指出文件和原因，其余版本照常列出；一个可读的版本都没有时退出码为1。
    """
    found, damaged = scan_versions(folder)
    for damage in damaged:
        click.echo(f"注意：{damage.message}", err=True)
    if not found:
        raise PlannerError(f"{folder}：没有可读的方案版本（应为 planner generate 写出的 输出目录/<统一社会信用代码>）")
    click.echo("版本\t生成时间\t基准日\t触发原因\t变化概要")
    for v in found:
        m = v.meta
        click.echo(visible(f"v{v.number}\t{m['generated']}\t{m['as_of']}\t{'、'.join(m['trigger'])}\t{m['summary']}"))
