from django.urls import path

from apps.subscribers import views

app_name = "subscribers"

urlpatterns = [
    path("accounts/profile/", views.ProfileView.as_view(), name="profile"),
    path("feedback/", views.FeedbackView.as_view(), name="feedback"),
]
