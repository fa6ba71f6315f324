"""core.prepared.prepared_cursor: the hot path's statements are prepared once per
connection on PostgreSQL and give the same rows as the ordinary cursor."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import Region
from core.prepared import prepared_cursor

pytestmark = pytest.mark.django_db

_SQL = f"SELECT code, name FROM {Region._meta.db_table} WHERE code = %s"


def test_statement_is_prepared_once_and_answers_as_the_ordinary_cursor() -> None:
    code = Region.objects.values_list("code", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [code])
        expected = cursor.fetchall()
    for _i in range(3):
        with prepared_cursor() as cursor:
            cursor.execute(_SQL, [code])
            assert cursor.fetchall() == expected
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%" + Region._meta.db_table + "%"],
        )
        (prepared,) = cursor.fetchone()
    assert prepared == 1
