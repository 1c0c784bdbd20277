"""One cell of an officer's list as a value of its field's type: numbers, yes/no, dates, labels.

What officers write is read whenever its meaning is certain, and never guessed otherwise:

- **Numbers.** Full-width digits and signs (``１２０``), thousands separators (``1,200``) and a
  unit the field declares in ``fields.yaml`` (``units:``, each with its factor to the field's own
  unit: ``120人``, ``5000万元``, ``1.2亿元`` → 12000 in a 万元 column, ``3.5%`` in a percentage
  column). A unit is read with a notice saying how (``已按12000万元解读``). A unit the field does
  not declare (``120元`` in a 万元 column, ``5000万元`` in 从业人员), a range (``300-500人``) or
  a word that makes the number approximate (``约300``, ``300以上``; listed in
  ``vocabulary.yaml`` ``reading.uncertain``) leaves the fact unknown, with a warning.
- **Yes/no.** The spellings of the ``booleans`` vocabulary (是/否, 有/无, √/×, ✓/✗, ✔/✘, 对/错,
  Y/N, true/false, 1/0) and Excel's TRUE/FALSE cells. ``〇``/``○`` is deliberately *not* read:
  on Chinese forms a circle marks a chosen box (yes) as often as it is the digit zero (none), so
  either reading could be wrong; it is unknown, with the advice of ``reading.hints.booleans``.
- **Dates.** 2022-06-15, 2022/6/15, 2022.6.15, 20220615, 2022年6月15日 and Excel date cells
  (``parse_date``; also used for ``--as-of``).
- **Labels.** A vocabulary value by its id, label or alias (``vocabulary.yaml``), after NFKC
  (full-width letters). A spelling listed in ``reading.hints`` (国企 as a debtor type) is unknown
  with that advice. In a list column one unreadable part is dropped with a warning, the others
  are kept.

Every conversion reports through ``note(message, outcome, value, level)``: ``outcome`` is 按未知处理
(the value is dropped: the fact is unknown) or 已按…解读 (read leniently, level ``notice``).
"""

from __future__ import annotations

import datetime as dt
import functools
import calendar
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from planner.knowledge import FieldSpec, KnowledgeBase

LIST_SEPARATORS = re.compile(r"[、;；,，/\n]")

UNKNOWN = "按未知处理"
DATE_FORMS = "2022-06-15、2022/6/15、2022.6.15、20220615 或 2022年6月15日"
_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]0{1,2}:00(?::00)?)?"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
)
_NUMBER = re.compile(r"(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?P<unit>.*)")

Note = Callable[..., None]  # note(message, outcome=UNKNOWN, value=None, level="warning")


def blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def norm_header(text: str) -> str:
    text = re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")")
    return text.replace("\u201c", '"').replace("\u201d", '"').casefold()


_SPACES = re.compile(r"\s+")


def plain(text) -> str:
    """``text`` as NFKC (full-width digits, letters and signs made ordinary), without spaces."""
    return _plain_text(text if text.__class__ is str else str(text))


@functools.lru_cache(maxsize=8192)  # cells repeat: the same districts, statuses and yes/no words
def _plain_text(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def says_total(value, kb) -> bool:
    """Whether a cell names a sum row: its text, after NFKC and without spaces, is a word of
    ``reading.total_rows`` (合计, 合  计) or starts with one followed by a sign or digit, not a
    letter (总计：2家, 合计(万元); 小计划… is a name)."""
    if not isinstance(value, str):
        return False
    words = _total_words(tuple(kb.reading.get("total_rows") or ()))
    text = value.lstrip()
    # asked of every cell of a list: most cells are refused by their first character
    if not text or unicodedata.normalize("NFKC", text[0])[:1] not in words[1]:
        return False
    text = plain(text)
    return any(text.startswith(word) and (len(text) == len(word) or not text[len(word)].isalpha())
               for word in words[0])


@functools.lru_cache(maxsize=8)
def _total_words(given: tuple) -> tuple[tuple, frozenset]:
    """The words of a sum row as ``plain`` text, and their first characters."""
    words = tuple(w for w in (plain(g) for g in given) if w)
    return words, frozenset(w[0] for w in words)


def shown(value) -> str:
    """A cell as the officer sees it (an Excel date cell as its date)."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def parse_date(value) -> dt.date | None:
    """A date written in one of DATE_FORMS (or an Excel date cell); None when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = shown(value)  # 20220615 typed into a number cell
    text = plain(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            try:
                return dt.date(*(int(g) for g in m.groups()))
            except ValueError:
                return None
    return None


def not_a_date(value) -> str:
    """Why ``value`` is not a date, in Chinese, to follow the value in a message: a day the
    calendar does not have is said so (2022-06-31: 2022年6月只有30天), anything else lists
    DATE_FORMS."""
    text = plain(shown(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value)
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            year, month, day = (int(g) for g in m.groups())
            if not 1 <= month <= 12:
                return f"不是有效日期（没有{month}月）"
            if year < 1:
                return f"不是有效日期（没有{year}年）"
            last = calendar.monthrange(year, month)[1]
            if not 1 <= day <= last:
                return f"不是有效日期（{year}年{month}月只有{last}天）"
            break
    return f"不是日期（可写{DATE_FORMS}）"


def convert(value, spec: FieldSpec, kb: KnowledgeBase, note: Note) -> Any:
    """The value of ``spec``'s type, or None (blank or unreadable: the fact is unknown)."""
    if blank(value):
        return None
    if spec.type == "text":
        return value if isinstance(value, str) else shown(value)
    if spec.type == "number":
        return _number(value, spec, kb, note)
    if spec.type == "bool":
        return _bool(value, kb, note)
    if spec.type == "date":
        result = parse_date(value)
        if result is None:
            note(f"“{shown(value)}”{not_a_date(value)}")
        return result
    if spec.type == "enum":
        return _label(value, spec.vocabulary, kb, note, spec.label)
    # enum_list
    if isinstance(value, list):
        parts = [shown(v) for v in value]
    elif says_no(value, kb):  # 无, 没有, 否 …: known to be none
        return []
    else:
        parts = LIST_SEPARATORS.split(unicodedata.normalize("NFKC", str(value)))
    out, dropped = [], False
    for part in (p.strip() for p in parts):
        if not part:
            continue
        resolved = _label(part, spec.vocabulary, kb, note, spec.label, whole=False)
        if resolved is None:
            dropped = True
        elif resolved not in out:
            out.append(resolved)
    if dropped and not out:
        return None  # nothing could be read: unknown, not "none"
    return out


def _label(value, vocabulary: str, kb: KnowledgeBase, note: Note, label: str, whole: bool = True) -> str | None:
    vocab = kb.vocabularies[vocabulary]
    text = shown(value).strip()
    resolved = vocab.resolve(text)
    if resolved is None:
        resolved = vocab.resolve(plain(text))
    if resolved is not None:
        return resolved
    hint = _hint(kb, vocabulary, text)
    outcome = UNKNOWN if whole else "已忽略"
    if hint:
        note(f"{label}“{text}”无法确定：{hint}", outcome, text)
    else:
        what = f"{label}的取值" if whole else f"{label}中的"
        note(f"{what}“{text}”不在可选范围内（{'、'.join(e.label for e in vocab)}）", outcome, text)
    return None


def _hint(kb: KnowledgeBase, vocabulary: str, text: str) -> str | None:
    hints = (kb.reading.get("hints") or {}).get(vocabulary) or {}
    return hints.get(text) or hints.get(plain(text))


def says_no(value, kb: KnowledgeBase) -> bool:
    """Whether a cell is one of the ``booleans`` spellings of no (无, 没有, 否, ×, …): in a list
    column or a records column it means "known to be none", not unknown."""
    return "booleans" in kb.vocabularies and kb.vocabularies["booleans"].resolve(plain(value)) == "no"


def _bool(value, kb: KnowledgeBase, note: Note) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = shown(value).strip()
    resolved = kb.vocabularies["booleans"].resolve(plain(text)) if "booleans" in kb.vocabularies else None
    if resolved is None and plain(text) in ("1", "0"):
        resolved = "yes" if plain(text) == "1" else "no"
    if resolved is not None:
        return resolved == "yes"
    hint = _hint(kb, "booleans", text)
    note(f"“{text}”无法确定是或否：{hint}" if hint else f"应为“是”或“否”，实为“{text}”")
    return None


def _number(value, spec: FieldSpec, kb: KnowledgeBase, note: Note) -> int | float | None:
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.datetime)):
        note(f"“{shown(value)}”不是数字")
        return None
    units = spec.units or {}
    unit_name = next(iter(units), "")
    if isinstance(value, (int, float)):
        result = _finite(value)
        if result is None:
            note(f"“{shown(value)}”不是数字")
        elif result < 0:
            note(f"不能为负数：{shown(value)}")
            return None
        return result
    given = str(value).strip()
    text = plain(given)
    uncertain = [w for w in kb.reading.get("uncertain") or () if w in text]
    m = _NUMBER.fullmatch(text)
    if uncertain:
        note(f"“{given}”不是确定的数（含“{uncertain[0]}”），请填写确切数字")
        return None
    if m is None or re.search(r"\d", m.group("unit")):
        several = len(re.findall(r"\d+(?:\.\d+)?", text)) >= 2
        note(f"“{given}”是一个范围或多个数，不是确定的数，请填写确切数字" if several else f"“{given}”不是数字")
        return None
    unit = m.group("unit")
    if unit and unit not in units:
        expected = "、".join(units) if units else "不带单位的数字"
        note(f"“{given}”的单位“{unit}”与本列不符（本列可写{expected}）")
        return None
    try:
        amount = Decimal(m.group("num").replace(",", "")) * Decimal(str(units.get(unit, 1)))
    except InvalidOperation:
        note(f"“{given}”不是数字")
        return None
    result = _finite(int(amount) if amount == amount.to_integral_value() else float(amount))
    if result is None:
        note(f"“{given}”不是数字")
        return None
    if result < 0:
        note(f"不能为负数：{given}")
        return None
    if unit and units.get(unit) != 1:  # the column's own unit (120人, 3.5%, 5000万元) is no reading to report
        note(f"“{given}”含单位", f"已按{result}{unit_name}解读", given, "notice")
    return result


def _finite(number) -> int | float | None:
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return int(number) if float(number).is_integer() else number


def number(value) -> float | int | None:
    """A plain number cell (no units) as a number; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _finite(value)
    m = _NUMBER.fullmatch(plain(value).removesuffix("%"))
    if m is None or m.group("unit"):
        return None
    return _finite(float(m.group("num").replace(",", "")))
