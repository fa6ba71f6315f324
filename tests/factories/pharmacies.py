"""Pharmacies and their staff."""

from __future__ import annotations

import itertools
from datetime import date

import factory
from factory.django import DjangoModelFactory
from stdnum.cn import ric, uscc

from pharmacies.models import Pharmacy, StaffMember, StaffPost
from tests.factories.accounts import OrganisationFactory

_serial = itertools.count(1)


def credit_code(n: int | None = None) -> str:
    """A unified social credit code with a valid check digit."""
    body = f"91430421MA4L{(n or next(_serial)):05d}"
    return body + uscc.calc_check_digit(body + "0")


def resident_id(n: int, born: str = "19850101") -> str:
    """A Hengyang County resident ID with a valid check digit."""
    body = f"430421{born}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


class PharmacyFactory(DjangoModelFactory[Pharmacy]):
    """A pharmacy with a unique, valid credit code and nothing else declared."""

    class Meta:
        model = Pharmacy

    organisation = factory.SubFactory(OrganisationFactory)
    credit_code = factory.Sequence(lambda n: credit_code(90000 + n))


class StaffMemberFactory(DjangoModelFactory[StaffMember]):
    class Meta:
        model = StaffMember

    pharmacy = factory.SubFactory(PharmacyFactory)
    name = factory.Sequence(lambda n: f"员工{n}")
    post = StaffPost.BILLER
    resident_id = factory.Sequence(lambda n: resident_id(n, born="19880101"))
    hired_on = date(2024, 12, 1)
