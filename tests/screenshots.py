"""The README's screenshots of the web workplace, taken by the browser tests when
PLANNER_SCREENSHOTS=1 (``PLANNER_SCREENSHOTS=1 .venv/bin/python -m pytest tests/test_web_browser*.py``)
and saved under docs/ as palette PNGs (256 colours, optimised by Pillow): a page of text and
tables loses nothing visible and takes a third of the bytes."""

from __future__ import annotations

import io
import os
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
WANTED = bool(os.environ.get("PLANNER_SCREENSHOTS"))
MOST_HEIGHT = 1600  # a full page taller than this is cut (the top of it is what the README shows)


def shot(page, name: str, full_page: bool = False) -> None:
    """Save the page (the viewport, or the whole page up to MOST_HEIGHT) as docs/<name>."""
    if not WANTED:
        return
    from PIL import Image

    png = page.screenshot(full_page=full_page)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.height > MOST_HEIGHT:
        image = image.crop((0, 0, image.width, MOST_HEIGHT))
    small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    DOCS.mkdir(exist_ok=True)
    target = DOCS / name
    part = target.with_suffix(".png.part")
    small.save(part, format="PNG", optimize=True)
    part.replace(target)
