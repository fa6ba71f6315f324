"""Access helpers: 404 for absent and for another pharmacy's (or another region's) objects."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from accounts.principal import Principal
from inventory.models import Movement, PurchaseImport, Stocktake
from inventory.selectors import (
    imports_for_principal,
    movements_for_principal,
    pharmacies_for_principal,
    stocktakes_for_principal,
)
from pharmacies.models import Pharmacy


def access_stocktake_for_principal(principal: Principal, pk: int) -> Stocktake:
    return get_object_or_404(stocktakes_for_principal(principal), pk=pk)


def access_import_for_principal(principal: Principal, pk: int) -> PurchaseImport:
    return get_object_or_404(imports_for_principal(principal), pk=pk)


def access_pharmacy_for_principal(principal: Principal, pk: int) -> Pharmacy:
    return get_object_or_404(pharmacies_for_principal(principal), pk=pk)


def access_movement_for_principal(principal: Principal, pk: int) -> Movement:
    return get_object_or_404(movements_for_principal(principal), pk=pk)
