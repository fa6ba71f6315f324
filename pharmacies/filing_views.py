"""HY-E01 pages: the pharmacy submits a pharmacist's filing; the centre's reviewer lists the
filings of its region and files or refuses each. Scoped: another region's or pharmacy's
staff is 404."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.permissions import principal_of, require_role
from core.actions import confirm_page, run_service
from pharmacies.filing import staff_filing_decide, staff_filing_submit
from pharmacies.forms import FilingDecisionForm
from pharmacies.models import FilingStatus
from pharmacies.permissions import access_staff
from pharmacies.selectors import filings_for_principal


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_role(Role.PHARMACY_MANAGER)
@require_POST
def filing_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The pharmacy manager submits a licensed pharmacist's filing (HY-E01)."""
    staff = access_staff(principal_of(request), pk)
    asked = confirm_page(
        request,
        action=_("报医保中心备案"),
        obj=staff,
        consequence=_("备案信息将报送医保中心审核，审核期间不能撤回；结论将显示在本页。"),
        back=reverse("pharmacies:staff_detail", kwargs={"pk": staff.pk}),
    )
    if asked is not None:
        return asked
    run_service(
        request,
        lambda: staff_filing_submit(staff=staff, actor=_user(request)),
        success=_("已报医保中心备案，等待医保中心审核；审核结论将显示在本页“医保中心备案”。"),
    )
    return redirect("pharmacies:staff_detail", pk=staff.pk)


@require_role(Role.BUREAU_REVIEWER)
def filing_list(request: HttpRequest) -> HttpResponse:
    """The region's pharmacists' filings; those waiting for a decision first."""
    status = request.GET.get("status", FilingStatus.SUBMITTED)
    filings = filings_for_principal(principal_of(request))
    if status in FilingStatus.values:
        filings = filings.filter(filing_status=status)
    return render(
        request,
        "pharmacies/filing_list.html",
        {"filings": filings, "status": status, "statuses": FilingStatus.choices},
    )


@require_role(Role.BUREAU_REVIEWER)
def filing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One pharmacist's filing: details, history, and the decision while it is submitted."""
    staff = get_object_or_404(filings_for_principal(principal_of(request)), pk=pk)
    form = FilingDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        filed = form.cleaned_data["decision"] == "file"
        asked = confirm_page(
            request,
            action=_("予以备案") if filed else _("不予备案"),
            obj=staff,
            consequence=_(
                "予以备案后，该药师列为本药店的备案执业药师，药店在人员页可见；结论不能撤销。"
            )
            if filed
            else _("不予备案后，原因显示在药店的人员页，药店须修改后重新报备；结论不能撤销。"),
            back=reverse("pharmacies:filing_detail", kwargs={"pk": staff.pk}),
        )
        if asked is not None:
            return asked
        decided = run_service(
            request,
            lambda: staff_filing_decide(
                staff=staff,
                approve=form.cleaned_data["decision"] == "file",
                reason=form.cleaned_data["reason"],
                actor=_user(request),
            ),
            success=_("予以备案已记录，药店在人员页可见；该药师列为备案执业药师。")
            if filed
            else _("不予备案已记录，原因显示在药店的人员页；药店可修改后重新报备。"),
            form=form,
        )
        if decided is not None:
            return redirect("pharmacies:filing_detail", pk=staff.pk)
    return render(
        request,
        "pharmacies/filing_detail.html",
        {
            "staff": staff,
            "form": form,
            "filing_events": staff.filing_events.select_related("actor"),
        },
    )
