from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from apps.accounts.views import LoginView, PasswordResetView
from apps.demo.bundled import URL_PREFIX as DEMO_SOURCES
from apps.demo.views import demo_source
from apps.push import wecom_login
from apps.workflow.calendar_views import feed_view as calendar_feed
from apps.workflow.uploads import editor_image_upload
from config.views import import_word, ping, protected_media

urlpatterns = [
    # Before the admin's own URLs, which would read "import-word" as an issue's id.
    path(
        "admin/issues/issue/import-word/",
        admin.site.admin_view(import_word),
        name="issue_import_word",
    ),
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/wecom/start/", wecom_login.start, name="wecom_start"),
    path("accounts/wecom/callback/", wecom_login.callback, name="wecom_callback"),
    path("accounts/wecom/bind/", wecom_login.bind, name="wecom_bind"),
    path("accounts/wecom/unbind/", wecom_login.unbind, name="wecom_unbind"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("editor/images/", editor_image_upload, name="editor_image_upload"),
    path("ping", ping, name="ping"),
    path("mail/", include("apps.notifications.urls")),
    # A staff member's private iCalendar feed; the token is its only password.
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", protected_media, name="media"),
    path("", include("apps.reader.urls")),
]

# The demo's news sites (apps/demo/bundled.py), which intake reads in a local run. Registered
# in development only: in production the address does not exist.
if settings.DEBUG:
    urlpatterns += [path(f"{DEMO_SOURCES}<path:path>", demo_source, name="demo_source")]

# The error pages never read the request's body nor run the CSRF check (see config/views.py).
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
