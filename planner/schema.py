"""The schema of every file in sectors/, declared in one place, one field per line.

Checking here is structural (keys, types, dates). References between files — a measure's
pressures, a condition's fields — are checked in `knowledge`, once every file is loaded.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any, Callable

Report = Callable[[tuple, str], None]


def _describe(value: Any) -> str:
    """What a value is, as ``planner check`` names it after 实为."""
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return f"是/否值 {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"数字 {value}"
    if isinstance(value, dt.date):
        return f"日期 {value.isoformat()}"
    if isinstance(value, str):
        return f"文字“{value}”"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "键值表"
    return type(value).__name__


def _wrong(expected: str, value: Any) -> str:
    return f"应为{expected}，实为{_describe(value)}"


class Type:
    """A value's expected shape."""

    expected = "一个值"

    def check(self, value: Any, path: tuple, report: Report) -> None:
        raise NotImplementedError


class Text(Type):
    expected = "文字"

    def check(self, value, path, report):
        if not isinstance(value, str):
            report(path, _wrong(self.expected, value))
        elif not value.strip():
            report(path, "不能为空")


class Identifier(Text):
    expected = "编号（小写字母、数字和 _，以字母开头）"
    pattern = re.compile(r"^[a-z][a-z0-9_]*$")

    def check(self, value, path, report):
        if not isinstance(value, str) or not self.pattern.match(value):
            report(path, _wrong(self.expected, value))


class Code(Text):
    """A short code: vocabulary ids such as `A`, industry code prefixes such as `C36`."""

    expected = "代码（字母、数字和 _）"
    pattern = re.compile(r"^[A-Za-z0-9_]*$")

    def check(self, value, path, report):
        if not isinstance(value, str) or not self.pattern.match(value):
            report(path, _wrong(self.expected, value))


class Number(Type):
    expected = "数字"

    def check(self, value, path, report):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            report(path, _wrong(self.expected, value))


class Boolean(Type):
    expected = "true 或 false"

    def check(self, value, path, report):
        if not isinstance(value, bool):
            report(path, _wrong(self.expected, value))


class Date(Type):
    expected = "日期（YYYY-MM-DD）"

    def __init__(self, nullable: bool = False):
        self.nullable = nullable

    def check(self, value, path, report):
        if value is None and self.nullable:
            return
        if isinstance(value, str):
            report(path, f"不是日期：“{value}”（请写作 YYYY-MM-DD）")
        elif not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            report(path, _wrong(self.expected, value))


class OneOf(Type):
    def __init__(self, *choices):
        self.choices = choices
        shown = "、".join(f"“{c}”" for c in choices)
        self.expected = shown if len(choices) == 1 else f"{shown}之一"

    def check(self, value, path, report):
        if value not in self.choices or isinstance(value, bool):
            report(path, _wrong(self.expected, value))


class Either(Type):
    """One of several shapes: the first that fits without a problem is taken."""

    def __init__(self, *types: Type):
        self.types = types
        self.expected = "或".join(t.expected for t in types)

    def check(self, value, path, report):
        for t in self.types:
            found = []
            t.check(value, path, lambda p, m: found.append((p, m)))
            if not found:
                return
        if isinstance(value, dict):
            for p, m in found:  # the last shape is the mapping one: its problems are the useful ones
                report(p, m)
        else:
            report(path, _wrong(self.expected, value))


class Anything(Type):
    """Checked later, by whoever compiles it (conditions)."""

    def check(self, value, path, report):
        pass


class ListOf(Type):
    def __init__(self, item: Type, min_items: int = 0):
        self.item = item
        self.min_items = min_items
        self.expected = "列表"

    def check(self, value, path, report):
        if not isinstance(value, list):
            report(path, _wrong("列表", value))
            return
        if len(value) < self.min_items:
            report(path, f"至少要有{self.min_items}项")
        for i, item in enumerate(value):
            self.item.check(item, path + (i,), report)


class MapOf(Type):
    def __init__(self, key: Type, value: Type):
        self.key = key
        self.value = value

    def check(self, value, path, report):
        if not isinstance(value, dict):
            report(path, _wrong("键值表", value))
            return
        for k, v in value.items():
            self.key.check(k, path + (k,), report)
            self.value.check(v, path + (k,), report)


@dataclass(frozen=True)
class Field:
    """One key of a mapping: its type, whether it must be there, and what it means."""

    type: Type
    doc: str
    required: bool = True


class Struct(Type):
    """A mapping with known keys; an unknown key is an error, never ignored."""

    def __init__(self, fields: dict[str, Field]):
        self.fields = fields

    def check(self, value, path, report):
        if not isinstance(value, dict):
            report(path, _wrong("键值表", value))
            return
        for key, item in value.items():
            spec = self.fields.get(key)
            if spec is None:
                near = difflib.get_close_matches(str(key), self.fields, n=1)
                hint = f"（是否应为“{near[0]}”？）" if near else ""
                report(path + (key,), f"未知的键“{key}”{hint}")
                continue
            spec.type.check(item, path + (key,), report)
        for key, spec in self.fields.items():
            if spec.required and key not in value:
                report(path + (key,), "缺少必填的键")


def optional(type_: Type, doc: str) -> Field:
    return Field(type_, doc, required=False)


ID = Identifier()
TEXT = Text()
TEXTS = ListOf(TEXT)

SOURCE = Struct({
    "part": Field(OneOf("A", "B"), "part of the campaign text: A 畅循环稳工业, B 稳企业强主体"),
    "quote": Field(TEXT, "a short quote found word for word in campaign.txt"),
    "notices": optional(TEXTS, "national or provincial notices the facts come from"),
})

PERIOD = Struct({
    "start": Field(Date(), "first day the measure is in force"),
    "end": Field(Date(nullable=True), "last day in force; null for open-ended"),
})

VOCABULARY_ENTRY = Struct({
    "id": Field(Code(), "the value as written in files and conditions"),
    "label": Field(TEXT, "the Chinese label shown to readers"),
    "aliases": optional(TEXTS, "other spellings accepted in records"),
    "business_label": optional(TEXT, "production_statuses: the label for an enterprise that 经营 (正常经营, 停业)"),
})

READING = Struct({
    "hints": optional(MapOf(ID, MapOf(TEXT, TEXT)),
                      "vocabulary (or booleans) → a spelling that is not accepted → the advice shown for it"),
    "uncertain": optional(TEXTS, "words that make a number approximate (约, 以上): read as unknown"),
    "total_rows": optional(TEXTS, "names of a sum row (合计) that is skipped, not an enterprise"),
})


class VocabularyFile(Type):
    """vocabulary.yaml: name → list of entries, and the optional ``reading`` settings."""

    entries = MapOf(ID, ListOf(VOCABULARY_ENTRY, 1))

    def check(self, value, path, report):
        if isinstance(value, dict) and "reading" in value:
            READING.check(value["reading"], path + ("reading",), report)
            value = {k: v for k, v in value.items() if k != "reading"}
        self.entries.check(value, path, report)


VOCABULARY_FILE = VocabularyFile()

FIELD_TYPES = ("text", "number", "bool", "enum", "enum_list", "records")

_FIELD_KEYS = {
    "id": Field(ID, "the field's name in records and conditions"),
    "label": Field(TEXT, "the Chinese column header"),
    "aliases": optional(TEXTS, "other headers accepted"),
    "type": Field(OneOf(*FIELD_TYPES), "the kind of value"),
    "vocabulary": optional(ID, "for enum and enum_list: a list in vocabulary.yaml, or sectors"),
    "derived": optional(Boolean(), "computed by the tool, never read from a record"),
    "question": optional(Either(TEXT, Struct({
        "production": Field(TEXT, "asked of an enterprise that 生产 (production_doors)"),
        "business": Field(TEXT, "asked of a shop, restaurant or service that 经营"),
    })), "asked on a visit when the fact is unknown"),
    "says": optional(Struct({"yes": Field(TEXT, "the fact when yes: 有留抵税额"),
                             "no": Field(TEXT, "the fact when no: 无留抵税额")}),
                     "for bool: the fact as a sentence says it, in a plan's reasons"),
    "implied": optional(ListOf(Struct({
        "when": Field(Anything(), "a condition on the record's other facts"),
        "value": Field(Anything(), "the value it implies"),
        "basis": Field(TEXT, "why, as the plan shows it: 停产、减产即属生产经营暂时困难"),
    }), 1), "when the record does not give the fact, other facts that settle it"),
    "bureau_check": optional(TEXT, "the bureau holds this fact: never asked of the enterprise; what an officer "
                                   "checks before the visit"),
    "units": optional(MapOf(TEXT, Number()), "for number: units an officer may write after the number → "
                                             "factor to the field's unit (the first, factor 1)"),
}
RECORD_ITEM_FIELD = Struct(_FIELD_KEYS)
RECORD_FIELD = Struct({**_FIELD_KEYS, "items": optional(ListOf(RECORD_ITEM_FIELD, 1), "fields of each item (records)")})

FIELDS_FILE = Struct({
    "production_doors": Field(ListOf(Code(), 1), "industry doors whose enterprises 生产; the others 经营"),
    "fields": Field(ListOf(RECORD_FIELD, 1), "the enterprise record's fields"),
})

BOUNDS = Struct({
    "large": Field(Number(), "lower bound of large"),
    "medium": Field(Number(), "lower bound of medium"),
    "small": Field(Number(), "lower bound of small; below it is micro"),
})

SIZE_STANDARD_FILE = Struct({
    "source": Field(TEXT, "the standard"),
    "indicators": Field(MapOf(ID, TEXT), "indicator (record field) → Chinese name"),
    "classes": Field(ListOf(Struct({
        "id": Field(ID, "class id"),
        "label": Field(TEXT, "industry as named in the standard"),
        "term": Field(TEXT, "short name of the industry in a derivation's wording, e.g. 工业"),
        "codes": Field(ListOf(Code(), 1), "industry code prefixes; '' matches every code"),
        "bounds": Field(MapOf(ID, BOUNDS), "indicator → lower bounds"),
    }), 1), "industry classes"),
    "unclassified": Field(Struct({
        "codes": Field(ListOf(Code(), 1), "industry code prefixes not size-classified"),
        "note": Field(TEXT, "why, shown to readers"),
    }), "industries whose size must be given"),
    "above_scale": Field(Struct({
        "label": Field(TEXT, "the term"),
        "codes": Field(ListOf(Code(), 1), "industry code prefixes it applies to"),
        "revenue_min": Field(Number(), "revenue line in 万元"),
        "source": Field(TEXT, "the statistical rule"),
    }), "the above-designated-size line"),
    "vat_refund": Field(Struct({
        "label": Field(TEXT, "the term (留抵退税划型)"),
        "source": Field(TEXT, "the notice and article"),
        "indicators": Field(ListOf(ID, 1), "the standard's indicators used; the others (employees) are not"),
        "revenue_as": Field(ID, "number field read as operating revenue when the record gives it (VAT sales)"),
        "fallback": Field(Struct({
            "bounds": Field(MapOf(ID, BOUNDS), "indicator → lower bounds, for classes using none of "
                                                   "the indicators and for unclassified codes"),
            "no_indicator": Field(TEXT, "why the fallback, for a class using none of the indicators"),
            "unlisted": Field(TEXT, "why the fallback, for an unclassified code"),
        }), "sizing by VAT sales alone"),
        "no_sizing": Field(Struct({
            "codes": Field(ListOf(Code(), 1), "unclassified code prefixes left unknown (another standard)"),
            "note": Field(TEXT, "why, shown to readers"),
        }), "industries with no VAT-refund sizing here"),
    }), "sizing for the VAT credit refund"),
})

AUDIENCE = Either(OneOf("all"), Struct({
    "entity_types": optional(ListOf(Code(), 1), "entity types of vocabulary.yaml (enterprise, individual_business)"),
    "doors": optional(ListOf(Code(), 1), "industry doors (GB/T 4754: A … T)"),
    "industries": optional(ID, "an industry list of industries.yaml"),
    "sizes": optional(ListOf(Code(), 1), "sizes (large, medium, small, micro)"),
    "sectors": optional(ListOf(ID, 1), "sector profiles (and other)"),
    "label": optional(TEXT, "the doors or industries in a few words, for the sentence 本措施面向…: 工业企业"),
}))

TARGET = Struct({
    "id": Field(ID, "target id"),
    "title": Field(TEXT, "what is measured"),
    "action": Field(ID, "the action it belongs to"),
    "measure": Field(TEXT, "the indicator"),
    "op": Field(OneOf(">", ">=", "<", "<=", "="), "comparison"),
    "value": Field(Number(), "the number"),
    "unit": Field(TEXT, "unit"),
    "due": Field(Struct({
        "date": Field(Date(nullable=True), "the date, null when ongoing"),
        "label": Field(TEXT, "as the text says it, e.g. 上半年"),
    }), "when it is due"),
    "source": Field(SOURCE, "where the text sets it"),
    "level": Field(OneOf("city", "enterprise"), "city: a KPI of the city (summary only); enterprise: a "
                                                "deadline of the enterprise's own case (shown in its plan)"),
    "population": optional(Anything(), "a condition: the enterprises a coverage target counts (the summary "
                                       "reports how many of them a plan assists)"),
})

CAMPAIGN_FILE = Struct({
    "id": Field(ID, "campaign id"),
    "title": Field(TEXT, "campaign title"),
    "text": Field(TEXT, "file name of the campaign text, beside this file"),
    "issuer": Field(TEXT, "issuing bureau, default PDF author"),
    "period": Field(PERIOD, "the campaign's period"),
    "actions": Field(ListOf(Struct({
        "id": Field(ID, "action id"),
        "title": Field(TEXT, "action title"),
        "part": Field(OneOf("A", "B"), "part of the text"),
        "summary": Field(TEXT, "what it does"),
        "source": Field(SOURCE, "where the text says so"),
    }), 1), "the campaign's actions"),
    "targets": Field(ListOf(TARGET, 1), "the city's targets"),
    "activities": Field(ListOf(Struct({
        "id": Field(ID, "activity id"),
        "title": Field(TEXT, "activity title"),
        "solves": Field(TEXT, "what it solves"),
        "difficulties": Field(ListOf(Code(), 1), "reported difficulties it answers"),
        "facts": optional(ListOf(Struct({
            "when": Field(Anything(), "a condition on the record"),
            "says": Field(TEXT, "what it answers then, e.g. 企业有上市计划"),
        }), 1), "facts of the record it answers besides difficulties"),
        "for": optional(AUDIENCE, "whom it is for (sectors, doors)"),
        "source": Field(SOURCE, "where the campaign text names it and what it is for"),
    }), 1), "matchmaking activities"),
    "activities_source": Field(SOURCE, "where the text lists the activities"),
    "city_actions": optional(ListOf(Struct({
        "id": Field(ID, "id"),
        "title": Field(TEXT, "what the city does"),
        "source": Field(SOURCE, "where the text says so"),
    })), "city-level work that is not a measure for one enterprise"),
    "documents": Field(Struct({
        "plan": Field(TEXT, "title of the plan, e.g. 一企一策帮扶方案"),
        "brief": Field(TEXT, "title of the visit brief"),
        "summary": Field(TEXT, "title of the bureau's summary"),
    }), "what the documents are called"),
    "reminders": Field(Struct({
        "deadline_warning_days": Field(Number(), "a plan warns of a measure that ends within this many days"),
        "summary_deadline_days": Field(Number(), "the summary lists the deadlines of this many coming days"),
    }), "how far ahead deadlines are flagged"),
    "coverage_target": Field(ID, "the target whose population the summary checks every plan against"),
    "request_rate_target": optional(ID, "the target (in %) the request ledger's 诉求办理率 is held to in the summary"),
})

QUESTION = Either(TEXT, Struct({
    "text": Field(Either(TEXT, Struct({
        "production": Field(TEXT, "for an enterprise that 生产"),
        "business": Field(TEXT, "for one that 经营"),
    })), "the question"),
    "asks": optional(ListOf(ID, 1), "record fields it asks for: left out when they are all known"),
    "for": optional(AUDIENCE, "whom it is asked of (e.g. entity_types: [individual_business])"),
}))

BRANCH = Struct({
    "id": Field(ID, "branch id, unique in the measure"),
    "title": Field(TEXT, "which case this is, e.g. 小微企业（不分行业）"),
    "eligibility": optional(Anything(), "a condition, on top of the measure's own"),
    "period": optional(PERIOD, "when this branch is in force, if not the measure's period"),
    "quote": optional(TEXT, "where the campaign text names this case, word for word"),
    "notices": optional(TEXTS, "the notices and articles of this branch"),
    "notes": optional(TEXTS, "what this branch gives"),
    "benefit": optional(TEXT, "the concrete gain of this case in a short phrase, for the brief (when it differs "
                              "from the measure's)"),
    "questions": optional(ListOf(QUESTION), "what a cadre asks to confirm this branch"),
    "targets": optional(ListOf(ID), "campaign targets this branch serves"),
})

MEASURE_KINDS = ("funds", "relief", "service", "development")

MEASURE = Struct({
    "id": Field(ID, "unique across the tree"),
    "title": Field(TEXT, "short Chinese title"),
    "summary": Field(TEXT, "what the city does"),
    "actions": Field(ListOf(TEXT, 1), "concrete steps: what the city does for the enterprise"),
    "checks": optional(ListOf(TEXT, 1), "what the cadre establishes first (了解、核实、梳理): in plan.json and "
                       "the decision table, not among the plan's 具体举措 (its questions ask the same)"),
    "lead": Field(ListOf(TEXT, 1), "lead department(s)"),
    "answers": Field(Struct({
        "pressures": optional(ListOf(ID), "pressures of the same profile"),
        "difficulties": optional(ListOf(Code()), "difficulties of vocabulary.yaml"),
    }), "what it answers"),
    "kind": optional(OneOf(*MEASURE_KINDS), "funds (money to the enterprise), relief (help through a hard "
                                            "time), service, development (growth); orders visit questions"),
    "for": optional(AUDIENCE, "whom it is meant for (required in citywide.yaml; all: every enterprise)"),
    "requirement": optional(TEXT, "what the conditions are called in a sentence: 高新技术企业认定"),
    "eligibility": optional(Anything(), "a condition; absent means every enterprise in scope"),
    "branches": optional(ListOf(BRANCH, 2), "alternatives of one policy: the plan shows the one that fits, "
                                           "or those to confirm; never as separate measures"),
    "item_cases": optional(Struct({
        "field": Field(ID, "a records field (receivables)"),
        "cases": Field(ListOf(Struct({
            "when": optional(Anything(), "a condition on the item; the last case has none"),
            "text": Field(TEXT, "how such an item is handled"),
        }), 1), "first case that holds"),
    }), "how each item of a list is handled (each receivable: cleared, mediated, in court)"),
    "needs_activity": optional(Boolean(), "only when one of its activities answers something of the enterprise"),
    "covers": optional(ListOf(ID, 1), "measures this one includes (of its own profile or citywide): when both "
                       "are proposed the plan shows this one and lists the other as included in it"),
    "section": optional(OneOf("core", "universal"), "where a plan shows it: core (重点帮扶措施, in full) or "
                                                  "universal (普惠政策, one table row); absent: follows from its eligibility"),
    "period": Field(PERIOD, "validity"),
    "targets": optional(ListOf(ID), "campaign targets it serves"),
    "activities": optional(ListOf(ID), "matchmaking activities it uses"),
    "source": Field(SOURCE, "where the text says so"),
    "questions": optional(ListOf(QUESTION), "what a cadre asks to confirm it fits"),
    "documents": optional(TEXTS, "what the enterprise prepares"),
    "notes": optional(TEXTS, "details shown with the measure"),
    "benefit": optional(TEXT, "the concrete gain to the enterprise in a short phrase, for the brief"),
})

SECTOR_FILE = Struct({
    "id": Field(ID, "the file name without .yaml"),
    "name": Field(TEXT, "Chinese name"),
    "industry_codes": Field(ListOf(Code(), 1), "GB/T 4754 code prefixes of the sector"),
    "summary": Field(TEXT, "the sector's situation in one sentence"),
    "source": Field(SOURCE, "where the text names the sector"),
    "pressures": Field(ListOf(Struct({
        "id": Field(ID, "pressure id, unique in the profile"),
        "title": Field(TEXT, "short Chinese title"),
        "description": Field(TEXT, "what it is"),
        "signals": Field(ListOf(Code(), 1), "reported difficulties that signal it"),
    }), 1), "what presses on the sector"),
    "measures": Field(ListOf(MEASURE, 1), "the sector's measures"),
})

CITYWIDE_FILE = Struct({
    "id": Field(OneOf("citywide"), "always citywide"),
    "name": Field(TEXT, "Chinese name"),
    "measures": Field(ListOf(MEASURE, 1), "measures for every enterprise"),
})

RELIEF_FILE = Struct({
    "target": Field(ID, "the campaign target the estimate is compared with"),
    "social_insurance_deferral": Field(Struct({
        "measures": Field(ListOf(ID, 1), "the deferral measures"),
        "branches": optional(ListOf(ID, 1), "of those, the alternatives whose deferral the payroll estimate counts"),
        "payroll_field": Field(ID, "record field with the monthly payroll (万元)"),
        "until": Field(Date(), "last day deferred"),
        "rates": Field(ListOf(Struct({
            "id": Field(ID, "insurance id"),
            "label": Field(TEXT, "Chinese name"),
            "rate": Field(Number(), "employer rate as a fraction"),
            "source": Field(TEXT, "where the rate comes from"),
        }), 1), "employer rates"),
        "source": Field(TEXT, "the notice"),
    }), "social-insurance deferral estimate"),
})

INDUSTRIES_FILE = Struct({
    "lists": Field(ListOf(Struct({
        "id": Field(ID, "list id, used as in_list: id"),
        "title": Field(TEXT, "what the notice calls them: 制造业等六个行业"),
        "source": Field(Struct({
            "notice": Field(TEXT, "the notice"),
            "short": optional(TEXT, "how reasons cite the notice when its name is long: 人社部发〔2022〕31号"),
            "article": Field(TEXT, "the article that lists them: 第二条"),
        }), "where the list comes from"),
        "industries": Field(ListOf(Struct({
            "name": Field(TEXT, "the industry as the notice names it"),
            "codes": Field(ListOf(Code(), 1), "GB/T 4754-2017 code prefixes"),
            "note": optional(TEXT, "how a name that is not one GB/T 4754 class was mapped"),
        }), 1), "the industries"),
    }), 1), "industry lists"),
})

SETTINGS_FILE = Struct({
    "settings": Field(ListOf(Struct({
        "id": Field(ID, "setting id, used as {setting: id}"),
        "title": Field(TEXT, "what it is"),
        "value": Field(Number(), "the number"),
        "unit": Field(TEXT, "its unit"),
        "basis": Field(TEXT, "who set it and why (本局设定… or the notice)"),
    }), 1), "numbers the bureau sets"),
})

VISITS_FILE = Struct({
    "first": optional(ListOf(ID, 1), "fields every visit asks first when the record does not give them"),
    "situations": Field(ListOf(Struct({
        "id": Field(ID, "situation id"),
        "title": Field(TEXT, "Chinese name"),
        "when": Field(Anything(), "a condition on the record"),
        "ask_first": optional(ListOf(ID, 1), "fields whose questions lead the visit when unknown"),
        "defer": optional(ListOf(OneOf(*MEASURE_KINDS)), "measure kinds whose questions wait for a later visit"),
        "brief_first": optional(ListOf(OneOf(*MEASURE_KINDS)), "measure kinds that lead the brief"),
    })), "situations"),
    "order": Field(ListOf(OneOf(*MEASURE_KINDS), 1), "measure kinds in the order their questions are asked"),
})

LOCALITY = Struct({
    "unit": Field(TEXT, "the unit that serves an enterprise there: a district's 经信局, a zone's 管委会"),
    "government": Field(TEXT, "the local government (a zone: its 管委会); in generic, the text a measure's lead "
                              "uses for it (各区县（市）政府), replaced by the enterprise's own"),
    "contact": Field(TEXT, "how to reach the unit: its office and the 12345 hotline; never a person or a number "
                           "not published"),
})

LOCALITIES_FILE = Struct({
    "districts": Field(MapOf(ID, LOCALITY), "district id (vocabulary districts) → its unit"),
    "zones": Field(MapOf(ID, LOCALITY), "functional zone id (vocabulary zones) → its 管委会"),
    "generic": Field(LOCALITY, "for an enterprise whose district is not known"),
})

REQUESTS_FILE = Struct({
    "categories": Field(ListOf(Struct({
        "name": Field(TEXT, "the Chinese name stored in the ledger and shown on sheets"),
        "aliases": optional(TEXTS, "other spellings accepted on import"),
        "measures": Field(ListOf(ID), "ids of measures (citywide or a profile) the category relates to"),
        "departments": Field(ListOf(TEXT, 1), "where a request of this category is handed unless it names others"),
        "working_days": optional(MapOf(TEXT, Number()), "urgency name → working days, overriding the urgency's"),
    }), 1), "request categories"),
    "urgencies": Field(ListOf(Struct({
        "name": Field(TEXT, "the Chinese name (简单, 复杂)"),
        "aliases": optional(TEXTS, "other spellings accepted on import"),
        "working_days": Field(Number(), "due this many working days after the visit"),
        "description": Field(TEXT, "what makes a request this urgent"),
    }), 1), "urgencies and their time limits"),
    "urgency_source": Field(TEXT, "the public practice the time limits follow"),
    "steps": optional(MapOf(TEXT, TEXTS), "step name (办结) → other spellings accepted (已办结)"),
    "calendar": Field(ListOf(Struct({
        "year": Field(Number(), "the year of the notice"),
        "source": Field(TEXT, "the State Council notice"),
        "days_off": Field(ListOf(Struct({
            "name": Field(TEXT, "the holiday"),
            "from": Field(Date(), "first day off"),
            "to": Field(Date(), "last day off"),
        }), 1), "days off (放假调休), weekend days inside a holiday included"),
        "working_weekends": Field(ListOf(Date()), "Saturdays and Sundays that are working days (调休上班)"),
    }), 1), "official holidays, one entry a year"),
})

# Files of sectors/ that other parts of the planner read with their own loaders (planner.requests):
# not sector profiles, and not needed to load the knowledge base; `planner check` checks them too.
OTHER_FILES = {
    "requests.yaml": REQUESTS_FILE,
}

FIXED_FILES = {
    "industries.yaml": INDUSTRIES_FILE,
    "settings.yaml": SETTINGS_FILE,
    "visits.yaml": VISITS_FILE,
    "campaign.yaml": CAMPAIGN_FILE,
    "vocabulary.yaml": VOCABULARY_FILE,
    "fields.yaml": FIELDS_FILE,
    "size_standard.yaml": SIZE_STANDARD_FILE,
    "citywide.yaml": CITYWIDE_FILE,
    "relief.yaml": RELIEF_FILE,
    "localities.yaml": LOCALITIES_FILE,
}
