from django.urls import path

from apps.articles import views

app_name = "articles"

urlpatterns = [
    path("articles/<int:pk>/", views.ArticleDetailView.as_view(), name="detail"),
    path("industries/", views.IndustryMapView.as_view(), name="industries"),
    path("industries/<slug:slug>/", views.IndustryView.as_view(), name="industry"),
]
