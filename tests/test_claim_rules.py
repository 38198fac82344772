"""Claim rules: a category agrees with its archetype, a published claim cites a source, and no
field is so long that an export cannot be imported again."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from drafter.claim_files import parse_claims, read_claims_file, write_claims
from drafter.claims import ClaimsStore
from drafter.cli import main
from drafter.models import MAX_NAME, MAX_SOURCES, MAX_TEXT, MAX_URL, Claim
from drafter.rulebook import (
    ARCHETYPES,
    CATEGORIES,
    CATEGORY_ARCHETYPE,
    Archetype,
    Category,
    allowed_archetypes,
)
from tests.conftest import SEED_CLAIMS as DEFAULT_SEED_CLAIMS
from tests.factories import BASE_CLAIM


def claim(**fields: Any) -> Claim:
    return Claim.model_validate({**BASE_CLAIM, **fields})


def refused(**fields: Any) -> str:
    with pytest.raises(ValidationError) as error:
        claim(**fields)
    return str(error.value)


# --- category and archetype --------------------------------------------------------------------


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_category_decides_the_archetype_unless_undirected(
    category: Category, archetype: Archetype
) -> None:
    own = CATEGORY_ARCHETYPE[category]
    if own in ("unknown", archetype):
        assert claim(category=category, archetype=archetype).archetype == archetype
    else:
        message = refused(category=category, archetype=archetype)
        assert f"contradicts category {category!r}" in message


def test_contradiction_message_says_what_the_category_means() -> None:
    message = refused(category="Business_Administrative", archetype="efficacy")
    assert "archetype 'efficacy' contradicts category 'Business_Administrative'" in message
    assert "operational" in message


# --- published claims cite sources ----------------------------------------------------------------


def test_published_claim_needs_a_source() -> None:
    assert "published claim needs at least one source URL" in refused(status="published")
    assert claim(status="draft").sources == []
    cited = claim(status="published", sources=["https://clinicaltrials.gov/study/NCT05591222"])
    assert cited.status == "published"


@pytest.mark.parametrize(
    "url",
    [
        "clinicaltrials.gov/study/NCT05591222",  # not absolute
        "ftp://example.org/file",
        "https://example.org/a b",
        'https://example.org/"quoted"',
        "https://example.org/back\\slash",
        "https://example.org/\u2028",
        "",
    ],
)
def test_a_source_is_an_http_url_without_spaces_or_quotes(url: str) -> None:
    assert "sources.0" in refused(sources=[url])


# --- length limits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("why_stopped", MAX_TEXT),
        ("headline", MAX_TEXT),
        ("drug", MAX_NAME),
        ("target_symbol", MAX_NAME),
        ("disease_name", MAX_NAME),
        ("disease_id", MAX_NAME),
        ("sponsor", MAX_NAME),
    ],
)
def test_text_fields_have_limits(field: str, limit: int) -> None:
    assert getattr(claim(**{field: "x" * limit}), field) == "x" * limit
    assert field in refused(**{field: "x" * (limit + 1)})


def test_sources_have_limits() -> None:
    url = "https://example.org/" + "a" * (MAX_URL - len("https://example.org/"))
    assert claim(sources=[url] * MAX_SOURCES).sources[0] == url
    assert "sources.0" in refused(sources=[url + "a"])
    assert "sources" in refused(sources=[url] * (MAX_SOURCES + 1))


def largest_claim(nct: str) -> Claim:
    """Every field at its limit, with characters CSV and JSON must escape."""
    text = ('"quoted", \\ ;\n' * MAX_TEXT)[:MAX_TEXT]
    name = ('é,"x"\n' * MAX_NAME)[:MAX_NAME]
    url = "https://example.org/" + "é" * (MAX_URL - len("https://example.org/"))
    return claim(
        nct_id=nct,
        drug=name,
        target_symbol=name,
        disease_name=name,
        disease_id=name,
        sponsor=name,
        why_stopped=text,
        headline=text,
        sources=[url] * MAX_SOURCES,
        status="published",
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_largest_valid_claim_round_trips(fmt: str, tmp_path: Path) -> None:
    """Python's csv reader refuses fields over 131,072 characters: the limits keep every
    exported claim below it, so an export always imports again."""
    claims = [largest_claim("NCT00000001"), largest_claim("NCT00000002")]
    buffer = io.StringIO(newline="")
    write_claims(claims, buffer, "csv" if fmt == "csv" else "jsonl")
    assert parse_claims(buffer.getvalue(), "csv" if fmt == "csv" else "jsonl") == claims
    out = tmp_path / f"big.{fmt}"
    out.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    db = tmp_path / "big.sqlite3"
    assert main(["claims", "--db", str(db), "import", str(out)]) == 0
    stamps = {"created", "updated"}
    with ClaimsStore(db) as store:
        for original in claims:
            stored = store.get(original.key)
            assert stored is not None
            assert stored.model_dump(exclude=stamps) == original.model_dump(exclude=stamps)


def test_a_field_too_long_for_csv_is_refused_before_it_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once stored, a 140,000-character reason would make every CSV export unimportable."""
    path = tmp_path / "long.jsonl"
    path.write_text(
        json.dumps({**BASE_CLAIM, "why_stopped": "x" * 140_000}) + "\n", encoding="utf-8"
    )
    db = tmp_path / "long.sqlite3"
    assert main(["claims", "--db", str(db), "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 1: why_stopped" in err and err.count("\n") == 1
    assert main(["claims", "--db", str(db), "add", "--json-claim", path.read_text()]) == 2
    assert "why_stopped" in capsys.readouterr().err


def test_an_oversized_csv_field_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(
        "drug,target_symbol,disease_name,archetype,category,why_stopped\n"
        f'd,T,D,efficacy,Negative,"{"x" * 140_000}"\n',
        encoding="utf-8",
    )
    with pytest.raises(Exception, match=r"line 2") as error:
        read_claims_file(path)
    assert "Traceback" not in str(error.value)


# --- every door obeys the rules -------------------------------------------------------------------


def test_the_seed_claims_obey_the_rules() -> None:
    seeds = read_claims_file(DEFAULT_SEED_CLAIMS)  # validated by the Claim rules
    assert any(seed.status == "published" for seed in seeds)
    for seed in seeds:
        assert seed.archetype in allowed_archetypes(seed.category)


def test_claims_add_and_import_refuse_a_contradiction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "rules.sqlite3")
    bad = json.dumps({**BASE_CLAIM, "archetype": "efficacy"})
    assert main(["claims", "--db", db, "add", "--json-claim", bad]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "contradicts category" in err
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({**BASE_CLAIM, "nct_id": "NCT00000001"})
        + "\n"
        + json.dumps({**BASE_CLAIM, "status": "published"})
        + "\n",
        encoding="utf-8",
    )
    assert main(["claims", "--db", db, "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "source URL" in err
    with ClaimsStore(Path(db)) as store:
        assert store.get("NCT00000001") is None
