"""Which writer a command drafts with (`--writer auto|openai|offline`), for `drafter draft` and
`drafter batch` alike, and the one line on stderr that says which it took."""

from __future__ import annotations

import os

from drafter.config import Settings
from drafter.terminal import tell
from drafter.writers.base import Writer
from drafter.writers.endpoint import writer_settings_present
from drafter.writers.offline import OfflineWriter

WRITERS = ("auto", "openai", "offline")


def choose_writer(choice: str, settings: Settings) -> Writer:
    """The writer asked for; `auto` takes the model only when one is configured (an API key
    or a base URL) and the run is not --offline, and says which it took on stderr."""
    configured = writer_settings_present(os.environ, settings)
    if choice == "auto" and settings.offline:  # offline asks no one, a model included
        tell("writing with the offline writer (--offline asks no model; --writer openai asks one)")
        return OfflineWriter()
    if choice == "offline" or (choice == "auto" and not configured):
        if choice == "auto":
            tell("writing with the offline writer (no OPENAI_API_KEY or OPENAI_BASE_URL set)")
        return OfflineWriter()
    # imported only now: the openai package is the heaviest import of all, and only this needs it
    from drafter.writers.openai_writer import OpenAIWriter

    writer = OpenAIWriter(settings)
    if choice == "auto":
        tell(f"writing with the model {writer.model} at {writer.endpoint}")
    return writer
