from django.contrib import admin

from core.models import HolidayOverride, Notification


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "region", "is_working_day", "name", "deleted_at")
    list_filter = ("region",)

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False  # an entry is withdrawn on the calendar page, which keeps it as history


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "subject", "rule_id", "created_at", "read_at")
