from django.contrib import admin
from django.urls import path

from apps.reader.views import account, articles, feedback, issues, proofs, search

app_name = "reader"

urlpatterns = [
    path("", issues.HomeView.as_view(), name="home"),
    path("issues/", issues.IssueListView.as_view(), name="issues"),
    path("issues/<int:year>/<int:number>/", issues.IssueDetailView.as_view(), name="issue"),
    path(
        "issues/<int:year>/<int:number>/print/",
        issues.IssuePrintView.as_view(),
        name="issue_print",
    ),
    path(
        "issues/<int:year>/<int:number>/print/mark.css",
        issues.IssuePrintMarkView.as_view(),
        name="issue_print_mark",
    ),
    path("issues/<int:year>/<int:number>/pdf/", issues.IssuePdfView.as_view(), name="issue_pdf"),
    # Proofs for the editorial office: signed in to the back office, second factor included.
    path(
        "proofs/issues/<int:pk>/print/",
        admin.site.admin_view(proofs.IssueProofPrintView.as_view()),
        name="issue_proof_print",
    ),
    path(
        "proofs/issues/<int:pk>/pdf/",
        admin.site.admin_view(proofs.IssueProofPdfView.as_view()),
        name="issue_proof_pdf",
    ),
    path("articles/<int:pk>/", articles.ArticleDetailView.as_view(), name="article"),
    path("industries/", articles.IndustryMapView.as_view(), name="industries"),
    path("industries/<slug:slug>/", articles.IndustryView.as_view(), name="industry"),
    path(
        "industries/<slug:slug>/follow/",
        articles.IndustryFollowView.as_view(),
        name="industry_follow",
    ),
    path("search/", search.SearchView.as_view(), name="search"),
    path("feedback/", feedback.FeedbackView.as_view(), name="feedback"),
    path("accounts/profile/", account.ProfileView.as_view(), name="profile"),
]
