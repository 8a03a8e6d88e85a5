from django.contrib import admin
from django.db import models

from apps.articles.forms import ReencodedImageField
from apps.articles.models import Article
from apps.issues.models import Issue


class ArticleInline(admin.TabularInline):
    model = Article
    fields = ("section", "position", "title", "visibility", "status")
    ordering = ("section__order", "section", "position")
    show_change_link = True
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("section")


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ("__str__", "title", "status", "published_at", "article_count")
    list_filter = ("status", "year")
    search_fields = ("title", "year", "number", "total_number")
    ordering = ("-year", "-number")
    formfield_overrides = {models.ImageField: {"form_class": ReencodedImageField}}
    fieldsets = (
        (None, {"fields": ("year", "number", "total_number", "title", "cover")}),
        ("编者的话", {"fields": ("editor_note",)}),
        ("发布", {"fields": ("status", "published_at", "created_by", "created_at", "updated_at")}),
    )
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = [ArticleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_total=models.Count("articles"))

    @admin.display(description="文章数", ordering="article_total")
    def article_count(self, issue):
        return issue.article_total

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
