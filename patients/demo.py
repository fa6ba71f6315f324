"""Demo patients (idempotent): enrolled patients, one in hospital, filings pending at the
windows from the October 2026 round, and a card-retention application awaiting the centre.

Past events are written as rows with their historical dates (the services act "today")."""

from __future__ import annotations

from datetime import date
from typing import Any

from stdnum.cn import ric

from accounts.models import Organisation, User
from core.crypto import blind_index
from patients import reference
from patients.models import (
    CardRetention,
    ChoiceEvent,
    ChoiceStatus,
    Enrolment,
    EnrolmentEvent,
    Filing,
    FilingEvent,
    FilingPath,
    FilingStatus,
    HospitalStay,
    InstitutionChoice,
    MaterialKind,
    Patient,
    RetentionEvent,
    RetentionReason,
    RetentionStatus,
    StaySource,
)
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
    FilingEvent.objects.create(
        filing=filing,
        new_status=FilingStatus.LODGED,
        actor=clerk,
        organisation=window,
        rule_id="HY-G03",
        reason="演示数据",
    )
    return filing


def _approved(filing: Filing, *, starts_on: date, expert: User, bureau: Organisation) -> Enrolment:
    if filing.status != FilingStatus.APPROVED:
        FilingEvent.objects.create(
            filing=filing,
            old_status=filing.status,
            new_status=FilingStatus.APPROVED,
            actor=expert,
            organisation=bureau,
            rule_id="HY-G04",
            reason="演示数据：2026年4月批次评审通过",
        )
        Filing.objects.filter(pk=filing.pk).update(
            status=FilingStatus.APPROVED, expert=expert, benefit_starts_on=starts_on
        )
    enrolment, created = Enrolment.objects.get_or_create(
        filing=filing,
        defaults={"patient": filing.patient, "disease": filing.disease, "starts_on": starts_on},
    )
    if created:
        EnrolmentEvent.objects.create(
            enrolment=enrolment, new_status=enrolment.status, actor=expert, rule_id="HY-G04"
        )
    return enrolment


def _choose(enrolment: Enrolment, organisation: Organisation, on: date, actor: User) -> None:
    if not InstitutionChoice.objects.filter(
        enrolment=enrolment, organisation=organisation
    ).exists():
        choice = InstitutionChoice.objects.create(
            enrolment=enrolment, organisation=organisation, chosen_on=on, chosen_by=actor
        )
        ChoiceEvent.objects.create(
            choice=choice, new_status=ChoiceStatus.ACTIVE, actor=actor, rule_id="HY-G05"
        )


def seed(ctx: dict[str, Any]) -> None:
    reference.ensure()
    orgs: dict[str, Organisation] = ctx["organisations"]
    users: dict[str, User] = ctx["users"]
    hospital, township = orgs["hy_hospital"], orgs["hy_township"]
    region = hospital.region
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
    diseases = {d.code: d for d in Disease.objects.filter(programme__code="HY-TM")}
    clerk, expert = users["hy_window"], users["hy_expert"]
    # Enrolled in the April 2026 round: hypertension at the demo pharmacy.
    wang = _filing(
        people["wang"],
        diseases["TM101"],
        window=hospital,
        reviewing=hospital,
        lodged_on=date(2026, 4, 8),
        clerk=clerk,
    )
    wang_enrolment = _approved(
        wang, starts_on=date(2026, 5, 1), expert=expert, bureau=orgs["hy_bureau"]
    )
    _choose(wang_enrolment, orgs["hy_pharmacy"], date(2026, 5, 6), clerk)
    # Enrolled for diabetes, currently in hospital (HY-G08).
    li = _filing(
        people["li"],
        diseases["TM102"],
        window=township,
        reviewing=hospital,
        lodged_on=date(2026, 4, 15),
        clerk=users["hy_township_clerk"],
    )
    li_enrolment = _approved(
        li, starts_on=date(2026, 5, 1), expert=expert, bureau=orgs["hy_bureau"]
    )
    _choose(li_enrolment, hospital, date(2026, 5, 10), clerk)
    if not HospitalStay.objects.filter(patient=people["li"]).exists():
        HospitalStay.objects.create(
            patient=people["li"],
            hospital=hospital,
            admitted_on=date(2026, 11, 20),
            source=StaySource.HOSPITAL,
            recorded_by=clerk,
        )
    # Pending from the October 2026 round: awaiting the hospital's preliminary review.
    _filing(
        people["chen"],
        diseases["TM103"],
        window=township,
        reviewing=hospital,
        lodged_on=date(2026, 10, 15),
        clerk=users["hy_township_clerk"],
    )
    _filing(
        people["liu"],
        diseases["TM104"],
        window=hospital,
        reviewing=hospital,
        lodged_on=date(2026, 10, 20),
        clerk=clerk,
    )
    # The pharmacy asked the centre to let it keep 王建华's card (HY-E08).
    if not CardRetention.objects.filter(patient=people["wang"]).exists():
        retention = CardRetention.objects.create(
            patient=people["wang"],
            pharmacy=orgs["hy_pharmacy"],
            reason_category=RetentionReason.IMMOBILE,
            application_text="本人行动不便，申请将社保卡留存在康民大药房，由家属凭处方代购。",
            applied_by=users["hy_manager"],
        )
        RetentionEvent.objects.create(
            retention=retention,
            new_status=RetentionStatus.APPLIED,
            actor=users["hy_manager"],
            rule_id="HY-E08",
        )
