"""planner convert: an enterprise list in another format (e.g. YAML to an Excel sheet with Chinese headers)."""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import load_knowledge, records_argument, report_read, sectors_option
from planner.records import PROBLEM_LIST, read_records, write_problem_list, write_table
from planner.yamlio import display_path


@click.command()
@records_argument
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@sectors_option
def convert(records: Path, output: Path, sectors_dir):
    """把企业名单 RECORDS 转换为 OUTPUT 的格式。

    OUTPUT 为 .xlsx 工作簿，或 .csv 文件（被拖欠账款另存为同名的 .receivables.csv）。
    表头和取值都写成中文，与经信部门自己的名单一致。
    """
    kb = load_knowledge(sectors_dir)
    read = read_records(records, kb)
    written = write_table(read.records, output, kb, read.warnings)  # problems of writing join those of reading
    problems = write_problem_list(read, Path(output).with_name(PROBLEM_LIST))  # beside OUTPUT; an old one removed
    report_read(read, kb, None, f"已将{len(read.records)}家企业写入 {'、'.join(display_path(p) for p in written)}",
                problems)
