"""planner export: the latest versions as a tree of human names, never one enterprise over another."""

from __future__ import annotations

import yaml

from conftest import AS_OF, EXAMPLES


def tree(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_export_twice_gives_the_same_tree_and_never_overwrites_on_a_shared_name(runner, tmp_path):
    from planner.cli import main

    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    a, b, c = data["enterprises"][:3]
    b["name"], b["district"] = a["name"], a["district"]  # two enterprises of one name in one district
    c["name"] = "../../逃逸/企业"  # a name that would leave the folder
    (tmp_path / "list.yaml").write_text(yaml.safe_dump({"enterprises": [a, b, c]}, allow_unicode=True),
                                        encoding="utf-8")
    out, to = tmp_path / "out", tmp_path / "移交"
    assert runner.invoke(main, ["generate", str(tmp_path / "list.yaml"), "--out", str(out), "--as-of",
                                AS_OF.isoformat(), "--format", "md"]).exit_code == 0
    first = runner.invoke(main, ["export", str(out), "--to", str(to)])
    assert first.exit_code == 0, first.output
    assert "已导出3家企业的最新版本" in first.output
    files = tree(to)
    folders = sorted({path.rsplit("/", 1)[0] for path in files})
    assert len(folders) == 3
    shared = [f for f in folders if f.split("/")[-1].startswith(a["name"])]
    assert sorted(shared) == sorted(f"{f.split('/')[0]}/{a['name']}（{e['id']}）" for f, e in zip(shared, (a, b)))
    for folder in folders:  # each its own enterprise's plan, under the names people open
        code = files[f"{folder}/.planner-enterprise"].decode().strip()
        assert files[f"{folder}/帮扶方案.md"] == (out / code / "plan.md").read_bytes()
        assert f"{folder}/走访简报.md" in files
    assert all(not p.startswith("..") and "/../" not in p for p in files)
    assert not (tmp_path / "逃逸").exists()

    second = runner.invoke(main, ["export", str(out), "--to", str(to)])
    assert second.exit_code == 0 and tree(to) == files  # stable: the same tree again


def test_a_folder_holding_another_enterprise_is_never_written_over(runner, tmp_path):
    from planner.cli import main

    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    one = data["enterprises"][0]
    (tmp_path / "list.yaml").write_text(yaml.safe_dump({"enterprises": [one]}, allow_unicode=True), encoding="utf-8")
    out, to = tmp_path / "out", tmp_path / "移交"
    runner.invoke(main, ["generate", str(tmp_path / "list.yaml"), "--out", str(out), "--as-of", AS_OF.isoformat(),
                         "--format", "md"])
    runner.invoke(main, ["export", str(out), "--to", str(to), "--by", "none"])
    (to / one["name"] / ".planner-enterprise").write_text("91330200MA0000000X\n", encoding="utf-8")  # now another's
    (to / one["name"] / "帮扶方案.md").write_text("另一家企业的方案", encoding="utf-8")
    result = runner.invoke(main, ["export", str(out), "--to", str(to), "--by", "none"])
    assert result.exit_code == 0, result.output
    assert (to / one["name"] / "帮扶方案.md").read_text(encoding="utf-8") == "另一家企业的方案"
    assert (to / f"{one['name']}（{one['id']}）" / "帮扶方案.md").read_bytes() == (out / one["id"] / "plan.md").read_bytes()


def test_a_long_shared_name_keeps_the_whole_credit_code(runner, tmp_path):
    from planner.cli import main

    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    a, b = data["enterprises"][:2]
    a["name"] = b["name"] = "宁波" + "长" * 100 + "有限公司"
    b["district"] = a["district"]
    (tmp_path / "list.yaml").write_text(yaml.safe_dump({"enterprises": [a, b]}, allow_unicode=True), encoding="utf-8")
    out, to = tmp_path / "out", tmp_path / "移交"
    runner.invoke(main, ["generate", str(tmp_path / "list.yaml"), "--out", str(out), "--as-of", AS_OF.isoformat(),
                         "--format", "md"])
    result = runner.invoke(main, ["export", str(out), "--to", str(to), "--by", "none"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in to.iterdir())
    assert [n.endswith(f"（{e['id']}）") for n, e in zip(names, sorted([a, b], key=lambda e: e["id"]))] == [True, True]


def test_an_export_that_matches_nothing_is_an_error(runner, tmp_path):
    from planner.cli import main

    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(main, ["export", str(out), "--to", str(tmp_path / "移交")])
    assert result.exit_code == 1 and "没有可导出的企业" in result.output
