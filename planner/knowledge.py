"""The sector knowledge base: load sectors/, check it whole, and hand out typed objects."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner import schema
from planner.conditions import All, ConditionError, Refs, compile_condition
from planner.exceptions import KnowledgeError
from planner.yamlio import Document, Problem, YamlSyntaxError, display_path, load_document

CITYWIDE = "citywide"
OTHER_SECTOR = "other"
BENEFIT_WIDTH = 68  # display columns (34 Chinese characters) of a benefit: with title and lead, two brief lines


@dataclass(frozen=True)
class VocabEntry:
    id: str
    label: str
    aliases: tuple = ()
    business_label: str | None = None  # production_statuses: the label for an enterprise that 经营


@dataclass(frozen=True)
class Locality:
    """Who serves an enterprise where it is (localities.yaml): a district's bureau or a zone's 管委会."""

    id: str
    kind: str  # "district", "zone" or "generic"
    unit: str
    government: str
    contact: str


class Vocabulary:
    """One list of values, looked up by id, Chinese label or alias."""

    def __init__(self, name: str, entries: list[VocabEntry]):
        self.name = name
        self.entries = {e.id: e for e in entries}
        self._lookup: dict[str, str] = {}
        for e in entries:
            for spelling in (e.id, e.label, *e.aliases):
                self._lookup.setdefault(_norm(spelling), e.id)

    def label(self, value_id: str) -> str | None:
        entry = self.entries.get(value_id)
        return entry.label if entry else None

    def resolve(self, text: str) -> str | None:
        """The id of a value written as its id, label or alias; None when unknown."""
        return self._lookup.get(_norm(text))

    def __iter__(self):
        return iter(self.entries.values())

    def __contains__(self, value_id) -> bool:
        return value_id in self.entries


_SPACES = re.compile(r"\s+")


def _norm(text) -> str:
    return _norm_text(text if text.__class__ is str else str(text))


@functools.lru_cache(maxsize=8192)  # a long list repeats the same few labels many thousand times
def _norm_text(text: str) -> str:
    return _SPACES.sub("", text).replace("\u201c", '"').replace("\u201d", '"').casefold()


@dataclass
class FieldSpec:
    """One field of the enterprise record (fields.yaml)."""

    id: str
    label: str
    type: str
    aliases: tuple = ()
    vocabulary: str | None = None
    derived: bool = False
    question: str | dict | None = None  # a text, or {production: ..., business: ...}
    bureau_check: str | None = None  # held by the bureau: checked before the visit, never asked
    says: dict | None = None  # bool: {yes: 有留抵税额, no: 无留抵税额}
    items: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)  # unit written after a number → factor to the field's unit

    @property
    def name(self) -> str:
        """The label without its unit, for sentences: 营业收入（万元） → 营业收入."""
        return re.sub(r"（[^（）]*）$", "", self.label) or self.label

    @property
    def unit(self) -> str:
        """The field's own unit (the first of ``units``): 万元, %, 人; "" when it has none."""
        return next(iter(self.units), "")


@dataclass
class Pressure:
    id: str
    title: str
    description: str
    signals: list


@dataclass
class Source:
    part: str
    quote: str
    notices: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {"part": self.part, "quote": self.quote, "notices": list(self.notices)}


@dataclass
class IndustryList:
    """A list of industries a notice names, as GB/T 4754 code prefixes (industries.yaml)."""

    id: str
    title: str
    notice: str
    article: str
    industries: list  # dicts: name, codes, note
    short: str = ""  # how reasons cite the notice

    @property
    def cited(self) -> str:
        return f"{self.short or self.notice}{self.article}"

    def industry_of(self, code: str) -> str | None:
        """The listed industry ``code`` falls in (longest prefix), or None."""
        best, best_len = None, -1
        for ind in self.industries:
            for prefix in ind["codes"]:
                if code.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = ind["name"], len(prefix)
        return best


@dataclass
class Setting:
    """A number the campaign or a notice leaves to the bureau (settings.yaml)."""

    id: str
    title: str
    value: float
    unit: str
    basis: str

    @property
    def shown(self) -> str:
        who = self.basis.split("。")[0]
        return f"{self.value:g}{self.unit}（{self.title}，{who}）"


@dataclass
class Branch:
    """One alternative of a measure: its own condition, period, notices and notes."""

    id: str
    title: str
    condition: Any
    start: dt.date
    end: dt.date | None
    notices: list
    notes: list
    targets: list
    questions: list = field(default_factory=list)  # QuestionSpec
    quote: str = ""  # where the campaign text names this case
    benefit: str = ""  # what this case gives, for the brief, when it differs from the measure's


@dataclass
class QuestionSpec:
    """A measure's confirmation question: its text (or 生产/经营 texts), the fields it asks for and
    whom it is asked of."""

    text: Any  # str or {production, business}
    asks: list
    audience: Any  # compiled condition or None

    def worded(self, works_as: str | None) -> str:
        if isinstance(self.text, dict):
            return self.text[works_as or "production"]
        return self.text


@dataclass
class Situation:
    id: str
    title: str
    condition: Any
    ask_first: list
    defer: list
    brief_first: list = field(default_factory=list)


@dataclass
class Measure:
    """One measure of a sector profile or of the citywide file."""

    id: str
    scope: str
    title: str
    summary: str
    actions: list
    lead: list
    pressures: list
    difficulties: list
    condition: Any
    start: dt.date
    end: dt.date | None
    targets: list
    activities: list
    source: Source
    questions: list
    documents: list
    notes: list
    order: int
    kind: str = "service"
    audience: Any = None  # compiled `for`: whom it is meant for (None: every enterprise)
    requirement: str = ""
    branches: list = field(default_factory=list)
    item_cases: Any = None  # (records field id, [(condition or None, text)])
    needs_activity: bool = False
    section: str | None = None  # core or universal: overrides where a plan shows it (planner.view)
    checks: list = field(default_factory=list)  # the cadre's fact-finding steps, before the actions
    covers: list = field(default_factory=list)  # ids of measures it includes (shown instead of them)
    benefit: str = ""  # the concrete gain in a short phrase, for the brief (planner.view.benefit_of)


@dataclass
class Sector:
    id: str
    name: str
    industry_codes: list
    summary: str
    source: Source
    pressures: dict
    measures: list


@dataclass
class Target:
    id: str
    title: str
    action: str
    measure: str
    op: str
    value: float
    unit: str
    due: dt.date | None
    due_label: str
    source: Source
    population: Any = None  # a compiled condition: whom a coverage target counts
    level: str = "city"  # city: a KPI of the city, summary only; enterprise: a deadline of the enterprise's case

    def statement(self) -> str:
        ops = {">": "超过", ">=": "不低于", "<": "低于", "<=": "不超过", "=": "达到"}
        value = f"{self.value:g}"
        if self.op == ">=" and self.value == 100 and self.unit == "%":
            return f"{self.title}达到100%（{self.due_label}）"  # all of them: 不低于100% is not how a notice says it
        return f"{self.title}{ops[self.op]}{value}{self.unit}（{self.due_label}）"


@dataclass
class Activity:
    id: str
    title: str
    solves: str
    difficulties: list
    facts: list = field(default_factory=list)  # (compiled condition, what it answers)
    audience: Any = None
    source: Any = None


@dataclass
class Campaign:
    id: str
    title: str
    issuer: str
    start: dt.date
    end: dt.date | None
    actions: dict
    targets: dict
    activities: dict
    city_actions: list
    text: str
    documents: dict = field(default_factory=dict)  # plan, brief, summary → title
    reminders: dict = field(default_factory=dict)
    coverage_target: str = ""
    request_rate_target: str = ""  # the target the request ledger's handling rate is held to ("" none)


@dataclass
class KnowledgeBase:
    """Everything in sectors/, checked and cross-referenced."""

    root: Path
    campaign: Campaign
    vocabularies: dict
    fields: dict
    size_standard: dict
    sectors: dict
    citywide: list
    sector_digests: dict  # sector id (None: no sector) → digest_for
    relief: dict = field(default_factory=dict)
    reading: dict = field(default_factory=dict)  # vocabulary.yaml's reading: hints, uncertain, total_rows
    production_doors: tuple = ()  # fields.yaml: industry doors whose enterprises 生产; the others 经营
    localities: dict = field(default_factory=dict)  # localities.yaml: districts, zones → {id: Locality}; generic
    industry_lists: dict = field(default_factory=dict)  # industries.yaml: id → IndustryList
    settings: dict = field(default_factory=dict)  # settings.yaml: id → Setting
    situations: list = field(default_factory=list)  # visits.yaml
    question_order: tuple = ()  # visits.yaml order: measure kinds
    first_questions: tuple = ()  # visits.yaml first: fields every visit asks first when unknown
    implied: tuple = ()  # fields.yaml implied: (field id, condition, value, basis)

    def works_as(self, facts: dict) -> str | None:
        """"production" (生产) or "business" (经营) by the industry door; None when the door is unknown."""
        door = facts.get("industry_door") or (facts.get("industry_code") or "")[:1]
        if not door:
            return None
        return "production" if door in self.production_doors else "business"

    def field_question(self, field_id: str, facts: dict) -> str:
        """The visit question for a field, worded for this enterprise (生产 or 经营)."""
        spec = self.fields[field_id]
        q = spec.question
        if isinstance(q, dict):
            return q[self.works_as(facts) or "production"]
        return q or f"请确认{spec.label}。"

    def digest_for(self, sector_id: str | None) -> str:
        """A hash of what decides a plan for an enterprise of ``sector_id``: every shared file,
        every sector's name and industry codes (they reach every plan) and that sector's own
        profile. An edit to the automotive profile changes the plans of automotive
        enterprises only, so only they get a new version."""
        return self.sector_digests.get(sector_id) or self.sector_digests[None]

    def measures_for(self, sector_id: str) -> list[Measure]:
        """The measures an enterprise of ``sector_id`` is decided against: its sector's, then citywide."""
        sector = self.sectors.get(sector_id)
        return (sector.measures if sector else []) + self.citywide

    def all_measures(self) -> list[Measure]:
        return [m for s in self.sectors.values() for m in s.measures] + self.citywide

    def sector_for_code(self, code: str) -> tuple[str, str] | None:
        """The sector whose industry code prefix matches ``code`` longest, with that prefix."""
        best = None
        for sector in self.sectors.values():
            for prefix in sector.industry_codes:
                if code.startswith(prefix) and (best is None or len(prefix) > len(best[1])):
                    best = (sector.id, prefix)
        return best

    def vocab_label(self, vocabulary: str, value: str) -> str | None:
        vocab = self.vocabularies.get(vocabulary)
        return vocab.label(value) if vocab else None

    def summary_line(self) -> str:
        pressures = sum(len(s.pressures) for s in self.sectors.values())
        return (
            f"{display_path(self.root)}：检查通过。{len(self.sectors)}个产业，{pressures}项共性压力，"
            f"{len(self.all_measures())}项措施（其中全市通用{len(self.citywide)}项），"
            f"{len(self.campaign.targets)}项目标，{len(self.campaign.activities)}类对接活动"
        )


def load(root: Path) -> KnowledgeBase:
    """Load and check the tree at ``root``; raise KnowledgeError listing every problem."""
    problems: list[Problem] = []
    kb = _Loader(Path(root), problems).load()
    if problems or kb is None:
        raise KnowledgeError(sorted(set(problems), key=lambda p: (p.file, p.line, str(p.path))))
    return kb


def sector_digests(root: Path, sectors: dict) -> dict:
    """``digest_for`` of every sector, and of an enterprise in none (key None)."""
    shared = hashlib.sha256()
    profiles = {}
    for path in sorted(Path(root).iterdir()):
        if not path.is_file() or path.name.startswith((".", "_")) or path.suffix not in (".yaml", ".txt"):
            continue
        if path.stem in sectors and path.suffix == ".yaml":
            profiles[path.stem] = path.read_bytes()
        else:
            shared.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for sid in sorted(sectors):  # what a profile adds to every plan: its name (in conditions' wording) and codes
        shared.update(f"{sid}:{sectors[sid].name}:{','.join(sectors[sid].industry_codes)}\0".encode())
    digests = {None: shared.hexdigest()[:16]}
    for sid, data in profiles.items():
        h = shared.copy()
        h.update(data)
        digests[sid] = h.hexdigest()[:16]
    return digests


class _Loader:
    def __init__(self, root: Path, problems: list[Problem]):
        self.root = root
        self.problems = problems
        self.docs: dict[str, Document] = {}
        self.broken: set[str] = set()

    @contextmanager
    def attempt(self, name: str):
        """Cross-check one part; in a file with structural problems, skip a part that cannot be read."""
        try:
            yield
        except (KeyError, TypeError, AttributeError, ValueError, IndexError):
            if name not in self.broken:
                raise

    # -- helpers
    def report(self, doc: Document, path: tuple, message: str) -> None:
        self.problems.append(doc.problem(path, message))

    def _shown(self, name: str) -> str:
        return display_path(self.root / name)

    def load(self) -> KnowledgeBase | None:
        if not self.root.is_dir():
            why = "不是文件夹" if self.root.exists() else "文件夹不存在"
            self.problems.append(Problem(display_path(self.root), 1, (), why))
            return None
        files = sorted(p for p in self.root.glob("*.yaml")
                       if not p.name.startswith("_") and p.name not in schema.OTHER_FILES)
        for name in schema.FIXED_FILES:
            if not (self.root / name).is_file():
                self.problems.append(Problem(self._shown(name), 1, (), "缺少这个文件"))
        sector_files = [p for p in files if p.name not in schema.FIXED_FILES]
        if not sector_files:
            self.problems.append(Problem(display_path(self.root), 1, (), "没有找到产业画像（*.yaml）"))
        for path in files:
            spec = schema.FIXED_FILES.get(path.name, schema.SECTOR_FILE)
            try:
                doc, dup = load_document(path, self._shown(path.name))
            except YamlSyntaxError as exc:
                self.problems.append(exc.problem)
                continue
            self.problems.extend(dup)
            before = len(self.problems)
            spec.check(doc.data, (), lambda p, m, d=doc: self.report(d, p, m))
            if len(self.problems) != before:
                self.broken.add(path.name)
            self.docs[path.name] = doc
        if not set(schema.FIXED_FILES) <= set(self.docs):
            return None
        try:
            return self._build([p.name for p in sector_files if p.name in self.docs])
        except (KeyError, TypeError, AttributeError, ValueError, IndexError):
            if not self.broken & set(schema.FIXED_FILES):
                raise
            return None  # a fixed file too broken to cross-check against; its problems are listed

    def _build(self, sector_names: list[str]) -> KnowledgeBase:
        vocab_doc = self.docs["vocabulary.yaml"]
        vocabularies = {}
        for name, entries in vocab_doc.data.items():
            if name == "reading":
                continue
            self._unique(vocab_doc, (name,), entries, "id")
            self._ambiguous_spellings(vocab_doc, name, entries)
            vocabularies[name] = Vocabulary(
                name, [VocabEntry(e["id"], e["label"], tuple(e.get("aliases", [])), e.get("business_label"))
                       for e in entries]
            )
        if "booleans" in vocabularies and set(vocabularies["booleans"].entries) != {"yes", "no"}:
            self.report(vocab_doc, ("booleans",), 'booleans has exactly two ids, "yes" and "no"')
        for name in (vocab_doc.data.get("reading") or {}).get("hints") or {}:
            if name not in vocabularies and name != "sectors":
                self.report(vocab_doc, ("reading", "hints", name), f'unknown vocabulary "{name}"')
        sector_docs = {n[:-5]: self.docs[n] for n in sector_names}
        sector_entries = [VocabEntry(sid, _name_of(d.data, sid), ()) for sid, d in sector_docs.items()]
        vocabularies["sectors"] = Vocabulary("sectors", sector_entries + [VocabEntry(OTHER_SECTOR, "其他", ("其它",))])

        fields = self._fields(vocabularies)
        campaign = self._campaign(vocabularies)
        size_standard = self._size_standard(fields)

        def vocab_label(vocabulary, value):
            vocab = vocabularies.get(vocabulary)
            return vocab.label(value) if vocab else None

        lists = self._industry_lists()
        settings = self._settings()
        ctx = _Context(vocabularies, fields, campaign, vocab_label, Refs(lists, settings))
        self._populations(campaign, ctx)
        self._activities(campaign, ctx)
        situations, question_order, first_questions = self._visits(ctx)
        implied = self._implied(ctx)
        sectors = {}
        order = 0
        seen_measures: dict[str, str] = {}
        seen_codes: dict[str, str] = {}
        for sid, doc in sector_docs.items():
            fname = f"{sid}.yaml"
            data = doc.data if isinstance(doc.data, dict) else {}
            with self.attempt(fname):
                if data["id"] != sid:
                    self.report(doc, ("id",), f"id“{data['id']}”与文件名“{sid}.yaml”不一致")
            with self.attempt(fname):
                for i, code in enumerate(data["industry_codes"]):
                    if code in seen_codes:
                        self.report(doc, ("industry_codes", i),
                                    f"行业代码 {code} 已属于产业“{seen_codes[code]}”")
                    seen_codes.setdefault(code, sid)
            with self.attempt(fname):
                self._quote(doc, ("source",), data["source"], campaign)
            with self.attempt(fname):
                self._unique(doc, ("pressures",), data["pressures"], "id")
            pressures = {}
            for i, p in enumerate(_items(data.get("pressures"))):
                with self.attempt(fname):
                    self._known(doc, ("pressures", i, "signals"), p["signals"], vocabularies["difficulties"],
                                "困难类型")
                    pressures[p["id"]] = Pressure(p["id"], p["title"], p["description"], list(p["signals"]))
            measures = []
            for i, m in enumerate(_items(data.get("measures"))):
                order += 1
                with self.attempt(fname):
                    measures.append(self._measure(doc, ("measures", i), m, sid, pressures, ctx, seen_measures, order))
            with self.attempt(fname):
                sectors[sid] = Sector(sid, data["name"], list(data["industry_codes"]), data["summary"],
                                      _source(data["source"]), pressures, measures)
        city_doc = self.docs["citywide.yaml"]
        citywide = []
        for i, m in enumerate(_items(city_doc.data.get("measures") if isinstance(city_doc.data, dict) else None)):
            order += 1
            with self.attempt("citywide.yaml"):
                citywide.append(self._measure(city_doc, ("measures", i), m, CITYWIDE, {}, ctx, seen_measures, order))
        self._covers(sector_docs, sectors, city_doc, citywide)
        localities = self._localities(vocabularies)
        relief = self._relief(fields, campaign, {m.id for s in sectors.values() for m in s.measures}
                              | {m.id for m in citywide})
        return KnowledgeBase(self.root, campaign, vocabularies, fields, size_standard, sectors, citywide,
                             sector_digests(self.root, sectors), relief, dict(vocab_doc.data.get("reading", {})),
                             tuple(self.docs["fields.yaml"].data.get("production_doors", ())), localities,
                             lists, settings, situations, tuple(question_order),
                             tuple(first_questions), tuple(implied))

    def _localities(self, vocabularies) -> dict:
        """localities.yaml: an entry for every district and zone of the vocabularies, no other."""
        doc = self.docs["localities.yaml"]
        data = doc.data
        found: dict = {"generic": Locality("generic", "generic", **data["generic"])}
        for key, kind, what in (("districts", "district", "区县（市）"), ("zones", "zone", "功能区")):
            vocab = vocabularies.get(key)
            entries = data[key] or {}
            for value_id in entries:
                if vocab is not None and value_id not in vocab:
                    self.report(doc, (key, value_id), f"未知的{what}“{value_id}”（vocabulary.yaml 的 {key} 中没有）")
            for entry in vocab or ():
                if entry.id not in entries:
                    self.report(doc, (key,), f"缺少{what}“{entry.id}”（{entry.label}）的属地单位")
            found[key] = {i: Locality(i, kind, **e) for i, e in entries.items()}
        return found

    def _covers(self, sector_docs, sectors, city_doc, citywide) -> None:
        """A measure covers measures an enterprise may also be offered: its own profile's or citywide ones."""
        city_ids = {m.id for m in citywide}
        covers_any = {m.id: bool(m.covers) for s in sectors.values() for m in s.measures}
        covers_any.update({m.id: bool(m.covers) for m in citywide})
        groups = [(sector_docs[sid], sector.measures, city_ids | {m.id for m in sector.measures})
                  for sid, sector in sectors.items()] + [(city_doc, citywide, city_ids)]
        for doc, measures, allowed in groups:
            for i, m in enumerate(measures):
                for j, cid in enumerate(m.covers):
                    if cid == m.id or cid not in allowed:
                        self.report(doc, ("measures", i, "covers", j),
                                    f"covers 的“{cid}”不是本产业或全市通用的另一项措施")
                    elif covers_any.get(cid):  # no chains, no cycles: a covered measure covers nothing
                        self.report(doc, ("measures", i, "covers", j),
                                    f"covers 的“{cid}”自己也有 covers：被并入的措施不能再并入其他措施")

    def _relief(self, fields, campaign, measure_ids) -> dict:
        doc = self.docs["relief.yaml"]
        data = doc.data
        if data["target"] not in campaign.targets:
            self.report(doc, ("target",), f"未知的目标“{data['target']}”")
        deferral = data["social_insurance_deferral"]
        for i, mid in enumerate(deferral["measures"]):
            if mid not in measure_ids:
                self.report(doc, ("social_insurance_deferral", "measures", i), f"未知的措施“{mid}”")
        name = deferral["payroll_field"]
        if name not in fields or fields[name].type != "number":
            self.report(doc, ("social_insurance_deferral", "payroll_field"), f"“{name}”不是数字字段")
        return data

    # -- fixed files
    def _fields(self, vocabularies) -> dict:
        doc = self.docs["fields.yaml"]
        self._unique(doc, ("fields",), doc.data["fields"], "id")

        def build(raw, path) -> FieldSpec:
            if raw["type"] in ("enum", "enum_list"):
                name = raw.get("vocabulary")
                if name is None:
                    self.report(doc, path + ("vocabulary",),
                                f"{raw['type']} 类型的字段须指定 vocabulary（取值表）")
                elif name not in vocabularies:
                    self.report(doc, path + ("vocabulary",), f"未知的取值表“{name}”")
            elif "vocabulary" in raw:
                self.report(doc, path + ("vocabulary",), f"{raw['type']} 类型的字段不能指定 vocabulary（取值表）")
            if raw["type"] == "records" and "items" not in raw:
                self.report(doc, path + ("items",), "records 类型的字段须有 items（各项的字段）")
            items = {}
            for i, item in enumerate(raw.get("items", [])):
                items[item["id"]] = build(item, path + ("items", i))
            return FieldSpec(raw["id"], raw["label"], raw["type"], tuple(raw.get("aliases", [])),
                             raw.get("vocabulary"), bool(raw.get("derived", False)), raw.get("question"), raw.get("bureau_check"),
                             raw.get("says"), items, dict(raw.get("units", {})))

        return {raw["id"]: build(raw, ("fields", i)) for i, raw in enumerate(doc.data["fields"])}

    def _campaign(self, vocabularies) -> Campaign:
        doc = self.docs["campaign.yaml"]
        data = doc.data
        text_path = self.root / data["text"]
        try:
            text = text_path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.report(doc, ("text",), f"行动原文 {display_path(text_path)} 不是 UTF-8 编码的文本")
            text = ""
        except OSError as exc:
            why = {FileNotFoundError: "文件不存在", IsADirectoryError: "这是一个文件夹",
                   PermissionError: "没有读取权限"}.get(type(exc), exc.strerror or str(exc))
            self.report(doc, ("text",), f"无法读取行动原文 {display_path(text_path)}：{why}")
            text = ""
        campaign = Campaign(data["id"], data["title"], data["issuer"], data["period"]["start"],
                            data["period"]["end"], {}, {}, {}, [], text, dict(data["documents"]),
                            dict(data["reminders"]), data["coverage_target"],
                            data.get("request_rate_target", ""))
        self._period(doc, ("period",), data["period"])
        for key in ("actions", "targets", "activities", "city_actions"):
            self._unique(doc, (key,), data.get(key, []), "id")
        for i, a in enumerate(data["actions"]):
            self._quote(doc, ("actions", i, "source"), a["source"], campaign)
            campaign.actions[a["id"]] = a
        for i, t in enumerate(data["targets"]):
            if t["action"] not in campaign.actions:
                self.report(doc, ("targets", i, "action"), f"未知的行动“{t['action']}”")
            self._quote(doc, ("targets", i, "source"), t["source"], campaign)
            campaign.targets[t["id"]] = Target(t["id"], t["title"], t["action"], t["measure"], t["op"], t["value"],
                                               t["unit"], t["due"]["date"], t["due"]["label"], _source(t["source"]),
                                               level=t["level"])
        for i, a in enumerate(data["activities"]):
            self._known(doc, ("activities", i, "difficulties"), a["difficulties"], vocabularies["difficulties"],
                        "困难类型")
            self._quote(doc, ("activities", i, "source"), a["source"], campaign)
            campaign.activities[a["id"]] = Activity(a["id"], a["title"], a["solves"], list(a["difficulties"]),
                                                    source=_source(a["source"]))
        self._quote(doc, ("activities_source",), data["activities_source"], campaign)
        for i, c in enumerate(data.get("city_actions", [])):
            self._quote(doc, ("city_actions", i, "source"), c["source"], campaign)
            campaign.city_actions.append({"id": c["id"], "title": c["title"], "source": _source(c["source"])})
        return campaign

    def _size_standard(self, fields) -> dict:
        doc = self.docs["size_standard.yaml"]
        data = doc.data
        for name in data["indicators"]:
            if name not in fields or fields[name].type != "number":
                self.report(doc, ("indicators", name), f"“{name}”不是 fields.yaml 中的数字字段")
        self._unique(doc, ("classes",), data["classes"], "id")
        for i, cls in enumerate(data["classes"]):
            for name, b in cls["bounds"].items():
                if name not in data["indicators"]:
                    self.report(doc, ("classes", i, "bounds", name), f"未知的指标“{name}”")
                if not b["large"] >= b["medium"] >= b["small"] >= 0:
                    self.report(doc, ("classes", i, "bounds", name), "下限须依次递减：large >= medium >= small >= 0")
        # vat_refund: the 留抵退税 sizing (财政部 税务总局公告2022年第14号第六条)
        vat = data["vat_refund"]
        for i, name in enumerate(vat["indicators"]):
            if name not in data["indicators"]:
                self.report(doc, ("vat_refund", "indicators", i), f"“{name}”不是本文件 indicators 中的指标")
        if "employees" in vat["indicators"]:
            self.report(doc, ("vat_refund", "indicators"), "留抵退税划型不看从业人员（14号公告第六条），不能列 employees")
        spec = fields.get(vat["revenue_as"])
        if spec is None or spec.type != "number":
            self.report(doc, ("vat_refund", "revenue_as"), f"“{vat['revenue_as']}”不是 fields.yaml 中的数字字段")
        target = fields.get("vat_refund_size")
        if target is None or not target.derived or target.vocabulary != "sizes":
            self.report(doc, ("vat_refund",), "fields.yaml 须有推导字段 vat_refund_size（词表 sizes）")
        fallback = vat["fallback"]["bounds"]
        if not fallback:
            self.report(doc, ("vat_refund", "fallback", "bounds"), "至少要有一项指标的下限")
        for name, b in fallback.items():
            if name not in vat["indicators"]:
                self.report(doc, ("vat_refund", "fallback", "bounds", name), f"“{name}”不在 vat_refund 的 indicators 中")
            if not b["large"] >= b["medium"] >= b["small"] >= 0:
                self.report(doc, ("vat_refund", "fallback", "bounds", name),
                            "下限须依次递减：large >= medium >= small >= 0")
        unclassified = data["unclassified"]["codes"]
        for i, code in enumerate(vat["no_sizing"]["codes"]):
            if not any(code.startswith(p) for p in unclassified):
                self.report(doc, ("vat_refund", "no_sizing", "codes", i),
                            f"“{code}”不在 unclassified 中：按本标准划型的行业不能不划留抵退税类型")
        return data

    # -- measures
    def _measure(self, doc, path, m, scope, pressures, ctx, seen, order) -> Measure:
        if m["id"] in seen:
            self.report(doc, path + ("id",), f"措施编号“{m['id']}”重复（{seen[m['id']]} 中也有）")
        seen.setdefault(m["id"], doc.file)
        answers = m["answers"]
        for i, pid in enumerate(answers.get("pressures", [])):
            if pid not in pressures:
                where = "本产业画像中没有" if scope != CITYWIDE else "全市通用措施没有共性压力"
                self.report(doc, path + ("answers", "pressures", i), f"未知的共性压力“{pid}”（{where}）")
        self._known(doc, path + ("answers", "difficulties"), answers.get("difficulties", []),
                    ctx.vocabularies["difficulties"], "困难类型")
        for i, tid in enumerate(m.get("targets", [])):
            if tid not in ctx.campaign.targets:
                self.report(doc, path + ("targets", i), f"未知的目标“{tid}”")
        for i, aid in enumerate(m.get("activities", [])):
            if aid not in ctx.campaign.activities:
                self.report(doc, path + ("activities", i), f"未知的对接活动“{aid}”")
        self._period(doc, path + ("period",), m["period"])
        self._quote(doc, path + ("source",), m["source"], ctx.campaign)
        condition = self._condition(doc, path + ("eligibility",), m.get("eligibility"), ctx)
        if scope == CITYWIDE and "for" not in m:
            self.report(doc, path + ("for",), "全市通用措施须写明 for（面向哪些企业；面向所有企业写 for: all）")
        audience = self._audience(doc, path + ("for",), m.get("for", "all"), ctx)
        branches = []
        for i, b in enumerate(m.get("branches", [])):
            bpath = path + ("branches", i)
            if "period" in b:
                self._period(doc, bpath + ("period",), b["period"])
            for j, tid in enumerate(b.get("targets", [])):
                if tid not in ctx.campaign.targets:
                    self.report(doc, bpath + ("targets", j), f"未知的目标“{tid}”")
            period = b.get("period", m["period"])
            if "quote" in b:
                self._quote(doc, bpath, {"quote": b["quote"]}, ctx.campaign)
            branches.append(Branch(b["id"], b["title"], self._condition(doc, bpath + ("eligibility",),
                                                                         b.get("eligibility"), ctx),
                                   period["start"], period["end"], list(b.get("notices", [])),
                                   list(b.get("notes", [])), list(b.get("targets", [])), [], b.get("quote", ""),
                                   self._benefit(doc, bpath + ("benefit",), b.get("benefit"))))
        self._unique(doc, path + ("branches",), m.get("branches", []), "id")
        questions = self._questions(doc, path + ("questions",), m.get("questions", []), ctx)
        for i, b in enumerate(m.get("branches", [])):
            if i < len(branches):
                branches[i].questions = self._questions(doc, path + ("branches", i, "questions"),
                                                        b.get("questions", []), ctx)
        item_cases = None
        if "item_cases" in m:
            ic = m["item_cases"]
            spec = ctx.fields.get(ic["field"])
            if spec is None or spec.type != "records":
                self.report(doc, path + ("item_cases", "field"), f"“{ic['field']}”不是 records 类型的字段")
            else:
                cases = []
                for i, case in enumerate(ic["cases"]):
                    cpath = path + ("item_cases", "cases", i, "when")
                    cond = None
                    if "when" in case:
                        try:
                            cond = compile_condition(case["when"], spec.items, ctx.vocab_label, (), ctx.refs)
                        except ConditionError as exc:
                            self.report(doc, cpath + exc.path, exc.message)
                    elif i != len(ic["cases"]) - 1:
                        self.report(doc, cpath, "只有最后一种情况可以不写 when")
                    cases.append((cond, case["text"]))
                item_cases = (ic["field"], cases)
        if m.get("needs_activity") and not m.get("activities"):
            self.report(doc, path + ("needs_activity",), "needs_activity 须与 activities 一起使用")
        return Measure(
            m["id"], scope, m["title"], m["summary"], list(m["actions"]), list(m["lead"]),
            list(answers.get("pressures", [])), list(answers.get("difficulties", [])), condition,
            m["period"]["start"], m["period"]["end"], list(m.get("targets", [])), list(m.get("activities", [])),
            _source(m["source"]), questions, list(m.get("documents", [])),
            list(m.get("notes", [])), order, m.get("kind", "service"), audience, m.get("requirement", ""),
            branches, item_cases, bool(m.get("needs_activity", False)), m.get("section"),
            list(m.get("checks", [])), list(m.get("covers", [])),
            self._benefit(doc, path + ("benefit",), m.get("benefit")),
        )

    def _benefit(self, doc, path, raw) -> str:
        """A measure's or a branch's benefit, checked to fit a brief's line (the schema has checked it is
        a text); without its closing 。, as the brief writes it before the lead."""
        if not isinstance(raw, str):
            return ""
        text = raw.strip().rstrip("。")
        columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
        if columns > BENEFIT_WIDTH:
            self.report(doc, path, f"太长（{columns // 2}个字）：简报上每项措施连同责任单位至多两行，"
                                   f"benefit 请写成不超过{BENEFIT_WIDTH // 2}个字的短语")
        return text

    def _questions(self, doc, path, raw, ctx) -> list:
        out = []
        for i, q in enumerate(raw):
            if isinstance(q, str):
                out.append(QuestionSpec(q, [], None))
                continue
            for j, fid in enumerate(q.get("asks", [])):
                if fid not in ctx.fields:
                    self.report(doc, path + (i, "asks", j), f"未知的记录字段“{fid}”")
            out.append(QuestionSpec(q["text"], list(q.get("asks", [])),
                                    self._audience(doc, path + (i, "for"), q.get("for", "all"), ctx)))
        return out

    def _condition(self, doc, path, raw, ctx):
        if raw is None:
            return None
        try:
            return compile_condition(raw, ctx.fields, ctx.vocab_label, (), ctx.refs)
        except ConditionError as exc:
            self.report(doc, path + exc.path, exc.message)
            return None

    _AUDIENCE_FIELDS = {"entity_types": ("entity_type", "in"), "doors": ("industry_door", "in"),
                        "industries": ("industry_code", "in_list"), "sizes": ("size", "in"),
                        "sectors": ("sector", "in")}

    def _audience(self, doc, path, raw, ctx):
        """A `for` as a condition whose tests are worded 本措施面向…; None for all."""
        if raw == "all" or not isinstance(raw, dict) or not raw:
            return None
        parts = []
        label = raw.get("label")
        for key, value in raw.items():
            if key == "label":
                continue
            field_id, op = self._AUDIENCE_FIELDS[key]
            try:
                test = compile_condition({"field": field_id, op: value}, ctx.fields, ctx.vocab_label, (), ctx.refs)
            except ConditionError as exc:
                self.report(doc, path + (key,) + exc.path[1:], exc.message)
                continue
            whom = (label or "") if key in ("doors", "industries") else ""
            if key == "sizes":  # 本措施面向大型、中型企业, not …面向大型、中型
                whom = test.shown_operand.strip("“”") + "企业"
            parts.append(dataclasses.replace(test, audience=True, audience_label=whom))
        return All(parts) if parts else None

    def _implied(self, ctx) -> list:
        doc = self.docs["fields.yaml"]
        out = []
        for i, raw in enumerate(doc.data["fields"]):
            for j, rule in enumerate(raw.get("implied", [])):
                path = ("fields", i, "implied", j)
                cond = self._condition(doc, path + ("when",), rule["when"], ctx)
                spec = ctx.fields[raw["id"]]
                if spec.type == "bool" and not isinstance(rule["value"], bool):
                    self.report(doc, path + ("value",), f"字段“{spec.id}”须写 true 或 false")
                    continue
                if cond is not None:
                    out.append((raw["id"], cond, rule["value"], rule["basis"]))
        return out

    def _industry_lists(self) -> dict:
        doc = self.docs["industries.yaml"]
        self._unique(doc, ("lists",), doc.data["lists"], "id")
        out = {}
        for i, raw in enumerate(doc.data["lists"]):
            seen: dict[str, str] = {}
            for j, ind in enumerate(raw["industries"]):
                for k, code in enumerate(ind["codes"]):
                    if code in seen:
                        self.report(doc, ("lists", i, "industries", j, "codes", k),
                                    f"行业代码 {code} 已列在“{seen[code]}”下")
                    seen.setdefault(code, ind["name"])
            out[raw["id"]] = IndustryList(raw["id"], raw["title"], raw["source"]["notice"], raw["source"]["article"],
                                          [dict(ind) for ind in raw["industries"]], raw["source"].get("short", ""))
        return out

    def _settings(self) -> dict:
        doc = self.docs["settings.yaml"]
        self._unique(doc, ("settings",), doc.data["settings"], "id")
        return {raw["id"]: Setting(raw["id"], raw["title"], raw["value"], raw["unit"], raw["basis"])
                for raw in doc.data["settings"]}

    def _visits(self, ctx):
        doc = self.docs["visits.yaml"]
        self._unique(doc, ("situations",), doc.data["situations"], "id")
        situations = []
        for i, raw in enumerate(doc.data["situations"]):
            for j, fid in enumerate(raw.get("ask_first", [])):
                if fid not in ctx.fields:
                    self.report(doc, ("situations", i, "ask_first", j), f"未知的记录字段“{fid}”")
                elif ctx.fields[fid].bureau_check:
                    self.report(doc, ("situations", i, "ask_first", j),
                                f"“{fid}”由本局掌握（bureau_check），不向企业提问")
            situations.append(Situation(raw["id"], raw["title"],
                                        self._condition(doc, ("situations", i, "when"), raw["when"], ctx),
                                        list(raw.get("ask_first", [])), list(raw.get("defer", [])),
                                        list(raw.get("brief_first", []))))
        for j, fid in enumerate(doc.data.get("first", [])):
            if fid not in ctx.fields:
                self.report(doc, ("first", j), f"未知的记录字段“{fid}”")
            elif ctx.fields[fid].bureau_check:
                self.report(doc, ("first", j), f"“{fid}”由本局掌握（bureau_check），不向企业提问")
        order = list(doc.data["order"])
        missing = [k for k in schema.MEASURE_KINDS if k not in order]
        if missing:
            self.report(doc, ("order",), f"order 须列出每一类措施，缺少：{'、'.join(missing)}")
        return situations, order, list(doc.data.get("first", []))

    def _activities(self, campaign: Campaign, ctx) -> None:
        doc = self.docs["campaign.yaml"]
        for i, raw in enumerate(doc.data["activities"]):
            a = campaign.activities.get(raw["id"])
            if a is None:
                continue
            for j, f in enumerate(raw.get("facts", [])):
                cond = self._condition(doc, ("activities", i, "facts", j, "when"), f["when"], ctx)
                if cond is not None:
                    a.facts.append((cond, f["says"]))
            a.audience = self._audience(doc, ("activities", i, "for"), raw.get("for", "all"), ctx)

    def _populations(self, campaign: Campaign, ctx) -> None:
        doc = self.docs["campaign.yaml"]
        for i, t in enumerate(doc.data["targets"]):
            if "population" in t:
                try:
                    campaign.targets[t["id"]].population = compile_condition(t["population"], ctx.fields,
                                                                             ctx.vocab_label, (), ctx.refs)
                except ConditionError as exc:
                    self.report(doc, ("targets", i, "population") + exc.path, exc.message)
        target = campaign.targets.get(campaign.coverage_target)
        if target is None:
            self.report(doc, ("coverage_target",), f"未知的目标“{campaign.coverage_target}”")
        elif target.population is None:
            self.report(doc, ("coverage_target",), f"目标“{target.id}”没有 population（统计哪些企业）")
        if campaign.request_rate_target:
            target = campaign.targets.get(campaign.request_rate_target)
            if target is None:
                self.report(doc, ("request_rate_target",), f"未知的目标“{campaign.request_rate_target}”")
            elif target.unit != "%":
                self.report(doc, ("request_rate_target",), f"目标“{target.id}”的单位须为“%”（诉求办理率是百分比），"
                                                           f"实为“{target.unit}”")

    # -- shared checks
    def _unique(self, doc, path, items, key) -> None:
        seen = set()
        for i, item in enumerate(items):
            if item[key] in seen:
                self.report(doc, path + (i, key), f"编号“{item[key]}”重复")
            seen.add(item[key])

    def _ambiguous_spellings(self, doc, name, entries) -> None:
        owner: dict[str, str] = {}
        for i, e in enumerate(entries):
            for spelling in {_norm(s) for s in (e["id"], e["label"], *e.get("aliases", []))}:
                if spelling in owner and owner[spelling] != e["id"]:
                    self.report(doc, (name, i), f"“{spelling}”同时指“{owner[spelling]}”和“{e['id']}”")
                owner.setdefault(spelling, e["id"])

    def _known(self, doc, path, values, vocab: Vocabulary, what: str) -> None:
        for i, value in enumerate(values):
            if value not in vocab:
                self.report(doc, path + (i,), f"未知的{what}“{value}”")

    def _period(self, doc, path, period) -> None:
        if period["end"] is not None and period["end"] < period["start"]:
            self.report(doc, path + ("end",), f"结束日（{period['end']}）早于开始日（{period['start']}）")

    def _quote(self, doc, path, source, campaign: Campaign) -> None:
        if campaign.text and _squash(source["quote"]) not in _squash(campaign.text):
            self.report(doc, path + ("quote",), "行动原文中找不到这段引文")


@dataclass
class _Context:
    vocabularies: dict
    fields: dict
    campaign: Campaign
    vocab_label: Any
    refs: Refs = Refs()


def _items(value) -> list:
    return value if isinstance(value, list) else []


def _name_of(data, default: str) -> str:
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else default


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _source(raw: dict) -> Source:
    return Source(raw["part"], raw["quote"], list(raw.get("notices", [])))
