"""What the counter page's form sent, parsed for `dispensing_submit`: the lines, the proxy, the
personal share collected, the reviewing pharmacist and the video (prescriptions.review), with
the select of eligible reviewers. A value that does not parse is a DomainError naming the
field, shown by core.actions.run_service like any refusal of the service."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.errors import DomainError
from pharmacies.models import Pharmacy
from prescriptions.models import Dispensing
from prescriptions.review import VideoRef, eligible_reviewers
from prescriptions.services import LineInput, ProxyInput
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


def _when(raw: str, label: str, field: str) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise DomainError(_("%s：时间格式应为 YYYY-MM-DDTHH:MM，请重新填写。") % label, field=field)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def counter_record_input(request: HttpRequest) -> tuple[int | None, VideoRef]:
    """The reviewing pharmacist (a staff id; blank → the service's default) and the video
    reference the counter form sent."""
    raw = request.POST.get("reviewing_pharmacist", "").strip()
    if raw and not raw.isdigit():
        raise DomainError(_("审方药师选择无效，请从列表中重新选择。"), field="reviewing_pharmacist")
    video = VideoRef(
        camera=request.POST.get("video_camera", ""),
        starts_at=_when(request.POST.get("video_from", ""), _("录像起"), "video_from"),
        ends_at=_when(request.POST.get("video_until", ""), _("录像止"), "video_until"),
    )
    return (int(raw) if raw else None), video


def _decimal(raw: str, message: str, field: str) -> Decimal:
    try:
        return Decimal(raw.strip())
    except InvalidOperation as exc:
        raise DomainError(message, field=field) from exc


def lines_input(request: HttpRequest, prescription_items: list[Any]) -> list[LineInput]:
    """The quantity, unit price and scanned codes of each item given a quantity."""
    lines = []
    for item in prescription_items:
        raw_qty = request.POST.get(f"qty_{item.pk}", "").strip()
        if not raw_qty or raw_qty == "0":
            continue
        try:
            quantity = int(raw_qty)
        except ValueError as exc:
            raise DomainError(_("数量格式不正确，请填写整数。"), field="quantity") from exc
        price = _decimal(
            request.POST.get(f"price_{item.pk}", ""),
            _("单价格式不正确，请填写金额（元）。"),
            "unit_price",
        )
        codes = request.POST.get(f"codes_{item.pk}", "").split()
        lines.append(
            LineInput(
                item_id=item.pk, quantity=quantity, unit_price=price, traceability_codes=codes
            )
        )
    return lines


def proxy_input(request: HttpRequest) -> ProxyInput | None:
    """The proxy buying for the patient (HY-E07), when the box is ticked."""
    if not request.POST.get("is_proxy"):
        return None
    return ProxyInput(
        name=request.POST.get("proxy_name", ""),
        resident_id=request.POST.get("proxy_resident_id", ""),
        purchase_list_photo=request.FILES.get("purchase_list_photo"),
    )


def personal_paid_input(request: HttpRequest) -> Decimal | None:
    """The personal share collected (blank: not entered)."""
    raw = request.POST.get("personal_paid", "").strip()
    if not raw:
        return None
    return _decimal(raw, _("实收金额格式不正确，请填写收取的金额（元）。"), "personal_paid")
