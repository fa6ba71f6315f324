"""The counter page's reviewing-pharmacist select and video fields (prescriptions.review),
kept out of prescriptions.views (which is already long)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from pharmacies.models import Pharmacy
from prescriptions.models import Dispensing
from prescriptions.review import VideoRef, eligible_reviewers
from programmes.models import Programme


def reviewer_context(
    *, pharmacy: Pharmacy, prescriptions: list[Any], user: Any, on: Any
) -> dict[str, Any]:
    """The eligible reviewing pharmacists for the page's prescriptions, the logged-in user's
    own staff record selected when eligible, and the cameras this pharmacy named before."""
    programmes = list(Programme.objects.filter(pk__in={p.programme_id for p in prescriptions}))
    reviewers = list(eligible_reviewers(pharmacy=pharmacy, programmes=programmes, on=on))
    default = next((s.pk for s in reviewers if s.user_id == getattr(user, "pk", None)), None)
    cameras = (
        Dispensing.objects.filter(pharmacy=pharmacy)
        .exclude(video_camera="")
        .order_by()
        .values_list("video_camera", flat=True)
        .distinct()[:20]
    )
    return {"reviewers": reviewers, "default_reviewer": default, "cameras": list(cameras)}


def _when(raw: str, label: str) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError(_("%s：时间格式应为 YYYY-MM-DDTHH:MM。") % label)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def counter_record_input(request: HttpRequest) -> tuple[int | None, VideoRef]:
    """The reviewing pharmacist (a staff id; blank → the service's default) and the video
    reference the counter form sent."""
    raw = request.POST.get("reviewing_pharmacist", "").strip()
    if raw and not raw.isdigit():
        raise ValidationError(_("审方药师选择无效。"))
    video = VideoRef(
        camera=request.POST.get("video_camera", ""),
        starts_at=_when(request.POST.get("video_from", ""), _("录像起")),
        ends_at=_when(request.POST.get("video_until", ""), _("录像止")),
    )
    return (int(raw) if raw else None), video
