"""One step for the whole issue: the issue's 提交审核 takes its draft articles along, the
reviewer approves or returns each from the issue's page (or all at once), and the article list
has bulk steps; all through the articles' own step functions, each logged."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow import steps
from apps.workflow.models import TransitionLog
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


def article_logs(transition):
    return TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), transition=transition
    )


def statuses(issue):
    return dict(Article.objects.filter(issue=issue).values_list("title", "status"))


def issue_page(client, issue):
    return client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()


# --- the issue's 提交审核 ---


def test_the_issues_submit_lists_and_takes_the_editors_drafts(client, editor, other_editor):
    issue = IssueFactory(created_by=editor)
    for position, title in enumerate(["甲", "乙", "丙"], start=1):
        ArticleFactory(issue=issue, created_by=editor, title=title, position=position)
    ArticleFactory(issue=issue, created_by=other_editor, title="别人的稿", position=4)
    ArticleFactory(
        issue=issue, created_by=editor, title="已提交", position=5, status=Article.Status.REVIEW
    )
    client.force_login(editor)

    page = issue_page(client, issue)
    assert "同时提交本期的 3 篇草稿文章" in page
    assert "另有 1 篇其他编辑的草稿，需由作者各自提交" in page

    url = reverse("admin:issues_issue_transition", args=[issue.pk, "submit"])
    assert client.post(url, follow=True).status_code == 200

    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.REVIEW
    assert statuses(issue) == {
        "甲": Article.Status.REVIEW,
        "乙": Article.Status.REVIEW,
        "丙": Article.Status.REVIEW,
        "别人的稿": Article.Status.DRAFT,  # not this editor's to submit
        "已提交": Article.Status.REVIEW,
    }
    logs = article_logs("submit")
    assert sorted(logs.values_list("object_repr", flat=True)) == ["丙", "乙", "甲"]
    assert {(log.by, log.comment) for log in logs} == {(editor, steps.WITH_ISSUE)}


def test_the_reviewers_queue_shows_what_the_issues_submit_sent(client, editor, reviewer):
    issue = IssueFactory(created_by=editor)
    ArticleFactory(issue=issue, created_by=editor, title="随期提交的稿件")
    steps.submit_issue(issue, by=editor)
    client.force_login(reviewer)
    page = client.get(reverse("admin:index")).content.decode()
    assert "随期提交的稿件" in page


# --- the reviewer's issue page ---


def in_review(editor, *titles):
    issue = IssueFactory(created_by=editor, status=Issue.Status.REVIEW)
    for position, title in enumerate(titles, start=1):
        ArticleFactory(
            issue=issue,
            created_by=editor,
            title=title,
            position=position,
            status=Article.Status.REVIEW,
        )
    return issue


def review(client, issue, **data):
    url = reverse("admin:issues_issue_review_articles", args=[issue.pk])
    return client.post(url, data, follow=True).content.decode()


def test_the_reviewer_approves_and_returns_articles_from_the_issues_page(client, editor, reviewer):
    issue = in_review(editor, "甲", "乙", "丙")
    first, second, _ = Article.objects.filter(issue=issue).order_by("position")
    client.force_login(reviewer)
    page = issue_page(client, issue)
    assert "全部通过（3 篇待审核）" in page
    assert f'value="approve:{first.pk}"' in page and f'value="send_back:{first.pk}"' in page

    assert "已审核通过 1 篇文章：《甲》" in review(client, issue, review=f"approve:{first.pk}")
    # A return needs its reason, as on the article's own page.
    page = review(client, issue, review=f"send_back:{second.pk}")
    assert "请填写退回修改的原因" in page
    page = review(
        client, issue, review=f"send_back:{second.pk}", **{f"reason-{second.pk}": "数据需核实"}
    )
    assert "已退回修改 1 篇文章：《乙》" in page

    assert statuses(issue) == {
        "甲": Article.Status.APPROVED,
        "乙": Article.Status.DRAFT,
        "丙": Article.Status.REVIEW,
    }
    assert article_logs("send_back").get().comment == "数据需核实"


def test_approve_all_approves_every_article_in_review_each_logged(client, editor, reviewer):
    issue = in_review(editor, "甲", "乙", "丙", "丁")
    ArticleFactory(issue=issue, created_by=editor, title="草稿", position=5)
    client.force_login(reviewer)

    page = review(client, issue, review="approve_all")

    assert "已审核通过 4 篇文章：《甲》、《乙》、《丙》、《丁》" in page
    assert statuses(issue) == {
        "甲": Article.Status.APPROVED,
        "乙": Article.Status.APPROVED,
        "丙": Article.Status.APPROVED,
        "丁": Article.Status.APPROVED,
        "草稿": Article.Status.DRAFT,  # not in review: 全部通过 is about what was submitted
    }
    assert article_logs("approve").count() == 4
    assert set(article_logs("approve").values_list("by", flat=True)) == {reviewer.pk}
    assert "全部通过" not in issue_page(client, issue)  # nothing left in review


def test_an_editor_cannot_approve_from_the_issues_page(client, editor):
    issue = in_review(editor, "甲")
    client.force_login(editor)
    assert "全部通过" not in issue_page(client, issue)
    page = review(client, issue, review="approve_all")
    assert "1 篇未能审核通过：《甲》：您没有执行此操作的权限" in page
    assert statuses(issue) == {"甲": Article.Status.REVIEW}
    assert not TransitionLog.objects.exists()


def test_an_article_of_another_issue_is_not_reviewed_through_this_one(client, editor, reviewer):
    issue = in_review(editor, "甲")
    elsewhere = ArticleFactory(status=Article.Status.REVIEW)
    client.force_login(reviewer)
    assert "这篇文章已不在本期中" in review(client, issue, review=f"approve:{elsewhere.pk}")
    assert Article.objects.get(pk=elsewhere.pk).status == Article.Status.REVIEW


# --- bulk steps on the article list ---


def bulk(client, action, articles):
    url = reverse("admin:articles_article_changelist")
    data = {"action": action, "_selected_action": [a.pk for a in articles]}
    return client.post(url, data, follow=True).content.decode()


def test_bulk_submit_takes_each_and_names_each_refusal(client, editor):
    ready = ArticleFactory(created_by=editor, title="可以提交")
    also = ArticleFactory(created_by=editor, title="也可以")
    done = ArticleFactory(created_by=editor, title="已在审核", status=Article.Status.REVIEW)
    client.force_login(editor)

    page = bulk(client, "submit_selected", [ready, done, also])

    assert "已提交审核 2 篇文章" in page
    assert "1 篇未能提交审核：《已在审核》：「已在审核」已经是待审核状态" in page
    assert Article.objects.get(pk=ready.pk).status == Article.Status.REVIEW
    assert Article.objects.get(pk=also.pk).status == Article.Status.REVIEW
    assert article_logs("submit").count() == 2


def test_bulk_approve_is_the_reviewers_and_one_refusal_blocks_none(client, editor, reviewer):
    waiting = ArticleFactory(created_by=editor, title="待审一", status=Article.Status.REVIEW)
    draft = ArticleFactory(created_by=editor, title="还是草稿")
    other = ArticleFactory(created_by=editor, title="待审二", status=Article.Status.REVIEW)
    client.force_login(editor)
    changelist = client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "submit_selected" in changelist
    assert "approve_selected" not in changelist  # not an editor's step
    bulk(client, "approve_selected", [waiting])
    assert Article.objects.get(pk=waiting.pk).status == Article.Status.REVIEW

    client.force_login(reviewer)
    page = bulk(client, "approve_selected", [waiting, draft, other])

    assert "已审核通过 2 篇文章" in page
    assert "1 篇未能审核通过：《还是草稿》：「还是草稿」当前为草稿状态，不能审核通过" in page
    assert Article.objects.get(pk=waiting.pk).status == Article.Status.APPROVED
    assert Article.objects.get(pk=other.pk).status == Article.Status.APPROVED
    assert Article.objects.get(pk=draft.pk).status == Article.Status.DRAFT
    assert article_logs("approve").count() == 2
