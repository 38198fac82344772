"""Perturbations of drafted paragraphs, to measure what `drafter verify` catches (issue 8).

The method is FactCC's (Kryściński et al. 2020): take text the checker should pass, apply a
rule-based change whose label is known, and count how often the checker flags it. Here the
text is the offline writer's clean draft of a bundled snapshot trial, one paragraph at a time
(its citations kept), and the checker is drafter.verify.Verifier.check.

* A perturbation changes one anchor of a paragraph: a number, an MRS score, a date, an NCT or
  other id, a phase, a status word, an actual/estimated qualifier, a drug, sponsor, target or
  disease name, or words inside a quotation; or it appends a sentence stating a number or a
  date no source holds. It is DETECTED when an anchor of the perturbed paragraph that overlaps
  the changed span has a failing status (mismatch, untraceable, unsupported_precision). It
  NAMES THE RIGHT FACT when that anchor's fact_id is the fact the original anchor was verified
  by (for a name, any fact of the original name's alias group).
* Replacement values are hard negatives where the type allows it: another fact of the same
  kind in the SAME bundle with a different value (FactCC draws its swaps from the source
  document). Names are also swapped for names from a pool of real names that drafter does not
  ship (`random_pool`), reported separately as "random".
* A benign rewrite says the same thing differently (number words, thousands separators, date
  formats, rounding to fewer decimals, Roman phase numerals, an alias of the same drug or
  target, reordered sentences). It is a FALSE FLAG when the rewritten paragraph has more
  failing anchors than the clean one.
* A perturbation that cannot be applied to a paragraph is never dropped silently: a paragraph
  without such an anchor counts as "n/a", one with the anchor but no usable replacement (or
  whose anchor the clean check already fails) counts as "skipped", with the reason.

Locating anchors does not use the verifier's own report: numbers, dates, phases and ids come
from drafter.anchors.extract_anchors, quotations from drafter.quotes.find_quotations, names
from the bundle's name facts (drafter.names.name_type_of), status and qualifier words from
patterns here. The clean paragraph's report is read only for the fact an anchor was verified
by, and to leave out typed values the verifier reads as part of a name or quotation.

Randomness: every choice for one (trial, paragraph, perturbation) comes from a
random.Random seeded with SEED and those keys, so a subset of trials gets exactly the cases
the full benchmark gets for them.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from drafter import bundled
from drafter.anchors import Anchor, extract_anchors, phase_of_fact
from drafter.assessment import assess
from drafter.bundle import Bundle
from drafter.claims import ClaimsStore
from drafter.config import Settings
from drafter.draft import draft_trial
from drafter.draft_model import Draft
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.facts import Fact
from drafter.names import NameGroup, build_groups, name_type_of, normal_name
from drafter.quotes import find_quotations
from drafter.sources.http import HttpClient
from drafter.verify import ParagraphInput, Verifier, paragraphs_of_draft
from drafter.verify_model import FAILING, CheckedAnchor, NameType, ParagraphReport
from drafter.writers.offline import OfflineWriter

SEED = 20260520
AS_OF = date(2026, 5, 20)
REPO = Path(__file__).resolve().parents[1]
API_EXAMPLES = REPO / "tests" / "data" / "api-examples"
DRAFTER_DATA = REPO / "drafter" / "data"
CHECKED_PARAGRAPHS = frozenset({"fact", "conflict", "summary"})

# --- clean drafts ----------------------------------------------------------------------------


def snapshot_trials() -> list[str]:
    """Every trial of the bundled snapshot (study_NCT*.json), but the 404 example."""
    folder = Path(str(bundled.SNAPSHOT)) / "ctgov"
    found = {
        m[1]
        for entry in folder.iterdir()
        if (m := re.match(r"study_(NCT\d{8})", entry.name)) and entry.suffix == ".json"
    }
    return sorted(found - {"NCT99999999"})


def offline_bundle(nct_id: str, tmp: Path) -> Bundle:
    """One snapshot trial built offline and assessed against the seed claims (as tests do)."""
    tmp.mkdir(parents=True, exist_ok=True)
    settings = Settings(offline=True, cache_dir=tmp / "cache", db_path=tmp / "claims.sqlite3")
    with HttpClient(settings) as client:
        evidence = build_bundle(client, EvidenceQuery(nct_id=nct_id, as_of=AS_OF))
    with ClaimsStore(tmp / f"claims-{nct_id}.sqlite3", seed=bundled.SEED_CLAIMS) as store:
        return assess(evidence, store)


def clean_draft(bundle: Bundle) -> Draft:
    return draft_trial(bundle, OfflineWriter())


@dataclass
class Trial:
    """One clean draft, its evidence, and every paragraph with its clean report."""

    nct_id: str
    bundle: Bundle
    draft: Draft
    verifier: Verifier
    paragraphs: list[ParagraphInput]
    reports: list[ParagraphReport]
    groups: list[NameGroup]

    @classmethod
    def of(cls, bundle: Bundle, draft: Draft) -> Trial:
        facts = [*bundle.facts, *draft.facts]
        verifier = Verifier(facts, bundle.sources)
        paragraphs = paragraphs_of_draft(draft)
        return cls(
            nct_id=draft.nct_id,
            bundle=bundle,
            draft=draft,
            verifier=verifier,
            paragraphs=paragraphs,
            reports=[verifier.check(p) for p in paragraphs],
            groups=build_groups(verifier.facts.values()),
        )

    @property
    def facts(self) -> list[Fact]:
        return list(self.verifier.facts.values())


def offline_trials(nct_ids: Iterable[str], tmp: Path | None = None) -> list[Trial]:
    """Clean drafts of the given snapshot trials (bundles built under `tmp`)."""
    if tmp is None:
        tmp = Path(tempfile.mkdtemp(prefix="verify-eval-"))
    return [Trial.of(b, clean_draft(b)) for b in (offline_bundle(n, tmp / n) for n in nct_ids)]


# --- the random pool of real names drafter does not ship ---------------------------------------

# Lead sponsors that ClinicalTrials.gov records under a person's name (sponsor-investigators;
# the biomcp subsets do not carry the sponsor class, so they are listed here): a person is not
# a company a drug programme can be moved to, so they are left out of the sponsor pool.
INDIVIDUAL_SPONSORS = frozenset({"Rahul Aggarwal", "Dan Zandberg", "Alexander Kolevzon"})
# A bare generic head names no condition a trial is run in.
GENERIC_DISEASES = frozenset({"cancer", "disease", "syndrome", "genetic disease", "neoplasm"})
_GENERIC_INTERVENTIONS = frozenset({"placebo", "saline", "normal saline"})


@dataclass(frozen=True)
class PoolName:
    name: str
    type: str  # drug, sponsor, target, disease, nct
    source: str  # the file under tests/data/api-examples it was read from


def _walk(value: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, str(key)))
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, path)
    else:
        yield path, value


def _ctgov_names(data: object, source: str) -> Iterator[PoolName]:
    for path, value in _walk(data):
        if not isinstance(value, str):
            continue
        tail = path[-2:]
        if tail in (("leadSponsor", "name"), ("collaborators", "name")):
            if value not in INDIVIDUAL_SPONSORS:
                yield PoolName(value, "sponsor", source)
        elif tail == ("conditionsModule", "conditions"):
            yield PoolName(value, "disease", source)
        elif path[-1] == "nctId":
            yield PoolName(value, "nct", source)
    # interventions: only where the record says it is a drug or a biological
    for study in _studies(data):
        arms = study.get("protocolSection", {}).get("armsInterventionsModule", {})
        for item in arms.get("interventions") or []:
            if item.get("type") in ("DRUG", "BIOLOGICAL") and isinstance(item.get("name"), str):
                yield PoolName(item["name"], "drug", source)


def _studies(data: object) -> list[dict[str, dict[str, dict[str, object]]]]:
    if isinstance(data, dict):
        if "protocolSection" in data:
            return [data]
        studies = data.get("studies")
        if isinstance(studies, list):
            return [s for s in studies if isinstance(s, dict)]
    return []


def _opentargets_names(data: object, source: str) -> Iterator[PoolName]:
    for path, value in _walk(data):
        if not isinstance(value, str):
            continue
        if path[-2:] == ("drug", "name"):
            yield PoolName(value, "drug", source)
        elif path[-2:] == ("disease", "name"):
            yield PoolName(value, "disease", source)
        elif path[-1] == "approvedSymbol":
            yield PoolName(value, "target", source)
        elif path[-1] == "queryString" and re.fullmatch(r"[A-Z][A-Z0-9]{2,7}", value):
            yield PoolName(value, "target", source)  # a gene symbol searched for (BRCA1)


_POOL_ID = re.compile(r"^(?:CHEMBL\d+|ENSG\d{11}|(?:EFO|MONDO|Orphanet|HP)_\d+)$")


def _record_ids(data: object, source: str) -> Iterator[PoolName]:
    for _path, value in _walk(data):
        if isinstance(value, str) and _POOL_ID.match(value):
            yield PoolName(value, "id", source)


def _pubmed_names(data: object, source: str) -> Iterator[PoolName]:
    for path, value in _walk(data):
        if path[-1:] == ("querytranslation",) and isinstance(value, str):
            first = re.match(r'"([A-Z][A-Z0-9]{2,7})"\[Title/Abstract\]', value)
            if first:
                yield PoolName(first[1], "target", source)  # "PTEN"[Title/Abstract] AND ...


def _words_of(text: str) -> str:
    """Text as a run of its words between single spaces, normalised as names are, so that a
    name is in a text when " name " is in it."""
    return " " + " ".join(re.findall(r"\w+", normal_name(text))) + " "


def _shipped_text() -> str:
    """Everything drafter ships in drafter/data, as words."""
    parts = [p.read_text("utf-8", errors="replace") for p in DRAFTER_DATA.rglob("*") if p.is_file()]
    return _words_of(" ".join(parts))


def random_pool() -> dict[str, list[PoolName]]:
    """Real names for "random" swaps, read from the recorded API examples (tests/data/
    api-examples, byte copies of the newsroom's shared api-examples; PROVENANCE.md there says
    where each file comes from) that are not part of drafter's snapshot, keeping only names
    that appear nowhere in drafter/data (so neither drafter's lexicon nor its snapshot knows
    them):

    * drug: Open Targets drug names (biomcp_clinical_{braf,egfr,erbb2}, biomcp_drug_
      pembrolizumab) and ClinicalTrials.gov interventions typed DRUG or BIOLOGICAL;
    * sponsor: ClinicalTrials.gov lead sponsors and collaborators, less INDIVIDUAL_SPONSORS;
    * target: Open Targets approved symbols (TP53, BRCA2, PDCD1), the symbol searched for in
      the Open Targets cassette (BRCA1), the genes of the PubMed esearch queries (PTEN, MLH1);
    * disease: ClinicalTrials.gov conditions, Open Targets disease names (less a bare
      "cancer");
    * nct: NCT ids of the ClinicalTrials.gov search answers;
    * id: ChEMBL, Ensembl, EFO, MONDO, Orphanet and HP ids of the Open Targets and ChEMBL
      answers.
    """
    snapshot = {p.name for p in DRAFTER_DATA.rglob("*") if p.is_file()}
    shipped = _shipped_text()
    found: dict[str, dict[str, PoolName]] = {}
    for path in sorted(API_EXAMPLES.rglob("*.json")):
        if path.name in snapshot:
            continue
        try:
            data = json.loads(path.read_text("utf-8"))
        except ValueError:
            continue
        source = str(path.relative_to(API_EXAMPLES))
        folder = path.parent.name
        readers: list[Callable[[object, str], Iterator[PoolName]]] = {
            "clinicaltrials": [_ctgov_names],
            "opentargets": [_opentargets_names, _record_ids],
            "chembl": [_record_ids],
            "pubmed": [_pubmed_names],
        }.get(folder, [])
        for reader in readers:
            for item in reader(data, source):
                name = item.name.strip()
                key = normal_name(name)
                if len(key) < 3 or key in GENERIC_DISEASES or key in _GENERIC_INTERVENTIONS:
                    continue
                if _words_of(name) in shipped:
                    continue  # drafter's lexicon or snapshot knows it
                found.setdefault(item.type, {}).setdefault(key, replace(item, name=name))
    return {t: sorted(v.values(), key=lambda p: p.name) for t, v in sorted(found.items())}


# --- cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Made:
    """A perturbed paragraph: its text, the changed span in it, and what was changed."""

    text: str
    start: int
    end: int
    before: str
    after: str
    expect: frozenset[str] = frozenset()  # facts that count as "the right fact"
    note: str = ""


@dataclass(frozen=True)
class Skip:
    reason: str


Made_ = Made | Skip | None  # None: the paragraph has no anchor of this kind (n/a)


@dataclass(frozen=True)
class Context:
    trial: Trial
    index: int  # paragraph index in trial.paragraphs
    rng: random.Random
    pool: dict[str, list[PoolName]]

    @property
    def paragraph(self) -> ParagraphInput:
        return self.trial.paragraphs[self.index]

    @property
    def clean(self) -> ParagraphReport:
        return self.trial.reports[self.index]

    @property
    def text(self) -> str:
        return self.paragraph.text


Generator = Callable[[Context], Made_]


@dataclass(frozen=True)
class Perturbation:
    name: str
    group: str  # typed, entity, added, benign, probe
    source: str  # bundle, random, rule
    make: Generator
    limit: str = ""  # a known limit of drafter.verify this perturbation runs into, if any


@dataclass
class Result:
    perturbation: Perturbation
    nct_id: str
    section: str
    index: int
    original: str
    made: Made
    anchors: list[CheckedAnchor]  # anchors of the perturbed paragraph overlapping the span
    failing: list[CheckedAnchor]  # failing anchors the clean paragraph did not have
    detected: bool
    right_fact: bool | None  # None: not detected, or nothing to name (an added sentence)
    named: str | None  # the fact the flag names (first failing anchor at the span)

    def excerpt(self, width: int = 70) -> str:
        text = self.made.text
        start = max(0, self.made.start - width)
        end = min(len(text), self.made.end + width)
        return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


@dataclass
class Evaluation:
    results: list[Result] = field(default_factory=list)
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)
    not_applicable: Counter[str] = field(default_factory=Counter)

    def of(self, perturbation: Perturbation) -> list[Result]:
        return [r for r in self.results if r.perturbation is perturbation]

    def recall(self, perturbations: Iterable[Perturbation]) -> tuple[int, int]:
        """Detected and all cases, over the given perturbations."""
        results = [r for p in perturbations for r in self.of(p)]
        return sum(r.detected for r in results), len(results)


# --- helpers ---------------------------------------------------------------------------------


def _quote_spans(text: str) -> list[tuple[int, int]]:
    return [(q.start, q.end) for q in find_quotations(text)]


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def _clean_at(ctx: Context, start: int, end: int) -> list[CheckedAnchor]:
    return [a for a in ctx.clean.anchors if a.start < end and start < a.end]


def _expected(ctx: Context, clean: CheckedAnchor) -> list[str | None]:
    """The facts a flag may name for a changed anchor: the one the clean anchor was verified
    by, and every other cited fact of its kind that says the same (when the primary completion
    and the completion date are one day, the verifier binds "Completion was on ..." to either;
    "Week 16" is in the outcome's measure and its time frame)."""
    fact = ctx.trial.verifier.facts.get(clean.fact_id or "")
    if fact is None:
        return [clean.fact_id]
    cited = [
        ctx.trial.verifier.facts[c] for c in ctx.paragraph.cites if c in ctx.trial.verifier.facts
    ]
    if clean.kind == "quote":
        said = _flat(clean.text)
        same = [f.id for f in cited if isinstance(f.value, str) and said in _flat(f.value)]
    else:
        same = [f.id for f in cited if f.kind == fact.kind and f.value == fact.value]
    return [clean.fact_id, *same]


def _splice(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _made(
    ctx: Context, start: int, end: int, new: str, expect: Iterable[str | None] = (), note: str = ""
) -> Made:
    text = ctx.text
    return Made(
        text=_splice(text, start, end, new),
        start=start,
        end=start + len(new),
        before=text[start:end],
        after=new,
        expect=frozenset(e for e in expect if e),
        note=note,
    )


def _typed(ctx: Context, kind: str) -> tuple[list[tuple[Anchor, CheckedAnchor]], str | None]:
    """The typed anchors of `kind` the clean check verified as such (outside quotations), and
    why there are none when the paragraph has some that are not usable."""
    if ctx.paragraph.kind not in CHECKED_PARAGRAPHS:
        return [], None
    quotes = _quote_spans(ctx.text)
    usable: list[tuple[Anchor, CheckedAnchor]] = []
    reason = None
    for anchor in extract_anchors(ctx.text):
        if anchor.kind != kind:
            continue
        if _overlaps(anchor.start, anchor.end, quotes):
            reason = reason or "inside a quotation"
            continue
        clean = [a for a in _clean_at(ctx, anchor.start, anchor.end) if a.kind == kind]
        if not clean:
            reason = reason or "read as part of a name"
            continue
        if clean[0].status in FAILING:
            reason = "the clean paragraph already fails it"
            continue
        usable.append((anchor, clean[0]))
    return usable, reason


def _none_or_skip(reason: str | None) -> Skip | None:
    return Skip(reason) if reason else None


_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?|\.\d+")


def _digits(anchor: Anchor) -> tuple[int, int, str] | None:
    """The written figure inside a number anchor ("33" of "33/100"), as absolute offsets."""
    found = _DIGITS.search(anchor.text)
    if not found:
        return None
    return anchor.start + found.start(), anchor.start + found.end(), found.group()


def _decimals(written: str) -> int:
    return len(written.split(".")[1]) if "." in written else 0


def _numeric(fact: Fact) -> float | None:
    if fact.kind not in ("count", "number", "score") or isinstance(fact.value, bool):
        return None
    return float(fact.value) if isinstance(fact.value, int | float) else None


def _format_number(value: float | Decimal, decimals: int, commas: bool) -> str:
    text = f"{Decimal(str(value)):.{decimals}f}" if decimals else str(round(value))
    if commas and decimals == 0 and abs(int(text)) >= 1000:
        text = f"{int(text):,}"
    return text


def _same_number(a: str, b: str) -> bool:
    return Decimal(a.replace(",", "")) == Decimal(b.replace(",", ""))


# --- typed perturbations ---------------------------------------------------------------------


def _number_anchors(
    ctx: Context,
) -> tuple[list[tuple[Anchor, CheckedAnchor, int, int, str]], str | None]:
    anchors, reason = _typed(ctx, "number")
    out = []
    for anchor, clean in anchors:
        if anchor.percent:
            reason = reason or "a percentage"
            continue
        written = _digits(anchor)
        if written is None:
            reason = reason or "written in words"
            continue
        out.append((anchor, clean, *written))
    return out, reason


def _number_swap(cited: bool) -> Generator:
    """Another number of the bundle, written to the same decimals. `cited`: a value some fact
    the paragraph cites holds (a value moved between cited fields: drafter.verify binds a
    number by value, a known limit); else a value only uncited facts hold."""

    def make(ctx: Context) -> Made_:
        anchors, reason = _number_anchors(ctx)
        if not anchors:
            return _none_or_skip(reason)
        _anchor, clean, start, end, written = ctx.rng.choice(anchors)
        decimals = _decimals(written)
        cites = set(ctx.paragraph.cites)
        cited_values = [
            _format_number(v, decimals, False)
            for f in ctx.trial.facts
            if f.id in cites and (v := _numeric(f)) is not None
        ]
        own = ctx.trial.verifier.facts.get(clean.fact_id or "")
        own_value = _numeric(own) if own else None
        values: set[str] = set()
        for fact in ctx.trial.facts:
            value = _numeric(fact)
            if value is None or value < 0 or value.is_integer() != (decimals == 0):
                continue
            new = _format_number(value, decimals, "," in written)
            if _same_number(new, written) or (decimals and float(new.replace(",", "")) == 0):
                continue
            if own_value is not None and _same_number(
                new, _format_number(own_value, decimals, False)
            ):
                continue
            if any(_same_number(new, held) for held in cited_values) == cited:
                values.add(new)
        if not values:
            return Skip(f"no other {'cited' if cited else 'uncited'} number of this form")
        new = ctx.rng.choice(sorted(values))
        return _made(ctx, start, end, new, _expected(ctx, clean))

    return make


def _digit_transposition(ctx: Context) -> Made_:
    anchors, reason = _number_anchors(ctx)
    if not anchors:
        return _none_or_skip(reason)
    options = []
    for _anchor, clean, start, end, written in anchors:
        for i in range(len(written) - 1):
            a, b = written[i], written[i + 1]
            if not (a.isdigit() and b.isdigit()) or a == b:
                continue
            new = written[:i] + b + a + written[i + 2 :]
            if new[0] == "0" and len(new.split(".")[0]) > 1:
                continue  # "10.7" → "01.7" is no figure
            options.append((start, end, new, clean))
    if not options:
        return Skip("no two different adjacent digits")
    start, end, new, clean = ctx.rng.choice(options)
    return _made(ctx, start, end, new, _expected(ctx, clean))


_MRS_SCORE = re.compile(r"^mrs:[^:]+:(?:total|components\.[a-z_]+)$")


def _mrs_score_change(ctx: Context) -> Made_:
    anchors, _ = _number_anchors(ctx)
    scores = [a for a in anchors if _MRS_SCORE.match(a[1].fact_id or "")]
    if not scores:
        return None
    _anchor, clean, start, end, written = ctx.rng.choice(scores)
    decimals = _decimals(written)
    unit = Decimal(1).scaleb(-decimals)
    old = Decimal(written)
    steps = [k for k in range(-5, 6) if k and Decimal(0) <= old + k * unit <= Decimal(100)]
    new_value = old + ctx.rng.choice(steps) * unit
    return _made(ctx, start, end, f"{new_value:.{decimals}f}", _expected(ctx, clean))


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_STYLES = {
    "dmy": re.compile(rf"^\d{{1,2}} (?:{'|'.join(_MONTHS)}) \d{{4}}$"),
    "mdy": re.compile(rf"^(?:{'|'.join(_MONTHS)}) \d{{1,2}}, \d{{4}}$"),
    "my": re.compile(rf"^(?:{'|'.join(_MONTHS)}) \d{{4}}$"),
    "iso-d": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "iso-m": re.compile(r"^\d{4}-\d{2}$"),
    "y": re.compile(r"^\d{4}$"),
}
_STYLE_PRECISION = {"dmy": 3, "mdy": 3, "iso-d": 3, "my": 2, "iso-m": 2, "y": 1}


def _style(written: str) -> str | None:
    return next((name for name, pattern in _STYLES.items() if pattern.match(written)), None)


def _format_date(value: str, style: str) -> str:
    """An ISO date (at least as precise as the style) written in `style`."""
    parts = [int(p) for p in value.split("-")]
    year = parts[0]
    month = _MONTHS[parts[1] - 1] if len(parts) > 1 else ""
    if style == "dmy":
        return f"{parts[2]} {month} {year}"
    if style == "mdy":
        return f"{month} {parts[2]}, {year}"
    if style == "my":
        return f"{month} {year}"
    if style == "iso-d":
        return f"{year:04d}-{parts[1]:02d}-{parts[2]:02d}"
    if style == "iso-m":
        return f"{year:04d}-{parts[1]:02d}"
    return f"{year:04d}"


def _date_anchors(ctx: Context) -> tuple[list[tuple[Anchor, CheckedAnchor, str]], str | None]:
    anchors, reason = _typed(ctx, "date")
    out = []
    for anchor, clean in anchors:
        style = _style(anchor.text)
        if style is None or anchor.through or str(anchor.value).startswith("--"):
            reason = reason or "a date form the harness does not rewrite"
            continue
        out.append((anchor, clean, style))
    return out, reason


def _date_swap(ctx: Context) -> Made_:
    anchors, reason = _date_anchors(ctx)
    if not anchors:
        return _none_or_skip(reason)
    anchor, clean, style = ctx.rng.choice(anchors)
    precision = _STYLE_PRECISION[style]
    values = set()
    for fact in ctx.trial.facts:
        if fact.kind != "date" or not isinstance(fact.value, str):
            continue
        parts = fact.value.split("-")
        if len(parts) < precision or not all(p.isdigit() for p in parts):
            continue
        cut = "-".join(parts[:precision])
        if cut != str(anchor.value)[: len(cut)] or len(cut) != len(str(anchor.value)):
            values.add(cut)
    values.discard(str(anchor.value))
    if not values:
        return Skip("no other date of the bundle at this precision")
    new = _format_date(ctx.rng.choice(sorted(values)), style)
    return _made(ctx, anchor.start, anchor.end, new, _expected(ctx, clean))


def _date_false_precision(ctx: Context) -> Made_:
    anchors, reason = _date_anchors(ctx)
    coarse = [a for a in anchors if _STYLE_PRECISION[a[2]] < 3]
    if not coarse:
        quotes = _quote_spans(ctx.text)
        quoted = [
            a
            for a in extract_anchors(ctx.text)
            if a.kind == "date" and a.precision != "day" and _overlaps(a.start, a.end, quotes)
        ]
        return Skip("inside a quotation") if quoted and reason else None
    anchor, clean, style = ctx.rng.choice(coarse)
    fact = ctx.trial.verifier.facts.get(clean.fact_id or "")
    fact_day = None
    if fact is not None and isinstance(fact.value, str) and len(fact.value.split("-")) == 3:
        fact_day = int(fact.value.split("-")[2])
    day = ctx.rng.choice([d for d in range(1, 29) if d != fact_day])
    value = str(anchor.value)
    if len(value) == 4:
        value += f"-{ctx.rng.randrange(1, 13):02d}"
    value += f"-{day:02d}"
    new = _format_date(value, "iso-d" if style == "iso-m" else "dmy")
    return _made(ctx, anchor.start, anchor.end, new, _expected(ctx, clean))


def _id_anchors(ctx: Context, nct: bool) -> tuple[list[tuple[Anchor, CheckedAnchor]], str | None]:
    anchors, reason = _typed(ctx, "id")
    return [a for a in anchors if str(a[0].value).startswith("NCT") == nct], reason


def _nct_swap(source: str) -> Generator:
    def make(ctx: Context) -> Made_:
        anchors, reason = _id_anchors(ctx, nct=True)
        if not anchors:
            return _none_or_skip(reason)
        anchor, clean = ctx.rng.choice(anchors)
        bundle_ids = {
            str(f.value).upper()
            for f in ctx.trial.facts
            if f.kind == "id" and str(f.value).upper().startswith("NCT")
        }
        if source == "bundle":
            values = sorted(bundle_ids - {str(anchor.value)})
        else:
            values = sorted({p.name for p in ctx.pool.get("nct", [])} - bundle_ids)
        if not values:
            return Skip(f"no other NCT id ({source})")
        return _made(ctx, anchor.start, anchor.end, ctx.rng.choice(values), _expected(ctx, clean))

    return make


def _id_prefix(value: str) -> str:
    found = re.match(r"[A-Z_:]+", value)
    return found.group() if found else ""


def _id_swap(source: str) -> Generator:
    """Another id of the same prefix (CHEMBL, ENSG, HGNC:, ...): the bundle's, or a real one
    from the pool."""

    def make(ctx: Context) -> Made_:
        anchors, reason = _id_anchors(ctx, nct=False)
        if not anchors:
            return _none_or_skip(reason)
        anchor, clean = ctx.rng.choice(anchors)
        prefix = _id_prefix(str(anchor.value))
        bundle = {str(f.value) for f in ctx.trial.facts if f.kind == "id"}
        if source == "bundle":
            candidates = bundle
        else:
            candidates = {p.name for p in ctx.pool.get("id", [])} - bundle
        values = sorted(
            v
            for v in candidates
            if prefix and _id_prefix(v.upper()) == prefix and v.upper() != str(anchor.value)
        )
        if not values:
            return Skip(f"no other {prefix or 'such'} id ({source})")
        return _made(ctx, anchor.start, anchor.end, ctx.rng.choice(values), _expected(ctx, clean))

    return make


_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}
_ARABIC = {v: k for k, v in _ROMAN.items()}
_PHASE_TEXT = re.compile(r"(?i)^(?P<word>(?:early\s+)?phases?)(?P<sep>[\s\-]*)(?P<rest>.+)$")


def _phase_numbers(label: str) -> set[str]:
    return set(re.findall(r"PHASE(\d)", label))


def _write_phase(label: str, like: str) -> str | None:
    """A phase label ("PHASE2", "PHASE1/PHASE2") written like `like` ("Phase 2", "phase II")."""
    found = _PHASE_TEXT.match(like)
    numbers = sorted(_phase_numbers(label))
    if not found or not numbers or label.startswith("EARLY"):
        return None
    roman = bool(re.match(r"[IVX]+\b", found["rest"]))
    word = found["word"]
    if word.casefold().startswith("early"):
        word = word.split()[-1]
    written = "/".join(_ROMAN[n] if roman else n for n in numbers)
    return f"{word}{found['sep'] or ' '}{written}"


def _phase_swap(ctx: Context) -> Made_:
    anchors, reason = _typed(ctx, "phase")
    if not anchors:
        return _none_or_skip(reason)
    anchor, clean = ctx.rng.choice(anchors)
    old = _phase_numbers(str(anchor.value)) or {"1"}
    bundle = {
        label
        for f in ctx.trial.facts
        if f.kind == "phase" and (label := phase_of_fact(str(f.value)))
    }
    # a replacement sharing no phase with the original: "Phase 2" for PHASE2/PHASE3 is fuzzy
    # by design (an overlap), not an error
    options = sorted(p for p in bundle if _phase_numbers(p) and not _phase_numbers(p) & old)
    note = "bundle"
    if not options:
        options = [f"PHASE{n}" for n in "1234" if n not in old]
        note = "rule"
    new = _write_phase(ctx.rng.choice(options), anchor.text)
    if new is None:
        return Skip("a phase form the harness does not rewrite")
    return _made(ctx, anchor.start, anchor.end, new, _expected(ctx, clean), note)


_STATUS_WORD = re.compile(r"(?i)\b(terminated|withdrawn|suspended|completed)\b")


def _status_swap(ctx: Context) -> Made_:
    if ctx.paragraph.kind not in CHECKED_PARAGRAPHS:
        return None
    quotes = _quote_spans(ctx.text)
    names = [(a.start, a.end) for a in ctx.clean.anchors if a.kind in ("name", "quote")]
    found = [
        m
        for m in _STATUS_WORD.finditer(ctx.text)
        if not _overlaps(m.start(), m.end(), quotes + names)
    ]
    if not found:
        return None
    match = ctx.rng.choice(found)
    status = next(
        (str(f.value).casefold() for f in ctx.trial.facts if f.id.endswith(":overall_status")), ""
    )
    words = [w for w in ("terminated", "withdrawn", "suspended", "completed")]
    options = [w for w in words if w not in (match.group().casefold(), status)]
    new = ctx.rng.choice(options)
    if match.group()[0].isupper():
        new = new.capitalize()
    expect = [a.fact_id for a in _clean_at(ctx, match.start(), match.end())]
    expect.append(f"ctgov:{ctx.trial.nct_id}:overall_status")
    return _made(ctx, match.start(), match.end(), new, expect)


_QUALIFIER = re.compile(r"\((actual|estimated|anticipated)\)")


def _qualifier_swap(ctx: Context) -> Made_:
    if ctx.paragraph.kind not in CHECKED_PARAGRAPHS:
        return None
    quotes = _quote_spans(ctx.text)
    found = [m for m in _QUALIFIER.finditer(ctx.text) if not _overlaps(m.start(), m.end(), quotes)]
    if not found:
        return None
    match = ctx.rng.choice(found)
    new = ctx.rng.choice(["estimated", "anticipated"]) if match[1] == "actual" else "actual"
    expect = [a.fact_id for a in _clean_at(ctx, match.start(1), match.end(1))]
    return _made(ctx, match.start(1), match.end(1), new, expect)


# --- names -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _NameSpot:
    start: int
    end: int
    group: NameGroup


def _name_spots(ctx: Context, name_type: NameType) -> tuple[list[_NameSpot], str | None]:
    """Where the paragraph names a thing of the bundle of this type (outside quotations): the
    values of the bundle's name facts, longest first, case-insensitively."""
    if ctx.paragraph.kind not in CHECKED_PARAGRAPHS:
        return [], None
    group_of = {f: g for g in ctx.trial.groups for f in g.facts}
    aliases: dict[str, NameGroup] = {}
    for fact in ctx.trial.facts:
        if name_type_of(fact) == name_type and fact.id in group_of:
            aliases.setdefault(str(fact.value).strip(), group_of[fact.id])
    quotes = _quote_spans(ctx.text)
    taken: list[tuple[int, int]] = []
    spots: list[_NameSpot] = []
    reason = None
    for alias in sorted(aliases, key=len, reverse=True):
        if len(alias) < 2:
            continue
        flags = 0 if len(alias) <= 6 and alias.isupper() else re.IGNORECASE
        pattern = re.compile(rf"(?<![\w\-]){re.escape(alias)}(?![\w]|-\w)", flags)
        for found in pattern.finditer(ctx.text):
            start, end = found.span()
            if _overlaps(start, end, taken):
                continue
            taken.append((start, end))
            if _overlaps(start, end, quotes):
                reason = reason or "inside a quotation"
                continue
            other = [a for a in _clean_at(ctx, start, end) if a.kind not in ("name",)]
            if other:
                reason = reason or f"inside a {other[0].kind} anchor"
                continue
            spots.append(_NameSpot(start, end, aliases[alias]))
    spots.sort(key=lambda s: s.start)
    return spots, reason


def _cased_like(name: str, like: str) -> str:
    """A pool name in the casing the draft wrote the original in (sources give "VEMURAFENIB",
    "breast cancer"; the draft wrote "Daxdilimab", "Discoid Lupus Erythematosus"). A code or
    a gene symbol keeps its form; a word in place of a code ("BG-60366") is written as prose
    writes an INN, in lower case."""
    if any(c.isdigit() for c in name) or (len(name) <= 6 and name.isupper()):
        return name
    if any(c.isdigit() for c in like):
        return name.lower() if name.isupper() else name
    if like.islower():
        return name.lower()
    if like.isupper():
        return name.upper()
    if name.isupper() or name.islower():
        if " " in like.strip() and all(w[:1].isupper() for w in like.split()):
            return " ".join(w.capitalize() for w in name.lower().split())
        return name[:1].upper() + name[1:].lower()
    return name


def _name_swap(name_type: NameType, source: str) -> Generator:
    def make(ctx: Context) -> Made_:
        spots, reason = _name_spots(ctx, name_type)
        if not spots:
            return _none_or_skip(reason)
        spot = ctx.rng.choice(spots)
        written = ctx.text[spot.start : spot.end]
        own = {normal_name(a) for a in spot.group.aliases}
        bundle_names = {
            normal_name(a) for g in ctx.trial.groups if g.type == name_type for a in g.aliases
        }
        if source == "bundle":
            values = sorted(
                a
                for g in ctx.trial.groups
                if g.type == name_type and g.key != spot.group.key
                for a in g.aliases
                if normal_name(a) not in own
                and normal_name(a) not in normal_name(written)
                and normal_name(written) not in normal_name(a)
            )
        else:
            values = sorted(
                _cased_like(p.name, written)
                for p in ctx.pool.get(name_type, [])
                if normal_name(p.name) not in bundle_names
            )
        if not values:
            return Skip(f"no other {name_type} ({source})")
        new = ctx.rng.choice(values)
        expect = [*spot.group.facts, *(a.fact_id for a in _clean_at(ctx, spot.start, spot.end))]
        return _made(ctx, spot.start, spot.end, new, expect)

    return make


# --- quotations ------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]{2,}")


def _flat(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"[‘’`]", "'", folded)
    folded = re.sub(r"[“”«»]", '"', folded)
    folded = re.sub(r"[‐‑–—−]", "-", folded)
    return re.sub(r"\s+", " ", folded).strip(" .,;:")


def _altered_quote(ctx: Context) -> Made_:
    if ctx.paragraph.kind not in CHECKED_PARAGRAPHS:
        return None
    quotes = []
    for quotation in find_quotations(ctx.text):
        clean = [
            a
            for a in _clean_at(ctx, quotation.inner_start, quotation.inner_end)
            if a.kind == "quote"
        ]
        if clean and clean[0].status not in FAILING and _WORD.search(quotation.text):
            quotes.append((quotation, clean[0]))
    if not quotes:
        return None
    quotation, clean = ctx.rng.choice(quotes)
    words = list(_WORD.finditer(quotation.text))
    vocabulary = sorted(
        {
            w.group()
            for f in ctx.trial.facts
            if f.kind in ("quote", "text") and isinstance(f.value, str) and f.id != clean.fact_id
            for w in _WORD.finditer(f.value)
        }
    )
    operations = ["swap a word", "insert 'not'"] + (["drop a word"] if len(words) >= 3 else [])
    sources = [_flat(f.value) for f in ctx.trial.facts if isinstance(f.value, str)]
    inner = quotation.text
    for _attempt in range(8):  # a change that leaves a source's words (a dropped first word)
        operation = ctx.rng.choice(operations)
        word = ctx.rng.choice(words)
        if operation == "swap a word":
            others = [w for w in vocabulary if w.casefold() != word.group().casefold()]
            new_inner = _splice(inner, word.start(), word.end(), ctx.rng.choice(others))
        elif operation == "insert 'not'":
            new_inner = _splice(inner, word.start(), word.start(), "not ")
        else:
            end = word.end() + (word.end() < len(inner) and inner[word.end()] == " ")
            new_inner = _splice(inner, word.start(), end, "")
        flat = _flat(new_inner)
        if flat and not any(flat in source for source in sources):
            return _made(
                ctx,
                quotation.inner_start,
                quotation.inner_end,
                new_inner,
                _expected(ctx, clean),
                note=operation,
            )
    return Skip("every change tried left a source's words")


# --- added sentences -------------------------------------------------------------------------

_ADDED_NUMBER = [
    "The trial enrolled {n} participants.",
    "An interim analysis included {n} patients.",
    "Dosing continued for {n} days.",
    "The sponsor reported {n} serious adverse events.",
]
_ADDED_DATE = [
    "The sponsor announced the decision on {d}.",
    "Enrollment was paused on {d}.",
]


def _held_numbers(trial: Trial) -> set[int]:
    return {round(v) for f in trial.facts if (v := _numeric(f)) is not None}


def _append(ctx: Context, sentence: str, value: str) -> Made:
    text = ctx.text.rstrip()
    joined = f"{text} {sentence}"
    start = len(text) + 1 + sentence.index(value)
    return Made(joined, start, start + len(value), "", value, frozenset(), sentence)


def _added_number(ctx: Context) -> Made_:
    if ctx.paragraph.kind not in CHECKED_PARAGRAPHS:
        return None
    held = _held_numbers(ctx.trial)
    n = ctx.rng.choice([v for v in range(13, 988) if v not in held and v % 100])
    sentence = ctx.rng.choice(_ADDED_NUMBER).format(n=n)
    return _append(ctx, sentence, str(n))


def _added_date(ctx: Context) -> Made_:
    if ctx.paragraph.kind not in CHECKED_PARAGRAPHS:
        return None
    held = {
        str(f.value)[:4] for f in ctx.trial.facts if f.kind == "date" and isinstance(f.value, str)
    }
    year = ctx.rng.choice([y for y in range(2005, 2026) if str(y) not in held] or [1999])
    written = f"{ctx.rng.randrange(1, 29)} {ctx.rng.choice(_MONTHS)} {year}"
    sentence = ctx.rng.choice(_ADDED_DATE).format(d=written)
    return _append(ctx, sentence, written)


# --- the negation probe (a known limit) ------------------------------------------------------

_NEGATABLE = re.compile(r"\b(?:(?P<met>met)|(?P<aux>was|were|is|are|has|had)(?=\s)(?!\s+not\b))")


def _negation(ctx: Context) -> Made_:
    if ctx.paragraph.kind not in CHECKED_PARAGRAPHS:
        return None
    quotes = _quote_spans(ctx.text)
    found = [m for m in _NEGATABLE.finditer(ctx.text) if not _overlaps(m.start(), m.end(), quotes)]
    if not found:
        return None
    match = ctx.rng.choice(found)
    if match["met"]:
        return _made(ctx, match.start(), match.end(), "did not meet")
    return _made(ctx, match.start(), match.end(), f"{match.group()} not")


# --- benign rewrites -------------------------------------------------------------------------

_ONES = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """An integer below a million in words: 72 → "seventy-two", 105 → "one hundred and five"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if not rest else " and " + number_words(rest))
    rest = n % 1000
    head = number_words(n // 1000) + " thousand"
    if not rest:
        return head
    return head + (" and " if rest < 100 else " ") + number_words(rest)


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:"


def _benign_number_words(ctx: Context) -> Made_:
    anchors, reason = _number_anchors(ctx)
    usable = [
        a
        for a in anchors
        if a[0].out_of is None and "," not in a[4] and "." not in a[4] and int(a[4]) < 1000
    ]
    if not usable:
        return _none_or_skip(reason if not anchors else None)
    _anchor, clean, start, end, written = ctx.rng.choice(usable)
    words = number_words(int(written))
    if _sentence_start(ctx.text, start) and not ctx.text[:start].rstrip().endswith(":"):
        words = words.capitalize()
    return _made(ctx, start, end, words, [clean.fact_id])


def _benign_thousands(ctx: Context) -> Made_:
    anchors, _ = _number_anchors(ctx)
    usable = [a for a in anchors if "." not in a[4] and int(a[4].replace(",", "")) >= 1000]
    if not usable:
        return None
    _anchor, clean, start, end, written = ctx.rng.choice(usable)
    value = int(written.replace(",", ""))
    new = str(value) if "," in written else f"{value:,}"
    return _made(ctx, start, end, new, [clean.fact_id])


def _benign_date_format(ctx: Context) -> Made_:
    anchors, reason = _date_anchors(ctx)
    usable = [a for a in anchors if _STYLE_PRECISION[a[2]] >= 2]
    if not usable:
        return _none_or_skip(reason if not anchors else None)
    anchor, clean, style = ctx.rng.choice(usable)
    if _STYLE_PRECISION[style] == 3:
        options = [s for s in ("dmy", "mdy", "iso-d") if s != style]
    else:
        options = [s for s in ("my", "iso-m") if s != style]
    new = _format_date(str(anchor.value), ctx.rng.choice(options))
    return _made(ctx, anchor.start, anchor.end, new, [clean.fact_id])


def _benign_rounding(ctx: Context) -> Made_:
    anchors, reason = _number_anchors(ctx)
    usable = []
    for anchor, clean, start, end, written in anchors:
        fact = ctx.trial.verifier.facts.get(clean.fact_id or "")
        value = _numeric(fact) if fact else None
        if "." in written and value is not None:
            usable.append((anchor, clean, start, end, written, value))
    if not usable:
        return _none_or_skip(reason if not anchors else None)
    _anchor, clean, start, end, written, value = ctx.rng.choice(usable)
    fewer = _decimals(written) - 1
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-fewer), rounding=ROUND_HALF_UP)
    new = f"{rounded:.{fewer}f}"
    if new == written:
        return Skip("rounding changes nothing")
    return _made(ctx, start, end, new, [clean.fact_id])


def _benign_roman_phase(ctx: Context) -> Made_:
    anchors, reason = _typed(ctx, "phase")
    usable = [(a, c) for a, c in anchors if re.search(r"\d", a.text)]
    if not usable:
        return _none_or_skip(reason if not anchors else None)
    anchor, clean = ctx.rng.choice(usable)
    new = re.sub(r"(?<![\d.])([1-4])(?![\d.])", lambda m: _ROMAN[m[1]], anchor.text)
    if new == anchor.text:
        return Skip("a phase form the harness does not rewrite")
    return _made(ctx, anchor.start, anchor.end, new, [clean.fact_id])


def _benign_alias(ctx: Context) -> Made_:
    spots: list[_NameSpot] = []
    for name_type in ("drug", "target"):
        found, _ = _name_spots(ctx, name_type)
        spots.extend(found)
    if not spots:
        return None
    spot = ctx.rng.choice(spots)
    written = ctx.text[spot.start : spot.end]
    compact = normal_name(written).replace(" ", "")
    options = sorted(a for a in spot.group.aliases if normal_name(a).replace(" ", "") != compact)
    if not options:
        return Skip("the name has no other alias in the bundle")
    return _made(ctx, spot.start, spot.end, ctx.rng.choice(options), spot.group.facts)


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[”\"]?\s+(?=[A-Za-z0-9“\"])")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|vs|Inc|Ltd|Co|Corp|Dr|No|St|approx|al)|\b[A-Z])\.$")


def sentences(text: str) -> list[str]:
    """A paragraph's sentences (never split inside a quotation or after an abbreviation)."""
    quotes = _quote_spans(text)
    cuts = [0]
    for found in _SENTENCE_BREAK.finditer(text):
        start = found.start()
        if any(s < start < e - 1 for s, e in quotes):
            continue  # inside a quotation (a break right before its closing mark is fine)
        if _ABBREVIATION.search(text[cuts[-1] : start]):
            continue
        cuts.append(found.end())
    return [text[a:b].strip() for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)]


def _benign_reorder(ctx: Context) -> Made_:
    if ctx.paragraph.kind not in CHECKED_PARAGRAPHS:
        return None
    parts = sentences(ctx.text)
    if len(parts) < 2:
        return None
    order = list(range(len(parts)))
    while order == sorted(order):
        ctx.rng.shuffle(order)
    new = " ".join(parts[i] for i in order)
    return Made(new, 0, len(new), ctx.text, new, frozenset(), "reordered")


# --- the catalogue ---------------------------------------------------------------------------

PERTURBATIONS: list[Perturbation] = [
    Perturbation("number swap (uncited value)", "typed", "bundle", _number_swap(cited=False)),
    Perturbation(
        "number swap (cited value)",
        "typed",
        "bundle",
        _number_swap(cited=True),
        limit="KNOWN_LIMITS: two cited values swapped with each other are not detected",
    ),
    Perturbation("digit transposition", "typed", "rule", _digit_transposition),
    Perturbation("MRS score change", "typed", "rule", _mrs_score_change),
    Perturbation("date swap", "typed", "bundle", _date_swap),
    Perturbation("date made falsely precise", "typed", "rule", _date_false_precision),
    Perturbation("NCT id swap", "typed", "bundle", _nct_swap("bundle")),
    Perturbation("NCT id swap", "typed", "random", _nct_swap("random")),
    Perturbation("other id swap", "typed", "bundle", _id_swap("bundle")),
    Perturbation("other id swap", "typed", "random", _id_swap("random")),
    Perturbation("phase swap", "typed", "bundle", _phase_swap),
    Perturbation("status swap", "typed", "rule", _status_swap),
    Perturbation("actual/estimated swap", "typed", "rule", _qualifier_swap),
    Perturbation("altered quotation", "typed", "bundle", _altered_quote),
    *(
        Perturbation(f"{name_type} swap", "entity", source, _name_swap(name_type, source))
        for name_type in ("drug", "sponsor", "target", "disease")
        for source in ("bundle", "random")
    ),
    Perturbation("added sentence, number", "added", "random", _added_number),
    Perturbation("added sentence, date", "added", "random", _added_date),
]
BENIGN: list[Perturbation] = [
    Perturbation("number words", "benign", "rule", _benign_number_words),
    Perturbation("thousands separator", "benign", "rule", _benign_thousands),
    Perturbation("date format", "benign", "rule", _benign_date_format),
    Perturbation("rounding to fewer decimals", "benign", "rule", _benign_rounding),
    Perturbation("Phase 2 → Phase II", "benign", "rule", _benign_roman_phase),
    Perturbation("alias (drug, target)", "benign", "bundle", _benign_alias),
    Perturbation("reordered sentences", "benign", "rule", _benign_reorder),
]
NEGATION = Perturbation(
    "negation ('met' → 'did not meet', 'was' → 'was not')", "probe", "rule", _negation
)


def label(p: Perturbation) -> str:
    return f"{p.name} [{p.source}]"


# --- running ---------------------------------------------------------------------------------


def _rng(seed: int, trial: Trial, index: int, perturbation: Perturbation) -> random.Random:
    paragraph = trial.paragraphs[index]
    key = f"{seed}|{trial.nct_id}|{paragraph.section}|{paragraph.index}|{label(perturbation)}"
    return random.Random(key)


def _failing(report: ParagraphReport) -> Counter[str]:
    return Counter(a.kind for a in report.anchors if a.status in FAILING)


def evaluate(
    trials: Sequence[Trial],
    perturbations: Sequence[Perturbation],
    pool: dict[str, list[PoolName]],
    seed: int = SEED,
) -> Evaluation:
    """Every perturbation on every paragraph of every trial, checked."""
    out = Evaluation()
    for trial in trials:
        for index, paragraph in enumerate(trial.paragraphs):
            for perturbation in perturbations:
                ctx = Context(trial, index, _rng(seed, trial, index, perturbation), pool)
                made = perturbation.make(ctx)
                if made is None:
                    out.not_applicable[label(perturbation)] += 1
                    continue
                if isinstance(made, Skip):
                    out.skipped[(label(perturbation), made.reason)] += 1
                    continue
                out.results.append(_check(trial, index, paragraph, perturbation, made))
    return out


def _check(
    trial: Trial, index: int, paragraph: ParagraphInput, perturbation: Perturbation, made: Made
) -> Result:
    report = trial.verifier.check(replace(paragraph, text=made.text))
    clean = _failing(trial.reports[index])
    new = _failing(report)
    grew = {kind for kind in new if new[kind] > clean[kind]}
    failing = [a for a in report.anchors if a.status in FAILING and a.kind in grew]
    at = [
        a for a in report.anchors if a.start < max(made.end, made.start + 1) and made.start < a.end
    ]
    named = None
    if perturbation.group in ("benign", "probe"):
        detected = bool(failing)
        right: bool | None = None
    else:
        hits = [a for a in at if a.status in FAILING]
        detected = bool(hits)
        right = any(a.fact_id in made.expect for a in hits) if made.expect and detected else None
        right_hits = [a for a in hits if a.fact_id in made.expect]
        named = (right_hits or hits)[0].fact_id if hits else None
    return Result(
        perturbation=perturbation,
        nct_id=trial.nct_id,
        section=paragraph.section,
        index=paragraph.index,
        original=paragraph.text,
        made=made,
        anchors=at,
        failing=failing,
        detected=detected,
        right_fact=right,
        named=named,
    )


def describe(anchor: CheckedAnchor) -> str:
    kind = f"{anchor.kind}/{anchor.name_type}" if anchor.name_type else anchor.kind
    return f"{kind} {anchor.text!r}: {anchor.status} ({anchor.fact_id or '-'}) — {anchor.reason}"
