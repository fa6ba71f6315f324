"""Stored working-day dates of applications recomputed when a year's holiday arrangement is
entered (issue 15.3): the review clock (HY-C02), the notice end (HY-C03) and the feedback
due date (HY-C04) were counted on weekends and statutory days only while the year was
unknown. Each moved date gets an event row naming the old and the new date."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import User
from accreditation.models import Application, Designation, DesignationStatus
from accreditation.models import ApplicationStatus as A
from accreditation.services import evaluation_due_on
from accreditation.transitions import APPLICATION, DESIGNATION
from core.calendar import WorkingCalendar, load_calendar
from core.event_messages import reason as named_reason
from core.transitions import Workflow, note


def _new_dates(application: Application, calendar: WorkingCalendar) -> dict[str, date]:
    """The application's open working-day dates as the calendar counts them now."""
    programme = application.programme
    dates: dict[str, date] = {}
    months = programme.evaluation_months
    if application.status in (A.ACCEPTED, A.INSPECTION) and application.accepted_on and months:
        dates["evaluation_due_on"] = evaluation_due_on(
            accepted_on=application.accepted_on,
            months=months,
            paused_days=application.paused_days,
            calendar=calendar,
        )
    days = programme.notice_working_days
    if application.status == A.PASSED and application.notice_starts_on and days:
        dates["notice_ends_on"] = calendar.add_working_days(application.notice_starts_on, days)
    days = programme.feedback_working_days
    failed = application.status == A.FAILED and application.feedback_sent_on is None
    if failed and application.decided_on and days:
        dates["feedback_due_on"] = calendar.add_working_days(application.decided_on, days)
    return dates


_RULE = {
    "evaluation_due_on": "HY-C02",
    "notice_ends_on": "HY-C03",
    "feedback_due_on": "HY-C04",
    "stops_on": "HY-G06",
}
_LABEL = {
    "evaluation_due_on": gettext_lazy("评估截止日"),
    "notice_ends_on": gettext_lazy("公示结束日"),
    "feedback_due_on": gettext_lazy("结果反馈截止日"),
    "stops_on": gettext_lazy("取消定点生效日"),
}


def _move_date(
    workflow: Workflow,
    obj: Application | Designation,
    field: str,
    new: date,
    *,
    year: int,
    actor: User | None,
) -> None:
    """Save the recomputed date and note it on the object's event rows (old and new date)."""
    old: date = getattr(obj, field)
    setattr(obj, field, new)
    obj._history_user = actor  # type: ignore[union-attr]
    obj.save(update_fields=[field])
    note(
        workflow,
        obj,
        actor=actor,
        reason=named_reason("date_recomputed", year=year, what=_LABEL[field], old=old, new=new),
        rule_id=_RULE[field],
    )


def application_dates_recompute(*, year: int, actor: User | None) -> int:
    """HY-C02/C03/C04: recompute the open applications' dates on or after 1 January of
    `year` with each pharmacy's regional calendar; an event row per moved date."""
    start = date(year, 1, 1)
    calendars: dict[int, WorkingCalendar] = {}
    moved = 0
    with transaction.atomic():
        open_dates = (
            Q(status__in=[A.ACCEPTED, A.INSPECTION], evaluation_due_on__gte=start)
            | Q(status=A.PASSED, notice_ends_on__gte=start)
            | Q(status=A.FAILED, feedback_due_on__gte=start, feedback_sent_on__isnull=True)
        )
        rows = (
            Application.objects.select_for_update(of=("self",))
            .filter(open_dates)
            .select_related("programme", "pharmacy__organisation")
            .order_by("pk")
        )
        for application in rows:
            region_id = application.pharmacy.organisation.region_id
            if region_id not in calendars:
                calendars[region_id] = load_calendar(region_id=region_id)
            for field, new in _new_dates(application, calendars[region_id]).items():
                if getattr(application, field) != new:
                    _move_date(APPLICATION, application, field, new, year=year, actor=actor)
                    moved += 1
    return moved


def designation_dates_recompute(*, year: int, actor: User | None) -> int:
    """HY-G06: a revoked designation stops on the first working day after the transition's
    end (1 January, moved past holidays); recompute the stop days on or after 1 January of
    `year` that have not come yet, with an event row per moved date."""
    today = timezone.localdate()
    calendars: dict[int, WorkingCalendar] = {}
    moved = 0
    with transaction.atomic():
        rows = (
            Designation.objects.select_for_update(of=("self",))
            .filter(
                status=DesignationStatus.REVOKED,
                stops_on__gte=max(date(year, 1, 1), today),
                settle_until__isnull=False,
            )
            .select_related("pharmacy__organisation")
            .order_by("pk")
        )
        for designation in rows:
            region_id = designation.pharmacy.organisation.region_id
            if region_id not in calendars:
                calendars[region_id] = load_calendar(region_id=region_id)
            assert designation.settle_until is not None
            new = calendars[region_id].next_working_day(designation.settle_until)
            if new != designation.stops_on:
                _move_date(DESIGNATION, designation, "stops_on", new, year=year, actor=actor)
                moved += 1
    return moved
