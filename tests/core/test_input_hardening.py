"""No 500 from any input: NUL bytes, deep JSON, absurd pagination (issue 12.6)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_key_create
from core.parsers import json_depth
from tests.factories import member
from tests.factories.prescriptions import world
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _pos() -> APIClient:
    w = world()
    _key, raw = api_key_create(organisation=w.pharmacy.organisation, name="POS", actor=w.pharmacist)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_sec_nul_byte_in_query_is_a_400() -> None:
    response = _pos().get("/api/v1/programmes/", {"code": "HY\x00TM"})
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"] and response.json()["field"] == "code"


def test_sec_nul_byte_in_path_is_a_400() -> None:
    response = _pos().get("/api/v1/programmes/HY%00TM/")
    assert response.status_code == 400
    assert response.json()["field"] == "path"


def test_sec_nul_byte_in_page_query_and_form_is_a_400(client: Client) -> None:
    login(client, member(Role.BUREAU_REVIEWER))
    page = client.get("/accreditation/applications/", {"status": "康民\x00"})
    assert page.status_code == 400 and "NUL" in page.content.decode()
    form = client.post(
        "/i18n/setlang/", "language=en%00", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 400


def test_sec_nul_byte_in_json_is_a_400() -> None:
    response = _pos().post(
        "/api/v1/pos/dispensings/", {"lines": [{"traceability_codes": ["1\x002"]}]}, format="json"
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "lines[0].traceability_codes[0]" in detail and "NUL" in detail


def test_sec_deeply_nested_json_is_a_400() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = _pos().generic(
        "POST", "/api/v1/pos/dispensings/", deep, content_type="application/json"
    )
    assert response.status_code == 400
    assert "嵌套" in response.json()["detail"]


def test_json_depth_skips_brackets_inside_strings() -> None:
    assert json_depth('{"a": ["[[[", {"b": "\\"{{"}]}') == 3


@pytest.mark.parametrize("limit", ["99999999999999999999", "10000000"])
def test_sec_absurd_limit_is_capped(limit: str) -> None:
    response = _pos().get("/api/v1/stock-batches/", {"limit": limit})
    assert response.status_code == 200
    assert f"limit={limit}" not in (response.json()["next"] or "")


@pytest.mark.parametrize("offset", ["99999999999999999999", "-5", "1e9", "\u0661"])
def test_sec_absurd_offset_is_not_a_500(offset: str) -> None:
    response = _pos().get("/api/v1/stock-batches/", {"offset": offset, "limit": "10"})
    assert response.status_code == 200


@pytest.mark.parametrize("pk", ["false", "1e3", "-1", "9" * 30])
def test_sec_an_id_that_is_not_a_whole_number_is_a_404(pk: str) -> None:
    """Found by schemathesis: PATCH /hospital-stays/false/ was a 500 (int("false"))."""
    from tests.factories.patients import clerk, hospital

    h = hospital()
    _key, raw = api_key_create(organisation=h, name="HIS", actor=clerk(h))
    his = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert his.patch(f"/api/v1/tm/hospital-stays/{pk}/", {}, format="json").status_code == 404
    assert his.get(f"/api/v1/tm/hospital-stays/{pk}/").status_code == 404
