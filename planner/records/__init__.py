"""Enterprise records: read an officer's list (YAML, CSV, XLSX), normalise it, reject unidentifiable rows.

Headers may be field ids or the Chinese labels of fields.yaml; enumerated values may be ids,
labels or aliases. An empty cell is an unknown fact, never false. Only a row that cannot be
identified (credit code, name, duplicate) is rejected; any other bad value is an unknown fact
with a warning naming file, row, enterprise, field and value (see normalise and values).
"""

from __future__ import annotations

from pathlib import Path

from planner.exceptions import RecordsError
from planner.knowledge import KnowledgeBase
from planner.records.model import ReadResult, Record, RecordProblem, RejectedRecord
from planner.records.normalise import normalise_all
from planner.records.problems import FILE_NAME as PROBLEM_LIST, counts, printed, problem_rows, write_problem_list
from planner.records.sources import read_raw
from planner.records.write import table_rows, write_table
from planner.yamlio import display_path

__all__ = ["PROBLEM_LIST", "ReadResult", "Record", "RecordProblem", "RejectedRecord", "counts", "printed",
           "problem_rows", "read_records", "table_rows", "write_problem_list", "write_table"]


def read_records(path: Path, kb: KnowledgeBase) -> ReadResult:
    """Read, normalise and validate every record of ``path``."""
    path = Path(path)
    warnings: list[RecordProblem] = []
    raws = read_raw(path, kb, warnings)
    if not raws:
        raise RecordsError(f"{display_path(path)}：名单中没有企业记录")
    label = next(f for f in kb.fields.values() if f.type == "records").label
    for raw in raws:
        if raw.expects_receivables and raw.receivables is None:
            warnings.append(RecordProblem(raw.where, label, f"名单注明有{label}，但未找到{label}表"
                                          f"（XLSX的“{label}”工作表或同名的 .receivables.csv）",
                                          str(raw.values.get("name") or ""), str(raw.values.get("id") or ""),
                                          outcome="按未知处理"))
    return normalise_all(raws, kb, warnings)
