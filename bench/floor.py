"""Our PDF pipeline against bare WeasyPrint on the same HTML, interleaved enterprise by enterprise.

Run by bench/run.py as ``python bench/floor.py RECORDS.csv OUT_DIR``. One warm process, as a
worker is: for each enterprise, our whole per-enterprise pipeline (match, Markdown, HTML, both
PDFs, writing the new version) and then WeasyPrint alone rendering the same two HTML documents
with the same stylesheets, in alternating order (ours first for even records, bare first for odd
ones), so a machine whose speed drifts — this one's does, by 10-15% from minute to minute —
favours neither. Prints one JSON line: seconds for ours, seconds for bare, enterprises.
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
        archive = renderer.plan_pdf_job(rendered, "plan.pdf")
        documents.append([(archive.html, "plan", lambda archive=archive: write_options(archive)),
                          (renderer.html(plan, rendered.brief_md, "brief"), "brief", dict)])
    generate._process(tasks[0])  # warm both up on the first enterprise, untimed
    bare(documents[0])
    ours_s = bare_s = 0.0
    for i, (task, docs) in enumerate(zip(tasks[1:], documents[1:])):
        steps = [("ours", lambda: generate._process(task)), ("bare", lambda: bare(docs))]
        for name, step in steps if i % 2 == 0 else reversed(steps):
            start = time.perf_counter()
            outcome = step()
            took = time.perf_counter() - start
            if name == "ours":
                assert outcome[0] == "written", outcome
                ours_s += took
            else:
                bare_s += took
    print(json.dumps({"ours": ours_s, "bare": bare_s, "enterprises": len(tasks) - 1}))


if __name__ == "__main__":
    main()
