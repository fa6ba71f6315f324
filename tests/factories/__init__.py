"""Typed factory_boy factories and the scenario builders tests share, one module per app:
accounts (users, organisations, memberships), pharmacies, accreditation, patients, inventory,
prescriptions; sessions (logged-in clients); workflows (one maker per transition table).
Tests import these, never another test package's conftest or test module."""

from tests.factories.accounts import (
    PASSWORD,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    member,
    region,
)

__all__ = [
    "PASSWORD",
    "MembershipFactory",
    "OrganisationFactory",
    "UserFactory",
    "member",
    "region",
]
