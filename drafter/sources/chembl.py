"""ChEMBL web services: molecules by id or name, and their mechanisms of action."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from drafter.errors import MalformedResponse
from drafter.models import drug_name_key
from drafter.sources.api import ApiRequest, ApiResponse, excerpt, parse_json_model
from drafter.sources.http import HttpClient


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _phase_text(value: Any) -> str | None:
    """max_phase arrives as "2.0" on molecules and 2 on mechanisms; keep one string form."""
    if value is None or value == "":
        return None
    try:
        return f"{float(value):.1f}"
    except (TypeError, ValueError) as error:
        raise ValueError(f"max_phase is not a number: {value!r}") from error


# One string form ("2.0") for the molecule's "2.0" and the mechanism's 2.
MaxPhase = Annotated[str | None, BeforeValidator(_phase_text)]


class Synonym(_Record):
    molecule_synonym: str
    syn_type: str | None = None


class Hierarchy(_Record):
    molecule_chembl_id: str | None = None
    parent_chembl_id: str | None = None


class Molecule(_Record):
    molecule_chembl_id: str
    pref_name: str | None = None
    molecule_type: str | None = None
    max_phase: MaxPhase = None
    first_approval: int | None = None
    withdrawn_flag: bool | None = None
    black_box_warning: int | None = None
    molecule_hierarchy: Hierarchy | None = None
    molecule_synonyms: list[Synonym] = Field(default_factory=list)

    @property
    def parent_id(self) -> str:
        """Salts point to a parent; mechanisms and indications hang off the parent."""
        hierarchy = self.molecule_hierarchy
        if hierarchy and hierarchy.parent_chembl_id:
            return hierarchy.parent_chembl_id
        return self.molecule_chembl_id

    def names(self) -> list[str]:
        names = [self.pref_name] if self.pref_name else []
        names += [s.molecule_synonym for s in self.molecule_synonyms]
        return names


class Mechanism(_Record):
    mechanism_of_action: str | None = None
    action_type: str | None = None
    target_chembl_id: str | None = None
    molecule_chembl_id: str | None = None
    parent_molecule_chembl_id: str | None = None
    max_phase: MaxPhase = None
    direct_interaction: bool | None = None


class PageMeta(_Record):
    limit: int | None = None
    next: str | None = None
    offset: int | None = None
    total_count: int | None = None


class MoleculePage(_Record):
    molecules: list[Molecule]  # always sent, empty for no hits: a page without it is no answer
    page_meta: PageMeta | None = None


class MechanismPage(_Record):
    mechanisms: list[Mechanism]  # always sent, empty for none: a page without it is no answer
    page_meta: PageMeta | None = None


PageT = TypeVar("PageT", MoleculePage, MechanismPage)


def compound_page_url(chembl_id: str) -> str:
    return f"https://www.ebi.ac.uk/chembl/compound_report_card/{chembl_id}/"


def molecule_request(chembl_id: str) -> ApiRequest:
    return ApiRequest(source="chembl", path=f"/molecule/{chembl_id}.json")


def search_request(name: str, limit: int = 20) -> ApiRequest:
    return ApiRequest(
        source="chembl", path="/molecule/search.json", params={"q": name, "limit": str(limit)}
    )


def mechanisms_request(chembl_id: str) -> ApiRequest:
    return ApiRequest(
        source="chembl",
        path="/mechanism.json",
        params={"molecule_chembl_id": chembl_id, "limit": "100"},
    )


def get_molecule(client: HttpClient, chembl_id: str) -> Molecule | None:
    """None for an unknown id (ChEMBL answers 404 with an empty HTML body)."""
    request = molecule_request(chembl_id)

    def parse(response: ApiResponse) -> Molecule | None:
        if response.status == 404:
            return None
        molecule = parse_json_model(Molecule, response, request)
        if chembl_id not in (molecule.molecule_chembl_id, molecule.parent_id):
            raise MalformedResponse(
                f"ChEMBL answered {request.describe()} with another molecule "
                f"({excerpt(molecule.molecule_chembl_id)})"
            )
        return molecule

    return client.fetch(request, parse)


def search_molecules(client: HttpClient, name: str, limit: int = 20) -> list[Molecule]:
    """Free-text molecule search (names, synonyms, research codes)."""
    request = search_request(name, limit)
    page = client.fetch(request, lambda response: _page(MoleculePage, response, request))
    return page.molecules


def get_mechanisms(client: HttpClient, chembl_id: str) -> list[Mechanism]:
    request = mechanisms_request(chembl_id)
    page = client.fetch(request, lambda response: _page(MechanismPage, response, request))
    return page.mechanisms


def _page(model: type[PageT], response: ApiResponse, request: ApiRequest) -> PageT:
    """A list page: ChEMBL answers an empty search with 200 and an empty list, so a 404 here is
    not an answer (a proxy's page, a moved API) and must not be cached as one."""
    if response.status != 200:
        raise MalformedResponse(f"ChEMBL answered {request.describe()} with HTTP {response.status}")
    return parse_json_model(model, response, request)


def best_match(molecules: list[Molecule], name: str) -> Molecule | None:
    """The molecule whose preferred name or a synonym equals `name` (search ranks loosely)."""
    wanted = drug_name_key(name)
    for molecule in molecules:
        if any(drug_name_key(candidate) == wanted for candidate in molecule.names()):
            return molecule
    return None
