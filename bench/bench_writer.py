"""Writer benchmark: sections drafted through OpenAIWriter (the real openai client) against the
local OpenAI-compatible server of the tests, which adds a fixed latency to every call (300 ms by
default, about a short gpt-4o-mini reply), each call logged to a temporary call log. Runs the
sections one at a time, then on a thread pool, and prints wall times and the speed-up from this
one run; it asserts nothing (a shared machine is not a stopwatch). From the repo root:

    .venv/bin/python bench/bench_writer.py [--sections 16] [--latency 0.3] [--workers 8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drafter.calllog import CallLog, CallRecord
from drafter.config import Settings
from drafter.section_models import SectionText
from drafter.writers.base import Message, WriteRequest
from drafter.writers.openai_writer import OpenAIWriter
from tests.openai_server import OpenAIServer


def request(index: int) -> WriteRequest:
    return WriteRequest(
        section=f"section_{index}",
        heading=f"Section {index}",
        messages=[
            Message(role="system", content="You draft one section of a post-mortem."),
            Message(role="user", content="Facts you may cite:\nF1 enrollment: 42 participants"),
        ],
        output=SectionText,
        facts={},
        analytic=False,
        attempt=1,
    )


def run(writer: OpenAIWriter, log: CallLog, sections: int, workers: int) -> float:
    def one(index: int) -> None:
        ask = request(index)
        result = writer.write(ask)
        if result.output is None:
            raise SystemExit(f"section {index}: {result.problem} {result.detail}")
        log.add(
            CallRecord.of(
                writer, ask, result, draft_id="bench", nct_id="NCT00000000", template_hash=None
            )
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(sections)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    server = OpenAIServer(latency=args.latency).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                openai_base_url=server.base_url, db_path=Path(tmp) / "claims.sqlite3"
            )
            writer = OpenAIWriter(settings)
            with CallLog(settings.call_log_path) as log:
                serial = run(writer, log, args.sections, 1)
                pooled = run(writer, log, args.sections, args.workers)
                logged = len(log.records(draft_id="bench"))
    finally:
        server.stop()
    floor = args.sections * args.latency
    print(f"{args.sections} sections, {args.latency * 1000:.0f} ms added per call")
    print(f"  one at a time : {serial:6.2f} s  (latency alone: {floor:.2f} s)")
    print(f"  {args.workers} threads     : {pooled:6.2f} s  (speed-up x{serial / pooled:.1f})")
    print(f"  calls logged  : {logged}")


if __name__ == "__main__":
    main()
