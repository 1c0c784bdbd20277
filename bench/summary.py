"""Peak memory of `planner summary` against the length of the list (issue 10, item 7.12).

    python bench/summary.py                       # 2,000, 20,000 and 100,000 records
    python bench/summary.py --sizes 2000,20000 --folder-records 2000

For each size N it makes N synthetic valid records as a CSV (bench/synthetic.py) and runs, as a
user runs them (`python -m planner ...` in a subprocess):

1. reading the list alone (`read_records`, nothing else): what the records themselves take,
   since the list is held whole while it is matched;
2. `planner summary LIST --out summary.md`: every record matched, one plan at a time.

and, for --folder-records M (generated once with `planner generate --format md`):

3. `planner summary DIR --out summary.md`: the folder's plans, one plan.json at a time;
4. `planner summary LIST --plans DIR --out summary.md`: the list against the folder.

Peak memory is the peak resident set (ru_maxrss of the one process, from wait4); summary starts
no workers. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from run import AS_OF, write_csv  # noqa: E402

READ_ONLY = ("import sys; from planner import knowledge; from planner.records import read_records; "
             "from planner.resources import bundled; r = read_records(sys.argv[1], knowledge.load(bundled('sectors'))); "
             "print(len(r.records))")


def measure(argv: list[str], root: Path = ROOT) -> tuple[float, int, str]:
    """Run ``python argv...`` in ``root``; return (wall seconds, peak RSS in KiB, stdout)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen([sys.executable, *argv], cwd=root, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}):\n{err.read().decode()}")
        return wall, usage.ru_maxrss, out.read().decode().strip()


def summary_rows(work: Path, sizes: list[int], folder_records: int, root: Path = ROOT) -> list[tuple]:
    """The table rows: (what, wall, peak memory) for each run described above."""
    rows = []
    for count in sizes:
        listing = work / f"list-{count}.csv"
        if not listing.exists():
            write_csv(listing, count)
        wall, peak, out = measure(["-c", READ_ONLY, str(listing)], root)
        assert out == str(count), out
        rows.append((f"reading the list alone, {count} records", f"{wall:.1f} s", f"{peak / 1024:,.0f} MiB"))
        wall, peak, _ = measure(["-m", "planner", "summary", str(listing), "--out", str(work / "summary.md"),
                                 "--as-of", AS_OF], root)
        rows.append((f"summary of a list, {count} records", f"{wall:.1f} s", f"{peak / 1024:,.0f} MiB"))
    if folder_records:
        listing = work / f"list-{folder_records}.csv"
        if not listing.exists():
            write_csv(listing, folder_records)
        folder = work / f"plans-{folder_records}"
        if not folder.exists():
            subprocess.run([sys.executable, "-m", "planner", "generate", str(listing), "--out", str(folder),
                            "--as-of", AS_OF, "--format", "md", "-q"], cwd=root, check=True,
                           stdout=subprocess.DEVNULL)
        wall, peak, _ = measure(["-m", "planner", "summary", str(folder), "--out", str(work / "summary.md")], root)
        rows.append((f"summary of a folder, {folder_records} plans", f"{wall:.1f} s", f"{peak / 1024:,.0f} MiB"))
        wall, peak, _ = measure(["-m", "planner", "summary", str(listing), "--plans", str(folder),
                                 "--out", str(work / "summary.md")], root)
        rows.append((f"summary of a list against its folder, {folder_records}", f"{wall:.1f} s",
                     f"{peak / 1024:,.0f} MiB"))
    return rows


def print_table(rows: list[tuple], header: tuple) -> None:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,20000,100000", help="list lengths, comma-separated")
    parser.add_argument("--folder-records", type=int, default=20000,
                        help="records generated as a folder of plans for the folder runs (0: none)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the planner checkout to measure (its cwd)")
    parser.add_argument("--work", type=Path, help="working folder to reuse (kept); default: a temporary one")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="planner-summary-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        rows = summary_rows(work, [int(s) for s in args.sizes.split(",") if s], args.folder_records, args.root)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nplanner summary memory — {platform.machine()}, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
          f"Python {platform.python_version()}, {platform.platform(terse=True)}\n")
    print_table(rows, ("run", "wall", "peak memory (RSS)"))


if __name__ == "__main__":
    main()
