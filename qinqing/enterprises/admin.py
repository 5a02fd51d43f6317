from django.contrib import admin

from qinqing.enterprises.models import (
    Cluster,
    Contact,
    Firm,
    Industry,
    InstructorAssignment,
    InstructorProfile,
    ServiceCommitment,
    Tag,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "cluster", "industry", "credit_grade"]
    list_filter = ["kind", "cluster", "credit_grade"]
    search_fields = ["organisation__name", "organisation__uscc"]
    inlines = [ContactInline]
    filter_horizontal = ["tags"]


for model in (Cluster, Industry, Tag, InstructorProfile, InstructorAssignment, ServiceCommitment):
    admin.site.register(model)
