from django.urls import path

from apps.notifications.views import UnsubscribeView

app_name = "notifications"
urlpatterns = [
    path("unsubscribe/<str:token>/", UnsubscribeView.as_view(), name="unsubscribe"),
]
