"""The second factor in Chromium: a demo bureau user types the printed demo secret's code; a new
bureau user enrols (QR code drawn by the portal, secret as text, recovery codes once)."""

from __future__ import annotations

import io
from base64 import b32decode
from typing import Any

import pytest
from django.core.management import call_command
from django_otp.oath import TOTP, totp
from playwright.sync_api import Page, expect

from accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from accounts.models import Role
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.browser


def test_demo_reviewer_logs_in_with_the_printed_demo_secret(page: Page, live_server: Any) -> None:
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("hy_reviewer")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="双因素认证")).to_be_visible()
    # What an authenticator app holding the printed secret shows (or `oathtool --totp -b`).
    page.get_by_label("验证码").fill(f"{totp(b32decode(DEMO_TOTP_SECRET)):06d}")
    page.get_by_role("button", name="验证").click()
    assert page.url.endswith("/accounts/workspace/bureau_reviewer/")


def test_a_new_bureau_user_enrols_at_first_login(page: Page, live_server: Any) -> None:
    expert = member(Role.EXPERT_REVIEWER)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(expert.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="启用双因素认证")).to_be_visible()
    # The QR code is an SVG the portal draws itself.
    qr = page.get_by_role("img", name="验证器二维码")
    expect(qr).to_be_visible()
    # Loaded and drawn (checked without eval: the page's CSP forbids it).
    expect(qr).to_have_js_property("complete", True)
    assert qr.evaluate("img => img.naturalWidth") > 0
    # The user types the secret shown as text into an authenticator; it shows the code.
    secret = page.get_by_test_id("otp-secret").inner_text().replace(" ", "")
    code = f"{TOTP(b32decode(secret)).token():06d}"
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="确认绑定").click()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    page.get_by_role("link", name="我已妥善保存，继续").click()
    assert page.url.endswith("/accounts/workspace/expert_reviewer/")
