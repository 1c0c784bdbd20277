"""planner briefs: one PDF of visit briefs to print in one job."""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import (as_of_option, load_knowledge, report_read, scope_words, sectors_option,
                                      templates_option)
from planner.generate import BriefsIncomplete, combined_briefs
from planner.records import PROBLEM_LIST, write_problem_list
from planner.render import Templates
from planner.yamlio import display_path

DEFAULT_LEDGER = Path("output") / "requests.db"  # planner generate's default --out, its ledger


@click.command()
@click.argument("records", type=click.Path(path_type=Path), metavar="RECORDS|DIR")
@click.option("--combined", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE.pdf", help="要写入的 PDF 文件，每页一份简报。")
@click.option("--id", "ids", multiple=True, metavar="ID",
              help="只打印这些企业（统一社会信用代码，可重复，也可用逗号、空格分隔），按给出的顺序。")
@click.option("--ids-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
              help="从文件读取要打印的统一社会信用代码，每行一个（# 之后为注释）。")
@click.option("--district", metavar="NAME", help="只打印这个区县的企业（如北仑区、beilun 或 330206）。")
@click.option("--zone", metavar="NAME", help="只打印这个功能区的企业（如前湾新区、高新区）。")
@click.option("--cadre", metavar="NAME", help="只打印包联干部中有这个名字的企业。")
@click.option("--cover/--no-cover", default=True,
              help="从输出目录打印时，首页加一张走访路线单（企业、区县、联系人、电话、包联干部）。[默认：加]")
@as_of_option
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="诉求账本：简报列出企业未办结的诉求，与 planner generate 的简报相同"
                   "（默认 output/requests.db，没有则不列）。")
@click.option("--author", metavar="TEXT", help="PDF 文件的作者（默认：campaign.yaml 中的发文单位）。")
@templates_option
@sectors_option
def briefs(records: Path, target: Path, ids, ids_file, district, zone, cadre, cover, as_of, db, author,
           templates_dir, sectors_dir):
    """把企业的走访简报合成一个 PDF，每份一页 A4。

    RECORDS 是名单时，按名单现场生成简报；是 planner generate 的输出目录 DIR 时，直接取各企业
    最新版本的走访简报.pdf（与单份简报完全相同），首页附走访路线单。可按统一社会信用代码（--id）、
    区县、功能区或包联干部筛选，一次打印一天的走访。从输出目录打印时，已退回的版本不打印；输出目录开启审核要求时
    （planner approve DIR --require），打印各企业最新的审核通过版本，没有通过版本的企业列出而不打印。
    """
    from planner.briefbook import is_output_folder, read_ids, write_folder_briefs

    kb = load_knowledge(sectors_dir)
    wanted = read_ids(ids, ids_file)
    if records.is_dir():
        if db is not None:
            raise click.UsageError("从输出目录打印时不用 --db：各企业的走访简报.pdf 已列出生成时账本中的诉求")
        if not is_output_folder(records):
            raise click.UsageError(f"{display_path(records)} 不是 planner generate 的输出目录（其中没有企业文件夹）")
        from planner.generate import Renderer
        from planner.review import older_lines, review_required, withheld_line

        renderer = Renderer(kb, Templates.from_option(templates_dir), author)
        result = write_folder_briefs(records, target, kb, renderer, wanted or None, district, cadre, zone, cover)
        for line in result.notes:
            click.echo(f"注意：{line}", err=True)
        for code, why in result.missing:
            click.echo(f"错误：{code}：{why}", err=True)
        held = withheld_line(result.withheld, review_required(records), "打印")
        if held:
            click.echo(f"注意：{held}", err=True)
        for line in older_lines(result.older, "打印"):
            click.echo(f"注意：{line}", err=True)
        scope = scope_words(kb, district, zone, cadre)[1:-1]
        click.echo(f"已将{len(result.printed)}份走访简报（{scope + '，' if scope else ''}每份一页"
                   f"{'，另附走访路线单' if cover else ''}）写入 "
                   f"{display_path(target)}")
        if result.missing:
            raise SystemExit(1)
        return
    if db is not None and not db.is_file():
        raise click.UsageError(f"{display_path(db)}：诉求账本不存在（--db 须为已有的诉求账本）")
    if db is None and (DEFAULT_LEDGER).is_file():
        db = DEFAULT_LEDGER
    try:
        plans, read = combined_briefs(records, target, kb, Templates.from_option(templates_dir), as_of,
                                      district, cadre, author, zone, ids=wanted or None, db=db)
        errors = []
    except BriefsIncomplete as exc:  # the others were printed: the list's problems still go out
        plans, read, errors = exc.plans, exc.read, [f"错误：{line}" for line in exc.format_message().splitlines()]
    printed = {p.id for p in plans}
    errors += [f"错误：{code}：名单中没有这家企业，或不符合筛选条件" for code in wanted if code not in printed]
    problems = write_problem_list(read, target.with_name(PROBLEM_LIST))  # beside the PDF; an old one removed
    scope = scope_words(kb, district, zone, cadre)[1:-1]
    summary = (f"已将{len(plans)}份走访简报（{scope + '，' if scope else ''}每份一页）写入 {display_path(target)}"
               if plans else "未写入走访简报")
    report_read(read, kb, as_of, summary, problems, failed=bool(errors), errors=errors)
