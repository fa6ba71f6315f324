"""A patient's filing on the demo, from the hospital's 特门 window to enrolment: the window clerk
lodges it (uraemia: accepted any day) and passes the preliminary review, submits the roster, the
benefits officer assigns the expert, who approves with the start date the page offers (HY-G04,
HY-F01) — posted back as rendered, which zh-hans once broke (2026/12/04)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect
from stdnum.cn import ric

from tests.demo.conftest import Visitor

MATERIALS = (
    "住院病历首页",
    "疾病诊断书",
    "入出院记录",
    "检查报告单",
    "身份证复印件",
    "社保卡复印件",
)


def new_resident_id() -> str:
    """A valid GB 11643 number of someone born in 衡阳市, new each run."""
    base = f"430400196{secrets.randbelow(10)}0{1 + secrets.randbelow(9)}1{secrets.randbelow(10)}"
    base += f"{secrets.randbelow(1000):03d}"
    return base + ric.calc_check_digit(base + "0")


def window_lodges_a_filing_and_the_expert_approves_it_with_a_start_date(
    visit: Callable[[str], Visitor], tmp_path: Path
) -> None:
    resident_id, name = new_resident_id(), "周建国"

    # The hospital's window clerk lodges the filing …
    window = visit("hy_window")
    page = window.page
    window.nav("受理申报")
    page.get_by_label("按身份证号查找患者").fill(resident_id)
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_text("未找到，请录入新患者资料。")).to_be_visible()
    page.get_by_label("姓名").fill(name)
    page.get_by_label("参保类型").select_option(label="职工医保")
    page.get_by_label("申报病种").select_option(label="尿毒症")
    page.get_by_label("初审医院").select_option(label="衡阳县人民医院")
    page.get_by_label("住院资料出具医院").fill("衡阳县人民医院")
    for material in MATERIALS:
        page.get_by_label(material).check()
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator("#filing-status")).to_have_text("已受理")
    number = page.get_by_role("heading", level=1).inner_text()
    # … passes its preliminary review (the hospital is the reviewing one) and sends the roster
    page.get_by_label("初审通过", exact=True).check()  # no decision is pre-selected
    page.get_by_role("button", name="提交初审结论").click()
    window.confirm("列入初审名册")
    expect(page.locator("#filing-status")).to_have_text("初审通过")
    window.nav("初审名册")
    page.get_by_role("button", name="生成名册并报送待遇保障股").click()
    window.confirm("报送后名册不能修改或撤回")
    expect(page.get_by_role("link", name="下载 PDF").first).to_be_visible()
    window.assert_clean()

    # The benefits officer assigns it to the expert
    benefits = visit("hy_benefits")
    page = benefits.page
    benefits.nav("特门申报")
    page.get_by_role("row").filter(has_text=name).get_by_role("link").first.click()
    page.get_by_label("评审专家").select_option(label="陈志远")
    page.get_by_role("button", name="分配").click()
    expect(page.locator("#filing-status")).to_have_text("专家评审中")
    benefits.assert_clean()

    # The expert approves it, keeping the start date the page offers (today)
    expert = visit("hy_expert")
    page = expert.page
    expert.nav("特门申报")
    page.get_by_role("row").filter(has_text=name).get_by_role("link").first.click()
    page.get_by_label("通过", exact=True).check()
    start = page.get_by_label("待遇开始日期")
    expect(start).not_to_have_value("")
    offered = start.input_value()
    page.get_by_role("button", name="提交评审决定").click()
    expert.confirm("患者自待遇开始日期起享受待遇")
    expect(page.locator("#filing-status")).to_have_text("评审通过")
    expect(page.get_by_text("须填写待遇开始日期")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(offered)
    assert number
    expert.assert_clean()
