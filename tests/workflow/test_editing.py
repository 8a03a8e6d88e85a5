import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


def article_form(article, **overrides):
    data = {
        "title": article.title,
        "subtitle": article.subtitle,
        "source": article.source,
        "author": article.author,
        "edit_version": str(article.version),
        "issue": str(article.issue_id or ""),
        "section": str(article.section_id),
        "position": str(article.position),
        "visibility": article.visibility,
        "summary": article.summary,
        "body": article.body,
        # Asked for (and required) only when the article is published: then it is a correction.
        "correction_note": "修改说明",
    }
    data.update(overrides)
    return data


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def test_editor_cannot_set_workflow_fields_through_the_form(client, editor):
    issue = IssueFactory(created_by=editor)
    client.force_login(editor)
    data = {
        "year": "2024",
        "number": str(issue.number),
        "title": "改过的主题",
        "editor_note": "<p>新的编者的话</p>",
        "edit_version": str(issue.version),
        "status": Issue.Status.PUBLISHED,
        "published_at_0": "2020-01-01",
        "published_at_1": "08:00",
        "total_number": "999",
        "articles-TOTAL_FORMS": "0",
        "articles-INITIAL_FORMS": "0",
        "articles-MIN_NUM_FORMS": "0",
        "articles-MAX_NUM_FORMS": "0",
    }
    response = client.post(change_url(issue), data)
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.title == "改过的主题"
    assert (issue.status, issue.published_at, issue.total_number) == (
        Issue.Status.DRAFT,
        None,
        None,
    )


def test_editor_edits_own_drafts_only(client, editor, other_editor):
    own = ArticleFactory(created_by=editor, title="我的稿件")
    in_review = ArticleFactory(
        created_by=editor, status=Article.Status.REVIEW, title="送审中的稿件"
    )
    published = ArticleFactory(
        created_by=other_editor, status=Article.Status.PUBLISHED, title="已发布的稿件"
    )
    others_draft = ArticleFactory(created_by=other_editor, title="别人的草稿")
    client.force_login(editor)

    assert client.post(change_url(own), article_form(own, title="改好了")).status_code == 302
    assert Article.objects.get(pk=own.pk).title == "改好了"

    for article in (in_review, published):
        page = client.get(change_url(article))
        assert page.status_code == 200  # visible, read-only
        assert 'name="title"' not in page.content.decode()
        response = client.post(change_url(article), article_form(article, title="偷偷改"))
        assert response.status_code == 403
        assert Article.objects.get(pk=article.pk).title == article.title

    changelist = client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "改好了" in changelist
    assert "已发布的稿件" in changelist
    assert "别人的草稿" not in changelist
    assert client.get(change_url(others_draft)).status_code == 302  # "does not exist"


def test_editor_cannot_edit_an_issue_in_review(client, editor):
    issue = IssueFactory(created_by=editor, status=Issue.Status.REVIEW)
    client.force_login(editor)
    page = client.get(change_url(issue)).content.decode()
    assert 'name="editor_note"' not in page


def test_subscriber_admin_sees_no_editorial_forms(client, subadmin):
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    client.force_login(subadmin)
    index = client.get(reverse("admin:index")).content.decode()
    assert "订户" in index
    assert reverse("admin:articles_article_changelist") not in index
    assert client.get(reverse("admin:articles_article_changelist")).status_code == 403
    assert client.get(change_url(article)).status_code == 403
    assert client.get(reverse("admin:subscribers_subscriber_changelist")).status_code == 200


def test_admin_index_shows_what_waits(client, editor, reviewer):
    returned = ArticleFactory(
        created_by=editor, status=Article.Status.REVIEW, title="需要补充的稿件"
    )
    steps.perform(returned, "send_back", by=reviewer, comment="请补充数据来源")
    ArticleFactory(created_by=editor, status=Article.Status.REVIEW, title="等待审核的稿件")
    IssueFactory(status=Issue.Status.REVIEW, number=30)

    client.force_login(editor)
    page = client.get(reverse("admin:index")).content.decode()
    assert "我的草稿" in page
    assert "需要补充的稿件" in page
    assert "已退回：</strong>请补充数据来源" in page
    assert "待审核的文章" not in page

    client.force_login(reviewer)
    page = client.get(reverse("admin:index")).content.decode()
    assert "待审核的文章（1）" in page
    assert "等待审核的稿件" in page
    assert "待审核的期刊（1）" in page


def test_preview_shows_drafts_to_staff_only(client, editor, enterprise):
    issue = IssueFactory(created_by=editor, editor_note="<p>尚未发布的编者的话</p>")
    article = ArticleFactory(issue=issue, created_by=editor, title="草稿文章")
    client.force_login(editor)

    page = client.get(reverse("admin:issues_issue_preview", args=[issue.pk])).content.decode()
    assert "预览 · 仅编辑部可见" in page
    assert "尚未发布的编者的话" in page
    assert "草稿文章" in page
    page = client.get(reverse("admin:articles_article_preview", args=[article.pk])).content.decode()
    assert "预览 · 仅编辑部可见" in page

    client.force_login(enterprise)
    response = client.get(reverse("admin:issues_issue_preview", args=[issue.pk]))
    assert response.status_code == 302  # to the admin login
    assert client.get(issue.get_absolute_url()).status_code == 404
    assert client.get(article.get_absolute_url()).status_code == 404


def test_stale_form_is_refused_and_the_input_kept(client, reviewer, editor):
    article = ArticleFactory(created_by=editor, body="<p>原文</p>")
    opened_version = article.version

    # The reviewer saves while the editor still has the form open.
    client.force_login(reviewer)
    client.post(change_url(article), article_form(article, body="<p>主编的修改</p>"))

    client.force_login(editor)
    stale = article_form(article, body="<p>编辑的修改</p>", edit_version=str(opened_version))
    response = client.post(change_url(article), stale)

    assert response.status_code == 200
    page = response.content.decode()
    assert "reviewer1 于" in page
    assert "本次没有保存" in page
    assert "编辑的修改" in page  # the editor's input is shown back
    assert Article.objects.get(pk=article.pk).body == "<p>主编的修改</p>"

    # Saving again after reading the message is a deliberate choice.
    current = Article.objects.get(pk=article.pk)
    again = article_form(current, body="<p>编辑的修改</p>")
    assert client.post(change_url(article), again).status_code == 302
    assert Article.objects.get(pk=article.pk).body == "<p>编辑的修改</p>"


def test_a_transition_makes_an_open_form_stale(client, editor, reviewer):
    article = ArticleFactory(created_by=editor)
    opened = article_form(article, title="晚到的修改")
    steps.perform(article, "submit", by=editor)
    steps.perform(article, "send_back", by=reviewer, comment="重写标题")
    client.force_login(editor)
    response = client.post(change_url(article), opened)
    assert response.status_code == 200
    assert "本次没有保存" in response.content.decode()


def test_history_diff_and_restore(client, reviewer, editor):
    article = ArticleFactory(
        created_by=editor, status=Article.Status.PUBLISHED, body="<p>第一段。</p><p>第二段。</p>"
    )
    client.force_login(reviewer)
    client.post(
        change_url(article), article_form(article, body="<p>第一段。</p><p>改写的第二段。</p>")
    )
    versions = list(article.history.order_by("history_date"))
    assert len(versions) == 2
    assert versions[-1].history_user.username == "reviewer1"

    history = client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert "与上一版比较" in history.content.decode()
    compare = client.get(
        reverse("admin:articles_article_compare", args=[article.pk]),
        {"old": versions[0].pk, "new": versions[1].pk},
    ).content.decode()
    assert '<div class="diff-del">第二段。</div>' in compare
    assert '<div class="diff-ins">改写的第二段。</div>' in compare
    assert '<div class="diff-same">第一段。</div>' in compare

    # Restore the first version: a new revision by the reviewer, state unchanged.
    restore_url = reverse(
        "admin:articles_article_simple_history", args=[article.pk, versions[0].pk]
    )
    page = client.get(restore_url).content.decode()
    assert "第二段。" in page
    current = Article.objects.get(pk=article.pk)
    response = client.post(restore_url, article_form(current, body=versions[0].body))
    assert response.status_code == 302
    restored = Article.objects.get(pk=article.pk)
    assert restored.body == "<p>第一段。</p><p>第二段。</p>"
    assert restored.status == Article.Status.PUBLISHED
    latest = restored.history.latest()
    assert latest.history_user == reviewer
    assert restored.history.count() == 3


def test_restoring_an_old_draft_version_does_not_bring_back_its_state(client, reviewer):
    article = ArticleFactory(status=Article.Status.DRAFT, title="旧标题")
    old_version = article.history.latest()
    steps.perform(article, "submit", by=reviewer)
    steps.perform(article, "approve", by=reviewer)
    client.force_login(reviewer)
    restore_url = reverse(
        "admin:articles_article_simple_history", args=[article.pk, old_version.pk]
    )
    current = Article.objects.get(pk=article.pk)
    assert client.post(restore_url, article_form(current, title="旧标题")).status_code == 302
    assert Article.objects.get(pk=article.pk).status == Article.Status.APPROVED


def test_editor_cannot_restore_a_published_article(client, editor, reviewer):
    article = ArticleFactory(created_by=editor, status=Article.Status.PUBLISHED, body="<p>定稿</p>")
    old = article.history.latest()
    client.force_login(editor)
    url = reverse("admin:articles_article_simple_history", args=[article.pk, old.pk])
    response = client.post(url, article_form(article, body="<p>改回去</p>"))
    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).body == "<p>定稿</p>"


def test_demo_issue_round_trip_in_the_admin(client, reviewer, settings):
    """Withdraw the sample issue, edit it, send it through review and publish it again."""
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    issue = Issue.objects.get(year=2023, number=12)
    client.force_login(reviewer)

    def take(name, **data):
        url = reverse("admin:issues_issue_transition", args=[issue.pk, name])
        return client.post(url, {"confirmed": "1", **data}, follow=True).content.decode()

    assert "已撤回" in take("withdraw", comment="更正一处数据")
    assert "已重新打开" in take("reopen")
    issue.refresh_from_db()
    data = {
        "year": "2023",
        "number": "12",
        "total_number": "12",
        "title": "",
        "editor_note": "<p>更正后的编者的话</p>",
        "edit_version": str(issue.version),
        "articles-TOTAL_FORMS": "4",
        "articles-INITIAL_FORMS": "4",
        "articles-MIN_NUM_FORMS": "0",
        "articles-MAX_NUM_FORMS": "0",
    }
    for index, article in enumerate(issue.articles.order_by("pk")):
        data[f"articles-{index}-id"] = str(article.pk)
        data[f"articles-{index}-issue"] = str(issue.pk)
    assert client.post(change_url(issue), data).status_code == 302
    assert "已提交审核" in take("submit")
    assert "已发布" in take("publish")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED
    assert issue.editor_note == "<p>更正后的编者的话</p>"
    assert issue.total_number == 12
    assert set(issue.articles.values_list("status", flat=True)) == {Article.Status.PUBLISHED}
    assert issue.published_at <= timezone.now() < issue.published_at + timedelta(minutes=1)


def test_bulk_delete_is_not_offered_and_published_work_cannot_be_deleted(client, editor, reviewer):
    own_draft = ArticleFactory(created_by=editor)
    published = ArticleFactory(created_by=editor, status=Article.Status.PUBLISHED)
    client.force_login(editor)
    changelist = client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "delete_selected" not in changelist
    response = client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "delete_selected", "_selected_action": [published.pk], "post": "yes"},
    )
    assert Article.objects.filter(pk=published.pk).exists()
    client.force_login(reviewer)
    delete_url = reverse("admin:articles_article_delete", args=[published.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Article.objects.filter(pk=published.pk).exists()
    client.force_login(editor)
    response = client.post(
        reverse("admin:articles_article_delete", args=[own_draft.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Article.objects.filter(pk=own_draft.pk).exists()


def test_editors_see_only_the_log_of_their_own_work(client, editor, other_editor, reviewer):
    mine = ArticleFactory(created_by=editor, title="我的稿件")
    theirs = ArticleFactory(created_by=other_editor, title="别人的稿件")
    steps.perform(mine, "submit", by=editor)
    steps.perform(theirs, "submit", by=other_editor)
    steps.perform(mine, "send_back", by=reviewer, comment="补充来源")
    url = reverse("admin:workflow_transitionlog_changelist")

    client.force_login(editor)
    page = client.get(url).content.decode()
    assert page.count("我的稿件") == 2
    assert "别人的稿件" not in page

    client.force_login(reviewer)
    page = client.get(url, {"by__id__exact": other_editor.pk}).content.decode()
    assert "别人的稿件" in page
    assert "我的稿件" not in page


def test_editor_cannot_open_old_versions_of_others_drafts(client, editor, other_editor):
    theirs = ArticleFactory(created_by=other_editor, body="<p>别人的草稿正文</p>")
    version = theirs.history.latest()
    client.force_login(editor)
    url = reverse("admin:articles_article_simple_history", args=[theirs.pk, version.pk])
    response = client.get(url)
    assert response.status_code == 403
    assert "别人的草稿正文" not in response.content.decode()


def test_editors_place_articles_only_in_issues_being_drafted(client, editor, reviewer):
    upcoming = IssueFactory(created_by=reviewer, status=Issue.Status.DRAFT, number=31)
    in_review = IssueFactory(created_by=reviewer, status=Issue.Status.REVIEW, number=32)
    ArticleFactory(issue=in_review, status=Article.Status.APPROVED, created_by=reviewer)
    client.force_login(editor)
    base = article_form(ArticleFactory.build(issue=None), title="插队的稿件", edit_version="")
    response = client.post(reverse("admin:articles_article_add"), {**base, "issue": in_review.pk})
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Article.objects.filter(title="插队的稿件").exists()

    response = client.post(reverse("admin:articles_article_add"), {**base, "issue": upcoming.pk})
    assert response.status_code == 302
    assert Article.objects.get(title="插队的稿件").issue == upcoming


def test_issue_preview_hides_other_editors_drafts_from_an_editor(client, editor, other_editor):
    issue = IssueFactory(created_by=editor, number=33)
    ArticleFactory(issue=issue, created_by=editor, title="我的草稿")
    ArticleFactory(issue=issue, created_by=other_editor, title="别人的草稿")
    client.force_login(editor)
    page = client.get(reverse("admin:issues_issue_preview", args=[issue.pk])).content.decode()
    assert "我的草稿" in page
    assert "别人的草稿" not in page
    page = client.get(change_url(issue)).content.decode()
    assert "别人的草稿" not in page
