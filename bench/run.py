"""The batch benchmark: `make bench` (or `python bench/run.py --records 10000 --pdf-records 2000`).

Makes N synthetic valid records (every sector, realistic spread of sizes and difficulties) as the
CSV an officer would export from Excel, then measures in one run:

1. Markdown + JSON plans and briefs per second (`planner generate --format md`, all cores);
2. a rerun with nothing changed;
3. PDFs per second with 1 worker and with all cores on the same M records (--ratio-records);
4. our per-enterprise PDF pipeline against a bare WeasyPrint render of the same HTML (the
   engine's own floor), interleaved enterprise by enterprise in one warm process
   (bench/floor.py), so that a machine whose speed drifts during the run favours neither;
5. peak memory of all processes together (the planner, the forkserver and its workers) for the
   all-cores PDF runs of N/8 and N records (--pdf-records), to show it does not grow with N;
6. `planner summary` of a list of N/8 and N records, of the folder of N plans written in 1,
   and of the list against that folder (wall and peak memory; bench/summary.py goes to 100,000).

Every command is run as a user runs it (`python -m planner ...` in a subprocess); memory (PSS,
so pages the workers share are counted once) is sampled from /proc every 50 ms over the whole
process tree. Prints a table.
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10000, help="records for the Markdown runs")
    parser.add_argument("--pdf-records", type=int, default=2000,
                        help="records for the all-cores PDF run whose peak memory is reported (and an eighth "
                             "of it, to show memory does not grow with N)")
    parser.add_argument("--ratio-records", type=int, default=80,
                        help="records for 1 worker against all cores, and for our pipeline against bare WeasyPrint")
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

        # The bureau's summary, one plan in memory at a time (bench/summary.py measures it up to 100,000):
        # of the list, of the folder just written, and of the list against that folder; and of a
        # list an eighth as long, to show memory does not grow with the plans.
        small = work / "summary-small.csv"
        eighth = max(1, args.records // 8)
        write_csv(small, eighth)
        runs = [(f"summary of a list, {eighth} records", eighth, [str(small), "--as-of", AS_OF]),
                (f"summary of a list, {args.records} records", args.records, [str(big), "--as-of", AS_OF]),
                (f"summary of a folder, {args.records} plans", args.records, [str(work / "md")]),
                (f"summary of a list against its folder, {args.records}", args.records,
                 [str(big), "--plans", str(work / "md")])]
        for what, count, source in runs:
            wall, peak, _ = run(["summary", *source, "--out", str(work / "summary.md")])
            rows.append((what, f"{wall:.1f} s", f"{count / wall:,.0f} enterprises/s", f"{peak / 1024:,.0f} MiB"))

        # PDFs as a user makes them, with 1 worker and with all cores, on the same M records.
        n = args.ratio_records
        both = work / "ratio.csv"
        write_csv(both, n)
        one, peak1, _ = run(["generate", str(both), "--out", str(work / "pdf1"), "--as-of", AS_OF, "--workers", "1",
                             "-q"])
        rows.append((f"PDFs, {n} records ({2 * n} PDFs), 1 worker", f"{one:.1f} s", f"{2 * n / one:.2f} PDFs/s",
                     f"{peak1 / 1024:,.0f} MiB"))
        wall, peak, _ = run(["generate", str(both), "--out", str(work / "pdfall"), "--as-of", AS_OF, "-q"])
        rows.append((f"PDFs, {n} records, {cores} workers", f"{wall:.1f} s",
                     f"{2 * n / wall:.2f} PDFs/s ({one / wall:.2f}x)", f"{peak / 1024:,.0f} MiB"))

        # Our per-enterprise PDF pipeline against bare WeasyPrint on the same HTML, interleaved
        # enterprise by enterprise in one warm process (bench/floor.py).
        out = subprocess.run([sys.executable, str(HERE / "floor.py"), str(both), str(work / "floor")],
                             capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            raise SystemExit(f"bench/floor.py failed:\n{out.stderr}")
        floor = json.loads(out.stdout)
        m = floor["enterprises"]
        rows.append((f"our pipeline, {m} enterprises ({2 * m} PDFs), warm", f"{floor['ours']:.1f} s",
                     f"{2 * m / floor['ours']:.2f} PDFs/s", "—"))
        rows.append(("bare WeasyPrint, the same HTML, interleaved", f"{floor['bare']:.1f} s",
                     f"{2 * m / floor['bare']:.2f} PDFs/s", "—"))
        rows.append(("our PDF pipeline time / bare WeasyPrint", "", f"{floor['ours'] / floor['bare']:.3f}", ""))

        for count in (max(1, args.pdf_records // 8), args.pdf_records):
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
