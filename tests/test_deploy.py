"""Production settings pass Django's deployment checklist, and the schema is served locally."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_reports_nothing_with_production_variables() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DINGDIAN_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "k3$Vq9!zR7#pLm2@Wx8&Ny5^Tb4*Hc6(Jd1)Fg0-Se_Ua+Ko=Li",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "dingdian.ybj.example.gov.cn",
            # A production database (not connected to: the checklist reads settings only)
            "DATABASE_URL": "postgres://dingdian@db.ybj.example.gov.cn:5432/dingdian",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DINGDIAN_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "0"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_swagger_ui_is_served_from_local_assets(client: Client) -> None:
    body = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower() and "unpkg" not in body.lower()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/whoami/" in schema.content
