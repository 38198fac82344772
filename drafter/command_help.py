"""What every command's --help teaches beyond its flags: two or three examples that work, the
exit codes it can return and the environment variables it reads. One table keyed by command
path ("draft", "claims add"; "" is `drafter` itself), rendered as the argparse epilog by
`attach`, so a new command is one entry here (tests/test_command_help.py fails on a command
without one, and runs every example marked offline against the bundled snapshot).
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from drafter.config import Settings
from drafter.errors import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UPSTREAM,
)
from drafter.models import Claim
from drafter.rulebook import (
    ARCHETYPES,
    CATEGORY_ARCHETYPE,
    NON_FAILURE_CATEGORIES,
    allowed_archetypes,
)

_WIDTH = 80  # help lines are wrapped to this (example commands stay whole)

ABOUT = textwrap.fill(
    "drafter drafts post-mortems of terminated clinical trials for editor review: the trial "
    "and its target evidence, why it stopped, the Mechanism Risk Score of its target in its "
    "disease, and every number tied to a source a reviewer can open.",
    width=80,
)


@dataclass(frozen=True)
class Example:
    """One example line. `offline`: it runs from the bundled snapshot alone, after the
    examples before it in this table (the tests run it so); otherwise it needs the network,
    a model or a file of the user's, and the tests only parse it."""

    command: str  # as typed at a shell: optional VAR=value words, then `drafter ...`
    says: str
    offline: bool = True


@dataclass(frozen=True)
class Variables:
    """Environment variables that go together, and what they set."""

    names: tuple[str, ...]
    meaning: str


@dataclass(frozen=True)
class CommandHelp:
    """What `drafter PATH --help` shows after the flags."""

    examples: tuple[Example, ...]
    exit_codes: Mapping[int, str]
    environment: tuple[Variables, ...]
    environment_note: str = ""  # e.g. which mode of the command reads them
    guide: str = ""  # more to teach, after the examples (claims add: the claim's fields)
    notes: tuple[str, ...] = ()


def _default(name: str) -> Any:
    return Settings.model_fields[name].default


# --- the environment, grouped as commands read it -------------------------------------------

OFFLINE = Variables(
    ("DRAFTER_OFFLINE",), "1: only the cache, the bundled snapshot and the recorded trials"
)
DB = Variables(("DRAFTER_DB",), "the claims database (--db)")
CACHE = Variables(
    ("DRAFTER_CACHE_DIR", "DRAFTER_CACHE_TTL"),
    f"the response cache; answers kept {_default('cache_ttl_seconds') / 86400:g} days",
)
SNAPSHOT = Variables(("DRAFTER_SNAPSHOT_DIR",), "recorded answers to read offline")
SOURCE_URLS = Variables(
    (
        "DRAFTER_CTGOV_URL",
        "DRAFTER_OPENTARGETS_URL",
        "DRAFTER_CHEMBL_URL",
        "DRAFTER_OPENFDA_URL",
        "DRAFTER_PUBMED_URL",
    ),
    "the sources' base URLs (a mirror, a test server)",
)
OPENTARGETS_URL = Variables(("DRAFTER_OPENTARGETS_URL",), "Open Targets' base URL")
SOURCE_KEYS = Variables(
    ("NCBI_API_KEY", "OPENFDA_API_KEY"), "PubMed and openFDA keys (higher rate limits)"
)
DEADLINES = Variables(
    ("DRAFTER_DEADLINE", "DRAFTER_OPTIONAL_DEADLINE", "DRAFTER_REQUEST_DEADLINE"),
    f"seconds: fetch {_default('command_deadline'):g}, optional step "
    f"{_default('optional_deadline'):g}, request {_default('request_deadline'):g}",
)
COMMAND_DEADLINE = Variables(
    ("DRAFTER_DEADLINE",), f"seconds the command may take ({_default('command_deadline'):g})"
)
DISCOVERY_DEADLINE = Variables(
    ("DRAFTER_DISCOVERY_DEADLINE",),
    f"seconds the search for trials may take ({_default('discovery_deadline'):g})",
)
MODEL_ENDPOINT = Variables(
    ("OPENAI_API_KEY", "OPENAI_BASE_URL"), "OpenAI, or a local Ollama / vLLM / llama.cpp"
)
MODEL = Variables(
    ("DRAFTER_MODEL", "DRAFTER_STRUCTURED_OUTPUT", "DRAFTER_MODEL_TIMEOUT"),
    f"model {_default('model')}, output {_default('structured_output')}, "
    f"{_default('model_timeout'):g} s per call",
)
MODEL_CONCURRENCY = Variables(
    ("DRAFTER_MODEL_CONCURRENCY",),
    f"model calls in flight per process ({_default('model_concurrency')})",
)
CONFIG = Variables(("DRAFTER_CONFIG",), "the TOML config file (`drafter config` shows it)")
DEBUG = Variables(("DRAFTER_DEBUG",), "1: a traceback instead of an internal error line")
TERMINAL = Variables(
    ("COLUMNS", "NO_COLOR", "TERM"),
    "the width to fit; NO_COLOR set or TERM=dumb: no colour even on a terminal",
)

RECORDED = Variables(
    ("DRAFTER_RECORDED_DIR",), "trials kept by `drafter record`, read offline after the snapshot"
)
SOURCES = (OFFLINE, CACHE, SNAPSHOT, RECORDED, SOURCE_URLS, SOURCE_KEYS, DEADLINES)
# `drafter record` fetches: it refuses offline mode and reads no snapshot.
RECORDING = (
    Variables(("DRAFTER_OFFLINE",), "unset or 0: record fetches from the sources"),
    CACHE,
    Variables(("DRAFTER_RECORDED_DIR",), "where recordings go (--snapshot)"),
    SOURCE_URLS,
    SOURCE_KEYS,
    DEADLINES,
)
DRAFTING = (*SOURCES, DB, MODEL_ENDPOINT, MODEL, MODEL_CONCURRENCY, CONFIG, DEBUG)

# --- exit codes: what each means, said per command ------------------------------------------

_BUG = "a bug in drafter, or a damaged bundled data file (the message names it)"
_STORE_BUSY = "the claims database is locked by another process or read-only"
_SOURCES_DOWN = "a source unavailable: network, offline snapshot miss, deadline passed"

# --- the claim, as `claims add` takes it ------------------------------------------------------

CLAIM_MEANINGS: dict[str, str] = {
    "nct_id": "the trial; the claim's key when given",
    "drug": "the drug, as the trial or the report names it",
    "drug_chembl_id": "its ChEMBL id",
    "target_symbol": "the target's gene symbol",
    "target_ensembl_id": "the target's Ensembl gene id",
    "disease_name": "the disease",
    "disease_id": "its ontology id (EFO_…, MONDO_…)",
    "phase": "the phase as ClinicalTrials.gov spells it",
    "archetype": "why it failed, in one word",
    "category": "why it stopped",
    "why_stopped": "the stop reason, verbatim",
    "sponsor": "the lead sponsor",
    "termination_posted": "when the stop was posted",
    "primary_completion": "the primary completion date",
    "event_date_override": "a program-level event without a trial stop (a partnership ended)",
    "headline": "the post-mortem's headline",
    "status": "whether an editor has published it",
    "sources": "http(s) URLs a reviewer can open",
}
STORE_OWNED = ("created", "updated")  # set by the store; `claims add` ignores them


def claim_fields_guide() -> str:
    """The fields `claims add` takes, each with its allowed values, read from the Claim model
    and the rulebook (never a copied list), then the rules across fields."""
    schema = Claim.model_json_schema()
    required = set(schema.get("required", ()))
    lines = ["claim fields (a JSON object; * required, any other field is refused):"]
    for name, spec in schema["properties"].items():
        if name in STORE_OWNED:
            continue
        label = f"{name}{' *' if name in required else ''}"
        meaning = CLAIM_MEANINGS.get(name, name)  # tests check every field has its meaning
        lines += _field_lines(label, meaning, _allowed(name, spec))
    any_archetype = [c for c in CATEGORY_ARCHETYPE if allowed_archetypes(c) == ARCHETYPES]
    lines.append("rules:")
    lines += _wrapped(
        "the archetype is the one the category means (any archetype for "
        f"{', '.join(any_archetype)}); {' and '.join(sorted(NON_FAILURE_CATEGORIES))} are "
        "not failures (listed, no burden in the score); a published claim cites at least one "
        "source URL; the key is nct_id, else drug|target_symbol|disease_name in any case, and "
        "adding a claim whose key exists updates it.",
        "  ",
    )
    return "\n".join(lines)


def _allowed(name: str, spec: Mapping[str, Any]) -> list[str]:
    """The values a field accepts, as lines, from its JSON schema."""
    choices = [s for s in spec.get("anyOf", [spec]) if s.get("type") != "null"]
    optional = "anyOf" in spec
    value = choices[0] if choices else {}
    if name == "category":
        return _categories()
    if "enum" in value:
        default = f" (default {spec['default']})" if spec.get("default") is not None else ""
        return [f"one of: {' '.join(value['enum'])}{default}"]
    if "$ref" in value:
        return ["a date: YYYY, YYYY-MM or YYYY-MM-DD" + (", or null" if optional else "")]
    if value.get("type") == "array":
        return [f"a list, at most {value['maxItems']}"] if "maxItems" in value else ["a list"]
    parts = []
    if "pattern" in value:
        parts.append(f"matching {value['pattern']}")
    if "maxLength" in value:
        parts.append(f"{value.get('minLength', 0)}–{value['maxLength']} characters")
    return [", ".join(parts) + (", or null" if optional else "")]


def _categories() -> list[str]:
    """Each archetype with the categories that mean it; undirected ones may carry any."""
    by_archetype: dict[str, list[str]] = {}
    for category in CATEGORY_ARCHETYPE:
        allowed = allowed_archetypes(category)
        meant = "any" if allowed == ARCHETYPES else allowed[0]
        by_archetype.setdefault(meant, []).append(category)
    lines = ["one of (the archetype each means):"]
    for archetype, categories in by_archetype.items():
        lines += _wrapped(
            " ".join(categories), f"  {archetype:<12}", " " * 14, width=_WIDTH - _COLUMN
        )
    return lines


_COLUMN = 22  # where a field's text starts


def _field_lines(label: str, meaning: str, allowed: list[str]) -> list[str]:
    first, *rest = [f"{meaning}: {allowed[0]}", *allowed[1:]]
    lines = _wrapped(first, f"  {label:<{_COLUMN - 3}} ", " " * _COLUMN)
    return lines + [" " * _COLUMN + line for line in rest]


def _wrapped(text: str, first: str, rest: str | None = None, width: int = _WIDTH) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest if rest is not None else first,
        break_on_hyphens=False,
    )


# --- the table ------------------------------------------------------------------------------

_DRAFT_DIR = "out/NCT05591222"
# A real trial of the bundled snapshot (VX-561, i.e. CTP-656, a CFTR potentiator; stopped by
# "Decision by Sponsor."), over four lines: a newline inside quotes is JSON whitespace.
_CLAIM = (
    '{"nct_id": "NCT02971839", "drug": "VX-561",\n'
    '"target_symbol": "CFTR", "disease_name": "Cystic fibrosis", "phase": "PHASE2",\n'
    '"archetype": "operational", "category": "Business_Administrative",\n'
    '"why_stopped": "Decision by Sponsor."'
)
_CLAIM_SOURCE = '"sources": ["https://clinicaltrials.gov/study/NCT02971839"]'
_DLE = '"discoid lupus erythematosus"'

HELP: dict[str, CommandHelp] = {
    "": CommandHelp(
        examples=(
            Example(
                "drafter draft NCT05591222 --offline --as-of 2026-05-20",
                f"draft a trial from the bundled data alone: {_DRAFT_DIR}/draft.md",
            ),
            Example(
                f"drafter verify {_DRAFT_DIR}",
                "check every number, date, id and quotation of it against its sources",
            ),
            Example(
                f"drafter mrs --target LILRA4 --disease {_DLE} --offline --as-of 2026-05-20",
                "the Mechanism Risk Score of a target in a disease",
            ),
        ),
        exit_codes={
            EXIT_OK: "done",
            EXIT_FINDINGS: "done, with findings for an editor (each command says which)",
            EXIT_BAD_INPUT: "bad input or usage",
            EXIT_UPSTREAM: "a source, the model or the claims database unavailable",
            EXIT_INTERNAL: _BUG,
            EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
        },
        environment=(CONFIG, DEBUG),
        notes=(
            "`drafter COMMAND --help` shows each command's examples, exit codes and "
            "environment; `drafter config` shows every setting in effect and where it came from.",
        ),
    ),
    "draft": CommandHelp(
        examples=(
            Example(
                "drafter draft NCT05591222 --offline --as-of 2026-05-20",
                f"the demo: draft.md, draft.json, evidence.json and review.html in {_DRAFT_DIR}/",
            ),
            Example(
                "drafter draft NCT05591222 --offline --as-of 2025-06-01 --out earlier",
                "the same trial as of an earlier date, into earlier/NCT05591222/",
            ),
            Example(
                "drafter draft NCT05591222 --writer openai --model gpt-4o-mini",
                "live sources, written by a model (OPENAI_API_KEY, or OPENAI_BASE_URL)",
                offline=False,
            ),
        ),
        exit_codes={
            EXIT_OK: "written: every section validated and every anchor verified",
            EXIT_FINDINGS: "written, but a section needs an editor or an anchor fails verify",
            EXIT_BAD_INPUT: "bad input: a malformed NCT id, an unknown trial, a bad flag",
            EXIT_UPSTREAM: f"{_SOURCES_DOWN}; the model unavailable; {_STORE_BUSY}",
            EXIT_INTERNAL: _BUG,
        },
        environment=DRAFTING,
    ),
    "fetch": CommandHelp(
        examples=(
            Example(
                "drafter fetch NCT05591222 --offline --as-of 2026-05-20",
                "the trial, drug, target, disease and score at a glance, with the gaps",
            ),
            Example(
                "drafter fetch NCT05591222 --offline --json",
                "the whole Bundle: typed records and every citable fact with its source",
            ),
            Example(
                "drafter fetch NCT02971839 --target CFTR",
                "live, naming the target its drugs did not resolve to",
                offline=False,
            ),
        ),
        exit_codes={
            EXIT_OK: "fetched (what could not be found is listed as a gap)",
            EXIT_BAD_INPUT: "bad input: a malformed NCT id, a trial that does not exist",
            EXIT_UPSTREAM: _SOURCES_DOWN,
            EXIT_INTERNAL: _BUG,
        },
        environment=(*SOURCES, DB, CONFIG, TERMINAL, DEBUG),
    ),
    "classify": CommandHelp(
        examples=(
            Example(
                'drafter classify "Sponsor business decision, not related to safety concerns"',
                "NCT05591222's stop reason: archetype, categories and the rules that matched",
            ),
            Example(
                "drafter classify --file why-stopped.txt --json",
                "one text a line in, one JSON line out, in the same order",
                offline=False,
            ),
            Example(
                'drafter classify --with-model "Study halted after the DSMB review"',
                "the configured model decides, quoting the words that decided; the rules when "
                "its answer is unusable (the result says which)",
                offline=False,
            ),
        ),
        exit_codes={
            EXIT_OK: "classified",
            EXIT_BAD_INPUT: "TEXT and --file both or neither, an unreadable or binary file, a "
            "too long line (nothing is printed)",
            EXIT_UPSTREAM: "--with-model and no model configured",
            EXIT_INTERNAL: _BUG,
        },
        environment=(MODEL_ENDPOINT, MODEL, MODEL_CONCURRENCY, CONFIG, DEBUG),
        notes=(
            "Each answer says what decided it: a rule naming the reason (confidence 1.00), or one "
            "of the stances of the labelling guide (lower confidence: a reason no rule names is "
            "operational, an undirected interim stop is efficacy), or the model. Unknown only "
            "when the text gives no reason at all.",
        ),
    ),
    "mrs": CommandHelp(
        examples=(
            Example(
                f"drafter mrs --target LILRA4 --disease {_DLE} --offline --as-of 2026-05-20",
                "the score, its components and the claims it stands on",
            ),
            Example(
                f"drafter mrs --target ENSG00000239961 --disease {_DLE} --offline --json",
                "by Ensembl id, as of today, as one JSON document with its facts",
            ),
            Example(
                'drafter mrs --target ANGPTL3 --disease "homozygous familial hypercholesterolemia"',
                "live from Open Targets",
                offline=False,
            ),
        ),
        exit_codes={
            EXIT_OK: "scored",
            EXIT_BAD_INPUT: "bad input: an unknown target or disease, a bad date",
            EXIT_UPSTREAM: f"{_SOURCES_DOWN}; {_STORE_BUSY}",
            EXIT_INTERNAL: _BUG,
        },
        environment=(
            OFFLINE,
            CACHE,
            SNAPSHOT,
            RECORDED,
            OPENTARGETS_URL,
            DEADLINES,
            DB,
            CONFIG,
            TERMINAL,
            DEBUG,
        ),
    ),
    "claims": CommandHelp(
        examples=(
            Example("drafter claims list --target LILRA4", "the claims filed on a target"),
            Example(
                "drafter claims export --out claims-backup.jsonl", "a backup, one claim a line"
            ),
            Example("drafter claims import claims-backup.jsonl", "restore it: every row, or none"),
        ),
        exit_codes={
            EXIT_OK: "done",
            EXIT_BAD_INPUT: "an invalid claim or file, an unknown key, a damaged database",
            EXIT_UPSTREAM: _STORE_BUSY,
            EXIT_INTERNAL: _BUG,
        },
        environment=(DB, CONFIG, DEBUG),
        notes=("`drafter claims SUBCOMMAND --help` shows each one's examples.",),
    ),
    "claims list": CommandHelp(
        examples=(
            Example("drafter claims list --target LILRA4", "the claims filed on a target"),
            Example(
                f"drafter claims list --disease {_DLE} --json", "on a disease, as one JSON list"
            ),
            Example("drafter claims list --archetype efficacy", "the efficacy failures"),
        ),
        exit_codes={
            EXIT_OK: "listed (no claim matching is not an error)",
            EXIT_BAD_INPUT: "bad input: a bad flag, a damaged claims database",
            EXIT_UPSTREAM: _STORE_BUSY,
            EXIT_INTERNAL: _BUG,
        },
        environment=(DB, CONFIG, DEBUG),
    ),
    "claims add": CommandHelp(
        examples=(
            Example(
                f"drafter claims add --json-claim '{_CLAIM}}}'",
                "file a stopped trial as a draft claim",
            ),
            Example(
                f"drafter claims add --json --json-claim '{_CLAIM},\n"
                f'"status": "published", {_CLAIM_SOURCE}}}\'',
                "publish it (same key: an update), with its source; print the stored claim",
            ),
        ),
        exit_codes={
            EXIT_OK: "added or updated",
            EXIT_BAD_INPUT: "the claim is invalid: every problem is listed, one a line",
            EXIT_UPSTREAM: _STORE_BUSY,
            EXIT_INTERNAL: _BUG,
        },
        environment=(DB, CONFIG, DEBUG),
        guide=claim_fields_guide(),
    ),
    "claims export": CommandHelp(
        examples=(
            Example(
                "drafter claims export --out claims-backup.jsonl",
                "every claim, one JSON object a line, written atomically",
            ),
            Example("drafter claims export --format csv --out claims.csv", "as CSV"),
            Example("drafter claims export --json", "one JSON array on stdout"),
        ),
        exit_codes={
            EXIT_OK: "exported",
            EXIT_BAD_INPUT: "bad input: two formats asked for, an unwritable --out",
            EXIT_UPSTREAM: _STORE_BUSY,
            EXIT_INTERNAL: _BUG,
        },
        environment=(DB, CONFIG, DEBUG),
    ),
    "claims import": CommandHelp(
        examples=(
            Example(
                "drafter claims import claims-backup.jsonl",
                "every claim of the file, or none if one row is invalid (it names the row)",
            ),
            Example("drafter claims import claims.csv --json", "from CSV, with a JSON summary"),
        ),
        exit_codes={
            EXIT_OK: "imported",
            EXIT_BAD_INPUT: "an invalid file or row (nothing is imported), an unknown format",
            EXIT_UPSTREAM: _STORE_BUSY,
            EXIT_INTERNAL: _BUG,
        },
        environment=(DB, CONFIG, DEBUG),
    ),
    "claims delete": CommandHelp(
        examples=(
            Example(
                "drafter claims delete NCT02971839",
                "by NCT id; the row is kept in the audit table claim_deletions",
            ),
            Example(
                'drafter claims delete "zodasiran|ANGPTL3|Homozygous familial '
                'hypercholesterolemia" --json',
                "a claim without a trial, by drug|target|disease; prints the deleted row",
            ),
        ),
        exit_codes={
            EXIT_OK: "deleted",
            EXIT_BAD_INPUT: "no claim with that key",
            EXIT_UPSTREAM: _STORE_BUSY,
            EXIT_INTERNAL: _BUG,
        },
        environment=(DB, CONFIG, DEBUG),
    ),
    "verify": CommandHelp(
        examples=(
            Example(f"drafter verify {_DRAFT_DIR}", "the draft directory (draft.md if edited)"),
            Example(
                f"drafter verify {_DRAFT_DIR}/draft.md --html",
                "an editor's draft.md, and review.html beside it",
            ),
            Example(
                f"drafter verify {_DRAFT_DIR} --all --json",
                "every anchor, verified ones too, as one JSON report",
            ),
        ),
        exit_codes={
            EXIT_OK: "no anchor fails",
            EXIT_FINDINGS: "an anchor is a mismatch, untraceable or more precise than its fact",
            EXIT_BAD_INPUT: "bad input: missing or invalid files, two trials, too large",
            EXIT_UPSTREAM: "the time budget (DRAFTER_DEADLINE) ran out",
            EXIT_INTERNAL: _BUG,
        },
        environment=(COMMAND_DEADLINE, CONFIG, DEBUG),
    ),
    "diff": CommandHelp(
        examples=(
            Example(
                f"drafter diff {_DRAFT_DIR} earlier/NCT05591222",
                "two drafts of one trial, word by word per section",
            ),
            Example(
                f"drafter diff {_DRAFT_DIR}/evidence.json earlier/NCT05591222/evidence.json",
                "two evidence bundles, fact by fact, the trial's key fields first",
            ),
            Example(
                f"drafter diff {_DRAFT_DIR} --refetch --offline",
                "the paragraphs citing facts that changed since the draft",
            ),
        ),
        exit_codes={
            EXIT_OK: "no difference (--refetch: no fact the draft cites changed)",
            EXIT_FINDINGS: "they differ (--refetch: a fact the draft cites changed)",
            EXIT_BAD_INPUT: "bad input: unreadable or invalid files, two trials, mixed kinds",
            EXIT_UPSTREAM: f"--refetch: {_SOURCES_DOWN}",
            EXIT_INTERNAL: _BUG,
        },
        environment=(*SOURCES, DB, CONFIG, DEBUG),
        environment_note="all but DRAFTER_DEBUG with --refetch only",
    ),
    "batch": CommandHelp(
        examples=(
            Example(
                "drafter batch --since 2010-01-01 --offline --as-of 2026-05-20 --out drafts",
                "every stopped trial the bundled snapshot lists, into drafts/NCT_ID/",
            ),
            Example(
                "drafter batch --since 2010-01-01 --offline --as-of 2026-05-20 --out drafts",
                "again: complete trials are skipped, the rest redone",
            ),
            Example(
                "drafter batch --nct-file trials.txt --writer offline --as-of 2026-05-20",
                "the trials of a file, one NCT id a line",
                offline=False,
            ),
        ),
        exit_codes={
            EXIT_OK: "every trial drafted, nothing for an editor",
            EXIT_FINDINGS: "a trial failed, a draft needs an editor, or a --nct-file line is bad",
            EXIT_BAD_INPUT: "bad input before any work: dates, --nct-file, --out",
            EXIT_UPSTREAM: "the search or the model unavailable, or another batch writing to OUT",
            EXIT_INTERNAL: _BUG,
            EXIT_INTERRUPTED: "interrupted: run the same command again to resume",
        },
        environment=(*DRAFTING, DISCOVERY_DEADLINE),
        notes=(
            "OUT/NCT_ID/ holds each draft and its manifest.json (written last: a trial without "
            "one is redone); OUT/batch.jsonl and OUT/batch.md report the run. Ctrl-C stops "
            "taking trials and lets those under way finish (twice: at once).",
        ),
    ),
    "record": CommandHelp(
        examples=(
            Example(
                "drafter record NCT05591222 NCT05540665",
                "fetch and keep every answer the two drafts need, with URL, time and sha256",
                offline=False,
            ),
            Example("drafter record --list", "the trials recorded so far: when, answers, size"),
            Example(
                "drafter record NCT05591222 --snapshot ~/train-trials",
                "into a directory of your choice; to draft from it offline later, point "
                "DRAFTER_RECORDED_DIR at it",
                offline=False,
            ),
        ),
        exit_codes={
            EXIT_OK: "every trial recorded (or --list shown)",
            EXIT_FINDINGS: "some trials could not be recorded (stderr names them); the rest were",
            EXIT_BAD_INPUT: "bad input before any request: a malformed NCT id, an unknown trial",
            EXIT_UPSTREAM: "the sources were unavailable for every trial",
            EXIT_INTERNAL: _BUG,
        },
        environment=(*RECORDING, DB, CONFIG, DEBUG),
        notes=(
            "Answers come from the network or the response cache and are kept with their URL, "
            "request, fetch time and sha256, one file per trial; offline mode reads them after "
            "the bundled snapshot. A trial with any failed request is not written at all, and an "
            "older recording of it stays. A damaged recording (sha256 mismatch) is skipped "
            "offline with a warning.",
        ),
    ),
    "config": CommandHelp(
        examples=(
            Example("drafter config", "every setting, its value and where it came from"),
            Example(
                "DRAFTER_OFFLINE=1 drafter config --json",
                "a setting from the environment, as JSON",
            ),
        ),
        exit_codes={
            EXIT_OK: "shown",
            EXIT_BAD_INPUT: "the config file or a variable is invalid (the message says which)",
            EXIT_INTERNAL: _BUG,
        },
        environment=DRAFTING,
        notes=(
            "Keys are shown as set / not set, never their values. A setting's config-file key "
            "is its name in the first column.",
        ),
    ),
}


# --- rendering --------------------------------------------------------------------------------


def epilog(path: str) -> str | None:
    """The text after the flags in `drafter PATH --help`; None for a command without an entry."""
    entry = HELP.get(path)
    if entry is None:
        return None
    lines = ["start here:" if path == "" else "examples:"]
    for example in entry.examples:
        first, *more = example.command.split("\n")
        lines += [*_wrapped(example.says, "  # "), f"  {first}", *(f"    {line}" for line in more)]
    if entry.guide:
        lines += ["", entry.guide]
    lines += ["", "exit codes:"]
    for code, meaning in sorted(entry.exit_codes.items()):
        lines += _wrapped(meaning, f"  {code:<3} ", " " * 6)
    note = f" ({entry.environment_note})" if entry.environment_note else ""
    lines += ["", f"environment{note}:"]
    for group in entry.environment:
        names, indent = ", ".join(group.names), " " * 30
        if len(names) > 26:  # the names on their own lines, the meaning under them
            lines += _wrapped(names, "  ")
            lines += _wrapped(group.meaning, indent)
        else:
            lines += _wrapped(group.meaning, f"  {names:<27} ", indent)
    for note_text in entry.notes:
        lines += ["", *_wrapped(note_text, "")]
    return "\n".join(lines)


def attach(parser: argparse.ArgumentParser, path: str) -> None:
    """Give `parser` (the command at `path`) and its subcommands their epilogs."""
    text = epilog(path)
    if text is not None:
        parser.epilog = text
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
    for name, child in subcommands(parser):
        attach(child, f"{path} {name}".strip())


def subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """The subcommand parsers directly under `parser` (argparse keeps them in an action)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()
