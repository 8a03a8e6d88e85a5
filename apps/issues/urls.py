from django.urls import path

from apps.issues import views

app_name = "issues"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("issues/", views.IssueListView.as_view(), name="list"),
    path("issues/<int:year>/<int:number>/", views.IssueDetailView.as_view(), name="detail"),
]
