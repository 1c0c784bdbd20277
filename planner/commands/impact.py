"""planner impact: what a proposed profile edit changes in the tree, and whose plans it would change."""

from __future__ import annotations

from pathlib import Path

import click

from planner import knowledge
from planner.commands.options import as_of_option, records_argument, report_read, templates_option
from planner.exceptions import PlannerError
from planner.impact import build_impact
from planner.impact_output import as_markdown, as_text, write_report
from planner.render import Templates
from planner.resources import bundled
from planner.textsafe import visible
from planner.yamlio import display_path

FORMATS = ("terminal", "md", "xlsx", "pdf")
SUFFIXES = {".md": "md", ".xlsx": "xlsx", ".pdf": "pdf", ".txt": "terminal"}
NAMES = {"terminal": "文本", "md": "Markdown", "xlsx": "Excel", "pdf": "PDF"}


@click.command()
@records_argument
@click.option("--sectors", "new_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="NEW_DIR", help="修改后的措施库副本。")
@click.option("--base", "base_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="现行的措施库（默认：随程序提供的 sectors/）。")
@as_of_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="终端文本（默认）、Markdown、Excel 或 PDF；xlsx 和 pdf 需要 --output。"
                   "不写时按 --output 的扩展名（.md、.xlsx、.pdf）判断。")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="把报告写入此文件（先写临时文件再改名），而不是显示在终端上。")
@templates_option
def impact(records: Path, new_dir: Path, base_dir, as_of, fmt, output, templates_dir):
    """预览措施库修改的影响：改了哪些文件和键，名单中哪些企业的方案会变、怎么变。

    用 --sectors 给出修改后的措施库副本，与现行措施库比较：先逐项列出改动的文件和键（如
    automotive.yaml: automotive_logistics.period.end 2022-12-31 → 2022-09-30），再逐家列出新增、
    移除和变更的措施，最后按措施汇总。用 --format md|xlsx|pdf 加 --output 可写成报告分发；
    不写 --output 时不写入任何文件。
    """
    if fmt is None:
        fmt = SUFFIXES.get(output.suffix.lower(), "terminal") if output is not None else "terminal"
    if output is None and fmt in ("xlsx", "pdf"):
        raise PlannerError(f"--format {fmt} 需要用 --output 指定要写入的文件")
    if output is not None and not output.parent.is_dir():
        raise PlannerError(f"{display_path(output)}：输出目录 {display_path(output.parent)} 不存在")
    base_root = base_dir or bundled("sectors")
    base = knowledge.load(base_root)
    proposed = knowledge.load(new_dir)
    templates = Templates.from_option(templates_dir)
    report, read = build_impact(records, base, proposed, as_of, base_root, new_dir)
    sources = {"base": display_path(base_dir) if base_dir else "随程序提供的措施库（sectors/）",
               "proposed": display_path(new_dir), "records": records.name}
    if output is None:
        click.echo(visible(as_markdown(report, templates, sources) if fmt == "md" else as_text(report)),
                   nl=fmt != "md")
        report_read(read, base, as_of)  # nothing written: the problems are printed (stderr) only
        return
    try:
        write_report(report, fmt, output, templates, proposed, sources)
    except OSError as exc:
        raise PlannerError(f"{display_path(output)}：无法写入（{exc.strerror or exc}）") from None
    done = (f"影响评估报告（{NAMES[fmt]}）已写入 {display_path(output)}：{len(report.profile_changes)}处措施库改动，"
            f"影响{len(report.affected)}家企业（共{report.total}家）")
    report_read(read, base, as_of, done)
