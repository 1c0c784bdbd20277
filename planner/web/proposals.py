"""A proposed profile edit uploaded by a reviewer as a zip, and its impact on the output folder.

The zip holds an edited ``sectors/`` folder and/or ``templates/`` folder (at its top, or under one
folder that holds them), or the files of a sectors folder at its top. Its files replace the
current ones of the same name; the rest stay as they are (a zip of the one file changed is
enough). It is read, never unpacked as it says: at most MAX_ZIP long, MAX_FILES files of at most
MAX_FILE each and MAX_UNPACKED in all (counted as read, not as the zip claims), no absolute path,
no ``..``, no link, no subfolder inside sectors/ or templates/, no encrypted entry, only
.yaml/.txt/.md sector files and .j2/.css/.yaml/.md template files, UTF-8 text. Hidden entries
(``.DS_Store``, ``__MACOSX/``) are passed over and said so.

    DATA/uploads/<token>.zip            the upload, under a generated name
    DATA/proposals/<token>/sectors/     the current tree with the zip's sector files over it
    DATA/proposals/<token>/templates/   the zip's template files (the bundled ones fill the rest)
    DATA/proposals/<token>/report.json  who, when, the client's file name, and the report as data,
                                        or the Chinese error of a broken profile (file and line)

The impact is planner impact's (planner.impact), run over the enterprises of the output folder
as their current versions' plan.json hold them, each matched under both trees as of one date;
with templates, the plans and briefs are also rendered under both template sets, and the
enterprises whose text would read differently are listed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import shutil
import stat
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from planner.dates import today
from planner.store import atomic_write
from planner.web.uploads import Kind, UploadRefused, size_text

MAX_ZIP = 5 * 1024 * 1024
MAX_FILE = 2 * 1024 * 1024
MAX_UNPACKED = 20 * 1024 * 1024
MAX_FILES = 300
MAX_ERROR_LINES = 40
SECTOR_SUFFIXES = (".yaml", ".txt", ".md")
TEMPLATE_SUFFIXES = (".j2", ".css", ".yaml", ".md")
FOLDERS = {"sectors": SECTOR_SUFFIXES, "templates": TEMPLATE_SUFFIXES}
NAME = re.compile(r"^[\w][\w.-]*$")
TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _check_zip(path: Path) -> None:
    if not zipfile.is_zipfile(path):
        raise UploadRefused("文件不是有效的 zip 压缩包；请把修改后的 sectors 文件夹（或 templates 文件夹）压缩为 .zip 后上传")


ZIP = Kind((".zip",), "请上传 zip 压缩包（修改后的 sectors 文件夹和/或 templates 文件夹）",
           "压缩包中只需放入改动的文件", max_bytes=MAX_ZIP, check=_check_zip, empty="没有修改的措施库文件")


def limits_text() -> str:
    return (f"压缩包不超过{size_text(MAX_ZIP)}，最多{MAX_FILES}个文件，每个不超过{size_text(MAX_FILE)}；"
            f"措施库文件为 .yaml、.txt、.md，模板文件为 .j2、.css、.yaml、.md。")


@dataclass
class Unpacked:
    """The files of a proposal zip: folder (sectors or templates) → file name → bytes."""

    files: dict = field(default_factory=lambda: {"sectors": {}, "templates": {}})
    ignored: list = field(default_factory=list)  # hidden entries passed over


def _unsafe(name: str) -> bool:
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    return any(part in ("", ".", "..") for part in name.rstrip("/").split("/"))


def read_zip(path: Path) -> Unpacked:
    """The proposal's files, checked as the module says; UploadRefused (Chinese) otherwise."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise UploadRefused("文件不是有效的 zip 压缩包") from None
    found = Unpacked()
    entries = []
    with book:
        infos = book.infolist()
        if len(infos) > MAX_FILES:
            raise UploadRefused(f"压缩包中有{len(infos)}个条目，超过{MAX_FILES}个的上限")
        for info in infos:
            name = info.filename
            if _unsafe(name):
                raise UploadRefused(f"压缩包中的“{name}”路径不安全（绝对路径、“..”或反斜杠），未读取")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UploadRefused(f"压缩包中的“{name}”是符号链接，未读取；请只放入普通文件")
            if info.flag_bits & 0x1:
                raise UploadRefused(f"压缩包中的“{name}”已加密，无法读取")
            parts = PurePosixPath(name).parts
            if any(p.startswith(".") or p == "__MACOSX" for p in parts):
                found.ignored.append(name)
                continue
            if info.is_dir():
                continue
            entries.append((parts, info))
        if not entries:
            raise UploadRefused("压缩包中没有文件")
        # one folder around everything (proposal/ holding sectors/, or a sectors folder of another name)
        tops = {parts[0] for parts, _ in entries}
        strip = (len(tops) == 1 and all(len(parts) > 1 for parts, _ in entries) and not tops & set(FOLDERS))
        total = 0
        for parts, info in entries:
            shown = "/".join(parts)
            inner = parts[1:] if strip else parts
            if len(inner) == 1:
                folder, leaf = "sectors", inner[0]
            elif len(inner) == 2 and inner[0] in FOLDERS:
                folder, leaf = inner
            else:
                raise UploadRefused(f"压缩包中的“{shown}”不在 sectors/ 或 templates/ 文件夹的第一层；"
                                    f"措施库和模板都不读取子文件夹")
            suffix = PurePosixPath(leaf).suffix.lower()
            if suffix not in FOLDERS[folder]:
                raise UploadRefused(f"压缩包中的“{shown}”不是{folder}/中可用的文件（只接受"
                                    f"{'、'.join(FOLDERS[folder])}文件）")
            if not NAME.match(leaf):
                raise UploadRefused(f"压缩包中的文件名“{shown}”含有不能用于文件名的字符")
            if info.file_size > MAX_FILE:
                raise UploadRefused(f"压缩包中的“{shown}”超过{size_text(MAX_FILE)}的上限")
            data = bytearray()
            try:
                with book.open(info) as handle:
                    while chunk := handle.read(64 * 1024):
                        data += chunk
                        total += len(chunk)
                        if len(data) > MAX_FILE:
                            raise UploadRefused(f"压缩包中的“{shown}”超过{size_text(MAX_FILE)}的上限")
                        if total > MAX_UNPACKED:
                            raise UploadRefused(f"压缩包解压后超过{size_text(MAX_UNPACKED)}的上限，未读取")
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
                raise UploadRefused(f"压缩包中的“{shown}”已损坏或使用了不支持的压缩方式，无法读取") from None
            try:
                bytes(data).decode("utf-8")
            except UnicodeDecodeError as exc:
                line = bytes(data[:exc.start]).count(b"\n") + 1
                raise UploadRefused(f"{folder}/{leaf} 第{line}行：不是 UTF-8 编码的文本；请用 UTF-8 保存") from None
            if leaf in found.files[folder]:
                raise UploadRefused(f"压缩包中有两个 {folder}/{leaf}")
            found.files[folder][leaf] = bytes(data)
    if not found.files["sectors"] and not found.files["templates"]:
        raise UploadRefused("压缩包中没有措施库或模板文件")
    return found


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def proposals_folder(root: Path) -> Path:
    folder = Path(root) / "proposals"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def lay_out(root: Path, token: str, unpacked: Unpacked, current_sectors: Path) -> Path:
    """DATA/proposals/<token>/ with the proposed sectors/ (the current tree, the zip's files over
    it) and templates/ (the zip's files only)."""
    target = proposals_folder(root) / token
    target.mkdir(mode=0o700)
    sectors = target / "sectors"
    shutil.copytree(current_sectors, sectors, symlinks=False,
                    ignore=shutil.ignore_patterns(".*", "__pycache__", "*.py", "*.pyc"))
    for name, data in unpacked.files["sectors"].items():
        (sectors / name).unlink(missing_ok=True)
        _write_new(sectors / name, data)
    templates = target / "templates"
    templates.mkdir(mode=0o700)
    for name, data in unpacked.files["templates"].items():
        _write_new(templates / name, data)
    return target


# --- the records of the output folder ---------------------------------------------------------


def output_records(output: Path) -> tuple[list, Counter]:
    """The enterprises of the output folder as records (from their current version's plan.json),
    and how many current versions are of each as-of date."""
    from planner.briefbook import enterprise_folders
    from planner.records import Record
    from planner.versions import current_version

    records, dates = [], Counter()
    if not Path(output).is_dir():
        return records, dates
    for sub in enterprise_folders(output):
        version, _ = current_version(sub)
        if version is None:
            continue
        try:
            plan = json.loads((version.path / "plan.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        facts = plan.get("enterprise") if isinstance(plan, dict) else None
        if not isinstance(facts, dict) or not isinstance(facts.get("id"), str):
            continue
        derived = facts.get("derived") if isinstance(facts.get("derived"), dict) else {}
        given = {k: v for k, v in facts.items() if k != "derived" and k not in derived}
        records.append(Record(given, f"{sub.name}/plan.json"))
        if isinstance(version.meta.get("as_of"), str):
            dates[version.meta["as_of"]] += 1
    return records, dates


# --- running the impact -------------------------------------------------------------------------


class ProfileBroken(Exception):
    """The proposed profile or templates cannot be loaded: the message names file and line."""


def _shown(message: str, target: Path) -> str:
    """A loader's message with the proposal's folders named as the reviewer knows them."""
    from planner.yamlio import display_path

    for sub in ("sectors", "templates"):
        for form in (str(target / sub), display_path(target / sub), str((target / sub).resolve())):
            message = message.replace(form + os.sep, f"{sub}/").replace(form, sub)
    lines = message.splitlines()
    if len(lines) > MAX_ERROR_LINES:
        lines = lines[:MAX_ERROR_LINES] + [f"……另有{len(lines) - MAX_ERROR_LINES}条问题未列出"]
    return "\n".join(lines)


def _check_templates(templates, names) -> None:
    import jinja2

    for name in sorted(names):
        if not name.endswith(".j2"):
            continue
        env = templates.html_env if name.endswith((".html.j2", ".svg.j2")) else templates.markdown_env
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise ProfileBroken(f"templates/{name} 第{exc.lineno}行：模板语法错误（{exc.message}）") from None


def run(target: Path, output: Path, kb, current_sectors: Path, as_of: dt.date | None) -> dict:
    """The impact of the proposal at ``target`` on ``output``: the report as data (see
    impact_output.report_context, plus ``documents``). ProfileBroken for a profile that does not load."""
    from planner import knowledge
    from planner.exceptions import PlannerError
    from planner.generate import Renderer
    from planner.impact import impact_of, tree_changes
    from planner.impact_output import report_context
    from planner.render import Templates

    sectors, templates_dir = target / "sectors", target / "templates"
    uploaded_templates = sorted(p.name for p in templates_dir.iterdir())
    try:
        proposed = knowledge.load(sectors)
        new_templates = Templates.from_option(templates_dir if uploaded_templates else None)
        _check_templates(new_templates, uploaded_templates)
    except PlannerError as exc:
        raise ProfileBroken(_shown(exc.format_message(), target)) from None
    records, dates = output_records(output)
    if as_of is None:
        as_of = (dt.date.fromisoformat(min(dates, key=lambda d: (-dates[d], d))) if dates else today())
    changes = tree_changes(current_sectors, sectors)
    if uploaded_templates:
        from planner.impact import _text_changes

        bundled = Templates.from_option(None).dirs[-1]
        for name in uploaded_templates:
            old = bundled / name
            if not old.is_file():
                changes.append(_template_change(name, "added"))
            elif old.read_bytes() != (templates_dir / name).read_bytes():
                changes += [_renamed(c, f"templates/{name}") for c in _text_changes(name, old, templates_dir / name)]
    documents = []
    each = None
    if uploaded_templates:
        old_renderer, new_renderer = Renderer(kb, Templates.from_option(None)), Renderer(proposed, new_templates)

        def each(record, old_plan, new_plan):
            old, new = old_renderer.render(old_plan), new_renderer.render(new_plan)
            differs = [(label, _changed_lines(a, b)) for label, a, b in
                       (("帮扶方案", old.plan_md, new.plan_md), ("走访简报", old.brief_md, new.brief_md))]
            differs = [(label, n) for label, n in differs if n]
            if differs:
                documents.append({"name": record.name, "id": record.id,
                                  "changes": "；".join(f"{label}{n}行不同" for label, n in differs)})
    try:
        report = impact_of(records, kb, proposed, as_of, changes, each)
    except PlannerError as exc:  # a template that parses but fails on a plan: its file and line
        raise ProfileBroken(_shown(exc.format_message(), target)) from None
    context = report_context(report, {"base": "现行措施库", "proposed": "上传的修改稿", "records": "输出目录中的企业"})
    context["documents"] = documents
    context["templates"] = uploaded_templates
    return context


def _template_change(name: str, kind: str):
    from planner.impact import ProfileChange

    return ProfileChange(f"templates/{name}", "", kind)


def _renamed(change, name: str):
    from planner.impact import ProfileChange

    return ProfileChange(name, change.key, change.kind, change.old, change.new)


def _changed_lines(a: str, b: str) -> int:
    if a == b:
        return 0
    return sum(1 for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---")))


# --- the stored result ----------------------------------------------------------------------------


def save(target: Path, meta: dict) -> None:
    atomic_write(target / "report.json", json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))


def load(root: Path, token: str) -> dict | None:
    if not TOKEN.match(token):
        return None
    try:
        meta = json.loads((Path(root) / "proposals" / token / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def recent(root: Path, most: int = 20) -> list[dict]:
    folder = Path(root) / "proposals"
    if not folder.is_dir():
        return []
    found = [meta for meta in (load(root, sub.name) for sub in folder.iterdir() if sub.is_dir()) if meta]
    return sorted(found, key=lambda m: m.get("at", ""), reverse=True)[:most]
