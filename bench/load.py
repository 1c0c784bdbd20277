"""The web workplace under load: `make bench-load` (or `python bench/load.py --users 50 --seconds 60`).

On loopback, as the bureau runs it: prepares a data folder of its own in a temporary folder (the
plans, Markdown + JSON, of --records synthetic enterprises from bench/synthetic.py and of the
bundled examples; the bundled request sheet imported into the ledger; accounts for officers of
the city and of districts, cadres and reviewers), starts `planner serve` as a real uvicorn process
on 127.0.0.1 on a free port and logs in --users simulated users, each in a session and HTTP
connection of its own (httpx, asyncio). For --seconds they browse, each waiting a random think
time (uniform, 0 to twice --think) between clicks: the enterprise list, the list filtered or
searched as htmx asks for it when a filter changes (the list fragment alone; now and then
page 2 to 5 of it), plan pages /e/{code} of enterprises in their scope, and the requests list.

Meanwhile a generation runs as an officer starts one: an upload of a list (the same synthetic
enterprises at a later as-of date, so every plan gets a new version and the list changes under
the users' eyes) and 生成 with PDFs; its progress page is polled every second as the run page
does. The run is stopped when the window ends (it is a process of the server's, killed by its
process group).

Reports, per kind of page: requests, p50, p95, p99 and max latency (request sent to the whole
body read), errors (any answer but 200, or an exception) and requests per second; how far the
generation got meanwhile; the machine; and a PASS/FAIL line against the target (p95 < 300 ms for
list and plan pages, no errors at all). `--markdown FILE` writes the same for the README.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402

from run import machine, markdown_table, text_table, write_csv  # noqa: E402  (bench/run.py)

AS_OF = "2022-06-15"
RUN_AS_OF = "2022-06-30"  # the generation during the window: a later date, so every plan changes
PASSWORD = "bench-load-42x"
TARGET_MS = 300  # p95 of list and plan pages
TARGET_KINDS = ("list", "list, htmx filter", "plan page")
KINDS = ("list", "list, htmx filter", "plan page", "requests list", "run progress")
HEADER = ("page", "requests", "p50", "p95", "p99", "max", "errors", "req/s")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PLAN_LINK = re.compile(r'href="/e/([0-9A-Z]{18})"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def planner(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "planner", *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"planner {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


# -- the data folder


def prepare(data: Path, records: int, users: int, work: Path) -> tuple[list[tuple], Path]:
    """Plans, ledger and accounts in ``data``; returns the users (name, role, district, cadre) and
    the list the generation will upload."""
    from planner.web.accounts import Accounts

    output = data / "output"
    listing = work / "enterprises.csv"
    write_csv(listing, records)
    planner("generate", str(listing), "--out", str(output), "--as-of", AS_OF, "--format", "md", "-q")
    planner("generate", str(ROOT / "examples" / "enterprises.yaml"), "--out", str(output), "--as-of", AS_OF,
            "--format", "md", "-q")
    planner("requests", "import", str(ROOT / "examples" / "走访诉求登记表.xlsx"), "--out", str(output))

    rows = []
    for sub in sorted(output.iterdir()):
        meta = sub / "version.json"
        if meta.is_file():
            rows.append(json.loads(meta.read_text(encoding="utf-8"))["listing"])
    districts = sorted({row["district"] for row in rows if row.get("district")})
    by_cadre = defaultdict(int)
    for row in rows:
        by_cadre[re.split(r"[（(]", row.get("cadre", ""), maxsplit=1)[0].strip()] += 1
    cadres = [name for name, _ in sorted(by_cadre.items(), key=lambda item: (-item[1], item[0])) if name]

    # the mix: 2 in 5 officers (half of them the city's, half a district's), 2 in 5 cadres (those with
    # the most enterprises first), 1 in 5 reviewers (at least one)
    reviewers = max(1, users // 5)
    officers = (users - reviewers) // 2
    cadre_users = users - reviewers - officers
    people = []
    for i in range(officers):
        district = districts[(i // 2) % len(districts)] if i % 2 else ""
        people.append((f"officer{i:02d}", "officer", district, ""))
    for i in range(cadre_users):
        people.append((f"cadre{i:02d}", "cadre", "", cadres[i % len(cadres)]))
    for i in range(reviewers):
        people.append((f"reviewer{i:02d}", "reviewer", "", ""))
    accounts = Accounts(data / "web.db")
    for name, role, district, cadre in people:
        accounts.add(name, role, district, cadre, password=PASSWORD, by="bench/load.py")
    accounts.add("generator", "officer", "", "", password=PASSWORD, by="bench/load.py")
    return people, listing


# -- the server


def start_server(data: Path, port: int, log: Path) -> subprocess.Popen:
    with open(log, "wb") as handle:
        server = subprocess.Popen([sys.executable, "-m", "planner", "serve", "--host", "127.0.0.1", "--port", str(port),
                                   "--data", str(data)], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=handle,
                                  stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"planner serve ended ({server.returncode}):\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit("planner serve did not answer within 60 s")


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def stop_server(server: subprocess.Popen) -> None:
    """Stop the server and the runs it started (each the leader of its own process group)."""
    for child in children(server.pid):
        try:
            if os.getpgid(child) == child:
                os.killpg(child, signal.SIGTERM)
        except ProcessLookupError:
            pass
    server.send_signal(signal.SIGINT)
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# -- the users


class Recorder:
    def __init__(self):
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, list[str]] = defaultdict(list)  # a few of the errors, said
        self.recording = False

    async def get(self, client: httpx.AsyncClient, kind: str, url: str, **kwargs) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await client.get(url, **kwargs)
            problem = None if response.status_code == 200 else f"{response.status_code} {url}"
        except httpx.HTTPError as exc:
            response, problem = None, f"{type(exc).__name__} {url}"
        elapsed = time.perf_counter() - started
        if self.recording:
            self.times[kind].append(elapsed)
            if problem:
                self.errors[kind] += 1
                if len(self.samples[kind]) < 3:
                    self.samples[kind].append(problem)
        return response if problem is None else None


async def login(base: str, name: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=30,
                               limits=httpx.Limits(max_connections=1))
    form = await client.get("/login")
    response = await client.post("/login", data={"name": name, "password": PASSWORD, "next": "/",
                                                 "csrf": CSRF.search(form.text).group(1)})
    if response.status_code != 303:
        raise SystemExit(f"login of {name} failed: {response.status_code}")
    return client


def filters_of(html: str) -> dict[str, list[str]]:
    """The values each filter of the list page offers."""
    found = {}
    for name in ("district", "zone", "sector", "cadre", "status"):
        select = re.search(rf'<select name="{name}">(.*?)</select>', html, re.S)
        if select:
            found[name] = [v for v in re.findall(r'<option value="([^"]*)"', select.group(1)) if v]
    return found


async def browse(rec: Recorder, client: httpx.AsyncClient, html: str, until: float, think: float,
                 rng: random.Random) -> None:
    """One user's clicks until ``until``, from the list page ``html``: the list, a filter or a
    search, plan pages of the enterprises listed, the requests."""
    codes = PLAN_LINK.findall(html)
    choices = filters_of(html)
    while time.monotonic() < until:
        await asyncio.sleep(rng.uniform(0, 2 * think))
        if time.monotonic() >= until:
            break
        pick = rng.random()
        if pick < 0.25:
            response = await rec.get(client, "list", "/enterprises")
            if response is not None:
                codes = PLAN_LINK.findall(response.text) or codes
        elif pick < 0.5:
            params = {}
            name = rng.choice(["q", "questions", "requests", *choices])
            if name == "q":
                params["q"] = rng.choice(["示例", "equipment", "宁波", "有限公司", "91330", "企业0"])
            elif name in ("questions", "requests"):  # 有待核实问题, 有未办结诉求
                params[name] = "1"
            elif choices.get(name):
                params[name] = rng.choice(choices[name])
            if rng.random() < 0.25:  # a page link of the list (50 a page; past the last is the last)
                params["page"] = str(rng.randint(2, 5))
            response = await rec.get(client, "list, htmx filter", "/enterprises", params=params,
                                     headers={"HX-Request": "true", "HX-Current-URL": str(client.base_url)})
            if response is not None:
                codes = PLAN_LINK.findall(response.text) or codes
        elif pick < 0.9 and codes:
            await rec.get(client, "plan page", f"/e/{rng.choice(codes)}")
        else:
            await rec.get(client, "requests list", "/requests")


async def generation(rec: Recorder, client: httpx.AsyncClient, listing: Path, until: float) -> str | None:
    """An officer's run: upload the list, 生成 with PDFs, then its progress page every second."""
    page = await client.get("/upload")
    token = CSRF.search(page.text).group(1)
    upload = await client.post("/upload", data={"csrf": token},
                               files={"file": ("全市名单.csv", listing.read_bytes(), "text/csv")})
    if upload.status_code != 303:
        raise SystemExit(f"upload refused: {upload.status_code}\n{upload.text[:2000]}")
    place = upload.headers["location"]
    started = await client.post(f"{place}/generate", data={"csrf": token, "as_of": RUN_AS_OF, "formats": "md,pdf"})
    if started.status_code != 303:
        raise SystemExit(f"generation refused: {started.status_code}\n{started.text[:2000]}")
    run_id = started.headers["location"].rsplit("/", 1)[1]
    while time.monotonic() < until:
        await rec.get(client, "run progress", f"/runs/{run_id}/progress")
        await asyncio.sleep(1)
    return run_id


def run_progress(data: Path, run_id: str) -> dict:
    folder = data / "runs" / run_id
    progress = json.loads((folder / "progress.json").read_text(encoding="utf-8"))
    result = folder / "result.json"
    progress["state"] = json.loads(result.read_text(encoding="utf-8"))["state"] if result.is_file() else "running"
    return progress


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (its own threads, not its children)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(base: str, data: Path, people: list[tuple], listing: Path, seconds: float, think: float,
               seed: int, server_pid: int) -> tuple[Recorder, float, dict, dict]:
    rec = Recorder()
    clients = [await login(base, name) for name, *_ in people]
    generator = await login(base, "generator")
    rng = random.Random(seed)
    # not counted: every user's list, the first page after login
    first = [r.text if r is not None else "" for r in
             await asyncio.gather(*(rec.get(c, "list", "/enterprises") for c in clients))]
    rec.recording = True
    cpu = {"server": -cpu_seconds(server_pid), "client": -time.process_time()}
    begun = time.monotonic()
    until = begun + seconds
    gen = asyncio.create_task(generation(rec, generator, listing, until))
    await asyncio.sleep(0)
    users = [browse(rec, c, html, until, think, random.Random(rng.random())) for c, html in zip(clients, first)]
    await asyncio.gather(*users)
    run_id = await gen
    window = time.monotonic() - begun
    rec.recording = False
    cpu["server"] += cpu_seconds(server_pid)
    cpu["client"] += time.process_time()
    end = run_progress(data, run_id) if run_id else {}
    for c in clients + [generator]:
        await c.aclose()
    return rec, window, end, cpu


# -- the report


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def table_rows(rec: Recorder, window: float) -> list[tuple]:
    rows = []
    everything, errors = [], 0
    for kind in KINDS:
        times = rec.times.get(kind, [])
        if not times:
            continue
        everything += times
        errors += rec.errors.get(kind, 0)
        rows.append((kind, f"{len(times):,}", ms(percentile(times, 50)), ms(percentile(times, 95)),
                     ms(percentile(times, 99)), ms(max(times)), str(rec.errors.get(kind, 0)),
                     f"{len(times) / window:.1f}"))
    if everything:
        rows.append(("all", f"{len(everything):,}", ms(percentile(everything, 50)), ms(percentile(everything, 95)),
                     ms(percentile(everything, 99)), ms(max(everything)), str(errors),
                     f"{len(everything) / window:.1f}"))
    return rows


def verdict(rec: Recorder) -> tuple[bool, str]:
    slow = [f"{kind} p95 {ms(percentile(rec.times[kind], 95))}" for kind in TARGET_KINDS
            if rec.times.get(kind) and percentile(rec.times[kind], 95) >= TARGET_MS / 1000]
    missing = [kind for kind in TARGET_KINDS if not rec.times.get(kind)]
    errors = sum(rec.errors.values())
    ok = not slow and not missing and not errors
    said = ", ".join(slow + [f"no {kind} requests" for kind in missing] + ([f"{errors} errors"] if errors else []))
    return ok, (f"{'PASS' if ok else 'FAIL'}: p95 < {TARGET_MS} ms for list and plan pages and no errors"
                + (f" ({said})" if said else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users, each with a session of its own")
    parser.add_argument("--seconds", type=float, default=60, help="length of the measured window")
    parser.add_argument("--records", type=int, default=400, help="synthetic enterprises in the folder (plus the 20 examples)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean think time between a user's clicks, seconds (uniform, 0 to twice this)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="keep the data folder (and the server's log)")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the results as Markdown to FILE")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="planner-load-"))
    data = work / "data"
    server = None
    load_before = os.getloadavg()
    try:
        print(f"preparing {args.records} + 20 enterprises and {args.users} accounts in {work} …", flush=True)
        people, listing = prepare(data, args.records, args.users, work)
        port = free_port()
        server = start_server(data, port, work / "server.log")
        print(f"planner serve on 127.0.0.1:{port}; {args.users} users for {args.seconds:.0f} s …", flush=True)
        rec, window, end, cpu = asyncio.run(load(f"http://127.0.0.1:{port}", data, people, listing, args.seconds,
                                                 args.think, args.seed, server.pid))
    finally:
        if server is not None:
            stop_server(server)
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    roles = defaultdict(int)
    for _, role, district, _ in people:
        roles[f"{role} ({'district' if district else 'city'})" if role == "officer" else role] += 1
    mix = ", ".join(f"{n} {what}" for what, n in roles.items())
    gen = (f"{end.get('done', 0)} of {end.get('total', 0)} enterprises (plan + brief PDFs, new versions) written "
           f"during the window, {end.get('done', 0) / window:.2f}/s; {end.get('state', '?')} when the window ended")
    # a load below half a core before the run: nothing else ran, and what came after is the benchmark itself
    quiet = load_before[0] < 0.5
    about = machine() + [("load average", f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min; "
                                           + ("quiet before the run, the rise is the benchmark's own)" if quiet else
                                              "the machine is shared, other work ran meanwhile)"))]
    rows = table_rows(rec, window)
    served = sum(len(times) for times in rec.times.values())
    busy = (f"planner serve used {cpu['server']:.1f} s of CPU in the {window:.0f} s window ({cpu['server'] / window:.0%} "
            f"of a core, {cpu['server'] / max(served, 1) * 1000:.1f} ms per request); the simulated users "
            f"{cpu['client']:.1f} s")
    ok, line = verdict(rec)
    command = f"bench/load.py --users {args.users} --seconds {args.seconds:g} --records {args.records} --think {args.think:g}"
    print(f"\nplanner serve under load, {command}\n")
    print("\n".join(f"{what + ':':<13} {value}" for what, value in about) + "\n")
    print(f"users: {mix}; {args.records + 20} enterprises; think time uniform 0–{2 * args.think:g} s")
    print(f"generation: {gen}")
    print(f"{busy}\n")
    print(text_table(rows, HEADER))
    for kind, said in rec.samples.items():
        print(f"errors of {kind}: {'; '.join(said)}")
    print(f"\n{line}")
    if args.markdown:
        args.markdown.write_text("\n".join([
            f"`{command}`, {dt.date.today().isoformat()}:", "",
            markdown_table(about, ("machine", "")), "",
            f"Users: {mix}; {args.records + 20} enterprises; think time uniform 0–{2 * args.think:g} s. "
            f"Generation meanwhile: {gen}. CPU: {busy}.", "",
            markdown_table(rows, HEADER), "", f"**{line}**", ""]), encoding="utf-8")
        print(f"Markdown: {args.markdown}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
