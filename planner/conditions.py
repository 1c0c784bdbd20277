"""Eligibility conditions: a small declarative form, compiled from YAML, evaluated in three values.

A fact that is absent is unknown, never false: a test on it is unknown, ``all`` with an
unknown part and no false part is unknown, ``any`` with an unknown part and no true part is
unknown. Every evaluation explains itself in Chinese: which test passed, which failed, and
which fact was missing. Nothing here uses eval or exec.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
_STATE = {True: PASS, False: FAIL, None: UNKNOWN}

OPS = ("eq", "in", "gt", "gte", "lt", "lte", "prefix", "in_list", "contains", "present", "some")
# Which ops make sense on which field types.
_OPS_FOR_TYPE = {
    "text": {"eq", "in", "prefix", "in_list", "present"},
    "number": {"eq", "gt", "gte", "lt", "lte", "present"},
    "bool": {"eq", "present"},
    "enum": {"eq", "in", "present"},
    "enum_list": {"contains", "present"},
    "records": {"some", "present"},
}


class FieldInfo(Protocol):
    id: str
    label: str
    type: str
    vocabulary: str | None
    items: dict

    @property
    def name(self) -> str: ...  # the label without its unit, for sentences: 营业收入

    @property
    def unit(self) -> str: ...  # the field's own unit: 万元, %, 人; "" for none


class CodeList(Protocol):
    """A named list of industry code prefixes with its source (industries.yaml)."""

    id: str
    title: str
    cited: str  # the notice and article, as a reader sees it

    def industry_of(self, code: str) -> "str | None": ...  # the named industry the code falls in


@dataclass(frozen=True)
class Refs:
    """What a condition may refer to besides record fields: industry lists and the bureau's settings."""

    lists: dict = field(default_factory=dict)  # id → CodeList
    settings: dict = field(default_factory=dict)  # id → object with value, unit and shown


@dataclass(frozen=True)
class Reason:
    """One sentence of an explanation, with the state of the test it describes."""

    state: str
    text: str
    fact: str = ""  # the fact alone (企业规模为中型), without what was needed, when the text adds that
    plain: str = ""  # why it rules a measure out, for a reader beside the measure's title, when shorter
    # than the text: 面向制造业企业, 已纳入规模以上工业统计 (not 已纳入…（“小升规”培育须未纳入…）)


@dataclass
class Outcome:
    """The value of a condition (True, False or None for unknown), and why."""

    value: bool | None
    reasons: list[Reason] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


class Facts(Protocol):
    """What a condition reads: a value per field (None when unknown) and how it is shown."""

    def value(self, field_id: str) -> Any: ...

    def show(self, field_id: str, value: Any, unit: str = "") -> str: ...  # unit before any basis: 0人（…）


class ConditionError(Exception):
    """A condition is malformed; ``path`` points inside it."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


# ---------------------------------------------------------------- compiled nodes

def _said(result: Outcome, says: str) -> Outcome:
    """A combination with a name (``says: 小微企业或个体工商户``) explains a failure or an open
    question by that name, not by its parts."""
    if not says or result.value is True:
        return result
    text = f"不属于{says}" if result.value is False else f"尚不清楚是否属于{says}"
    return Outcome(result.value, [Reason(_STATE[result.value], text)], result.missing)


@dataclass
class All:
    parts: list
    says: str = ""

    def evaluate(self, facts: Facts) -> Outcome:
        outcomes = [p.evaluate(facts) for p in self.parts]
        return _said(_combine(outcomes, all_of=True), self.says)

    def fields(self):
        for p in self.parts:
            yield from p.fields()


@dataclass
class AnyOf:
    parts: list
    says: str = ""

    def evaluate(self, facts: Facts) -> Outcome:
        outcomes = [p.evaluate(facts) for p in self.parts]
        result = _combine(outcomes, all_of=False)
        if result.value is not True and len(self.parts) > 1:
            # One sentence, so a reader sees these are alternatives, not requirements each; when only
            # one alternative is still open, it is simply what is needed.
            shown = [o for o in outcomes if o.value is None] if result.value is None else outcomes
            text = "；或".join("，".join(r.text for r in o.reasons) for o in shown)
            prefix = "下列条件满足其一即可：" if len(shown) > 1 else ""
            # beside a measure left out, why each alternative fails: 生产状态为正常，主要困难不含“缺芯”
            plain = "，".join(r.plain or r.text for o in shown for r in o.reasons if r.state != PASS) \
                if result.value is False else ""
            result.reasons = [Reason(_STATE[result.value], prefix + text, plain=plain)]
        if self.says and result.value is False:
            # the alternative that came closest says why: an owner-only shop is short of hired staff
            def met(part):  # how many of an alternative's own conditions hold
                return sum(p.evaluate(facts).value is True for p in part.parts) if isinstance(part, All) else 0
            scores = [met(p) for p in self.parts]
            closest = outcomes[scores.index(max(scores))]
            detail = "，".join(r.fact or r.text for r in closest.reasons if r.state != PASS)
            return Outcome(False, [Reason(FAIL, f"不属于{self.says}：{detail}")])
        return _said(result, self.says)

    def fields(self):
        for p in self.parts:
            yield from p.fields()


def _combine(outcomes: list[Outcome], all_of: bool) -> Outcome:
    decisive = False if all_of else True
    if any(o.value is decisive for o in outcomes):
        chosen = [o for o in outcomes if o.value is decisive]
        return Outcome(decisive, [r for o in chosen for r in o.reasons])
    if any(o.value is None for o in outcomes):
        # `all` shows what passed and what is unknown; `any` only the parts still open.
        shown = outcomes if all_of else [o for o in outcomes if o.value is None]
        reasons = [r for o in shown for r in o.reasons]
        missing = []
        for o in outcomes:
            for m in o.missing:
                if m not in missing:
                    missing.append(m)
        return Outcome(None, reasons, missing)
    return Outcome(not decisive, [r for o in outcomes for r in o.reasons])


@dataclass
class Test:
    """A test of one field: ``{field: size, in: [small, micro]}``."""

    field: FieldInfo
    op: str
    operand: Any
    shown_operand: str
    sub: Any = None  # compiled condition for `some`
    negated: bool = False  # under a `not`: the test must fail for the condition to hold
    audience: bool = False  # a relevance gate (a measure's `for`): worded 本措施面向…
    audience_label: str = ""  # whom, in a few words (工业企业), instead of the list of values
    code_list: Any = None  # for in_list: the CodeList

    def fields(self):
        yield self.field.id

    def evaluate(self, facts: Facts) -> Outcome:
        """The outcome of the test (after negation); the text always states the fact as it is."""
        label = self.field.label
        actual = facts.value(self.field.id)
        if actual is None:
            return Outcome(None, [Reason(UNKNOWN, self._unknown_text(facts))], [self.field.id])
        if self.op == "present":
            known = actual not in ("", [])
            holds = known == bool(self.operand)
            shown = facts.show(self.field.id, actual) if known else "无"
            return self._outcome(holds, f"{label}：{shown}")
        if self.op == "some":
            return self._some(facts, actual)
        if self.op == "in_list":
            return self._in_list(facts, actual)
        holds = _apply(self.op, actual, self.operand)
        shown = facts.show(self.field.id, actual, self.field.unit if self.field.type == "number" else "")
        wanted = holds != self.negated  # whether the condition is met
        need = self.operand != self.negated  # for yes/no: the value needed
        fact = f"{label}为{shown}"
        plain = ""
        if self.audience:
            fact = f"{self.field.name}为{shown}"
            text = fact + ("" if wanted else f"，本措施面向{self._wanted_values()}")
            plain = f"面向{self._wanted_values()}"
        elif self.field.type == "bool" and getattr(self.field, "says", None):
            who = getattr(facts, "requirement", "")
            says = self.field.says
            fact = says["yes" if actual else "no"]
            text = fact + (f"（{who}须{says['yes' if need else 'no']}）" if who and not wanted else "")
            plain = fact
        elif self.field.type == "bool":
            fact = f"{label}：{shown}"
            text = fact + ("" if wanted else f"，需为“{'是' if need else '否'}”")
        elif self.op == "eq":
            text = fact + ("" if wanted else f"，需{self._phrase(not self.negated)}")
            plain = fact
        elif self.op == "contains" and self.negated:  # a measure for those without an honour yet
            values = self.shown_operand.strip("“”")
            text = f"尚未获评{values}" if wanted else f"已获评{values}（{fact}），不在此列"
            plain = f"已获评{values}"
        elif self.op == "contains":  # 主要困难为缺订单、融资难，不包含“物流不畅”: the list is the plan's 二
            text = f"{fact}，{self._phrase(holds)}"
            plain = f"{label}不含{self.shown_operand}"
        elif self.field.type == "number":
            fact = f"{self.field.name}为{shown}"
            text = f"{fact}，{self._phrase(holds)}"
        else:
            text = f"{fact}，{self._phrase(holds)}"
            plain = fact if self.op in ("in", "prefix") else ""  # 生产状态为正常 (the measure names whom)
        return self._outcome(holds, text, fact, plain)

    def _unknown_text(self, facts: Facts) -> str:
        """研发投入占比未知，高新技术企业认定要求不低于3%."""
        who = getattr(facts, "requirement", "") or ""
        if self.audience:
            return f"{self.field.name}未知，本措施面向{self._wanted_values()}"
        if self.op == "contains" and self.negated:
            return f"尚不清楚是否已获评{self.shown_operand.strip('“”')}（已获评的不在此列）"
        if self.field.type == "bool" and getattr(self.field, "says", None):
            need = self.operand != self.negated
            says = self.field.says
            return f"尚不清楚是否{says['yes']}" + (f"（{who}须{says['yes' if need else 'no']}）" if who else "")
        if self.field.type == "bool":
            need = self.operand != self.negated
            return f"{self.field.name}未知，{who}要求为“{'是' if need else '否'}”" if who else \
                f"{self.field.name}未知（需为“{'是' if need else '否'}”）"
        need = self._phrase(not self.negated)
        return f"{self.field.name}未知，{who}要求{need}" if who else f"{self.field.name}未知（需{need}）"

    def _wanted_values(self) -> str:
        if self.audience_label:
            return self.audience_label
        return self.shown_operand.strip("“”") if not self.negated else "其他" + self.shown_operand

    def _in_list(self, facts: Facts, code) -> Outcome:
        """行业代码C3670属制造业，在“制造业等六个行业”（财政部 税务总局公告2022年第14号第二条）之列."""
        lst = self.code_list
        industry = lst.industry_of(str(code))
        listed = f"“{lst.title}”（{lst.cited}）"
        if industry:
            text = f"行业代码{code}属{industry}，在{listed}之列"
        else:
            text = f"行业代码{code}不在{listed}之列"
        return self._outcome(industry is not None, text)

    def _outcome(self, holds: bool, text: str, fact: str = "", plain: str = "") -> Outcome:
        value = holds != self.negated
        return Outcome(value, [Reason(_STATE[value], text, fact, plain)])

    def _phrase(self, positive: bool) -> str:
        words = {
            "eq": ("为", "不为"),
            "in": ("属于", "不属于"),
            "gt": ("大于", "不大于"),
            "gte": ("不低于", "低于"),
            "lt": ("低于", "不低于"),
            "lte": ("不超过", "超过"),
            "prefix": ("属于", "不属于"),
            "in_list": ("在", "不在"),
            "contains": ("包含", "不包含"),
            "some": ("有符合条件的", "无符合条件的"),
            "present": ("已填写", "未填写"),
        }[self.op]
        operand = self.shown_operand
        if self.op == "in_list":
            operand = f"“{self.code_list.title}”之列"
        return words[0 if positive else 1] + operand

    def _some(self, facts: Facts, items: list) -> Outcome:
        label = self.field.label
        if not items:
            return self._outcome(False, f"{label}：无")
        results = []
        for item in items:
            results.append((item, self.sub.evaluate(ItemFacts(facts, self.field, item))))
        passing = [(item, o) for item, o in results if o.value is True]
        if passing:
            if len(passing) > 2:  # the plan says how each item is handled, by its number
                return self._outcome(True, f"{label}中有{len(passing)}项符合条件的款项")
            names = "；".join(item_name(self.field, facts, item) for item, _ in passing)
            why = "，".join(r.text for r in passing[0][1].reasons)
            return self._outcome(True, f"{label}中有符合条件的款项：{names}（{why}）")
        unknown = [(item, o) for item, o in results if o.value is None]
        if unknown:
            names = "；".join(item_name(self.field, facts, item) for item, _ in unknown[:2])
            if len(unknown) > 2:
                names += f"等{len(unknown)}项"
            missing_texts = "，".join(r.text for r in unknown[0][1].reasons if r.state == UNKNOWN)
            return Outcome(None, [Reason(UNKNOWN, f"{label}待核实：{names}（{missing_texts}）")], [self.field.id])
        why = "；".join(
            f"{item_name(self.field, facts, item)}：" + "，".join(r.text for r in o.reasons) for item, o in results
        )
        return self._outcome(False, f"{label}均不符合条件（{why}）")


class ItemFacts:
    """The facts of one item of a list of records (one receivable)."""

    def __init__(self, parent: Facts, field_info: FieldInfo, item: dict):
        self.parent, self.field_info, self.item = parent, field_info, item

    def value(self, field_id: str):
        return self.item.get(field_id)

    def show(self, field_id: str, value, unit: str = ""):
        return self.parent.show(f"{self.field_info.id}.{field_id}", value, unit)


def item_name(field_info: FieldInfo, facts: Facts, item: dict) -> str:
    parts = [str(item.get("debtor") or "未具名单位")]
    if item.get("amount") is not None:
        parts.append(f"{facts.show(field_info.id + '.amount', item['amount'])}万元")
    return " ".join(parts)


def _apply(op: str, actual, operand) -> bool:
    if op == "eq":
        return actual == operand
    if op == "in":
        return actual in operand
    if op == "gt":
        return actual > operand
    if op == "gte":
        return actual >= operand
    if op == "lt":
        return actual < operand
    if op == "lte":
        return actual <= operand
    if op == "prefix":
        return any(str(actual).startswith(p) for p in operand)
    if op == "contains":
        return any(v in actual for v in operand)
    raise ValueError(op)  # unreachable: compile() admits only the ops above


# ---------------------------------------------------------------- compiling

def compile_condition(raw: Any, fields: dict, vocab_labels: Callable[[str, str], "str | None"], path=(),
                      refs: Refs = Refs()):
    """Compile a YAML condition against the record fields; raise ConditionError on a mistake.

    ``fields`` maps field id to its FieldInfo; ``vocab_labels(vocabulary, value)`` gives the
    Chinese label of a value or None when the vocabulary has no such value; ``refs`` holds the
    industry lists (``in_list: vat_refund_six``) and the bureau's settings (``gte: {setting: id}``).
    """
    if not isinstance(raw, dict):
        raise ConditionError(path, "条件须为键值表（all、any、not 或 field）")
    combinators = [k for k in ("all", "any", "not") if k in raw]
    if combinators:
        says = raw.get("says", "")
        if "says" in raw and (combinators[0] == "not" or not isinstance(says, str) or not says.strip()):
            raise ConditionError(path + ("says",), "says 只能与 all 或 any 一起使用，写这组条件合起来的名称")
        extra = sorted(str(k) for k in raw if k not in (combinators[0], "says"))
        if extra:
            raise ConditionError(path + (extra[0],), f"“{combinators[0]}”旁边不能再有键“{extra[0]}”")
        key = combinators[0]
        if key == "not":
            return negate(compile_condition(raw["not"], fields, vocab_labels, path + ("not",), refs))
        parts = raw[key]
        if not isinstance(parts, list) or not parts:
            raise ConditionError(path + (key,), f"“{key}”后面须是一组条件（不能为空的列表）")
        compiled = [compile_condition(p, fields, vocab_labels, path + (key, i), refs) for i, p in enumerate(parts)]
        return All(compiled, says) if key == "all" else AnyOf(compiled, says)
    if "field" not in raw:
        keys = "、".join(f"“{k}”" for k in raw) or "空的键值表"
        raise ConditionError(path, f"应为 all、any、not 或 field，实为{keys}")
    name = raw["field"]
    info = fields.get(name) if isinstance(name, str) else None
    if info is None:
        raise ConditionError(path + ("field",), f"未知的记录字段“{name}”")
    ops = [k for k in raw if k != "field"]
    unknown = [k for k in ops if k not in OPS]
    if unknown:
        raise ConditionError(path + (unknown[0],), f"未知的检验“{unknown[0]}”（可用：{'、'.join(OPS)}）")
    if len(ops) != 1:
        raise ConditionError(path, f"一个字段条件只能有一种检验，这里有{len(ops)}种")
    op = ops[0]
    if op not in _OPS_FOR_TYPE[info.type]:
        raise ConditionError(path + (op,), f"“{op}”不能用于 {info.type} 类型的字段“{name}”")
    operand = raw[op]
    where = path + (op,)
    if op == "some":
        sub = compile_condition(operand, info.items, vocab_labels, where, refs)
        return Test(info, op, None, "款项", sub)
    if op == "in_list":
        if not isinstance(operand, str) or operand not in refs.lists:
            known = "、".join(refs.lists) or "无"
            raise ConditionError(where, f"未知的行业名单“{operand}”（industries.yaml 中有：{known}）")
        return Test(info, op, operand, "", code_list=refs.lists[operand])
    if isinstance(operand, dict) and op in ("gt", "gte", "lt", "lte", "eq"):
        return _setting_test(info, op, operand, refs, where)
    if op == "present":
        if not isinstance(operand, bool):
            raise ConditionError(where, "present 后面须是 true 或 false")
        return Test(info, op, operand, "")
    if op in ("in", "prefix", "contains"):
        if not isinstance(operand, list) or not operand:
            raise ConditionError(where, f"{op} 后面须是不为空的列表")
        values = operand
    else:
        values = [operand]
    shown = [_check_value(info, v, vocab_labels, where) for v in values]
    if op in ("in", "contains", "prefix"):
        joined = "、".join(shown) if op != "contains" else "或".join(shown)
        return Test(info, op, list(operand), f"“{joined}”" if op != "prefix" else f"{joined}类")
    if info.type == "number":
        return Test(info, op, operand, shown[0] + info.unit)
    return Test(info, op, operand, shown[0] if op != "eq" else f"“{shown[0]}”")


def _setting_test(info, op, operand, refs: Refs, where) -> Test:
    """``gte: {setting: near_above_scale_revenue}``: a number the bureau sets, shown with who set it."""
    if set(operand) != {"setting"}:
        raise ConditionError(where, "数字检验的值须是数字，或 {setting: 设定编号}")
    sid = operand["setting"]
    setting = refs.settings.get(sid) if isinstance(sid, str) else None
    if setting is None:
        known = "、".join(refs.settings) or "无"
        raise ConditionError(where + ("setting",), f"未知的设定“{sid}”（settings.yaml 中有：{known}）")
    if info.type != "number" or isinstance(setting.value, bool) or not isinstance(setting.value, (int, float)):
        raise ConditionError(where, f"设定“{sid}”须用于数字字段")
    return Test(info, op, setting.value, setting.shown)


def negate(node):
    """``not`` pushed down to the field tests (De Morgan), so each test can explain itself."""
    if isinstance(node, All):
        return AnyOf([negate(p) for p in node.parts])
    if isinstance(node, AnyOf):
        return All([negate(p) for p in node.parts])  # a name (says) does not survive negation
    return dataclasses.replace(node, negated=not node.negated)


def _check_value(info, value, vocab_labels, where) -> str:
    """Check one operand against the field's type; return how it is shown in Chinese."""
    if info.type in ("enum", "enum_list"):
        label = vocab_labels(info.vocabulary, value) if isinstance(value, str) else None
        if label is None:
            raise ConditionError(where, f"“{value}”不是取值表 {info.vocabulary} 中的值（字段“{info.id}”）")
        return label
    if info.type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConditionError(where, f"字段“{info.id}”须写数字，这里是“{value}”")
        return f"{value:g}"
    if info.type == "bool":
        if not isinstance(value, bool):
            raise ConditionError(where, f"字段“{info.id}”须写 true 或 false，这里是“{value}”")
        return "是" if value else "否"
    if not isinstance(value, str):
        raise ConditionError(where, f"字段“{info.id}”须写文字，这里是“{value}”")
    return value
