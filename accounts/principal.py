"""Who is acting: a logged-in member (user + organisation + role) or a system's API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts.models import BUREAU_KINDS, Organisation, Role

if TYPE_CHECKING:
    from accounts.models import ApiKey, Membership, User


@dataclass(frozen=True)
class Principal:
    organisation: Organisation
    role: str | None = None
    user: User | None = None
    api_key: ApiKey | None = None

    @property
    def is_bureau(self) -> bool:
        return self.organisation.kind in BUREAU_KINDS

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role else ""

    @classmethod
    def from_membership(cls, membership: Membership) -> Principal:
        return cls(organisation=membership.organisation, role=membership.role, user=membership.user)


class ApiKeyUser:
    """request.user for a call made with an API key: authenticated, tied to one organisation."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key
        self.organisation = api_key.organisation
        self.principal = Principal(organisation=api_key.organisation, api_key=api_key)

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"

    @property
    def history_user(self) -> User | None:
        """History rows name the person who issued the key."""
        return self.api_key.created_by

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False
