"""planner diff: what changed between two versions of a plan, and why."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from planner.commands.options import load_knowledge, sectors_option, templates_option
from planner.diff import DiffError, diff_plans, load_side
from planner.diff_output import as_html, as_markdown, as_terminal, write_pdf
from planner.exceptions import PlannerError
from planner.render import Templates
from planner.store import atomic_write
from planner.textsafe import visible


@click.command(short_help="比较方案的两个版本：先列变化及原因，再给出修订对照。")
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(["terminal", "md", "html", "pdf"]), default=None,
              help="彩色终端文本、Markdown、HTML，或 PDF 修订稿（需要 --output）。默认：终端文本；给出 --output 时按其扩展名"
                   "（.md、.html、.pdf）。")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="写入此文件，而不是标准输出。")
@click.option("--allow-different", is_flag=True, help="允许比较两家不同企业的方案（默认拒绝）。")
@templates_option
@sectors_option
@click.pass_context
def diff(ctx, old, new, fmt, output, allow_different, templates_dir, sectors_dir):
    """比较两个方案：OLD 和 NEW 各为一个 plan.json、一个企业文件夹（取其最新的完整版本）或输出目录/<统一社会信用代码>@v<N>（第N版，也可写作 @<N>）。

    先列出含义上的变化（新增、移除、变更的措施及其原因），再给出方案正文逐字标注的修订对照。相同时退出码为0，不同时为1，出错时为2（包括版本信息或文件已损坏）。
    """
    try:
        suffix = output.suffix.lower().lstrip(".") if output is not None else ""
        suffix = {"htm": "html", "markdown": "md"}.get(suffix, suffix)
        if fmt is None:
            fmt = suffix if suffix in ("md", "html", "pdf") else "terminal"
        elif output is not None and suffix and fmt != "terminal" and suffix != fmt:
            raise DiffError(f"--format {fmt} 与文件名 {output.name} 的扩展名不符")
        if output is not None and not output.parent.is_dir():
            raise DiffError(f"{output}：输出目录 {output.parent} 不存在")
        kb = load_knowledge(sectors_dir)
        templates = Templates.from_option(templates_dir)
        sides = load_side(old), load_side(new)
        ids = [side.plan["enterprise"].get("id") if isinstance(side.plan["enterprise"], dict) else None
               for side in sides]
        if all(ids) and ids[0] != ids[1] and not allow_different:  # a plan without an id is judged below
            who = "；".join(visible(f"{side.name or '未知企业'}，{code}") for side, code in zip(sides, ids))
            raise DiffError(f"{old} 与 {new} 不是同一家企业（{who}），未比较；确需比较两家企业时请加 --allow-different")
        try:
            result = diff_plans(*sides, kb)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DiffError(f"{old} 或 {new}：plan.json 内容不完整或已损坏（{type(exc).__name__}: {exc}）") from None
        if fmt == "pdf":
            if output is None:
                raise DiffError("--format pdf 需要用 --output 指定 PDF 文件")
            write_pdf(result, templates, output)
            click.echo(f"{result.summary()}；修订稿已写入 {output}")
        else:
            text = {"terminal": lambda: as_terminal(result, color=output is None and sys.stdout.isatty()),
                    "md": lambda: as_markdown(result, templates), "html": lambda: as_html(result, templates)}[fmt]()
            if output is not None:
                atomic_write(output, text)
                click.echo(f"{result.summary()}；比较结果已写入 {output}")
            else:
                click.echo(text, nl=False, color=True)
    except PlannerError as exc:
        exc.show()
        ctx.exit(2)
    except OSError as exc:
        PlannerError(f"{exc.filename or output}：{exc.strerror or exc}").show()
        ctx.exit(2)
    ctx.exit(0 if result.same else 1)
