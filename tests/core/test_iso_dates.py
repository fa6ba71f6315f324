"""Issue 16.7: every form with a date renders it in ISO (YYYY-MM-DD) in zh-hans, the one
value <input type="date"> keeps, so a form posted back unchanged is valid with the same dates.
The reported failure: the expert's decision rendered 2026/12/04 and came back empty
(须填写待遇开始日期). Forms are found in every module of every app, not only in forms.py (the
audit filter and the reference upload live beside their views)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict

from accounts.models import User
from core.widgets import DateInput, DateTimeInput
from programmes.models import Programme
from tests.browserlike import form_as_submitted
from tests.factories import accreditation as h

DAY = date(2026, 12, 4)
AT = datetime(2026, 12, 4, 9, 30, tzinfo=timezone.get_default_timezone())


def _form_classes() -> dict[str, Any]:
    """Every form class defined in a module of our apps (migrations and commands aside)."""
    found: dict[str, Any] = {}
    for app in settings.DINGDIAN_APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                if (
                    isinstance(obj, type)
                    and issubclass(obj, forms.BaseForm)
                    and obj.__module__ == module.__name__
                ):
                    found[f"{obj.__module__}.{obj.__name__}"] = obj
    return found


def _dates(form_class: Any) -> list[str]:
    return [
        name
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.DateField | forms.DateTimeField)
    ]


# --- How to build each form with a date: constructor arguments and the values a person would
# have on the page (the dates and whatever the form needs to be valid besides).

Case = Callable[[], tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]


def _plain() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return {}, {}, {}


def _programme() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    hy = Programme.objects.get(code="HY-TM")
    return {"instance": hy}, {"valid_from": date(2024, 10, 1), "reason": "核对"}, {}


def _profile() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    pharmacy = h.pharmacy()
    return {"instance": pharmacy}, {"lease_ends_on": date(2027, 12, 31)}, {}


def _staff() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    pharmacy = h.pharmacy()
    values = {"resident_id": h.resident_id(901), "hired_on": DAY, "left_on": DAY + timedelta(1)}
    return {"pharmacy": pharmacy}, values, {}


def _staff_edit() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    pharmacy = h.pharmacy()
    staff = pharmacy.staff.first()
    return {"pharmacy": pharmacy, "instance": staff}, {"left_on": DAY + timedelta(1)}, {}


def _evidence() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return {}, {"month": date(2026, 11, 1)}, {"file": h.pdf()}


def _reference_upload() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    csv = SimpleUploadedFile("HY-TM.csv", b"code,name\n", content_type="text/csv")
    return {}, {}, {"file": csv}


def _price_cap() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return {"programmes": Programme.objects.all()}, {"price": Decimal("12.50")}, {}


def _movement() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    from inventory.models import Drug, MovementKind

    Drug.objects.create(insurance_code="ISO1", generic_name="缬沙坦胶囊", approval_number="H1")
    kwargs = {"kind": MovementKind.TRANSFER_IN, "pharmacy": h.pharmacy()}
    values = {
        "insurance_code": "ISO1",
        "batch_no": "B1",
        "production_date": date(2026, 1, 5),
        "expiry_date": date(2028, 1, 4),
        "occurred_at": AT,
    }
    return kwargs, values, {}


def _record() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return {}, {"issued_on": timezone.localdate()}, {}


def _stay() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return {}, {"resident_id": h.resident_id(902), "discharged_on": DAY + timedelta(3)}, {}


def _proxy() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    values = {
        "proxy_name": "张三",
        "proxy_resident_id": h.resident_id(903),
        "relationship": "子女",
        "postal_address": "衡阳县西渡镇",
        "valid_until": DAY + timedelta(90),
    }
    return {}, values, {}


def _decide() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return {}, {"approve": "1"}, {}


def _action() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An action form of accreditation.actions, built for its object (a designation here)."""
    return {"obj": None, "action": "walk"}, {}, {}


def _audit() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return {}, {"until": DAY + timedelta(7)}, {}


CASES: dict[str, Case] = {
    "accounts.audit_views.AuditFilterForm": _audit,
    "programmes.forms.ProgrammeParametersForm": _programme,
    "programmes.forms.HolidayOverrideForm": _plain,
    "pharmacies.forms.ProfileForm": _profile,
    "pharmacies.forms.StaffForm": _staff,
    "pharmacies.forms.StaffEditForm": _staff_edit,
    "pharmacies.forms.EvidenceForm": _evidence,
    "accreditation.forms.AssessmentForm": _action,
    "accreditation.forms.ViolationForm": _action,
    "accreditation.assessment_views.OpenForm": _plain,
    "accreditation.assessment_views.ConcludeForm": _plain,
    "patients.views.diseases.ReferenceUploadForm": _reference_upload,
    "patients.forms.DecideForm": _decide,
    "patients.forms.BatchApproveForm": _plain,
    "patients.forms.StayForm": _stay,
    "patients.forms.DischargeForm": _plain,
    "patients.forms.ProxyForm": _proxy,
    "inventory.forms.PriceCapForm": _price_cap,
    "inventory.forms.MovementFilterForm": _plain,
    "inventory.forms.MovementForm": _movement,
    "prescriptions.forms.RecordForm": _record,
    "supervision.case_forms.ScheduleForm": _plain,
    "supervision.case_forms.ConcludeForm": _plain,
    "supervision.case_forms.PenaltyForm": _plain,
}


def _value_for(field: Any) -> Any:
    """What a person picks for a required field the case does not name."""
    if isinstance(field, forms.DateTimeField):
        return AT
    if isinstance(field, forms.DateField):
        return DAY
    choices: Any = getattr(field, "choices", None)
    if isinstance(field, forms.ModelChoiceField):
        queryset: Any = field.queryset
        return queryset.first()
    if isinstance(field, forms.ChoiceField):
        return next(str(value) for value, _label in choices if value != "")
    if isinstance(field, forms.IntegerField | forms.DecimalField):
        return field.min_value or 1
    return "测试"


def _build(name: str) -> tuple[Callable[..., forms.BaseForm], dict[str, Any], dict[str, Any]]:
    kwargs, values, files = CASES[name]()
    form_class = _form_classes()[name]
    probe = form_class(**kwargs)
    initial = dict(values)
    for field_name, field in probe.fields.items():
        if field_name in initial or isinstance(field, forms.FileField):
            continue
        if isinstance(field, forms.DateField | forms.DateTimeField) or (
            field.required and probe.initial.get(field_name) in (None, "")
        ):
            initial[field_name] = _value_for(field)
    return lambda **kw: form_class(**kwargs, **kw), initial, files


def test_every_form_with_a_date_has_a_case() -> None:
    with_dates = {name for name, cls in _form_classes().items() if _dates(cls)}
    assert with_dates == set(CASES)


def test_every_date_field_of_every_form_uses_the_shared_iso_widgets() -> None:
    wrong = [
        f"{name}.{field_name}"
        for name, form_class in _form_classes().items()
        for field_name, field in form_class.base_fields.items()
        if (isinstance(field, forms.DateTimeField) and not isinstance(field.widget, DateTimeInput))
        or (isinstance(field, forms.DateField) and not isinstance(field.widget, DateInput))
    ]
    assert wrong == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_form_rendered_in_zh_hans_and_posted_back_unchanged_is_valid(
    name: str, personas: dict[str, User]
) -> None:
    # Given the form as a zh-hans page renders it, with dates in it
    make, initial, files = _build(name)
    with translation.override("zh-hans"):
        html = f'<form action="/x/">{make(initial=initial)}</form>'
        # When the browser sends it back untouched (a date input drops a non-ISO value)
        data, raw = form_as_submitted(html, "/x/")
        uploads = MultiValueDict({k: [v] for k, v in files.items()})
        bound = make(data=MultiValueDict(data), files=uploads)
        # Then it is valid, with the dates it showed
        assert bound.is_valid(), bound.errors
    for field_name in _dates(type(bound)):
        if field_name not in bound.fields:
            continue  # a field the form leaves out for this kind (MovementForm)
        expected = initial[field_name]
        assert bound.cleaned_data[field_name] == expected, field_name
        shown = raw[field_name]
        assert shown.startswith(expected.strftime("%Y-%m-%d")), (field_name, shown)
