"""Drafting benchmark: the two ratios of the drafting issue, measured in one run and printed,
never asserted (a shared machine is not a stopwatch). From the repo root:

    .venv/bin/python bench/bench_draft.py [--latency 0.3] [--runs 3]

1. Wall time of one whole draft of NCT05591222 (every model-written section, through the real
   openai client against the local chat-completions server of the tests, which adds
   `--latency` to every call) over the wall time of one section call. Target <= 1.5; asking
   the sections one after another would be about the number of sections (8).
2. Prompt tokens per draft with per-section fact selection over prompt tokens with the whole
   bundle's facts in every section's prompt. Target <= 0.40. Tokens are counted the way BPE
   tokenisers split text at their coarsest (words and punctuation marks), since no tokenizer
   vocabulary can be downloaded here; both sides are counted alike, so the ratio holds.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drafter import bundled
from drafter.assessment import assess
from drafter.bundle import Bundle
from drafter.claims import ClaimsStore
from drafter.config import Settings
from drafter.draft import draft_trial, prompt_context
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.framing import framing_of
from drafter.prompting import Fence, render_section
from drafter.sections import handles, model_sections, select_facts
from drafter.sources.http import HttpClient
from drafter.writers.base import WriteRequest
from drafter.writers.openai_writer import OpenAIWriter
from tests.drafting_model import model
from tests.openai_server import OpenAIServer

WALL_TARGET = 1.5
TOKEN_TARGET = 0.40
_TOKEN = re.compile(r"\w+|[^\w\s]")


def reference_bundle(tmp: Path) -> Bundle:
    settings = Settings(offline=True, cache_dir=tmp / "cache", db_path=tmp / "claims.sqlite3")
    with HttpClient(settings) as client:
        evidence = build_bundle(
            client, EvidenceQuery(nct_id="NCT05591222", as_of=date(2026, 5, 20))
        )
    with ClaimsStore(settings.db_path, seed=bundled.SEED_CLAIMS) as store:
        return assess(evidence, store)


def prompt_tokens(bundle: Bundle, whole: bool) -> int:
    """Tokens of every section's system and user message, with its own facts or all of them."""
    total = 0
    for spec in model_sections():
        facts = bundle.facts if whole else select_facts(spec, bundle)
        context = prompt_context(spec, bundle.nct_id, framing_of(bundle), "operational", [])
        assert spec.template is not None
        prompt = render_section(spec.template, context, handles(list(facts)), Fence.new())
        total += sum(len(_TOKEN.findall(m.content)) for m in prompt.messages)
    return total


def one_section_seconds(bundle: Bundle, writer: OpenAIWriter) -> float:
    spec = model_sections()[1]
    handled = handles(select_facts(spec, bundle))
    context = prompt_context(spec, bundle.nct_id, framing_of(bundle), "operational", [])
    assert spec.template is not None and spec.output is not None
    prompt = render_section(spec.template, context, handled, Fence.new())
    request = WriteRequest(
        section=spec.key,
        heading=spec.heading,
        messages=prompt.messages,
        output=spec.output,
        facts=handled,
        analytic=spec.analytic,
        attempt=1,
    )
    started = time.perf_counter()
    result = writer.write(request)
    elapsed = time.perf_counter() - started
    if result.output is None:
        raise SystemExit(f"one section: {result.problem} {result.detail}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server = OpenAIServer(latency=args.latency, responder=model()).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bundle = reference_bundle(Path(tmp))
            writer = OpenAIWriter(
                Settings(openai_base_url=server.base_url, db_path=Path(tmp) / "claims.sqlite3")
            )
            sections, drafts = [], []
            for _ in range(args.runs):
                sections.append(one_section_seconds(bundle, writer))
                started = time.perf_counter()
                draft = draft_trial(bundle, writer)
                drafts.append(time.perf_counter() - started)
                if draft.needs_editor:
                    raise SystemExit(f"the benchmark draft needs an editor: {draft.needs_editor}")
            selected, whole = prompt_tokens(bundle, False), prompt_tokens(bundle, True)
    finally:
        server.stop()
    section, whole_draft = statistics.median(sections), statistics.median(drafts)
    calls = len(model_sections())
    print(
        f"drafting benchmark: NCT05591222, {calls} model-written sections, "
        f"{args.latency * 1000:.0f} ms added per model call, median of {args.runs} runs"
    )
    print(
        f"  one section call {section:.2f} s · one whole draft {whole_draft:.2f} s "
        f"→ ratio {whole_draft / section:.2f} (target <= {WALL_TARGET}; sequential ≈ {calls})"
    )
    print(
        f"  prompt tokens per draft: {selected:,} with per-section facts, {whole:,} with the "
        f"whole bundle in every prompt → ratio {selected / whole:.2f} (target <= {TOKEN_TARGET})"
    )


if __name__ == "__main__":
    main()
