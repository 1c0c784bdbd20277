"""Record text made inert for a reader: control characters, terminal escapes and bidi overrides
from an officer's list must never act on a terminal, a Markdown file or a PDF. They are shown
as visible ⟨U+XXXX⟩ marks instead of being dropped, so the officer sees what the cell holds."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (ESC starts ANSI/OSC sequences), and the
# bidirectional embedding, override and isolate marks (RLO and friends can reorder what is shown).
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def visible(text: str) -> str:
    """``text`` with every control, escape and bidi mark replaced by a visible ⟨U+XXXX⟩."""
    if _INVISIBLE.search(text) is None:  # the common case costs one scan
        return text
    return _INVISIBLE.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)


def has_invisible(text: str) -> bool:
    """Whether ``text`` holds a character that ``visible`` would mark."""
    return _INVISIBLE.search(text) is not None


def json_inert(text: str) -> str:
    """JSON text with the same characters written as ``\\uXXXX`` escapes: the data is unchanged
    for a program that reads it, and nothing acts on the terminal that shows it."""
    if _INVISIBLE.search(text) is None:
        return text
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
