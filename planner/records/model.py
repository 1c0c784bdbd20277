"""The records' data: a record, a problem found in a list, the result of reading one."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Record:
    """One enterprise's facts: field id → value; an absent field is unknown."""

    facts: dict
    where: str
    derived: dict = field(default_factory=dict)  # field id → the Chinese basis of the derivation

    @property
    def id(self) -> str:
        return self.facts["id"]

    @property
    def name(self) -> str:
        return self.facts["name"]


@dataclass(frozen=True)
class RecordProblem:
    """One problem an officer must see: a rejected record's reason, a warning about a value
    (the enterprise is kept), or a notice about the list. One row of 问题清单.xlsx.

    ``where`` is the file (and sheet) with the row, as ``file:row`` or ``file[sheet]:row``;
    ``field`` the column header as the officer sees it ("-" for the whole row or file);
    ``name`` and ``code`` the enterprise as given on that row (may be empty); ``value`` the
    cell as given; ``outcome`` what was done (已跳过 / 按未知处理 / 已按…解读 / 已忽略).
    """

    where: str
    field: str
    message: str
    name: str = ""
    code: str = ""
    value: str = ""
    outcome: str = ""
    level: str = "warning"  # "rejected", "warning" or "notice"

    def __str__(self) -> str:
        who = f"{self.name}：" if self.name else (f"{self.code}：" if self.code else "")
        done = f"；{self.outcome}" if self.outcome and self.outcome not in self.message else ""
        return f"{self.where}: {who}{self.field}: {self.message}{done}"


@dataclass(frozen=True)
class RejectedRecord:
    """A row that could not become a record (no usable identity), with what could be read of it:
    the summary counts it, names it, and knows whether it was, say, a stopped key enterprise."""

    where: str
    name: str
    code: str
    facts: dict
    problems: tuple  # RecordProblem: the reasons (level "rejected") first, then the row's warnings


@dataclass
class ReadResult:
    """What reading a list gave: the records, the rejected rows' problems (``rejected``: the
    reasons, level "rejected", and any other problem of those rows) and every other problem of
    the list (``warnings``: warnings and notices, of kept records and of the file)."""

    records: list
    rejected: list  # RecordProblem, one or more per rejected record
    warnings: list
    rejected_count: int = 0
    rejected_records: list = field(default_factory=list)  # RejectedRecord, in list order
    warned_count: int = 0  # records kept with at least one problem of level "warning", from any stage


@dataclass
class Raw:
    """A row before normalisation: header → cell, and where it came from."""

    values: dict
    where: str
    receivables: list | None = None
    expects_receivables: bool = False  # the main table says there are some, in the receivables table
    mapping: bool = True  # False for a YAML list item that is not a mapping (no record at all)
