from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.db.models import Field
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import BUREAU_ROLES, Role
from accounts.permissions import principal_of, require_role
from core.actions import run_service
from core.calendar import YearStatus, load_calendar
from core.history import changed_values, history_value
from core.selectors import (
    holiday_override_history,
    holiday_overrides_inherited,
    holiday_overrides_of_region,
)
from core.services import holiday_override_delete, holiday_override_set
from programmes.forms import HolidayOverrideForm, ProgrammeParametersForm
from programmes.models import Programme
from programmes.parameters import PARAMETER_GROUPS, VALIDITY_FIELDS
from programmes.selectors import programmes_for_principal
from programmes.services import programme_update_parameters


def _access_programme(request: HttpRequest, code: str) -> Programme:
    """A programme of the principal's region; 404 for absent and for another region's."""
    return get_object_or_404(programmes_for_principal(principal_of(request)), code=code)


def _field(name: str) -> Field[Any, Any]:
    return cast("Field[Any, Any]", Programme._meta.get_field(name))


def _rows(programme: Programme, names: list[str]) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        field = _field(name)
        value = getattr(programme, name)
        display = getattr(programme, f"get_{name}_display", None)
        if display and value:
            shown: Any = display()
        elif isinstance(value, list):
            shown = "、".join(str(v) for v in value) if value else "—"
        elif value is None or value == "":
            shown = _("不适用")
        elif isinstance(value, bool):
            shown = _("是") if value else _("否")
        else:
            shown = value
        rows.append(
            {"label": field.verbose_name, "value": shown, "rule": field.help_text, "name": name}
        )
    return rows


@require_role(*BUREAU_ROLES)
def programme_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    today = timezone.localdate()
    programmes = [
        (p, p.is_in_force(today))
        for p in programmes_for_principal(principal).prefetch_related("regions")
    ]
    return render(request, "programmes/list.html", {"programmes": programmes})


@require_role(*BUREAU_ROLES)
def programme_detail(request: HttpRequest, code: str) -> HttpResponse:
    programme = _access_programme(request, code)
    groups = [(_("有效期"), _rows(programme, VALIDITY_FIELDS))] + [
        (title, _rows(programme, names)) for title, names in PARAMETER_GROUPS
    ]
    return render(
        request,
        "programmes/detail.html",
        {
            "programme": programme,
            "groups": groups,
            "in_force": programme.is_in_force(timezone.localdate()),
            "can_edit": principal_of(request).has_role(Role.BUREAU_ADMIN),
        },
    )


@require_role(Role.BUREAU_ADMIN)
def programme_edit(request: HttpRequest, code: str) -> HttpResponse:
    programme = _access_programme(request, code)
    form = ProgrammeParametersForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        sent = {name: form.cleaned_data[name] for name in form.changed_data if name != "reason"}
        # Against the stored row: validating the form has already written the sent values
        # onto `programme`.
        current = Programme.objects.get(pk=programme.pk)
        changes = changed_values(current, sent)
        if not changes:
            messages.info(request, _("参数没有变化，未作修改，也未留下修改记录。"))
            return redirect("programmes:detail", code=programme.code)
        names = "、".join(str(_field(name).verbose_name) for name in changes)
        done = run_service(
            request,
            lambda: programme_update_parameters(
                programme=current,
                actor=request.user,  # type: ignore[arg-type]
                changes=changes,
                reason=form.cleaned_data["reason"],
            ),
            form=form,
            success=_("已修改 %(count)s 项参数：%(names)s。修改人、时间和原因已记入修改记录。")
            % {"count": len(changes), "names": names},
        )
        if done is not None:
            return redirect("programmes:detail", code=programme.code)
    return render(request, "programmes/edit.html", {"programme": programme, "form": form})


@require_role(*BUREAU_ROLES)
def programme_history(request: HttpRequest, code: str) -> HttpResponse:
    programme = _access_programme(request, code)
    records = list(programme.history.select_related("history_user").order_by("-history_date")[:100])
    entries = []
    for record in records:
        previous = record.prev_record
        changes = []
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = _field(change.field)
                changes.append(
                    {
                        "label": field.verbose_name,
                        "old": history_value(field, change.old),
                        "new": history_value(field, change.new),
                    }
                )
        entries.append({"record": record, "changes": changes})
    return render(request, "programmes/history.html", {"programme": programme, "entries": entries})


@require_role(Role.BUREAU_ADMIN)
def calendar_overrides(request: HttpRequest) -> HttpResponse:
    """Bureau admins enter each year's holiday and make-up workday arrangement for their
    region (and the regions below it)."""
    region = principal_of(request).organisation.region
    form = HolidayOverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        holiday_override_set(
            region_id=region.pk,
            day=form.cleaned_data["date"],
            is_working_day=form.cleaned_data["is_working_day"],
            name=form.cleaned_data["name"],
            actor=request.user,
        )
        messages.success(request, _("工作日历已更新；此后计算的工作日期限按新的日历计算。"))
        return redirect("programmes:calendar")
    today = timezone.localdate()
    calendar = load_calendar(region_id=region.pk)
    years = [
        {"year": year, "status": calendar.year_status(year)}
        for year in range(today.year - 1, today.year + 3)
    ]
    return render(
        request,
        "programmes/calendar.html",
        {
            "form": form,
            "region": region,
            "overrides": holiday_overrides_of_region(region.pk),
            "inherited": holiday_overrides_inherited(region.pk),
            "history": holiday_override_history(region.pk)[:50],
            "years": years,
            "needs_entry": {YearStatus.PROVISIONAL, YearStatus.UNKNOWN},
        },
    )


@require_POST
@require_role(Role.BUREAU_ADMIN)
def calendar_override_delete(request: HttpRequest, pk: int) -> HttpResponse:
    # Only an entry of the admin's own region; another region's is 404 like a missing one.
    region_id = principal_of(request).organisation.region_id
    override = get_object_or_404(holiday_overrides_of_region(region_id), pk=pk)
    holiday_override_delete(override=override, actor=request.user)
    messages.success(request, _("已删除。"))
    return redirect("programmes:calendar")
