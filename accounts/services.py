from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.audit import api_key_audit
from accounts.models import ApiKey, Organisation, Region, User
from core.errors import DomainError
from core.models import AuditAction
from core.prepared import PreparedQuery, partial_instance, prepared_cursor, sentinel_text


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
    return f"apikey:v1:{digest}"


def api_key_forget(digest: str) -> None:
    cache.delete(_cache_key(digest))


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
            "organisation", "organisation__region", "organisation__pharmacy"
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
        "refused": key.revoked_at is not None or not organisation.is_active,
        "key": _columns(key),
        "organisation": _columns(organisation),
        "region": _columns(organisation.region),
        "pharmacy": _columns(pharmacy) if pharmacy is not None else None,
    }


def _key_from(entry: dict[str, Any]) -> ApiKey:
    from pharmacies.models import Pharmacy

    organisation = partial_instance(Organisation, **entry["organisation"])
    organisation.region = partial_instance(Region, **entry["region"])
    if entry["pharmacy"] is not None:
        pharmacy = partial_instance(Pharmacy, **entry["pharmacy"])
        organisation.pharmacy = pharmacy  # both ends cached: no query either way
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
    key = _key_from(entry)
    now = timezone.now()
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
