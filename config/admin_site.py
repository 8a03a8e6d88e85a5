from django.conf import settings
from django.contrib import admin

from apps.subscribers.selectors import EXPIRY_WARNING_DAYS, expiring_soon
from apps.workflow.selectors import work_queue


class BulletinAdminSite(admin.AdminSite):
    """The editorial back office; its index shows each user what waits for them."""

    site_header = f"{settings.PUBLICATION_NAME} 编辑部"
    site_title = settings.PUBLICATION_NAME
    index_title = "编辑工作台"

    def index(self, request, extra_context=None):
        context = {"work_queue": work_queue(request.user), **(extra_context or {})}
        if request.user.has_perm("subscribers.view_subscriber"):
            context["expiring_count"] = expiring_soon().count()
            context["expiry_warning_days"] = EXPIRY_WARNING_DAYS
        return super().index(request, extra_context=context)
