"""Byte-for-byte check that a change to drafter leaves its drafts as they were: render a fixed
set of drafts with one version of the code, render them again with another, compare.

`render OUT` writes, each with a real `drafter` subprocess:
  OUT/bundled/      `drafter batch --nct-file` over every trial of the bundled snapshot,
                    --offline --writer offline (what `make demo` and the docs draft)
  OUT/draft/        `drafter draft NCT05591222 --offline --writer offline` (the draft command)
  OUT/fleet/        `drafter batch --since 2010-01-01 --writer offline` over the first
                    --trials trials of the fleet (tests/ctgov_fleet.py), through HTTP
  OUT/fleet-openai/ the same with --writer openai and the careful stand-in model of the
                    tests (tests/drafting_model.py) behind the local chat-completions server

`compare A B` compares every evidence.json, draft.json, draft.md, review.html and manifest
of A with B's and exits 1 when any differs (or one side lacks it). Two things are not the
drafts' content and are made equal first, on both sides alike: in the fleet's drafts, the local
servers' port (source URLs name http://127.0.0.1:PORT), each record's fetched_at (the time
of the run's fetch) and so the sha256 of each file that a manifest records, and, in a
model-written draft.json, each call's latency_seconds (a wall-clock time) and request_id (the
server numbers requests in the order they arrive); every manifest's seconds. Everything of
the bundled drafts is compared as it is, their manifests' hashes included. From the repo root:

    .venv/bin/python bench/same_drafts.py render out/same-before [--trials 40]
    (change the code)
    .venv/bin/python bench/same_drafts.py render out/same-after [--trials 40]
    .venv/bin/python bench/same_drafts.py compare out/same-before out/same-after
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import SNAPSHOT_DIR
from tests.ctgov_fleet import running_fleet
from tests.drafting_model import model
from tests.openai_server import OpenAIServer

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-05-20"
COMPARED = ("evidence.json", "draft.json", "draft.md", "review.html", "manifest.json")
_PORT = re.compile(r"127\.0\.0\.1:\d+")
_FETCHED_AT = re.compile(r'"fetched_at": "[0-9T:.+-]+"')
_LATENCY = re.compile(r'"latency_seconds": [0-9.e-]+')
_SECONDS = re.compile(r'"seconds": [0-9.e-]+')
_FILE_SHA = re.compile(r'"(evidence\.json|draft\.json|draft\.md|review\.html)": "[0-9a-f]{64}"')
_REQUEST_ID = re.compile(r'"request_id": "req_\d+"')


def bundled_trials() -> list[str]:
    ids = {
        match[0]
        for entry in (SNAPSHOT_DIR / "ctgov").iterdir()
        if entry.name.startswith("study_NCT") and (match := re.search(r"NCT\d{8}", entry.name))
    }
    return sorted(ids)


def drafter(env: dict[str, str], *argv: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "drafter.cli", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"drafter {' '.join(argv)}: exit {done.returncode}: {done.stderr[-2000:]}")


def render(out: Path, trials: int) -> None:
    out.mkdir(parents=True, exist_ok=False)
    work = out / ".work"
    work.mkdir()
    config = work / "config.toml"
    config.write_text("")
    base = {
        **os.environ,
        "DRAFTER_CONFIG": str(config),
        "DRAFTER_CACHE_DIR": str(work / "cache"),
    }
    for name in ("DRAFTER_OFFLINE", "DRAFTER_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        base.pop(name, None)
    nct_file = work / "bundled.txt"
    nct_file.write_text("".join(f"{nct}\n" for nct in bundled_trials()))
    offline = {**base, "DRAFTER_DB": str(work / "bundled.sqlite3")}
    drafter(offline, "batch", "--nct-file", str(nct_file), "--offline", "--writer", "offline",
            "--as-of", AS_OF, "--out", str(out / "bundled"), "--json")  # fmt: skip
    single = {**base, "DRAFTER_DB": str(work / "draft.sqlite3")}
    drafter(single, "draft", "NCT05591222", "--offline", "--writer", "offline",
            "--as-of", AS_OF, "--out", str(out / "draft"), "--json")  # fmt: skip
    with running_fleet(size=trials) as fleet:
        server = OpenAIServer(responder=model())
        server.start()
        try:
            env = {
                **base,
                **fleet.environment(),
                "OPENAI_BASE_URL": server.base_url,
                "OPENAI_API_KEY": "sk-same-drafts-0000",
            }
            for name, writer in (("fleet", "offline"), ("fleet-openai", "openai")):
                run = {**env, "DRAFTER_DB": str(work / f"{name}.sqlite3")}
                drafter(run, "batch", "--since", "2010-01-01", "--as-of", AS_OF, "--writer",
                        writer, "--out", str(out / name), "--json")  # fmt: skip
        finally:
            server.stop()
    print(f"rendered {out}: {sum(1 for _ in out.glob('*/NCT*/draft.json'))} drafts")


def comparable(path: Path) -> bytes:
    data = path.read_bytes()
    if path.parts[-3].startswith("fleet"):
        text = _PORT.sub("127.0.0.1:PORT", data.decode("utf-8"))
        text = _FETCHED_AT.sub('"fetched_at": "…"', text)
        text = _FILE_SHA.sub(r'"\1": "…"', text)
        if "fleet-openai" in path.parts:
            text = _REQUEST_ID.sub('"request_id": "req_N"', text)
            text = _LATENCY.sub('"latency_seconds": 0', text)
        data = text.encode("utf-8")
    if path.name == "manifest.json":
        data = _SECONDS.sub('"seconds": 0', data.decode("utf-8")).encode("utf-8")
    return data


def compare(a: Path, b: Path) -> int:
    files = {p.relative_to(a) for p in a.glob("*/NCT*/*") if p.name in COMPARED}
    files |= {p.relative_to(b) for p in b.glob("*/NCT*/*") if p.name in COMPARED}
    different = []
    for name in sorted(files):
        left, right = a / name, b / name
        if not (left.exists() and right.exists()) or comparable(left) != comparable(right):
            different.append(str(name))
    print(f"{len(files)} files compared, {len(different)} differ")
    for name in different[:50]:
        print(f"  differs: {name}")
    return 1 if different else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rendering = sub.add_parser("render")
    rendering.add_argument("out", type=Path)
    rendering.add_argument("--trials", type=int, default=40)
    comparing = sub.add_parser("compare")
    comparing.add_argument("a", type=Path)
    comparing.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.command == "render":
        render(args.out, args.trials)
    else:
        raise SystemExit(compare(args.a, args.b))


if __name__ == "__main__":
    main()
