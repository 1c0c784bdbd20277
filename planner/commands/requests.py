"""planner requests: the requests (诉求) cadres bring back from visits — the registration sheet,
its import, the list, a step for one request, a department's list and its answers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import click

from planner import helptext
from planner.commands.options import AtLeast, load_knowledge, parse_date, scope_words, sectors_option
from planner.dates import cn_date, today
from planner.exceptions import PlannerError
from planner.yamlio import display_path

OPTIONS_METAVAR = "[选项]"
_SPLIT = re.compile(r"[、,，;；\s]+")


def _ledger_path(out_dir: Path, db: Path | None, must_exist: bool = True) -> Path:
    from planner.requests import ledger_path

    path = ledger_path(out_dir, db)
    if must_exist and not path.is_file():
        raise PlannerError(f"{display_path(path)}：还没有诉求账本（先用 planner requests import 导入走访诉求登记表，"
                           f"或用 --db 指定账本文件）")
    return path


def _open(path: Path, sectors_dir: Path | None):
    from planner.requests import Ledger, load_rules

    return Ledger.open(path, load_rules(sectors_dir))


def _date_option(ctx, param, value):
    return None if value is None else parse_date(value)


def _as_of(ctx, param, value):
    return today() if value is None else parse_date(value)


DEFAULT_DIR = Path("output")
# Every subcommand takes the output folder the same way: DIR after its other arguments, which may
# be left out (output). import and update also take it as --out DIR, as they did first.
dir_argument = click.argument("out_dir", metavar="[DIR]", required=False,
                              type=click.Path(file_okay=False, path_type=Path))
out_option = click.option("--out", "out_option", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
                          help="同 DIR：planner generate 的输出目录（默认 output）。")
db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
                         help="改用这个诉求账本文件（默认：DIR/requests.db）。")


def _folder(out_dir: Path | None, out_option: Path | None = None) -> Path:
    """The output folder given as DIR or as --out (both: the same one), else output."""
    if out_dir is not None and out_option is not None and out_dir.resolve() != out_option.resolve():
        raise click.UsageError(f"输出目录给了两个：{display_path(out_dir)} 和 --out {display_path(out_option)}，请只给一个")
    return out_dir or out_option or DEFAULT_DIR


@click.group("requests", options_metavar=OPTIONS_METAVAR, subcommand_metavar="命令 [参数]...")
def requests() -> None:
    """企业诉求（走访带回的诉求）的登记、交办、办理和导出。

    \b
    干部：template 生成走访诉求登记表，走访后填写，import 导入账本；
    经信部门：assign 把导入的诉求一次交办给承办部门，list 查看（可只看逾期），
      update 交办、回访、销号；
    承办部门：export 导出本部门的办理清单，填写办理结果后交回，
      import 同一张表即登记办理结果。
    账本为输出目录下的 requests.db（SQLite），每一步都留有记录，不删除。
    每个命令的 DIR 都是 planner generate 的输出目录，写在最后，
      可省略（默认 output）。
    """


@requests.command("template")
@dir_argument
@click.option("--cadre", metavar="NAME", help="只列这位包联干部的企业（包联干部中含有这个名字）。")
@click.option("--district", metavar="NAME", help="只列这个区县的企业（如北仑区、beilun 或 330206）。")
@click.option("--zone", metavar="NAME", help="只列这个功能区的企业（如前湾新区、东钱湖）。")
@click.option("--out", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE.xlsx", help="要写入的登记表，如 走访诉求登记表.xlsx。")
@click.option("--visit-date", callback=_date_option, metavar="YYYY-MM-DD",
              help="走访日期：给出时按它预填走访编号（信用代码-日期）和走访日期。")
@click.option("--rows", default=3, show_default=True, type=AtLeast(1), metavar="N",
              help="每家企业预留几行（一行一条诉求）。")
@sectors_option
def template(out_dir: Path | None, cadre, district, zone, target: Path, visit_date, rows, sectors_dir):
    """生成走访诉求登记表（Excel），预填某位干部、某个区县或功能区的企业。

    DIR 是 planner generate 的输出目录。每家企业预填统一社会信用代码、企业名称和包联干部，诉求类别和
    紧急程度可从下拉列表选择，另附填表说明。都不给 --cadre、--district、--zone 时列出全部企业。
    """
    from planner.requests import load_rules
    from planner.requests.sheets import write_template

    out_dir = _folder(out_dir)
    if target.suffix.lower() != ".xlsx":
        raise PlannerError(f"{display_path(target)}：--out 须以 .xlsx 结尾")
    kb = load_knowledge(sectors_dir)
    chosen = write_template(out_dir, target, kb, load_rules(sectors_dir), cadre, district, visit_date, rows, zone)
    click.echo(f"已将{len(chosen)}家企业{scope_words(kb, district, zone, cadre)}的走访诉求登记表写入 {display_path(target)}；"
               f"填写后导入：planner requests import {display_path(target)} {display_path(out_dir)}")


@requests.command("import")
@click.argument("sheet", metavar="FILE.xlsx|FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
@dir_argument
@out_option
@db_option
@click.option("--by", metavar="NAME", help="登记人或办理人（默认：登记表中的包联干部，办理清单中的办理人）。")
@sectors_option
def import_(sheet: Path, out_dir: Path | None, out_option: Path | None, db, by, sectors_dir):
    """导入走访诉求登记表，或部门交回的办理清单。

    逐行核对（统一社会信用代码及其校验码、企业是否在输出目录中、诉求类别、紧急程度、走访日期、走访编号），
    有问题的行列入 DIR/诉求问题清单（表的文件名）.xlsx 并跳过，其余登记入账本；全表在一个事务中导入，
    中断时不留半张表。每张表有自己的问题清单，导入另一张表不影响它；改好后再导入同一张表，没有问题时删除。
    同一张表再导入不会重复登记；同一条诉求（企业、走访日期、类别、内容相同）的其他信息改变时报告冲突，不覆盖。
    部门办理清单（planner requests export 导出的表）导入时，把办理状态登记为办理记录，已登记过的不再登记；
    未填办理日期的按导入当天记，逐行提示。
    有被跳过或冲突的行时退出状态为1。
    """
    from planner.records import printed
    from planner.requests.sheets import KIND_INTAKE, import_sheet, problem_list, read_sheet, write_problems

    out_dir = _folder(out_dir, out_option)
    kb = load_knowledge(sectors_dir)
    table = read_sheet(sheet)  # a bad file is refused before a ledger is made
    path = _ledger_path(out_dir, db, must_exist=table.kind != KIND_INTAKE)  # answers need the ledger they came from
    with _open(path, sectors_dir) as ledger:
        result = import_sheet(table, out_dir, ledger, kb, by)
    for problem in result.problems:
        click.echo(printed(problem), err=True)
    for note in result.notes:
        click.echo(f"注意：{note}", err=True)
    problems_dir = out_dir if out_dir.is_dir() else path.parent
    target = problem_list(problems_dir, sheet)  # this file's own: another file's import keeps it
    had = target.is_file()
    written = write_problems(result, target)
    line = result.summary()
    if written is not None:
        line += f"；问题清单：{display_path(written)}"
    elif had:
        line += f"；上次导入本表的问题清单 {display_path(target)} 已删除"
    click.echo(f"{line}；诉求账本：{display_path(path)}")
    if result.refused:
        raise SystemExit(1)


def _unknown_departments(names, ledger) -> list[str]:
    """The names among ``names`` that no category routes to (sectors/requests.yaml) and no request
    of the ledger was ever handed to: most likely mistyped (市人社局 for 市人力社保局)."""
    known = {d for c in ledger.rules.categories.values() for d in c.departments}
    known |= {d for r in ledger.find() for d in r.departments}
    return [n for n in names if n not in known]


def _known_departments(ledger) -> str:
    return "、".join(sorted({d for c in ledger.rules.categories.values() for d in c.departments}))


def _states(values) -> list[str] | None:
    from planner.requests import RETURN, STATES

    if not values:
        return None
    states = [s for v in values for s in _SPLIT.split(v) if s]
    unknown = [s for s in states if s not in STATES and s != RETURN]
    if unknown:
        raise click.BadParameter(f"未知的状态“{unknown[0]}”（可选：{'、'.join(STATES)}，或{RETURN}）",
                                 param_hint="'--status'")
    return states


def request_line(request, as_of: dt.date, calendar) -> str:
    """One request as ``list`` prints it."""
    from planner.dates import cn_date
    from planner.textsafe import visible

    parts = [request.id, visible(request.enterprise_name), f"{request.category}（{request.urgency}）",
             request.shown_state, visible("、".join(request.departments)) or "（待重新交办）",
             f"办结时限{cn_date(request.due_date)}"]
    if request.is_overdue(as_of):
        parts.append(f"逾期{calendar.working_days_between(request.due_date, as_of)}个工作日")
    return "  ".join(parts)


@requests.command("list")
@dir_argument
@click.option("--status", multiple=True, metavar="STATE", help="只列这些状态的诉求（可重复，也可用逗号分隔）：登记、交办、"
                                                                "办理中、办结、回访、销号、撤回；退回：已被"
                                                                "部门退回、待重新交办的。")
@click.option("--department", metavar="NAME", help="只列现由这个部门承办的诉求。")
@click.option("--district", metavar="NAME", help="只列这个区县企业的诉求。")
@click.option("--cadre", metavar="NAME", help="只列这位干部登记的诉求（走访干部中含有这个名字）。")
@click.option("--overdue", is_flag=True, help="只列逾期的诉求（过了办结时限仍未办结）。")
@click.option("--as-of", "given_as_of", callback=_date_option, metavar="YYYY-MM-DD",
              help="列出各诉求在这一天的状态和承办部门（此后的办理记录不计，此后登记的不列），"
                   "并按这一天判断逾期（默认：账本现状，按今天判断逾期）。")
@db_option
@sectors_option
def list_(out_dir: Path | None, status, department, district, cadre, overdue, given_as_of, db, sectors_dir):
    """列出诉求，每条一行：编号、企业、类别、状态、承办部门、办结时限，逾期的注明逾期几个工作日。

    给出 --as-of 时，每条诉求按它在那一天的情况列出（与汇总中同一基准日的诉求办理率一致）。
    """
    from planner.requests import LedgerError

    out_dir = _folder(out_dir)
    as_of = given_as_of or today()
    states = _states(status)
    label, kb = None, None
    if district:
        kb = load_knowledge(sectors_dir)
        vocabulary = kb.vocabularies["districts"]
        wanted = vocabulary.resolve(district)
        if wanted is None:
            raise PlannerError(f"没有“{district}”这个区县（可选：{'、'.join(e.label for e in vocabulary)}）")
        label = vocabulary.entries[wanted].label
    with _open(_ledger_path(out_dir, db), sectors_dir) as ledger:
        try:
            found = ledger.find(status=states, department=department, district=label,
                                overdue_as_of=as_of if overdue else None, as_of=given_as_of)
        except LedgerError as exc:
            raise PlannerError(exc.format_message()) from None
        if cadre:
            found = [r for r in found if cadre.strip() in r.cadre]
        if department and _unknown_departments([department.strip()], ledger):
            raise PlannerError(f"没有“{department.strip()}”这个承办部门（sectors/requests.yaml 中的承办部门："
                               f"{_known_departments(ledger)}）")
        if cadre and not any(cadre.strip() in r.cadre for r in ledger.find()):
            raise PlannerError(f"账本中没有“{cadre.strip()}”登记的诉求")
        calendar = ledger.rules.calendar
        for request in found:
            click.echo(request_line(request, as_of, calendar))
        late = sum(r.is_overdue(as_of) for r in found)
    scope = scope_words(kb, label, cadre=cadre, department=department)  # kb: only a district needs it
    click.echo(f"共{len(found)}条诉求{scope}，其中逾期{late}条（截至{cn_date(as_of)}）", err=True)


@requests.command("update")
@click.argument("request_id", metavar="ID")
@click.option("--to", "to_state", required=True, metavar="STATE",
              help="下一步：交办、办理中、办结、回访、销号、退回、督办或撤回。")
@click.option("--department", multiple=True, metavar="NAME",
              help="交办或退回时改交的承办部门（可重复）；开始办理、办结时为办理的承办部门"
                   "（多个部门共同承办的诉求办结时必须给出）。")
@click.option("--from-department", metavar="NAME",
              help="退回时注明退回的承办部门：只去掉这个部门，其余部门继续办理（多个部门共同承办的"
                   "诉求必须给出）。")
@click.option("--note", default="", metavar="TEXT", help="办理情况；退回和撤回须写明理由，督办须写明督办意见。")
@click.option("--satisfied/--not-satisfied", default=None, help="回访时企业是否满意（不满意则重新办理）。")
@click.option("--by", required=True, metavar="NAME", help="办理人。")
@click.option("--at", "at", callback=_date_option, metavar="YYYY-MM-DD", help="这一步的日期（默认现在）。")
@dir_argument
@out_option
@db_option
@sectors_option
def update(request_id, to_state, department, from_department, note, satisfied, by, at, out_dir, out_option, db,
           sectors_dir):
    """把一条诉求推进一步（交办、办理中、办结、回访、销号，或退回、撤回）；督办只记入办理过程，状态不变。

    多个部门共同承办的诉求，各部门分别办结（--department），全部办结后诉求才办结；
    一个部门退回（--from-department）只去掉这个部门，其余部门继续办理。
    不合流程的一步（如未办结就销号）不登记，报告诉求的当前状态，退出状态为2。
    """
    from planner.requests import LedgerError

    out_dir = _folder(out_dir, out_option)
    departments = [d for v in department for d in _SPLIT.split(v) if d] or None
    with _open(_ledger_path(out_dir, db), sectors_dir) as ledger:
        to_state = ledger.rules.step(to_state)  # 已办结 is 办结 (sectors/requests.yaml: steps)
        for name in _unknown_departments(departments or (), ledger):
            click.echo(f"注意：“{name}”不是诉求类别所路由的承办部门，账本中也没有交办给它的诉求，请核对名称"
                       f"（sectors/requests.yaml 中的承办部门：{_known_departments(ledger)}）", err=True)
        try:
            answer = None
            if to_state in ("办理中", "办结") and departments:
                if len(departments) > 1:
                    raise LedgerError(f"{request_id}：{to_state}时 --department 只能给一个部门（{to_state}的承办部门）")
                answer, departments = departments[0], None
            current = ledger.get(request_id)
            # A co-held request is 办结 or returned one department at a time; on 退回, --department
            # names where it goes next, never who returns it, so it does not stand in for --from-department.
            if current.co_held and (to_state == "办结" and answer is None
                                    or to_state == "退回" and not from_department):
                option = "--department" if to_state == "办结" else "--from-department"
                why = "各部门都办结后诉求才办结" if to_state == "办结" else "退回只去掉这个部门，其余部门继续办理"
                also = ("；--department 是退回后改交的部门，不是退回的部门" if to_state == "退回" and departments
                        else "")
                raise LedgerError(f"{current.id}：由{'、'.join(current.departments)}共同承办，{to_state}须用 "
                                  f"{option} 注明是哪个部门{to_state}（{why}）{also}")
            request = ledger.transition(request_id, to_state, by=by, note=note, departments=departments, at=at,
                                        satisfied=satisfied, returned_by=from_department, department=answer)
        except LedgerError as exc:
            click.echo(f"错误：{exc.format_message()}", err=True)
            raise SystemExit(2) from None
    verdict = "" if request.satisfied is None or to_state != "回访" else ("（满意）" if request.satisfied else "（不满意，重新办理）")
    handed = "、".join(request.departments) or "（无，待重新交办）"
    did = "已" + {"办理中": "开始办理"}.get(to_state, to_state)
    who = {"办结": answer, "退回": from_department}.get(to_state)
    if who and current.co_held:  # one department's answer of a co-held request, not the request's
        did = f"{who}{did}"
        if to_state == "办结" and request.state != "办结":
            did += f"，尚待{'、'.join(d for d in request.departments if d not in request.done)}办结"
    click.echo(f"{request.id}：{did}{verdict}，现为“{request.shown_state}”，承办部门：{handed}")


@requests.command("assign")
@dir_argument
@click.option("--by", required=True, metavar="NAME", help="交办人（如 市经信局）。")
@click.option("--department", metavar="NAME", help="只交办由这个部门承办的诉求。")
@click.option("--at", callback=_as_of, metavar="YYYY-MM-DD", help="交办日期（默认今天）；此后才登记的诉求不交办。")
@db_option
@sectors_option
def assign(out_dir: Path | None, by, department, at, db, sectors_dir):
    """把已登记、尚未交办的诉求一次交办给各自的承办部门。

    承办部门按诉求类别（sectors/requests.yaml）或登记表中写明的部门；只想交办给某个部门时给 --department。
    全部交办在一个事务中完成，中途出错时一条也不交办。
    """
    from planner.requests import LedgerError
    from planner.requests.sheets import assign_registered

    out_dir = _folder(out_dir)
    with _open(_ledger_path(out_dir, db), sectors_dir) as ledger:
        try:
            handed = assign_registered(ledger, by.strip(), at, department.strip() if department else None)
        except LedgerError as exc:
            raise PlannerError(f"交办未完成，账本未改变：{exc.format_message()}") from None
        waiting = len(ledger.find(status="登记"))
    counts: dict[str, int] = {}
    for request in handed:
        for name in request.departments:
            counts[name] = counts.get(name, 0) + 1
    shown = "、".join(f"{name}{n}条" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    shared = sum(1 for request in handed if len(request.departments) > 1)
    if shared:  # the department counts add up to more than the total: say why
        shown += f"；其中{shared}条由两个以上部门共同承办，分别计入各部门"
    click.echo(f"已交办{len(handed)}条诉求" + (f"（{shown}）" if shown else "") + f"；尚未交办{waiting}条")


@requests.command("export")
@dir_argument
@click.option("--department", required=True, metavar="NAME", help="承办部门，如 市经信局。")
@click.option("--out", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE.xlsx", help="要写入的办理清单。")
@click.option("--as-of", callback=_as_of, metavar="YYYY-MM-DD",
              help="导出日期（默认今天）：每条诉求按它在这一天的状态、承办部门和办理结果列出（此后的办理记录不计，"
                   "此后登记的不列），另列此前30天内办结的诉求。")
@click.option("--assign", is_flag=True, help="同时把清单中尚未交办（登记）的诉求交办给承办部门，记为交办（须给 --by）。")
@click.option("--by", metavar="NAME", help="交办人（与 --assign 一起使用）。")
@db_option
@sectors_option
def export_(out_dir: Path | None, department, target: Path, as_of, assign, by, db, sectors_dir):
    """导出一个承办部门的诉求办理清单（Excel）。

    列出导出日期时由该部门承办、尚未办结的诉求和此前30天内办结的诉求；部门在办理状态（办理中、办结、退回）、
    办理情况、办理人、办理日期四列填写后交回，用 planner requests import 导入即登记办理结果。
    本部门已登记的办理结果（截至导出日期）预先填在这四列中。
    """
    from planner.requests import LedgerError
    from planner.requests.sheets import assign as hand_over, write_department_sheet

    out_dir = _folder(out_dir)
    if assign and not (by or "").strip():
        raise click.UsageError("--assign 须与 --by（交办人）一起使用")
    if target.suffix.lower() != ".xlsx":
        raise PlannerError(f"{display_path(target)}：--out 须以 .xlsx 结尾")
    kb = load_knowledge(sectors_dir)
    with _open(_ledger_path(out_dir, db), sectors_dir) as ledger:
        known = {d for r in ledger.find() for d in r.departments}
        name = department.strip()
        if name not in known:
            shown = "、".join(sorted(known)) or "无"
            raise PlannerError(f"诉求账本中没有由“{name}”承办的诉求（账本中的承办部门：{shown}）")
        handed = []
        if assign:
            try:
                handed = hand_over(ledger, name, by.strip(), as_of)
            except LedgerError as exc:
                raise PlannerError(f"交办未完成，账本未改变：{exc.format_message()}") from None
        written = write_department_sheet(ledger, name, target, as_of, kb.campaign.issuer)
    pending = sum(r.state in ("登记", "交办", "办理中") for r in written)
    if handed:
        click.echo(f"已交办{len(handed)}条诉求给{name}", err=True)
    click.echo(f"已将{name}的{len(written)}条诉求（待办理{pending}条）写入 {display_path(target)}；"
               f"填写办理结果后导入：planner requests import {display_path(target)} {display_path(out_dir)}")


for _command in requests.commands.values():
    _command.options_metavar = OPTIONS_METAVAR
    _command.context_class = helptext.Context
