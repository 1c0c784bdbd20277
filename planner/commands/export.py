"""planner export: hand over the latest versions as a tree of human names."""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import load_knowledge, scope_words, sectors_option
from planner.yamlio import display_path


@click.command()
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR")
@click.option("--to", "target", required=True, type=click.Path(file_okay=False, path_type=Path), metavar="FOLDER",
              help="导出到这个文件夹（不存在时新建）。")
@click.option("--by", type=click.Choice(["district", "cadre", "none"]), default="district", show_default=True,
              help="按区县（district）、包联干部（cadre）分文件夹，或不分（none）。")
@click.option("--district", metavar="NAME", help="只导出这个区县的企业。")
@click.option("--zone", metavar="NAME", help="只导出这个功能区的企业。")
@click.option("--cadre", metavar="NAME", help="只导出包联干部中有这个名字的企业。")
@sectors_option
def export(out_dir: Path, target: Path, by, district, zone, cadre, sectors_dir):
    """把输出目录 DIR 中各企业的最新版本复制到 FOLDER，便于移交或打包。

    每家企业一个文件夹，如“北仑区/宁波珂屹汽车部件有限公司/帮扶方案.pdf”，内有帮扶方案、走访简报
    （PDF 和 Word，已生成的才有）。企业名称相同的，文件夹名后加统一社会信用代码，绝不覆盖另一家企业的文件；
    再次导出得到同样的目录。

    输出目录开启审核要求时（planner approve DIR --require），导出各企业最新的审核通过版本，没有通过版本的
    企业不导出并列出；已退回的版本从不导出。
    """
    from planner.export import export as run_export
    from planner.review import older_lines, withheld_line

    kb = load_knowledge(sectors_dir)
    result = run_export(out_dir, target, kb, by, district, cadre, zone)
    for line in result.notes:
        click.echo(f"注意：{line}", err=True)
    for code, why in result.skipped:
        click.echo(f"错误：{code}：{why}", err=True)
    held = withheld_line(result.withheld, result.review, "导出")
    if held:
        click.echo(f"注意：{held}", err=True)
    if not result.exported:
        why = "没有审核通过的版本，或没有符合筛选条件的企业" if result.review else "输出目录为空，或没有符合筛选条件的企业"
        click.echo(f"错误：没有可导出的企业（{why}），未写入任何文件", err=True)
        raise SystemExit(1)
    for line in older_lines(result.older, "导出"):
        click.echo(f"注意：{line}", err=True)
    which = "审核通过的版本" if result.review else "的最新版本"
    older = f"（其中{len(result.older)}家是较早的通过版本，见上）" if result.older else ""
    click.echo(f"已导出{len(result.exported)}家企业{scope_words(kb, district, zone, cadre)}{which}到 {display_path(target)}/{older}")
    if result.skipped:
        raise SystemExit(1)
