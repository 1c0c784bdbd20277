"""The redline of a plan as it reads: rendered blocks, moves, whole tokens, hunks."""

from __future__ import annotations

from planner.redline import DELETE, EQUAL, INSERT, redline, token_diff, tokens

MEASURES = """# 方案

## 三、重点帮扶措施

以下3项措施由牵头单位落实。

### （一）甲措施

甲措施的内容，**牵头单位**：市经信局。

### （二）乙措施

乙措施的内容，**牵头单位**：市财政局。

### （三）丙措施

丙措施的内容，**牵头单位**：市税务局。

## 四、时间节点

| 日期 | 事项 |
| --- | --- |
| 2022年6月30日 | 甲\\|乙 |
| 2022年12月31日 | 丙 |
"""


def test_tokens_keep_dates_numbers_and_words_whole():
    assert tokens("2022年12月31日前退还86500万元的3.5%，C3670行业") == [
        "2022年12月31日", "前", "退", "还", "86500万元", "的", "3.5%", "，", "C3670", "行", "业"]
    assert tokens("12月31日至2022-09-30") == ["12月31日", "至", "2022-09-30"]


def test_a_chinese_date_changes_as_one_token_pair():
    assert token_diff("实施期限至2022年12月31日。", "实施期限至2022年9月30日。") == [
        (EQUAL, "实施期限至"), (DELETE, "2022年12月31日"), (INSERT, "2022年9月30日"), (EQUAL, "。")]


def test_a_moved_measure_is_shown_once_collapsed_to_its_heading():
    moved = MEASURES.replace("### （三）丙措施\n\n丙措施的内容，**牵头单位**：市税务局。\n\n", "")
    moved = moved.replace("### （一）甲措施", "### （一）丙措施\n\n丙措施的内容，**牵头单位**：市税务局。\n\n### （二）甲措施")
    moved = moved.replace("### （二）乙措施", "### （三）乙措施")
    [hunk] = redline(MEASURES, moved)
    [block] = hunk.blocks
    assert (block.kind, block.change, block.text) == ("heading", "moved", "（一）丙措施")
    assert block.note == "（位置调整：原第三项，现第一项）"
    assert [h.text for h in hunk.context] == ["三、重点帮扶措施"]


def test_renumbering_alone_is_no_change_but_a_moved_and_edited_block_shows_its_marks():
    edited = MEASURES.replace("### （一）甲措施\n\n甲措施的内容，**牵头单位**：市经信局。\n\n", "")
    edited = edited.replace("（二）乙措施", "（一）乙措施").replace("（三）丙措施", "（二）丙措施")
    edited += "\n### （三）甲措施\n\n甲措施的内容，**牵头单位**：市发改委。\n"
    hunks = redline(MEASURES, edited)
    shown = [(b.kind, b.change, b.text) for h in hunks for b in h.blocks]
    assert ("heading", "moved", "（三）甲措施") in shown
    changed = next(b for h in hunks for b in h.blocks if b.change == "moved" and b.kind == "paragraph")
    assert (DELETE, "经信局") in changed.pieces and (INSERT, "发改委") in changed.pieces
    assert not any("乙措施" in text or "丙措施" in text for _, _, text in shown)  # only renumbered


def test_a_changed_table_row_comes_with_its_header_as_rendered_text():
    changed = MEASURES.replace("| 2022年12月31日 | 丙 |", "| 2022年9月30日 | 丙 |")
    [hunk] = redline(MEASURES, changed)
    [table] = hunk.blocks
    assert table.kind == "table" and table.header == ["日期", "事项"]
    assert [row.cells for row in table.rows] == [[[(DELETE, "2022年12月31日"), (INSERT, "2022年9月30日")],
                                                 [(EQUAL, "丙")]]]
    assert [h.text for h in hunk.context] == ["四、时间节点"]


def test_rendered_text_has_no_markdown_and_provenance_is_not_compared():
    old = MEASURES + "\n生成：planner 0.1.0，数据指纹 3f5a9c0d1e2b4a6f7788\n"
    new = MEASURES.replace("**牵头单位**：市财政局", "**牵头单位**：市财政局、市税务局") \
        + "\n生成：planner 0.2.0，数据指纹 a1b2c3d4e5f60718293a\n"
    [hunk] = redline(old, new)
    [block] = hunk.blocks
    assert block.pieces[-2:] == [(INSERT, "、市税务局"), (EQUAL, "。")]
    assert "**" not in block.text
    assert [h.text for h in hunk.context] == ["三、重点帮扶措施", "（二）乙措施"]


def test_separate_changes_make_separate_hunks_and_a_deletion_stays_in_place():
    changed = MEASURES.replace("甲措施的内容", "甲措施的新内容").replace("\n丙措施的内容，**牵头单位**：市税务局。\n", "")
    hunks = redline(MEASURES, changed)
    assert [[(b.change, b.text) for b in h.blocks] for h in hunks] == [
        [("changed", "甲措施的新内容，牵头单位：市经信局。")],
        [("deleted", "丙措施的内容，牵头单位：市税务局。")]]
    assert [h.context[-1].text for h in hunks] == ["（一）甲措施", "（三）丙措施"]


def test_the_same_text_gives_no_hunks():
    assert redline(MEASURES, MEASURES) == []


def test_an_item_removed_from_a_list_is_marked_whole():
    """The matcher may place a removed item anywhere in a run of like text; it is shown as the item
    with its separator, 产融对接、[-产才对接、-]数字赋能对接, never 产融[-对接、产才-]对接."""
    pieces = token_diff("报名参加产融对接、产才对接、数字赋能对接活动", "报名参加产融对接、数字赋能对接活动")
    assert pieces == [(EQUAL, "报名参加产融对接、"), (DELETE, "产才对接、"), (EQUAL, "数字赋能对接活动")]
    pieces = token_diff("针对企业反映的成本高利润薄；", "针对企业反映的融资难、成本高利润薄；")
    assert pieces == [(EQUAL, "针对企业反映的"), (INSERT, "融资难、"), (EQUAL, "成本高利润薄；")]


def nested_diff(levels: int = 6, changed=(5, 6)):
    """A PlanDiff of two plans whose plan.md is one list nested ``levels`` deep, the items of
    ``changed`` levels edited."""
    from planner import knowledge
    from planner.diff import Side, diff_plans
    from planner.resources import bundled

    def markdown(edited):
        return "# 方案\n\n## 措施\n\n" + "".join(
            "  " * (n - 1) + f"- 第{n}级事项{'（已修改）' if edited and n in changed else ''}\n"
            for n in range(1, levels + 1))

    plan = {"enterprise": {"id": "91330206NB0000059N", "name": "测试企业"}, "as_of": "2022-06-15",
            "measures": [], "questions": []}
    return diff_plans(Side("旧", plan, markdown(False)), Side("新", plan, markdown(True)),
                      knowledge.load(bundled("sectors")))


def test_a_list_nested_six_deep_keeps_its_depth_in_the_html_redline():
    import re

    from planner.diff_output import as_html_body
    from planner.render import Templates

    d = nested_diff(6, changed=(2, 4, 5, 6))
    assert [b.level for h in d.redline for b in h.blocks] == [2, 4, 5, 6]
    html = as_html_body(d, Templates.from_option(None))
    items = re.findall(r'((?:<div class="in">)*)<ul class="rl changed level-(\d+)"><li>(第\d级)', html)
    assert [(w.count('<div class="in">'), int(level), text) for w, level, text in items] == [
        (1, 2, "第2级"), (3, 4, "第4级"), (4, 5, "第5级"), (5, 6, "第6级")]
    assert html.count("<div") == html.count("</div>")  # every wrapper closed
