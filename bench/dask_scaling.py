"""The Dask engine against the local pool, in one run: `python bench/dask_scaling.py --records 120`.

On the same synthetic records (bench/synthetic.py), with plan and brief PDFs, each run a fresh
`planner generate` as a user runs it (a subprocess; the cluster's start-up is in its wall time):

1. the local pool with all cores (`--workers 2` on 2 cores);
2. the Dask engine on a LocalCluster of 2 workers (`--engine dask --local 2`);
3. the Dask engine on a LocalCluster of 1 worker (`--engine dask --local 1`).

The three runs are repeated ``--rounds`` times in a rotating order and each figure is the sum
over the rounds, so that a machine whose speed drifts during the run favours none of them. The
targets: 2 Dask workers at least 1.8x as fast as 1; the Dask engine at most 10% slower than the
local pool on the same records and cores.

It also measures what the choice of the cluster contract rests on (README, "On a cluster
(Dask)"): the bytes a worker sends back per enterprise, and the time the client takes to write
one enterprise's version (planner.generate.keep, timed here in one process on the documents of
the local run), against the time one core takes to make it. And what the sizing table is derived
from: core-seconds per enterprise (the 1-worker run), the 1 -> 2 scaling, disk per enterprise
and the peak memory of the client process, in which a LocalCluster's scheduler runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402  (bench/run.py: the machine, tables, memory sampling, the CSV)

AS_OF = "2022-06-15"
SCALING_TARGET = 1.8  # 2 Dask workers against 1, at least
OVERHEAD_TARGET = 0.10  # the Dask engine's wall time over the local pool's, minus 1, at most
HEADER = ("run", "wall (sum of rounds)", "wall per enterprise", "CPU per enterprise",
          "peak memory (PSS): all / client")
TARGETS = ("target", "goal", "measured", "result")
SIZING_HEADER = ("enterprises", "worker cores", "hours", "disk (first versions)", "client + scheduler memory")
SIZES = ((10_000, 8), (50_000, 32), (100_000, 64), (300_000, 128))  # a city's list up to a province's


def sizing(core_s: float, efficiency: float, write_s: float, disk: int, client_kib: int) -> list[tuple]:
    """A province run on paper: hours = enterprises x CPU seconds per enterprise / (cores x
    efficiency), but never less than the client's writing alone (enterprises x write seconds);
    disk = enterprises x disk per enterprise; the client's memory as measured (flat in the number of
    enterprises: the tasks in flight are TASKS_AHEAD_PER_THREAD per worker thread)."""
    rows = []
    for count, cores in SIZES:
        hours = max(count * core_s / (cores * efficiency), count * write_s) / 3600
        rows.append((f"{count:,}", f"{cores}", f"{hours:.1f}", f"{count * disk / 2**30:,.0f} GiB",
                     f"{client_kib / 1024:,.0f} MiB measured at 2 workers"))
    return rows


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            return next(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0


def tree(root: int) -> dict[int, int]:
    """The process ``root`` and its descendants: pid -> CPU clock ticks used so far (user + system)."""
    parents, ticks = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
            ticks[int(entry)] = int(fields[11]) + int(fields[12])
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in members:
                members.add(pid)
                frontier.append(pid)
    return {pid: ticks[pid] for pid in members if pid in ticks}


def timed(args: list[str]) -> tuple[float, float, int, int]:
    """Run a planner command: (wall seconds, CPU seconds of its process tree (user + system of
    every process seen in it, sampled every 50 ms), peak PSS KiB of its process tree, of its own
    process)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "planner", *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peaks = [0, 0]
    used: dict[int, int] = {}

    def sample():
        while process.poll() is None:
            used.update(tree(process.pid))
            peaks[0] = max(peaks[0], bench.tree_pss_kib(process.pid))
            peaks[1] = max(peaks[1], pss_kib(process.pid))
            time.sleep(bench.SAMPLE_EVERY)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    sampler.join()
    wall = time.perf_counter() - started
    if process.returncode != 0 or not out.startswith("已生成"):
        raise SystemExit(f"planner {' '.join(args)} failed ({process.returncode}):\n{out}\n{err}")
    return wall, sum(used.values()) / os.sysconf("SC_CLK_TCK"), peaks[0], peaks[1]


def client_writes(source: Path, work: Path) -> tuple[float, int, int]:
    """Seconds per enterprise for the client to write a version (planner.generate.keep, as the Dask
    engine calls it) of each enterprise of ``source`` into a fresh folder, the bytes a worker
    returns per enterprise (the documents), and the enterprises timed."""
    from planner import knowledge
    from planner.generate import Made, Task, keep
    from planner.resources import bundled
    from planner.versions import PlanStore, read_meta

    kb = knowledge.load(bundled("sectors"))
    store = PlanStore(work)
    folders = sorted(p for p in source.iterdir() if p.is_dir())
    total = size = 0.0
    with store.locked():
        for folder in folders:
            meta = read_meta(folder)
            files = {name: (folder / name).read_bytes() for name in meta["sizes"]}
            files = {name: data.decode("utf-8") if name.endswith((".md", ".json")) else data
                     for name, data in files.items()}
            size += sum(meta["sizes"].values())
            task = Task({"id": folder.name}, "bench", meta["inputs"])
            started = time.perf_counter()
            keep(Made(folder.name, files), task, store, kb, ("md", "pdf"))
            total += time.perf_counter() - started
    return total / len(folders), int(size / len(folders)), len(folders)


def disk_per_enterprise(out: Path, count: int) -> int:
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) // count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=120, help="records per run (with plan and brief PDFs)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the three runs, in rotating order")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the results as Markdown")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    work = Path(tempfile.mkdtemp(prefix="planner-dask-bench-"))
    n = args.records
    runs = {"local pool, 2 workers": ["--workers", "2"],
            "Dask, LocalCluster of 2 workers": ["--engine", "dask", "--local", "2"],
            "Dask, LocalCluster of 1 worker": ["--engine", "dask", "--local", "1"]}
    walls = {name: 0.0 for name in runs}
    cpus = {name: 0.0 for name in runs}
    load_before = os.getloadavg()
    peaks = {name: (0, 0) for name in runs}
    try:
        records = work / "list.csv"
        bench.write_csv(records, n)
        names = list(runs)
        for round_number in range(args.rounds):
            order = names[round_number % 3:] + names[:round_number % 3]
            for name in order:
                out = work / f"out-{names.index(name)}-{round_number}"
                wall, cpu, tree, own = timed(["generate", str(records), "--out", str(out), "--as-of", AS_OF,
                                              "-q", *runs[name]])
                walls[name] += wall
                cpus[name] += cpu
                peaks[name] = (max(peaks[name][0], tree), max(peaks[name][1], own))
                print(f"round {round_number + 1}: {name}: {wall:.1f} s, CPU {cpu:.1f} s", file=sys.stderr)
        local_out = work / "out-0-0"  # the local pool's first run
        write_s, returned, written = client_writes(local_out, work / "client-writes")
        disk = disk_per_enterprise(local_out, n)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}", file=sys.stderr)

    load_after = os.getloadavg()
    total = n * args.rounds
    rows = [(name, f"{walls[name]:.1f} s", f"{walls[name] / total:.3f} s", f"{cpus[name] / total:.3f} s",
             f"{peaks[name][0] / 1024:,.0f} MiB / {peaks[name][1] / 1024:,.0f} MiB") for name in runs]
    one, two, local = (walls["Dask, LocalCluster of 1 worker"], walls["Dask, LocalCluster of 2 workers"],
                       walls["local pool, 2 workers"])
    scaling, overhead = one / two, two / local - 1
    core_s = cpus["Dask, LocalCluster of 1 worker"] / total  # CPU per enterprise, all processes, start-up included
    cpu_overhead = cpus["Dask, LocalCluster of 2 workers"] / cpus["local pool, 2 workers"] - 1
    rows += [("client writes one version (keep), per enterprise", "", f"{write_s * 1000:.1f} ms", "", ""),
             ("documents a worker returns, per enterprise", "", f"{returned / 1024:,.0f} KiB", "", ""),
             ("disk per enterprise (first version)", "", f"{disk / 1024:,.0f} KiB", "", ""),
             ("cores one client can keep fed (CPU per enterprise / write)", "", f"{core_s / write_s:,.0f}", "", ""),
             ("Dask CPU over local pool CPU (2 workers each)", "", "", f"{cpu_overhead:+.1%}", ""),
             ("load average (1 min) before / after the runs", "", f"{load_before[0]:.1f} / {load_after[0]:.1f}", "",
              "")]
    targets = [(f"2 Dask workers against 1", f"≥ {SCALING_TARGET:.1f}x", f"{scaling:.2f}x",
                "PASS" if scaling >= SCALING_TARGET else "FAIL"),
               ("Dask engine against the local pool (2 workers each)", f"≤ +{OVERHEAD_TARGET:.0%}",
                f"{overhead:+.1%}", "PASS" if overhead <= OVERHEAD_TARGET else "FAIL")]
    efficiency = min(1.0, scaling / 2)
    client_kib = max(peaks["Dask, LocalCluster of 2 workers"][1], peaks["Dask, LocalCluster of 1 worker"][1])
    plan = sizing(core_s, efficiency, write_s, disk, client_kib)
    note = (f"Sizing: {core_s:.3f} CPU s per enterprise (the 1-worker run, all its processes), parallel efficiency "
            f"{efficiency:.2f} per core (the 1 -> 2 worker scaling / 2, assumed to hold across machines), "
            f"{write_s * 1000:.1f} ms of client writing per enterprise, {disk / 1024:,.0f} KiB of disk per "
            f"enterprise's first version (each later version adds as much again under history/).")
    command = f"bench/dask_scaling.py --records {n} --rounds {args.rounds}"
    about = bench.machine()
    about.insert(6, ("Dask", f"distributed {metadata.version('distributed')}"))
    print(f"\nplanner Dask benchmark, {command}: {n} records with PDFs, {args.rounds} rounds "
          f"({written} enterprises timed for the client's writes), {cores} cores\n")
    print("\n".join(f"{what + ':':<11} {value}" for what, value in about) + "\n")
    print(bench.text_table(rows, HEADER))
    print()
    print(bench.text_table(targets, TARGETS))
    print()
    print(bench.text_table(plan, SIZING_HEADER))
    print(f"\n{note}")
    if args.markdown:
        args.markdown.write_text("\n".join([
            f"`{command}`, {dt.date.today().isoformat()}:", "",
            bench.markdown_table(about, ("machine", "")), "",
            bench.markdown_table(targets, TARGETS), "",
            bench.markdown_table(rows, HEADER), "",
            bench.markdown_table(plan, SIZING_HEADER), "", note, ""]), encoding="utf-8")
        print(f"\nMarkdown: {args.markdown}")


if __name__ == "__main__":
    main()
