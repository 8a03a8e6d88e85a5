from django.urls import path

from apps.issues import views

app_name = "issues"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("issues/", views.IssueListView.as_view(), name="list"),
    path("issues/<int:year>/<int:number>/", views.IssueDetailView.as_view(), name="detail"),
    path("issues/<int:year>/<int:number>/print/", views.IssuePrintView.as_view(), name="print"),
    path("issues/<int:year>/<int:number>/pdf/", views.IssuePdfView.as_view(), name="pdf"),
]
