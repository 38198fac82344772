"""The embedded default: writes every section from its facts alone, with no model.

Deterministic (the same facts give the same text), fact-first prose for the headline, the dek and
"What was tried"; for the analytic sections a digest of the facts the section may use and an
"EDITOR:" note saying what the editor must write. It answers the same WriteRequest and its output
passes the same validation as a model's, so a draft written offline has the same shape.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from pydantic import BaseModel

from drafter.conflicts import conflicts_among, who_says
from drafter.evidence.trial import NOT_A_DRUG
from drafter.facts import Fact
from drafter.prose import (
    category_text,
    code_text,
    date_text,
    fact_text,
    phase_text,
    quoted,
    sentence,
)
from drafter.section_models import HeadlineText, Paragraph, SectionText
from drafter.sections import section
from drafter.writers.base import WriteRequest, WriteResult

DIGEST_SIZE = 12  # facts per digest paragraph: enough to write from, short enough to read


class _Facts:
    """The request's facts looked up by id pattern, remembering which handles were used."""

    def __init__(self, handled: dict[str, Fact]) -> None:
        self._handled = handled
        self.by_id = {fact.id: fact for fact in handled.values()}
        self._handle_of = {fact.id: handle for handle, fact in handled.items()}

    def all(self, pattern: str) -> list[Fact]:
        return [f for f in self._handled.values() if fnmatch.fnmatchcase(f.id, pattern)]

    def one(self, pattern: str) -> Fact | None:
        found = self.all(pattern)
        return found[0] if found else None

    def items(self) -> list[tuple[str, Fact]]:
        return list(self._handled.items())

    def handles(self, facts: Iterable[Fact | None]) -> list[str]:
        return list(dict.fromkeys(self._handle_of[f.id] for f in facts if f is not None))


class OfflineWriter:
    """writers.base.Writer with no model."""

    name = "offline"
    model = "none"
    endpoint: str | None = None

    def write(self, request: WriteRequest) -> WriteResult:
        facts = _Facts(request.facts)
        output: BaseModel
        if request.output is HeadlineText:
            output = _headline(facts)
        elif request.section == "what_was_tried":
            output = SectionText(paragraphs=_what_was_tried(facts))
        else:
            output = SectionText(paragraphs=_analytic(request.section, facts))
        return WriteResult(output=output, raw=output.model_dump_json(), model=self.model)


# --- the trial in a few words ------------------------------------------------------------------


class _Trial:
    """The trial's headline facts, each None when the record does not give it."""

    def __init__(self, facts: _Facts) -> None:
        self.nct = facts.one("ctgov:*:nct_id")
        self.phase = facts.one("ctgov:*:phase")
        self.sponsor = facts.one("ctgov:*:lead_sponsor")
        self.status = facts.one("ctgov:*:overall_status")
        self.enrollment = facts.one("ctgov:*:enrollment")
        self.why = facts.one("ctgov:*:why_stopped")
        self.condition = facts.one("ctgov:*:conditions.0")
        self.drug = next(
            (f for f in facts.all("ctgov:*:interventions.*.name") if not _placebo(f)),
            facts.one("chembl:*:pref_name"),
        )
        self.target = facts.one("opentargets:*:approved_symbol")
        self.archetype = facts.one("classify:*:archetype")
        self.categories = facts.all("classify:*:categories.*")
        self.non_failure = facts.one("classify:*:non_failure")

    def stop_words(self) -> str:
        """The classification in words, e.g. "operational (business administrative)"."""
        kinds = ", ".join(category_text(c.value) for c in self.categories)
        archetype = str(self.archetype.value) if self.archetype else "unknown"
        return f"{archetype} ({kinds})" if kinds else archetype

    def documents_no_failure(self) -> bool:
        if self.non_failure is not None and self.non_failure.value is True:
            return True
        return self.archetype is None or self.archetype.value in ("operational", "unknown")


def _placebo(fact: Fact) -> bool:
    return bool(NOT_A_DRUG.search(str(fact.value)))


def _name(fact: Fact | None, fallback: str) -> str:
    """A name fact as written in a sentence (its own words, unquoted)."""
    return " ".join(str(fact.value).split()) if fact is not None else fallback


def _headline(facts: _Facts) -> HeadlineText:
    trial = _Trial(facts)
    drug = _name(trial.drug, "The drug")
    nct = _name(trial.nct, "the trial")
    condition = f" in {_name(trial.condition, '')}" if trial.condition else ""
    phase = f"{phase_text(str(trial.phase.value))} " if trial.phase else ""
    status = f" {code_text(trial.status.value)}" if trial.status else " stopped"
    headline = f"{drug}{condition}: {phase}trial {nct}{status}"
    sentences = []
    sponsor = _name(trial.sponsor, "The sponsor")
    opening = f"{sponsor} ran {nct}, a {phase}trial of {drug}{condition}"
    if trial.enrollment is not None:
        opening += f" that enrolled {fact_text(trial.enrollment)}"
    sentences.append(opening + ".")
    if trial.status is not None:
        reason = f", the reason recorded as {quoted(str(trial.why.value))}" if trial.why else ""
        sentences.append(
            sentence(f"The registry lists it as {code_text(trial.status.value)}{reason}")
        )
    if trial.non_failure is not None and trial.non_failure.value is True:
        sentences.append("The stated reason is a success, not a failure.")
    elif trial.documents_no_failure():
        sentences.append(
            "The record documents no scientific failure: the stated reason is classified as "
            f"{trial.stop_words()}."
        )
    else:
        sentences.append(f"The stated reason is classified as {trial.stop_words()}.")
    total, band = facts.one("mrs:*:total"), facts.one("mrs:*:band")
    scale = facts.one("mrs:*:total.max")
    if total is not None and band is not None and scale is not None:
        target = f" for {_name(trial.target, 'the target')} in this indication"
        sentences.append(
            f"The Mechanism Risk Score{target} is {total.value}/{scale.value} "
            f"({code_text(band.value)} band), a failure-burden index, not a probability of "
            "approval."
        )
    used = [trial.nct, trial.drug, trial.condition, trial.phase, trial.sponsor, trial.status]
    used += [trial.enrollment, trial.why, trial.archetype, *trial.categories, trial.non_failure]
    used += [total, band, scale, trial.target]
    return HeadlineText(headline=headline, dek=" ".join(sentences), cites=facts.handles(used))


# --- What was tried -----------------------------------------------------------------------------


def _what_was_tried(facts: _Facts) -> list[Paragraph]:
    trial = _Trial(facts)
    paragraphs = [_design(facts, trial), _course(facts, trial), _endpoint_and_stop(facts, trial)]
    return [p for p in paragraphs if p is not None]


def _design(facts: _Facts, trial: _Trial) -> Paragraph | None:
    words = [
        code_text(f.value)
        for f in (
            facts.one("ctgov:*:allocation"),
            facts.one("ctgov:*:masking"),
            facts.one("ctgov:*:intervention_model"),
        )
        if f is not None
    ]
    purpose = facts.one("ctgov:*:primary_purpose")
    phase = f"{phase_text(str(trial.phase.value))} " if trial.phase else ""
    kind = f"{', '.join(words)} " if words else ""
    aim = f"{code_text(purpose.value)} " if purpose else ""
    text = f"{_name(trial.nct, 'The trial')} was a {phase}{kind}{aim}study"
    if trial.drug is not None:
        text += f" of {_name(trial.drug, '')}"
    molecule = facts.one("chembl:*:chembl_id")
    mtype = facts.one("chembl:*:molecule_type")
    if molecule is not None:
        text += f" (ChEMBL {molecule.value}{', ' + str(mtype.value).lower() if mtype else ''})"
    ensembl = facts.one("opentargets:*:ensembl_id")
    if trial.target is not None:
        text += f", which acts on {_name(trial.target, '')}"
        if ensembl is not None:
            text += f" ({ensembl.value})"
    if trial.condition is not None:
        text += f", in {_name(trial.condition, '')}"
    if trial.sponsor is not None:
        text += f", sponsored by {_name(trial.sponsor, '')}"
    used = [trial.nct, trial.phase, purpose, trial.drug, molecule, mtype, trial.target, ensembl]
    used += [trial.condition, trial.sponsor, *facts.all("ctgov:*:allocation")]
    used += [*facts.all("ctgov:*:masking"), *facts.all("ctgov:*:intervention_model")]
    return _paragraph(text + ".", facts.handles(used))


def _course(facts: _Facts, trial: _Trial) -> Paragraph | None:
    sentences: list[str] = []
    used: list[Fact | None] = []
    if trial.enrollment is not None:
        sentences.append(f"It enrolled {fact_text(trial.enrollment)}.")
        used.append(trial.enrollment)
    for pattern, words in (
        ("ctgov:*:start_date", "It started in"),
        ("ctgov:*:primary_completion_date", "Primary completion was in"),
        ("ctgov:*:completion_date", "Completion was in"),
        ("ctgov:*:last_update_posted", "The last update was posted in"),
    ):
        fact = facts.one(pattern)
        if fact is not None:
            on = "on" if fact.precision == "day" else "in"
            sentences.append(f"{words.removesuffix(' in')} {on} {date_text(str(fact.value))}.")
            used.append(fact)
    return _paragraph(" ".join(sentences), facts.handles(used)) if sentences else None


def _endpoint_and_stop(facts: _Facts, trial: _Trial) -> Paragraph | None:
    sentences: list[str] = []
    used: list[Fact | None] = []
    measure = facts.one("ctgov:*:primary_outcomes.0.measure")
    if measure is not None:
        frame = facts.one("ctgov:*:primary_outcomes.0.time_frame")
        when = f", {quoted(str(frame.value))}" if frame else ""
        sentences.append(f"The primary outcome was {quoted(str(measure.value))}{when}.")
        used += [measure, frame]
    if trial.why is not None:
        why = quoted(str(trial.why.value))
        sentences.append(sentence(f"The registry records the reason for stopping as {why}"))
        used.append(trial.why)
    results = facts.one("ctgov:*:has_results")
    if results is not None:
        posted = results.value is True
        sentences.append("Results have been posted." if posted else "No results have been posted.")
        used.append(results)
    return _paragraph(" ".join(sentences), facts.handles(used)) if sentences else None


def _paragraph(text: str, cites: list[str], grade: str = "documented") -> Paragraph:
    return Paragraph.model_validate({"text": text, "cites": cites, "kind": "fact", "grade": grade})


# --- analytic sections: the evidence on file and what the editor must write ----------------------


# Where the stop's meaning and the conflicting reports are said (once, not in every section).
_SAYS_THE_STOP = frozenset({"what_actually_happened", "failure_mechanism"})
_SAYS_THE_CONFLICTS = frozenset({"what_actually_happened"})


def _analytic(key: str, facts: _Facts) -> list[Paragraph]:
    trial = _Trial(facts)
    paragraphs: list[Paragraph] = []
    if key in _SAYS_THE_STOP and trial.archetype is not None and trial.documents_no_failure():
        paragraphs.append(_no_failure(facts, trial))
    if key in _SAYS_THE_CONFLICTS:
        paragraphs += _conflict_notes(facts, trial)
    paragraphs += _claims_digest(facts)
    used = {handle for paragraph in paragraphs for handle in paragraph.cites}
    paragraphs += _digest(facts, exclude=used)
    brief = section(key).editor_brief
    paragraphs.append(
        Paragraph(
            text=f"EDITOR: write {brief}.",
            cites=[],
            kind="editor",
            grade="speculative",
        )
    )
    return paragraphs


def _no_failure(facts: _Facts, trial: _Trial) -> Paragraph:
    reason = f", from the registry's reason {quoted(str(trial.why.value))}" if trial.why else ""
    text = sentence(
        f"The record documents no scientific failure: the stop is classified as "
        f"{trial.stop_words()}{reason}"
    )
    text += " Any mechanism is an open question for the editor, not a finding."
    cited = facts.handles([trial.archetype, *trial.categories, trial.why])
    return _paragraph(text, cited, "inferred")


def _conflict_notes(facts: _Facts, trial: _Trial) -> list[Paragraph]:
    nct = str(trial.nct.value) if trial.nct else ""
    notes = []
    for conflict in conflicts_among(facts.by_id, nct):
        sides = [facts.by_id[i] for i in conflict.facts]
        told = "; ".join(f"{who_says(side)} gives {fact_text(side)}" for side in sides)
        text = sentence(f"Conflicting evidence on {conflict.topic}: {told}")
        text += " The record settles neither."
        notes.append(_paragraph(text, facts.handles(sides)))
    return notes


def _claims_digest(facts: _Facts) -> list[Paragraph]:
    """Failure claims on file, one sentence each: drug, target, indication, phase,
    archetype and date, as the claims table holds them."""
    claims: dict[str, dict[str, Fact]] = {}
    for fact in facts.all("claims:*"):
        _, entity, field = fact.id.split(":", 2)
        claims.setdefault(entity, {})[field] = fact
    paragraphs = []
    for fields in claims.values():
        if "drug" not in fields:
            continue
        words = _name(fields["drug"], "")
        for field, joiner in (("target_symbol", " on "), ("disease_name", " in ")):
            if field in fields:
                words += joiner + _name(fields[field], "")
        details = [
            fact_text(fields[f]) for f in ("phase", "archetype", "event_date") if f in fields
        ]
        if details:
            words += f" ({', '.join(details)})"
        text = f"Claim on file: {words}."
        paragraphs.append(_paragraph(text, facts.handles(fields.values())))
    return paragraphs


def _digest(facts: _Facts, exclude: set[str]) -> list[Paragraph]:
    """The section's remaining facts as "label: value" lines, a few to a paragraph (claims
    are told one by one above)."""
    handled = [
        (h, f) for h, f in facts.items() if h not in exclude and not f.id.startswith("claims:")
    ]
    paragraphs = []
    for start in range(0, len(handled), DIGEST_SIZE):
        chunk = handled[start : start + DIGEST_SIZE]
        lines = "; ".join(f"{fact.label}: {fact_text(fact)}" for _, fact in chunk)
        # a computed fact's label may restate its inputs (a phase, a date): cite them too
        inputs = [facts.by_id.get(i) for _, fact in chunk for i in fact.derived_from]
        cites = [h for h, _ in chunk] + facts.handles(inputs)
        paragraphs.append(_paragraph(f"On file: {lines}.", list(dict.fromkeys(cites))))
    return paragraphs
