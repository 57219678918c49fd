"""Structured JSON logs with request id, service, tenant and user id, and no personal data.

Only opaque ids are put in the context; a filter drops any `extra` key that looks like personal data
(e-mail, name, password, token…) so a careless log call cannot leak it.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_context: ContextVar[dict[str, str] | None] = ContextVar("portal_log_context", default=None)
FORBIDDEN_KEYS = ("email", "name", "password", "token", "phone", "address", "text", "body", "secret")
_STANDARD = set(vars(logging.makeLogRecord({})))


def bind(**values: str | None) -> None:
    """Add ids to the context of every log line of this request."""
    current = dict(_context.get() or {})
    current.update({k: v for k, v in values.items() if v})
    _context.set(current)


def clear() -> None:
    _context.set({})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **(_context.get() or {}),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            if any(bad in key.lower() for bad in FORBIDDEN_KEYS):
                line[key] = "[redacted]"
            else:
                line[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


_configured = False


def configure(level: str = "INFO") -> None:
    """Send JSON lines to stderr (CloudWatch picks them up in Lambda). Idempotent."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("portal")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    _configured = True
