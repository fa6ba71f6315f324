"""Issue 12.5: a missing object and another organisation's object answer alike, and no 404
body names a model (Django's "No Foo matches the given query." must never reach a caller)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.models import Organisation, OrganisationKind, Role
from accounts.services import api_key_create
from config.urls import router
from tests.factories import accreditation as h
from tests.factories import member, region
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db

MISSING = 987654321
NEUTRAL = {"detail": "未找到。"}


def _model_names() -> set[str]:
    names: set[str] = set()
    for model in apps.get_models():
        names.add(model.__name__)
        names.add(str(model._meta.verbose_name))
    return {n for n in names if len(n) > 1}


def _key(organisation: Organisation, creator: Any) -> APIClient:
    _k, raw = api_key_create(organisation=organisation, name="sys", actor=creator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def _callers() -> list[Any]:
    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    admin = member(Role.BUREAU_ADMIN, username="sweep_admin")
    clerk = member(Role.WINDOW_CLERK, username="sweep_clerk")
    callers: list[Any] = []
    for user in (admin, manager, clerk, member(Role.PHARMACIST, username="sweep_pharmacist")):
        callers.append(login(APIClient(), user))
    callers.append(_key(pharmacy.organisation, manager))
    bureau = admin.memberships.get().organisation
    callers.append(_key(bureau, admin))
    hospital = clerk.memberships.get().organisation
    callers.append(_key(hospital, clerk))
    return callers


def _api_detail_urls() -> list[str]:
    """Every router route that takes an object id, with an id that does not exist."""
    urls = set()
    for pattern in router.urls:
        route = str(pattern.pattern)
        if "(?P<pk>" not in route or "\\.(?P<format>" in route:
            continue
        path = re.sub(r"\(\?P<pk>[^)]*\)", str(MISSING), route).lstrip("^").rstrip("$")
        urls.add("/api/v1/" + path)
    return sorted(urls)


def test_sec_api_404_bodies_are_neutral_and_name_no_model() -> None:
    names = _model_names()
    urls = _api_detail_urls()
    assert len(urls) >= len(router.registry)  # every viewset has at least its detail route
    seen = 0
    for client in _callers():
        for url in urls:
            for method in ("get", "post", "patch"):
                response = getattr(client, method)(url, {}, format="json")
                if response.status_code != 404:
                    continue
                seen += 1
                body = response.content.decode()
                assert response.json() == NEUTRAL, (method, url, body)
                assert "matches the given query" not in body
                assert not [n for n in names if n in body], (method, url, body)
    assert seen > 50  # the sweep really met 404s


def test_sec_api_404_is_translated_and_neutral_in_english() -> None:
    client = login(APIClient(), member(Role.BUREAU_ADMIN, username="en_admin"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get(f"/api/v1/pharmacies/{MISSING}/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_sec_other_pharmacy_staff_id_answers_like_unknown_id() -> None:
    ours = h.pharmacy()
    theirs = h.pharmacy(region_code="520100")
    api = _key(ours.organisation, h.manager_of(ours))
    other_staff = theirs.staff.first()
    assert other_staff is not None

    def upload(staff_id: int) -> Any:
        return api.post(
            "/api/v1/staff-evidence/",
            {"staff": staff_id, "kind": "labour_contract", "file": h.pdf()},
            format="multipart",
        )

    other, unknown = upload(other_staff.pk), upload(MISSING)
    assert other.status_code == unknown.status_code == 400
    assert other.json() == unknown.json() == {"staff": ["未找到。"]}
    own = ours.staff.first()
    assert own is not None and upload(own.pk).status_code == 201


def test_sec_other_region_programme_answers_like_unknown_programme() -> None:
    pharmacy = h.pharmacy()  # Hengyang: HY-TM applies, GY-PT does not
    api = login(APIClient(), h.manager_of(pharmacy))
    other = api.post("/api/v1/applications/", {"programme": "GY-PT"}, format="json")
    unknown = api.post("/api/v1/applications/", {"programme": "XX-00"}, format="json")
    assert other.status_code == unknown.status_code == 400
    assert other.json() == unknown.json() == {"programme": ["未找到。"]}


def _page_urls() -> list[str]:
    """Every page route with an integer id (not the API, not Django's admin)."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                if route.startswith(("api/", "admin/")):
                    continue
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern) and "<int:" in route:
                found.append("/" + prefix + re.sub(r"<int:\w+>", str(MISSING), route))

    walk(get_resolver().url_patterns, "")
    return found


def test_sec_page_404s_are_neutral_and_name_no_model() -> None:
    names = _model_names()
    urls = _page_urls()
    assert len(urls) > 20
    bureau = Organisation.objects.create(
        kind=OrganisationKind.BUREAU, name="贵阳市医疗保障局", region=region("520100")
    )
    users = [
        member(Role.BUREAU_ADMIN, username="page_admin"),
        member(Role.BUREAU_REVIEWER, username="page_reviewer"),
        member(Role.BENEFITS_OFFICER, organisation=bureau, username="page_officer"),
        h.manager_of(h.pharmacy()),
        member(Role.WINDOW_CLERK, username="page_clerk"),
    ]
    seen = 0
    for user in users:
        client = login(Client(), user)
        for url in urls:
            for response in (client.get(url), client.post(url)):
                if response.status_code != 404:
                    continue
                seen += 1
                body = response.content.decode()
                assert "matches the given query" not in body, url
                assert "未找到。" in body, url
                main = body[body.index("<main") : body.index("</main>")]  # not the menus
                assert not [n for n in names if n in main], (url, main)
    assert seen > 50


def test_sec_every_writable_api_relation_is_scoped_to_the_caller() -> None:
    """A body's object id is looked up only among what the caller may see, so another
    organisation's id and a missing id cannot answer differently (the staff-evidence hole)."""
    import importlib
    import inspect

    from rest_framework import relations, serializers

    from accounts.api import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField

    unscoped = []
    for app in (
        "accounts",
        "accreditation",
        "inventory",
        "patients",
        "pharmacies",
        "prescriptions",
        "programmes",
        "supervision",
    ):
        module = importlib.import_module(f"{app}.api")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, serializers.Serializer) or cls.__module__ != module.__name__:
                continue
            for field_name, field in cls().fields.items():
                if not isinstance(field, relations.RelatedField) or field.read_only:
                    continue
                if isinstance(field, ScopedPrimaryKeyRelatedField | ScopedSlugRelatedField):
                    continue
                # Otherwise only an empty default that the view replaces with the caller's
                # choices (MovementCreateSerializer takes the caller's pharmacy).
                queryset: Any = field.queryset
                if not queryset.query.is_empty():
                    unscoped.append(f"{module.__name__}.{name}.{field_name}")
    assert not unscoped, unscoped
