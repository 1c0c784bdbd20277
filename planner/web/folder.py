"""The data folder the workplace serves, and who may see what in it.

    DATA/output/     the output folder, as ``planner generate … --out DATA/output`` writes it
                     (with its request ledger, DATA/output/requests.db)
    DATA/web.db      accounts, sessions, login attempts, the audit log (planner.web.accounts)
    DATA/secret      the key that signs session cookies, made once, mode 0600
    DATA/uploads/    uploaded files, under generated names only

Scopes: a cadre sees the enterprises whose 包联干部 names them; a district officer those of the
district (an officer without one, the city); reviewers and admins all; a department none (only the
requests handed to it). Whatever is out of scope is answered as if it did not exist.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from planner.web.accounts import Accounts, User

CODE = re.compile(r"^[0-9A-Z]{18}$")
_CADRE_SPLIT = re.compile(r"[、，,;；/\s]+")


def ensure_secret(path: Path) -> bytes:
    """DATA/secret: 32 random bytes (hex), written once with mode 0600 and read ever after."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path.read_bytes().strip()


@dataclass
class DataFolder:
    root: Path

    def __post_init__(self):
        self.root = Path(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        for sub in (self.output, self.uploads):
            sub.mkdir(exist_ok=True)
        os.chmod(self.uploads, 0o700)

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def database(self) -> Path:
        return self.root / "web.db"

    @property
    def secret_file(self) -> Path:
        return self.root / "secret"

    def accounts(self) -> Accounts:
        return Accounts(self.database)


def cadre_names(field: str) -> set[str]:
    """The names in a 包联干部 value: 郑晓岚（北仑区经信局）、王明 → {郑晓岚（北仑区经信局）, 郑晓岚, 王明}."""
    names = set()
    for part in _CADRE_SPLIT.split(str(field or "")):
        part = part.strip()
        if part:
            names.add(part)
            names.add(re.split(r"[（(]", part, maxsplit=1)[0].strip())
    names.discard("")
    return names


def cadre_as_written(field: str, name: str) -> str:
    """The part of a 包联干部 value that names ``name``, as written there: (郑晓岚（北仑区经信局）、王明,
    郑晓岚) → 郑晓岚（北仑区经信局）; ``name`` itself when no part does."""
    for part in _CADRE_SPLIT.split(str(field or "")):
        if part.strip() and name in cadre_names(part):
            return part.strip()
    return name


def sees_enterprise(user: User, row: dict) -> bool:
    """Whether ``user`` may see the enterprise of listing ``row`` (version.json's ``listing``)."""
    if user.role in ("admin", "reviewer"):
        return True
    if user.role == "officer":
        return not user.district or row.get("district") == user.district
    if user.role == "cadre":
        return bool(user.cadre_name) and user.cadre_name in cadre_names(row.get("cadre", ""))
    return False


def sees_request(user: User, request) -> bool:
    """Whether ``user`` may see a request of the ledger (planner.requests.Request)."""
    if user.role in ("admin", "reviewer"):
        return True
    if user.role == "officer":
        return not user.district or request.district == user.district
    if user.role == "cadre":  # the ledger keeps 包联干部 as written: 罗建华（慈溪市经信局）
        return bool(user.cadre_name) and user.cadre_name in cadre_names(request.cadre)
    if user.role == "department":
        return user.department in request.departments
    return False
