"""JSON log lines on stdout.

Only the message, level, logger and a few technical fields are written; request bodies,
form data and anything a user typed never reach a log record built by this project.
"""

import json
import logging
from datetime import UTC, datetime

_TECHNICAL_FIELDS = ("status_code", "task_id", "task_name", "method", "path")


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
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
