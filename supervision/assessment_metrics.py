"""Supervision's metric for the yearly assessment sheet (HY-E09): findings raised over the
period, open ones weighing more. Registered into accreditation.scoring when the app starts,
so that accreditation (a lower layer) never imports supervision."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accreditation.models import Designation
from accreditation.scoring import Scored, register_metric
from inventory.selectors import local_start
from supervision.models import Finding, FindingStatus


def findings_in_period(g: Designation, start: date, end: date, params: dict[str, Any]) -> Scored:
    rows = Finding.objects.filter(
        pharmacy=g.pharmacy,
        raised_at__gte=local_start(start),
        raised_at__lt=local_start(date.fromordinal(end.toordinal() + 1)),
    )
    total = rows.count()
    still_open = rows.exclude(status=FindingStatus.CLOSED).count()
    per_open = Decimal(str(params.get("per_open", "0.25")))
    per_closed = Decimal(str(params.get("per_closed", "0.1")))
    share = Decimal(1) - per_open * still_open - per_closed * (total - still_open)
    text = _("考核期内监管发现 %(n)d 条，未办结 %(o)d 条。") % {"n": total, "o": still_open}
    return Scored(max(Decimal(0), min(Decimal(1), share)), text)


def register() -> None:
    register_metric("findings", findings_in_period)
