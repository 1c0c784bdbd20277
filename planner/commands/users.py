"""planner users: the accounts of the web workplace (planner serve)."""

from __future__ import annotations

import sys

import click

from planner import helptext
from planner.commands.serve import data_option
from planner.exceptions import PlannerError
from planner.textsafe import visible


def _accounts(data_dir):
    from planner.web.folder import DataFolder

    return DataFolder(data_dir).accounts()


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise PlannerError("标准输入中没有密码")
    return password


@click.group(short_help="管理网页工作台的账户：添加、列出、停用、重设密码。",
             options_metavar="[选项]", subcommand_metavar="命令 [参数]...")
def users():
    """管理网页工作台（planner serve）的账户：planner users add / list / disable / passwd。

    角色：admin 管理员；officer 经信部门（--district 只看该区县，不写为全市）；reviewer 审核人；
    cadre 包联干部（--cadre-name 为名单“包联干部”中的姓名，只看自己包联的企业）；department
    承办部门（--department 为部门名称，只看交办给该部门的诉求）。
    """


@users.command("add")
@click.argument("name", metavar="NAME")
@click.option("--role", required=True, type=click.Choice(["admin", "officer", "reviewer", "cadre", "department"]),
              help="角色。")
@click.option("--district", default="", metavar="NAME", help="经信部门账户所属区县（如北仑区、beilun），不写为全市。")
@click.option("--cadre-name", default="", metavar="NAME", help="包联干部的姓名（默认：用户名）。")
@click.option("--department", default="", metavar="NAME", help="承办部门名称，如市经信局。")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（至少10个字符），而不是生成一次性密码。")
@data_option
def add(name, role, district, cadre_name, department, password_stdin, data_dir):
    """添加账户，并显示一次性密码（首次登录后须修改）。"""
    from planner.commands.options import load_knowledge

    if district:
        if role != "officer":
            raise click.UsageError("--district 只用于经信部门账户（--role officer）")
        vocabulary = load_knowledge(None).vocabularies["districts"]
        found = vocabulary.resolve(district)
        if found is None:
            raise click.BadParameter(f"没有“{district}”这个区县（可选：{'、'.join(e.label for e in vocabulary)}）",
                                     param_hint="--district")
        district = vocabulary.label(found)
    if cadre_name and role != "cadre":
        raise click.UsageError("--cadre-name 只用于包联干部账户（--role cadre）")
    if department and role != "department":
        raise click.UsageError("--department 只用于承办部门账户（--role department）")
    password = _stdin_password() if password_stdin else None
    made = _accounts(data_dir).add(name, role, district, cadre_name, department, password)
    user = _accounts(data_dir).get(name.strip())
    click.echo(f"已添加用户 {visible(user.name)}（{user.role_label}·{visible(user.scope_label)}）")
    if not password_stdin:
        click.echo(f"一次性密码：{made}（首次登录后须修改）")


@users.command("list")
@data_option
def list_users(data_dir):
    """列出账户：用户名、角色、范围和状态。"""
    found = _accounts(data_dir).all()
    if not found:
        click.echo("还没有账户")
        return
    for user in found:
        state = "已停用" if user.disabled else ("待修改一次性密码" if user.must_change else "正常")
        click.echo(f"{visible(user.name)}　{user.role_label}　{visible(user.scope_label)}　{state}")


@users.command("disable")
@click.argument("name", metavar="NAME")
@data_option
def disable(name, data_dir):
    """停用账户：立即退出其所有登录，不能再登录；操作记录保留。"""
    _accounts(data_dir).disable(name)
    click.echo(f"已停用用户 {visible(name)}")


@users.command("passwd")
@click.argument("name", metavar="NAME")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取新密码（至少10个字符），而不是生成一次性密码。")
@data_option
def passwd(name, password_stdin, data_dir):
    """重设账户的密码（默认生成一次性密码），并退出其所有登录。"""
    password = _stdin_password() if password_stdin else None
    made = _accounts(data_dir).set_password(name, password)
    click.echo(f"已重设用户 {visible(name)} 的密码")
    if not password_stdin:
        click.echo(f"一次性密码：{made}（首次登录后须修改）")


for _command in users.commands.values():
    _command.options_metavar = "[选项]"
    _command.context_class = helptext.Context
