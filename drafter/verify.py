"""Check every anchor of a draft against the evidence it was drafted from.

An anchor is a place in the prose that states something a source can confirm: a number, date,
phase or identifier (drafter.anchors), a quotation (drafter.quotes), a drug, sponsor, target or
disease name (drafter.names), a trial status ("terminated"), or whether an enrollment figure is
actual or estimated. Each is matched against facts of its own type only, never against "any
value anywhere in the bundle":

* verified — a fact the paragraph cites supports it (a quotation: the fact's text holds it
  verbatim; a name: an alias of the named thing whose fact, or a fact about that record, is
  cited; a qualifier: the supporting number fact is ACTUAL or ESTIMATED as said).
* fuzzy — a near match: a number rounded to fewer decimals, a phase that only overlaps, a name
  matched after dropping a suffix or within a small edit distance, a quotation equal only with
  case folded.
* mismatch — the paragraph cites a fact of the anchor's type and that fact says something else.
  This holds even when some other, uncited fact of the bundle would support the anchor: a
  value moved from one field to another ("99 participants" where the paragraph cites the
  current enrollment, and 99 is an earlier estimate) is the swap a reviewer must see.
* verified_uncited — some fact of the type supports it, and the paragraph cites none of the type
  (a sentence an editor added, or a name said in passing).
* untraceable — no fact of the type holds it.
* unsupported_precision — more precise than the fact ("15 March 2021" for "2021-03").
* background — any anchor of a paragraph marked background: for the editor, not checked.

Typed anchors inside a verified quotation are the quotation's (the source's words), so they are
not checked again; inside a quotation that fails they are checked like any other.
Per draft: anchor coverage (verified or fuzzy over all anchors but background), citation recall
(fact paragraphs whose every anchor a cited fact supports) and citation precision (cited facts
of a checkable kind that support some anchor of their paragraph), as ALCE defines them for
sentences, computed at the paragraph level because citations are per paragraph.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from drafter.anchors import Anchor, FactIndex, Support, accepted, extract_anchors
from drafter.bundle import Bundle, SourceRecord
from drafter.draft_model import Draft
from drafter.errors import BadInput
from drafter.facts import Fact, entity_key, slug
from drafter.framing import Framing, failure_words
from drafter.names import NameFinder, NameGroup, NameHit, Occupied, normal_name
from drafter.quotes import (
    QUOTABLE_KINDS,
    Quotation,
    find_quotations,
    nearest_quote,
    normal_quote,
    quote_match,
    quote_parts,
)
from drafter.sources import deadline
from drafter.verify_model import (
    STATUSES,
    Checked,
    CheckedAnchor,
    CitesFrom,
    FactView,
    NameType,
    ParagraphReport,
    VerifyCounts,
    VerifyReport,
    VerifyStatus,
)

KNOWN_LIMITS = [
    "Negation and direction are not read: 'met' and 'did not meet', 'more than 70' and '70' "
    "check the same.",
    "A value binds to a field by the sentence's wording (a date's cue, a count's noun, a "
    "'Label: value' list, a score's scale, a component's maximum, a phase bucket) and "
    "otherwise by value and type among the paragraph's citations: two cited values swapped "
    "in prose that names neither field are not detected.",
    "Free-text claims without an anchor (causes, mechanisms, judgements) are not checked: "
    "read them.",
    "The Sources and Related failure claims listings are drafter's rendering of facts: their "
    "anchors are not checked, and in an edited draft.md any change to them is a problem.",
]
# A real draft has a few hundred anchors; an input with a hundred times that is not a draft.
MAX_ANCHORS = 50_000
_CHECKED_KINDS = frozenset({"count", "number", "score", "date", "phase", "id", "quote", "text"})
_FACT_PARAGRAPHS = frozenset({"fact", "conflict", "summary"})

_STATUS_WORDS = {
    "terminated": "TERMINATED",
    "withdrawn": "WITHDRAWN",
    "suspended": "SUSPENDED",
    "completed": "COMPLETED",
    "recruiting": "RECRUITING",
    "not yet recruiting": "NOT_YET_RECRUITING",
    "active, not recruiting": "ACTIVE_NOT_RECRUITING",
    "enrolling by invitation": "ENROLLING_BY_INVITATION",
}
_STATUS_ALTERNATION = "|".join(re.escape(w) for w in sorted(_STATUS_WORDS, key=len, reverse=True))


@dataclass(frozen=True)
class _Enum:
    """Words that state one of a field's values ("terminated", "yellow band", "classified as
    efficacy", "no results have been posted"), the fact field that holds it, and the value."""

    pattern: re.Pattern[str]  # the value's words in group "v"
    field: str  # fact ids ending so hold it
    value: Callable[[str], str]  # the words → the fact's value, upper-cased


_ENUMS = (
    _Enum(
        re.compile(
            rf"(?i:\b(?:was|is|were|are|been|being|remains?|listed as|lists it as|status:?|"
            rf"status is|status was)\s+(?:now\s+|formally\s+|officially\s+|still\s+)?"
            rf"(?P<v>{_STATUS_ALTERNATION})\b)"
        ),
        ":overall_status",
        lambda words: _STATUS_WORDS[words.casefold()],
    ),
    _Enum(
        re.compile(r"\btrial\s+NCT\d{8}\s+(?P<v>terminated|withdrawn|suspended|completed)\b"),
        ":overall_status",
        str.upper,
    ),
    _Enum(
        re.compile(r"(?i:\b(?P<v>terminated|withdrawn|suspended)\s+(?:trial|study)\b)"),
        ":overall_status",
        str.upper,
    ),
    _Enum(
        re.compile(
            r"(?i:\b(?P<v>green|yellow|red)\s+band\b|\bband:?\s+(?P<w>green|yellow|red)\b)"
            r"|\((?P<x>GREEN|YELLOW|RED)\)"
        ),
        ":band",
        str.upper,
    ),
    _Enum(
        re.compile(
            r"(?i:\b(?:classified|coded|categori[sz]ed)\s+as\s+(?:an?\s+)?"
            r"(?P<v>efficacy|safety|operational|biomarker)\b)"
        ),
        ":archetype",
        str.upper,
    ),
    _Enum(
        re.compile(
            r"(?i:results posted:\s+(?P<w>yes|no)\b"
            r"|(?P<v>no results)\s+(?:(?:have|had)\s+been\s+|were\s+|are\s+|was\s+)?posted\b"
            r"|(?P<x>results)\s+(?:(?:have|had)\s+been|were|are|was)\s+posted\b)"
        ),
        ":has_results",
        lambda words: "FALSE" if words.casefold() in ("no results", "no") else "TRUE",
    ),
)


_QUALIFIER_AFTER = re.compile(
    r"\s*(?:participants|patients|subjects|people)?\s*\((actual|estimated|anticipated|planned|"
    r"expected|target)\)",
    re.IGNORECASE,
)
_QUALIFIER_BEFORE = re.compile(
    r"(?:planned|anticipated|estimated|expected|targeted|aimed|intended)\s+(?:to\s+enrol?l\s+)?"
    r"(?:an?\s+)?(?:enrol?lment\s+(?:of\s+)?)?(?:about\s+|approximately\s+|some\s+)?$",
    re.IGNORECASE,
)
_ACTUAL_WORDS = frozenset({"actual"})
# Words before a date that say which date it is, and the fields that hold that date; the most
# specific first ("primary completion" before "completion").
_DATE_CUES: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (re.compile(r"(?i)\bprimary completion\b"), re.compile(r":primary_completion")),
    (re.compile(r"(?i)\bresults\b[^.;]*\bposted\b"), re.compile(r":results_first_posted$")),
    (re.compile(r"(?i)\b(?:last update|last updated|updated)\b"), re.compile(r":last_update")),
    (re.compile(r"(?i)\b(?:first posted|registered|first submitted)\b"), re.compile(r":first_")),
    (re.compile(r"(?i)\bcomplet(?:ion|ed)\b"), re.compile(r":(?<!primary_)completion_date")),
    (re.compile(r"(?i)\b(?:start(?:ed|s|ing)?|began|begun|opened)\b"), re.compile(r":start_date$")),
]
# Nouns after a number that say what it counts, and the unit of the facts that count it.
_UNIT_NOUNS = re.compile(
    r"\s*(?:(?:actual|estimated|planned|enrolled|randomi[sz]ed)\s+)?(?P<noun>participants?|"
    r"patients?|subjects?|people|volunteers|children|adults|arms?|sites?|cent(?:er|re)s|"
    r"reports?|programs?|programmes?|points?)\b",
    re.IGNORECASE,
)
_NOUN_UNITS = {
    "participant": "participants",
    "patient": "participants",
    "subject": "participants",
    "people": "participants",
    "volunteers": "participants",
    "children": "participants",
    "adults": "participants",
    "arm": "arms",
    "site": "sites",
    "center": "sites",
    "centre": "sites",
    "report": "reports",
    "program": "programs",
    "programme": "programs",
    "point": "points",
}
# Where the words that name a value's field stop counting: a sentence or a list item ("Start
# date: 5 August 2014; Last update posted: 7 May 2020"); a label's colon does not end it.
_ITEM_END = re.compile(r"[.;!?](?:\s|$)")
# Words before a quotation that make it the trial's stated reason for stopping.
_REASON_CUE = re.compile(
    r"(?i)\b(?:reason|why stopped|stopped|terminated|withdrawn|suspended|halted)\b[^“”\"«»]*$"
)
_QUOTED = re.compile(r"“[^“”]*”|\"[^\"]*\"")
_AFTER_SLASH = re.compile(r"\d\s*/\s*$")  # "10.7 / 40": the 40 is the maximum
_PHASE_AFTER = re.compile(r"\s*(?:Phase|phase)\s+([0-4]|IV|I{1,3})(?![\w/])")
_ROMAN_PHASE = {"I": "1", "II": "2", "III": "3", "IV": "4"}


@dataclass
class ParagraphInput:
    """A paragraph to check, from draft.json or re-aligned from an edited draft.md."""

    section: str
    heading: str
    index: int
    text: str
    cites: list[str]
    kind: str
    cites_from: CitesFrom = "draft"
    line: int | None = None


@dataclass
class _Found:
    anchor: CheckedAnchor
    binds: list[str] = field(default_factory=list)  # cited facts the anchor rests on


def paragraphs_of_draft(draft: Draft) -> list[ParagraphInput]:
    """Every checkable paragraph of draft.json, in reading order."""
    out = [
        ParagraphInput("headline", "Headline", 0, draft.headline, draft.headline_cites, "fact"),
        ParagraphInput("dek", "Dek", 0, draft.dek, draft.headline_cites, "fact"),
    ]
    for i, conflict in enumerate(draft.conflicts):
        out.append(
            ParagraphInput(
                "conflicts", "Conflicting evidence", i, conflict.note, conflict.facts, "conflict"
            )
        )
    for section in draft.sections:
        if section.key == "mrs" and draft.mrs:
            out.extend(_mrs_paragraphs(draft, section.heading))
            continue
        for i, paragraph in enumerate(section.paragraphs):
            out.append(
                ParagraphInput(
                    section.key, section.heading, i, paragraph.text, paragraph.cites, paragraph.kind
                )
            )
    return out


def _mrs_paragraphs(draft: Draft, heading: str) -> list[ParagraphInput]:
    """The score table's rows and its sentences, as the article prints them."""
    assert draft.mrs is not None
    mrs = draft.mrs
    rows = [
        ParagraphInput(
            "mrs",
            heading,
            i,
            f"{row.heading}: {row.points:.1f} / {row.maximum}",
            [row.fact, row.maximum_fact],
            "summary",
        )
        for i, row in enumerate(mrs.rows)
    ]
    rows.append(
        ParagraphInput("mrs", heading, len(rows), mrs.summary, mrs.summary_cites, "summary")
    )
    if mrs.most_informative:
        rows.append(
            ParagraphInput(
                "mrs",
                heading,
                len(rows),
                f"The most informative claim on file: “{mrs.most_informative}”.",
                mrs.most_informative_cites,
                "summary",
            )
        )
    return rows


class Verifier:
    """Checks paragraphs against one bundle's facts (indexes built once per draft)."""

    def __init__(
        self,
        facts: Iterable[Fact],
        records: Iterable[SourceRecord] = (),
        nct_id: str | None = None,
        framing: Framing | None = None,
    ) -> None:
        self.framing = framing
        self.facts: dict[str, Fact] = {}
        for fact in facts:
            self.facts.setdefault(fact.id, fact)
        trial = next((f for f in self.facts.values() if f.id.startswith("ctgov:")), None)
        self.nct_id = nct_id or (trial.id.split(":")[1] if trial else None)
        self.records = {r.id: r for r in records}
        every = list(self.facts.values())
        own = [f for f in every if self._about_trial(f)]
        # uncited support comes only from facts about this trial (its drug, target, pair, its
        # own claim), never from another trial's claim or a related claim's score
        self.index = FactIndex(own)
        self.names = NameFinder(every)
        self.quotable = [f for f in own if f.kind in QUOTABLE_KINDS]
        # every quotable text case folded, and codes again with "_" read as " "
        folded = [normal_quote(str(f.value)).casefold() for f in every if f.kind in QUOTABLE_KINDS]
        self._quotable_text = "\x00".join([*folded, *(t.replace("_", " ") for t in folded)])
        self.enum_facts = {
            kind.field: [f for f in every if f.id.endswith(kind.field)] for kind in _ENUMS
        }
        self._records_of: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
        self._entities: dict[str, tuple[str, str, frozenset[str]]] = {}

    def _about_trial(self, fact: Fact) -> bool:
        """Whether a fact is about the draft's trial rather than another claim of the table."""
        source, entity, _ = fact.id.split(":", 2)
        if source == "related":
            return False
        return source != "claims" or self.nct_id is None or entity == self.nct_id

    # -- one paragraph --------------------------------------------------------------------

    def check(self, paragraph: ParagraphInput) -> ParagraphReport:
        cited = [self.facts[c] for c in dict.fromkeys(paragraph.cites) if c in self.facts]
        found: list[_Found] = (
            [] if paragraph.kind == "editor" else self._anchors(paragraph.text, cited)
        )
        if paragraph.kind == "background":
            for item in found:
                item.anchor = item.anchor.model_copy(
                    update={
                        "status": "background",
                        "reason": "in a background paragraph: not checked",
                    }
                )
        bound = {fact_id for item in found for fact_id in item.binds}
        unused = [f.id for f in cited if f.kind in _CHECKED_KINDS and f.id not in bound]
        problems = []
        if self.framing == "no_scientific_failure" and paragraph.kind not in (
            "editor",
            "background",
        ):
            said = failure_words(_QUOTED.sub(" ", paragraph.text))  # the drafting rule, again
            if said:
                problems.append(
                    f"calls the trial a failure ({', '.join(said)}), but the record documents "
                    "no scientific failure"
                )
        return ParagraphReport(
            section=paragraph.section,
            heading=paragraph.heading,
            index=paragraph.index,
            text=paragraph.text,
            kind=paragraph.kind,
            cites=list(paragraph.cites),
            cites_from=paragraph.cites_from,
            line=paragraph.line,
            anchors=[item.anchor for item in found],
            unused_cites=unused,
            problems=problems,
        )

    def _anchors(self, text: str, cited: list[Fact]) -> list[_Found]:
        cited_ids = {f.id for f in cited}
        found: list[_Found] = []
        absorbed = Occupied(len(text))  # the source's own words: not checked again
        taken = Occupied(len(text))  # every anchor found so far
        for quotation in find_quotations(text):
            item = self._quote(text, quotation, cited)
            found.append(item)
            taken.claim(quotation.start, quotation.end)
            if item.anchor.status in ("verified", "verified_uncited", "fuzzy"):
                absorbed.claim(quotation.start, quotation.end)
        for hit in self.names.find(text, taken, aliases_only=True):
            found.append(self._name(hit, cited))
            absorbed.claim(hit.start, hit.end)
        cited_index = FactIndex(cited)
        typed: list[tuple[Anchor, _Found]] = []
        every = extract_anchors(text)
        if len(every) > MAX_ANCHORS:
            raise BadInput(f"a paragraph with {len(every)} anchors: not a draft drafter can check")
        for anchor in every:
            if absorbed.covers(anchor.start, anchor.end):
                continue
            item = self._typed(anchor, cited_index, text)
            found.append(item)
            typed.append((anchor, item))
            taken.claim(anchor.start, anchor.end)
        for anchor, item in typed:
            if anchor.kind == "number":
                qualifier = self._qualifier(text, anchor, item, absorbed)
                if qualifier:
                    found.append(qualifier)
        for kind in _ENUMS:
            for match in kind.pattern.finditer(text):
                group = next(
                    g for g in ("v", "w", "x") if g in kind.pattern.groupindex and match.group(g)
                )
                if not taken.free(match.start(group), match.end(group)):
                    continue
                found.append(self._enum(kind, match, group, cited_ids))
                taken.claim(match.start(group), match.end(group))
        for hit in self.names.find(text, taken, aliases_found=True):
            found.append(self._name(hit, cited))
        found.sort(key=lambda item: item.anchor.start)
        return found

    # -- typed values -----------------------------------------------------------------------

    def _typed(self, anchor: Anchor, cited_index: FactIndex, text: str) -> _Found:
        own = cited_index.match(anchor)
        bucket = _phase_bucket(anchor, cited_index) if anchor.kind == "phase" else None
        if bucket is not None and not (own and accepted(own)):
            reason = f"the phase of the cited count {bucket}"
            return self._result(anchor, "verified", bucket, True, reason, [bucket])
        bound = self._bound_by_wording(text, anchor, cited_index, own)
        if bound is not None:
            return bound
        unit = _wording_unit(text, anchor)
        if unit and own and accepted(own) and self.facts[own.fact_id].unit not in (None, unit):
            fact = self.facts[own.fact_id]
            reason = f"{fact.id} counts {fact.unit}, not {unit}"
            return self._result(anchor, "mismatch", fact.id, True, reason)
        if own and accepted(own):
            status: VerifyStatus = "verified" if own.status == "supported" else "fuzzy"
            return self._result(anchor, status, own.fact_id, True, own.reason, [own.fact_id])
        if own and own.status == "unsupported_precision":
            return self._result(anchor, "unsupported_precision", own.fact_id, True, own.reason)
        anywhere = self.index.match(anchor)
        if anywhere and unit and self.facts[anywhere.fact_id].unit not in (None, unit):
            anywhere = None  # "14 sites" is not held by a score of 13.6 points
        cites_type = bool(cited_index.of_kind(anchor.kind))
        if own is not None and cites_type:
            reason = f"the cited fact says {_shown(self.facts[own.fact_id])}"
            if anywhere and accepted(anywhere):
                reason += f"; {anywhere.fact_id} (not cited) holds {anchor.text!r}"
            return self._result(anchor, "mismatch", own.fact_id, True, reason)
        if anywhere and accepted(anywhere):
            status = "verified_uncited" if anywhere.status == "supported" else "fuzzy"
            reason = f"{anywhere.fact_id} holds it, but the paragraph does not cite it"
            return self._result(anchor, status, anywhere.fact_id, False, reason)
        if anywhere and anywhere.status == "unsupported_precision":
            return self._result(
                anchor, "unsupported_precision", anywhere.fact_id, False, anywhere.reason
            )
        return self._result(
            anchor, "untraceable", None, False, f"no {anchor.kind} fact holds {anchor.text!r}"
        )

    def _bound_by_wording(
        self, text: str, anchor: Anchor, cited_index: FactIndex, own: Support | None
    ) -> _Found | None:
        """A mismatch when the sentence's wording names which cited fact a value is ("started
        on", "72 participants") and the value is not that fact's but another cited one's: a
        swap of two cited values is caught where the prose says which is which."""
        named = self._named_facts(text, anchor, cited_index)
        if not named:
            return None
        index = FactIndex(named)
        support = index.match(anchor)
        if support is not None and accepted(support):  # the fact the wording names holds it
            status: VerifyStatus = "verified" if support.status == "supported" else "fuzzy"
            return self._result(
                anchor, status, support.fact_id, True, support.reason, [support.fact_id]
            )
        if support is not None and support.status == "unsupported_precision":
            return self._result(
                anchor, "unsupported_precision", support.fact_id, True, support.reason
            )
        fact = (
            index.nearest_first(anchor, named[0], 1)[0]
            if support is None
            else self.facts[support.fact_id]
        )
        reason = f"the wording binds it to {fact.id} ({fact.label}), which says {_shown(fact)}"
        holder = own if own is not None and accepted(own) else self.index.match(anchor)
        if holder is not None and accepted(holder):
            cited = "" if own is holder else " (not cited)"
            reason += f"; {holder.fact_id}{cited} holds {anchor.text!r}"
        return self._result(anchor, "mismatch", fact.id, True, reason)

    def _named_facts(self, text: str, anchor: Anchor, cited: FactIndex) -> list[Fact]:
        """The cited facts the words around an anchor name: a date's field by the nearest
        words before it in its sentence, a count's unit by the noun after it, a phase bucket
        by the phase after it ("0 Phase 3"), a score by its scale ("33/100": the score whose
        maximum is 100)."""
        if anchor.kind == "number" and _AFTER_SLASH.search(
            text, max(0, anchor.start - 12), anchor.start
        ):
            return [f for f in cited.of_kind("number") if f.id.endswith(".max")]
        labelled = _labelled_facts(text, anchor.start, cited.of_kind(anchor.kind))
        if labelled:
            return labelled
        if anchor.kind == "date":
            return _dated_facts(text, anchor, cited)
        if anchor.kind != "number" or anchor.percent:
            return []
        if anchor.out_of is not None:
            return [
                f
                for f in cited.of_kind("number")
                if f.kind == "score" and _equal(self.facts.get(f"{f.id}.max"), anchor.out_of)
            ]
        phase = _PHASE_AFTER.match(text, anchor.end)
        if phase:
            digit = _ROMAN_PHASE.get(phase[1], phase[1])
            bucket = re.compile(rf"(?:phase_buckets\.phase_{digit}|counts\.PHASE{digit}\.\w+)$")
            return [f for f in cited.of_kind("number") if bucket.search(f.id)]
        unit = _wording_unit(text, anchor)
        return [f for f in cited.of_kind("number") if unit and f.unit == unit]

    def _result(
        self,
        anchor: Anchor,
        status: VerifyStatus,
        fact_id: str | None,
        cited: bool,
        reason: str,
        binds: list[str] | None = None,
    ) -> _Found:
        base = {
            "kind": anchor.kind,
            "text": anchor.text,
            "start": anchor.start,
            "end": anchor.end,
            "value": str(anchor.value),
        }
        return _verdict(base, status, fact_id, cited, reason, binds or [])

    def _qualifier(
        self, text: str, anchor: Anchor, number: _Found, absorbed: Occupied
    ) -> _Found | None:
        """ "72 participants (actual)", "planned to enroll 99": the number's fact must say so."""
        after = _QUALIFIER_AFTER.match(text, anchor.end)
        before = _QUALIFIER_BEFORE.search(text, max(0, anchor.start - 60), anchor.start)
        if after:
            start, end, word = after.start(1), after.end(1), after.group(1).casefold()
        elif before:
            start, end = before.start(), before.start() + len(before.group().split()[0])
            word = before.group().split()[0].casefold()
        else:
            return None
        if absorbed.covers(start, end):
            return None
        wanted = "ACTUAL" if word in _ACTUAL_WORDS else "ESTIMATED"
        fact = self.facts.get(number.anchor.fact_id or "")
        base = {"kind": "qualifier", "text": text[start:end], "start": start, "end": end}
        if fact is None or number.anchor.status not in ("verified", "verified_uncited", "fuzzy"):
            return None  # the figure is flagged already; its qualifier has nothing to match
        said = (fact.qualifier or "").upper()
        said = "ACTUAL" if said == "ACTUAL" else ("ESTIMATED" if said else "")
        if not said:
            status: VerifyStatus = "untraceable"
            reason = f"{fact.id} does not say whether it is actual or estimated"
        elif said == wanted:
            status = "verified" if number.anchor.cited else "verified_uncited"
            reason = f"{fact.id} is {fact.qualifier}"
        else:
            status = "mismatch"
            reason = f"{fact.id} is {fact.qualifier}, not {word}"
        return _verdict(
            base | {"value": wanted},
            status,
            fact.id,
            number.anchor.cited,
            reason,
            [fact.id] if status == "verified" else [],
        )

    def _enum(self, kind: _Enum, match: re.Match[str], group: str, cited_ids: set[str]) -> _Found:
        """A status, score band, archetype or results-posted word against its field's fact:
        the cited one, else the trial's own (any other fact of the field is another trial's)."""
        written = match.group(group)
        wanted = kind.value(written)
        facts = [f for f in self.enum_facts[kind.field] if self._about_trial(f)]
        cited = [f for f in self.enum_facts[kind.field] if f.id in cited_ids]
        pool = cited or facts
        base = {
            "kind": "status",
            "text": written,
            "start": match.start(group),
            "end": match.end(group),
        }
        same = next((f for f in pool if str(f.value).upper() == wanted), None)
        if same is not None:
            status: VerifyStatus = "verified" if cited else "verified_uncited"
            return _verdict(
                base | {"value": wanted},
                status,
                same.id,
                bool(cited),
                f"{same.id} is {same.value}",
                [same.id] if cited else [],
            )
        if pool:
            other = pool[0]
            status = "mismatch" if cited else "untraceable"
            reason = f"{other.id} says {other.value}, not {wanted}"
            return _verdict(base | {"value": wanted}, status, other.id, bool(cited), reason)
        return _verdict(
            base | {"value": wanted}, "untraceable", None, False, "no status fact in the evidence"
        )

    # -- quotations -----------------------------------------------------------------------

    def _quote(self, text: str, quotation: Quotation, cited: list[Fact]) -> _Found:
        base = {
            "kind": "quote",
            "text": quotation.text,
            "start": quotation.inner_start,
            "end": quotation.inner_end,
            "value": quotation.text,
        }
        bound = self._quoted_facts(text, quotation, cited)
        if bound:
            return self._bound_quote(quotation, bound, base)
        if self._maybe_quoted(quotation.text):
            for pool, in_cites in ((cited, True), (self.quotable, False)):
                found = _quoted_in(quotation, pool, in_cites, base)
                if found is not None:
                    return found
        nearest = nearest_quote(quotation.text, cited)
        if nearest and nearest[1] >= 60:
            fact = nearest[0]
            reason = f"not verbatim: the cited {fact.id} says {_shown(fact)}"
            return _verdict(base, "mismatch", fact.id, True, reason)
        return _verdict(
            base,
            "untraceable",
            None,
            False,
            "no source text holds these words: a quotation must be verbatim",
        )

    def _maybe_quoted(self, quoted: str) -> bool:
        """Whether every piece of the quotation occurs in some fact's text, case folded: one
        search of all the texts at once, so a draft of many invented quotations stays cheap."""
        return all(part.casefold() in self._quotable_text for part in quote_parts(quoted))

    def _quoted_facts(self, text: str, quotation: Quotation, cited: list[Fact]) -> list[Fact]:
        """The cited facts the words before a quotation say it is from: a "Label: “…”" list
        item names its fact; "the reason recorded as “…”" names the trial's whyStopped."""
        quotable = [f for f in cited if f.kind in QUOTABLE_KINDS]
        labelled = _labelled_facts(text, quotation.start, quotable)
        if labelled:
            return labelled
        before = _clause_before(text, quotation.start)
        if _REASON_CUE.search(before):
            reasons = [f for f in quotable if f.id.endswith(":why_stopped")]
            registry = [f for f in reasons if f.id.startswith("ctgov:")]
            return registry or reasons  # the registry's words first, a claim's otherwise
        return []

    def _bound_quote(self, quotation: Quotation, bound: list[Fact], base: dict[str, Any]) -> _Found:
        """A quotation the wording ties to facts: verbatim in one of them, or a mismatch (a
        termination reason must be whyStopped's own words, not another text's)."""
        found = _quoted_in(quotation, bound, True, base)
        if found is not None:
            return found
        fact = bound[0]
        reason = f"not the words of {fact.id} ({fact.label}), which says {_shown(fact)}"
        elsewhere = next(
            (f for f in self.facts.values() if quote_match(quotation.text, f) == "verbatim"),
            None,
        )
        if elsewhere is not None:
            reason += f"; they are {elsewhere.id}'s"
        return _verdict(base, "mismatch", fact.id, True, reason)

    # -- names ----------------------------------------------------------------------------

    def _name(self, hit: NameHit, cited: list[Fact]) -> _Found:
        base = {
            "kind": "name",
            "name_type": hit.type,
            "text": hit.text,
            "start": hit.start,
            "end": hit.end,
            "value": hit.group.label if hit.group else hit.text,
        }
        group = hit.group
        if group is not None:
            support = self._cited_support(group, hit.text, cited)
            if support:
                status: VerifyStatus = "verified" if hit.how == "alias" else "fuzzy"
                reason = f"{hit.type} named in {support[0]}"
                if hit.how != "alias":
                    reason += f" as {group.label!r} ({hit.how} match)"
                return _verdict(base, status, support[0], True, reason, support)
            others = [g for g in self._same_type(hit.type, cited) if g.key != group.key]
            if others:
                said = others[0]
                reason = (
                    f"the paragraph cites {said.label!r} as the {hit.type}; {hit.text!r} is "
                    f"another {hit.type} of the evidence ({group.facts[0]}, not cited)"
                )
                return _verdict(base, "mismatch", said.facts[0], True, reason)
            if not any(self._about_trial(self.facts[f]) for f in group.facts):
                reason = (
                    f"only another claim of the claims table names the {hit.type} "
                    f"{hit.text!r} ({group.facts[0]}): not a fact of this trial"
                )
                return _verdict(base, "untraceable", None, False, reason)
            status = "verified_uncited" if hit.how == "alias" else "fuzzy"
            return _verdict(
                base,
                status,
                group.facts[0],
                False,
                f"{hit.type} named in {group.facts[0]}, which the paragraph does not cite",
            )
        echoed = [
            f.id
            for f in cited
            if _names_in(normal_name(hit.text), f.label)
            or (f.kind in ("quote", "text") and _names_in(normal_name(hit.text), str(f.value)))
        ]
        if echoed:  # a cited fact's own words name it ("reports naming …, VX-770, …")
            reason = f"named in the cited {echoed[0]}"
            return _verdict(base, "verified", echoed[0], True, reason, echoed)
        same_type = self._same_type(hit.type, cited)
        if same_type:
            said = same_type[0]
            reason = (
                f"the paragraph cites {said.label!r} as the {hit.type}; "
                f"no source names {hit.text!r}"
            )
            return _verdict(base, "mismatch", said.facts[0], True, reason)
        return _verdict(
            base,
            "untraceable",
            None,
            False,
            f"no source of this trial names the {hit.type} {hit.text!r}",
        )

    def _same_type(self, name_type: NameType, cited: list[Fact]) -> list[NameGroup]:
        """The things of this type the paragraph is about: a name it cites, or a record or
        pair it cites facts of ("daxdilimab: Mechanism text" cites the drug's record)."""
        return [
            g
            for g in self.names.groups
            if g.type == name_type and any(self._cites_record(g, fact) for fact in cited)
        ]

    def _cited_support(self, group: NameGroup, written: str | None, cited: list[Fact]) -> list[str]:
        """Cited facts that name this thing: its own name facts, facts about its record (a
        ChEMBL or Ensembl id, a pair), or cited text that contains the name as `written`."""
        wanted = normal_name(written) if written else None
        support = []
        for fact in cited:
            # cited text naming it, or a label that does ("reports naming Daxdilimab, HZN-7734")
            names_it = wanted is not None and (
                (fact.kind in ("quote", "text") and _names_in(wanted, str(fact.value)))
                or _names_in(wanted, fact.label)
            )
            if self._cites_record(group, fact) or names_it:
                support.append(fact.id)
        return support

    def _cites_record(self, group: NameGroup, fact: Fact) -> bool:
        """Whether a fact is one of the thing's own name facts or about its record."""
        own, records = self._group_records(group)
        if fact.id in own:
            return True
        source, entity, parts = self._fact_entity(fact.id)
        return source != "claims" and (entity in records or bool(records & parts))

    def _group_records(self, group: NameGroup) -> tuple[frozenset[str], frozenset[str]]:
        """A named thing's own fact ids and the entities of its records (remembered per
        Verifier, so per draft: a paragraph's names are checked against every group)."""
        known = self._records_of.get(group.key)
        if known is None:
            records = {
                fact_id.split(":")[1]
                for fact_id in group.facts
                if fact_id.split(":")[0] in ("chembl", "opentargets", "reference")
                and not fact_id.split(":")[1].startswith("NCT")  # the trial is not the drug
            }
            # a pair fact ("mrs:ENSG…+alopecia_areata:total") is about its target and its
            # disease
            records |= {entity_key(slug(alias)) for alias in group.aliases}
            records |= {entity_key(alias) for alias in group.aliases}
            known = (frozenset(group.facts), frozenset(records))
            self._records_of[group.key] = known
        return known

    def _fact_entity(self, fact_id: str) -> tuple[str, str, frozenset[str]]:
        """A fact id's source, entity and the entity's parts (a pair's target and disease)."""
        known = self._entities.get(fact_id)
        if known is None:
            source, entity, _ = fact_id.split(":", 2)
            known = (source, entity, frozenset(entity.split("+")))
            self._entities[fact_id] = known
        return known


_BUCKET = re.compile(r"(?:phase_buckets\.phase_(\d)|counts\.(PHASE\d|EARLY_PHASE1))\b")


def _phase_bucket(anchor: Anchor, cited: FactIndex) -> str | None:
    """A cited count per phase ("…:phase_buckets.phase_3", "…:counts.PHASE2.efficacy") whose
    phase is the anchor's: the score's summary says "0 Phase 3" of such a count."""
    for fact in cited.of_kind("number"):
        found = _BUCKET.search(fact.id)
        if found and (f"PHASE{found[1]}" if found[1] else found[2]) == anchor.value:
            return fact.id
    return None


def _verdict(
    base: dict[str, Any],
    status: VerifyStatus,
    fact_id: str | None,
    cited: bool,
    reason: str,
    binds: Sequence[str] = (),
) -> _Found:
    """An anchor (`base`: kind, text, offsets, value, name type) with its verdict, and the
    cited facts it rests on (the citations it makes relevant)."""
    checked = CheckedAnchor(**base, status=status, fact_id=fact_id, cited=cited, reason=reason)
    return _Found(checked, list(binds))


def _quoted_in(
    quotation: Quotation, pool: Sequence[Fact], in_cites: bool, base: dict[str, Any]
) -> _Found | None:
    """The quotation verbatim in a fact of `pool` (verified, or verified_uncited outside the
    citations), else equal to one with case folded (fuzzy), else None."""
    near: Fact | None = None
    for fact in pool:
        how = quote_match(quotation.text, fact)
        if how == "verbatim":
            status: VerifyStatus = "verified" if in_cites else "verified_uncited"
            reason = f"verbatim in {fact.id}" + ("" if in_cites else " (not cited)")
            return _verdict(base, status, fact.id, in_cites, reason, [fact.id] if in_cites else [])
        if how == "cut":  # the source's words without the "not" before them
            reason = f"leaves out a negation of {fact.id}, which says {_shown(fact)}"
            return _verdict(base, "mismatch", fact.id, in_cites, reason)
        if how == "case" and near is None:
            near = fact
    if near is None:
        return None
    return _verdict(
        base,
        "fuzzy",
        near.id,
        in_cites,
        f"in {near.id} only when case is ignored: quote it as written",
        [near.id] if in_cites else [],
    )


_WORDING_REACH = 300  # how far back the words that name a value's field may stand


def _clause_before(text: str, start: int) -> str:
    """The words of the sentence or list item before `start` (at most a few hundred
    characters: looking further would make a long paragraph cost its length squared)."""
    window = text[max(0, start - _WORDING_REACH) : start]
    return _ITEM_END.split(window)[-1]


def _labelled_facts(text: str, start: int, facts: Sequence[Fact]) -> list[Fact]:
    """The cited fact a "Label: value" list names: "Enrollment earlier estimate: 99
    participants" binds 99 to the fact labelled so, and "Label: 34, 76, 18" binds the k-th
    value to the k-th cited fact of that label. A label may carry the record's name in front
    ("LILRA4: Gene symbol")."""
    item = _clause_before(text, start)
    if ": " not in item:
        return []
    *labels, values = item.split(": ")
    values = _QUOTED.sub("", values)  # the earlier quoted values of a list: “A”, “B”
    if re.search(r"[A-Za-z]{3,}", values.replace("participants", "")):
        return []  # words between the label and the value: not a plain list of values
    position = values.count(",")
    for size in range(len(labels), 0, -1):
        label = ": ".join(labels[-size:]).strip().casefold()
        same = [
            f
            for f in facts
            if f.label.casefold() == label or label.endswith(": " + f.label.casefold())
        ]
        if same:
            return [same[position]] if position < len(same) else same
    return []


def _dated_facts(text: str, anchor: Anchor, cited: FactIndex) -> list[Fact]:
    """The cited dates of the field named by the cue nearest before the date in its sentence
    (the most specific cue where two end at one place: "primary completion")."""
    sentence = _clause_before(text, anchor.start)
    best: tuple[int, int] | None = None  # (where the cue ends, -rank)
    chosen = None
    for rank, (cue, fields) in enumerate(_DATE_CUES):
        ends = [m.end() for m in cue.finditer(sentence)]
        if ends and (best is None or (ends[-1], -rank) > best):
            best, chosen = (ends[-1], -rank), fields
    if chosen is None:
        return []
    return [f for f in cited.of_kind("date") if chosen.search(f.id)]


def _wording_unit(text: str, anchor: Anchor) -> str | None:
    """The unit the noun after a number names ("72 participants", "3 arms"), if any."""
    if anchor.kind != "number" or anchor.percent:
        return None
    noun = _UNIT_NOUNS.match(text, anchor.end)
    if not noun:
        return None
    word = noun.group("noun").casefold()
    return _NOUN_UNITS.get(word) or _NOUN_UNITS.get(word.rstrip("s"))


def _equal(fact: Fact | None, value: float) -> bool:
    return fact is not None and isinstance(fact.value, int | float) and fact.value == value


def _names_in(wanted: str, text: str) -> bool:
    normal = normal_name(text)
    if wanted not in normal:  # (the pattern below matches `wanted` itself: no need to build it)
        return False
    return re.search(rf"(?<![\w]){re.escape(wanted)}(?![\w])", normal) is not None


def _shown(fact: Fact) -> str:
    value = str(fact.value)
    value = value if len(value) <= 90 else value[:87] + "..."
    qualifier = f" ({fact.qualifier.lower()})" if fact.qualifier else ""
    return f"{value!r}{qualifier}"


# --- a whole draft ---------------------------------------------------------------------------


def fact_view(fact: Fact, records: dict[str, SourceRecord]) -> FactView:
    record = records.get(fact.record or "")
    return FactView.of(fact, record.request if record else None, record.url if record else None)


def counts_of(paragraphs: Sequence[ParagraphReport]) -> VerifyCounts:
    anchors = [a for p in paragraphs for a in p.anchors]
    by_status: Counter[str] = Counter(a.status for a in anchors)
    checked = len(anchors) - by_status["background"]
    covered = by_status["verified"] + by_status["fuzzy"]
    with_anchors = [p for p in paragraphs if p.kind in _FACT_PARAGRAPHS and p.anchors]
    supported = [
        p
        for p in with_anchors
        if all(a.status in ("verified", "fuzzy") and a.cited for a in p.anchors)
    ]
    bound = sum(
        1
        for p in paragraphs
        if p.kind in _FACT_PARAGRAPHS
        for c in p.cites
        if c not in p.unused_cites
    )
    checkable = bound  # cited facts an anchor could bind to: bound plus unused
    checkable += sum(len(p.unused_cites) for p in paragraphs if p.kind in _FACT_PARAGRAPHS)
    return VerifyCounts(
        anchors=len(anchors),
        by_status={status: by_status[status] for status in STATUSES},
        by_kind=dict(sorted(Counter(a.kind for a in anchors).items())),
        anchor_coverage=round(covered / checked, 4) if checked else 1.0,
        citation_recall=round(len(supported) / len(with_anchors), 4) if with_anchors else 1.0,
        citation_precision=round(bound / checkable, 4) if checkable else 1.0,
    )


def verify_paragraphs(
    draft: Draft,
    bundle: Bundle,
    paragraphs: Sequence[ParagraphInput],
    *,
    checked: Checked = "draft.json",
    path: str = "",
    unaligned_headings: Sequence[str] = (),
    missing_sections: Sequence[str] = (),
) -> VerifyReport:
    """Check `paragraphs` (draft.json's or an edited draft.md's) against the evidence."""
    facts = [*bundle.facts, *draft.facts]
    verifier = Verifier(facts, bundle.sources, draft.nct_id, draft.framing)
    reports: list[ParagraphReport] = []
    anchors = 0
    for paragraph in paragraphs:
        reports.append(verifier.check(paragraph))
        anchors += len(reports[-1].anchors)
        if anchors > MAX_ANCHORS:
            raise BadInput(f"more than {MAX_ANCHORS} anchors: not a draft drafter can check")
        budget = deadline.active()
        if budget is not None and budget.remaining() <= 0:
            raise BadInput(f"verification ran past {budget.describe()}: the draft is too large")
    wanted = {c for p in reports for c in p.cites} | {
        a.fact_id for p in reports for a in p.anchors if a.fact_id
    }
    if draft.mrs:
        wanted |= set(draft.mrs.facts)
    views = {
        fact_id: fact_view(verifier.facts[fact_id], verifier.records)
        for fact_id in sorted(wanted)
        if fact_id in verifier.facts
    }
    return VerifyReport(
        nct_id=draft.nct_id,
        checked=checked,
        path=path,
        paragraphs=reports,
        facts=views,
        counts=counts_of(reports),
        unaligned_headings=list(unaligned_headings),
        missing_sections=list(missing_sections),
        needs_editor=draft.needs_editor,
        conflicts=[c.note for c in draft.conflicts],
        known_limits=KNOWN_LIMITS,
    )


def verify_draft(draft: Draft, bundle: Bundle, path: str = "") -> VerifyReport:
    """Check every paragraph of draft.json."""
    return verify_paragraphs(draft, bundle, paragraphs_of_draft(draft), path=path)
