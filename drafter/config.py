"""Settings from (lowest to highest priority) defaults, the config file, the environment and
command-line flags. Every base URL is a setting so tests point the real clients at local servers."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple
from urllib.parse import urlsplit

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from drafter.claim_files import read_text_file
from drafter.errors import BadInput, first_problem

APP_NAME = "drafter"
# A config file holds a few settings; a bigger one (a 1 GB file was read whole) is a mistake.
MAX_CONFIG_BYTES = 2**20
# Requests to a source with a published rate limit are spaced this much wider than the limit.
LIMIT_MARGIN = 1.1

# Environment variable → setting name. The setting names are the keys of the config file
# (TOML), e.g. `ctgov_url = "http://127.0.0.1:8000/api/v2"`, `db_path = "claims.sqlite3"`.
ENVIRONMENT: dict[str, str] = {
    "DRAFTER_OFFLINE": "offline",
    "DRAFTER_DB": "db_path",
    "DRAFTER_CACHE_DIR": "cache_dir",
    "DRAFTER_SNAPSHOT_DIR": "snapshot_dir",
    "DRAFTER_RECORDED_DIR": "recorded_dir",
    "DRAFTER_CACHE_TTL": "cache_ttl_seconds",
    "DRAFTER_CTGOV_URL": "ctgov_url",
    "DRAFTER_OPENTARGETS_URL": "opentargets_url",
    "DRAFTER_CHEMBL_URL": "chembl_url",
    "DRAFTER_OPENFDA_URL": "openfda_url",
    "DRAFTER_PUBMED_URL": "pubmed_url",
    "DRAFTER_MODEL": "model",
    "DRAFTER_STRUCTURED_OUTPUT": "structured_output",
    "DRAFTER_MODEL_TIMEOUT": "model_timeout",
    "DRAFTER_MODEL_CONCURRENCY": "model_concurrency",
    "OPENAI_API_KEY": "openai_api_key",
    "OPENAI_BASE_URL": "openai_base_url",
    "NCBI_API_KEY": "ncbi_api_key",
    "OPENFDA_API_KEY": "openfda_api_key",
    "DRAFTER_DEADLINE": "command_deadline",
    "DRAFTER_DISCOVERY_DEADLINE": "discovery_deadline",
    "DRAFTER_OPTIONAL_DEADLINE": "optional_deadline",
    "DRAFTER_REQUEST_DEADLINE": "request_deadline",
}

# The documented user settings: exactly those with an environment variable. Everything else on
# Settings (timeouts, retries, backoff, rate limits, size caps) is an internal knob a config file
# must not turn: max_attempts = 1000000 or a zero min_interval would hammer the upstreams.
USER_SETTINGS = frozenset(ENVIRONMENT.values())

# How a model is asked for structured output (drafter.writers.structured): strict — OpenAI's
# json_schema with strict=true, built by the openai SDK's parse(); json_schema — the same without
# strict, for vLLM, llama.cpp, Ollama; json_object — any JSON, with the schema in the system
# message.
StructuredOutput = Literal["strict", "json_schema", "json_object"]


class Settings(BaseModel):
    """Everything configurable; secrets are SecretStr so they never print by accident."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offline: bool = Field(default=False, strict=True)
    db_path: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)) / "claims.sqlite3"
    )
    cache_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_cache_dir(APP_NAME)))
    snapshot_dir: Path | None = Field(
        default=None, description="offline answers; None: the snapshot bundled with drafter"
    )
    recorded_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)) / "recorded",
        description="trials recorded by `drafter record`, read offline after the snapshot",
    )
    cache_ttl_seconds: float = Field(default=7 * 24 * 3600.0, ge=0, allow_inf_nan=False)

    ctgov_url: str = "https://clinicaltrials.gov/api/v2"
    opentargets_url: str = "https://api.platform.opentargets.org/api/v4/graphql"
    chembl_url: str = "https://www.ebi.ac.uk/chembl/api/data"
    openfda_url: str = "https://api.fda.gov"
    pubmed_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"

    ncbi_api_key: SecretStr | None = None
    openfda_api_key: SecretStr | None = None
    model: str = Field(default="gpt-4o-mini", min_length=1)
    # The model endpoint: the openai SDK's own variables. No key is needed for a local server
    # (Ollama, vLLM, llama.cpp, LM Studio) at OPENAI_BASE_URL; None means api.openai.com.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    structured_output: StructuredOutput = "strict"
    model_timeout: float = Field(
        default=60.0,
        gt=0,
        le=600,
        allow_inf_nan=False,
        description="seconds one model request may take before it is abandoned and retried",
    )
    model_concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="model calls in flight at once in the whole process: every section of a "
        "draft is asked together, and a batch's trials share the same bound",
    )

    # Time budgets (seconds): one request with all its attempts, waits and body; one optional
    # evidence step; one whole command. A nested budget never extends the one around it.
    request_deadline: float = Field(default=30.0, gt=0, le=3600, allow_inf_nan=False)
    optional_deadline: float = Field(default=15.0, gt=0, le=3600, allow_inf_nan=False)
    command_deadline: float = Field(default=120.0, gt=0, le=86400, allow_inf_nan=False)
    # A batch's search for trials, all its pages: ClinicalTrials.gov at 1 request/s and 100
    # studies a page reads some 6,000 studies a minute, so a search since 2010 (tens of
    # thousands) takes minutes, not hours; a source that pages on slowly without end does not
    # hold a nightly run past this.
    discovery_deadline: float = Field(default=3600.0, gt=0, le=86400, allow_inf_nan=False)

    # Internal knobs (not user settings, see USER_SETTINGS); bounded even when set in code.
    connect_timeout: float = Field(default=5.0, gt=0, le=300, allow_inf_nan=False)
    read_timeout: float = Field(default=30.0, gt=0, le=300, allow_inf_nan=False)
    max_attempts: int = Field(default=4, ge=1, le=10)
    backoff_initial: float = Field(default=1.0, ge=0, le=60, allow_inf_nan=False)
    backoff_max: float = Field(default=30.0, ge=0, le=300, allow_inf_nan=False)
    retry_after_cap: float = Field(default=60.0, ge=0, le=3600, allow_inf_nan=False)
    # One model call (a section's ask) with all its attempts and waits; model calls also use
    # max_attempts, backoff_initial, backoff_max and retry_after_cap.
    model_deadline: float = Field(default=300.0, gt=0, le=3600, allow_inf_nan=False)
    # Decoded bytes of one answer; the largest legitimate one (a ClinicalTrials.gov page of 100
    # studies) is a few MB, a gzip bomb is gigabytes.
    max_body_bytes: int = Field(default=32 * 2**20, ge=1024)
    # Minimum seconds between requests to one source: ClinicalTrials.gov 1 req/s (no published
    # limit; robots.txt's Crawl-delay: 1, and ../shared/api-examples/API-NOTES.md: "keep to 1
    # request per second or slower"), PubMed 3 req/s (10 with a key, sources.http), openFDA
    # 240/min, Open Targets and ChEMBL a polite 5 req/s (none published). A published limit
    # gets LIMIT_MARGIN: slots exactly 1/3 s apart put 4 requests in about half of the 1-second
    # windows (a send a few ms late is enough), and NCBI's 429 counts 4 against 3.
    min_interval: dict[str, Annotated[float, Field(ge=0, le=60, allow_inf_nan=False)]] = Field(
        default_factory=lambda: {
            "ctgov": 1.0 * LIMIT_MARGIN,
            "pubmed": LIMIT_MARGIN / 3,
            "openfda": LIMIT_MARGIN * 60 / 240,
            "opentargets": 0.2,
            "chembl": 0.2,
        }
    )

    @field_validator(
        "ctgov_url", "opentargets_url", "chembl_url", "openfda_url", "pubmed_url", "openai_base_url"
    )
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        """Fail at start-up on a base URL requests could not use, not mid-fetch."""
        if url is None:
            return None
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number in range
        except ValueError as error:
            raise ValueError(f"bad port in {url!r}: {error}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http(s) URL with a host: {url!r}")
        return url

    @field_validator("openai_base_url")
    @classmethod
    def _no_credentials(cls, url: str | None) -> str | None:
        """The SDK authenticates with the bearer key; user:password@ in the URL would replace
        it with Basic auth and be printed by httpx's request log. (The URL is not repeated.)"""
        parts = urlsplit(url) if url is not None else None
        if parts is not None and (parts.username is not None or parts.password is not None):
            raise ValueError(
                "must not hold credentials (user:password@); put the token in OPENAI_API_KEY"
            )
        return url

    @property
    def call_log_path(self) -> Path:
        """The SQLite log of every model call, beside the claims store (drafter.calllog)."""
        return self.db_path.parent / "calls.sqlite3"

    def base_url(self, source: str) -> str:
        urls = {
            "ctgov": self.ctgov_url,
            "opentargets": self.opentargets_url,
            "chembl": self.chembl_url,
            "openfda": self.openfda_url,
            "pubmed": self.pubmed_url,
        }
        return urls[source].rstrip("/")


# A setting named like a credential is a secret even if a later one is not typed SecretStr.
_CREDENTIAL_NAME = re.compile(r"key|token|secret|password|credential", re.IGNORECASE)


def is_secret(name: str) -> bool:
    """Whether a setting's value must never be shown (only whether it is set): typed
    SecretStr, or named like a credential."""
    field = Settings.model_fields.get(name)
    typed = field is not None and "SecretStr" in str(field.annotation)
    return typed or bool(_CREDENTIAL_NAME.search(name))


def config_file_path(environ: Mapping[str, str]) -> Path:
    explicit = environ.get("DRAFTER_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


# Where a setting's value came from, lowest priority first (`drafter config` shows it).
Origin = Literal["default", "config file", "environment", "command line"]


class EffectiveSettings(NamedTuple):
    """The settings in effect, where each user setting came from, and the config file read."""

    settings: Settings
    origins: dict[str, Origin]
    config_file: Path
    config_file_origin: Origin  # "environment" when DRAFTER_CONFIG names it
    config_file_found: bool


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults ← config file ← environment ← overrides (command-line flags, non-None only)."""
    return load_effective_settings(overrides, environ).settings


def load_effective_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> EffectiveSettings:
    """`load_settings`, keeping the layer each value came from: one loader, so what
    `drafter config` reports is what every other command runs with."""
    env = os.environ if environ is None else environ
    path = config_file_path(env)
    layers: list[tuple[Origin, dict[str, Any]]] = [
        ("config file", _file_values(path, env)),
        ("environment", _environment_values(env)),
        ("command line", {k: v for k, v in (overrides or {}).items() if v is not None}),
    ]
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = dict.fromkeys(sorted(USER_SETTINGS), "default")
    for origin, layer in layers:
        values.update(layer)
        origins.update(dict.fromkeys(layer, origin))
    try:
        settings = Settings(**values)
    except ValidationError as error:
        where = _origin_of(error, origins, path)
        problem = first_problem(error).replace(": Value error, ", ": ", 1)
        raise BadInput(f"invalid setting {problem}{where}") from error
    named: Origin = "environment" if env.get("DRAFTER_CONFIG") else "default"
    return EffectiveSettings(settings, origins, path, named, path.is_file())


_VARIABLE = {name: variable for variable, name in ENVIRONMENT.items()}


def _origin_of(error: ValidationError, origins: Mapping[str, Origin], path: Path) -> str:
    """Where the first invalid value was set, for its message: the variable or the file a
    user has to change (a setting's name alone does not say which)."""
    name = str(error.errors()[0]["loc"][0]) if error.errors()[0]["loc"] else ""
    origin = origins.get(name)
    if origin == "environment":
        return f" (from {_VARIABLE[name]} in the environment)"
    if origin == "config file":
        return f" (from the config file {path})"
    if origin == "command line":
        return " (from the command line)"
    return ""


def _file_values(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    if env.get("DRAFTER_CONFIG") and not path.is_file():
        raise BadInput(f"config file {path} (DRAFTER_CONFIG) does not exist or is not a file")
    if not path.is_file():
        return {}
    text = read_text_file(path, f"config file {path}", MAX_CONFIG_BYTES)
    try:  # (a BOM, as Windows editors save UTF-8, is no TOML: read past it)
        values = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"config file {path}: {error}") from error
    except RecursionError:  # tomllib recurses into each nested array or table
        raise BadInput(f"config file {path}: nested too deeply") from None
    refused = sorted(set(values) - USER_SETTINGS)
    if refused:
        raise BadInput(
            f"config file {path}: {refused[0]!r} is not a setting drafter reads from a "
            f"config file (settings: {', '.join(sorted(USER_SETTINGS))})"
        )
    return values


def _environment_values(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for variable, name in ENVIRONMENT.items():
        raw = env.get(variable)
        if raw is not None and raw != "":
            values[name] = _parse_env(name, raw)
    return values


def _parse_env(name: str, raw: str) -> Any:
    if name == "offline":
        flag = raw.strip().lower()
        if flag in {"1", "true", "yes", "on"}:
            return True
        if flag in {"0", "false", "no", "off"}:
            return False
        raise BadInput(f"DRAFTER_OFFLINE must be 1/0, true/false, yes/no or on/off: {raw!r}")
    return raw
