from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from programmes.models import Programme


@admin.register(Programme)
class ProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "valid_from", "valid_until")
