"""企业清单.xlsx: every generate run lists the output folder's enterprises, with links (issue 13)."""

from __future__ import annotations

import json

import openpyxl

from conftest import EXAMPLES, sample_ids


def test_the_enterprise_list_matches_the_output_folder(runner, tmp_path):
    from planner.cli import main

    text = (EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8")
    first = sample_ids()[0]
    name = json.dumps("=HYPERLINK(\"http://x\",\"点我\")", ensure_ascii=False)
    start = text.index(f"id: {first}")
    line_end = text.index("\n", text.index("name:", start))
    text = text[:text.index("name:", start)] + f"name: {name}" + text[line_end:]
    (tmp_path / "list.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(main, ["generate", str(tmp_path / "list.yaml"), "--out", str(out), "--as-of",
                                  "2022-06-15", "--format", "md"])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out / "企业清单.xlsx").active
    header = [c.value for c in sheet[1]]
    rows = {r[header.index("统一社会信用代码")].value: r for r in sheet.iter_rows(min_row=2)}
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert sorted(rows) == folders == sorted(sample_ids())
    for code, row in rows.items():
        plan = json.loads((out / code / "plan.json").read_text(encoding="utf-8"))
        cell = dict(zip(header, row))
        assert cell["企业名称"].value == plan["enterprise"]["name"]
        assert cell["措施数"].value == len(plan["measures"])
        assert cell["待核实问题"].value == len(plan["questions"])
        assert cell["当前版本"].value == "第1版" and cell["基准日"].value == "2022-06-15"
        for title, file in (("帮扶方案", "plan.md"), ("走访简报", "brief.md")):  # md only: the Markdown
            assert cell[title].hyperlink.target == f"{code}/{file}" and (out / code / file).is_file()
    hostile = dict(zip(header, rows[first]))["企业名称"]
    assert hostile.data_type == "s" and hostile.value.startswith("=HYPERLINK") and hostile.hyperlink is None

    # the next run refreshes it: a second version shows
    assert "production_status: normal" in text
    (tmp_path / "list.yaml").write_text(text.replace("production_status: normal", "production_status: reduced", 1),
                                        encoding="utf-8")
    runner.invoke(main, ["generate", str(tmp_path / "list.yaml"), "--out", str(out), "--as-of", "2022-06-15",
                         "--format", "md"])
    sheet = openpyxl.load_workbook(out / "企业清单.xlsx").active
    versions = [r[header.index("当前版本")].value for r in sheet.iter_rows(min_row=2)]
    assert versions.count("第2版") == 1 and versions.count("第1版") == len(folders) - 1
