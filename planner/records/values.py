"""One cell of an officer's list as a value of its field's type: numbers, yes/no, vocabulary labels."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from planner.knowledge import FieldSpec, KnowledgeBase
from planner.records.model import RecordProblem

LIST_SEPARATORS = re.compile(r"[、;；,，\n]")
TRUE_WORDS = {"是", "有", "true", "yes", "y", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "没有", "false", "no", "n", "0", "×", "✗"}
NONE_WORDS = {"无", "没有", "none"}


def blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def norm_header(text: str) -> str:
    text = re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")")
    return text.replace("\u201c", '"').replace("\u201d", '"').casefold()


def convert(value, spec: FieldSpec, kb: KnowledgeBase, where, problems, prefix="") -> Any:
    """The value of ``spec``'s type, None when blank; a problem when it cannot be converted."""
    name = prefix + spec.label  # the column header the officer sees

    def bad(message):
        problems.append(RecordProblem(where, name, message))

    if blank(value):
        return None
    if spec.type == "text":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        return str(value) if not isinstance(value, str) else value
    if spec.type == "number":
        result = number(value)
        if result is None:
            bad(f"{spec.label}不是数字：“{value}”")
        elif result < 0:
            bad(f"{spec.label}不能为负数：{value}")
        return result
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().casefold()
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        bad(f"{spec.label}应为“是”或“否”，实为“{value}”")
        return None
    vocab = kb.vocabularies[spec.vocabulary]
    if spec.type == "enum":
        resolved = vocab.resolve(str(value).strip())
        if resolved is None:
            bad(f"{spec.label}的取值“{value}”不在可选范围内（{'、'.join(e.label for e in vocab)}）")
        return resolved
    # enum_list
    if isinstance(value, list):
        parts = [str(v) for v in value]
    elif str(value).strip().casefold() in NONE_WORDS:
        return []
    else:
        parts = LIST_SEPARATORS.split(str(value))
    out = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        resolved = vocab.resolve(part)
        if resolved is None:
            bad(f"{spec.label}中的“{part}”不在可选范围内（{'、'.join(e.label for e in vocab)}）")
        elif resolved not in out:
            out.append(resolved)
    return out


def number(value) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = value
    else:
        text = str(value).strip().replace(",", "").replace("，", "").removesuffix("%").removesuffix("％")
        try:
            number = float(text)
        except ValueError:
            return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return int(number) if float(number).is_integer() else number
