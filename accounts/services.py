from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import api_key_audit
from accounts.models import (
    API_KEY_SCOPES_BY_KIND,
    ApiKey,
    ApiKeyScope,
    Membership,
    Organisation,
    PasswordHistory,
    Region,
    User,
)
from core.errors import DomainError
from core.models import AuditAction
from core.prepared import PreparedQuery, partial_instance, prepared_cursor, sentinel_text


def _digest(raw_key: str) -> str:
    # Keys are 256-bit random secrets, so a plain SHA-256 digest is enough (no brute force).
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(
    *,
    organisation: Organisation,
    name: str,
    actor: User,
    scope: str | None = None,
    valid_days: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for a POS/HIS system; the raw key is returned once and never stored. The
    scope defaults to the organisation's system (POS for a pharmacy, HIS for a hospital or
    window, read-only for the bureau); the key expires after `settings.API_KEY_VALID_DAYS`."""
    if not name.strip():
        raise DomainError(_("请填写密钥名称。"), field="name")
    allowed = API_KEY_SCOPES_BY_KIND.get(organisation.kind, (ApiKeyScope.READ_ONLY,))
    scope = scope or allowed[0]
    if scope not in allowed:
        raise DomainError(_("该机构的密钥不能使用这个权限范围。"), field="scope")
    days = settings.API_KEY_VALID_DAYS if valid_days is None else valid_days
    if not 1 <= days <= settings.API_KEY_MAX_VALID_DAYS:
        raise DomainError(
            _("有效期须在 1 至 %(max)d 天之间。") % {"max": settings.API_KEY_MAX_VALID_DAYS},
            field="valid_days",
        )
    prefix = secrets.token_hex(4)
    raw_key = f"{prefix}.{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        organisation=organisation,
        name=name.strip(),
        prefix=prefix,
        digest=_digest(raw_key),
        created_by=actor,
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
    )
    api_key_audit(api_key=key, action=AuditAction.API_KEY_CREATED, actor=actor)
    return key, raw_key


def api_key_revoke(*, api_key: ApiKey, actor: User) -> ApiKey:
    """Revoke a key; calls with it fail from now on (its cached entry is dropped now and again
    once the revocation is committed, so no call in between can cache it as active)."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.revoked_by = actor
            key.save(update_fields=["revoked_at", "revoked_by"])
            api_key_audit(api_key=key, action=AuditAction.API_KEY_REVOKED, actor=actor)
        api_key_forget(key.digest)
        transaction.on_commit(lambda: api_key_forget(key.digest))
    return key


# The key lookup is cached by digest (Redis in production and tests; each process's own memory
# without it): what the ORM would load — the key, its organisation, region and pharmacy — as
# column values. Revoking a key, or saving the key, its organisation or pharmacy, drops the
# entry (`accounts.apps`); `settings.API_KEY_CACHE_SECONDS` bounds its life anyway, which is
# what bounds a revocation for the other processes when the cache is per process.
def _cache_key(digest: str) -> str:
    return f"apikey:v2:{digest}"  # v2: with scope, expiry and the issuer check


def api_key_forget(digest: str) -> None:
    cache.delete(_cache_key(digest))


def api_keys_forget_issuer(user_id: int) -> None:
    """Drop the cached entries of the keys a user issued (they were deactivated or their
    membership changed), now and again once that change is committed."""

    def forget() -> None:
        digests = ApiKey.objects.filter(created_by_id=user_id).values_list("digest", flat=True)
        cache.delete_many([_cache_key(d) for d in digests])

    forget()
    transaction.on_commit(forget)


def api_keys_forget(organisation_id: int) -> None:
    """Drop the cached entries of an organisation's keys (it or its pharmacy changed)."""
    digests = ApiKey.objects.filter(organisation_id=organisation_id).values_list(
        "digest", flat=True
    )
    cache.delete_many([_cache_key(d) for d in digests])


def _columns(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


# Compiled once per process (core.prepared): a cold key costs one read, not an ORM compile.
_KEY_BY_PREFIX = PreparedQuery(
    lambda prefix: (
        ApiKey.objects.select_related(
            "organisation", "organisation__region", "organisation__pharmacy", "created_by"
        )
        .filter(prefix=prefix)  # unique
        .order_by()
    ),
    prefix=sentinel_text("prefix"),
)


_KEY_USED = f"UPDATE {ApiKey._meta.db_table} SET last_used_at = %s WHERE id = %s"  # noqa: S608


def _lookup(prefix: str, digest: str) -> dict[str, Any] | None:
    key = next(iter(_KEY_BY_PREFIX.fetch(prefix=prefix)), None)
    if key is None or not hmac.compare_digest(key.digest, digest):
        return None
    organisation = key.organisation
    pharmacy = getattr(organisation, "pharmacy", None) if organisation.is_active else None
    return {
        "refused": key.revoked_at is not None
        or not organisation.is_active
        or not _issuer_may_act(key),
        "key": _columns(key),
        "organisation": _columns(organisation),
        "region": _columns(organisation.region),
        "pharmacy": _columns(pharmacy) if pharmacy is not None else None,
    }


def _issuer_may_act(key: ApiKey) -> bool:
    """A key works while the person who issued it is active and still a member of the
    organisation (cold path only: the answer is cached, and dropped when either changes)."""
    issuer = key.created_by
    if issuer is None:  # issued by a command, not a person
        return True
    return (
        issuer.is_active
        and Membership.objects.filter(
            user_id=issuer.pk, organisation_id=key.organisation_id, is_active=True
        ).exists()
    )


def _key_from(entry: dict[str, Any]) -> ApiKey:
    organisation = partial_instance(Organisation, **entry["organisation"])
    organisation.region = partial_instance(Region, **entry["region"])
    if entry["pharmacy"] is not None:
        # The model behind the one-to-one that pharmacies declares onto Organisation, found
        # through it: accounts imports no app above it (import-linter layers).
        model = cast("type[Model]", Organisation.pharmacy.related.related_model)
        pharmacy = partial_instance(model, **entry["pharmacy"])
        organisation.pharmacy = pharmacy  # type: ignore[assignment]  # both ends cached
    else:
        Organisation.pharmacy.related.set_cached_value(organisation, None)
    key = partial_instance(ApiKey, **entry["key"])
    key.organisation = organisation
    return key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None."""
    prefix, _sep, _secret = raw_key.partition(".")
    if not prefix or not _secret:
        return None
    digest = _digest(raw_key)
    entry = cache.get(_cache_key(digest))
    store = entry is None
    if entry is None:
        entry = _lookup(prefix, digest)
        if entry is None:
            return None  # an unknown key is not cached: nothing for a guesser to fill
    if entry["refused"]:
        if store:
            cache.set(_cache_key(digest), entry, settings.API_KEY_CACHE_SECONDS)
        return None
    now = timezone.now()
    # Expiry is checked on every use from the cached value, so a cached key stops at its time.
    if entry["key"]["expires_at"] <= now:
        return None
    key = _key_from(entry)
    # Record use at most once a minute to keep the hot path free of writes.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        with prepared_cursor() as cursor:
            cursor.execute(_KEY_USED, [now, key.pk])
        key.last_used_at = now
        entry["key"]["last_used_at"] = now
        store = True
    if store:
        cache.set(_cache_key(digest), entry, settings.API_KEY_CACHE_SECONDS)
    return key


# --- Passwords and the second factor (issue 12) ------------------------------------------------


def password_history_record(*, user: User, keep: int) -> None:
    """Remember the hash of the password just saved; keep the newest `keep` (password reuse)."""
    PasswordHistory.objects.create(user=user, password=user.password)
    stale = list(PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[keep:])
    if stale:
        PasswordHistory.objects.filter(pk__in=stale).delete()


def password_change_done(*, user: User) -> User:
    """The user chose their own password: the first-login change is no longer required."""
    if user.password_change_required:
        user.password_change_required = False
        user.save(update_fields=["password_change_required"])
    return user


RECOVERY_DEVICE_NAME = "recovery"


def totp_device_start(*, user: User) -> TOTPDevice:
    """The user's pending authenticator (a new random secret) until a code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def totp_device_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the pending authenticator with a code it shows; it replaces any earlier one,
    and fresh recovery codes are issued (returned once, never shown again)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None or not device.verify_token(_normalise(code)):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_issue(user=user)
    return device, codes


def recovery_codes_issue(*, user: User) -> list[str]:
    """New recovery codes (django-otp static tokens, each usable once); earlier ones stop
    working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.DINGDIAN_RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def second_factor_disable(*, user: User) -> None:
    """Remove the user's authenticator and recovery codes (only for users not required to
    have them: the view checks accounts.selectors.user_requires_second_factor)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _normalise(code: str) -> str:
    return "".join(code.split()).lower()


def second_factor_verify(*, user: User, code: str) -> Device | None:
    """The user's device accepting `code` — a 6-digit code from the authenticator, or one of
    the recovery codes, which is used up — or None. Each wrong code throttles the device for
    1, 2, 4 … seconds (django-otp), so codes cannot be guessed."""
    code = _normalise(code)
    model: type[Device] = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(code):
                return device
    return None
