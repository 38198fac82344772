"""Typed errors, each carrying the CLI exit code of DESIGN.md, so no caller maps them twice."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # an annotation only: the console script loads this module before pydantic
    from pydantic import ValidationError

# Environment variables whose values are secrets: never printed, whatever carries them.
SECRET_VARIABLES = ("NCBI_API_KEY", "OPENFDA_API_KEY", "OPENAI_API_KEY")
# "user:pw@" after a scheme's "://" (matched from the "://", which the search finds fast: a
# pattern starting with a lookbehind is tried at every character of a long prompt)
_URL_CREDENTIALS = re.compile(r"://[^/@\s]+@")

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_UPSTREAM = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130  # Ctrl-C, the shell's 128 + SIGINT (batch: run it again to resume)


class DrafterError(Exception):
    """Base for every error the CLI turns into a one-line message and an exit code."""

    exit_code = EXIT_BAD_INPUT


class BadInput(DrafterError):
    """The user's input cannot be used (malformed id, unknown option value, bad file)."""

    exit_code = EXIT_BAD_INPUT


class MarkdownTooLarge(BadInput):
    """An editor's draft.md is larger than an article can be: refused before it is read."""


class NotFound(BadInput):
    """The upstream answered definitively that the requested record does not exist."""


class UpstreamError(DrafterError):
    """A source could not give a usable answer: network down, timeouts, 5xx after retries."""

    exit_code = EXIT_UPSTREAM


class UpstreamRejected(UpstreamError):
    """A source refused the request with a 4xx other than a meaningful 404."""


class MalformedResponse(UpstreamError):
    """A source answered, but with a body that is truncated or not in the documented shape."""


class OfflineMiss(UpstreamError):
    """Offline mode and neither the cache nor the bundled snapshot holds the request."""


class DeadlineExceeded(UpstreamError):
    """A request, an optional step or the whole command ran out of its time budget."""


class StoreUnavailable(DrafterError):
    """A local database exists but cannot be used right now: locked by another process, or
    read-only where a write is needed. Not bad input: the same command works once it is free."""

    exit_code = EXIT_UPSTREAM


class InternalError(DrafterError):
    """drafter itself is broken: a bundled data file is damaged or missing, or a bug. The
    message names the file; reinstalling fixes the first, a bug report the second."""

    exit_code = EXIT_INTERNAL


def first_problem(error: ValidationError, whole: str = "value") -> str:
    """One line for a pydantic error: where the first problem is and what it is."""
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or whole
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def mask_secrets(text: str) -> str:
    """`text` with the API keys of the environment and any URL credentials ("user:pw@")
    replaced by ***: the last line of defence before anything is printed."""
    return secret_masker()(text)


def secret_masker() -> Callable[[str], str]:
    """mask_secrets with the environment read once, for many texts masked together (a call
    log row's columns): reading it cost more than the masking."""
    environ = os.environ
    secrets = [
        secret for name in SECRET_VARIABLES if name in environ and len(secret := environ[name]) >= 4
    ]

    def masked(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***")
        return _URL_CREDENTIALS.sub("://***@", text)

    return masked
