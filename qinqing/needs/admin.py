from django.contrib import admin

from qinqing.needs.models import Category, Need, QrCode, Rating, Rectification, RoutingExample


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "lead_department", "order"]
    filter_horizontal = ["assisting"]


@admin.register(QrCode)
class QrCodeAdmin(admin.ModelAdmin):
    list_display = ["label", "origin", "is_active", "created_at"]


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    """Read-only: orders change only through the audited services."""

    list_display = ["number", "channel", "state", "department", "due_date", "received_at"]
    list_filter = ["state", "channel", "category"]
    search_fields = ["number", "uscc", "company_name"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Rating)
admin.site.register(Rectification)
admin.site.register(RoutingExample)
