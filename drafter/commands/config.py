"""`drafter config`: every user setting in effect, where it came from (default, config file,
environment), with its config-file key and environment variable. Secrets (API keys, anything
named like a credential) are shown only as set / not set, and credentials in a URL are masked,
so the output is safe to paste into a bug report."""

from __future__ import annotations

import argparse
import shutil
import sys

from pydantic import BaseModel, SecretStr

from drafter.commands.common import write_json, write_stdout
from drafter.config import (
    ENVIRONMENT,
    EffectiveSettings,
    Origin,
    is_secret,
    load_effective_settings,
)
from drafter.errors import EXIT_OK, mask_secrets
from drafter.terminal import text_table

# A setting's value as JSON holds it: a secret's is None (see `set`), a URL's credentials masked.
JsonValue = bool | int | float | str | None


class SettingRow(BaseModel):
    name: str  # also its key in the config file
    value: JsonValue
    set: bool  # whether it has a value (a secret shows only this)
    origin: Origin
    variable: str
    secret: bool


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the settings as one JSON document"
    )


def run(args: argparse.Namespace) -> int:
    effective = load_effective_settings()
    rows = setting_rows(effective)
    file = effective.config_file
    if args.json:
        write_json(
            {
                "config_file": {
                    "path": str(file),
                    "from": effective.config_file_origin,
                    "found": effective.config_file_found,
                },
                "settings": [row.model_dump(mode="json") for row in rows],
            }
        )
        return EXIT_OK
    named = "DRAFTER_CONFIG" if effective.config_file_origin == "environment" else "the default"
    found = "read" if effective.config_file_found else "not found, so nothing is from a file"
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    table = text_table(
        ("SETTING", "VALUE", "FROM", "VARIABLE"),
        [(r.name, _human(r), r.origin, r.variable) for r in rows],
        width=width,
    )
    write_stdout(f"config file: {file} ({named}; {found})\n\n{table}")
    return EXIT_OK


def setting_rows(effective: EffectiveSettings) -> list[SettingRow]:
    """One row per user setting, in the order of config.ENVIRONMENT."""
    values = effective.settings.model_dump(mode="json")
    rows = []
    for variable, name in ENVIRONMENT.items():
        secret = is_secret(name)
        value = values[name]
        rows.append(
            SettingRow(
                name=name,
                value=None if secret else _masked(value),
                set=_plain(getattr(effective.settings, name)) not in (None, ""),
                origin=effective.origins[name],
                variable=variable,
                secret=secret,
            )
        )
    return rows


def _plain(value: object) -> object:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _masked(value: JsonValue) -> JsonValue:
    return mask_secrets(value) if isinstance(value, str) else value


def _human(row: SettingRow) -> str:
    if row.secret:
        return "set" if row.set else "not set"
    if row.value is None:
        return "(none)"
    if isinstance(row.value, bool):
        return "true" if row.value else "false"
    if isinstance(row.value, float):
        return f"{row.value:g}"
    return str(row.value)
