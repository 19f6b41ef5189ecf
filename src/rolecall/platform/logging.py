"""Structured JSON logs with the request id bound, and a redactor for anything secret-shaped.

The redactor is the last line of defence: code should not log secrets or personal data at all, but
if a key such as ``password`` or ``authorization`` reaches a log call its value is replaced.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SENSITIVE_KEYS = re.compile(
    r"pass(word)?|secret|token|authori[sz]ation|cookie|api[_-]?key|email|phone|full_name|^name$",
    re.IGNORECASE,
)
# A number under a sensitive-sounding key is kept when the key names a count or a duration
# (``refresh_tokens=3``, ``token_count``, ``token_ttl_seconds``): it says how many or how long, and
# the operator needs it. A number under any other sensitive key (``token=123456``, ``phone=4915...``,
# ``pin``) could be the secret itself and is still hidden.
_COUNT_KEYS = re.compile(
    r"(count|total|number_of|_n$|^n_|num_|size|length|_ms$|seconds|minutes|ttl|expires_in|age$|attempts)"
    r"|(tokens|secrets|passwords|passwds|cookies|keys|emails|phones|names|authori[sz]ations)$",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BASIC = re.compile(r"(?i)\bbasic\s+([A-Za-z0-9+/]{4,}={0,2})")
REDACTED = "[redacted]"
# Libraries whose DEBUG output includes SQL statement parameters (addresses, names, hashes): they stay
# at INFO or above even when the application runs at DEBUG.
_PARAMETER_LOGGERS = ("aiosqlite",)


def _basic_credentials(match: re.Match[str]) -> str:
    """HTTP Basic credentials (``id:secret`` in Base64) are redacted; ordinary words after "basic" are not."""
    encoded = match.group(1)
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return match.group(0)
    return "Basic " + REDACTED if ":" in decoded else match.group(0)


def _sensitive(key: str, value: Any) -> bool:
    """Whether the value under ``key`` is hidden: secret-shaped keys, except flags, nulls and counts.

    A boolean or a null says nothing secret (``token_valid=True``); a count or a duration under a
    key like ``refresh_tokens`` is a number an operator reads, not a credential.
    """
    if not SENSITIVE_KEYS.search(key):
        return False
    if value is None or isinstance(value, bool):
        return False
    return not (isinstance(value, int | float) and _COUNT_KEYS.search(key))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        value = _BASIC.sub(_basic_credentials, _BEARER.sub("Bearer " + REDACTED, value))
        return _JWT.sub(REDACTED, value)
    if isinstance(value, dict):
        return {k: REDACTED if _sensitive(str(k), v) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if _sensitive(key, event_dict[key]):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is when a record is emitted, not when logging was configured.

    Anything that redirects stdout later (a test's capture, an embedding process) then receives the
    logs, and nothing writes into a stream that has since been closed.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = _StdoutHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _PARAMETER_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # /readyz reads the schema revision on every probe; Alembic would log two INFO lines each time.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    for noisy in ("uvicorn.access",):
        # Our own access log line carries the request id and route template instead.
        logging.getLogger(noisy).handlers[:] = []
        logging.getLogger(noisy).propagate = False
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
