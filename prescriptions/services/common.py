"""What the prescription and dispensing services share: the counter's inputs (a line, a
proxy), money rounding, the price rule of a programme, image uploads, a prescription's
validity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.uploads import sniff_upload
from prescriptions.models import Prescription
from programmes.models import PriceCapBasis, Programme

CENT = Decimal("0.01")
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


@dataclass
class LineInput:
    item_id: int
    quantity: int
    unit_price: Decimal
    traceability_codes: list[str] = field(default_factory=list)
    # What the pharmacist scanned; a different drug than prescribed is a swap (HY-G10).
    drug_id: int | None = None


@dataclass
class ProxyInput:
    name: str
    resident_id: str
    purchase_list_photo: UploadedFile | None


def fen(amount: Decimal) -> Decimal:
    """Money to the fen, half up (GY-D03)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def price_rule(programme: Programme) -> str:
    """The rule a price above the cap breaks under this programme (HY-B02 / GY-C01)."""
    return "HY-B02" if programme.price_cap_basis == PriceCapBasis.HOSPITAL_LISTED else "GY-C01"


def check_image(upload: UploadedFile | None, *, rule_id: str, what: str) -> None:
    """A required JPEG or PNG (the type sniffed from the content)."""
    if upload is None:
        raise RuleViolation(rule_id, _("请上传%s。") % what)
    if sniff_upload(upload) not in IMAGE_TYPES:
        raise RuleViolation(rule_id, _("%s须为 JPEG 或 PNG 图片。") % what)


def prescription_valid(prescription: Prescription, on: date) -> bool:
    """GY-D02: `on` is within the prescription's validity (the issue day is its first day)."""
    return prescription.issued_on <= on <= prescription.valid_until
