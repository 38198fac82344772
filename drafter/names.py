"""Names in prose — drugs, sponsors, targets, diseases — and the alias table they match through.

One job: find where a text names a drug, a sponsor, a target or a disease (`NameFinder.find`),
and say which named thing of the bundle each is (its alias group and the facts that state it).

Where names come from
* The alias table is built from the bundle's own facts, by the field that states them:
  ClinicalTrials.gov intervention names and other names, lead sponsor and collaborators,
  conditions; ChEMBL preferred names and synonyms; Open Targets target symbols and names and
  the disease name; drafter's curated aliases and synonyms; the claims table's drug, target,
  disease and sponsor. Aliases of one thing are one group: the names a source gives for one
  record (a ChEMBL id, an Ensembl id, one intervention of the trial), joined with every other
  name that normalises the same ("DAXDILIMAB" and "Daxdilimab"; "HZN-7734" in ClinicalTrials.gov
  and in ChEMBL's synonyms).
* Names that are not the bundle's are found too, so that a swapped name is flagged rather than
  missed: a lexicon of the names drafter ships (the seed claims and the bundled snapshot
  trials), and the shapes of names (an INN stem such as -mab or -tinib, a research code such as
  "BMS-986016", a company's legal suffix, a name after "sponsored by", a gene symbol after
  "targets" or before "inhibitor", a phrase ending in a disease word such as "carcinoma").

Normalisation: NFKC, case folded, hyphens and spaces alike ("HZN 7734" = "HZN-7734"), "&" as
"and", a company's legal suffix (Inc., Ltd, AG, GmbH, DAC...) and a salt ("hydrochloride")
dropped. A name matched only after dropping a suffix is fuzzy; so is one within a small edit
distance of an alias of the right type (rapidfuzz ratio ≥ 90, never for codes).
Short all-capital aliases ("EGFR", "OX40") match only in capitals: "set" is not SET.
Generic intervention names (placebo, vehicle, saline, standard of care) are not names.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from drafter import bundled
from drafter.facts import Fact
from drafter.verify_model import NameType

# Which facts state a name, by source and field (the list index of a field is any digits).
_NAME_FIELDS: dict[NameType, re.Pattern[str]] = {
    "drug": re.compile(
        r"^(?:ctgov:[^:]+:interventions\.\d+\.(?:name|other_names\.\d+)"
        r"|chembl:[^:]+:(?:pref_name|synonyms\.\d+)|reference:[^:]+:synonyms\.\d+"
        r"|claims:[^:]+:drug)$"
    ),
    "sponsor": re.compile(
        r"^(?:ctgov:[^:]+:(?:lead_sponsor|collaborators\.\d+)|claims:[^:]+:sponsor"
        r"|reference:[^:]+:lead_sponsor_earlier)$"
    ),
    "target": re.compile(
        r"^(?:opentargets:[^:+]+:(?:approved_symbol|approved_name)"
        r"|reference:[^:]+:(?:gene_symbol|aliases\.\d+)|claims:[^:]+:target_symbol)$"
    ),
    "disease": re.compile(
        r"^(?:ctgov:[^:]+:conditions\.\d+|opentargets:[^:]+:(?:disease_name|name)"
        r"|claims:[^:]+:disease_name)$"
    ),
}
_INTERVENTION = re.compile(r"^ctgov:([^:]+):interventions\.(\d+)\.")
_GENERIC = frozenset(
    {
        "placebo",
        "matching placebo",
        "vehicle",
        "saline",
        "normal saline",
        "sham",
        "standard of care",
        "best supportive care",
        "usual care",
        "no intervention",
        "healthy volunteers",
    }
)
# Where a source is named ("ClinicalTrials.gov says"): a site or registry, never a sponsor.
_SITE = re.compile(
    r"(?i:^(?:[\w\-]+\.)+(?:gov|com|net|org|eu|int|io)$|^(?:open targets|chembl|openfda|pubmed)$)"
)
# Generic heads of a disease phrase: a disease name needs a specific word before them.
_GENERIC_HEAD = frozenset({"disease", "syndrome", "cancer", "infection", "failure"})
_GENERIC_WORDS = frozenset(
    {
        "autoimmune",
        "chronic",
        "rare",
        "inflammatory",
        "infectious",
        "skin",
        "liver",
        "kidney",
        "heart",
        "lung",
        "severe",
        "mild",
        "moderate",
        "active",
        "underlying",
        "human",
        "other",
        "related",
        "similar",
        "genetic",
        "common",
        "serious",
        "moderate-to-severe",
        "treated",
    }
)
_HYPHEN_SPACE = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014_/]+")
_LEGAL = re.compile(
    r"(?:,?\s+(?:inc|incorporated|ltd|limited|llc|ag|gmbh|s\.?a|n\.?v|b\.?v|plc|co|corp|"
    r"corporation|dac|kk|spa|s\.?p\.?a|ulc|lp|company))+\.?$"
)
_SALT = re.compile(
    r"\s+(?:hydrochloride|hcl|mesylate|sodium|potassium|sulfate|maleate|tartrate|citrate|"
    r"phosphate|acetate|fumarate|besylate|tosylate)$"
)


@functools.lru_cache(maxsize=16384)
def normal_name(text: str) -> str:
    """A name as aliases are compared: NFKC, case folded, one space for any hyphen or space.
    (Remembered: verification normalises every name against every cited fact's label and
    text, the same few hundred strings a draft; a pure function of its text, so a remembered
    answer is never stale, and lru_cache is safe across the threads of a batch.)"""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    return _HYPHEN_SPACE.sub(" ", folded).strip(" .,;:")


def loose_name(text: str) -> str:
    """A name without a company's legal suffix or a salt: "Amgen Inc." → "amgen"."""
    name = normal_name(text)
    name = _LEGAL.sub("", name).strip(" .,")
    return _SALT.sub("", name)


def _compact(text: str) -> str:
    """A code without separators, so "VIB7734" = "VIB-7734" = "vib 7734"."""
    return normal_name(text).replace(" ", "")


def _is_code(text: str) -> bool:
    return bool(re.search(r"\d", text)) and len(text) <= 16


@dataclass
class NameGroup:
    """One named thing of the bundle: its type, its aliases and the facts that state them."""

    key: int
    type: NameType
    aliases: set[str] = field(default_factory=set)
    facts: list[str] = field(default_factory=list)

    label: str = ""  # the name a reader knows: the registry's, else Open Targets', ChEMBL's...


@dataclass(frozen=True)
class NameHit:
    """A name found in a text. group: the bundle's named thing it is, if any; how: "alias"
    (equal after normalising), "loose" (after dropping a suffix), "fuzzy" (a small edit
    distance), or "other" (a name that is not the bundle's: lexicon or shape)."""

    start: int
    end: int
    text: str
    type: NameType
    group: NameGroup | None
    how: str


class Occupied:
    """The characters of a text already claimed by an anchor: checking a span costs its
    length, not the number of anchors found so far (a hostile text may hold thousands)."""

    def __init__(self, size: int) -> None:
        self._mask = bytearray(size)

    def claim(self, start: int, end: int) -> None:
        self._mask[start:end] = b"\x01" * (end - start)

    def free(self, start: int, end: int) -> bool:
        """No character of the span is claimed."""
        return self._mask.find(1, start, end) < 0

    def covers(self, start: int, end: int) -> bool:
        """Every character of the span is claimed."""
        return self._mask.find(0, start, end) < 0


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, item: object) -> object:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: object, b: object) -> None:
        self.parent[self.find(a)] = self.find(b)


def name_type_of(fact: Fact) -> NameType | None:
    """The kind of name a fact states, from its source and field, or None."""
    if fact.kind not in ("text", "quote") or not isinstance(fact.value, str):
        return None
    for name_type, pattern in _NAME_FIELDS.items():
        if pattern.match(fact.id):
            return name_type
    return None


_PACKED = re.compile(r"\s*(?:;|,|/|\bor\b)\s*")


def _unpacked(fact: Fact, value: str) -> list[str]:
    """The names one value holds: ClinicalTrials.gov packs several other names into one
    string ("ivacaftor; VX-770", "Kalydeco or Trikafta"); the whole value stays a name too."""
    if ":interventions." not in fact.id or ".other_names." not in fact.id:
        return [value]
    parts = [p for p in _PACKED.split(value) if p and p != value]
    return [value, *parts]


def _record_key(fact: Fact, name_type: NameType) -> tuple[str, ...]:
    """What one record's names share: an intervention of the trial, a ChEMBL or Ensembl id,
    a claim (per type); a sponsor or a condition stands alone."""
    intervention = _INTERVENTION.match(fact.id)
    if intervention:
        return ("intervention", intervention[1], intervention[2])
    source, entity, _ = fact.id.split(":", 2)
    if name_type in ("drug", "target") and source != "ctgov":
        return (name_type, entity)
    return ("fact", fact.id)


def build_groups(facts: Iterable[Fact]) -> list[NameGroup]:
    """The bundle's named things, each with every alias its facts give."""
    union = _UnionFind()
    named: list[tuple[Fact, NameType, str]] = []
    for fact in facts:
        name_type = name_type_of(fact)
        if name_type is None:
            continue
        node = ("fact-node", fact.id)
        for value in _unpacked(fact, str(fact.value).strip()):
            if len(value) < 2 or normal_name(value) in _GENERIC or len(value) > 120:
                continue
            named.append((fact, name_type, value))
            union.union(node, (name_type, "record", *_record_key(fact, name_type)))
            union.union(node, (name_type, "alias", loose_name(value)))
    groups: dict[object, NameGroup] = {}
    ranked: dict[object, tuple[int, int]] = {}
    for order, (fact, name_type, value) in enumerate(named):
        root = union.find(("fact-node", fact.id))
        group = groups.setdefault(root, NameGroup(key=len(groups), type=name_type))
        group.aliases.add(value)
        if fact.id not in group.facts:
            group.facts.append(fact.id)
        rank = (_LABEL_SOURCES.index(fact.id.split(":")[0]), order)
        if root not in ranked or rank < ranked[root]:
            ranked[root], group.label = rank, value
    return list(groups.values())


# Whose spelling of a name a message shows: the registry's first ("Daxdilimab", not "VIB7734").
_LABEL_SOURCES = ("ctgov", "opentargets", "chembl", "claims", "reference")


# --- finding names in text -------------------------------------------------------------------

_SEP = r"[\s\-\u2010\u2011\u2013\u2014]{0,3}"


def _alias_pattern(alias: str) -> str:
    """A regex for an alias where any hyphen or space may be written as either or omitted."""
    parts = [p for p in _HYPHEN_SPACE.split(alias.strip()) if p]
    return _SEP.join(re.escape(p) for p in parts)


def _case_sensitive(alias: str) -> bool:
    """Short capitals ("EGFR", "SET", "OX40") match only as written."""
    letters = re.sub(r"[^A-Za-z]", "", alias)
    return len(alias) <= 6 and letters.isupper()


def _compile(aliases: Iterable[str]) -> re.Pattern[str] | None:
    """One alternation of every alias, longest first, bounded by non-word characters."""
    sensitive: list[str] = []
    insensitive: list[str] = []
    for alias in sorted(set(aliases), key=lambda a: (-len(a), a)):
        pattern = _alias_pattern(alias)
        if not pattern:
            continue
        (sensitive if _case_sensitive(alias) else insensitive).append(pattern)
    branches = []
    if insensitive:
        branches.append("(?i:" + "|".join(insensitive) + ")")
    if sensitive:
        branches.append("(?:" + "|".join(sensitive) + ")")
    if not branches:
        return None
    return re.compile(
        r"(?<![\w\-\u2010\u2011])(?:" + "|".join(branches) + r")(?![\w\u2010\u2011]|-\w)"
    )


@dataclass(frozen=True)
class _AliasHead:
    """An alias and the first word its pattern starts with, to tell cheaply that a text
    cannot hold it: as written for a case-sensitive alias, else lower-cased (None when it
    has letters str.lower() does not fold as the regex does: then it is always searched)."""

    alias: str
    first: str
    sensitive: bool
    lowered: str | None

    def may_occur(self, text: str, lowered: str | None) -> bool:
        if self.sensitive:
            return self.first in text
        if lowered is None or self.lowered is None:
            return True
        return self.lowered in lowered


def _alias_head(alias: str) -> _AliasHead | None:
    """The alias's first word as `_alias_pattern` spells it; None for an alias with no word
    (`_compile` leaves it out)."""
    parts = [p for p in _HYPHEN_SPACE.split(alias.strip()) if p]
    if not parts:
        return None
    first = parts[0]
    lowered = first.lower() if first.isascii() else None
    return _AliasHead(alias, first, _case_sensitive(alias), lowered)


def _fold_safe(text: str) -> bool:
    """Whether str.lower() folds `text` as a case-insensitive regex compares it with ASCII
    words: ASCII, or every other character without case (the Kelvin sign, the long s, the
    dotted and dotless i match ASCII letters in a regex, and have case mappings)."""
    return text.isascii() or all(c.isascii() or c.lower() == c == c.upper() for c in set(text))


@functools.lru_cache(maxsize=1024)
def _compiled(aliases: frozenset[str]) -> re.Pattern[str] | None:
    """`_compile` of one set of aliases, remembered: compiling an alternation of a bundle's
    names costs a draft milliseconds, and a batch's trials share sponsors, drugs and
    conditions (the answer depends on the set alone; re's own cache is small and shared)."""
    return _compile(aliases)


_INN = re.compile(
    r"(?<![\w\-])[A-Za-z]{3,}(?i:mab|tinib|ciclib|parib|lisib|rafenib|metinib|zomib|degib|"
    r"gliptin|gliflozin|glutide|ercept|siran|rsen|lukast|setron|sentan|floxacin|platin|taxel|"
    r"rubicin|tecan|dronate|prazole|xaban|gatran|limus|sartan|vastatin|olol|dipine|"
    r"previr|buvir|tegravir|navir|citinib|nib|bart|pepimut|vedotin|dotin|tansine|leucel)"
    r"(?![\w\-])"
)
_NOT_INN = frozenset({"amalgamab"})  # (room for words an INN stem would catch by mistake)
# Research codes: letters, an optional hyphen, digits ("BMS-986016", "JNJ-26483327"); a single
# letter only with a hyphen ("S-222611"), so "P59901" and "Q2" are not codes.
_CODE = re.compile(
    r"(?<![\w\-\u2010\u2011.:/])(?:[A-Z]{2,6}[\-\u2010\u2011]?|[A-Z][\-\u2010\u2011])"
    r"\d{3,8}[a-z]?(?![\w\-])"
)
_NOT_CODE_PREFIX = re.compile(r"^(?:NCT|CHEMBL|ENSG|HGNC|EFO|MONDO|HP|DOID|ISRCTN|EUCTR|PMID)")
_COMPANY = re.compile(
    r"(?<![\w\-])(?:[A-Z][\w&'\-]*\s+){0,4}(?:[A-Z][\w&'\-]*\s+)?"
    r"(?:Inc\.?|Ltd\.?|LLC|AG|GmbH|S\.A\.|plc|Corp(?:oration)?\.?|DAC|Pharmaceuticals?|"
    r"Therapeutics|Biosciences|Biotherapeutics|Biopharma(?:ceuticals)?|Biotech|Pharma|Oncology|"
    r"Laboratories)(?![\w\-])"
)
_SPONSORED_BY = re.compile(
    r"(?:sponsored by|sponsor(?:ed)?[:,]?|run by|ran by|developed by)\s+"
    r"((?:[A-Z][\w&'.\-]*)(?:\s+(?:of|and|&|for|de|[A-Z][\w&'.\-]*))*)"
)
# A run of capitalised words with the small words of an institution's name between them
# ("Affiliated Hospital of Jiangnan University", "Canadian Cancer Trials Group (CCTG)").
_TITLE_RUN = re.compile(
    r"(?<![\w\-])[A-Z][\w&'.\-]*(?:\s+(?:(?:of|and|for|de|du|la|the|&)\s+)*[A-Z][\w&'.\-]*)*"
    r"(?:\s+\([A-Z][A-Za-z]{1,9}\))?"
)
_INSTITUTION = re.compile(
    r"\b(?:University|Universit\w+|Hospital|Hospitals|Institute|Institut|Group|Foundation|"
    r"Center|Centre|Council|Network|International|Consortium|Society|Association|College|"
    r"Clinic|Ministry|Agency|Organi[sz]ation|Trust|NHS|Health|Medical)\b"
)
# Words after a name that make it the trial's runner: "X ran NCT…", "X sponsors NCT…".
_RUNS_TRIAL = re.compile(
    r"\s+(?:ran|runs|sponsors|sponsored|conducted|conducts|led)\s+(?:the\s+)?(?:NCT\d|trial|study)"
)
_NOT_GENE = frozenset(
    {
        "FDA",
        "EMA",
        "MHRA",
        "PMDA",
        "NMPA",
        "NCT",
        "MRS",
        "DLE",
        "SLE",
        "CLE",
        "SCLE",
        "RA",
        "MS",
        "ALS",
        "COPD",
        "NSCLC",
        "SCLC",
        "HCC",
        "AML",
        "ALL",
        "CLL",
        "CML",
        "MDS",
        "IBD",
        "UC",
        "AD",
        "PD",
        "HIV",
        "AIDS",
        "HBV",
        "HCV",
        "COVID",
        "USA",
        "UK",
        "EU",
        "US",
        "II",
        "III",
        "IV",
        "PI",
        "CI",
        "HR",
        "AE",
        "AES",
        "SAE",
        "SAES",
        "DSMB",
        "IDMC",
        "PK",
        "PFS",
        "OS",
        "ORR",
        "DLT",
        "MTD",
        "BID",
        "QD",
        "SC",
        "LDL",
        "HDL",
        "BMI",
        "FAERS",
        "GMP",
        "CMC",
        "CRO",
        "NDA",
        "BLA",
        "IND",
        "ANDA",
        "EUA",
        "MAA",
        "CHMP",
        "NIH",
        "NCI",
        "WHO",
        "CDC",
        "CEO",
        "USD",
        "EUR",
        "GBP",
        "TBD",
        "NOS",
        "DNA",
        "RNA",
        "ASO",
        "ADC",
        "CAR",
        "ITT",
        "PP",
        "CLASI",
        "EASI",
        "IGA",
        "PASI",
        "ACR",
        "SLEDAI",
        "BICLA",
        "SRI",
        "PGA",
        "HAQ",
        "DAS28",
        "FEV1",
        "ECG",
        "MRI",
        "PET",
        "CT",
        "ICU",
        "ER",
        "OTC",
        "FIH",
    }
)
_GENE = r"[A-Z][A-Z0-9]{1,7}(?:-?[A-Z0-9]{1,3})?"
_TARGET_CUE = re.compile(
    rf"(?:(?:acts? on|act on|targets?|targeting|targeted|anti-|inhibits?|blocks?|binds?|on|for|"
    rf"against)\s*(?P<a>{_GENE})(?![\w\-]))"
    rf"|(?<![\w\-])(?P<b>{_GENE})[\s\-](?:inhibitors?|antagonists?|"
    rf"agonists?|antibod(?:y|ies)|blockade|degraders?|modulators?)"
    rf"|(?:^|(?<=[;:.]\s))(?P<c>{_GENE}):\s"
)
_DISEASE_HEAD = (
    r"(?:disease|syndrome|cancer|carcinoma|lymphoma|leuka?emia|melanoma|sarcoma|myeloma|"
    r"glioma|glioblastoma|erythematosus|dermatitis|arthritis|psoriasis|colitis|fibrosis|"
    r"sclerosis|diabetes|hepatitis|nephritis|nephropathy|asthma|hypertension|"
    r"hypercholesterolemia|hypercholesterolaemia|obesity|dystrophy|atrophy|neuropathy|"
    r"myopathy|cardiomyopathy|steatohepatitis|lupus|alopecia|vitiligo|urticaria|uveitis|"
    r"anemia|anaemia|thalassemia|hemophilia|haemophilia|epilepsy|migraine|dementia|"
    r"vasculitis|gastroparesis|pneumonia|sepsis|infection|neoplasms?|tumou?rs?|"
    r"thrombosis|embolism|infarction|stroke|aids|"
    r"[a-z]{3,}(?:carcinoma|sarcoma|blastoma|cytoma|fibrosis|itis))"
)
_NOT_DISEASE_WORD = (
    "in|of|the|a|an|and|or|with|for|to|on|by|at|from|as|is|was|were|its|this|that|which|trial|study"
)
_DISEASE_WORD = rf"(?!(?:{_NOT_DISEASE_WORD})\b)[A-Za-z][A-Za-z'\-]*"
_DISEASE = re.compile(
    rf"(?<![\w\-])(?:{_DISEASE_WORD}\s+){{0,3}}{_DISEASE_HEAD}(?![\w\-])", re.IGNORECASE
)
_CAPITAL_OR_TITLE = re.compile(r"^[A-Z]")


@functools.lru_cache(maxsize=1)
def _lexicon() -> dict[NameType, frozenset[str]]:
    """Names drafter ships: the seed claims' and the bundled snapshot trials' names."""
    names: dict[NameType, set[str]] = {
        "drug": set(),
        "sponsor": set(),
        "target": set(),
        "disease": set(),
    }
    for line in bundled.read_text(bundled.SEED_CLAIMS).splitlines():
        if not line.strip():
            continue
        claim = json.loads(line)
        for key, name_type in (
            ("drug", "drug"),
            ("sponsor", "sponsor"),
            ("target_symbol", "target"),
            ("disease_name", "disease"),
        ):
            if isinstance(claim.get(key), str):
                names[name_type].add(claim[key])  # type: ignore[index]
    folder = bundled.SNAPSHOT / "ctgov"
    for entry in folder.iterdir():
        if not entry.name.startswith("study_NCT") or not entry.name.endswith(".json"):
            continue
        try:
            section = json.loads(entry.read_text(encoding="utf-8")).get("protocolSection", {})
        except (OSError, ValueError, AttributeError):
            continue
        _snapshot_names(section, names)
    return {
        t: frozenset(n for n in found if 2 < len(n) <= 80 and normal_name(n) not in _GENERIC)
        for t, found in names.items()
    }


def _snapshot_names(section: dict[str, object], names: dict[NameType, set[str]]) -> None:
    sponsors = section.get("sponsorCollaboratorsModule") or {}
    if isinstance(sponsors, dict):
        lead = sponsors.get("leadSponsor") or {}
        if isinstance(lead, dict) and isinstance(lead.get("name"), str):
            names["sponsor"].add(lead["name"])
    conditions = (section.get("conditionsModule") or {}) if isinstance(section, dict) else {}
    if isinstance(conditions, dict):
        names["disease"].update(c for c in conditions.get("conditions") or [] if isinstance(c, str))
    arms = section.get("armsInterventionsModule") or {}
    if isinstance(arms, dict):
        for item in arms.get("interventions") or []:
            if isinstance(item, dict) and item.get("type") in ("DRUG", "BIOLOGICAL"):
                for name in [item.get("name"), *(item.get("otherNames") or [])]:
                    if isinstance(name, str):
                        names["drug"].add(name)


@functools.lru_cache(maxsize=1)
def _lexicon_patterns() -> dict[NameType, re.Pattern[str] | None]:
    return {name_type: _compile(found) for name_type, found in _lexicon().items()}


class NameFinder:
    """Finds names in texts, knowing the bundle's named things (built once per draft)."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        self.groups = build_groups(facts)
        self._by_alias: dict[tuple[NameType, str], NameGroup] = {}
        self._by_loose: dict[tuple[NameType, str], NameGroup] = {}
        for group in self.groups:
            for alias in group.aliases:
                self._by_alias.setdefault((group.type, _compact(alias)), group)
                self._by_loose.setdefault((group.type, loose_name(alias).replace(" ", "")), group)
        self._aliases: dict[NameType, list[_AliasHead]] = {
            t: [
                head
                for alias in dict.fromkeys(a for g in self.groups if g.type == t for a in g.aliases)
                if (head := _alias_head(alias)) is not None
            ]
            for t in _NAME_FIELDS
        }
        self.group_of_fact = {fact_id: g for g in self.groups for fact_id in g.facts}
        self._resolved: dict[tuple[str, NameType], tuple[NameGroup | None, str]] = {}

    def _alias_patterns(self, text: str) -> Iterable[tuple[NameType, re.Pattern[str] | None]]:
        """Per type, the alternation of the bundle's aliases that may occur in `text`: an
        alias whose first word the text does not hold cannot match, and leaving its branch
        out of the alternation changes no match (every branch left out fails everywhere).
        The alternation of the few aliases a paragraph holds is compiled once per set, not
        one of every alias per draft (compiling that cost a draft milliseconds)."""
        lowered = text.lower() if _fold_safe(text) else None
        for name_type, heads in self._aliases.items():
            present = frozenset(head.alias for head in heads if head.may_occur(text, lowered))
            yield name_type, _compiled(present) if present else None

    def resolve(self, text: str, name_type: NameType) -> tuple[NameGroup | None, str]:
        """The bundle's named thing a written name is, and how it was matched (remembered:
        a draft names the same things again and again)."""
        key = (text, name_type)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(text, name_type)
        return self._resolved[key]

    def _resolve(self, text: str, name_type: NameType) -> tuple[NameGroup | None, str]:
        group = self._by_alias.get((name_type, _compact(text)))
        if group:
            return group, "alias"
        group = self._by_loose.get((name_type, loose_name(text).replace(" ", "")))
        if group:
            return group, "loose"
        if not _is_code(text):
            wanted = loose_name(text)
            best: tuple[float, NameGroup] | None = None
            for candidate in self.groups:
                if candidate.type != name_type:
                    continue
                for alias in candidate.aliases:
                    if _is_code(alias):
                        continue
                    score = fuzz.ratio(wanted, loose_name(alias))
                    if score >= 90 and (best is None or score > best[0]):
                        best = (score, candidate)
            if best:
                return best[1], "fuzzy"
        return None, "other"

    def find(
        self,
        text: str,
        taken: Occupied | None = None,
        *,
        aliases_only: bool = False,
        aliases_found: bool = False,
    ) -> list[NameHit]:
        """Every name in `text` outside the `taken` spans, the bundle's aliases first, then
        the lexicon, then the shapes; overlaps keep the first. `aliases_only`: the bundle's
        aliases alone (found before typed anchors, so "Montanide ISA 51" is a name, not 51).
        `aliases_found`: an `aliases_only` pass over this text already claimed its aliases in
        `taken`, so they are not searched again (an alias match that pass left, for a span
        taken or a generic word, is left again: `taken` only grows)."""
        hits: list[NameHit] = []
        spans = taken if taken is not None else Occupied(len(text))

        def add(start: int, end: int, name_type: NameType) -> None:
            written = text[start:end].strip(" .,;:")
            end = start + len(text[start:end].rstrip(" .,;:"))
            if len(written) < 2 or normal_name(written) in _GENERIC or not spans.free(start, end):
                return
            if _SITE.match(written):
                return
            group, how = self.resolve(written, name_type)
            hits.append(NameHit(start, end, written, name_type, group, how))
            spans.claim(start, end)

        for name_type, pattern in () if aliases_found else self._alias_patterns(text):
            for found in pattern.finditer(text) if pattern else ():  # bundle aliases
                add(found.start(), found.end(), name_type)
        if aliases_only:
            return sorted(hits, key=lambda h: h.start)
        for name_type, pattern in _lexicon_patterns().items():
            for found in pattern.finditer(text) if pattern else ():
                add(found.start(), found.end(), name_type)
        for found in _SPONSORED_BY.finditer(text):
            add(found.start(1), found.end(1), "sponsor")
        for found in _COMPANY.finditer(text):
            add(found.start(), found.end(), "sponsor")
        for found in _CODE.finditer(text):
            if not _NOT_CODE_PREFIX.match(found.group()):
                add(found.start(), found.end(), "drug")
        for found in _INN.finditer(text):
            if found.group().casefold() not in _NOT_INN:
                add(found.start(), found.end(), "drug")
        for found in _TITLE_RUN.finditer(text):
            run = found.group()
            if _INSTITUTION.search(run) or _RUNS_TRIAL.match(text, found.end()):
                start = found.start() + (4 if run.startswith("The ") else 0)
                add(start, found.end(), "sponsor")
        for found in _TARGET_CUE.finditer(text):
            which = next(g for g in ("a", "b", "c") if found.group(g))
            if _gene_like(found.group(which)):
                add(found.start(which), found.end(which), "target")
        for found in _DISEASE.finditer(text):
            start = _disease_start(text, found.start(), found.end())
            if _specific_disease(text[start : found.end()]):
                add(start, found.end(), "disease")
        hits.sort(key=lambda h: h.start)
        return hits


def _gene_like(token: str) -> bool:
    """A gene symbol's shape: capitals with a digit (PDCD1, OX40) or three to six capitals
    (PTEN, EGFR), and not a common clinical or regulatory acronym."""
    if token in _NOT_GENE or token.split("-")[0] in _NOT_GENE:
        return False
    letters = sum(c.isalpha() for c in token)
    return letters >= 2 and (any(c.isdigit() for c in token) or 3 <= len(token) <= 6)


def _specific_disease(phrase: str) -> bool:
    """Whether a phrase names a disease, not a kind of one: "Netherton syndrome" does,
    "Disease" and "autoimmune disease" do not."""
    words = phrase.casefold().split()
    if words[-1] not in _GENERIC_HEAD:
        return True
    return any(word not in _GENERIC_WORDS for word in words[:-1])


def _disease_start(text: str, start: int, end: int) -> int:
    """Where a disease phrase starts: at its first capitalised word when it has one ("in
    severe Discoid Lupus ..." starts at "Discoid"), else at the words the pattern took."""
    words = list(re.finditer(r"\S+", text[start:end]))
    for word in words[:-1]:
        if _CAPITAL_OR_TITLE.match(word.group()):
            return start + word.start()
    return start
