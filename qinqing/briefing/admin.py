from django.contrib import admin

from qinqing.briefing.models import Article, ArticleVersion, Comment, FigureSnapshot, Issue, Series


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "issuer", "is_public")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Changes go through the audited services (pages); the admin only reads."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = ("series", "number", "issued_on", "status", "published_at", "pdf_sha256")
    list_filter = ("series", "status")
    exclude = ("pdf",)


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "issue", "contributor", "status")


admin.site.register(ArticleVersion, ReadOnlyAdmin)
admin.site.register(Comment, ReadOnlyAdmin)
admin.site.register(FigureSnapshot, ReadOnlyAdmin)
