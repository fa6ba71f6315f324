"""Bureau pages for a programme's diseases (HY-G04 categories, payment standards), with history."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db.models import Field
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import BUREAU_ROLES, Role, User
from accounts.permissions import principal_of, require_role
from core.actions import run_service
from core.errors import DomainError
from core.history import history_value
from core.widgets import DateInput
from programmes.models import Disease, InsuredType, Programme
from programmes.selectors import programmes_for_principal, version_in_force
from programmes.services import DISEASE_FIELDS, disease_save
from programmes.standards import load_reference

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
    """The diseases with the payment standards in force today, and the reference versions
    (loaded from files; staff do not type amounts)."""
    programme = _programme(request, code)
    today = timezone.localdate()
    current = version_in_force(programme=programme, on=today)
    standards = {s.disease_id: s for s in current.standards.all()} if current is not None else {}
    diseases = list(Disease.objects.filter(programme=programme))
    return render(
        request,
        "patients/disease_list.html",
        {
            "programme": programme,
            "rows": [(d, standards.get(d.pk)) for d in diseases],
            "current": current,
            "versions": programme.reference_versions.select_related("loaded_by"),
            "can_edit": principal_of(request).has_role(*EDITORS),
            "can_load": principal_of(request).has_role(Role.BUREAU_ADMIN),
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
        saved = run_service(
            request,
            lambda: disease_save(
                programme=programme,
                disease=disease,
                changes=changes,
                reason=form.cleaned_data["reason"],
                actor=cast(User, request.user),
            ),
            form=form,
            success=_("病种已保存，修改记录已留存。"),
        )
        if saved is not None:
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
                old, new = history_value(field, change.old), history_value(field, change.new)
                changes.append({"label": label, "old": old, "new": new})
        entries.append({"record": record, "changes": changes})
    return render(
        request,
        "patients/disease_history.html",
        {"programme": programme, "disease": disease, "entries": entries},
    )


class ReferenceUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("支付标准文件（CSV）"))
    effective_from = forms.DateField(label=gettext_lazy("施行日期"), widget=DateInput())


# A reference file lists a few dozen diseases; anything larger is not one.
MAX_REFERENCE_BYTES = 1024 * 1024


@require_role(Role.BUREAU_ADMIN)
def reference_load(request: HttpRequest, code: str) -> HttpResponse:
    """HY-G07: a bureau admin loads a payment-standard file for a programme of its region
    (all or nothing; the file's programme must be this one)."""
    programme = _programme(request, code)
    form = ReferenceUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_REFERENCE_BYTES:
            form.add_error("file", _("文件过大。"))
        else:
            try:
                version = load_reference(
                    content=upload.read(),
                    effective_from=form.cleaned_data["effective_from"],
                    actor=cast(User, request.user),
                    file_name=upload.name,
                    programmes=Programme.objects.filter(pk=programme.pk),
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("已导入第 %(n)d 版支付标准，自 %(d)s 起执行。")
                    % {"n": version.number, "d": version.effective_from},
                )
                return redirect("patients:disease_list", code=programme.code)
    file_help = _(
        "文件为 UTF-8 CSV，文件头写明方案代码、来源文件和文件日期，须列出全部在用病种；"
        "有一行出错则整个文件不导入。新版本自施行日期起执行：此前已开始的额度周期和已结算的购药保持原标准。"
        "同一文件不能导入两次。"
    )
    return render(
        request,
        "patients/reference_load.html",
        {"programme": programme, "form": form, "file_help": file_help},
    )
