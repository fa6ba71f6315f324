"""Admin: hospital 特门 profiles are reference data kept by the bureau; patient records are
read here, changed only through the services (the pages and the API)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from patients.models import HospitalProfile


@admin.register(HospitalProfile)
class HospitalProfileAdmin(SimpleHistoryAdmin):
    list_display = ("organisation", "has_expert_qualification", "window_location", "window_phone")
    list_filter = ("has_expert_qualification",)
