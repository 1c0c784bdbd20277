"""planner generate: plans and briefs for every enterprise of a list."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from planner.commands.options import (AtLeast, as_of_option, load_knowledge, records_argument, report_read, sectors_option,
                                      templates_option)
from planner.exceptions import PlannerError
from planner.generate import BINARY_FORMATS, FORMATS, generate as generate_all
from planner.progress import Progress
from planner.render import Templates
from planner.yamlio import display_path


def _formats(ctx, param, value):
    chosen = tuple(f.strip() for f in value.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"请写 md、pdf、docx 中的一项或几项，以逗号分隔，如 md,pdf 或 md,pdf,docx（现为“{value}”）")
    return chosen


def _engine(engine: str, scheduler: str | None, local_workers: int | None, workers: int | None):
    """None for the local pool, else the Dask engine (planner.engines), its options checked first."""
    if engine == "local":
        if scheduler or local_workers:
            raise click.UsageError("--scheduler 和 --local 只用于 --engine dask")
        return None
    if workers:
        raise click.UsageError("--engine dask 不用 --workers：工作进程数由集群决定（本机集群用 --local N）")
    if bool(scheduler) == bool(local_workers):
        raise click.UsageError("--engine dask 需要 --scheduler tcp://主机:8786（已运行的集群）或 --local N（在本机启动"
                               " N 个工作进程）二者之一")
    from planner.engines import dask_engine

    return dask_engine(scheduler=scheduler, local=local_workers)


@click.command()
@records_argument
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, metavar="DIR", help="输出目录：每家企业一个子文件夹，以统一社会信用代码命名。")
@as_of_option
@click.option("--format", "formats", default="md,pdf", show_default=True, callback=_formats, metavar="md,pdf,docx",
              help="md 只写 Markdown 和 JSON；md,pdf 另外生成 PDF；加上 docx 另外生成可在 WPS/Word 中编辑的帮扶方案.docx、走访简报.docx。")
@click.option("--author", metavar="TEXT", help="发文单位：方案版头和 PDF 作者（默认：campaign.yaml 中的发文单位）。")
@click.option("--workers", type=AtLeast(1), metavar="N",
              help="并行的工作进程数（默认每个CPU核一个，最多为可用核数）。")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local：本机的工作进程；dask：在 Dask 集群上生成（需安装 planner[dask] 扩展，"
                   "并指定 --scheduler 或 --local）。")
@click.option("--scheduler", metavar="tcp://主机:8786", help="--engine dask：已运行的 Dask 调度器地址。")
@click.option("--local", "local_workers", type=AtLeast(1), metavar="N",
              help="--engine dask：在本机启动 N 个工作进程的 Dask 集群，生成完毕即关闭。")
@click.option("--internal", is_flag=True,
              help="内部留存件：每页页脚加印生成程序版本、措施库和企业记录的校验值；发给企业的文本不要用此项。")
@click.option("--db", "db", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path),
              help="诉求账本（默认：输出目录中的 requests.db，存在时）：简报先列企业尚未销号的诉求，方案附诉求办理情况。")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条（输出不是终端时本来就不显示）。")
@templates_option
@sectors_option
def generate(records: Path, out_dir: Path, as_of, formats, author, workers, engine, scheduler, local_workers,
             internal, db, quiet, templates_dir, sectors_dir):
    """为名单 RECORDS 中的每家企业生成帮扶方案和走访简报。

    每家企业写入 DIR/<统一社会信用代码>/：帮扶方案.pdf、走访简报.pdf（--format 含 docx 时另有
    可编辑的帮扶方案.docx、走访简报.docx），以及供程序读取的 plan.md、plan.json、brief.md。每个版本都留存在 DIR/<统一社会信用代码>/history/ 下；
    企业记录、措施库、模板和基准日都没有变化的企业直接跳过，所以重新运行只补做有变化或
    缺少的企业。
    """
    if db is not None and not db.is_file():
        problem = "不是文件" if db.exists() else "文件不存在"
        raise PlannerError(f"{display_path(db)}：{problem}（--db 须为已有的诉求账本）")
    cluster = _engine(engine, scheduler, local_workers, workers)
    if cluster is not None:
        cluster.warm_up()  # a local cluster's forkserver imports while the list is read
    kb = load_knowledge(sectors_dir)
    progress = None if quiet else Progress(0, "生成")
    try:
        result = generate_all(records, out_dir, kb, Templates.from_option(templates_dir), as_of, formats, author,
                              workers, progress, internal=internal, db=db, engine=cluster)
    finally:
        if progress:
            progress.close()
    errors = [f"注意：{note}" for note in result.notes]  # damaged versions healed, fewer workers: before the errors
    errors += [f"错误：{where}：{enterprise_id}：{why}" for where, enterprise_id, why in result.failed]
    if result.failed:
        errors.append(f"{len(result.failed)}家企业未能生成，其余均已保存；处理后再次运行同一命令，只会补齐这些企业。")
    added = "、".join({"pdf": "PDF", "docx": "docx 文件"}[f] for f in formats if f in BINARY_FORMATS)
    report_read(result.read, kb, as_of, f"已生成{len(result.written)}家企业的新版本，{len(result.unchanged)}家未变化（跳过"
                f"{f'，其中{len(result.completed)}家补齐了 {added}' if result.completed else ''}）"
                f"；输出目录 {display_path(out_dir)}/" + (f"；查看新版本：planner changes "
                f"{shlex.quote(display_path(out_dir))} --last-run" if result.written else ""), result.problems_file, failed=bool(result.failed), errors=errors)
