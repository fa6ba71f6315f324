"""A counter sale line at price 0 or below is refused with a message naming the price — not
settled, and never left to the database's CHECK constraint (a 500)."""

from __future__ import annotations

import pytest
import time_machine

from prescriptions.models import Dispensing
from tests.factories.prescriptions import MAY, body, pos, world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("price", ["0", "0.00", "-9.50"])
def test_sec_counter_sale_at_price_zero_or_negative_is_a_400_naming_the_price(price: str) -> None:
    w = world()
    api = pos(w)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        payload = body(w, p.pk, p.items.get().pk, 2, f"pos-{price}")
        payload["lines"][0]["unit_price"] = price
        response = api.post("/api/v1/pos/dispensings/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "unit_price" and "大于 0" in response.json()["detail"]
    assert not Dispensing.objects.exists()
