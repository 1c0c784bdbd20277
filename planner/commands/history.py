"""planner history: the versions of one enterprise's plan, each with what changed from the one before."""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner.commands.options import load_knowledge, sectors_option
from planner.dates import cn_date_text, local_time
from planner.diff import PlanDiff, Side, diff_plans, shown_summary
from planner.exceptions import PlannerError
from planner.textsafe import visible
from planner.versions import Version, scan_versions


@click.command(short_help="列出一家企业的各个版本及每次的变化。")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@sectors_option
def history(folder: Path, sectors_dir):
    """列出 FOLDER（输出目录/<统一社会信用代码>）中保存的各个版本：版本号、生成时间（本地时间，默认北京时间，可用环境变量 PLANNER_TZ 改）、基准日、触发原因，以及与上一版相比的变化（企业信息如“生产状态：正常→停产”，措施的新增、移除和变更）。

    已损坏的版本（version.json 无法读取，或文件与其记录的校验值不符）逐一指出文件和原因，其余版本照常列出；一个可读的版本都没有时退出码为1。
    """
    if not folder.is_dir():
        from planner.versions import missing_enterprise

        raise PlannerError(missing_enterprise(folder))
    found, damaged = scan_versions(folder)
    for damage in damaged:
        click.echo(f"注意：{damage.message}", err=True)
    if not found:
        raise PlannerError(f"{folder}：没有可读的方案版本（应为 planner generate 写出的 输出目录/<统一社会信用代码>）")
    kb = load_knowledge(sectors_dir)
    click.echo(visible(history_text(folder, found, {d.number for d in damaged if d.number is not None}, kb)))


def _plan(version: Version) -> dict | None:
    try:
        plan = json.loads((version.path / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return plan if isinstance(plan, dict) and isinstance(plan.get("enterprise"), dict) else None


def history_text(folder: Path, found: list, damaged_numbers: set, kb) -> str:
    """The history as a terminal shows it (controls not yet made visible): a header naming the
    enterprise, then each version oldest first with what changed against the version before it."""
    from planner.review import read_reviews, state_of

    decisions, _ = read_reviews(folder)  # a damaged line is reported by approve and changes, not here
    plans = [_plan(v) for v in found]
    latest = next((p for p in reversed(plans) if p is not None), {}) or {}
    enterprise = latest.get("enterprise", {})
    code = str(enterprise.get("id") or Path(folder).name)
    name = str(enterprise.get("name") or "（名称不详）")
    lines = [f"{name}（统一社会信用代码：{code}）",
             f"共{len(found)}个可读版本，当前为第{found[-1].number}版"
             + (f"；第{'、'.join(str(n) for n in sorted(damaged_numbers))}版已损坏，见上方提示" if damaged_numbers else "")
             + "。"]
    for i, version in enumerate(found):
        meta = version.meta
        lines.append("")
        lines.append(f"第{version.number}版　生成于 {local_time(meta.get('generated'))}　"
                     f"基准日 {cn_date_text(meta.get('as_of'))}")
        lines.append(f"  触发原因：{'、'.join(str(t) for t in meta.get('trigger', [])) or '未记录'}")
        lines.append(f"  审核：{state_of(version, decisions).label}")
        if i == 0:
            lines.append(f"  变化：{meta.get('summary') or '首个版本'}")
            continue
        previous = found[i - 1]
        against = "" if previous.number == version.number - 1 else f"（与第{previous.number}版相比）"
        result = _diff(plans[i - 1], plans[i], kb)
        if result is None:  # a plan.json that cannot be compared: what was recorded when it was written
            stored = shown_summary(version, previous if previous.number == version.number - 1 else None, kb)
            lines.append(f"  变化{against}：{stored}（plan.json 无法比较，取生成时记录的概要）")
            continue
        lines += change_lines(result, against)
    return "\n".join(lines)


def _diff(old: dict | None, new: dict | None, kb) -> PlanDiff | None:
    if old is None or new is None:
        return None
    try:
        return diff_plans(Side("旧", old, None), Side("新", new, None), kb)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def change_lines(result: PlanDiff, against: str = "") -> list[str]:
    """What one version changed: its summary, the facts (生产状态：正常→停产), the background and
    each measure's change, indented under the version's line."""
    out = [f"  变化{against}：{result.headline()}"]
    if result.facts:
        out.append("  企业信息：")
        out += [f"    {label}：{old}→{new}" for label, old, new in result.facts]
    if result.context:
        out.append("  背景：" + "；".join(result.context))
    if result.measures:
        out.append("  措施：")
        out += [f"    {m.line()}" for m in result.measures]
    if result.questions_added or result.questions_settled:
        out.append("  走访核实：")
        out += [f"    新增问题：{q}" for q in result.questions_added]
        out += [f"    已解决：{q}" for q in result.questions_settled]
    return out
