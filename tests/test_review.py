"""Review before a version goes out: decisions kept append-only, export and folder briefs take the
approved version when the folder requires review, a rejected version never goes out."""

from __future__ import annotations

import re

import orjson
import pytest
import yaml

from planner.cli import main

from conftest import AS_OF, EXAMPLES

LATER = "2022-06-16"  # another as-of date: every enterprise gets a new version


def write_list(path, count=3):
    data = yaml.safe_load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"))
    data["enterprises"] = data["enterprises"][:count]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path, [e["id"] for e in data["enterprises"]], {e["id"]: e["name"] for e in data["enterprises"]}


def run(runner, *args):
    return runner.invoke(main, [str(a) for a in args])


@pytest.fixture
def folder(runner, tmp_path):
    """An output folder of three enterprises, version 1 each (Markdown only)."""
    records, ids, names = write_list(tmp_path / "list.yaml")
    out = tmp_path / "out"
    result = run(runner, "generate", records, "--out", out, "--as-of", AS_OF.isoformat(), "--format", "md")
    assert result.exit_code == 0, result.output
    return out, records, ids, names


def decisions(path):
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_decisions_are_appended_and_earlier_bytes_never_change(runner, folder):
    out, _, ids, names = folder
    a = out / ids[0]
    approved = run(runner, "approve", a, "--reviewer", "张三", "--note", "措施齐全")
    assert approved.exit_code == 0, approved.output
    assert approved.stdout == f"已审核通过：{names[ids[0]]}（{ids[0]}）第1版（审核人：张三）\n"
    reviews = a / "reviews.jsonl"
    first = reviews.read_bytes()
    [line] = decisions(reviews)
    plan_sha = orjson.loads((a / "version.json").read_bytes())["sha256"]["plan.json"]
    assert {k: line[k] for k in ("enterprise", "version", "plan_sha256", "decision", "reviewer", "note")} == {
        "enterprise": ids[0], "version": 1, "plan_sha256": plan_sha, "decision": "approved", "reviewer": "张三",
        "note": "措施齐全"}
    assert line["time"].endswith("+00:00")  # UTC

    no_reason = run(runner, "reject", a, "--reviewer", "李四")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.stderr
    blank = run(runner, "reject", a, "--reviewer", "李四", "--reason", "   ")
    assert blank.exit_code == 1 and "退回须用 --reason 写明理由" in blank.stderr
    assert reviews.read_bytes() == first  # a refused decision writes nothing

    rejected = run(runner, "reject", a, "--reviewer", "李四", "--reason", "未列留抵退税")
    assert rejected.exit_code == 0, rejected.output
    assert "已退回" in rejected.stdout and "理由：未列留抵退税" in rejected.stdout
    now = reviews.read_bytes()
    assert now.startswith(first) and len(decisions(reviews)) == 2
    assert decisions(reviews)[1]["decision"] == "rejected" and decisions(reviews)[1]["reason"] == "未列留抵退税"

    listed = run(runner, "changes", out, "--last-run")  # the latest decision wins
    assert f"（{ids[0]}）　新建→第1版　首次生成　〔已退回（李四：未列留抵退税）〕　首个版本" in listed.stdout


def test_a_damaged_line_is_named_and_ignored(runner, folder):
    out, _, ids, _ = folder
    a = out / ids[0]
    assert run(runner, "approve", a, "--reviewer", "张三").exit_code == 0
    with open(a / "reviews.jsonl", "ab") as handle:
        handle.write(b'{"enterprise": "cut sh')  # a line cut short by a full disk
    before = (a / "reviews.jsonl").read_bytes()
    listed = run(runner, "changes", out)
    assert listed.exit_code == 0
    assert f"注意：{a / 'reviews.jsonl'}:2：审核记录已损坏（不是完整的 JSON），已忽略该行" in listed.stderr
    assert "已通过（张三，" in listed.stdout  # the good line still counts
    assert run(runner, "reject", a, "--reviewer", "李四", "--reason", "重写").exit_code == 0
    data = (a / "reviews.jsonl").read_bytes()
    assert data.startswith(before) and data[len(before):len(before) + 1] == b"\n"  # not glued to the cut line
    assert decisions_state(runner, out, ids[0]) == "已退回（李四：重写）"


def decisions_state(runner, out, code):
    listed = run(runner, "changes", out)
    return next(re.search(r"〔(.*?)〕　", line).group(1) for line in listed.stdout.splitlines() if f"（{code}）" in line)


def test_approving_a_folder_approves_only_pending_latest_versions(runner, folder):
    out, _, ids, _ = folder
    assert run(runner, "reject", out / ids[1], "--reviewer", "李四", "--reason", "待补材料").exit_code == 0
    assert run(runner, "approve", out / ids[2], "--reviewer", "王五").exit_code == 0
    result = run(runner, "approve", out, "--reviewer", "张三")
    assert result.exit_code == 0, result.output
    assert result.stdout == "已审核通过1家企业待审核的最新版本（审核人：张三）；1家此前已通过；1家最新版本已退回，未改动\n"
    assert len(decisions(out / ids[0] / "reviews.jsonl")) == 1
    assert len(decisions(out / ids[1] / "reviews.jsonl")) == 1  # the rejection stands
    again = run(runner, "approve", out, "--reviewer", "张三")
    assert again.stdout.startswith("已审核通过0家企业")


def test_required_review_exports_the_approved_version_under_a_newer_pending_one(runner, folder, tmp_path):
    out, records, ids, names = folder
    a = out / ids[0]
    assert run(runner, "approve", a, "--reviewer", "张三").exit_code == 0
    reviews = (a / "reviews.jsonl").read_bytes()
    setting = run(runner, "approve", out, "--require")
    assert setting.exit_code == 0 and "已开启审核要求" in setting.stdout
    assert (out / "planner-folder.yaml").read_text(encoding="utf-8").splitlines()[-1] == "review: required"
    assert run(runner, "generate", records, "--out", out, "--as-of", LATER, "--format", "md").exit_code == 0
    # a new version archived v1 and left the decisions where they were, whole
    assert (a / "reviews.jsonl").read_bytes() == reviews and not (a / "history" / "v1" / "reviews.jsonl").exists()
    assert orjson.loads((a / "version.json").read_bytes())["version"] == 2

    to = tmp_path / "移交"
    result = run(runner, "export", out, "--to", to, "--by", "none")
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"已导出1家企业审核通过的版本到 {to}/（其中1家是较早的通过版本，见上）\n")
    assert (f"注意：2家企业未导出：{names[ids[1]]}（{ids[1]}）、{names[ids[2]]}（{ids[2]}）尚无审核通过的版本"
            in result.stderr)
    assert f"注意：{names[ids[0]]}（{ids[0]}）第2版待审核，导出其第1版（已通过）" in result.stderr
    exported = (to / names[ids[0]] / "帮扶方案.md").read_bytes()
    assert exported == (a / "history" / "v1" / "plan.md").read_bytes() != (a / "plan.md").read_bytes()
    assert sorted(p.name for p in to.iterdir()) == [names[ids[0]]]

    # approving v2 does not need v1, and approving v1 never approved v2
    assert run(runner, "approve", a, "--reviewer", "张三").exit_code == 0
    again = run(runner, "export", out, "--to", tmp_path / "二次", "--by", "none")
    assert (tmp_path / "二次" / names[ids[0]] / "帮扶方案.md").read_bytes() == (a / "plan.md").read_bytes()
    assert "较早的通过版本" not in again.stdout


def test_a_rejected_version_is_never_exported(runner, folder, tmp_path):
    out, records, ids, names = folder
    a = out / ids[0]
    # review off: the latest version goes out, unless it was rejected
    assert run(runner, "reject", a, "--reviewer", "李四", "--reason", "数据有误").exit_code == 0
    off = run(runner, "export", out, "--to", tmp_path / "off", "--by", "none")
    assert off.exit_code == 0, off.output
    assert f"注意：1家企业未导出：{names[ids[0]]}（{ids[0]}）第1版已退回（李四：数据有误）" in off.stderr
    assert not (tmp_path / "off" / names[ids[0]]).exists() and (tmp_path / "off" / names[ids[1]]).is_dir()

    # review on: v1 approved, then v2 approved and rejected: v1 goes out, never v2
    assert run(runner, "approve", a, "--reviewer", "张三").exit_code == 0  # v1 approved after all
    assert run(runner, "approve", out, "--require").exit_code == 0
    assert run(runner, "generate", records, "--out", out, "--as-of", LATER, "--format", "md").exit_code == 0
    assert run(runner, "approve", a, "--reviewer", "张三").exit_code == 0
    assert run(runner, "reject", a, "--reviewer", "李四", "--reason", "第2版有误").exit_code == 0
    on = run(runner, "export", out, "--to", tmp_path / "on", "--by", "none")
    assert on.exit_code == 0, on.output
    assert (tmp_path / "on" / names[ids[0]] / "帮扶方案.md").read_bytes() == (
        a / "history" / "v1" / "plan.md").read_bytes()

    # and with nothing approved left, the enterprise is not exported at all
    assert run(runner, "reject", a, "--reviewer", "李四", "--reason", "第1版也不行", "--version", "1").exit_code == 0
    none = run(runner, "export", out, "--to", tmp_path / "none", "--by", "none")
    assert none.exit_code == 1
    assert "3家企业未导出" in none.stderr and "尚无审核通过的版本" in none.stderr and not (tmp_path / "none").exists()


def test_review_off_is_todays_behaviour(runner, folder, tmp_path):
    out, records, ids, names = folder
    assert run(runner, "approve", out / ids[0], "--reviewer", "张三").exit_code == 0
    assert run(runner, "approve", out, "--require").exit_code == 0
    off = run(runner, "approve", out, "--no-require")
    assert off.exit_code == 0 and "已关闭审核要求" in off.stdout
    assert run(runner, "generate", records, "--out", out, "--as-of", LATER, "--format", "md").exit_code == 0
    result = run(runner, "export", out, "--to", tmp_path / "to", "--by", "none")
    assert result.exit_code == 0 and result.stdout == f"已导出3家企业的最新版本到 {tmp_path / 'to'}/\n"
    assert result.stderr == ""
    for code in ids:  # the latest version, pending or not
        assert (tmp_path / "to" / names[code] / "帮扶方案.md").read_bytes() == (out / code / "plan.md").read_bytes()


def test_a_bad_folder_setting_is_a_clear_error(runner, folder, tmp_path):
    out, _, _, _ = folder
    (out / "planner-folder.yaml").write_text("review: sometimes\n", encoding="utf-8")
    result = run(runner, "export", out, "--to", tmp_path / "to")
    assert result.exit_code == 1
    assert result.stderr == f"错误：{out / 'planner-folder.yaml'}：review 应为 required 或 off（现为“sometimes”）\n"
    assert not (tmp_path / "to").exists()


def test_folder_briefs_print_the_approved_version(runner, tmp_path):
    from pypdf import PdfReader

    from planner.briefbook import BRIEF_PDF  # the version store's name for the brief, whatever it becomes

    records, ids, names = write_list(tmp_path / "list.yaml", count=2)
    out = tmp_path / "out"
    assert run(runner, "generate", records, "--out", out, "--as-of", AS_OF.isoformat()).exit_code == 0
    a = out / ids[0]
    assert run(runner, "approve", a, "--reviewer", "张三").exit_code == 0
    assert run(runner, "approve", out, "--require").exit_code == 0
    assert run(runner, "generate", records, "--out", out, "--as-of", LATER).exit_code == 0
    target = tmp_path / "简报.pdf"
    result = run(runner, "briefs", out, "--combined", target, "--no-cover")
    assert result.exit_code == 0, result.output
    assert f"注意：1家企业未打印：{names[ids[1]]}（{ids[1]}）尚无审核通过的版本" in result.stderr
    assert f"注意：{names[ids[0]]}（{ids[0]}）第2版待审核，打印其第1版（已通过）" in result.stderr
    [page] = PdfReader(target).pages
    v1 = PdfReader(a / "history" / "v1" / BRIEF_PDF).pages[0].extract_text()
    printed = page.extract_text()  # the approved page, with the print's own page number laid over it
    assert printed.startswith(v1) and printed[len(v1):].split() == ["第", "1", "页", "/", "共", "1", "页"]
    assert v1 != PdfReader(a / BRIEF_PDF).pages[0].extract_text()

    asked = run(runner, "briefs", out, "--combined", tmp_path / "二.pdf", "--id", ids[1])  # nothing approved
    assert asked.exit_code == 1 and not (tmp_path / "二.pdf").exists()
    assert "尚无审核通过的版本" in asked.stderr


def test_an_approval_binds_the_bytes_it_was_given_for(runner, folder, tmp_path):
    out, _, ids, names = folder
    a = out / ids[0]
    assert run(runner, "approve", out, "--require").exit_code == 0
    sha = orjson.loads((a / "version.json").read_bytes())["sha256"]["plan.json"]
    other = "0" * 64 if sha != "0" * 64 else "1" * 64
    line = {"enterprise": ids[0], "version": 1, "plan_sha256": other, "decision": "approved", "reviewer": "张三",
            "time": "2022-06-15T02:00:00+00:00", "note": ""}
    (a / "reviews.jsonl").write_bytes(orjson.dumps(line) + b"\n")  # an approval of other bytes numbered v1
    result = run(runner, "export", out, "--to", tmp_path / "to", "--by", "none")
    assert result.exit_code == 1 and "3家企业未导出" in result.stderr and "尚无审核通过的版本" in result.stderr
    assert decisions_state(runner, out, ids[0]) == "待审核"


def test_an_approval_over_a_rejection_says_so(runner, folder):
    out, _, ids, _ = folder
    a = out / ids[0]
    assert run(runner, "reject", a, "--reviewer", "王芳", "--reason", "停产原因待核实").exit_code == 0
    result = run(runner, "approve", a, "--reviewer", "李明")
    assert result.exit_code == 0
    assert "注意：第1版曾被王芳退回（理由：停产原因待核实），现改为通过" in result.stderr
    assert decisions_state(runner, out, ids[0]).startswith("已通过（李明，")
    again = run(runner, "approve", a, "--reviewer", "李明")
    assert again.exit_code == 0 and "曾被" not in again.stderr  # approved already: nothing to warn of


def test_a_mistyped_folder_is_named_with_the_close_ones(runner, folder):
    out, _, ids, _ = folder
    typo = ids[0][:-3] + "O" + ids[0][-2:]  # an O where a digit was
    result = run(runner, "approve", out / typo, "--reviewer", "王芳")
    assert result.exit_code == 1 and f"{out / typo}：没有这个企业文件夹" in result.stderr
    assert f"是否是：{ids[0]}" in result.stderr
    as_diff = run(runner, "reject", f"{out / ids[0]}@v1", "--reviewer", "王芳", "--reason", "x")
    assert as_diff.exit_code == 1 and f"--version 1" in as_diff.stderr
    history = run(runner, "history", out / typo)
    assert history.exit_code == 1 and f"是否是：{ids[0]}" in history.stderr
    listed = run(runner, "changes", out / ids[0])
    assert listed.exit_code == 2 and "是一家企业的文件夹" in listed.stderr
