"""Evidence about the pair and the drug: the association score, the programs on the target,
FAERS reports and publications."""

from __future__ import annotations

from drafter.bundle import (
    AssociationRecord,
    DiseaseRecord,
    DrugRecord,
    Publication,
    TargetProgram,
    TargetRecord,
)
from drafter.evidence.reading import BundleBuilder
from drafter.facts import Fact, computed_fact, json_pointer, pair_entity, slug
from drafter.sources import openfda, opentargets, pubmed
from drafter.sources.ctgov import Study


def resolve_association(
    builder: BundleBuilder, target: TargetRecord | None, disease: DiseaseRecord | None
) -> AssociationRecord | None:
    if target is None or target.ensembl_id is None or disease is None:
        builder.gap("association score", "needs both a target Ensembl id and a disease")
        return None
    ensembl_id = target.ensembl_id
    gaps_before = len(builder.gaps)
    answer = builder.attempt(
        "association score",
        opentargets.get_associations,
        builder.client,
        ensembl_id,
        disease_id=disease.ontology_id,
        disease_name=disease.name,
        enable_indirect=False,
    )
    if answer is None and len(builder.gaps) > gaps_before:
        return None  # the source failed; the gap says why
    rows = answer.associated_diseases.rows if answer and answer.associated_diseases else []
    index = _matching_row(rows, disease)
    if index is None:
        builder.gap(
            "association score",
            f"Open Targets lists no direct association of {target.symbol or ensembl_id} "
            f"with {disease.name}; the MRS treats the score as 0",
        )
        return None
    row = rows[index]
    read = builder.reader(
        opentargets.association_request(
            ensembl_id, disease_id=disease.ontology_id, disease_name=disease.name
        ),
        opentargets.association_page_url(ensembl_id),
    )
    pair = pair_entity(ensembl_id, disease.query)
    base = f"/data/target/associatedDiseases/rows/{index}"
    read.add(
        pair,
        "association_score",
        f"{base}/score",
        "score",
        f"Open Targets overall association score, {target.symbol or ensembl_id} – {disease.name}",
        qualifier="overall, direct",
        note="direct evidence only (enableIndirect=false)",
    )
    for k, datatype in enumerate(row.datatype_scores):
        read.add(
            pair,
            f"datatype_scores.{slug(datatype.id)}",
            f"{base}/datatypeScores/{k}/score",
            "score",
            f"Open Targets {datatype.id.replace('_', ' ')} score",
            qualifier="direct",
        )
    read.add(pair, "disease_name", f"{base}/disease/name", "text", "Disease (Open Targets)")
    return AssociationRecord(
        ensembl_id=ensembl_id,
        disease_name=row.disease.name or disease.name,
        disease_id=row.disease.id or disease.ontology_id,
        score=row.score,
        enable_indirect=False,
        datatype_scores={d.id: d.score for d in row.datatype_scores},
    )


def _matching_row(rows: list[opentargets.AssociationRow], disease: DiseaseRecord) -> int | None:
    wanted_name = disease.name.strip().lower()
    for index, row in enumerate(rows):
        if disease.ontology_id and row.disease.id == disease.ontology_id:
            return index
    for index, row in enumerate(rows):
        if (row.disease.name or "").strip().lower() == wanted_name:
            return index
    return None


def target_programs(
    builder: BundleBuilder, target: TargetRecord | None
) -> list[TargetProgram] | None:
    if target is None or target.ensembl_id is None:
        return None
    ensembl_id = target.ensembl_id
    answer = builder.attempt(
        "programs on target", opentargets.get_target_drugs, builder.client, ensembl_id
    )
    if answer is None or answer.drug_and_clinical_candidates is None:
        return None
    read = builder.reader(
        opentargets.target_drugs_request(ensembl_id), opentargets.target_page_url(ensembl_id)
    )
    programs: dict[str, TargetProgram] = {}
    id_facts: list[Fact] = []
    for i, row in enumerate(answer.drug_and_clinical_candidates.rows):
        if row.drug.id in programs:
            continue
        programs[row.drug.id] = TargetProgram(
            chembl_id=row.drug.id,
            name=row.drug.name,
            max_clinical_stage=row.max_clinical_stage or row.drug.maximum_clinical_stage,
        )
        base = f"/data/target/drugAndClinicalCandidates/rows/{i}"
        field = f"clinical_programs.{i}"
        found = read.add(
            ensembl_id, f"{field}.chembl_id", f"{base}/drug/id", "id", "Drug on target"
        )
        id_facts += [found] if found else []
        read.add(ensembl_id, f"{field}.name", f"{base}/drug/name", "text", "Drug on target")
        read.add(
            ensembl_id,
            f"{field}.max_clinical_stage",
            f"{base}/maxClinicalStage",
            "phase",
            "Highest clinical stage of the drug on the target",
        )
    label = f"Clinical-stage drugs on {target.symbol or ensembl_id} (Open Targets)"
    rows = read.add(
        ensembl_id,
        "clinical_programs.rows",
        "/data/target/drugAndClinicalCandidates/count",
        "count",
        f"{label}, rows as Open Targets counts them",
        unit="programs",
    )
    inputs = id_facts or ([rows] if rows else [])
    if inputs:  # a count rests on the drugs listed, or on Open Targets' own count of none
        builder.add(
            computed_fact(
                "opentargets",
                ensembl_id,
                "clinical_programs.count",
                "count",
                label,
                len(programs),
                inputs,
                "distinct drugs in Open Targets' drugAndClinicalCandidates for the target",
                unit="programs",
                url=read.url,
            )
        )
    return sorted(programs.values(), key=lambda p: p.chembl_id or "")


def safety_signal(builder: BundleBuilder, drugs: list[DrugRecord]) -> openfda.FaersSummary | None:
    first_written: dict[str, str] = {}  # each name once, whatever its case
    for drug in drugs:
        for name in [drug.intervention_name, *drug.aliases]:
            first_written.setdefault(name.lower(), name)
    names = list(first_written.values())
    if not names:
        return None
    summary = builder.attempt("FAERS reports", openfda.count_reports, builder.client, names)
    if summary is None:
        return None
    entity = slug(names[0]) or "drug"
    total = openfda.total_request(names)
    read = builder.reader(total, builder.client.url_for(total))
    label = f"FAERS adverse-event reports naming {', '.join(names)}"
    status = read.add(entity, "search_status", "/error/code", "code", "openFDA search status")
    if status is not None:
        builder.add(
            computed_fact(
                "openfda",
                entity,
                "reports",
                "count",
                label,
                0,
                [status],
                "openFDA answers NOT_FOUND when no report matches the search: zero reports",
                unit="reports",
                url=read.url,
            )
        )
        return summary
    read.add(entity, "reports", "/meta/results/total", "count", label, unit="reports")
    read.add(entity, "data_last_updated", "/meta/last_updated", "date", "FAERS data as of")
    if summary.top_reactions:
        reactions = openfda.reactions_request(names)
        # the top reactions asked for; a server sending thousands more gets a gap saying so
        url = builder.client.url_for(reactions)
        counted = builder.reader(reactions, url, at_most=openfda.TOP_REACTIONS)
        for i in range(counted.length("/results")):
            counted.add(
                entity, f"reactions.{i}.term", f"/results/{i}/term", "text", "Reaction (MedDRA PT)"
            )
            counted.add(
                entity,
                f"reactions.{i}.count",
                f"/results/{i}/count",
                "count",
                "FAERS reports with this reaction",
                unit="reports",
            )
    return summary


def find_publications(builder: BundleBuilder, study: Study) -> list[Publication]:
    """Articles the record cites plus PubMed's own hits for the NCT id."""
    pmids: list[str] = []
    references = study.protocol_section.references_module
    if references:
        pmids += [r.pmid for r in references.references if r.pmid]
    term = f"{study.nct_id}[si] OR {study.nct_id}"
    found = builder.attempt("pubmed search", pubmed.esearch, builder.client, term)
    if found is not None:
        pmids += [p for p in found.idlist if p not in pmids]
        read = builder.reader(
            pubmed.esearch_request(term), f"https://pubmed.ncbi.nlm.nih.gov/?term={study.nct_id}"
        )
        read.add(
            study.nct_id,
            "article_count",
            "/esearchresult/count",
            "count",
            # no id in a label: a paragraph listing the fact by its label would state an id
            # it does not cite (the fact's id and its search URL name the trial)
            "PubMed articles mentioning the trial",
            unit="articles",
            convert=int,
        )
    if not pmids:
        return []
    summaries = builder.attempt("pubmed summaries", pubmed.esummary, builder.client, pmids)
    if summaries is None:
        return []
    read = builder.reader(pubmed.esummary_request(pmids), None)
    publications: list[Publication] = []
    for summary in summaries:
        if summary.error:
            builder.gap(f"pubmed {summary.uid}", summary.error)
            continue
        publications.append(
            Publication(
                pmid=summary.uid,
                title=summary.title,
                journal=summary.source,
                year=summary.year,
                doi=summary.doi,
            )
        )
        url = pubmed.article_url(summary.uid)
        base = json_pointer("result", summary.uid)
        read.add(summary.uid, "title", f"{base}/title", "quote", "Article title", url=url)
        read.add(summary.uid, "journal", f"{base}/source", "text", "Journal", url=url)
        read.add(summary.uid, "pubdate", f"{base}/pubdate", "text", "Publication date", url=url)
        for k, article_id in enumerate(summary.articleids):
            if article_id.idtype == "doi":
                read.add(summary.uid, "doi", f"{base}/articleids/{k}/value", "id", "DOI", url=url)
    return publications
