"""The drug catalogue: imports, disease scope, price caps and edits with a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, full_clean_or_refuse
from core.history import BEFORE_CHANGE, changed_values, history_catch_up
from inventory.catalogue import validate_catalogue
from inventory.files import sniff_spreadsheet
from inventory.models import DiseaseDrug, Drug, PriceCap
from programmes.models import Disease, Programme

# --- Catalogue ------------------------------------------------------------------------------


def drug_catalogue_import(
    *, name: str, data: bytes, programmes: list[Programme], actor: User
) -> list[dict[str, Any]]:
    """Import catalogue rows (approval-number format, HY-A09 basic-drug flags per disease,
    price caps with source and date); all rows or none; returns the errors, empty on success.
    The drug's own fields are the national catalogue's (callers: the catalogue administrator);
    scope and caps are written for `programmes` only (the importer's region)."""
    file_format = sniff_spreadsheet(name, data)
    diseases = {d.code: d for d in Disease.objects.filter(programme__in=programmes)}
    result = validate_catalogue(data, file_format, disease_codes=set(diseases))
    if result.errors:
        return result.errors
    with transaction.atomic():
        for row in result.rows:
            code = row.values.pop("insurance_code")
            drug = Drug.objects.filter(insurance_code=code).first() or Drug(insurance_code=code)
            for key, value in row.values.items():
                setattr(drug, key, value)
            drug._history_user = actor  # type: ignore[attr-defined]
            drug._change_reason = _("目录导入：%s") % name  # type: ignore[attr-defined]
            drug.save()
            for disease_code in row.scope:
                DiseaseDrug.objects.update_or_create(
                    disease=diseases[disease_code],
                    drug=drug,
                    defaults={"is_basic_drug": disease_code in row.basic},
                )
            if result.scope_given:
                # The row's diseases are the drug's whole scope in the importing programmes
                # (a disease left out is taken out, with history; others stay).
                for link in DiseaseDrug.objects.filter(
                    drug=drug, disease__in=diseases.values()
                ).exclude(disease__code__in=row.scope):
                    link._history_user = actor  # type: ignore[attr-defined]
                    link._change_reason = _("目录导入：%s") % name  # type: ignore[attr-defined]
                    link.delete()
            for basis, price in row.prices.items():
                assert row.price_date is not None
                # A price column sets the caps of the importer's programmes on that basis
                # only: another region's programme is its own bureau's to set.
                for programme in programmes:
                    if programme.price_cap_basis != basis:
                        continue
                    PriceCap.objects.update_or_create(
                        drug=drug,
                        programme=programme,
                        effective_on=row.price_date,
                        defaults={"basis": basis, "price": price, "source": row.price_source},
                    )
    return []


def drug_scope_set(
    *,
    drug: Drug,
    diseases: list[Any],
    scope: dict[int, bool],
    actor: User,
    reason: str,
) -> int:
    """Bureau edit of the diseases (of `diseases`, the editor's programmes) the drug may be
    dispensed for, and those it is a basic drug of (HY-A09): `scope` maps a disease id to
    its basic-drug flag. Other programmes' diseases are left alone; history keeps who, when
    and why. Returns how many links changed."""
    if not reason.strip():
        raise DomainError(_("请填写修改原因。"), field="reason")
    changed = 0
    with transaction.atomic():
        Drug.objects.select_for_update().filter(pk=drug.pk).first()
        links = {
            link.disease_id: link
            for link in DiseaseDrug.objects.filter(drug=drug, disease__in=diseases)
        }
        for disease in diseases:
            link, basic = links.get(disease.pk), scope.get(disease.pk)
            if link is not None and basic is not None and link.is_basic_drug == basic:
                continue
            if link is None and basic is None:
                continue
            if link is None:
                link = DiseaseDrug(disease=disease, drug=drug)
            link._history_user = actor  # type: ignore[attr-defined]
            link._change_reason = reason  # type: ignore[attr-defined]
            if basic is None:
                link.delete()
            else:
                link.is_basic_drug = basic
                link.save()
            changed += 1
    return changed


def price_cap_set(
    *,
    drug: Drug,
    programme: Programme,
    price: Decimal,
    source: str,
    effective_on: date,
    actor: User,
    reason: str,
) -> Any:
    """Bureau entry of one programme's listed price that caps sale prices from `effective_on`
    (HY-B02 / GY-C01, on the programme's basis), with its source; the same date again
    corrects it. Callers pass a programme of the editor's region. History keeps who, when
    and why."""
    if not reason.strip():
        raise DomainError(_("请填写修改原因。"), field="reason")
    if price is None or price <= 0:
        raise DomainError(_("限价：须大于 0 元。"), field="price")
    with transaction.atomic():
        cap = PriceCap.objects.select_for_update().filter(
            drug=drug, programme=programme, effective_on=effective_on
        ).first() or PriceCap(drug=drug, programme=programme, effective_on=effective_on)
        cap.basis = programme.price_cap_basis
        cap.price, cap.source = price, source
        full_clean_or_refuse(cap)
        cap._history_user = actor  # type: ignore[attr-defined]
        cap._change_reason = reason  # type: ignore[attr-defined]
        cap.save()
    return cap


def drug_update(*, drug: Drug, changes: dict[str, Any], actor: User, reason: str) -> Drug:
    """Catalogue administrator's edit of a national catalogue entry (callers check the role);
    history keeps who, when and why, and exactly the fields whose value changed (none
    changed: nothing is written)."""
    with transaction.atomic():
        locked = Drug.objects.select_for_update().get(pk=drug.pk)
        changes = changed_values(locked, changes)
        if not changes:
            return locked
        history_catch_up(locked, reason=BEFORE_CHANGE)
        for key, value in changes.items():
            setattr(locked, key, value)
        full_clean_or_refuse(locked)
        locked._history_user = actor  # type: ignore[attr-defined]
        locked._change_reason = reason  # type: ignore[attr-defined]
        locked.save()
    return locked
