"""What the counter records beside a sale (read by prescriptions.services.dispensing):

- 审方 — the reviewing pharmacist (HY 一(三) "提供处方审核", GY 一(四), HY-E01 / GY-A04): a staff
  member of this pharmacy, a licensed pharmacist (with a certificate number), employed and on
  the duty roster that day (StaffMember.duty_weekdays), registered at this pharmacy where the
  programme requires it (GY-A04) and filed with the county centre where it requires that
  (HY-E01, Programme.pharmacist_filing_required). Every counter sale is on a prescription,
  so every one needs a reviewing pharmacist; none named → the acting pharmacist's own staff
  record, if eligible; otherwise the sale is refused.
- GY-B02 — whether the account recording the sale is on the pharmacy's staff list that day
  (a linked StaffMember in post). Not refused: flagged on the sale
  (Dispensing.recorder_on_staff), which supervision's SV-F14 reads and raises as a finding
  the bureau lists (the portal cannot tell a delegated third party from a colleague whose
  staff record lacks its account; the bureau finds out on inspection).
- GY-E03 — the video reference: camera and time range, which the bureau may request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import RuleViolation
from pharmacies.models import FilingStatus, Pharmacy, StaffMember
from pharmacies.selectors import staff_in_post
from programmes.models import Programme

# A video reference is a window around the sale, not a day's recording.
VIDEO_MAX_SPAN = timedelta(hours=12)


def review_rule(programme: Programme) -> str:
    """The rule a missing or ineligible reviewing pharmacist breaks under this programme."""
    return "HY-E01" if programme.pharmacist_filing_required else "GY-A04"


def eligible_reviewers(
    *, pharmacy: Pharmacy, programmes: list[Programme], on: date
) -> QuerySet[StaffMember]:
    """The staff who may review a prescription of any of `programmes` at this pharmacy on
    `on` (the strictest programme's conditions)."""
    qs = staff_in_post(pharmacy, on).filter(licensed_pharmacist=True).exclude(certificate_no="")
    qs = qs.filter(duty_weekdays__contains=str(on.isoweekday()))
    if any(p.pharmacist_registered_here for p in programmes):
        qs = qs.filter(registered_here=True)
    if any(p.pharmacist_filing_required for p in programmes):
        qs = qs.filter(filing_status=FilingStatus.FILED)
    return qs.order_by("name")


def _why_not(staff: StaffMember, programme: Programme, on: date) -> tuple[str, str] | None:
    """(rule ID, reason) when `staff` may not review a prescription of `programme` on `on`."""
    rule = review_rule(programme)
    if not staff.licensed_pharmacist or not staff.certificate_no.strip():
        return rule, _("%s 不是执业药师（未登记执业药师注册证），不能审方。") % staff.name
    if not staff.employed_on(on):
        return rule, _("%s 今日不在职，不能审方。") % staff.name
    if not staff.on_duty(on):
        return rule, _("%s 今日不在排班在岗日内（营业时间药师应当在岗），不能审方。") % staff.name
    if programme.pharmacist_registered_here and not staff.registered_here:
        return "GY-A04", _("%s 的执业注册地不在本店，不能审方。") % staff.name
    if programme.pharmacist_filing_required and staff.filing_status != FilingStatus.FILED:
        return "HY-E01", _("%(n)s 未经县医保中心备案（%(s)s），不能审方。") % {
            "n": staff.name,
            "s": staff.get_filing_status_display(),
        }
    return None


def counter_reviewer(
    *,
    pharmacy: Pharmacy,
    programme: Programme,
    reviewer_id: int | None,
    own: StaffMember | None,
    on: date,
) -> StaffMember:
    """审方: the reviewing pharmacist named (else `own`, the actor's staff record), checked;
    the refusal names the rule and why."""
    rule = review_rule(programme)
    if reviewer_id is None or (own is not None and own.pk == reviewer_id):
        if own is None or _why_not(own, programme, on) is not None:
            if reviewer_id is None:
                raise RuleViolation(
                    rule,
                    _("处方药销售须由本店在岗、经备案的执业药师审方：请选择审方药师。"),
                    field="reviewing_pharmacist",
                )
        else:
            return own
    staff = pharmacy.staff.filter(pk=reviewer_id).first()
    if staff is None:
        raise RuleViolation(rule, _("审方药师不是本店登记的人员。"), field="reviewing_pharmacist")
    refused = _why_not(staff, programme, on)
    if refused is not None:
        raise RuleViolation(refused[0], refused[1], field="reviewing_pharmacist")
    return staff


def actor_staff(*, pharmacy: Pharmacy, actor: User, on: date) -> StaffMember | None:
    """The actor's staff record at the pharmacy (the one in post on `on` first), one query."""
    records = list(pharmacy.staff.filter(user=actor).order_by("-hired_on"))
    return next((s for s in records if s.employed_on(on)), records[0] if records else None)


@dataclass(frozen=True)
class VideoRef:
    """GY-E03: the camera and time range of the sale's video."""

    camera: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def video_checked(video: VideoRef | None, *, at: datetime) -> VideoRef:
    """GY-E03: a camera with a time range around the sale (both or neither), at most
    VIDEO_MAX_SPAN long; nothing given → nothing recorded."""
    if video is None or not (video.camera.strip() or video.starts_at or video.ends_at):
        return VideoRef()
    camera = video.camera.strip()
    if not camera or video.starts_at is None or video.ends_at is None:
        raise RuleViolation(
            "GY-E03", _("监控录像须同时填写摄像头和录像起止时间。"), field="video_camera"
        )
    if not video.starts_at <= at <= video.ends_at:
        raise RuleViolation("GY-E03", _("录像起止时间须包含结算时间。"), field="video_from")
    if video.ends_at - video.starts_at > VIDEO_MAX_SPAN:
        raise RuleViolation(
            "GY-E03", _("录像时段最长 12 小时，请填写结算前后的时段。"), field="video_until"
        )
    return VideoRef(camera[:60], video.starts_at, video.ends_at)


@dataclass(frozen=True)
class CounterRecord:
    """What `dispensing_submit` writes on the sale beside its lines."""

    reviewer: StaffMember
    on_staff: bool
    video: VideoRef

    def fields(self) -> dict[str, object]:
        return {
            "reviewing_pharmacist": self.reviewer,
            "recorder_on_staff": self.on_staff,
            "video_camera": self.video.camera,
            "video_from": self.video.starts_at,
            "video_until": self.video.ends_at,
        }


def counter_record(
    *,
    pharmacy: Pharmacy,
    programme: Programme,
    reviewer_id: int | None,
    video: VideoRef | None,
    actor: User,
    now: datetime,
    on: date,
) -> CounterRecord:
    """Check and gather the reviewing pharmacist, the staff-list flag (GY-B02: the recording
    account is linked to a staff record in post that day) and the video."""
    own = actor_staff(pharmacy=pharmacy, actor=actor, on=on)
    return CounterRecord(
        reviewer=counter_reviewer(
            pharmacy=pharmacy, programme=programme, reviewer_id=reviewer_id, own=own, on=on
        ),
        on_staff=own is not None and own.employed_on(on),
        video=video_checked(video, at=now),
    )
