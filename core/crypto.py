"""Resident IDs at rest: encrypted columns (Fernet, rotatable keys) and a keyed blind index
for exact lookup (issue 12.4).

- `EncryptedTextField` stores `MultiFernet(DINGDIAN_FIELD_KEYS).encrypt(value)` (AES-128-CBC +
  HMAC-SHA256, `cryptography`): the first key encrypts, every key decrypts. A token is random,
  so the column cannot be searched; its lookups are refused loudly (a forgotten
  `filter(resident_id=…)` raises instead of silently matching nothing).
- `BlindIndexField(source=…)` holds HMAC-SHA256(`DINGDIAN_BLIND_INDEX_KEY`, normalised value)
  as 64 hex characters, recomputed from the source field on every save; exact lookups and
  uniqueness use it, always through `blind_index()`. Its key is not rotatable without
  re-computing every index (`manage.py rotate_field_keys --reindex` after changing it).
- Empty values stay empty in both columns (an optional proxy ID), so "none given" needs no key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models

from core.validators import normalise_resident_id


@functools.lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("DINGDIAN_FIELD_KEYS is empty (see README: Configuration).")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "DINGDIAN_FIELD_KEYS must be comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each; see README: Security: resident IDs)."
        ) from exc


def field_fernet() -> MultiFernet:
    """The keys of `DINGDIAN_FIELD_KEYS`: the first encrypts, all decrypt."""
    return _multi_fernet(tuple(settings.DINGDIAN_FIELD_KEYS))


def encrypt(value: str) -> str:
    if value == "":
        return ""
    return field_fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    if token == "":
        return ""
    try:
        return field_fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        # A key removed too early, or a plaintext value that was never encrypted.
        raise ImproperlyConfigured(
            "An encrypted column could not be decrypted with DINGDIAN_FIELD_KEYS: "
            "was a key removed before `manage.py rotate_field_keys` ran?"
        ) from exc


def reencrypt(token: str) -> str:
    """The same value under the first key (MultiFernet.rotate); empty stays empty."""
    if token == "":
        return ""
    return field_fernet().rotate(token.encode("ascii")).decode("ascii")


def blind_index(value: str | None) -> str:
    """The lookup key of a resident ID: HMAC-SHA256 over the normalised value, hex.
    Every exact lookup of an encrypted ID goes through this function."""
    normalised = normalise_resident_id(value or "")
    if not normalised:
        return ""
    key = settings.DINGDIAN_BLIND_INDEX_KEY.encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text value stored as a Fernet token; read back decrypted. Not searchable: look it
    up by its `BlindIndexField`."""

    description = "Text encrypted at rest (Fernet)"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return value
        return decrypt(value)

    def to_python(self, value: Any) -> Any:
        return value  # the decrypted value is the Python value; tokens never leave the DB

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model.__name__}.{self.name} is encrypted and cannot be compared in SQL "
            f"('{lookup_name}'): filter its blind index with core.crypto.blind_index(value)."
        )

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        # A one-line input (TextField would give a textarea) limited to the plaintext length.
        return forms.CharField(
            max_length=self.max_length,
            required=not self.blank,
            label=kwargs.get("label", self.verbose_name),
            validators=kwargs.get("validators", []),
        )


class BlindIndexField(models.CharField):
    """HMAC of another field of the model (`source`), kept in step on every save (and
    bulk_create). A `save(update_fields=…)` naming the source must name the index too, and
    `QuerySet.update()` of the source is not kept in step: write resident IDs with `save()`."""

    description = "Keyed hash of another field, for exact lookup"

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if kwargs.get("max_length") == 64:
            del kwargs["max_length"]
        if kwargs.get("editable") is False:
            del kwargs["editable"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = blind_index(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


# Pages that continue a lookup (the counter after a sale, a prescription's "dispense" link)
# carry this signed, expiring token of the patient's row instead of the resident ID: it names
# no one, cannot be forged or enumerated, and is only minted after a lookup by the full ID.
LOOKUP_TOKEN_SALT = "dingdian.resident-lookup"
LOOKUP_TOKEN_MAX_AGE = 12 * 3600  # one working day at the counter


def lookup_token(pk: int) -> str:
    return signing.dumps(pk, salt=LOOKUP_TOKEN_SALT)


def lookup_token_pk(token: str) -> int | None:
    """The row a lookup token names; None when absent, altered or expired."""
    if not token:
        return None
    try:
        value = signing.loads(token, salt=LOOKUP_TOKEN_SALT, max_age=LOOKUP_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted column of every installed model, historical tables included."""
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def blind_index_fields() -> Iterator[tuple[type[models.Model], BlindIndexField]]:
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, BlindIndexField):
                yield model, field


def encrypt_column_in_migration(
    schema_editor: Any, *, table: str, pk: str, column: str, index_column: str | None = None
) -> None:
    """Data migration: encrypt a plaintext column in place and fill its blind index (raw SQL,
    so the field's decryption never sees the plaintext). A history table already protected as
    append-only (core.immutability) is lifted for this transaction only."""
    from core.immutability import rewrite_allowed

    qn = schema_editor.connection.ops.quote_name
    alias = schema_editor.connection.alias
    with rewrite_allowed(table, using=alias), schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} WHERE {qn(column)} <> ''")  # noqa: S608 (quoted names of our own tables)
        rows = cursor.fetchall()
        if index_column:
            cursor.executemany(
                f"UPDATE {qn(table)} SET {qn(column)} = %s, {qn(index_column)} = %s "  # noqa: S608 (quoted names of our own tables)
                f"WHERE {qn(pk)} = %s",
                [(encrypt(value), blind_index(value), key) for key, value in rows],
            )
        else:
            cursor.executemany(
                f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE {qn(pk)} = %s",  # noqa: S608 (quoted names of our own tables)
                [(encrypt(value), key) for key, value in rows],
            )


def decrypt_column_in_migration(
    schema_editor: Any, *, table: str, pk: str, column: str, index_column: str | None = None
) -> None:
    """The reverse of `encrypt_column_in_migration`: plaintext back, index emptied."""
    from core.immutability import rewrite_allowed

    qn = schema_editor.connection.ops.quote_name
    alias = schema_editor.connection.alias
    with rewrite_allowed(table, using=alias), schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} WHERE {qn(column)} <> ''")  # noqa: S608 (quoted names of our own tables)
        rows = cursor.fetchall()
        cursor.executemany(
            f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE {qn(pk)} = %s",  # noqa: S608 (quoted names of our own tables)
            [(decrypt(value), key) for key, value in rows],
        )
        if index_column:
            cursor.execute(f"UPDATE {qn(table)} SET {qn(index_column)} = ''")  # noqa: S608 (quoted names of our own tables)
