"""The pharmacists' main job on the demo as `make run` serves it: sell at the counter and print
the slip (HY-TM at 衡阳县康民大药房, GY-PT at 贵阳市筑康大药房), and the counter refusing a
purchase beyond the quarter's quota (HY-G07) and — at lookup, before any form — one for a
patient in hospital (HY-G08)."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, expect
from pypdf import PdfReader

from tests.demo.conftest import Visitor

# The demo people (patients/demo.py, prescriptions/demo.py), as the README's walk names them.
WANG = "430400195803121012"  # 王建华: hypertension, quota 300.00 this quarter, 卡托普利片 × 60
LI = "430400196207152028"  # 李秀英: diabetes, in hospital since 2026-11-20
CHEN_GY = "520100197506210427"  # 陈美玲: GY-PT employee, a portal prescription from 罗医生


def codes(n: int) -> str:
    """n traceability codes (20 digits, one per unit) as a scanner types them, new each run."""
    prefix = f"{secrets.randbelow(10**9):09d}"
    return "\n".join(f"{prefix}{i:011d}" for i in range(n))


def counter_for(visitor: Visitor, resident_id: str, name: str) -> None:
    visitor.nav("配药结算")
    visitor.page.get_by_label("患者身份证号").fill(resident_id)
    visitor.page.get_by_role("button", name="查询").click()
    expect(visitor.page.get_by_role("heading", name=name)).to_be_visible()


def prescription_card(visitor: Visitor, drug: str, quantity: str) -> Locator:
    """The counter's form of the prescription whose remaining row names this drug."""
    return visitor.page.locator("form.card").filter(
        has=visitor.page.get_by_role("row").filter(has_text=drug).filter(has_text=quantity)
    )


def sell(card: Locator, quantity: int, price: str | None = None) -> None:
    card.get_by_label("本次数量").fill(str(quantity))
    if price is not None:
        card.get_by_label("单价（元）").fill(price)
    card.get_by_label("追溯码").fill(codes(quantity))
    card.get_by_label("已核验有效身份证件，人证一致").check()
    card.get_by_label("患者（代购人）已在结算单上签字").check()
    card.get_by_role("button", name="结算并发药").click()


def slip_is_a_pdf(visitor: Visitor, *expected: str) -> None:
    content = visitor.open_in_new_tab(visitor.page.get_by_role("link", name="打印结算单"))
    assert content.startswith(b"%PDF-"), content[:100]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    for words in expected:
        assert words in text, text


def hy_pharmacist_sells_prints_the_slip_and_the_quota_refuses_more(
    visit: Callable[[str], Visitor], tmp_path: Path
) -> None:
    pharmacist = visit("hy_pharmacist")
    page = pharmacist.page
    counter_for(pharmacist, WANG, "王建华")
    card = prescription_card(pharmacist, "卡托普利片", "60")
    # 30 boxes at the pre-filled price (the listed price less the discount, HY-B02): 193.80
    expect(card.get_by_label("单价（元）")).to_have_value(re.compile(r"^6\.46(00)?$"))
    sell(card, 30)
    expect(page.get_by_text("结算成功")).to_be_visible()
    expect(page.get_by_role("cell", name="193.80")).to_be_visible()
    slip_is_a_pdf(pharmacist, "王建华", "193.80")

    # 20 more would be 129.20 of the 106.20 left this quarter: refused with HY-G07
    counter_for(pharmacist, WANG, "王建华")
    card = prescription_card(pharmacist, "卡托普利片", "30")
    sell(card, 20, "6.46")
    expect(page.get_by_role("listitem").filter(has_text="[HY-G07]")).to_be_visible()
    pharmacist.assert_clean()


def hy_pharmacist_is_refused_for_a_patient_in_hospital(
    visit: Callable[[str], Visitor], tmp_path: Path
) -> None:
    pharmacist = visit("hy_pharmacist")
    counter_for(pharmacist, LI, "李秀英")
    # Known before anything is filled in (issue 16.4): said at lookup, and no form offered.
    expect(pharmacist.page.get_by_role("alert").filter(has_text="[HY-G08]").first).to_be_visible()
    expect(pharmacist.page.locator("form.card")).to_have_count(0)
    pharmacist.assert_clean()


def gy_pharmacist_sells_at_the_general_outpatient_counter(
    visit: Callable[[str], Visitor], tmp_path: Path
) -> None:
    pharmacist = visit("gy_pharmacist")
    page = pharmacist.page
    counter_for(pharmacist, CHEN_GY, "陈美玲")
    expect(page.get_by_role("table", name="普通门诊待遇")).to_be_visible()
    card = prescription_card(pharmacist, "卡托普利片", "20")
    sell(card, 20)
    expect(page.get_by_text("结算成功")).to_be_visible()
    slip_is_a_pdf(pharmacist, "陈美玲")
    pharmacist.assert_clean()
