"""What a run changed: every enterprise with a new version, one line each.

Each generate run appends one line to ``DIR/.planner-runs.jsonl`` when it ends (its time and the
version each enterprise got), so "the last run" is what that run wrote, not a guess from times.
``changes`` lists those versions, or every version generated since a local date: the enterprise,
old → new version number, what triggered it, the one-line meaning (version.json ``summary``) and
the review state (planner.review).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from planner.dates import cn_date, local_time, local_zone
from planner.exceptions import PlannerError, Said
from planner.review import read_reviews, state_of
from planner.store import atomic_write
from planner.versions import HISTORY, DamagedVersion, Version, read_meta

RUNS = ".planner-runs.jsonl"
HEADER = ("企业名称", "统一社会信用代码", "版本", "触发原因", "变化概要", "审核状态", "生成时间")
WIDTHS = (30, 21, 10, 18, 60, 30, 18)
_VERSION_DIR = re.compile(r"^v(\d+)$")
_APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def record_run(out_dir: Path, written: list, started: dt.datetime | None = None) -> dict:
    """Append the run that just ended to ``out_dir``/.planner-runs.jsonl: its id, times and the
    version number each enterprise of ``written`` now has. Returns the line written."""
    out_dir = Path(out_dir)
    versions = {}
    for enterprise_id in written:
        try:
            meta = read_meta(out_dir / enterprise_id)
        except DamagedVersion:
            continue
        if meta is not None:
            versions[enterprise_id] = meta["version"]
    finished = _now()
    line = {"run": uuid.uuid4().hex[:12], "started": (started or finished).isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"), "versions": versions}
    fd = os.open(out_dir / RUNS, _APPEND_FLAGS, 0o644)
    try:
        os.write(fd, orjson.dumps(line) + b"\n")
    finally:
        os.close(fd)
    return line


def last_run(out_dir: Path) -> tuple[dict | None, list[str]]:
    """The most recent run recorded in ``out_dir`` (None when none) and a note per damaged line."""
    path = Path(out_dir) / RUNS
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, []
    except OSError as exc:
        raise PlannerError(f"{path}：无法读取运行记录（{exc.strerror or exc}）") from None
    latest, notes = None, []
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            run = orjson.loads(line)
            ok = (isinstance(run, dict) and isinstance(run.get("finished"), str)
                  and isinstance(run.get("versions"), dict)
                  and all(isinstance(n, int) and n >= 1 for n in run["versions"].values()))
        except orjson.JSONDecodeError:
            ok = False
        if not ok:
            notes.append(Said(f"{path}:{number}：运行记录已损坏，已忽略该行", f"运行记录第{number}行已损坏，已忽略该行"))
            continue
        latest = run
    return latest, notes


@dataclass
class Change:
    id: str
    name: str
    old: int | None
    new: int
    trigger: list
    summary: str
    state: str
    generated: str

    @property
    def versions(self) -> str:
        """第1版→第2版 (新建→第1版 for an enterprise new in the run), as every other list writes versions."""
        return f"第{self.old}版→第{self.new}版" if self.old else f"新建→第{self.new}版"


@dataclass
class Changes:
    title: str  # which versions: 最近一次运行（…） / 2022年6月15日以来
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def _numbers(folder: Path) -> dict[int, Path]:
    """Every version folder of an enterprise by number: history/v<N> and the top."""
    found = {}
    history = folder / HISTORY
    if history.is_dir() and not history.is_symlink():
        for entry in os.scandir(history):
            m = _VERSION_DIR.match(entry.name)
            if m and entry.is_dir(follow_symlinks=False):
                found[int(m.group(1))] = Path(entry.path)
    return found


def _versions(folder: Path, notes: list) -> dict[int, Version]:
    """The versions of ``folder`` by number, from their version.json files (the top's wins for its
    number); a damaged version.json is noted and left out."""
    found = {}
    for number, path in sorted(_numbers(folder).items()) + [(None, folder)]:
        try:
            meta = read_meta(path)
        except DamagedVersion as exc:
            notes.append(exc.format_message())
            continue
        if meta is not None and (number is None or meta["version"] == number):
            found[meta["version"]] = Version(meta["version"], path, meta)
    return found


def _name(version: Version) -> str:
    listing = version.meta.get("listing")
    if isinstance(listing, dict) and listing.get("name"):
        return str(listing["name"])
    try:
        return str(orjson.loads((version.path / "plan.json").read_bytes())["enterprise"]["name"])
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return ""


def _change(folder: Path, found: dict[int, Version], first: int, last: int, notes: list, kb) -> Change:
    from planner.diff import shown_summary

    decisions, damaged = read_reviews(folder)
    notes += damaged
    newest = found[last]
    chosen = [found[n] for n in sorted(found) if first <= n <= last]
    trigger = []
    for v in chosen:
        trigger += [t for t in v.meta["trigger"] if t not in trigger]
    old = max((n for n in set(found) | set(_numbers(folder)) if n < first), default=None)
    return Change(folder.name, _name(newest), old, last, trigger, shown_summary(newest, found.get(last - 1), kb),
                  state_of(newest, decisions).label, local_time(newest.meta["generated"]))


def collect(out_dir: Path, since: dt.date | None = None, kb=None) -> Changes:
    """The new versions of ``out_dir``: those of the last run, or (``since``) every version
    generated on or after that local date, one Change per enterprise. ``kb``: the KnowledgeBase
    a stale summary of an older planner is recomputed with (planner.diff.shown_summary; default
    the bundled sectors, loaded only if one is)."""
    from planner.briefbook import enterprise_folders

    kb = kb if kb is not None else _bundled_kb

    out_dir = Path(out_dir)
    if since is None:
        run, notes = last_run(out_dir)
        if run is None:
            what = f"运行记录均已损坏（{'；'.join(notes)}）" if notes else f"没有运行记录（{RUNS}）"
            web = ("运行记录已损坏，无法确定最近一次生成；再生成一次后，这里列出那次生成的新版本" if notes
                   else "还没有生成记录：上传名单并生成方案后，这里列出最近一次生成的新版本")
            raise PlannerError(f"{out_dir}：{what}，无法确定最近一次运行；请用 --since 日期 列出某日以来的新版本", web=web)
        result = Changes(f"最近一次运行（{local_time(run['finished'])}）", notes=notes)
        for enterprise_id, number in sorted(run["versions"].items()):
            folder = out_dir / enterprise_id
            if not folder.is_dir() or folder.is_symlink():
                result.notes.append(Said(f"{folder}：企业文件夹已不存在", f"{enterprise_id}：企业文件夹已不存在"))
                continue
            found = _versions(folder, result.notes)
            if number not in found:
                result.notes.append(Said(f"{folder}：第{number}版已不存在或无法读取",
                                         f"{enterprise_id}：第{number}版已不存在或无法读取"))
                continue
            result.rows.append(_change(folder, found, number, number, result.notes, kb))
        return result
    result = Changes(f"{cn_date(since)}以来")
    zone = local_zone()
    for folder in enterprise_folders(out_dir):
        found = _versions(folder, result.notes)
        recent = []
        for n, v in found.items():
            try:
                moment = dt.datetime.fromisoformat(v.meta["generated"])
            except ValueError:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)
            if moment.astimezone(zone).date() >= since:
                recent.append(n)
        if recent:
            result.rows.append(_change(folder, found, min(recent), max(recent), result.notes, kb))
    return result


def _bundled_kb():
    from planner import knowledge
    from planner.resources import bundled

    return knowledge.load(bundled("sectors"))


def _cells(row: Change) -> tuple:
    return (row.name, row.id, row.versions, "、".join(row.trigger), row.summary, row.state, row.generated)


def headline(changes: Changes) -> str:
    if not changes.rows:
        return f"{changes.title}没有企业生成新版本"
    return f"{changes.title}：{len(changes.rows)}家企业有新版本"


def as_terminal(changes: Changes) -> str:
    from planner.textsafe import visible

    lines = [headline(changes)]
    for row in changes.rows:  # one line each, read across: who, which versions, why, where it stands, what
        lines.append(visible(f"{row.name}（{row.id}）　{row.versions}　{'、'.join(row.trigger)}　〔{row.state}〕　"
                             f"{row.summary}（生成于{row.generated}）"))
    return "\n".join(lines) + "\n"


def as_markdown(changes: Changes) -> str:
    from planner.render import md_escape

    lines = ["# 新版本清单", "", md_escape(headline(changes)), ""]
    if changes.rows:
        lines += ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
        lines += ["| " + " | ".join(md_escape(c) or "—" for c in _cells(row)) + " |" for row in changes.rows]
    return "\n".join(lines) + "\n"


def as_xlsx(changes: Changes) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment

    from planner.records.problems import put_header, put_text

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "新版本"
    top = Alignment(vertical="top", wrap_text=True)
    put_header(sheet, HEADER, WIDTHS, freeze="C2")
    for r, row in enumerate(changes.rows, 2):
        for c, value in enumerate(_cells(row), 1):
            put_text(sheet.cell(row=r, column=c), value, top)
    sheet.auto_filter.ref = f"A1:{openpyxl.utils.get_column_letter(len(HEADER))}{len(changes.rows) + 1}"
    book.properties.title = f"新版本清单：{headline(changes)}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(changes: Changes, fmt: str, target: Path) -> Path:
    """Write the list to ``target`` as Markdown or xlsx, atomically."""
    atomic_write(Path(target), as_markdown(changes).encode("utf-8") if fmt == "md" else as_xlsx(changes))
    return Path(target)

