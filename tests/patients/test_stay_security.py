"""Issue 12 point 1: hospital stays (HY-G08) are recorded and discharged only by a hospital of
the patient's programme region; "no such patient here" answers alike and names nobody; the
dates are checked; the hospital's view of the patient ends with the stay."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Organisation, OrganisationKind, Role
from accounts.services import api_key_create
from patients.models import HospitalStay, Patient
from tests.factories import member, region
from tests.factories.patients import bureau, clerk, enrol, hospital, patient, resident_id
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db

APRIL = "2027-04-12 10:00 +0800"
JUNE = "2027-06-10 10:00 +0800"
STAYS = "/api/v1/tm/hospital-stays/"


def _key(organisation: Organisation) -> APIClient:
    creator = member(
        Role.BUREAU_ADMIN if organisation.is_bureau else Role.WINDOW_CLERK,
        organisation=organisation,
    )
    _k, raw = api_key_create(organisation=organisation, name="HIS", actor=creator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def _session(user: Any) -> APIClient:
    client = APIClient()
    login(client, user)
    return client


def _guiyang_hospital() -> Organisation:
    return Organisation.objects.create(
        kind=OrganisationKind.HOSPITAL,
        name="贵阳市第一人民医院",
        region=region("520100"),
        hospital_level="3",
    )


def _enrolled(n: int = 1, name: str = "王建华") -> Patient:
    with time_machine.travel(APRIL, tick=False):
        return enrol(patient(n, name=name)).patient


def test_sec_hospital_of_other_region_cannot_record_stay() -> None:
    p = _enrolled(name="王建华")
    not_enrolled = patient(2, name="李秀英")
    api = _key(_guiyang_hospital())
    with time_machine.travel(JUNE, tick=False):
        other_region = api.post(
            STAYS, {"resident_id": p.resident_id, "admitted_on": "2027-06-01"}, format="json"
        )
        unknown = api.post(
            STAYS, {"resident_id": resident_id(9), "admitted_on": "2027-06-01"}, format="json"
        )
        # Even a hospital of the patient's region: a person not enrolled is "not here" too.
        local = _key(hospital("衡阳县中医医院"))
        unenrolled = local.post(
            STAYS,
            {"resident_id": not_enrolled.resident_id, "admitted_on": "2027-06-01"},
            format="json",
        )
    assert other_region.status_code == unknown.status_code == unenrolled.status_code == 400
    # One answer whatever the reason: recording a stay is not a lookup.
    assert other_region.json() == unknown.json() == unenrolled.json()
    for response in (other_region, unknown, unenrolled):
        body = response.content.decode()
        assert "王建华" not in body and "李秀英" not in body
    assert not HospitalStay.objects.exists()


def test_sec_hospital_of_other_region_cannot_record_stay_on_the_pages() -> None:
    p = _enrolled()
    gy = _guiyang_hospital()
    with time_machine.travel(JUNE, tick=False):
        c = login(Client(), clerk(gy, username="gy_clerk"))
        page = c.post(
            "/tm/stays/", {"resident_id": p.resident_id, "admitted_on": "2027-06-01"}, follow=True
        ).content.decode()
        unknown = c.post(
            "/tm/stays/", {"resident_id": resident_id(9), "admitted_on": "2027-06-01"}, follow=True
        ).content.decode()
    assert "本地区没有该身份证号的特门患者" in page and "本地区没有该身份证号的特门患者" in unknown
    assert "王建华" not in page
    assert not HospitalStay.objects.exists()


def test_sec_hospital_of_other_region_cannot_import_stays() -> None:
    from io import BytesIO

    from openpyxl import Workbook

    p = _enrolled()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["身份证号", "入院日期", "出院日期"])
    sheet.append([p.resident_id, "2027-06-01", None])
    upload = BytesIO()
    book.save(upload)
    upload.seek(0)
    upload.name = "stays.xlsx"
    with time_machine.travel(JUNE, tick=False):
        c = login(Client(), clerk(_guiyang_hospital(), username="gy_clerk"))
        page = c.post("/tm/stays/import/", {"file": upload}, follow=True).content.decode()
    assert "第 2 行 A 列：本地区没有该身份证号的特门患者" in page and "王建华" not in page
    assert not HospitalStay.objects.exists()


def test_sec_only_hospital_clerk_physician_or_key_records_stay() -> None:
    p = _enrolled()
    body = {"resident_id": p.resident_id, "admitted_on": "2027-06-01"}
    with time_machine.travel(JUNE, tick=False):
        admin = _session(member(Role.BUREAU_ADMIN, organisation=bureau(), username="admin"))
        assert admin.post(STAYS, body, format="json").status_code == 404
        # A bureau key is read-only (its scope): refused before any stay is looked at.
        assert _key(bureau()).post(STAYS, body, format="json").status_code == 403
        pharmacy = Organisation.objects.create(
            kind=OrganisationKind.PHARMACY, name="衡阳县康民大药房", region=region()
        )
        # A pharmacy's key is a POS key: hospital stays are not in its scope.
        assert _key(pharmacy).post(STAYS, body, format="json").status_code == 403
        window = Organisation.objects.create(
            kind=OrganisationKind.TOWNSHIP_WINDOW, name="西渡镇窗口", region=region()
        )
        assert _session(clerk(window, username="tw")).post(STAYS, body).status_code == 404
        assert not HospitalStay.objects.exists()
        physician = member(Role.PHYSICIAN, organisation=hospital("衡阳县中医医院"), username="doc")
        made = _session(physician).post(STAYS, body, format="json")
    assert made.status_code == 201, made.content
    assert "王建华" not in made.content.decode() and "*" in made.json()["resident_id_masked"]


@pytest.mark.parametrize(
    ("admitted_on", "discharged_on", "field"),
    [
        ("2027-06-11", None, "入院日期不能晚于今天"),  # the future
        ("2026-06-01", None, "入院日期早于 366 天前"),  # absurdly old
        ("2027-06-01", "2027-05-30", "出院日期不能早于入院日期"),
        ("2027-06-01", "2027-06-12", "出院日期不能晚于今天"),
    ],
)
def test_sec_stay_dates_are_validated(
    admitted_on: str, discharged_on: str | None, field: str
) -> None:
    p = _enrolled()
    api = _key(hospital())
    body: dict[str, Any] = {"resident_id": p.resident_id, "admitted_on": admitted_on}
    if discharged_on:
        body["discharged_on"] = discharged_on
    with time_machine.travel(JUNE, tick=False):
        response = api.post(STAYS, body, format="json")
    assert response.status_code == 400 and field in response.content.decode()
    assert not HospitalStay.objects.exists()


def test_sec_discharge_date_is_validated() -> None:
    p = _enrolled()
    api = _key(hospital())
    with time_machine.travel(JUNE, tick=False):
        pk = api.post(
            STAYS, {"resident_id": p.resident_id, "admitted_on": "2027-06-01"}, format="json"
        ).json()["id"]
        future = api.patch(f"{STAYS}{pk}/", {"discharged_on": "2027-06-20"}, format="json")
        early = api.patch(f"{STAYS}{pk}/", {"discharged_on": "2027-05-20"}, format="json")
    assert future.status_code == early.status_code == 400
    assert HospitalStay.objects.get().discharged_on is None


def test_sec_hospital_sees_patient_record_only_while_the_stay_lasts() -> None:
    p = _enrolled(name="王建华")
    other = hospital("衡阳县中医医院")  # neither the filing window nor the chosen institution
    with time_machine.travel(JUNE, tick=False):
        c = login(Client(), clerk(other, username="zy_clerk"))
        assert c.get(f"/tm/people/{p.pk}/").status_code == 404
        c.post("/tm/stays/", {"resident_id": p.resident_id, "admitted_on": "2027-06-01"})
        stay = HospitalStay.objects.get()
        assert c.get(f"/tm/people/{p.pk}/").status_code == 200  # in hospital: it treats them
        c.post(f"/tm/stays/{stay.pk}/discharge/", {"discharged_on": "2027-06-09"})
        stay.refresh_from_db()
        assert stay.discharged_on is not None
        # The access came from the stay and ends with it.
        assert c.get(f"/tm/people/{p.pk}/").status_code == 404
        assert "王建华" not in c.get("/tm/people/").content.decode()


def test_sec_only_recording_hospital_discharges_stay() -> None:
    p = _enrolled()
    h = hospital()
    with time_machine.travel(JUNE, tick=False):
        recorder = _key(h)
        pk = recorder.post(
            STAYS, {"resident_id": p.resident_id, "admitted_on": "2027-06-01"}, format="json"
        ).json()["id"]
        body = {"discharged_on": "2027-06-09"}
        url = f"{STAYS}{pk}/"
        for role in (Role.BUREAU_ADMIN, Role.BENEFITS_OFFICER, Role.BUREAU_REVIEWER):
            user = member(role, organisation=bureau(), username=f"b_{role}")
            assert _session(user).get(url).status_code == 200  # the bureau may read its region
            assert _session(user).patch(url, body, format="json").status_code == 404
            page = login(Client(), user).post(f"/tm/stays/{pk}/discharge/", body)
            assert page.status_code == 404
        # A bureau key is read-only (its scope): refused whichever stay it names.
        assert _key(bureau()).patch(url, body, format="json").status_code == 403
        other = hospital("衡阳县中医医院")
        assert _key(other).patch(url, body, format="json").status_code == 404
        physician = member(Role.PHYSICIAN, organisation=other, username="other_doc")
        assert _session(physician).patch(url, body, format="json").status_code == 404
        assert HospitalStay.objects.get().discharged_on is None
        done = recorder.patch(url, body, format="json")
    assert done.status_code == 200 and done.json()["discharged_on"] == "2027-06-09"
