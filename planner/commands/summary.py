"""planner summary: the bureau's portfolio summary, to report upward (help and messages in Chinese)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import click

from planner.commands.options import load_knowledge, parse_date, report_read, sectors_option, templates_option
from planner.dates import today
from planner.exceptions import PlannerError
from planner.generate import Renderer
from planner.pdf import PdfJob, render_pdf
from planner.render import MarkdownText, Templates, markdown_to_html
from planner.store import atomic_write
from planner.records import PROBLEM_LIST, read_records, write_problem_list
from planner.rosters import rosters
from planner.requests import Ledger, ledger_path, load_rules
from planner.requests.rates import compute as compute_rates
from planner.summary import (place_figures, plans_for_list, plans_from_records, plans_in_folder, requests_context,
                             summarize, summary_figures)
from planner.yamlio import display_path


CHART_PLACE = "图表位置-{nonce}"  # a paragraph of its own in the Markdown, replaced by the chart in the PDF


@click.command()
@click.argument("source", metavar="名单文件|输出文件夹", type=click.Path(path_type=Path))
@click.option("--plans", "plans_dir", metavar="DIR", type=click.Path(path_type=Path),
              help="生成方案的输出文件夹：以名单为准核对其中的方案，列出缺少方案、方案未按最新名单更新、"
                   "已不在名单中的企业。")
@click.option("--out", "target", required=True, metavar="FILE.md|FILE.pdf",
              type=click.Path(dir_okay=False, path_type=Path),
              help="汇总文件，.md 或 .pdf（PDF 另附各项措施覆盖企业数柱状图）。")
@click.option("--as-of", "as_of_text", metavar="YYYY-MM-DD",
              help="汇总基准日（默认：文件夹中方案的基准日，否则为今天）。")
@click.option("--db", "db", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path),
              help="诉求账本（默认：方案文件夹中的 requests.db，存在时）：汇总增加“诉求办理”一节，"
                   "列出诉求办理率、按时办结率、回访满意率和超期诉求。")
@click.option("--author", metavar="TEXT", help="报送单位：汇总的版头、报送单位和 PDF 作者（默认：campaign.yaml 中的发文单位）。")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="报送日期，印在标题下（默认：今天）。")
@templates_option
@sectors_option
def summary(source: Path, plans_dir, target: Path, as_of_text, db, author, date_text, templates_dir, sectors_dir):
    """向上级报送的帮扶工作汇总。

    \b
    名单文件|输出文件夹：企业名单（.xlsx、.csv、.yaml），
    或 planner generate 的输出文件夹。
      只给名单：逐家匹配措施后汇总；
      只给输出文件夹：按其中的方案汇总，无法判断名单中谁缺少方案；
      名单加 --plans 输出文件夹：以名单为准核对文件夹中的方案。

    汇总先列主要指标（停产减产重点企业帮扶覆盖率；有诉求账本时另列诉求办理率对照目标和超期诉求数），再依次为：帮扶覆盖（未覆盖的逐一列名），诉求办理（诉求办理率等、超期诉求逐件列出、分区县部门类别干部统计；有诉求账本时，即方案文件夹中的 requests.db 或 --db），名单与方案核对（未能识别的记录、缺少现行方案的企业逐一列名），各产业、区县、规模、生产状态的企业数，各项措施覆盖企业数，待走访核实事项，近期到期事项，社保费缓缴减负测算。汇总报送上级：页面上不出现程序名、文件名和路径（程序版本记在 PDF 的文档属性中）。
    """
    if not source.exists():
        raise PlannerError(f"{display_path(source)}：文件或文件夹不存在")
    if plans_dir is not None:
        if source.is_dir():
            raise PlannerError(f"{display_path(source)} 是文件夹；--plans 须与企业名单一起使用，"
                               f"例如 planner summary 名单.xlsx --plans {display_path(plans_dir)} --out 汇总.pdf")
        if not plans_dir.is_dir():
            problem = "不是文件夹" if plans_dir.exists() else "文件夹不存在"
            raise PlannerError(f"{display_path(plans_dir)}：{problem}（--plans 须为 planner generate 的输出文件夹）")
    if target.suffix.lower() not in (".md", ".pdf"):
        raise PlannerError(f"{display_path(target)}：--out 须以 .md 或 .pdf 结尾")
    if not target.parent.is_dir():
        raise PlannerError(f"{display_path(target)}：输出目录 {display_path(target.parent)} 不存在")
    if db is not None and not db.is_file():
        problem = "不是文件" if db.exists() else "文件不存在"
        raise PlannerError(f"{display_path(db)}：{problem}（--db 须为已有的诉求账本）")
    as_of = parse_date(as_of_text) if as_of_text else None
    report_date = parse_date(date_text) if date_text else None
    kb = load_knowledge(sectors_dir)
    templates = Templates.from_option(templates_dir)
    read = None
    if source.is_dir():
        lists = rosters(source)
        items = plans_in_folder(source, lists)
        scope = {"mode": "folder", "folder": source.resolve().name, "lists": [r.name for r in lists]}
    else:
        read = read_records(source, kb)
        if plans_dir is None:  # a records list is matched as of this
            as_of = as_of or today()
            items = plans_from_records(read, kb, as_of)
            scope = {"mode": "list", "list": source.name}
        else:
            items = plans_for_list(read, plans_dir, kb, as_of)
            scope = {"mode": "list_and_folder", "list": source.name, "folder": plans_dir.resolve().name}
    context = summarize(items, kb, as_of, scope, report_date=report_date, issuer=author)
    if not context["total"] and not context["rejected"]:
        raise PlannerError(f"{display_path(source)}：没有找到方案或企业记录")
    as_of = dt.date.fromisoformat(context["as_of"])
    folder = plans_dir or (source if source.is_dir() else None)
    ledger_file = db or (ledger_path(folder) if folder is not None else None)
    if ledger_file is not None and ledger_file.is_file():
        context["requests"] = _requests(ledger_file, kb, as_of, sectors_dir)
    pdf = target.suffix.lower() == ".pdf"
    places = {name: CHART_PLACE.format(nonce=uuid.uuid4().hex) for name in ("chart", "requests_chart")}
    if "requests" not in context:
        places.pop("requests_chart")
    text = templates.markdown("summary", {**context, **{name: MarkdownText(place) if pdf else None
                                                        for name, place in places.items()}})
    if not pdf:
        atomic_write(target, text)
    else:
        body = place_figures(markdown_to_html(text), places, summary_figures(templates, context))
        html = Renderer(kb, templates, author=author).document(body, "summary", title=context["title"],
                                                               keywords="汇总", created=as_of)
        fonts = templates.font_sheet()  # the plan's faces (Fandol), when make setup has fetched them
        sheets = ((fonts,) if fonts else ()) + (templates.stylesheet("print.css"), templates.stylesheet("summary.css"))
        render_pdf(PdfJob(html, sheets, str(target)))
    done = f"已汇总{context['total']}家企业（基准日 {as_of.isoformat()}），写入 {display_path(target)}"
    folder = plans_dir or source
    damaged = [(d["where"], d["why"]) for d in context["damaged"]] + [
        (m["id"], m["detail"]) for m in context["without_plan"] if m["why"] == "damaged"]
    lines = gaps(context) + [f"错误：{display_path(folder / where)}：{why}，未计入汇总" for where, why in damaged]
    if read is None:
        click.echo(done)
        for line in lines:
            click.echo(line, err=True)
    else:  # the list's problems first, then the report's gaps, the final line and the problem list last
        problems = write_problem_list(read, target.with_name(PROBLEM_LIST))  # beside the report; an old one removed
        report_read(read, kb, as_of, done, problems, failed=bool(damaged), errors=lines)
    if damaged:
        raise SystemExit(1)


def gaps(context: dict) -> list[str]:
    """One line each for what the report names and the officer should act on."""
    lines = []
    if context["scope"]["mode"] == "folder":
        lines.append("提示：按文件夹中的方案汇总，无法判断名单中是否有企业缺少方案；"
                     "核对名单请用 .venv/bin/planner summary 名单文件 --plans 输出文件夹"
                     + ("（已列出生成时名单中未能识别的记录和已不在名单中的企业）" if context["scope"].get("lists") else ""))
    if context["without_plan"]:
        lines.append(f"提示：名单中{len(context['without_plan'])}家企业缺少现行方案，已在汇总中列名")
    if context["not_in_list"]:
        lines.append(f"提示：文件夹中{len(context['not_in_list'])}家企业已不在名单中，未计入汇总，已列名")
    coverage = context["coverage"]
    if coverage["missing"]:
        lines.append(f"提示：停产减产重点企业{coverage['key']}家，未覆盖{len(coverage['missing'])}家"
                     f"（覆盖率{coverage['rate']}），已在汇总中列名")
    section = context.get("requests")
    if section:
        handling, overdue = section["total"]["handling"], len(section["overdue"])
        if not section["target"]:
            lines.append("提示：sectors/campaign.yaml 未设 request_rate_target，汇总中的诉求办理率未对照目标")
        if handling["meets"] is False:
            lines.append(f"提示：诉求办理率{handling['percent']}（{handling['n']}/{handling['d']}），"
                         f"未达到{section['target_value']}的目标")
        if overdue:
            lines.append(f"提示：{overdue}件诉求超期未办结，已在汇总中列出")
    return lines


def _requests(path: Path, kb, as_of: dt.date, sectors_dir) -> dict:
    """The 诉求办理 section of the ledger at ``path`` as of ``as_of``."""
    target = kb.campaign.targets.get(kb.campaign.request_rate_target)
    with Ledger.open(path, load_rules(sectors_dir, kb)) as ledger:
        rates = compute_rates(ledger, as_of, target)
    return requests_context(rates, path.name)
