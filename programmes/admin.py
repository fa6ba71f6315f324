from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from programmes.models import Disease, Programme


@admin.register(Programme)
class ProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "valid_from", "valid_until")


@admin.register(Disease)
class DiseaseAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "programme", "category", "monthly_standard", "fund_share_pct")
    list_filter = ("programme", "category")
