from django.contrib import admin

from apps.articles.models import Industry, IndustryGroup, Section


class IndustryInline(admin.TabularInline):
    model = Industry
    fields = ("name", "slug", "order")
    extra = 0


@admin.register(IndustryGroup)
class IndustryGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "order")
    list_editable = ("order",)
    inlines = [IndustryInline]


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ("name", "group", "order")
    list_filter = ("group",)
    list_select_related = ("group",)
    search_fields = ("name",)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "description")
    list_editable = ("order",)
    search_fields = ("name",)
