"""The web workplace's own database, DATA/web.db (SQLite, WAL): accounts, sessions, login attempts
and the audit log.

Passwords are hashed with argon2 (argon2-cffi's defaults). A session is a random token kept
server-side (only its SHA-256 is stored) with its expiry and its CSRF token, so logging out,
disabling an account or changing a password ends the sessions at once. Login failures are
counted per account and client address: after ``MAX_FAILURES`` in ``FAILURE_WINDOW`` further
attempts are refused without checking the password. Every change made through the workplace
or ``planner users`` is appended to the audit table with who and when; nothing deletes from it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from planner.exceptions import PlannerError

ROLES = {"admin": "管理员", "officer": "经信部门", "reviewer": "审核人", "cadre": "包联干部", "department": "承办部门"}
SESSION_HOURS = 8
SERVER_ACTOR = "planner users"  # the actor of what the server's command line did (the audit page: 服务器管理员)
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=10)
MIN_PASSWORD = 10
BUSY_TIMEOUT_S = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    district TEXT NOT NULL DEFAULT '',
    cadre_name TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    must_change INTEGER NOT NULL DEFAULT 1,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    user_name TEXT NOT NULL,
    address TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (user_name, address, at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
"""


class AccountError(PlannerError):
    """An account that cannot be made or changed as asked (unknown role, name taken, …)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    district: str  # officer: the district label (empty: the whole city)
    cadre_name: str  # cadre: the name written in 包联干部
    department: str  # department: the name requests are handed to
    must_change: bool
    disabled: bool

    @property
    def display_name(self) -> str:
        """The name a step is signed with unless another 办理人 is given: a cadre's name as written
        in 包联干部, else the account's name."""
        return self.cadre_name or self.name

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def scope_label(self) -> str:
        if self.role == "officer":
            return self.district or "全市"
        if self.role == "cadre":
            return self.cadre_name
        if self.role == "department":
            return self.department
        return "全市"


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _password_or_new(password: str | None) -> tuple[str, bool]:
    """The password given (checked against the rule), or a new one-time one: (password, one_time)."""
    if password is None:
        return new_password(), True
    check_password_rule(password)
    return password, False


def new_password() -> str:
    """A one-time password: 16 characters from an alphabet without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少{MIN_PASSWORD}个字符")


class Accounts:
    """DATA/web.db. One connection per call: safe from the server's worker threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.hasher = PasswordHasher()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
        # an unusable hash to verify against when the account does not exist (same time either way)
        self._dummy = self.hasher.hash(secrets.token_hex(8))

    @contextmanager
    def _connect(self):
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- the audit log

    @staticmethod
    def _audit(conn, actor: str, action: str, target: str = "", detail: str = "") -> None:
        conn.execute("INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                     (_iso(_now()), actor, action, target, detail))

    def audit(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        with self._connect() as conn:
            self._audit(conn, actor, action, target, detail)

    def audit_log(self, limit: int = 200) -> list[dict]:
        with self._connect() as conn:
            rows = conn.execute("SELECT at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?",
                                (limit,)).fetchall()
        return [dict(zip(("at", "actor", "action", "target", "detail"), row)) for row in rows]

    # -- accounts

    def add(self, name: str, role: str, district: str = "", cadre_name: str = "", department: str = "",
            password: str | None = None, by: str = SERVER_ACTOR) -> str:
        """Create an account; returns its password (``password`` or a new one-time password, which
        must be changed at first login)."""
        name = (name or "").strip()
        if not name or any(c.isspace() for c in name) or len(name) > 64:
            raise AccountError("用户名不能为空、不能含空格，最多64个字符")
        if role not in ROLES:
            raise AccountError(f"未知的角色“{role}”（可选：{'、'.join(ROLES)}）")
        if role == "cadre" and not cadre_name.strip():
            cadre_name = name
        if role == "department" and not department.strip():
            raise AccountError("承办部门账户须用 --department 写明部门名称（与诉求交办的部门名称一致）")
        password, one_time = _password_or_new(password)
        with self._connect() as conn:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise AccountError(f"用户“{name}”已存在")
            conn.execute("INSERT INTO users (name, role, district, cadre_name, department, password_hash, must_change,"
                         " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (name, role, district.strip() if role == "officer" else "",
                          cadre_name.strip() if role == "cadre" else "",
                          department.strip() if role == "department" else "",
                          self.hasher.hash(password), int(one_time), _iso(_now())))
            self._audit(conn, by, "添加用户", name, f"角色：{ROLES[role]}")
        return password

    def get(self, name: str) -> User | None:
        with self._connect() as conn:
            row = conn.execute("SELECT name, role, district, cadre_name, department, must_change, disabled FROM users "
                               "WHERE name = ?", (name,)).fetchone()
        return None if row is None else User(*row[:5], bool(row[5]), bool(row[6]))

    def all(self) -> list[User]:
        with self._connect() as conn:
            rows = conn.execute("SELECT name, role, district, cadre_name, department, must_change, disabled FROM users "
                                "ORDER BY role, name").fetchall()
        return [User(*row[:5], bool(row[5]), bool(row[6])) for row in rows]

    def _require(self, conn, name: str) -> None:
        if not conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"没有用户“{name}”")

    def disable(self, name: str, by: str = SERVER_ACTOR) -> None:
        with self._connect() as conn:
            self._require(conn, name)
            conn.execute("UPDATE users SET disabled = 1 WHERE name = ?", (name,))
            conn.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
            self._audit(conn, by, "停用用户", name)

    def set_password(self, name: str, password: str | None = None, by: str = SERVER_ACTOR) -> str:
        """A new password for ``name`` (a one-time one when None); ends the account's sessions."""
        password, one_time = _password_or_new(password)
        with self._connect() as conn:
            self._require(conn, name)
            conn.execute("UPDATE users SET password_hash = ?, must_change = ? WHERE name = ?",
                         (self.hasher.hash(password), int(one_time), name))
            conn.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
            self._audit(conn, by, "重设密码" if one_time else "修改密码", name)
        return password

    # -- logging in

    def failures(self, name: str, address: str) -> int:
        since = _iso(_now() - FAILURE_WINDOW)
        with self._connect() as conn:
            return conn.execute("SELECT COUNT(*) FROM login_failures WHERE user_name = ? AND address = ? AND at > ?",
                                (name, address, since)).fetchone()[0]

    def login(self, name: str, password: str, address: str) -> tuple[str | None, str]:
        """(session token, "") on success; (None, why) otherwise: 限制 (too many failures),
        密码错误 (a wrong name or password: the same answer for both)."""
        if self.failures(name, address) >= MAX_FAILURES:
            self.audit(name, "登录被限制", address)
            return None, "locked"
        with self._connect() as conn:
            row = conn.execute("SELECT password_hash, disabled FROM users WHERE name = ?", (name,)).fetchone()
        stored = row[0] if row else self._dummy
        try:
            good = self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            good = False
        if not good or row is None or row[1]:
            with self._connect() as conn:
                conn.execute("INSERT INTO login_failures (user_name, address, at) VALUES (?, ?, ?)",
                             (name, address, _iso(_now())))
                self._audit(conn, name, "登录失败", address)
            return None, "wrong"
        token = secrets.token_urlsafe(32)
        now = _now()
        with self._connect() as conn:
            if self.hasher.check_needs_rehash(stored):
                conn.execute("UPDATE users SET password_hash = ? WHERE name = ?", (self.hasher.hash(password), name))
            conn.execute("DELETE FROM login_failures WHERE user_name = ? AND address = ?", (name, address))
            conn.execute("DELETE FROM sessions WHERE expires_at < ?", (_iso(now),))
            conn.execute("INSERT INTO sessions (token_sha256, user_name, csrf, created_at, expires_at) "
                         "VALUES (?, ?, ?, ?, ?)",
                         (_sha(token), name, secrets.token_urlsafe(32), _iso(now),
                          _iso(now + dt.timedelta(hours=SESSION_HOURS))))
            self._audit(conn, name, "登录", address)
        return token, ""

    def session(self, token: str) -> Session | None:
        """The live session of ``token``: not expired, its account not disabled. One query on a
        connection that takes no write lock (every page asks this: under load, pages waiting for
        each other's write locks made a 0.3 ms check take 5 to 8 ms at the median)."""
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as conn:
            row = conn.execute("SELECT s.csrf, s.expires_at, u.name, u.role, u.district, u.cadre_name, u.department, "
                               "u.must_change, u.disabled FROM sessions s JOIN users u ON u.name = s.user_name "
                               "WHERE s.token_sha256 = ?", (_sha(token),)).fetchone()
        if row is None or row[1] <= _iso(_now()) or row[8]:
            return None
        return Session(User(*row[2:7], bool(row[7]), bool(row[8])), row[0], row[1])

    def logout(self, token: str) -> None:
        with self._connect() as conn:
            row = conn.execute("SELECT user_name FROM sessions WHERE token_sha256 = ?", (_sha(token),)).fetchone()
            conn.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_sha(token),))
            if row:
                self._audit(conn, row[0], "退出登录")

    def change_own_password(self, name: str, old: str, new: str) -> bool:
        """The user's own change (old password checked); False when the old one is wrong."""
        with self._connect() as conn:
            row = conn.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        try:
            self.hasher.verify(row[0], old)
        except (VerificationError, InvalidHashError, TypeError):
            return False
        check_password_rule(new)
        if new == old:
            raise AccountError("新密码不能与原密码相同")
        with self._connect() as conn:
            conn.execute("UPDATE users SET password_hash = ?, must_change = 0 WHERE name = ?",
                         (self.hasher.hash(new), name))
            self._audit(conn, name, "修改密码", name)
        return True
