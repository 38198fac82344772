"""Curated reference facts bundled with drafter: what no API record can hold."""

from __future__ import annotations

import functools
import hashlib
import re

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from drafter import bundled, strict_json
from drafter.bundle import DrugRecord, SourceRecord, TargetRecord, local_record_id
from drafter.errors import InternalError
from drafter.evidence.reading import SOURCE_LABELS, BundleBuilder
from drafter.facts import (
    FACT_ID_PATTERN,
    FactKind,
    FactValue,
    Unit,
    fact_id,
    json_pointer,
    read_fact,
)
from drafter.sources.ctgov import Study


class CuratedEntry(BaseModel):
    """A fact no API returns (an earlier record version, a press report), kept with its source
    so conflicting versions stay visible instead of being dropped."""

    model_config = ConfigDict(extra="forbid")

    subject: str
    kind: FactKind
    label: str
    value: FactValue | list[FactValue]
    unit: Unit | None = None
    qualifier: str | None = None
    source_url: str
    also: list[str] = []
    note: str | None = None


class CuratedFacts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str
    facts: dict[str, CuratedEntry]

    @field_validator("facts")
    @classmethod
    def _keys_are_fact_ids(cls, facts: dict[str, CuratedEntry]) -> dict[str, CuratedEntry]:
        """Each key is the fact id (source:entity:field) its facts are built from."""
        for key in facts:
            if not re.fullmatch(FACT_ID_PATTERN, key):
                raise ValueError(f"{key!r} is not a fact id (source:entity:field)")
        return facts


def load_curated_facts() -> tuple[CuratedFacts, str]:
    """The bundled curated facts and the sha256 of the file they were read from. The file is
    read on every call (cheap) and parsed once per content: every draft and every name lookup
    asks, and validating the file took a batch draft ~2 ms. Callers only read the answer."""
    return _parsed_curated_facts(bundled.read_text(bundled.CURATED_FACTS))


@functools.lru_cache(maxsize=4)
def _parsed_curated_facts(text: str) -> tuple[CuratedFacts, str]:
    where = bundled.display_name(bundled.CURATED_FACTS)
    try:
        curated = CuratedFacts.model_validate(strict_json.loads(text))
    except (strict_json.JsonProblem, ValidationError) as error:
        problem = error.errors()[0]["msg"] if isinstance(error, ValidationError) else error
        raise InternalError(
            f"bundled file {where} is damaged ({problem}); reinstall drafter"
        ) from None
    return curated, hashlib.sha256(text.encode()).hexdigest()


def curated_facts(
    builder: BundleBuilder, study: Study, drugs: list[DrugRecord], target: TargetRecord | None
) -> None:
    subjects = {study.nct_id} | {d.chembl_id for d in drugs if d.chembl_id}
    if target and target.ensembl_id:
        subjects.add(target.ensembl_id)
    curated, sha256 = load_curated_facts()
    chosen = {k: e for k, e in curated.facts.items() if e.subject in subjects}
    if not chosen:
        return
    record = local_record_id("reference", sorted(subjects))
    builder.bodies[record] = curated.model_dump(mode="json")
    builder.local_records.append(
        SourceRecord(
            id=record,
            source=SOURCE_LABELS["reference"],
            request=f"curated facts about {', '.join(sorted(subjects))}",
            origin="bundled",
            fetched_at="bundled",
            sha256=sha256,
            provenance=curated.note,
        )
    )
    for key, entry in chosen.items():
        values = entry.value if isinstance(entry.value, list) else [entry.value]
        listed = isinstance(entry.value, list)
        for i, value in enumerate(values):
            source, subject, field = key.split(":", 2)
            field = f"{field}.{i}" if listed else field
            the_id = fact_id(source, subject, field)
            pointer = json_pointer("facts", key, "value", *([i] if listed else []))
            held = builder.facts.get(the_id)
            if held is not None:
                builder.gap(
                    "curated facts",
                    f"curated fact {the_id} has the id of a fact read from {held.source}; "
                    "the source's value is kept",
                )
                continue
            also = f"also: {', '.join(entry.also)}" if entry.also else None
            try:
                fact = read_fact(
                    source,
                    subject,
                    field,
                    entry.kind,
                    entry.label,
                    value,
                    said_by=SOURCE_LABELS["reference"],
                    record=record,
                    pointer=pointer,
                    url=entry.source_url,
                    unit=entry.unit,
                    qualifier=entry.qualifier,
                    note="; ".join(x for x in (entry.note, also) if x) or None,
                )
            except ValueError as error:
                raise InternalError(
                    f"bundled file {bundled.display_name(bundled.CURATED_FACTS)}: fact {key} is "
                    f"damaged ({' '.join(str(error).split())[:160]}); reinstall drafter"
                ) from None
            builder.add(fact)
