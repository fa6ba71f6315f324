"""Logs as JSON, one object per line: time, level, logger, message, and the request's ID, user
and client IP where a request is being served (settings.LOGGING, README "Security: audit")."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.utils.functional import empty
from pythonjsonlogger.json import JsonFormatter

from core.request_context import client_ip, current_request, request_id_for


class DingdianJsonFormatter(JsonFormatter):
    """python-json-logger's formatter with our field names and an ISO 8601 UTC time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("json_ensure_ascii", False)  # Chinese stays readable
        super().__init__("%(message)s", *args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        # Keys first in a fixed order, then the rest (python-json-logger keeps insertion order).
        ordered = {k: log_data.pop(k) for k in ("time", "level", "logger", "message")}
        ordered.update(log_data)
        log_data.clear()
        log_data.update(ordered)


def _user_label(request: Any) -> str | None:
    user = getattr(request, "user", None)
    if user is None:
        return None
    # Never load the user just to log: only a user the request has already resolved.
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return None
    return str(getattr(wrapped, "username", None) or wrapped)


class RequestContextFilter(logging.Filter):
    """Adds request_id, user and ip to each record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request()
        if request is not None:
            if not hasattr(record, "request_id"):
                record.request_id = request_id_for(request)
            if not hasattr(record, "user"):
                record.user = _user_label(request)
            if not hasattr(record, "ip"):
                record.ip = client_ip(request)
        return True
