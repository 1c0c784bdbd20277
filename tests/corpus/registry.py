"""The registry of corpus cases (see make.py)."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Callable

CASES: dict[str, Callable] = {}


def case(name: str):
    """Register ``build(folder) -> [paths]`` as the corpus case ``name``."""
    def register(build):
        if name in CASES:
            raise ValueError(f"corpus case {name} registered twice")
        CASES[name] = build
        return build
    return register


def write_xlsx(path, sheets, *, merges=None, hidden=(), formats=None):
    """Write ``sheets`` (title → rows) to ``path`` as a workbook that is the same byte for byte each
    time; ``merges`` title → ranges; ``hidden`` titles; ``formats`` (title, cell) → number format."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for ref in (merges or {}).get(title, ()):
            sheet.merge_cells(ref)
        if title in hidden:
            sheet.sheet_state = "hidden"
    for (title, ref), fmt in (formats or {}).items():
        book[title][ref].number_format = fmt
    buffer = io.BytesIO()
    book.save(buffer)
    _fixed_zip(buffer.getvalue(), path)
    return path


def _fixed_zip(data: bytes, path) -> None:
    """The workbook with fixed times (zip entries, document properties), so that making the
    corpus again gives the same bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = source.read(info)
            if info.filename == "docProps/core.xml":
                member = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2022-06-15T00:00:00Z", member)
            target.writestr(zipfile.ZipInfo(info.filename, (2022, 6, 15, 0, 0, 0)), member, zipfile.ZIP_DEFLATED)
