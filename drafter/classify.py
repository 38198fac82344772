"""Why-stopped text → archetype + fine stop-reason categories, by deterministic rules.

Categories follow the Open Targets stop-reason taxonomy (Razuvayevskaya et al., Nat Genet 2024;
see research/stop-reasons.md) with two additions of ours: `Funding` (Open Targets folds lack of
money into Business_Administrative, but "the grant ended" and "the sponsor chose to stop" say
different things about a program) and `Biomarker` (Open Targets has no such class; drafter's
archetypes do). A text may get several categories; the archetype comes from them through the
table and the severity order of `drafter.rulebook` (the MRS's order), so any other classifier
(an LLM, say) can reuse `rulebook.archetype_for`.

How the rules run, and why:
* Text is case-folded, accents stripped, contractions expanded and tokenised; a misspelt key
  word is read as the word it stands for by edit distance (drafter.stop_words_fuzzy:
  "recrutiment" → "recruitment", "saftey" → "safety"), so misspellings need not be listed.
* Every rule is a regex over the space-joined tokens. Where matches overlap, the longest wins, so
  "death of the PI" is a staff change, not a safety death, and "Data Safety Monitoring Board"
  (a shield rule with no category) is not a safety reason.
* A match is dropped when a negation cue opens a scope that reaches it: the cue stands at most
  five words before the match in the same clause ("not related to safety", "no safety or
  efficacy concerns", "unrelated to efficacy"). Absence words ("no", "lack of", "without") negate
  only concern rules (safety, efficacy, biomarker, success): "no funding" is a reason, "no safety
  issues" is not.
* A match is also dropped when a denying predicate follows it in the same clause, at most five
  words on: "safety concerns were not the reason", "safety was not a factor", "AEs played no
  role", "toxicity had nothing to do with it". The match must be a bare subject (a match with its
  own verb, "enrollment was slow", is a clause), and a match in between must be coordinated with
  it ("safety and efficacy were not the reasons"). "Not the only / main reason" affirms, so it
  does not deny; "were not observed" denies only concern rules, like absence words.
* "No efficacy" is a failure, "no efficacy concerns / issues / problems / reasons" denies a worry:
  the noun after the efficacy word decides, through a coordination too ("no efficacy or safety
  concerns" denies both). Bare "efficacy" states no direction (stopped for it, or for lack of
  it?), so it is only a mention: reported when denied, never counted. A negative context counts
  ("lack of efficacy", "efficacy was insufficient", "efficacy concerns", "not effective");
  efficacy that could not be assessed or evaluated is Insufficient_Data, not a failed drug.
* Mild, non-serious or drug-unrelated adverse events and an acceptable safety profile are shields:
  they are reported, not a reason to stop.
* Weak rules (a bare "sponsor", "study completed", "see description") count only when no other
  rule did, so a vague actor never crowds out the stated reason.
* A trial stopped because it worked ("stopped early for overwhelming efficacy", "early
  termination due to positive results", "efficacy boundary crossed") is Success or
  Endpoint_Met, and `StopClassification.non_failure` says so: the MRS never counts it as a
  failure. The stop, the link ("for", "due to", ...) and the good news are matched as word
  families, and no failure word may sit between them ("stopped early for lack of benefit").
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, computed_field

from drafter.classify_learned import LearnedModel, bundled_model
from drafter.rulebook import (
    CATEGORIES,
    CATEGORY_ARCHETYPE,
    Archetype,
    Category,
    archetype_for,
    is_non_failure,
)
from drafter.stop_stance import (
    INTERIM_PAUSE,
    UNDIRECTED_EFFICACY,
    UNDIRECTED_INTERIM_STOP,
    UNNAMED_REASON,
    Stance,
    is_pause,
    states_no_reason,
)
from drafter.stop_words_fuzzy import correct

# Categories whose cue words are negated by absence words too ("no safety issues").
CONCERN_CATEGORIES: frozenset[Category] = frozenset(
    {"Safety_Sideeffects", "Negative", "Biomarker", "Success", "Endpoint_Met"}
)

_CATEGORY_RANK = {category: rank for rank, category in enumerate(CATEGORIES)}


class RuleMatch(BaseModel):
    """One rule that fired: which rule, for which category, on which (normalised) words."""

    model_config = ConfigDict(frozen=True)

    rule: str
    category: Category
    text: str
    negated_by: str | None = None


class StopClassification(BaseModel):
    """The answer for one text. `matched` counted; `negated` fired but sat in a negation scope."""

    archetype: Archetype
    categories: list[Category] = Field(min_length=1)
    explanation: str
    classifier: str = Field(
        default="rules",
        description='who decided: "rules", "model <name>" (drafter.classify_model), or '
        '"rules (model fallback: <why>)" when the model was asked and its answer not used',
    )
    matched: list[RuleMatch] = Field(default_factory=list)
    negated: list[RuleMatch] = Field(default_factory=list)
    # How sure the decision is (1.0: a text with nothing to read, or a rule naming the reason;
    # lower for the stances of drafter.stop_stance) and what decided it: a rule id or a stance.
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    decided_by: str = ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def non_failure(self) -> bool:
        """The trial stopped because it worked (`rulebook.is_non_failure`): derived from the
        categories, so it can never disagree with them."""
        return is_non_failure(self.categories)


class StopReasonClassifier(Protocol):
    """Anything that classifies why-stopped text: the rules below today, an LLM later."""

    def classify(self, text: str | None) -> StopClassification: ...


# ---------------------------------------------------------------------------------------------
# Rules. Patterns run on lower-case tokens joined by single spaces; punctuation that ends a
# clause stays as its own token, so the word fillers below never cross it.

_ENROLMENT = r"(?:enrol+e?ments?|recruite?ments?|recrutement|accru(?:al|als)|accural|inclusions?)"
_ENROL_VERB = r"(?:enrol+(?:s|ed|ing)?|recruit(?:s|ed|ing)?|recruting|accru(?:e|ed|ing))"
_ENROL_ANY = rf"(?:{_ENROLMENT}|{_ENROL_VERB})"
_PEOPLE = (
    r"(?:patients?|participants?|subjects?|volunteers?|pts|cases|individuals|persons|people"
    r"|children|infants|women|men|families|donors)"
)
# A filler word that never swallows a concern word, an enrolment word or a negation, so a long
# operational match cannot hide "safety" or "futility" from the overlap rule.
_W = (
    r"(?:(?!(?:safety|saftey|safty|futil\w*|efficacy|toxic\w*|not|never|no)\b)"
    rf"(?!{_ENROL_ANY}\b|{_PEOPLE}\b)\w+ )"
)
_EFFICACY = r"(?:efficacy|efficasy|eficacy|efficiacy|(?<!cost )effectiveness)"
_EFFECT = (
    rf"(?:{_EFFICACY}|benefits?(?! (?:(?:/|:|to|and) )?risks?\b)|advantages?|responses?|responders?"
    r"|(?:added|additional|clinical) value"
    r"|(?<!side )(?<!adverse )effects?"
    r"|improvements?|differences?|(?:statistical )?significance"
    r"|(?:anti ?(?:tumou?r|viral|bacterial|microbial|fungal|cancer|leuka?emic|inflammatory)"
    r"|clinical|biological|biologic|therapeutic|pharmacological) activity)"
)
# What a trial hoped to see; a verdict after it ("efficacy was insufficient") is a failure,
# given by a verb (_VERDICT_VERB) then a negative word (_VERDICT).
_EFFECT_SUBJECT = (
    rf"(?:{_EFFICACY}|(?:clinical |therapeutic |treatment )?benefits?|(?:(?:overall|objective"
    r"|clinical|tumou?r) )?response(?: rates?)?|responses|(?:treatment|therapeutic|clinical|drug)"
    r" effects?"
    r"|(?:anti ?(?:tumou?r|viral|bacterial|microbial|fungal|cancer|leuka?emic|inflammatory)"
    r"|clinical|biological|biologic|therapeutic|pharmacological) activity)"
)
_VERDICT_VERB = (
    r"(?:(?:was|were|is|are|has|have|had|been|be|appeared|appears|seemed|seems|remained|proved"
    r"|proven|could|can|would|will|did|does|may|might) )"
)
# "efficacy [rate] [of the drug | in the treatment arm] was": a head noun, then one prepositional
# phrase; a bare list or a new sentence ("benefit risk the primary endpoint") is not a subject.
_VERDICT_FILLER = (
    r"(?:(?:rates?|signals?|levels?|results?|data|outcomes?) )?(?:(?:of|in|on|for|with|from"
    r"|across|among|versus|vs) (?:(?:the|this|a|an) )?(?:(?!(?:not|no|never|the|a|an)\b)\w+ )"
    r"{0,3}?)?"
)
_VERDICT = (
    r"(?:not (?:be |been )?(?:(?:very|sufficiently|clearly|fully|statistically|clinically|as|so) )?"
    r"(?:sufficient|adequate|demonstrated|observed|shown|seen|established|confirmed|achieved"
    r"|significant|convincing|evident|apparent|detected|met|proven|better|superior|improved"
    r"|different|meaningful|promising|expected|good enough|strong enough|large enough"
    r"|robust)|insufficient|inadequate|lacking|absent|disappointing|poor|limited|low"
    r"|lower than|below|suboptimal|sub optimal|unsatisfactory|unconvincing|marginal|modest"
    r"|minimal|negligible|inferior|worse|weak|less than|smaller than)"
)
# Where a verb-less ("telegraphic") verdict may end, so "response rate low" is one but the
# run-on "response rate low patient interest" is not.
_CLAUSE_END = r"(?:$| [.;:!?,()\[\]{}]| (?:and|but|so|to|for|in|at|with|as|than|compared)\b)"
# Nouns that make "X" a worry rather than an outcome: "no efficacy concerns" denies a worry,
# "no efficacy" reports a failure. Also reached through a coordination, "no efficacy or safety
# concerns", whose filler never crosses a new clause or cause.
_CONCERN_NOUN = r"(?:concerns?|issues?|problems?|reasons|worries|doubts|questions|considerations?)"
_COORDINATED = (
    r" (?:or|and|nor|,) (?:(?!(?:but|however|not|no|due|because|owing|whereas|while)\b)"
    r"(?:\w+|,) ){0,4}?"
)
_CONCERN_TAIL = rf"(?: {_CONCERN_NOUN}\b|{_COORDINATED}(?:{_CONCERN_NOUN}|signals?)\b)"
# Adverse-event nouns, for the shield that hides mild, non-serious or unrelated events.
_AE = (
    r"(?:(?:adverse|advers) (?:\w+ )?(?:events?|effects?|reactions?|experiences?)|aes?"
    r"|side ?(?:effects?|affects?|reactions?)|toxicit(?:y|ies)|reactions?|deaths?)"
)
_MILD = (
    r"(?:mild|minor|non ?serious|low grade|grade (?:1|i|one)|transient|manageable|expected"
    r"|tolerable|self limiting|reversible|(?:mild|minor) (?:to|or|and) moderate)"
)
_BIOMARKER = (
    r"(?:biomarkers?|bio markers?|companion diagnostics?|cdx|diagnostic (?:assays?|tests?|kits?)"
    r"|assays?|target (?:engagement|occupancy|inhibition|modulation|coverage)|receptor occupancy"
    r"|pharmacokinetics?|pharmacodynamics?|pk ?pd|pk|drug exposures?|exposures?|bioavailability"
    r"|(?:plasma|serum|drug|blood) (?:levels?|concentrations?)|proof of mechanism"
    r"|mutation (?:status|testing|prevalence|frequency)|molecular (?:markers?|testing|selection))"
)
_DSMB = (
    r"(?:dsmb|idsmb|dsmc|dmc|idmc|smc|data (?:and )?(?:safety )?monitoring (?:board|committee)"
    r"|safety monitoring (?:board|committee)|(?:independent )?data monitoring committee"
    r"|steering committee|safety review (?:board|committee))"
)
_STAFF = (
    r"(?:pis?|(?:principal|primary|lead|chief|sponsor|co|sub) investigators?|investigators?"
    r"|study (?:coordinators?|doctors?|physicians?|staff|nurses?|team|chair|director)"
    r"|coordinators?|key (?:staff|personnel|investigators?)|research (?:staff|nurses?|coordinators?"
    r"|team)|staff members?)"
)
_FUND = (
    r"(?:funding|fundings|funds?|fundig|fundng|funders?|unfunded|under ?funded|underfunding"
    r"|defunded|defunding|financing|financial(?:ly)?|finances?|budget(?:ary|s)?|grants?|money"
    r"|monies|economic(?:al)?)"
)
_AUX = r"(?:(?:was|were|is|are|has|have|had|been|be|already|successfully|clearly) )"

# An early stop, the stop word in any form with "early" or "prematurely" before or after it.
_STOP_WORD = (
    r"(?:stop(?:s|ped|ping|page)?|terminat(?:e|es|ed|ing|ion)|halt(?:s|ed|ing)?"
    r"|discontinu(?:e|es|ed|ing|ation)|end(?:s|ed|ing)?|clos(?:e|ed|ing|ure)|cessation)"
)
_EARLY_STOP = (
    rf"(?:(?:early|premature) {_STOP_WORD}|{_STOP_WORD} (?:(?:the |this )?(?:study|trial) )?"
    r"(?:early|prematurely|ahead of schedule))"
)
_BECAUSE = (
    r"(?:for|due to|because of|owing to|on the basis of|based on|given|in view of"
    r"|as a result of|after|following|[(:])"
)
# Good news: efficacy, benefit or superiority, or positive results, with what may qualify them.
_GOOD_NEWS = (
    r"(?:(?:overwhelming|clear|compelling|substantial|marked|demonstrated|proven|significant"
    r"|statistically|superior|positive|early|favou?rable|convincing|strong|survival|clinical"
    r"|treatment) ){0,3}(?:evidence (?:of|for) (?:\w+ )?)?(?:"
    rf"{_EFFICACY}|benefits?|superiority|positive (?:\w+ ){{0,2}}?(?:results?|outcomes?|data"
    r"|findings|readouts?))"
)
# A filler word that is never a failure or a negation, so an early stop "for lack of benefit"
# or "due to poor results and efficacy" never reads as good news.
_NOT_BAD = (
    r"(?:(?!(?:not|no|never|lack|lacking|absence|without|futil\w*|insufficient|inadequate"
    r"|poor|low|lower|limited|negative|disappointing|unfavou?rable|reduced|modest|minimal"
    r"|marginal|inferior|weak|failed|failure|harm\w*|safety|toxic\w*|loss)\b)\w+ )"
)

# A word between a cause and the data it names that leaves the data's direction to the stop
# itself: not an absence, news from elsewhere, good news, or another kind of data.
_DATA_FILLER = (
    r"(?:(?!(?:lack|insufficient|limited|missing|poor|incomplete|no|low|sparse|inadequate"
    r"|unreliable|not|enough|sufficient|more|additional|new|emerging|recent|external|published"
    r"|other|another|positive|favou?rable|encouraging|promising|good|strong|safety|saftey|pk"
    r"|pharmacokinetic|pharmacodynamic|biomarker|enrol\w*|recruit\w*|accrual|funding|covid\w*"
    r"|interim|preliminary|final|mature|baseline|delay\w*|collect\w*|receipt|toxic\w*"
    r"|tolerability|animal|preclinical|pre|nonclinical|carcinogenicity|laboratory|lab|emergent"
    r"|current|qualitative|early|efficacy)\b)\w+ )"
)

# The arm a trial's drug is compared with: results in its favour are the drug's failure.
_CONTROL_ARM = (
    r"(?:(?:control|placebo|comparator|sham|usual care|standard (?:of care|care|therapy"
    r"|treatment)) (?:arms?|groups?|cohorts?)\b|(?:control|placebo|comparator|sham)\b)"
)

_RULE_TABLE: tuple[tuple[str, Category | None, str], ...] = (
    # --- shields: no category; they only hide phrases that contain a cue word
    ("shield.dsmb", None, rf"\b{_DSMB}\b"),
    (
        # Safety as a planned step of the design, not a finding: "to assess safety in the first
        # six patients", "safety assessments completed", "to clarify the DLT definitions".
        "shield.safety_evaluation",
        None,
        # ... or an objective: "to evaluate the long-term safety", "data needed to demonstrate
        # safety and performance"
        r"\b(?:assess|assessing|evaluate|evaluating|establish|establishing|determine"
        r"|determining|confirm|confirming|demonstrate|demonstrating|document|documenting"
        r"|characteri[sz]e|characteri[sz]ing|investigate|investigating) (?:the |its )?"
        r"(?:\w+ ){0,2}?(?:safety|tolerability)\b"
        r"|\b(?:safety|tolerability) (?:assessments?|evaluations?|run ?in|lead ?in"
        r"|(?:data )?review committee)\b|\bdlts? (?:definitions?|period|evaluation|window)\b"
        r"|\bdefinitions? of (?:the )?dlts?\b"
        # ... and its watch going on after the stop: "patients will be followed for safety",
        # "the vaccine's safety continues to be monitored", "safety reporting platforms"
        r"|\b(?:followed|monitored|observed|watched|assessed|evaluated) (?:up )?for (?:\w+ )?"
        r"(?:safety|tolerability)\b|\b(?:safety|tolerability) (?:(?:continues|continue|will"
        r"|is|are|was|were|be|being|to|been) ){0,3}(?:monitored|followed|tracked|reported)\b"
        r"|\bsafety reporting\b",
    ),
    (
        # Enrolment as a point in time, not a reason: "halted prior to enrollment of the first
        # participant", "withdrawn before recruitment began", "cancelled before enrolling any
        # patients". Not "before enrollment was complete" or "before the accrual goal".
        "shield.before_enrolment",
        None,
        r"\b(?:prior to|before) (?:the |any |its )?(?:first )?"
        r"(?:(?:patient|participant|subject)s? )?"
        rf"(?:{_ENROLMENT}|enrol+ing|recruiting|accruing|including)"
        r"(?: (?:of )?(?:the |any |its )?(?:first )?(?:patients?|participants?|subjects?"
        r"|volunteers?)| (?:began|begun|started|commenced|opened))?\b"
        r"(?! (?:was |were |had been |has been )?(?:complet\w*|goals?|targets?|met|reached"
        r"|finished|numbers?))",
    ),
    (
        # Enrolment as what was stopped, not why: "closed to accrual", "temporary closure to new
        # enrollment", "we terminated recruitment", "suspend the recruitment until August",
        # "closed (paused) to accrual".
        "shield.enrolment_stopped",
        None,
        r"\b(?:clos(?:ed|ing|ure)|stop(?:s|ped|ping|page)?|halt(?:s|ed|ing)?|suspen(?:d|ds|ded"
        r"|ding|sion)|terminat(?:e|ed|ing|ion)|discontinu(?:e|ed|ing|ation)|paus(?:e|ed|ing)"
        r"|ceas(?:e|ed|ing)|cessation) (?:\( \w+ \) )?(?:(?:to|of|for|the|all|its) ){0,2}"
        r"(?:(?:further|new|additional|patient|participant|subject) ){0,2}"
        rf"(?:{_ENROLMENT}|enrol+ing|recruiting"
        r"|accruing)\b",
    ),
    (
        # Mortality as the outcome the treatment is to lower is an efficacy measure, not a death
        # it caused: "whether study treatment reduces mortality", "a decrease of perinatal
        # mortality", "mortality reduction", "the postulated mortality benefit".
        "shield.mortality_outcome",
        None,
        r"\b(?:reduc\w*|decreas\w*|lower(?:s|ed|ing)?|prevent\w*|improv\w*) (?:(?:in|of|the) ){0,2}"
        r"(?:\w+ )?mortality\b|\bmortality (?:benefit|reduction|end ?points?|outcomes?)\b",
    ),
    (
        # Futility of the operation, not of the drug: "operational futility", "futility of
        # recruitment" (the guide's futility-vs-low-power rule).
        "logistics.operational_futility",
        "Logistics_Resources",
        rf"\b(?:operational|{_ENROLMENT}|feasibility|logistic(?:al|s)?) futil(?:e|ity)\b"
        rf"|\bfutil(?:e|ity) (?:of|in|for) (?:the )?(?:{_ENROLMENT}|{_ENROL_VERB}|accrual"
        r"|feasibility)\b",
    ),
    (
        # The pandemic's risk to participants is not the drug's safety: "safety concerns
        # surrounding COVID-19", "the safety risk of the COVID 19 virus".
        "covid.pandemic_safety",
        "Covid19",
        r"\b(?:safety|health|risks?) (?:\w+ ){0,5}?(?:surrounding|of|from|due to|related to"
        r"|regarding|during|with|amid|in view of|because of) (?:\w+ ){0,10}?(?:covid\w*"
        r"|coronavirus|pandemic|sars|sars cov 2|virus|transmission|infections?)\b"
        r"|\b(?:covid\w*|coronavirus|pandemic|sars cov 2) (?:\w+ ){0,3}?(?:safety|risks?)\b",
    ),
    (
        # The safety of the study staff is never the drug's (staff are not given it): "to
        # ensure participant and staff safety", "the safety of patients and research staff".
        "shield.staff_safety",
        None,
        r"\b(?:(?:\w+ )?(?:and|or|,) )?(?:(?:research|study|clinical|hospital|site) )?(?:staff"
        r"|personnel|employees?|workers?|researchers?)(?: members?)? safety\b"
        r"|\bsafety of (?:the |our )?(?:\w+ ){0,3}?(?:staff|personnel|employees|workers"
        r"|researchers)\b",
    ),
    (
        "shield.good_safety",
        None,
        r"\b(?:good|acceptable|favou?rable|excellent|benign|clean|reassuring|manageable)"
        r" (?:\w+ )?(?:safety|tolerability)(?: profile)?\b|\bsafety follow ?up\b"
        r"|\b(?:safety|tolerability)(?: profile)? (?:(?:was|were|is|are|has been|remained) )"
        r"(?:(?:generally|overall|very|also) )?(?:good|acceptable|favou?rable|excellent|benign"
        r"|clean|reassuring|manageable|satisfactory)\b",
    ),
    (
        # Mild, non-serious or unrelated adverse events are reported, not a reason to stop:
        # "adverse events were mild", "mild to moderate AEs", "AEs were not drug related".
        "shield.mild_events",
        None,
        rf"\b{_MILD} (?:(?:and|or) (?:transient|reversible|manageable|self limiting) )?{_AE}\b"
        rf"|\b{_AE} (?:(?!(?:not|no|never|serious|severe|fatal)\b)\w+ ){{0,3}}?"
        r"(?:was|were|is|are|have been|had been|remained) (?:(?:all|generally|mostly|mainly|only"
        rf"|predominantly|largely|overall) )?(?:{_MILD}|not (?:\w+ )?(?:serious|severe|related"
        r"|drug related|treatment related)|unrelated)\b"
        rf"|\b{_AE} (?:, )?(?:(?:was|were|is|are|judged|considered|deemed|assessed as) ){{0,2}}"
        r"(?:not (?:\w+ )?related|unrelated) to (?:the )?(?:\w+ )?(?:drugs?|treatments?|products?"
        r"|medications?|interventions?|therap(?:y|ies)|vaccines?|devices?)\b",
    ),
    # --- Safety_Sideeffects
    (
        "safety.word",
        "Safety_Sideeffects",
        r"\b(?:safety|saftey|safty|saefty|safey|sefety|safetey|unsafe)\b",
    ),
    (
        "safety.adverse_events",
        "Safety_Sideeffects",
        r"\b(?:adverse|advers) (?:\w+ )?(?:events?|effects?|reactions?|experiences?|findings?)\b"
        r"|\b(?:saes?|aes?|susars?|adrs?)\b",
    ),
    ("safety.side_effects", "Safety_Sideeffects", r"\bside ?(?:effects?|affects?|reactions?)\b"),
    (
        "safety.toxicity",
        "Safety_Sideeffects",
        r"\b(?:\w*toxicit(?:y|ies)|\w*toxicty|\w*toxic|dose limiting|dlts?)\b",
    ),
    (
        "safety.tolerability",
        "Safety_Sideeffects",
        r"\b(?:(?:poor(?:ly)?|not|badly|less|insufficient(?:ly)?|inadequate(?:ly)?) (?:\w+ )?"
        r"(?:tolerated|tolerable|tolerability)|un ?tolerated|intoleran(?:ce|t)|intolerable"
        r"|tolerability)\b",
    ),
    ("safety.death", "Safety_Sideeffects", r"\b(?:deaths?|died|fatal(?:ity|ities)?|mortality)\b"),
    (
        "safety.harm",
        "Safety_Sideeffects",
        r"\b(?:harm(?:ful)?|hazard(?:s|ous)?"
        r"|(?:partial )?clinical holds?(?! (?:\w+ ){0,2}?(?:due to|because of|for) (?:the )?"
        r"(?:covid\w*|pandemic|coronavirus))|partial holds?"
        r"|risks? of (?:\w+ ){0,2}?(?:arrhythmias?|bleeding|haemorrhage|hemorrhage|death|toxicity"
        r"|harm|injury|infections?|complications?|side effects?|adverse \w+|thrombo\w*"
        r"|cardiovascular \w+|cardiac \w+))\b",
    ),
    (
        # A regulator's hold with no reason named ("FDA hold", "the FDA put a temporary hold on
        # the trial", "placed on hold by the regulator") is read like a clinical hold: the guide's
        # hold for safety. Only the hold words, so the regulator stays Regulatory; beside the
        # pandemic it is the pandemic's (see _pandemic_risk).
        "safety.regulator_hold",
        "Safety_Sideeffects",
        r"(?:(?<=\bfda )|(?<=\bema )|(?<=\bmhra )|(?<=\bregulatory )|(?<=\bregulator )"
        r"|(?<=\bauthority )|(?<=\bauthorities ))(?:(?:put|puts|placed|places|place) (?:\w+ ){0,3}?"
        r"on (?:\w+ ){0,2}?|(?:(?!not\b)\w+ ){0,3}?)holds?\b"
        r"|\bholds?(?= (?:\w+ ){0,2}?(?:by|from) (?:the )?(?:fda|ema|mhra|regulat\w*"
        r"|authorit\w*)\b)",
    ),
    (
        # A risk in general words, with no harm named: an increased or unacceptable risk, a
        # risk to the participants, the balance of benefit and risk. The guide reads it as
        # safety unless its driver is named (see _pandemic_risk).
        "safety.risk",
        "Safety_Sideeffects",
        r"\b(?:(?:unacceptable|increased|elevated|excess) risks?|health risks?"
        r"|risks? to (?:\w+ )?(?:patients?|participants?|subjects?|volunteers?)"
        r"|(?:benefit (?:: |/ )?risk|risk (?:: |/ )?benefit|benefit to risk|risk to benefit"
        r"|benefit and risk)"
        r"(?! (?:assessments? )?(?:remains?|is|was) (?:\w+ )?(?:positive|favou?rable))"
        r"|risks? (?:\w+ ){0,6}?outweighs? (?:the |its |any )?(?:potential )?benefits?"
        # the same balance from the other side: "the benefits no longer outweigh the risks"
        r"|benefits? (?:(?:\w+|,) ){0,10}?(?:no longer|not|never) (?:\w+ )?outweighs?"
        r" (?:\w+ ){0,4}?risks?)\b",
    ),
    (
        "safety.events",
        "Safety_Sideeffects",
        r"\b(?:liver (?:injury|damage|failure|enzyme elevations?)|(?:elevated|increased)"
        r" (?:liver enzymes|transaminases?|alt|ast|lfts?)|qtc? prolongation|prolonged qtc?"
        r"|anaphyla(?:xis|ctic)|hypersensitivity|infusion (?:related )?reactions?"
        r"|cytokine release|unexpected (?:\w+ )?(?:events?|findings?|reactions?)"
        r"|(?:important medical|serious|reportable|unanticipated|medical|safety) events?"
        r"|toxicolog\w*(?: \w+)? (?:findings?|signals?|results?|concerns?|issues?)"
        r"|carcinogen\w*|\w*toxins?|narrow therapeutic (?:window|index|margin)"
        # the product's quality (the guide's supply rule): "a quality issue affecting the
        # implants", "did not meet the filed specifications", "out of specification"
        r"|(?<!data )(?<!image )(?<!sample )(?<!study )(?<!trial )(?<!research )(?<!care )"
        r"quality (?:issues?|problems?|defects?|deviations?|failures?)"
        r"|out of specifications?|(?:did|does|do) not (?:\w+ )?meet (?:the )?(?:\w+ ){0,2}?"
        r"specifications?|defective (?:\w+ )?(?:products?|devices?|implants?|batch\w*|lots?"
        r"|vials?|units?)"
        r"|contaminat\w* (?:of )?(?:the |one |a )?(?:\w+ )?(?:lots?|batch\w*|products?|drugs?"
        r"|supply|supplies|vials?|doses?)|(?:lots?|batch\w*|products?|drugs?|vials?)"
        r" (?:\w+ )?contaminat\w*)\b",
    ),
    # --- Negative (efficacy)
    ("efficacy.futility", "Negative", r"\bfutil(?:e|ity)\b"),
    (
        "efficacy.lack",
        "Negative",
        r"\b(?:(?:lack(?:ing)? of|absence of|loss of|insufficient|inadequate|limited|low|lower"
        r"|poor|modest|minimal|marginal|unsatisfactory|disappointing|suboptimal|sub optimal|weak"
        r"|reduced|decreased|diminished|inferior|unconvincing|not (?:sufficient|enough|adequate))"
        r" (?:(?:clinically|statistically) (?:significant|meaningful|relevant) )?"
        rf"(?:{_W}){{0,2}}?{_EFFECT}\b|no (?:{_W}){{0,2}}?{_EFFECT}\b(?!{_CONCERN_TAIL}))"
        r"(?! (?:from|by) )(?: in (?:\w+ ){0,2}?(?:mortality|survival|deaths?))?",
    ),
    (
        # A verdict after the noun: "efficacy was insufficient", "response rate was low",
        # "benefit of the drug was not demonstrated", telegraphic "efficacy insufficient". Words
        # between noun and verdict need a verb after them, so a list or a run-on never joins.
        "efficacy.verdict",
        "Negative",
        rf"\b{_EFFECT_SUBJECT} (?:{_VERDICT_FILLER}{_VERDICT_VERB}{{1,3}}"
        rf"|(?={_VERDICT}{_CLAUSE_END}))"
        rf"{_VERDICT}\b"
        # ... or the subject of a target it missed: "the response rate did not meet the
        # threshold", "efficacy failed to reach the predefined level"
        rf"|\b{_EFFECT_SUBJECT} {_VERDICT_FILLER}(?:(?:did|does|do|has|have|had|could|would|will)"
        r" not|failed to|fails to) (?:\w+ )?(?:meet|reach|achieve|attain|exceed|cross)\b",
    ),
    (
        "efficacy.not_shown",
        "Negative",
        r"\b(?:did not|does not|do not|(?:has|have|had|was|were|is) not|failed to|fails? to"
        r"|failure to|failing to|unable to|inability to|could not|can not|not able to|unlikely to"
        r"|will not"
        r"|would not|may not|not(?= \w+ing\b)) (?:\w+ ){0,2}?(?:meet|reach|achiev|show"
        r"|demonstrat|confirm|establish|prov|reveal|yield|produc|see|find|indicat"
        r"|detect|improv|reduc|separat|beat|outperform)\w* (?:(?:\w+ )?evidence (?:of|for) )?"
        rf"{_W}{{0,4}}?(?:end ?points?"
        r"|objectives?|outcomes?|goals?|efficacy|benefits?|superiority|non ?inferiority|effects?"
        r"|differences?|significance|improvements?|responses?|activity|proof of concept"
        r"|separation|associations?|advantages?|equivalence|(?:progression free |overall )?survival"
        r"|pfs|orr|response rates?"
        r"|(?:different|positive|significant|meaningful|favou?rable|better) results?"
        r"|expectations?|(?<!inclusion )(?<!eligibility )(?<!entry )(?<!enrollment )"
        r"(?<!enrolment )(?:criteria|criterion|targets?|thresholds?)"
        rf"(?! for| sample| sizes?\b| numbers?\b| {_ENROL_ANY}\b| {_PEOPLE}\b))\b",
    ),
    (
        "efficacy.endpoint_not_met",
        "Negative",
        r"\b(?:(?:primary|secondary|main|key|study) )?(?:end ?points?|objectives?|outcomes?"
        r"|(?:statistically )?significant differences?|statistical significance)"
        r"(?: (?:of|in|for) (?:the )?(?:\w+ ){1,3}?)?"
        r" (?:(?:was|were|has|have|had|been|is|are|could|would|will|be) ){0,3}(?:not|never)"
        r" (?:likely to )?(?:be )?(?:met|reached|achieved|attained|demonstrated|achievable)\b"
        r"|\b(?:primary|secondary|main|key) (?:end ?points?|objectives?|outcomes?)"
        r" (?:(?:was|were|is|are|proved|turned out) )?(?:to be )?(?:negative|missed)\b",
    ),
    (
        "efficacy.negative_results",
        "Negative",
        r"\b(?:negatives?|disappointing|discouraging|unfavou?rable|inconclusive|unsatisfactory"
        rf"|poor|inferior) (?:{_W}|{_EFFICACY} ){{0,2}}?(?:results?|outcomes?|data|findings|trends?"
        r"|readouts?)\b"
        r"|\bnegative (?:study|trial)\b",
    ),
    (
        # A failed trial or program named as such: "following phase 3 failure", "the pivotal
        # study failed", "failed trials of the same class".
        "efficacy.failed_trial",
        "Negative",
        r"\b(?:phase (?:[1-4]|i{1,3}|iv)[ab]?|pivotal|registration(?:al)?|confirmatory|study"
        r"|trial|clinical|program(?:me)?) (?:(?:\w+ )?(?:study|trial) )?(?:failures?|failed)\b"
        r"|\b(?:failed|unsuccessful) (?:(?:phase (?:[1-4]|i{1,3}|iv)[ab]?|pivotal|confirmatory"
        r"|clinical) )?(?:study|studies|trials?)\b",
    ),
    (
        # A stop stated to follow the data ("based on the available data", "after unblinding",
        # "following review of the clinical data"): the labelling guide reads a data-driven
        # stop that names no harm as efficacy. Not data that were missing, new or elsewhere
        # ("due to lack of data", "based on emerging data": no direction), nor good news.
        "efficacy.data_driven",
        "Negative",
        r"\b(?:based on|on the basis of|following|after|in light of|in view of|according to"
        rf"|given|due to|because of) (?:the )?{_DATA_FILLER}{{0,4}}?(?:(?:data|results?|findings)"
        r"(?! (?:collection|quality|management|entry|protection|monitoring|sharing"
        r"|base|set|safety|analyst|were (?:not|never)|was (?:not|never))\b)|unblinding)\b",
    ),
    (
        # Outcome data that do not carry the programme on: "the totality of the data does not
        # support continuation", "results not clinically significant", "low probability of
        # achieving the mortality benefit", "a higher recurrence rate in the intervention group".
        "efficacy.data_against",
        "Negative",
        r"\b(?:data|results?|findings|evidence|activity|analys[ie]s) (?:\w+ ){0,3}?(?:do|does|did"
        r"|would|could) not (?:\w+ )?support\b"
        r"|\b(?:showed|shows|show|was|were|is|are|found|proved|remained|appeared|be) (?:to be )?"
        r"(?:not|non|in) ?(?:clinically |statistically )?significant\b(?! (?:adverse|safety|side"
        r"|toxicit\w*|events?|risks?|concerns?|issues?|changes?)\b)"
        r"|\b(?:low|small|limited|insufficient|minimal|poor) (?:\w+ )?(?:probability|likelihood"
        r"|chance|power) (?:of|to) (?:\w+ ){0,3}?(?:success|benefit|efficacy|achiev\w*|reach\w*"
        r"|demonstrat\w*|show\w*|detect\w*)\b"
        # ... and the same judgment with the verdict after it: "the likelihood of remission with
        # this therapy was low", "the chance of a response is small"
        r"|\b(?:probability|likelihood|chances?|odds) (?:of|for|to) (?:\w+ ){0,3}?(?:success\w*"
        r"|benefits?|efficacy|remissions?|responses?|cures?|improvements?|achiev\w*|reach\w*"
        r"|demonstrat\w*|show\w*|meet\w*) (?:\w+ ){0,4}?(?:was|were|is|are|be|remained|remains"
        r"|appeared|appears|seemed|seems|became) (?:(?:very|too|extremely|rather|quite) )?(?:low"
        r"|small|minimal|limited|remote|slim|poor|negligible)\b"
        r"|\b(?:higher|increased|more|excess) (?:\w+ )?(?:recurrences?|relapses?|failures?"
        r"|progressions?|reinfections?)(?: rates?)? (?:in|among|with|for) (?:the )?(?:intervention"
        r"|treatment|experimental|study|active|investigational|test) (?:\w+ )?(?:arms?|groups?"
        r"|patients|participants)\b"
        rf"|\b(?:in favou?r of|favou?ring|favou?red) (?:the )?{_CONTROL_ARM}"
        r"|\b(?:treatment )?failures? in the (?:experimental|intervention|treatment|active"
        r"|investigational) (?:arms?|groups?)\b"
        # evidence, here or elsewhere, that tells against the treatment: "accumulating evidence
        # against the drug", "new data not in favour of the regimen", "publications question
        # the effectiveness of the approach", "its benefit is doubtful"
        r"|\bevidence (?:\w+ )?against\b"
        r"|\b(?:data|results?|findings|evidence) (?:\w+ ){0,2}?(?:not|no longer) in favou?r of\b"
        r"|\b(?:question(?:s|ed|ing)?|calls? into question|called into question|doubts? (?:about"
        r"|on|over)|cast(?:s|ing)? doubts? on|doubtful|questionable) (?:the )?(?:\w+ ){0,2}?"
        rf"{_EFFECT}\b"
        rf"|\b{_EFFECT_SUBJECT} (?:(?:is|was|are|were|remains?|remained) )?"
        r"(?:doubtful|questionable)\b",
    ),
    (
        # Words that are a failure by themselves; bare "efficacy" is not one of them.
        "efficacy.word",
        "Negative",
        # the negative prefix in any form: "ineffective", "uneffective", "non-effective"
        r"\b(?:(?:in|un)effective(?:ness)?|inefficacy|(?:in|un)efficacious|(?:not|non) efficacious"
        r"|(?:not|non) (?:(?:very|sufficiently|as|particularly) )?effective|less effective"
        r"|no longer effective|lack of effect"
        r"|(?:was|were|is|are|be|been|proved|proven|found to be|shown to be|appeared|potentially"
        r"|clinically|significantly) inferior)\b",
    ),
    (
        # A worry about efficacy is a reason ("efficacy concerns"); denied, it is not one ("no
        # efficacy or safety concerns" negates this match and the safety one alike).
        "efficacy.concern",
        "Negative",
        rf"\b{_EFFICACY}(?: {_CONCERN_NOUN}\b|(?={_COORDINATED}{_CONCERN_NOUN}\b))",
    ),
    (
        # A mention only: bare "efficacy" names no direction (stopped for it, or for lack of
        # it?), so it never counts. It is matched so a denial ("unrelated to efficacy") is
        # reported as a negated concern, and so it can claim its word from weaker rules.
        "efficacy.mention",
        "Negative",
        rf"\b{_EFFICACY}\b",
    ),
    # --- Biomarker (drafter addition)
    (
        "biomarker.failure_before",
        "Biomarker",
        r"\b(?:lack(?:ing)? of|absence of|no|insufficient|inadequate|limited|low|poor|failed"
        r"|failure of|suboptimal|sub optimal|unfavou?rable|unexpected|unsatisfactory|disappointing"
        r"|variable|inconsistent|high variability (?:of|in)|not (?:sufficient|adequate|enough)"
        rf"|lower than (?:expected|anticipated|predicted|planned)) {_W}{{0,2}}?{_BIOMARKER}\b",
    ),
    (
        "biomarker.failure_after",
        "Biomarker",
        rf"\b{_BIOMARKER} (?:(?!(?:not|no|never)\b)\w+ ){{0,3}}?(?:(?:was|were|is|are|did"
        r"|does|could|has|have|had|be|been) ){0,2}(?:not (?:\w+ )?(?:met|achieved|reached"
        r"|observed|demonstrated|confirmed"
        r"|validated|sufficient|adequate|supportive|support|supported|predictive|available"
        r"|feasible|reliable|detected|shown|seen)|insufficient|inadequate|failed|failure"
        r"|unfavou?rable|lower than|below|suboptimal|unsupportive|unreliable|issues?|problems?"
        r"|challenges?|concerns?|variability|unavailab\w*|negative|reasons|findings)\b",
    ),
    ("biomarker.companion_diagnostic", "Biomarker", r"\b(?:companion diagnostics?|cdx)\b"),
    # --- Success and Endpoint_Met (not failures)
    (
        "success.benefit",
        "Success",
        r"\b(?:overwhelming|early|clear|compelling|substantial|marked|demonstrated|proven"
        r"|significant|superior) (?:evidence (?:of|for) |(?!(?:no|not|never|little|lack|without"
        r"|minimal|limited)\b)\w+ )?(?:efficacy|benefit"
        r"|effectiveness|superiority|treatment effect)\b|\b(?:efficacy|benefit|superiority"
        rf"|effectiveness) {_AUX}{{0,3}}(?:demonstrated|established|proven|shown|confirmed)\b"
        r"|\b(?:showed|shows|demonstrated|demonstrates|indicated|indicates|revealed|confirmed)"
        r" (?:(?:a|an|clear|significant|substantial|overwhelming|statistically|positive"
        r"|survival|treatment) ){0,3}(?:efficacy|benefit|superiority|treatment effect)\b",
    ),
    (
        # An early stop because the drug worked, in any of its spellings: "stopped early for
        # benefit", "early termination due to overwhelming efficacy", "terminated prematurely
        # owing to positive results". The words between never hold a failure word, so "stopped
        # early for lack of benefit" stays a failure.
        "success.early_stop",
        "Success",
        rf"\b{_EARLY_STOP} {_NOT_BAD}{{0,3}}?{_BECAUSE} (?:(?:the|a|an) )?{_GOOD_NEWS}\b"
        rf"|\b{_GOOD_NEWS} {_NOT_BAD}{{0,3}}?(?:led|leading|lead|resulted|prompted) (?:to |in )?"
        rf"(?:(?:the|an|a) )?{_EARLY_STOP}\b",
    ),
    (
        "success.boundary",
        "Success",
        r"\b(?:efficacy|benefit|superiority) (?:stopping )?(?:boundary|boundaries|bound"
        r"|threshold|criteri(?:on|a)) (?:(?:was|were|has been|had been|is|had|have) )?(?:crossed"
        r"|reached|met|achieved|exceeded|passed)\b|\b(?:crossed|reached|met|passed|exceeded)"
        r" (?:the |an |a )?(?:\w+ )?(?:efficacy|benefit|superiority) (?:stopping )?(?:boundary"
        r"|boundaries|bound|threshold)\b"
        r"|\b(?:stopping )?(?:boundary|boundaries|bound|threshold|criteri(?:on|a)) (?:for|of)"
        r" (?:\w+ )?(?:efficacy|benefit|superiority) (?:(?:was|were|has been|have been|had been"
        r"|is|are|had|have) )?(?:crossed|reached|met|achieved|exceeded|passed)\b",
    ),
    (
        "success.positive_results",
        "Success",
        r"\bpositive (?:\w+ ){0,2}?(?:results?|outcomes?|data|findings|readouts?|trends?)\b",
    ),
    (
        "success.word",
        "Success",
        r"\b(?:success|successful|stopped (?:early )?for (?:efficacy|benefit)"
        r"|early (?:for|due to|because of) (?:(?:proven|demonstrated|clear) )?"
        r"(?:efficacy|benefit))\b",
    ),
    (
        "endpoint.met",
        "Endpoint_Met",
        r"\b(?:(?:primary|secondary|main|key|study) )?(?:end ?points?|objectives?)"
        rf" {_AUX}{{0,3}}(?:met|reached|achieved|attained|fulfilled|accomplished)\b"
        r"|\b(?:met|reached|achieved|attained) (?:(?!not\b)\w+ ){0,2}?"
        r"(?:end ?points?|objectives?)\b",
    ),
    # --- Insufficient_Enrollment
    (
        "enrollment.poor",
        "Insufficient_Enrollment",
        r"\b(?:slow(?:er)?|low(?:er)?|poor|insufficient|inadequate|limited|lack of|lacking"
        r"|difficult(?:y|ies)?|problem(?:atic|s)?|challeng(?:e|es|ing)|issues?|failure|failed"
        r"|sluggish|unsatisfactory|disappointing|reduced|small|minimal|weak|sparse|no|zero|0)"
        rf" (?:\w+ ){{0,2}}?{_ENROL_ANY}\b"
        r"|\b(?:low|lack of|limited|poor|little|no) (?:patient|participant|subject)s? interest\b"
        rf"|\b{_ENROL_ANY} (?:\w+ ){{0,2}}?(?:(?:was|were|is|are|has|have|had|been|too|very"
        r"|remained|remains|being|much|far) ){0,3}(?:slow(?:er)?|low(?:er)?|poor|insufficient"
        r"|inadequate|limited|difficult|challenging|problematic|sluggish|unsatisfactory"
        r"|disappointing|below|less than|lower than|not (?:sufficient|adequate|feasible|possible"
        r"|successful|achieved|met|reached|as expected)|issues?|problems?|difficult(?:y|ies)"
        # an adjective before a concern noun is that noun's: "enrollment and limited efficacy"
        r"|challenges?|failure|futility)\b(?! (?:of )?(?:efficacy|effect|effects|safety|benefits?"
        r"|activity|responses?|toxicity|tolerability)\b)",
    ),
    (
        "enrollment.unable",
        "Insufficient_Enrollment",
        r"\b(?:unable|could not|can not|did not|failed|failure|inability|not able|not possible"
        r"|impossible|difficult(?:y|ies)?|hard) (?:to |in )?(?:\w+ )?(?:"
        rf"{_ENROL_VERB}|{_ENROLMENT})\b"
        r"|\b(?:(?:unable|failed|failure|inability|not able|not possible|impossible) to"
        r"|(?:could|can|did|do|does) not"
        r"(?: to)?) (?:find|identify|reach|meet|achieve|obtain|attain|complete|get|have)"
        rf" {_W}{{0,4}}?(?:{_PEOPLE}|{_ENROLMENT}|sample size)\b"
        r"|\b(?:difficult(?:y|ies)?|problems?|challenges?|trouble) (?:in |with )?(?:finding"
        rf"|identifying|locating|screening) (?:\w+ ){{0,2}}?{_PEOPLE}\b",
    ),
    (
        "enrollment.few_people",
        "Insufficient_Enrollment",
        r"\b(?:few|too few|not enough|insufficient|inadequate|limited|lack of|shortage of"
        r"|paucity of|(?:low|small|limited|insufficient) numbers? of)"
        rf" (?:(?!evaluable|assessable|analy[sz]able)\w+ )?{_PEOPLE}\b(?! (?:safety|data)\b)"
        r"|\bonly (?:\d+|one|two|three|four|five|a few|a handful of) (?:\w+ )?"
        rf"(?:{_PEOPLE} )?(?:(?:were|was|have been|had been) )?(?:enrol+ed|recruited"
        r"|randomi[sz]ed|accrued|included)\b"
        rf"|\b(?:no|zero|0) (?:\w+ )?{_PEOPLE} (?:(?:were|was|have been|had been|could be) )?"
        r"(?:enrol+ed|recruited|randomi[sz]ed|accrued|included|identified|screened|eligible"
        r"|available|interested)\b",
    ),
    (
        "enrollment.bare",  # weak: a bare "Accrual"; "recruitment was stopped" is the event
        "Insufficient_Enrollment",
        rf"\b{_ENROLMENT}\b(?! (?:(?:of|in|into|for|to|at) (?:(?:the|new|further|all|any) )?"
        r"(?:\w+ )?)?(?:(?:was|were|has been|had been|is|will be) )?(?:stopped|halted"
        r"|closed|terminated|ended|suspended|paused|completed?|finished|discontinued|on hold"
        r"|target|goal)\b)",
    ),
    # --- Funding (drafter addition)
    (
        "funding.withdrawn",
        "Funding",
        r"\b(?:(?:sponsors?|company|funders?|nih|government|agency|foundation) (?:\w+ )?)?"
        r"(?:(?:decided|chose|elected|had) to )?(?:withdr[ae]w\w*|withdrawal of|pull\w*|cuts?"
        r"|cutting|end|ended|ending|end of|stop\w*|discontinu\w*|terminat\w*|loss of|lost"
        r"|lack of|reduction (?:of|in)|no|insufficient|not enough|without) (?:\w+ )?(?:funding"
        r"|funds|financial support|financing|grant|support|budget|financial resources)\b",
    ),
    (
        "funding.grant_ended",
        "Funding",
        r"\bgrants? (?:\w+ )?(?:ended|ends|ending|expired|expires|expiration|period|terminated"
        r"|not (?:\w+ )?(?:renewed|funded|awarded|obtained)|completed|finished|cycle|cut)\b"
        r"|\b(?:end|expir\w*|loss|termination|completion) of (?:the )?(?:\w+ )?grants?\b"
        r"|\b(?:not|never|no longer) (?:\w+ )?(?:funded|financed)\b",
    ),
    (
        "funding.not_obtained",
        "Funding",
        r"\b(?:not|never|unable to|failed to|failure to) (?:\w+ )?(?:receive|received|obtain"
        r"|obtained|get|secure|secured|raise|raised|awarded|renew|renewed|find|found)"
        rf" (?:\w+ ){{0,2}}?{_FUND}\b",
    ),
    ("funding.word", "Funding", rf"\b{_FUND}\b"),
    # --- Business_Administrative
    (
        "business.word",
        "Business_Administrative",
        r"\b(?:business|buisness|bussiness|busines|buissness|bussines|businesss|bisiness)(?:es)?\b",
    ),
    (
        "business.decision",
        "Business_Administrative",
        r"\b(?:sponsors?|company|companies|corporate|corporation|management|internal"
        r"|administrative|executive|manufacturer|pharma|partners?|collaborators?|licensee"
        r"|licensor|funders?|pis?|investigators?|principal investigator|institution"
        r"|institutional)(?: \w+)? (?:decision|decided|decides|choice|chose|request(?:ed)?"
        r"|elected|opted|determined)\b"
        r"|\bdecision (?:\w+ ){0,2}?(?:by|of|from) (?:the )?(?:\w+ )?(?:sponsors?|company"
        r"|management|funders?|manufacturer|partners?|collaborators?|pharma\w*|licensee|owner"
        r"|board of directors)\b",
    ),
    (
        "business.strategy",
        "Business_Administrative",
        r"\b(?:strateg(?:y|ic|ically|ies)|portfolio|(?:re|de) ?prioriti[sz]\w*|prioriti[sz]ation"
        r"|priorities|(?:not|no longer) (?:a )?(?:\w+ )?priority|pipeline|commercial(?:ly)?"
        r"|marketing|market|corporate|administrative(?:ly)?|company reasons|internal reasons"
        # a shift of effort elsewhere: "terminated to focus on other programmes", "refocusing"
        r"|to (?:re)?focus (?:\w+ )?on|refocus\w*)\b",
    ),
    (
        # A programme's end is a business reason; a bare "project" is the study itself, so
        # "project abandoned" only reports the stop (a drug or development project counts).
        "business.development_stopped",
        "Business_Administrative",
        r"\b(?:(?:(?:drug|product|clinical|compound|asset) )?(?:development|program(?:me)?"
        r"|franchise)|(?:drug|product|compound|asset|development) projects?)"
        r" (?:(?:of|for) (?:the |this )?(?:\w+ ){0,2}?)?"
        r"(?:(?:was|has been|is|been|being) )?(?:discontinued|stopped|terminated|halted"
        r"|suspended|ended|abandoned|deprioriti[sz]ed|closed|cancell?ed|put on hold)\b"
        r"|\b(?:discontinu\w*|terminat\w*|suspen\w*|cessation|halt\w*|end|stop\w*|abandon\w*)"
        r" (?:of )?(?:the )?(?:\w+ )?(?:development|program(?:me)?|franchise"
        r"|(?:drug|product|compound|asset|development) projects?)\b"
        r"|\bno longer (?:being )?(?:developed|pursued|in development)\b",
    ),
    (
        "business.interest",
        "Business_Administrative",
        rf"\b(?:lost|loss of|lack of|no longer|no|waning|declining|limited) {_W}?interest(?:ed)?\b",
    ),
    (
        "business.company",
        "Business_Administrative",
        r"\b(?:bankrupt\w*|insolven\w*|liquidat\w*|receivership|ceased (?:\w+ )?operations"
        r"|out of business|(?:company|sponsor)s? (?:\w+ ){0,2}?(?:acquired|sold|closed"
        r"|dissolved|merged|ceased)|mergers?|acquired by|takeover|divest\w*|restructur\w*"
        r"|reorgani[sz]\w*|change (?:of|in) (?:\w+ )?(?:sponsor|sponsorship|ownership"
        r"|management)|sponsor change|transfer of (?:\w+ )?(?:sponsorship|ownership|rights))\b",
    ),
    (
        "business.agreement",
        "Business_Administrative",
        r"\b(?:licen[cs]e|licen[cs]ing|collaboration|partnership|agreement|contract|alliance"
        r"|deal)s? (?:\w+ ){0,2}?(?:terminated|ended|expired|not renewed|returned|cancell?ed"
        r"|withdrawn|dissolved)\b|\b(?:termination|end|expir\w*|loss|cancell?ation) of (?:the )?"
        r"(?:\w+ )?(?:licen[cs]e|licen[cs]ing|collaboration|partnership|agreement|contract"
        r"|alliance)\b",
    ),
    (
        "business.actor",  # weak: "Sponsor terminated the study" names an actor, not a reason
        "Business_Administrative",
        r"\b(?:sponsors?(?:hip)?|company|manufacturer)\b",
    ),
    # --- Study_Staff_Moved
    (
        "staff.left",
        "Study_Staff_Moved",
        rf"\b{_STAFF} (?:\w+ ){{0,2}}?(?:left|leaving|leaves|moved|moving|moves|relocat\w*"
        r"|retir\w*|depart\w*|resign\w*|transferred|died|passed away|deceased|changed (?:jobs?"
        r"|institutions?|positions?|employment|employer)|no longer (?:at|with|employed|available"
        r"|works?|working|affiliated)|on (?:\w+ )?leave|illness|ill|sick|unavailable"
        r"|not available)\b(?: (?:to|from) (?:the |an? |another |other |new )?(?:\w+ )?"
        r"(?:institution|institute|site|hospital|university|cent(?:er|re)|position|job|company"
        r"|organi[sz]ation|country|state|city)\b)?",
    ),
    (
        "staff.loss_of",
        "Study_Staff_Moved",
        r"\b(?:departure|relocation|retirement|resignation|death|passing|loss|leave|illness"
        r"|absence|move|change|unavailability) (?:of|by) (?:the |our |a |key )?(?:\w+ )?"
        rf"{_STAFF}\b",
    ),
    # --- Logistics_Resources
    (
        "logistics.supply",
        "Logistics_Resources",
        r"\b(?:(?:study|investigational|trial) )?(?:drug|product|medication|medicine|vaccine"
        r"|device|material|imp|placebo|compound|agent)s? (?:\w+ ){0,2}?(?:supply|supplies"
        r"|shortages?|unavailab\w*|not (?:\w+ )?available|no longer available|availability"
        r"|stability|recall(?:ed)?|out of stock|production)\b"
        r"|\b(?:supply|supplies)(?: (?:\w+ )?(?:chain|issues?|problems?|constraints?|shortages?"
        r"|interruptions?|disruptions?|limitations?|reasons))?\b"
        r"|\b(?:shortage|lack|unavailability|loss) of (?:\w+ ){0,2}?(?:drug|product|medication"
        r"|medicine|vaccine|device|material|placebo|compound|agent|reagents?|kits?)s?\b"
        r"|\bout of stock\b",
    ),
    ("logistics.expired", "Logistics_Resources", r"\b(?:expir(?:ed|y|ation|ing)|shelf life)\b"),
    (
        "logistics.manufacturing",
        "Logistics_Resources",
        r"\bmanufactur(?:ing|e|ed)\b|\bproduction (?:\w+ )?(?:issues?|problems?|delays?|stopped"
        r"|halted)\b",
    ),
    (
        "logistics.resources",
        "Logistics_Resources",
        r"\b(?:(?:lack|loss|shortage|insufficien\w*|limited|limitations?|constraints?|inadequate"
        r"|reallocation|reduction) (?:of |in |on )?(?:\w+ )?(?:resources?|staff(?:ing)?"
        r"|personnel|manpower|capacity|infrastructure|equipment|time)|resources?|understaff\w*"
        r"|staffing (?:\w+ )?(?:issues?|problems?|shortages?|changes?|constraints?)"
        r"|(?:equipment|device|machine|scanner|laboratory|lab) (?:\w+ )?(?:failure|malfunction"
        r"|broken|unavailable|not available|issues?|problems?))\b",
    ),
    (
        "logistics.operational",
        "Logistics_Resources",
        r"\b(?:logistic(?:s|al|ally)?|operational (?:\w+ )?(?:reasons|issues|problems|challenges"
        r"|difficulties|constraints)|(?:not|un|in|no longer) ?feasib(?:le|ility)|feasibility"
        r"|impracticab\w*|impractical|sites? (?:\w+ ){0,2}?(?:closed|closure|closing|closes"
        r"|issues?|problems?|withdrew|withdrawal)|closure of (?:the |a )?(?:\w+ )?(?:sites?"
        r"|cent(?:er|re)s?|units?|clinics?|facilit(?:y|ies)|hospitals?|labs?|laborator(?:y|ies))"
        r"|(?:cro|vendor|contract research organi[sz]ation) (?:\w+ ){0,2}?(?:issues?|problems?"
        r"|changes?|closed|terminated|bankrupt\w*|failure))\b",
    ),
    # --- Study_Design
    (
        "design.protocol",
        "Study_Design",
        r"\bprotocol (?:\w+ )?(?:amendments?|changes?|modifications?|revisions?|redesign"
        r"|deviations?|violations?|issues?|problems?|flaws?|design|complexity|changed|amended"
        r"|revised)\b|\b(?:amend(?:ed|ment|ments)?|modif(?:y|ied|ication)|revis(?:e|ed|ion)"
        r"|chang(?:e|es|ed)) (?:(?:to|of|in) )?(?:the )?(?:study |trial )?(?:protocol|design)\b",
    ),
    (
        "design.study_design",
        "Study_Design",
        r"\b(?:study|trial) design\b|\bdesign (?:\w+ )?(?:changes?|flaws?|issues?|problems?"
        r"|limitations?|modifications?|concerns?|reasons)\b|\bre ?design(?:ed|ing)?\b"
        r"|\bmethodolog\w*|\bunder ?powered\b|\bsample size (?:\w+ )?(?:re ?calculation"
        r"|re ?estimation|too small|insufficient)\b|\b(?:eligibility|inclusion|exclusion|entry)"
        r" criteria\b",
    ),
    (
        "design.new_protocol",
        "Study_Design",
        r"\b(?:new|alternative|alternate|revised|modified|different|amended|improved) (?:\w+ )?"
        r"(?:study|trial|protocol|design)s? (?:(?:is|was|has been|will be|being|to be) )?"
        r"(?:planned|designed|developed|prepared|initiated|needed|required|written)\b",
    ),
    (
        "design.compliance",
        "Study_Design",
        r"\b(?:(?:lack of|non|poor|low|insufficient|inadequate) compliance|noncompliance"
        r"|non adherence|nonadherence|poor adherence)\b",
    ),
    # --- Covid19
    (
        "covid.word",
        "Covid19",
        r"\b(?:covid(?: ?19)?|covid19|sars cov ?2|sarscov2|2019 ncov|ncov|corona ?virus(?:es)?"
        r"|corona|pandemic|pandemie|lockdowns?|lock downs?)\b",
    ),
    # --- Regulatory
    (
        "regulatory.authority",
        "Regulatory",
        r"\b(?:regulatory|regulators?|regulations?|fda|ema|mhra|pmda|nmpa|cfda|anvisa|tga|bfarm"
        r"|ansm|aifa|health canada|(?:competent|health|regulatory) authorit(?:y|ies)"
        r"|ministry of health)\b",
    ),
    (
        "regulatory.ethics_board",
        "Regulatory",
        r"\b(?:irbs?|institutional review boards?|(?:research )?ethic(?:s|al) (?:\w+ )?"
        r"(?:committees?|boards?|approvals?|review|clearance|permission)|iec)\b",
    ),
    (
        "regulatory.hold",
        "Regulatory",
        r"\b(?:(?:partial )?clinical hold|ind (?:\w+ )?(?:withdrawn"
        r"|withdrawal|inactivated|on hold|hold)|(?:not|never) (?:\w+ )?approved|approvals?"
        r" (?:\w+ )?(?:not obtained|withdrawn|denied|refused|pending|delayed|revoked|not granted)"
        r"|(?:lack|absence|withdrawal|loss|refusal|denial) of (?:\w+ )?approvals?"
        r"|(?:gcp|good clinical practice) (?:\w+ )?(?:non ?compliance|issues?|findings?"
        r"|violations?)|inspection (?:\w+ )?(?:findings?|issues?)|legal (?:reasons|issues"
        r"|requirements|constraints)|legislation|label(?:ing)? change)\b",
    ),
    # --- Another_Study
    (
        "another_study.other_trial",
        "Another_Study",
        r"\b(?:another|other|alternate|alternative|competing|parallel|similar|separate|larger"
        rf"|subsequent|successor|follow on|new) {_W}?(?:study|studies|trials?)\b",
    ),
    (
        "another_study.superseded",
        "Another_Study",
        r"\b(?:superseded|superceded|replaced|supplanted|merged (?:with|into)"
        rf"|in favou?r of(?! (?:the )?{_CONTROL_ARM})"
        r"|combined (?:with|into)|incorporated into|rolled (?:over )?into|folded into"
        r"|absorbed into)\b",
    ),
    (
        "another_study.results_elsewhere",
        "Another_Study",
        r"\b(?:results?|data|findings|outcomes?) (?:\w+ ){0,2}?(?:from|of|in) (?:another|other"
        r"|an? (?:similar|related|separate|parallel|previous|recent|different|larger|competitor)"
        r"|previous|recent|similar|related|parallel|external|published|competitor|competing"
        r"|earlier) (?:\w+ )?(?:study|studies|trials?)\b",
    ),
    (
        "another_study.practice_change",
        "Another_Study",
        r"\b(?:change|changes|changed|changing|evolving|evolution|shift) (?:in|of|to) (?:the )?"
        r"(?:standard of care|standard treatment|treatment landscape|clinical practice|practice"
        r"|treatment paradigm|treatment guidelines|guidelines)\b|\bstandard of care (?:\w+ )?"
        r"changed\b|\bnew standard of care\b"
        r"|\bnew (?:\w+ )?(?:treatments?|therapies|therapy|drugs?|options?)"
        r" (?:\w+ ){0,2}?(?:approved|available|emerged)\b",
    ),
    # --- Insufficient_Data
    (
        "data.insufficient",
        "Insufficient_Data",
        r"\b(?:insufficient|inadequate|not enough|lack of|limited|incomplete|missing|unreliable"
        rf"|no|low|poor) (?:{_W}|{_EFFICACY} )?(?:data|information|evidence)\b|\b(?:too few|few"
        r"|insufficient|inadequate|not enough|lack of|low|small|limited|reduced)(?: numbers? of"
        r"| amount of)? (?:\w+ )?(?:evaluable|analy[sz]able|assessable)\b"
        r"|\b(?:non|not|un|in) ?(?:evaluable|assessable|analy[sz]able|interpretable)\b"
        r"|\bdata (?:\w+ )?(?:insufficient|inadequate"
        r"|incomplete|quality|not (?:\w+ )?(?:sufficient|adequate|interpretable|evaluable"
        r"|reliable|available))\b|\bunable to (?:collect|obtain|gather|analy[sz]e) (?:\w+ )?data\b",
    ),
    (
        # Efficacy that could not be measured is missing data, not a failed drug: "efficacy could
        # not be assessed", "response not evaluated", "unable to evaluate the primary endpoint".
        "data.not_assessed",
        "Insufficient_Data",
        rf"\b(?:{_EFFECT_SUBJECT}|end ?points?|outcomes?|results?) (?:(?!(?:not|no|never)\b)"
        r"\w+ ){0,2}?(?:(?:could|can|was|were|is|are|has|have|had|been|be|did|will|would) ){0,3}"
        r"(?:not|never) (?:be |been )?(?:assessed|assessable|evaluated|evaluable|analy[sz]ed"
        r"|analy[sz]able|measured|measurable|determined|interpretable|interpreted|estimated"
        r"|estimable|captured|collected)\b"
        r"|\b(?:unable to|could not|can not|not possible to|impossible to|did not|not able to)"
        r" (?:\w+ )?(?:assess|evaluate|analy[sz]e|measure|determine|interpret|estimate)"
        rf" (?:the )?(?:\w+ ){{0,2}}?(?:{_EFFECT_SUBJECT}|end ?points?|outcomes?)\b",
    ),
    # --- Ethical_Reason
    ("ethical.word", "Ethical_Reason", r"\b(?:un)?ethic(?:al|ally|s)?\b|\bequipoise\b"),
    # --- Interim_Analysis
    (
        "interim.analysis",
        "Interim_Analysis",
        rf"\binterim {_W}{{0,2}}?(?:analysis|analyses|analyis|look|results?|data|review"
        r"|evaluation|assessment|report)\b|\binterim\b|\bplanned (?:\w+ )?analysis\b",
    ),
    (
        "interim.dsmb",
        "Interim_Analysis",
        # the committee's advice in any of its words ("after DSMB guidance", "on the opinion of
        # the IDMC"), its abbreviation in brackets or not
        rf"\b{_DSMB} (?:\( \w+ \) )?(?:\w+ ){{0,2}}?(?:recommend\w*|advi[cs]\w*|decision|decided"
        r"|review|request\w*|conclu\w*|suggest\w*|guidance|guided|opinion|instruct\w*)\b"
        r"|\b(?:recommend\w*|advice|advised|decision|request|guidance|opinion|instructions?)"
        rf" (?:\w+ ){{0,2}}?(?:of|by|from) (?:the )?(?:\w+ )?{_DSMB}\b"
        r"|\b(?:stopped|terminated|halted|closed|ended) (?:\w+ ){0,2}?(?:by|per|on) (?:the )?"
        rf"(?:\w+ )?{_DSMB}\b",
    ),
    # --- Invalid_Reason (weak): a status or outcome, not a reason
    (
        "invalid.completed",
        "Invalid_Reason",
        # the target reached, verb first (before bare "completed", so the longer phrase is the
        # match): "reached the sample size", "completed accrual", "met accrual goals", "full
        # sample size"; "unable to complete enrolment" is an inability, "before full enrolment"
        # a point in time, "met enrolment criteria" who was eligible
        r"\b(?:(?<!\bto )(?<!\bnot )(?<!\bbefore )(?:reached|achieved|attained|met|completed"
        r"|finished|full) (?:(?:the|its|our|their|target|targeted|planned|required|full|total) )"
        rf"{{0,2}}(?:{_ENROLMENT}|sample size)(?: (?:goals?|targets?))?(?! criteri)"
        r"|(?:study|trial) (?:\w+ )?(?:(?:was|has been|is) )?(?:completed?|finished|concluded)"
        r"|completed as planned|completed|not a clinical (?:trial|study)"
        r"|all (?:\w+ )?(?:patients?|participants?|subjects?) (?:(?:were|have been|had been|was) )?"
        r"(?:included|enrol+ed|recruited|randomi[sz]ed|treated)"
        rf"|{_ENROLMENT} (?:target |goal )?(?:(?:was|has been|is) )?(?:complete|completed"
        r"|finished|reached|achieved|met)|(?:target|planned|required|full|expected) (?:\w+ )?"
        rf"(?:{_ENROLMENT}|sample size|number of (?:\w+ )?{_PEOPLE}) (?:(?:was|has been|is) )?"
        r"(?:reached|achieved|met|completed|obtained)"
        rf"|{_ENROLMENT} (?:goal |target )?got (?:met|reached|completed)"
        rf"|(?:number of )?(?:required|needed|planned|targeted|expected) (?:number of )?{_PEOPLE}"
        r" (?:(?:was|were|has been|have been|is|are) )?(?:met|reached|achieved|collected"
        r"|obtained|included|enrol+ed|recruited)"
        rf"|{_PEOPLE} (?:needed|required) (?:\w+ ){{0,3}}?(?:(?:was|were|has been|have been) )?"
        r"(?:collected|enrol+ed|recruited|included|reached)"
        rf"|(?:study|trial|{_ENROLMENT}) period (?:\w+ )?(?:ended|expired|over|finished|completed?"
        r"|closed)"
        # ... or said of the team: "we are finished", "we are done"
        r"|we (?:are|were|have|had) (?:been )?(?:finished|done|complete)"
        r"|as (?:anticipated|planned|scheduled|foreseen|specified) (?:by|in) the protocol"
        r"|sample size (?:(?:was|has been|had been) )?(?:achieved|reached|met|attained|obtained)"
        r"|end of (?:the )?(?:inclusions?|inclusion period|enrol+ment|recruitment|accrual)"
        r"(?= [.;:!?]|$))\b",
    ),
    # --- No_Context (weak): a pointer elsewhere, or an admitted non-reason
    (
        "no_context.pointer",
        "No_Context",
        r"\b(?:see (?:\w+ ){0,2}?(?:above|below|description|summary|results|record|attached"
        r"|section|comments?|details|more)|other reasons?|unknown|unspecified|not (?:specified"
        r"|stated|provided|given|known)|no reason(?: given| provided| stated| specified)?"
        r"|reason unknown|tbd|to be determined)\b",
    ),
)
_WEAK_RULES = frozenset(
    {"enrollment.bare", "business.actor", "invalid.completed", "no_context.pointer"}
)
_NOT_NEGATABLE = frozenset({"no_context.pointer"})
# Mention rules never count; they are matched to report a denial and to claim their words.
_MENTION_RULES = frozenset({"efficacy.mention"})
# Rules that read a direction into a decision ("decided based on the data"): they count only
# beside a decision, another study or an interim look, never against a reason the text names
# ("funding withdrawn after the data were collected", "toxicity findings").
_DECISION_RULES = frozenset({"efficacy.data_driven"})
_DECISION_COMPANIONS: frozenset[Category] = frozenset(
    {"Negative", "Business_Administrative", "Another_Study", "Interim_Analysis"}
)
# Speed only: a rule runs only on texts holding one of these substrings, each of which every
# match of the rule contains (tests check the answers are the same without them).
_GUARDS: dict[str, tuple[str, ...]] = {
    "shield.mild_events": ("advers", "ae", "side", "toxic", "reaction", "death"),
    "safety.toxicity": ("toxic", "dose limiting", "dlt"),
    "safety.regulator_hold": ("hold",),
    "efficacy.verdict": ("effic", "efica", "benefit", "respons", "effect", "activity"),
    "data.not_assessed": ("not", "never", "unable", "impossible"),
    "interim.dsmb": ("dsm", "dmc", "monitoring", "steering", "safety review"),
    "success.early_stop": ("early", "premature", "ahead of schedule"),
    "success.boundary": ("bound", "threshold", "criteri"),
    "business.agreement": (
        "licen",
        "collabor",
        "partner",
        "agreement",
        "contract",
        "alliance",
        "deal",
    ),
    "business.interest": ("interest",),
    "efficacy.lack": (
        "effic",
        "efica",
        "benefit",
        "respon",
        "effect",
        "improv",
        "differen",
        "significan",
        "activity",
        "value",
        "advantag",
    ),
    "efficacy.not_shown": ("not", "fail", "unable", "inabilit", "unlikely"),
    "enrollment.few_people": (
        "patient",
        "participant",
        "subject",
        "volunteer",
        "pts",
        "case",
        "individual",
        "person",
        "people",
        "children",
        "infant",
        "women",
        "men",
        "famil",
        "donor",
        "only",
    ),
    "enrollment.poor": ("enrol", "recruit", "recrut", "accru", "accu", "inclusion", "interest"),
    "enrollment.bare": ("enrol", "recruit", "recrut", "accru", "accu", "inclusion"),
    "data.insufficient": (
        "data",
        "information",
        "evidence",
        "evaluable",
        "assessable",
        "analy",
        "interpretable",
    ),
    "success.benefit": ("effic", "benefit", "effective", "superior", "treatment effect"),
}
_POST_GUARDS = ("not", "never", "no ", "nothing")


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule. category None marks a shield: it claims its words and counts for nothing."""

    id: str
    category: Category | None
    pattern: re.Pattern[str]
    weak: bool = False
    negatable: bool = True
    counts: bool = True
    guard: tuple[str, ...] = ()

    @property
    def concern(self) -> bool:
        return self.category in CONCERN_CATEGORIES


RULES: tuple[Rule, ...] = tuple(
    Rule(
        id=rule_id,
        category=category,
        pattern=re.compile(pattern),
        weak=rule_id in _WEAK_RULES,
        negatable=category is not None and rule_id not in _NOT_NEGATABLE,
        counts=rule_id not in _MENTION_RULES,
        guard=_GUARDS.get(rule_id, ()),
    )
    for rule_id, category, pattern in _RULE_TABLE
)

# ---------------------------------------------------------------------------------------------
# Normalisation.

_PLACEHOLDERS = frozenset({"", "na", "n a", "none", "null", "nil", "nan", "not applicable"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CONTRACTIONS = (
    (re.compile(r"\bwon['’]t\b"), "will not"),
    (re.compile(r"\bcan['’]?t\b|\bcannot\b"), "can not"),
    (re.compile(r"n['’]t\b"), " not"),
    (re.compile(r"(?<=\w)['’]s\b"), ""),  # possessive: "sponsor's decision"
)
_TOKEN = re.compile(r"[a-z0-9]+|[.;:!?()\[\]{},]")


def tokenize(text: str) -> list[str]:
    """Lower-case words and clause punctuation; hyphens, slashes and quotes separate words."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    folded = folded.replace("&", " and ")
    for pattern, replacement in _CONTRACTIONS:
        folded = pattern.sub(replacement, folded)
    folded = folded.replace("'", "").replace("’", "")
    return _TOKEN.findall(folded)


# ---------------------------------------------------------------------------------------------
# Negation scope.

_WINDOW = 5  # words allowed between a cue and the match it negates
_HARD_STOPS = frozenset(".;:!?()[]{}")
_GENERAL_CUES = frozenset({"not", "never", "neither", "nor", "unrelated", "nothing", "non"})
_ABSENCE_CUES = frozenset({"no", "without", "lack", "lacking", "absence", "absent", "none"})
_SCOPE_ENDERS = frozenset(
    {
        "but",
        "however",
        "although",
        "though",
        "while",
        "whereas",
        "yet",
        "except",
        "instead",
        "rather",
        "nevertheless",
        "nonetheless",
        "despite",
    }
)
# "not possible to recruit", "not enough patients", "no longer a priority": not negations.
_NOT_A_CUE_BEFORE = {
    "not": frozenset(
        {"only", "just", "possible", "feasible", "able", "enough", "sufficient", "sufficiently"}
        | {"adequate", "adequately", "yet"}
    ),
    "no": frozenset({"longer", "further", "more"}),
}
# "did not start for logistic reasons", "never opened because funding was cut": a negated
# start is the event, and what follows it is why the trial never started, not a denial. These
# words end a negation's scope like "but" does (the scope never reaches past them).
_START_VERBS = frozenset(
    {"start", "started", "begin", "began", "begun", "initiate", "initiated", "open", "opened"}
    | {"activate", "activated", "launched", "commence", "commenced", "implemented"}
)
# "did not have funding", "does not have enough staff": "not" before a verb of having reports an
# absence, so, like "no", it negates only concern rules ("did not have safety issues").
_ABSENCE_AFTER_NOT = frozenset({"have", "has", "had"})
# "not completed due to slow accrual": a causal word after a content word starts a new reason;
# "not due to safety" and "not terminated because of safety" keep the negation.
_CAUSAL = frozenset({"due", "because", "owing", "following", "after", "since", "given"})
_TRANSPARENT = frozenset(
    {"terminated", "stopped", "halted", "discontinued", "ended", "closed", "suspended"}
    | {"withdrawn", "was", "were", "is", "are", "been", "be", "being", "primarily", "solely"}
    | {"mainly", "mostly", "only", "directly", "in", "any", "way", "related", "the", "a", "an"}
    | {"study", "trial", "this", "it"}
)
_LIST_WORDS = frozenset({"or", "nor", "and"})
_CONCERN_NOUNS = frozenset(
    {"concern", "concerns", "issue", "issues", "problem", "problems", "reasons", "signals"}
)


def _is_cue(tokens: Sequence[str], index: int, start: int, concern: bool) -> bool:
    token = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else ""
    if following in _NOT_A_CUE_BEFORE.get(token, ()):
        return False
    if token == "non":  # a prefix: "non-safety business decision" negates "safety" only
        return index == start - 1
    if token in ("not", "never") and following in _ABSENCE_AFTER_NOT:
        return concern
    return token in _GENERAL_CUES or (concern and token in _ABSENCE_CUES)


def _in_list(tokens: Sequence[str], cue: int, start: int, end: int) -> bool:
    """Whether a comma after the cue separates list items ("no safety, efficacy or ..."), not
    clauses ("no safety issues, low accrual")."""
    after: list[str] = []
    for token in tokens[end : end + 4]:
        if token in _HARD_STOPS:
            break
        after.append(token)
    if any(token in _LIST_WORDS for token in [*tokens[cue + 1 : start], *after]):
        return True
    # A list with commas only ("no ethical, scientific, safety issues") ends in the noun
    # they all qualify, and holds no verb.
    return (
        bool(after)
        and after[0] in _CONCERN_NOUNS
        and not any(token in _CLAUSE_WORDS for token in tokens[cue + 1 : start])
    )


def _negation_cue(
    tokens: Sequence[str], start: int, end: int, consumed: set[int], concern: bool
) -> int | None:
    """Index of the cue whose scope covers tokens[start:end], if any (a NegEx-style scan)."""
    crossed_comma = False
    causal_at = -1
    words = 0
    window = _WINDOW
    for index in range(start - 1, -1, -1):
        token = tokens[index]
        if token in _HARD_STOPS:
            return None
        if token == ",":
            crossed_comma = True
            continue
        if concern and token in _LIST_WORDS:
            # the last item of a list of concerns: "not due to any patient safety, patient
            # welfare, or quality issues" is one scope however long its items
            window = 2 * _WINDOW
        if index not in consumed:
            if _is_cue(tokens, index, start, concern):
                if crossed_comma and not (concern and _in_list(tokens, index, start, end)):
                    return None
                if words > _WINDOW and any(
                    word in _CLAUSE_WORDS for word in tokens[index + 1 : start]
                ):
                    return None  # a long list holds no verb: "and two patients had AEs"

                if causal_at >= 0 and any(
                    word not in _TRANSPARENT and word != ","
                    for word in tokens[index + 1 : causal_at]
                ):
                    return None
                return index
            if token in _SCOPE_ENDERS or token in _START_VERBS:
                return None
            if token in _CAUSAL:
                causal_at = index
        words += 1
        if words > window:
            return None
    return None


# Negation after the noun, in the same clause: "safety concerns were not the reason", "safety
# was not a factor", "funding was not an issue", "AEs played no role", "toxicity had nothing to
# do with it". Group "absence" marks predicates that deny an observation ("safety signals were
# not observed"): like absence cues before a noun they negate only concern rules, since
# "funding could not be found" is a reason. "Not the only/main reason" affirms, so it is absent.
_POST_NEGATION = re.compile(
    r"\b(?:(?:was|were|is|are|has been|have been|had been|did|does|do|had|has|have) )?"
    r"(?:(?:clearly|certainly|definitely|also|ultimately) )?(?:"
    r"(?:not|never) (?:(?:considered|deemed|judged|thought|believed|felt|seen as|regarded as)"
    r" )?(?:to be )?(?:(?:the|a|an|any|one of the|among the|part of the|in any way) )?"
    r"(?:(?:contributing|contributory|deciding|determining|decisive|direct|underlying|causal"
    r"|relevant|driving) )?(?:reasons?|causes?|factors?|issues?|concerns?|problems?"
    r"|considerations?|drivers?|basis|motivation|rationale|triggers?|contributors?|explanation"
    r"|grounds|relevant|involved|implicated|responsible|at issue|in question|contributory"
    r"|causal|related to (?:the|this) (?:decision|termination|discontinuation|closure))"
    r"|(?:not|never) play(?:s|ed)? (?:a|any) (?:\w+ )?(?:role|part)"
    r"|(?:not|never) (?:contribut|factor|influenc|affect|driv|motivat|lead|led|prompt|trigger)\w*"
    r"|(?:play|plays|played|had|has|have) no (?:\w+ )?(?:role|part|bearing|influence|impact)"
    r"|(?:had|has|have) nothing to do with"
    r"|(?P<absence>(?<=was |ere |are | is |een )(?:not|never) (?:\w+ )?(?:observed|seen"
    r"|identified|reported|detected|noted|found|raised|encountered)))\b"
)
_POST_CUES = frozenset({"not", "never", "no", "nothing"})
_SINGULAR = frozenset({"was", "is", "has", "does"})
_POST_WINDOW = 5  # words allowed between a match and the predicate that negates it
# A match holding its own verb is a clause ("enrollment was slow"), never the subject of a
# later predicate; and a gap holding one has started a new clause.
_CLAUSE_WORDS = frozenset(
    {"was", "were", "is", "are", "been", "be", "has", "have", "had", "did", "does", "do"}
    | {"could", "can", "would", "will", "may", "might", "should", "must"}
)


@dataclass(frozen=True, slots=True)
class _PostNegation:
    start: int  # first token of the predicate
    cue: int  # the negation word in it
    singular: bool  # "was not the reason": an "and" before it joins clauses, not subjects
    absence: bool


def _post_negations(
    joined: str, starts: Sequence[int], tokens: Sequence[str]
) -> list[_PostNegation]:
    found: list[_PostNegation] = []
    if not any(literal in joined for literal in _POST_GUARDS):
        return found
    for match in _POST_NEGATION.finditer(joined):
        start = bisect_right(starts, match.start()) - 1
        end = bisect_left(starts, match.end())
        cue = next(i for i in range(start, end) if tokens[i] in _POST_CUES)
        found.append(
            _PostNegation(start, cue, tokens[start] in _SINGULAR, match["absence"] is not None)
        )
    return found


def _post_negation_cue(
    tokens: Sequence[str],
    start: int,
    end: int,
    consumed: set[int],
    concern: bool,
    post: Sequence[_PostNegation],
) -> int | None:
    """Index of the cue of a predicate that denies tokens[start:end] from after it, if any."""
    after = next((p for p in post if p.start >= end), None)
    if after is None or after.cue in consumed or (after.absence and not concern):
        return None
    if any(token in _CLAUSE_WORDS for token in tokens[start:end]):
        return None
    gap = tokens[end : after.start]
    if len([token for token in gap if token != ","]) > _POST_WINDOW:
        return None
    for token in gap:
        if (
            token in _HARD_STOPS
            or token in _SCOPE_ENDERS
            or token in _CAUSAL
            or token in _CLAUSE_WORDS
            or token in _GENERAL_CUES
            or token in _ABSENCE_CUES
            or (token == "and" and after.singular)
        ):
            return None
    # Another match in between is a co-subject only when coordinated ("safety and efficacy
    # were not the reasons"); otherwise it is the subject and the earlier match is not.
    coordinated = any(token in _LIST_WORDS for token in gap)
    if not coordinated and ("," in gap or any(i in consumed for i in range(end, after.start))):
        return None
    return after.cue


# ---------------------------------------------------------------------------------------------
# The classifier.


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    rule: Rule
    order: int


class RuleClassifier:
    """The default StopReasonClassifier: regex rules, longest match wins, negation scopes."""

    def __init__(self, rules: Sequence[Rule] = RULES) -> None:
        self._rules = tuple(rules)

    def classify(self, text: str | None) -> StopClassification:
        raw = text or ""
        if _NON_ALNUM.sub(" ", raw.casefold()).strip() in _PLACEHOLDERS:
            return _no_context("no reason given (empty or placeholder text)")
        shown = tokenize(raw)
        tokens = [correct(token) for token in shown]
        joined = " ".join(tokens)
        starts: list[int] = []
        offset = 0
        for token in tokens:
            starts.append(offset)
            offset += len(token) + 1
        hits = self._hits(joined, starts)
        post = _post_negations(joined, starts, tokens)
        taken = [False] * len(tokens)
        strong = _claim(hits, taken, weak=False)
        consumed = {i for hit in strong for i in range(hit.start, hit.end)}
        denied: set[int] = set()
        counted, negated, mentioned = _split_negated(tokens, shown, strong, consumed, post, denied)
        if not counted:
            weak = _claim(hits, taken, weak=True)
            consumed |= {i for hit in weak for i in range(hit.start, hit.end)}
            counted, weak_negated, _ = _split_negated(tokens, shown, weak, consumed, post, denied)
            negated += weak_negated
        # Words a shield claimed or a denial covered are no reason for the stances to read.
        unread = {i for hit in hits if not hit.rule.category for i in range(hit.start, hit.end)}
        unread |= denied
        rest = [token for i, token in enumerate(tokens) if i not in unread]
        return _result(counted, negated, mentioned, rest)

    def _hits(self, joined: str, starts: Sequence[int]) -> list[_Hit]:
        hits: list[_Hit] = []
        for order, rule in enumerate(self._rules):
            if rule.guard and not any(literal in joined for literal in rule.guard):
                continue
            for found in rule.pattern.finditer(joined):
                if found.end() > found.start():
                    start = bisect_right(starts, found.start()) - 1
                    hits.append(_Hit(start, bisect_left(starts, found.end()), rule, order))
        return hits


def _claim(hits: Sequence[_Hit], taken: list[bool], *, weak: bool) -> list[_Hit]:
    """Longest match first (then leftmost, then rule order); a token belongs to one match."""
    chosen: list[_Hit] = []
    ranked = sorted(
        (hit for hit in hits if hit.rule.weak is weak),
        key=lambda hit: (hit.start - hit.end, hit.start, hit.order),
    )
    for hit in ranked:
        if not any(taken[hit.start : hit.end]):
            taken[hit.start : hit.end] = [True] * (hit.end - hit.start)
            chosen.append(hit)
    return sorted(chosen, key=lambda hit: hit.start)


def _split_negated(
    tokens: Sequence[str],
    shown: Sequence[str],
    hits: Sequence[_Hit],
    consumed: set[int],
    post: Sequence[_PostNegation],
    denied: set[int],
) -> tuple[list[RuleMatch], list[RuleMatch], list[RuleMatch]]:
    """Counted, negated and merely mentioned matches; `shown` are the tokens before typo
    correction. A cue before the match is looked for first, then a predicate after it. The
    tokens of negated matches are added to `denied`."""
    counted: list[RuleMatch] = []
    negated: list[RuleMatch] = []
    mentioned: list[RuleMatch] = []
    for hit in hits:
        category = hit.rule.category
        if category is None:
            continue
        words = " ".join(shown[hit.start : hit.end])
        cue = None
        if hit.rule.negatable:
            concern = hit.rule.concern
            cue = _negation_cue(tokens, hit.start, hit.end, consumed, concern)
            if cue is None:
                cue = _post_negation_cue(tokens, hit.start, hit.end, consumed, concern, post)
        if cue is not None:
            denied.update(range(hit.start, hit.end))
            negated.append(
                RuleMatch(rule=hit.rule.id, category=category, text=words, negated_by=shown[cue])
            )
        elif hit.rule.counts:
            counted.append(RuleMatch(rule=hit.rule.id, category=category, text=words))
        else:
            mentioned.append(RuleMatch(rule=hit.rule.id, category=category, text=words))
    return counted, negated, mentioned


# Safety in general words only: the word itself, an increased or unacceptable risk, a balance, a
# regulator's hold with no harm named.
_GENERAL_SAFETY_RULES = frozenset({"safety.word", "safety.risk", "safety.regulator_hold"})


def _pandemic_risk(counted: Sequence[RuleMatch]) -> list[RuleMatch]:
    """Safety named only in general words beside the pandemic named as a cause ("logistical and
    safety concerns relating to Covid-19", "the outbreak poses an increased risk to
    participants", "FDA hold on all research during the pandemic") is the pandemic's risk to
    people, not the drug's harm (the guide's COVID-19 rule): those matches. A named harm (adverse
    events, toxicity, deaths) keeps them all."""
    if not any(m.category == "Covid19" for m in counted):
        return []
    safety = [m for m in counted if m.category == "Safety_Sideeffects"]
    if all(m.rule in _GENERAL_SAFETY_RULES for m in safety):
        return safety
    return []


def _result(
    counted: list[RuleMatch],
    negated: list[RuleMatch],
    mentioned: Sequence[RuleMatch],
    tokens: Sequence[str],
) -> StopClassification:
    pandemic = _pandemic_risk(counted)
    counted = [m for m in counted if m not in pandemic]
    named = {m.category for m in counted if m.rule not in _DECISION_RULES}
    read_into = [m for m in counted if m.rule in _DECISION_RULES]
    if read_into and named - _DECISION_COMPANIONS:
        counted = [m for m in counted if m.rule not in _DECISION_RULES]
    else:
        read_into = []
    ignored = (
        "".join(
            f'; ignored {m.category} "{m.text}" ({m.rule}: the text names its own reason)'
            for m in read_into
        )
        + "".join(
            f'; ignored {m.category} "{m.text}" ({m.rule}: the pandemic\'s risk, no harm named)'
            for m in pandemic
        )
        + "".join(
            f'; ignored {m.category} "{m.text}" ({m.rule}, negated by "{m.negated_by}")'
            for m in negated
        )
        + "".join(
            f'; ignored "{m.text}" ({m.rule}: a mention that states no direction)'
            for m in mentioned
        )
    )
    if not counted and mentioned:
        words = "; ".join(f'"{m.text}"' for m in mentioned)
        return _by_stance(
            UNDIRECTED_EFFICACY, "efficacy", ["Negative"], words, ignored, [], negated
        )
    if not counted:
        if states_no_reason(tokens):
            return _no_context(
                "the text gives no reason (a status, a hold or a placeholder)" + ignored, negated
            )
        said = "no rule matched, but the text states a reason"
        return _by_stance(UNNAMED_REASON, "operational", ["No_Context"], said, ignored, [], negated)
    categories = sorted({m.category for m in counted}, key=_CATEGORY_RANK.__getitem__)
    found = "; ".join(f'{m.category} by {m.rule} "{m.text}"' for m in counted)
    archetype = archetype_for(categories)
    # A decision at an interim look gives no direction of its own ("at the interim analysis,
    # the sponsor decided to stop"): the interim stances read it.
    undirected = [c for c in categories if c != "Business_Administrative"]
    if "Interim_Analysis" in categories and archetype_for(undirected) == "unknown":
        if is_pause(tokens):
            return _by_stance(
                INTERIM_PAUSE, "operational", categories, found, ignored, counted, negated
            )
        return _by_stance(
            UNDIRECTED_INTERIM_STOP, "efficacy", categories, found, ignored, counted, negated
        )
    lead = next(c for c in categories if CATEGORY_ARCHETYPE[c] == archetype)
    deciding = next(m for m in counted if m.category == lead)
    return StopClassification(
        archetype=archetype,
        categories=categories,
        explanation=f"{archetype} (from {lead}): {found}{ignored}",
        matched=counted,
        negated=negated,
        decided_by=deciding.rule,
    )


def _by_stance(
    stance: Stance,
    archetype: Archetype,
    categories: list[Category],
    found: str,
    ignored: str,
    matched: list[RuleMatch],
    negated: list[RuleMatch],
) -> StopClassification:
    """An answer one of drafter.stop_stance's stances decided, with its lower confidence."""
    return StopClassification(
        archetype=archetype,
        categories=categories,
        explanation=f"{archetype} (stance {stance.rule}): {found}; {stance.why}{ignored}",
        matched=matched,
        negated=negated,
        confidence=stance.confidence,
        decided_by=stance.rule,
    )


def _no_context(reason: str, negated: list[RuleMatch] | None = None) -> StopClassification:
    return StopClassification(
        archetype="unknown",
        categories=["No_Context"],
        explanation=f"unknown (No_Context): {reason}",
        negated=negated or [],
        decided_by="no_reason",
    )


# The learned fallback may turn an "operational" answer into efficacy or safety when at least this
# sure: fixed on the fourth draw of the dev set (fixtures/train_stop_reason_model.py says how)
# before the test split was scored, and kept when the fifth draw, scored before it was tuned
# on, was read as a validation set (0.6 there: 0.893; 0.5: 0.902, not taken: one draw's best).
LEARNED_THRESHOLD = 0.6
LEARNED_FALLBACK = "learned_fallback"  # decided_by of an answer the learned model gave
_FAILURE_CATEGORY: dict[str, Category] = {"efficacy": "Negative", "safety": "Safety_Sideeffects"}


class RulesWithLearnedFallback:
    """A StopReasonClassifier in a documented order: the rules first; then, only where they
    answer operational without reading a success, the learned model (drafter.classify_learned)
    may answer efficacy or safety instead, when at least `threshold` sure. Its answer names the
    terms that weighed most and keeps the rules' matches, with the model's probability as its
    confidence, so an editor confirms it like a stance."""

    def __init__(
        self,
        rules: StopReasonClassifier | None = None,
        model: LearnedModel | None = None,
        threshold: float = LEARNED_THRESHOLD,
    ) -> None:
        self._rules = rules or RuleClassifier()
        self._model = model  # None: the bundled model, read on first use
        self.threshold = threshold

    def classify(self, text: str | None) -> StopClassification:
        answer = self._rules.classify(text)
        if not text or not learned_may_overrule(answer, text):
            return answer
        model = self._model or bundled_model()
        probabilities = model.probabilities(text)
        archetype = max(_FAILURE_CATEGORY, key=probabilities.__getitem__)
        probability = probabilities[archetype]
        if probability < self.threshold:
            return answer
        first = _FAILURE_CATEGORY[archetype]
        # the rules' other readings stay; "no reason read" does not, now that one is
        kept = (c for c in answer.categories if c != first and CATEGORY_ARCHETYPE[c] != "unknown")
        categories = [first, *kept][:3]
        weighed = '", "'.join(model.weighed_most(text, archetype, "operational"))
        return StopClassification(
            archetype=archetype,
            categories=categories,
            explanation=(
                f"{archetype} (learned fallback, probability {probability:.2f}): the rules read"
                f" operational ({answer.decided_by or 'rules'}), the n-gram model trained on"
                f" {model.trained_on.get('rows', '?')} hand-labelled texts reads {archetype},"
                f' weighing most "{weighed}"; the rules said: {answer.explanation}'
            ),
            classifier="rules+learned",
            matched=answer.matched,
            negated=answer.negated,
            confidence=min(round(probability, 2), 0.99),
            decided_by=LEARNED_FALLBACK,
        )


# The words the rules read failures by. Where a text holds one, the rules have read it (as a
# reason, a denial, a shield such as "mild adverse events" or "efficacy not evaluated", or part
# of an operational reason such as "operational futility"), and the n-gram model, which weighs
# the word and not its reading, is not asked: it read 12 of the reviewed cases
# (tests/data/classify_cases.jsonl) that way, "Adverse events were mild; study stopped for
# business reasons" as safety among them. The model is for failures told in other words ("no
# additional activity was evident", "similar response in the two arms").
_FAILURE_WORDS = re.compile(
    r"\b(?:efficac\w*|(?:in|un|non-?)?effective\w*|safe\w*|advers\w*|s?aes?|toxic\w*|futil\w*"
    r"|dsmb|dmc|idmc|dsmc|side[- ]effects?|deaths?|died)\b"
)


def learned_may_overrule(answer: StopClassification, text: str) -> bool:
    """An operational answer the learned model may overrule: not one where the rules read what
    the guide settles whatever else the words suggest, and an n-gram model cannot read: a stop
    for success, a denial of a failure ("not due to safety or lack of efficacy"), a pause for an
    interim look, a pandemic reason, results or a new standard from another study (the guide's
    Another_Study, operational however promising or discouraging those results), or a text
    holding a word the rules read failures by."""
    return (
        answer.archetype == "operational"
        and not answer.non_failure
        and not any(m.category in _FAILURE_CATEGORY.values() for m in answer.negated)
        and answer.decided_by != INTERIM_PAUSE.rule
        and "Covid19" not in answer.categories
        and "Another_Study" not in answer.categories
        and _FAILURE_WORDS.search(text.casefold()) is None
    )


# What drafter uses: the rules, then the learned fallback. It stays only while it beats the
# rules alone on the test split (issue 10): read once for it, with the rules tuned on all five
# draws and the model trained on the 3,600 dev texts, rules 0.830 and with the fallback 0.839
# macro-F1; on the two draws scored before they were tuned on, 0.794 -> 0.848 and 0.883 -> 0.893
# (tests/data/stop-reasons/PROVENANCE.md).
DEFAULT_CLASSIFIER: StopReasonClassifier = RulesWithLearnedFallback()


def classify_stop_reason(text: str | None) -> StopClassification:
    """Classify one why-stopped text as drafter does by default (the rules, then the learned
    fallback)."""
    return DEFAULT_CLASSIFIER.classify(text)
