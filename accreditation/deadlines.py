"""The daily scan of due dates (idempotent: each reminder has a key and is sent once).

Reminder lead times are how the centre wants to be reminded, not policy numbers; the due
dates themselves come from programme parameters (HY-C02–C04, HY-E01, HY-E09).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accreditation.models import Application, ApplicationStatus, Designation, DesignationStatus
from accreditation.notify import managers_of, reviewers_for
from accreditation.services import designations_expire_due
from core.notifications import notification_send
from pharmacies.models import Pharmacy
from pharmacies.selectors import licences_expiring, missing_payroll_months
from programmes.models import Programme

EVALUATION_REMINDER_DAYS = (30, 7, 1)
LICENCE_REMINDER_DAYS = 30
RENEWAL_REMINDER_DAYS = 30
RUNNING = (ApplicationStatus.ACCEPTED, ApplicationStatus.INSPECTION)


def _admins_for(pharmacy: Pharmacy) -> QuerySet[User]:
    return User.objects.filter(
        memberships__organisation__region_id=pharmacy.organisation.region_id,
        memberships__role=Role.BUREAU_ADMIN,
        memberships__is_active=True,
    ).distinct()


def _link(application: Application) -> str:
    return reverse("accreditation:review_detail", args=[application.pk])


class _Recipients:
    """Recipients depend only on the region: looked up once per region, not per row."""

    def __init__(self) -> None:
        self._reviewers: dict[int, list[User]] = {}
        self._admins: dict[int, list[User]] = {}

    def reviewers(self, pharmacy: Pharmacy) -> list[User]:
        key = pharmacy.organisation.region_id
        if key not in self._reviewers:
            self._reviewers[key] = list(reviewers_for(pharmacy))
        return self._reviewers[key]

    def admins(self, pharmacy: Pharmacy) -> list[User]:
        key = pharmacy.organisation.region_id
        if key not in self._admins:
            self._admins[key] = list(_admins_for(pharmacy))
        return self._admins[key]


def deadlines_scan(*, today: date) -> int:
    """Send every reminder due today; returns how many notifications were new."""
    to = _Recipients()
    sent = _evaluation_reminders(today, to) + _decision_reminders(today, to)
    sent += _payroll_reminders(today, to) + _licence_reminders(today)
    # HY-E09: terms that ended without renewal expire first, so they get no renewal reminder.
    designations_expire_due(today=today)
    return sent + _designation_reminders(today, to)


def _applications() -> QuerySet[Application]:
    return Application.objects.select_related("pharmacy__organisation__region", "programme")


def _evaluation_reminders(today: date, to: _Recipients) -> int:
    """HY-C02: the review clock, N days before its end and once it is overdue."""
    sent = 0
    for app in _applications().filter(status__in=RUNNING, evaluation_due_on__isnull=False):
        due = app.evaluation_due_on
        assert due is not None
        left = (due - today).days
        if left < 0:
            sent += notification_send(
                recipients=[*to.reviewers(app.pharmacy), *to.admins(app.pharmacy)],
                key=f"application:{app.pk}:overdue:{due}",
                message="evaluation_overdue",
                params={"p": app.pharmacy.name, "d": due},
                link=_link(app),
                rule_id="HY-C02",
            )
            continue
        for days in EVALUATION_REMINDER_DAYS:
            if left <= days:
                sent += notification_send(
                    recipients=to.reviewers(app.pharmacy),
                    key=f"application:{app.pk}:due:{due}:{days}",
                    message="evaluation_due",
                    params={"d": due, "n": left, "p": app.pharmacy.name},
                    link=_link(app),
                    rule_id="HY-C02",
                )
    return sent


def _decision_reminders(today: date, to: _Recipients) -> int:
    """HY-C03: the notice is over, sign; HY-C04: the feedback letter is due."""
    sent = 0
    for app in _applications().filter(status=ApplicationStatus.PASSED, notice_ends_on__lt=today):
        sent += notification_send(
            recipients=to.reviewers(app.pharmacy),
            key=f"application:{app.pk}:notice_over",
            message="notice_over",
            params={"p": app.pharmacy.name},
            link=_link(app),
            rule_id="HY-C03",
        )
    for app in _applications().filter(
        status=ApplicationStatus.FAILED,
        feedback_sent_on__isnull=True,
        feedback_due_on__lte=today + timedelta(days=1),
    ):
        sent += notification_send(
            recipients=to.reviewers(app.pharmacy),
            key=f"application:{app.pk}:feedback_due",
            message="feedback_due",
            params={"d": app.feedback_due_on, "p": app.pharmacy.name},
            link=_link(app),
            rule_id="HY-C04",
        )
    return sent


def _payroll_reminders(today: date, to: _Recipients) -> int:
    """HY-E01: a month of payroll evidence missing for a staff member."""
    sent = 0
    months = max((p.payroll_evidence_months or 0 for p in Programme.objects.all()), default=0)
    hired_from: dict[int, date] = {}
    for pharmacy_id, starts_on in Designation.objects.order_by("-starts_on").values_list(
        "pharmacy_id", "starts_on"
    ):
        hired_from[pharmacy_id] = starts_on  # the earliest start wins (descending order)
    for gap in missing_payroll_months(months=months, on=today, hired_from=hired_from):
        pharmacy = gap.staff.pharmacy
        sent += notification_send(
            recipients=[*managers_of(pharmacy), *to.reviewers(pharmacy)],
            key=f"payroll:{gap.staff.pk}:{gap.month:%Y-%m}",
            message="payroll_missing",
            params={"p": pharmacy.name, "s": gap.staff.name, "m": gap.month.strftime("%Y-%m")},
            link=reverse("pharmacies:staff_detail", args=[gap.staff.pk]),
            rule_id="HY-E01",
        )
    return sent


def _licence_reminders(today: date) -> int:
    """HY-D02: a licence that expires soon."""
    sent = 0
    labels = {"business": gettext_lazy("营业执照"), "drug": gettext_lazy("药品经营许可证")}
    for pharmacy, kind, expires in licences_expiring(on=today, within_days=LICENCE_REMINDER_DAYS):
        sent += notification_send(
            recipients=managers_of(pharmacy),
            key=f"licence:{pharmacy.pk}:{kind}:{expires}",
            message="licence_expiring",
            params={"l": labels[kind], "d": expires},
            link=reverse("pharmacies:profile"),
            rule_id="HY-D02",
        )
    return sent


def _designation_reminders(today: date, to: _Recipients) -> int:
    """HY-E09: a term ends soon, assess; HY-C05: a rectification period is over, re-check."""
    sent = 0
    designations = Designation.objects.select_related("pharmacy__organisation__region")
    for d in designations.filter(
        status=DesignationStatus.ACTIVE, ends_on__lte=today + timedelta(days=RENEWAL_REMINDER_DAYS)
    ):
        sent += notification_send(
            recipients=to.reviewers(d.pharmacy),
            key=f"designation:{d.pk}:renewal:{d.ends_on}",
            message="designation_renewal",
            params={"d": d.ends_on, "p": d.pharmacy.name},
            link=reverse("accreditation:designation_detail", args=[d.pk]),
            rule_id="HY-E09",
        )
    for d in designations.filter(
        status=DesignationStatus.RECTIFICATION, rectification_until__lt=today
    ):
        sent += notification_send(
            recipients=to.reviewers(d.pharmacy),
            key=f"designation:{d.pk}:rectification_over:{d.rectification_until}",
            message="rectification_over",
            params={"p": d.pharmacy.name},
            link=reverse("accreditation:designation_detail", args=[d.pk]),
            rule_id="HY-C05",
        )
    return sent
