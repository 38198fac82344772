"""The article's parts as data, in the order of the published post-mortems, and the facts each
model-written part may see.

A section names its kind (written by a model, or computed from facts), its prompt template, its
output model and the fact ids it may cite as patterns; adding a section is adding an entry.
Patterns are fnmatch globs over fact ids with placeholders filled from the bundle: {nct} the
trial, {drug} each ChEMBL id of the tested drugs, {target} the target's Ensembl id, {pair} the
target–disease pair of the score. A section sees only the facts its patterns select, each under
a short handle (F1, F2, ...) that the pipeline maps back to the fact id.
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from drafter.bundle import Bundle
from drafter.facts import Fact, entity_key
from drafter.section_models import HeadlineText, SectionText

SectionKind = Literal["model", "computed"]


class SectionSpec(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    key: str
    heading: str
    kind: SectionKind
    analytic: bool = False
    template: str | None = None  # under prompts/sections/
    output: type[HeadlineText] | type[SectionText] | None = None
    selects: tuple[str, ...] = ()
    editor_brief: str = ""  # what the editor must write when no model writes the section


_TRIAL_CORE = (
    "ctgov:{nct}:nct_id",
    "ctgov:{nct}:brief_title",
    "ctgov:{nct}:acronym",
    "ctgov:{nct}:overall_status",
    "ctgov:{nct}:why_stopped",
    "ctgov:{nct}:phase",
    "ctgov:{nct}:enrollment",
    "ctgov:{nct}:lead_sponsor",
    "ctgov:{nct}:conditions.*",
    "ctgov:{nct}:interventions.*.name",
    "ctgov:{nct}:primary_completion_date",
    "ctgov:{nct}:last_update_posted",
    "ctgov:{nct}:has_results",
)
_STOP = ("classify:{nct}:*",)
_DRUG = ("chembl:{drug}:chembl_id", "chembl:{drug}:pref_name", "chembl:{drug}:molecule_type")
_TARGET = ("opentargets:{target}:approved_symbol", "opentargets:{target}:ensembl_id")
_CURATED_TRIAL = ("reference:{nct}:*",)

SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        key="headline",
        heading="Headline",
        kind="model",
        template="headline.j2",
        output=HeadlineText,
        selects=(
            *_TRIAL_CORE,
            *_STOP,
            *_DRUG,
            *_TARGET,
            "mrs:{pair}:total",
            "mrs:{pair}:total.max",
            "mrs:{pair}:band",
        ),
    ),
    SectionSpec(key="mrs", heading="Mechanism Risk Score", kind="computed"),
    SectionSpec(
        key="what_was_tried",
        heading="What was tried",
        kind="model",
        template="what_was_tried.j2",
        output=SectionText,
        selects=(
            "ctgov:{nct}:*",
            "chembl:{drug}:*",
            *_TARGET,
            "opentargets:{target}:approved_name",
            "reference:{drug}:*",
            "reference:{target}:aliases.*",
            "reference:{nct}:number_of_arms_original_design",
        ),
    ),
    SectionSpec(
        key="biological_hypothesis",
        heading="The biological hypothesis",
        kind="model",
        analytic=True,
        template="biological_hypothesis.j2",
        output=SectionText,
        selects=(
            *_TARGET,
            "opentargets:{target}:approved_name",
            "opentargets:{pair}:*",
            "chembl:{drug}:pref_name",
            "chembl:{drug}:mechanisms.*",
            "opentargets:{drug}:mechanisms.*",
            "reference:{target}:*",
            "reference:{drug}:mechanism_text",
            "ctgov:{nct}:conditions.*",
            "pubmed:*:title",
        ),
        editor_brief="the biological rationale for hitting the target in this disease, with "
        "the literature it rests on; the listed facts are what the sources state",
    ),
    SectionSpec(
        key="what_actually_happened",
        heading="What actually happened",
        kind="model",
        analytic=True,
        template="what_actually_happened.j2",
        output=SectionText,
        selects=(
            *_TRIAL_CORE,
            "ctgov:{nct}:start_date",
            "ctgov:{nct}:completion_date",
            "ctgov:{nct}:results_first_posted",
            *_STOP,
            *_CURATED_TRIAL,
            "openfda:*:*",
            "pubmed:{nct}:*",
        ),
        editor_brief="what the sponsor and the record say happened, in order; where the "
        "sources conflict, both sides and their sources",
    ),
    SectionSpec(
        key="failure_mechanism",
        heading="Failure mechanism, best guess",
        kind="model",
        analytic=True,
        template="failure_mechanism.j2",
        output=SectionText,
        selects=(
            "ctgov:{nct}:why_stopped",
            "ctgov:{nct}:overall_status",
            "ctgov:{nct}:has_results",
            "ctgov:{nct}:enrollment",
            *_STOP,
            *_CURATED_TRIAL,
            "openfda:*:*",
            "opentargets:{pair}:association_score",
            "mrs:{pair}:most_informative_failure",
        ),
        editor_brief="whether the record supports any failure mechanism at all; name "
        "mechanisms only as hypotheses and say what evidence would settle each",
    ),
    SectionSpec(
        key="prevention",
        heading="How to prevent this next time",
        kind="model",
        analytic=True,
        template="prevention.j2",
        output=SectionText,
        selects=(
            "ctgov:{nct}:phase",
            "ctgov:{nct}:allocation",
            "ctgov:{nct}:masking",
            "ctgov:{nct}:intervention_model",
            "ctgov:{nct}:enrollment",
            "ctgov:{nct}:primary_outcomes.*",
            "ctgov:{nct}:arm_groups.*",
            "ctgov:{nct}:why_stopped",
            *_STOP,
            "reference:{nct}:enrollment_earlier_estimate",
            "reference:{nct}:number_of_arms_original_design",
        ),
        editor_brief="design choices that would have made the readout more informative or the "
        "stop less likely, each tied to a fact of the record",
    ),
    SectionSpec(
        key="similar_programs",
        heading="What this means for similar programs",
        kind="model",
        analytic=True,
        template="similar_programs.j2",
        output=SectionText,
        selects=(
            "mrs:{pair}:total",
            "mrs:{pair}:band",
            "mrs:{pair}:n_claims",
            "mrs:{pair}:n_programs",
            "mrs:{pair}:counts.*",
            "related:{nct}:*",
            "claims:*:drug",
            "claims:*:target_symbol",
            "claims:*:disease_name",
            "claims:*:phase",
            "claims:*:archetype",
            "claims:*:event_date",
            "opentargets:{target}:clinical_programs.*",
            *_TARGET,
        ),
        editor_brief="what the failure claims on file for this target and indication, and the "
        "related claims, mean for the next program",
    ),
    SectionSpec(
        key="open_questions",
        heading="Open questions",
        kind="model",
        analytic=True,
        template="open_questions.j2",
        output=SectionText,
        selects=(
            "ctgov:{nct}:why_stopped",
            "ctgov:{nct}:has_results",
            "ctgov:{nct}:overall_status",
            *_STOP,
            *_CURATED_TRIAL,
            *_DRUG,
            *_TARGET,
        ),
        editor_brief="the questions the record leaves open (results, the real reason, "
        "conflicting reports), each answerable by a named source",
    ),
    SectionSpec(key="sources", heading="Sources", kind="computed"),
    SectionSpec(key="related_claims", heading="Related failure claims", kind="computed"),
)


def section(key: str) -> SectionSpec:
    return next(s for s in SECTIONS if s.key == key)


def model_sections() -> list[SectionSpec]:
    return [s for s in SECTIONS if s.kind == "model"]


# --- which facts a section sees ------------------------------------------------------------------


class Placeholders(BaseModel):
    """What the {placeholders} of a selection pattern stand for in one bundle."""

    nct: str
    drug: list[str]
    target: list[str]
    pair: list[str]

    @classmethod
    def of(cls, bundle: Bundle) -> Placeholders:
        score = bundle.assessment.mrs if bundle.assessment else None
        return cls(
            nct=bundle.nct_id,
            drug=[d.chembl_id for d in bundle.drugs if d.chembl_id],
            target=[bundle.target.ensembl_id] if bundle.target and bundle.target.ensembl_id else [],
            pair=[score.pair] if score else [],
        )

    def expand(self, pattern: str) -> list[str]:
        """The concrete globs of one pattern (none when a placeholder has no value)."""
        globs = [pattern.replace("{nct}", entity_key(self.nct))]
        for name in ("drug", "target", "pair"):
            token = "{" + name + "}"
            if any(token in g for g in globs):
                values = [entity_key(v) for v in getattr(self, name)]
                globs = [g.replace(token, v) for g in globs for v in values]
        return globs


def select_facts(spec: SectionSpec, bundle: Bundle) -> list[Fact]:
    """The facts a section may cite, in the order its patterns name them, each once."""
    return FactSelector(bundle).select(spec)


class FactSelector:
    """The bundle's facts indexed by id, built once per draft for all its sections: a glob's
    literal start bounds, by bisection, the ids it can match (scanning every fact for every
    glob of every section cost a draft ~3 ms). The bundle is not changed while it is used."""

    def __init__(self, bundle: Bundle) -> None:
        self._placeholders = Placeholders.of(bundle)
        self._facts = list(bundle.facts)
        self._positions = sorted(range(len(self._facts)), key=lambda i: self._facts[i].id)
        self._ids = [self._facts[i].id for i in self._positions]

    def select(self, spec: SectionSpec) -> list[Fact]:
        """What select_facts answers for the bundle the selector was built on."""
        chosen: dict[str, Fact] = {}
        for pattern in spec.selects:
            for glob in self._placeholders.expand(pattern):
                for fact in self._matching(glob):
                    chosen.setdefault(fact.id, fact)
        return list(chosen.values())

    def _matching(self, glob: str) -> list[Fact]:
        """The facts whose id the glob matches, in the bundle's order."""
        start, matches = _glob(glob)
        found: list[int] = []
        for k in range(bisect.bisect_left(self._ids, start), len(self._ids)):
            fact_id = self._ids[k]
            if not fact_id.startswith(start):
                break
            if matches is None or matches(fact_id):
                found.append(self._positions[k])
        return [self._facts[i] for i in sorted(found)]


@functools.lru_cache(maxsize=512)
def _glob(glob: str) -> tuple[str, Callable[[str], object] | None]:
    """The glob's literal start, which every id it matches starts with, and the test of an id
    past it: equality for a glob without wildcards; none for a start and one final "*" (every
    id past the start matches: fnmatch's "*" matches anything, newlines included, and most
    globs name one trial's or one drug's facts, so each draft compiled its own pattern); else
    fnmatch.fnmatchcase's own test, compiled once (its wrapper cost more than the match)."""
    found = _LITERAL_START.match(glob)
    start = found.group() if found else ""
    if start == glob:
        return start, glob.__eq__
    if glob == f"{start}*":
        return start, None
    return start, re.compile(fnmatch.translate(glob)).match


_LITERAL_START = re.compile(r"[^*?\[]*")


def handles(facts: list[Fact]) -> dict[str, Fact]:
    """Short citation handles for a prompt: F1, F2, ... in selection order."""
    return {f"F{i}": fact for i, fact in enumerate(facts, start=1)}
