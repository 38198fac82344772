"""`drafter classify TEXT | --file FILE`: why-stopped text → archetype and stop-reason categories.

File mode reads one text per line and writes one result per line, in order, so a line's answer
can be joined back by line number: a blank line still gets its (No_Context) answer. The whole
file is read before the first answer, so a bad line (too long, a NUL byte: a binary file) is
exit 2 with nothing on stdout, never a partial list.

--with-model asks the configured model (drafter.classify_model; OPENAI_API_KEY or
OPENAI_BASE_URL, DRAFTER_MODEL), at most DRAFTER_MODEL_CONCURRENCY texts at once in file mode;
each result says in `classifier` whether the model or the rules decided. Without a configured
model it is exit 3, one line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from drafter.claim_files import open_without_waiting
from drafter.classify import DEFAULT_CLASSIFIER, StopClassification, StopReasonClassifier
from drafter.classify_model import ModelClassifier, classify_each, model_classifier
from drafter.config import load_settings
from drafter.errors import BadInput
from drafter.terminal import json_text, one_line, tell


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", metavar="TEXT", help="one why-stopped text")
    parser.add_argument(
        "--file",
        metavar="FILE",
        help="classify each line of FILE ('-' for stdin); one result per line, same order",
    )
    parser.add_argument("--json", action="store_true", help="JSON output (JSON lines with --file)")
    parser.add_argument(
        "--with-model",
        action="store_true",
        help="ask the configured model (OPENAI_API_KEY or OPENAI_BASE_URL); the rules decide "
        "when its answer cannot be used, and each result says which did",
    )


def run(args: argparse.Namespace) -> int:
    if (args.text is None) == (args.file is None):
        raise BadInput("classify takes either TEXT or --file FILE (exactly one of them)")
    classifier: StopReasonClassifier = DEFAULT_CLASSIFIER
    workers = 0  # the rules classify in this thread
    if args.with_model:
        settings = load_settings()
        classifier, workers = model_classifier(settings), settings.model_concurrency
    if args.text is not None:
        result = classifier.classify(args.text)
        sys.stdout.write(json_text(_document(result)) if args.json else _explained(result))
        sys.stdout.write("\n")
        _tell_unavailable(classifier)
        return 0
    out = sys.stdout
    lines = list(_lines(args.file))  # all read first: a bad line leaves no partial output
    results = (
        classify_each(classifier, lines, workers) if workers else map(classifier.classify, lines)
    )
    for result in results:
        out.write(json_text(_document(result), indent=None) if args.json else _human(result))
        out.write("\n")
    out.flush()
    _tell_unavailable(classifier)
    return 0


def _tell_unavailable(classifier: StopReasonClassifier) -> None:
    """One stderr line when the model could not answer at all: its reason is in every result,
    but a user who asked for the model should not have to find it there."""
    if isinstance(classifier, ModelClassifier) and classifier.unavailable:
        tell(
            f"{classifier.unavailable}: the rules classified the texts, not the model "
            f"{classifier.model}"
        )


def _document(result: StopClassification) -> dict[str, object]:
    return result.model_dump(mode="json")


def _human(result: StopClassification) -> str:
    """One line a text (file mode keeps line numbers aligned)."""
    flag = " non-failure" if result.non_failure else ""
    return one_line(
        f"{result.archetype} [{', '.join(result.categories)}]{flag}"
        f" (confidence {result.confidence:.2f}, {_decider(result)}) {result.explanation}"
    )


def _explained(result: StopClassification) -> str:
    """One text's answer, a line for each thing a reader checks: what, how sure, what decided,
    the words that counted and those set aside."""
    lines = [
        f"archetype: {result.archetype}"
        + (" (a stop for success: not a failure)" if result.non_failure else ""),
        f"categories: {', '.join(result.categories)}",
        f"confidence: {result.confidence:.2f}"
        + ("" if result.confidence >= 1.0 else f" ({_unsure(result)}: an editor should confirm)"),
        f"decided by: {_decider(result)}",
    ]
    lines += [f'matched: {m.category} by {m.rule}: "{m.text}"' for m in result.matched]
    lines += [
        f'set aside: {m.category} by {m.rule}: "{m.text}" (negated by "{m.negated_by}")'
        for m in result.negated
    ]
    lines.append(f"why: {result.explanation}")
    return "\n".join(one_line(line) for line in lines)


def _unsure(result: StopClassification) -> str:
    learned = result.classifier == "rules+learned"
    return "the learned model decided" if learned else "a stance decided"


def _decider(result: StopClassification) -> str:
    """The rule, stance or model that decided; a fallback's reason is left to the explanation
    (it was shown twice, nested: 'no_reason (rules (model fallback: … (connection failed)))')."""
    by = result.decided_by or "rules"
    if result.classifier == "rules":
        return by
    if result.classifier == "rules+learned":
        return f"{by} (the rules' operational overruled by the learned model)"
    if result.classifier.startswith("rules"):
        return f"{by} (the rules: the model's answer was not used)"
    return f"{by} ({result.classifier})"


def _lines(path: str) -> Iterator[str]:
    """Lines split on \\n only (a stray \\r or form feed inside a text does not add a line),
    decoded as UTF-8 with invalid bytes replaced."""
    if path == "-":
        buffer: BinaryIO | None = getattr(sys.stdin, "buffer", None)
        yield from _decoded(buffer if buffer is not None else sys.stdin, "stdin")
        return
    try:
        handle = open_without_waiting(Path(path))  # a FIFO: no wait
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror or error}") from error
    with handle:
        yield from _decoded(handle, path)


# A why-stopped text is at most a few hundred characters (ClinicalTrials.gov allows 250); a
# longer line is not a reason for stopping a trial, and reading it whole could exhaust memory.
MAX_LINE = 65_536


def _decoded(handle: BinaryIO | TextIO, name: str) -> Iterator[str]:
    """Lines of at most MAX_LINE bytes (characters for a text-only stdin), read in bounded
    pieces; invalid UTF-8 is replaced, and a longer line or one holding a NUL byte (a binary
    file) is bad input naming its number."""
    number = 0
    try:
        while True:
            raw = handle.readline(MAX_LINE + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE:
                raise BadInput(f"{name} line {number} is longer than {MAX_LINE:,} characters")
            text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
            if "\x00" in text:  # a binary file: its bytes read as 'a reason stated'
                raise BadInput(f"{name} line {number} holds NUL bytes: not a text file")
            yield text.rstrip("\r\n")
    except OSError as error:
        raise BadInput(f"cannot read {name}: {error.strerror or error}") from error
