"""Bureau pages for a programme's diseases (HY-G04 categories, payment standards), with history."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import BUREAU_ROLES, Role, User
from accounts.permissions import principal_of, require_role
from programmes.models import Disease, InsuredType, Programme
from programmes.selectors import programmes_for_principal
from programmes.services import DISEASE_FIELDS, disease_save

EDITORS = (Role.BENEFITS_OFFICER, Role.BUREAU_ADMIN)


class CodeListField(forms.CharField):
    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]


class DiseaseForm(forms.ModelForm):
    icd10_codes = CodeListField(label=gettext_lazy("ICD-10 编码"), required=False)
    eligible_insured_types = forms.MultipleChoiceField(
        label=gettext_lazy("可申报的参保类型（HY-G01）"),
        choices=InsuredType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reason = forms.CharField(label=gettext_lazy("修改原因"), max_length=200, required=False)

    class Meta:
        model = Disease
        fields = DISEASE_FIELDS


def _programme(request: HttpRequest, code: str) -> Programme:
    return get_object_or_404(programmes_for_principal(principal_of(request)), code=code)


@require_role(*BUREAU_ROLES)
def disease_index(request: HttpRequest) -> HttpResponse:
    """The diseases of the first programme of the principal's region that has any."""
    programme = (
        programmes_for_principal(principal_of(request))
        .filter(diseases__isnull=False)
        .distinct()
        .order_by("code")
        .first()
    )
    if programme is None:
        raise Http404
    return redirect("patients:disease_list", code=programme.code)


@require_role(*BUREAU_ROLES)
def disease_list(request: HttpRequest, code: str) -> HttpResponse:
    programme = _programme(request, code)
    return render(
        request,
        "patients/disease_list.html",
        {
            "programme": programme,
            "diseases": Disease.objects.filter(programme=programme),
            "can_edit": principal_of(request).has_role(*EDITORS),
        },
    )


@require_role(*EDITORS)
def disease_edit(request: HttpRequest, code: str, pk: int | None = None) -> HttpResponse:
    programme = _programme(request, code)
    disease = get_object_or_404(Disease, pk=pk, programme=programme) if pk else None
    form = DiseaseForm(request.POST or None, instance=disease)
    if request.method == "POST" and form.is_valid():
        changes = {n: form.cleaned_data[n] for n in form.changed_data if n != "reason"}
        if disease is None:
            changes = {n: form.cleaned_data[n] for n in DISEASE_FIELDS}
        try:
            disease_save(
                programme=programme,
                disease=disease,
                changes=changes,
                reason=form.cleaned_data["reason"],
                actor=cast(User, request.user),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("病种已保存，修改记录已留存。"))
            return redirect("patients:disease_list", code=programme.code)
    return render(
        request,
        "patients/disease_edit.html",
        {"programme": programme, "disease": disease, "form": form},
    )


@require_role(*BUREAU_ROLES)
def disease_history(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    programme = _programme(request, code)
    disease = get_object_or_404(Disease, pk=pk, programme=programme)
    entries = []
    for record in disease.history.select_related("history_user").order_by("-history_date")[:100]:
        changes = []
        previous = record.prev_record
        if previous is not None:
            for change in record.diff_against(previous).changes:
                field = cast(Field[Any, Any], Disease._meta.get_field(change.field))
                label = field.verbose_name
                changes.append({"label": label, "old": change.old, "new": change.new})
        entries.append({"record": record, "changes": changes})
    return render(
        request,
        "patients/disease_history.html",
        {"programme": programme, "disease": disease, "entries": entries},
    )
