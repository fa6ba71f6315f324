"""Access helpers: 404 for both "absent" and "not yours"."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Role
from accounts.principal import Principal
from accreditation.models import Application, ApplicationDocument, Designation
from accreditation.selectors import applications_for_principal, designations_for_principal


def access_application(principal: Principal, pk: int, *, write: bool = False) -> Application:
    """The caller's application (pharmacy) or one of its region (bureau); write needs the
    pharmacy manager (pharmacy side) or the agreement-section reviewer (bureau side)."""
    if write and not principal.has_role(Role.PHARMACY_MANAGER, Role.BUREAU_REVIEWER):
        raise Http404
    return get_object_or_404(applications_for_principal(principal), pk=pk)


def access_document(principal: Principal, pk: int) -> ApplicationDocument:
    document = get_object_or_404(ApplicationDocument.objects.select_related("application"), pk=pk)
    access_application(principal, document.application_id)
    return document


def access_designation(principal: Principal, pk: int, *, write: bool = False) -> Designation:
    if write and not principal.has_role(Role.BUREAU_REVIEWER):
        raise Http404
    return get_object_or_404(designations_for_principal(principal), pk=pk)
