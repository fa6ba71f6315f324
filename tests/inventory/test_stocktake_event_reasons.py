"""Issue 16.5, one language at a time: a reason the system writes on an event row is stored
as a message name and parameters and shown in the reader's language on the timeline; what a
person typed is shown as typed, and an older row keeps its stored text (HY-E06 stocktakes)."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from accounts.models import User
from inventory.models import Drug, MovementKind, StockBatch, StocktakeEvent
from inventory.services import stocktake_blind_set, stocktake_return, stocktake_submit
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories.inventory import at, book, open_q3
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db

BLIND_ZH = "改为盲盘（盘底表不显示账面数量） 抽查盲盘"
BLIND_EN = "Changed to blind count (count sheet hides book quantities) 抽查盲盘"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_hy_e06_a_system_reason_is_shown_in_the_readers_language(
    hy: Programme, pharmacy: Pharmacy, reviewer: User
) -> None:
    stocktake = open_q3(hy, pharmacy)
    with translation.override("en"):  # who acts does not choose the stored language
        stocktake_blind_set(stocktake=stocktake, blind=True, actor=reviewer, reason=" 抽查盲盘 ")
    event = StocktakeEvent.objects.get(stocktake=stocktake)
    assert event.reason_key == "stocktake_blind"
    assert event.reason_params == {"note": "抽查盲盘"}
    assert event.reason == BLIND_ZH  # the source-language text, kept with the row
    client = login(Client(), reviewer)
    url = f"/inventory/stocktakes/{stocktake.pk}/"
    zh = _text(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert BLIND_ZH in zh
    client.cookies["django_language"] = "en"
    en = _text(client.get(url).content.decode())
    assert BLIND_EN in en
    assert "改为盲盘" not in en


def test_hy_e06_a_persons_reason_is_shown_as_typed_and_an_old_row_as_stored(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug], reviewer: User
) -> None:
    book(pharmacy, catalogue["amlodipine"], MovementKind.PURCHASE, 10, at(date(2026, 6, 10)))
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        stocktake_submit(
            stocktake=stocktake,
            counts={StockBatch.objects.get().pk: (10, "")},
            counted_at=at(date(2026, 10, 9), 9),
            actor=None,
        )
    stocktake_return(stocktake=stocktake, actor=reviewer, reason="请复盘 B1")
    returned = StocktakeEvent.objects.filter(stocktake=stocktake).order_by("-pk").first()
    assert returned is not None
    assert (returned.reason, returned.reason_key, returned.reason_params) == ("请复盘 B1", "", {})
    # A row written before reasons had names keeps showing its text
    StocktakeEvent.objects.create(
        stocktake=stocktake, old_status="open", new_status="open", reason="改为显示账面数量"
    )
    client = login(Client(), reviewer)
    client.cookies["django_language"] = "en"
    en = _text(client.get(f"/inventory/stocktakes/{stocktake.pk}/").content.decode())
    assert "请复盘 B1" in en
    assert "改为显示账面数量" in en
