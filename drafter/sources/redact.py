"""Secrets out of logs and messages, for the whole process.

urllib3 logs full request URLs at DEBUG and NCBI's key can only travel in the URL, so one filter,
installed once per process on every logger that may print a URL, masks each registered secret.
Secrets are only ever added: a client that closes must not unmask another client's key, and
adding or removing filters per client from several threads would race.
"""

from __future__ import annotations

import logging
import threading

# Loggers that may print a full request URL (urllib3 at DEBUG) or a failure mentioning one.
LOGGERS_SEEING_URLS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.response",
    "urllib3.util.retry",
    "drafter.sources.http",
    "drafter.sources.cache",
    "drafter.sources.ratelimit",
)

# Shorter values cannot be masked without mangling ordinary text, and are no real secret.
MIN_SECRET_LENGTH = 6


class _Redactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._installed = False

    def add(self, secrets: list[str]) -> None:
        with self._lock:
            known = set(self._secrets) | {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
            # Longest first, so a secret that contains another is masked whole.
            self._secrets = tuple(sorted(known, key=len, reverse=True))
            if not self._installed:
                for name in LOGGERS_SEEING_URLS:
                    logging.getLogger(name).addFilter(self)
                self._installed = True

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format string: let logging report it
            return True
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        return True


_REDACTOR = _Redactor()


def register_secrets(secrets: list[str]) -> None:
    """Mask these values in every log record of the URL-printing loggers from now on."""
    _REDACTOR.add(secrets)


def mask(text: str) -> str:
    """`text` with every registered secret replaced by ***."""
    return _REDACTOR.mask(text)
