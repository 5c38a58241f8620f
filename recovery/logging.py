"""JSON log lines on stdout.

Only the message, level, logger, a few technical fields and ids are written; request bodies,
form data and anything a user typed never reach a log record built by this project. Pass
ids as ``extra={"profile_id": ...}``; other extra keys are dropped on purpose.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

_TECHNICAL_FIELDS = ("status_code", "task_id", "task_name", "method", "path")
# Attributes every LogRecord has; never mistaken for an ``extra`` id.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in _TECHNICAL_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        for field, value in vars(record).items():
            if field.endswith("_id") and field not in _RECORD_ATTRIBUTES:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
