"""What people open has a Chinese name in the output folder (issue 13): 帮扶方案.pdf and 走访简报.pdf,
while plan.md, plan.json and brief.md keep theirs; a folder made under the former names stays whole."""

from __future__ import annotations

import hashlib
import json

import yaml

from conftest import AS_OF, EXAMPLES

FORMER = {"帮扶方案.pdf": "plan.pdf", "走访简报.pdf": "brief.pdf"}


def _one_enterprise_list(tmp_path):
    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    one = data["enterprises"][0]
    path = tmp_path / "list.yaml"
    path.write_text(yaml.safe_dump({"enterprises": [one]}, allow_unicode=True), encoding="utf-8")
    return path, one["id"]


def _generate(runner, records, out):
    from planner.cli import main

    result = runner.invoke(main, ["generate", str(records), "--out", str(out), "--as-of", AS_OF.isoformat(), "-q"])
    assert result.exit_code == 0, result.output
    return result


def _as_an_earlier_planner_wrote_it(folder):
    """Rename the PDFs to plan.pdf/brief.pdf and record them so in version.json, as before."""
    meta = json.loads((folder / "version.json").read_text(encoding="utf-8"))
    for new, old in FORMER.items():
        (folder / new).rename(folder / old)
        for key in ("sizes", "sha256", "stat"):
            meta[key][old] = meta[key].pop(new)
        status = (folder / old).stat()
        meta["stat"][old] = [status.st_ino, status.st_mtime_ns]
    (folder / "version.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def test_the_documents_people_open_have_chinese_names(runner, tmp_path):
    records, code = _one_enterprise_list(tmp_path)
    _generate(runner, records, tmp_path / "out")
    folder = tmp_path / "out" / code
    names = {p.name for p in folder.iterdir() if p.is_file()}
    assert {"帮扶方案.pdf", "走访简报.pdf", "plan.md", "plan.json", "brief.md", "version.json"} <= names
    assert not names & {"plan.pdf", "brief.pdf"}
    meta = json.loads((folder / "version.json").read_text(encoding="utf-8"))
    assert hashlib.sha256((folder / "帮扶方案.pdf").read_bytes()).hexdigest() == meta["sha256"]["帮扶方案.pdf"]


def test_a_folder_under_the_former_names_is_exported_and_renamed_under_the_new(runner, tmp_path):
    from planner.cli import main

    records, code = _one_enterprise_list(tmp_path)
    out = tmp_path / "out"
    _generate(runner, records, out)
    folder = out / code
    _as_an_earlier_planner_wrote_it(folder)
    old_plan = (folder / "plan.pdf").read_bytes()

    exported = runner.invoke(main, ["export", str(out), "--to", str(tmp_path / "to"), "--by", "none"])
    assert exported.exit_code == 0, exported.output
    [copy] = [p for p in (tmp_path / "to").rglob("帮扶方案.pdf")]
    assert copy.read_bytes() == old_plan and not list((tmp_path / "to").rglob("plan.pdf"))

    _generate(runner, records, out)  # the next run: the same version, its PDFs under the new names
    names = {p.name for p in folder.iterdir() if p.is_file()}
    assert "帮扶方案.pdf" in names and not names & {"plan.pdf", "brief.pdf"}  # no stale document at the top
    assert (folder / "帮扶方案.pdf").read_bytes() == old_plan
    meta = json.loads((folder / "version.json").read_text(encoding="utf-8"))
    assert meta["version"] == 1 and not (folder / "history").exists()
    assert set(meta["sha256"]) == {"plan.md", "plan.json", "brief.md", "帮扶方案.pdf", "走访简报.pdf"}
    again = _generate(runner, records, out)  # and now nothing is left to do
    assert "0家" in again.output or "跳过" in again.output
    assert json.loads((folder / "version.json").read_text(encoding="utf-8")) == meta


def test_only_the_templates_of_plans_and_briefs_make_a_new_version(kb, tmp_path):
    """A bureau's diff or impact template changes no plan, so it is no new version; its plan.css is."""
    import shutil

    from planner.generate import generate
    from planner.render import Templates
    from planner.resources import bundled

    records, code = _one_enterprise_list(tmp_path)
    mine = tmp_path / "tpl"
    mine.mkdir()
    out = tmp_path / "out"
    assert generate(records, out, kb, Templates.from_option(mine), AS_OF, ("md",), workers=1).written
    for name in ("diff.css", "impact.md.j2", "summary.md.j2"):
        shutil.copy(bundled("templates") / name, mine / name)
        (mine / name).write_text((mine / name).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = generate(records, out, kb, Templates.from_option(mine), AS_OF, ("md",), workers=1)
    assert not again.written and again.unchanged == [code]
    (mine / "plan.css").write_text((bundled("templates") / "plan.css").read_text(encoding="utf-8") + "\n",
                                   encoding="utf-8")
    changed = generate(records, out, kb, Templates.from_option(mine), AS_OF, ("md",), workers=1)
    assert changed.written == [code]
    meta = json.loads((out / code / "version.json").read_text(encoding="utf-8"))
    assert meta["version"] == 2 and meta["trigger"] == ["模板变化"]
