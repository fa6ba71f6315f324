"""Rows for the dashboards' counts, written directly (the dashboards only read them)."""

from __future__ import annotations

from typing import Any

import pytest

from pharmacies.models import Pharmacy
from tests.factories.accreditation import pharmacy


@pytest.fixture
def shop(db: Any) -> Pharmacy:
    return pharmacy("衡阳县康民大药房")


@pytest.fixture
def guiyang_shop(db: Any) -> Pharmacy:
    return pharmacy("贵阳市筑康大药房", region_code="520100")
