"""Test-only helper: the anchors of a text, one readable line each, for people and asserts.

    .venv/bin/python -m tests.anchor_listing [FILE]     (default: the seed 000 article)

prints every paragraph's anchors, so a reviewer can see at a glance what `extract_anchors`
makes of real prose.
"""

from __future__ import annotations

import sys
from pathlib import Path

from drafter.anchors import Anchor, extract_anchors

SEED_000 = Path(__file__).resolve().parent / "data" / "anchors" / "seed_000.txt"


def line(anchor: Anchor) -> str:
    """'number "10.7" = 10.7 (1 decimals)', 'date "May 2025" = 2025-05 (month)' ..."""
    details = [
        f"{anchor.decimals} decimals" if anchor.decimals is not None else "",
        anchor.precision or "",
        "percent" if anchor.percent else "",
        f"through {anchor.through}" if anchor.through else "",
        f"out of {anchor.out_of:g}" if anchor.out_of else "",
    ]
    shown = ", ".join(d for d in details if d)
    return f'{anchor.kind} "{anchor.text}" = {anchor.value}' + (f" ({shown})" if shown else "")


def listing(text: str) -> list[str]:
    return [line(anchor) for anchor in extract_anchors(text)]


def paragraphs(path: Path = SEED_000) -> list[str]:
    return [p for p in path.read_text(encoding="utf-8").splitlines() if p.strip()]


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv else SEED_000
    for number, paragraph in enumerate(paragraphs(path)):
        print(f"[{number}] {paragraph[:70]}")
        for entry in listing(paragraph):
            print(f"    {entry}")


if __name__ == "__main__":
    main(sys.argv[1:])
