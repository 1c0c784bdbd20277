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
process tree. Prints the machine it ran on, a table of the runs, and a table of the targets
(`target_rows`): PDF time per enterprise (plan + brief, all cores) and what it makes of 2,000 and
10,000 enterprises, Markdown + JSON for 10,000, and our PDF pipeline against bare WeasyPrint.
The targets are for 2 cores; on another core count the all-cores times are also scaled to 2 cores
(cores × seconds / 2) and the scaled figure is the one compared. A count not run is projected
linearly from the largest run (which includes its start-up, so a small run overstates it).
`--markdown FILE` writes the same results as Markdown for the README.

A PDF run is `planner generate` with the default `--format md,pdf`, as a user runs it: Markdown
and plan.json are always written, so `--format pdf` does the same work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

AS_OF = "2022-06-15"

# The targets of the batch work (issue 12), for a 2-core machine.
TARGET_CORES = 2
PDF_TARGETS = ((10000, 20 * 60), (2000, 4 * 60))  # (enterprises, seconds) for plan + brief PDFs
MARKDOWN_TARGET = (10000, 15)  # enterprises, seconds for Markdown + JSON
RATIO_TARGET = 1.10  # our PDF pipeline's time over bare WeasyPrint's on the same HTML, at most

RUN_HEADER = ("run", "wall", "rate", "peak memory (PSS, all processes)")
TARGET_HEADER = ("target", "goal", "measured", "how", "result")
TARGET_NOTE = ("Projections are linear in the number of records, from the largest run of that kind, whose start-up "
               "(a few seconds) is in its per-enterprise figure; PDF runs are all cores, our pipeline against bare "
               "WeasyPrint is bench/floor.py in one process.")


class TargetRow(NamedTuple):
    target: str
    goal: str
    measured: str
    how: str
    result: str  # PASS or FAIL


def _seconds(value: float) -> str:
    text = f"{value:,.0f} s" if value >= 100 else f"{value:.1f} s"
    return f"{text} ({value / 60:,.1f} min)" if value >= 120 else text


def _on_two_cores(seconds: float, how: str, cores: int, shown=_seconds) -> tuple[float, str]:
    """The figure compared with a 2-core target, and how it was got."""
    if cores == TARGET_CORES:
        return seconds, f"{how}, {cores} cores"
    scaled = cores * seconds / TARGET_CORES
    return scaled, (f"{how}, {shown(seconds)} on {cores} cores; scaled to {TARGET_CORES} cores "
                    f"({cores} × s / {TARGET_CORES}) and that compared")


def _at(count: int, walls: dict[int, float], basis: int) -> tuple[float, str]:
    """Wall seconds for ``count`` enterprises: measured if a run had that many, else linear from ``basis``."""
    if count in walls:
        return walls[count], f"measured, {count:,} records"
    return walls[basis] / basis * count, f"projected from {basis:,} records (linear)"


def target_rows(cores: int, pdf_walls: dict[int, float], markdown_walls: dict[int, float],
                ratio: float, ratio_enterprises: int) -> list[TargetRow]:
    """The targets against what was measured: a pure function of the measurements.

    ``pdf_walls`` and ``markdown_walls`` map a record count to the wall seconds of an all-cores
    `planner generate` run of that many records (PDF: plan and brief PDFs; Markdown: Markdown and
    JSON only) on ``cores`` cores; ``ratio`` is our PDF pipeline's time over bare WeasyPrint's
    (bench/floor.py, one process, so the core count does not matter).
    """
    rows = []
    basis = max(pdf_walls)
    per, how = _on_two_cores(pdf_walls[basis] / basis, f"wall / records of the {basis:,}-record run", cores,
                             lambda value: f"{value:.3f} s")
    count, goal = min(PDF_TARGETS, key=lambda target: target[1] / target[0])  # the strictest
    per_goal = goal / count
    rows.append(TargetRow("PDF per enterprise (plan + brief)", f"< {per_goal:.3f} s ({goal / 60:.0f} min / {count:,})",
                          f"{per:.3f} s", how,
                          "PASS" if per < per_goal else "FAIL"))
    for count, goal in PDF_TARGETS:
        seconds, how = _on_two_cores(*_at(count, pdf_walls, basis), cores)
        rows.append(TargetRow(f"{count:,} enterprises, plan + brief PDFs", f"< {_seconds(goal)}", _seconds(seconds),
                              how, "PASS" if seconds < goal else "FAIL"))
    count, goal = MARKDOWN_TARGET
    seconds, how = _on_two_cores(*_at(count, markdown_walls, max(markdown_walls)), cores)
    rows.append(TargetRow(f"{count:,} enterprises, Markdown + JSON", f"< {_seconds(goal)}", _seconds(seconds), how,
                          "PASS" if seconds < goal else "FAIL"))
    rows.append(TargetRow("our PDF pipeline / bare WeasyPrint, same HTML", f"≤ {RATIO_TARGET:.2f}", f"{ratio:.3f}",
                          f"{ratio_enterprises:,} enterprises, one warm process, interleaved (any core count)",
                          "PASS" if ratio <= RATIO_TARGET else "FAIL"))
    return rows


def machine() -> list[tuple[str, str]]:
    """What the benchmark ran on, as (what, value) pairs."""
    from planner.pdf import font_folder, harfbuzz_subsetting

    def first(path: str, key: str) -> str | None:
        try:
            with open(path, encoding="utf-8") as handle:
                return next((line.split(":", 1)[1].strip() for line in handle if line.startswith(key)), None)
        except OSError:
            return None

    def os_release() -> str:
        try:
            with open("/etc/os-release", encoding="utf-8") as handle:
                fields = dict(line.rstrip("\n").split("=", 1) for line in handle if "=" in line)
            return fields.get("PRETTY_NAME", "").strip('"')
        except OSError:
            return ""

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = None
    memory = first("/proc/meminfo", "MemTotal")
    ram = (f"{int(memory.split()[0]) / 2**20:.1f} GiB" if memory
           else f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB")
    if font_folder() is not None:
        fonts = f"Fandol ({', '.join(sorted(p.name for p in font_folder().glob('Fandol*')))})"
    else:
        try:
            listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
        except OSError:
            listed = ""
        noto = "found" if "Noto Serif CJK SC" in listed or "Noto Sans CJK SC" in listed else "NOT found"
        fonts = f"Noto CJK fallback (Fandol missing from fonts/: make fonts; Noto CJK SC {noto})"
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return [
        ("CPU", first("/proc/cpuinfo", "model name") or platform.processor() or platform.machine()),
        ("cores", f"{os.cpu_count()} (os.cpu_count), {usable} usable (sched_getaffinity)"),
        ("RAM", ram),
        ("OS", f"{os_release() or platform.system()}, {platform.platform(terse=True)}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("WeasyPrint", f"{metadata.version('weasyprint')}, pydyf {metadata.version('pydyf')}, "
                       f"HarfBuzz subsetting {'yes' if harfbuzz_subsetting() else 'NO (PDFs ~25x slower)'}"),
        ("fonts", fonts),
        ("commit", commit or "unknown"),
    ]


def text_table(rows: list[tuple], header: tuple) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def markdown_table(rows: list[tuple], header: tuple) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    widths = [max([len(cell(h)), 3] + [len(cell(r[i])) for r in rows]) for i, h in enumerate(header)]
    lines = ["| " + " | ".join(cell(h).ljust(w) for h, w in zip(header, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(cell(c).ljust(w) for c, w in zip(row, widths)) + " |" for row in rows]
    return "\n".join(lines)


def markdown_report(command: str, date: dt.date, about: list[tuple[str, str]], rows: list[tuple],
                    targets: list[TargetRow]) -> str:
    """The results as Markdown to paste into the README: nothing varies but the date line."""
    return "\n".join([
        f"`{command}`, {date.isoformat()}:", "",
        markdown_table(about, ("machine", "")), "",
        f"Targets (for {TARGET_CORES} cores):", "",
        markdown_table(targets, TARGET_HEADER), "", TARGET_NOTE, "",
        markdown_table(rows, RUN_HEADER), "",
    ])


# How often the memory of a run's process tree is read. Reading /proc/PID/smaps_rollup walks the
# page tables in the kernel: every 50 ms it took a tenth of this 2-core machine's CPU (45 s of system
# time in a 4-minute Dask run), from the very workers being timed. A peak held for less than half a
# second can be missed; WeasyPrint's memory grows and falls over whole documents, not faster.
SAMPLE_EVERY = 0.5


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
            time.sleep(SAMPLE_EVERY)

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
    parser.add_argument("--markdown", type=Path, metavar="FILE",
                        help="also write the machine, the targets and the runs as Markdown to FILE (for the README)")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    work = Path(tempfile.mkdtemp(prefix="planner-bench-"))
    rows = []
    pdf_walls: dict[int, float] = {}  # records -> wall seconds of an all-cores PDF run
    markdown_walls: dict[int, float] = {}
    try:
        big = work / "list.csv"
        write_csv(big, args.records)
        md = ["--as-of", AS_OF, "--format", "md", "-q"]
        wall, peak, _ = run(["generate", str(big), "--out", str(work / "md"), *md])
        markdown_walls[args.records] = wall
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
        pdf_walls[n] = wall
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
        archival, plain = floor["archival"] / m, floor["plain"] / m
        rows.append(("a plan as PDF/A-3b with plan.json, bare", f"{archival:.3f} s/plan", "", "—"))
        rows.append(("the same plan as a plain PDF, bare", f"{plain:.3f} s/plan", "", "—"))
        rows.append(("cost of the archival form (PDF/A-3b + attachment)", f"{archival - plain:+.3f} s/plan",
                     f"{(archival - plain) / plain:+.1%}", "—"))

        for count in (max(1, args.pdf_records // 8), args.pdf_records):
            listing = work / f"pdf-{count}.csv"
            write_csv(listing, count)
            wall, peak, _ = run(["generate", str(listing), "--out", str(work / f"pdf-{count}"), "--as-of", AS_OF, "-q"])
            pdf_walls[count] = wall
            rows.append((f"PDFs, {count} records, {cores} workers (memory vs N)", f"{wall:.1f} s",
                         f"{2 * count / wall:.2f} PDFs/s", f"{peak / 1024:,.0f} MiB"))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")

    about = machine()
    targets = target_rows(cores, pdf_walls, markdown_walls, floor["ours"] / floor["bare"], m)
    command = (f"bench/run.py --records {args.records} --pdf-records {args.pdf_records} "
               f"--ratio-records {args.ratio_records}")
    print(f"\nplanner benchmark, {command}\n")
    print("\n".join(f"{what + ':':<11} {value}" for what, value in about) + "\n")
    print(text_table(rows, RUN_HEADER))
    print(f"\ntargets (for {TARGET_CORES} cores)\n")
    print(text_table(targets, TARGET_HEADER))
    print(f"\n{TARGET_NOTE}")
    if args.markdown:
        args.markdown.write_text(markdown_report(command, dt.date.today(), about, rows, targets), encoding="utf-8")
        print(f"\nMarkdown: {args.markdown}")


if __name__ == "__main__":
    main()
