"""Production settings pass Django's deployment checklist, the schema is served locally, and
the compose deployment publishes only its TLS proxy, keeps secrets in the environment and runs
the portal as an unprivileged user."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from accounts.models import Role
from tests.factories import member
from tests.factories.sessions import login

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_reports_nothing_with_production_variables() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DINGDIAN_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "k3$Vq9!zR7#pLm2@Wx8&Ny5^Tb4*Hc6(Jd1)Fg0-Se_Ua+Ko=Li",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "dingdian.ybj.example.gov.cn",
            "DINGDIAN_FIELD_KEYS": "bG9uZy1yYW5kb20tZmllbGQta2V5LWZvci10ZXN0cyE=",
            "DINGDIAN_BLIND_INDEX_KEY": "a-long-random-blind-index-key-for-the-deploy-test",
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


def test_debug_off_without_resident_id_keys_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DINGDIAN_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "k3$Vq9!zR7#pLm2@Wx8&Ny5^Tb4*Hc6(Jd1)Fg0-Se_Ua+Ko=Li",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DINGDIAN_FIELD_KEYS and DINGDIAN_BLIND_INDEX_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_swagger_ui_is_served_from_local_assets(client: Client) -> None:
    login(client, member(Role.PHARMACY_MANAGER))  # the schema and Swagger UI need a login
    body = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower() and "unpkg" not in body.lower()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/whoami/" in schema.content


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_publishes_only_the_tls_proxy() -> None:
    services = _compose()["services"]
    web = services["web"]
    # The app trusts X-Forwarded-Proto: it must be reachable through the proxy only.
    assert web["environment"]["DJANGO_BEHIND_TLS_PROXY"] == "1"
    assert "ports" not in web and web["expose"] == ["8000"]
    for name in ("postgres", "redis", "worker", "beat"):
        assert "ports" not in services[name], name
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert sorted(proxy["ports"]) == ["443:443", "80:80"]
    mounts = " ".join(proxy["volumes"])
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in mounts
    assert ":/etc/nginx/certs:ro" in mounts


def test_proxy_terminates_tls_and_passes_everything_to_gunicorn() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server web:8000;" in conf
    assert "listen 443 ssl" in conf and "return 301 https://" in conf
    # Plain-HTTP API calls are refused, not redirected (ASVS 5.0 V4.1.2).
    assert "location /api/ {\n        return 403" in conf
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in conf
    # The proxy sets the header the portal trusts, whatever the client sent.
    assert "proxy_set_header X-Forwarded-Proto https;" in conf
    assert "root " not in conf and "alias " not in conf  # serves nothing of its own


def test_compose_takes_the_database_password_from_the_environment() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    app = _compose()["x-app"]["environment"]
    postgres = _compose()["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
    assert "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@postgres:5432" in app["DATABASE_URL"]
    assert "dingdian:dingdian@" not in text and "POSTGRES_PASSWORD: dingdian" not in text
    assert app["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
    assert app["DINGDIAN_FIELD_KEYS"].startswith("${DINGDIAN_FIELD_KEYS:?")
    assert app["DINGDIAN_BLIND_INDEX_KEY"].startswith("${DINGDIAN_BLIND_INDEX_KEY:?")


def test_the_image_runs_as_an_unprivileged_user() -> None:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    users = [line.split(None, 1)[1].strip() for line in lines if line.startswith("USER ")]
    assert users, "no USER line: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    # Everything after the last USER runs unprivileged; the user exists before it.
    assert any("useradd" in line and "--uid 10001" in line for line in lines)
    assert any("chown" in line and "/data/private" in line for line in lines)
