"""Django admin for platform administrators; every change is written to the audit chain."""

from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from qinqing.core.audit import audit_log
from qinqing.core.models import AccountPhone, AuditEntry, Notification, Organisation, RoleGrant


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_log(
                actor=request.user,
                action=f"{obj._meta.model_name}.{'update' if change else 'create'}_admin",
                obj=obj,
                detail={
                    "changed": form.changed_data,
                    "values": self.audit_values(obj, form.changed_data),
                },
            )

    def audit_values(self, obj, fields: list[str]) -> dict:
        return model_to_dict(obj, fields)

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_log(actor=request.user, action=f"{obj._meta.model_name}.delete_admin", obj=obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("name", "kind", "parent", "uscc", "code", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name", "uscc", "code")
    autocomplete_fields = ("parent",)


@admin.register(RoleGrant)
class RoleGrantAdmin(AuditedAdmin):
    list_display = ("user", "role", "organisation", "granted_at")
    list_filter = ("role",)
    search_fields = ("user__username", "organisation__name")
    autocomplete_fields = ("organisation",)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("action", "object_id", "actor_label")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "recipient", "address", "subject", "status")
    list_filter = ("channel", "status")
    search_fields = ("subject", "address")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccountPhone)
class AccountPhoneAdmin(AuditedAdmin):
    list_display = ("user", "masked_phone", "updated_at")
    search_fields = ("user__username", "phone")
    autocomplete_fields = ("user",)

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj):
        return obj.masked

    def audit_values(self, obj, fields: list[str]) -> dict:
        values = super().audit_values(obj, fields)
        if "phone" in values:
            values["phone"] = obj.masked
        return values


if admin.site.is_registered(TOTPDevice):  # django-otp's own shows the secret key and its QR
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(AuditedAdmin):
    """A platform administrator sees who has the second factor on and resets a lost one
    (deletion, audited); the secret key is never shown."""

    list_display = ("user", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
