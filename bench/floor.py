"""Our PDF pipeline against bare WeasyPrint on the same HTML, interleaved enterprise by enterprise.

Run by bench/run.py as ``python bench/floor.py RECORDS.csv OUT_DIR``. One warm process, as a
worker is: for each enterprise, our whole per-enterprise pipeline (match, Markdown, HTML, both
PDFs, writing the new version) and then WeasyPrint alone rendering the same two HTML documents
with the same stylesheets, in alternating order (ours first for even records, bare first for odd
ones), so a machine whose speed drifts — this one's does, by 10-15% from minute to minute —
favours neither. The cost of the archival form is measured the same way: the plan's HTML
rendered bare as PDF/A-3b with plan.json attached, and as a plain PDF, interleaved. Prints one
JSON line: seconds for ours, for bare, for the bare archival plans and the bare plain plans,
enterprises.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from planner import generate, knowledge  # noqa: E402
from planner.pdf import write_options  # noqa: E402
from planner.matching import match  # noqa: E402
from planner.records import read_records  # noqa: E402
from planner.render import Templates  # noqa: E402
from planner.resources import bundled  # noqa: E402
from planner.versions import templates_digest  # noqa: E402

AS_OF = dt.date(2022, 6, 15)


def main() -> None:
    records, out = Path(sys.argv[1]), Path(sys.argv[2])
    kb = knowledge.load(bundled("sectors"))
    templates = Templates.from_option(None)
    settings = generate.Settings(str(kb.root), tuple(str(d) for d in templates.dirs), None, AS_OF, ("md", "pdf"),
                                 str(out))
    generate._start_worker(settings, kb)
    renderer = generate._WORKER["renderer"]
    fonts = FontConfiguration()
    sheets = {kind: [CSS(string=text, font_config=fonts) for text, _ in renderer.stylesheets(kind)]
              for kind in ("plan", "brief")}

    def bare(documents):  # the same HTML to the same kind of file (the plan PDF/A-3b with plan.json)
        for html, kind, options in documents:
            HTML(string=html).write_pdf(stylesheets=sheets[kind], font_config=fonts, **options())

    read = read_records(records, kb)
    tasks, documents = [], []
    for record in read.records:
        inputs = generate.inputs_of(record, kb, templates_digest(templates.dirs), AS_OF)
        tasks.append(generate.Task(record.facts, record.where, inputs))
        plan = match(copy.deepcopy(record), kb, AS_OF)
        rendered = renderer.render(plan)
        archive = renderer.plan_pdf_job(rendered, "帮扶方案.pdf")
        documents.append([(archive.html, "plan", lambda archive=archive: write_options(archive)),
                          (renderer.html(plan, rendered.brief_md, "brief"), "brief", dict)])
    generate._process(tasks[0])  # warm both up on the first enterprise, untimed
    bare(documents[0])
    def archival(docs):  # the plan alone, PDF/A-3b with plan.json
        bare(docs[:1])

    def plain(docs):  # the plan alone, the same HTML as an ordinary PDF
        HTML(string=docs[0][0]).write_pdf(stylesheets=sheets["plan"], font_config=fonts)

    ours_s = bare_s = 0.0
    totals = {"archival": 0.0, "plain": 0.0}
    for i, (task, docs) in enumerate(zip(tasks[1:], documents[1:])):
        steps = [("ours", lambda: generate._process(task)), ("bare", lambda: bare(docs)),
                 ("archival", lambda: archival(docs)), ("plain", lambda: plain(docs))]
        for name, step in steps if i % 2 == 0 else reversed(steps):
            start = time.perf_counter()
            outcome = step()
            took = time.perf_counter() - start
            if name == "ours":
                assert outcome[0] == "written", outcome
                ours_s += took
            elif name == "bare":
                bare_s += took
            else:
                totals[name] += took
    print(json.dumps({"ours": ours_s, "bare": bare_s, **totals, "enterprises": len(tasks) - 1}))


if __name__ == "__main__":
    main()
