from django.contrib import admin
from django.db import models
from django.utils import timezone
from django.utils.html import format_html

from apps.intake.models import Source

HEALTH_COLOURS = {
    Source.Health.OK: "#1a7f37",
    Source.Health.PAUSED: "#6e7781",
    Source.Health.FAILING: "#cf222e",
}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """The sources, for reviewers and superusers (the 审核 role's permissions)."""

    list_display = ("name", "kind", "state", "last_success_at", "next_fetch_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "url")
    filter_horizontal = ("industries",)
    # An address typed without a scheme is read as https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ("name", "url", "kind", "link_selector", "industries", "active", "interval_minutes")

    @admin.display(description="状态")
    def state(self, source):
        health = source.health
        colour = HEALTH_COLOURS[health]
        if health != Source.Health.FAILING:
            return format_html('<strong style="color:{}">{}</strong>', colour, health.label)
        since = (
            timezone.localtime(source.failing_since).strftime("%Y-%m-%d %H:%M")
            if source.failing_since
            else "—"
        )
        return format_html(
            '<strong style="color:{}">{}</strong>：{}（自 {} 起，连续 {} 次）',
            colour,
            health.label,
            source.last_error,
            since,
            source.consecutive_failures,
        )
