"""ChEMBL web services: molecules by id or name, and their mechanisms of action."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from drafter.models import drug_name_key
from drafter.sources.api import ApiRequest, parse_model
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
    molecules: list[Molecule] = Field(default_factory=list)
    page_meta: PageMeta | None = None


class MechanismPage(_Record):
    mechanisms: list[Mechanism] = Field(default_factory=list)
    page_meta: PageMeta | None = None


def compound_page_url(chembl_id: str) -> str:
    return f"https://www.ebi.ac.uk/chembl/compound_report_card/{chembl_id}/"


def get_molecule(client: HttpClient, chembl_id: str) -> Molecule | None:
    """None for an unknown id (ChEMBL answers 404 with an empty HTML body)."""
    request = ApiRequest(source="chembl", path=f"/molecule/{chembl_id}.json")
    response = client.send(request)
    if response.status == 404:
        return None
    molecule: Molecule = parse_model(Molecule, response.json_body(request), request)
    return molecule


def search_molecules(client: HttpClient, name: str, limit: int = 20) -> list[Molecule]:
    """Free-text molecule search (names, synonyms, research codes)."""
    request = ApiRequest(
        source="chembl", path="/molecule/search.json", params={"q": name, "limit": str(limit)}
    )
    body = client.send(request).json_body(request)
    return parse_model(MoleculePage, body, request).molecules


def get_mechanisms(client: HttpClient, chembl_id: str) -> list[Mechanism]:
    request = ApiRequest(
        source="chembl",
        path="/mechanism.json",
        params={"molecule_chembl_id": chembl_id, "limit": "100"},
    )
    page: MechanismPage = parse_model(
        MechanismPage, client.send(request).json_body(request), request
    )
    return page.mechanisms


def best_match(molecules: list[Molecule], name: str) -> Molecule | None:
    """The molecule whose preferred name or a synonym equals `name` (search ranks loosely)."""
    wanted = drug_name_key(name)
    for molecule in molecules:
        if any(drug_name_key(candidate) == wanted for candidate in molecule.names()):
            return molecule
    return None
