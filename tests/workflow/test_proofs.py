"""Proofs before publishing: print and PDF marked 校样, previews as leaders and as others."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from apps.articles.models import Article
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


def issue_in_review(author):
    issue = IssueFactory(status=Issue.Status.REVIEW, created_by=author)
    ArticleFactory(issue=issue, status=Article.Status.APPROVED, title="公开的文章", position=1)
    ArticleFactory(
        issue=issue, status=Article.Status.APPROVED, title="领导参阅的文章", position=2,
        visibility=Article.Visibility.LEADERSHIP,
    )  # fmt: skip
    return issue


def test_a_reviewer_proofs_the_print_page_as_leaders_and_as_others(client, reviewer, editor):
    issue = issue_in_review(editor)
    client.force_login(reviewer)
    url = reverse("reader:issue_proof_print", args=[issue.pk])
    leaders = client.get(url).content.decode()
    assert "校样 · 领导版" in leaders
    assert "公开的文章" in leaders and "领导参阅的文章" in leaders
    # A proof is marked 校样 on every page; the readers' mark stylesheet is not asked for (the
    # issue is not out: it would answer 404).
    assert "mark.css" not in leaders
    others = client.get(url, {"as": "all"}).content.decode()
    assert "校样 · 企业及其他读者版" in others
    assert "公开的文章" in others and "领导参阅的文章" not in others
    # The change page links to them.
    page = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert url in page and reverse("reader:issue_proof_pdf", args=[issue.pk]) in page


def test_the_pdf_proof_says_so_on_every_page(client, reviewer, editor):
    issue = issue_in_review(editor)
    client.force_login(reviewer)
    response = client.get(reverse("reader:issue_proof_pdf", args=[issue.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert (
        "校样" in response["Content-Disposition"] or "%E6%A0%A1" in response["Content-Disposition"]
    )
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) >= 2
    assert all("校样" in page.extract_text() for page in pages)


def test_proofs_are_for_the_editorial_office_only(
    client, editor, other_editor, enterprise, subadmin
):
    issue = IssueFactory(status=Issue.Status.DRAFT, created_by=editor)
    ArticleFactory(issue=issue, title="我的稿件", created_by=editor, position=1)
    ArticleFactory(issue=issue, title="别人的草稿", created_by=other_editor, position=2)
    url = reverse("reader:issue_proof_print", args=[issue.pk])
    assert "/admin/login/" in client.get(url)["Location"]  # anonymous
    client.force_login(enterprise)
    assert "/admin/login/" in client.get(url)["Location"]  # readers are not staff
    client.force_login(subadmin)
    assert client.get(url).status_code == 403
    client.force_login(editor)
    proof = client.get(url).content.decode()
    assert "我的稿件" in proof and "别人的草稿" not in proof
    assert client.get(reverse("reader:issue_proof_print", args=[999999])).status_code == 404


def test_previews_as_leaders_and_as_others(client, reviewer, editor):
    issue = issue_in_review(editor)
    client.force_login(reviewer)
    preview = reverse("admin:issues_issue_preview", args=[issue.pk])
    assert "领导参阅的文章" in client.get(preview, {"as": "leadership"}).content.decode()
    as_others = client.get(preview, {"as": "all"}).content.decode()
    assert "企业及其他读者看到的样子" in as_others and "领导参阅的文章" not in as_others
    secret = Article.objects.get(title="领导参阅的文章")
    page = client.get(
        reverse("admin:articles_article_preview", args=[secret.pk]), {"as": "all"}
    ).content.decode()
    assert "本文仅限领导阅读" in page
