"""The Dask engine (`planner generate --engine dask`): the same documents as the local pool, the
same skipping, lock and version protocol, and its faults: a killed worker, a killed client,
Ctrl-C, a record that kills every worker it meets, workers whose memory grows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dask
import pytest
import yaml
from distributed import Client

from planner.cli import main
from planner.engines import cluster
from planner.versions import is_complete, read_meta, versions_in

from conftest import AS_OF, EXAMPLES
from test_batch import descendants, documents, wait_gone

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import synthetic  # noqa: E402

import dask_faults  # noqa: E402  (tests/)

PDFS = ("帮扶方案.pdf", "走访简报.pdf")


def planner(*args, timeout=120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def generate_args(records: Path, out: Path, formats: str = "md") -> list:
    return ["generate", str(records), "--out", str(out), "--as-of", AS_OF.isoformat(), "--format", formats, "-q"]


def whole(out: Path, count: int, formats=("md",)) -> None:
    """``count`` enterprises, each with one version, whole (every file as version.json says)."""
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert len(folders) == count
    for folder in folders:
        assert [v.number for v in versions_in(folder)] == [1]
        assert is_complete(folder, read_meta(folder), formats)
    assert not list(out.rglob(".*.tmp")) and not list(out.rglob(".staging-*"))


def test_the_bundled_examples_come_out_as_from_the_local_pool_and_a_rerun_skips_them(tmp_path):
    local = planner(*generate_args(EXAMPLES / "enterprises.yaml", tmp_path / "local"), "--workers", "2")
    assert local.returncode == 0, local.stderr
    run = planner(*generate_args(EXAMPLES / "enterprises.yaml", tmp_path / "dask"), "--engine", "dask", "--local", "2")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("已生成20家企业的新版本")
    assert documents(tmp_path / "dask") == documents(tmp_path / "local")
    whole(tmp_path / "dask", 20)
    again = planner(*generate_args(EXAMPLES / "enterprises.yaml", tmp_path / "dask"), "--engine", "dask", "--local", "2")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("已生成0家企业的新版本，20家未变化（跳过）")


def test_pdfs_are_byte_identical_to_the_local_pool(tmp_path):
    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    records = tmp_path / "two.yaml"
    records.write_text(yaml.safe_dump({"enterprises": data["enterprises"][:2]}, allow_unicode=True), encoding="utf-8")
    assert planner(*generate_args(records, tmp_path / "local", "md,pdf"), "--workers", "2").returncode == 0
    run = planner(*generate_args(records, tmp_path / "dask", "md,pdf"), "--engine", "dask", "--local", "2")
    assert run.returncode == 0, run.stderr
    for folder in (tmp_path / "local").iterdir():
        if folder.is_dir():
            for name in PDFS + ("plan.md", "brief.md", "plan.json"):
                assert (tmp_path / "dask" / folder.name / name).read_bytes() == (folder / name).read_bytes(), name
    whole(tmp_path / "dask", 2, ("md", "pdf"))


def start(tmp_path: Path, out: Path, count: int) -> tuple[list, subprocess.Popen]:
    """A Dask run of ``count`` synthetic records, once 30 enterprises are written."""
    records = tmp_path / f"list-{count}.yaml"
    if not records.exists():
        synthetic.write(records, count)
    command = [sys.executable, "-m", "planner", *map(str, generate_args(records, out)), "--engine", "dask",
               "--local", "2"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*/version.json"))) < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert run.poll() is None, "the run ended before the test could step in"
    return command, run


def workers_of(pid: int) -> list[int]:
    """The Dask worker processes of a client: the children of its forkserver."""
    found = []
    for child in descendants(pid):
        try:
            forked = b"forkserver" in Path(f"/proc/{child}/cmdline").read_bytes()
            parent = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if forked and parent != pid:
            found.append(child)
    return found


def test_a_killed_worker_costs_only_its_task_which_is_retried(tmp_path):
    out = tmp_path / "out"
    _, run = start(tmp_path, out, 400)
    workers = workers_of(run.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr.decode()
    assert stdout.decode().startswith("已生成400家企业的新版本")
    whole(out, 400)


def test_a_killed_client_leaves_whole_versions_and_a_rerun_finishes_only_what_is_missing(tmp_path):
    out = tmp_path / "out"
    command, run = start(tmp_path, out, 400)
    workers = workers_of(run.pid)
    run.kill()
    run.wait()
    assert workers and all(wait_gone(pid) for pid in workers)  # the cluster went with its client
    done = [p for p in out.iterdir() if (p / "version.json").exists()]
    assert 30 <= len(done) < 400
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith(f"已生成{400 - len(done)}家企业的新版本，{len(done)}家未变化")
    whole(out, 400)
    clean = planner(*generate_args(tmp_path / "list-400.yaml", tmp_path / "clean"), "--workers", "2")
    assert clean.returncode == 0
    assert documents(out) == documents(tmp_path / "clean")


def test_ctrl_c_stops_the_run_and_its_workers(tmp_path):
    out = tmp_path / "out"
    command, run = start(tmp_path, out, 2000)
    workers = workers_of(run.pid)
    os.killpg(run.pid, signal.SIGINT)  # as a terminal sends it: to the whole process group
    _, stderr = run.communicate(timeout=30)
    assert run.returncode == 130
    assert "已中断" in stderr.decode() and "Traceback" not in stderr.decode()
    assert workers and all(wait_gone(pid) for pid in workers)
    done = [p for p in out.iterdir() if (p / "version.json").exists()]
    assert 30 <= len(done) < 2000
    for folder in done:  # a version is whole or not there (a folder without version.json is made anew)
        assert is_complete(folder, read_meta(folder), ("md",))


@pytest.fixture
def faulty_cluster(tmp_path):
    """Start a LocalCluster configured as the engine configures its own, whose workers have the
    faults of tests/dask_faults.py; returns a function taking the faults and overrides."""
    started = []

    def start_cluster(memory_limit=None, config=None, **faults):
        script = dask_faults.preload_script(str(tmp_path), **faults)
        started.append(cluster.local_cluster(2, memory_limit, (script,), config))
        return started[-1]

    yield start_cluster
    for each in started:
        each.close()


def test_a_record_that_kills_every_worker_is_quarantined_and_the_rest_are_made(faulty_cluster, runner, tmp_path):
    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))["enterprises"]
    poison = data[5]["id"]
    # Dask's default is 3 retries, the engine's 2; 1 here keeps the test short.
    local = faulty_cluster(config={"distributed.scheduler.allowed-failures": 1}, poison=poison)
    result = runner.invoke(main, generate_args(EXAMPLES / "enterprises.yaml", tmp_path / "out") +
                           ["--engine", "dask", "--scheduler", local.scheduler_address])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("错误：")]
    assert len(errors) == 1
    where, enterprise_id, why = errors[0].removeprefix("错误：").split("：", 2)
    assert where.startswith("examples/enterprises.yaml:") and enterprise_id == poison
    assert "接连意外退出2次" in why and "已隔离" in why
    assert result.stdout.startswith("已生成19家企业的新版本")
    assert {p.name for p in (tmp_path / "out").iterdir() if (p / "version.json").exists()} == \
        {e["id"] for e in data} - {poison}


def test_workers_whose_memory_grows_are_restarted_and_the_run_finishes(faulty_cluster, tmp_path):
    """Pausing is off and the nanny terminates a worker at 95% of its limit: a run whose workers
    leak finishes, with restarts. (With Dask's default pause at 80% this same run stalls, its
    workers paused for good: dask/distributed#5999; hence the timeout.)"""
    log = tmp_path / "workers.log"
    local = faulty_cluster(memory_limit=350 * 2**20, leak_mb=35, step_s=0.12, worker_log=str(log))
    assert all(nanny.memory_manager.memory_terminate_fraction == 0.95 for nanny in local.workers.values())
    run = planner(*generate_args(EXAMPLES / "enterprises.yaml", tmp_path / "out"), "--engine", "dask",
                  "--scheduler", local.scheduler_address, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("已生成20家企业的新版本") and not run.stderr  # Dask's own warnings kept quiet
    whole(tmp_path / "out", 20)
    assert len(set(log.read_text().split())) > 2  # more worker processes than the two started: restarts
    with Client(local) as client:  # the restarted workers too: never paused
        assert list(client.run(lambda: dask.config.get("distributed.worker.memory.pause")).values()) == [False, False]


def test_the_workers_of_a_local_cluster_run_without_dashboard_diagnostics(faulty_cluster):
    """No statistical profiler and no 20 ms event-loop tick on the workers: with them, each PDF
    worker's event loop woke some 250 times a second to take the GIL from the running task
    (measured with strace; about a tenth of the CPU of a run, bench/dask_scaling.py)."""
    local = faulty_cluster()
    with Client(local) as client:
        timers = client.run(lambda dask_worker: {name: pc.callback_time
                                                 for name, pc in dask_worker.periodic_callbacks.items()})
    assert len(timers) == 2
    for each in timers.values():
        assert "profile" not in each and "profile-cycle" not in each
        assert each["tick"] >= 1000 and each["monitor"] >= 5000
        assert min(each.values()) >= 1000  # nothing wakes a worker more than once a second


def test_an_unreachable_scheduler_is_said_in_chinese(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    result = runner.invoke(main, generate_args(EXAMPLES / "enterprises.yaml", tmp_path / "out") +
                           ["--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：无法连接 Dask 调度器 tcp://127.0.0.1:9")
    assert "Traceback" not in result.output
    assert not any(p.is_dir() for p in (tmp_path / "out").iterdir())  # no enterprise written


@pytest.mark.parametrize("args, said", [
    (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler 和 --local 只用于 --engine dask"),
    (["--engine", "dask"], "--engine dask 需要 --scheduler"),
    (["--engine", "dask", "--local", "2", "--scheduler", "tcp://127.0.0.1:8786"], "二者之一"),
    (["--engine", "dask", "--local", "2", "--workers", "2"], "--engine dask 不用 --workers"),
])
def test_engine_options_are_checked(runner, tmp_path, args, said):
    result = runner.invoke(main, generate_args(EXAMPLES / "enterprises.yaml", tmp_path / "out") + args)
    assert result.exit_code == 2 and said in result.output
    assert not (tmp_path / "out").exists()


def test_nothing_of_dask_is_imported_without_engine_dask(tmp_path):
    code = ("import sys; from planner.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
            "assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]\n")
    run = subprocess.run([sys.executable, "-c", code, *map(str, generate_args(EXAMPLES / "enterprises.yaml",
                                                                              tmp_path / "out"))],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_a_worker_whose_install_differs_makes_nothing_and_says_why(kb, sample_records):
    """The worker side, in this process: a fingerprint other than the client's (another planner or
    WeasyPrint version, other fonts) fails each enterprise with the difference named."""
    from planner.generate import Settings, Task
    from planner.render import Templates

    settings = Settings(str(kb.root), tuple(str(d) for d in Templates.from_option(None).dirs), None, AS_OF, ("md",), "")
    expected = {**cluster.fingerprint(("md",)), "planner": "0.0-elsewhere"}
    setup = cluster._Setup("test-run", settings, cluster._bundle(kb.root, settings.templates), expected)
    setup.setup()
    try:
        record = sample_records[0]
        [(kind, why)] = cluster._make_chunk("test-run", (Task(record.facts, record.where, {}),))
    finally:
        setup.teardown()
    assert kind == "failed"
    assert "程序环境与运行 planner 的机器不同" in why and "planner（本机 0.0-elsewhere" in why
