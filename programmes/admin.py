from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from programmes.models import Disease, DiseaseStandard, Programme, ReferenceVersion


@admin.register(Programme)
class ProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "valid_from", "valid_until")


@admin.register(Disease)
class DiseaseAdmin(SimpleHistoryAdmin):
    """Payment standards are not fields of a disease: they come from reference files."""

    list_display = ("code", "name", "programme", "category", "is_active")
    list_filter = ("programme", "category")


class DiseaseStandardInline(admin.TabularInline):
    model = DiseaseStandard
    extra = 0
    can_delete = False
    readonly_fields = (
        "disease",
        "monthly_standard",
        "quarterly_standard",
        "fund_share_pct",
        "amounts_are_demo",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReferenceVersion)
class ReferenceVersionAdmin(admin.ModelAdmin):
    """Read only: versions are loaded from files (`manage.py load_reference`)."""

    list_display = ("programme", "number", "effective_from", "source_date", "loaded_at")
    list_filter = ("programme",)
    inlines = [DiseaseStandardInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
