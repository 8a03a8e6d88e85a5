from django.contrib import admin

from apps.subscribers.models import Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "region", "organization", "valid_from", "valid_until")
    list_filter = ("kind", "region")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__last_name", "user__first_name", "organization")
    autocomplete_fields = ("user", "industries")
