"""Write examples/走访诉求登记表.xlsx: 30 fictional requests (诉求) cadres brought back from June
2022 visits to the 20 sample enterprises of examples/enterprises.yaml, in the workbook layout of
`planner requests template` (text cells, dropdowns, 填表说明); and examples/部门办理结果.xlsx, the
departments' answers to them (办理中, 办结, one 退回) in the layout of `planner requests export`,
for the demo's handling rate. `make demo` imports the first, hands the requests over
(`planner requests assign`) in three rounds, then imports the answers. The answers name the
requests by the ids a fresh ledger gives them (SQ-2022-000001 for the first row, and so on).
Every name, code and request is made up.

    .venv/bin/python examples/requests_sheet.py
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from planner.requests import load_rules, visit_ref
from planner.requests.sheets import ANSWER_HEADER, ANSWER_SHEET, ANSWER_WIDTHS, write_intake_book

HERE = Path(__file__).resolve().parent
TARGET = HERE / "走访诉求登记表.xlsx"
ANSWERS_TARGET = HERE / "部门办理结果.xlsx"

# (credit code, visit day in June 2022, category as written — names and aliases —, urgency, text,
#  departments when the cadre hands it elsewhere, whether the brief's 走访编号 was copied)
REQUESTS = [
    ("91330211NB0000016G", 16, "用能", "复杂", "新装置投产后用能指标缺口约1.2万吨标准煤，希望在全市统筹中倾斜", "", True),
    ("91330211NB0000016G", 16, "审批手续", "复杂", "二期项目环评批复进度慢，希望协调提前开展技术评估", "", True),
    ("91330205NB0000024M", 16, "账款拖欠", "复杂", "华岚显示科技股份有限公司拖欠货款860万元，已超期4个月", "", True),
    ("91330205NB0000024M", 16, "市场", "简单", "希望参加下游显示面板企业产销对接会", "", False),
    ("91330212NB0000032L", 17, "用地", "复杂", "扩产需新增工业用地30亩，希望纳入区级供地计划", "", True),
    ("91330212NB0000032L", 17, "政策", "简单", "咨询磁材行业稀土原料价格补贴政策的申报时间", "", False),
    ("91330282NB0000040U", 17, "缺芯", "复杂", "车规级MCU芯片缺口约3万片，影响两条产线排产", "", True),
    ("91330282NB0000040U", 17, "物流", "简单", "希望办理跨省运输车辆通行证5张", "", False),
    ("91330206NB0000059N", 20, "贷款", "复杂", "希望对接低息流动资金贷款2000万元", "", True),
    ("91330206NB0000059N", 20, "供应链", "复杂", "上游铝压铸件供应商停产，希望推荐本地替代供应商", "", True),
    ("91330206NB0000067H", 20, "技术", "复杂", "高端数控系统攻关项目希望申报市级重大技术专项", "", True),
    ("91330206NB0000067H", 20, "用工", "简单", "招聘数控技师15名，希望参加区人力社保局专场招聘会", "", False),
    ("91330281NB00000750", 21, "融资", "简单", "咨询“专精特新”企业信用贷款的申请条件", "", True),
    ("91330213NB0000198H", 21, "用电", "简单", "希望了解峰谷分时电价调整后的用电成本测算", "", True),
    ("91330213NB0000198H", 21, "缺工", "复杂", "装配工缺口40人，希望帮助对接职业院校定向培养", "", False),
    ("91330282NB00000839", 22, "订单", "复杂", "外贸订单下降三成，希望帮助拓展国内电商渠道", "", True),
    ("91330282NB00000839", 22, "政策兑现", "简单", "2021年技改补助尚未到账，希望了解拨付进度", "", False),
    ("91330282NB00000914", 22, "欠款", "复杂", "整机厂拖欠配件款320万元，已超期90天", "", True),
    ("91330212NB0000104D", 23, "用工", "复杂", "缝纫工流失严重，希望给予稳岗返还政策指导", "", True),
    ("91330212NB0000104D", 23, "物流", "简单", "出口服装集装箱订舱困难，希望对接港口物流企业", "市商务局、市交通运输局", False),
    ("91330225NB0000200H", 23, "融资", "复杂", "针织原料采购资金紧张，希望申请应急转贷资金500万元", "", True),
    ("92330203NB00001124", 24, "政策", "简单", "个体工商户咨询“个转企”的奖励政策和办理流程", "", True),
    ("92330203NB00001124", 24, "惠企政策", "简单", "租用国有厂房，咨询房租减免的申请方式", "市国资委", False),
    ("91330226NB0000120C", 24, "市场", "简单", "希望推荐参加全国文具博览会", "", True),
    ("91330226NB00001399", 24, "技术", "复杂", "笔头生产设备数字化改造，希望对接智能制造服务商", "", True),
    ("91330206NB00001475", 27, "政策兑现", "简单", "咨询家电下乡补贴的企业申报条件", "", True),
    ("91330203NB0000155L", 27, "其他", "简单", "希望协调商场周边临时停车位", "市交通运输局", True),
    ("91330212NB0000163G", 28, "融资", "复杂", "餐饮门店受疫情影响营业额下降，希望申请纾困贷款300万元", "", True),
    ("92330205NB00001714", 28, "政策", "简单", "咨询小微餐饮企业社保费缓缴的办理方式", "", True),
    ("91330212NB000018X3", 29, "技术", "简单", "希望申报2022年度高新技术企业，咨询研发费用归集口径", "", True),
]


# The departments' answers, by row of REQUESTS: (办理状态, 办理情况, 办理人, day in June 2022). The
# demo hands the requests over on 17, 22 and 27 June (the visits up to each day), so an answer
# comes after its 交办; the 28 and 29 June visits are still 登记, and row 24 is not answered yet.
ANSWERS = {
    0: ("办理中", "已报市发改委纳入全市用能指标统筹，待平衡结果", "陈立", 20),
    1: ("办结", "已协调市生态环境局提前开展技术评估，6月21日受理", "周敏", 21),
    2: ("办理中", "已向欠款方发函督促，约定7月上旬给出还款计划", "吴刚", 20),
    3: ("办结", "已列入6月28日显示面板产业链产销对接会参会名单", "钱丽", 20),
    4: ("办结", "已纳入区2022年第三批工业用地供地计划", "孙涛", 21),
    5: ("办结", "已电话答复：申报时间为7月1日至7月15日", "李娜", 20),
    6: ("办理中", "已纳入汽车芯片供需对接清单，正在对接两家代理商", "陈立", 20),
    7: ("办结", "5张重点物资运输车辆通行证已办结", "郑强", 20),
    8: ("办结", "已推荐至合作银行，6月24日获批流动资金贷款2000万元", "冯洁", 24),
    9: ("办结", "已推荐3家本地铝压铸件供应商并组织对接", "陈立", 24),
    10: ("退回", "该专项由省科技厅组织申报，请改由市科技局牵头辅导申报", "褚明", 23),
    11: ("办结", "已安排参加6月25日区人力社保局专场招聘会", "卫红", 23),
    12: ("办结", "已电话答复申请条件并发送政策文件", "冯洁", 23),
    13: ("办结", "已提供峰谷分时电价调整后的用电成本测算表", "蒋峰", 23),
    14: ("办理中", "已对接职业院校，商谈定向培养方案", "卫红", 24),
    15: ("办结", "已推荐入驻两家国内电商平台，并组织直播带货培训", "沈雪", 27),
    16: ("办结", "2021年技改补助已于6月23日拨付到账", "韩梅", 23),
    17: ("办结", "经协调，整机厂已支付配件款320万元", "吴刚", 27),
    18: ("办结", "已指导企业申领稳岗返还", "卫红", 29),
    19: ("办结", "已对接港口集装箱订舱服务，7月舱位已落实", "沈雪", 28),
    20: ("办理中", "应急转贷资金申请材料已受理，审核中", "冯洁", 28),
    21: ("办结", "已告知个转企奖励政策和办理流程", "孙涛", 27),
    22: ("办结", "已告知国有厂房租金减免的申请方式和材料", "杨帆", 28),
    23: ("办结", "已推荐参加全国文具博览会", "沈雪", 28),
    25: ("办结", "已告知家电下乡补贴的申报条件", "韩梅", 28),
    26: ("办结", "已协调在商场周边设置临时停车位20个", "郑强", 29),
}


def rows() -> list[dict]:
    records = yaml.safe_load((HERE / "enterprises.yaml").read_text(encoding="utf-8"))["enterprises"]
    known = {e["id"]: e for e in records}
    rules = load_rules()
    out = []
    for code, day, category, urgency, text, departments, with_ref in REQUESTS:
        e = known[code]
        assert rules.category(category) and rules.urgency(urgency), (category, urgency)
        visit = dt.date(2022, 6, day)
        out.append({"走访编号": visit_ref(code, visit) if with_ref else "", "统一社会信用代码": code, "企业名称": e["name"],
                    "走访日期": visit.isoformat(), "包联干部": e["cadre"], "诉求类别": category, "紧急程度": urgency,
                    "诉求内容": text, "承办部门": departments, "备注": ""})
    return out


def answering(row: dict, rules) -> list[str]:
    """The departments a request is handed to: those the cadre wrote, else its category's."""
    written = [d for d in row["承办部门"].split("、") if d]
    return written or list(rules.category(row["诉求类别"]).departments)


def answer_rows(i: int, row: dict, rules) -> list[tuple]:
    """(承办部门, 办理状态, 办理情况, 办理人, day) of each department answering request ``i``: a 办理中
    from the first department; a 办结 or 退回 from each (a request of two departments is 办结 only
    when both have answered 办结)."""
    status, note, who, day = ANSWERS[i]
    departments = answering(row, rules)
    if status == "办理中":
        return [(departments[0], status, note, who, day)]
    first, *others = departments
    said = "同意退回：" if status == "退回" else f"会同{first}办理："
    return [(first, status, note, who, day)] + [(d, status, said + note, who, day) for d in others]


def write_answers(target: Path, intake: list[dict]) -> None:
    """The answers as one department list (no marker: several departments answer in it, each
    row naming the department whose answer it is in 承办部门)."""
    from openpyxl.styles import Alignment

    from planner.records.problems import put_header, put_text, save_book
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = ANSWER_SHEET
    put_header(sheet, ANSWER_HEADER, ANSWER_WIDTHS)
    top = Alignment(vertical="top", wrap_text=True)
    rules = load_rules()
    r = 1
    for i, row in enumerate(intake):
        if i not in ANSWERS:
            continue
        for department, status, note, who, day in answer_rows(i, row, rules):
            values = {"诉求编号": f"SQ-2022-{i + 1:06d}", "企业名称": row["企业名称"],
                      "统一社会信用代码": row["统一社会信用代码"], "包联干部": row["包联干部"], "诉求类别": row["诉求类别"],
                      "紧急程度": row["紧急程度"], "诉求内容": row["诉求内容"], "走访日期": row["走访日期"],
                      "承办部门": department, "办理状态": status, "办理情况": note, "办理人": who,
                      "办理日期": dt.date(2022, 6, day).isoformat()}
            r += 1
            for c, title in enumerate(ANSWER_HEADER, 1):
                put_text(sheet.cell(row=r, column=c), values.get(title, ""), top)
    book.properties.creator = "宁波市经济和信息化局（示例）"
    save_book(book, target, "部门办理结果")


def main() -> None:
    intake = rows()
    write_intake_book(TARGET, intake, load_rules(), "宁波市经济和信息化局（示例）")
    print(f"{TARGET.relative_to(HERE.parent)}: {len(REQUESTS)} requests")
    write_answers(ANSWERS_TARGET, intake)
    print(f"{ANSWERS_TARGET.relative_to(HERE.parent)}: {len(ANSWERS)} requests answered")


if __name__ == "__main__":
    main()
