"""planner impact: which enterprises' plans a proposed profile edit would change. Writes nothing."""

from __future__ import annotations

from pathlib import Path

import click

from planner import knowledge
from planner.commands.options import as_of_option, records_argument, report_read
from planner.impact import impact_report
from planner.resources import bundled
from planner.textsafe import visible


@click.command()
@records_argument
@click.option("--sectors", "new_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="NEW_DIR", help="修改后的措施库副本。")
@click.option("--base", "base_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="现行的措施库（默认：随程序提供的 sectors/）。")
@as_of_option
def impact(records: Path, new_dir: Path, base_dir, as_of):
    """预览措施库修改的影响：名单中哪些企业的方案会变、怎么变。

    用 --sectors 给出修改后的措施库副本，与现行措施库比较，逐家列出新增、移除和变更的
    措施，最后按措施汇总。不写入任何文件。
    """
    base = knowledge.load(base_dir or bundled("sectors"))
    proposed = knowledge.load(new_dir)
    text, read = impact_report(records, base, proposed, as_of)
    click.echo(visible(text))
    # Writes nothing, so the problems are printed (stderr) only.
    report_read(read, base, as_of)
