from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.models import Membership, Organisation, OrganisationKind, Region, Role, User

PASSWORD = "Testpass2026"


def region(code: str = "430421") -> Region:
    return Region.objects.get(code=code)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.PHARMACY
    name = factory.Sequence(lambda n: f"测试机构{n}")
    region = factory.LazyFunction(region)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    # Test users have chosen their password (the first-login change has its own tests).
    password_change_required = False
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.PHARMACY_MANAGER


ROLE_ORGANISATION = {
    Role.BUREAU_ADMIN: (OrganisationKind.BUREAU, "衡阳县医疗保障局"),
    Role.BUREAU_REVIEWER: (OrganisationKind.CENTRE, "衡阳县医疗保障事务中心"),
    Role.BENEFITS_OFFICER: (OrganisationKind.BUREAU, "衡阳县医疗保障局"),
    Role.EXPERT_REVIEWER: (OrganisationKind.BUREAU, "衡阳县医疗保障局"),
    Role.WINDOW_CLERK: (OrganisationKind.HOSPITAL, "衡阳县人民医院"),
    Role.PHYSICIAN: (OrganisationKind.HOSPITAL, "衡阳县人民医院"),
    Role.PHARMACY_MANAGER: (OrganisationKind.PHARMACY, "衡阳县康民大药房"),
    Role.PHARMACIST: (OrganisationKind.PHARMACY, "衡阳县康民大药房"),
    Role.CATALOGUE_ADMIN: (OrganisationKind.BUREAU, "衡阳县医疗保障局"),
}


def member(role: str, *, organisation: Organisation | None = None, username: str = "") -> User:
    """A user holding `role` in the Hengyang organisation of that kind (or the one given)."""
    if organisation is None:
        kind, name = ROLE_ORGANISATION[Role(role)]
        organisation, _ = Organisation.objects.get_or_create(
            kind=kind,
            name=name,
            region=region(),
            defaults={"hospital_level": "2" if kind == OrganisationKind.HOSPITAL else ""},
        )
    user: User = UserFactory(  # type: ignore[assignment]
        username=username or f"{role}_{Organisation.objects.count()}_{User.objects.count()}"
    )
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user
