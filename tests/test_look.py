"""The look of an official document (GB/T 9704-2012) and what the enterprise's copy prints.

Read back from the PDFs as a reader sees them: the embedded faces (pdffonts), the text of page 1
and of each page's footer (pdftotext, cropped), with and without ``planner generate --internal``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from planner.cli import main
from planner.pdf import FONT_FILES, font_folder, make_fetcher
from planner.resources import bundled

from conftest import EXAMPLES

CODE = "91330282NB0000040U"  # a 15-page sample plan with tables, headings of both levels
ISSUER = "宁波市经济和信息化局"
VERSION = re.compile(r"planner\s*0\.")
HASH = re.compile(r"(?<![0-9a-f])[0-9a-f]{16}(?![0-9a-f])")
A4_HEIGHT, A4_WIDTH = 842, 595  # points
FOOTER = 76  # a little inside the plan's bottom margin (28 mm, 79 pt), in points

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
                                   reason="poppler-utils (make setup installs it as root)")


def test_fandol_fonts_are_there():
    # Not a skip: without them every plan falls back to Noto CJK, and CI (root, can fetch) must say so.
    missing = [name for name in FONT_FILES if not (bundled("fonts") / name).is_file()]
    assert not missing and font_folder() is not None, (
        f"fonts/ lacks {missing}: run `make fonts` (apt-get download texlive-lang-chinese)")


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """One sample enterprise generated through the command line, as the enterprise's copy and as
    an internal copy (into the same output folder: the internal copy must count as a change)."""
    folder = tmp_path_factory.mktemp("look")
    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    data["enterprises"] = [e for e in data["enterprises"] if e["id"] == CODE]
    records = folder / "one.yaml"
    records.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    from click.testing import CliRunner

    runner = CliRunner()
    out = {}
    for name, extra in (("enterprise", []), ("internal", ["--internal"])):
        target = folder / name
        result = runner.invoke(main, ["generate", str(records), "--out", str(target), "--as-of", "2022-06-15",
                                      "-q", *extra])
        assert result.exit_code == 0, result.output
        out[name] = target / CODE
    shared = folder / "shared"  # an internal run over an enterprise's copy is not skipped as unchanged
    for extra in ([], ["--internal"]):
        result = runner.invoke(main, ["generate", str(records), "--out", str(shared), "--as-of", "2022-06-15",
                                      "-q", *extra])
        assert "已生成1家企业的新版本" in result.output, result.output
    out["shared"] = shared / CODE
    return out


def pdftotext(path: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def footer(path: Path, page: int) -> str:
    crop = ["-x", "0", "-y", str(A4_HEIGHT - FOOTER), "-W", str(A4_WIDTH), "-H", str(FOOTER)]
    return pdftotext(path, "-f", str(page), "-l", str(page), *crop)


def squash(text: str) -> str:
    return "".join(text.split())


@needs_poppler
def test_plan_embeds_the_gbt9704_faces_subset(copies):
    listing = subprocess.run(["pdffonts", str(copies["enterprise"] / "帮扶方案.pdf")], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    fonts = {}
    for line in listing:
        name, *_, emb, sub, _uni, _obj, _gen = line.split()
        fonts[name.split("+", 1)[-1]] = (emb, sub, "+" in name)
    for face in ("FandolFang", "FandolHei", "FandolKai", "FandolSong-Bold"):  # body, h2, h3, title and 版头
        assert fonts.get(face, (None,))[0] == "yes", (face, fonts)
        assert fonts[face][1:] == ("yes", True), (face, fonts)  # subset, ABCDEF+ tag
    assert not [f for f in fonts if "CJK" in f], fonts  # nothing fell back to Noto (a second face to subset)


@needs_poppler
def test_brief_is_in_one_sans_face(copies):
    listing = subprocess.run(["pdffonts", str(copies["enterprise"] / "走访简报.pdf")], capture_output=True, text=True,
                             check=True).stdout
    assert "FandolHei" in listing and "FandolFang" not in listing and "CJK" not in listing


@needs_poppler
def test_banner_with_the_issuer_heads_page_one(copies):
    first = pdftotext(copies["enterprise"] / "帮扶方案.pdf", "-f", "1", "-l", "1")
    lines = [line for line in first.splitlines() if line.strip()]
    assert squash(lines[0]) == ISSUER  # the 版头, above the title
    assert "一企一策" in squash("".join(lines[1:3]))
    second = pdftotext(copies["enterprise"] / "帮扶方案.pdf", "-f", "2", "-l", "2")
    assert ISSUER not in squash(second.splitlines()[0])  # page 1 only


@needs_poppler
def test_page_numbers_as_the_standard_writes_them(copies):
    plan = copies["enterprise"] / "帮扶方案.pdf"
    for page in (1, 2, pages(plan)):
        assert re.fullmatch(rf"—\s*{page}\s*—", footer(plan, page).strip()), footer(plan, page)


@needs_poppler
@pytest.mark.parametrize("copy", ["enterprise", "internal"])
def test_footer_carries_provenance_only_on_the_internal_copy(copies, copy):
    plan = copies[copy] / "帮扶方案.pdf"
    for page in range(1, pages(plan) + 1):
        text = footer(plan, page)
        if copy == "internal":
            assert "内部留存件" in text and VERSION.search(text) and len(HASH.findall(squash(text))) == 2, text
        else:
            assert not VERSION.search(text) and not HASH.search(squash(text)), text
    brief = pdftotext(copies[copy] / "走访简报.pdf", "-y", str(A4_HEIGHT - 40), "-W", str(A4_WIDTH), "-H", "40",
                      "-x", "0")
    assert ("内部留存件" in brief) == (copy == "internal"), brief


@needs_poppler
def test_internal_run_after_an_enterprise_copy_makes_the_internal_copy(copies):
    assert "内部留存件" in footer(copies["shared"] / "帮扶方案.pdf", 1)


@needs_poppler
@pytest.mark.parametrize("name", ["帮扶方案.pdf", "走访简报.pdf"])
def test_enterprise_copy_prints_no_version_or_hash(copies, name):
    text = squash(pdftotext(copies["enterprise"] / name))
    assert not VERSION.search(text) and not HASH.search(text)


def test_the_fetcher_reads_fonts_from_the_font_folder_only(tmp_path):
    folder = font_folder()
    assert folder is not None
    fetcher = make_fetcher([folder])
    font = folder / FONT_FILES[0]
    assert fetcher.fetch(font.as_uri()).read()[:4] == b"OTTO"  # a 7 MB face: above the 5 MB cap of other assets
    outside = tmp_path / "FandolFang-Regular.otf"
    shutil.copy(font, outside)
    with pytest.raises(ValueError):
        fetcher.fetch(outside.as_uri())
    link = tmp_path / "fonts"
    link.mkdir()
    (link / "passwd.otf").symlink_to("/etc/passwd")
    with pytest.raises(ValueError):
        make_fetcher([link]).fetch((link / "passwd.otf").as_uri())


@needs_poppler
def test_the_signature_sits_on_the_right_as_the_standard_sets_it(copies):
    """GB/T 9704-2012 7.3.5.2: the bureau two characters in from the right, the date under it
    starting two characters further right; it sat at the left edge (trial 28)."""
    layout = subprocess.run(["pdftotext", "-layout", str(copies["enterprise"] / "帮扶方案.pdf"), "-"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    at = max(i for i, line in enumerate(layout) if squash(line) == ISSUER)  # the last: not the 版头
    bureau, date = layout[at], next(line for line in layout[at + 1:] if line.strip())
    indent = lambda line: len(line) - len(line.lstrip())  # noqa: E731
    body = max(len(line) for line in layout)
    assert indent(bureau) > body / 2  # on the right, not at the left margin
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", date.strip())
    assert indent(date) > indent(bureau)  # the date starts right of the bureau's first character
