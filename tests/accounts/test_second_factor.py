"""Issue 12 point 2: the second factor (TOTP, recovery codes), first-login password change,
password history."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from tests.factories import PASSWORD, UserFactory, member
from tests.factories.sessions import login, totp_code, totp_device

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/setup/"
VERIFY = "/accounts/2fa/verify/"


def _password(client: Client, user: User, password: str = PASSWORD) -> str:
    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 302
    return str(response["Location"])


def _code_of_pending_device(user: User) -> str:
    """What the authenticator shows after scanning the enrolment page's QR code."""
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return f"{TOTP(device.bin_key).token():06d}"


def _enrol(client: Client, user: User) -> list[str]:
    page = client.get(SETUP)
    assert page.status_code == 200
    secret = page.context["secret"].replace(" ", "")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert secret == __import__("base64").b32encode(device.bin_key).decode()
    response = client.post(SETUP, {"code": _code_of_pending_device(user)})
    assert response.status_code == 200
    return list(response.context["codes"])


def test_bureau_user_without_a_device_is_sent_to_enrolment_and_reaches_nothing_else() -> None:
    reviewer = member(Role.BUREAU_REVIEWER)
    client = Client()
    # Given the password was right, the next stop is the enrolment page ...
    assert _password(client, reviewer) == "/accounts/workspace/"
    response = client.get("/accounts/workspace/")
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    # ... and no bureau page or session-authenticated API call is reachable until enrolled.
    for path in ["/accounts/workspace/bureau_reviewer/", "/programmes/", "/accreditation/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(SETUP), path
    api = client.get("/api/v1/programmes/")
    assert api.status_code == 403 and "双因素" in api.json()["detail"]
    assert client.post("/api/v1/api-keys/", {"name": "x"}).status_code == 403
    # The enrolment page shows the secret as text and the QR code as a local SVG.
    page = client.get(SETUP)
    assert "验证器二维码" in page.content.decode() and page.context["required"]
    qr = client.get("/accounts/2fa/setup/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    # A wrong code does not enrol.
    assert "验证码不正确" in client.post(SETUP, {"code": "000000"}).content.decode()
    assert not TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()
    # When: a right code from the authenticator. Then: 10 recovery codes, shown once.
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        codes = _enrol(client, reviewer)
        assert len(codes) == 10 and len(set(codes)) == 10
        assert client.get("/accounts/workspace/bureau_reviewer/").status_code == 200
        assert client.get("/api/v1/programmes/").status_code == 200


def test_enrolled_user_is_asked_for_the_code_after_the_password_and_a_wrong_code_is_refused() -> (
    None
):
    admin = member(Role.BUREAU_ADMIN)
    device = totp_device(admin)
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        _password(client, admin)
        assert client.get("/accounts/workspace/")["Location"].startswith(VERIFY)
        # The password alone cannot enrol another authenticator.
        assert client.get(SETUP)["Location"].startswith(VERIFY)
        assert client.get("/accounts/2fa/setup/qr.svg").status_code == 404
        assert not TOTPDevice.objects.filter(user=admin, confirmed=False).exists()
        wrong = client.post(VERIFY, {"code": "123456"})
        assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
        assert client.get("/programmes/")["Location"].startswith(VERIFY)
        # A right code right after a wrong one waits out the 1-second throttle (django-otp).
        assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 200
        traveller.shift(timedelta(seconds=5))
        response = client.post(VERIFY, {"code": totp_code(device), "next": "/programmes/"})
        assert response.status_code == 302 and response["Location"] == "/programmes/"
        assert client.get("/programmes/").status_code == 200


def test_a_code_is_accepted_once() -> None:
    admin = member(Role.BUREAU_ADMIN)
    device = totp_device(admin)
    with time_machine.travel(timezone.now(), tick=False):
        code = totp_code(device)
        first = Client()
        _password(first, admin)
        assert first.post(VERIFY, {"code": code}).status_code == 302
        second = Client()
        _password(second, admin)
        assert second.post(VERIFY, {"code": code}).status_code == 200  # replayed: refused


def test_a_recovery_code_works_once() -> None:
    expert = member(Role.EXPERT_REVIEWER)
    client = Client()
    _password(client, expert)
    codes = _enrol(client, expert)
    client.post("/accounts/logout/")
    # Given the phone is lost: a recovery code instead of the TOTP code.
    _password(client, expert)
    response = client.post(VERIFY, {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.get("/accounts/workspace/expert_reviewer/").status_code == 200
    assert StaticToken.objects.filter(device__user=expert).count() == 9
    client.post("/accounts/logout/")
    # The same code a second time: refused.
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        _password(client, expert)
        assert client.post(VERIFY, {"code": codes[0]}).status_code == 200
        assert client.get("/accounts/workspace/")["Location"].startswith(VERIFY)


def test_new_recovery_codes_replace_the_old_ones() -> None:
    officer = member(Role.BENEFITS_OFFICER)
    client = login(Client(), officer)
    old = list(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True))
    response = client.post("/accounts/security/", {"action": "recovery"})
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    # A bureau user cannot switch the second factor off.
    client.post("/accounts/security/", {"action": "disable"})
    assert TOTPDevice.objects.filter(user=officer, confirmed=True).exists()


def test_pharmacist_is_not_forced_but_may_enrol_from_the_account_page() -> None:
    pharmacist = member(Role.PHARMACIST)
    client = Client()
    assert _password(client, pharmacist) == "/accounts/workspace/"
    assert client.get("/accounts/workspace/pharmacist/").status_code == 200
    assert not TOTPDevice.objects.filter(user=pharmacist).exists()
    page = client.get("/accounts/security/").content.decode()
    assert "未启用" in page and "停用双因素认证" not in page
    # When they enrol, their next login asks for the code too.
    _enrol(client, pharmacist)
    client.post("/accounts/logout/")
    other = Client()
    _password(other, pharmacist)
    assert other.get("/accounts/workspace/")["Location"].startswith(VERIFY)
    # They may switch it off again (not required for their role).
    login(client, pharmacist)
    client.post("/accounts/security/", {"action": "disable"})
    assert not TOTPDevice.objects.filter(user=pharmacist).exists()
    assert client.get("/accounts/workspace/pharmacist/").status_code == 200


def test_django_admins_need_the_second_factor_too() -> None:
    staff: User = UserFactory(is_staff=True, is_superuser=True)  # type: ignore[assignment]
    client = Client()
    _password(client, staff)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(SETUP)


def test_force_login_alone_is_not_a_verified_second_factor() -> None:
    """Only the helper that says so (tests.factories.sessions.force_login_verified) counts as
    verified."""
    reviewer = member(Role.BUREAU_REVIEWER)
    totp_device(reviewer)
    client = Client()
    client.force_login(reviewer)
    assert client.get("/accounts/workspace/")["Location"].startswith(VERIFY)


def test_first_login_forces_a_password_change_after_the_second_factor() -> None:
    reviewer = member(Role.BUREAU_REVIEWER)
    User.objects.filter(pk=reviewer.pk).update(password_change_required=True)
    client = Client()
    _password(client, reviewer)
    assert client.get("/accounts/workspace/")["Location"].startswith(SETUP)
    _enrol(client, reviewer)
    # Then the password page, and nothing else, until the password is changed.
    response = client.get("/accounts/workspace/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/password/")
    assert client.get("/api/v1/programmes/").status_code == 403
    page = client.get("/accounts/password/").content.decode()
    assert "首次登录" in page
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Hengyang2027x",
            "new_password2": "Hengyang2027x",
        },
    )
    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert not reviewer.password_change_required
    assert client.get("/accounts/workspace/bureau_reviewer/").status_code == 200


def test_new_accounts_must_change_their_password() -> None:
    user = User.objects.create_user(username="new_clerk", password="Initial2026x")
    assert user.password_change_required


def test_a_password_used_in_the_last_five_is_refused() -> None:
    pharmacist = member(Role.PHARMACIST)
    client = login(Client(), pharmacist)
    passwords = [PASSWORD, "Hengyang2027a", "Hengyang2027b", "Hengyang2027c", "Hengyang2027d"]

    def change(old: str, new: str) -> str:
        response = client.post(
            "/accounts/password/",
            {"old_password": old, "new_password1": new, "new_password2": new},
        )
        return "" if response.status_code == 302 else response.content.decode()

    # The current password is refused as the new one.
    assert "最近 5 次" in change(PASSWORD, PASSWORD)
    for old, new in itertools.pairwise(passwords):
        assert change(old, new) == ""
    # Each of the last five (the current included) is refused ...
    for used in passwords:
        assert "最近 5 次" in change(passwords[-1], used), used
    # ... and a sixth change pushes the oldest out of the history.
    assert change(passwords[-1], "Hengyang2027e") == ""
    assert change("Hengyang2027e", PASSWORD) == ""
    pharmacist.refresh_from_db()
    assert pharmacist.check_password(PASSWORD)
