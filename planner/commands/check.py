"""planner check: validate the sector tree."""

from __future__ import annotations

import click

from planner.commands.options import load_knowledge, sectors_option
from planner.exceptions import KnowledgeError


@click.command()
@sectors_option
def check(sectors_dir):
    """检查措施库（产业画像、全市通用措施、行动目标等）。

    逐项检查 YAML 语法、键名、取值类型、日期、编号是否重复、相互引用、适用条件，以及每条出处
    引文能否在行动原文中找到。有问题时逐条列出“文件:行号: 键路径: 问题”，以状态 1 退出；
    没有问题时输出一行汇总。每次修改措施库后都请运行一次。
    """
    try:
        kb = load_knowledge(sectors_dir)
    except KnowledgeError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        click.echo(f"共{len(exc.problems)}处问题，请逐条修改后再运行 planner check。", err=True)
        raise SystemExit(1) from None
    click.echo(kb.summary_line())
