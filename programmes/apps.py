from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "programmes"
    verbose_name = _("政策方案")

    def ready(self) -> None:
        # The navigation keeps each session's programme features until one of the rows they
        # come from changes (programmes.features).
        from programmes.features import features_changed, features_remember_at_login
        from programmes.models import Programme

        for sender in ("programmes.Programme", "programmes.Disease"):
            post_save.connect(features_changed, sender=sender, weak=False)
            post_delete.connect(features_changed, sender=sender, weak=False)
        user_logged_in.connect(features_remember_at_login, weak=False)
        m2m_changed.connect(features_changed, sender=Programme.regions.through, weak=False)
