"""planner check: validate the sector tree."""

from __future__ import annotations

import click

from planner.commands.options import load_knowledge, sectors_option
from planner.exceptions import KnowledgeError
from planner.resources import bundled


@click.command()
@sectors_option
def check(sectors_dir):
    """检查措施库（产业画像、全市通用措施、行动目标、诉求类别等）。

    逐项检查 YAML 语法、键名、取值类型、日期、编号是否重复、相互引用、适用条件，以及每条出处
    引文能否在行动原文中找到；诉求类别、承办部门、办理时限和节假日（requests.yaml）也一并检查。
    有问题时逐条列出“文件:行号: 键路径: 问题”，以状态 1 退出；没有问题时输出一行汇总。每次修改
    措施库后都请运行一次。
    """
    from planner.requests import rules as request_rules

    kb = None
    try:
        kb = load_knowledge(sectors_dir)
        problems = []
    except KnowledgeError as exc:
        problems = list(exc.problems)
    root = sectors_dir or bundled("sectors")
    if root.is_dir():  # measure ids are checked once the tree loads
        problems += request_rules.read(root, kb)[1]
    if problems:
        problems = sorted(set(problems), key=lambda p: (p.file, p.line, str(p.path)))
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"共{len(problems)}处问题，请逐条修改后再运行 planner check。", err=True)
        raise SystemExit(1) from None
    click.echo(kb.summary_line())
