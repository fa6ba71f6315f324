"""Reads about patients, filings and enrolments; also what dispensing asks (HY-G06, HY-G08)."""

from __future__ import annotations

from calendar import monthrange
from datetime import date

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, OrganisationKind, Region, Role, User
from accounts.principal import Principal
from accounts.selectors import region_ids_for_principal
from core.crypto import blind_index
from core.errors import RuleViolation
from patients.models import (
    CardRetention,
    ChoiceStatus,
    Enrolment,
    EnrolmentStatus,
    Filing,
    FilingStatus,
    HospitalProfile,
    HospitalStay,
    InstitutionChoice,
    Patient,
    ProxyAuthorisation,
    ProxyMethod,
    Roster,
)
from programmes.models import Disease, InsuredType, Programme
from programmes.selectors import programmes_for_principal

# Roles that see a patient's full resident ID (each reveal is audited).
ID_REVEAL_ROLES = frozenset({Role.WINDOW_CLERK, Role.BENEFITS_OFFICER})


def filing_round_open(*, programme: Programme, on: date) -> bool:
    """HY-G04: normal filings are lodged only in the programme's filing months."""
    return on.month in (programme.filing_months or [])


def next_filing_round(*, programme: Programme, on: date) -> tuple[date, date] | None:
    """The first and last day of the current or next filing month (HY-G04)."""
    months = sorted(programme.filing_months or [])
    if not months:
        return None
    for year in (on.year, on.year + 1):
        for month in months:
            last = date(year, month, monthrange(year, month)[1])
            if last >= on:
                return date(year, month, 1), last
    return None


def filing_programme_for(principal: Principal) -> Programme | None:
    """The 特门 programme filed under in the principal's region: the first programme covering
    it that has diseases to file for (HY-G01). None where no such programme applies."""
    return programmes_for_principal(principal).filter(diseases__is_active=True).first()


def filing_programmes() -> QuerySet[Programme]:
    """Every programme with diseases to file for (the public page's policy notes)."""
    return Programme.objects.filter(
        pk__in=Disease.objects.filter(is_active=True).values("programme")
    ).order_by("code")


def patient_by_resident_id(resident_id: str) -> Patient | None:
    return Patient.objects.filter(resident_id_index=blind_index(resident_id)).first()


def _region_and_ancestors(organisation: Organisation) -> list[int]:
    """An institution is covered by the programmes of its region and of the regions above it."""
    ids: list[int] = []
    region: Region | None = organisation.region
    while region is not None:
        ids.append(region.pk)
        region = region.parent
    return ids


def stay_patients_for(hospital: Organisation) -> QuerySet[Patient]:
    """HY-G08: the patients a hospital may record a stay for — enrolled (active) in a programme
    that covers the hospital's region. Everyone else is "no such patient here", whatever the
    reason (unknown ID, another region, not enrolled)."""
    return Patient.objects.filter(
        pk__in=Enrolment.objects.filter(
            status=EnrolmentStatus.ACTIVE,
            disease__programme__regions__in=_region_and_ancestors(hospital),
        ).values("patient_id")
    )


def patient_for_stay(*, hospital: Organisation, resident_id: str) -> Patient | None:
    """The patient of `stay_patients_for(hospital)` with this resident ID, or None."""
    return stay_patients_for(hospital).filter(resident_id_index=blind_index(resident_id)).first()


# A patient who chose an institution (or whose institution was revoked and must choose
# again) is that institution's patient.
CHOSEN_STATUSES = (ChoiceStatus.ACTIVE, ChoiceStatus.REVOKED_INSTITUTION)


def choices_of_patients_of(organisation: Organisation) -> QuerySet[InstitutionChoice]:
    """The choices that make patients `organisation`'s (filter by enrolment__patient): the
    pharmacy's part of `patients_for_principal`, for an EXISTS on one patient."""
    return InstitutionChoice.objects.filter(organisation=organisation, status__in=CHOSEN_STATUSES)


def outpatient_person(*, programme: Programme, resident_id: str) -> Patient | None:
    """An insured person of the programme's regions, found by the full resident ID (GY-PT
    general outpatient: no filing or enrolment; whether covered is `outpatient_assert_covered`)."""
    return (
        Patient.objects.filter(
            resident_id_index=blind_index(resident_id),
            region__in=programme.regions.values("pk"),
        )
        .select_related("region")
        .first()
    )


def outpatient_assert_covered(*, patient: Patient, programme: Programme) -> None:
    """GY-D01 (the programme's scope): general-outpatient benefits at a pharmacy are for the
    programme's insured types only — in Guiyang–Gui'an employees (职工医保); a resident-insured
    (居民) person pays in cash outside the cover."""
    if patient.insured_type not in (programme.outpatient_insured_types or []):
        covered = "、".join(
            str(InsuredType(t).label) for t in programme.outpatient_insured_types or []
        )
        raise RuleViolation(
            "GY-D01",
            _(
                "%(name)s 为%(type)s参保人员，“%(programme)s”只保障%(covered)s参保人员，"
                "不能按普通门诊待遇结算。"
            )
            % {
                "name": patient.name,
                "type": patient.get_insured_type_display(),
                "programme": programme.short_name,
                "covered": covered or _("（未设置）"),
            },
        )


def patients_for_principal(principal: Principal) -> QuerySet[Patient]:
    """Bureau: its region; windows: patients who filed there or are reviewed there;
    pharmacies and hospitals: also patients who chose them."""
    qs = Patient.objects.select_related("region")
    if principal.is_bureau:
        return qs.filter(region_id__in=region_ids_for_principal(principal))
    org = principal.organisation
    chose = Q(
        enrolments__choices__organisation=org,
        enrolments__choices__status__in=CHOSEN_STATUSES,
    )
    if org.kind == OrganisationKind.PHARMACY:
        return qs.filter(chose).distinct()
    filed = Q(filings__window=org) | Q(filings__reviewing_hospital=org)
    # Access that came from a stay ends with it: after discharge the hospital no longer sees
    # the patient's record through the stay (one join: the same stay row must match both).
    in_stay = Q(stays__hospital=org, stays__discharged_on__isnull=True)
    return qs.filter(filed | chose | in_stay).distinct()


def filings_for_principal(principal: Principal) -> QuerySet[Filing]:
    qs = Filing.objects.select_related(
        "patient", "disease", "window", "reviewing_hospital", "expert", "roster"
    )
    if principal.is_bureau:
        qs = qs.filter(patient__region_id__in=region_ids_for_principal(principal))
        if principal.has_role(Role.EXPERT_REVIEWER) and principal.user is not None:
            qs = qs.filter(expert=principal.user)
        return qs
    org = principal.organisation
    if org.kind == OrganisationKind.PHARMACY:
        return qs.none()
    return qs.filter(Q(window=org) | Q(reviewing_hospital=org))


def rosters_for_principal(principal: Principal) -> QuerySet[Roster]:
    qs = Roster.objects.select_related("hospital", "submitted_by")
    if principal.is_bureau:
        return qs.filter(hospital__region_id__in=region_ids_for_principal(principal))
    return qs.filter(hospital=principal.organisation)


def enrolments_for_patient(patient: Patient) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(patient=patient)
        .select_related("disease")
        .prefetch_related("choices__organisation")
    )


def enrolment_for(patient: Patient, disease: Disease) -> Enrolment | None:
    """The patient's active enrolment for the disease (start date: `.starts_on`)."""
    return (
        Enrolment.objects.filter(patient=patient, disease=disease, status=EnrolmentStatus.ACTIVE)
        .order_by()  # at most one (unique index); no join for the default ordering
        .first()
    )


def _choice_settles_on(on: date) -> Q:
    """HY-G05/HY-G06: a choice lets the patient settle on `on` when it is active, when its
    institution was revoked but the transition has not ended (and the move has not taken
    effect), or when it was replaced by a choice that starts later."""
    revoked = (
        Q(status=ChoiceStatus.REVOKED_INSTITUTION)
        & (Q(settle_until__isnull=True) | Q(settle_until__gte=on))
        & (Q(revoked_from__isnull=True) | Q(revoked_from__gt=on))
    )
    return Q(chosen_on__lte=on) & (
        Q(status=ChoiceStatus.ACTIVE) | revoked | Q(status=ChoiceStatus.ENDED, ended_on__gt=on)
    )


def settling_choices(*, organisation: Organisation, on: date) -> QuerySet[InstitutionChoice]:
    """Choices of `organisation` that let their patient settle there on `on` (filter further
    by enrolment)."""
    return InstitutionChoice.objects.filter(_choice_settles_on(on), organisation=organisation)


def patient_may_settle_at(
    *, patient: Patient, disease: Disease, organisation: Organisation, on: date
) -> bool:
    """HY-G05/HY-G06/HY-G07: benefits started, enrolment active, and `organisation` is a
    place the patient may settle on `on` — a revoked institution only until its transition
    ends and only while the patient has not moved."""
    return (
        settling_choices(organisation=organisation, on=on)
        .filter(
            enrolment__patient=patient,
            enrolment__disease=disease,
            enrolment__status=EnrolmentStatus.ACTIVE,
            enrolment__starts_on__lte=on,
        )
        .exists()
    )


def hospital_stays_on(*, patient: Patient, on: date) -> QuerySet[HospitalStay]:
    """HY-G08: stays admitted on or before `on` and not discharged before it (the discharge
    day itself is free: the patient leaves hospital that day)."""
    return HospitalStay.objects.filter(patient=patient, admitted_on__lte=on).filter(
        Q(discharged_on__isnull=True) | Q(discharged_on__gt=on)
    )


def patient_hospitalised_on(*, patient: Patient, on: date) -> bool:
    """HY-G08: the patient is in hospital on `on`."""
    return hospital_stays_on(patient=patient, on=on).exists()


def proxy_authorised(*, patient: Patient, proxy_resident_id: str, on: date) -> bool:
    """HY-G09: the person buying holds a valid proxy authorisation for the patient."""
    return (
        ProxyAuthorisation.objects.filter(
            patient=patient,
            method=ProxyMethod.PROXY,
            proxy_resident_id_index=blind_index(proxy_resident_id),
            valid_from__lte=on,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .exists()
    )


def expert_hospitals() -> QuerySet[Organisation]:
    """HY-F01: hospitals that may do the preliminary review."""
    return Organisation.objects.filter(
        kind=OrganisationKind.HOSPITAL, is_active=True, tm_profile__has_expert_qualification=True
    ).order_by("name")


def experts_for_principal(principal: Principal) -> QuerySet[User]:
    memberships = Membership.objects.filter(
        role=Role.EXPERT_REVIEWER,
        is_active=True,
        organisation__region_id__in=region_ids_for_principal(principal),
    )
    return User.objects.filter(pk__in=memberships.values("user_id"), is_active=True).order_by(
        "username"
    )


def public_hospitals() -> QuerySet[HospitalProfile]:
    return HospitalProfile.objects.filter(organisation__is_active=True).select_related(
        "organisation", "organisation__region"
    )


def retentions_for_principal(principal: Principal) -> QuerySet[CardRetention]:
    qs = CardRetention.objects.select_related("patient", "pharmacy")
    if principal.is_bureau:
        return qs.filter(pharmacy__region_id__in=region_ids_for_principal(principal))
    return qs.filter(pharmacy=principal.organisation)


def open_filing_statuses() -> list[str]:
    return [
        FilingStatus.LODGED,
        FilingStatus.PRELIMINARY_PASSED,
        FilingStatus.ROSTERED,
        FilingStatus.ASSIGNED,
    ]
