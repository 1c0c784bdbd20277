"""A damaged, mixed, linked or read-only output tree costs at most its own enterprise, never a traceback."""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import subprocess
from pathlib import Path

import orjson
import pytest

from planner import versions
from planner.cli import main
from planner.generate import generate
from planner.render import Templates
from planner.versions import is_complete, read_meta, scan_versions, verified_plan, versions_in

from conftest import AS_OF
from test_versions import AUTO, stop, write_records

LATER = AS_OF + dt.timedelta(days=1)
RUN = ["generate", "list.yaml", "--out", "out", "--as-of", AS_OF.isoformat(), "--format", "md", "-q"]


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A working directory with list.yaml generated once into out/ (v1 of every enterprise)."""
    monkeypatch.chdir(tmp_path)
    write_records(tmp_path / "list.yaml")
    generate(tmp_path / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), AS_OF, ("md",))
    return tmp_path


def knowledge():
    from planner import knowledge as k
    from planner.resources import bundled

    return k.load(bundled("sectors"))


@pytest.fixture
def two(here):
    """out/AUTO with v1 archived and v2 (production stopped) at the top."""
    write_records(here / "list.yaml", stop)
    generate(here / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), AS_OF, ("md",))
    assert [v.number for v in versions_in(Path("out") / AUTO)] == [1, 2]
    return here


def tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# 1. A damaged version.json costs only its enterprise, names the file and heals in the same run.

def test_a_truncated_version_json_is_named_kept_and_regenerated(two, runner):
    folder = Path("out") / AUTO
    meta = folder / "version.json"
    meta.write_bytes(meta.read_bytes()[:100])  # truncated, as a full disk or a broken copy leaves it
    before = tree(folder)
    result = runner.invoke(main, RUN)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("已生成1家企业的新版本，19家未变化（跳过）")
    assert (f"注意：out/{AUTO}/version.json：版本信息已损坏（JSON 不完整）；原有文件已保存到 "
            f"out/{AUTO}/history/damaged-1/，已重新生成为第2版\n") in result.stderr
    assert "Traceback" not in result.output
    kept = {k[len("history/damaged-1/"):]: v for k, v in tree(folder).items() if k.startswith("history/damaged-1/")}
    assert kept == {k: v for k, v in before.items() if "/" not in k}  # every byte of the damaged top is kept
    found = versions_in(folder)
    assert [v.number for v in found] == [1, 2]  # numbered after the highest trustworthy archived version
    assert found[-1].meta["trigger"] == ["版本信息损坏"]
    assert found[-1].meta["summary"] == ("上一版本的 version.json 已损坏（JSON 不完整），原有文件保存在 "
                                         "history/damaged-1/，未与上一版比较")
    again = runner.invoke(main, RUN)
    assert again.exit_code == 0 and again.stdout.startswith("已生成0家企业的新版本，20家未变化") and again.stderr == ""


@pytest.mark.parametrize("text, reason", [
    (b"", "文件为空"),
    (b"[1, 2]", "内容不是 JSON 对象"),
    (b'{"version": "2"}', "字段 version 应为正整数"),
    (b'{"version": 2, "generated": "x", "as_of": "2022-06-15", "formats": ["md"], "trigger": [], '
     b'"summary": "", "sizes": {}}', "缺少字段 inputs"),
    (b"\xff\xfe{}", "JSON 格式错误（第1行第1列）"),
])
def test_every_kind_of_damaged_version_json_is_named(here, text, reason):
    path = Path("out") / AUTO / "version.json"
    path.write_bytes(text)
    with pytest.raises(versions.DamagedVersion) as caught:
        read_meta(path.parent)
    assert caught.value.format_message() == f"out/{AUTO}/version.json：版本信息已损坏（{reason}）"


def test_a_batch_with_a_damaged_version_keeps_going(here):
    (Path("out") / AUTO / "version.json").write_text('{"version": 1', encoding="utf-8")
    result = generate(here / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), LATER, ("md",))
    assert len(result.written) == 20 and result.failed == []
    assert len(result.notes) == 1 and f"{AUTO}/version.json" in result.notes[0]
    assert [v.number for v in versions_in(Path("out") / AUTO)] == [1]  # the damaged top had no trusted number


def test_history_names_a_damaged_version_and_lists_the_others(two, runner):
    folder = Path("out") / AUTO
    (folder / "history" / "v1" / "version.json").write_text('{"version": "one"}', encoding="utf-8")
    result = runner.invoke(main, ["history", str(folder)])
    assert result.exit_code == 0
    listed = [line.split("　")[0] for line in result.stdout.splitlines() if line.startswith("第")]
    assert listed == ["第2版"] and "第1版已损坏，见上方提示" in result.stdout
    assert result.stderr == f"注意：out/{AUTO}/history/v1/version.json：版本信息已损坏（字段 version 应为正整数）\n"
    (folder / "version.json").write_bytes(b"{")
    nothing = runner.invoke(main, ["history", str(folder)])
    assert nothing.exit_code == 1 and nothing.stdout == ""
    assert nothing.stderr == (f"注意：out/{AUTO}/history/v1/version.json：版本信息已损坏（字段 version 应为正整数）\n"
                              f"注意：out/{AUTO}/version.json：版本信息已损坏（JSON 不完整）\n"
                              f"错误：out/{AUTO}：没有可读的方案版本（应为 planner generate 写出的 输出目录/<统一社会信用代码>）\n")


def test_history_of_a_folder_without_versions(here, runner):
    result = runner.invoke(main, ["history", "nowhere"])
    assert result.exit_code == 1
    assert result.stderr == "错误：nowhere：没有这个企业文件夹\n"


def test_diff_against_a_corrupt_archived_version_is_an_error_not_a_difference(two, runner):
    folder = Path("out") / AUTO
    (folder / "history" / "v1" / "version.json").write_bytes(b'{"version": 1, "generated"')
    result = runner.invoke(main, ["diff", f"{folder}@v1", str(folder)])
    assert result.exit_code == 2
    assert result.stderr == f"错误：out/{AUTO}/history/v1/version.json：版本信息已损坏（JSON 不完整）\n"


def test_diff_against_a_same_size_corruption_of_an_archived_plan_is_an_error(two, runner):
    folder = Path("out") / AUTO
    plan = folder / "history" / "v1" / "plan.json"
    data = bytearray(plan.read_bytes())
    data[-10:-2] = b"XXXXXXXX"
    os.unlink(plan)  # the archive is a hard link of the old top: break it, as a disk error would not
    plan.write_bytes(bytes(data))
    result = runner.invoke(main, ["diff", f"{folder}@v1", str(folder)])
    assert result.exit_code == 2
    assert result.stderr == (f"错误：out/{AUTO}/history/v1：第1版的文件已损坏（plan.json 的内容与 version.json "
                             f"记录的校验值不符）\n")


def test_diff_of_a_truncated_plan_json_is_an_error(two, runner, tmp_path):
    broken = tmp_path / "plan.json"
    broken.write_bytes((Path("out") / AUTO / "plan.json").read_bytes()[:500])
    result = runner.invoke(main, ["diff", f"out/{AUTO}@v1", "plan.json"])
    assert result.exit_code == 2 and result.stderr.startswith("错误：plan.json：不是有效的 plan.json（")


# 2. A version is current only when all of its files are in place.

def fail_at(name: str, monkeypatch):
    """Make writing ``name`` fail as on a full disk; returns the real writer, to put back."""
    real = versions.atomic_write

    def write(path, data):
        if Path(path).name == name:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(versions, "atomic_write", write)
    return real


def test_a_failed_write_leaves_no_mixed_current_version(here, monkeypatch):
    folder = Path("out") / AUTO
    v1 = tree(folder)
    real = fail_at("plan.json", monkeypatch)  # the disk fills after plan.md and brief.md were replaced
    failed = generate(here / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), LATER, ("md",),
                      workers=1)
    assert len(failed.failed) == 20
    assert "基准日 2022年6月16日" in (folder / "plan.md").read_text(encoding="utf-8")  # the mixed top
    assert not is_complete(folder, read_meta(folder), ("md",))
    assert verified_plan(folder)["as_of"] == "2022-06-15"  # the whole v1, from its archive
    monkeypatch.setattr(versions, "atomic_write", real)
    rerun = generate(here / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), AS_OF, ("md",))
    assert len(rerun.written) == 20 and rerun.unchanged == []  # a mixed top is never taken as unchanged
    documents = ("plan.md", "brief.md", "plan.json")
    assert {n: (folder / n).read_bytes() for n in documents} == {n: v1[n] for n in documents}
    meta = read_meta(folder)
    assert [v.number for v in versions_in(folder)] == [1]  # the same inputs made v1 again, byte for byte
    assert {k: v for k, v in meta.items() if k != "stat"} == {
        k: v for k, v in orjson.loads(v1["version.json"]).items() if k != "stat"}


def test_a_same_size_corruption_of_plan_json_is_regenerated(here):
    folder = Path("out") / AUTO
    plan = folder / "plan.json"
    good = plan.read_bytes()
    plan.write_bytes(good.replace(b'"measures"', b'"meaXures"', 1))
    assert plan.stat().st_size == len(good)
    assert verified_plan(folder) is None  # summary must not read it
    result = generate(here / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), AS_OF, ("md",))
    assert result.written == [AUTO] and len(result.unchanged) == 19
    assert plan.read_bytes() == good and verified_plan(folder)["enterprise"]["id"] == AUTO


def test_version_json_records_a_hash_of_every_file(here):
    import hashlib

    folder = Path("out") / AUTO
    meta = read_meta(folder)
    assert meta["sha256"] == {n: hashlib.sha256((folder / n).read_bytes()).hexdigest()
                              for n in ("plan.md", "brief.md", "plan.json")}


def test_an_old_version_json_without_hashes_is_verified_once(here):
    folder = Path("out") / AUTO
    meta = orjson.loads((folder / "version.json").read_bytes())
    del meta["sha256"], meta["stat"]
    (folder / "version.json").write_bytes(orjson.dumps(meta))
    assert verified_plan(folder)["enterprise"]["id"] == AUTO  # a reader trusts an old version by its sizes
    documents = tree(folder)
    first = generate(here / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), AS_OF, ("md",))
    assert first.written == [] and len(first.unchanged) == 20  # proven by making it again, and adopted
    assert [v.number for v in versions_in(folder)] == [1] and read_meta(folder) == {**meta, **{
        k: v for k, v in read_meta(folder).items() if k in ("sha256", "stat")}}
    assert {k: v for k, v in tree(folder).items() if k != "version.json"} == {
        k: v for k, v in documents.items() if k != "version.json"}
    again = generate(here / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), AS_OF, ("md",))
    assert again.written == [] and len(again.unchanged) == 20


def test_an_old_mixed_version_is_made_again(here):
    """Without hashes a mixed top of the same size passes the size check: making it again shows it."""
    folder = Path("out") / AUTO
    meta = orjson.loads((folder / "version.json").read_bytes())
    del meta["sha256"], meta["stat"]
    (folder / "version.json").write_bytes(orjson.dumps(meta))
    plan = folder / "plan.md"
    good = plan.read_bytes()
    plan.write_bytes(good.replace("基准日 2022年6月15日".encode(), "基准日 2022年6月16日".encode()))
    assert plan.stat().st_size == len(good)
    result = generate(here / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), AS_OF, ("md",))
    assert result.written == [AUTO] and plan.read_bytes() == good
    assert "sha256" in read_meta(folder) and [v.number for v in versions_in(folder)] == [1, 2]


def test_a_damaged_archive_of_the_current_version_is_kept_aside(two):
    folder = Path("out") / AUTO
    shutil.copytree(folder / "history" / "v1", folder / "history" / "v2")
    (folder / "history" / "v2" / "version.json").write_bytes(b"{")
    kept = tree(folder / "history" / "v2")
    write_records(two / "list.yaml")  # production back to normal: v3
    generate(two / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), AS_OF, ("md",))
    assert [v.number for v in versions_in(folder)] == [1, 2, 3]
    assert tree(folder / "history" / "damaged-1") == kept
    assert versions_in(folder)[1].meta["trigger"] == ["企业记录变化"]


def test_a_copied_output_tree_is_still_unchanged(here, tmp_path):
    shutil.copytree("out", "copy")  # new inodes and times: the hashes decide
    result = generate(here / "list.yaml", Path("copy"), knowledge(), Templates.from_option(None), AS_OF, ("md",))
    assert result.written == [] and len(result.unchanged) == 20


# 3. Links inside the output tree are never followed.

def test_a_symlinked_enterprise_folder_is_refused(here, tmp_path, runner):
    elsewhere = tmp_path / "elsewhere"
    shutil.move(f"out/{AUTO}", elsewhere)
    os.symlink(elsewhere, f"out/{AUTO}")
    before = tree(elsewhere)
    write_records(here / "list.yaml", stop)
    result = runner.invoke(main, RUN)
    assert result.exit_code == 1
    line = next(i for i, text in enumerate((here / "list.yaml").read_text(encoding="utf-8").splitlines(), 1)
                if text.strip().endswith(f"id: {AUTO}"))
    assert (f"错误：list.yaml:{line}：{AUTO}：out/{AUTO}：是符号链接（指向 {elsewhere}），不会跟随它写到"
            f"输出目录之外；该企业本次未生成。请删除该链接或换成真实文件夹后再次运行\n") in result.stderr
    assert tree(elsewhere) == before and os.path.islink(f"out/{AUTO}")


def test_a_symlinked_history_folder_is_refused(here, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, f"out/{AUTO}/history")
    write_records(here / "list.yaml", stop)
    result = generate(here / "list.yaml", Path("out"), knowledge(), Templates.from_option(None), AS_OF, ("md",))
    assert [f[1:] for f in result.failed] == [
        (AUTO, f"out/{AUTO}/history：是符号链接（指向 {elsewhere}），不会跟随它写到输出目录之外；该企业本次未生成。"
               f"请删除该链接或换成真实文件夹后再次运行")]
    assert list(elsewhere.iterdir()) == [] and len(result.written) == 0


def test_a_symlinked_version_json_is_not_read(here, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_bytes((Path("out") / AUTO / "version.json").read_bytes())
    os.unlink(f"out/{AUTO}/version.json")
    os.symlink(outside, f"out/{AUTO}/version.json")
    with pytest.raises(versions.DamagedVersion) as caught:
        read_meta(Path("out") / AUTO)
    assert caught.value.format_message() == f"out/{AUTO}/version.json：版本信息已损坏（是符号链接，不予读取）"


def test_a_symlinked_lock_file_is_refused(here, tmp_path, runner):
    target = tmp_path / "victim"
    os.unlink("out/.planner.lock")
    os.symlink(target, "out/.planner.lock")
    result = runner.invoke(main, RUN)
    assert result.exit_code == 1 and not target.exists()
    assert result.stderr == "错误：out/.planner.lock：锁文件是符号链接，不会跟随；请删除它后再次运行\n"


def test_an_out_folder_that_is_a_symlink_is_followed(here, tmp_path, runner):
    os.symlink("out", "link")  # the user's own choice of --out
    result = runner.invoke(main, [*RUN[:3], "link", *RUN[4:]])
    assert result.exit_code == 0 and result.stdout.startswith("已生成0家企业的新版本，20家未变化")


# 4. A read-only --out.

@pytest.fixture
def read_only_out(here):
    """out/ on a read-only bind mount (a real EROFS); where mounting is not allowed, immutable files."""
    out = here / "out"
    mounted = subprocess.run(["mount", "--bind", str(out), str(out)], capture_output=True).returncode == 0
    if mounted and subprocess.run(["mount", "-o", "remount,bind,ro", str(out)], capture_output=True).returncode:
        subprocess.run(["umount", str(out)], check=True)
        mounted = False
    immutable = []
    if not mounted:
        immutable = [out, out / ".planner.lock"]
        if subprocess.run(["chattr", "+i", *map(str, immutable)], capture_output=True).returncode:
            pytest.skip("neither a read-only bind mount nor chattr +i is available here")
    try:
        with pytest.raises(OSError):
            (out / "probe").write_text("x")
        yield out
    finally:
        if mounted:
            subprocess.run(["umount", str(out)], check=True)
        else:
            subprocess.run(["chattr", "-i", *map(str, immutable)], check=True)


def test_a_read_only_out_with_nothing_to_write_is_fine(read_only_out, runner):
    result = runner.invoke(main, RUN)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("已生成0家企业的新版本，20家未变化（跳过）")


def test_a_read_only_out_with_work_to_do_says_so(read_only_out, runner, here):
    write_records(here / "list.yaml", stop)
    result = runner.invoke(main, RUN)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("错误：out：输出目录不可写（")
    assert result.stderr.endswith("），有1家企业需要生成新版本，未写入任何文件；请换一个可写的 --out 目录或修改权限后再次运行\n")


# 5. history and diff speak Chinese.

def test_history_and_diff_help_are_chinese(runner):
    history = runner.invoke(main, ["history", "--help"]).output
    assert "列出 FOLDER（输出目录/<统一社会信用代码>）中保存的各个版本" in history
    diff = "".join(line.strip() for line in runner.invoke(main, ["diff", "--help"]).output.splitlines())  # unwrapped
    assert "比较两个方案" in diff and "相同时退出码为0，不同时为1，出错时为2" in diff
    assert "写入此文件，而不是标准输出" in diff and "彩色终端文本、Markdown、HTML，或 PDF 修订稿（需要 --output）" in diff


def test_scan_versions_reports_what_it_cannot_read(two):
    folder = Path("out") / AUTO
    (folder / "history" / "v1" / "plan.md").write_text("changed", encoding="utf-8")
    good, damaged = scan_versions(folder)
    assert [v.number for v in good] == [2]
    assert [d.message for d in damaged] == [f"out/{AUTO}/history/v1：第1版的文件已损坏（plan.md 的大小与 version.json 记录的不符）"]


def only_auto(enterprises):
    enterprises[:] = [e for e in enterprises if e["id"] == AUTO]


def test_an_old_version_with_pdfs_is_adopted_without_rendering_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_records(tmp_path / "one.yaml", only_auto)
    kb, templates = knowledge(), Templates.from_option(None)
    generate(tmp_path / "one.yaml", Path("out"), kb, templates, AS_OF, ("md", "pdf"))
    folder = Path("out") / AUTO
    meta = orjson.loads((folder / "version.json").read_bytes())
    del meta["sha256"], meta["stat"]
    (folder / "version.json").write_bytes(orjson.dumps(meta))

    def no_pdf(*args, **kwargs):
        raise AssertionError("a PDF was rendered")

    monkeypatch.setattr("planner.generate.pdf_bytes", no_pdf)
    result = generate(tmp_path / "one.yaml", Path("out"), kb, templates, AS_OF, ("md", "pdf"))
    assert result.unchanged == [AUTO] and result.failed == []
    assert set(read_meta(folder)["sha256"]) == {"plan.md", "brief.md", "plan.json", "帮扶方案.pdf", "走访简报.pdf"}
    assert is_complete(folder, read_meta(folder), ("md", "pdf"))
