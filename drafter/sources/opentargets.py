"""Open Targets Platform GraphQL: id mapping, target, disease, the target–disease association
score and the drugs and clinical candidates on a target (`knownDrugs` was removed in 2026)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from drafter.errors import MalformedResponse
from drafter.sources.api import ApiRequest, ApiResponse, excerpt, parse_model
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


def graphql_request(operation: str, query: str, variables: dict[str, Any]) -> ApiRequest:
    return ApiRequest(
        source="opentargets",
        method="POST",
        json_body={"operationName": operation, "query": query, "variables": variables},
    )


def _data(response: ApiResponse, request: ApiRequest) -> dict[str, Any]:
    """The `data` object of a GraphQL answer; `errors` are checked first, as the API notes
    say (a 200 may carry errors and partial data)."""
    operation = (request.json_body or {}).get("operationName")
    if response.status != 200:
        raise MalformedResponse(
            f"Open Targets answered {request.describe()} with HTTP {response.status}"
        )
    body = response.json_body(request)
    if not isinstance(body, dict):
        raise MalformedResponse(f"Open Targets answered {request.describe()} with a non-object")
    errors = body.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else errors
        message = first.get("message") if isinstance(first, dict) else first
        raise MalformedResponse(f"Open Targets rejected {operation}: {excerpt(str(message), 300)}")
    data = body.get("data")
    if not isinstance(data, dict):
        raise MalformedResponse(f"Open Targets answered {request.describe()} without data")
    return data


def _root(
    client: HttpClient,
    request: ApiRequest,
    field: str,
    model: type[NodeT],
    expected_id: str | None = None,
) -> NodeT | None:
    """One operation's root field as `model`; None stays None, since Open Targets answers an
    unknown id with `null`, not an error. With `expected_id`, an answer about another entity
    is malformed (and so never cached)."""

    def parse(response: ApiResponse) -> NodeT | None:
        value = _data(response, request).get(field)
        if value is None:
            return None
        node = parse_model(model, value, request)
        found = getattr(node, "id", None)
        if expected_id is not None and found is not None and found != expected_id:
            raise MalformedResponse(
                f"Open Targets answered {request.describe()} about another {field} "
                f"({excerpt(str(found))})"
            )
        return node

    return client.fetch(request, parse)


def map_ids_request(terms: list[str], entity: str) -> ApiRequest:
    return graphql_request("MapIds", MAP_IDS, {"terms": terms, "entities": [entity]})


def target_request(ensembl_id: str) -> ApiRequest:
    return graphql_request("Target", TARGET, {"ensemblId": ensembl_id})


def disease_request(disease_id: str) -> ApiRequest:
    return graphql_request("Disease", DISEASE, {"efoId": disease_id})


def association_request(
    ensembl_id: str,
    *,
    disease_id: str | None = None,
    disease_name: str | None = None,
    enable_indirect: bool = False,
) -> ApiRequest:
    """Association rows of one target narrowed to a disease: by id when known, else by the
    (lower-cased) name filter. `enableIndirect` is always sent explicitly."""
    variables = {
        "ensemblId": ensembl_id,
        "diseaseIds": [disease_id] if disease_id else None,
        "nameFilter": None if disease_id or not disease_name else disease_name.lower(),
        "enableIndirect": enable_indirect,
    }
    return graphql_request("Association", ASSOCIATION, variables)


def target_drugs_request(ensembl_id: str) -> ApiRequest:
    return graphql_request("TargetDrugs", TARGET_DRUGS, {"ensemblId": ensembl_id})


def drug_request(chembl_id: str) -> ApiRequest:
    return graphql_request("Drug", DRUG, {"chemblId": chembl_id})


def map_ids(client: HttpClient, terms: list[str], entity: str) -> MapIdsResult:
    found = _root(client, map_ids_request(terms, entity), "mapIds", MapIdsResult)
    return found or MapIdsResult()


def get_target(client: HttpClient, ensembl_id: str) -> Target | None:
    """None when Open Targets does not know the id (it answers 200 with `target: null`)."""
    return _root(client, target_request(ensembl_id), "target", Target, ensembl_id)


def get_disease(client: HttpClient, disease_id: str) -> Disease | None:
    return _root(client, disease_request(disease_id), "disease", Disease, disease_id)


def get_associations(
    client: HttpClient,
    ensembl_id: str,
    *,
    disease_id: str | None = None,
    disease_name: str | None = None,
    enable_indirect: bool = False,
) -> TargetWithEvidence | None:
    request = association_request(
        ensembl_id,
        disease_id=disease_id,
        disease_name=disease_name,
        enable_indirect=enable_indirect,
    )
    return _root(client, request, "target", TargetWithEvidence, ensembl_id)


def get_target_drugs(client: HttpClient, ensembl_id: str) -> TargetWithEvidence | None:
    request = target_drugs_request(ensembl_id)
    return _root(client, request, "target", TargetWithEvidence, ensembl_id)


def get_drug(client: HttpClient, chembl_id: str) -> Drug | None:
    return _root(client, drug_request(chembl_id), "drug", Drug, chembl_id)
