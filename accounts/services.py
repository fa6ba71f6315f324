from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, Organisation, User
from core.errors import DomainError


def _digest(raw_key: str) -> str:
    # Keys are 256-bit random secrets, so a plain SHA-256 digest is enough (no brute force).
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, organisation: Organisation, name: str, actor: User) -> tuple[ApiKey, str]:
    """Create a key for a POS/HIS system; the raw key is returned once and never stored."""
    if not name.strip():
        raise DomainError("请填写密钥名称。", field="name")
    prefix = secrets.token_hex(4)
    raw_key = f"{prefix}.{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        organisation=organisation,
        name=name.strip(),
        prefix=prefix,
        digest=_digest(raw_key),
        created_by=actor,
    )
    return key, raw_key


def api_key_revoke(*, api_key: ApiKey, actor: User) -> ApiKey:
    """Revoke a key; calls with it fail from now on."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.revoked_by = actor
            key.save(update_fields=["revoked_at", "revoked_by"])
    return key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None."""
    prefix, _sep, _secret = raw_key.partition(".")
    if not prefix or not _secret:
        return None
    key = (
        # The pharmacy (if the organisation is one) comes along: POS calls need it.
        ApiKey.objects.select_related(
            "organisation", "organisation__region", "organisation__pharmacy"
        )
        .filter(prefix=prefix, revoked_at__isnull=True, organisation__is_active=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.digest, _digest(raw_key)):
        return None
    now = timezone.now()
    # Record use at most once a minute to keep the hot path free of writes.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
