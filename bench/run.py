"""The batch benchmark: `make bench` (or `python bench/run.py --records 10000 --pdf-records 200`).

Makes N synthetic valid records (every sector, realistic spread of sizes and difficulties) as the
CSV an officer would export from Excel, then measures in one run:

1. Markdown + JSON plans and briefs per second (`planner generate --format md`, all cores);
2. a rerun with nothing changed;
3. PDFs per second with 1 worker and with all cores, on the first M records;
4. our PDF time against a bare WeasyPrint render of the same HTML (the engine's own floor);
5. peak memory of all processes together (the planner, the forkserver and its workers), for the
   PDF runs of two list lengths, to show it does not grow with N.

Every command is run as a user runs it (`python -m planner ...` in a subprocess); memory is
sampled from /proc every 50 ms over the whole process tree. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

AS_OF = "2022-06-15"


def tree_rss_kib(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields.get("PPid", "0").strip())
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    members, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in members:
                members.add(pid)
                frontier.append(pid)
    return sum(rss.get(pid, 0) for pid in members)


def run(args: list[str]) -> tuple[float, int, str]:
    """Run a planner command; return (wall seconds, peak KiB of its process tree, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "planner", *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak = 0

    def sample():
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, tree_rss_kib(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    sampler.join()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"planner {' '.join(args)} failed ({process.returncode}):\n{err}")
    return wall, peak, out.strip()


def write_csv(path: Path, count: int) -> None:
    from planner import knowledge
    from planner.records import Record, write_table
    from planner.resources import bundled

    kb = knowledge.load(bundled("sectors"))
    records = [Record(r, "synthetic") for r in synthetic.records(count)]
    write_table(records, path, kb)


def bare_weasyprint(html_dir: Path) -> float:
    """Seconds per PDF for WeasyPrint alone on the same HTML and CSS, warm, one process."""
    code = f"""
import time, pathlib
from weasyprint import HTML, CSS
from weasyprint.text.fonts import FontConfiguration
files = sorted(pathlib.Path({str(html_dir)!r}).glob("*.html"))
fc = FontConfiguration()
sheets = {{}}
for kind in ("plan", "brief"):
    sheets[kind] = [CSS(string=pathlib.Path({str(ROOT / 'templates')!r}, n).read_text(), font_config=fc)
                    for n in ("print.css", kind + ".css")]
HTML(string=files[0].read_text()).write_pdf(stylesheets=sheets["plan"], font_config=fc)  # warm up
start = time.perf_counter()
for f in files:
    HTML(string=f.read_text()).write_pdf(stylesheets=sheets[f.stem.split("-")[-1]], font_config=fc)
print((time.perf_counter() - start) / len(files))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def dump_html(records: Path, html_dir: Path, count: int) -> None:
    """The exact HTML our pipeline hands WeasyPrint, for the first ``count`` enterprises."""
    import copy
    import datetime as dt

    from planner import knowledge
    from planner.generate import Renderer
    from planner.matching import match
    from planner.records import read_records
    from planner.render import Templates
    from planner.resources import bundled

    kb = knowledge.load(bundled("sectors"))
    renderer = Renderer(kb, Templates.from_option(None))
    html_dir.mkdir(parents=True, exist_ok=True)
    for i, record in enumerate(read_records(records, kb).records[:count]):
        plan = match(copy.deepcopy(record), kb, dt.date.fromisoformat(AS_OF))
        rendered = renderer.render(plan)
        (html_dir / f"{i:05d}-plan.html").write_text(renderer.html(plan, rendered.plan_md, "plan"))
        (html_dir / f"{i:05d}-brief.html").write_text(renderer.html(plan, rendered.brief_md, "brief"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10000, help="records for the Markdown runs")
    parser.add_argument("--pdf-records", type=int, default=200,
                        help="records for the PDF runs (memory is measured at this and at half of it)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    work = Path(tempfile.mkdtemp(prefix="planner-bench-"))
    rows = []
    try:
        big, small = work / "list.csv", work / "pdf-list.csv"
        half = work / "pdf-half.csv"
        write_csv(big, args.records)
        write_csv(small, args.pdf_records)
        write_csv(half, max(1, args.pdf_records // 2))

        wall, peak, _ = run(["generate", str(big), "--out", str(work / "md"), "--as-of", AS_OF, "--format", "md", "-q"])
        rows.append((f"Markdown + JSON, {args.records} records, {cores} cores", f"{wall:.1f} s",
                     f"{args.records / wall:,.0f} plans/s", f"{peak / 1024:,.0f} MiB"))
        wall, peak, out = run(["generate", str(big), "--out", str(work / "md"), "--as-of", AS_OF, "--format", "md", "-q"])
        rows.append((f"rerun, nothing changed ({out.split(',')[1].strip()})", f"{wall:.1f} s",
                     f"{args.records / wall:,.0f} records/s", f"{peak / 1024:,.0f} MiB"))

        n = args.pdf_records
        wall1, peak1, _ = run(["generate", str(small), "--out", str(work / "pdf1"), "--as-of", AS_OF, "--workers", "1", "-q"])
        rows.append((f"PDFs, {n} records ({2 * n} PDFs), 1 worker", f"{wall1:.1f} s", f"{2 * n / wall1:.2f} PDFs/s",
                     f"{peak1 / 1024:,.0f} MiB"))
        wall_all, peak_all, _ = run(["generate", str(small), "--out", str(work / "pdfall"), "--as-of", AS_OF, "-q"])
        rows.append((f"PDFs, {n} records ({2 * n} PDFs), {cores} workers", f"{wall_all:.1f} s",
                     f"{2 * n / wall_all:.2f} PDFs/s ({wall1 / wall_all:.2f}x)", f"{peak_all / 1024:,.0f} MiB"))
        wall_half, peak_half, _ = run(["generate", str(half), "--out", str(work / "pdfhalf"), "--as-of", AS_OF, "-q"])
        rows.append((f"PDFs, {n // 2} records, {cores} workers (memory vs N)", f"{wall_half:.1f} s",
                     f"{2 * (n // 2) / wall_half:.2f} PDFs/s", f"{peak_half / 1024:,.0f} MiB"))

        dump_html(small, work / "html", n)
        bare = bare_weasyprint(work / "html")
        ours = wall1 / (2 * n)
        rows.append(("bare WeasyPrint on the same HTML, 1 process", f"{bare * 2 * n:.1f} s",
                     f"{1 / bare:.2f} PDFs/s", "—"))
        rows.append(("our PDF time / bare WeasyPrint (1 worker)", "", f"{ours / bare:.3f}", ""))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")

    print(f"\nplanner benchmark — {platform.machine()}, {cores} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
          f"Python {platform.python_version()}, {platform.platform(terse=True)}\n")
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    header = ("run", "wall", "rate", "peak memory (all processes)")
    widths = [max(w, len(h)) for w, h in zip(widths, header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))


if __name__ == "__main__":
    main()
