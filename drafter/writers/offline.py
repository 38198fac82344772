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
from drafter.sources.ctgov import ONGOING_STATUSES, STOPPED_STATUSES
from drafter.validate import MAX_PARAGRAPH_CHARS, MAX_PARAGRAPHS
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
        no_failure = request.framing == "no_scientific_failure"
        if request.output is HeadlineText:
            output = _headline(facts, no_failure)
        elif request.section == "what_was_tried":
            output = SectionText(paragraphs=_what_was_tried(facts))
        else:
            output = SectionText(paragraphs=_analytic(request.section, facts, no_failure))
        return WriteResult(output=output, raw=output.model_dump_json(), model=self.model)


# --- the trial in a few words ------------------------------------------------------------------


class _Trial:
    """The trial's headline facts, each None when the record does not give it."""

    def __init__(self, facts: _Facts) -> None:
        self.nct = facts.one("ctgov:*:nct_id")
        self._registry = facts.all("ctgov:*")
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

    @property
    def nct_id(self) -> str:
        """The trial's id, from its id fact or, when the section was not given it, from the
        ids of its registry facts ("ctgov:NCT05591222:why_stopped")."""
        if self.nct is not None:
            return str(self.nct.value)
        return next((f.id.split(":")[1] for f in self._registry), "")

    def stopped(self) -> bool | None:
        """Whether the registry says the trial stopped early (None: no status on record)."""
        return None if self.status is None else str(self.status.value) in STOPPED_STATUSES

    def ongoing(self) -> bool:
        return self.status is not None and str(self.status.value) in ONGOING_STATUSES


def _placebo(fact: Fact) -> bool:
    return bool(NOT_A_DRUG.search(str(fact.value)))


def _name(fact: Fact | None, fallback: str) -> str:
    """A name fact as written in a sentence (its own words, unquoted)."""
    return " ".join(str(fact.value).split()) if fact is not None else fallback


def _headline(facts: _Facts, no_failure: bool) -> HeadlineText:
    trial = _Trial(facts)
    nct = _name(trial.nct, "the trial")
    condition = f" in {_name(trial.condition, '')}" if trial.condition else ""
    phase = _phase_words(trial)
    status = f" {code_text(trial.status.value)}" if trial.status else ""
    if trial.drug is not None:
        headline = f"{_name(trial.drug, '')}{condition}: {phase}trial {nct}{status}"
    elif trial.condition is not None:
        headline = f"{_name(trial.condition, '')}: {phase}trial {nct}{status}"
    else:
        headline = f"{phase}trial {nct}{status}"
    headline = headline[:1].upper() + headline[1:]
    of_drug = f" of {_name(trial.drug, '')}" if trial.drug else ""
    sentences = [sentence(_opening(trial, nct, phase, of_drug, condition))]
    if trial.status is not None:
        reason = f", the reason recorded as {quoted(str(trial.why.value))}" if trial.why else ""
        sentences.append(
            sentence(f"The registry lists it as {code_text(trial.status.value)}{reason}")
        )
    if trial.non_failure is not None and trial.non_failure.value is True:
        sentences.append("The stated reason is a success, not a failure.")
    elif trial.why is None:
        if trial.stopped():
            sentences.append("The record states no reason for stopping.")
    elif no_failure:
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


def _phase_words(trial: _Trial) -> str:
    """ "Phase 2 " for the headline, "" when the record has no phase or says NA."""
    if trial.phase is None or str(trial.phase.value).upper() in ("NA", "N/A", ""):
        return ""
    return f"{phase_text(str(trial.phase.value))} "


def _opening(trial: _Trial, nct: str, phase: str, of_drug: str, condition: str) -> str:
    """The dek's first sentence, in the tense the status allows and with only what the
    record names: no invented "The sponsor" or "The drug"."""
    # past for a trial that ended, present for one under way or of unknown status
    ended = trial.status is not None and not trial.ongoing()
    enrolment = ""
    if trial.enrollment is not None:
        if (trial.enrollment.qualifier or "").upper() == "ESTIMATED":
            verb = "planned to enroll" if ended else "plans to enroll"
        else:
            verb = "enrolled" if ended else "has enrolled"
        enrolment = f" that {verb} {fact_text(trial.enrollment)}"
    noun = f"{phase}trial{of_drug}{condition}{enrolment}"
    what = f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
    if trial.sponsor is not None:
        verb = "ran" if ended else "runs" if trial.status is not None else "sponsors"
        return f"{_name(trial.sponsor, '')} {verb} {nct}, {what}"
    return f"{nct} {'was' if ended else 'is'} {what}"


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


def _analytic(key: str, facts: _Facts, no_failure: bool) -> list[Paragraph]:
    trial = _Trial(facts)
    paragraphs: list[Paragraph] = []
    if key in _SAYS_THE_STOP and trial.archetype is not None and no_failure:
        paragraphs.append(_no_failure(facts, trial))
    if key in _SAYS_THE_CONFLICTS:
        paragraphs += _conflict_notes(facts, trial)
    if key == "open_questions":
        paragraphs += _questions(facts, trial, no_failure)
    claims = _claims_digest(facts)
    used = {handle for paragraph in paragraphs + claims for handle in paragraph.cites}
    digest = _digest(facts, exclude=used)
    # the validation's bounds hold here too (a pair with forty claims on file once wrote
    # forty paragraphs, failed three times and lost the editor's note): what does not fit
    # beside the note is left out, the digest's last paragraphs first, and the note says so
    # (claims are not packed several to a paragraph: a paragraph citing several claims'
    # facts hides a date told of the wrong claim)
    every = [*paragraphs, *claims, *digest]
    told = every[: MAX_PARAGRAPHS - 1]
    note = f"EDITOR: write {section(key).editor_brief}."
    if len(told) < len(every):
        note += (
            " Not every claim and fact on file is told above: the section's facts in the "
            "review page list them all."
        )
    return [*told, Paragraph(text=note, cites=[], kind="editor", grade="speculative")]


def _no_failure(facts: _Facts, trial: _Trial) -> Paragraph:
    if trial.why is not None:
        text = sentence(
            f"The record documents no scientific failure: the stop is classified as "
            f"{trial.stop_words()}, from the registry's reason {quoted(str(trial.why.value))}"
        )
    elif trial.stopped():
        text = "The record documents no scientific failure, and it states no reason for stopping."
    else:
        text = "The record documents no scientific failure."
    text += " Any mechanism is an open question for the editor, not a finding."
    cited = facts.handles([trial.archetype, *trial.categories, trial.why, trial.status])
    return _paragraph(text, cited, "inferred")


def _questions(facts: _Facts, trial: _Trial, no_failure: bool) -> list[Paragraph]:
    """The questions the record itself raises, each tied to the facts that raise it."""
    questions: list[Paragraph] = []
    results = facts.one("ctgov:*:has_results")
    if results is not None and results.value is False:
        questions.append(
            _paragraph(
                "Will the sponsor post results for this trial to the registry, and what do they "
                "show on the primary outcome?",
                facts.handles([results]),
                "inferred",
            )
        )
    nct = trial.nct_id
    for conflict in conflicts_among(facts.by_id, nct):
        if conflict.kind != "dispute":
            continue
        sides = [facts.by_id[i] for i in conflict.facts]
        names = " or ".join(f"{who_says(side)}'s" for side in sides)
        subject = conflict.topic.split(":", 1)[0]
        questions.append(
            _paragraph(
                f"Which account of the {subject} holds: {names}?", facts.handles(sides), "inferred"
            )
        )
    if no_failure and trial.stopped() and (trial.why or trial.status):
        questions.append(
            _paragraph(
                "What, beyond the reason the registry states, led the sponsor to stop the trial, "
                "and does any document outside the registry say so?",
                facts.handles([trial.why or trial.status]),
                "inferred",
            )
        )
    return questions


def _conflict_notes(facts: _Facts, trial: _Trial) -> list[Paragraph]:
    nct = trial.nct_id
    notes = []
    for conflict in conflicts_among(facts.by_id, nct):
        sides = [facts.by_id[i] for i in conflict.facts]
        if conflict.kind == "history":
            current, earlier = sides
            text = sentence(
                f"The record was updated on {conflict.topic}: {who_says(current)} now gives "
                f"{fact_text(current)}, where {who_says(earlier)} shows an earlier "
                f"{fact_text(earlier)}"
            )
        else:
            told = "; ".join(f"{who_says(side)} gives {fact_text(side)}" for side in sides)
            text = sentence(f"Conflicting evidence on {conflict.topic}: {told}")
            text += " The record settles neither."
        notes.append(_paragraph(text, facts.handles(sides)))
    return notes


def _claims_digest(facts: _Facts) -> list[Paragraph]:
    """Failure claims on file, a paragraph each (citing that claim's facts alone, so verify
    tells one claim's date or phase put in another's sentence): drug, target, indication,
    phase, archetype and date, as the claims table holds them."""
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
    are told above)."""
    # the elements of one list ("Aliases") told once, under their label
    grouped: dict[str, list[tuple[str, Fact]]] = {}
    for handle, fact in facts.items():
        if handle not in exclude and not fact.id.startswith("claims:"):
            grouped.setdefault(fact.label, []).append((handle, fact))
    told = [
        (f"{label}: {', '.join(fact_text(fact) for _, fact in members)}", members)
        for label, members in grouped.items()
    ]
    paragraphs = []
    for chunk in _chunks(told):
        lines = "; ".join(line for line, _ in chunk)
        members = [member for _, group in chunk for member in group]
        # a computed fact's label may restate its inputs (a phase, a date): cite them too
        inputs = [facts.by_id.get(i) for _, fact in members for i in fact.derived_from]
        cites = [h for h, _ in members] + facts.handles(inputs)
        paragraphs.append(_paragraph(f"On file: {lines}.", list(dict.fromkeys(cites))))
    return paragraphs


_DIGEST_CHARS = MAX_PARAGRAPH_CHARS - len("On file: .")
_Told = tuple[str, list[tuple[str, Fact]]]  # a digest line and the (handle, fact) it tells


def _chunks(told: list[_Told]) -> list[list[_Told]]:
    """The digest's lines in order, at most DIGEST_SIZE to a paragraph and, where the lines
    allow, no more characters than validation takes (long values, a claim's drug name of 500
    characters, once made a paragraph of 5,000)."""
    chunks: list[list[_Told]] = []
    size = 0
    for entry in told:
        added = len(entry[0]) + 2  # "; "
        if not chunks or len(chunks[-1]) == DIGEST_SIZE or size + added > _DIGEST_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += added
    return chunks
