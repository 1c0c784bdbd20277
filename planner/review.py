"""Review before a version goes out: who approved or rejected which version, kept append-only.

Each enterprise folder may hold ``reviews.jsonl``: one JSON line per decision, appended and never
rewritten (version.json is written once and hashed, so decisions live beside it)::

    {"enterprise": "<credit code>", "version": 3, "plan_sha256": "<plan.json's hash in version.json>",
     "decision": "approved" | "rejected", "reviewer": "张三", "time": "<UTC ISO>",
     "note": "…" | "reason": "…"}

A decision applies to one version and to the exact bytes its version.json records for plan.json:
a decision whose hash is not that version's is not taken. The latest decision for a version wins;
approving a version approves no later one. Archiving a version into history/ moves only the
documents and version.json (planner.versions), so this file stays where it is. A damaged line is
reported with its file and line number and ignored.

Whether review is required is a setting of the output folder, ``DIR/planner-folder.yaml``::

    review: required      # or: off (the default: export and briefs take the latest version)
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
from dataclasses import dataclass
from pathlib import Path

import orjson

from planner.dates import local_time
from planner.exceptions import PlannerError
from planner.store import atomic_write
from planner.versions import HISTORY, Version, current_version, files_problem, read_meta, scan_versions

REVIEWS = "reviews.jsonl"
SETTINGS = "planner-folder.yaml"
DECISIONS = ("approved", "rejected")
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
_READ_FLAGS = os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
_ON = {"required", "on", "true", "yes", "需要", "必须"}
_OFF = {"off", "optional", "false", "no", "不需要", ""}
SETTINGS_TEXT = ("# planner 输出目录设置（planner approve DIR --require / --no-require 会改写本文件）\n"
                 "# review: required  导出和从输出目录打印简报时，只用审核通过的版本\n"
                 "# review: off       不需要审核，用最新版本（默认）\n"
                 "review: {value}\n")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Decision:
    enterprise: str
    version: int
    plan_sha256: str
    decision: str
    reviewer: str
    time: str
    text: str  # the note of an approval, the reason of a rejection


@dataclass(frozen=True)
class State:
    """A version's review state: pending, approved or rejected, and the decision that made it so."""

    status: str
    decision: Decision | None = None

    @property
    def label(self) -> str:
        d = self.decision
        if self.status == APPROVED:
            return f"已通过（{d.reviewer}，{local_time(d.time)}）"
        if self.status == REJECTED:
            return f"已退回（{d.reviewer}：{d.text}）"
        return "待审核"


class ReviewError(PlannerError):
    """A decision that cannot be recorded: no version to decide on, no reason, an unsafe file."""


# -- the folder setting ------------------------------------------------------------------------

def review_required(out_dir: Path) -> bool:
    """Whether ``out_dir`` requires an approved version before export and folder briefs."""
    import yaml

    path = Path(out_dir) / SETTINGS
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError) as exc:
        raise PlannerError(f"{path}：无法读取（{getattr(exc, 'strerror', None) or exc}）") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise PlannerError(f"{path}{where}：不是有效的 YAML") from None
    if data is None:
        return False
    if not isinstance(data, dict):
        raise PlannerError(f"{path}：应为“review: required”或“review: off”")
    for key in data:
        if key != "review":
            raise PlannerError(f"{path}：未知的设置“{key}”（只有 review）")
    value = data.get("review")
    word = ("on" if value else "off") if isinstance(value, bool) or value is None else str(value).strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    raise PlannerError(f"{path}：review 应为 required 或 off（现为“{value}”）")


def set_review_required(out_dir: Path, required: bool) -> Path:
    """Write the folder setting (atomically); returns the settings file."""
    path = Path(out_dir) / SETTINGS
    atomic_write(path, SETTINGS_TEXT.format(value="required" if required else "off"))
    return path


# -- reading and writing decisions -------------------------------------------------------------

def _parse(line: bytes) -> tuple[Decision | None, str | None]:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None, "不是完整的 JSON"
    if not isinstance(data, dict):
        return None, "不是 JSON 对象"
    checks = (("enterprise", lambda v: isinstance(v, str) and v), ("reviewer", lambda v: isinstance(v, str) and v.strip()),
              ("time", lambda v: isinstance(v, str)), ("decision", lambda v: v in DECISIONS),
              ("version", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1),
              ("plan_sha256", lambda v: isinstance(v, str) and _HEX64.match(v)))
    for key, check in checks:
        if key not in data:
            return None, f"缺少字段 {key}"
        if not check(data[key]):
            return None, f"字段 {key} 的值无效"
    text_key = "note" if data["decision"] == "approved" else "reason"
    text = data.get(text_key, "")
    if not isinstance(text, str) or (text_key == "reason" and not text.strip()):
        return None, f"字段 {text_key} 的值无效"
    return Decision(data["enterprise"], data["version"], data["plan_sha256"], data["decision"], data["reviewer"],
                    data["time"], text), None


def read_reviews(folder: Path) -> tuple[list[Decision], list[str]]:
    """The decisions of an enterprise folder, in the order they were made, and a note for each line
    that cannot be read (``FILE:LINE：…，已忽略``)."""
    folder = Path(folder)
    path = folder / REVIEWS
    try:
        fd = os.open(path, _READ_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return [], []
    except OSError as exc:
        return [], [f"{path}：无法读取审核记录（{exc.strerror or exc}），按无审核记录处理"]
    with os.fdopen(fd, "rb") as handle:
        data = handle.read()
    decisions, notes = [], []
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        decision, problem = _parse(line)
        if decision is not None and decision.enterprise != folder.name:
            decision, problem = None, f"记录的是另一家企业（{decision.enterprise}）"
        if decision is None:
            notes.append(f"{path}:{number}：审核记录已损坏（{problem}），已忽略该行")
        else:
            decisions.append(decision)
    return decisions, notes


def plan_hash(version: Version) -> str | None:
    """The SHA-256 of the version's plan.json as its version.json records it (None: an old one)."""
    sums = version.meta.get("sha256")
    return sums.get("plan.json") if isinstance(sums, dict) else None


def state_of(version: Version, decisions: list[Decision]) -> State:
    """The review state of ``version``: the latest decision made for it (its number and its bytes)."""
    sha = plan_hash(version)
    last = None
    for d in decisions:
        if d.version == version.number and d.plan_sha256 == sha:
            last = d
    if last is None:
        return State(PENDING)
    return State(APPROVED if last.decision == "approved" else REJECTED, last)


def record(folder: Path, version: Version, decision: str, reviewer: str, text: str = "") -> Decision:
    """Append one decision on ``version`` to ``folder``/reviews.jsonl (never rewriting a byte of it)."""
    folder = Path(folder)
    reviewer = (reviewer or "").strip()
    text = (text or "").strip()
    if not reviewer:
        raise ReviewError("请用 --reviewer 写明审核人", web="未写明审核人")
    if decision == "rejected" and not text:
        raise ReviewError("退回须用 --reason 写明理由", web="退回须写明理由")
    sha = plan_hash(version)
    if sha is None:
        said = "该版本的 version.json 没有校验值（由旧版本的工具写出），无法审核；"
        raise ReviewError(f"{version.path}：{said}请重新运行 planner generate",
                          web=f"第{version.number}版{said}请重新生成该企业的方案后再审核")
    if folder.is_symlink():
        raise ReviewError(f"{folder}：是符号链接，不予写入")
    entry = Decision(folder.name, version.number, sha, decision, reviewer, _now(), text)
    line = {"enterprise": entry.enterprise, "version": entry.version, "plan_sha256": entry.plan_sha256,
            "decision": decision, "reviewer": reviewer, "time": entry.time,
            ("note" if decision == "approved" else "reason"): text}
    payload = orjson.dumps(line) + b"\n"
    path = folder / REVIEWS
    try:
        fd = os.open(path, _APPEND_FLAGS, 0o644)
    except OSError as exc:
        raise ReviewError(f"{path}：无法写入审核记录（{exc.strerror or exc}）") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size:  # a line cut short (a full disk, a kill) must not swallow this one
            with open(path, "rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    payload = b"\n" + payload
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    return entry


# -- choosing the version that goes out --------------------------------------------------------

@dataclass
class Pick:
    """The version of one enterprise that export and folder briefs take, or why none."""

    version: Version | None = None
    plan: dict | None = None
    problem: str | None = None  # no whole version at all (damaged or missing)
    withheld: str | None = None  # versions there, none that may go out (pending or rejected)
    older: bool = False  # an earlier approved version, a newer one being pending or rejected
    newer: str = ""  # with ``older``: the newer version and its state (第2版已退回（王芳：…）)
    notes: tuple = ()  # damaged review lines
    top_plan: dict | None = None  # withheld: the latest version's plan (whom it is about, for filters)


def _plan_of(version: Version) -> dict | None:
    try:
        plan = orjson.loads((version.path / "plan.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return plan if isinstance(plan, dict) else None


def _archived(folder: Path, number: int) -> Version | None:
    path = folder / HISTORY / f"v{number}"
    if path.is_symlink() or (folder / HISTORY).is_symlink():
        return None
    try:
        meta = read_meta(path)
    except PlannerError:
        return None
    if meta is None or meta["version"] != number or files_problem(path, meta, deep=True) is not None:
        return None
    return Version(number, path, meta)


def pick(folder: Path, required: bool) -> Pick:
    """The version of ``folder`` that may go out: with review ``required``, the latest approved one
    (from history/ when a newer one is on top); without, the latest whole one unless it was rejected."""
    folder = Path(folder)
    version, problem = current_version(folder)
    if version is None:
        return Pick(problem=problem or "没有完整的版本")
    decisions, notes = read_reviews(folder)
    state = state_of(version, decisions)
    if state.status == APPROVED or (not required and state.status == PENDING):
        plan = _plan_of(version)
        if plan is None:
            return Pick(problem="plan.json 无法读取", notes=tuple(notes))
        return Pick(version, plan, notes=tuple(notes))
    if not required:
        return Pick(withheld=f"第{version.number}版{state.label}", notes=tuple(notes), top_plan=_plan_of(version))
    approved = sorted({d.version for d in decisions if d.version < version.number}, reverse=True)
    for number in approved:
        old = _archived(folder, number)
        if old is not None and state_of(old, decisions).status == APPROVED and (plan := _plan_of(old)) is not None:
            return Pick(old, plan, older=True, newer=f"第{version.number}版{state.label}", notes=tuple(notes))
    why = (f"第{version.number}版{state.label}，且没有更早的通过版本" if state.status == REJECTED
           else f"尚无审核通过的版本（第{version.number}版待审核）")
    return Pick(withheld=why, notes=tuple(notes), top_plan=_plan_of(version))


def withheld_line(withheld: list, required: bool, verb: str) -> str | None:
    """One line naming the enterprises left out for review: ``withheld`` as (code, name, why)."""
    from planner.textsafe import visible

    if not withheld:
        return None

    def who(code, name):
        return visible(f"{name}（{code}）" if name else code)

    pending = [who(code, name) for code, name, why in withheld if "已退回" not in why]
    rejected = [f"{who(code, name)}{visible(why)}" for code, name, why in withheld if "已退回" in why]
    parts = ([f"{'、'.join(pending)}尚无审核通过的版本"] if pending else []) + rejected
    return f"{len(withheld)}家企业未{verb}：" + "；".join(parts)


def older_lines(older: list, verb: str) -> list[str]:
    """What was taken instead of a newer version: ``older`` as (code, name, number taken, newer's state)."""
    from planner.textsafe import visible

    return [visible(f"{name}（{code}）" if name else code) + f"{visible(newer)}，{verb}其第{number}版（已通过）"
            for code, name, number, newer in older]


def find_version(folder: Path, number: int | None) -> Version:
    """The latest whole version of ``folder``, or version ``number`` of it; ReviewError if none."""
    folder = Path(folder)
    if number is None:
        version, problem = current_version(folder)
        if version is None:
            raise ReviewError(f"{folder}：{problem or '没有方案版本（应为 planner generate 写出的 输出目录/<统一社会信用代码>）'}",
                              web=problem or "该企业没有方案版本")
        return version
    found, _ = scan_versions(folder)
    for version in found:
        if version.number == number:
            return version
    raise ReviewError(f"{folder}：没有完整的第{number}版（现有：{'、'.join(f'第{v.number}版' for v in found) or '无'}）")


@dataclass
class FolderApproval:
    approved: list  # credit codes approved now
    already: list  # latest version approved before
    rejected: list  # latest version rejected: left as it is
    broken: list  # (credit code, why): no whole version
    notes: list


def approve_folder(out_dir: Path, reviewer: str, note: str = "") -> FolderApproval:
    """Approve the latest version of every enterprise of ``out_dir`` that is pending."""
    from planner.briefbook import enterprise_folders

    result = FolderApproval([], [], [], [], [])
    if not (reviewer or "").strip():
        raise ReviewError("请用 --reviewer 写明审核人")
    for sub in enterprise_folders(out_dir):
        version, problem = current_version(sub)
        if version is None:
            result.broken.append((sub.name, problem or "没有完整的版本"))
            continue
        decisions, notes = read_reviews(sub)
        result.notes += notes
        status = state_of(version, decisions).status
        if status == APPROVED:
            result.already.append(sub.name)
        elif status == REJECTED:
            result.rejected.append(sub.name)
        else:
            record(sub, version, "approved", reviewer, note)
            result.approved.append(sub.name)
    return result
