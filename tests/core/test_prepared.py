"""core.prepared: the hot path's statements are prepared once per connection and give the same
rows as the ordinary cursor; a PreparedQuery answers as its queryset does for date, time, text
and id parameters, and refuses loudly what it cannot prepare (lists, NULLs not asked for, a
value the ORM changes on its way to the SQL)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet, TimeField, Value

from accounts.models import Region
from core.prepared import (
    PreparedQuery,
    prepared_cursor,
    sentinel_date,
    sentinel_id,
    sentinel_text,
    sentinel_time,
)
from programmes.models import Programme

pytestmark = pytest.mark.django_db

_SQL = f"SELECT code, name FROM {Region._meta.db_table} WHERE code = %s"


def _prepared_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%" + table + "%"],
        )
        (prepared,) = cursor.fetchone()
    return int(prepared)


def test_statement_is_prepared_once_and_answers_as_the_ordinary_cursor() -> None:
    code = Region.objects.values_list("code", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [code])
        expected = cursor.fetchall()
    for _i in range(3):
        with prepared_cursor() as cursor:
            cursor.execute(_SQL, [code])
            assert cursor.fetchall() == expected
    assert _prepared_count(Region._meta.db_table) == 1


def _programmes_in_force(*, on: date) -> QuerySet[Programme]:
    return Programme.objects.filter(valid_from__lte=on).order_by("code")


def test_date_parameter_answers_as_the_queryset_for_every_date() -> None:
    # Given programmes in force from different days
    Programme.objects.filter(code="HY-TM").update(valid_from=date(2026, 1, 1))
    Programme.objects.filter(code="GY-PT").update(valid_from=date(2026, 7, 1))
    query = PreparedQuery(_programmes_in_force, on=sentinel_date(1))
    # When asked on days before, between and after
    for on in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 1)):
        # Then the prepared query finds what the queryset finds, as model instances
        got = query.fetch(on=on)
        assert [(p.pk, p.code, p.valid_from) for p in got] == [
            (p.pk, p.code, p.valid_from) for p in _programmes_in_force(on=on)
        ]
    assert [p.code for p in query.fetch(on=date(2026, 7, 1))][:2] == ["GY-PT", "HY-TM"]


def _region_with_time(*, code: str, at: time) -> QuerySet[Region]:
    return Region.objects.filter(code=code).annotate(at=Value(at, output_field=TimeField()))


def test_time_parameter_reaches_the_row_as_the_time_given() -> None:
    Region.objects.create(code="T1", name="时辰")
    query = PreparedQuery(_region_with_time, code=sentinel_text("code"), at=sentinel_time(1))
    for at in (time(8, 30), time(0, 0), time(23, 59, 59)):
        (region,) = query.fetch(code="T1", at=at)
        assert (region.name, region.at) == ("时辰", at)  # type: ignore[attr-defined]


def _regions_under(*, parent_id: int) -> QuerySet[Region]:
    return Region.objects.filter(parent_id=parent_id).order_by("code")


def test_id_parameter_and_a_declared_null_compare_as_sql_null() -> None:
    # Given a region with a child and one without a parent
    top = Region.objects.create(code="N0", name="上")
    Region.objects.create(code="N1", name="下", parent=top)
    strict = PreparedQuery(_regions_under, parent_id=sentinel_id(1))
    assert [r.code for r in strict.fetch(parent_id=top.pk)] == ["N1"]
    # A None not declared nullable is refused: the queryset would mean IS NULL, SQL `= NULL`
    # matches nothing
    with pytest.raises(ValueError, match="parent_id is None"):
        strict.fetch(parent_id=None)
    # Declared nullable, None matches no row (SQL NULL), never the rows without a parent
    lenient = PreparedQuery(_regions_under, nullable=("parent_id",), parent_id=sentinel_id(2))
    assert lenient.fetch(parent_id=None) == []
    assert Region.objects.filter(parent_id=None, code="N0").exists()


def _regions_coded(*, codes: list[str]) -> QuerySet[Region]:
    return Region.objects.filter(code__in=codes)


def test_list_parameter_is_refused_when_the_query_is_declared() -> None:
    # An `__in` list becomes one SQL parameter per element: it cannot be one prepared slot
    with pytest.raises(ValueError, match="codes: a list cannot be a prepared parameter"):
        PreparedQuery(_regions_coded, codes=[sentinel_text("a"), sentinel_text("b")])


def _region_by_code(*, code: str) -> QuerySet[Region]:
    return Region.objects.filter(code__in=[code])


def test_list_value_is_refused_when_fetched() -> None:
    query = PreparedQuery(_region_by_code, code=sentinel_text("code"))
    Region.objects.create(code="L1", name="列")
    assert [r.name for r in query.fetch(code="L1")] == ["列"]
    with pytest.raises(ValueError, match="code: a list cannot be a prepared parameter"):
        query.fetch(code=["L1", "L2"])


def test_missing_or_unknown_values_are_refused() -> None:
    query = PreparedQuery(_region_by_code, code=sentinel_text("code"))
    with pytest.raises(TypeError, match=r"missing \['code'\]"):
        query.fetch()
    with pytest.raises(TypeError, match=r"unknown \['name'\]"):
        query.fetch(code="L1", name="x")


def _regions_named_like(*, name: str) -> QuerySet[Region]:
    return Region.objects.filter(name__icontains=name)


def _organisations_since(*, on: date) -> QuerySet[Any]:
    from accounts.models import Organisation

    return Organisation.objects.filter(created_at__gte=on)


def test_a_value_the_orm_changes_on_its_way_is_refused_when_compiled() -> None:
    # icontains wraps the text in %…%: the sentinel no longer reaches the SQL as itself
    query = PreparedQuery(_regions_named_like, name=sentinel_text("name"))
    with pytest.raises(ValueError, match="a sentinel was altered on its way to the SQL"):
        query.fetch(name="县")
    # A date compared with a timestamp column becomes a datetime: not found as the date
    dated = PreparedQuery(_organisations_since, on=sentinel_date(1))
    with pytest.warns(RuntimeWarning), pytest.raises(ValueError, match=r"not found.*\['on'\]"):
        dated.fetch(on=date(2026, 1, 1))


def test_sentinels_must_differ() -> None:
    with pytest.raises(ValueError, match="the same sentinel"):
        PreparedQuery(_region_with_time, code=sentinel_text("x"), at=sentinel_text("x"))


def test_switched_off_nothing_is_prepared_or_kept_and_the_answers_are_the_same(
    settings: Any,
) -> None:
    # README "Hot path": DINGDIAN_PREPARED_QUERIES=0 measures what the shortcut buys.
    code = Region.objects.values_list("code", flat=True).first()
    query = PreparedQuery(_programmes_in_force, on=sentinel_date(1))
    expected = [p.code for p in _programmes_in_force(on=date(2027, 6, 1))]
    settings.DINGDIAN_PREPARED_QUERIES = False
    for _i in range(2):
        with prepared_cursor() as cursor:
            cursor.execute(_SQL, [code])
            assert cursor.fetchall()
        assert [p.code for p in query.fetch(on=date(2027, 6, 1))] == expected
    assert _prepared_count(Region._meta.db_table) == 0
    assert query._compiled == {}  # compiled on every call, as the ORM does
    settings.DINGDIAN_PREPARED_QUERIES = True
    assert [p.code for p in query.fetch(on=date(2027, 6, 1))] == expected
    assert query._compiled
