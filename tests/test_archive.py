"""Plans are archival PDFs: PDF/A-3b, with the plan.json they were made from embedded (issue 13)."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from conftest import sample_ids
from test_render import generated  # noqa: F401  (the session's PDFs, generated once)


def xmp(reader: PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")


@pytest.mark.parametrize("code", sample_ids()[:3] + ["91330206NB9999997D"])
def test_a_plan_is_pdf_a_3b_carrying_its_plan_json(generated, code):  # noqa: F811
    reader = PdfReader(generated / code / "帮扶方案.pdf")
    meta = xmp(reader)
    assert re.search(r'pdfaid:part="3"', meta) and re.search(r'pdfaid:conformance="B"', meta), meta
    assert "/OutputIntents" in reader.trailer["/Root"]  # the colour profile PDF/A asks for
    attached = reader.attachments
    assert list(attached) == ["plan.json"]
    assert attached["plan.json"] == [(generated / code / "plan.json").read_bytes()]
    spec = reader.trailer["/Root"]["/AF"][0].get_object()  # an associated file of the document
    assert spec["/AFRelationship"] == "/Source" and spec["/F"] == "plan.json"
    assert str(spec["/EF"]["/F"].get_object().get("/Params", {}).get("/ModDate", "")).startswith("D:20220615")


def test_a_brief_stays_a_plain_pdf(generated):  # noqa: F811
    """The brief is printed, not archived: no variant, nothing embedded."""
    reader = PdfReader(generated / sample_ids()[0] / "走访简报.pdf")
    assert not reader.attachments
    assert "pdfaid" not in (xmp(reader) if "/Metadata" in reader.trailer["/Root"] else "")
