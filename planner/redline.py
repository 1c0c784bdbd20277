"""A redline of a plan as it reads: rendered blocks aligned old → new, changes marked by whole tokens.

Both plan.md texts are parsed (markdown-it, as planner.render configures it) into blocks: headings,
paragraphs, list items, quotes and table rows, each with its rendered plain text (no ``**``, no
escapes, no pipes). The blocks are aligned; a block found at another place in the other version
(the same text, or the same after its ordinal （一）/1./① is stripped) is *moved*, shown once at its
new place; a changed block is diffed by tokens, where a token is a date, a number with its unit, a
Latin word or else one character, so a date changes as one token pair.

The public face is :func:`redline` and the data it returns::

    Hunk(context=[Block, ...],   # the unchanged headings above the change, outermost first
         blocks=[Block, ...])    # the changed blocks, in the new version's order

    Block(kind,     # "heading" | "paragraph" | "item" | "quote" | "table"
          level,    # heading level (1-6); list nesting depth for items; 0 otherwise
          change,   # "changed" | "inserted" | "deleted" | "moved" | "context"
          pieces,   # [(op, text)] with op INSERT (1), DELETE (-1) or EQUAL (0); empty for tables
          marker,   # an ordered list item's number ("2."), shown but never compared
          note,     # "（位置调整：原第三项，现第一项）" for a moved block, else ""
          header,   # a table's header cells (plain text)
          rows)     # a table's changed rows: [Row(change, cells=[[(op, text)], ...])]

Provenance (hex digests, ``planner x.y.z``) is dropped from the text before comparing: its change
belongs to the diff's header, not to the redline.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from markdown_it import MarkdownIt

INSERT, DELETE, EQUAL = 1, -1, 0

__all__ = ["INSERT", "DELETE", "EQUAL", "Block", "Row", "Hunk", "redline", "tokens", "token_diff"]


@dataclass
class Row:
    change: str  # changed, inserted, deleted
    cells: list  # [[(op, text)], ...]


@dataclass
class Block:
    kind: str
    level: int = 0
    change: str = "context"
    pieces: list = field(default_factory=list)
    marker: str = ""
    note: str = ""
    header: list = field(default_factory=list)
    rows: list = field(default_factory=list)

    @property
    def text(self) -> str:
        """The new side's text (the old one for a deleted block)."""
        keep = DELETE if self.change == "deleted" else INSERT
        return "".join(t for op, t in self.pieces if op in (EQUAL, keep))


@dataclass
class Hunk:
    context: list
    blocks: list


# ------------------------------------------------------------------------------------- parsing

@dataclass
class _Unit:
    """One comparable piece of a plan: a block, or one row of a table."""

    kind: str
    level: int
    text: str  # rendered plain text; a table row's cells joined by a tab
    cells: tuple = ()
    marker: str = ""
    table: int = -1  # which table of the document, for rows
    header: tuple = ()
    heads: tuple = ()  # indices of the headings above, outermost first
    key: str = ""


_PROVENANCE = re.compile(r"\b[0-9a-f]{12,}\b|\bplanner\s+v?\d+(?:\.\d+)+\S*", re.I)
_ORDINAL = re.compile(r"^\s*(?:[（(][一二三四五六七八九十百零〇\d]+[）)]|[一二三四五六七八九十百]+、|\d+[.、)）]"
                      r"|[\u2460-\u2473\u3251-\u325f])\s*")


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").disable("image")
    return md


def _inline_text(token) -> str:
    out = []
    for child in token.children or []:
        if child.type in ("text", "text_special", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "image":
            out.append(child.content)
    text = _PROVENANCE.sub("", "".join(out))
    return " ".join(text.split(" ")).strip() if "\n" not in text else text.strip()


def ordinal(text: str) -> str:
    """The ordinal a block starts with (（三）, 3., ③), or ""."""
    found = _ORDINAL.match(text)
    return found.group(0).strip() if found else ""


def _strip_ordinal(text: str) -> str:
    return _ORDINAL.sub("", text, count=1)


def _units(markdown: str) -> list[_Unit]:
    tokens = _parser().parse(markdown)
    units: list[_Unit] = []
    heads: list[tuple[int, int]] = []  # (level, unit index)
    lists: list[int] = []  # list nesting
    quote = 0
    table, header, row, cell_text = -1, (), [], None
    in_head = False
    marker = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.type
        if kind == "heading_open":
            level = int(tok.tag[1])
            text = _inline_text(tokens[i + 1])
            while heads and heads[-1][0] >= level:
                heads.pop()
            units.append(_Unit("heading", level, text, heads=tuple(h for _, h in heads)))
            heads.append((level, len(units) - 1))
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append(0)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            marker = f"{tok.info}{tok.markup}" if tok.info else ""
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind == "table_open":
            table += 1
            header = ()
        elif kind == "thead_open":
            in_head = True
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            row = []
        elif kind in ("th_open", "td_open"):
            row.append(_inline_text(tokens[i + 1]))
            i += 3
            continue
        elif kind == "tr_close":
            if in_head:
                header = tuple(row)
            else:
                units.append(_Unit("row", 0, "\t".join(row), tuple(row), table=table, header=header,
                                   heads=tuple(h for _, h in heads)))
        elif kind == "paragraph_open":
            text = _inline_text(tokens[i + 1])
            if lists:
                unit = _Unit("item", len(lists), text, marker=marker)
                marker = ""  # a second paragraph of the item carries no number
            else:
                unit = _Unit("quote" if quote else "paragraph", 0, text)
            unit.heads = tuple(h for _, h in heads)
            if text:
                units.append(unit)
            i += 3
            continue
        elif kind in ("fence", "code_block"):
            text = _PROVENANCE.sub("", tok.content).strip()
            if text:
                units.append(_Unit("paragraph", 0, text, heads=tuple(h for _, h in heads)))
        i += 1
    for unit in units:
        if unit.kind == "row":  # a leading sequence number is renumbering, not content
            cells = unit.cells[1:] if unit.cells and unit.cells[0].isdigit() else unit.cells
            unit.key = "row\t" + "\t".join(cells)
        else:
            unit.key = f"{unit.kind}{unit.level}\t{_strip_ordinal(unit.text)}"
    return units


# ------------------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}"  # ISO date
    r"|(?:\d{4}年)?\d{1,2}月\d{1,2}日|\d{4}年\d{1,2}月|\d{4}年"  # Chinese dates
    r"|[-+]?\d+(?:[.,]\d+)*(?:%|％|‰|万元|亿元|元|万|亿|倍)?"  # numbers with decimals, percent, units
    r"|[A-Za-z][A-Za-z0-9_'-]*"  # a Latin word (C3670 too)
    r"|\s+"
    r"|.", re.S)


def tokens(text: str) -> list[str]:
    """``text`` cut into whole tokens: dates, numbers with units, Latin words, else single characters."""
    return _TOKEN.findall(text)


def token_diff(old: str, new: str) -> list[tuple[int, str]]:
    """(op, text) pieces turning ``old`` into ``new``, by whole tokens; an unchanged run of one
    or two characters between two changes is folded into them, so a change reads as one phrase."""
    a, b = tokens(old), tokens(new)
    ops: list[list] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append([EQUAL, "".join(a[i1:i2]), "".join(a[i1:i2])])
        else:
            ops.append(["change", "".join(a[i1:i2]), "".join(b[j1:j2])])
    merged: list[list] = []
    for k, op in enumerate(ops):
        short = op[0] == EQUAL and len(op[1]) <= 2 and 0 < k < len(ops) - 1
        if short and merged and merged[-1][0] == "change":
            merged[-1][1] += op[1]
            merged[-1][2] += op[2]
        elif op[0] == "change" and merged and merged[-1][0] == "change":
            merged[-1][1] += op[1]
            merged[-1][2] += op[2]
        else:
            merged.append(list(op))
    _align_to_separators(merged)
    out: list[tuple[int, str]] = []
    for op, x, y in merged:
        if op == EQUAL:
            if x:
                out.append((EQUAL, x))
        else:
            if x:
                out.append((DELETE, x))
            if y:
                out.append((INSERT, y))
    return out


_SEPARATORS = set("、，；。：,;:")


def _align_to_separators(merged: list[list]) -> None:
    """Slide each pure insertion or deletion between two unchanged runs to where it reads as whole
    items: 产融对接、[-产才对接、-]数字赋能对接, not 产融[-对接、产才-]对接 (the same edit; the
    matcher may place it either way). In place; only within the unchanged text around it."""
    for k in range(1, len(merged) - 1):
        before, change, after = merged[k - 1], merged[k], merged[k + 1]
        if change[0] != "change" or before[0] != EQUAL or after[0] != EQUAL or (change[1] and change[2]):
            continue
        side = 1 if change[1] else 2
        p, x, n = before[1], change[side], after[1]

        def score(p, x):
            return 2 * (not p or p[-1] in _SEPARATORS) + (x[-1] in _SEPARATORS)

        best = (score(p, x), p, x, n)
        lp, lx, ln = p, x, n
        for _ in range(12):  # to the left
            if not lp or lp[-1] != lx[-1]:
                break
            lp, lx, ln = lp[:-1], lp[-1] + lx[:-1], lx[-1] + ln
            if score(lp, lx) > best[0]:
                best = (score(lp, lx), lp, lx, ln)
        rp, rx, rn = p, x, n
        for _ in range(12):  # to the right
            if not rn or rn[0] != rx[0]:
                break
            rp, rx, rn = rp + rx[0], rx[1:] + rn[0], rn[1:]
            if score(rp, rx) > best[0]:
                best = (score(rp, rx), rp, rx, rn)
        _, p, x, n = best
        before[1] = before[2] = p
        change[side] = x
        after[1] = after[2] = n


# ------------------------------------------------------------------------------------- alignment

_CN_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n - 10] if n > 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def _position(unit: _Unit, index: int, units: list[_Unit]) -> str:
    """How a reviewer names a block's place: its ordinal as a number word, or its place among
    its siblings of the same kind under the same heading."""
    mark = ordinal(unit.text) or unit.marker
    if mark:
        inner = mark.strip("（）()、.)")
        if inner.isdigit():
            return f"第{_cn_number(int(inner))}项"
        if len(mark) == 1 and "\u2460" <= mark <= "\u2473":
            return f"第{_cn_number(ord(mark) - 0x245F)}项"
        return f"第{inner}项"
    siblings = [k for k, u in enumerate(units) if u.heads == unit.heads and u.kind == unit.kind]
    return f"第{_cn_number(siblings.index(index) + 1)}段"


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def redline(old_md: str, new_md: str) -> list[Hunk]:
    """The changed blocks of ``old_md`` → ``new_md`` as hunks, each under its nearest headings."""
    old, new = _units(old_md), _units(new_md)
    matcher = SequenceMatcher(None, [u.key for u in old], [u.key for u in new], autojunk=False)
    deleted: list[int] = []
    inserted: list[int] = []
    groups: list[tuple[list[int], list[int]]] = []
    anchor_of_old: dict[int, int] = {}  # an old unit → the new index it would stand before
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        groups.append((list(range(i1, i2)), list(range(j1, j2))))
        deleted += range(i1, i2)
        inserted += range(j1, j2)
        for i in range(i1, i2):
            anchor_of_old[i] = j1

    # Moves: the same key deleted in one place and inserted in another; then near-identical ones.
    moved: dict[int, int] = {}  # new index → old index
    free_old = {i for i in deleted}
    by_key: dict[str, list[int]] = {}
    for i in deleted:
        by_key.setdefault(old[i].key, []).append(i)
    for j in inserted:
        candidates = [i for i in by_key.get(new[j].key, []) if i in free_old]
        if candidates:
            moved[j] = candidates[0]
            free_old.discard(candidates[0])
    group_of_old = {i: g for g, (olds, _) in enumerate(groups) for i in olds}
    group_of_new = {j: g for g, (_, news) in enumerate(groups) for j in news}

    # Changes inside one group: pair an old and a new unit of the same kind, in order, when alike.
    paired: dict[int, int] = {}  # new index → old index, text changed in place
    for olds, news in groups:
        olds = [i for i in olds if i in free_old]
        start = 0
        for j in news:
            if j in moved:
                continue
            for pos in range(start, len(olds)):
                i = olds[pos]
                if _same_kind(old[i], new[j]) and _similar(old[i].text, new[j].text) >= 0.5:
                    paired[j] = i
                    free_old.discard(i)
                    start = pos + 1
                    break
    # Moved and changed: alike blocks left over in different groups.
    for j in inserted:
        if j in moved or j in paired:
            continue
        best, score = None, 0.8
        for i in sorted(free_old):
            if group_of_old[i] == group_of_new[j] or not _same_kind(old[i], new[j]):
                continue
            s = _similar(old[i].text, new[j].text)
            if s >= score:
                best, score = i, s
        if best is not None:
            moved[j] = best
            free_old.discard(best)

    # What is shown, each at a place in the new version's order (a deletion: before its anchor).
    shown: list[tuple[float, Block, _Unit]] = []
    skipped: set[int] = set()  # new units covered by another line (moved with their heading, renumbered)
    for j in sorted(set(inserted)):
        unit = new[j]
        if j in moved:
            i = moved[j]
            block = _moved_block(old[i], i, old, unit, j, new, moved)
            if block is None:
                skipped.add(j)
                continue
        elif j in paired:
            block = _changed_block(old[paired[j]], unit)
            if block is None:
                skipped.add(j)
                continue
        else:
            block = _whole(unit, "inserted", INSERT)
        shown.append((j, block, unit))
    for i in sorted(free_old):
        shown.append((anchor_of_old[i] - 0.5 + i / (10 * len(old) + 10), _whole(old[i], "deleted", DELETE), old[i]))
    shown.sort(key=lambda s: s[0])
    return _hunks(shown, old, new, skipped)


def _same_kind(a: _Unit, b: _Unit) -> bool:
    if a.kind == "row" or b.kind == "row":
        return a.kind == b.kind and a.header == b.header
    return a.kind == b.kind and (a.kind != "heading" or a.level == b.level)


def _whole(unit: _Unit, change: str, op: int) -> Block:
    if unit.kind == "row":
        return Block("table", change=change, header=list(unit.header),
                     rows=[Row(change, [[(op, c)] if c else [] for c in unit.cells])])
    return Block(unit.kind, unit.level, change, [(op, unit.text)], unit.marker)


def _changed_block(a: _Unit, b: _Unit) -> Block | None:
    if b.kind == "row":
        if len(a.cells) != len(b.cells):
            return Block("table", change="changed", header=list(b.header),
                         rows=[Row("deleted", [[(DELETE, c)] for c in a.cells]),
                               Row("inserted", [[(INSERT, c)] for c in b.cells])])
        cells = [token_diff(x, y) if x != y else [(EQUAL, y)] for x, y in zip(a.cells, b.cells)]
        if a.key == b.key:  # only the sequence number moved
            return None
        return Block("table", change="changed", header=list(b.header), rows=[Row("changed", cells)])
    old_text, new_text = a.text, b.text
    head = ordinal(new_text)
    if head and _strip_ordinal(old_text) != old_text:  # renumbering alone is not marked
        pieces = [(EQUAL, new_text[:len(new_text) - len(_strip_ordinal(new_text))])]
        pieces += token_diff(_strip_ordinal(old_text), _strip_ordinal(new_text))
    else:
        pieces = token_diff(old_text, new_text)
    if all(op == EQUAL for op, _ in pieces):
        return None
    return Block(b.kind, b.level, "changed", _trim(pieces), b.marker)


ELLIPSIS = "……"


def _trim(pieces: list, keep: int = 24) -> list:
    """Long unchanged stretches of a changed block cut to ``keep`` characters either side of a
    change (at token boundaries), with …… for what is left out; a heading stays whole."""
    out = []
    for k, (op, text) in enumerate(pieces):
        if op != EQUAL or len(text) <= 2 * keep + len(ELLIPSIS):
            out.append((op, text))
            continue
        parts = tokens(text)
        head = tail = ""
        if k > 0:  # after a change: a little of what follows
            for t in parts:
                if len(head) + len(t) > keep:
                    break
                head += t
        if k < len(pieces) - 1:  # before a change: a little of what precedes
            for t in reversed(parts):
                if len(tail) + len(t) > keep:
                    break
                tail = t + tail
        out.append((op, head + ELLIPSIS + tail))
    return out


def _moved_block(a: _Unit, i: int, old: list, b: _Unit, j: int, new: list, moved: dict) -> Block | None:
    """A block that moved: collapsed to a line saying where it was, or with its inner changes.
    A block under a heading that moved with it is covered by the heading's line."""
    if b.kind != "heading" and b.heads and b.heads[-1] in moved and a.heads and moved[b.heads[-1]] == a.heads[-1]:
        if a.key == b.key:
            return None
    was, now = _position(a, i, old), _position(b, j, new)
    note = f"（位置调整：原{was}，现{now}）" if was != now else "（位置调整）"
    if a.key == b.key:
        if b.kind == "row":
            return None  # a table row's place is its sequence number
        text = b.text if b.kind == "heading" or len(b.text) <= 40 else b.text[:30] + "……"
        return Block(b.kind, b.level, "moved", [(EQUAL, text)], b.marker, note)
    block = _changed_block(a, b)
    if block is None:
        return None
    block.change, block.note = "moved", note
    return block


def _hunks(shown, old: list, new: list, skipped: set) -> list[Hunk]:
    """Consecutive shown blocks under the same headings make one hunk; a table's rows in one
    hunk make one table."""
    hunks: list[Hunk] = []
    last_pos = None
    shown_heads = {(block.change == "deleted", id(unit)) for _, block, unit in shown if unit.kind == "heading"}
    for pos, block, unit in shown:
        gone = block.change == "deleted"
        units = old if gone else new
        context = []
        for h in unit.heads:
            if units[h].level == 1:
                continue  # the document's title: the same over every hunk
            if (gone, id(units[h])) in shown_heads:
                break  # that heading is shown among the changes: it is the context
            context.append(units[h])
        key = tuple((h.level, _strip_ordinal(h.text)) for h in context)
        between = range(math.floor(last_pos) + 1, math.ceil(pos)) if last_pos is not None else ()
        adjacent = last_pos is not None and all(k in skipped for k in between)
        if hunks and adjacent and hunks[-1]._key == key:  # type: ignore[attr-defined]
            hunk = hunks[-1]
        else:
            hunk = Hunk([Block("heading", h.level, "context", [(EQUAL, h.text)]) for h in context], [])
            hunk._key = key  # type: ignore[attr-defined]
            hunks.append(hunk)
        previous = hunk.blocks[-1] if hunk.blocks else None
        if block.kind == "table" and previous is not None and previous.kind == "table" \
                and previous.header == block.header:
            previous.rows += block.rows
            if previous.change != block.change:
                previous.change = "changed"
        else:
            hunk.blocks.append(block)
        last_pos = max(pos, last_pos) if last_pos is not None else pos
    for hunk in hunks:
        del hunk._key  # type: ignore[attr-defined]
        # a heading that is itself the change stands in for the context heading of the same level
        if hunk.blocks and hunk.blocks[0].kind == "heading" and hunk.context \
                and hunk.context[-1].level >= hunk.blocks[0].level:
            hunk.context = [h for h in hunk.context if h.level < hunk.blocks[0].level]
    return hunks
