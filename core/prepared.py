"""Querysets compiled once per process: for hot reads whose ORM compilation costs more CPU
than PostgreSQL spends answering them.

`PreparedQuery(build, name=sentinel, ...)` calls `build(**sentinels)` once, compiles the
queryset to SQL, and remembers which SQL parameter carries which sentinel. Each call then
sends that SQL with the real values in their places and turns the rows into model instances
(select_related objects and annotations included) the way the ORM does. The queryset is still
the one source of truth: it is written with the same selectors as everywhere else.

Why not something simpler (measured 2026-12-04 on the 2-core development machine, with the
counter's read, prescriptions.selectors.counter_read: 7,900 characters of SQL, 49 parameters):
- Building and compiling that queryset costs 5.3–5.6 ms of CPU per call: about twice the
  portal's whole CPU per sale with it compiled once (2.3–3.3 ms in process). psycopg's
  automatic preparation (`prepare_threshold` with Django's `server_side_binding`) spares
  PostgreSQL's planning but not this compilation: the ORM compiles the queryset on every
  call. In the dispensing benchmark (50 pharmacies, 5,000 patients; noisy, two rounds each),
  compiling per call on the same prepared cursor took the portal's CPU per sale from
  2.9–3.3 ms to 11.7–13.7 ms in process (gunicorn's from 3.0–3.4 ms to 11.8–14.6 ms), and
  throughput from 228–268 to 24–125 sales/s.
- The same read as a hand-written SQL string would be as fast, but would copy the SQL of the
  selectors it is built from (counter_access_q, settling_designations, on_duty_memberships …),
  which other pages use: two versions of each rule to keep in step.
- psycopg splits a statement's text into parts on every execute when it is over 4 kB (it
  caches smaller ones); caching that split through psycopg's private `_queries` module saved
  65 µs of CPU per sale (0.04 against 0.11 ms per execute of the counter's read), about 2 % of
  the sale and below the benchmark's noise: not worth depending on a private module.

`DINGDIAN_PREPARED_QUERIES=0` switches both halves off (to measure them, or to rule them out):
each fetch compiles its queryset again, as the ORM does, and `prepared_cursor` is Django's
ordinary cursor (client-side binding, nothing prepared). The answers are the same.

Sentinels are values that cannot occur in a real query (a large negative id, a date in the
year 1001, a time 0.999 s after midnight to the microsecond, a string with a control
character). What cannot be prepared is refused loudly rather than answered wrongly:
- compiling fails when a sentinel does not reach the SQL as one parameter of its own type (a
  date compared with a timestamp column becomes a datetime), or reaches it changed (a lookup
  that wraps its value, like `icontains`);
- a list (`__in`) is refused when the query is declared and when a value is passed: each
  element is a parameter of its own, so a list cannot be one prepared slot;
- None is refused unless the parameter is declared `nullable`: the queryset would have turned
  it into IS NULL, while the prepared SQL compares with NULL and matches no row — which is
  what a nullable parameter means here;
- a missing or unknown keyword is refused.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Model, QuerySet
from django.db.models.expressions import DatabaseDefault
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=Model)


def sentinel_id(n: int) -> int:
    """An id no row has (use a distinct n per parameter)."""
    return -7_340_000_000 - n


def sentinel_date(n: int) -> date:
    return date(1001, 1, n)


def sentinel_time(n: int) -> time:
    return time(0, 0, 0, 999_000 + n)


def sentinel_text(name: str) -> str:
    return f"\x01prepared:{name}"


def partial_instance(model: type[M], using: str = "default", **values: Any) -> M:
    """An instance loaded from these column values (attnames); any other field is deferred
    and loads from the database when read, as with `.only()`."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    assert len(names) == len(values), f"not columns of {model.__name__}: {sorted(values)}"
    return model.from_db(using, names, [values[n] for n in names])


_ONLY_WHEN_ASKED = 2**31 - 1


@functools.cache
def _preparing_cursor_class() -> type:
    """Django's server-side-binding cursor, preparing every statement it runs."""
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
        ServerBindingCursor,
    )

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            return super().execute(query, params, **kwargs)

    return PreparingCursor


class _LoggedWrapper(CursorDebugWrapper):
    """Logs the statement with its values in place, as Django's own cursors log theirs (a
    prepared statement leaves psycopg nothing to report as the last query)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        shown = sql if params is None else self.db.ops.compose_sql(sql, params)
        with self.debug_sql(shown):
            return CursorWrapper.execute(self, sql, params)


def _new_preparing_cursor(connection: Any) -> Any:
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID  # type: ignore[attr-defined]
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    raw_connection = connection.connection
    if raw_connection.prepare_threshold is None:
        # Django turns psycopg's automatic preparation off; only statements that ask for it
        # (this cursor's) are prepared, and Django's own cursors (client-side binding) never.
        raw_connection.prepare_threshold = _ONLY_WHEN_ASKED
    with connection.wrap_database_errors:
        cursor = _preparing_cursor_class()(raw_connection)
    # What Django's create_cursor() does for its own cursors.
    loader = raw_connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if connection.timezone != loader.timezone:
        register_tzloader(connection.timezone, cursor)
    return cursor


@contextmanager
def prepared_cursor(using: str = "default") -> Iterator[CursorWrapper]:
    """A cursor for the hot path's fixed statements: each is sent with its
    parameters apart (server-side binding) and prepared on first use, so the server parses
    and plans it once per connection instead of once per call (the counter's read takes
    longer to plan than to run). One such cursor serves each connection. Queries are logged
    and wrapped as with `cursor()`. Behind PgBouncer in transaction mode, turn on its
    `max_prepared_statements` (1.21 and later)."""
    connection = connections[using]
    if not settings.DINGDIAN_PREPARED_QUERIES:
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    mine = getattr(connection, "_dingdian_prepared", None)
    if mine is None or mine[0] is not connection.connection or mine[1] != connection.timezone:
        mine = (connection.connection, connection.timezone, _new_preparing_cursor(connection))
        setattr(connection, "_dingdian_prepared", mine)  # noqa: B010
    connection.validate_thread_sharing()
    if connection.queries_logged:
        yield _LoggedWrapper(mine[2], connection)
    else:
        yield connection.make_cursor(mine[2])


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: tuple[tuple[str | None, Any], ...]  # (sentinel name, None) or (None, constant)
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    col_count: int
    model: type[Model]
    init_list: tuple[str, ...]
    model_start: int
    model_end: int
    related_populators: tuple[Any, ...]
    annotation_col_map: tuple[tuple[str, int], ...]


class PreparedQuery(Generic[M]):
    """A queryset built once from `build(**sentinels)`; `fetch(**values)` runs it. `nullable`:
    the parameters that may be None (compared as SQL NULL: `= NULL` matches no row)."""

    def __init__(
        self,
        build: Callable[..., QuerySet[M]],
        *,
        nullable: Collection[str] = (),
        **sentinels: Any,
    ) -> None:
        for name, value in sentinels.items():
            if isinstance(value, list | tuple | set | frozenset | dict):
                raise ValueError(f"{name}: a list cannot be a prepared parameter")
        keys = [(type(v), v) for v in sentinels.values()]
        if len(set(keys)) != len(keys):
            raise ValueError("two parameters have the same sentinel: give each its own")
        unknown = set(nullable) - set(sentinels)
        if unknown:
            raise ValueError(f"nullable names no parameter: {sorted(unknown)}")
        self.build = build
        self.sentinels = sentinels
        self.nullable = frozenset(nullable)
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def sql(self, using: str = "default") -> tuple[str, tuple[tuple[str | None, Any], ...]]:
        compiled = self._compile(using)
        return compiled.sql, compiled.slots

    def _compile(self, using: str) -> _Compiled:
        if not settings.DINGDIAN_PREPARED_QUERIES:
            return self._compile_now(using)  # every call, as the ORM does
        compiled = self._compiled.get(using)
        if compiled is not None:
            return compiled
        with self._lock:
            compiled = self._compiled.get(using)
            if compiled is None:  # else another thread compiled it meanwhile
                compiled = self._compiled[using] = self._compile_now(using)
            return compiled

    def _compile_now(self, using: str) -> _Compiled:
        queryset = self.build(**self.sentinels).using(using)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        by_value = {(type(v), v): name for name, v in self.sentinels.items()}
        slots: list[tuple[str | None, Any]] = []
        for p in params:
            name = by_value.get((type(p), p))
            slots.append((name, None) if name is not None else (None, p))
            if name is None and isinstance(p, str) and "\x01prepared:" in p:
                raise ValueError(f"a sentinel was altered on its way to the SQL: {p!r}")
        missing = set(self.sentinels) - {name for name, _c in slots if name}
        if missing:
            raise ValueError(f"sentinels not found in the SQL parameters: {sorted(missing)}")
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None, "prepare model querysets only (not values())"
        fields = [s[0] for s in select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        return _Compiled(
            sql=sql,
            slots=tuple(slots),
            converters=tuple(
                (pos, tuple(convs), expression) for pos, (convs, expression) in converters.items()
            ),
            col_count=compiler.col_count,
            model=klass_info["model"],
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            model_start=start,
            model_end=end,
            related_populators=tuple(get_related_populators(klass_info, select, using)),
            annotation_col_map=tuple(compiler.annotation_col_map.items()),
        )

    def fetch(self, using: str = "default", **values: Any) -> list[M]:
        """The rows for these values (one keyword per sentinel), as the queryset yields them."""
        if values.keys() != self.sentinels.keys():
            missing = sorted(self.sentinels.keys() - values.keys())
            unknown = sorted(values.keys() - self.sentinels.keys())
            raise TypeError(f"prepared query values: missing {missing}, unknown {unknown}")
        for name, value in values.items():
            if value is None and name not in self.nullable:
                raise ValueError(f"{name} is None: declare it nullable (= NULL matches no row)")
            if isinstance(value, list | tuple | set | frozenset | dict):
                raise ValueError(f"{name}: a list cannot be a prepared parameter")
        c = self._compile(using)
        params = [values[name] if name is not None else constant for name, constant in c.slots]
        connection = connections[using]
        with prepared_cursor(using) as cursor:
            cursor.execute(c.sql, params)
            rows = cursor.fetchall()
        objects: list[M] = []
        for fetched in rows:
            row = list(fetched[: c.col_count])
            for pos, convs, expression in c.converters:
                value = row[pos]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[pos] = value
            obj = c.model.from_db(using, list(c.init_list), row[c.model_start : c.model_end])
            for populator in c.related_populators:
                populator.populate(row, obj)
            for attr, pos in c.annotation_col_map:
                setattr(obj, attr, row[pos])
            objects.append(obj)  # type: ignore[arg-type]
        return objects


_INSERT_SQL: dict[tuple[type[Model], int, str], tuple[str, tuple[Any, ...]]] = {}


def insert(objs: list[M], using: str = "default") -> list[M]:
    """INSERT new instances of one model in one statement and set their ids, as `bulk_create`
    does (no save(), no signals: refused when the model has save-signal receivers), with the
    SQL text built once per model and row count. Field values go through each field's
    `pre_save` (auto_now_add, files) and `get_db_prep_save`, as the ORM's own insert."""
    model = type(objs[0])
    assert all(type(o) is model for o in objs)
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise ValueError(f"{model.__name__} has save signals: use save() or bulk_create()")
    connection = connections[using]
    cached = _INSERT_SQL.get((model, len(objs), using))
    if cached is None:
        opts = model._meta
        fields = tuple(f for f in opts.concrete_fields if f is not opts.auto_field)
        qn = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (  # table and column names from the model, quoted by the backend
            f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in fields)})"  # noqa: S608
            f" VALUES {', '.join([row] * len(objs))} RETURNING {qn(opts.pk.column)}"
        )
        cached = _INSERT_SQL[(model, len(objs), using)] = (sql, fields)
    sql, fields = cached
    params: list[Any] = []
    for obj in objs:
        for f in fields:
            value = f.pre_save(obj, True)
            if isinstance(value, DatabaseDefault):
                value = f.get_default()
            params.append(f.get_db_prep_save(value, connection=connection))
    with prepared_cursor(using) as cursor:
        cursor.execute(sql, params)
        ids = [pk for (pk,) in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
    return objs
