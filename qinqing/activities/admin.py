from django.contrib import admin

from qinqing.activities.models import (
    Appointment,
    Event,
    MaterialHandout,
    Question,
    SupervisionReport,
    Visit,
)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "starts_at", "state", "lead_department"]
    list_filter = ["kind", "state"]
    search_fields = ["title"]


for model in (Appointment, MaterialHandout, Question, SupervisionReport, Visit):
    admin.site.register(model)
