"""Whether a model endpoint is configured, and how one is named: what choosing a writer asks
before any model SDK is imported (the openai package costs a process a third of a second to
import; `drafter batch --writer offline` and `drafter --version` never need it)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from drafter.config import Settings

__all__ = ["endpoint_host", "writer_settings_present"]


def writer_settings_present(environ: Mapping[str, str], settings: Settings | None = None) -> bool:
    """Whether a model endpoint is configured: OPENAI_API_KEY or OPENAI_BASE_URL set in the
    environment (or, given `settings`, in the config file). What `--writer auto` asks."""
    if any(environ.get(name, "").strip() for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL")):
        return True
    return settings is not None and (
        settings.openai_api_key is not None or settings.openai_base_url is not None
    )


def endpoint_host(base_url: str) -> str:
    """host[:port] of a base URL, without credentials or path: what provenance may show."""
    parts = urlsplit(base_url)
    host = parts.hostname or "unknown-host"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port is not None else host
