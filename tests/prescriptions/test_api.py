"""POS API with a pharmacy's API key: eligibility, dispensing (idempotent), return, slip."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from accounts.models import Role, User
from patients.models import ProxyGround, ProxyMethod
from patients.services import proxy_authorise
from prescriptions.api import (
    DispensingCreateSerializer,
    DispensingSerializer,
    dispensing_answer,
    dispensing_body,
)
from prescriptions.models import Dispensing, PrescriptionKind, QuotaAccount
from tests.factories import member
from tests.factories.patients import county_window, resident_id
from tests.factories.prescriptions import MAY, PNG, body, pos, world

pytestmark = pytest.mark.django_db


def test_pos_eligibility_dispense_retry_return_and_slip() -> None:
    w = world()
    api = pos(w)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        info = api.post(
            "/api/v1/pos/eligibility/", {"resident_id": w.patient.resident_id}, format="json"
        )
        assert info.status_code == 200, info.content
        quota = info.json()["quotas"][0]
        assert (quota["remaining"], quota["may_settle_here"]) == ("200.00", True)
        item = info.json()["prescriptions"][0]["items"][0]["item"]
        payload = body(w, p.pk, item, 4, "pos-1")
        first = api.post("/api/v1/pos/dispensings/", payload, format="json")
        assert first.status_code == 201, first.content
        assert first.json()["personal_share"] == "11.40"
        retry = api.post("/api/v1/pos/dispensings/", payload, format="json")
        assert retry.json()["id"] == first.json()["id"]
        assert QuotaAccount.objects.get().used == 38
        slip = api.get(f"/api/v1/pos/dispensings/{first.json()['id']}/slip/")
        assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
        back = api.post(
            f"/api/v1/pos/dispensings/{first.json()['id']}/return/",
            {"reason": "退药", "pharmacist": w.pharmacist.username},
            format="json",
        )
        assert back.json()["status"] == "returned"
    assert Dispensing.objects.count() == 1
    assert QuotaAccount.objects.get().used == 0
    assert Dispensing.objects.get().pharmacist == w.pharmacist


def test_pos_refusal_carries_rule_and_chinese_detail() -> None:
    w = world()
    api = pos(w)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription(quantity=30)
        item = p.items.get().pk
        api.post("/api/v1/pos/dispensings/", body(w, p.pk, item, 20, "a"), format="json")
        refused = api.post("/api/v1/pos/dispensings/", body(w, p.pk, item, 5, "b"), format="json")
    assert refused.status_code == 400
    assert refused.json()["rule"] == "HY-G07" and "额度" in refused.json()["detail"]


def test_pos_proxy_purchase_with_photo() -> None:
    w = world()
    api = pos(w)
    proxy_id = resident_id(88)
    with time_machine.travel(MAY, tick=False):
        proxy_authorise(
            patient=w.patient,
            ground=ProxyGround.values[0],
            method=ProxyMethod.PROXY,
            valid_from=w.enrolment.starts_on,
            actor=member(Role.WINDOW_CLERK, organisation=county_window()),
            organisation=county_window(),
            proxy_name="李四",
            proxy_resident_id=proxy_id,
        )
        p = w.prescription()
        payload = body(w, p.pk, p.items.get().pk, 1, "proxy-1")
        payload.update(proxy_name="李四", proxy_resident_id=proxy_id)
        missing = api.post("/api/v1/pos/dispensings/", payload, format="json")
        assert missing.json()["rule"] == "HY-E07"
        payload["purchase_list_photo_base64"] = base64.b64encode(PNG).decode()
        done = api.post("/api/v1/pos/dispensings/", payload, format="json")
    assert done.status_code == 201, done.content
    assert done.json()["is_proxy"] is True


def test_pos_outsider_pharmacy_gets_404_and_list_query_count(
    outsider_pharmacy_manager: User, django_assert_max_num_queries: Any
) -> None:
    w = world()
    other = world(2)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        created = pos(w).post(
            "/api/v1/pos/dispensings/", body(w, p.pk, p.items.get().pk, 1, "k"), format="json"
        )
        pk = created.json()["id"]
        outsider = pos(other)
        assert outsider.get(f"/api/v1/pos/dispensings/{pk}/").status_code == 404
        assert outsider.get(f"/api/v1/pos/dispensings/{pk}/slip/").status_code == 404
        assert (
            outsider.post(f"/api/v1/pos/dispensings/{pk}/return/", {"reason": "x"}).status_code
            == 404
        )
        assert (
            outsider.post(
                "/api/v1/pos/eligibility/", {"resident_id": w.patient.resident_id}, format="json"
            ).status_code
            == 404
        )
        stolen = outsider.post(
            "/api/v1/pos/dispensings/", body(other, p.pk, p.items.get().pk, 1, "z"), format="json"
        )
        assert stolen.status_code == 404
        assert outsider.get("/api/v1/pos/dispensings/").json()["results"] == []
        api = pos(w)
        with django_assert_max_num_queries(8):
            listing = api.get("/api/v1/pos/dispensings/")
    assert [d["id"] for d in listing.json()["results"]] == [pk]


def test_pos_dispensing_query_count_is_pinned(django_assert_max_num_queries: Any) -> None:
    # Given a patient whose quarter's quota account is open (an earlier purchase) and a POS
    # key used a moment ago (its last-used time is fresh)
    w = world()
    api = pos(w)
    with time_machine.travel(MAY, tick=False):
        first = w.prescription()
        opened = api.post(
            "/api/v1/pos/dispensings/", body(w, first.pk, first.items.get().pk, 2, "q1"), "json"
        )
        assert opened.status_code == 201, opened.content
        p = w.prescription(kind=PrescriptionKind.LONG_TERM)  # a second one this month
        payload = body(w, p.pk, p.items.get().pk, 3, "q2")
        # When the counter dispenses through the API: every check (HY-C06, HY-G05/G07/G08,
        # HY-E07, GY-D02, GY-E02, HY-G10, HY-B02, HY-B03, quota, stock, idempotency) and the
        # booking, in at most 15 statements (the benchmark's budget is 25): one read of the
        # prescription with access, pharmacist and checks, one of the pharmacist's staff
        # record (审方 HY-E01/GY-A04, staff list GY-B02), one of the items, one of the codes,
        # and the booking — 2 of them the savepoint the test's own transaction turns
        # BEGIN/COMMIT into; the key's lookup is cached
        with django_assert_max_num_queries(15) as captured:
            done = api.post("/api/v1/pos/dispensings/", payload, "json")
    # Then it is settled and booked
    assert done.status_code == 201, done.content
    assert done.json()["total"] == "28.50"
    assert QuotaAccount.objects.get().used == Decimal("47.50")
    assert len(captured) <= 15


def test_openapi_documents_the_pos_endpoints() -> None:
    client = APIClient()
    client.force_authenticate(member(Role.PHARMACIST))  # the schema needs a login
    schema = client.get("/api/schema/")
    text = schema.content.decode()
    assert "/api/v1/pos/dispensings/" in text and "/api/v1/pos/eligibility/" in text
    assert "idempotency_key" in text


def _as_plain(data: Any) -> Any:
    return json.loads(JSONRenderer().render(data))


LEAN_BODIES: list[dict[str, Any]] = [
    {
        "prescription": 1,
        "lines": [
            {
                "item": 2,
                "quantity": 2,
                "unit_price": "9.5",
                "traceability_codes": ["1" * 20, "2" * 20],
            }
        ],
        "identity_confirmed": True,
        "patient_signed": True,
        "pharmacist": "ph",
        "idempotency_key": "k",
    },
    {
        "prescription": "7",
        "lines": [
            {"item": 2, "quantity": 1, "unit_price": 6, "traceability_codes": ["3" * 20]},
            {"item": 3, "quantity": 1, "unit_price": "1.25", "traceability_codes": [], "drug": 4},
        ],
        "identity_confirmed": False,
        "patient_signed": "true",
        "idempotency_key": "k2",
        "personal_paid": "3.10",
        "proxy_name": "李四",
        "proxy_resident_id": "x",
        "unknown": "ignored",
    },
]
REFUSED_BODIES: list[Any] = [
    [],
    {**LEAN_BODIES[0], "idempotency_key": ""},
    {**LEAN_BODIES[0], "pharmacist": ""},
    {k: v for k, v in LEAN_BODIES[0].items() if k != "patient_signed"},
    {**LEAN_BODIES[0], "lines": "x"},
    {**LEAN_BODIES[0], "lines": [{**LEAN_BODIES[0]["lines"][0], "quantity": 0}]},
    {**LEAN_BODIES[0], "lines": [{**LEAN_BODIES[0]["lines"][0], "unit_price": "abc"}]},
    {**LEAN_BODIES[0], "personal_paid": "1.234"},
]


@pytest.mark.parametrize("data", LEAN_BODIES)
def test_pos_dispensing_body_is_validated_as_by_its_serializer(data: dict[str, Any]) -> None:
    serializer = DispensingCreateSerializer(data=data)
    assert serializer.is_valid(), serializer.errors
    assert _as_plain(dispensing_body(data)) == _as_plain(serializer.validated_data)


@pytest.mark.parametrize("data", REFUSED_BODIES)
def test_pos_dispensing_body_refusals_name_the_fields_as_its_serializer(data: Any) -> None:
    serializer = DispensingCreateSerializer(data=data)
    assert not serializer.is_valid()
    with pytest.raises(ValidationError) as exc:
        dispensing_body(data)
    assert exc.value.detail == serializer.errors


def test_pos_dispensing_answer_is_its_serializers() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        done = pos(w).post(
            "/api/v1/pos/dispensings/", body(w, p.pk, p.items.get().pk, 2, "ans"), format="json"
        )
    assert done.status_code == 201, done.content
    dispensing = Dispensing.objects.get()
    assert done.json() == _as_plain(DispensingSerializer(dispensing).data)
    assert done.json() == _as_plain(dispensing_answer(dispensing))
    assert done.json()["lines"][0]["unit_price"] == "9.5000"
