"""Demo patients (idempotent): enrolled patients, one in hospital, filings pending at the
windows from the October 2026 round, and a card-retention application awaiting the centre.

Past filings and choices are created with their historical dates (the services act "today");
their status moves and event rows go through the workflows (patients.transitions)."""

from __future__ import annotations

from datetime import date
from typing import Any

from stdnum.cn import ric

from accounts.models import Organisation, Region, User
from core.crypto import blind_index
from core.event_messages import reason as named_reason
from core.transitions import transition
from patients import reference
from patients.models import (
    CardRetention,
    Enrolment,
    Filing,
    FilingPath,
    FilingStatus,
    HospitalStay,
    InstitutionChoice,
    MaterialKind,
    Patient,
    RetentionReason,
    StaySource,
)
from patients.transitions import CHOICE, ENROLMENT, FILING, RETENTION, opened
from programmes.models import Disease


def demo_resident_id(born: str, seq: str) -> str:
    """A valid GB 11643 number (born in 衡阳市, 430400) for demo people."""
    base = f"430400{born}{seq}"
    return base + ric.calc_check_digit(base + "0")  # the function ignores the last character


# (key, name, born, seq, insured type, township, phone)
PEOPLE = [
    ("wang", "王建华", "19580312", "101", "employee", "西渡镇", "13907340001"),
    ("li", "李秀英", "19620715", "202", "resident", "西渡镇", "13907340002"),
    ("chen", "陈国强", "19551120", "303", "resident", "台源镇", "13907340003"),
    ("liu", "刘桂兰", "19601005", "404", "employee", "西渡镇", "13907340004"),
    ("zhao", "赵明", "19700606", "505", "employee", "井头镇", "13907340005"),
]


def _filing(
    patient: Patient,
    disease: Disease,
    *,
    window: Organisation,
    reviewing: Organisation | None,
    lodged_on: date,
    clerk: User,
) -> Filing:
    filing = Filing.objects.filter(patient=patient, disease=disease).first()
    if filing is not None:
        return filing
    filing = Filing.objects.create(
        number=f"TM{lodged_on:%Y%m%d}D{patient.pk:05d}",
        patient=patient,
        disease=disease,
        path=FilingPath.ROUND,
        round_label=f"{lodged_on:%Y-%m}",
        window=window,
        reviewing_hospital=reviewing,
        records_hospital="衡阳县人民医院",
        records_hospital_level="2",
        materials_received=sorted(MaterialKind.values),
        lodged_by=clerk,
        lodged_on=lodged_on,
    )
    opened(
        FILING,
        filing,
        actor=clerk,
        rule_id="HY-G03",
        reason=named_reason("demo_data"),
        event_fields={"organisation": window},
    )
    return filing


def _approved(filing: Filing, *, starts_on: date, expert: User, bureau: Organisation) -> Enrolment:
    if filing.status != FilingStatus.APPROVED:
        transition(
            FILING,
            filing,
            FilingStatus.APPROVED,
            actor=expert,
            reason=named_reason("demo_filing_passed"),
            rule_id="HY-G04",
            fields={"expert": expert, "benefit_starts_on": starts_on},
            event_fields={"organisation": bureau},
        )
    enrolment, created = Enrolment.objects.get_or_create(
        filing=filing,
        defaults={"patient": filing.patient, "disease": filing.disease, "starts_on": starts_on},
    )
    if created:
        opened(ENROLMENT, enrolment, actor=expert, rule_id="HY-G04")
    return enrolment


def _choose(enrolment: Enrolment, organisation: Organisation, on: date, actor: User) -> None:
    if not InstitutionChoice.objects.filter(
        enrolment=enrolment, organisation=organisation
    ).exists():
        choice = InstitutionChoice.objects.create(
            enrolment=enrolment, organisation=organisation, chosen_on=on, chosen_by=actor
        )
        opened(CHOICE, choice, actor=actor, rule_id="HY-G05")


def _people(region: Region) -> dict[str, Patient]:
    people: dict[str, Patient] = {}
    for key, name, born, seq, insured, town, phone in PEOPLE:
        people[key], _ = Patient.objects.get_or_create(
            resident_id_index=blind_index(demo_resident_id(born, seq)),
            defaults={
                "resident_id": demo_resident_id(born, seq),
                "name": name,
                "insured_type": insured,
                "region": region,
                "township": town,
                "phone": phone,
                "social_security_card_no": f"H43042{seq}88",
            },
        )
    return people


def _in_hospital(patient: Patient, hospital: Organisation, clerk: User) -> None:
    """HY-G08: admitted and not discharged."""
    if not HospitalStay.objects.filter(patient=patient).exists():
        HospitalStay.objects.create(
            patient=patient,
            hospital=hospital,
            admitted_on=date(2026, 11, 20),
            source=StaySource.HOSPITAL,
            recorded_by=clerk,
        )


def _card_left(patient: Patient, pharmacy: Organisation, manager: User) -> None:
    """HY-E08: the pharmacy asked the centre to let it keep the patient's card."""
    if not CardRetention.objects.filter(patient=patient).exists():
        retention = CardRetention.objects.create(
            patient=patient,
            pharmacy=pharmacy,
            reason_category=RetentionReason.IMMOBILE,
            application_text="本人行动不便，申请将社保卡留存在康民大药房，由家属凭处方代购。",
            applied_by=manager,
        )
        opened(RETENTION, retention, actor=manager, rule_id="HY-E08")


# The demo filings: (person, disease, window, lodged on, clerk, chosen institution and day).
# Enrolled in the April 2026 round: hypertension at the demo pharmacy, diabetes (and now in
# hospital, HY-G08). Pending from the October 2026 round: awaiting the preliminary review.
FILINGS: list[tuple[str, str, str, date, str, tuple[str, date] | None]] = [
    (
        "wang",
        "TM101",
        "hy_hospital",
        date(2026, 4, 8),
        "hy_window",
        ("hy_pharmacy", date(2026, 5, 6)),
    ),
    (
        "li",
        "TM102",
        "hy_township",
        date(2026, 4, 15),
        "hy_township_clerk",
        ("hy_hospital", date(2026, 5, 10)),
    ),
    ("chen", "TM103", "hy_township", date(2026, 10, 15), "hy_township_clerk", None),
    ("liu", "TM104", "hy_hospital", date(2026, 10, 20), "hy_window", None),
]


def seed(ctx: dict[str, Any]) -> None:
    reference.ensure()
    orgs: dict[str, Organisation] = ctx["organisations"]
    users: dict[str, User] = ctx["users"]
    hospital = orgs["hy_hospital"]
    people = _people(hospital.region)
    # The 特门 programme of the demo county's region (the one whose diseases may be filed).
    programme = hospital.region.programmes.filter(diseases__isnull=False).distinct().get()
    diseases = {d.code: d for d in Disease.objects.filter(programme=programme)}
    for key, code, window, lodged_on, clerk, chosen in FILINGS:
        filing = _filing(
            people[key],
            diseases[code],
            window=orgs[window],
            reviewing=hospital,
            lodged_on=lodged_on,
            clerk=users[clerk],
        )
        if chosen is not None:
            enrolment = _approved(
                filing,
                starts_on=date(2026, 5, 1),
                expert=users["hy_expert"],
                bureau=orgs["hy_bureau"],
            )
            _choose(enrolment, orgs[chosen[0]], chosen[1], users["hy_window"])
    _in_hospital(people["li"], hospital, users["hy_window"])
    _card_left(people["wang"], orgs["hy_pharmacy"], users["hy_manager"])
