"""Property-based fuzzing of the whole API (schemathesis) with a pharmacy's key, a hospital's
key and a bureau session: no input, valid or not, may produce a server error.

Every operation of the OpenAPI schema is called in-process (the portal's own WSGI handler,
so API-key requests take the lean middleware stack as in production) with a small,
derandomised number of generated requests — positive (what the schema allows) and negative
(what it does not). Each request runs in a savepoint that is rolled back, so the data the
fixture made stays the same for every example. A 500 found here gets a focused regression
test named for the input, next to the code it fixes.
"""

from __future__ import annotations

import functools
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode

from accounts.models import OrganisationKind, Role
from accounts.services import api_key_create
from core.handlers import PortalHandler
from tests.factories import member
from tests.factories.patients import clerk, hospital, org
from tests.factories.prescriptions import world
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db

EXAMPLES_PER_MODE = 3  # per operation and mode: the module takes about a minute on 2 workers
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@functools.cache
def _schema() -> Any:
    """Generated once per process (about 3 s): the three tests share it."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(generated)
    loaded.app = PortalHandler()
    return loaded


@contextmanager
def _keep_the_test_connection() -> Iterator[None]:
    """As Django's test client does: a request must not close the test's connection (which
    holds the test transaction) at its start or end."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(
    headers: dict[str, str],
    *,
    cookies: dict[str, str] | None = None,
    skip: Callable[[str], bool] = lambda _label: False,
) -> None:
    schema = _schema()
    failures: list[str] = []
    calls = [0]
    started = time.monotonic()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if skip(operation.label):
            continue
        for mode in MODES:
            failure = _fuzz_operation(schema.app, operation, mode, headers, cookies, calls)
            if failure:
                failures.append(failure)
    print(f"fuzz: {calls[0]} requests in {time.monotonic() - started:.1f}s")
    assert not failures, "\n\n".join(failures)


def _fuzz_operation(
    app: Any,
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    cookies: dict[str, str] | None,
    calls: list[int],
) -> str | None:
    """The first server error hypothesis finds (shrunk) for this operation, if any."""

    @seed(20261204)
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        calls[0] += 1
        with transaction.atomic():
            response = case.call(app=app, headers=headers, cookies=cookies)
            transaction.set_rollback(True)
        if os.environ.get("FUZZ_TRACE"):
            print(operation.label, mode.value, response.status_code, flush=True)
        case.validate_response(response, checks=[not_a_server_error])

    try:
        with _keep_the_test_connection():
            call()
    except Unsatisfiable:
        # Nothing invalid to send (no parameters, or only free-form strings).
        assert mode is GenerationMode.NEGATIVE, operation.label
    except Exception as exc:
        return f"{operation.label} [{mode.value}]: {exc}"[:3000]
    return None


def test_api_fuzz_with_a_pharmacy_api_key() -> None:
    w = world()
    _key, raw = api_key_create(organisation=w.pharmacy.organisation, name="POS", actor=w.pharmacist)
    _fuzz({"Authorization": f"Api-Key {raw}"})


def test_api_fuzz_with_a_hospital_api_key() -> None:
    h = hospital()
    _key, raw = api_key_create(organisation=h, name="HIS", actor=clerk(h))
    _fuzz({"Authorization": f"Api-Key {raw}"})


def test_api_fuzz_with_a_bureau_session() -> None:
    world()
    centre = org(OrganisationKind.CENTRE, "衡阳县医疗保障事务中心")
    reviewer = member(Role.BUREAU_REVIEWER, organisation=centre)
    from django.test import Client

    client = login(Client(), reviewer)
    session = client.cookies["sessionid"].value
    token = secrets.token_hex(16)  # a CSRF secret: the cookie and the header agree
    _fuzz(
        {"X-CSRFToken": token},
        cookies={"sessionid": session, "csrftoken": token},
        # Logging out the session would end the run for every later operation.
        skip=lambda label: "logout" in label,
    )
