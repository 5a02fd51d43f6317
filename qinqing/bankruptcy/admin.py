from django.contrib import admin

from qinqing.bankruptcy import models


@admin.register(models.Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the audited services."""

    list_display = ["number", "debtor", "procedure", "status", "acceptance_date", "approval_date"]
    list_filter = ["status", "procedure", "fast_track"]
    search_fields = ["number", "debtor__name"]
    readonly_fields = [f.name for f in models.Case._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.FastTrackProfile)
class FastTrackProfileAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "court",
        "max_creditors",
        "max_amount",
        "time_limit_months",
        "is_default",
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records change only through the audited services; the admin site just shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model in (
    models.Claim,
    models.Creditor,
    models.Meeting,
    models.AgendaItem,
    models.Ballot,
    models.Agreement,
    models.AgreementTerm,
    models.Payment,
):
    admin.site.register(model, ReadOnlyAdmin)
