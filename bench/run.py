"""The batch benchmark: `make bench` (or `python bench/run.py --records 10000 --pdf-records 2000`).

Makes N synthetic valid records (every sector, realistic spread of sizes and difficulties) as the
CSV an officer would export from Excel, then measures in one run:

1. Markdown + JSON plans and briefs per second (`planner generate --format md`, all cores);
2. a rerun with nothing changed;
3. our PDF time with 1 worker against a bare WeasyPrint render of the same HTML (the engine's own
   floor), on the first M records (--ratio-records), taken in the order ours, bare, bare, ours
   over two halves so that a machine whose speed drifts during the run favours neither;
4. PDFs per second with all cores on the same M records, against 1 worker;
5. peak memory of all processes together (the planner, the forkserver and its workers) for the
   all-cores PDF runs of N/4 and N records (--pdf-records), to show it does not grow with N.

Every command is run as a user runs it (`python -m planner ...` in a subprocess); memory (PSS,
so pages the workers share are counted once) is sampled from /proc every 50 ms over the whole
process tree. Prints a table.
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


def tree_pss_kib(root_pid: int) -> int:
    """Memory of a process and all its descendants together, in KiB: the sum of their PSS.

    PSS (proportional set size) counts a page shared by k processes as 1/k in each, so the
    forkserver's modules, shared copy-on-write by every worker, are counted once; a sum of RSS
    would count them once per process.
    """
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    members, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in members:
                members.add(pid)
                frontier.append(pid)
    total = 0
    for pid in members:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
    return total


def run(args: list[str]) -> tuple[float, int, str]:
    """Run a planner command; return (wall seconds, peak KiB of its process tree, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "planner", *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak = 0

    def sample():
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, tree_pss_kib(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    sampler.join()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"planner {' '.join(args)} failed ({process.returncode}):\n{err}")
    return wall, peak, out.strip()


def write_csv(path: Path, count: int, start: int = 0) -> None:
    """Records start .. start+count-1 of the synthetic list, as a CSV."""
    from planner import knowledge
    from planner.records import Record, write_table
    from planner.resources import bundled

    kb = knowledge.load(bundled("sectors"))
    records = [Record(r, "synthetic") for r in synthetic.records(start + count)[start:]]
    write_table(records, path, kb)


def bare_weasyprint(html_dir: Path) -> float:
    """Seconds for WeasyPrint alone to render every HTML file of ``html_dir`` with our CSS, warm,
    in one process with one FontConfiguration (imports and a warm-up render not counted)."""
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
print(time.perf_counter() - start)
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
                        help="records for the all-cores PDF run whose peak memory is reported (and a quarter "
                             "of it, to show memory does not grow with N)")
    parser.add_argument("--ratio-records", type=int, default=100,
                        help="records for 1 worker against bare WeasyPrint and against all cores")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    work = Path(tempfile.mkdtemp(prefix="planner-bench-"))
    rows = []
    try:
        big = work / "list.csv"
        write_csv(big, args.records)
        md = ["--as-of", AS_OF, "--format", "md", "-q"]
        wall, peak, _ = run(["generate", str(big), "--out", str(work / "md"), *md])
        rows.append((f"Markdown + JSON, {args.records} records, {cores} cores", f"{wall:.1f} s",
                     f"{args.records / wall:,.0f} plans/s", f"{peak / 1024:,.0f} MiB"))
        wall, peak, out = run(["generate", str(big), "--out", str(work / "md"), *md])
        assert out.startswith("已生成0家"), out  # nothing was redone
        rows.append(("rerun, nothing changed", f"{wall:.1f} s", f"{args.records / wall:,.0f} records/s",
                     f"{peak / 1024:,.0f} MiB"))

        # Our pipeline with 1 worker against bare WeasyPrint on the same HTML, in the order
        # ours(A) bare(A) bare(B) ours(B) over two halves A and B, so a machine that speeds up or
        # slows down during the run favours neither. Ours is the whole command (start-up, reading,
        # matching, Markdown, writing); bare is its render loop only.
        n = args.ratio_records
        halves = [work / "ratio-a.csv", work / "ratio-b.csv"]
        write_csv(halves[0], n // 2, start=0)
        write_csv(halves[1], n - n // 2, start=n // 2)
        ours = bare = 0.0
        peak1 = 0
        for i, half in enumerate(halves):
            dump_html(half, work / f"html-{i}", n)
            steps = ("ours", "bare") if i == 0 else ("bare", "ours")
            for step in steps:
                if step == "ours":
                    wall, peak, _ = run(["generate", str(half), "--out", str(work / f"pdf1-{i}"), "--as-of", AS_OF,
                                         "--workers", "1", "-q"])
                    ours, peak1 = ours + wall, max(peak1, peak)
                else:
                    bare += bare_weasyprint(work / f"html-{i}")
        rows.append((f"PDFs, {n} records ({2 * n} PDFs), 1 worker", f"{ours:.1f} s", f"{2 * n / ours:.2f} PDFs/s",
                     f"{peak1 / 1024:,.0f} MiB"))
        rows.append(("bare WeasyPrint on the same HTML, 1 process", f"{bare:.1f} s", f"{2 * n / bare:.2f} PDFs/s", "—"))
        rows.append(("our PDF time / bare WeasyPrint (1 worker)", "", f"{ours / bare:.3f}", ""))

        both = work / "ratio.csv"
        write_csv(both, n)
        wall, peak, _ = run(["generate", str(both), "--out", str(work / "pdfall"), "--as-of", AS_OF, "-q"])
        rows.append((f"PDFs, {n} records, {cores} workers", f"{wall:.1f} s",
                     f"{2 * n / wall:.2f} PDFs/s ({ours / wall:.2f}x)", f"{peak / 1024:,.0f} MiB"))

        for count in (max(1, args.pdf_records // 4), args.pdf_records):
            listing = work / f"pdf-{count}.csv"
            write_csv(listing, count)
            wall, peak, _ = run(["generate", str(listing), "--out", str(work / f"pdf-{count}"), "--as-of", AS_OF, "-q"])
            rows.append((f"PDFs, {count} records, {cores} workers (memory vs N)", f"{wall:.1f} s",
                         f"{2 * count / wall:.2f} PDFs/s", f"{peak / 1024:,.0f} MiB"))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")

    print(f"\nplanner benchmark — {platform.machine()}, {cores} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
          f"Python {platform.python_version()}, {platform.platform(terse=True)}\n")
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    header = ("run", "wall", "rate", "peak memory (PSS, all processes)")
    widths = [max(w, len(h)) for w, h in zip(widths, header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))


if __name__ == "__main__":
    main()
