"""Every state × every transition × every role, through the admin over HTTP."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow.models import TransitionLog
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db

ROLES = ["editor", "other_editor", "reviewer", "subadmin"]


@dataclass
class Step:
    """The expected workflow, written out independently of apps.workflow.steps."""

    name: str
    sources: tuple
    target: str
    needs_comment: bool = False
    needs_time: bool = False


ARTICLE_STEPS = [
    Step("submit", (Article.Status.DRAFT,), Article.Status.REVIEW),
    Step("approve", (Article.Status.REVIEW,), Article.Status.APPROVED),
    Step("send_back", (Article.Status.REVIEW,), Article.Status.DRAFT, needs_comment=True),
    Step("reopen", (Article.Status.APPROVED,), Article.Status.DRAFT),
]
ISSUE_STEPS = [
    Step("submit", (Issue.Status.DRAFT,), Issue.Status.REVIEW),
    Step("send_back", (Issue.Status.REVIEW,), Issue.Status.DRAFT, needs_comment=True),
    Step("publish", (Issue.Status.REVIEW,), Issue.Status.PUBLISHED),
    Step("schedule", (Issue.Status.REVIEW,), Issue.Status.PUBLISHED, needs_time=True),
    Step("withdraw", (Issue.Status.PUBLISHED,), Issue.Status.WITHDRAWN, needs_comment=True),
    Step("reopen", (Issue.Status.WITHDRAWN,), Issue.Status.DRAFT),
]


def may_take(role, step):
    """Reviewers take every step; an editor only submits their own draft."""
    return role == "reviewer" or (role == "editor" and step.name == "submit")


def make_article(state, author):
    return ArticleFactory(status=state, created_by=author, issue=IssueFactory(created_by=author))


def make_issue(state, author):
    published_at = (
        timezone.now() - timedelta(hours=1)
        if state in (Issue.Status.PUBLISHED, Issue.Status.WITHDRAWN)
        else None
    )
    issue = IssueFactory(status=state, created_by=author, published_at=published_at)
    article_state = (
        Article.Status.PUBLISHED
        if state in (Issue.Status.PUBLISHED, Issue.Status.WITHDRAWN)
        else Article.Status.APPROVED
    )
    ArticleFactory(issue=issue, status=article_state, created_by=author)
    return issue


CASES = [
    (Article, make_article, state, transition, role)
    for state in Article.Status.values
    for transition in ARTICLE_STEPS
    for role in ROLES
] + [
    (Issue, make_issue, state, transition, role)
    for state in Issue.Status.values
    for transition in ISSUE_STEPS
    for role in ROLES
]


def case_id(case):
    model, _, state, transition, role = case
    return f"{model.__name__}-{state}-{transition.name}-{role}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_transition(case, client, request, editor):
    model, make, state, transition, role = case
    user = request.getfixturevalue(role)
    obj = make(state, author=editor)
    before = model.objects.get(pk=obj.pk)
    logs = TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=obj.pk
    )
    opts = model._meta
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_transition", args=[obj.pk, transition.name]
    )
    data = {"comment": "请补充数据来源", "confirmed": "1"}  # past the confirmation page
    if transition.needs_time:
        at = timezone.localtime() + timedelta(days=1)
        data["at"] = at.strftime("%Y-%m-%dT%H:%M")
    client.force_login(user)

    response = client.post(url, data)

    after = model.objects.get(pk=obj.pk)
    if state in transition.sources and may_take(role, transition):
        assert response.status_code == 302
        assert after.status == transition.target
        log = logs.get(transition=transition.name)
        assert (log.from_status, log.to_status, log.by) == (state, transition.target, user)
        if transition.needs_comment:
            assert log.comment == "请补充数据来源"
    elif state == transition.target and may_take(role, transition):
        # A repeated click: nothing happens, and the user is told so.
        assert response.status_code == 302
        assert after.status == state
        assert not logs.exists()
    else:
        assert response.status_code == 403
        assert after.status == before.status
        assert after.version == before.version
        assert not logs.exists()


@pytest.mark.parametrize("transition", ["submit", "approve", "publish"])
def test_get_of_a_transition_url_changes_nothing(client, reviewer, editor, transition):
    issue = make_issue(Issue.Status.REVIEW, editor)
    client.force_login(reviewer)
    url = reverse("admin:issues_issue_transition", args=[issue.pk, transition])
    # The issue's page with a message (test_confirmation.py), never the step.
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:issues_issue_change", args=[issue.pk])
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.REVIEW


def test_change_form_shows_exactly_the_users_transitions(client, editor, reviewer):
    article = make_article(Article.Status.REVIEW, editor)
    url = reverse("admin:articles_article_change", args=[article.pk])

    client.force_login(reviewer)
    page = client.get(url).content.decode()
    assert 'value="approve"' in page
    assert 'value="send_back"' in page
    assert 'value="submit"' not in page
    assert "退回修改原因（必填）" in page

    client.force_login(editor)
    page = client.get(url).content.decode()
    assert 'name="transition"' not in page
    assert "当前状态：<strong>待审核</strong>" in page
