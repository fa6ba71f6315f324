"""Logged-in clients: through the real login and second-factor forms, or forced with a second
factor already passed."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.selectors import memberships_for_user, user_has_totp, user_requires_second_factor
from tests.factories.accounts import PASSWORD


def needs_second_factor(user: User) -> bool:
    """Will the login ask this user for a code (bureau role, Django admin, or enrolled)?"""
    return user_requires_second_factor(user, memberships_for_user(user)) or user_has_totp(user)


def totp_device(user: User) -> TOTPDevice:
    """The user's authenticator; one is enrolled (confirmed) for them when they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device


def totp_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now, computed from the device's key (django-otp's
    TOTP). The one shortcut: tests log one persona in from several clients within a 30-second
    step, and a code is accepted once per step, so the device forgets the step it last
    accepted (and any clock drift it learnt) — nothing else about verification is bypassed."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, drift=0)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    return f"{totp.token():0{device.digits}d}"


def login(client: Client, user: User, password: str = PASSWORD) -> Client:
    """Log in through the real login form (axes and sessions included), then — for a bureau
    user, an admin, or anyone enrolled — the real second-factor form with the current code."""
    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    if needs_second_factor(user):
        code = totp_code(totp_device(user))
        response = client.post("/accounts/2fa/verify/", {"code": code})
        assert response.status_code == 302, response.content.decode()[:500]
        assert "/2fa/" not in response["Location"]
    return client


def force_login_verified(client: Client, user: User) -> Client:
    """client.force_login, plus — explicitly — a second factor already passed with the user's
    authenticator (what django_otp.login stores in the session after a good code)."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return client
