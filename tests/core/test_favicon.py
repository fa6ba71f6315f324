"""Every page names the portal's own icon, and /favicon.ico (asked for by browsers on pages that
name none) leads to it: a 404 there was a console error on every page of the demo."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import Client


@pytest.mark.django_db
def test_favicon_is_served_by_the_portal_and_named_by_every_page(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
    assert finders.find("favicon.svg") is not None
    login = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg"' in login
