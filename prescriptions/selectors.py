"""Reads of prescriptions and dispensings: quota status, scoped lists, archive, statements."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from accounts.principal import Principal
from accounts.selectors import region_ids_for_principal
from accreditation.selectors import (
    pharmacy_may_settle,
    programmes_settling_at,
    settling_designations,
)
from core.calendar import calendar_period
from core.crypto import blind_index
from core.errors import RuleViolation
from core.prepared import PreparedQuery, partial_instance, sentinel_date, sentinel_id, sentinel_text
from inventory.models import DiseaseDrug, Drug, ItemCategory, PriceCap
from patients.models import Enrolment, EnrolmentStatus, Patient
from patients.selectors import (
    choices_of_patients_of,
    hospital_stays_on,
    outpatient_assert_covered,
    outpatient_person,
    patients_for_principal,
    settling_choices,
)
from pharmacies.models import Pharmacy
from prescriptions.models import (
    Dispensing,
    DispensingStatus,
    Prescription,
    PrescriptionItem,
    PrescriptionSource,
    QuotaAccount,
)
from programmes.models import DiseaseStandard, PeriodUnit, Programme
from programmes.selectors import standard_in_force, standards_in_force


def quota_period_bounds(*, programme: Programme, on: date) -> tuple[date, date]:
    """The month or calendar quarter (programme's quota period, HY-G07) containing `on`."""
    return calendar_period(on, PeriodUnit(programme.quota_period).months)


def quota_and_standard(
    *, enrolment: Enrolment, start: date, end: date
) -> tuple[Decimal, DiseaseStandard | None]:
    """HY-G07: the disease's monthly standard × the months of the period since the benefit
    start (the start month counts); a whole quarter uses the quarterly standard when set. The
    standard is the reference version in force on the period's first day (a version effective
    mid-period applies from the next period), returned so the account can keep it."""
    standard = standard_in_force(disease_id=enrolment.disease_id, on=start)
    first = max(start, enrolment.starts_on.replace(day=1))
    if standard is None or first > end:
        return Decimal("0.00"), standard
    months = (end.year - first.year) * 12 + end.month - first.month + 1
    whole = (end.year - start.year) * 12 + end.month - start.month + 1
    monthly, quarterly = standard.monthly_standard, standard.quarterly_standard
    if months == whole and whole == 3 and quarterly is not None:
        return quarterly, standard
    if monthly is not None:
        return (monthly * months).quantize(Decimal("0.01")), standard
    if quarterly is not None:
        return (quarterly * months / 3).quantize(Decimal("0.01")), standard
    return Decimal("0.00"), standard


@dataclass(frozen=True)
class QuotaStatus:
    period_start: date
    period_end: date
    quota: Decimal
    used: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.quota - self.used


def quota_status(*, enrolment: Enrolment, on: date) -> QuotaStatus:
    """What the patient may still use this period (nothing carried over, HY-G07)."""
    start, end = quota_period_bounds(programme=enrolment.disease.programme, on=on)
    account = QuotaAccount.objects.filter(enrolment=enrolment, period_start=start).first()
    if account is not None:
        return QuotaStatus(start, end, account.quota, account.used)
    quota, _standard = quota_and_standard(enrolment=enrolment, start=start, end=end)
    return QuotaStatus(start, end, quota, Decimal("0.00"))


def listed_prices(*, programme: Programme, on: date) -> QuerySet[PriceCap]:
    """HY-B02 / GY-C01: listed prices of the programme's basis in force on `on`, the newest
    first (filter by drug)."""
    return PriceCap.objects.filter(programme_id=programme.pk, effective_on__lte=on).order_by(
        "-effective_on", "-id"
    )


def price_cap_of(listed: Decimal | None, programme: Programme) -> Decimal | None:
    """The cap: the listed price lowered by the programme's discount."""
    if listed is None:
        return None
    return (listed * (100 - programme.price_discount_pct) / 100).quantize(Decimal("0.0001"))


def price_cap_for(*, drug_id: int, programme: Programme, on: date) -> Decimal | None:
    """HY-B02 / GY-C01: the listed price of the programme's basis in force on `on`, lowered
    by the programme's discount."""
    listed = (
        listed_prices(programme=programme, on=on)
        .filter(drug_id=drug_id)
        .values_list("price", flat=True)
        .first()
    )
    return price_cap_of(listed, programme)


def prescriber_memberships(*, physician_id: int, institution_id: int) -> QuerySet[Membership]:
    """GY-E02: the physician's active physician membership of the institution."""
    return Membership.objects.filter(
        user_id=physician_id, organisation_id=institution_id, role=Role.PHYSICIAN, is_active=True
    )


# Who may be named the pharmacist on duty for a POS call (the key's organisation).
COUNTER_ROLES = (Role.PHARMACIST, Role.PHARMACY_MANAGER)


def on_duty_memberships(*, organisation: Organisation, username: str) -> QuerySet[Membership]:
    """The active pharmacist (or manager) membership of `username` at the pharmacy."""
    return Membership.objects.filter(
        organisation=organisation,
        role__in=COUNTER_ROLES,
        is_active=True,
        user__username=username,
        user__is_active=True,
    )


@dataclass(frozen=True)
class CounterChecks:
    """What the counter checks about a sale before booking it, read in one query:
    designation (HY-C06), enrolment (HY-G07), chosen place (HY-G05/G06), hospital stay
    (HY-G08), prescriber (GY-E02), and an earlier sale under the same idempotency key."""

    done_id: int | None
    pharmacy_may_settle: bool
    enrolment: Enrolment | None
    patient_may_settle_here: bool
    hospitalised: bool
    prescriber_entitled: bool


@dataclass(frozen=True)
class CounterRead:
    """The prescription (with programme, patient, disease, institution), whether the pharmacy's
    counter may open it, the on-duty pharmacist named (None: not one of the pharmacy's), and
    the counter checks — one statement."""

    prescription: Prescription
    accessible: bool
    pharmacist: User | None
    checks: CounterChecks


def _counter_read_queryset(
    *,
    prescription_id: int,
    pharmacy_id: int,
    organisation_id: int,
    on: date,
    idempotency_key: str,
    pharmacist: str,
) -> QuerySet[Prescription]:
    """The counter's read of one prescription, each column the selector that answers it
    elsewhere, asked of this prescription's programme, patient, disease and prescriber."""
    pharmacy = Pharmacy(pk=pharmacy_id)
    organisation = Organisation(pk=organisation_id, kind=OrganisationKind.PHARMACY)
    counter = Principal(organisation=organisation)
    active = Enrolment.objects.filter(
        patient=OuterRef("patient_id"),
        disease=OuterRef("disease_id"),
        status=EnrolmentStatus.ACTIVE,
    ).order_by()  # at most one (unique index), as `enrolment_for`
    return (
        Prescription.objects.filter(pk=prescription_id)
        .select_related("programme", "patient", "disease", "institution")
        .order_by()
        .annotate(
            accessible=ExpressionWrapper(
                counter_access_q(counter, on) & counter_prescriptions_q(organisation.pk),
                BooleanField(),
            ),
            on_duty_id=Subquery(
                on_duty_memberships(organisation=organisation, username=pharmacist)
                .order_by()
                .values("user_id")[:1]
            ),
            done_id=Subquery(
                Dispensing.objects.filter(pharmacy=pharmacy, idempotency_key=idempotency_key)
                .order_by()
                .values("pk")[:1]
            ),
            designated=Exists(
                settling_designations(
                    pharmacy=pharmacy,
                    programme=cast(Programme, OuterRef("programme_id")),
                    on=on,
                )
            ),
            prescriber=Exists(
                prescriber_memberships(
                    physician_id=cast(int, OuterRef("physician_id")),
                    institution_id=cast(int, OuterRef("institution_id")),
                )
            ),
            enrolment_id=Subquery(active.values("pk")[:1]),
            enrolment_starts_on=Subquery(active.values("starts_on")[:1]),
            settles_here=Exists(
                settling_choices(organisation=organisation, on=on).filter(
                    enrolment__patient=OuterRef("patient_id"),
                    enrolment__disease=OuterRef("disease_id"),
                    enrolment__status=EnrolmentStatus.ACTIVE,
                )
            ),
            hospitalised=Exists(
                hospital_stays_on(patient=cast(Patient, OuterRef("patient_id")), on=on)
            ),
            fund_share_in_force=Subquery(
                standards_in_force(on=on)
                .filter(disease_id=OuterRef("disease_id"))
                .values("fund_share_pct")[:1]
            ),
        )
    )


# Compiled once per process (core.prepared): the ORM builds this SQL once, not per sale.
_COUNTER_READ = PreparedQuery(
    _counter_read_queryset,
    # No key: no earlier sale is found; no pharmacist named: none is on duty (= NULL).
    nullable=("idempotency_key", "pharmacist"),
    prescription_id=sentinel_id(1),
    pharmacy_id=sentinel_id(2),
    organisation_id=sentinel_id(3),
    on=sentinel_date(1),
    idempotency_key=sentinel_text("idempotency_key"),
    pharmacist=sentinel_text("pharmacist"),
)


def counter_read(
    *,
    pharmacy: Pharmacy,
    prescription_id: int,
    on: date,
    idempotency_key: str | None,
    pharmacist: str | None = None,
) -> CounterRead | None:
    """One statement for a sale at the counter: the prescription, the counter's access to it,
    the on-duty pharmacist and every check of `CounterChecks`. None: no such prescription."""
    rows = _COUNTER_READ.fetch(
        prescription_id=prescription_id,
        pharmacy_id=pharmacy.pk,
        organisation_id=pharmacy.organisation_id,
        on=on,
        idempotency_key=idempotency_key or None,
        pharmacist=pharmacist or None,
    )
    if not rows:
        return None
    row: Any = rows[0]
    prescription: Prescription = row
    if prescription.disease is not None and prescription.disease.programme_id == row.programme_id:
        prescription.disease.programme = prescription.programme  # same row: no second query
    if prescription.disease is not None:  # HY-G07: the sale's fund share, read with the rest
        share = row.fund_share_in_force
        prescription.disease.fund_share_on = (on, share if share is not None else Decimal("0"))  # type: ignore[attr-defined]
    enrolment = None
    if row.enrolment_id is not None:
        enrolment = partial_instance(
            Enrolment,
            id=row.enrolment_id,
            patient_id=row.patient_id,
            disease_id=row.disease_id,
            status=EnrolmentStatus.ACTIVE,
            starts_on=row.enrolment_starts_on,
        )
        enrolment.patient = prescription.patient
        enrolment.disease = prescription.disease  # type: ignore[assignment]
    institution = prescription.institution
    pharmacist_user = None
    if row.on_duty_id is not None:
        # The columns the sale writes (its id); any other field loads when asked for.
        pharmacist_user = partial_instance(
            User, id=row.on_duty_id, username=pharmacist, is_active=True
        )
    return CounterRead(
        prescription=prescription,
        accessible=bool(row.accessible),
        pharmacist=pharmacist_user,
        checks=CounterChecks(
            done_id=row.done_id,
            pharmacy_may_settle=row.designated,
            enrolment=enrolment,
            patient_may_settle_here=enrolment is not None and row.settles_here,
            hospitalised=enrolment is not None and row.hospitalised,
            prescriber_entitled=bool(
                row.prescriber
                and institution is not None
                and institution.kind == OrganisationKind.HOSPITAL
            ),
        ),
    )


def counter_checks(
    *, pharmacy: Pharmacy, prescription: Prescription, on: date, idempotency_key: str | None
) -> CounterChecks:
    """The checks of `counter_read` for a prescription already in hand (the counter page)."""
    read = counter_read(
        pharmacy=pharmacy, prescription_id=prescription.pk, on=on, idempotency_key=idempotency_key
    )
    if read is None:
        raise Prescription.DoesNotExist
    return read.checks


def _counter_items_queryset(
    *, prescription_id: int, disease_id: int, programme_id: int, on: date
) -> QuerySet[PrescriptionItem]:
    programme = Programme(pk=programme_id)
    return (
        PrescriptionItem.objects.filter(prescription_id=prescription_id)
        .select_related("drug")
        .annotate(
            in_scope=Exists(
                DiseaseDrug.objects.filter(disease_id=disease_id, drug=OuterRef("drug_id"))
            ),
            listed_price=Subquery(
                listed_prices(programme=programme, on=on)
                .filter(drug=OuterRef("drug_id"))
                .values("price")[:1]
            ),
        )
    )


_COUNTER_ITEMS = PreparedQuery(
    _counter_items_queryset,
    nullable=("disease_id",),  # no disease: no item is in scope (= NULL)
    prescription_id=sentinel_id(11),
    disease_id=sentinel_id(12),
    programme_id=sentinel_id(13),
    on=sentinel_date(2),
)


def counter_items(*, prescription: Prescription, on: date) -> list[Any]:
    """The prescription's items with their drug, `in_scope` (the drug is in the disease's
    scope; False without a disease) and `listed_price` (the programme's listed price in
    force on `on`, HY-B02 / GY-C01): one statement, compiled once per process."""
    items: list[Any] = _COUNTER_ITEMS.fetch(
        prescription_id=prescription.pk,
        disease_id=prescription.disease_id,
        programme_id=prescription.programme_id,
        on=on,
    )
    for item in items:
        item.prescription = prescription
    return items


def pharmacy_of(principal: Principal) -> Pharmacy | None:
    """The caller's pharmacy (an API key loads it with the key: no query then)."""
    try:
        pharmacy: Pharmacy = principal.organisation.pharmacy
    except Pharmacy.DoesNotExist:
        return None
    pharmacy.organisation = principal.organisation  # already loaded: no second query
    return pharmacy


def dispensings_for_principal(principal: Principal) -> QuerySet[Dispensing]:
    """A pharmacy its own; bureau staff their region's."""
    qs = Dispensing.objects.select_related(
        "patient",
        "disease",
        "pharmacy__organisation",
        "pharmacist",
        "prescription",
        "reviewing_pharmacist",
    )
    if principal.is_bureau:
        return qs.filter(pharmacy__organisation__region_id__in=region_ids_for_principal(principal))
    return qs.filter(pharmacy__organisation=principal.organisation)


def prescriptions_for_principal(principal: Principal) -> QuerySet[Prescription]:
    """Hospitals the ones they issued; pharmacies the ones recorded there or dispensed there;
    bureau staff their region's patients'."""
    qs = Prescription.objects.select_related("patient", "disease")
    if principal.is_bureau:
        return qs.filter(patient__region_id__in=region_ids_for_principal(principal))
    org = principal.organisation
    return qs.filter(
        Q(institution=org)
        | Q(recorded_at_pharmacy__organisation=org)
        | Q(dispensings__pharmacy__organisation=org)
    ).distinct()


def counter_prescriptions_q(pharmacy_organisation_id: int) -> Q:
    """What a pharmacy's counter may dispense: prescriptions issued in the portal and those
    recorded at this pharmacy (a paper or e-prescription recorded elsewhere is that
    pharmacy's)."""
    return Q(source=PrescriptionSource.PORTAL) | Q(
        recorded_at_pharmacy__organisation_id=pharmacy_organisation_id
    )


def open_prescriptions(
    *,
    patient: Patient,
    on: date,
    pharmacy: Pharmacy | None = None,
    outpatient: Programme | None = None,
) -> list[Prescription]:
    """The patient's prescriptions still valid on `on` with something left to dispense; with
    `pharmacy`, only the ones its counter may dispense; with `outpatient`, only that
    programme's general-outpatient ones (no disease)."""
    qs = Prescription.objects.filter(patient=patient, issued_on__lte=on)
    if pharmacy is not None:
        qs = qs.filter(counter_prescriptions_q(pharmacy.organisation_id))
    if outpatient is not None:
        qs = qs.filter(programme=outpatient, disease__isnull=True)
    candidates = (
        qs.select_related("disease")
        .prefetch_related("items__drug")
        .order_by("-issued_on", "-id")[:20]
    )
    return [
        p for p in candidates if p.valid_until >= on and any(i.remaining for i in p.items.all())
    ]


def prescription_list_for_principal(principal: Principal) -> QuerySet[Prescription]:
    """The list page: a hospital's issued prescriptions, a pharmacy's recorded or dispensed
    ones, with the items (what is left) in one more query."""
    return (
        prescriptions_for_principal(principal)
        .select_related("programme", "physician", "recorded_at_pharmacy__organisation")
        .prefetch_related("items__drug")
        .order_by("-issued_on", "-id")
    )


def outpatient_archive(*, patient: Patient, pharmacy: Pharmacy) -> dict[str, object]:
    """GY-A07: a patient's prescriptions, purchases, proxy records and delivery vouchers at
    one pharmacy."""
    dispensings = list(
        Dispensing.objects.filter(patient=patient, pharmacy=pharmacy)
        .select_related("prescription", "pharmacist", "delivery", "disease")
        .prefetch_related("lines__drug")
        .order_by("-dispensed_at")
    )
    prescriptions = list(
        Prescription.objects.filter(patient=patient)
        .filter(Q(recorded_at_pharmacy=pharmacy) | Q(dispensings__pharmacy=pharmacy))
        .distinct()
        .order_by("-issued_on")
    )
    return {
        "dispensings": dispensings,
        "prescriptions": prescriptions,
        "proxies": [d for d in dispensings if d.is_proxy],
        "deliveries": [d.delivery for d in dispensings if hasattr(d, "delivery")],
    }


# --- General outpatient at pharmacies (GY-PT): insured persons without a disease enrolment ---


def outpatient_programme_for_pharmacy(pharmacy: Pharmacy, on: date) -> Programme | None:
    """The general-outpatient programme (one with insured types covered, GY-PT) of the
    pharmacy's region that the pharmacy may settle on `on`; None for a 特门-only pharmacy."""
    candidates = Programme.objects.filter(regions=pharmacy.organisation.region_id).exclude(
        outpatient_insured_types=[]
    )
    for programme in candidates.order_by("code"):
        if pharmacy_may_settle(pharmacy=pharmacy, programme=programme, on=on):
            return programme
    return None


def outpatient_programme_for_region(region_id: int) -> Programme | None:
    """The general-outpatient programme covering a region (a hospital prescribes for it)."""
    return (
        Programme.objects.filter(regions=region_id)
        .exclude(outpatient_insured_types=[])
        .order_by("code")
        .first()
    )


def outpatient_drugs() -> QuerySet[Drug]:
    """What a general-outpatient prescription may name: active catalogue items that are drugs
    (medical devices and consumables are outside the cover, GY-C02)."""
    return Drug.objects.filter(is_active=True, category=ItemCategory.DRUG).order_by(
        "generic_name", "insurance_code"
    )


def _outpatient_programmes_at(principal: Principal, on: date) -> QuerySet[Programme]:
    """General-outpatient programmes (GY-PT) the caller's pharmacy may settle on `on`."""
    return Programme.objects.filter(
        pk__in=programmes_settling_at(organisation_id=principal.organisation.pk, on=on)
    ).exclude(outpatient_insured_types=[])


def counter_patients(principal: Principal, on: date) -> QuerySet[Patient]:
    """Whom a pharmacy's counter serves: 特门 patients who chose it and, at a pharmacy
    designated for general outpatient (GY-PT), the insured persons of that programme's
    regions (whether covered is checked when settling, GY-D01). One query."""
    regions = Programme.regions.through.objects.filter(
        programme__in=_outpatient_programmes_at(principal, on)
    ).values("region_id")
    return Patient.objects.filter(
        Q(pk__in=patients_for_principal(principal).values("pk")) | Q(region__in=regions)
    ).select_related("region")


def counter_access_q(principal: Principal, on: date) -> Q:
    """Prescriptions a pharmacy's counter may open: those of its 特门 patients, and the
    general-outpatient ones (no disease) of a programme it is designated for whose patient is
    insured in that programme's regions. Subqueries only: no extra round trip."""
    in_region = Programme.regions.through.objects.filter(
        programme_id=OuterRef("programme_id"), region_id=OuterRef("patient__region_id")
    )
    general = Q(
        Exists(in_region),
        disease__isnull=True,
        programme__in=_outpatient_programmes_at(principal, on),
    )
    if principal.organisation.kind == OrganisationKind.PHARMACY:
        # The same scope as patients_for_principal, asked of the one patient (an index
        # lookup, not the list of all the pharmacy's patients).
        chose = choices_of_patients_of(principal.organisation).filter(
            enrolment__patient=OuterRef("patient_id")
        )
        return Q(Exists(chose)) | general
    return Q(patient__in=patients_for_principal(principal).values("pk")) | general


@dataclass(frozen=True)
class OutpatientStatus:
    """A person's general-outpatient year so far (GY-D03), from the programme's parameters."""

    year: int
    spent: Decimal
    fund_paid: Decimal
    deductible: Decimal | None
    annual_cap: Decimal | None
    fund_share_pct: Decimal | None
    amounts_are_demo: bool

    @property
    def deductible_used(self) -> Decimal:
        return min(self.spent, self.deductible) if self.deductible else Decimal("0.00")

    @property
    def deductible_left(self) -> Decimal:
        return (self.deductible or Decimal("0.00")) - self.deductible_used

    @property
    def cap_left(self) -> Decimal | None:
        if self.annual_cap is None:
            return None
        return max(Decimal("0.00"), self.annual_cap - self.fund_paid)


def outpatient_status(*, patient: Patient, programme: Programme, on: date) -> OutpatientStatus:
    """This calendar year's settled, not returned general-outpatient purchases of the person:
    total spent (towards the deductible) and fund paid (against the yearly cap) — the same
    counting as the settlement split."""
    tz = timezone.get_current_timezone()
    start = datetime(on.year, 1, 1, tzinfo=tz)
    totals = Dispensing.objects.filter(
        patient=patient,
        programme=programme,
        disease__isnull=True,
        status=DispensingStatus.SETTLED,
        dispensed_at__gte=start,
        dispensed_at__lt=start.replace(year=on.year + 1),
    ).aggregate(total=Sum("total"), fund=Sum("fund_share"))
    return OutpatientStatus(
        year=on.year,
        spent=totals["total"] or Decimal("0.00"),
        fund_paid=totals["fund"] or Decimal("0.00"),
        deductible=programme.outpatient_deductible,
        annual_cap=programme.outpatient_annual_cap,
        fund_share_pct=programme.outpatient_fund_share_pct,
        amounts_are_demo=programme.outpatient_amounts_are_demo,
    )


# --- The counter lookup: whom a resident ID names, for the page or the POS call asking -------


def prescriber_patient(principal: Principal, resident_id: str) -> Patient | None:
    """The patient a hospital's physician may prescribe for: found by the full resident ID,
    with an active enrolment in a programme of the hospital's region."""
    return (
        Patient.objects.filter(
            resident_id_index=blind_index(resident_id),
            enrolments__status=EnrolmentStatus.ACTIVE,
            enrolments__disease__programme__regions=principal.organisation.region_id,
        )
        .distinct()
        .first()
    )


def prescribable_enrolments(patient: Patient, organisation: Organisation) -> list[Enrolment]:
    """The patient's active enrolments in programmes of the organisation's region."""
    return list(
        Enrolment.objects.filter(
            patient=patient,
            status=EnrolmentStatus.ACTIVE,
            disease__programme__regions=organisation.region_id,
        )
        .select_related("disease__programme")
        .order_by("disease__code")
    )


@dataclass(frozen=True)
class CounterLookup:
    """Whom a resident ID names for the caller: a 特门 patient the caller serves (with the
    active enrolments of its region's programmes), or — when there is none and the caller's
    general-outpatient programme (GY-PT) applies — an insured person of that programme."""

    resident_id: str
    # The person the caller may serve (dispense to, prescribe for); None: see below.
    patient: Patient | None = None
    # GY-PT: the general-outpatient programme the person was looked up in (no enrolment).
    outpatient: Programme | None = None
    # 特门: the patient's active enrolments in programmes of the caller's region.
    enrolments: tuple[Enrolment, ...] = ()
    # GY-D01: the person is in the portal but not covered here (why, with the rule ID).
    refusal: RuleViolation | None = None
    # With `refusal`: insured outside the programme's regions (the POS API answers 404).
    elsewhere: bool = False

    @property
    def may_register(self) -> bool:
        """GY-PT: no one in the portal has this resident ID; a pharmacy may register them."""
        return self.patient is None and self.outpatient is not None and self.refusal is None


def _outpatient_lookup(lookup: CounterLookup, programme: Programme) -> CounterLookup:
    """GY-PT: the insured person of the programme's regions, covered by its insured types."""
    person = outpatient_person(programme=programme, resident_id=lookup.resident_id)
    if person is None:
        index = blind_index(lookup.resident_id)
        if not Patient.objects.filter(resident_id_index=index).exists():
            return replace(lookup, outpatient=programme)
        refusal = RuleViolation(
            "GY-D01",
            _("该身份证号的参保地不在“%(p)s”统筹区，不能按普通门诊待遇结算。")
            % {"p": programme.short_name},
        )
        return replace(lookup, outpatient=programme, refusal=refusal, elsewhere=True)
    try:
        outpatient_assert_covered(patient=person, programme=programme)
    except RuleViolation as refusal:
        return replace(lookup, outpatient=programme, refusal=refusal)
    return replace(lookup, outpatient=programme, patient=person)


def counter_lookup(
    *, principal: Principal, resident_id: str, on: date, pharmacy: Pharmacy | None = None
) -> CounterLookup:
    """The one lookup of a patient by resident ID, for the pharmacy's counter and its POS API
    (`pharmacy`: 特门 patients who chose it, else its general-outpatient programme) and for
    a hospital's physician (no `pharmacy`: patients enrolled in a programme of its region,
    else the region's general-outpatient programme)."""
    lookup = CounterLookup(resident_id=resident_id)
    if not resident_id:
        return lookup
    organisation = principal.organisation
    if pharmacy is None:
        patient = prescriber_patient(principal, resident_id)
    else:
        patient = (
            patients_for_principal(principal)
            .filter(resident_id_index=blind_index(resident_id))
            .first()
        )
    if patient is not None:
        enrolments = tuple(prescribable_enrolments(patient, organisation))
        return replace(lookup, patient=patient, enrolments=enrolments)
    outpatient = (
        outpatient_programme_for_region(organisation.region_id)
        if pharmacy is None
        else outpatient_programme_for_pharmacy(pharmacy, on)
    )
    return lookup if outpatient is None else _outpatient_lookup(lookup, outpatient)


# The GY-D03 fund statement lives in prescriptions.statements; re-exported for callers.
from prescriptions.statements import StatementLine as StatementLine  # noqa: E402
from prescriptions.statements import fund_statement as fund_statement  # noqa: E402
