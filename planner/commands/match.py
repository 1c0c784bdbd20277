"""planner match: the decision table (or plan.json) for one or all enterprises."""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner.commands.options import as_of_option, load_knowledge, records_argument, report_read, sectors_option
from planner.decisions import decision_table
from planner.pipeline import plan_records
from planner.textsafe import json_inert, visible


@click.command()
@records_argument
@as_of_option
@click.option("--id", "only_id", metavar="ID", help="只看这一家企业（统一社会信用代码）。")
@click.option("--json", "as_json", is_flag=True, help="输出 plan.json 格式的结果，而不是判定表。")
@sectors_option
def match(records: Path, as_of, only_id, as_json, sectors_dir):
    """逐项判定措施是否适用于名单中的企业，并说明理由。

    对 RECORDS 中的每家企业，列出本产业和全市通用的每项措施：适用、待核实、即将实施、不适用
    或已到期，各附理由；再列出走访时要问企业的问题。RECORDS 可以是 .xlsx、.csv 或 .yaml
    名单。有记录未通过校验时以状态 1 退出。
    """
    kb = load_knowledge(sectors_dir)
    batch = plan_records(records, kb, as_of, only_id)
    if as_json:
        docs = [p.to_json() for p in batch.plans]
        click.echo(json_inert(json.dumps(docs[0] if only_id else docs, ensure_ascii=False, indent=2)))
    else:
        click.echo(visible("\n\n".join(decision_table(p, kb) for p in batch.plans)))
    # The problems are printed (stderr) only; generate writes them as 问题清单.xlsx.
    report_read(batch.read, kb, as_of, f"已判断{len(batch.plans)}家企业", err=True)
