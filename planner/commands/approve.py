"""planner approve / planner reject: a reviewer's decision on a version, recorded append-only."""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import AtLeast
from planner.exceptions import PlannerError
from planner.textsafe import visible
from planner.yamlio import display_path


def _is_enterprise(path: Path) -> bool:
    from planner.versions import META

    return (path / META).exists() and not (path / META).is_symlink()


def _no_folder(target: Path) -> None:
    """Stop with what the reviewer typed wrong: a version written as for diff (…@v1), or no such
    enterprise folder (with the close names beside it)."""
    import re

    from planner.versions import missing_enterprise

    match = re.fullmatch(r"(.+)@v?(\d+)", str(target))
    if match and not target.exists():
        raise PlannerError(f"{target}：审核某一版请用 --version：planner approve {match.group(1)} --version {match.group(2)}"
                           f"（退回同样用 planner reject … --version {match.group(2)}）")
    raise PlannerError(missing_enterprise(target))


def _name(version) -> str:
    listing = version.meta.get("listing")
    return visible(str(listing.get("name", ""))) if isinstance(listing, dict) else ""


def _decided(verb: str, folder: Path, version, reviewer: str) -> str:
    name = _name(version)
    return f"已{verb}：{name + '（' + folder.name + '）' if name else folder.name}第{version.number}版（审核人：{visible(reviewer)}）"


@click.command()
@click.argument("target", type=click.Path(path_type=Path), metavar="DIR/<代码>|DIR")
@click.option("--reviewer", metavar="NAME", help="审核人姓名（审核时必填）。")
@click.option("--note", default="", metavar="TEXT", help="审核意见（可不填）。")
@click.option("--version", "number", type=AtLeast(1), metavar="N",
              help="审核该企业的第N版（默认：最新版本）；只用于单家企业。")
@click.option("--require/--no-require", "require", default=None,
              help="对整个输出目录 DIR：开启（--require）或关闭（--no-require）审核要求，写入 DIR/planner-folder.yaml。")
def approve(target: Path, reviewer, note, number, require):
    """审核通过企业的方案版本。

    DIR/<统一社会信用代码>：通过该企业的最新版本（或 --version 指定的版本）。DIR：通过每家企业待审核的最新版本，
    已通过或已退回的不变，并报告各有几家。每次审核（审核人、时间、意见，以及该版本 plan.json 的 SHA-256 校验值）
    追加记入 DIR/<统一社会信用代码>/reviews.jsonl，从不改写；通过某一版本不等于通过以后的版本。

    审核要求按输出目录设置，默认关闭（planner export 和 planner briefs DIR 用最新版本，已退回的除外）。
    用 planner approve DIR --require 开启后（即 DIR/planner-folder.yaml 中写 review: required），
    导出和从输出目录打印简报时只用各企业最新的审核通过版本，没有通过版本的企业不导出、不打印并逐一说明；
    --no-require 关闭。
    """
    from planner import review
    from planner.briefbook import is_output_folder

    if not target.is_dir():
        _no_folder(target)
    if _is_enterprise(target):
        if require is not None:
            raise click.UsageError("--require/--no-require 是输出目录的设置，请对输出目录 DIR 使用")
        if not reviewer:
            raise click.UsageError("请用 --reviewer 写明审核人")
        version = review.find_version(target, number)
        before = review.state_of(version, review.read_reviews(target)[0])
        review.record(target, version, "approved", reviewer, note)
        if before.status == review.REJECTED:  # the log keeps both; the reviewer should know they differ
            d = before.decision
            click.echo(f"注意：第{version.number}版曾被{visible(d.reviewer)}退回（理由：{visible(d.text)}），现改为通过", err=True)
        click.echo(_decided("审核通过", target, version, reviewer.strip()))
        return
    if not is_output_folder(target):
        raise click.UsageError(f"{display_path(target)} 既不是企业文件夹（其中没有 version.json），"
                               f"也不是 planner generate 的输出目录")
    if number is not None:
        raise click.UsageError("--version 只用于单家企业：DIR/<统一社会信用代码>")
    if require is not None:
        path = review.set_review_required(target, require)
        click.echo(f"已{'开启' if require else '关闭'}审核要求（{display_path(path)}）："
                   + ("导出和打印简报只用审核通过的版本" if require else "导出和打印简报用最新版本"))
        if not reviewer:
            return
    elif not reviewer:
        raise click.UsageError("请用 --reviewer 写明审核人")
    result = review.approve_folder(target, reviewer, note)
    for line in result.notes:
        click.echo(f"注意：{line}", err=True)
    for code, why in result.broken:
        click.echo(f"注意：{code}：{why}，未审核", err=True)
    parts = [f"已审核通过{len(result.approved)}家企业待审核的最新版本（审核人：{visible(reviewer.strip())}）"]
    if result.already:
        parts.append(f"{len(result.already)}家此前已通过")
    if result.rejected:
        parts.append(f"{len(result.rejected)}家最新版本已退回，未改动")
    if result.broken:
        parts.append(f"{len(result.broken)}家没有完整的版本")
    click.echo("；".join(parts))


@click.command()
@click.argument("target", type=click.Path(path_type=Path), metavar="DIR/<代码>")
@click.option("--reviewer", required=True, metavar="NAME", help="审核人姓名。")
@click.option("--reason", required=True, metavar="TEXT", help="退回理由。")
@click.option("--version", "number", type=AtLeast(1), metavar="N", help="退回第N版（默认：最新版本）。")
def reject(target: Path, reviewer, reason, number):
    """退回企业的方案版本，须写明理由。

    退回记入 DIR/<统一社会信用代码>/reviews.jsonl（追加，从不改写）。已退回的版本不会被导出或打印；
    重新生成的新版本为待审核。同一版本以最后一次审核为准。
    """
    from planner import review

    if not _is_enterprise(target):
        _no_folder(target)
    if not reason.strip():
        raise PlannerError("退回须用 --reason 写明理由")
    version = review.find_version(target, number)
    review.record(target, version, "rejected", reviewer, reason)
    click.echo(_decided("退回", target, version, reviewer.strip()) + f"，理由：{visible(reason.strip())}")
