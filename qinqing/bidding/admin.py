from django.contrib import admin

from qinqing.bidding.models import RuleSet, Speciality
from qinqing.core.admin import AuditedAdmin


@admin.register(Speciality)
class SpecialityAdmin(AuditedAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(RuleSet)
class RuleSetAdmin(AuditedAdmin):
    list_display = ("name", "kind", "max_age", "frequency_count", "frequency_days")
