"""Resolve the tested drug (ChEMBL), its target (Open Targets) and the disease, with the facts
each answer states."""

from __future__ import annotations

import re

from drafter.bundle import DiseaseRecord, DrugRecord, TargetRecord
from drafter.errors import BadInput, OfflineMiss, UpstreamError
from drafter.evidence.aliases import (
    AmbiguousName,
    EntityKind,
    Match,
    NameIndex,
    counted,
    name_index,
    name_key,
)
from drafter.evidence.reading import BundleBuilder, Reader
from drafter.facts import FactKind, json_pointer
from drafter.sources import chembl, ctgov, opentargets
from drafter.sources.ctgov import Study

ENSEMBL_GENE = re.compile(r"^ENSG[0-9]{11}$")
ONTOLOGY_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*[_:][0-9]+$")


def ontology_key(identifier: str) -> str:
    """Open Targets spells ontology ids with an underscore: MONDO_0009061, not MONDO:0009061."""
    return identifier.replace(":", "_")


def resolve_drug(builder: BundleBuilder, intervention: ctgov.Intervention) -> DrugRecord:
    record = DrugRecord(
        intervention_name=intervention.name,
        intervention_type=intervention.type,
        aliases=intervention.aliases,
    )
    step = f"chembl molecule for {intervention.name}"
    for name in [intervention.name, *intervention.aliases]:
        hits = builder.attempt(step, chembl.search_molecules, builder.client, name)
        if hits is None:
            return record  # ChEMBL unreachable: the gap is recorded, later names would fail too
        molecule = chembl.best_match(hits, name)
        if molecule is not None:
            record.matched_name = name
            _molecule_facts(builder, record, name, hits.index(molecule), molecule)
            _mechanisms(builder, record)
            return record
    names = ", ".join([intervention.name, *intervention.aliases])
    builder.gap(step, f"no ChEMBL molecule whose name or synonym equals any of: {names}")
    return record


def _molecule_facts(
    builder: BundleBuilder, record: DrugRecord, name: str, index: int, molecule: chembl.Molecule
) -> None:
    record.chembl_id = molecule.parent_id
    record.pref_name = molecule.pref_name
    record.molecule_type = molecule.molecule_type
    record.max_phase = molecule.max_phase
    record.synonyms = [s.molecule_synonym for s in molecule.molecule_synonyms]
    chembl_id = molecule.parent_id
    read = builder.reader(chembl.search_request(name), chembl.compound_page_url(chembl_id))
    base = f"/molecules/{index}"
    id_pointer = (
        f"{base}/molecule_hierarchy/parent_chembl_id"
        if read.value(f"{base}/molecule_hierarchy/parent_chembl_id")
        else f"{base}/molecule_chembl_id"
    )
    read.add(chembl_id, "chembl_id", id_pointer, "id", f"ChEMBL id of {record.intervention_name}")
    read.add(chembl_id, "pref_name", f"{base}/pref_name", "text", "ChEMBL preferred name")
    read.add(chembl_id, "molecule_type", f"{base}/molecule_type", "code", "Molecule type")
    read.add(chembl_id, "max_phase", f"{base}/max_phase", "phase", "ChEMBL max phase")
    for j in range(read.length(f"{base}/molecule_synonyms")):
        read.add(
            chembl_id,
            f"synonyms.{j}",
            f"{base}/molecule_synonyms/{j}/molecule_synonym",
            "text",
            "ChEMBL synonym",
        )


_MECHANISM_FIELDS: tuple[tuple[str, FactKind, str], ...] = (
    ("mechanism_of_action", "text", "Mechanism of action (ChEMBL)"),
    ("action_type", "code", "Action type (ChEMBL)"),
    ("target_chembl_id", "id", "Target ChEMBL id"),
)


def _mechanisms(builder: BundleBuilder, record: DrugRecord) -> None:
    chembl_id = record.chembl_id or ""
    found = builder.attempt(
        f"chembl mechanism for {chembl_id}", chembl.get_mechanisms, builder.client, chembl_id
    )
    if found is None:
        return
    record.mechanisms = [m.mechanism_of_action for m in found if m.mechanism_of_action]
    read = builder.reader(chembl.mechanisms_request(chembl_id), chembl.compound_page_url(chembl_id))
    for i in range(read.length("/mechanisms")):
        base = f"/mechanisms/{i}"
        for field, kind, label in _MECHANISM_FIELDS:
            read.add(chembl_id, f"mechanisms.{i}.{field}", f"{base}/{field}", kind, label)


def resolve_target(
    builder: BundleBuilder, drugs: list[DrugRecord], override: str | None
) -> TargetRecord | None:
    if override:
        return target_from_override(builder, override)
    for drug in drugs:
        if drug.chembl_id:
            found = _target_of_drug(builder, drug.chembl_id)
            if found is not None:
                return found
    builder.gap("target", "no drug resolved to a target; pass --target SYMBOL|ENSG")
    return None


def _target_of_drug(builder: BundleBuilder, chembl_id: str) -> TargetRecord | None:
    found = builder.attempt(
        f"open targets mechanism of {chembl_id}", opentargets.get_drug, builder.client, chembl_id
    )
    if found is None or found.mechanisms_of_action is None:
        return None
    places: dict[str, tuple[int, int, opentargets.TargetRef]] = {}
    for i, row in enumerate(found.mechanisms_of_action.rows):
        for j, target in enumerate(row.targets):
            if target.id:
                places.setdefault(target.id, (i, j, target))
    if len(places) > 1:
        builder.gap("target", f"{chembl_id} acts on {len(places)} targets; pass --target to choose")
    if not places:
        return None
    i, j, first = places[min(places)]
    ensembl_id = first.id or ""
    read = builder.reader(
        opentargets.drug_request(chembl_id), opentargets.target_page_url(ensembl_id)
    )
    base = f"/data/drug/mechanismsOfAction/rows/{i}/targets/{j}"
    _target_facts(read, ensembl_id, f"{base}/id", f"{base}/approvedSymbol", None)
    for k in range(read.length("/data/drug/mechanismsOfAction/rows")):
        read.add(
            chembl_id,
            f"mechanisms.{k}.mechanism_of_action",
            f"/data/drug/mechanismsOfAction/rows/{k}/mechanismOfAction",
            "text",
            "Mechanism of action (Open Targets)",
        )
    return TargetRecord(
        symbol=first.approved_symbol,
        ensembl_id=ensembl_id,
        resolved_by=f"Open Targets mechanism of action of {chembl_id}",
    )


def _target_facts(
    read: Reader, ensembl_id: str, id_at: str, symbol_at: str | None, name_at: str | None
) -> None:
    read.add(ensembl_id, "ensembl_id", id_at, "id", "Target Ensembl gene id")
    if symbol_at:
        read.add(ensembl_id, "approved_symbol", symbol_at, "text", "Target symbol")
    if name_at:
        read.add(ensembl_id, "approved_name", name_at, "text", "Target name")


def target_from_override(builder: BundleBuilder, override: str) -> TargetRecord:
    """--target wins over the mechanism; Open Targets confirms it, and a definite "no such
    target" is bad input while an unreachable Open Targets only leaves it unverified."""
    text = override.strip()
    is_ensembl = bool(ENSEMBL_GENE.match(text.upper()))
    try:
        if is_ensembl:
            return _target_by_id(builder, text.upper())
        return _target_by_name(builder, text)
    except UpstreamError as error:
        if "target" in builder.required:
            raise
        builder.gap("target", f"--target {text} not verified: {error}")
        return TargetRecord(
            ensembl_id=text.upper() if is_ensembl else None,
            symbol=None if is_ensembl else text,
            resolved_by="--target (unverified)",
        )


def _target_by_id(builder: BundleBuilder, ensembl_id: str, how: str = "--target") -> TargetRecord:
    known = opentargets.get_target(builder.client, ensembl_id)
    if known is None:
        raise BadInput(f"unknown target: Open Targets has no {ensembl_id}")
    read = builder.reader(
        opentargets.target_request(ensembl_id), opentargets.target_page_url(ensembl_id)
    )
    _target_facts(
        read,
        known.id,
        "/data/target/id",
        "/data/target/approvedSymbol",
        "/data/target/approvedName",
    )
    return TargetRecord(
        ensembl_id=known.id,
        symbol=known.approved_symbol,
        name=known.approved_name,
        resolved_by=how,
    )


def _target_by_name(builder: BundleBuilder, text: str) -> TargetRecord:
    """A symbol or synonym as typed. Offline a name drafter knows (aliases.py) is looked up
    through the answer it was recorded from; live Open Targets maps the name first, and the
    known names break its ties or stand in where it maps nothing."""
    names = _names(builder)
    known = names.resolve("target", text)
    if known is None or not builder.client.settings.offline:
        try:
            mapping = opentargets.map_ids(builder.client, [text], "target")
        except OfflineMiss as miss:  # offline, and a name no recorded answer holds
            raise names.not_a_name("target", text) or OfflineMiss(
                f"target {text!r} is not a name drafter knows offline (it knows "
                f"{names.sample('target')}): run without --offline to ask Open Targets ({miss})"
            ) from None
        found = _typed_hit(mapping, text, "target", known)
        if found is not None:
            how = _via_mapping("--target", text, found[1], exact="--target")
            return _mapped_target(builder, text, found, how)
    if known is not None:
        return _known_target(builder, known)
    raise names.not_a_name("target", text) or BadInput(
        f"unknown target: Open Targets maps no target to {text!r}"
    )


def _known_target(builder: BundleBuilder, match: Match) -> TargetRecord:
    """A target the typed name names, confirmed by Open Targets: live by mapping its symbol,
    offline by the recorded answers it was read from (the symbol's mapping first)."""
    entity, how = match.entity, match.explained("--target")
    asked = [entity.name] if not builder.client.settings.offline else []
    asked += [term for operation, term in entity.asked if operation == "MapIds"]
    for term in dict.fromkeys(asked):
        found = _typed_hit(
            opentargets.map_ids(builder.client, [term], "target"), term, "target", match
        )
        if found is not None:
            return _mapped_target(builder, term, found, how)
    ids = [term for operation, term in entity.asked if operation == "Target"]
    if ids or (entity.id and not builder.client.settings.offline):
        return _target_by_id(builder, ids[0] if ids else entity.id or "", how)
    raise OfflineMiss(
        f"offline: {match.typed!r} names {entity.describe()}, but no recorded Open Targets "
        "answer confirms it; run without --offline"
    )


def _mapped_target(
    builder: BundleBuilder, term: str, found: tuple[str, opentargets.MappingHit], how: str
) -> TargetRecord:
    pointer, hit = found
    read = builder.reader(
        opentargets.map_ids_request([term], "target"), opentargets.target_page_url(hit.id)
    )
    _target_facts(read, hit.id, f"{pointer}/id", f"{pointer}/name", None)
    return TargetRecord(symbol=hit.name or term, ensembl_id=hit.id, resolved_by=how)


def _via_mapping(flag: str, typed: str, hit: opentargets.MappingHit, exact: str) -> str:
    """`exact` when Open Targets' hit is the name as typed, else what was mapped."""
    if name_key(hit.name or "") == name_key(typed) or hit.id.lower() == typed.lower():
        return exact
    return f"{flag} {typed!r} via Open Targets mapIds"


def _names(builder: BundleBuilder) -> NameIndex:
    return name_index(builder.client.settings.snapshot_dir)


def _typed_hit(
    mapping: opentargets.MapIdsResult, term: str, entity: EntityKind, known: Match | None
) -> tuple[str, opentargets.MappingHit] | None:
    """The hit a typed name means: the one named exactly so, else the one drafter knows the
    name belongs to, else the only one. Several and none of these is ambiguous: the hits are
    listed, none is guessed."""
    hits = _hits(mapping, entity)
    if not hits:
        return None
    wanted = name_key(term)
    exact = [
        h for h in hits if name_key(h[1].name or "") == wanted or h[1].id.lower() == term.lower()
    ]
    if not exact and known is not None:
        exact = [
            h
            for h in hits
            if h[1].id == known.entity.id or known.entity.called(name_key(h[1].name or ""))
        ]
    chosen = exact or hits
    ids = {hit.id for _, hit in chosen}
    if len(ids) > 1:
        raise AmbiguousName(
            entity,
            term,
            f"is ambiguous: Open Targets maps it to {counted(len(ids), entity)}",
            list(dict.fromkeys(f"{hit.name or '?'} ({hit.id})" for _, hit in chosen)),
        )
    return chosen[0]


def _hits(
    mapping: opentargets.MapIdsResult, entity: str
) -> list[tuple[str, opentargets.MappingHit]]:
    """The hits of the right entity, each with its JSON pointer in the mapIds answer."""
    return [
        (json_pointer("data", "mapIds", "mappings", m, "hits", h), hit)
        for m, mapped in enumerate(mapping.mappings)
        for h, hit in enumerate(mapped.hits)
        if hit.entity in (None, entity)
    ]


def _best_hit(
    mapping: opentargets.MapIdsResult, term: str, entity: str
) -> tuple[str, opentargets.MappingHit] | None:
    """A trial's condition: an exact (case-insensitive) name or id match of the right entity,
    else the top hit (a draft never stops at an ambiguous condition; its gap says so)."""
    hits = _hits(mapping, entity)
    wanted = name_key(term)
    exact = [
        (pointer, hit)
        for pointer, hit in hits
        if name_key(hit.name or "") == wanted or hit.id.lower() == term.strip().lower()
    ]
    if exact:
        return exact[0]
    return hits[0] if hits else None


def resolve_disease(
    builder: BundleBuilder, study: Study, override: str | None
) -> DiseaseRecord | None:
    if override:
        return disease_from_override(builder, override)
    if not study.conditions:
        builder.gap("disease", "the trial lists no condition; pass --disease NAME|ID")
        return None
    return _map_disease_name(builder, study.conditions[0], "first listed condition")


def disease_from_override(builder: BundleBuilder, override: str) -> DiseaseRecord:
    text = override.strip()
    if ONTOLOGY_ID.match(text):
        return _disease_from_id(builder, ontology_key(text), text)
    return _disease_by_name(builder, text)


def _disease_from_id(
    builder: BundleBuilder, disease_id: str, query: str, how: str = "--disease"
) -> DiseaseRecord:
    try:
        known = opentargets.get_disease(builder.client, disease_id)
    except UpstreamError as error:
        if "disease" in builder.required:
            raise
        builder.gap("disease", f"--disease {disease_id} not verified: {error}")
        return DiseaseRecord(name=disease_id, query=query, ontology_id=disease_id, resolved_by=how)
    if known is None:
        raise BadInput(f"unknown disease: Open Targets has no {disease_id}")
    read = builder.reader(opentargets.disease_request(disease_id), _disease_page_url(known.id))
    read.add(known.id, "ontology_id", "/data/disease/id", "id", "Disease ontology id")
    read.add(known.id, "name", "/data/disease/name", "text", "Disease name (Open Targets)")
    return DiseaseRecord(name=known.name, query=query, ontology_id=known.id, resolved_by=how)


def _disease_page_url(disease_id: str) -> str:
    return f"https://platform.opentargets.org/disease/{disease_id}"


_MAPPED_DISEASE = "--disease via Open Targets mapIds"


def _disease_by_name(builder: BundleBuilder, text: str) -> DiseaseRecord:
    """A disease name as typed, resolved like a target's (_target_by_name), except that a name
    Open Targets cannot map is kept as typed with a gap: claims and the association's name
    filter still match it. Offline, a name drafter knows is never sent as a mapping request
    that was not recorded."""
    names = _names(builder)
    known = names.resolve("disease", text)
    answered = False  # Open Targets answered for the typed name, with no usable hit
    if known is None or not builder.client.settings.offline:
        mapping, missed = _optional_map_ids(builder, text)
        found = _typed_hit(mapping, text, "disease", known) if mapping else None
        if found is not None:
            how = _via_mapping("--disease", text, found[1], exact=_MAPPED_DISEASE)
            return _mapped_disease(builder, text, found, how, query=text)
        answered = mapping is not None
        if known is None:
            return _unknown_disease(builder, names, text, mapping, missed)
    return _known_disease(builder, known, answered)


def _unknown_disease(
    builder: BundleBuilder,
    names: NameIndex,
    text: str,
    mapping: opentargets.MapIdsResult | None,
    missed: OfflineMiss | None,
) -> DiseaseRecord:
    """A name neither Open Targets nor drafter's names map: one that resembles known names
    lists them; one the score needs offline is a snapshot miss; else it is kept with a gap."""
    resembling = names.not_a_name("disease", text)
    if resembling is not None:
        raise resembling
    if missed is not None:
        if "disease" in builder.required:
            raise OfflineMiss(
                f"disease {text!r} is not a name drafter knows offline (it knows "
                f"{names.sample('disease')}): run without --offline to ask Open Targets "
                f"({missed})"
            )
        builder.gap("disease ontology id", str(missed))
    elif mapping is not None:
        builder.gap("disease ontology id", f"Open Targets maps no disease to {text!r}")
    return DiseaseRecord(name=text, query=text, resolved_by="--disease")


def _known_disease(builder: BundleBuilder, match: Match, answered: bool) -> DiseaseRecord:
    """A disease the typed name names, under its own name: by the recorded answer that gives
    its id, else mapped by name (live; offline only as recorded). Offline with nothing recorded
    it is the name drafter's reference facts give, without an ontology id and without a gap:
    nothing was missing but a mapping no one recorded."""
    entity, how = match.entity, match.explained("--disease")
    offline = builder.client.settings.offline
    for operation, disease_id in entity.asked:
        if operation == "Disease":
            return _disease_from_id(builder, disease_id, entity.name, how)
    terms = [] if offline else [entity.name]
    terms += [term for operation, term in entity.asked if operation == "MapIds"]
    if answered:  # the typed name was asked already
        terms = [t for t in terms if name_key(t) != name_key(match.typed)]
    for term in dict.fromkeys(terms):
        mapping, _ = _optional_map_ids(builder, term)
        found = _typed_hit(mapping, term, "disease", match) if mapping else None
        if found is not None:
            mapped = _MAPPED_DISEASE if match.is_canonical else f"{how}, via Open Targets mapIds"
            return _mapped_disease(builder, term, found, mapped, query=entity.name)
        answered = answered or mapping is not None
    if answered and not offline:
        builder.gap("disease ontology id", f"Open Targets maps no disease to {entity.name!r}")
    return DiseaseRecord(name=entity.name, query=entity.name, resolved_by=how)


def _optional_map_ids(
    builder: BundleBuilder, term: str
) -> tuple[opentargets.MapIdsResult | None, OfflineMiss | None]:
    """mapIds for a disease name as an optional step (a failure is a gap), except that an
    offline miss is handed back, not made a gap: drafter's own names may answer instead."""
    missed: list[OfflineMiss] = []

    def ask() -> opentargets.MapIdsResult | None:
        try:
            return opentargets.map_ids(builder.client, [term], "disease")
        except OfflineMiss as miss:
            missed.append(miss)
            return None

    return builder.attempt("disease ontology id", ask), (missed[0] if missed else None)


def _mapped_disease(
    builder: BundleBuilder,
    term: str,
    found: tuple[str, opentargets.MappingHit],
    how: str,
    *,
    query: str,
) -> DiseaseRecord:
    pointer, hit = found
    read = builder.reader(opentargets.map_ids_request([term], "disease"), _disease_page_url(hit.id))
    read.add(hit.id, "ontology_id", f"{pointer}/id", "id", "Disease ontology id")
    read.add(hit.id, "name", f"{pointer}/name", "text", "Disease name (Open Targets)")
    return DiseaseRecord(name=hit.name or term, query=query, ontology_id=hit.id, resolved_by=how)


def _map_disease_name(builder: BundleBuilder, name: str, how: str) -> DiseaseRecord:
    """A trial's condition: its best Open Targets mapping, or the name as listed with a gap."""
    mapping = builder.attempt(
        "disease ontology id", opentargets.map_ids, builder.client, [name], "disease"
    )
    found = _best_hit(mapping, name, "disease") if mapping else None
    if mapping is not None and found is None:
        builder.gap("disease ontology id", f"Open Targets maps no disease to {name!r}")
    if found is None:
        return DiseaseRecord(name=name, query=name, resolved_by=how)
    return _mapped_disease(builder, name, found, f"{how} via Open Targets mapIds", query=name)
