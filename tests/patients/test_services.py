"""Patient filings, enrolment and transitions: each owned rule allowed and refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from accounts.models import OrganisationKind, Role
from core.errors import DomainError, RuleViolation, TransitionNotAllowed
from core.models import Notification
from patients.models import (
    ChoiceStatus,
    EnrolmentStatus,
    FilingEvent,
    FilingStatus,
    ProxyGround,
    ProxyMethod,
    ResidentIdReveal,
    RetentionStatus,
)
from patients.selectors import (
    enrolment_for,
    next_filing_round,
    patient_hospitalised_on,
    patient_may_settle_at,
    proxy_authorised,
)
from patients.services import (
    enrolment_choose_institution,
    filing_decide_immediately,
    filing_lodge,
    filing_preliminary_review,
    patient_reveal_resident_id,
    proxy_authorise,
    retention_apply,
    retention_decide,
    retention_record_retained,
    retention_record_returned,
    roster_submit,
    stay_discharge,
    stay_record,
)
from patients.tasks import institution_revoked
from programmes.models import Programme
from tests.factories import member
from tests.factories.patients import (
    ALL_MATERIALS,
    bureau,
    clerk,
    county_window,
    disease,
    enrol,
    hospital,
    lodge,
    org,
    patient,
    pharmacy_org,
    resident_id,
    township_window,
)

pytestmark = pytest.mark.django_db
APRIL = "2027-04-12 10:00 +0800"
NOVEMBER = "2026-11-24 10:00 +0800"


def test_hy_g04_normal_disease_lodged_in_april_round_and_refused_in_november() -> None:
    p = patient()
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(p)
    assert filing.status == FilingStatus.LODGED and filing.round_label == "2027-04"
    other = patient(2, name="李秀英")
    with time_machine.travel(NOVEMBER, tick=False), pytest.raises(RuleViolation) as refused:
        lodge(other)
    assert refused.value.rule_id == "HY-G04"
    assert "2027-04-01 至 2027-04-30" in str(refused.value)


def test_hy_g04_october_round_open_and_next_round_dates() -> None:
    hy = Programme.objects.get(code="HY-TM")
    assert next_filing_round(programme=hy, on=date(2026, 11, 24)) == (
        date(2027, 4, 1),
        date(2027, 4, 30),
    )
    assert next_filing_round(programme=hy, on=date(2027, 5, 2)) == (
        date(2027, 10, 1),
        date(2027, 10, 31),
    )
    with time_machine.travel("2027-10-31 16:00 +0800", tick=False):
        assert lodge(patient()).round_label == "2027-10"
    with time_machine.travel("2027-11-01 09:00 +0800", tick=False), pytest.raises(RuleViolation):
        lodge(patient(2))


def test_hy_g04_immediate_disease_at_county_centre_any_day_decided_at_once() -> None:
    p = patient()
    window = county_window()
    officer = clerk(window)
    with time_machine.travel(NOVEMBER, tick=False):
        filing = filing_lodge(
            patient=p,
            disease=disease("TM001"),
            window=window,
            records_hospital="衡阳县人民医院",
            records_hospital_level="3",
            materials_received=ALL_MATERIALS,
            actor=officer,
        )
        decided = filing_decide_immediately(
            filing=filing, approve=True, actor=officer, organisation=window
        )
    assert decided.status == FilingStatus.APPROVED
    enrolment = enrolment_for(p, disease("TM001"))
    assert enrolment is not None and enrolment.starts_on == date(2026, 11, 24)


def test_hy_g04_immediate_disease_refused_at_hospital_window_and_normal_not_immediate() -> None:
    with time_machine.travel(APRIL, tick=False):
        with pytest.raises(RuleViolation) as refused:
            lodge(patient(), code="TM003")
        assert refused.value.rule_id == "HY-G04"
        filing = lodge(patient(2), at=county_window())
        with pytest.raises(RuleViolation) as not_immediate:
            filing_decide_immediately(
                filing=filing,
                approve=True,
                actor=clerk(county_window()),
                organisation=county_window(),
            )
    assert not_immediate.value.rule_id == "HY-G04"


def test_hy_g01_eligibility_by_insured_type() -> None:
    d = disease("TM105")
    d.eligible_insured_types = ["employee"]
    d.save()
    with time_machine.travel(APRIL, tick=False):
        assert lodge(patient(1), code="TM105").status == FilingStatus.LODGED
        with pytest.raises(RuleViolation) as refused:
            lodge(patient(2, insured_type="resident"), code="TM105")
    assert refused.value.rule_id == "HY-G01"


def test_hy_g02_materials_complete_and_from_level_ii_hospital() -> None:
    h = hospital()
    kwargs: dict[str, Any] = {
        "disease": disease(),
        "window": h,
        "records_hospital": "某卫生院",
        "actor": clerk(h),
        "reviewing_hospital": h,
    }
    with time_machine.travel(APRIL, tick=False):
        with pytest.raises(RuleViolation) as missing:
            filing_lodge(
                patient=patient(1),
                records_hospital_level="2",
                materials_received=ALL_MATERIALS[:-1],
                **kwargs,
            )
        with pytest.raises(RuleViolation) as level:
            filing_lodge(
                patient=patient(1),
                records_hospital_level="1",
                materials_received=ALL_MATERIALS,
                **kwargs,
            )
        ok = filing_lodge(
            patient=patient(1),
            records_hospital_level="2",
            materials_received=ALL_MATERIALS,
            **kwargs,
        )
    assert missing.value.rule_id == level.value.rule_id == "HY-G02"
    assert "社保卡复印件" in str(missing.value)
    assert ok.status == FilingStatus.LODGED


def test_hy_g03_windows_township_hospital_and_county_but_not_pharmacy_or_level_i() -> None:
    pharmacy = pharmacy_org("衡阳县康民大药房")
    clinic = org(OrganisationKind.HOSPITAL, "某乡镇卫生院", "1")
    with time_machine.travel(APRIL, tick=False):
        assert lodge(patient(1), at=township_window()).reviewing_hospital == hospital()
        assert lodge(patient(2), at=hospital()).window == hospital()
        assert lodge(patient(3), at=county_window()).status == FilingStatus.LODGED
        for n, window in ((4, pharmacy), (5, clinic)):
            with pytest.raises(RuleViolation) as refused:
                lodge(
                    patient(n), at=window, by=member(Role.PHARMACY_MANAGER, organisation=pharmacy)
                )
            assert refused.value.rule_id == "HY-G03"


def test_hy_f01_preliminary_review_by_the_reviewing_hospital_then_roster() -> None:
    h = hospital()
    other = hospital("衡阳县中医医院")
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient(), at=township_window())
        with pytest.raises(RuleViolation) as refused:
            filing_preliminary_review(
                filing=filing, passed=True, reason="", actor=clerk(other), organisation=other
            )
        assert refused.value.rule_id == "HY-F01"
        reviewer = clerk(h)
        filing_preliminary_review(
            filing=filing, passed=True, reason="", actor=reviewer, organisation=h
        )
        officer = member(Role.BENEFITS_OFFICER, organisation=bureau())
        with django_capture_on_commit():
            roster = roster_submit(hospital=h, actor=reviewer)
        with pytest.raises(DomainError):
            roster_submit(hospital=h, actor=reviewer)
    filing.refresh_from_db()
    assert filing.status == FilingStatus.ROSTERED and filing.roster == roster
    assert Notification.objects.filter(recipient=officer, rule_id="HY-F01").exists()


def django_capture_on_commit() -> Any:
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_hy_f01_township_filing_needs_an_expert_qualified_hospital() -> None:
    unqualified = org(OrganisationKind.HOSPITAL, "衡阳县第二人民医院", "2")
    window = township_window()
    with time_machine.travel(APRIL, tick=False), pytest.raises(RuleViolation) as refused:
        filing_lodge(
            patient=patient(),
            disease=disease(),
            window=window,
            records_hospital="x",
            records_hospital_level="2",
            materials_received=ALL_MATERIALS,
            actor=clerk(window),
            reviewing_hospital=unqualified,
        )
    assert refused.value.rule_id == "HY-F01"


def test_expert_review_every_decision_is_an_event_and_rejection_needs_reason() -> None:
    with time_machine.travel(APRIL, tick=False):
        enrolment = enrol(patient())
    events = list(
        FilingEvent.objects.filter(filing=enrolment.filing).values_list("new_status", flat=True)
    )
    assert events == ["lodged", "preliminary_passed", "rostered", "assigned", "approved"]
    assert enrolment.status == EnrolmentStatus.ACTIVE
    assert enrolment.starts_on == date(2027, 5, 1)


def test_preliminary_rejection_is_final() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient())
        with pytest.raises(DomainError) as refused_on:
            filing_preliminary_review(
                filing=filing, passed=False, reason=" ", actor=clerk(h), organisation=h
            )
        assert refused_on.value.field == "reason"
        filing_preliminary_review(
            filing=filing, passed=False, reason="资料不符", actor=clerk(h), organisation=h
        )
        with pytest.raises(TransitionNotAllowed):
            filing_preliminary_review(
                filing=filing, passed=True, reason="", actor=clerk(h), organisation=h
            )


def test_hy_g05_choose_pharmacy_or_outside_institution_not_a_window() -> None:
    pharmacy = pharmacy_org("衡阳县康民大药房")
    with time_machine.travel(APRIL, tick=False):
        enrolment = enrol(patient())
        actor = clerk(hospital())
        choice = enrolment_choose_institution(
            enrolment=enrolment, organisation=pharmacy, actor=actor
        )
        outside = enrolment_choose_institution(
            enrolment=enrolment, outside_institution="长沙市某定点医院", actor=actor
        )
        with pytest.raises(RuleViolation) as refused:
            enrolment_choose_institution(
                enrolment=enrolment, organisation=township_window(), actor=actor
            )
    assert refused.value.rule_id == "HY-G05"
    assert choice.status == outside.status == ChoiceStatus.ACTIVE


def test_hy_g06_revoked_pharmacy_transition_on_31_december_and_1_january() -> None:
    old = pharmacy_org("衡阳县康民大药房")
    new = pharmacy_org("衡阳县仁心药店")
    with time_machine.travel(APRIL, tick=False):
        stays = enrol(patient(1, name="王建华"))
        moves = enrol(patient(2, name="李秀英"))
        actor = clerk(hospital())
        for e in (stays, moves):
            enrolment_choose_institution(enrolment=e, organisation=old, actor=actor)
    window_clerk = clerk(hospital(), username="window_clerk_x")
    with time_machine.travel("2027-11-20 10:00 +0800", tick=False), django_capture_on_commit():
        count = institution_revoked(
            organisation_id=old.pk,
            programme_code="HY-TM",
            settle_until="2027-12-31",
            effective_from="2028-01-04",
        )
        again = institution_revoked(
            organisation_id=old.pk,
            programme_code="HY-TM",
            settle_until="2027-12-31",
            effective_from="2028-01-04",
        )
    assert (count, again) == (2, 0)
    assert Notification.objects.filter(recipient=window_clerk, rule_id="HY-G06").count() == 1
    with time_machine.travel("2027-12-01 10:00 +0800", tick=False):
        enrolment_choose_institution(enrolment=moves, organisation=new, actor=actor)
    d = disease()
    p1, p2 = stays.patient, moves.patient
    assert patient_may_settle_at(patient=p1, disease=d, organisation=old, on=date(2027, 12, 31))
    assert not patient_may_settle_at(patient=p1, disease=d, organisation=old, on=date(2028, 1, 1))
    assert not patient_may_settle_at(patient=p1, disease=d, organisation=new, on=date(2027, 12, 31))
    assert not patient_may_settle_at(patient=p2, disease=d, organisation=old, on=date(2027, 12, 2))
    assert patient_may_settle_at(patient=p2, disease=d, organisation=new, on=date(2027, 12, 2))
    assert patient_may_settle_at(patient=p2, disease=d, organisation=new, on=date(2028, 1, 4))


def test_hy_g06_holiday_effective_date_blocks_old_institution_from_that_day() -> None:
    pharmacy = pharmacy_org("衡阳县康民大药房")
    with time_machine.travel(APRIL, tick=False):
        e = enrol(patient())
        enrolment_choose_institution(enrolment=e, organisation=pharmacy, actor=clerk(hospital()))
    institution_revoked(
        organisation_id=pharmacy.pk,
        programme_code="HY-TM",
        settle_until="2028-01-02",
        effective_from="2028-01-03",
    )
    d = disease()
    assert patient_may_settle_at(
        patient=e.patient, disease=d, organisation=pharmacy, on=date(2028, 1, 2)
    )
    assert not patient_may_settle_at(
        patient=e.patient, disease=d, organisation=pharmacy, on=date(2028, 1, 3)
    )


def test_settle_selector_refuses_before_benefit_start() -> None:
    pharmacy = pharmacy_org("衡阳县康民大药房")
    with time_machine.travel(APRIL, tick=False):
        e = enrol(patient(), starts_on=date(2027, 5, 1))
        enrolment_choose_institution(enrolment=e, organisation=pharmacy, actor=clerk(hospital()))
    d = disease()
    assert not patient_may_settle_at(
        patient=e.patient, disease=d, organisation=pharmacy, on=date(2027, 4, 30)
    )
    assert patient_may_settle_at(
        patient=e.patient, disease=d, organisation=pharmacy, on=date(2027, 5, 1)
    )


def test_hy_g08_hospital_stay_blocks_until_discharge() -> None:
    with time_machine.travel(APRIL, tick=False):
        p = enrol(patient()).patient
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        stay = stay_record(patient=p, hospital=h, admitted_on=date(2027, 3, 1), actor=clerk(h))
        with pytest.raises(DomainError):
            stay_record(patient=p, hospital=h, admitted_on=date(2027, 3, 2), actor=None)
        stay_discharge(stay=stay, hospital=h, discharged_on=date(2027, 3, 10), actor=None)
    assert not patient_hospitalised_on(patient=p, on=date(2027, 2, 28))
    assert patient_hospitalised_on(patient=p, on=date(2027, 3, 5))
    assert patient_hospitalised_on(patient=p, on=date(2027, 3, 9))
    assert not patient_hospitalised_on(patient=p, on=date(2027, 3, 10))


def test_hy_e08_card_retained_only_after_centre_approval_and_returned() -> None:
    pharmacy = pharmacy_org("衡阳县康民大药房")
    manager = member(Role.PHARMACY_MANAGER, organisation=pharmacy)
    centre = org(OrganisationKind.CENTRE, "衡阳县医疗保障事务中心")
    reviewer = member(Role.BUREAU_REVIEWER, organisation=centre)
    p = patient()
    with pytest.raises(RuleViolation) as no_text:
        retention_apply(
            patient=p,
            pharmacy=pharmacy,
            reason_category="immobile",
            application_text=" ",
            actor=manager,
        )
    assert no_text.value.rule_id == "HY-E08"
    retention = retention_apply(
        patient=p,
        pharmacy=pharmacy,
        reason_category="immobile",
        application_text="本人行动不便，申请留存社保卡。",
        actor=manager,
    )
    with pytest.raises(RuleViolation) as early:
        retention_record_retained(retention=retention, on=date(2027, 1, 5), actor=manager)
    assert early.value.rule_id == "HY-E08"
    retention_decide(retention=retention, approve=True, actor=reviewer)
    retention_record_retained(retention=retention, on=date(2027, 1, 5), actor=manager)
    done = retention_record_returned(retention=retention, on=date(2027, 3, 5), actor=manager)
    assert done.status == RetentionStatus.RETURNED and done.retained_on == date(2027, 1, 5)
    refused = retention_apply(
        patient=p,
        pharmacy=pharmacy,
        reason_category="away_no_network",
        application_text="长期在外地",
        actor=manager,
    )
    retention_decide(retention=refused, approve=False, actor=reviewer, reason="已开通联网结算")
    with pytest.raises(RuleViolation):
        retention_record_retained(retention=refused, on=date(2027, 1, 5), actor=manager)


def test_hy_g09_proxy_only_for_bedridden_or_special_category_with_identity() -> None:
    window = county_window()
    actor = clerk(window)
    normal = patient(1)
    common: dict[str, Any] = {
        "actor": actor,
        "organisation": window,
        "valid_from": date(2026, 11, 1),
    }
    with pytest.raises(RuleViolation) as not_special:
        proxy_authorise(
            patient=normal,
            ground=ProxyGround.SPECIAL_CATEGORY,
            method=ProxyMethod.PROXY,
            proxy_name="王小明",
            proxy_resident_id=resident_id(50),
            **common,
        )
    assert not_special.value.rule_id == "HY-G09"
    with pytest.raises(RuleViolation) as no_identity:
        proxy_authorise(
            patient=normal,
            ground=ProxyGround.BEDRIDDEN,
            method=ProxyMethod.PROXY,
            proxy_name="王小明",
            **common,
        )
    assert no_identity.value.rule_id == "HY-G09"
    proxy_authorise(
        patient=normal,
        ground=ProxyGround.BEDRIDDEN,
        method=ProxyMethod.PROXY,
        proxy_name="王小明",
        proxy_resident_id=resident_id(50),
        **common,
    )
    assert proxy_authorised(
        patient=normal, proxy_resident_id=resident_id(50), on=date(2026, 11, 24)
    )
    assert not proxy_authorised(
        patient=normal, proxy_resident_id=resident_id(51), on=date(2026, 11, 24)
    )
    special = patient(2)
    with time_machine.travel(NOVEMBER, tick=False):
        f = filing_lodge(
            patient=special,
            disease=disease("TM004"),
            window=window,
            records_hospital="x",
            records_hospital_level="2",
            materials_received=ALL_MATERIALS,
            actor=actor,
        )
        filing_decide_immediately(filing=f, approve=True, actor=actor, organisation=window)
    auth = proxy_authorise(
        patient=special,
        ground=ProxyGround.SPECIAL_CATEGORY,
        method=ProxyMethod.POST,
        postal_address="西渡镇某村",
        **common,
    )
    assert auth.method == ProxyMethod.POST


def test_resident_id_reveal_is_audited_and_only_for_roles_that_need_it() -> None:
    p = patient()
    window = county_window()
    actor = clerk(window)
    assert (
        patient_reveal_resident_id(
            patient=p, actor=actor, organisation=window, role=Role.WINDOW_CLERK, reason="核对"
        )
        == p.resident_id
    )
    assert ResidentIdReveal.objects.filter(patient=p, actor=actor).count() == 1
    with pytest.raises(DomainError):
        patient_reveal_resident_id(
            patient=p, actor=actor, organisation=window, role=Role.PHARMACIST, reason="核对"
        )
    with pytest.raises(DomainError):  # a reveal needs a reason
        patient_reveal_resident_id(
            patient=p, actor=actor, organisation=window, role=Role.WINDOW_CLERK, reason="  "
        )
    assert ResidentIdReveal.objects.filter(patient=p, actor=actor).count() == 1
    assert p.masked_id.startswith("430421") and "*" in p.masked_id


def test_one_open_filing_per_patient_and_disease() -> None:
    p = patient()
    with time_machine.travel(APRIL, tick=False):
        lodge(p)
        with pytest.raises(DomainError):
            lodge(p, at=township_window())


def test_enrolment_end_stops_settlement_and_is_final() -> None:
    from patients.services import enrolment_end

    pharmacy = pharmacy_org("衡阳县康民大药房")
    with time_machine.travel(APRIL, tick=False):
        e = enrol(patient())
        actor = clerk(hospital())
        enrolment_choose_institution(enrolment=e, organisation=pharmacy, actor=actor)
        with pytest.raises(DomainError) as refused_on:
            enrolment_end(enrolment=e, ended_on=date(2027, 6, 30), reason="", actor=actor)
        assert refused_on.value.field == "reason"
        enrolment_end(enrolment=e, ended_on=date(2027, 6, 30), reason="迁出本县", actor=actor)
        with pytest.raises(TransitionNotAllowed):
            enrolment_end(enrolment=e, ended_on=date(2027, 7, 1), reason="重复", actor=actor)
    d = disease()
    assert enrolment_for(e.patient, d) is None
    assert not patient_may_settle_at(
        patient=e.patient, disease=d, organisation=pharmacy, on=date(2027, 7, 1)
    )


def test_hy_h01_no_filing_after_the_programme_expires() -> None:
    with time_machine.travel("2029-04-10 10:00 +0800", tick=False):
        assert lodge(patient(1)).status == FilingStatus.LODGED
    with (
        time_machine.travel("2029-10-10 10:00 +0800", tick=False),
        pytest.raises(RuleViolation) as refused,
    ):
        lodge(patient(2))
    assert refused.value.rule_id == "HY-H01"


def test_hy_g09_proxy_authorisation_keeps_history_naming_who_recorded_it() -> None:
    window = county_window()
    actor = clerk(window)
    proxy = proxy_authorise(
        patient=patient(1),
        ground=ProxyGround.BEDRIDDEN,
        method=ProxyMethod.PROXY,
        proxy_name="王小明",
        proxy_resident_id=resident_id(50),
        actor=actor,
        organisation=window,
        valid_from=date(2026, 11, 1),
    )
    record = proxy.history.get()
    assert record.history_type == "+" and record.history_user == actor
