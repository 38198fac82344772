"""Names as editors type them: case variants, synonyms and abbreviations of targets and
diseases ("ilt7", "ILT-7", "lilra4" → LILRA4; "DLE" → Discoid lupus erythematosus).

The names come from what drafter holds locally, each with where it is written: the curated
reference facts (a target's gene symbol and aliases, a disease's name and abbreviations, each
with its public page) and the Open Targets answers recorded in the snapshot (approved symbols
and synonyms, mapped names, exact disease synonyms). Offline they resolve a typed name before
any request is made, so no one asks for a mapping that was never recorded; live, Open Targets
is asked first and these names break its ties and fill in where it maps nothing.

A name two entities answer to is ambiguous, and one that only resembles known names ("lupus")
is not taken as any of them: both list the candidates and fail as bad input, never a guess.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from drafter.errors import BadInput
from drafter.evidence.curated import CuratedEntry, CuratedFacts, load_curated_facts
from drafter.sources.api import ApiRequest
from drafter.sources.snapshot import Snapshot

EntityKind = Literal["target", "disease"]
# An answer the index read names from, as the request that asks for it again: ("MapIds", term),
# ("Target", Ensembl id) or ("Disease", ontology id).
Asked = tuple[str, str]

_NON_WORD = re.compile(r"[\W_]+")
_NAMING_OPERATIONS = frozenset({"MapIds", "Target", "Disease"})
# A prefix shorter than this resembles too many names to be offered as one of them.
_MIN_PREFIX = 3
_MAX_LISTED = 8


def name_key(text: str) -> str:
    """A name as lookups compare it: case, spaces and punctuation ignored ("ILT-7" == "ilt7")."""
    return "".join(_NON_WORD.split(text.casefold()))


def _words(text: str) -> set[str]:
    return {word for word in _NON_WORD.split(text.casefold()) if word}


@dataclass(frozen=True)
class KnownName:
    """One name of an entity and where it is written (a page, or a recorded answer)."""

    text: str
    source: str


@dataclass
class KnownEntity:
    """A target (by Ensembl gene id) or a disease (by ontology id, when one is recorded) with
    every name it answers to; `name` is the one drafter shows and asks Open Targets with."""

    kind: EntityKind
    name: str
    id: str | None
    names: list[KnownName] = field(default_factory=list)
    asked: list[Asked] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.name} ({self.id})" if self.id else self.name

    def called(self, key: str) -> KnownName | None:
        """The name of this entity whose key is `key`, if any."""
        return next((n for n in self.names if name_key(n.text) == key), None)

    def resembles(self, words: set[str], key: str) -> bool:
        """Every typed word is a word of one of its names, or the typed text begins one."""
        return any(
            (words and words <= _words(n.text))
            or (len(key) >= _MIN_PREFIX and name_key(n.text).startswith(key))
            for n in self.names
        )

    def absorb(self, other: KnownEntity) -> None:
        for known in other.names:
            if self.called(name_key(known.text)) is None:
                self.names.append(known)
        self.asked += [a for a in other.asked if a not in self.asked]


@dataclass(frozen=True)
class Match:
    """A typed name that is exactly one name of one entity."""

    entity: KnownEntity
    name: KnownName
    typed: str

    @property
    def is_canonical(self) -> bool:
        """Typed as drafter names the entity, up to case and punctuation ("lilra4")."""
        return name_key(self.typed) == name_key(self.entity.name)

    def explained(self, flag: str) -> str:
        """How the typed name was resolved, for `resolved_by`: the flag alone when it was the
        entity's own name, else which name it is and where that name is written."""
        if self.is_canonical:
            return flag
        said = "" if self.name.text == self.typed else f" = {self.name.text}"
        return f"{flag} {self.typed!r}{said}, a name of {self.entity.name} ({self.name.source})"


class AmbiguousName(BadInput):
    """A typed name that could mean several targets or diseases, or that only resembles the
    names drafter knows: the candidates are listed and none is guessed (exit 2)."""

    def __init__(self, kind: EntityKind, typed: str, problem: str, candidates: list[str]) -> None:
        self.candidates = candidates
        listed = "; ".join(candidates[:_MAX_LISTED])
        if len(candidates) > _MAX_LISTED:
            listed += f"; and {len(candidates) - _MAX_LISTED} more"
        which = "it" if len(candidates) == 1 else "one of them"
        ids = "its id" if kind == "target" else "its ontology id"
        super().__init__(f"{kind} {typed!r} {problem}: {listed} — pass {which} (or {ids})")


def counted(n: int, kind: str) -> str:
    """ "1 target", "4 diseases"."""
    return f"{n} {kind}" if n == 1 else f"{n} {kind}s"


class NameIndex:
    """Every target and disease drafter knows by name, looked up as editors type them."""

    def __init__(self, entities: Iterable[KnownEntity]) -> None:
        self.entities = list(entities)

    def of_kind(self, kind: EntityKind) -> Iterator[KnownEntity]:
        return (e for e in self.entities if e.kind == kind)

    def resolve(self, kind: EntityKind, typed: str) -> Match | None:
        """The one entity `typed` is a name of; None when it names none. A name of several
        entities raises AmbiguousName listing them."""
        key = name_key(typed)
        if not key:
            return None
        found = [(e, n) for e in self.of_kind(kind) if (n := e.called(key)) is not None]
        if len(found) > 1:
            raise AmbiguousName(
                kind,
                typed,
                f"is ambiguous: it is a name of {counted(len(found), kind)}",
                [f"{e.describe()} ({n.source})" for e, n in found],
            )
        return Match(found[0][0], found[0][1], typed.strip()) if found else None

    def near(self, kind: EntityKind, typed: str) -> list[KnownEntity]:
        """Entities `typed` resembles without being one of their names ("lupus")."""
        key, words = name_key(typed), _words(typed)
        return sorted(
            (e for e in self.of_kind(kind) if e.resembles(words, key)),
            key=lambda e: e.name.casefold(),
        )

    def not_a_name(self, kind: EntityKind, typed: str) -> AmbiguousName | None:
        """The error for a name no source maps but that resembles known names, if it does."""
        near = self.near(kind, typed)
        if not near:
            return None
        return AmbiguousName(
            kind,
            typed,
            f"is not a name drafter knows, but resembles {counted(len(near), 'known ' + kind)}",
            [e.describe() for e in near],
        )

    def names_for(self, kind: EntityKind, typed: str) -> list[str]:
        """Every name (and the id) of the entity `typed` names, for matching stored rows the
        way a lookup matches; just `typed` when it names no known entity."""
        match = self.resolve(kind, typed)
        if match is None:
            return [typed]
        names = [n.text for n in match.entity.names]
        if match.entity.id:
            names.append(match.entity.id)
        return list(dict.fromkeys([typed, *names]))

    def sample(self, kind: EntityKind) -> str:
        """A few known names of a kind, for a message about a name that is not among them."""
        names = sorted(e.name for e in self.of_kind(kind))
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        return ", ".join(names[:5]) + more if names else "none"


def name_index(snapshot_dir: Path | None) -> NameIndex:
    """The names of the curated reference facts and of the Open Targets answers recorded in
    the snapshot the client reads (the bundled one when `snapshot_dir` is None). Built once per
    snapshot and curated file (each trial of a batch asks, several times); callers only read
    it."""
    _, curated_sha256 = load_curated_facts()
    return _built_index(str(snapshot_dir) if snapshot_dir else None, curated_sha256)


@functools.lru_cache(maxsize=8)
def _built_index(snapshot_dir: str | None, curated_sha256: str) -> NameIndex:
    """The index for one snapshot and one content of the curated file (named by its sha256)."""
    curated, _ = load_curated_facts()
    recorded = _recorded_entities(snapshot_dir)
    return NameIndex(_merged([*(_copy(e) for e in recorded), *_curated_entities(curated)]))


# --- where names come from -----------------------------------------------------------------------


def _curated_entities(curated: CuratedFacts) -> list[KnownEntity]:
    """Targets (subjects with a gene symbol) and diseases (subjects with a disease name) of the
    curated reference facts, with their aliases."""
    by_subject: dict[str, dict[str, CuratedEntry]] = {}
    for key, entry in curated.facts.items():
        by_subject.setdefault(entry.subject, {})[key.rsplit(":", 1)[1]] = entry
    entities = []
    for subject, fields in by_subject.items():
        if "gene_symbol" in fields:
            kind: EntityKind = "target"
            canonical, entity_id = fields["gene_symbol"], subject
        elif "disease_name" in fields:
            kind, canonical, entity_id = "disease", fields["disease_name"], None
        else:
            continue
        entity = KnownEntity(kind, str(canonical.value), entity_id)
        for entry in [canonical, *([fields["aliases"]] if "aliases" in fields else [])]:
            values = entry.value if isinstance(entry.value, list) else [entry.value]
            entity.names += [KnownName(str(v), entry.source_url) for v in values]
        entities.append(entity)
    return entities


@functools.lru_cache(maxsize=8)
def _recorded_entities(snapshot_dir: str | None) -> tuple[KnownEntity, ...]:
    """Targets and diseases the snapshot's Open Targets answers name. Read once per snapshot
    (its answers do not change while drafter runs); callers get copies to merge."""
    snapshot = Snapshot(Path(snapshot_dir) if snapshot_dir else None)
    where = "the bundled snapshot" if snapshot_dir is None else f"snapshot {snapshot_dir}"
    entities: list[KnownEntity] = []
    for folder, entry in snapshot.entries().values():
        body = entry.request.json_body or {}
        operation = body.get("operationName")
        if folder.name != "opentargets" or operation not in _NAMING_OPERATIONS:
            continue
        request = ApiRequest(source="opentargets", **entry.request.model_dump())
        answer = snapshot.get(request, url="")
        if answer is None or answer.status != 200:
            continue
        try:
            data = json.loads(answer.text).get("data") or {}
        except (ValueError, AttributeError):
            continue  # an answer that does not parse is never served either
        source = f"Open Targets {operation} answer recorded in {where}"
        entities += _named_by(str(operation), body.get("variables") or {}, data, source)
    return tuple(entities)


def _named_by(
    operation: str, variables: dict[str, Any], data: dict[str, Any], source: str
) -> list[KnownEntity]:
    if operation == "Target":
        return _target_named(data.get("target"), variables.get("ensemblId"), source)
    if operation == "Disease":
        return _disease_named(data.get("disease"), variables.get("efoId"), source)
    return _mapped_names(data.get("mapIds"), variables, source)


def _target_named(target: Any, asked: Any, source: str) -> list[KnownEntity]:
    if not isinstance(target, dict) or not _text(target.get("approvedSymbol")):
        return []
    entity = KnownEntity("target", target["approvedSymbol"], _text(target.get("id")))
    names = [target["approvedSymbol"], target.get("approvedName")]
    for group in ("symbolSynonyms", "synonyms"):
        names += [s.get("label") for s in target.get(group) or [] if isinstance(s, dict)]
    entity.names = [KnownName(n, source) for n in names if _text(n)]
    entity.asked = [("Target", str(asked))] if _text(asked) else []
    return [entity]


def _disease_named(disease: Any, asked: Any, source: str) -> list[KnownEntity]:
    """A disease's name and its exact synonyms (related, broad and narrow ones name other
    things as often as this one)."""
    if not isinstance(disease, dict) or not _text(disease.get("name")):
        return []
    entity = KnownEntity("disease", disease["name"], _text(disease.get("id")))
    names = [disease["name"]]
    for group in disease.get("synonyms") or []:
        if isinstance(group, dict) and group.get("relation") == "hasExactSynonym":
            names += group.get("terms") or []
    entity.names = [KnownName(n, source) for n in names if _text(n)]
    entity.asked = [("Disease", str(asked))] if _text(asked) else []
    return [entity]


def _mapped_names(mapping: Any, variables: dict[str, Any], source: str) -> list[KnownEntity]:
    """Each hit of a recorded mapIds answer; the term it was asked with is a name of its hit
    when it has only one."""
    if not isinstance(mapping, dict):
        return []
    kinds = variables.get("entities") or []
    entities = []
    for mapped in mapping.get("mappings") or []:
        if not isinstance(mapped, dict):
            continue
        term = _text(mapped.get("term"))
        hits = [
            h
            for h in mapped.get("hits") or []
            if isinstance(h, dict) and _text(h.get("id")) and _text(h.get("name"))
        ]
        for hit in hits:
            kind = hit.get("entity") or (kinds[0] if len(kinds) == 1 else None)
            if kind not in ("target", "disease"):
                continue
            entity = KnownEntity(kind, hit["name"], hit["id"], [KnownName(hit["name"], source)])
            if term is not None and len(hits) == 1:
                entity.names.append(KnownName(term, source))
                entity.asked.append(("MapIds", term))
            entities.append(entity)
    return entities


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _copy(entity: KnownEntity) -> KnownEntity:
    return KnownEntity(entity.kind, entity.name, entity.id, list(entity.names), list(entity.asked))


def _merged(entities: list[KnownEntity]) -> list[KnownEntity]:
    """One entity per id; an entity without an id joins the one entity of its kind whose name
    it has (a curated disease name and the recorded answer that gives its id), else stands
    alone, one per name."""
    merged: dict[tuple[str, str], KnownEntity] = {}
    for entity in (e for e in entities if e.id):
        key = (entity.kind, entity.id or "")
        if key in merged:
            merged[key].absorb(entity)
        else:
            merged[key] = entity
    for entity in (e for e in entities if not e.id):
        own = name_key(entity.name)
        same = [m for m in merged.values() if m.kind == entity.kind and m.called(own)]
        if len(same) == 1:
            same[0].absorb(entity)
            continue
        key = (entity.kind, f"name:{own}")
        if key in merged:
            merged[key].absorb(entity)
        else:
            merged[key] = entity
    return list(merged.values())
