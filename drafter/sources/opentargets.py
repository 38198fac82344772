"""Open Targets Platform GraphQL: id mapping, target, disease, the target–disease association
score and the drugs and clinical candidates on a target (`knownDrugs` was removed in 2026)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from drafter.errors import MalformedResponse
from drafter.sources.api import ApiRequest, parse_model
from drafter.sources.http import HttpClient

MAP_IDS = """query MapIds($terms: [String!]!, $entities: [String!]) {
  mapIds(queryTerms: $terms, entityNames: $entities) {
    total mappings { term hits { id entity name score } }
  }
}"""

TARGET = """query Target($ensemblId: String!) {
  target(ensemblId: $ensemblId) { id approvedSymbol approvedName biotype }
}"""

DISEASE = """query Disease($efoId: String!) {
  disease(efoId: $efoId) { id name description dbXRefs synonyms { relation terms } }
}"""

ASSOCIATION = """query Association($ensemblId: String!, $diseaseIds: [String!],
    $nameFilter: String, $enableIndirect: Boolean!) {
  target(ensemblId: $ensemblId) {
    id approvedSymbol
    associatedDiseases(Bs: $diseaseIds, BFilter: $nameFilter, enableIndirect: $enableIndirect,
                       page: { index: 0, size: 25 }) {
      count rows { score disease { id name } datatypeScores { id score } }
    }
  }
}"""

TARGET_DRUGS = """query TargetDrugs($ensemblId: String!) {
  target(ensemblId: $ensemblId) {
    id approvedSymbol
    drugAndClinicalCandidates {
      count rows { id maxClinicalStage drug { id name drugType maximumClinicalStage } }
    }
  }
}"""

DRUG = """query Drug($chemblId: String!) {
  drug(chemblId: $chemblId) {
    id name drugType maximumClinicalStage synonyms tradeNames
    mechanismsOfAction {
      rows { mechanismOfAction actionType targetName targets { id approvedSymbol } }
    }
  }
}"""


class _Node(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


NodeT = TypeVar("NodeT", bound=_Node)


class MappingHit(_Node):
    id: str
    entity: str | None = None
    name: str | None = None
    score: float | None = None


class Mapping(_Node):
    term: str
    hits: list[MappingHit] = Field(default_factory=list)


class MapIdsResult(_Node):
    total: int | None = None
    mappings: list[Mapping] = Field(default_factory=list)


class Target(_Node):
    id: str
    approved_symbol: str | None = Field(default=None, alias="approvedSymbol")
    approved_name: str | None = Field(default=None, alias="approvedName")
    biotype: str | None = None


class DiseaseRef(_Node):
    """A disease as association rows name it; the id is absent only in hand-built snapshot
    records whose ontology id no source confirmed."""

    id: str | None = None
    name: str | None = None


class Disease(_Node):
    id: str
    name: str
    description: str | None = None
    db_x_refs: list[str] = Field(default_factory=list, alias="dbXRefs")


class ScoreById(_Node):
    id: str
    score: float


class AssociationRow(_Node):
    score: float = Field(ge=0, le=1, allow_inf_nan=False)
    disease: DiseaseRef
    datatype_scores: list[ScoreById] = Field(default_factory=list, alias="datatypeScores")


class AssociatedDiseases(_Node):
    count: int | None = None
    rows: list[AssociationRow] = Field(default_factory=list)


class DrugRef(_Node):
    id: str
    name: str | None = None
    drug_type: str | None = Field(default=None, alias="drugType")
    maximum_clinical_stage: str | None = Field(default=None, alias="maximumClinicalStage")


class ClinicalCandidate(_Node):
    id: str | None = None
    max_clinical_stage: str | None = Field(default=None, alias="maxClinicalStage")
    drug: DrugRef


class ClinicalCandidates(_Node):
    count: int | None = None
    rows: list[ClinicalCandidate] = Field(default_factory=list)


class TargetWithEvidence(_Node):
    """`target` as the association and drug queries return it (each fills its own part)."""

    id: str | None = None
    approved_symbol: str | None = Field(default=None, alias="approvedSymbol")
    associated_diseases: AssociatedDiseases | None = Field(default=None, alias="associatedDiseases")
    drug_and_clinical_candidates: ClinicalCandidates | None = Field(
        default=None, alias="drugAndClinicalCandidates"
    )


class TargetRef(_Node):
    """A mechanism's target; `id` is absent when a query did not select it."""

    id: str | None = None
    approved_symbol: str | None = Field(default=None, alias="approvedSymbol")


class MechanismRow(_Node):
    mechanism_of_action: str | None = Field(default=None, alias="mechanismOfAction")
    action_type: str | None = Field(default=None, alias="actionType")
    target_name: str | None = Field(default=None, alias="targetName")
    targets: list[TargetRef] = Field(default_factory=list)


class Mechanisms(_Node):
    rows: list[MechanismRow] = Field(default_factory=list)


class Drug(_Node):
    id: str
    name: str | None = None
    drug_type: str | None = Field(default=None, alias="drugType")
    maximum_clinical_stage: str | None = Field(default=None, alias="maximumClinicalStage")
    synonyms: list[str] = Field(default_factory=list)
    trade_names: list[str] = Field(default_factory=list, alias="tradeNames")
    mechanisms_of_action: Mechanisms | None = Field(default=None, alias="mechanismsOfAction")


def target_page_url(ensembl_id: str) -> str:
    return f"https://platform.opentargets.org/target/{ensembl_id}"


def association_page_url(ensembl_id: str) -> str:
    return f"https://platform.opentargets.org/target/{ensembl_id}/associations"


def _query(
    client: HttpClient, operation: str, query: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], ApiRequest]:
    """POST one operation; GraphQL `errors` are checked before `data`, as the API notes say."""
    request = ApiRequest(
        source="opentargets",
        method="POST",
        json_body={"operationName": operation, "query": query, "variables": variables},
    )
    response = client.send(request)
    if response.status != 200:
        raise MalformedResponse(
            f"Open Targets answered {request.describe()} with HTTP {response.status}"
        )
    body = response.json_body(request)
    if not isinstance(body, dict):
        raise MalformedResponse(f"Open Targets answered {request.describe()} with a non-object")
    errors = body.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) else errors
        message = first.get("message") if isinstance(first, dict) else str(first)
        raise MalformedResponse(f"Open Targets rejected {operation}: {message}")
    data = body.get("data")
    if not isinstance(data, dict):
        raise MalformedResponse(f"Open Targets answered {request.describe()} without data")
    return data, request


def _root(
    client: HttpClient,
    operation: str,
    query: str,
    variables: dict[str, Any],
    field: str,
    model: type[NodeT],
) -> NodeT | None:
    """One operation's root field as `model`; None stays None, since Open Targets answers an
    unknown id with `null`, not an error."""
    data, request = _query(client, operation, query, variables)
    value = data.get(field)
    return None if value is None else parse_model(model, value, request)


def map_ids(client: HttpClient, terms: list[str], entity: str) -> MapIdsResult:
    variables = {"terms": terms, "entities": [entity]}
    found = _root(client, "MapIds", MAP_IDS, variables, "mapIds", MapIdsResult)
    return found or MapIdsResult()


def get_target(client: HttpClient, ensembl_id: str) -> Target | None:
    """None when Open Targets does not know the id (it answers 200 with `target: null`)."""
    return _root(client, "Target", TARGET, {"ensemblId": ensembl_id}, "target", Target)


def get_disease(client: HttpClient, disease_id: str) -> Disease | None:
    return _root(client, "Disease", DISEASE, {"efoId": disease_id}, "disease", Disease)


def get_associations(
    client: HttpClient,
    ensembl_id: str,
    *,
    disease_id: str | None = None,
    disease_name: str | None = None,
    enable_indirect: bool = False,
) -> TargetWithEvidence | None:
    """Association rows of one target narrowed to a disease: by id when known, else by the
    (lower-cased) name filter. `enableIndirect` is always sent explicitly."""
    variables = {
        "ensemblId": ensembl_id,
        "diseaseIds": [disease_id] if disease_id else None,
        "nameFilter": None if disease_id or not disease_name else disease_name.lower(),
        "enableIndirect": enable_indirect,
    }
    return _root(client, "Association", ASSOCIATION, variables, "target", TargetWithEvidence)


def get_target_drugs(client: HttpClient, ensembl_id: str) -> TargetWithEvidence | None:
    variables = {"ensemblId": ensembl_id}
    return _root(client, "TargetDrugs", TARGET_DRUGS, variables, "target", TargetWithEvidence)


def get_drug(client: HttpClient, chembl_id: str) -> Drug | None:
    return _root(client, "Drug", DRUG, {"chemblId": chembl_id}, "drug", Drug)
