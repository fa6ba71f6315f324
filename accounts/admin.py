from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import ApiKey, Membership, Organisation, Region, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("定点", {"fields": ("full_name", "phone", "password_change_required")}),
    )
    list_display = ("username", "full_name", "is_active", "password_change_required", "last_login")
    inlines = [MembershipInline]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent")


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "region", "hospital_level", "is_active")
    list_filter = ("kind", "region")
    search_fields = ("name",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "organisation",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "revoked_at",
    )
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")
