"""Reading facts out of recorded answers: a Reader takes each value from the body at its JSON
pointer, so a fact and its `field` can never disagree; the BundleBuilder collects facts, gaps and
the records they came from."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from pydantic import ValidationError

from drafter.bundle import SourceRecord
from drafter.errors import InternalError, UpstreamError
from drafter.facts import (
    Fact,
    FactKind,
    FactSet,
    FactValue,
    Unit,
    conflict_gaps,
    read_fact,
    resolve_pointer,
)
from drafter.models import Gap
from drafter.sources.api import SOURCE_NAMES, ApiRequest, ApiResponse, excerpt
from drafter.sources.http import HttpClient

T = TypeVar("T")
P = ParamSpec("P")

OPEN_TARGETS = SOURCE_NAMES["opentargets"]
CTGOV = SOURCE_NAMES["ctgov"]


class Reader:
    """Adds the facts of one recorded answer: each value is read from the body at its pointer."""

    def __init__(
        self,
        builder: BundleBuilder,
        source: str,
        record: str,
        body: Any,
        url: str | None,
        at_most: int | None = None,
    ) -> None:
        self._builder = builder
        self.source = source  # fact id namespace: ctgov, chembl, ...
        self.record = record
        self.body = body
        self.url = url
        self.at_most = at_most  # elements read of any one list (None: all)

    def value(self, pointer: str) -> Any:
        """The raw value at `pointer`, or None when the answer does not hold it."""
        try:
            return resolve_pointer(self.body, pointer)
        except KeyError:
            return None

    def length(self, pointer: str) -> int:
        """How many elements of the list at `pointer` to read: all, or `at_most` (the cut
        noted as a gap)."""
        found = self.value(pointer)
        count = len(found) if isinstance(found, list) else 0
        if self.at_most is None or count <= self.at_most:
            return count
        self._builder.gap(
            "facts", f"{pointer} lists {count} elements; the first {self.at_most} were read"
        )
        return self.at_most

    def add(
        self,
        entity: str,
        field: str,
        pointer: str,
        kind: FactKind,
        label: str,
        *,
        unit: Unit | None = None,
        qualifier: str | None = None,
        note: str | None = None,
        url: str | None = None,
        convert: Callable[[Any], FactValue] | None = None,
        allowed: frozenset[str] | None = None,
    ) -> Fact | None:
        """The fact at `pointer`, unless the answer leaves the field out or empty. A value that
        does not fit its kind (or `allowed`) is a gap naming the field, never a crash. Text
        other than quotes is taken without surrounding whitespace (a quote stays verbatim)."""
        raw = self.value(pointer)
        if raw is None or raw == "" or isinstance(raw, dict | list):
            return None
        try:
            value: FactValue = convert(raw) if convert is not None else raw
            if isinstance(value, str) and kind != "quote":
                value = value.strip()
            if allowed is not None and value not in allowed:
                raise ValueError(f"not one of {', '.join(sorted(allowed))}")
            fact = read_fact(
                self.source,
                entity,
                field,
                kind,
                label,
                value,
                said_by=SOURCE_LABELS[self.source],
                record=self.record,
                pointer=pointer,
                url=url or self.url,
                unit=unit,
                qualifier=qualifier,
                note=note,
            )
        except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
            self._builder.gap(
                "facts",
                f"{self.record}{pointer} is not a usable {kind}: {excerpt(repr(raw), 60)} "
                f"({excerpt(_reason(error), 100)})",
            )
            return None
        return self._builder.add(fact)


def _reason(error: Exception) -> str:
    """What is wrong, in one phrase: pydantic's first message, not its help URL."""
    if isinstance(error, ValidationError):
        return str(error.errors()[0]["msg"])
    return str(error).splitlines()[0] if str(error) else type(error).__name__


SOURCE_LABELS = {
    "ctgov": CTGOV,
    "chembl": SOURCE_NAMES["chembl"],
    "opentargets": OPEN_TARGETS,
    "openfda": SOURCE_NAMES["openfda"],
    "pubmed": "PubMed",
    "reference": "drafter reference facts (curated)",
}


class BundleBuilder:
    """Accumulates facts, gaps and the bodies of the answers they were read from."""

    def __init__(
        self,
        client: HttpClient,
        answers: list[tuple[ApiRequest, ApiResponse]],
        required: frozenset[str] = frozenset(),
    ) -> None:
        self.client = client
        self.answers = answers
        self.required = required  # steps whose upstream failure must fail the command
        self.facts = FactSet()
        self.gaps: list[Gap] = []
        self.bodies: dict[str, Any] = {}
        self.local_records: list[SourceRecord] = []

    def reader(self, request: ApiRequest, url: str | None, at_most: int | None = None) -> Reader:
        """A reader of the (validated, recorded) answer to `request`, reading at most
        `at_most` elements of any one list (None: all of them)."""
        record = request.record_id()
        if record not in self.bodies:
            response = next((r for q, r in reversed(self.answers) if q.record_id() == record), None)
            if response is None:  # a client answered without going through the recorder
                raise InternalError(f"no recorded answer for {request.describe()}")
            # parsed as its client parsed it (an integer no float holds is ±inf there too)
            self.bodies[record] = response.json_body(request) if response.text else None
        return Reader(self, request.source, record, self.bodies[record], url, at_most)

    def add(self, fact: Fact) -> Fact:
        return self.facts.add(fact)

    def attempt(
        self, step: str, action: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T | None:
        """Run one step; an upstream failure becomes a gap, never a crash, unless the step is
        required (then it propagates and the command exits 3). An optional step has its own,
        shorter time budget, so slow optional sources cost seconds, not the whole command."""
        if step in self.required:
            return action(*args, **kwargs)
        budget = self.client.settings.optional_deadline
        try:
            with self.client.deadline(budget, "optional-step deadline"):
                return action(*args, **kwargs)
        except UpstreamError as error:
            self.gap(step, " ".join(str(error).split()))
            return None

    def gap(self, step: str, reason: str) -> None:
        self.gaps.append(Gap(step=step, reason=reason))

    def conflict_gaps(self) -> list[Gap]:
        return conflict_gaps(self.facts)

    def source_records(self) -> list[SourceRecord]:
        """One record per distinct answer the facts can cite, in the order first asked."""
        records: dict[str, SourceRecord] = {}
        for request, response in self.answers:
            records.setdefault(request.record_id(), source_record(request, response))
        for record in self.local_records:
            records.setdefault(record.id, record)
        return list(records.values())


def source_record(request: ApiRequest, response: ApiResponse) -> SourceRecord:
    return SourceRecord(
        id=request.record_id(),
        provenance=response.provenance,
        source=SOURCE_NAMES[request.source],
        request=request.describe(),
        url=response.url,
        status=response.status,
        origin=response.origin,
        fetched_at=response.fetched_at,
        sha256=hashlib.sha256(response.text.encode()).hexdigest(),
    )


@contextmanager
def building(client: HttpClient, required: frozenset[str] = frozenset()) -> Iterator[BundleBuilder]:
    with client.recording() as answers:
        yield BundleBuilder(client, answers, required)
