from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _forget_key(sender: Any, instance: Any, **kwargs: Any) -> None:
    from accounts.services import api_key_forget

    api_key_forget(instance.digest)


def _forget_keys_of_organisation(sender: Any, instance: Any, **kwargs: Any) -> None:
    from accounts.services import api_keys_forget

    api_keys_forget(instance.pk)


def _forget_keys_of_issuer(sender: Any, instance: Any, **kwargs: Any) -> None:
    from accounts.services import api_keys_forget_issuer

    update_fields = kwargs.get("update_fields")
    if kwargs.get("created") or (update_fields is not None and "is_active" not in update_fields):
        return  # a new user has issued nothing; a login (last_login) changes nothing here
    api_keys_forget_issuer(instance.pk)


def _forget_keys_of_member(sender: Any, instance: Any, **kwargs: Any) -> None:
    from accounts.services import api_keys_forget_issuer

    api_keys_forget_issuer(instance.user_id)


def _remember_enrolment(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from accounts.middleware import remember_enrolment

    remember_enrolment(request, user)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账户与机构")

    def ready(self) -> None:
        # The login steps (accounts.middleware) need to know whether the user has an
        # authenticator; asked once at login, not on every page.
        user_logged_in.connect(_remember_enrolment, weak=False)
        # The cached API-key lookup (accounts.services) is dropped when what it holds changes;
        # apps above (pharmacies) drop the entries of their own rows (accounts hears none).
        for signal in (post_save, post_delete):
            signal.connect(_forget_key, sender="accounts.ApiKey", weak=False)
            signal.connect(_forget_keys_of_organisation, sender="accounts.Organisation", weak=False)
            # A key stops working when its issuer is deactivated or leaves the organisation.
            signal.connect(_forget_keys_of_member, sender="accounts.Membership", weak=False)
        post_save.connect(_forget_keys_of_issuer, sender="accounts.User", weak=False)
        self._connect_audit()

    def _connect_audit(self) -> None:
        """The audit trail hears logins and membership changes (accounts.audit)."""
        from django.contrib.auth.signals import (
            user_logged_in,
            user_logged_out,
            user_login_failed,
        )

        from accounts import audit

        user_logged_in.connect(audit.on_user_logged_in, dispatch_uid="audit-login")
        user_logged_out.connect(audit.on_user_logged_out, dispatch_uid="audit-logout")
        user_login_failed.connect(audit.on_user_login_failed, dispatch_uid="audit-login-failed")
        post_save.connect(audit.on_membership_saved, sender="accounts.Membership", weak=False)
        post_delete.connect(audit.on_membership_deleted, sender="accounts.Membership", weak=False)
