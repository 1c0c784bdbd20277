"""Write examples/走访诉求登记表.xlsx: 30 fictional requests (诉求) cadres brought back from June
2022 visits to the 20 sample enterprises of examples/enterprises.yaml, in the workbook layout of
`planner requests template` (text cells, dropdowns, 填表说明). `make demo` imports it into a demo
ledger. Every name, code and request is made up.

    .venv/bin/python examples/requests_sheet.py
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from planner.requests import load_rules, visit_ref
from planner.requests.sheets import write_intake_book

HERE = Path(__file__).resolve().parent
TARGET = HERE / "走访诉求登记表.xlsx"

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


def main() -> None:
    write_intake_book(TARGET, rows(), load_rules(), "宁波市经济和信息化局（示例）")
    print(f"{TARGET.relative_to(HERE.parent)}: {len(REQUESTS)} requests")


if __name__ == "__main__":
    main()
