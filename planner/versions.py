"""Plan versions: the latest at the top of an enterprise's folder, every earlier one kept.

Layout of one enterprise's folder::

    DIR/<id>/帮扶方案.pdf, 走访简报.pdf                             the latest version: what people open
             (帮扶方案.docx, 走访简报.docx with --format docx)
             plan.md, plan.json, brief.md                          and what tools read
    DIR/<id>/version.json                                          what made it (written last)
    DIR/<id>/history/v1/ ... v<N-1>/                               every earlier version
    DIR/<id>/history/damaged-<k>/                                  a top whose version.json was unreadable

Before a new version is written, the current one is archived whole into ``history/v<N>/``
(hard links, so no data is copied; a new file always replaces, never rewrites, so the archive
keeps the old bytes). Every file is written to a temporary file and renamed; ``version.json``
comes last and records each file's size and SHA-256, so a version is current only when every
one of its files matches: a run stopped while replacing the files (a full disk, a kill) leaves
a top that no reader trusts and that the next run makes again, while the archive still holds
the previous version whole. A run holds a lock on DIR.

Checking a file costs a stat, not a read: ``version.json`` also records the inode and
modification time each file had when it was written, and a file whose size, inode and time all
match is the file that was hashed (a file changed in place gets a new time; one copied or
restored from a backup gets a new inode and is hashed again). Readers of the archive (history,
diff) always hash.

Links inside the tree are never followed: an enterprise folder, its ``history`` folder or an
archived version that is a symbolic link is refused, for that enterprise only; ``version.json``
is opened without following a link; documents are replaced, never written through a link.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import os
import re
import shutil
import stat
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from planner.exceptions import PlannerError
from planner.store import TMP_SUFFIX, atomic_write

HISTORY = "history"
META = "version.json"
LOCK = ".planner.lock"
# What people open has a Chinese name; the files tools read keep theirs.
PLAN_PDF, BRIEF_PDF, PLAN_DOCX, BRIEF_DOCX = "帮扶方案.pdf", "走访简报.pdf", "帮扶方案.docx", "走访简报.docx"
DOCUMENTS = ("plan.md", "plan.json", "brief.md", PLAN_PDF, BRIEF_PDF, PLAN_DOCX, BRIEF_DOCX)
# The names those documents had before (an output folder made by an earlier planner): archived with
# the version that has them, and removed from the top when a version without them is written.
FORMER_NAMES = ("plan.pdf", "brief.pdf", "plan.docx", "brief.docx")
RENAMED = dict(zip(FORMER_NAMES, (PLAN_PDF, BRIEF_PDF, PLAN_DOCX, BRIEF_DOCX)))
TRIGGERS = {"record": "企业记录变化", "profiles": "措施库变化", "templates": "模板变化", "as_of": "基准日变化",
            "requests": "诉求变化"}  # requests: only in the inputs of an enterprise with requests in the ledger
DAMAGED_TRIGGER = "版本信息损坏"
_VERSION_DIR = re.compile(r"^v(\d+)$")
_DAMAGED_DIR = re.compile(r"^damaged-(\d+)$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_READ_FLAGS = os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


class DamagedVersion(PlannerError):
    """A version.json that cannot be trusted: unreadable, not JSON, or not what planner writes."""

    def __init__(self, path: Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}：版本信息已损坏（{reason}）")


class UnsafeLink(PlannerError):
    """A folder of the output tree that is a symbolic link: writing through it would leave --out."""

    def __init__(self, path: Path):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        super().__init__(f"{path}：是符号链接（指向 {target}），不会跟随它写到输出目录之外；该企业本次未生成。"
                         f"请删除该链接或换成真实文件夹后再次运行")


@dataclass
class Version:
    """One version of one enterprise's documents: the latest (at the top) or an archived one."""

    number: int
    path: Path
    meta: dict

    @property
    def inputs(self) -> dict:
        return self.meta.get("inputs", {})


@dataclass
class Damage:
    """A version that cannot be read or whose files do not match it: which one (if known) and why."""

    number: int | None
    message: str


# The templates that make a plan or a brief (plan*.md.j2 and brief*.md.j2 with their per-sector
# variants, the HTML page, the print, plan, brief and font stylesheets, the Word documents' wording):
# a change to one of them is a new version; a diff, summary or impact template is not.
_DOCUMENT_TEMPLATES = re.compile(r"^(?:(?:plan|brief)[^/]*\.(?:j2|css)|document\.html\.j2|print\.css|fonts\.css|docx\.yaml)$")


def is_document_template(name: str) -> bool:
    return bool(_DOCUMENT_TEMPLATES.match(name))


def templates_digest(dirs: list[Path]) -> str:
    """A hash of every template and stylesheet on the search path that reaches a plan or a brief,
    in search order."""
    h = hashlib.sha256()
    for folder in dirs:
        for path in sorted(Path(folder).glob("*")):
            if path.is_file() and is_document_template(path.name):
                h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")  # not the path: a copy is the same
    return h.hexdigest()[:16]


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, never through a symbolic link (ELOOP then)."""
    fd = os.open(path, _READ_FLAGS)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_text_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_int(value, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


# (key, check, what it should be): what planner writes; a version.json that differs is damaged.
_FIELDS = (
    ("version", lambda v: _is_int(v, 1), "正整数"),
    ("generated", lambda v: isinstance(v, str), "文本"),
    ("as_of", lambda v: isinstance(v, str), "文本"),
    ("inputs", lambda v: isinstance(v, dict), "对象"),
    ("formats", _is_text_list, "文本列表"),
    ("trigger", _is_text_list, "文本列表"),
    ("summary", lambda v: isinstance(v, str), "文本"),
    ("sizes", lambda v: isinstance(v, dict) and all(_is_int(n, 0) for n in v.values()), "文件名到字节数的对象"),
)
_OPTIONAL = (  # absent from version.json files written before hashes were recorded
    ("sha256", lambda v: isinstance(v, dict) and all(isinstance(h, str) and _HEX64.match(h) for h in v.values()),
     "文件名到 SHA-256 校验值的对象"),
    ("listing", lambda v: isinstance(v, dict), "对象"),
    ("stat", lambda v: isinstance(v, dict) and all(isinstance(s, list) and len(s) == 2 and all(_is_int(n, 0) for n in s)
                                                   for s in v.values()), "文件名到 [inode, 修改时间] 的对象"),
)


def meta_problem(data: bytes) -> tuple[dict | None, str | None]:
    """The version.json ``data`` parsed, or what is wrong with it (in Chinese)."""
    if not data.strip():
        return None, "文件为空"
    try:
        meta = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if exc.pos >= len(data.rstrip()):
            return None, "JSON 不完整"
        return None, f"JSON 格式错误（第{exc.lineno}行第{exc.colno}列）"
    if not isinstance(meta, dict):
        return None, "内容不是 JSON 对象"
    for key, check, what in _FIELDS:
        if key not in meta:
            return None, f"缺少字段 {key}"
        if not check(meta[key]):
            return None, f"字段 {key} 应为{what}"
    for key, check, what in _OPTIONAL:
        if key in meta and not check(meta[key]):
            return None, f"字段 {key} 应为{what}"
    if "sha256" in meta and set(meta["sha256"]) != set(meta["sizes"]):
        return None, "字段 sha256 与 sizes 列出的文件不一致"
    return meta, None


def read_meta(folder: Path) -> dict | None:
    """The version.json of ``folder``; None when there is none. Raises DamagedVersion when it
    cannot be trusted (unreadable, a symbolic link, not JSON, a key missing or of the wrong type)."""
    path = Path(folder) / META
    try:
        data = _read_bytes(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise DamagedVersion(path, "是符号链接，不予读取" if exc.errno == errno.ELOOP
                             else f"无法读取：{exc.strerror or exc}") from None
    meta, problem = meta_problem(data)
    if problem:
        raise DamagedVersion(path, problem)
    return meta


def files_problem(folder: Path, meta: dict, names=None, deep: bool = False, strict: bool = False) -> str | None:
    """What keeps the files of ``folder`` from being the version ``meta`` describes, or None.

    ``names``: the files to check (default: every file the version has). ``deep``: hash every
    file (else a file whose size, inode and modification time are those recorded at write time
    counts as verified). ``strict``: a version.json without hashes (an older planner's) does
    not pass; otherwise its files are trusted by their sizes.
    """
    base = os.fspath(folder)  # plain strings: this runs for every file of every enterprise on a rerun
    sizes = meta["sizes"]
    sums = meta.get("sha256")
    marks = meta.get("stat") or {}
    if sums is None and strict:
        return "version.json 没有校验值（由旧版本的工具写出）"
    for name in sizes if names is None else names:
        if name not in sizes:
            return f"version.json 未记录 {name}"
        path = os.path.join(base, name)
        try:
            status = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return f"缺少 {name}"
        if stat.S_ISLNK(status.st_mode):
            return f"{name} 是符号链接"
        if not stat.S_ISREG(status.st_mode) or status.st_size != sizes[name]:
            return f"{name} 的大小与 version.json 记录的不符"
        if sums is None or (not deep and marks.get(name) == [status.st_ino, status.st_mtime_ns]):
            continue
        try:
            if _sha256(_read_bytes(path)) != sums[name]:
                return f"{name} 的内容与 version.json 记录的校验值不符"
        except OSError as exc:
            return f"{name} 无法读取：{exc.strerror or exc}"
    return None


def wanted(formats: tuple) -> list[str]:
    """The documents a version made in ``formats`` has: always the Markdown and JSON, then a
    plan and a brief in each other format asked for (pdf, docx)."""
    return [n for n in DOCUMENTS if n.rsplit(".", 1)[1] in ("md", "json") + tuple(formats)]


def is_complete(folder: Path, meta: dict, formats: tuple) -> bool:
    """Whether the top of ``folder`` holds the version ``meta`` describes, in every wanted format:
    every file there, with the size and content recorded. A version.json without hashes (written
    by an older planner) is not complete: its files cannot be told from a mixed set, so that
    enterprise is made once more (and keeps its number when the result is the same)."""
    return files_problem(folder, meta, wanted(formats), strict=True) is None


def _real_dir(path: Path) -> bool:
    """Whether ``path`` is a folder and not a link to one (False when absent); UnsafeLink if a link."""
    try:
        status = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    if stat.S_ISLNK(status.st_mode):
        raise UnsafeLink(path)
    return stat.S_ISDIR(status.st_mode)


def _numbered(history: Path, pattern: re.Pattern) -> dict[int, os.DirEntry]:
    try:
        entries = list(os.scandir(history))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    return {int(m.group(1)): e for e in entries if (m := pattern.match(e.name))}


def scan_versions(folder: Path) -> tuple[list[Version], list[Damage]]:
    """Every version of an enterprise folder that can be trusted, oldest first (the last is the
    latest), and those that cannot, each named with its file and what is wrong. Every file of
    every version is hashed against its version.json (old version.json files without hashes are
    trusted by their sizes)."""
    folder = Path(folder)
    history = folder / HISTORY
    found: dict[int, Version] = {}
    damaged: list[Damage] = []
    try:
        archived = _numbered(history, _VERSION_DIR) if _real_dir(history) else {}
    except UnsafeLink:
        archived = {}
        damaged.append(Damage(None, f"{history}：是符号链接，不予读取"))
    for number in sorted(archived):
        path = history / archived[number].name
        if archived[number].is_symlink():
            damaged.append(Damage(number, f"{path}：是符号链接，不予读取"))
            continue
        try:
            meta = read_meta(path)
        except DamagedVersion as exc:
            damaged.append(Damage(number, exc.format_message()))
            continue
        if meta is None:
            continue  # not a version folder
        problem = files_problem(path, meta, deep=True) if meta["version"] == number else (
            f"version.json 记录的是第{meta['version']}版")
        if problem:
            damaged.append(Damage(number, f"{path}：第{number}版的文件已损坏（{problem}）"))
        else:
            found[number] = Version(number, path, meta)
    try:
        latest = read_meta(folder)
    except DamagedVersion as exc:
        latest = None
        damaged.append(Damage(None, exc.format_message()))
    if latest is not None:
        number = latest["version"]
        problem = files_problem(folder, latest, deep=True)
        if problem is None:
            found[number] = Version(number, folder, latest)
        elif number not in found:  # else the archive holds it whole: a run stopped while replacing the top
            damaged.append(Damage(number, f"{folder}：第{number}版（最新）的文件已损坏（{problem}）"))
    return [found[n] for n in sorted(found)], damaged


def versions_in(folder: Path) -> list[Version]:
    """Every trustworthy version of an enterprise folder, oldest first; the last is the latest."""
    return scan_versions(folder)[0]


def current_version(folder: Path, deep: bool = False) -> tuple[Version | None, str | None]:
    """The latest whole version of an enterprise folder and, when there is none, why (None, None:
    no version at all). The top when all its files match its version.json; else the archived copy
    of that same version, which a run stopped while replacing the top leaves whole."""
    folder = Path(folder)
    try:
        meta = read_meta(folder)
    except DamagedVersion as exc:
        return None, exc.format_message()
    if meta is None:
        return None, None
    problem = files_problem(folder, meta, deep=deep)
    if problem is None:
        return Version(meta["version"], folder, meta), None
    archived = folder / HISTORY / f"v{meta['version']}"
    try:
        old = read_meta(archived) if _real_dir(folder / HISTORY) and _real_dir(archived) else None
    except (DamagedVersion, UnsafeLink):
        old = None
    if old is not None and old["version"] == meta["version"] and files_problem(archived, old, deep=True) is None:
        return Version(old["version"], archived, old), None
    return None, f"{folder}：最新版本的文件不完整或已损坏（{problem}）"


def verified_plan(folder: Path) -> dict | None:
    """The plan.json of the latest whole version of ``folder`` (see ``current_version``), parsed;
    None when there is no version or no trustworthy one. What summaries should read instead of
    ``*/plan.json``: a mixed or corrupted top is never taken for a plan."""
    version, _ = current_version(folder)
    if version is None:
        return None
    try:
        plan = orjson.loads(_read_bytes(version.path / "plan.json"))
    except (OSError, orjson.JSONDecodeError):
        return None
    return plan if isinstance(plan, dict) else None


class PlanStore:
    """The versioned output folder."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.read_only: str | None = None  # why the folder cannot be written, once locked() found out

    @contextmanager
    def locked(self):
        """Hold the folder's lock for a whole run; a second run waits for the first.

        A folder that cannot be written (read-only, no permission) is locked shared when its lock
        file is there, and ``read_only`` says why: a run that finds nothing to write can still
        finish, one that has something to write must stop before writing. The lock file is never
        followed if it is a symbolic link.
        """
        lock = self.root / LOCK
        handle, mode = None, fcntl.LOCK_EX
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            self._refuse_lock(lock, exc)
            self.read_only = exc.strerror or str(exc)
            mode = fcntl.LOCK_SH
            try:
                handle = os.open(lock, _READ_FLAGS)
            except FileNotFoundError:
                handle = None  # nobody has run here, and nobody can write here: nothing to serialise
            except OSError as again:
                self._refuse_lock(lock, again)
                handle = None
        try:
            if handle is not None:
                fcntl.flock(handle, mode)
            yield self
        finally:
            if handle is not None:
                os.close(handle)  # releases the lock

    def _refuse_lock(self, lock: Path, exc: OSError) -> None:
        if exc.errno == errno.ELOOP:
            raise PlannerError(f"{lock}：锁文件是符号链接，不会跟随；请删除它后再次运行") from None
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise PlannerError(f"{self.root}：无法用作输出目录（{exc.strerror or exc}）") from None

    def folder(self, enterprise_id: str) -> Path:
        return self.root / enterprise_id

    def entries(self) -> dict[str, bool]:
        """What is at the top of the output folder: name → whether it is a symbolic link."""
        try:
            return {e.name: e.is_symlink() for e in os.scandir(self.root)}
        except (FileNotFoundError, NotADirectoryError):
            return {}

    def latest_meta(self, enterprise_id: str) -> dict | None:
        return read_meta(self.folder(enterprise_id))

    def _enter(self, folder: Path) -> set[str]:
        """Make ``folder`` or check it is a real folder (UnsafeLink if a link); the names in it."""
        try:
            os.mkdir(folder)
            return set()  # a new enterprise: nothing to archive, clean or replace
        except FileNotFoundError:
            self.root.mkdir(parents=True, exist_ok=True)
            os.mkdir(folder)
            return set()
        except FileExistsError:
            if not _real_dir(folder):
                raise PlannerError(f"{folder}：不是文件夹，无法写入该企业的方案") from None
        present = {entry.name for entry in os.scandir(folder)}
        if HISTORY in present:
            _real_dir(folder / HISTORY)
        return present

    def write_version(self, enterprise_id: str, files: dict, inputs: dict, formats: tuple, summarize,
                      listing: dict | None = None) -> dict:
        """Archive the current version, then write ``files`` (name → text or bytes) as the new latest.

        ``summarize(previous)`` says what changed, given the archived plan.json of the version
        being replaced (None for a first version): the archive, not the top of the folder, which
        an interrupted run may already have overwritten with the new plan. ``listing``: the
        enterprise's row of 企业清单.xlsx (planner.listing), kept in version.json so that the list
        is made without reading any plan.

        A top whose version.json cannot be trusted is kept whole under ``history/damaged-<k>/``
        and the new version is numbered after the highest archived one. When the inputs are
        those of the current version and the files come out byte for byte as it recorded them
        (a top left mixed by a stopped run, or corrupted, or written by an older planner without
        hashes), the files are put back and the version keeps its number.
        """
        folder = self.folder(enterprise_id)
        present = self._enter(folder)
        for name in present:
            if name.startswith(".") and name.endswith(TMP_SUFFIX):  # left by a process killed mid-write
                (folder / name).unlink(missing_ok=True)
        payloads = {name: data.encode("utf-8") if isinstance(data, str) else data for name, data in files.items()}
        current, damage = None, None
        if META in present:
            try:
                current = read_meta(folder)
            except DamagedVersion as exc:
                damage = exc
        if current is not None and current["inputs"] == inputs and self._reproduces(folder, current, payloads):
            return self._put_back(folder, current, payloads)
        history = folder / HISTORY
        extra = {}
        if damage is not None:
            kept = self._keep(folder, present)
            trigger = [DAMAGED_TRIGGER]
            summary = (f"上一版本的 {META} 已损坏（{damage.reason}），原有文件保存在 {HISTORY}/{kept.name}/，"
                       f"未与上一版比较")
            extra["damaged"] = {"reason": damage.reason, "kept": f"{HISTORY}/{kept.name}"}
        elif current is not None:
            archive = self._archive(folder, current)
            if files_problem(archive, current, deep=True) is None:
                previous = archive / "plan.json"
                try:
                    summary = summarize(previous if previous.is_file() else None)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:  # an old or damaged plan.json
                    summary = f"无法与上一版比较（{type(exc).__name__}）"
            else:
                summary = "无法与上一版比较（上一版的文件不完整或已损坏）"
            old = current["inputs"]
            changed = [k for k in TRIGGERS if old.get(k) != inputs.get(k)]
            if "profiles" in changed and "record" in changed and old.get("sector") != inputs.get("sector"):
                changed.remove("profiles")  # another sector's profile because the record moved it there
            trigger = [TRIGGERS[k] for k in changed] or ["重新生成"]
        else:
            trigger = ["首次生成"]
            summary = summarize(None)
        # After the highest number ever archived: a number is never given to two versions.
        number = max([current["version"] if current else 0, *_numbered(history, _VERSION_DIR)]) + 1
        sizes, sums, marks = self._write(folder, payloads)
        for name in DOCUMENTS + FORMER_NAMES:  # a document the new version lacks must not pass for part of it
            if name not in files and name in present:
                (folder / name).unlink(missing_ok=True)
        meta = {
            "version": number,
            "generated": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "as_of": inputs["as_of"],
            "inputs": inputs,
            "formats": list(formats),
            "trigger": trigger,
            "summary": summary,
            "sizes": sizes,
            "sha256": sums,
            "stat": marks,
            **extra,
            **({"listing": listing} if listing is not None else {}),
        }
        atomic_write(folder / META, orjson.dumps(meta, option=orjson.OPT_INDENT_2) + b"\n")
        return meta

    @staticmethod
    def _write(folder: Path, payloads: dict) -> tuple[dict, dict, dict]:
        sizes, sums, marks = {}, {}, {}
        for name, payload in payloads.items():
            status = atomic_write(folder / name, payload)
            sizes[name], sums[name], marks[name] = len(payload), _sha256(payload), [status.st_ino, status.st_mtime_ns]
        return sizes, sums, marks

    @staticmethod
    def _reproduces(folder: Path, meta: dict, payloads: dict) -> bool:
        """Whether ``payloads`` are exactly the files ``meta`` recorded (by hash; for an old
        version.json without hashes, by the bytes at the top)."""
        if set(payloads) != set(meta["sizes"]):
            return False
        sums = meta.get("sha256")
        for name, payload in payloads.items():
            if len(payload) != meta["sizes"][name]:
                return False
            if sums is not None:
                if _sha256(payload) != sums[name]:
                    return False
                continue
            try:
                if _read_bytes(folder / name) != payload:
                    return False
            except OSError:
                return False
        return True

    def _put_back(self, folder: Path, meta: dict, payloads: dict) -> dict:
        """Rewrite the files of the current version (they came out the same) and its version.json."""
        sizes, sums, marks = self._write(folder, payloads)
        meta = {**meta, "sizes": sizes, "sha256": sums, "stat": marks}
        atomic_write(folder / META, orjson.dumps(meta, option=orjson.OPT_INDENT_2) + b"\n")
        return meta

    def adopt(self, enterprise_id: str, files: dict, formats: tuple) -> bool:
        """Record hashes for a version written by an older planner (no hashes in its version.json)
        when it is proven whole: ``files`` (made again from the same inputs) equal the top's bytes
        and every other wanted file has its recorded size. Returns whether it was adopted."""
        folder = self.folder(enterprise_id)
        self._enter(folder)
        meta = read_meta(folder)
        if meta is None or "sha256" in meta or files_problem(folder, meta, wanted(formats)) is not None:
            return False
        for name, data in files.items():
            payload = data.encode("utf-8") if isinstance(data, str) else data
            try:
                if _read_bytes(folder / name) != payload:
                    return False
            except OSError:
                return False
        sums, marks = {}, {}
        for name in meta["sizes"]:
            try:
                payload = _read_bytes(folder / name)
                status = os.lstat(folder / name)
            except OSError:
                return False
            sums[name], marks[name] = _sha256(payload), [status.st_ino, status.st_mtime_ns]
        meta = {**meta, "sha256": sums, "stat": marks}
        atomic_write(folder / META, orjson.dumps(meta, option=orjson.OPT_INDENT_2) + b"\n")
        return True

    def add_files(self, enterprise_id: str, files: dict, formats: tuple) -> dict:
        """Complete the latest version with documents it lacks (PDFs asked for later, or the PDFs of
        a version an earlier planner wrote as plan.pdf/brief.pdf: made again under the new names,
        the former files removed, so the version keeps its number)."""
        folder = self.folder(enterprise_id)
        self._enter(folder)
        meta = read_meta(folder)
        payloads = {name: data.encode("utf-8") if isinstance(data, str) else data for name, data in files.items()}
        sizes, sums, marks = self._write(folder, payloads)
        for key, new in (("sizes", sizes), ("sha256", sums), ("stat", marks)):
            meta[key] = {**meta.get(key, {}), **new}
        for former, name in RENAMED.items():
            if name in payloads and former in meta["sizes"]:
                for key in ("sizes", "sha256", "stat"):
                    meta.get(key, {}).pop(former, None)
        meta["formats"] = sorted(set(meta["formats"]) | set(formats))
        atomic_write(folder / META, orjson.dumps(meta, option=orjson.OPT_INDENT_2) + b"\n")
        for former, name in RENAMED.items():  # after version.json no longer names them
            if name in payloads:
                (folder / former).unlink(missing_ok=True)
        return meta

    def _archive(self, folder: Path, meta: dict) -> Path:
        """Keep the current version whole under history/v<N>/ (once: a rerun after an interrupted
        run finds it there already, and keeps it if its files match). Returns that folder."""
        history = folder / HISTORY
        target = history / f"v{meta['version']}"
        _real_dir(history)
        if os.path.lexists(target):
            if _real_dir(target):
                try:
                    archived = read_meta(target)
                except DamagedVersion:
                    archived = None
                if archived is not None and files_problem(target, archived, deep=True) is None:
                    return target
            self._set_aside(history, target)  # damaged, partial or not a folder: kept, never deleted
        return self._link(folder, history, target.name)

    def _keep(self, folder: Path, present: set) -> Path:
        """The top of ``folder`` (its version.json untrustworthy) kept whole as history/damaged-<k>/."""
        history = folder / HISTORY
        return self._link(folder, history, f"damaged-{max(_numbered(history, _DAMAGED_DIR), default=0) + 1}")

    @staticmethod
    def _set_aside(history: Path, path: Path) -> None:
        os.rename(path, history / f"damaged-{max(_numbered(history, _DAMAGED_DIR), default=0) + 1}")

    @staticmethod
    def _link(folder: Path, history: Path, name: str) -> Path:
        """Hard links of the top's files in history/<name>/, which appears whole or not at all."""
        staging = history / f".staging-{uuid.uuid4().hex[:12]}"
        staging.mkdir(parents=True)
        try:
            for entry in DOCUMENTS + FORMER_NAMES + (META,):
                source = folder / entry
                if os.path.lexists(source):
                    try:
                        os.link(source, staging / entry, follow_symlinks=False)
                    except OSError:  # a filesystem without hard links
                        shutil.copy2(source, staging / entry, follow_symlinks=False)
            os.rename(staging, history / name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return history / name


def missing_enterprise(path: Path) -> str:
    """Why ``path`` is not an enterprise folder, for a person who typed it: the folder is missing
    (with the credit code's checksum problem, and the folders of a close name beside it) or holds
    no version."""
    import difflib

    from planner.uscc import problem as code_problem

    path = Path(path)
    if path.is_dir():
        return f"{path}：不是企业文件夹（其中没有 {META}；应为 planner generate 的 输出目录/<统一社会信用代码>）"
    text = f"{path}：没有这个企业文件夹"
    code = path.name.upper()
    if len(code) == 18:
        wrong = code_problem(code)
        if wrong:
            text += f"（{path.name} 不是有效的统一社会信用代码：{wrong}）"
    parent = path.parent
    try:
        names = [d.name for d in parent.iterdir() if d.is_dir() and not d.name.startswith(".")]
    except OSError:
        return text + f"；{parent} 也不存在" if not parent.exists() else text
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.8)
    if close:
        text += "；是否是：" + "、".join(close) + "？"
    return text
