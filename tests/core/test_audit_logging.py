"""Issue 12.5: logs are JSON lines carrying time, level, logger, message and the request's ID,
user and client IP; audit events are logged too; the client IP trusts a proxy only when told."""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings

from core.logging import DingdianJsonFormatter, RequestContextFilter
from core.request_context import client_ip
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db


def _audit_lines(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    return [p for p in parsed if p["logger"] == "dingdian.audit"]


LOGGING: dict[str, Any] = settings.LOGGING


def test_sec_audit_log_file_is_a_watched_json_file_under_the_log_dir() -> None:
    handler = LOGGING["handlers"]["json_file"]
    assert handler["class"] == "logging.handlers.WatchedFileHandler"
    assert Path(handler["filename"]).parent == settings.DINGDIAN_LOG_DIR
    assert "json_file" in LOGGING["root"]["handlers"]
    root_handlers = logging.getLogger().handlers
    assert any(isinstance(h, logging.handlers.WatchedFileHandler) for h in root_handlers)


def test_sec_audit_login_writes_a_json_log_line_with_request_id_user_and_ip() -> None:
    user = member("bureau_admin", username="log_admin")
    path = Path(LOGGING["handlers"]["json_file"]["filename"])
    before = len(_audit_lines(path))
    response = Client(REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="pytest-agent").post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    lines = _audit_lines(path)[before:]
    # Other test processes write to the same file: find this request's line.
    line = next(entry for entry in lines if entry.get("request_id") == response["X-Request-ID"])
    assert line["audit"]["action"] == "login"
    assert line["level"] == "INFO" and line["message"] == "audit login"
    assert line["time"].endswith("+00:00")
    assert line["user"] == "log_admin" and line["ip"] == "10.1.2.3"
    assert line["request_id"] == response["X-Request-ID"]
    assert line["audit"]["username"] == "log_admin"
    assert line["audit"]["user_agent"] == "pytest-agent"


def test_sec_audit_json_formatter_keeps_chinese_readable_and_fields_first() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(DingdianJsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("dingdian.test")
    logger.addHandler(handler)
    try:
        logger.warning("审计 %s", "测试", extra={"thing": 1})
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue().strip()
    data = json.loads(line)
    assert list(data)[:4] == ["time", "level", "logger", "message"]
    assert data["message"] == "审计 测试" and data["thing"] == 1 and "审计" in line


def test_sec_audit_client_ip_ignores_x_forwarded_for_unless_a_proxy_is_trusted() -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9"
    )
    with override_settings(DINGDIAN_TRUST_X_FORWARDED_FOR=False):
        assert client_ip(request) == "10.0.0.1"
    with override_settings(DINGDIAN_TRUST_X_FORWARDED_FOR=True):
        # The last entry is the one our proxy appended; the first is whatever the client said.
        assert client_ip(request) == "203.0.113.9"
    forged = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="junk")
    with override_settings(DINGDIAN_TRUST_X_FORWARDED_FOR=True):
        assert client_ip(forged) == "10.0.0.1"
