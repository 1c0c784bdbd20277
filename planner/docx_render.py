"""Editable Word documents: plan.docx and brief.docx, for bureaus that edit a plan in WPS or Word
before issuing it.

Built with python-docx from the context the Markdown templates get (``view.plan_context`` and
``view.brief_context``), never converted from the PDF or the Markdown; the wording is
``templates/docx.yaml`` (the words of plan.md.j2 and brief.md.j2), the layout is here. Public face:
``DocxWriter(templates).plan(context, meta)`` and ``.brief(context, meta)``, each returning bytes.

- Faces are those of the PDF (templates/plan.css, brief.css) under the names Word and WPS know on
  a Chinese system — 仿宋 body, 黑体 level-1 headings and labels, 楷体 level-2 headings, bold 宋体
  title; the brief is 黑体 throughout — set on the styles and, as ``w:eastAsia``, on every run, so
  an edit keeps them. The Fandol faces of the PDF are not installed on officers' machines.
- Headings are Word's Heading 1 and Heading 2 (the navigation pane lists them); tables are tables.
- Record text is inert: every value is a plain ``w:t`` (controls shown as ⟨U+XXXX⟩, whitespace
  collapsed), never a field, a hyperlink or a style name.
- Same inputs, same bytes: the core properties are the as-of date and the issuer, and the zip is
  written again with fixed entry dates in a fixed order.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import re
import zipfile
from dataclasses import dataclass

import docx
import yaml
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from planner.exceptions import RenderError
from planner.textsafe import visible

WORDING = "docx.yaml"
# The PDF's roles (plan.css) under the family names of Word/WPS on a Chinese system.
BODY, HEI, KAI, SONG = "仿宋", "黑体", "楷体", "宋体"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
# What follows w:pBdr in a w:pPr (ECMA-376 CT_PPrBase): Word refuses a file whose elements are out of order.
AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
              "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
              "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
              "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
              "w:rPr", "w:sectPr", "w:pPrChange")
BULLET = "· "  # in GB2312, so in every Chinese face (• is not)


@dataclass(frozen=True)
class Page:
    """A4 and the margins of the PDF's @page (top, right, bottom, left, in mm)."""

    top: float
    right: float
    bottom: float
    left: float
    width: float = 210
    height: float = 297

    @property
    def text_width(self) -> float:
        return self.width - self.left - self.right


PLAN_PAGE = Page(37, 24, 28, 28)  # plan.css
BRIEF_PAGE = Page(13, 15, 13, 15)  # brief.css


@dataclass(frozen=True)
class DocMeta:
    """The core properties of a document: fixed by its inputs, so the bytes are too."""

    title: str
    author: str
    subject: str
    keywords: str
    created: dt.date


def inert(value) -> str:
    """A value as the text of one run: controls, escapes and bidi marks made visible, whitespace
    (tabs, line breaks, which python-docx would turn into w:tab and w:br) collapsed to spaces."""
    return _SPACE.sub(" ", visible("" if value is None else str(value)))


_SPACE = re.compile(r"\s+")
_FIELD = re.compile(r"\{(\w+)\}")


def fill(pattern: str, **values) -> str:
    """``pattern`` from docx.yaml with each ``{name}`` replaced by ``values[name]``; the values are
    never scanned again, so a record's ``{x}`` stays as it is."""
    def value(m):
        if m.group(1) not in values:
            raise RenderError(f"模板 {WORDING} 中的“{pattern}”使用了未定义的变量 {m.group(1)}")
        return str(values[m.group(1)])
    return _FIELD.sub(value, pattern)


@functools.lru_cache(maxsize=1)
def _blank() -> bytes:
    """python-docx's default document, read once."""
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    return buffer.getvalue()


def _fonts(rpr, face: str) -> None:
    """``face`` for every script of a run or style, no theme font left to override it."""
    fonts = rpr.get_or_add_rFonts()  # in the schema's place (after w:rStyle)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), face)


def _shade(cell, fill_hex: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill_hex)
    cell._tc.get_or_add_tcPr().append(shd)


def _row_height(row, mm: float) -> None:
    trpr = row._tr.get_or_add_trPr()
    height = OxmlElement("w:trHeight")
    height.set(qn("w:val"), str(int(Mm(mm).twips)))
    height.set(qn("w:hRule"), "atLeast")
    trpr.append(height)


def _repeat_header(row) -> None:
    header = OxmlElement("w:tblHeader")
    row._tr.get_or_add_trPr().append(header)


class _Builder:
    """One document being built: paragraphs of (text, face) runs, headings and tables."""

    def __init__(self, page: Page, body: str, size: float, leading: float, headings: dict,
                 table_leading: float | None = None):
        """``leading``: the stylesheet's line-height (1.4), set as exact line spacing, so a page holds
        the same lines whatever face the reader's machine puts in; ``headings``: style → (face,
        points, bold, line-height, space before, space after in pt), from the stylesheet's margins."""
        self.doc = docx.Document(io.BytesIO(_blank()))
        self.page, self.body, self.size = page, body, size
        self.leading, self.table_leading = leading, table_leading or leading
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(page.width), Mm(page.height)
        section.top_margin, section.right_margin = Mm(page.top), Mm(page.right)
        section.bottom_margin, section.left_margin = Mm(page.bottom), Mm(page.left)
        section.header_distance, section.footer_distance = Mm(min(page.top, 15) / 2), Mm(min(page.bottom, 15) / 2)
        styles = self.doc.styles
        defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _fonts(defaults, body)
        lang = defaults.find(qn("w:lang"))
        lang.set(qn("w:val"), "zh-CN")
        lang.set(qn("w:eastAsia"), "zh-CN")
        normal = styles["Normal"]
        self._style(normal, body, size)
        fmt = normal.paragraph_format
        fmt.space_before, fmt.space_after = Pt(0), Pt(1.5)
        self.spacing(fmt, size, leading)
        for name, (face, points, bold, line, before, after) in headings.items():
            style = styles[name]
            self._style(style, face, points, bold)
            fmt = style.paragraph_format
            fmt.keep_with_next = True
            fmt.space_before, fmt.space_after = Pt(before), Pt(after)
            self.spacing(fmt, points, line)
            if name == "Title":  # the default's blue rule below the title is not the PDF's
                ppr = style.element.get_or_add_pPr()
                border = ppr.find(qn("w:pBdr"))
                if border is not None:
                    ppr.remove(border)
        self.headings = headings
        self._looks: dict = {}  # (face, size, bold, color) → the rPr of a run that looks so
        self.style_ids = {name: styles[name].style_id for name in ("Table Grid", *headings)}

    def paragraph(self, style: str | None = None):
        """A new paragraph, its style set by id (python-docx looks a style name up by scanning
        every style: a third of the time of a plan)."""
        paragraph = self.doc.add_paragraph()
        if style:
            paragraph._p.style = self.style_ids[style]
        return paragraph

    @staticmethod
    def spacing(fmt, size: float, leading: float) -> None:
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(round(size * leading * 2) / 2)

    @staticmethod
    def _style(style, face: str, points: float, bold: bool = False) -> None:
        _fonts(style.element.get_or_add_rPr(), face)
        style.font.size, style.font.bold, style.font.italic = Pt(points), bold, False
        style.font.color.rgb = RGBColor(0, 0, 0)

    def run(self, paragraph, text, face: str | None = None, size: float | None = None, bold: bool | None = None,
            color: RGBColor | None = None):
        """A run of ``text`` (inert) with its own rPr: a copy of the one made for the same look, since
        a plan has thousands of runs in a handful of looks."""
        key = (face or self.body, size, bold, color)
        properties = self._looks.get(key)
        if properties is None:
            model = paragraph.add_run()
            _fonts(model._r.get_or_add_rPr(), key[0])
            if size:
                model.font.size = Pt(size)
            if bold is not None:
                model.font.bold = bold
            if color is not None:
                model.font.color.rgb = color
            properties = self._looks[key] = model._r.rPr
            paragraph._p.remove(model._r)
        run = paragraph.add_run()
        run._r.insert(0, copy.deepcopy(properties))
        run.text = inert(text)
        return run

    def para(self, parts, size: float | None = None, align=None, style: str | None = None, after: float | None = None,
             indent: bool = False):
        """A paragraph of runs: ``parts`` a text or a list of text or (text, face)."""
        paragraph = self.paragraph(style)
        if align is not None:
            paragraph.alignment = align
        if after is not None:
            paragraph.paragraph_format.space_after = Pt(after)
        if indent:  # two characters, as a paragraph of an official document begins
            paragraph.paragraph_format.first_line_indent = Pt(2 * (size or self.size))
        if size and size != self.size:
            self.spacing(paragraph.paragraph_format, size, self.leading)
        for part in [parts] if isinstance(parts, str) else parts:
            text, face = (part, None) if isinstance(part, str) else part
            if text:
                self.run(paragraph, text, face, size)
        return paragraph

    def heading(self, text: str, style: str = "Heading 1"):
        face, points, bold = self.headings[style][:3]
        paragraph = self.paragraph(style)
        self.run(paragraph, text, face, points, bold)
        return paragraph

    def table(self, rows: list, widths: list, header: list | None = None, size: float | None = None,
              header_face: str = HEI, label_columns: tuple = (), label_face: str | None = None,
              label_fill: str | None = None, height: float | None = None):
        """A bordered table, ``widths`` in fractions of the text block; a header row in 黑体, shaded,
        repeated on every page."""
        size = size or self.size
        body_rows = [list(r) for r in rows]
        table = self.doc.add_table(rows=len(body_rows) + (1 if header else 0), cols=len(widths))
        table._tbl.tblStyle_val = self.style_ids["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        lengths = [Mm(self.page.text_width * w) for w in widths]
        for column, length in zip(table.columns, lengths):  # the grid, which LibreOffice and WPS lay out by
            column.width = length
        all_rows = ([(header, True)] if header else []) + [(r, False) for r in body_rows]
        for row, (values, is_header) in zip(table.rows, all_rows):
            if is_header:
                _repeat_header(row)
            if height:
                _row_height(row, height)
            for i, (cell, value) in enumerate(zip(row.cells, values)):
                cell.width = lengths[i]
                paragraph = cell.paragraphs[0]
                paragraph.paragraph_format.space_after = Pt(0)
                self.spacing(paragraph.paragraph_format, size, self.table_leading)
                face = header_face if is_header else (label_face if i in label_columns and label_face else None)
                if value not in (None, ""):
                    self.run(paragraph, value, face, size)
                if is_header:
                    _shade(cell, "F0F0F0")
                elif i in label_columns and label_fill:
                    _shade(cell, label_fill)
        return table

    def footer(self, page_number: bool, note: str = "", face: str | None = None) -> None:
        """The page footer: the page number as GB/T 9704 sets it (— 1 —, 4号 仿宋), the one field of
        the document, made here and never from a value; ``note`` (an internal copy's provenance) below."""
        footer = self.doc.sections[0].footer
        paragraph = footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if page_number:
            self.run(paragraph, "— ", face, 14)
            for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
                run = self.run(paragraph, "", face, 14)
                if kind:
                    char = OxmlElement("w:fldChar")
                    char.set(qn("w:fldCharType"), kind)
                    run._r.append(char)
                elif text == " PAGE ":
                    instr = OxmlElement("w:instrText")
                    instr.set(qn("xml:space"), "preserve")
                    instr.text = text
                    run._r.append(instr)
                else:
                    run.text = text
            self.run(paragraph, " —", face, 14)
        if note:
            line = footer.add_paragraph() if page_number else paragraph
            line.alignment = WD_ALIGN_PARAGRAPH.CENTER
            self.run(line, note, HEI, 7.5, color=RGBColor(0x55, 0x55, 0x55))

    def bytes(self, meta: DocMeta) -> bytes:
        core = self.doc.core_properties
        when = dt.datetime(meta.created.year, meta.created.month, meta.created.day)
        core.title, core.subject, core.keywords = inert(meta.title), inert(meta.subject), inert(meta.keywords)
        core.author, core.last_modified_by = inert(meta.author), inert(meta.author)
        core.comments, core.category = "", ""
        core.created, core.modified, core.revision = when, when, 1
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return fixed_zip(buffer.getvalue(), meta.created)


def fixed_zip(data: bytes, when: dt.date) -> bytes:
    """The package ``data`` written again with every entry dated ``when`` (python-docx dates them
    now), [Content_Types].xml first and the rest by name: the same parts give the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(source.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    with zipfile.ZipFile(out, "w") as target:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(name), compresslevel=6)
    return out.getvalue()


def _joined(items, sep: str) -> str:
    return sep.join(str(i) for i in items)


class DocxWriter:
    """Plans and briefs as .docx, in the wording of the template folder's docx.yaml."""

    def __init__(self, templates):
        text, _ = templates.stylesheet(WORDING)
        try:
            self.words = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RenderError(f"模板 {WORDING} 不是有效的 YAML：{exc}") from None

    def _internal(self, c: dict, internal: bool) -> str:
        return fill(self.words["internal"], provenance=c["provenance"]) if internal else ""

    def plan(self, c: dict, meta: DocMeta, internal: bool = False) -> bytes:
        """plan.docx from ``view.plan_context``: the sections of plan.md.j2, in its order; an
        ``internal`` copy has the provenance in every page's footer, as its PDF."""
        w = self.words["plan"]
        s, labels = w["sections"], w["labels"]
        # plan.css: body 12pt at 1.4, tables 1.3; h1 18pt 1.35, 2 mm below; h2 14pt, 3 mm above and 1 mm
        # below; h3 at body size (run in there, a paragraph of its own here)
        b = _Builder(PLAN_PAGE, BODY, 12, 1.4, {"Title": (SONG, 18, True, 1.35, 0, 6),
                                                "Heading 1": (HEI, 14, False, 1.4, 8.5, 3),
                                                "Heading 2": (KAI, 12, False, 1.3, 3, 0)}, table_leading=1.3)
        b.footer(True, self._internal(c, internal))
        b.doc.styles["Normal"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY  # plan.css p
        b.doc.styles["Heading 2"].paragraph_format.first_line_indent = Pt(24)  # two characters in, as plan.css h3
        red = RGBColor(0xE6, 0, 0)
        banner = b.doc.add_paragraph()
        banner.alignment = WD_ALIGN_PARAGRAPH.CENTER
        banner.paragraph_format.space_after = Pt(12)
        b.run(banner, meta.author, SONG, 24, True, red)
        border = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "6"), ("w:color", "E60000")):
            bottom.set(qn(k), v)
        border.append(bottom)
        banner._p.get_or_add_pPr().insert_element_before(border, *AFTER_PBDR)  # Word wants the schema's order

        title = b.paragraph("Title")
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        b.run(title, fill(w["title"], name=c["name"]), SONG, 18, True)
        b.para(fill(w["subtitle"], campaign=c["campaign"], as_of=c["as_of"]), 10.5, WD_ALIGN_PARAGRAPH.CENTER, after=6)

        b.heading(s["facts"])
        b.table(c["fact_table"], [0.2, 0.3, 0.2, 0.3], size=10)
        if c["receivables"]:
            parts = [(w["receivables"], HEI), "："]
            many = len(c["receivables"]) > 1
            for i, r in enumerate(c["receivables"]):
                text = (f"（{r['no']}）" if many else "") + fill(w["receivable"], **{k: r.get(k, "") for k in
                                                                                    ("debtor", "debtor_type", "amount")})
                text += "".join("，" + f for f in r["flags"]) + ("；" if i < len(c["receivables"]) - 1 else "")
                parts.append(text)
            b.para(parts + ["。"], 10)
        local = c["local"]
        b.para(fill(w["local"], unit=local.unit, contact=local.contact)
               + (fill(w["local_cadre"], cadre=c["cadre"]) if c["cadre"] else "") + "。")

        b.heading(s["difficulties"])
        if c["reported_pressures"]:
            for i, p in enumerate(c["reported_pressures"], 1):
                b.para([f"{i}. ", (p["title"], HEI), f"（{w['reported_with']}{_joined(p['reported'], '、')}）：",
                        p["description"]], indent=True)
        elif c["reported"]:
            b.para(fill(w["reported_only"], reported=_joined(c["reported"], "、")), indent=True)
        else:
            b.para(w["no_difficulty"], indent=True)
        if c["other_pressures"]:
            b.para(w["other_pressures"] + _joined((p["title"] for p in c["other_pressures"]), "、") + "。", indent=True)

        b.heading(s["measures"])
        if c["measures"]:
            b.para(fill(w["measures_intro"], count=len(c["measures"]), unit=local.unit, period=c["campaign_period"]),
                   indent=True)
            for m in c["measures"]:
                self._measure(b, m, c, w, labels)
        else:
            b.para(w["no_measures"], indent=True)

        b.heading(s["universal"])
        if c["universal"]:
            rows = [(u["title"] + fill(w["basis"], no=u["source_no"])
                     + (f"（{u['period']}）" if u["period"] != c["campaign_period"] else ""), u["city_lead"], u["apply"])
                    for u in c["universal"]]
            b.table(rows, [0.32, 0.26, 0.42], header=w["universal_header"], size=10)
        else:
            b.para(w["none"])

        b.heading(s["questions"])
        if c["questions"]:
            for i, q in enumerate(c["questions"], 1):
                b.para(f"{i}. {q['text']}（{q['why']}）", indent=True)
        else:
            b.para(w["no_questions"], indent=True)
        if c["checklist"]:
            b.para(w["checklist"] + _joined((f"{x['text']}（{x['settles']}）" for x in c["checklist"]), "；") + "。",
                   indent=True)

        b.heading(s["timeline"])
        if c["timeline"]:
            rows = [(date, _joined((e["text"] + (w["past"] if e["past"] else "") for e in events), "；"))
                    for date, events in c["timeline_by_date"]]
            b.table(rows, [0.28, 0.72], header=w["timeline_header"], size=10)
        if c["timeline_rest"]:
            b.para(c["timeline_rest"] + "。", indent=True)
        elif not c["timeline"]:
            b.para(w["none"])

        b.heading(s["tasks"])
        rows = [(i, m["title"], m["city_lead"], c["cadre_name"], m["due"], "") for i, m in enumerate(c["measures"], 1)]
        b.table(rows, [0.06, 0.28, 0.28, 0.11, 0.18, 0.09], header=w["tasks_header"], size=10)
        b.para(fill(w["tasks_local"], unit=local.unit) + (fill(w["tasks_cadre"], cadre=c["cadre"]) if c["cadre"] else ""),
               indent=True)
        b.para(c["issuer"], align=WD_ALIGN_PARAGRAPH.RIGHT)
        b.para(c["as_of"], align=WD_ALIGN_PARAGRAPH.RIGHT, after=6)

        if c["requests"]:  # 附：诉求办理情况, in small print as plan.css sets it
            r = c["requests"]
            line = fill(w["requests_count"], total=r["total"], pending=r["pending"])
            line += fill(w["requests_overdue"], count=r["overdue"]) if r["overdue"] else ""
            line += fill(w["requests_awaiting"], count=r["awaiting"]) if r["awaiting"] else ""
            line += "".join(fill(w["requests_closed"], state=state, count=n) for state, n in r["closed"]) + "。"
            line += fill(w["requests_more"], shown=len(r["rows"])) if r["more"] else ""
            b.heading(s["requests"])
            b.para(line, 9)
            if r["rows"]:
                rows = [(x["category"], x["text"] + (fill(w["request_measures"], measures=x["measures"])
                                                     if x["measures"] else ""),
                         x["departments"], x["state_shown"], x["due"])
                        for x in r["rows"]]
                b.table(rows, [0.10, 0.40, 0.18, 0.16, 0.16], header=w["requests_header"], size=9)
        b.heading(s["sources"])
        b.para(_joined((f"〔{x['no']}〕{x['text']}" for x in c["sources"]), "；") + "。", 9)
        b.heading(s["left_out"])
        if c["not_matched"] or c["expired"]:
            pieces = [_joined(g["titles"], "、") + f"（{_joined(g['reasons'], '；')}）" for g in c["left_out"]]
            pieces += [m["title"] + fill(w["expired"], ended=m["ended"]) for m in c["expired"]]
            b.para(_joined(pieces, "；") + "。", 9)
        else:
            b.para(w["all_included"], 9)
        return b.bytes(meta)

    @staticmethod
    def _measure(b: _Builder, m: dict, c: dict, w: dict, labels: dict) -> None:
        """One core measure: its Heading 2, then its paragraph as plan.md.j2 writes it."""
        b.heading(f"（{m['number']}）{m['title']}" + (f"（{m['status_label']}）" if m["status"] != "applies" else ""),
                  "Heading 2")

        def label(key, suffix=""):
            return (labels[key] + suffix, HEI)

        parts = [m["summary"] + fill(w["basis"], no=m["source_no"]), label("lead"), "：" + m["city_lead"]]
        if m["period"] != c["campaign_period"]:
            parts += ["；", label("period"), "：" + m["period"]]
        if m["deadlines"]:
            parts.append("；" + _joined(m["deadlines"], "；"))
        if m["warning"]:
            parts.append(f"（{m['warning']}）")
        parts.append("。")
        if m["branch"]:
            parts += [label("branch"), f"：{m['branch']}。"]
        if m["reasons"]:
            parts += [label("reasons"), "：" + _joined(m["reasons"], "；") + "。"]
        many = len(m["confirm_branches"]) > 1
        for i, br in enumerate(m["confirm_branches"], 1):
            parts.append(label("confirm", str(i) if many else ""))
            parts.append((labels["confirm_one_of"] if many else "") + "：" + br["title"]
                         + ("，" + _joined(br["says"], "；") if br["says"] else "") + "。")
        if m["verify"]:
            parts += [label("verify"), "：" + _joined((v["label"] for v in m["verify"]), "、") + labels["verify_where"]
                      + "。"]
        for g in m["item_groups"]:
            parts += [(g["which"], HEI), f"：{g['text']}。"]
        if m["actions"] and m["status"] != "verify":
            numbered = [(CIRCLED[i] if i < len(CIRCLED) else f"{i + 1}.") + a for i, a in enumerate(m["actions"])]
            parts += [label("actions"), "：" + _joined(numbered, "；") + "。"]
        if m["documents"]:
            parts += [label("documents"), "：" + _joined(m["documents"], "；") + "。"]
        b.para(parts, indent=True)
        if m["notes"]:
            b.para(labels["notes"] + "：" + "".join(m["notes"]), 10)

    def brief(self, c: dict, meta: DocMeta, internal: bool = False) -> bytes:
        """brief.docx from ``view.brief_context``: one A4 page, 黑体 throughout (brief.css)."""
        w = self.words["brief"]
        s = w["sections"]
        # brief.css: 10.5pt at 1.45 (exact 15pt: the page holds the lines view.BriefLimits counts);
        # h1 15pt, 2 mm below; h2 11.5pt, 2.5 mm above and 1 mm below
        b = _Builder(BRIEF_PAGE, HEI, 10.5, 1.45, {"Title": (HEI, 15, False, 1.3, 0, 6),
                                                   "Heading 1": (HEI, 11.5, False, 1.3, 7, 3)})
        if internal:
            b.footer(False, self._internal(c, internal))
        for name in ("Title", "Heading 1"):
            fmt = b.doc.styles[name].paragraph_format
            fmt.space_before, fmt.space_after = Pt(5 if name == "Heading 1" else 0), Pt(2 if name == "Heading 1" else 4)
            fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(19 if name == "Title" else 16)
        title = b.paragraph("Title")
        b.run(title, fill(w["title"], name=c["name"]), HEI, 15)
        b.table(c["rows"], [0.21, 0.29, 0.21, 0.29], label_columns=(0, 2), label_face=HEI, label_fill="F2F2F2",
                height=5.2)

        def more(key, count):
            return fill(w[key], count=count) if count else ""

        if c["follow_up"]:  # the open requests to follow up, first
            b.heading(fill(s["follow_up"], more=more("more_follow_up", c["more_follow_up"])))
            for r in c["follow_up"]:
                b.para(BULLET + fill(w["follow_up"], id=r["id"], category=r["category"], text=r["text"],
                                     state=r["state"], due=r["due"], status=r["status"],
                                     late=w["overdue"] if r["overdue"] else ""))
        b.heading(s["difficulties"] + more("more", c["more_difficulties"]))
        for d in c["difficulties"]:
            b.para(f"{BULLET}{d['title']}（{d['note']}）")
        if not c["difficulties"]:
            b.para(BULLET + w["no_difficulty"])
        b.heading(s["measures"] + more("more", c["more_measures"]))
        for i, m in enumerate(c["measures"], 1):
            b.para(f"{i}. {m['title']}〔{m['status_label']}〕{m['benefit'] or m['lead']}"
                   + (f"，{m['warning']}" if m["warning"] else ""))
        if c["checklist"]:
            b.heading(fill(s["checklist"], more=more("more_checklist", c["more_checklist"])))
            for x in c["checklist"]:
                b.para(BULLET + x)
        b.heading(s["questions"] + more("more_questions", c["more_questions"]))
        for i, q in enumerate(c["questions"], 1):
            b.para(f"{i}. {q}")
        if not c["questions"]:
            b.para(w["no_questions"])
        b.heading(fill(s["requests"], visit_ref=c["visit_ref"]))
        b.table([("", "", "")] * c["request_lines"], [0.26, 0.58, 0.16], header=w["requests_header"], height=8)
        b.para("", after=0).paragraph_format.line_spacing = Pt(6)
        signatures = b.table([], [1 / 3] * 3, header=w["signatures"], height=12)
        for cell in signatures.rows[0].cells:  # written on by hand: no shading, text at the top
            cell._tc.tcPr.remove(cell._tc.tcPr.find(qn("w:shd")))
        return b.bytes(meta)
