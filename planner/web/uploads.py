"""Uploaded enterprise lists: stored, limited, read and triaged as ``planner generate`` reads them.

An upload is kept in DATA/uploads/ under a generated name only (``<token>.<xlsx|xls|csv>``, the
client's file name is kept as text in ``<token>.json``, never used as a path), with the problem
list of its reading beside it (``<token>.问题清单.xlsx``). A file is parsed by the records
readers, never executed; it may be at most MAX_BYTES long (an xlsx at most MAX_UNPACKED once
unpacked) and hold at most MAX_ROWS enterprises.

Scope: a district officer's list may only make plans for that district. A row of another district
(or of none), or of an enterprise the output folder already holds under another district, is
reported in the problem list as 不属于本区 and left out of the generation; the rest of the list
goes on. An officer of the city and an admin may upload any row.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from planner.records.model import ReadResult, RecordProblem
from planner.store import atomic_write
from planner.textsafe import visible

MAX_BYTES = 10 * 1024 * 1024  # an uploaded file
MAX_UNPACKED = 200 * 1024 * 1024  # an xlsx, unpacked (a small file may unpack to gigabytes)
MAX_ROWS = 20000  # enterprises of one list
SUFFIXES = (".xlsx", ".xls", ".csv")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
PROBLEMS_SUFFIX = ".问题清单.xlsx"


class UploadRefused(Exception):
    """A file that is not kept: the message says why, in Chinese."""


class TokenRefused(UploadRefused):
    """The form's CSRF token, sent before its file, is not the session's: nothing is stored."""


def size_text(n: int) -> str:
    """A size limit as people write it: 10MB, 512KB."""
    return f"{n // (1024 * 1024)}MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)}KB"


def limits_text() -> str:
    return (f"支持 Excel（.xlsx、.xls）和 CSV 文件；"
            f"文件不超过{size_text(MAX_BYTES)}，名单不超过{MAX_ROWS}家企业。")


@dataclass
class Upload:
    """One uploaded list and what its reading found."""

    token: str
    name: str  # the client's file name, as text only
    by: str
    scope: str  # the uploader's district, "" for the city
    at: str
    path: Path
    read_error: str = ""
    kept: list = field(default_factory=list)  # credit codes of the records to generate
    excluded: int = 0  # rows left out as out of scope
    rejected: int = 0
    warned: int = 0
    problems: list = field(default_factory=list)  # rows under planner.records.problems.HEADER
    generate_from: str = ""  # the file a run reads (the upload, or the in-scope rows written anew)
    rows: dict = field(default_factory=dict)  # credit code → its row in the uploaded file

    @property
    def problems_file(self) -> Path:
        return self.path.parent / f"{self.token}{PROBLEMS_SUFFIX}"

    def meta(self) -> dict:
        return {"token": self.token, "name": self.name, "by": self.by, "scope": self.scope, "at": self.at,
                "file": self.path.name, "read_error": self.read_error, "kept": self.kept,
                "excluded": self.excluded, "rejected": self.rejected, "warned": self.warned,
                "problems": self.problems, "generate_from": self.generate_from, "rows": self.rows}


def client_name(filename: str | None) -> str:
    """The client's file name as shown: its last part, control characters made visible, shortened."""
    base = re.split(r"[\\/]", str(filename or ""))[-1].strip()
    return visible(base)[:120] or "未命名文件"


@dataclass(frozen=True)
class Kind:
    """What ``receive`` takes: the file suffixes, what to say of another kind or a file too long,
    its size limit (None: MAX_BYTES, read at each call) and a check of the stored file."""

    suffixes: tuple
    wrong_kind: str  # …：{wrong_kind}
    too_long: str  # 文件超过10MB的上限，未保存；{too_long}
    max_bytes: int | None = None
    check: object = None  # callable(path) raising UploadRefused
    empty: str = "没有企业名单"  # 文件是空的（0字节），{empty}

    def limit(self) -> int:
        return self.max_bytes if self.max_bytes is not None else MAX_BYTES


FORM_SLACK = 64 * 1024  # the form's other fields and the multipart framing around the file
FIELD_MOST = 4096  # bytes of one plain form field


class Received:
    """What a multipart form brought: its plain fields, and the one file stored under a generated
    name (``token``, ``path``) with the client's name as text (``name``)."""

    def __init__(self):
        self.fields: dict[str, str] = {}
        self.token = ""
        self.path: Path | None = None
        self.name = ""
        self.size = 0

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


async def receive(request, folder: Path, csrf: str, field_name: str = "file", kind: Kind | None = None) -> Received:
    """Stream the multipart form of ``request`` into ``folder``: its file (the part ``field_name``,
    the only file taken) written as it arrives to ``<token><suffix>``, at most MAX_BYTES; nothing is
    spooled elsewhere. UploadRefused for a body too long (refused before it is read when it says
    its length), a file of another kind, an empty file or a form that is not one; TokenRefused when
    the form's ``csrf`` field, sent before the file (as browsers send a form's fields in order), is
    not ``csrf``: the file is then never written (the caller checks the token of a form that sent
    it after the file, and discards the file if need be). ``kind``: what files are taken (default:
    an enterprise list, LIST)."""
    import hmac

    try:
        import python_multipart as multipart
        from python_multipart.multipart import parse_options_header
    except ImportError:  # an older python-multipart
        import multipart
        from multipart.multipart import parse_options_header

    kind = kind or LIST
    most = kind.limit()
    too_long = f"文件超过{size_text(most)}的上限，未保存；{kind.too_long}"
    content, params = parse_options_header(request.headers.get("content-type", ""))
    if content != b"multipart/form-data" or b"boundary" not in params:
        raise UploadRefused("请用页面上的表单选择文件上传")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > most + FORM_SLACK:
        raise UploadRefused(too_long)
    got = Received()
    state = {"headers": [], "field": None, "data": bytearray(), "file": None, "header": b"", "value": b""}
    handle = {"fd": None}

    def on_header_field(data, start, end):
        state["header"] += data[start:end]

    def on_header_value(data, start, end):
        state["value"] += data[start:end]

    def on_header_end():
        state["headers"].append((state["header"].lower(), state["value"]))
        state["header"], state["value"] = b"", b""

    def on_headers_finished():
        disposition = dict(state["headers"]).get(b"content-disposition", b"")
        _, options = parse_options_header(disposition)
        state["field"] = options.get(b"name", b"").decode("utf-8", "replace")
        state["data"] = bytearray()
        state["file"] = None
        if b"filename" in options:
            if state["field"] != field_name or got.path is not None:
                state["file"] = "skip"
                return
            if "csrf" in got.fields and not hmac.compare_digest(got.fields["csrf"], csrf):
                raise TokenRefused("表单已失效")
            got.name = client_name(options[b"filename"].decode("utf-8", "replace"))
            suffix = Path(got.name).suffix.lower()
            if not options[b"filename"]:
                return
            if suffix not in kind.suffixes:
                raise UploadRefused(f"无法识别的文件格式“{suffix or '（无扩展名）'}”：{kind.wrong_kind}")
            got.token = secrets.token_hex(16)
            got.path = Path(folder) / f"{got.token}{suffix}"
            handle["fd"] = os.open(got.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
                                   | getattr(os, "O_NOFOLLOW", 0), 0o600)
            state["file"] = "file"

    def on_part_data(data, start, end):
        block = data[start:end]
        if state["file"] == "file":
            got.size += len(block)
            if got.size > most:
                raise UploadRefused(too_long)
            view = memoryview(block)
            while view:
                view = view[os.write(handle["fd"], view):]
        elif state["file"] is None:
            if len(state["data"]) + len(block) > FIELD_MOST:
                raise UploadRefused("表单内容过长")
            state["data"] += block

    def on_part_end():
        if state["file"] is None and state["field"]:
            got.fields[state["field"]] = bytes(state["data"]).decode("utf-8", "replace")
        if state["file"] == "file" and handle["fd"] is not None:
            os.close(handle["fd"])
            handle["fd"] = None
        state["headers"] = []

    callbacks = {"on_header_field": on_header_field, "on_header_value": on_header_value,
                 "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
                 "on_part_data": on_part_data, "on_part_end": on_part_end}
    parser = multipart.MultipartParser(params[b"boundary"], callbacks)
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > most + FORM_SLACK:
                raise UploadRefused(too_long)
            parser.write(chunk)
        parser.finalize()
        if got.path is not None and got.size == 0:
            raise UploadRefused(f"文件是空的（0字节），{kind.empty}")
        if got.path is not None and kind.check is not None:
            kind.check(got.path)
    except UploadRefused:
        _close(handle)
        got.discard()
        raise
    except Exception:  # a malformed form
        _close(handle)
        got.discard()
        raise UploadRefused("上传的表单不完整或格式不对，请重新选择文件上传") from None
    _close(handle)
    return got


def _close(handle: dict) -> None:
    if handle["fd"] is not None:
        os.close(handle["fd"])
        handle["fd"] = None


def _check_unpacked(path: Path) -> None:
    with open(path, "rb") as handle:
        if handle.read(2) != b"PK":
            return
    try:
        with zipfile.ZipFile(path) as book:
            unpacked = sum(info.file_size for info in book.infolist())
    except zipfile.BadZipFile:
        raise UploadRefused("文件已损坏，不是完整的 Excel 工作簿（.xlsx）；请在 Excel 或 WPS 中重新保存后上传") from None
    if unpacked > MAX_UNPACKED:
        raise UploadRefused(f"工作簿解压后超过{size_text(MAX_UNPACKED)}，未读取；请分成几个较小的名单上传")


LIST = Kind(SUFFIXES, "请上传 Excel（.xlsx、.xls）或 CSV 文件", "请分成几个较小的名单上传", check=_check_unpacked)


def triage(upload: Upload, kb, district_id: str | None, holders: dict) -> ReadResult | None:
    """Read ``upload.path`` as planner generate reads it and fill in ``upload``'s problems and
    counts; ``district_id``: the uploader's district (None for the city); ``holders``: credit code →
    district label of the enterprises already in the output folder. Returns the read, in scope."""
    from planner.exceptions import RecordsError
    from planner.records import read_records
    from planner.records.problems import problem_rows, write_problem_list
    from planner.yamlio import display_path

    try:
        read = read_records(upload.path, kb)
    except RecordsError as exc:
        upload.read_error = exc.web_message().replace(display_path(upload.path), upload.name)
        return None
    rows = len(read.records) + read.rejected_count
    if rows > MAX_ROWS:
        upload.read_error = f"名单有{rows}家企业，超过每次{MAX_ROWS}家的上限，未读取；请分成几个较小的名单上传"
        return None
    if district_id is not None:
        read = _in_scope(read, kb, district_id, upload.scope, holders)
        upload.excluded = sum(1 for p in read.rejected if p.outcome == OUT_OF_SCOPE)
    upload.kept = [r.id for r in read.records]
    upload.rows = {r.id: r.where.rsplit(":", 1)[-1] for r in read.records}
    upload.rejected, upload.warned = read.rejected_count, read.warned_count
    shown = display_path(upload.path)
    upload.problems = [[visible(str(cell).replace(shown, upload.name).replace(upload.path.name, upload.name))
                        for cell in row] for row in problem_rows(read)]  # the file by its own name
    write_problem_list(read, upload.problems_file)
    upload.generate_from = upload.path.name
    if upload.excluded and read.records:  # the run reads only the rows in scope, written anew
        from planner.records import write_table

        scoped = upload.path.parent / f"{upload.token}.scoped.xlsx"
        write_table(read.records, scoped, kb)
        upload.generate_from = scoped.name
    return read


OUT_OF_SCOPE = "不属于本区，未生成"


def _in_scope(read: ReadResult, kb, district_id: str, label: str, holders: dict) -> ReadResult:
    """``read`` with the records outside district ``district_id`` moved to its rejected problems."""
    from planner.matching import show_value

    field_ = kb.fields["district"]
    kept, out = [], []
    for record in read.records:
        given = record.facts.get("district")
        if given != district_id:
            shown = show_value(field_, given, kb) if given else ""
            why = (f"所在区县为“{shown}”，不是{label}；区县经信部门只能为本区企业生成方案" if given
                   else f"未填所在区县；区县经信部门只能为本区（{label}）企业生成方案")
            out.append(RecordProblem(record.where, field_.label, why, record.name, record.id, shown,
                                     OUT_OF_SCOPE, "rejected"))
        elif holders.get(record.id, label) != label:
            out.append(RecordProblem(record.where, field_.label,
                                     f"输出目录中这家企业属于{holders[record.id]}，不是{label}，不能由本区更新",
                                     record.name, record.id, label, OUT_OF_SCOPE, "rejected"))
        else:
            kept.append(record)
    if not out:
        return read
    warned = sum(1 for r in kept if any(p.code == r.id and p.level == "warning" for p in read.warnings))
    return ReadResult(kept, [*read.rejected, *out], read.warnings, read.rejected_count + len(out),
                      read.rejected_records, warned)


def save(upload: Upload) -> None:
    atomic_write(upload.path.parent / f"{upload.token}.json",
                 json.dumps(upload.meta(), ensure_ascii=False, indent=1).encode("utf-8"))


def load(folder: Path, token: str) -> Upload | None:
    """The upload ``token`` of ``folder``, or None (no such upload, or a token of the wrong form)."""
    if not TOKEN.match(token):
        return None
    try:
        meta = json.loads((Path(folder) / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    upload = Upload(meta["token"], meta["name"], meta["by"], meta["scope"], meta["at"], Path(folder) / meta["file"])
    for key in ("read_error", "kept", "excluded", "rejected", "warned", "problems", "generate_from", "rows"):
        setattr(upload, key, meta.get(key, getattr(upload, key)))
    return upload


STORED = re.compile(r"^([0-9a-f]{32})(?:\.scoped)?\.(?:xlsx|xls|csv)$")  # an upload, or its in-scope rows


def shown_name(folder: Path, stored: str) -> str | None:
    """The name a page gives a list generate read: the file name the user uploaded when ``stored``
    is an upload's generated name (None when that upload is gone), else ``stored`` as it is."""
    match = STORED.match(stored)
    if match is None:
        return stored
    upload = load(folder, match.group(1))
    return upload.name if upload is not None else None


def recent(folder: Path, most: int = 20) -> list[Upload]:
    """The latest uploads of ``folder``, newest first."""
    found = []
    for path in Path(folder).glob("*.json"):
        upload = load(folder, path.stem)
        if upload is not None:
            found.append(upload)
    return sorted(found, key=lambda u: u.at, reverse=True)[:most]


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
