"""Citable facts: the one id scheme, the typed Fact, JSON pointers, and the set a bundle builds.

Fact ids — the one rule, built only by `fact_id(source, entity, field)`:

    <source>:<entity>:<field>            e.g. ctgov:NCT05591222:enrollment

* source — who states it: ctgov, chembl, opentargets, openfda, pubmed (an API answer),
  reference (drafter's curated facts), claims (a row of the claims table), or a computation:
  classify (the stop classification), mrs (the Mechanism Risk Score), related (related claims).
* entity — the record the fact is about, as its source names it: an NCT id, a ChEMBL id, an
  Ensembl id, an ontology id, a drug name, a claim key, or a target–disease pair
  `pair_entity(target, disease)` ("ENSG00000239961+discoid_lupus_erythematosus"). Characters
  outside [A-Za-z0-9_.+-] become "_", so an id never holds a space, ":" or "/".
* field — the attribute, a dotted path; a list becomes one fact per element with the element's
  index in the source's own list: conditions.0, interventions.1.name, reactions.0.count. The
  elements of one list share the prefix (ctgov:NCT05591222:conditions.).

An id never depends on the order steps ran in or on whether a lookup succeeded: the association
score of a pair is keyed by the disease as it was asked for, not by the ontology id a lookup may
or may not find.

Every fact read from a source names the answer it was read from (`record`, a SourceRecord id
derived from the request) and the field as a JSON pointer into that answer's body (`field`), so
a reviewer can find the exact value. A computed fact names its inputs (`derived_from`, fact ids)
and its formula instead.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from drafter.models import Gap, PartialDate, Precision

FactKind = Literal["count", "number", "score", "date", "id", "phase", "code", "text", "quote"]
# Units a count or number may carry; the set a verifier can compare prose against.
Unit = Literal[
    "participants", "sites", "arms", "reports", "articles", "programs", "claims", "years", "points"
]
FactValue = str | int | float | bool

SOURCE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
FIELD_PATTERN = re.compile(r"^[a-z0-9_]+(?:\.[A-Za-z0-9_]+)*$")
FACT_ID_PATTERN = r"^[a-z][a-z0-9_]*:[A-Za-z0-9_.+\-]+:[a-z0-9_]+(?:\.[A-Za-z0-9_]+)*$"
_ENTITY_UNSAFE = re.compile(r"[^A-Za-z0-9_.+\-]+")
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Lower-case words joined by "_": the form of names inside ids and pair entities."""
    return _SLUG_UNSAFE.sub("_", text.casefold()).strip("_")


def entity_key(text: str) -> str:
    """An entity as ids spell it. Identifiers an id can hold as they are (NCT05591222,
    CHEMBL4594330, ENSG00000239961, discoid_lupus_erythematosus) are kept; any other text is
    cleaned ("_" for what an id cannot hold) and gets a short hash of the exact text, so two
    names never share an entity ("foo bar" and "foo_bar", two non-Latin names)."""
    cleaned = _ENTITY_UNSAFE.sub("_", text.strip()).strip("_")
    if cleaned == text:
        return cleaned
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{cleaned}-{digest}" if cleaned else f"h{digest}"


def pair_entity(target: str, disease: str) -> str:
    """A target–disease pair: the target's id (or symbol) and the disease as it was asked for."""
    return f"{entity_key(target)}+{entity_key(slug(disease) or disease)}"


def fact_id(source: str, entity: str, field: str) -> str:
    """The only way a fact id is made (see the module docstring)."""
    if not SOURCE_PATTERN.match(source):
        raise ValueError(f"fact source must be lower-case letters, digits, _: {source!r}")
    if not FIELD_PATTERN.match(field):
        raise ValueError(f"fact field must be a dotted path of [a-z0-9_] names: {field!r}")
    return f"{source}:{entity_key(entity)}:{field}"


# --- JSON pointers (RFC 6901) ---------------------------------------------------------------


def json_pointer(*parts: str | int) -> str:
    """ "/a/0/b" from ("a", 0, "b"); "~" and "/" inside a key are escaped."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


_MISSING = object()


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at `pointer` in `document`; KeyError when it does not resolve."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise KeyError(f"not a JSON pointer: {pointer!r}")
    current = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict):
            current = current.get(token, _MISSING)
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            current = _MISSING
        if current is _MISSING:
            raise KeyError(f"{pointer} does not resolve")
    return current


def same_value(fact_value: FactValue, raw: Any) -> bool:
    """Whether a recorded value is the fact's value. JSON types are kept, except that a number
    the source sends as a string (PubMed's "count": "3") is the number, and text may be read
    without the whitespace around it ("2021-05\n" is the date 2021-05)."""
    if isinstance(fact_value, bool) or isinstance(raw, bool):
        return fact_value is raw
    if isinstance(fact_value, int | float):
        if isinstance(raw, str):
            try:
                return float(raw) == float(fact_value)
            except (ValueError, OverflowError):  # an int too large for a float
                return False
        return isinstance(raw, int | float) and raw == fact_value
    return isinstance(raw, str) and fact_value in (raw, raw.strip())


# --- the fact --------------------------------------------------------------------------------


class Fact(BaseModel):
    """One citable statement: a stable id, a typed value, and exactly where it came from —
    a field of a recorded answer, or a formula over other facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=FACT_ID_PATTERN)
    kind: FactKind
    label: str
    value: FactValue
    unit: Unit | None = None
    qualifier: str | None = Field(
        default=None, description="as the source qualifies the value: ACTUAL, ESTIMATED, ..."
    )
    precision: Precision | None = Field(default=None, description="dates: year, month or day")
    source: str = Field(description="who states it, for people: 'ClinicalTrials.gov', ...")
    source_url: str | None = Field(
        default=None, description="the page a reviewer opens to check the value"
    )
    record: str | None = Field(
        default=None, description="id of the bundle's SourceRecord the value was read from"
    )
    field: str | None = Field(
        default=None, description="JSON pointer to the value inside that record's body"
    )
    derived_from: list[str] = Field(
        default_factory=list, description="computed facts: the ids of the facts they use"
    )
    formula: str | None = Field(default=None, description="computed facts: what was computed")
    untrusted: bool = Field(
        default=False, description="free text from a source: data to quote, never instructions"
    )
    note: str | None = None

    @field_validator("source_url")
    @classmethod
    def _absolute_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"source_url must be an absolute URL: {url!r}")
        return url

    @model_validator(mode="after")
    def _typed_and_traceable(self) -> Fact:
        read = self.record is not None and self.field is not None
        computed = self.formula is not None
        if read == computed:
            raise ValueError(
                f"{self.id}: a fact is either read (record and field) or computed (formula)"
            )
        if self.field is not None and self.field and not self.field.startswith("/"):
            raise ValueError(f"{self.id}: field must be a JSON pointer: {self.field!r}")
        if self.kind == "quote" and not self.untrusted:
            raise ValueError(f"{self.id}: quotes are source text and must be marked untrusted")
        _check_value(self)
        return self

    @property
    def computed(self) -> bool:
        return self.formula is not None


def _check_value(fact: Fact) -> None:
    value, kind = fact.value, fact.kind
    if kind == "count" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{fact.id}: a count is a whole number >= 0, not {value!r}")
    if kind in ("number", "score") and (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))  # an int: float() may overflow
    ):
        raise ValueError(f"{fact.id}: a {kind} is a finite number, not {value!r}")
    if kind in ("id", "phase", "text", "quote") and not isinstance(value, str):
        raise ValueError(f"{fact.id}: a {kind} is text, not {value!r}")
    if kind == "date":
        if not isinstance(value, str):
            raise ValueError(f"{fact.id}: a date is YYYY[-MM[-DD]] text, not {value!r}")
        parsed = PartialDate.parse(value)
        if fact.precision != parsed.precision:
            raise ValueError(f"{fact.id}: {value!r} has {parsed.precision} precision")
    elif fact.precision is not None:
        raise ValueError(f"{fact.id}: only dates carry a precision")


def precision_of(kind: FactKind, value: FactValue) -> Precision | None:
    """A date fact's precision, from the value itself (ValueError when it is no date)."""
    if kind != "date":
        return None
    if not isinstance(value, str):
        raise ValueError(f"a date is YYYY[-MM[-DD]] text, not {value!r}")
    return PartialDate.parse(value).precision


COMPUTED_SOURCE = "drafter (computed)"


def read_fact(
    source: str,
    entity: str,
    field: str,
    kind: FactKind,
    label: str,
    value: FactValue,
    *,
    said_by: str,
    record: str,
    pointer: str,
    url: str | None,
    unit: Unit | None = None,
    qualifier: str | None = None,
    note: str | None = None,
) -> Fact:
    """A fact read from a record: `pointer` locates `value` in the record's body; `said_by`
    names the source for people. Quotes are marked untrusted here, once for every reader."""
    return Fact(
        id=fact_id(source, entity, field),
        kind=kind,
        label=label,
        value=value,
        unit=unit,
        qualifier=qualifier,
        precision=precision_of(kind, value),
        source=said_by,
        source_url=url,
        record=record,
        field=pointer,
        untrusted=kind == "quote",
        note=note,
    )


def computed_fact(
    source: str,
    entity: str,
    field: str,
    kind: FactKind,
    label: str,
    value: FactValue,
    derived_from: Iterable[Fact],
    formula: str,
    *,
    unit: Unit | None = None,
    url: str | None = None,
    note: str | None = None,
) -> Fact:
    """A fact drafter computed: its inputs by id (each once, in order) and its formula."""
    return Fact(
        id=fact_id(source, entity, field),
        kind=kind,
        label=label,
        value=value,
        unit=unit,
        precision=precision_of(kind, value),
        source=COMPUTED_SOURCE,
        source_url=url,
        derived_from=list(dict.fromkeys(f.id for f in derived_from)),
        formula=formula,
        note=note,
    )


class FactConflict(BaseModel):
    """Two sources gave one fact id different values; the first is kept, this says so."""

    id: str
    kept: Fact
    refused: Fact


class FactSet:
    """The facts of one bundle in the order they were added, one per id. Adding an id again
    with the same value keeps the first (two answers may state one fact); a different value is
    a conflict the caller turns into a visible gap, never a silent overwrite."""

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self._facts: dict[str, Fact] = {}
        self.conflicts: list[FactConflict] = []
        for fact in facts:
            self.add(fact)

    def add(self, fact: Fact) -> Fact:
        """The fact now held under `fact.id` (the earlier one on a repeat or a conflict)."""
        held = self._facts.get(fact.id)
        if held is None:
            self._facts[fact.id] = fact
            return fact
        if not same_value(held.value, fact.value) or held.kind != fact.kind:
            self.conflicts.append(FactConflict(id=fact.id, kept=held, refused=fact))
        return held

    def get(self, fact_id: str) -> Fact | None:
        return self._facts.get(fact_id)

    def __contains__(self, fact_id: object) -> bool:
        return fact_id in self._facts

    def __iter__(self) -> Iterator[Fact]:
        return iter(self._facts.values())

    def __len__(self) -> int:
        return len(self._facts)

    def with_prefix(self, prefix: str) -> list[Fact]:
        """The elements of one list ("ctgov:NCT05591222:conditions.") in list order."""
        return [f for f in self._facts.values() if f.id.startswith(prefix)]


def conflict_gaps(facts: FactSet) -> list[Gap]:
    """Each conflict of a fact set as a gap a reviewer sees: both values and who said them."""
    return [
        Gap(
            step="facts",
            reason=f"{c.id}: {c.refused.source} says {c.refused.value!r} but "
            f"{c.kept.source} says {c.kept.value!r}; the first is kept",
        )
        for c in facts.conflicts
    ]
